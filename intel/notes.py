"""Strategy notes (SWOT and PESTEL) tied to evidence, suggestions drawn from the data, and the
market view. Notes are versioned: an edit, a delete and a restore each add a version, and a save
made against an older version than the newest is refused (never a silent overwrite).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import pandas as pd

from intel import alerts, forecast, metrics, models, signals, store
from intel.access import Actor, require
from intel.filters import Filters, default_range
from intel.periods import fiscal_year_start
from intel.views import View

FRAMEWORKS = {
    "SWOT": ["Strength", "Weakness", "Opportunity", "Threat"],
    "PESTEL": ["Political", "Economic", "Social", "Technological", "Environmental", "Legal"],
}
SCOPE_KINDS = ("company", "region", "segment", "account", "competitor")
IMPACTS = ("high", "medium", "low")
STATUSES = ("open", "acted on", "retired")
WIN_RATE_SHIFT = 0.05      # five points of win rate, quarter on quarter, is marked
BOOKINGS_SHIFT = 0.20      # a fifth more or less bookings, quarter on quarter
MARKET_GAP = 0.05          # market growing five points faster than our bookings (year on year)
INDICATOR_MOVES = {"inflation": 2.0, "gdp": 1.0, "fx": 0.10}   # points, points, relative


class NoteConflict(Exception):
    """The note changed since it was opened; the newer text is attached."""

    def __init__(self, message: str, newer: dict):
        super().__init__(message)
        self.newer = newer


@dataclass
class Note:
    framework: str
    category: str
    text: str
    scope_kind: str = "company"
    scope_value: str = ""
    impact: str = "medium"
    owner: str | None = None
    status: str = "open"
    evidence: dict | None = None

    def check(self) -> "Note":
        if self.framework not in FRAMEWORKS or self.category not in FRAMEWORKS[self.framework]:
            raise ValueError(f"{self.category!r} is not a {self.framework} category.")
        if self.scope_kind not in SCOPE_KINDS:
            raise ValueError(f"Unknown scope {self.scope_kind!r}.")
        if self.scope_kind != "company" and not (self.scope_value or "").strip():
            raise ValueError(f"Say which {self.scope_kind} the note is about.")
        if self.impact not in IMPACTS or self.status not in STATUSES:
            raise ValueError("Impact is high, medium or low; status is open, acted on or retired.")
        if not self.text.strip():
            raise ValueError("A note needs some text.")
        return self


def _insert(cur, note_id: int, version: int, note: Note, author: str, deleted: bool) -> None:
    cur.execute(
        """INSERT INTO note_versions VALUES ($id, $v, $framework, $category, $kind, $value, $text, $impact,
               $owner, $status, $evidence, $author, now()::TIMESTAMP, $deleted)""",
        {"id": note_id, "v": version, "framework": note.framework, "category": note.category,
         "kind": note.scope_kind, "value": "" if note.scope_kind == "company" else note.scope_value.strip(),
         "text": note.text.strip(), "impact": note.impact, "owner": (note.owner or "").strip() or None,
         "status": note.status, "evidence": json.dumps(note.evidence) if note.evidence else None,
         "author": author, "deleted": deleted})


def add_note(note: Note, db=None, *, by: Actor) -> int:
    """Create a note (as `by`, a manager or above); returns its id."""
    require(by, "edit notes")
    note.check()
    with store.transaction(db) as cur:
        note_id = cur.execute("SELECT nextval('note_id_seq')").fetchone()[0]
        _insert(cur, note_id, 1, note, by.name, False)
    return note_id


def _current(cur, note_id: int) -> dict:
    row = cur.execute("SELECT * FROM notes_current WHERE note_id = $i", {"i": note_id}).df()
    if row.empty:
        raise ValueError(f"There is no note #{note_id}.")
    return row.iloc[0].to_dict()


def _note_from(row: dict) -> Note:
    return Note(row["framework"], row["category"], row["text"], row["scope_kind"], row["scope_value"],
                row["impact"], row["owner"], row["status"],
                json.loads(row["evidence"]) if isinstance(row["evidence"], str) else None)


def _new_version(note_id: int, expected_version: int, by: Actor, db, deleted: bool | None = None,
                 **changes) -> int:
    require(by, "edit notes")

    def work(cur) -> int:   # run again from a fresh read when another save lands at the same moment
        current = _current(cur, note_id)
        if int(current["version"]) != int(expected_version):
            raise NoteConflict(
                f"Note #{note_id} was changed by {current['author']} at {current['saved_at']:%Y-%m-%d %H:%M} "
                f"after you opened it (version {current['version']}, you had {expected_version}); "
                f"your change was not saved. The newer text is: “{current['text']}”", current)
        note = _note_from(current)
        for key, value in changes.items():
            setattr(note, key, value)
        note.check()
        version = int(current["version"]) + 1
        _insert(cur, note_id, version, note, by.name, current["deleted"] if deleted is None else deleted)
        return version

    return store.write(work, db)


def edit_note(note_id: int, expected_version: int, db=None, *, by: Actor, **changes) -> int:
    """Save a new version with `changes` (text, impact, owner, status, category, evidence...);
    refused with NoteConflict when the note moved on since `expected_version`."""
    return _new_version(note_id, expected_version, by, db, **changes)


def retire_note(note_id: int, expected_version: int, db=None, *, by: Actor) -> int:
    return _new_version(note_id, expected_version, by, db, status="retired")


def delete_note(note_id: int, expected_version: int, db=None, *, by: Actor) -> int:
    """Soft delete (a new version marked deleted); restore_note brings it back."""
    return _new_version(note_id, expected_version, by, db, deleted=True)


def restore_note(note_id: int, expected_version: int, db=None, *, by: Actor) -> int:
    return _new_version(note_id, expected_version, by, db, deleted=False)


def note_history(note_id: int, db=None) -> pd.DataFrame:
    """Every version of a note, oldest first."""
    cur = store.cursor(db)
    try:
        return cur.execute("SELECT * FROM note_versions WHERE note_id = $i ORDER BY version",
                           {"i": note_id}).df()
    finally:
        cur.close()


def notes(scope_kind: str | None = None, scope_value: str | None = None, framework: str | None = None,
          include_deleted: bool = False, db=None) -> pd.DataFrame:
    """The current version of each note, for a scope (None: all) — the QBR pack reads this too."""
    cur = store.cursor(db)
    try:
        table = cur.execute(
            """SELECT note_id, version, framework, category, scope_kind, scope_value, text, impact, owner,
                      status, evidence, author, saved_at, deleted
               FROM notes_current
               WHERE ($kind IS NULL OR scope_kind = $kind) AND ($value IS NULL OR scope_value = $value)
                 AND ($framework IS NULL OR framework = $framework) AND ($all OR NOT deleted)
               ORDER BY framework, category, CASE impact WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END,
                        note_id""",
            {"kind": scope_kind, "value": scope_value, "framework": framework,
             "all": include_deleted}).df()
    finally:
        cur.close()
    # a missing owner, scope value or evidence is None, not NaN ("owner nan"; `'page' in nan` raised)
    for column in ("scope_value", "owner", "evidence"):
        table[column] = table[column].astype(object).where(table[column].notna(), None)
    return table


def boards_markdown(table: pd.DataFrame, title: str) -> str:
    """A scope's boards as Markdown (note text escaped so it stays text)."""
    def escape(text: str) -> str:
        return "".join("\\" + ch if ch in "\\`*_{}[]()#+-.!|<>" else ch for ch in str(text))

    lines = [f"# {escape(title)}", ""]
    for framework, categories in FRAMEWORKS.items():
        lines += [f"## {framework}", ""]
        for category in categories:
            part = table[(table["framework"] == framework) & (table["category"] == category)]
            lines.append(f"### {category}")
            lines += [f"- {escape(r.text)} ({r.impact} impact, {r.status}"
                      f"{', owner ' + escape(r.owner) if r.owner else ''})" for r in part.itertuples()] or ["- —"]
            lines.append("")
    return "\n".join(lines)


# ---- suggestions ----

@dataclass
class Suggestion:
    key: str
    framework: str
    category: str
    scope_kind: str
    scope_value: str
    text: str
    numbers: dict = field(default_factory=dict)
    evidence: View | dict | None = None   # the page view behind it, or the market data it read

    def as_note(self) -> Note:
        evidence = self.evidence.as_dict() if isinstance(self.evidence, View) else self.evidence
        return Note(self.framework, self.category, self.text, self.scope_kind, self.scope_value,
                    "high" if self.category in ("Threat", "Weakness") else "medium", evidence=evidence)


def _decided(db) -> set[str]:
    cur = store.cursor(db)
    try:
        return {k for (k,) in cur.execute("SELECT key FROM suggestion_decisions").fetchall()}
    finally:
        cur.close()


def _market(db) -> pd.DataFrame:
    cur = store.cursor(db)
    try:
        return cur.execute("SELECT period, coalesce(period_grain, 'month') AS period_grain, region, indicator, "
                           "value, unit FROM market ORDER BY period").df()
    finally:
        cur.close()


def _shifts(metric: str, dim: str, kind: str, shift: float, f: Filters, db, min_sample: int) -> list:
    """Members of `dim` whose `metric` moved by `shift` or more, up or down, from the quarter
    before to the latest complete one: two alert rules, shown, not recorded (intel/alerts.py)."""
    found = []
    for comparator, threshold in ((">=", shift), ("<=", -shift)):
        rule = alerts.Rule(f"{metric} shift per {dim}", metric, dim, comparator, threshold, threshold_kind=kind,
                           grain="quarter", min_sample=min_sample)
        found += alerts.test_rule(rule, db, f)
    return sorted(found, key=lambda b: b.member)


def suggestions(db=None) -> list[Suggestion]:
    """What the data suggests for the boards, not yet accepted or dismissed, with its numbers."""
    found: list[Suggestion] = []
    start, end = default_range(db)
    f = Filters(start, end)
    for s in signals.rising_competitors(f, db=db):
        found.append(Suggestion(
            f"threat:competitor:{s.subject}:{s.numbers['to_period']}", "SWOT", "Threat", "competitor", s.subject,
            s.text, s.numbers, View("win-loss", breakdown="competitor")))
    for dim in ("segment", "region"):
        # win rate: WIN_RATE_SHIFT points either way, each quarter with the minimum sample behind it
        for b in _shifts("win_rate", dim, "points_vs_previous", WIN_RATE_SHIFT, f, db, metrics.min_sample()):
            (prev, last), (before, now), shift = (b.base_periods[-1], b.periods[-1]), (b.bases[-1], b.observed[-1]), \
                b.values[-1]
            category = "Strength" if shift > 0 else "Weakness"
            found.append(Suggestion(
                f"{category.lower()}:win_rate:{dim}:{b.member}:{last}", "SWOT", category, dim, b.member,
                f"{b.member}: win rate {now:.0%} in {last}, {'up' if shift > 0 else 'down'} "
                f"{abs(shift) * 100:.0f} points from {before:.0%} in {prev}.",
                {"from": before, "to": now, "periods": [prev, last]},
                View("win-loss", {dim: [b.member]}, grain="quarter")))
        # bookings: BOOKINGS_SHIFT of the quarter before, either way (from bookings above zero)
        for b in _shifts("bookings", dim, "vs_previous", BOOKINGS_SHIFT, f, db, 0):
            (prev, last), (before, now), change = (b.base_periods[-1], b.periods[-1]), (b.bases[-1], b.observed[-1]), \
                b.values[-1]
            if not before > 0:
                continue
            category = "Strength" if change > 0 else "Weakness"
            found.append(Suggestion(
                f"{category.lower()}:bookings:{dim}:{b.member}:{last}", "SWOT", category, dim, b.member,
                f"{b.member}: bookings {change:+.0%} in {last} on {prev} ({before:,.0f} → {now:,.0f}).",
                {"from": before, "to": now, "periods": [prev, last]},
                View("forecast", {dim: [b.member]}, breakdown=dim)))
    found += _market_suggestions(f, db)
    decided = _decided(db)
    return [s for s in found if s.key not in decided]


# Market suggestions read the imported market indicators, not a catalogue metric, so they are
# not alert rules: they keep their own comparisons here.
def _market_suggestions(f: Filters, db) -> list[Suggestion]:
    market = _market(db)
    if market.empty:
        return []
    market["period"] = pd.to_datetime(market["period"])
    out = []
    last = market["period"].max()
    year_ago, half_ago = last - pd.DateOffset(years=1), last - pd.DateOffset(months=6)
    sizes = market[market["indicator"].str.lower().str.contains("market size")]
    if not sizes.empty:
        won = forecast.forecast_vs_actual("region", Filters(year_ago.date().replace(day=1) - dt.timedelta(days=366),
                                                            last.date()), "month", db=db)
        won["period_start"] = pd.to_datetime(won["period_start"])
        for region, part in sizes.groupby("region"):
            now, then = part[part["period"] == last]["value"], part[part["period"] == year_ago]["value"]
            ours = won[won["member"] == region]
            window_now = ours[(ours["period_start"] > year_ago) & (ours["period_start"] <= last)]["actual"].sum()
            window_then = ours[(ours["period_start"] > year_ago - pd.DateOffset(years=1))
                               & (ours["period_start"] <= year_ago)]["actual"].sum()
            if now.empty or then.empty or not window_then:
                continue
            market_growth = float(now.iloc[0]) / float(then.iloc[0]) - 1
            our_growth = window_now / window_then - 1
            if market_growth - our_growth >= MARKET_GAP:
                out.append(Suggestion(
                    f"opportunity:market:{region}:{last:%Y-%m}", "SWOT", "Opportunity", "region", region,
                    f"{region}: the market grew {market_growth:+.0%} in a year to {last:%Y-%m}, our bookings "
                    f"{our_growth:+.0%}: room to take share.",
                    {"market_growth": market_growth, "bookings_growth": our_growth},
                    {"indicator": "Market size", "region": region}))
    for (region, indicator, grain), part in market.groupby(["region", "indicator", "period_grain"]):
        name = indicator.lower()
        # "FX EUR/USD", "Exchange rate", "Exchange rates": a currency, moving relatively
        kind = "fx" if "exchange rate" in name else next((k for k in INDICATOR_MOVES if k in name), None)
        if kind is None:
            continue
        end, start = last, half_ago
        if grain == "year":   # a yearly series moves year on year, up to its own latest year
            end = part["period"].max()
            start = end - pd.DateOffset(years=1)
        now, then = part[part["period"] == end]["value"], part[part["period"] == start]["value"]
        if now.empty or then.empty:
            continue
        a, b = float(then.iloc[0]), float(now.iloc[0])
        move = (b / a - 1) if kind == "fx" else (b - a)
        if abs(move) >= INDICATOR_MOVES[kind]:
            shown = f"{move:+.0%}" if kind == "fx" else f"{move:+.1f} points"
            out.append(Suggestion(
                f"pestel:economic:{region}:{indicator}:{end:%Y-%m}", "PESTEL", "Economic", "region", region,
                f"{region}: {indicator} moved {shown} in {'a year' if grain == 'year' else 'six months'} "
                f"({a:g} → {b:g}, {start:%Y-%m} to {end:%Y-%m}).", {"from": a, "to": b},
                {"indicator": indicator, "region": region}))
    return out


def accept_suggestion(suggestion: Suggestion, db=None, *, by: Actor) -> int:
    """Put a suggestion on its board (one click, a manager or above); it will not be suggested again."""
    note_id = add_note(suggestion.as_note(), db, by=by)
    _decide(suggestion.key, "accepted", note_id, by, db)
    return note_id


def dismiss_suggestion(suggestion: Suggestion, db=None, *, by: Actor) -> None:
    _decide(suggestion.key, "dismissed", None, by, db)


def _decide(key: str, decision: str, note_id, by: Actor, db) -> None:
    require(by, "edit notes")
    with store.transaction(db) as cur:
        cur.execute("INSERT OR REPLACE INTO suggestion_decisions VALUES ($k, $d, $n, now()::TIMESTAMP, $by)",
                    {"k": key, "d": decision, "n": note_id, "by": by.name})


# ---- market view ----

def _bookings_by_grain(cur) -> pd.DataFrame:
    """Won amount per region and month, (fiscal) quarter and calendar year: a yearly indicator (World
    Bank files) sits beside the whole year's bookings, not its January's."""
    return cur.execute(
        """SELECT period_start(close_date, g.grain, $fy) AS period, g.grain AS period_grain, region,
                  sum(amount) AS bookings
           FROM deal_facts, (VALUES ('month'), ('quarter')) g(grain) WHERE is_won GROUP BY ALL
           UNION ALL
           SELECT CAST(date_trunc('year', close_date) AS DATE), 'year', region, sum(amount)
           FROM deal_facts WHERE is_won GROUP BY ALL""", {"fy": fiscal_year_start()}).df()


def market_view(region: str | None = None, db=None) -> pd.DataFrame:
    """Per period (month, quarter or year, as each indicator is published) and region: each imported
    indicator, our bookings in that period, and our share where a market size in the reporting
    currency (unit like 'USD m') exists."""
    market = _market(db)
    if market.empty:
        return market
    models.refresh(db)
    cur = store.cursor(db)
    try:
        currency = cur.execute("SELECT value FROM settings WHERE name = 'reporting_currency'").fetchone()[0]
        bookings = _bookings_by_grain(cur)
    finally:
        cur.close()
    wide = market.pivot_table(index=["period", "period_grain", "region"], columns="indicator",
                              values="value").reset_index()
    wide = wide.merge(bookings, on=["period", "period_grain", "region"], how="left")
    sizes = market[market["indicator"].str.lower().str.contains("market size")]
    if not sizes.empty:
        unit = str(sizes["unit"].iloc[0] or "")
        scale = {"k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9, "b": 1e9}.get(unit.split()[-1].lower(), 1) \
            if unit.upper().startswith(currency) else None
        name = sizes["indicator"].iloc[0]
        wide["market_share"] = wide["bookings"] / (wide[name] * scale) if scale else None
    if region:
        wide = wide[wide["region"] == region]
        if wide.empty:   # no market data for this region: an empty view, its columns kept
            return wide
        empty = [c for c in wide.columns if c not in ("bookings", "market_share") and wide[c].isna().all()]
        wide = wide.drop(columns=empty)   # indicators of other regions (FX of another currency)
    return wide.sort_values(["region", "period"])
