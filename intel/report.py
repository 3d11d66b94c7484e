"""The QBR pack: one self-contained HTML file (plotly.js inlined once, no network needed) and the
same content as a PDF, for one period P (a quarter, or a month) within one scope.

The filters give the scope (region, segment, owner, product); P gives every window, so the pack
reads the same from the Overview button and from the command line. Each heading says its window:
- P itself: the KPIs, variance by region (by owner within one region), win rate by segment, why
  we lose, competitors, and what moved in P's pipeline from its start to its end;
- the trailing four quarters to P (twelve months to a month): the trends, and owners' forecast
  bias, which one quarter is too short to judge;
- the latest snapshot: the open pipeline by stage and the coverage of the coming periods;
- now: the accounts to fire, defend and attack (their windows end on the data's last day), the open
  alerts and the strategy notes, all cut to the scope;
- the accounts section also reads the trailing window (the lead sources' opportunities created in
  it, win rate by discount band, the owners whose discount rises) and P (the discount approvals);
- the landing, for the period in progress only (intel.landing): where it will land, the deals that
  move it most, the projection's track record over the finished periods, and the what-if scenarios
  saved for it (intel.scenarios), each beside the plain projection.
A period ending after the data date is in progress and says how many of its days are behind it.
Every number comes from the catalogue (intel.metrics.run) or intel.landing, formatted by the
catalogue. The builders take `progress(fraction, text)` and report each section (the track record,
which takes seconds, week by week); the track record is kept per data version and scope, so the
HTML and the PDF of one pack replay it once.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import re
from dataclasses import dataclass
from typing import Callable

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from intel import accounts, alerts, config, landing, metrics, notes, periods, pipeline, scenarios, store
from intel.filters import DIMENSIONS, Filters, data_date, scope_line
from intel.holdings import unconverted_note
from intel.models import money as compact_money

pio.defaults.mathjax = None   # no CDN reach

TRAILING = {"quarter": (4, "four quarters"), "month": (12, "twelve months")}
COLOURS = {"actual": "#9ecae1", "target": "#08519c", "forecast": "#ff7f0e", "line": "#1f77b4",
           "up": "#2ca02c", "down": "#d62728", "total": "#1f77b4"}   # both renderers draw with these
NOTE_SCOPES = {"region": "region", "segment": "segment"}   # notes scoped to a filter dimension


# ---- what the pack is about: its period, scope and windows ----

def scope_words(filters: Filters) -> str:
    """The scope as a heading says it: 'EMEA', 'EMEA · SMB', 'Priya Natarajan'; 'Company-wide'
    when nothing is filtered (the first page spells the scope out in full)."""
    return " · ".join(", ".join(getattr(filters, dim)) for dim in DIMENSIONS if getattr(filters, dim)) \
        or "Company-wide"


def progress(period: str, day: dt.date | None) -> tuple[int, int] | None:
    """(days of the period behind the data date, days in the period) when the period is not over
    at `day`; None when it is (or no data date is known). 2026-Q4 at 2026-11-16: (47, 92)."""
    first, last, _ = periods.bounds(period)
    if day is None or day >= last:
        return None
    return max((day - first).days + 1, 0), (last - first).days + 1


def progress_text(period: str, day: dt.date | None) -> str | None:
    """'in progress: 47 of 92 days' (or 'not started'), None for a finished period."""
    done = progress(period, day)
    if done is None:
        return None
    return f"in progress: {done[0]} of {done[1]} days" if done[0] else "not started"


def _money_suffix() -> str:
    """' (USD)' after a money heading, unless the catalogue's money format already shows the
    currency (then the heading need not)."""
    code, shown = config.get("reporting_currency"), metrics.format_value(1234, "money")
    return "" if code in shown or re.search(r"[^\w\s,.+\-−]", shown) else f" ({code})"   # $, €, £...


def _heading(column: str, dim: str | None = None) -> str:
    label = metrics.column_label(column, dim)
    return label + _money_suffix() if metrics.column_format(column) == "money" else label


# ---- the content, once: a list of blocks both renderers (HTML, PDF) draw ----

def _table(df: pd.DataFrame, columns: tuple[str, ...], dim: str | None = None,
           signed: tuple[str, ...] = (), read_as: dict[str, tuple[str, str]] | None = None) -> tuple:
    """("table", header labels, rows of formatted cell texts, which columns hold numbers): labels
    and formats from the catalogue (a flag reads yes / no, a missing value '—'); `read_as` gives
    a column that means something else here its (label, format)."""
    read_as = read_as or {}
    fmt = {col: read_as[col][1] if col in read_as else metrics.column_format(col) for col in columns}
    header = [read_as[col][0] if col in read_as else _heading(col, dim) for col in columns]
    body = [[metrics.format_value(row.get(col), fmt[col], signed=col in signed) for col in columns]
            for row in df.to_dict("records")]
    numeric = [fmt[col] not in ("text", "date") for col in columns]
    return ("table", header, body, numeric)


def _table_or(df: pd.DataFrame, columns: tuple[str, ...], empty: str, **kwargs) -> tuple:
    return _table(df, columns, **kwargs) if not df.empty else ("p", empty)


def _kpi(label: str, value, fmt: str) -> tuple[str, str]:
    """A KPI as the pack's first page shows it: money shortened (38.7M USD), the rest as the catalogue formats it."""
    if fmt == "money" and value is not None and not pd.isna(value):
        return (label, compact_money(value) + (f" {config.get('reporting_currency')}" if _money_suffix() else ""))
    return (label, metrics.format_value(value, fmt))


def _in_scope(kind: str, value, filters: Filters) -> bool:
    """Whether something about one member of a dimension (an alert, a note) belongs in the pack:
    not when the scope names other members of that dimension."""
    chosen = getattr(filters, kind, ()) if kind in DIMENSIONS else ()
    return not chosen or value in chosen


@dataclass(frozen=True)
class Frame:
    """What a pack is about, and the windows its sections read: the period P, the scope, the
    data date, and P's filters, the trailing window's and the finished periods' bias is judged on."""
    period: str
    grain: str
    day: dt.date | None
    scope: str
    in_period: Filters
    trailing: Filters
    judged: Filters
    here: str          # "EMEA · 2026-Q4 (in progress: 47 of 92 days)"
    over: str          # "EMEA · trailing four quarters, 2026-Q1 to 2026-Q4"
    judged_span: str   # "EMEA · trailing four quarters, 2025-Q4 to 2026-Q3 (finished quarters)"

    @classmethod
    def of(cls, period: str, filters: Filters, db=None) -> "Frame":
        first, last, grain = periods.bounds(period)
        day = data_date(db)
        scope = scope_words(filters)
        count, words = TRAILING[grain]
        oldest = periods.shift(period, -(count - 1))
        judged_to = period   # bias is judged on finished periods only: a running one holds a partial actual
        while progress(judged_to, day):
            judged_to = periods.shift(judged_to, -1)
        judged_from = periods.shift(judged_to, -(count - 1))
        state = progress_text(period, day)
        return cls(period, grain, day, scope,
                   in_period=filters.with_(date_from=first, date_to=last),
                   trailing=filters.with_(date_from=periods.bounds(oldest)[0], date_to=last),
                   judged=filters.with_(date_from=periods.bounds(judged_from)[0],
                                        date_to=periods.bounds(judged_to)[1]),
                   here=f"{scope} · {period}" + (f" ({state})" if state else ""),
                   over=f"{scope} · trailing {words}, {oldest} to {period}",
                   judged_span=f"{scope} · trailing {words}, {judged_from} to {judged_to}"
                               + (f" (finished {grain}s)" if judged_to != period else ""))

    def tick(self, label: str) -> str:
        """A period as a chart names it: '2026-Q4 (to date)' while it runs."""
        return f"{label} (to date)" if progress(label, self.day) else label


Progress = Callable[[float, str], None]


def qbr_blocks(period: str, filters: Filters, db=None, progress: Progress | None = None) -> list[tuple]:
    """The pack's content for a quarter or month (`2026-Q3`, `2026-09`) within the filters' scope
    (their dates are not used: the period sets the windows), as blocks: ("h2"|"h3", title,
    window), ("p", text), ("kpis", [(label, value)]), ("table", header, rows, numeric columns),
    ("chart", figure, title, window), ("alert", severity, summary, questions, actions),
    ("board", framework, {category: [lines]}) with only the categories holding notes.
    `progress(fraction, text)` hears of each section as it starts."""
    say = progress or (lambda fraction, text: None)
    frame = Frame.of(period, filters, db)
    say(0.0, "Overview")
    blocks = _overview(frame, db)
    say(0.05, "Forecast vs actual")
    blocks += _forecast(frame, filters, db)
    blocks += _landing(frame, db, lambda fraction, text: say(0.1 + 0.6 * fraction, text))
    say(0.7, "Win-loss")
    blocks += _win_loss(frame, db)
    say(0.8, "Pipeline")
    blocks += _pipeline(frame, filters, db)
    say(0.85, "Accounts")
    blocks += _accounts(frame, db)
    say(0.9, "Alerts and strategy notes")
    blocks += _alerts(frame, filters, db) + [("h2", "Strategy notes", frame.scope)] + _boards(filters, db)
    say(1.0, "Pack content ready")
    return blocks


def _overview(frame: Frame, db) -> list[tuple]:
    """The period's KPIs, and how far a running period is."""
    period = frame.period
    totals = metrics.run("forecast_variance", frame.in_period, db=db, dim="total", grain=frame.grain)
    totals = totals[totals["period"] == period]
    rate = metrics.run("win_rate", frame.in_period, db=db, dim="total", grain="all")
    closed = int(rate.iloc[0]["closed"]) if not rate.empty else 0
    done = progress(period, frame.day)
    to_date = " to date" if done else ""
    kpis = []
    if not totals.empty:
        r = totals.iloc[0]
        kpis += [_kpi(f"Bookings{to_date}", r["actual"], "money"), _kpi("Target", r["target"], "money"),
                 _kpi(f"Attainment{to_date}", r["attainment"], "percent"),
                 _kpi("Forecast (commit)", r["forecast"], "money")]
    if closed:
        kpis.append(_kpi(f"Win rate{to_date}", rate.iloc[0]["win_rate"], "percent"))
    blocks: list[tuple] = [("h2", "Overview", frame.here)]
    blocks.append(("kpis", kpis) if kpis else
                  ("p", f"No deal closed in {period} in this scope and no target or forecast call covers it."))
    if done and done[0]:
        pace = done[0] / done[1]
        said = (f"{period} is in progress: {done[0]} of {done[1]} days ({pace:.0%}) are behind it on "
                f"{frame.day:%Y-%m-%d}")
        if not totals.empty and not pd.isna(totals.iloc[0]["attainment"]):
            said += (f"; bookings to date are {metrics.format_value(totals.iloc[0]['attainment'], 'percent')} "
                     f"of the target, against {pace:.1%} on a straight-line pace")
        blocks.append(("p", said + "."))
    if closed:
        blocks.append(("p", f"Win rate over the {closed:,} deals closed in {period}."))
    unconverted = unconverted_note(db)
    if unconverted:   # the pack's money leaves these deals out: say so where the numbers start
        blocks.append(("p", unconverted))
    return blocks


def _forecast(frame: Frame, filters: Filters, db) -> list[tuple]:
    """The trend to the period, its variance by region (by owner within one region), and the
    owners whose calls were biased over the finished periods."""
    period, grain = frame.period, frame.grain
    trend = metrics.run("forecast_variance", frame.trailing, db=db, dim="total", grain=grain)
    x = [frame.tick(p) for p in trend["period"]]
    chart = go.Figure([go.Bar(x=x, y=trend["actual"], name="Actual", marker_color=COLOURS["actual"]),
                       go.Scatter(x=x, y=trend["target"], name="Target", mode="lines+markers",
                                  line_color=COLOURS["target"]),
                       go.Scatter(x=x, y=trend["forecast"], name="Forecast (commit)", mode="lines+markers",
                                  line_color=COLOURS["forecast"])])
    dim = "owner" if len(filters.region) == 1 else "region"
    by = metrics.run("forecast_variance", frame.in_period, db=db, dim=dim, grain=grain)
    by = by[by["period"] == period]
    accuracy = metrics.run("forecast_accuracy", frame.judged, db=db, dim="owner", grain=grain)
    flagged = accuracy[accuracy["verdict"].isin(["over-calls", "sandbags"])]
    return [("h2", "Forecast vs actual", ""),
            ("chart", chart, f"Target, forecast and actual by {grain}", frame.over),
            ("h3", f"Variance by {metrics.DIMENSION_LABELS[dim].lower()}", frame.here),
            _table_or(by, ("member", "target", "forecast", "actual", "variance", "variance_pct", "attainment"),
                      f"No target, forecast call or won deal for {period} in this scope.",
                      dim=dim, signed=("variance", "variance_pct")),
            ("h3", "Owners over-calling or sandbagging", frame.judged_span),
            ("p", f"Forecast bias = Σ(forecast − actual) ÷ Σ actual over the {grain}s of the window; "
                  "past ±10% an owner over-calls (positive) or sandbags (negative)."),
            _table_or(flagged, ("member", "periods", "bias", "wape", "verdict"),
                      "Every owner's forecast bias stayed within ±10% over the window.",
                      dim="owner", signed=("bias",))]


# ---- the landing: where the period in progress lands, what moves it, how far to trust it ----

def _money(value) -> str:
    """Money in a sentence: $40.9M (the tables keep every digit)."""
    return "—" if value is None or pd.isna(value) else compact_money(value)


def _landing(frame: Frame, db, progress: Progress) -> list[tuple]:
    """The landing of the period in progress: its distribution beside the calls, the deals that move
    it most, its track record and the saved scenarios; for any other period, why it is not shown
    (and, for a finished one, what it booked)."""
    period, grain, day = frame.period, frame.grain, frame.day
    first, last, _ = periods.bounds(period)
    current = periods.label(day, grain) if day else None
    if period != current:
        head = [("h2", "Landing", frame.here)]
        if day is None:
            return head + [("p", "No data is loaded: the landing needs an opportunities export (a pipeline snapshot).")]
        shown = (f"The landing is a projection of the {grain} in progress, {current} (the data date, "
                 f"{day:%Y-%m-%d}, falls in it).")
        if first > day:
            return head + [("p", f"{shown} {period} has not started.")]
        totals = metrics.run("forecast_variance", frame.in_period, db=db, dim="total", grain=grain)
        totals = totals[totals["period"] == period]
        actual = float(totals["actual"].iloc[0]) if not totals.empty and not pd.isna(totals["actual"].iloc[0]) \
            else 0.0
        target = totals["target"].iloc[0] if not totals.empty else None
        said = f"{shown} {period} is finished: it landed at {_money(actual)}"
        if target is not None and not pd.isna(target) and target:
            said += (f" against a {_money(target)} target ({metrics.format_value(actual / target, 'percent')} "
                     "attainment)")
        blocks = head + [("p", said + ".")]
        kept = _scenarios_here(scenarios.saved(period, db), frame)[0]
        if not kept.empty:
            blocks.append(("p", f"Scenarios saved for {period} while it ran: "
                                + "; ".join(f"{n} (by {a})" for n, a in zip(kept["name"], kept["author"])) + "."))
        # a review of the quarter just finished looks ahead too: where the one in progress lands
        ahead = Frame.of(current, frame.in_period, db)
        return blocks + [("h3", f"Looking ahead: {current}", ahead.here)] + _projected(ahead, db, progress)[1:]
    return _projected(frame, db, progress)


def _projected(frame: Frame, db, progress: Progress) -> list[tuple]:
    """The landing of the frame's period (in progress): figures, deals, track record, scenarios."""
    period, grain, day = frame.period, frame.grain, frame.day
    progress(0.0, f"Landing: projecting {period}")
    projector = landing.shared_projector(db)
    land = projector.project(frame.in_period, period, day)
    blocks = [("h2", "Landing", frame.here), *_landing_figures(land, frame)]
    blocks += _landing_deals(land, frame)
    progress(0.1, "Landing: its track record (replaying the finished periods week by week)")
    record = landing.track_record(frame.in_period, grain, db,
                                  lambda f, text: progress(0.1 + 0.8 * f, f"Landing: {text}"))
    blocks += _track_record(record, frame)
    progress(0.9, "Landing: the saved scenarios")
    blocks += _saved_scenarios(land, frame, projector, db)
    progress(1.0, "Landing ready")
    return blocks


def _landing_figures(land: landing.Landing, frame: Frame) -> list[tuple]:
    """The distribution (won to date, P10/P50/P90, expected, chance of target), how it was made, and
    beside it the calls standing now."""
    chance = land.chance_of_target
    target = (f"{metrics.format_value(chance, 'percent')} chance of reaching the {_money(land.target)} target"
              if chance is not None else f"no target is loaded for {land.period} in this scope, so no chance of "
                                         "reaching one")
    source = (f"the {len(land.deals):,} deals open at the {land.snapshot_date:%Y-%m-%d} snapshot"
              if land.snapshot_date else f"the {len(land.deals):,} deals open then")
    said = (f"Where {land.period} lands, seen on day {land.day} of {land.days} ({land.as_of:%Y-%m-%d}): won to date "
            f"plus {source}, each at its chance to close won in time, plus the deals the {frame.grain}s before "
            f"created and won late; simulated {len(land.sims):,} times. Half the runs land above "
            f"{_money(land.p50)} and 8 in 10 between {_money(land.p10)} and {_money(land.p90)}; {target}. "
            + land.model.describe())
    beside = ("Beside it, the calls standing at week "
              f"{-(-land.day // 7)}: the commit and best case as submitted, and the weighted pipeline (won to date "
              "+ the open deals closing in the period × their CRM probability).")
    return [("kpis", [_kpi("Won to date", land.won_to_date, "money"), _kpi("P10", land.p10, "money"),
                      _kpi("P50 (median)", land.p50, "money"), _kpi("P90", land.p90, "money"),
                      _kpi("Expected", land.mean, "money"), _kpi("Chance of target", chance, "percent")]),
            ("p", said), *[("p", note) for note in land.notes],
            ("p", beside),
            ("kpis", [_kpi("Target", land.target, "money"), _kpi(metrics.column_label("commit"), land.commit, "money"),
                      _kpi(metrics.column_label("best_case"), land.best_case, "money"),
                      _kpi(metrics.column_label("weighted_pipeline"), land.weighted_pipeline, "money")])]


def _landing_deals(land: landing.Landing, frame: Frame) -> list[tuple]:
    top = land.top_deals(landing.TOP_DEALS)
    top = top[top["spread_share"] > 0]
    window = f"{frame.scope} · open on {land.as_of:%Y-%m-%d}"
    if top.empty:
        return [("h3", "The deals that move it most", window),
                ("p", f"No open deal in this scope can still swing {land.period}: its landing is what is won.")]
    return [("h3", f"The {len(top)} deals that move it most", window),
            ("p", "A deal's share of the spread is its share of the landing's variance (amount² × chance × "
                  "(1 − chance)): the outcomes worth a call this week."),
            _table(top, ("name", "amount", "chance", "spread_share", "why"))]


def _track_record(record: landing.Backtest, frame: Frame) -> list[tuple]:
    if record.points.empty:
        return [("h3", "Track record", frame.scope), ("p", record.sentence())]
    span = f"{record.periods[0]} to {record.periods[-1]}" if len(record.periods) > 1 else record.periods[0]
    return [("h3", "Track record", f"{frame.scope} · replayed weekly over {span}"),
            ("p", record.sentence() + " Errors are absolute, as a share of the actual; CRPS scores the whole "
                                      "distribution (0 is perfect)."),
            _table(record.summary(), metrics.get("landing_backtest").columns)]


def _scenarios_here(saved: pd.DataFrame, frame: Frame) -> tuple[pd.DataFrame, int]:
    """(the saved scenarios on the pack's scope or within it, how many are about other scopes)."""
    def inside(scope) -> bool:
        chosen = json.loads(scope) if isinstance(scope, str) else scope
        return all(not getattr(frame.in_period, d) or (chosen.get(d) and set(chosen[d]) <= set(getattr(frame.in_period, d)))
                   for d in DIMENSIONS)

    keep = saved["scope"].map(inside) if not saved.empty else pd.Series(dtype=bool)
    return (saved[keep] if not saved.empty else saved), int((~keep).sum()) if not saved.empty else 0


def _saved_scenarios(land: landing.Landing, frame: Frame, projector: landing.Projector, db) -> list[tuple]:
    """Each what-if saved for the period (on the pack's scope or within it): what it plays, and the
    P50 and chance of target with it beside the projection without it, in the scenario's scope."""
    kept, elsewhere = _scenarios_here(scenarios.saved(frame.period, db), frame)
    head = ("h3", "Saved scenarios", f"{frame.scope} · {frame.period}")
    outside = ([("p", f"{elsewhere} more scenario{'s are' if elsewhere != 1 else ' is'} saved for {frame.period} on "
                      f"scopes outside {frame.scope}: see the Forecast page.")] if elsewhere else [])
    if kept.empty:
        return [head, ("p", f"No what-if scenario is saved for {frame.period} in this scope: play one on the "
                            "Forecast page (Landing) and save it to bring it here.")] + outside
    rows, scoped = [], False
    for row in kept.to_dict("records"):
        plain, shocked = scenarios.evaluate(row, frame.in_period, len(land.sims), db=db, projector=projector)
        names = dict(zip(plain.deals["id"].astype(str), plain.deals["name"].astype(str)))
        where = scope_words(scenarios.scope_filters(row["scope"], frame.in_period))
        scoped |= where != frame.scope
        rows.append([str(row["name"]), scenarios.describe(scenarios.shocks_of(row["shocks"]), names), where,
                     metrics.format_value(plain.p50, "money"), metrics.format_value(shocked.p50, "money"),
                     metrics.format_value(plain.chance_of_target, "percent"),
                     metrics.format_value(shocked.chance_of_target, "percent"),
                     f"{row['author']}, {metrics.format_value(row['saved_at'], 'datetime')}"])
    header = [metrics.column_label("scenario"), metrics.column_label("shocks"), "Scope", "P50 without",
              "P50 with it", "Chance without", "Chance with it", "Saved by"]
    numeric = [False, False, False, True, True, True, True, False]
    if not scoped:   # every one on the pack's own scope: the column would repeat the heading
        header, numeric = header[:2] + header[3:], numeric[:2] + numeric[3:]
        rows = [r[:2] + r[3:] for r in rows]
    return [head, ("p", "The same simulation runs with and without each scenario, so the difference is the "
                        "scenario's alone."), ("table", header, rows, numeric)] + outside


def _win_loss(frame: Frame, db) -> list[tuple]:
    """The win rate's trend to the period, then the period's deals by segment, reason and rival."""
    period = frame.period
    wl = metrics.run("win_rate", frame.trailing, db=db, dim="total", grain="month")
    chart = go.Figure(go.Scatter(x=[frame.tick(p) for p in wl["period"]], y=wl["win_rate"], mode="lines+markers",
                                 name="Win rate", line_color=COLOURS["line"]))
    chart.update_yaxes(tickformat=".0%")
    by_segment = metrics.run("win_rate", frame.in_period, db=db, dim="segment", grain="all")
    reasons = metrics.run("loss_reasons", frame.in_period, db=db)
    h2h = metrics.run("head_to_head", frame.in_period, db=db)
    return [("h2", "Win-loss", ""), ("chart", chart, "Win rate by month", frame.over),
            ("h3", "Win rate by segment", frame.here),
            _table_or(by_segment, ("member", "won", "lost", "win_rate", "small_sample"),
                      f"No deal closed in {period} in this scope.", dim="segment"),
            ("h3", "Why we lose", frame.here),
            _table_or(reasons, metrics.get("loss_reasons").columns, f"No deal was lost in {period} in this scope."),
            ("h3", "Competitors", frame.here),
            _table_or(h2h, metrics.get("head_to_head").columns,
                      f"No deal closed in {period} in this scope names a competitor.")]


def _pipeline(frame: Frame, filters: Filters, db) -> list[tuple]:
    """What moved in the period's pipeline, then what is open at the latest snapshot (none
    without an opportunities export)."""
    held = pipeline.snapshots(db)
    if not held:
        return []
    now = f"{frame.scope} · at {held[-1]:%Y-%m-%d} (latest snapshot)"
    stages = metrics.run("pipeline_by_stage", filters, db=db)
    cov = metrics.run("coverage", filters, db=db, grain=frame.grain)
    blocks = [("h2", "Pipeline", ""), *_movement(frame.period, filters, held, frame.scope, db),
              ("h3", "Open pipeline by stage", now),
              _table_or(stages, metrics.get("pipeline_by_stage").columns, "No open deal at the latest snapshot."),
              ("h3", f"Coverage of the coming {frame.grain}s", now),
              _table_or(cov, metrics.get("coverage").columns, "No open deal at the latest snapshot.")]
    untargeted = [p for p, r in zip(cov["period"], cov["remaining"]) if pd.isna(r)]
    if untargeted:
        blocks.append(("p", f"No coverage for {', '.join(untargeted)}: no target is loaded for "
                            f"{'it' if len(untargeted) == 1 else 'them'} (coverage = pipeline ÷ remaining target; "
                            "needed = 1 ÷ win rate over the trailing two quarters)."))
    return blocks


# ---- accounts: attack, defend, fire; marketing alignment; discount governance ----

PACK_ACCOUNTS = 10   # accounts listed per stance, largest bookings first (the Accounts page lists every one)
PACK_SOURCES = 8     # lead sources listed, most pipeline created first
PACK_BREACHES = 10   # deals above their approval threshold, deepest excess first
LISTED = ("fire", "defend", "attack")
# lead conversion as the pack shows it: the steps, and the rates from lead to MQL, MQL to SQL, lead to won
LEAD_COLUMNS = ("member", "leads", "mql", "sql", "opportunities", "won", "mql_rate", "sql_rate", "lead_to_won")


def _accounts(frame: Frame, db) -> list[tuple]:
    """The stance counts, the accounts to fire, defend and attack with the rules met and any
    manager's decision, the rules in force; the lead-source funnel (and lead conversion where
    leads are loaded); discount governance."""
    return _stances(frame, db) + _alignment(frame, db) + _discounts(frame, db)


def _decision(row: dict) -> str | None:
    """A manager's decision on an account in words: 'Defend, by Dana on 2026-11-20 (proposed:
    maintain): lost the renewal call'; None where nobody decided."""
    if not row.get("override_version"):
        return None
    by, when = row.get("override_by") or "a manager", row.get("override_at")
    on = f" on {pd.Timestamp(when):%Y-%m-%d}" if when is not None and not pd.isna(when) else ""
    chosen, proposed = row.get("override"), row.get("proposed")
    if chosen is None or pd.isna(chosen):
        said = f"Back to the proposal, by {by}{on}"
    elif chosen == proposed:
        said = f"Confirmed by {by}{on}"
    else:
        said = (f"{accounts.STANCE_LABELS.get(chosen, chosen)}, by {by}{on} "
                f"(proposed: {accounts.STANCE_LABELS.get(proposed, proposed).lower()})")
    reason = row.get("override_reason")
    return said + (f": {reason}" if isinstance(reason, str) and reason.strip() else "")


def _stances(frame: Frame, db) -> list[tuple]:
    """How many accounts each stance holds, then the largest to fire, defend and attack."""
    stance = accounts.account_stance(frame.in_period, db)   # region/segment/owner/product; its own windows
    if stance.empty:
        return [("h2", "Accounts", frame.scope),
                ("p", "No data is loaded: the accounts need an opportunities export." if frame.day is None else
                      "No deal in this scope names an account: attack, defend or fire needs the account on each "
                      "deal (an Account Name column in the opportunities export).")]
    anchor = pd.Timestamp(stance["anchor"].dropna().iloc[0]) if stance["anchor"].notna().any() else None
    window = f"{frame.scope} · now" + (f": the 12 months to {anchor:%Y-%m-%d} against the 12 before" if anchor else "")
    counts = stance["stance"].value_counts()
    decided = stance[stance["override_version"] > 0]
    changed = decided[decided["override"].notna() & (decided["override"] != decided["proposed"])]
    blocks: list[tuple] = [
        ("h2", "Accounts", window),
        ("kpis", [_kpi(accounts.STANCE_LABELS[s], int(counts.get(s, 0)), "count") for s in accounts.STANCES]
         + [_kpi("Decided by a manager", len(decided), "count")]),
        ("p", f"{len(stance):,} account{'s' if len(stance) != 1 else ''} in this scope, each with the stance the "
              "rules below propose, or a manager's decision, which wins: "
              f"{len(decided):,} decided, {len(changed):,} of them against the proposal.")]
    for name in LISTED:
        part = stance[stance["stance"] == name]
        label = accounts.STANCE_LABELS[name]
        head = ("h3", f"{label}: {len(part):,} account{'s' if len(part) != 1 else ''}"
                      + (f", the {PACK_ACCOUNTS} largest" if len(part) > PACK_ACCOUNTS else ""),
                "by bookings of the last 12 months")
        if part.empty:
            blocks += [head, ("p", f"No account to {name} in this scope.")]
            continue
        top = part.head(PACK_ACCOUNTS).copy()
        top["rules"] = [r if isinstance(r, str) and r else "(no rule met: a manager's decision)" for r in top["rules"]]
        top["decision"] = [_decision(r) for r in top.to_dict("records")]
        columns = ("account", "rules", "bookings_recent", "bookings_change", "win_rate", "open_pipeline") \
            + (("decision",) if top["decision"].notna().any() else ())
        meaning = accounts.STANCE_MEANING[name]
        blocks += [head, ("p", f"{meaning[:1].upper()}{meaning[1:]}."),
                   _table(top, columns, signed=("bookings_change",),
                          read_as={"decision": ("Manager's decision", "text")})]
        if len(part) > PACK_ACCOUNTS:
            blocks.append(("p", f"{len(part) - PACK_ACCOUNTS:,} more to {name}: the Accounts page lists them all."))
    rules = pd.DataFrame(accounts.stance_rules())
    rules["stance"] = rules["stance"].map(accounts.STANCE_LABELS)
    return blocks + [("h3", "The stance rules in force", "the thresholds are settings, listed on the Users page"),
                     _table(rules, ("stance", "rule"))]


def _leads_loaded(db) -> bool:
    """Whether a leads export is loaded (the table exists once the leads import does)."""
    cur = store.cursor(db)
    try:
        if not cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'leads'").fetchone()[0]:
            return False
        return bool(cur.execute("SELECT count(*) FROM leads").fetchone()[0])
    finally:
        cur.close()


def _alignment(frame: Frame, db) -> list[tuple]:
    """Marketing and sales alignment: per lead source, the opportunities created in the trailing
    window and what became of them; MQL → SQL → won where a leads export is loaded."""
    created = f"{frame.over} (opportunities created)"
    funnel = metrics.run("lead_source_funnel", frame.trailing, db=db, grain="all", funnel_by="lead_source")
    blocks: list[tuple] = [("h3", "Lead sources: from opportunity to won", created)]
    named = funnel[funnel["member"] != "(none)"]
    if funnel.empty:
        blocks.append(("p", "No opportunity in this scope was created in the window (the funnel reads each "
                            "deal's created date)."))
    elif named.empty:
        blocks.append(("p", f"None of the {int(funnel['created'].sum()):,} opportunities created in the window "
                            "carries a lead source: add a Lead Source column to the opportunities export to see "
                            "which sources bring pipeline and wins."))
    else:
        top = named.sort_values(["created_amount", "member"], ascending=[False, True]).head(PACK_SOURCES)
        blocks += [("p", "Share of pipeline = the pipeline a source created ÷ all pipeline created in the window; "
                         "win rate over its opportunities closed so far; cycle = median days created → won."),
                   _table(top, ("member", "created", "pipeline_share", "won", "win_rate", "average_won_deal",
                                "cycle_days"), dim="lead_source")]
        rest = []
        if len(named) > PACK_SOURCES:
            rest.append(f"{len(named) - PACK_SOURCES:,} more sources are on the Accounts page")
        none = funnel[funnel["member"] == "(none)"]
        if not none.empty:
            r = none.iloc[0]
            rest.append(f"{int(r['created']):,} opportunities carry no lead source "
                        f"({metrics.format_value(r['pipeline_share'], 'percent')} of the pipeline created)")
        if rest:
            blocks.append(("p", "; ".join(rest) + "."))
    if "lead_conversion" not in metrics.CATALOGUE:
        return blocks
    if not _leads_loaded(db):
        return blocks + [("p", "MQL → SQL → won conversion per lead source needs a leads export: upload a "
                               "Salesforce Lead export or HubSpot contacts with their lifecycle stage.")]
    entry = metrics.get("lead_conversion")
    params = {"funnel_by": "lead_source"} if "funnel_by" in entry.params else {}
    conversion = metrics.run("lead_conversion", frame.trailing, db=db,
                             grain="all" if "all" in entry.grains else None, **params)
    scoped = [d for d in DIMENSIONS if getattr(frame.in_period, d)]
    window = "Company-wide" + (f" (leads carry no {' or '.join(scoped)})" if scoped else "") \
        + f" · leads created in the trailing {TRAILING[frame.grain][1]}"
    blocks.append(("h3", "Leads: MQL → SQL → won", window))
    if conversion.empty:
        return blocks + [("p", "No lead was created in the window.")]
    named = conversion["member"] != "(none)"   # the sources with most leads first, leads without one last
    conversion = pd.concat([conversion[named].sort_values(["leads", "member"], ascending=[False, True]),
                            conversion[~named]])
    return blocks + [_table(conversion.head(PACK_SOURCES), tuple(c for c in LEAD_COLUMNS if c in conversion),
                            dim="lead_source")]


def _discounts(frame: Frame, db) -> list[tuple]:
    """Discount governance: win rate and average won deal per discount band (trailing window), the
    approvals per deal-size band and the deals above them (won in P, or open now), the owners whose
    average discount rises quarter on quarter."""
    bands = metrics.run("discount_bands", frame.trailing, db=db, dim="total")
    given = bands[bands["band_order"] < 9]
    blocks: list[tuple] = [("h3", "Discounts: win rate and average won deal by band", f"{frame.over} (deals closed)")]
    if bands.empty:
        blocks.append(("p", "No deal closed in the window in this scope."))
    elif given.empty:
        return blocks + [("p", f"None of the {int(bands['closed'].sum()):,} deals closed in the window carries a "
                               "discount: add a Discount column to the opportunities export to see whether "
                               "discounts buy wins, the approvals by deal size and the owners whose discounts rise.")]
    else:
        blocks.append(_table(given, ("discount_band", "closed", "won", "win_rate", "average_won_deal", "avg_discount")))
        missing = int(bands.loc[bands["band_order"] >= 9, "closed"].sum())
        if missing:
            blocks.append(("p", f"{missing:,} closed deal{'s carry' if missing != 1 else ' carries'} no discount: "
                                "in no band."))
    thresholds = accounts.approval_thresholds()
    governance = metrics.run("discount_governance", frame.in_period, db=db)
    breaches = metrics.run("discount_breaches", frame.in_period, db=db, limit=PACK_BREACHES)
    blocks += [("h3", "Discount approvals by deal size", f"{frame.here}: deals won in it, and open now"),
               ("p", "A deal needs approval above its size band's threshold (band 1, the smallest deals: "
                     + ", ".join(f"{'' if b == 1 else f'band {b}: '}{t:.0%}" for b, t in thresholds.items())
                     + "; a setting, listed on the Users page).")]
    if governance.empty:
        blocks.append(("p", f"No deal won in {frame.period} or open now carries a discount in this scope."))
    else:
        blocks.append(_table(governance, metrics.get("discount_governance").columns))
        if not breaches.empty:
            total = int(governance["breaches"].sum())
            blocks += [("p", f"The {min(len(breaches), PACK_BREACHES)} deepest of the {total:,} above their threshold:"
                             if total > len(breaches) else "The deals above their threshold:"),
                       _table(breaches, ("name", "account", "owner", "discount_pct", "threshold", "amount", "outcome"))]
    rising = accounts.rising_discounts(frame.trailing, db)
    last = periods.label(periods.bounds(frame.period)[1], "quarter")   # the quarter P ends in, unless it runs
    if frame.day is not None and last == periods.label(frame.day, "quarter"):
        last = periods.shift(last, -1)
    blocks.append(("h3", "Owners whose average discount rises",
                   f"{frame.scope} · the complete quarters {periods.shift(last, -2)} to {last}"))
    if rising.empty:
        return blocks + [("p", "No owner's average discount rose by "
                               f"{config.number('discount_rise', 0, 1) * 100:g} points or more in each of the last two "
                               "complete quarters (with enough discounted wins behind each).")]
    rising = rising.assign(rise_points=[f"{v * 100:+.1f} points" for v in rising["rise"]],
                           win_rate_points=[f"{v * 100:+.1f} points" for v in rising["win_rate_change"]])
    return blocks + [("p", "Average discount of the deals won with one, quarter by quarter, and the win rate beside "
                           "it: a discount that deepens while the win rate does not buys no wins."),
                     _table(rising, ("member", "quarters", "discounts", "rise_points", "win_rates", "win_rate_points"),
                            dim="owner", read_as={"rise_points": ("Discount change", "text"),
                                                  "win_rate_points": ("Win rate change", "text")})]


def _alerts(frame: Frame, filters: Filters, db) -> list[tuple]:
    """The alerts open now: those on the scope's own members, then company-wide ones touching it."""
    own, touching, elsewhere = alerts.for_scope(filters, frame.trailing, db)
    rules = {r.id: r for r in alerts.list_rules(db)}
    scope = frame.scope
    blocks: list[tuple] = [("h2", f"Open alerts ({len(own) + len(touching)})", f"{scope} · open now")]
    scoped = any(getattr(filters, d) for d in DIMENSIONS)
    for part, heading, caption in (
            (own, f"About {scope}" if scoped else "", ""),
            (touching, f"Company-wide alerts that concern {scope}",
             f"These rules watch the whole business: their figures are company-wide, not {scope}'s alone.")):
        if part.empty:
            continue
        if heading:
            blocks.append(("h3", heading, "open now"))
        if caption:
            blocks.append(("p", caption))
        for row in part.to_dict("records"):
            text = alerts.prompt(row, rules[row["rule_id"]])
            blocks.append(("alert", row["severity"].upper(), text["summary"], text["questions"], text["actions"]))
    if own.empty and touching.empty:
        blocks.append(("p", "No alert rule fires on this scope."))
    if elsewhere:
        blocks.append(("p", f"{elsewhere} more open alert{'s are' if elsewhere != 1 else ' is'} about members "
                            f"outside {scope}: see the Alerts page."))
    return blocks


def _movement(period: str, filters: Filters, held: list[dt.date], scope: str, db) -> list[tuple]:
    """What moved in the period's pipeline from the snapshot at its start (on or before its first
    day, else the first one inside it) to the last one inside it: a waterfall and its table."""
    first, last, _ = periods.bounds(period)
    inside = [d for d in held if d <= last]
    before = [d for d in held if d <= first]
    s0 = before[-1] if before else next((d for d in inside if d >= first), None)
    s1 = inside[-1] if inside else None
    title = f"What moved in {period}'s pipeline"
    if s0 is None or s1 is None or s0 >= s1:
        return [("h3", title, f"{scope} · {period}"),
                ("p", f"No two pipeline snapshots span {period} (they run from {held[0]:%Y-%m-%d} to "
                      f"{held[-1]:%Y-%m-%d}): movement needs an export taken at its start and another later.")]
    moved = metrics.run("pipeline_movement", filters, db=db, period=period, s0=s0, s1=s1)
    steps = moved[moved["category"] != "created_and_closed"]
    chart = go.Figure(go.Waterfall(x=steps["category"].map(pipeline.MOVEMENT_LABELS).tolist(),
                                   y=(steps["amount"] * steps["sign"]).tolist(),
                                   measure=["absolute"] + ["relative"] * (len(steps) - 2) + ["total"],
                                   increasing_marker_color=COLOURS["up"], decreasing_marker_color=COLOURS["down"],
                                   totals_marker_color=COLOURS["total"]))
    rows = []
    for r in moved.to_dict("records"):
        step = r["category"] not in ("start", "end", "created_and_closed")
        amount = r["amount"] * r["sign"] + 0.0 if step else r["amount"]   # + 0.0: no "-0"
        label = pipeline.MOVEMENT_LABELS.get(r["category"], r["category"])
        apart = r["category"] == "created_and_closed"
        rows.append([label + (" (between the snapshots, not in the bars)" if apart else ""),
                     metrics.format_value(r["deals"], "count"),
                     metrics.format_value(amount, "money", signed=step and amount != 0)])
    table = ("table", [metrics.column_label("category"), metrics.column_label("deals"), _heading("amount")],
             rows, [False, True, True])
    return [("chart", chart, title, f"{scope} · {s0:%Y-%m-%d} → {s1:%Y-%m-%d}"), table]


def _note_line(r) -> str:
    where = "company" if r.scope_kind == "company" else f"{r.scope_kind} {r.scope_value or ''}".strip()
    owner = f" · owner {r.owner}" if r.owner else ""
    return f"{r.text} — {where} · {r.impact} impact{owner}"


def _boards(filters: Filters, db) -> list[tuple]:
    """Each framework's board on this scope (company-wide notes, and those on a member the scope
    holds): only the categories holding notes; an empty board is one line saying how to start."""
    board = notes.notes(db=db)
    keep = [kind not in NOTE_SCOPES or _in_scope(NOTE_SCOPES[kind], value, filters)
            for kind, value in zip(board["scope_kind"], board["scope_value"])]
    board = board.loc[keep]
    out: list[tuple] = []
    frameworks = list(notes.FRAMEWORKS) + [f for f in board["framework"].unique() if f not in notes.FRAMEWORKS]
    for framework in frameworks:
        part = board[board["framework"] == framework]
        categories = list(notes.FRAMEWORKS.get(framework, [])) + [
            c for c in part["category"].unique() if c not in notes.FRAMEWORKS.get(framework, [])]
        cells = {c: [_note_line(r) for r in part[part["category"] == c].itertuples()] for c in categories}
        cells = {c: lines for c, lines in cells.items() if lines}
        if cells:
            out += [("h3", framework, ""), ("board", framework, cells)]
        else:
            out.append(("p", f"No {framework} notes for this scope yet — add them on the Strategy notes page."))
    return out


def stamp(period: str, filters: Filters, db=None) -> str:
    """The line on the first page saying whose numbers these are, for when, and how fresh:
    scope · period (in progress: 47 of 92 days) · data as of · when the pack was made."""
    state = progress_text(period, data_date(db))
    return (scope_line(filters, db, f"{period} ({state})" if state else period)
            + f" · prepared {dt.datetime.now():%Y-%m-%d %H:%M}")


def title(period: str) -> str:
    """'Quarterly business review — 2026-Q3' ('Monthly …' for a month)."""
    kind = "Quarterly" if periods.parse(period)[1] == "quarter" else "Monthly"
    return f"{kind} business review — {period}"


# ---- HTML: interactive charts, plotly.js inlined once ----

class _Figures:
    """Figures as HTML divs; plotly.js goes into the first one only."""

    def __init__(self):
        self.first = True

    def __call__(self, fig: go.Figure) -> str:
        fig.update_layout(template="plotly_white", height=340, margin={"l": 50, "r": 20, "t": 20, "b": 40},
                          separators=".,", legend={"orientation": "h", "y": 1.1, "x": 0})
        fig.update_xaxes(type="category")   # periods as written (2026-Q3, 2026-09), not dates
        out = pio.to_html(fig, full_html=False, include_plotlyjs="inline" if self.first else False,
                          config={"displaylogo": False})
        self.first = False
        return out


def _html_heading(tag: str, text: str, window: str) -> str:
    extra = f" <span class='window'>· {html.escape(window)}</span>" if window else ""
    return f"<{tag}>{html.escape(text)}{extra}</{tag}>"


def _html_block(block: tuple, fig: _Figures) -> str:
    kind = block[0]
    if kind in ("h2", "h3"):
        return _html_heading(kind, block[1], block[2])
    if kind == "p":
        return f"<p>{html.escape(block[1])}</p>"
    if kind == "kpis":
        return "<div class='kpis'>" + "".join(
            f"<div class='kpi'><div class='label'>{html.escape(k)}</div><div class='value'>{html.escape(v)}</div></div>"
            for k, v in block[1]) + "</div>"
    if kind == "table":
        _, header, rows, numeric = block
        align = [" class='num'" if n else "" for n in numeric]
        head = "".join(f"<th{a}>{html.escape(label)}</th>" for a, label in zip(align, header))
        body = "".join("<tr>" + "".join(f"<td{a}>{html.escape(c)}</td>" for a, c in zip(align, row)) + "</tr>"
                       for row in rows)
        # a wide table scrolls on its own on a phone; the page does not
        return f"<div class='scroll'><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    if kind == "chart":
        return _html_heading("h3", block[2], block[3]) + fig(block[1])
    if kind == "alert":
        _, severity, summary, questions, actions = block
        return (f"<div class='alert'><b>{html.escape(severity)}</b> {html.escape(summary)}<br><i>Questions:</i><ul>"
                + "".join(f"<li>{html.escape(q)}</li>" for q in questions) + "</ul><i>Actions to weigh:</i><ul>"
                + "".join(f"<li>{html.escape(a)}</li>" for a in actions) + "</ul></div>")
    if kind == "board":
        _, framework, cells = block
        return ("<div class='board'>"
                + "".join(f"<div class='cell'><b>{html.escape(category)}</b><ul>"
                          + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul></div>"
                          for category, lines in cells.items()) + "</div>")
    raise ValueError(kind)


def qbr_pack(period: str, filters: Filters, db=None, progress: Progress | None = None) -> str:
    """The pack for a quarter or month within the filters' scope, as one self-contained HTML file."""
    fig = _Figures()
    body = "".join(_html_block(b, fig) for b in qbr_blocks(period, filters, db, progress))
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Sightline QBR · {html.escape(scope_words(filters))} · {html.escape(period)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }}
table {{ border-collapse: collapse; margin: .5em 0 1.5em; font-variant-numeric: tabular-nums; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; vertical-align: top; }}
th {{ background: #f4f4f4; }} .num {{ text-align: right; white-space: nowrap; }} th.num {{ white-space: normal; }}
@media (max-width: 600px) {{ td:not(.num) {{ min-width: 9em; }} }}  /* a phone scrolls a wide table rather than
                                                                     squeezing its text to a word a line */
h2 {{ margin-top: 1.6em; border-bottom: 2px solid #1f77b4; }} .window {{ font-weight: normal; color: #666; font-size: .8em; }}
.kpis {{ display: flex; flex-wrap: wrap; gap: 2em; }} .kpi .label {{ color: #666; }} .kpi .value {{ font-size: 1.8em; }}
.stamp {{ background: #f4f4f4; padding: .5em 1em; }} .alert {{ border-left: 4px solid #d62728; padding-left: 1em; margin: 1em 0; }}
.board {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(250px, 1fr)); gap: 1em; }}
.cell {{ border: 1px solid #ddd; padding: .5em; }} .scroll {{ overflow-x: auto; }}
</style></head><body>
<h1>{html.escape(title(period))}</h1>
<p class="stamp" id="filters">{html.escape(stamp(period, filters, db))}</p>
{body}
<script type="application/json" id="sightline-scope">{html.escape(json.dumps(filters.to_query()))}</script>
</body></html>"""


# ---- PDF: the same blocks, charts drawn by matplotlib (no browser involved) ----

def _chart_png(fig: go.Figure) -> bytes:
    """A static drawing of one of the pack's Plotly figures (bars, lines, a waterfall)."""
    import io

    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    figure = Figure(figsize=(8, 3.0), dpi=150)
    ax = figure.subplots()
    for trace in fig.data:
        x = [str(v) for v in trace.x]
        y = [float("nan") if v is None or pd.isna(v) else float(v) for v in trace.y]
        if trace.type == "bar":
            ax.bar(x, y, label=trace.name, color=trace.marker.color, width=0.6)
        elif trace.type == "scatter":
            ax.plot(x, y, marker="o", label=trace.name, color=trace.line.color, linewidth=1.8)
        elif trace.type == "waterfall":
            level, bottoms, heights, colours = 0.0, [], [], []
            for value, measure in zip(y, trace.measure):
                if measure == "relative":
                    bottoms.append(level if value >= 0 else level + value)
                    heights.append(abs(value))
                    colours.append(COLOURS["up"] if value >= 0 else COLOURS["down"])
                    level += value
                else:   # absolute (the start) or total (the end): a bar from zero
                    level = value if measure == "absolute" else level
                    bottoms.append(0.0)
                    heights.append(level)
                    colours.append(COLOURS["total"])
            ax.bar(x, heights, bottom=bottoms, color=colours)
    if str(fig.layout.yaxis.tickformat or "").endswith("%"):
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    else:   # money: 12.3M, as the tiles write it
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: compact_money(v) if v else "0"))
    ax.tick_params(labelsize=7)
    for label in ax.get_xticklabels():
        label.set_rotation(45 if len(fig.data[0].x) > 8 else 0)
        label.set_horizontalalignment("right" if len(fig.data[0].x) > 8 else "center")
    if len(fig.data) > 1:   # above the plot, clear of the bars
        ax.legend(fontsize=7, frameon=False, ncols=len(fig.data), loc="lower left", bbox_to_anchor=(0, 1.0))
    ax.grid(axis="y", color="#eee")
    ax.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


class _Document:
    """The PDF pack as a document: a running footer (scope · period · data date · page n of N),
    headings kept with the start of what they head, tables with right-aligned numbers."""

    def __init__(self, running: str):
        from pathlib import Path

        import matplotlib
        from fpdf import FPDF

        fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"   # DejaVu: every character a note may hold

        class Pdf(FPDF):
            def footer(self):
                self.set_y(-11)
                self.set_font("DejaVu", "", 7)
                self.set_text_color(110)
                self.cell(0, 4, f"Sightline QBR · {running} · page {self.page_no()} of {{nb}}", align="C")
                self.set_text_color(0)

        self.pdf = pdf = Pdf(format="A4")
        pdf.set_margins(15, 14, 15)
        pdf.set_auto_page_break(True, margin=16)
        pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
        pdf.add_font("DejaVu", "I", str(fonts / "DejaVuSans-Oblique.ttf"))
        pdf.set_draw_color(200, 200, 200)
        pdf.set_line_width(0.2)
        pdf.add_page()

    # each draw_* takes the target (the document, or a dry run of it) and draws one block

    @staticmethod
    def text(doc, size: float, content: str, style: str = "", gap: float = 1.5, colour: int = 0) -> None:
        doc.set_font("DejaVu", style, size)
        doc.set_text_color(colour)
        doc.multi_cell(doc.epw, size * 0.48, content, align="L", new_x="LMARGIN", new_y="NEXT")
        doc.set_text_color(0)
        doc.ln(gap)

    @staticmethod
    def bullet(doc, size: float, content: str, gap: float = 0.3) -> None:
        """A list item, its lines hanging under its first word."""
        doc.set_font("DejaVu", "", size)
        doc.cell(4, size * 0.48, "•")
        doc.multi_cell(doc.epw - 4, size * 0.48, content, align="L", new_x="LMARGIN", new_y="NEXT")
        doc.ln(gap)

    @staticmethod
    def heading(doc, size: float, title: str, window: str, before: float) -> None:
        doc.ln(before)
        doc.set_font("DejaVu", "B", size)
        doc.write(size * 0.5, title)
        if window:
            doc.set_font("DejaVu", "", size * 0.78)
            doc.set_text_color(100)
            doc.write(size * 0.5, f"  ·  {window}")
            doc.set_text_color(0)
        doc.ln(size * 0.5 + 1.5)

    @staticmethod
    def widths(doc, header: list[str], rows: list[list[str]], numeric: list[bool] | None = None) -> list[float]:
        """Each column as wide as its widest cell (a heading may wrap at its words), scaled down
        to the page when they add up to more: the text columns give way (their lines wrap), a
        number is never broken across lines."""
        doc.set_font("DejaVu", "", 7.5)
        cells = [max((doc.get_string_width(row[i]) for row in rows), default=0) for i in range(len(header))]
        doc.set_font("DejaVu", "B", 7.5)
        whole = [doc.get_string_width(label) for label in header]
        words = [max(doc.get_string_width(w) for w in label.split()) for label in header]
        wide = [max(c, w) + 5 for c, w in zip(cells, whole)]     # every heading on one line
        narrow = [max(c, w) + 5 for c, w in zip(cells, words)]   # headings wrapped at their words
        if sum(wide) <= doc.epw:
            return wide
        if sum(narrow) >= doc.epw:
            numeric = numeric or [False] * len(narrow)
            room = doc.epw - sum(w for w, n in zip(narrow, numeric) if n)   # what the numbers leave the text
            doc.set_font("DejaVu", "", 7.5)
            floor = [max([doc.get_string_width(w) for row in rows for w in row[i].split()] + [words[i]]) + 5
                     for i in range(len(header))]                       # no word broken
            spare = sum(w - f for w, f, n in zip(narrow, floor, numeric) if not n)
            fits = sum(f for f, n in zip(floor, numeric) if not n)
            if any(numeric) and spare > 0 and fits <= room:   # each text column from its longest word up
                return [w if n else f + (w - f) * (room - fits) / spare
                        for w, f, n in zip(narrow, floor, numeric)]
            return [w * doc.epw / sum(narrow) for w in narrow]
        share = (doc.epw - sum(narrow)) / (sum(wide) - sum(narrow))   # wrap each heading as little as fits
        return [n + (w - n) * share for n, w in zip(narrow, wide)]

    @classmethod
    def table(cls, doc, header: list[str], rows: list[list[str]], numeric: list[bool]) -> None:
        from fpdf.fonts import FontFace

        widths = cls.widths(doc, header, rows, numeric)
        doc.set_font("DejaVu", "", 7.5)
        with doc.table(width=min(sum(widths), doc.epw), col_widths=widths, align="LEFT",
                       line_height=doc.font_size * 1.7,
                       text_align=tuple("RIGHT" if n else "LEFT" for n in numeric),
                       borders_layout="HORIZONTAL_LINES",
                       headings_style=FontFace(emphasis="BOLD", fill_color=(240, 240, 240))) as table:
            table.row(header)
            for row in rows:
                table.row(row)
        doc.ln(3)

    @classmethod
    def kpis(cls, doc, items: list[tuple[str, str]]) -> None:
        width = doc.epw / max(len(items), 1)
        top = doc.get_y()
        for i, (label, value) in enumerate(items):
            doc.set_xy(doc.l_margin + i * width, top)
            doc.set_font("DejaVu", "", 8)
            doc.set_text_color(100)
            doc.cell(width - 2, 4.5, label)
            doc.set_xy(doc.l_margin + i * width, top + 5)
            doc.set_font("DejaVu", "B", 15)
            doc.set_text_color(0)
            doc.cell(width - 2, 8, value)
        doc.set_xy(doc.l_margin, top + 15)

    @classmethod
    def draw(cls, doc, block: tuple, rows: int | None = None) -> None:
        """One block; `rows`: only a table's first rows (what must stay with its heading)."""
        kind = block[0]
        if kind == "h2":
            cls.heading(doc, 14, block[1], block[2], 4)
            doc.set_draw_color(31, 119, 180)
            doc.line(doc.l_margin, doc.get_y() - 1, doc.l_margin + doc.epw, doc.get_y() - 1)
            doc.set_draw_color(200, 200, 200)
            doc.ln(1)
        elif kind == "h3":
            cls.heading(doc, 10.5, block[1], block[2], 2)
        elif kind == "p":
            cls.text(doc, 8.5, block[1], colour=60)
        elif kind == "kpis":
            cls.kpis(doc, block[1])
        elif kind == "table":
            cls.table(doc, block[1], block[2][:rows] if rows else block[2], block[3])
        elif kind == "chart":
            cls.heading(doc, 10.5, block[2], block[3], 2)
            doc.image(_chart_png(block[1]), w=doc.epw)
            doc.ln(2)
        elif kind == "alert":
            _, severity, summary, questions, actions = block
            cls.text(doc, 8.5, f"{severity} · {summary}", "B", 0.8)
            cls.text(doc, 8, "Questions", "I", 0.3, colour=80)
            for q in questions:
                cls.bullet(doc, 8, q)
            cls.text(doc, 8, "Actions to weigh", "I", 0.3, colour=80)
            for a in actions:
                cls.bullet(doc, 8, a)
            doc.ln(2.5)
        elif kind == "board":
            cells = list(block[2].items())
            for category, lines in (cells[:1] if rows else cells):
                cls.text(doc, 9, category, "B", 0.5)
                for line in (lines[:1] if rows else lines):
                    cls.bullet(doc, 8.5, line, 0.5)
                doc.ln(1)
        else:
            raise ValueError(kind)

    def fits(self, group: list[tuple]) -> bool:
        """Whether the headings of a group and the start of what follows them fit on this page."""
        with self.pdf.offset_rendering() as dry:
            for block in group:
                self.draw(dry, block, rows=3)
        return not dry.page_break_triggered

    def add(self, blocks: list[tuple]) -> None:
        """Each heading with what it heads (and an alert, a chart whole): a new page first when
        they would not start on this one."""
        i = 0
        while i < len(blocks):
            j = i
            while j < len(blocks) and blocks[j][0] in ("h2", "h3"):
                j += 1
            # a caption between a heading and its table travels with both
            if j < len(blocks) and blocks[j][0] == "p" and j > i and j + 1 < len(blocks) \
                    and blocks[j + 1][0] in ("table", "chart"):
                j += 1
            group = blocks[i:j + 1]
            if not self.fits(group):
                self.pdf.add_page()
            for block in group:
                self.draw(self.pdf, block)
            i = j + 1


def qbr_pack_pdf(period: str, filters: Filters, db=None, progress: Progress | None = None) -> bytes:
    """The same pack as a PDF (fpdf2, charts as images), for those who file the review: every
    page's footer says scope, period, data date and page n of N."""
    document = _Document(scope_line(filters, db, period))
    pdf = document.pdf
    pdf.set_title(f"Sightline QBR · {scope_words(filters)} · {period}")
    document.text(pdf, 18, title(period), "B", 2)
    pdf.set_fill_color(244, 244, 244)
    pdf.set_font("DejaVu", "", 8.5)
    pdf.multi_cell(pdf.epw, 5.5, stamp(period, filters, db), fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.set_fill_color(255, 255, 255)   # tables take the current fill for their cells
    pdf.ln(2)
    document.add(qbr_blocks(period, filters, db, progress))
    return bytes(pdf.output())
