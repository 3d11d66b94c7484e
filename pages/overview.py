"""Overview (landing page): the period's KPIs against the period before, open alerts, what moved."""
import streamlit as st

from intel import alerts, forecast, metrics, periods, pipeline
from intel.filters import period_text, scope_line, scope_text
from intel.holdings import loaded_summary
from intel.pipeline import MOVEMENT_LABELS, velocity_missing
from pages._components import landing
from pages._components.alerts import evaluate_alerts
from pages._components.data import db_path, helper, metric
from pages._components.links import with_links
from pages._components.urlstate import global_filters, show_notes, url_choice
from pages._components.widgets import (column_tile, markdown_link, metric_tile, missing, page_link, plain, say,
                                       table, tile_value)

DB = db_path()
st.title("Overview")
st.caption("Strategic sales intelligence: plan → monitor → review → correct course.")

summary = helper(loaded_summary)   # kept per data version (0.15 s a run at 1M deals)
held = summary[summary["rows"] > 0]
if held.empty:
    st.info("No data is loaded yet. Upload CRM exports or load the demo data on the Data page.")
    page_link(st, "pages/data.py", "Go to the Data page", ":material/upload_file:")
    st.stop()


def moved_by(now, before, relative: bool = True) -> str | None:
    """A tile's delta: how far the figure moved since the period before (intel.metrics.change);
    relative=False: a money figure's change."""
    delta = metrics.change(now, before, relative)
    if delta is None:
        return None
    if not relative:   # a change of money: signed, with its currency, as short as the tile ("-$8.77M")
        return metrics.format_value(delta, "money", signed=True, compact=True)
    return f"{delta:+.1%}" if abs(delta) < 0.01 else f"{delta:+.0%}"


filters, notes = global_filters()
quarters, last_complete = helper(forecast.period_options, filters, "quarter")
running, data_day = helper(forecast.in_progress, "quarter") or (None, None)


def quarter_name(quarter: str) -> str:
    return f"{quarter} (in progress)" if quarter == running else quarter


if quarters:
    focus = url_choice("Quarter", "ov_period", quarters, last_complete or quarters[-1], notes=notes,
                       format_func=quarter_name)
    show_notes(notes)
    live = focus == running   # the quarter is still running: its figures are so far, not final
    before = periods.previous(focus)
    wider = filters.with_(date_from=min(filters.date_from, periods.parse(before)[0]))
    totals = metric("forecast_variance", wider, dim="total", grain="quarter").set_index("period")
    trend = metric("win_rate", wider, dim="total", grain="quarter").set_index("period")
    now_row = totals.loc[focus] if focus in totals.index else None
    prev_row = totals.loc[before] if before in totals.index else None
    snapshot = helper(pipeline.snapshots)[-1] if helper(pipeline.snapshots) else None
    velocity = metric("velocity_change", filters, dim="total") if snapshot else None
    v = velocity.iloc[0] if velocity is not None and not velocity.empty else None
    compared = v is not None and v["snapshot_0"] != v["snapshot_1"]

    # which quarter, whose deals and how fresh, for every tile of the row
    when = f"{focus}, in progress to {data_day:%Y-%m-%d}" if live else focus
    st.caption(plain(scope_line(filters, DB, period=when) + f". Arrows: against {before}"
                     + (" (bookings: by the same day of that quarter)" if live else "") + "."
                     + (f" Velocity: at the snapshot of {v['snapshot_1']}"
                        + (f" against {v['snapshot_0']}." if compared else ".") if v is not None else "")))

    def earlier(column):
        return None if prev_row is None else prev_row[column]

    def wape(quarter):
        """The quarter's forecast error from the catalogue: forecast accuracy over that quarter alone."""
        first, last, _ = periods.bounds(quarter)
        one = metric("forecast_accuracy", filters.with_(date_from=first, date_to=last), dim="total", grain="quarter")
        return None if one.empty else one["wape"].iloc[0]

    pace = metric("pacing", filters, dim="total", pace_period=focus) if live else None
    pace = pace.iloc[0] if pace is not None and not pace.empty else None
    if live and pace is not None:   # the quarter before, by the same day of its own: a fair comparison
        same_day = metric("pacing", filters, dim="total", pace_period=before,
                          as_of=periods.parse(before)[0] + (data_day - periods.parse(focus)[0]))
        prev_row = None if same_day.empty else same_day.iloc[0].rename({"actual_to_date": "actual"})
    tiles = st.columns(6)
    if now_row is not None:
        so_far = f" so far (to {data_day:%Y-%m-%d})" if live else ""
        metric_tile(tiles[0], "bookings", now_row["actual"], label=f"{metrics.get('bookings').label} {focus}",
                    delta=moved_by(now_row["actual"], earlier("actual")),
                    note=f"Here: {int(now_row['deals_won']):,} deals won with a close date in {focus}{so_far}. "
                         f"Attainment {tile_value(now_row['attainment'], 'percent')} of target "
                         f"{tile_value(now_row['target'], 'money')}.")
        metric_tile(tiles[1], "attainment", now_row["attainment"], label=f"Attainment {focus}",
                    delta=None if live else moved_by(now_row["attainment"], earlier("attainment")),
                    note=f"Bookings{so_far} against the whole quarter's target." if live else None)
        if live:
            metric_tile(tiles[2], "pacing", None if pace is None else pace["to_linear_pace"],
                        label=f"{metrics.get('pacing').label} {focus}", note=None if pace is None else
                        forecast.pacing_sentence(pace) + ". Linear pace: the target spread evenly over the "
                        "quarter's days; historical pace: the share the four quarters before had booked by "
                        "the same day.")
        else:
            wape_now, wape_before = wape(focus), wape(before)
            column_tile(tiles[2], "wape", wape_now, label=f"Forecast error {focus}",
                        delta=moved_by(wape_now, wape_before), delta_color="inverse",
                        help=f"WAPE: |forecast − actual| ÷ actual for {focus} (the forecast accuracy's WAPE over "
                             "that quarter alone; the Forecast page's league is over every quarter of the range).")
    # where the quarter in progress will land, whichever quarter the row is about
    landing.overview_tile(tiles[5], filters, focus)
    # what a tile cannot show, and why, in sentences under the tiles
    gaps = []
    if now_row is None:
        gaps.append(f"No deal was won in {focus} and no target or forecast call covers it.")
    elif missing(now_row["target"]) or missing(now_row["forecast"]):
        gaps.append(f"No {'target' if missing(now_row['target']) else 'forecast call'}"
                    f"{' or forecast call' if missing(now_row['target']) and missing(now_row['forecast']) else ''}"
                    f" is loaded for {focus}: attainment needs a target and forecast error a forecast call "
                    "(upload them on the Data page).")
    w = trend.loc[focus]["win_rate"] if focus in trend.index else None
    # the same definition over the other pages' windows, so the three win rates read as one
    ranged = metric("win_rate", filters, dim="total")
    others = [f"Win-loss shows {tile_value(ranged['win_rate'].iloc[0], 'percent')} over the deals "
              f"{period_text(filters)}" if not ranged.empty else ""]
    if v is not None:
        since, until = periods.trailing_window(v["snapshot_1"], pipeline.WINDOW_QUARTERS)
        rate = metric("velocity", filters, dim="total", snapshot=v["snapshot_1"])
        if not rate.empty:
            others.append(f"Pipeline's velocity uses {tile_value(rate['win_rate'].iloc[0], 'percent')} over the "
                          f"deals closed in the {pipeline.WINDOW_QUARTERS} quarters to the snapshot "
                          f"({since:%Y-%m-%d} to {until:%Y-%m-%d})")
    relation = (f"Here: the deals closed in {focus}{' so far' if live else ''}"
                + (f" ({int(trend.loc[focus]['closed']):,})" if focus in trend.index else "")
                + ". The same rate over other windows: " + "; ".join(o for o in others if o) + ".")
    if not missing(w):
        wb = trend.loc[before]["win_rate"] if before in trend.index else None
        metric_tile(tiles[3], "win_rate", w, label=f"Win rate {focus}", delta=moved_by(w, wb), note=relation)
    else:
        metric_tile(tiles[3], "win_rate", None, label=f"Win rate {focus}", note=relation)
        gaps.append(f"No deal closed in {focus}, so it has no win rate.")
    if v is not None:
        column_tile(tiles[4], "velocity", v["velocity_1"],
                    delta=None if missing(v["change_pct"]) or not compared else f"{v['change_pct']:+.0%}",
                    help=(f"At the snapshot of {v['snapshot_1']} against {v['snapshot_0']}" if compared
                          else f"At the snapshot of {v['snapshot_1']}")
                    + f": open qualified deals × win rate × average won deal ÷ sales cycle, each over the "
                      f"{pipeline.WINDOW_QUARTERS} quarters to the snapshot; not tied to {focus}.")
        if missing(v["velocity_1"]):
            now_v = metric("velocity", filters, dim="total", snapshot=v["snapshot_1"])
            gaps.append(velocity_missing(now_v.iloc[0], v["snapshot_1"]) if not now_v.empty else
                        "Velocity cannot be computed: no open deal and no deal closed in the last two quarters.")
        elif compared and missing(v["change_pct"]):
            gaps.append(f"Velocity at {v['snapshot_1']} cannot be compared with {v['snapshot_0']}: open qualified "
                        "deals, win rate, average won deal or sales cycle is zero or unknown at one of them.")
    elif velocity is not None:
        column_tile(tiles[4], "velocity", None)
        gaps.append("Velocity cannot be computed: no open deal and no deal closed in the last two quarters.")
    if live and pace is not None and not missing(pace["target"]):
        st.markdown(f"**{plain(focus)} so far.** " + plain(forecast.pacing_sentence(pace) + "."))
    elif live:
        gaps.append(f"{focus} is in progress and has no target loaded, so it has no pace to compare with "
                    "(upload targets on the Data page).")
    for gap in gaps:
        say("info", gap)
    if st.button("Prepare the QBR pack (HTML and PDF)", key="ov_pack"):
        from intel import report

        with st.status(f"Writing the QBR pack for {focus}…") as status:
            bar = st.progress(0.0, text="Interactive HTML…")

            def heard(part: str, start: float):   # each section as the builder starts it (the replay week by week)
                return lambda fraction, text: bar.progress(min(start + fraction / 2, 1.0), text=f"{part}: {text}")

            html_pack = report.qbr_pack(focus, filters, DB, progress=heard("HTML", 0.0))
            pdf_pack = report.qbr_pack_pdf(focus, filters, DB, progress=heard("PDF", 0.5))
            st.session_state["ov_pack_files"] = (focus, html_pack, pdf_pack)
            bar.progress(1.0, text="Done")
            status.update(label="QBR pack ready", state="complete")
    if st.session_state.get("ov_pack_files", (None,))[0] == focus:
        _, html_pack, pdf_pack = st.session_state["ov_pack_files"]
        left, right = st.columns(2)
        left.download_button("Download the QBR pack (HTML, interactive)", html_pack.encode("utf-8"),
                             f"qbr-{focus}.html", "text/html", key="ov_pack_dl")
        right.download_button("Download the QBR pack (PDF)", pdf_pack, f"qbr-{focus}.pdf", "application/pdf",
                              key="ov_pack_pdf")
    links = st.columns(4)
    # a shared link opens this page alone: links to the others are left out
    page_link(links[0], "pages/forecast.py", "Forecast vs actual", ":material/query_stats:")
    page_link(links[1], "pages/win-loss.py", "Win-loss", ":material/trophy:")
    page_link(links[2], "pages/pipeline.py", "Pipeline", ":material/filter_alt:")
    page_link(links[3], "pages/alerts.py", "Alerts", ":material/notifications:")

# ---- alerts ----
evaluate_alerts()
# the scope's own alerts first; company-wide ones touching it after, said so; the rest counted
own, touching, elsewhere = alerts.for_scope(filters, filters, DB)
st.subheader(f"Open alerts ({len(own) + len(touching)})")
if own.empty and touching.empty:
    st.success("No rule fires on the current data" + (" for this scope." if elsewhere == 0 else "."))
rules = {r.id: r for r in alerts.list_rules(DB)}
shown = 0
for group, note in ((own, None), (touching, "company-wide")):
    for row in group.to_dict("records"):
        if shown == 8:
            break
        shown += 1
        rule = rules[row["rule_id"]]
        text = with_links(alerts.prompt(row, rule))
        st.markdown(plain(alerts.headline(row, rule) + (f" ({note})" if note else "")))
        st.caption(plain(text["summary"]) + " " + " · ".join(markdown_link(k, v) for k, v in text["links"].items()))
more = len(own) + len(touching) - shown
if more or elsewhere:
    st.caption(" ".join(part for part in (
        f"… and {more} more." if more else "",
        f"{elsewhere} about other regions, segments or owners." if elsewhere else "") if part)
        + " All are on the Alerts page.")

# ---- what moved since the last upload ----
st.subheader("What moved since the last upload")
held_snapshots = helper(pipeline.snapshots)
if len(held_snapshots) < 2:
    st.info("One snapshot is loaded: the next upload shows what moved.")
else:
    current = helper(pipeline.current_period, "quarter")
    moved = metric("pipeline_movement", filters, period=current)
    s0, s1 = moved.attrs.get("s0", held_snapshots[-2]), moved.attrs.get("s1", held_snapshots[-1])
    moved = moved.set_index("category")
    st.caption(plain(f"The pipeline of {current} (open deals closing in it) at the snapshot of {s1:%Y-%m-%d} "
                     f"against the one before, {s0:%Y-%m-%d} · {scope_text(filters)}"))
    cols = st.columns(5)
    column_tile(cols[0], "pipeline", moved.loc["end", "amount"], label=f"{metrics.column_label('pipeline')} {current}",
                delta=moved_by(moved.loc["end", "amount"], moved.loc["start", "amount"], relative=False),
                help=f"Open pipeline closing in {current}: {tile_value(moved.loc['end', 'amount'], 'money')} at "
                     f"{s1:%Y-%m-%d} against {tile_value(moved.loc['start', 'amount'], 'money')} at {s0:%Y-%m-%d}")
    for column, category in zip(cols[1:], ("won", "lost", "pushed_out", "new")):
        column_tile(column, "amount", moved.loc[category, "amount"], label=MOVEMENT_LABELS[category],
                    help=f"{int(moved.loc[category, 'deals'])} deals of {current}'s pipeline, "
                         f"{s0:%Y-%m-%d} → {s1:%Y-%m-%d}")

# ---- what is loaded ----
with st.expander("What is loaded"):
    opps = summary.set_index("kind").loc["opportunities"]
    st.markdown(f"{int(opps['rows']):,} deals (latest snapshot of each) from {int(opps['snapshots'] or 0)} "
                "snapshots.")
    loaded = held.assign(covers=[f"{a:%Y-%m-%d} to {b:%Y-%m-%d}" if not missing(a) else "—"
                                 for a, b in zip(held["first_date"], held["last_date"])])
    table(loaded[["label", "rows", "covers", "last_import"]],
          labels={"label": "Data", "covers": "Dates covered"})   # the others as the catalogue heads them

