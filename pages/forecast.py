"""Forecast vs actual: did we do what we said? Variance, attainment, accuracy, bias, the bridge."""
import plotly.graph_objects as go
import streamlit as st

from intel import forecast, metrics, periods
from intel.filters import period_text, scope_line, scope_text
from intel.metrics import DIMENSION_LABELS
from pages._components import landing
from pages._components.charts import PRIMARY, chart, waterfall
from pages._components.data import db_path, helper, metric
from pages._components.links import PAGES
from pages._components.urlstate import global_filters, show_notes, url_choice
from pages._components.widgets import (column_tile, download_buttons, metric_tile, missing, plain,
                                       say, table, tile_value)

GREEN, RED = "#2ca02c", "#d62728"   # variance colours in the table
IN_PROGRESS = "#9ecae1"               # the bar of the period still running: lighter, hatched
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
    landing.section(filters)   # the period in progress does not depend on the range
    st.stop()
running, data_day = helper(forecast.in_progress, grain) or (None, None)
with controls[3]:
    focus = url_choice("Focus period", "fc_period", choices, last_complete or choices[-1], notes=notes,
                       format_func=lambda p: f"{p} (in progress)" if p == running else p)
show_notes(notes)
live = focus == running            # the focus period is still running: its actual is so far
called = "the final call of each period" if as_of_week is None else f"the call standing at the end of week {week}"
scope = scope_text(filters)

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
when = f"{focus}, in progress to {data_day:%Y-%m-%d}" if live else focus
st.caption(plain(scope_line(filters, db_path(), period=when) + f" · forecast: {called}"))
tiles = st.columns(5)
if not focus_row.empty:
    r = focus_row.iloc[0]
    column_tile(tiles[0], "actual", r["actual"], label=f"{metrics.column_label('actual')} {focus}",
                help=f"{int(r['deals_won']):,} deals won with a close date in {focus}"
                     + (f", so far (to {data_day:%Y-%m-%d})" if live else ""))
    column_tile(tiles[1], "forecast", r["forecast"], help=f"The commit call for {focus}: {called}.")
    metric_tile(tiles[2], "forecast_variance", r["variance"], label=metrics.column_label("variance"),
                delta=None if missing(r["variance_pct"]) else tile_value(r["variance_pct"], "percent"),
                note=f"Here: {focus}" + (", bookings so far against the whole period's call." if live else "."))
    column_tile(tiles[3], "target", r["target"], help=f"The quota for {focus}, {scope}.")
    metric_tile(tiles[4], "attainment", r["attainment"],
                note=f"Here: {focus}" + (", bookings so far against the whole period's target." if live else "."))

# ---- period by period ----
st.subheader("Target, forecast and actual by period")
span = f"{choices[0]} to {choices[-1]}" if len(choices) > 1 else choices[0]
st.caption(plain(f"{scope} · each {grain} from {span} (those holding a day {period_text(filters)}); "
                 f"forecast: {called}."
                 + (f" {running} is in progress: its bar (hatched) is the bookings to {data_day:%Y-%m-%d}, "
                    "the ticks where the target's pace would have it by now." if running in choices else "")))
drawn = totals[["target", "forecast", "actual"]].fillna(0).abs().sum().sum() > 0
pace = metric("pacing", filters, dim="total", grain=grain) if running in choices else None
pace_row = pace.iloc[0] if pace is not None and not pace.empty else None
if not drawn:
    say("info", f"Nothing to draw from {span}: no deal was won ({scope}) and no target or forecast call is "
                "loaded. Deals won come with an opportunities export; targets and calls with a targets file "
                "(Data page).")
else:
    fig = go.Figure()
    fig.add_trace(go.Bar(x=totals["period"], y=totals["actual"], name="Actual",
                         marker={"color": [IN_PROGRESS if p == running else PRIMARY for p in totals["period"]],
                                 "pattern": {"shape": ["/" if p == running else "" for p in totals["period"]]}}))
    fig.add_trace(go.Scatter(x=totals["period"], y=totals["target"], name="Target", mode="lines+markers",
                             line={"color": "#333", "dash": "dash"}))
    fig.add_trace(go.Scatter(x=totals["period"], y=totals["forecast"], name="Forecast (commit)",
                             mode="lines+markers", line={"color": "#ff7f0e"}))
    fig.add_trace(go.Scatter(x=totals["period"], y=totals["best_case"], name="Best case", mode="lines",
                             line={"color": "#ff7f0e", "dash": "dot"}))
    if pace_row is not None and not missing(pace_row["target"]):
        for column, name, colour in (("linear_pace", "Linear pace to date", "#333"),
                                     ("historical_pace", "Historical pace to date", "#7b3294")):
            if not missing(pace_row[column]):
                fig.add_trace(go.Scatter(x=[running], y=[pace_row[column]], name=name, mode="markers",
                                         marker={"symbol": "line-ew", "size": 34,
                                                 "line": {"width": 3, "color": colour}}))
    if running in choices:
        fig.add_annotation(x=running, y=1, yref="paper", yanchor="bottom", showarrow=False,
                           text=f"in progress to {data_day:%Y-%m-%d}", font={"size": 11, "color": "#555"})
    # the legend below the axis labels, in the figure's own space (on a phone it wraps to a list)
    fig.update_layout(legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom"},
                      yaxis_title="reporting currency")
    chart(fig, "fc_periods", title=f"{grain.capitalize()}s {span}")
    download_buttons(totals, f"forecast-by-{grain}-{span}", key="fc_periods_dl")

# ---- pacing of the period in progress ----
if running in choices:
    st.subheader(f"Pacing of {running} (in progress)")
    if pace_row is None or missing(pace_row["target"]):
        say("info", f"{running} has no target loaded ({scope}), so its bookings so far have no pace to be "
                    "measured against: upload quotas on the Data page.")
    else:
        st.caption(plain(f"{scope} · day {int(pace_row['elapsed_days'])} of {int(pace_row['period_days'])} of "
                         f"{running}, to {data_day:%Y-%m-%d}. Linear pace: the target spread evenly over the "
                         f"{grain}'s days. Historical pace: the target × the share of their bookings the "
                         f"{forecast.HISTORY_PERIODS} {grain}s before had won by the same day "
                         f"({tile_value(pace_row['historical_share'], 'percent')} on average)."))
        cells = st.columns(4)
        column_tile(cells[0], "actual_to_date", pace_row["actual_to_date"],
                    help=f"{int(pace_row['deals_won']):,} deals won with a close date from the start of {running} "
                         f"to {data_day:%Y-%m-%d}")
        for cell, pace_name in ((cells[1], "linear"), (cells[2], "historical")):
            ratio = pace_row[f"to_{pace_name}_pace"]
            column_tile(cell, f"{pace_name}_pace", pace_row[f"{pace_name}_pace"],
                        delta=None if missing(ratio) else f"{ratio - 1:+.0%}",
                        help=None if missing(ratio) else
                        f"Bookings so far are {tile_value(ratio, 'percent')} of it")
        column_tile(cells[3], "target", pace_row["target"], label=f"Target {running}")
        st.markdown(plain(forecast.pacing_sentence(pace_row) + "."))
        if dim != "total":
            by_member = metric("pacing", filters, dim=dim, grain=grain)
            table(by_member, dim=dim, column_order=("member", "target", "actual_to_date", "linear_pace",
                                                     "to_linear_pace", "historical_pace", "to_historical_pace"))
            download_buttons(by_member, f"pacing-by-{dim}-{running}", key="fc_pace_dl")

# ---- the landing of the period in progress: where it will land, the maths, what-if ----
landing.section(filters)

# ---- variance by the chosen dimension ----
st.subheader(f"Variance by {DIMENSION_LABELS[dim].lower()}, {focus}")
st.caption(plain(f"{scope} · {focus}" + (f", in progress to {data_day:%Y-%m-%d} (bookings so far)" if live else "")
                 + f"; forecast: {called}."))
variance = metric("forecast_variance", filters, dim=dim, grain=grain, as_of_week=as_of_week)
variance = variance[variance["period"] == focus].drop(columns=["period", "period_start"])


def _colour(value):
    if missing(value):
        return ""
    return f"color: {GREEN if value >= 0 else RED}"


styled = variance.style.map(_colour, subset=["variance", "variance_pct"]).map(
    lambda v: "" if missing(v) else f"color: {GREEN if v >= 1 else RED}", subset=["attainment"]
).format({"target": "{:,.0f}", "forecast": "{:,.0f}", "best_case": "{:,.0f}", "actual": "{:,.0f}",
          "variance": "{:+,.0f}", "variance_pct": "{:+.1%}", "attainment": "{:.1%}", "bias": "{:+.1%}",
          "deals_won": "{:,.0f}", "forecast_submitted_at": lambda d: f"{d:%Y-%m-%d}"}, na_rep="—")
if variance.empty:
    say("info", f"Nothing to compare for {focus}: no deal was won, and no target or call is loaded ({scope}).")
else:
    table(styled, dim=dim, formats=False,   # the Styler's signed formats and colours
          column_order=[c for c in ("member", "forecast", "actual", "variance", "variance_pct", "target", "attainment",
                                    "bias", "best_case", "deals_won", "forecast_submitted_at") if c in variance])
    download_buttons(variance, f"variance-by-{dim}-{focus}", key="fc_var_dl")

with_forecast = variance[variance["forecast"].notna()]
if not with_forecast.empty:   # the members' calls add up to the total call, the first bar
    waterfall([metrics.column_label("forecast")] + with_forecast["member"].tolist() + [metrics.column_label("actual")],
              [focus_row["forecast"].iloc[0]] + with_forecast["variance"].tolist() + [0],
              ["absolute"] + ["relative"] * len(with_forecast) + ["total"], "fc_waterfall",
              f"Forecast → actual, {focus}, by {DIMENSION_LABELS[dim].lower()}")
elif not variance.empty:
    say("info", f"The forecast → actual waterfall needs a forecast call for {focus} ({scope}): upload the "
                "weekly commit calls on the Data page.")

# ---- accuracy and bias league ----
st.subheader("Who calls it right: accuracy and bias")
with_call = totals[totals["forecast"].notna()]["period"].tolist()
with_call = [p for p in with_call if p != running]   # the league scores finished periods only
if not with_call:
    say("info", f"No forecast call is loaded for {span} ({scope}): the league fills with the weekly commit "
                "calls (Data page).")
else:
    over = (f"over the {len(with_call)} finished {grain}s of the range with a call, {with_call[0]} to "
            f"{with_call[-1]}" if len(with_call) > 1
            else f"over {with_call[0]}, the one finished {grain} of the range with a call")
    st.caption(plain(f"{scope} · {over}"
                     + (f" ({running}, in progress, is left out: its call would stand against part of its "
                        "bookings)" if running else "")
                     + f"; forecast: {called}. Bias = Σ(forecast − actual) ÷ Σ actual: positive over-calls "
                     "(optimism), negative sandbags. WAPE = Σ|forecast − actual| ÷ Σ actual. The downloads add "
                     "the sums and MAPE (periods with no actual left out and counted)."))
    left, right = st.columns(2)
    for column, who in ((left, "owner"), (right, "region")):
        league = metric("forecast_accuracy", filters, dim=who, grain=grain, as_of_week=as_of_week)
        with column:
            for verdict, verb in (("over-calls", "Over-calling"), ("sandbags", "Sandbagging")):
                named = league[league["verdict"] == verdict]
                if not named.empty:
                    say("warning", f"{verb} ({who}s, bias beyond ±10%): " + ", ".join(
                        f"{r.member} {r.bias:+.0%}" for r in named.itertuples()) + ".")
            table(league, dim=who, column_order=("member", "bias", "wape", "verdict", "periods"))
            download_buttons(league, f"forecast-accuracy-by-{who}-{span}", key=f"fc_acc_{who}_dl")

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
st.caption(plain(f"{scope} · deals won in {before} against {focus}"
                 + (f" (in progress: to {data_day:%Y-%m-%d})" if live else "") + f", by {bridge_label}."))
if members.empty:
    say("info", f"No deal was won in {before} or {focus} ({scope}): the bridge fills with the deals won in "
                "the two periods (an opportunities export with close dates).")
else:
    waterfall(steps["step"], steps["amount"], steps["measure"], "fc_bridge",
              f"Bookings {before} → {focus}: deal count, mix ({bridge_label}) and deal size")
    left, right = st.columns(2)
    with left:
        table(steps[["step", "amount", "deals"]].assign(deals=lambda t: t["deals"].astype("Float64")))
        download_buttons(steps, f"bridge-{before}-{focus}", key="fc_bridge_dl")
    with right:
        st.caption("Deal count: more or fewer deals at the old average. Mix: the deals moved between "
                   f"{bridge_label}s with different average sizes. Deal size: each {bridge_label}'s average deal "
                   "changed. Deals: deals won in each period, and the change between them.")

    table(members, dim=bridge_dim, labels={   # headings that name the periods; formats from the catalogue
        "deals_0": f"Deals {before}", "bookings_0": f"Bookings {before}", "avg_0": f"Average deal {before}",
        "deals_1": f"Deals {focus}", "bookings_1": f"Bookings {focus}", "avg_1": f"Average deal {focus}",
        "mix_effect": "Mix effect", "size_effect": "Deal size effect"},
        column_order=("member", "bookings_0", "bookings_1", "mix_effect", "size_effect", "deals_0", "deals_1",
                      "avg_0", "avg_1"))
    download_buttons(members, f"bridge-members-{before}-{focus}", key="fc_bridge_members_dl")
