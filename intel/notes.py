"""Strategy notes (SWOT and PESTEL) tied to evidence, suggestions drawn from the data, and the
market view. Notes are versioned: an edit, a delete and a restore each add a version, and a save
made against an older version than the newest is refused (never a silent overwrite).

A note's evidence is the exact view a figure is read in (page, filters with their period,
breakdown, grain: an intel.views.View) and the figure as cited ("Win rate 21.7% · Segment: SMB ·
2026-Q3"), stored together as JSON (`Evidence.as_dict`, read back by `Evidence.read`).
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field

import pandas as pd

from intel import accounts, alerts, config, forecast, metrics, models, periods, signals, store
from intel.access import Actor, require
from intel.filters import DIMENSIONS, Filters, default_range, scope_text
from intel.periods import fiscal_year_start
from intel.views import PAGES, View

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
STANCE_CATEGORIES = {"defend": "Threat", "attack": "Opportunity", "fire": "Weakness"}   # SWOT, of an account
STANCES_SUGGESTED = 10     # accounts suggested per stance, the largest by bookings of the last 12 months first
LEAD_SOURCE_GAP = 0.10     # a lead source winning ten points more often than the other sources together


class NoteConflict(Exception):
    """The note changed since it was opened; the newer text is attached."""

    def __init__(self, message: str, newer: dict):
        super().__init__(message)
        self.newer = newer


@dataclass(frozen=True)
class Evidence:
    """What a note cites: the view the figure is read in (page, filters with their period,
    breakdown, grain) and the figure itself, in words as cited and as the number."""
    view: View | None
    figure: str = ""             # 'Win rate 21.7% · Segment: SMB · 2026-Q3'
    value: float | None = None   # 0.2169..., unrounded

    def as_dict(self) -> dict:
        """What a note stores: the view's fields (so a reader of views reads it as one) and 'cited'."""
        value = None if self.value is None or pd.isna(self.value) else float(self.value)
        return {**(self.view.as_dict() if self.view else {}), "cited": {"figure": self.figure, "value": value}}

    @classmethod
    def read(cls, stored) -> "Evidence | None":
        """A note's stored evidence (JSON text or a dict) as Evidence; None when the note cites
        nothing. Evidence saved before figures were cited reads with an empty figure; market evidence
        saved as {indicator, region} as the Strategy page's market of that region; a {page, query}
        (saved before views, in the page's URL keys) with no view: the page reads its link."""
        if isinstance(stored, str):
            try:
                stored = json.loads(stored)
            except ValueError:
                return None
        if not isinstance(stored, dict) or not stored:
            return None
        cited = stored.get("cited") if isinstance(stored.get("cited"), dict) else {}
        figure, value = str(cited.get("figure") or ""), cited.get("value")
        if stored.get("page") in PAGES and "query" not in stored:
            return cls(View.from_dict(stored), figure, value)
        if "indicator" in stored and stored.get("region"):
            return cls(View("strategy", {"region": [stored["region"]]}),
                       figure or f"{stored['indicator']} · {stored['region']}", value)
        return cls(None, figure, value)


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
    evidence: Evidence | dict | None = None   # stored as Evidence.as_dict()

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
         "status": note.status, "evidence": _stored_evidence(note.evidence),
         "author": author, "deleted": deleted})


def _stored_evidence(evidence) -> str | None:
    if isinstance(evidence, Evidence):
        evidence = evidence.as_dict()
    return json.dumps(evidence) if evidence else None


def _without_nan(table: pd.DataFrame) -> pd.DataFrame:
    """Every missing text (a NULL owner, scope value or evidence: NaN, None or pd.NA as pandas
    reads it) as None, so a reader tests `if row.owner` ('owner nan'; `'page' in nan` raised)."""
    for column in table.columns:
        if not (pd.api.types.is_numeric_dtype(table[column]) or pd.api.types.is_datetime64_any_dtype(table[column])
                or pd.api.types.is_bool_dtype(table[column])):
            table[column] = table[column].astype(object).where(table[column].notna(), None)
    return table


def add_note(note: Note, db=None, *, by: Actor) -> int:
    """Create a note (as `by`, a manager or above); returns its id."""
    require(by, "edit notes")
    note.check()
    with store.transaction(db) as cur:
        note_id = cur.execute("SELECT nextval('note_id_seq')").fetchone()[0]
        _insert(cur, note_id, 1, note, by.name, False)
    return note_id


def _current(cur, note_id: int) -> dict:
    row = _without_nan(cur.execute("SELECT * FROM notes_current WHERE note_id = $i", {"i": note_id}).df())
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
        return _without_nan(cur.execute("SELECT * FROM note_versions WHERE note_id = $i ORDER BY version",
                                        {"i": note_id}).df())
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
    return _without_nan(table)


def scope_title(scope_kind: str, scope_value: str | None) -> str:
    """A board's scope in words: 'The whole company', 'Segment: SMB'."""
    return "The whole company" if scope_kind == "company" else f"{scope_kind.capitalize()}: {scope_value or ''}"


def boards_markdown(table: pd.DataFrame, title: str) -> str:
    """A scope's boards as Markdown (note text escaped so it stays text): each note with its impact,
    status, owner and the figure it cites; categories without a note named in one line."""
    def escape(text: str) -> str:
        return "".join("\\" + ch if ch in "\\`*_{}[]()#+-.!|<>" else ch for ch in str(text))

    lines = [f"# {escape(title)}", ""]
    for framework, categories in FRAMEWORKS.items():
        lines += [f"## {framework}", ""]
        board = table[table["framework"] == framework]
        if board.empty:
            lines += [f"No {framework} notes yet.", ""]
            continue
        for category in categories:
            part = board[board["category"] == category]
            if part.empty:
                continue
            lines.append(f"### {category}")
            for r in part.itertuples():
                cited = Evidence.read(r.evidence)
                lines.append(f"- {escape(r.text)} ({r.impact} impact, {r.status}"
                             f"{', owner ' + escape(r.owner) if r.owner else ''})"
                             + (f"; evidence: {escape(cited.figure)}" if cited and cited.figure else ""))
            lines.append("")
        empty = [c for c in categories if c not in set(board["category"])]
        if empty:
            lines += [f"Nothing yet on: {', '.join(empty)}.", ""]
    return "\n".join(lines)


def boards_table(table: pd.DataFrame) -> pd.DataFrame:
    """Notes as a download reads them: people's headers, the scope in words, the figure each cites."""
    out = pd.DataFrame({
        "Note": table["note_id"], "Framework": table["framework"], "Category": table["category"],
        "Scope": [scope_title(k, v) for k, v in zip(table["scope_kind"], table["scope_value"])],
        "Text": table["text"], "Impact": table["impact"], "Status": table["status"],
        "Owner": [o or "" for o in table["owner"]],
        "Evidence": [(e.figure if (e := Evidence.read(v)) else "") for v in table["evidence"]],
        "Version": table["version"], "Saved by": table["author"], "Saved at": table["saved_at"]})
    return out.reset_index(drop=True)


def history_table(note_id: int, db=None) -> pd.DataFrame:
    """Every version of a note as a person reads it, newest first."""
    history = note_history(note_id, db)
    return pd.DataFrame({
        "Version": history["version"], "Saved at": history["saved_at"], "Saved by": history["author"],
        "Text": history["text"], "Category": history["category"], "Impact": history["impact"],
        "Owner": [o or "" for o in history["owner"]], "Status": history["status"],
        "Evidence": [(e.figure if (e := Evidence.read(v)) else "") for v in history["evidence"]],
        "Deleted": ["deleted" if d else "" for d in history["deleted"]]}).iloc[::-1].reset_index(drop=True)


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
    evidence: Evidence | None = None   # the figure it rests on, with the exact view it is read in

    def as_note(self) -> Note:
        evidence = self.evidence.as_dict() if isinstance(self.evidence, Evidence) else self.evidence
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


def _window(first: str, last: str, **dims) -> dict:
    """View filters covering the periods `first` to `last` ('2026-Q2', '2026-Q3'), narrowed by `dims`."""
    return {"from": periods.bounds(first)[0].isoformat(), "to": periods.bounds(last)[1].isoformat(),
            **{dim: [member] for dim, member in dims.items()}}


def _percent(value) -> str:
    return metrics.format_value(value, "percent")


def suggestions(db=None) -> list[Suggestion]:
    """What the data suggests for the boards, not yet accepted or dismissed, with its numbers and
    the figure it rests on, read in the exact view (page, filters, the two periods compared)."""
    return undecided(suggested(db), db)


def undecided(found: list[Suggestion], db=None) -> list[Suggestion]:
    """Of `found`, those no one accepted or dismissed yet (read live: a click decides one)."""
    decided = _decided(db)
    return [s for s in found if s.key not in decided]


def suggested(db=None) -> list[Suggestion]:
    """Everything the data suggests, decided or not: it changes only with the data and the managers'
    account decisions, so a page may keep it (half a second of queries) and sift it with undecided."""
    found: list[Suggestion] = []
    start, end = default_range(db)
    f = Filters(start, end)
    for s in signals.rising_competitors(f, db=db):
        first, last = s.numbers["from_period"], s.numbers["to_period"]
        found.append(Suggestion(
            f"threat:competitor:{s.subject}:{last}", "SWOT", "Threat", "competitor", s.subject,
            s.text, s.numbers,
            Evidence(View("win-loss", _window(first, last), breakdown="competitor", grain="quarter"),
                     f"{s.subject} named in {_percent(s.numbers['to'])} of our losses · {last} "
                     f"({_percent(s.numbers['from'])} in {first})", s.numbers["to"])))
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
                Evidence(View("win-loss", _window(prev, last, **{dim: b.member}), grain="quarter"),
                         f"Win rate {_percent(now)} · {dim.capitalize()}: {b.member} · {last} "
                         f"({_percent(before)} in {prev})", now)))
        # bookings: BOOKINGS_SHIFT of the quarter before, either way (from bookings above zero)
        for b in _shifts("bookings", dim, "vs_previous", BOOKINGS_SHIFT, f, db, 0):
            (prev, last), (before, now), change = (b.base_periods[-1], b.periods[-1]), (b.bases[-1], b.observed[-1]), \
                b.values[-1]
            if not before > 0:
                continue
            category = "Strength" if change > 0 else "Weakness"
            found.append(Suggestion(
                f"{category.lower()}:bookings:{dim}:{b.member}:{last}", "SWOT", category, dim, b.member,
                f"{b.member}: bookings {change:+.0%} in {last} on {prev} ({models.money(before)} → "
                f"{models.money(now)}).",
                {"from": before, "to": now, "periods": [prev, last]},
                Evidence(View("forecast", _window(prev, last, **{dim: b.member}), breakdown=dim, grain="quarter"),
                         f"Bookings {models.money(now)} · {dim.capitalize()}: {b.member} · {last} "
                         f"({models.money(before)} in {prev})", now)))
    found += _account_suggestions(f, db) + _lead_source_suggestions(f, db) + _discount_suggestions(f, db)
    return found + _market_suggestions(f, db)


# ---- from the accounts: stances no manager decided, the best lead source, rising discounts ----

# what a suggestion leaves out of a stance rule: its details in brackets (counts before, the amounts
# behind a change, the worst-10% bar), not the comparisons it rests on (overall, the median customer)
_DETAIL = re.compile(r"\s*\((?!overall|median customer)[^()]*\)")
_LOWER = ("Bookings", "Median", "Average", "Win", "Share", "Prospect", "Lost")   # words a rule starts with


def _rules_said(rules: str) -> str:
    """The rules an account met, as a suggestion says them: 'bookings -40% year on year; Fabrikam in 3
    of its last 5 deals' (a rule may hold a comma: they are parted by semicolons)."""
    parts = []
    for part in (rules or "").split("; "):
        part = _DETAIL.sub("", part).replace(" on the 12 months before", " year on year").strip()
        if part:
            parts.append(part[:1].lower() + part[1:] if part.split()[0] in _LOWER else part)
    return "; ".join(parts)


def _account_suggestions(f: Filters, db) -> list[Suggestion]:
    """The accounts the rules propose to fire, defend or attack and no manager decided on (the
    STANCES_SUGGESTED largest of each), on the account's SWOT board: defend a threat, attack an
    opportunity, fire a weakness."""
    stance = accounts.account_stance(f, db)
    open_ = stance[stance["proposed"].isin(list(STANCE_CATEGORIES)) & (stance["override_version"] == 0)]
    found = []
    for name, part in open_.groupby("proposed", sort=False):
        for r in part.head(STANCES_SUGGESTED).to_dict("records"):
            anchor = pd.Timestamp(r["anchor"]).date() if not pd.isna(r["anchor"]) else f.date_to
            said = _rules_said(r["rules"])
            found.append(Suggestion(
                f"{STANCE_CATEGORIES[name].lower()}:stance:{name}:{r['account']}:{periods.label(anchor, 'quarter')}",
                "SWOT", STANCE_CATEGORIES[name], "account", r["account"],
                f"{r['account']}: {said} → {name}?" if said else f"{r['account']} → {name}?",
                {"stance": name, "bookings_recent": r["bookings_recent"], "bookings_change": r["bookings_change"]},
                Evidence(View("accounts", {}),   # the figure: its bookings; the rules in full are on the page
                         f"Bookings {models.money(r['bookings_recent'])} · Account: {r['account']} · 12 months to "
                         f"{anchor:%Y-%m-%d}" + ("" if pd.isna(r["bookings_change"]) else
                                                 f" ({r['bookings_change']:+.0%} on the 12 months before)"),
                         r["bookings_recent"])))
    return found


def _lead_source_suggestions(f: Filters, db) -> list[Suggestion]:
    """The lead source whose opportunities (created in the range) win most often, when it wins
    LEAD_SOURCE_GAP or more above the other sources together, both with the minimum sample closed:
    an opportunity to put more of the marketing budget behind it."""
    funnel = metrics.run("lead_source_funnel", f, db=db, grain="all", funnel_by="lead_source")
    named = funnel[funnel["member"] != "(none)"].assign(closed=lambda t: t["won"] + t["lost"])
    enough = named[named["closed"] >= metrics.min_sample()].sort_values(["win_rate", "closed"], ascending=False)
    if enough.empty:
        return []
    best = enough.iloc[0]
    rest = named[named["member"] != best["member"]]
    won, closed = int(rest["won"].sum()), int(rest["closed"].sum())
    if closed < metrics.min_sample() or best["win_rate"] - won / closed < LEAD_SOURCE_GAP - 1e-12:
        return []
    source, rate, others = best["member"], float(best["win_rate"]), won / closed
    return [Suggestion(
        f"opportunity:lead_source:{source}:{periods.label(f.date_to, 'quarter')}", "SWOT", "Opportunity", "company",
        "", f"{source} wins {rate:.0%} of its deals against {others:.0%} for the other sources → shift budget "
            "toward it?",
        {"win_rate": rate, "others": others, "closed": int(best["closed"]), "others_closed": closed},
        Evidence(View("accounts", {"from": f.date_from.isoformat(), "to": f.date_to.isoformat()}),
                 f"Win rate {_percent(rate)} · Lead source: {source} · opportunities created {f.date_from:%Y-%m-%d} "
                 f"to {f.date_to:%Y-%m-%d} ({int(best['won']):,} won of {int(best['closed']):,} closed; the other "
                 f"sources {_percent(others)}, {won:,} of {closed:,})", rate))]


def _discount_suggestions(f: Filters, db) -> list[Suggestion]:
    """Owners whose average discount rose quarter after quarter (intel.accounts.rising_discounts):
    a weakness in pricing governance, with the win rate beside it."""
    found = []
    for r in accounts.rising_discounts(f, db).to_dict("records"):
        first, last = (q.strip() for q in r["quarters"].split("→"))
        found.append(Suggestion(
            f"weakness:discount:owner:{r['member']}:{last}", "SWOT", "Weakness", "company", "",
            f"{r['member']}: average discount {r['discounts']} from {first} to {last} (win rate {r['win_rates']}) "
            "→ hold the approval thresholds and coach value selling?",
            {"rise": r["rise"], "win_rate_change": r["win_rate_change"], "periods": [first, last]},
            Evidence(View("accounts", {"from": periods.bounds(first)[0].isoformat(),
                                       "to": periods.bounds(last)[1].isoformat(), "owner": [r["member"]]},
                          breakdown="owner"),
                     f"Average discount {r['discounts']} · Owner: {r['member']} · {first} to {last} "
                     f"(win rate {r['win_rates']})", r["rise"])))
    return found


def _whose(f: Filters) -> str:
    """The scope a figure covers, in words: 'Segment: SMB', or 'whole company' without a filter."""
    return scope_text(f) if any(getattr(f, dim) for dim in DIMENSIONS) else "whole company"


def evidence_choices(scope_kind: str, scope_value: str, filters: Filters, db=None) -> list[Evidence]:
    """Figures a note written on a board can cite, each with the exact view it is read in: for the
    last complete quarter of `filters`' period, with `filters`' regions, segments, owners and
    products narrowed to the board's scope (a region or segment board: that member; a competitor
    board: the figures against that competitor): win rate (Win-loss), bookings and attainment
    (Forecast vs actual); on a region board, the latest value of each market indicator in the
    period (the Strategy page's market). Empty when the period holds no quarter."""
    _, quarter = forecast.period_options(filters, "quarter", db=db)
    if quarter is None:
        return []
    first, last, _ = periods.bounds(quarter)
    f = filters.with_(date_from=first, date_to=last)
    if scope_kind in DIMENSIONS and scope_value:
        f = f.with_(**{scope_kind: (scope_value,)})
    query = {k: (v[0] if k in ("from", "to") else v) for k, v in f.to_query().items()}
    whose, out = _whose(f), []
    rate = metrics.run("win_rate", f, db=db, dim="total", grain="all")
    if not rate.empty and not pd.isna(rate["win_rate"].iloc[0]):
        r = rate.iloc[0]
        out.append(Evidence(View("win-loss", query, grain="quarter"),
                            f"Win rate {_percent(r['win_rate'])} · {whose} · {quarter} "
                            f"({int(r['won']):,} won of {int(r['closed']):,} closed)", float(r["win_rate"])))
    if scope_kind not in DIMENSIONS or scope_kind in metrics.PLAN_DIMENSIONS:
        plan = metrics.run("bookings", f, db=db, dim="total", grain="quarter")
        plan = plan[plan["period"] == quarter]
        if not plan.empty:
            r = plan.iloc[0]
            view = View("forecast", query, breakdown=scope_kind if scope_kind in DIMENSIONS else None,
                        grain="quarter")
            if not pd.isna(r["actual"]):
                out.append(Evidence(view, f"Bookings {models.money(r['actual'])} · {whose} · {quarter}",
                                    float(r["actual"])))
            if not pd.isna(r["attainment"]):
                out.append(Evidence(view, f"Attainment {_percent(r['attainment'])} · {whose} · {quarter} "
                                          f"({models.money(r['actual'])} of a {models.money(r['target'])} target)",
                                    float(r["attainment"])))
    if scope_kind == "competitor" and scope_value:
        view = View("win-loss", query, breakdown="competitor", grain="quarter")
        against = metrics.run("win_rate", f, db=db, dim="competitor", grain="all")
        against = against[against["member"] == scope_value]
        if not against.empty and not pd.isna(against["win_rate"].iloc[0]):
            r = against.iloc[0]
            out.append(Evidence(view, f"Win rate against {scope_value} {_percent(r['win_rate'])} · {whose} · "
                                      f"{quarter} ({int(r['won']):,} won of {int(r['closed']):,})",
                                float(r["win_rate"])))
        presence = metrics.run("competitor_presence_in_losses", f, db=db, grain="quarter")
        presence = presence[(presence["competitor"] == scope_value) & (presence["period"] == quarter)]
        if not presence.empty:
            r = presence.iloc[0]
            out.append(Evidence(view, f"{scope_value} named in {_percent(r['presence'])} of our losses · "
                                      f"{whose} · {quarter} ({int(r['losses_naming']):,} of {int(r['losses']):,})",
                                float(r["presence"])))
    if scope_kind == "region" and scope_value:
        market = _market(db)
        day = pd.to_datetime(market["period"]).dt.date
        market = market[(market["region"] == scope_value) & (day >= filters.date_from) & (day <= filters.date_to)]
        window = {k: (v[0] if k in ("from", "to") else v) for k, v in filters.to_query().items()}
        view = View("strategy", {**window, "region": [scope_value]})
        for indicator, part in market.groupby("indicator"):
            latest = part.sort_values("period").iloc[-1]
            out.append(Evidence(view, f"{indicator} {latest['value']:g}{_unit(part)} · Region: {scope_value} · "
                                      f"{pd.Timestamp(latest['period']):%Y-%m}", float(latest["value"])))
    return out


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
                    Evidence(View("strategy", {"from": year_ago.date().isoformat(),
                                               "to": periods.month_end(last.date()).isoformat(),
                                               "region": [region]}),
                             f"Market size {market_growth:+.0%}, our bookings {our_growth:+.0%} · Region: {region} · "
                             f"year to {last:%Y-%m}", market_growth)))
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
                Evidence(View("strategy", {"from": start.date().isoformat(),
                                           "to": _period_end(end.date(), grain).isoformat(), "region": [region]}),
                         f"{indicator} {b:g}{_unit(part)} · Region: {region} · {end:%Y-%m} ({a:g} in {start:%Y-%m})",
                         b)))
    return out


def _period_end(first: dt.date, grain: str) -> dt.date:
    """The last day of the month, quarter or year a market period starts on."""
    return periods.add_months(first, {"month": 1, "quarter": 3, "year": 12}.get(grain, 1)) - dt.timedelta(days=1)


def _unit(rows: pd.DataFrame) -> str:
    """' % y/y', ' USD m': the unit of an indicator's latest row, to follow its value; '' for none."""
    unit = rows.sort_values("period")["unit"].dropna()
    return f" {unit.iloc[-1]}" if not unit.empty and str(unit.iloc[-1]).strip() else ""


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


def market_view(region: str | None = None, db=None, date_from: dt.date | None = None,
                date_to: dt.date | None = None) -> pd.DataFrame:
    """Per period (month, quarter or year, as each indicator is published) and region: each imported
    indicator, our bookings in that period, and our share where a market size in the reporting
    currency (unit like 'USD m') exists; with `date_from`/`date_to`, the periods overlapping that
    window only (a yearly figure stays beside a window inside its year)."""
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
    wide.columns.name = None
    wide = wide.merge(bookings, on=["period", "period_grain", "region"], how="left")
    sizes = market[market["indicator"].str.lower().str.contains("market size")]
    if not sizes.empty:
        unit = str(sizes["unit"].iloc[0] or "")
        scale = {"k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9, "b": 1e9}.get(unit.split()[-1].lower(), 1) \
            if unit.upper().startswith(currency) else None
        name = sizes["indicator"].iloc[0]
        wide["market_share"] = wide["bookings"] / (wide[name] * scale) if scale else None
    if date_from is not None or date_to is not None:   # the periods overlapping the window (a year too)
        starts = pd.to_datetime(wide["period"]).dt.date
        ends = [_period_end(day, grain) for day, grain in zip(starts, wide["period_grain"])]
        keep = [(date_from is None or end >= date_from) and (date_to is None or start <= date_to)
                for start, end in zip(starts, ends)]
        wide = wide[keep]
    if region:
        wide = wide[wide["region"] == region]
        if wide.empty:   # no market data for this region: an empty view, its columns kept
            return wide
        empty = [c for c in wide.columns if c not in ("bookings", "market_share") and wide[c].isna().all()]
        wide = wide.drop(columns=empty)   # indicators of other regions (FX of another currency)
    return wide.sort_values(["region", "period"])


def market_units(region: str | None = None, db=None) -> dict[str, str]:
    """The unit each market indicator is published in ('% y/y', 'USD m', '' when the file gave
    none), for a region or all; 'bookings' and 'market_share': our bookings' currency (the
    reporting currency) and '%'."""
    market = _market(db)
    if region:
        market = market[market["region"] == region]
    units = {indicator: str(_unit(part)).strip() for indicator, part in market.groupby("indicator")}
    return {**units, "bookings": config.get("reporting_currency"), "market_share": "%"}
