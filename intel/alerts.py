"""Alert rules, their evaluation over the current data, course-correction prompts, life cycle.

A rule names a catalogue metric (intel/metrics.py: only entries marked alertable), the member
dimension it is per, a comparator, a threshold (on the value itself, on its change against the
period before, the same period last year or the first period of the range), how many consecutive
periods, a grain and a minimum sample. It compiles to SQL, Rill's way: the metric's own SQL,
bound by the catalogue, as a CTE (or, for a metric computed in Python, its frame registered under
the same name), wrapped by the rule's SQL whose rows are the members breaching it: their last
`consecutive` complete periods all breach, each with at least `min_sample` behind it (a missing
or thin period breaks the run). No rows, no alert.

A standing condition is one alert, updated at each evaluation; every action on an alert is kept.
The same engine shows, without recording anything, the win-loss signals (intel/signals.py) and the
strategy suggestions drawn from the numbers (intel/notes.py).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass, field

import pandas as pd

from intel import forecast, metrics, periods, pipeline, store
from intel.access import Actor, require
from intel.filters import Filters, default_range
from intel.views import View, scope_filters

log = logging.getLogger(__name__)

# what rules called two metrics before the catalogue named them (migration 018 renamed stored rules)
LEGACY_METRICS = {"bookings_vs_target": "attainment", "competitor_loss_share": "competitor_presence_in_losses"}
COMPARATORS = {"<": "<", "<=": "<=", ">": ">", ">=": ">="}   # whitelisted: the SQL operator each is
THRESHOLD_KINDS = ("absolute", "vs_previous", "vs_last_year", "points_vs_previous", "points_vs_first")
THRESHOLD_LABELS = {
    "absolute": "The value itself",
    "vs_previous": "Change on the period before (relative)",
    "vs_last_year": "Change on the same period last year (relative)",
    "points_vs_previous": "Difference from the period before",
    "points_vs_first": "Difference from the first period with enough sample",
}
SEVERITIES = ("high", "medium", "low")
SERIES_MONTHS = 27   # history a rule looks at


def alertable() -> dict[str, metrics.Metric]:
    """The catalogue entries a rule may watch, by name."""
    return {m.name: m for m in metrics.CATALOGUE.values() if m.alertable}


def rule_dimensions(metric: metrics.Metric) -> tuple[str, ...]:
    """What a rule on `metric` may be per: the entry's dimensions ('total' reads 'all'); a metric
    without dimensions is per what its rows are about (a competitor), or 'all' when they are periods."""
    if metric.dimensions:
        return tuple("all" if d == "total" else d for d in metric.dimensions)
    return ("all",) if metric.member == "period" else (metric.member,)


def _at_snapshot(metric: metrics.Metric) -> bool:
    """Read at the latest pipeline snapshot (one reading, named by the snapshot's date) rather
    than per period."""
    return "snapshot" in metric.params or "s1" in metric.params


@dataclass
class Rule:
    name: str
    metric: str
    dimension: str
    comparator: str
    threshold: float
    threshold_kind: str = "absolute"
    consecutive: int = 1
    grain: str = "month"
    min_sample: int = 10
    severity: str = "medium"
    enabled: bool = True
    id: int | None = None

    def __post_init__(self):
        self.metric = LEGACY_METRICS.get(self.metric, self.metric)

    @property
    def entry(self) -> metrics.Metric:
        return metrics.get(self.metric)

    def check(self) -> "Rule":
        watched = alertable()
        if self.metric not in watched:
            raise ValueError(f"Unknown metric {self.metric!r}: rules watch {', '.join(watched)}.")
        if self.dimension not in rule_dimensions(watched[self.metric]):
            raise ValueError(f"{watched[self.metric].label} cannot be cut by {self.dimension}.")
        if self.comparator not in COMPARATORS or self.threshold_kind not in THRESHOLD_KINDS:
            raise ValueError("Unknown comparator or threshold kind.")
        if self.grain not in ("month", "quarter") or self.severity not in SEVERITIES:
            raise ValueError("Unknown period or severity.")
        if not 1 <= int(self.consecutive) <= 12 or int(self.min_sample) < 0:
            raise ValueError("Consecutive periods run from 1 to 12; the minimum sample is 0 or more.")
        if not self.name.strip():
            raise ValueError("A rule needs a name.")
        return self

    def describe(self) -> str:
        entry = self.entry
        if self.threshold_kind.startswith("points_"):
            value = f"{self.threshold * 100:g} points" if entry.format == "percent" else f"{self.threshold:g}"
        elif entry.format == "percent" or self.threshold_kind != "absolute":
            value = f"{self.threshold:.0%}"
        else:
            value = f"{self.threshold:g}"
        kind = {"absolute": "", "vs_previous": " change vs the period before",
                "vs_last_year": " change vs the same period last year",
                "points_vs_previous": " change vs the period before",
                "points_vs_first": " change since the first period"}[self.threshold_kind]
        scope = "" if self.dimension == "all" else f" per {self.dimension}"
        return (f"{entry.label}{kind} {self.comparator} {value}{scope}, "
                f"{self.consecutive} consecutive {self.grain}{'s' if self.consecutive > 1 else ''}, "
                f"at least {self.min_sample} behind each")


DEFAULT_RULES = [
    Rule("Win rate below 20% for three consecutive months in a segment", "win_rate", "segment", "<", 0.20,
         consecutive=3, grain="month", min_sample=10, severity="high"),
    Rule("Over-forecasting region: bias above +15% two quarters running", "forecast_bias", "region", ">", 0.15,
         consecutive=2, grain="quarter", min_sample=10, severity="medium"),
    Rule("Sandbagging: bias below −15% two quarters running", "forecast_bias", "owner", "<", -0.15,
         consecutive=2, grain="quarter", min_sample=5, severity="medium"),
    Rule("Bookings below 90% of target two quarters running", "attainment", "region", "<", 0.90,
         consecutive=2, grain="quarter", min_sample=10, severity="high"),
    Rule("Pipeline coverage below 3× the remaining target", "coverage", "all", "<", 3.0,
         grain="quarter", min_sample=10, severity="high"),
    Rule("Velocity down more than 20% on a quarter ago", "velocity_change", "segment", "<", -0.20,
         min_sample=10, severity="medium"),
    Rule("Deals pushed three times or more", "push_count", "all", ">=", 3, min_sample=1, severity="low"),
    Rule("A competitor in more than 20% of our losses", "competitor_presence_in_losses", "competitor", ">", 0.20,
         grain="quarter", min_sample=20, severity="medium"),
]


# ---- rules in the store ----

def ensure_default_rules(db=None) -> None:
    """The default rule set, written once into an empty store (editable afterwards)."""
    cur = store.cursor(db)
    try:
        if cur.execute("SELECT count(*) FROM alert_rules").fetchone()[0]:
            return
    finally:
        cur.close()
    for rule in DEFAULT_RULES:   # part of setting up the store: nobody's action
        _write_rule(Rule(**{**rule.__dict__}), db)


def list_rules(db=None) -> list[Rule]:
    cur = store.cursor(db)
    try:
        rows = cur.execute(
            """SELECT id, name, metric, dimension, comparator, threshold, threshold_kind, consecutive,
                      grain, min_sample, severity, enabled FROM alert_rules ORDER BY id""").fetchall()
    finally:
        cur.close()
    return [Rule(name=r[1], metric=r[2], dimension=r[3], comparator=r[4], threshold=r[5],
                 threshold_kind=r[6], consecutive=r[7], grain=r[8], min_sample=r[9], severity=r[10],
                 enabled=r[11], id=r[0]) for r in rows]


def save_rule(rule: Rule, db=None, *, by: Actor) -> int:
    """Insert a rule, or update the one with its id (as `by`, a manager or above); returns the id."""
    require(by, "edit alert rules")
    return _write_rule(rule, db)


def _write_rule(rule: Rule, db) -> int:
    rule.check()
    values = {"name": rule.name.strip(), "metric": rule.metric, "dimension": rule.dimension,
              "comparator": rule.comparator, "threshold": float(rule.threshold),
              "kind": rule.threshold_kind, "consecutive": int(rule.consecutive), "grain": rule.grain,
              "min_sample": int(rule.min_sample), "severity": rule.severity, "enabled": bool(rule.enabled)}
    with store.transaction(db) as cur:
        if rule.id is None:
            rule.id = cur.execute(
                """INSERT INTO alert_rules (name, metric, dimension, comparator, threshold, threshold_kind,
                       consecutive, grain, min_sample, severity, enabled, created_at, updated_at)
                   VALUES ($name, $metric, $dimension, $comparator, $threshold, $kind, $consecutive, $grain,
                           $min_sample, $severity, $enabled, now()::TIMESTAMP, now()::TIMESTAMP)
                   RETURNING id""", values).fetchone()[0]
        else:
            cur.execute(
                """UPDATE alert_rules SET name = $name, metric = $metric, dimension = $dimension,
                       comparator = $comparator, threshold = $threshold, threshold_kind = $kind,
                       consecutive = $consecutive, grain = $grain, min_sample = $min_sample,
                       severity = $severity, enabled = $enabled, updated_at = now()::TIMESTAMP
                   WHERE id = $id""", {**values, "id": rule.id})
    return rule.id


# ---- a rule compiled to SQL ----

def _filters(db) -> Filters:
    start, end = default_range(db, months=SERIES_MONTHS)
    return Filters(start, end)


def _column(name: str) -> str:
    """A column the catalogue names, quoted (never text from outside)."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"{name!r} is not a column name.")
    return f'"{name}"'


# How each threshold kind turns the metric's value per period (`observed`) into what the
# comparator tests: the value itself, or its change against a base period of the same member
# (relative: (v − base) ÷ |base|, as a share; points: v − base). `base`, `base_period` and
# `observed` (the metric's own value) travel along for the texts that quote them.
_COMPARED = {
    "absolute": """compared AS (
    SELECT member, period, position, value, sample, value AS observed,
           CAST(NULL AS DOUBLE) AS base, CAST(NULL AS VARCHAR) AS base_period
    FROM observed
)""",
    "relative": """compared AS (
    SELECT o.member, o.period, o.position, (o.value - b.value) / abs(b.value) AS value,
           least(o.sample, b.sample) AS sample, o.value AS observed, b.value AS base, b.period AS base_period
    FROM observed o JOIN observed b ON b.member = o.member AND b.position = o.position - $rule_step
)""",
    "points": """compared AS (
    SELECT o.member, o.period, o.position, o.value - b.value AS value,
           least(o.sample, b.sample) AS sample, o.value AS observed, b.value AS base, b.period AS base_period
    FROM observed o JOIN observed b ON b.member = o.member AND b.position = o.position - $rule_step
)""",
    # the base: each member's first period with enough behind it
    "points_vs_first": """firsts AS (
    SELECT member, min(position) AS position FROM observed WHERE sample >= $rule_min_sample GROUP BY member
), compared AS (
    SELECT o.member, o.period, o.position, o.value - b.value AS value,
           least(o.sample, b.sample) AS sample, o.value AS observed, b.value AS base, b.period AS base_period
    FROM observed o JOIN firsts f ON f.member = o.member
    JOIN observed b ON b.member = o.member AND b.position = f.position
    WHERE o.position > f.position
)""",
}
_KIND_SQL = {"absolute": "absolute", "vs_previous": "relative", "vs_last_year": "relative",
             "points_vs_previous": "points", "points_vs_first": "points_vs_first"}


@dataclass(frozen=True)
class CompiledRule:
    """A rule as SQL: `sql` returns the members breaching it (member, periods, values, samples,
    observed, bases, base_periods, evidence); `series_sql` the series it tests, every member and
    period (member, period, value, sample, position). `relations` are frames computed in Python,
    read by the SQL under their name."""
    sql: str
    series_sql: str
    params: dict
    relations: dict = field(default_factory=dict)


def compile_rule(rule: Rule, db=None, filters: Filters | None = None, **params) -> CompiledRule:
    """The rule as SQL over the metric's rows. The periods are the complete ones of the range
    (a period is complete once the latest closed deal is past its end), `filters` the last
    SERIES_MONTHS months unless given; `params` go to the metric (e.g. exclude_no_decision).
    A metric read at a snapshot is read once, at the latest one."""
    entry = rule.check().entry   # the comparator and the columns below are checked names, never text from outside
    scope = filters or _filters(db)
    dim = ("total" if rule.dimension == "all" else rule.dimension) if entry.dimensions else None
    if _at_snapshot(entry):
        latest = pipeline.pick_snapshot(None, db)
        params = {**params, ("s1" if "s1" in entry.params else "snapshot"): latest}
        if "periods" in entry.params:
            params["periods"] = 1            # the period holding the snapshot
        grain = rule.grain if rule.grain in entry.grains else None
        tested, kind, join = [latest.isoformat()], "absolute", "CROSS JOIN periods p"
        # one reading has nothing before it to change from: a change threshold reads as the value
    else:
        labels, last = forecast.period_options(scope, rule.grain, db)
        tested = labels[:labels.index(last) + 1] if last in labels else []
        grain, kind = rule.grain, _KIND_SQL[rule.threshold_kind]
        join = f"JOIN periods p ON p.period = m.{_column('period')}"
    relations = {}
    if entry.compute or entry.finish:   # computed in Python: its frame is the relation the SQL reads
        relations["metric_rows"] = metrics.run(rule.metric, scope, db=db, dim=dim, grain=grain, **params)
        head, values = "WITH ", {}
    else:
        bound = metrics.statement(rule.metric, scope, db=db, dim=dim, grain=grain, **params)
        head, values = f"WITH metric_rows AS (\n{bound.sql}\n),\n", bound.params
    member = ("'All'" if rule.dimension == "all" and not entry.dimensions
              else f"CAST(m.{_column(entry.member)} AS VARCHAR)")
    value, sample = f"CAST(m.{_column(entry.value)} AS DOUBLE)", f"m.{_column(entry.sample)}"
    test = f"value {COMPARATORS[rule.comparator]} $rule_threshold"
    body = f"""periods AS (
    SELECT unnest(CAST($rule_periods AS VARCHAR[])) AS period,
           generate_subscripts(CAST($rule_periods AS VARCHAR[]), 1) - 1 AS position
), observed AS (
    SELECT {member} AS member, p.period, p.position, {value} AS value, {sample} AS sample
    FROM metric_rows m {join}
    WHERE {value} IS NOT NULL AND NOT isnan({value}) AND {member} IS NOT NULL
), {_COMPARED[kind]}, kept AS (
    SELECT * FROM compared WHERE value IS NOT NULL AND NOT isnan(value)
)"""
    breaching = f"""{head}{body}, last AS (
    SELECT max(position) AS position FROM kept
), run AS (     -- the last `consecutive` periods, ending with the latest one read
    SELECT k.* FROM kept k, last l WHERE k.position > l.position - $rule_consecutive
), breaching AS (
    SELECT member, list(period ORDER BY position) AS periods, list(value ORDER BY position) AS "values",
           list(sample ORDER BY position) AS samples, list(observed ORDER BY position) AS observed,
           list(base ORDER BY position) AS bases, list(base_period ORDER BY position) AS base_periods
    FROM run
    GROUP BY member
    -- every period of the run is there (a missing one breaks it), each breaching with enough behind it
    HAVING count(*) = $rule_consecutive AND count(DISTINCT position) = $rule_consecutive
       AND bool_and(coalesce(sample >= $rule_min_sample AND {test}, false))
), evidence AS (
    SELECT member, list(struct_pack(member, period, value, sample, position) ORDER BY position) AS rows
    FROM kept WHERE member IN (SELECT member FROM breaching) GROUP BY member
)
SELECT b.*, e.rows AS evidence FROM breaching b JOIN evidence e USING (member) ORDER BY b.member"""
    series = f"{head}{body}\nSELECT member, period, value, sample, position FROM kept ORDER BY member, position"
    step = 1 if rule.threshold_kind in ("vs_previous", "points_vs_previous") else periods.PER_YEAR[rule.grain]
    values = {**values, "rule_periods": tested, "rule_step": step, "rule_consecutive": int(rule.consecutive),
              "rule_min_sample": int(rule.min_sample), "rule_threshold": float(rule.threshold)}
    return CompiledRule(breaching, series, values, relations)


def rule_series(rule: Rule, db=None, filters: Filters | None = None, **params) -> pd.DataFrame:
    """member, period, value, sample, position: what the rule tests, every member and complete
    period (the change, for a change threshold), by member then period."""
    compiled = compile_rule(rule, db, filters, **params)
    return store.query_sql(compiled.series_sql, compiled.params, db, compiled.relations)


@dataclass
class Breach:
    member: str
    periods: list[str]
    values: list[float]
    samples: list[int]
    evidence: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    observed: list[float] = field(default_factory=list)        # the metric's own values in those periods
    bases: list[float | None] = field(default_factory=list)     # what a change was measured from
    base_periods: list[str | None] = field(default_factory=list)


def test_rule(rule: Rule, db=None, filters: Filters | None = None, **params) -> list[Breach]:
    """What the rule would fire on the current data, without saving anything: the members whose
    last `consecutive` periods all breach, each with enough sample. `filters` and `params` scope
    the metric when the rule is shown on a page rather than recorded."""
    compiled = compile_rule(rule, db, filters, **params)
    found = store.query_sql(compiled.sql, compiled.params, db, compiled.relations)
    return [Breach(str(r.member), _items(r.periods), [float(v) for v in _items(r.values)],
                   [int(s) for s in _items(r.samples)],
                   pd.DataFrame(_items(r.evidence), columns=["member", "period", "value", "sample", "position"]),
                   [float(v) for v in _items(r.observed)],
                   [None if b is None else float(b) for b in _items(r.bases)], _items(r.base_periods))
            for r in found.itertuples(index=False)]


def _items(column) -> list:
    """A SQL list as a Python list, NULL as None (pandas hands lists over as (masked) arrays)."""
    return column.tolist() if hasattr(column, "tolist") else list(column)


def check_after_change(db=None, *, by: Actor) -> list[str]:
    """Evaluate the alert rules after an import or an undo (as `by`, an analyst or above: the
    callers of ingest do, so everyone, viewers included, sees the alerts the new data raises); what
    went wrong, in words (the data change itself stands either way)."""
    require(by, "evaluate alerts")
    try:
        evaluate(db, by=by)
    except Exception as err:   # noqa: BLE001 - the data change is committed; say why alerts lag
        log.exception("alert evaluation after a data change failed")
        return [f"The alert rules could not be checked on this data ({err}); open the Alerts page "
                "to check them again."]
    return []


# ---- evaluation and life cycle ----

def _act(cur, alert_id: int, action: str, by: str, note: str | None = None) -> None:
    cur.execute("INSERT INTO alert_actions (alert_id, action, acted_at, by_user, note) "
                "VALUES ($a, $action, now()::TIMESTAMP, $by, $note)",
                {"a": alert_id, "action": action, "by": by, "note": note})


def evaluate(db=None, today: dt.date | None = None, *, by: Actor) -> pd.DataFrame:
    """Evaluate every enabled rule (as `by`, an analyst or above: it records alerts); open,
    update or re-open alerts; return the open alerts."""
    require(by, "evaluate alerts")
    ensure_default_rules(db)
    today = today or dt.date.today()
    results = []
    for rule in [r for r in list_rules(db) if r.enabled]:
        try:
            results.append((rule, test_rule(rule, db)))
        except ValueError:   # e.g. no snapshot yet for a pipeline rule: nothing to evaluate
            results.append((rule, None))
    with store.transaction(db) as cur:
        for rule, found in results:
            if found is None:
                continue
            firing = {b.member: b for b in found}
            live = cur.execute(
                """SELECT id, member, status, snoozed_until, periods FROM alerts
                   WHERE rule_id = $r AND status <> 'resolved'""", {"r": rule.id}).fetchall()
            for alert_id, member, status, snoozed_until, stored_periods in live:
                breach = firing.pop(member, None)
                if status == "snoozed" and snoozed_until is not None and snoozed_until <= today:
                    cur.execute("UPDATE alerts SET status = 'open', snoozed_until = NULL WHERE id = $i",
                                {"i": alert_id})
                    _act(cur, alert_id, "reopened", by.name, f"snooze ended {snoozed_until}")
                if breach is None:
                    cur.execute("UPDATE alerts SET still_firing = false, last_evaluated_at = now()::TIMESTAMP "
                                "WHERE id = $i", {"i": alert_id})
                    continue
                evidence = json.dumps({"values": breach.values, "samples": breach.samples})
                cur.execute("""UPDATE alerts SET periods = $p, observed = $o, still_firing = true,
                                   last_evaluated_at = now()::TIMESTAMP WHERE id = $i""",
                            {"p": json.dumps(breach.periods), "o": evidence, "i": alert_id})
                if json.loads(stored_periods) != breach.periods:
                    _act(cur, alert_id, "updated", by.name, f"now {', '.join(breach.periods)}")
            for member, breach in firing.items():
                # a decision already taken on this very breach is not asked for again
                settled = cur.execute(
                    "SELECT count(*) FROM alerts WHERE rule_id = $r AND member = $m AND status = 'resolved' "
                    "AND periods = $p", {"r": rule.id, "m": member, "p": json.dumps(breach.periods)}).fetchone()[0]
                if settled:
                    continue
                alert_id = cur.execute(
                    """INSERT INTO alerts (rule_id, member, status, severity, periods, observed, still_firing,
                           first_fired_at, last_evaluated_at)
                       VALUES ($r, $m, 'open', $s, $p, $o, true, now()::TIMESTAMP, now()::TIMESTAMP)
                       RETURNING id""",
                    {"r": rule.id, "m": member, "s": rule.severity, "p": json.dumps(breach.periods),
                     "o": json.dumps({"values": breach.values, "samples": breach.samples})}).fetchone()[0]
                _act(cur, alert_id, "fired", by.name, rule.describe())
    return open_alerts(db, today)


def open_alerts(db=None, today: dt.date | None = None) -> pd.DataFrame:
    """Alerts needing attention (open or acknowledged, or snoozed past their date), high first."""
    today = today or dt.date.today()
    cur = store.cursor(db)
    try:
        return cur.execute(
            """SELECT a.id, a.rule_id, r.name AS rule, r.metric, r.dimension, a.member, a.status,
                      a.severity, a.periods, a.observed, a.still_firing, a.first_fired_at, a.owner,
                      a.snoozed_until
               FROM alerts a JOIN alert_rules r ON r.id = a.rule_id
               WHERE a.status IN ('open', 'acknowledged')
                  OR (a.status = 'snoozed' AND a.snoozed_until <= $today)
               ORDER BY CASE a.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, a.id""",
            {"today": today}).df()
    finally:
        cur.close()


def all_alerts(db=None) -> pd.DataFrame:
    """Every alert, newest first, its periods as people write them ('2026-Q2, 2026-Q3')."""
    cur = store.cursor(db)
    try:
        return cur.execute(
            """SELECT a.id, r.name AS rule, a.member, a.status, a.severity,
                      array_to_string(from_json(a.periods, '["VARCHAR"]'), ', ') AS periods, a.owner,
                      a.snoozed_until, a.resolution, a.first_fired_at, a.last_evaluated_at, a.still_firing
               FROM alerts a JOIN alert_rules r ON r.id = a.rule_id ORDER BY a.id DESC""").df()
    finally:
        cur.close()


def history(alert_id: int, db=None) -> pd.DataFrame:
    """Every action on an alert, oldest first."""
    cur = store.cursor(db)
    try:
        return cur.execute("SELECT action, acted_at, by_user, note FROM alert_actions WHERE alert_id = $a "
                           "ORDER BY id", {"a": alert_id}).df()
    finally:
        cur.close()


def _transition(alert_id: int, status: str, action: str, by: Actor, note: str | None, db, *,
                owner: str | None = None, snoozed_until: dt.date | None = None,
                resolution: str | None = None) -> None:
    """Move an alert to `status`, setting what the action brings, and record the action."""
    require(by, "handle alerts")

    def work(cur) -> None:   # two actions at the same moment: the second is applied after the first
        if cur.execute("SELECT count(*) FROM alerts WHERE id = $i", {"i": alert_id}).fetchone()[0] == 0:
            raise ValueError(f"There is no alert #{alert_id}.")
        cur.execute("""UPDATE alerts SET status = $status, owner = coalesce($owner, owner),
                           snoozed_until = CASE WHEN $status = 'snoozed' THEN $until ELSE snoozed_until END,
                           resolution = coalesce($resolution, resolution)
                       WHERE id = $i""",
                    {"status": status, "owner": owner, "until": snoozed_until, "resolution": resolution,
                     "i": alert_id})
        _act(cur, alert_id, action, by.name, note)

    store.write(work, db)


def acknowledge(alert_id: int, owner: str, db=None, *, by: Actor) -> None:
    require(by, "handle alerts")
    if not owner.strip():
        raise ValueError("Say who owns the follow-up.")
    _transition(alert_id, "acknowledged", "acknowledged", by, f"owner: {owner.strip()}", db, owner=owner.strip())


def snooze(alert_id: int, until: dt.date, db=None, *, by: Actor) -> None:
    _transition(alert_id, "snoozed", "snoozed", by, f"until {until}", db, snoozed_until=until)


def resolve(alert_id: int, note: str, db=None, *, by: Actor) -> None:
    require(by, "handle alerts")
    if not note.strip():
        raise ValueError("Write down the decision taken before resolving.")
    _transition(alert_id, "resolved", "resolved", by, note.strip(), db, resolution=note.strip())


# ---- course-correction prompts ----

def value_format(rule: Rule) -> str:
    """How the values a rule tests read: 'points' (a change of a percentage, in points), 'percent',
    'ratio' or 'number' — for its prompt and for the pages' evidence charts."""
    entry = rule.entry
    relative = rule.threshold_kind != "absolute" and not _at_snapshot(entry)
    if relative and rule.threshold_kind.startswith("points_") and entry.format == "percent":
        return "points"
    if entry.format == "percent" or (relative and not rule.threshold_kind.startswith("points_")):
        return "percent"
    return "ratio" if entry.format == "ratio" else "number"


def format_tested(rule: Rule, value: float) -> str:
    """A value a rule tested (or its threshold), as its prompt quotes it: 20%, +10 points, 3.0×."""
    fmt = value_format(rule)
    if fmt == "points":
        return f"{value * 100:+.0f} points"
    if fmt == "percent":
        return f"{value:.0%}"
    if fmt == "ratio":
        return f"{value:.1f}×"
    return f"{value:g}"


def _family(entry: metrics.Metric) -> str:
    """Which course correction a metric's alert calls for, from what the entry reads: the
    pipeline (read at a snapshot), the plan (forecast versus actual), competitors, or win-loss."""
    if _at_snapshot(entry):
        return "pipeline"
    if entry.sql == "forecast_vs_actual":
        return "plan"
    return "competitor" if entry.member == "competitor" else "win-loss"


def prompt(alert: dict, rule: Rule) -> dict:
    """The course-correction prompt for an alert: what happened (with its numbers), questions to
    diagnose, actions to weigh, and the views behind it (page, filters, breakdown: the pages make
    them links)."""
    fired = json.loads(alert["periods"]) if isinstance(alert["periods"], str) else alert["periods"]
    observed = json.loads(alert["observed"]) if isinstance(alert["observed"], str) else alert["observed"]
    member, dim, entry = alert["member"], rule.dimension, rule.entry
    values = ", ".join(f"{p} {format_tested(rule, v)}" for p, v in zip(fired, observed["values"]))
    scope = {} if dim == "all" or member == "All" else scope_filters(dim, member)
    family = _family(entry)
    if family == "win-loss":
        start = periods.parse(fired[0])[0]
        return {
            "summary": f"{member}: {entry.label.lower()} {values} ({rule.describe()}).",
            "questions": [
                f"Which competitors and loss reasons are behind {member}'s lost deals in {', '.join(fired)}?",
                "Did the deal mix change (size, product, lead source) or did we lose deals we used to win?",
                "Are we qualifying the right opportunities, or carrying deals that never fit?",
            ],
            "actions": [
                "Run post-mortems on the largest lost deals and feed them into targeting and qualification criteria.",
                "Update the battle cards against the competitors winning these deals.",
                "Tighten the qualification criteria for this segment; re-check the ideal customer profile.",
                "Decide attack / defend / fire for the accounts that no longer fit.",
            ],
            "views": {"Win-loss view": View("win-loss", {**scope, "from": start.isoformat()},
                                            breakdown="competitor")},
        }
    if family == "plan":
        what = {"forecast_bias": "over-calls" if observed["values"][-1] > 0 else "sandbags",
                "attainment": "misses target"}.get(rule.metric)
        return {
            "summary": f"{member}{' ' + what if what else ''}: {entry.label.lower()} {values} ({rule.describe()}).",
            "questions": [
                "Which deals were called commit and did not close, or closed without being called?",
                "Are stage definitions and exit criteria applied the same way by every owner?",
                "Is the quota realistic for this territory, or is capacity short?",
            ],
            "actions": [
                "Review forecast-call discipline: commit only deals past the agreed exit criteria.",
                "Recalibrate stage probabilities from the actual conversion by stage.",
                "Coach the owners concerned; for sandbagging, check incentives and quota setting.",
                "Reallocate capacity from lower-return territories if the gap is structural.",
            ],
            "views": {"Forecast view": View("forecast", scope, breakdown=dim if dim != "all" else "region",
                                            grain=rule.grain)},
        }
    if family == "pipeline":
        return {
            "summary": f"{member}: {entry.label.lower()} {values} ({rule.describe()}).",
            "questions": [
                "Is the pipeline short of new deals, or are deals stalling and slipping?",
                "Which stages lose the most deals, and which deals keep being pushed?",
                "Does the sales capacity match the pipeline velocity and the hiring lead times?",
            ],
            "actions": [
                "Launch pipeline generation with marketing (account-based lists, follow-up SLAs).",
                "Review repeatedly pushed deals: re-qualify them or take them out of the forecast.",
                "Move capacity from lower-return territories to the high-growth markets.",
            ],
            "views": {"Pipeline view": View("pipeline", scope)},
        }
    return {
        "summary": f"{member} is named in our losses: {values} ({rule.describe()}).",
        "questions": [
            f"Where does {member} beat us: price, service or technical capability?",
            f"Is {member} new in these accounts, or did it change its prices?",
        ],
        "actions": [
            f"Update the battle card against {member}; brief the teams meeting it.",
            "Defend the accounts it courts: check satisfaction with support and the account team.",
            "Play out our next move and its likely response (war game) before changing price.",
        ],
        "views": {"Win-loss view": View("win-loss", breakdown="competitor")},
    }


def rule_by_id(rule_id: int, db=None) -> Rule:
    for rule in list_rules(db):
        if rule.id == rule_id:
            return rule
    raise ValueError(f"There is no rule #{rule_id}.")
