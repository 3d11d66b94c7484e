"""Pipeline: what is in it, how fast it turns into bookings, whether it covers the target, what moved."""
import datetime as dt

import plotly.graph_objects as go
import streamlit as st

from intel import metrics, pipeline
from intel.filters import data_date, period_text, scope_text
from intel.metrics import DIMENSION_LABELS, column_format, format_value
from intel.pipeline import MOVEMENT_LABELS, MOVEMENT_ORDER, velocity_missing, velocity_sum_note, window_text
from pages._components.charts import GREY, PRIMARY, chart, waterfall
from pages._components.data import helper, metric
from pages._components.links import PAGES
from pages._components.urlstate import global_filters, show_notes, url_choice
from pages._components.widgets import (column_tile, download_buttons, missing, money, pct, plain, say, table,
                                       tile_value)

VELOCITY = metrics.get("velocity")
filters, notes = global_filters()

st.title("Pipeline")
st.caption("Open deals from the uploaded snapshots: velocity, stage conversion, coverage of the "
           "target and what moved between two uploads. Each figure names the snapshot or the window it "
           "is read over: most follow the snapshot, not the filter bar's period.")
SCOPE = scope_text(filters)
day = helper(data_date)
st.caption(plain(f"{SCOPE} · data as of {day:%Y-%m-%d}" if day else SCOPE))

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
# "closed 2026-05-17 to 2026-11-16, the trailing two quarters to the 2026-11-16 snapshot"
TRAILING = window_text(as_of, pipeline.WINDOW_QUARTERS)
st.caption(plain(f"At the {as_of} snapshot · {SCOPE}: open qualified deals are those open then; win rate, "
                 f"average won deal and sales cycle are over the deals {TRAILING} (velocity's window, "
                 "METRICS.md), whatever the filter bar's period."))
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
    # the win rate Win-loss shows for the filter bar's period, to say why the two differ
    ranged = metric("win_rate", filters, dim="total", grain="all")
    ranged_rate = ranged["win_rate"].iloc[0] if not ranged.empty else None
    ranged_deals = "closed at any date" if filters.all_time else period_text(filters)
    differs = (f"differs from the Win-loss page's win rate ({pct(ranged_rate)}), which covers the deals "
               f"{ranged_deals}." if not missing(ranged_rate)
               else "differs from the Win-loss page's win rate, which covers the filter bar's period.")
    column_tile(tiles[1], "open_qualified", v["open_qualified"],
                help=plain(f"Open at the {as_of} snapshot, past the first stage · {SCOPE}."))
    column_tile(tiles[2], "win_rate", v["win_rate"],
                help=plain(f"Won ÷ (won + lost) over the deals {TRAILING} · {SCOPE}. Velocity reads its factors "
                           f"over a trailing window (METRICS.md), so this {differs}"))
    column_tile(tiles[3], "avg_won_deal", v["avg_won_deal"], help=plain(f"Deals won, {TRAILING} · {SCOPE}."))
    column_tile(tiles[4], "cycle_days", v["cycle_days"], help=plain(f"Median days from created to close date of "
                                                                    f"the deals won, {TRAILING} · {SCOPE}."))
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
    chart(fig, "pl_velocity_factors", title=f"What moved velocity {pct(row['change_pct'])}")
    st.caption(plain(f"From the {row['snapshot_0']} snapshot to {row['snapshot_1']} · {SCOPE}, each factor over "
                     "the same trailing window to its own snapshot: before → after, and its "
                     "effect on velocity per day (log decomposition: Δln v = Δln deals + Δln win rate + Δln deal "
                     "size − Δln cycle; the effects add up to the change). "
                     + "; ".join(f"{name}: {move}" for name, move in zip(factors.values(), moves)) + "."))
detail = metric("velocity", filters, dim=dim, snapshot=as_of)
st.caption(plain(f"Velocity by {DIMENSION_LABELS[dim].lower()} at the {as_of} snapshot · {SCOPE}; win rate, "
                 f"average won deal and cycle over the deals {TRAILING}."))
if detail["velocity"].notna().any():   # none known: the sentence above says what is missing
    table(detail, dim=dim, column_order=["member", "velocity", "open_qualified", "win_rate", "avg_won_deal",
                                         "cycle_days", "won", "closed"])
    note = velocity_sum_note(detail, now, dim)
    if note:
        st.caption(plain(note))
download_buttons(detail, f"velocity-by-{dim}", key="pl_velocity_dl")

# ---- stages ----
st.subheader("Stages")
left, right = st.columns(2)
stages = metric("pipeline_by_stage", filters, snapshot=as_of)
conversion = metric("stage_conversion", filters)
with left:
    st.caption(plain(f"Open deals at the {as_of} snapshot · {SCOPE}: amount per stage (deals)."))
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
    entered = ("entered at any date" if filters.all_time
               else f"entered {filters.date_from:%Y-%m-%d} to {filters.date_to:%Y-%m-%d}")
    origin = "the imported stage history" if source == "stage history" else "successive snapshots (to the week)"
    st.caption(plain(f"Stages {entered} (the filter bar's period) · {SCOPE}: conversion and median days in "
                     f"stage, from {origin}."))
    if conversion.empty:
        st.info(f"No deal entered an open stage between {filters.date_from} and {filters.date_to}: stage "
                "conversion needs a stage history (Salesforce OpportunityHistory) or successive snapshots.")
    else:   # the key figure beside the stage: a half-width table shows four columns
        table(conversion.drop(columns=["source"]).rename(columns={"median_days_in_stage": "median_days"}),
              column_order=["stage", "conversion", "entered", "moved_on", "median_days"])
    download_buttons(conversion, "stage-conversion", key="pl_conv_dl")

# ---- coverage ----
st.subheader("Coverage of the remaining target")
cov = metric("coverage", filters, grain=grain, snapshot=as_of)
needed = cov["coverage_needed"].dropna()
st.caption(plain(f"Open pipeline at the {as_of} snapshot closing in each {grain} · {SCOPE}, against the target "
                 "left (target − won to date). Coverage = pipeline ÷ target left"
                 + (f"; needed: {format_value(needed.iloc[0], 'ratio')} = 1 ÷ the win rate of the deals {TRAILING}."
                    if not needed.empty else ".")))
no_target = cov[cov["target"].isna()]["period"].tolist()
met = cov[cov["target"].notna() & cov["coverage"].isna()]["period"].tolist()
if (cov["pipeline"] == 0).all() and cov["target"].isna().all():
    st.info(f"No open deal at {as_of} closes in these {grain}s and no target is loaded for them: coverage needs "
            "open deals with a close date (an opportunities export) and targets (quotas, on the Data page).")
else:
    # the pipeline of every period, so no period is an empty slot; its coverage written on it where a
    # target exists, "no target" (grey) where none is loaded, "target met" where nothing remains
    words = [format_value(c, "ratio") if not missing(c) else ("no target" if missing(t) else "target met")
             for c, t in zip(cov["coverage"], cov["target"])]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=cov["period"], y=cov["pipeline"], name="Open pipeline", text=words,
                         textposition="outside", cliponaxis=False, textfont={"color": "#31333f"},
                         marker_color=[GREY if missing(t) else PRIMARY for t in cov["target"]],
                         hovertemplate="%{x}: pipeline %{y:,.0f}, coverage %{text}<extra></extra>"))
    fig.add_trace(go.Scatter(x=cov["period"], y=cov["remaining"], name="Target left", mode="markers",
                             marker={"symbol": "line-ew-open", "size": 36, "line": {"width": 3, "color": "#d62728"}},
                             hovertemplate="%{x}: target left %{y:,.0f}<extra></extra>"))
    fig.update_yaxes(tickformat="~s", rangemode="tozero")
    fig.update_xaxes(type="category")
    fig.update_layout(legend={"orientation": "h"})
    chart(fig, "pl_coverage", title=f"Open pipeline and target left, by {grain}")
    st.caption("Bars: the open pipeline closing in each period, labelled with its coverage (grey: no target "
               "loaded); red mark: the target left.")
    if no_target:
        said = "these periods" if len(no_target) == len(cov) else ", ".join(no_target)
        say("info", f"No target is loaded for {said}: the pipeline is drawn, marked “no target”, without a "
            "coverage (upload quotas on the Data page).")
    if met:
        say("info", f"The target of {', '.join(met)} is already met: nothing remains to cover.")
    if needed.empty:
        say("info", f"No deal was won among the deals {TRAILING}: the coverage needed (1 ÷ win rate) is unknown.")
    table(cov, column_order=["period", "coverage", "coverage_needed", "pipeline", "remaining", "target",
                             "actual_to_date", "open_deals", "weighted_pipeline"])
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
    st.caption(plain(f"Open deals closing in {period} at the {s0} snapshot (start) and at {s1} (end) · {SCOPE}."))
    picked = waterfall([MOVEMENT_LABELS[c] for c in steps["category"]], (steps["amount"] * steps["sign"]).tolist(),
                       ["absolute"] + ["relative"] * 7 + ["total"], "pl_movement",
                       f"Pipeline of {period}, {s0} → {s1}", select=True)
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
    table(deals, column_order=["name", "category", "change", "amount_0", "amount_1", "close_0", "close_1",
                               "stage_0", "stage_1", "owner", "account", "region", "segment", "product", "id"])
    download_buttons(deals, f"movement-deals-{period}", key="pl_move_deals_dl")

# ---- deals to look at ----
st.subheader("Slipped, overdue and stale deals")
watch = metric("deal_watchlist", filters, snapshot=as_of, limit=2000)
st.caption(plain(f"Open at the {as_of} snapshot · {SCOPE}: slipped = close date moved to a later month (pushes), "
                 "overdue = close date passed (days overdue), stale = unchanged for 4 snapshots or more. Most "
                 "pushed first, then most overdue, then largest."))
if watch.empty:
    st.info(f"No open deal at {as_of} slipped, is overdue or went stale"
            + (" (one snapshot is loaded: slips and staleness need more)." if len(held) < 2 else "."))
else:   # what the list is sorted by, beside the deal's name
    table(watch, column_order=["name", "pushes", "days_overdue", "amount", "close_date", "first_close", "stage",
                               "owner", "account", "unchanged_snapshots", "last_change", "region", "segment",
                               "slipped", "overdue", "stale", "id"])
download_buttons(watch, f"watchlist-{as_of}", key="pl_watch_dl")
