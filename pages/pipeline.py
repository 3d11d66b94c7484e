"""Pipeline: what is in it, how fast it turns into bookings, whether it covers the target, what moved."""
import datetime as dt

import plotly.graph_objects as go
import streamlit as st

from intel import metrics, pipeline
from intel.metrics import DIMENSION_LABELS, column_format
from intel.pipeline import MOVEMENT_LABELS, MOVEMENT_ORDER, velocity_missing
from pages._components.charts import PRIMARY, chart, waterfall
from pages._components.data import helper, metric
from pages._components.links import PAGES
from pages._components.urlstate import global_filters, show_notes, url_choice
from pages._components.widgets import (column_tile, download_buttons, missing, money, pct, plain, say, table,
                                       tile_value)

VELOCITY = metrics.get("velocity")
filters, notes = global_filters()

st.title("Pipeline")
st.caption("Open deals from the uploaded snapshots: velocity, stage conversion, coverage of the "
           "target and what moved between two uploads. " + plain(filters.describe()) + ".")

held = helper(pipeline.snapshots)
if not held:
    show_notes(notes)
    st.info("No opportunities export is loaded. Upload one on the Data page: each upload is a "
            "snapshot of the pipeline, and a second one a week later shows what moved.")
    st.stop()

snapshot_labels = [d.isoformat() for d in held]
controls = st.columns(3)
with controls[0]:
    as_of = url_choice("Snapshot", "pl_snap", snapshot_labels, snapshot_labels[-1], notes=notes,
                       help="The upload whose open deals are shown (by its as-of date).")
with controls[1]:
    dim = url_choice("Velocity by", PAGES["pipeline"].breakdown, list(VELOCITY.dimensions), VELOCITY.default_dim, notes=notes,
                     format_func=DIMENSION_LABELS.get)
with controls[2]:
    grain = url_choice("Coverage period", PAGES["pipeline"].grain, list(metrics.get("coverage").grains), "quarter",
                       widget=st.radio, horizontal=True, notes=notes, format_func=str.capitalize)
show_notes(notes)

# ---- velocity ----
st.subheader("Velocity")
total = metric("velocity_change", filters, dim="total", s1=as_of)
row = total.iloc[0] if not total.empty else None
if row is not None and (missing(row["change_pct"]) or row["snapshot_0"] == row["snapshot_1"]):
    row = None   # nothing to compare: one snapshot, or a factor missing at either
now = metric("velocity", filters, dim="total", snapshot=as_of)
if not now.empty:
    v = now.iloc[0]
    tiles = st.columns(5)
    column_tile(tiles[0], "velocity", v["velocity"], help=VELOCITY.description,
                delta=pct(row["change_pct"]) if row is not None else None)
    column_tile(tiles[1], "open_qualified", v["open_qualified"], help="Open, past the first stage")
    column_tile(tiles[2], "win_rate", v["win_rate"], help="Deals closed in the last two quarters")
    column_tile(tiles[3], "avg_won_deal", v["avg_won_deal"], help="Deals won in the last two quarters")
    column_tile(tiles[4], "cycle_days", v["cycle_days"], help="Median days from created to close date of the "
                                                              "deals won in the last two quarters")
    gap = velocity_missing(v, dt.date.fromisoformat(as_of))
    if gap:
        say("info", gap)
else:
    st.info(f"No open deal at {as_of} and no deal closed in the two quarters before it: velocity needs them.")
if row is not None:
    factors = {"open_qualified": "Open qualified deals", "win_rate": "Win rate",
               "avg_won_deal": "Average won deal", "cycle_days": "Sales cycle"}
    effects = [row[f"effect_{f}"] for f in factors]
    moves = [f"{tile_value(row[f'{f}_0'], column_format(f))} → {tile_value(row[f'{f}_1'], column_format(f))}"
             for f in factors]
    fig = go.Figure(go.Bar(x=effects, y=list(factors.values()), orientation="h", customdata=moves,
                           marker_color=["#2ca02c" if e >= 0 else "#d62728" for e in effects],
                           hovertemplate="%{y}: %{customdata}, %{x:+,.0f}/day<extra></extra>"))
    fig.update_xaxes(tickformat="+,.0f", title="Effect on velocity, per day")
    fig.update_layout(height=240)
    chart(fig, "pl_velocity_factors",
          title=f"What moved velocity {pct(row['change_pct'])} from {row['snapshot_0']} to {row['snapshot_1']}")
    st.caption("Each factor before → after, and its effect on velocity per day (log decomposition: "
               "Δln v = Δln deals + Δln win rate + Δln deal size − Δln cycle; the effects add up to the "
               "change). " + "; ".join(f"{name}: {move}" for name, move in zip(factors.values(), moves)) + ".")
detail = metric("velocity", filters, dim=dim, snapshot=as_of)
table(detail, dim=dim)
download_buttons(detail, f"velocity-by-{dim}", key="pl_velocity_dl")

# ---- stages ----
st.subheader("Stages")
left, right = st.columns(2)
stages = metric("pipeline_by_stage", filters, snapshot=as_of)
conversion = metric("stage_conversion", filters)
with left:
    if stages.empty:
        st.info(f"No open deal in this scope at {as_of}: the export holds closed deals only.")
    else:
        fig = go.Figure(go.Funnel(y=stages["stage"], x=stages["amount"], customdata=stages[["deals"]],
                                  texttemplate="%{value:,.0f} (%{customdata[0]} deals)",
                                  marker={"color": PRIMARY}))
        chart(fig, "pl_funnel", title=f"Open pipeline by stage, {as_of}")
    download_buttons(stages, f"pipeline-by-stage-{as_of}", key="pl_stages_dl")
with right:
    source = conversion["source"].iloc[0] if not conversion.empty else "snapshots"
    if conversion.empty:
        st.info(f"No deal entered an open stage between {filters.date_from} and {filters.date_to}: stage "
                "conversion needs a stage history (Salesforce OpportunityHistory) or successive snapshots.")
    st.caption(f"Conversion and time in stage from {'the imported stage history' if source == 'stage history' else 'successive snapshots (to the week)'}.")
    table(conversion.drop(columns=["source"]))
    download_buttons(conversion, "stage-conversion", key="pl_conv_dl")

# ---- coverage ----
st.subheader("Coverage of the remaining target")
cov = metric("coverage", filters, grain=grain, snapshot=as_of)
fig = go.Figure()
fig.add_trace(go.Bar(x=cov["period"], y=cov["coverage"], name="Coverage", marker_color=PRIMARY,
                     hovertemplate="%{x}: %{y:.1f}×<extra></extra>"))
fig.add_trace(go.Scatter(x=cov["period"], y=cov["coverage_needed"], name="Coverage needed (1 ÷ win rate)",
                         mode="lines+markers", line={"color": "#d62728", "dash": "dash"}))
fig.update_yaxes(ticksuffix="×")
fig.update_layout(legend={"orientation": "h"})
chart(fig, "pl_coverage", title="Pipeline ÷ (target − actual to date)")
if cov["target"].isna().all():
    st.info("No targets are loaded for these periods: coverage needs them (upload quotas on the Data page).")
elif cov["coverage"].isna().any():   # a period drawn without a bar says why
    without = cov[cov["coverage"].isna()]
    no_target = without[without["target"].isna()]["period"].tolist()
    met = without[without["target"].notna()]["period"].tolist()
    say("info", " ".join(part for part in (
        f"No bar for {', '.join(no_target)}: no target is loaded for {'it' if len(no_target) == 1 else 'them'} "
        "(upload quotas on the Data page)." if no_target else "",
        f"No bar for {', '.join(met)}: the target is already met, nothing remains to cover." if met else "")
        if part))
if cov["coverage_needed"].isna().all():
    st.info(f"No deal was won in the two quarters before {as_of}: the coverage needed (1 ÷ win rate) is unknown.")
table(cov)
download_buttons(cov, f"coverage-{grain}", key="pl_cov_dl")

# ---- movement ----
st.subheader("What moved")
if len(held) < 2:
    st.info("Only one snapshot is loaded: upload the next export (a week later, say) to see what "
            "moved — won, lost, pushed out, grew, shrank, new, pulled in.")
else:
    periods = helper(pipeline.current_period, grain)
    cols = st.columns(3)
    with cols[0]:
        s0 = url_choice("From snapshot", "pl_s0", snapshot_labels[:-1], snapshot_labels[-2], notes=notes)
    with cols[1]:
        later = [s for s in snapshot_labels if s > s0]
        s1 = url_choice("To snapshot", "pl_s1", later, later[-1], notes=notes)
    with cols[2]:
        period = st.text_input("Target period", value=st.query_params.get("pl_period", periods),
                               key="pl_period_text", help="2026-Q4 for a quarter, 2026-11 for a month")
    try:
        moved = metric("pipeline_movement", filters, period=period.strip(), s0=s0, s1=s1)
    except ValueError as err:
        st.error(plain(str(err)))
        st.stop()
    st.query_params["pl_period"] = period.strip()
    steps = moved[moved["category"].isin(MOVEMENT_ORDER)]
    picked = waterfall([MOVEMENT_LABELS[c] for c in steps["category"]], (steps["amount"] * steps["sign"]).tolist(),
                       ["absolute"] + ["relative"] * 7 + ["total"], "pl_movement",
                       f"Pipeline of {period} from {s0} to {s1}", select=True)
    apart = moved[moved["category"] == "created_and_closed"].iloc[0]
    st.caption(f"Created and closed between the snapshots (not in either pipeline): "
               f"{int(apart['deals'])} deals, {money(apart['amount'])}.")
    download_buttons(moved.drop(columns=["sign"]), f"movement-{period}-{s0}-{s1}", key="pl_move_dl")
    labels = {v: k for k, v in MOVEMENT_LABELS.items()}
    chosen = labels.get(picked[0].get("x")) if picked else None
    category = st.selectbox("Deals behind", ["all"] + [c for c in MOVEMENT_LABELS if c not in ("start", "end")],
                            index=0 if chosen is None else ["all"] + [c for c in MOVEMENT_LABELS
                                                                      if c not in ("start", "end")].index(chosen)
                            if chosen not in ("start", "end") else 0,
                            format_func=lambda c: "Every deal" if c == "all" else MOVEMENT_LABELS[c],
                            key="pl_move_category")
    deals = metric("pipeline_movement_deals", filters, period=period.strip(), s0=s0, s1=s1,
                   category=None if category == "all" else category, limit=2000)
    table(deals)
    download_buttons(deals, f"movement-deals-{period}", key="pl_move_deals_dl")

# ---- deals to look at ----
st.subheader("Slipped, overdue and stale deals")
watch = metric("deal_watchlist", filters, snapshot=as_of, limit=2000)
st.caption(f"Open at {as_of}: slipped = close date moved to a later month (pushes), overdue = close "
           "date passed, stale = unchanged for 4 snapshots or more. Most pushed first.")
if watch.empty:
    st.info(f"No open deal at {as_of} slipped, is overdue or went stale"
            + (" (one snapshot is loaded: slips and staleness need more)." if len(held) < 2 else "."))
table(watch)
download_buttons(watch, f"watchlist-{as_of}", key="pl_watch_dl")
