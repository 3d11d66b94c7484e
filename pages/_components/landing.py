"""The landing (intel.landing) on the pages: its cached projection and track record, the tiles,
the distribution chart, "See the maths", the what-if (war game) and the track record. The Forecast
page draws the whole section; the Overview draws one tile from the catalogue's `landing` metric."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from intel import landing, metrics, periods, scenarios
from intel.filters import data_date, scope_line, scope_text
from intel.landing import Shock
from intel.views import View
from intel.models import currency_prefix
from pages._components.auth import actor
from pages._components.charts import PRIMARY, chart
from pages._components.data import data_version, db_path, helper
from pages._components.links import view_url
from pages._components.urlstate import url_choice
from pages._components.widgets import download_buttons, kpi_tile, missing, plain, say, table, tile_value

GREY, TARGET, COMMIT, WHATIF = "#9e9e9e", "#d62728", "#ff7f0e", "#2ca02c"
BAND = "rgba(31, 119, 180, 0.18)"
BINS = 50
NAMED_DEALS = 500   # the deals a what-if may name as lost or won: the top movers
ANCHOR = "landing"   # the section's anchor: the Overview's tile links to /forecast#landing


# ---- the projection and the track record, cached by data version and scope ----

Landed = landing.Outline | landing.Landing   # what the tiles, the sentence and the chart read


def _projector(path: str, version: str) -> landing.Projector:
    """The process's projector for the store (intel.landing.shared_projector): the deals' states of
    each day are read once for every session, the plain landing, its what-ifs, the saved scenarios
    and the alert rules; `version` only keys the callers' caches."""
    return landing.shared_projector(path)


def _project(path: str, version: str, filters, period: str, shocks: tuple) -> landing.Landing:
    # the shared projector remembers its projections: no copy per rerun (a landing of a million
    # open deals takes half a second to unpickle from st.cache_data)
    as_of = data_date(path)
    return _projector(path, version).project(filters, period, as_of, None, landing.SEED, shocks)


@st.cache_data(show_spinner=False, max_entries=16)
def _moved(path: str, version: str, filters, period: str):
    """(the snapshot day before, the inputs that moved the expected landing since, the deals that
    moved it most), or None without an earlier snapshot in the period."""
    now = _project(path, version, filters, period, ())
    before_day = landing.previous_as_of(now, path)
    if before_day is None:
        return None
    before = _projector(path, version).project(filters, period, before_day, None, landing.SEED)
    parts, deals = landing.what_moved(before, now, db=path)
    return before_day, parts, deals


def scoped(filters, period: str):
    """The filters as the landing reads them: its scope (region, segment, owner, product) over the
    period itself; the filter bar's close-date range does not move a projection."""
    first, last, _ = periods.bounds(period)
    return filters.with_(date_from=first, date_to=last)


@st.cache_data(show_spinner=False, max_entries=32)
def _outline(path: str, version: str, filters, period: str) -> landing.Outline:
    return landing.outline(filters, period, data_date(path), db=path)


def outline(filters, period: str) -> landing.Outline:
    """The landing's figures without its open deals (intel.landing.outline: the same projection as
    `projection`, kept in the store), for what the section shows before the maths or the what-if
    are opened: a freshly started server reads them back instead of simulating a million deals."""
    return _outline(db_path(), data_version(), scoped(filters, period), period)


def with_deals(filters, period: str) -> landing.Landing:
    """The projection with its open deals, for the maths and the what-if: read when one is opened,
    with a status meanwhile (on a freshly started server, a million deals take seconds)."""
    with st.spinner("Reading the open deals and their chances…"):
        return projection(filters, period)


def projection(filters, period: str, shocks: tuple[Shock, ...] = ()) -> landing.Landing:
    """intel.landing's projection of `period` at the data date in the filters' scope (10,000 runs,
    fewer past a hundred thousand open deals, as the Overview's tile; the fixed seed), cached until
    the data changes."""
    return _project(db_path(), data_version(), scoped(filters, period), period, tuple(shocks))


def track_record(filters, grain: str) -> landing.Backtest:
    """intel.landing's track record for the scope (kept once per data version for every session
    and the QBR pack), with a progress bar the first time."""
    kept = landing.kept_record(filters, grain, db_path())
    if kept is not None:
        return kept
    slot = st.empty()
    with slot.status(f"Replaying the landing week by week over the last {landing.BACKTEST_PERIODS} finished "
                     f"{grain}s (a few seconds, once per upload)…", expanded=True):
        bar = st.progress(0.0)
        result = landing.track_record(filters, grain, db_path(),
                                      progress=lambda done, text: bar.progress(min(max(done, 0.0), 1.0), text=text))
    slot.empty()
    return result


def periods_in_progress() -> list[str]:
    """The quarter and the month holding the data date (none before any upload)."""
    try:
        quarter, day = helper(landing.default_period, "quarter")
    except ValueError:
        return []
    return [quarter, periods.label(day, "month")]


# ---- text ----

def money(value) -> str:
    return tile_value(value, "money")


def pct(value) -> str:
    return tile_value(value, "percent")


def window(result: Landed, filters) -> str:
    """Whose landing, which period and how far in, how fresh: for every tile's help."""
    return helper(scope_line, scoped(filters, result.period), period=f"{result.period}, day {result.day} of {result.days}")


def shocks_in_words(shocks, result: landing.Landing) -> str:
    names = dict(zip(result.deals["id"], result.deals["name"].fillna(result.deals["id"])))
    return scenarios.describe(tuple(shocks), names)


def _is_empty(result: Landed) -> bool:
    return not result.open_deals and not result.won_to_date and not result.new_rate


# ---- the tiles and the chart ----

def _tile(column, label: str, value, fmt: str, help: str, note: str | None = None) -> None:
    """A landing tile: the catalogue's format, a neutral note under the figure (a range, the target),
    user text in the help shown literally."""
    column.metric(label, tile_value(value, fmt), delta=plain(note) if note else None, delta_color="off",
                  delta_arrow="off", help=plain(help))


def tiles(result: Landed, filters) -> None:
    where = window(result, filters)
    runs = f"{len(result.sims):,}"
    top = st.columns(4)
    _tile(top[0], "Landing P50", result.p50, "money",
          f"The median landing of {result.period}: half of the {runs} simulated outcomes land above it, half "
          f"below. P10–P90: 8 in 10 land between {money(result.p10)} and {money(result.p90)}. {where}.",
          note=f"P10–P90 {money(result.p10)} to {money(result.p90)}")
    if result.target is None:
        _tile(top[1], "Chance of target", None, "percent",
              f"No target is loaded for {result.period} ({scope_text(filters)}): upload quotas (a targets file) on "
              f"the Data page. {where}.", note="no target loaded")
    else:
        _tile(top[1], "Chance of target", result.chance_of_target, "percent",
              f"The share of the {runs} simulated outcomes that reach the target of {money(result.target)}. "
              f"{where}.", note=f"of {money(result.target)}")
    _tile(top[2], "Expected landing", result.mean, "money",
          "Won to date + Σ over the open deals of amount × amount ratio × chance to close won in the period "
          "+ the new deals the periods before created and won after the same day: the mean of the "
          f"distribution, computed exactly. {where}.")
    _tile(top[3], metrics.column_label("won_to_date"), result.won_to_date, "money",
          f"Deals won with a close date from the first day of {result.period} to {result.as_of:%Y-%m-%d}. {where}.")
    bottom = st.columns(4)
    week = max(1, min(-(-result.day // 7), 13))   # the call's week as intel.landing reads it
    _tile(bottom[0], metrics.column_label("commit"), result.commit, "money",
          (f"The commit call standing in week {week} of {result.period} (the latest submitted by "
           f"{result.as_of:%Y-%m-%d}): the reps' own number, a baseline. {where}."
           if result.commit is not None else
           f"No commit call is loaded for {result.period}: upload the weekly forecast calls on the Data page. "
           f"{where}."))
    _tile(bottom[1], metrics.column_label("best_case"), result.best_case, "money",
          (f"The best-case call standing in week {week} of {result.period}. {where}."
           if result.best_case is not None else f"No best-case call is loaded for {result.period}. {where}."))
    _tile(bottom[2], "Stage-weighted pipeline", result.weighted_pipeline, "money",
          (f"Won to date + Σ amount × the CRM's stage probability of the open deals expected to close in "
           f"{result.period}: the usual weighted forecast, a baseline. {where}."
           if result.weighted_pipeline is not None else
           "Needs a pipeline snapshot within a week of the as-of day, with stage probabilities: upload the "
           f"CRM's pipeline export on the Data page. {where}."))
    _tile(bottom[3], metrics.column_label("target"), result.target, "money",
          (f"The quota for {result.period}, {scope_text(filters)}. {where}." if result.target is not None else
           f"No target is loaded for {result.period}: upload quotas on the Data page. {where}."))


def sentence(result: Landed) -> str:
    said = (f"{result.period} lands between {money(result.p10)} and {money(result.p90)} 8 times in 10, "
            f"{money(result.p50)} at the median, with {money(result.won_to_date)} already won")
    if result.target is None:
        return said + ". No target is loaded, so there is no chance of reaching it to give."
    said += f"; a {pct(result.chance_of_target)} chance of reaching the {money(result.target)} target"
    gap = result.gap_to_target()
    if gap:
        said += f" (the median falls {money(gap)} short of it)"
    return said + "."


def _bars(values: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    counts, _ = np.histogram(values, bins=edges)
    return (edges[:-1] + edges[1:]) / 2, counts / max(len(values), 1)


def _marker(fig, x, top, name, colour, dash="solid", width=2, legend=True) -> None:
    fig.add_trace(go.Scatter(x=[x, x], y=[0, top], mode="lines", name=name, showlegend=legend,
                             line={"color": colour, "dash": dash, "width": width},
                             hovertemplate=f"{name}<extra></extra>"))


def distribution(result: Landed, key: str, whatif: Landed | None = None,
                 title: str | None = None) -> None:
    """The simulated landings as a histogram (share of runs per bin), P10–P90 shaded, the P50, the target
    and the commit call marked and named in the legend; with `whatif`, both distributions."""
    from pages._components.page import on_phone

    pools = [result.sims] + ([whatif.sims] if whatif is not None else [])
    edges = np.histogram_bin_edges(np.concatenate(pools), bins=BINS)
    width = float(edges[1] - edges[0]) if len(edges) > 1 else 1.0
    # with a what-if, the band and the P10/P50/P90 lines are the what-if's. On a phone the P10 and P90 are
    # named on the plot only, and with a what-if the legend drops the values (the tiles above give them):
    # a legend of one entry a row would leave the plot no height
    wide = not on_phone()
    terse = whatif is not None and not wide

    def named(name: str, value) -> str:
        return name if terse or value is None else f"{name} {money(value)}"

    fig = go.Figure()
    shown = [(result, ("Without" if terse else "Without the what-if") if whatif is not None else "Simulated landings",
              GREY if whatif is not None else PRIMARY)]
    if whatif is not None:
        shown.append((whatif, "With the what-if", WHATIF))
    top = 0.0
    for one, name, colour in shown:
        centres, shares = _bars(one.sims, edges)
        top = max(top, float(shares.max()) if len(shares) else 0.0)
        fig.add_trace(go.Bar(x=centres, y=shares, width=width, name=name, marker={"color": colour},
                             opacity=0.55 if whatif is not None else 0.8,
                             hovertemplate="%{x:$,.3s}: %{y:.1%} of runs<extra>" + name + "</extra>"))
    top = top * 1.08 or 1.0
    focus = whatif if whatif is not None else result
    fig.add_shape(type="rect", x0=focus.p10, x1=focus.p90, y0=0, y1=top, xref="x", yref="y", fillcolor=BAND,
                  line_width=0, layer="below")
    _marker(fig, focus.p10, top, named("P10", focus.p10), "#555", "dot", 1.5, legend=wide)
    if whatif is not None:
        _marker(fig, result.p50, top, named("P50 without", result.p50), GREY, "solid", 2)
    _marker(fig, focus.p50, top, named("P50", focus.p50), "#222", "solid", 2.5)
    _marker(fig, focus.p90, top, named("P90", focus.p90), "#555", "dot", 1.5, legend=wide)
    if result.target is not None:
        _marker(fig, result.target, top, named("Target", result.target), TARGET, "dash", 2.5)
    if result.commit is not None:
        _marker(fig, result.commit, top, named("Commit call", result.commit), COMMIT, "dashdot", 2.5)
    # the short names above the bars, where the lines end: P10 / P50 / P90 on one row, the target and
    # the commit call a row each above it (they often sit near the P50 or the P10)
    for x, text, row in ((focus.p10, "P10", 0), (focus.p50, "P50", 0), (focus.p90, "P90", 0),
                         (result.target, "Target", 1), (result.commit, "Commit", 2)):
        if x is not None:
            fig.add_annotation(x=x, y=top, yref="y", yanchor="bottom", yshift=13 * row, showarrow=False,
                               text=text, font={"size": 10 if on_phone() else 11, "color": "#333"})
    prefix = currency_prefix()
    fig.update_layout(barmode="overlay", bargap=0, height=None if on_phone() else 380,
                      legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom"},
                      yaxis={"title": "share of runs", "tickformat": ".0%", "range": [0, top * 1.45]},
                      xaxis={"title": "landing", "tickprefix": prefix, "tickformat": "~s"})
    chart(fig, key, title=title)


# ---- the section ----

def section(filters) -> None:
    """The Landing section of the Forecast page for the period in progress, in the filters' scope: tiles,
    distribution, the maths, the what-if and the track record (replayed when opened: it takes seconds)."""
    st.subheader("Landing: where the period will land", anchor=ANCHOR)
    choices = periods_in_progress()
    if not choices:
        say("info", "The landing needs deals: upload an opportunities export (a pipeline snapshot, with stages "
                    "and expected close dates) on the Data page, and the closed deals of the periods before.")
        return
    quarter, month = choices

    def named(p):
        return f"{p} (this quarter)" if p == quarter else f"{p} (this month)"

    left, _ = st.columns([1, 2])
    with left:
        period = url_choice("Landing of", "fc_landing", choices, quarter, format_func=named)
    result = outline(filters, period)
    grain = periods.parse(period)[1]
    st.caption(plain(f"Where {period} will land, from the deals open on day {result.day} of {result.days} and the "
                     f"{landing.HISTORY_PERIODS} {grain}s before: {len(result.sims):,} simulated outcomes, each open "
                     "deal won or not at the chance deals like it had at the same day. "
                     + window(result, filters) + "."))
    if _is_empty(result):
        say("info", f"No deal is open or won in {period} ({scope_text(filters)}): upload an opportunities export (a "
                    "pipeline snapshot) on the Data page, or widen the filters.")
        return
    tiles(result, filters)
    st.markdown(plain(sentence(result)))
    if result.source != "snapshot":
        for note in result.notes:
            say("info", note)
    distribution(result, "lp_distribution", title=f"Landing {period}: {len(result.sims):,} simulated outcomes")
    maths(filters, period)
    war_game(filters, period)
    track_record_section(filters, grain)


def moved(result: landing.Landing, filters) -> None:
    """What moved the expected landing since the snapshot before: the parts, and the deals."""
    found = _moved(db_path(), data_version(), scoped(filters, result.period), result.period)
    if found is None:
        st.caption("No earlier snapshot in this period to compare with: what moved the landing shows from the "
                   "second weekly export on.")
        return
    before_day, parts, deals = found
    change = parts["change"].sum()
    st.markdown(f"**What moved it since the {before_day:%Y-%m-%d} snapshot**: the expected landing moved "
                f"{metrics.format_value(change, 'money', signed=True, compact=True)}")
    table(parts, labels={"input": "Part"}, column_order=("input", "change", "after", "before"), height="content")
    if not deals.empty:
        st.caption("The deals whose expected contribution moved most (a deal won counts at its won amount, so "
                   "its change is what winning it added; a lost one loses its expected amount).")
        table(deals, labels={"name": "Deal", "change": "Change"}, height="content",
              column_order=("name", "change", "what_happened", "expected_after", "expected_before"))


def maths(filters, period: str) -> None:
    # computed when opened: what moved it reads a second projection (the snapshot before), and the
    # tables of a million open deals are seconds a reader who does not open it should not wait for
    box = st.expander("See the maths", key="lp_maths", on_change="rerun")
    if not box.open:
        return
    with box:
        result = with_deals(filters, period)
        moved(result, filters)
        st.markdown("**What the expected landing is made of**")
        table(result.inputs(), labels={"input": "Part", "deals": "Deals", "expected": "Expected",
                                       "chance": "Average chance", "share": "Share of the expected"},
              column_order=("input", "deals", "amount", "chance", "expected", "share"), height="content")
        st.caption(plain(f"Open deals by timing (expected close in the period, overdue or later) and stage: their "
                         "amount, average chance and expected contribution (amount × amount ratio × chance). New "
                         f"deals: {result.new_rate:.1f} a {periods.parse(result.period)[1]} on average were created "
                         f"after day {result.day} and won inside it in the periods before, averaging "
                         f"{money(result.new_mean)}."))
        st.markdown(plain(result.model.describe() + " Each deal's chance comes from the deals that were in the "
                          "same timing, stage and days-in-stage band then, refined by segment and region where "
                          "the sample allows, shrunk towards the broader rate where it is small (empirical Bayes)."))
        top = result.top_deals()
        st.markdown(f"**The {len(top)} deals that move the landing most**")
        st.caption("Share of the spread: each deal's part of the landing's variance (amount² × chance × "
                   "(1 − chance)). A big deal at an even chance decides more than many small sure ones.")
        table(top, labels={"name": "Deal"}, height="content",
              column_order=("name", "amount", "chance", "spread_share", "stage", "expected_close", "owner"))
        # why each has its chance, as sentences: a grid cuts them off
        st.markdown("\n".join(f"{n}. **{plain(_deal_name(row))}**: {plain(row['why'])}"
                              for n, row in enumerate(top.to_dict("records"), start=1)))
        download_buttons(top[["id", "name", "account", "owner", "region", "segment", "stage", "amount", "chance",
                              "slip_chance", "expected_close", "pushes", "spread_share", "why"]],
                         f"landing-top-deals-{result.period}", key="lp_top_dl", labels={"name": "Deal"},
                         period=result.period)
        st.markdown("**Limitations**")
        notes = list(result.notes) or [
            f"None noted: the open deals come from the pipeline snapshot of {result.snapshot_date:%Y-%m-%d}."
            if result.snapshot_date is not None else "None noted."]
        st.markdown("\n".join(f"- {plain(n)}" for n in notes))


# ---- what-if: the war game ----

def _who_options(result: landing.Landing) -> list[tuple]:
    options = [(None, None)]
    for dim in ("segment", "region"):
        options += [(dim, m) for m in sorted(result.deals[dim].dropna().unique())]
    return options


def _who(option: tuple) -> str:
    dim, member = option
    return "All open deals" if dim is None else f"{dim.capitalize()}: {member}"


def _deal_name(row) -> str:
    return str(row["id"]) if missing(row["name"]) else str(row["name"])


def _deal_label(result: landing.Landing):
    rows = result.deals.set_index("id")

    def label(deal_id: str) -> str:
        row = rows.loc[deal_id]
        name = row["name"] if not missing(row["name"]) else deal_id
        return f"{name} · {money(row['amount'])} · {pct(row['chance'])}"
    return label


def shocks_from_form(values: dict) -> tuple[Shock, ...]:
    """The what-if the form describes, each move that changes something, in a fixed order."""
    shocks = []
    dim, member = values["wr_who"]
    if values["wr_points"]:
        shocks.append(Shock("win_rate", float(values["wr_points"]), dim, member))
    dim, member = values["slip_who"]
    if values["slip_weeks"]:
        shocks.append(Shock("slip", float(values["slip_weeks"]), dim, member))
    dim, member = values["cycle_who"]
    if values["cycle_pct"]:
        shocks.append(Shock("cycle", float(values["cycle_pct"]), dim, member))
    if values["lose"]:
        shocks.append(Shock("lose", deals=tuple(values["lose"])))
    if values["win"]:
        shocks.append(Shock("win", deals=tuple(values["win"])))
    return tuple(shocks)


def shared() -> bool:
    from intel.access import SHARED_VIEWER

    return actor() == SHARED_VIEWER


@st.fragment
def war_game(filters, period: str) -> None:
    """The what-if form (not on a shared link), the comparison with the plain landing, saving (managers)
    and the saved scenarios of the period. A fragment: playing a what-if reruns this part alone."""
    # run when opened (each saved scenario is a projection of its own); open stays open (its key)
    box = st.expander("Saved scenarios" if shared() else "What-if (war game) and saved scenarios",
                      key="lp_war_game", on_change="rerun")
    if not box.open:
        return
    with box:
        result = with_deals(filters, period)
        if not shared():
            _form(result, filters, period)
        _saved(result, filters, period)


def _form(result: landing.Landing, filters, period: str) -> None:
    st.caption("Play a move and see where the period would land: a competitor's price cut (a segment's win "
               "rate down), deals slipping, a region's longer cycle, named deals lost or won. Same simulated "
               "draws as the landing above, so the difference is the what-if's alone.")
    who = _who_options(result)
    # top movers first, at most NAMED_DEALS of them: a list of every open deal of a large pipeline
    # would stall the browser, and the deals worth naming are those that move the landing
    movers = result.deals.sort_values("spread_share", ascending=False)["id"].head(NAMED_DEALS).tolist()
    label = _deal_label(result)
    with st.form("lp_whatif_form"):
        one, two, three = st.columns(3)
        with one:
            wr_who = st.selectbox("Whose win rate moves", who, format_func=_who, key="lp_wr_who")
            wr_points = st.slider("By (points)", -30, 30, 0, key="lp_wr_points",
                                  help="Points added to each of those deals' chance (−5: a 30% chance becomes 25%).")
        with two:
            slip_who = st.selectbox("Which deals slip", who, format_func=_who, key="lp_slip_who")
            slip_weeks = st.number_input("By (weeks)", 0, 26, 0, key="lp_slip_weeks",
                                         help="Expected close dates move later; a deal pushed past the period's "
                                              "end takes the chance of deals expected later.")
        with three:
            cycle_who = st.selectbox("Whose sales cycle lengthens", who, format_func=_who, key="lp_cycle_who")
            cycle_pct = st.slider("By (%)", 0, 100, 0, step=5, key="lp_cycle_pct",
                                  help="The time left to each deal's expected close grows by this share.")
        offered = (f"the {len(movers):,} deals that move the landing most, of {len(result.deals):,} open"
                   if len(movers) < len(result.deals) else "those that move the landing most come first")
        lose = st.multiselect("Deals lost", movers, format_func=label, key="lp_lose",
                              placeholder=f"Pick deals ({offered})")
        win = st.multiselect("Deals won", movers, format_func=label, key="lp_win",
                             placeholder=f"Pick deals ({offered})")
        played = st.form_submit_button("Play the what-if", type="primary", key="lp_play")
    if played:
        both = set(lose) & set(win)
        shocks = shocks_from_form({"wr_who": wr_who, "wr_points": wr_points, "slip_who": slip_who,
                                   "slip_weeks": slip_weeks, "cycle_who": cycle_who, "cycle_pct": cycle_pct,
                                   "lose": [d for d in lose if d not in both], "win": [d for d in win if d not in both]})
        if both:
            say("warning", f"{len(both)} deal(s) picked as both lost and won are left out of the what-if.")
        if not shocks:
            st.session_state.pop("lp_whatif", None)
            say("info", "Nothing was changed: move a win rate, a slip or a cycle, or pick deals lost or won.")
        else:
            st.session_state["lp_whatif"] = (period, scoped(filters, period), shocks)
    kept = st.session_state.get("lp_whatif")
    if kept and kept[0] == period and kept[1] == scoped(filters, period):
        _compare(result, projection(filters, period, kept[2]), filters, period)


def _compare(result: landing.Landing, played: landing.Landing, filters, period: str) -> None:
    st.markdown("**What-if:** " + plain(shocks_in_words(played.shocks, result)))
    cells = st.columns(4)
    for cell, name, label in ((cells[0], "p10", "P10"), (cells[1], "p50", "P50"), (cells[2], "p90", "P90")):
        before, after = getattr(result, name), getattr(played, name)
        kpi_tile(cell, f"{label}, what-if", money(after),
                 delta=metrics.format_value(after - before, "money", signed=True, compact=True),
                 help=plain(f"{label} without it: {money(before)}. {window(result, filters)}."))
    if result.target is None:
        kpi_tile(cells[3], "Chance of target, what-if", "—",
                 help=plain(f"No target is loaded for {period}: upload quotas on the Data page."))
    else:
        moved = (played.chance_of_target - result.chance_of_target) * 100
        kpi_tile(cells[3], "Chance of target, what-if", pct(played.chance_of_target),
                 delta=f"{moved:+.1f} points",
                 help=plain(f"Without it: {pct(result.chance_of_target)} of reaching {money(result.target)}."))
    distribution(result, "lp_whatif_distribution", whatif=played, title=f"Landing {period}: with and without the what-if")
    if actor().can("edit notes") and not shared():
        with st.form("lp_save_form", clear_on_submit=True):
            name = st.text_input("Scenario name", max_chars=scenarios.NAME_LIMIT, key="lp_save_name",
                                 placeholder="e.g. Fabrikam price cut in SMB")
            saved = st.form_submit_button("Save the scenario", key="lp_save")
        if saved:
            try:
                scenarios.save(name, period, played.shocks, scoped(filters, period), db_path(), by=actor())
            except (ValueError, PermissionError) as refused:
                say("error", str(refused))
            else:
                say("success", f"Saved '{' '.join(name.split())}' for {period} ({scope_text(filters)}).")


def _saved(result: landing.Landing, filters, period: str) -> None:
    rows = scenarios.saved(period, db_path())
    st.markdown(f"**Saved scenarios for {period}** ({len(rows)})")
    if rows.empty:
        st.caption("None yet. A manager plays a what-if and saves it with a name; saved scenarios show here to "
                   "everyone who opens this page, shared links included, and in the QBR pack.")
        return
    table_rows = []
    for row in rows.to_dict("records"):
        scope = scenarios.scope_filters(row["scope"], filters)
        shocks = scenarios.shocks_of(row["shocks"])
        plain_one = projection(scope, period)
        played = projection(scope, period, shocks)
        table_rows.append({"scenario_id": row["scenario_id"], "scenario": row["name"],
                           "shocks": shocks_in_words(shocks, plain_one), "scope": scope_text(scope),
                           "p50_0": plain_one.p50, "p50_1": played.p50,
                           "chance_of_target_0": plain_one.chance_of_target,
                           "chance_of_target_1": played.chance_of_target,
                           "author": row["author"], "saved_at": row["saved_at"]})
    listed = pd.DataFrame(table_rows)
    labels = {"p50_0": "P50 without", "p50_1": "P50 with it", "chance_of_target_0": "Chance of target without",
              "chance_of_target_1": "Chance of target with it", "scope": "Scope", "author": "By", "saved_at": "Saved"}
    table(listed, labels=labels, column_order=("scenario", "shocks", "p50_0", "p50_1", "chance_of_target_0",
                                               "chance_of_target_1", "scope", "author", "saved_at"))
    download_buttons(listed.drop(columns=["scenario_id"]), f"landing-scenarios-{period}", key="lp_saved_dl",
                     labels=labels, period=period)
    if actor().can("edit notes") and not shared():
        names = dict(zip(listed["scenario_id"], listed["scenario"] + " (" + listed["scope"] + ")"))
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        left.selectbox("Scenario to delete", list(names), format_func=names.get, key="lp_delete_id")
        right.button("Delete", key="lp_delete", on_click=_delete)   # before the next run lists them again


def _delete() -> None:
    chosen = st.session_state.get("lp_delete_id")
    if chosen is not None:
        scenarios.delete(int(chosen), db_path(), by=actor())


# ---- the track record ----

@st.fragment
def track_record_section(filters, grain: str) -> None:
    """The backtest, replayed when its expander opens, once per data version and scope; a fragment, so
    opening it reruns this part alone. (Not bound to the URL: the pages rewrite the query string whole,
    which Streamlit refuses for a bound parameter.)"""
    box = st.expander(f"Track record: how right has the landing been? (the last {landing.BACKTEST_PERIODS} "
                      f"finished {grain}s, replayed week by week)", key="lp_track", on_change="rerun")
    if not box.open:
        return
    with box:
        record = track_record(filters, grain)
        if record.points.empty:
            say("info", record.sentence() + f" ({scope_text(filters)}; it needs the closed deals of the "
                        f"{grain}s before the one it replays, and their pipeline snapshots where there are any.)")
            return
        st.markdown(plain(record.sentence()) + " " + plain(verdict(record)))
        st.caption(plain(
            f"{scope_text(filters)} · each finished {grain} replayed at the end of every week, learning only from "
            f"the {grain}s before it, then scored against what it booked. Coverage: the share of actuals inside "
            "P10–P90 (80% is calibrated: less means the range is too narrow, more that it is wider than needed). "
            "CRPS ÷ actual: how far the whole distribution was from the actual, as a share of it (lower is "
            "better). Errors: |value − actual| ÷ actual, for the P50, the commit call standing that week and the "
            "stage-weighted pipeline. Where no snapshot was held, the open deals come from the closed history."))
        summary = record.summary().rename(columns={"held": "share"})
        table(summary, labels={"share": "P10–P90 held the actual", "points": "Weeks scored"},
              column_order=("week", "p50_error", "commit_error", "weighted_error", "share", "crps_pct", "points"))
        points = record.points
        labels = {"week": "Week", "as_of": "As of", "source": "Open deals from", "inside": "Inside P10–P90"}
        download_buttons(points, f"landing-track-record-{grain}s", key="lp_track_dl", labels=labels,
                         title=f"Landing track record, weekly, {', '.join(record.periods)}")
        finished = [p for p in record.periods if p in set(points["period"])]
        for start in range(0, len(finished), 2):
            cells = st.columns(2)
            for cell, label in zip(cells, finished[start:start + 2]):
                with cell:
                    _replay_chart(points[points["period"] == label], label)
        _reliability_chart(record.reliability)


def verdict(record: landing.Backtest) -> str:
    """What the track record says, in words, whatever it says."""
    total = record.summary().iloc[-1]
    coverage = total["held"]
    outside = f"the actual fell outside P10–P90 {1 - coverage:.0%} of the time, against 20% for a calibrated range"
    if coverage < 0.7:
        said = f"The range is too narrow: {outside}; the landing can fall further from the P50 than P10–P90 says."
    elif coverage < 0.78:
        said = f"The range is a little narrow: {outside}."
    elif coverage <= 0.9:
        said = f"The range is about right: {outside}."
    else:
        said = f"The range is wider than it needs to be: {outside}."
    if not pd.isna(total["commit_error"]):
        said += (" The P50 was closer to the actual than the commit call on average." if total["p50_error"] <
                 total["commit_error"] else " The commit call was closer to the actual than the P50 on average.")
    return said


def _replay_chart(points: pd.DataFrame, label: str) -> None:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=points["week"], y=points["p90"], mode="lines", line={"width": 0}, showlegend=False,
                             hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=points["week"], y=points["p10"], mode="lines", line={"width": 0}, fill="tonexty",
                             fillcolor=BAND, name="P10–P90", hovertemplate="week %{x}: P10 %{y:$,.3s}<extra></extra>"))
    fig.add_trace(go.Scatter(x=points["week"], y=points["p50"], mode="lines+markers", name="P50",
                             line={"color": PRIMARY}, marker={"size": 5},
                             hovertemplate="week %{x}: P50 %{y:$,.3s}<extra></extra>"))
    if points["commit"].notna().any():
        fig.add_trace(go.Scatter(x=points["week"], y=points["commit"], mode="lines", name="Commit call",
                                 line={"color": COMMIT, "dash": "dashdot"},
                                 hovertemplate="week %{x}: commit %{y:$,.3s}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[points["week"].min(), points["week"].max()], y=[points["actual"].iloc[0]] * 2,
                             mode="lines", name="Actual", line={"color": TARGET, "width": 2.5},
                             hovertemplate="actual %{y:$,.3s}<extra></extra>"))
    prefix = currency_prefix()
    fig.update_layout(height=300, legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom"},
                      xaxis={"title": "week of the period"}, yaxis={"tickprefix": prefix, "tickformat": "~s"})
    chart(fig, f"lp_replay_{label}", title=f"{label}: the landing week by week against the actual")


def _reliability_chart(bands: pd.DataFrame) -> None:
    if bands.empty:
        return
    fig = go.Figure()
    high = float(max(bands["predicted"].max(), bands["observed"].max(), 0.1)) * 1.1
    fig.add_trace(go.Scatter(x=[0, high], y=[0, high], mode="lines", name="Calibrated (won = predicted)",
                             line={"color": GREY, "dash": "dash"}, hoverinfo="skip"))
    size = 8 + 24 * np.sqrt(bands["deals"] / bands["deals"].max())
    fig.add_trace(go.Scatter(x=bands["predicted"], y=bands["observed"], mode="markers+lines", name="Deals by chance band",
                             marker={"size": size, "color": PRIMARY}, line={"color": PRIMARY, "width": 1},
                             customdata=np.stack([bands["band"], bands["deals"]], axis=1),
                             hovertemplate="chance %{customdata[0]}: %{customdata[1]:,} deals, predicted %{x:.0%}, "
                                           "won %{y:.0%}<extra></extra>"))
    fig.update_layout(height=360, legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom"},
                      xaxis={"title": "chance given", "tickformat": ".0%", "range": [0, high]},
                      yaxis={"title": "share won", "tickformat": ".0%", "range": [0, high]})
    chart(fig, "lp_reliability", title="Reliability: predicted chance against the share won")
    st.caption("Every open deal of every replayed week, banded by the chance it was given. On the diagonal the "
               "chances are right; below it they were too hopeful, above it too cautious. A dot's size is its "
               "number of deals.")


# ---- the Overview's tile ----

def section_link(filters, focus: str, period: str) -> str:
    """The Forecast page opened at its Landing section, for `filters`, `focus` quarter and the landing of
    `period`. The page's own choices ride along as it writes them (by region, the final call, the period
    before): a page that rewrites its address loses the #anchor Streamlit scrolls to."""
    view = View("forecast", filters.to_query(), breakdown="region", grain="quarter",
                extra={"fc_week": "final", "fc_period": focus, "fc_landing": period, "fc_compare": "previous"})
    return view_url(view) + f"#{ANCHOR}"


def overview_tile(column, filters, focus: str) -> None:
    """'Landing <period>': the P50 and the chance of target from the catalogue's landing metric (cached
    like every tile), the range and where to see the maths in its help: a link to the Forecast page's
    Landing section (`focus`: the quarter the Overview shows), left out on a shared link (it opens one
    page)."""
    from pages._components.data import metric
    from pages._components.widgets import markdown_link

    try:
        row = metric("landing", filters, dim="total")
    except ValueError as missing_data:
        column.metric("Landing", "—", help=plain(str(missing_data)))
        return
    r = row.iloc[0]
    first, last, _ = periods.bounds(r["period"])
    day, days = landing.day_of(r["as_of"], first), (last - first).days + 1
    where = helper(scope_line, scoped(filters, r["period"]), period=f"{r['period']}, day {day} of {days}")
    see = (" The maths, the deals that move it, the what-if and its track record: "
           + markdown_link("Forecast vs actual › Landing", section_link(filters, focus, r["period"])) + "."
           if not shared() else
           " The maths, the deals that move it and its track record are on the Forecast page's Landing section.")
    if not r["open_deals"] and not r["won_to_date"]:
        column.metric(f"Landing {r['period']}", "—", help=plain(
            f"No deal is open or won in {r['period']}: upload an opportunities export (a pipeline snapshot) on "
            f"the Data page. {where}."))
        return
    chance = ("no target loaded" if missing(r["chance_of_target"])
              else f"{pct(r['chance_of_target'])} chance of target")
    target = "no target is loaded" if missing(r["target"]) else f"target {money(r['target'])}"
    column.metric(f"Landing {r['period']}", money(r["p50"]), delta=chance, delta_color="off", delta_arrow="off",
                  help=plain(f"The median (P50) of {int(r['sims']):,} simulated landings of {r['period']}; 8 in 10 "
                             f"land between {money(r['p10'])} and {money(r['p90'])} (P10–P90); expected "
                             f"{money(r['expected'])}; {target}. {where}.") + see)
