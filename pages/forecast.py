"""Forecast vs actual: did we do what we said? Variance, attainment, accuracy, bias, the bridge."""
import plotly.graph_objects as go
import streamlit as st

from intel import forecast, metrics, periods
from intel.metrics import DIMENSION_LABELS
from pages._components.charts import PRIMARY, chart, waterfall
from pages._components.data import helper, metric
from pages._components.links import PAGES
from pages._components.urlstate import global_filters, show_notes, url_choice
from pages._components.widgets import (column_tile, download_buttons, metric_tile, missing, plain, say, table,
                                       tile_value)

GREEN, RED = "#2ca02c", "#d62728"   # variance colours in the table
VARIANCE = metrics.get("forecast_variance")
filters, notes = global_filters()

st.title("Forecast vs actual")
st.caption("Did we do what we said? Deals won against quota and the commit call, "
           + plain(filters.describe()) + ". Variance = actual − forecast; attainment = actual ÷ target.")

controls = st.columns(4)
with controls[0]:
    grain = url_choice("Period", PAGES["forecast"].grain, list(VARIANCE.grains), "quarter", widget=st.radio, notes=notes,
                       horizontal=True, format_func=str.capitalize)
with controls[1]:
    dim = url_choice("By", PAGES["forecast"].breakdown, list(VARIANCE.dimensions), "region", notes=notes,
                     format_func=DIMENSION_LABELS.get)
with controls[2]:
    week = url_choice("Forecast call", "fc_week", ["final"] + [str(w) for w in range(1, 14)], "final",
                      notes=notes, format_func=lambda w: "Final call of the period" if w == "final"
                      else f"As of week {w}", help="Compare like with like: the call standing at the end "
                                                   "of week N of each period.")
as_of_week = None if week == "final" else int(week)
choices, last_complete = helper(forecast.period_options, filters, grain)
if not choices:
    show_notes(notes)
    st.info("No period in the selected range.")
    st.stop()
with controls[3]:
    focus = url_choice("Focus period", "fc_period", choices, last_complete or choices[-1], notes=notes)
show_notes(notes)

inputs = helper(forecast.forecast_inputs, filters)
totals = metric("forecast_variance", filters, dim="total", grain=grain, as_of_week=as_of_week)
if not inputs["targets"] and not inputs["forecasts"]:
    st.info("No targets or forecast calls are loaded for this period. Upload a targets file "
            "(period, region/segment/owner/product, quota) and the weekly forecast calls (period, "
            "…, commit, best case, submitted at) on the Data page. Actual bookings are shown alone.")
elif not inputs["forecasts"]:
    st.info("No forecast calls are loaded for this period: variance and accuracy need them. "
            "Upload the weekly commit / best-case calls on the Data page.")
elif not inputs["targets"]:
    st.info("No targets are loaded for this period: attainment needs them. Upload quotas on the Data page.")
if dim != "total" and dim not in inputs["dimensions"] and (inputs["targets"] or inputs["forecasts"]):
    say("info", f"The targets and forecasts carry no {DIMENSION_LABELS[dim].lower()}: only actuals can be "
                f"shown by {DIMENSION_LABELS[dim].lower()}.")

# ---- the focus period ----
focus_row = totals[totals["period"] == focus]
tiles = st.columns(5)
if not focus_row.empty:
    r = focus_row.iloc[0]
    column_tile(tiles[0], "actual", r["actual"], label=f"{metrics.column_label('actual')} {focus}",
                help=f"{int(r['deals_won']):,} deals won")
    column_tile(tiles[1], "forecast", r["forecast"])
    metric_tile(tiles[2], "forecast_variance", r["variance"], label=metrics.column_label("variance"),
                delta=None if missing(r["variance_pct"]) else tile_value(r["variance_pct"], "percent"))
    column_tile(tiles[3], "target", r["target"])
    metric_tile(tiles[4], "attainment", r["attainment"])

# ---- period by period ----
st.subheader("Target, forecast and actual by period")
fig = go.Figure()
fig.add_trace(go.Bar(x=totals["period"], y=totals["actual"], name="Actual", marker_color=PRIMARY))
fig.add_trace(go.Scatter(x=totals["period"], y=totals["target"], name="Target", mode="lines+markers",
                         line={"color": "#333", "dash": "dash"}))
fig.add_trace(go.Scatter(x=totals["period"], y=totals["forecast"], name="Forecast (commit)",
                         mode="lines+markers", line={"color": "#ff7f0e"}))
fig.add_trace(go.Scatter(x=totals["period"], y=totals["best_case"], name="Best case", mode="lines",
                         line={"color": "#ff7f0e", "dash": "dot"}))
fig.update_layout(legend={"orientation": "h"}, yaxis_title="reporting currency")
chart(fig, "fc_periods", title="By period")
download_buttons(totals, "forecast-by-period", key="fc_periods_dl")

# ---- variance by the chosen dimension ----
st.subheader(f"Variance by {DIMENSION_LABELS[dim].lower()}, {focus}")
variance = metric("forecast_variance", filters, dim=dim, grain=grain, as_of_week=as_of_week)
variance = variance[variance["period"] == focus].drop(columns=["period", "period_start"])


def _colour(value):
    if missing(value):
        return ""
    return f"color: {GREEN if value >= 0 else RED}"


styled = variance.style.map(_colour, subset=["variance", "variance_pct"]).map(
    lambda v: "" if missing(v) else f"color: {GREEN if v >= 1 else RED}", subset=["attainment"]
).format({"target": "{:,.0f}", "forecast": "{:,.0f}", "best_case": "{:,.0f}", "actual": "{:,.0f}",
          "variance": "{:+,.0f}", "variance_pct": "{:+.1%}", "attainment": "{:.1%}"}, na_rep="—")
table(styled, dim=dim, formats=False)   # the Styler's signed formats and colours
download_buttons(variance, f"variance-by-{dim}-{focus}", key="fc_var_dl")

with_forecast = variance[variance["forecast"].notna()]
if not with_forecast.empty:   # the members' calls add up to the total call, the first bar
    waterfall([metrics.column_label("forecast")] + with_forecast["member"].tolist() + [metrics.column_label("actual")],
              [focus_row["forecast"].iloc[0]] + with_forecast["variance"].tolist() + [0],
              ["absolute"] + ["relative"] * len(with_forecast) + ["total"], "fc_waterfall",
              f"Forecast → actual, {focus}, by {DIMENSION_LABELS[dim].lower()}")

# ---- accuracy and bias league ----
st.subheader("Who calls it right: accuracy and bias")
st.caption("Over the periods of the range with a call. Bias = Σ(forecast − actual) ÷ Σ actual: "
           "positive over-calls (optimism), negative sandbags. MAPE leaves out periods with no "
           "actual (counted); WAPE weighs by actual.")
left, right = st.columns(2)
for column, who in ((left, "owner"), (right, "region")):
    league = metric("forecast_accuracy", filters, dim=who, grain=grain, as_of_week=as_of_week)
    with column:
        for verdict, verb in (("over-calls", "Over-calling"), ("sandbags", "Sandbagging")):
            named = league[league["verdict"] == verdict]
            if not named.empty:
                say("warning", f"{verb} ({who}s, bias beyond ±10%): " + ", ".join(
                    f"{r.member} {r.bias:+.0%}" for r in named.itertuples()) + ".")
        table(league, dim=who)
        download_buttons(league, f"forecast-accuracy-by-{who}", key=f"fc_acc_{who}_dl")

# ---- bookings bridge ----
st.subheader("Bookings bridge")
compare = url_choice("Compare with", "fc_compare", ["previous", "last_year"], "previous", widget=st.radio,
                     notes=notes, horizontal=True,
                     format_func=lambda c: "The period before" if c == "previous" else "The same period last year")
before = periods.previous(focus, same_period_last_year=compare == "last_year")
bridge_dim = dim if dim != "total" else "segment"
steps = metric("bookings_bridge", filters, dim=bridge_dim, p0=before, p1=focus)
members = steps.attrs["members"]
bridge_label = DIMENSION_LABELS[bridge_dim].lower()
if members.empty:
    st.info(f"No deal was won in {before} or {focus}: the bridge has nothing to split.")
waterfall(steps["step"], steps["amount"], steps["measure"], "fc_bridge",
          f"Bookings {before} → {focus}: deal count, mix ({bridge_label}) and deal size")
st.caption("Deal count: more or fewer deals at the old average. Mix: the deals moved between "
           f"{bridge_label}s with different average sizes. Deal size: each {bridge_label}'s average deal changed.")
left, right = st.columns(2)
with left:
    table(steps.drop(columns=["measure"]))
    download_buttons(steps, f"bridge-{before}-{focus}", key="fc_bridge_dl")
with right:
    table(members, dim=bridge_dim)
    download_buttons(members, f"bridge-members-{before}-{focus}", key="fc_bridge_members_dl")
