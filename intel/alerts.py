"""Alert rules, their evaluation over the current data, course-correction prompts, life cycle.

A rule names a catalogue metric (intel/metrics.py: only entries marked alertable), the member
dimension it is per, a comparator, a threshold (on the value itself, on its change against the
period before, the same period last year or the first period of the range), how many consecutive
periods, a grain and a minimum sample. It compiles to SQL, Rill's way: the metric's own SQL,
bound by the catalogue, as a CTE (or, for a metric computed in Python, its frame registered under
the same name), wrapped by the rule's SQL whose rows are the members breaching it: their last
`consecutive` complete periods all breach, each with at least `min_sample` behind it (a missing
or thin period breaks the run). No rows, no alert.

One rule kind reads ahead instead of back: a rule on the landing (intel/landing.py) watches each
member's chance of reaching its target in the period in progress, from week N of it on. Its rows
come from the projection (one Projector per evaluation, a few thousand simulations), and the same
SQL tests them; members without a target have no chance to test and never fire.

A standing condition is one alert, updated at each evaluation; every action on an alert is kept.
The same engine shows, without recording anything, the win-loss signals (intel/signals.py) and the
strategy suggestions drawn from the numbers (intel/notes.py).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
from dataclasses import dataclass, field

import pandas as pd

from intel import background as background_work
from intel import forecast, landing, metrics, periods, pipeline, store
from intel.access import Actor, require
from intel.filters import DIMENSIONS, Filters, data_date, default_range
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
LANDING = "landing"          # the rule kind on the landing: chance of reaching the target from week N
LANDING_LABEL = "Chance of reaching the target"
WEEKS_IN = {"quarter": 12, "month": 4}   # the latest week N a landing rule may start from


def alertable() -> dict[str, metrics.Metric]:
    """The catalogue entries a rule may watch, by name: those marked alertable, and the landing
    (watched through its chance of reaching the target, not its value column)."""
    watched = {m.name: m for m in metrics.CATALOGUE.values() if m.alertable}
    return {**watched, LANDING: metrics.get(LANDING)}


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

    @property
    def is_landing(self) -> bool:
        return self.metric == LANDING

    @property
    def week(self) -> int:
        """A landing rule's week N: it reads the period in progress once the data date is in week N
        of it or later. Kept in the `consecutive` column: a landing rule reads one period, never a
        run of them."""
        return int(self.consecutive)

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
        if self.is_landing:
            if self.threshold_kind != "absolute":
                raise ValueError("A rule on the landing compares the chance itself, not its change.")
            if not 0 <= float(self.threshold) <= 1:
                raise ValueError("A chance of reaching the target runs from 0% to 100%.")
            if self.week > WEEKS_IN[self.grain]:
                raise ValueError(f"A landing rule on a {self.grain} starts from week 1 to {WEEKS_IN[self.grain]}.")
        return self

    def describe(self) -> str:
        if self.is_landing:
            scope = "" if self.dimension == "all" else f" per {self.dimension}"
            sample = f", at least {self.min_sample} open deals behind it" if self.min_sample else ""
            return (f"{LANDING_LABEL} {self.comparator} {threshold_text(self)}{scope} from week {self.week} of the "
                    f"{self.grain} in progress{sample} (members without a target are not read)")
        entry, value = self.entry, threshold_text(self)   # as the prompts quote it: 20%, +10 points, 3×
        kind = {"absolute": "", "vs_previous": " change vs the period before",
                "vs_last_year": " change vs the same period last year",
                "points_vs_previous": " change vs the period before",
                "points_vs_first": " change since the first period"}[self.threshold_kind]
        scope = "" if self.dimension == "all" else f" per {self.dimension}"
        if _at_snapshot(entry):   # one reading, at the latest snapshot: no run of periods, no change
            return (f"{entry.label} {self.comparator} {value}{scope} at the latest snapshot, "
                    f"at least {self.min_sample} behind it")
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
    # from week 6 of 13 the projection has half the quarter behind it and seven weeks remain to act
    Rule("Chance of reaching the target below 30% from week 6, per region", LANDING, "region", "<", 0.30,
         consecutive=6, grain="quarter", min_sample=0, severity="high"),
    # pricing governance (DOMAIN.md): a discount deepening quarter after quarter gives margin away
    Rule("Average discount up 2 points two quarters running, per owner", "average_discount", "owner", ">", 0.02,
         threshold_kind="points_vs_previous", consecutive=2, grain="quarter", min_sample=5, severity="medium"),
]
# Defaults that came after stores were first set up, by the metric they watch: a store that holds
# rules already gets each once, at its next evaluation, unless a rule of its own watches that metric.
# Rules are disabled, never deleted, so the metric check is what "once" needs: a manager who switched
# the rule off, or wrote another on that metric, is not handed it again. (The landing rule came
# earlier and stays with the stores set up since.)
ADDED_LATER = ("average_discount",)


# ---- rules in the store ----

def ensure_default_rules(db=None) -> None:
    """The default rule set, written once into an empty store (editable afterwards); a store set up
    before a default of ADDED_LATER existed gets that one once, unless it watches the metric already."""
    cur = store.cursor(db)
    try:
        watched = {metric for (metric,) in cur.execute("SELECT DISTINCT metric FROM alert_rules").fetchall()}
    finally:
        cur.close()
    missing = DEFAULT_RULES if not watched else [r for r in DEFAULT_RULES
                                                 if r.metric in ADDED_LATER and r.metric not in watched]
    for rule in missing:   # part of setting up the store: nobody's action
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
           CAST(NULL AS DOUBLE) AS base, CAST(NULL AS VARCHAR) AS base_period, metric_row
    FROM observed
)""",
    "relative": """compared AS (
    SELECT o.member, o.period, o.position, (o.value - b.value) / abs(b.value) AS value,
           least(o.sample, b.sample) AS sample, o.value AS observed, b.value AS base, b.period AS base_period,
           o.metric_row
    FROM observed o JOIN observed b ON b.member = o.member AND b.position = o.position - $rule_step
)""",
    "points": """compared AS (
    SELECT o.member, o.period, o.position, o.value - b.value AS value,
           least(o.sample, b.sample) AS sample, o.value AS observed, b.value AS base, b.period AS base_period,
           o.metric_row
    FROM observed o JOIN observed b ON b.member = o.member AND b.position = o.position - $rule_step
)""",
    # the base: each member's first period with enough behind it
    "points_vs_first": """firsts AS (
    SELECT member, min(position) AS position FROM observed WHERE sample >= $rule_min_sample GROUP BY member
), compared AS (
    SELECT o.member, o.period, o.position, o.value - b.value AS value,
           least(o.sample, b.sample) AS sample, o.value AS observed, b.value AS base, b.period AS base_period,
           o.metric_row
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
    observed, bases, base_periods, figures: the metric's whole row per period as JSON, evidence);
    `series_sql` the series it tests, every member and period (member, period, value, sample,
    position). `relations` are frames computed in Python, read by the SQL under their name."""
    sql: str
    series_sql: str
    params: dict
    relations: dict = field(default_factory=dict)


def compile_rule(rule: Rule, db=None, filters: Filters | None = None, *, projector=None,
                 **params) -> CompiledRule:
    """The rule as SQL over the metric's rows. The periods are the complete ones of the range
    (a period is complete once the latest closed deal is past its end), `filters` the last
    SERIES_MONTHS months unless given; `params` go to the metric (e.g. exclude_no_decision).
    A metric read at a snapshot is read once, at the latest one; a landing rule reads the period
    in progress once (from week N on), through `projector` (an intel.landing.Projector) when given."""
    entry = rule.check().entry   # the comparator and the columns below are checked names, never text from outside
    scope = filters or _filters(db)
    dim = ("total" if rule.dimension == "all" else rule.dimension) if entry.dimensions else None
    value_column, consecutive = entry.value, int(rule.consecutive)
    if rule.is_landing:
        frame, tested = landing_rows(rule, db, scope, projector)
        relations = {"metric_rows": frame}
        return _compiled(rule, entry, {}, "WITH ", relations, tested, "absolute",
                         f"JOIN periods p ON p.period = m.{_column('period')}", "chance_of_target", 1)
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
    return _compiled(rule, entry, values, head, relations, tested, kind, join, value_column, consecutive)


def _compiled(rule: Rule, entry: metrics.Metric, values: dict, head: str, relations: dict, tested: list[str],
              kind: str, join: str, value_column: str, consecutive: int) -> CompiledRule:
    """The rule's SQL around the metric's rows (`head` names them metric_rows): the members whose
    last `consecutive` periods of `tested` all breach."""
    member = ("'All'" if rule.dimension == "all" and not entry.dimensions
              else f"CAST(m.{_column(entry.member)} AS VARCHAR)")
    value, sample = f"CAST(m.{_column(value_column)} AS DOUBLE)", f"m.{_column(entry.sample)}"
    test = f"value {COMPARATORS[rule.comparator]} $rule_threshold"
    body = f"""periods AS (
    SELECT unnest(CAST($rule_periods AS VARCHAR[])) AS period,
           generate_subscripts(CAST($rule_periods AS VARCHAR[]), 1) - 1 AS position
), observed AS (
    SELECT {member} AS member, p.period, p.position, {value} AS value, {sample} AS sample,
           to_json(m) AS metric_row      -- the metric's whole row: the figures the prompt quotes
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
           list(base ORDER BY position) AS bases, list(base_period ORDER BY position) AS base_periods,
           list(metric_row ORDER BY position) AS figures
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
    values = {**values, "rule_periods": tested, "rule_step": step, "rule_consecutive": consecutive,
              "rule_min_sample": int(rule.min_sample), "rule_threshold": float(rule.threshold)}
    return CompiledRule(breaching, series, values, relations)


def rule_series(rule: Rule, db=None, filters: Filters | None = None, **params) -> pd.DataFrame:
    """member, period, value, sample, position: what the rule tests, every member and complete
    period (the change, for a change threshold), by member then period."""
    compiled = compile_rule(rule, db, filters, **params)
    return store.query_sql(compiled.series_sql, compiled.params, db, compiled.relations)


# ---- the landing rule's rows: each member's projection of the period in progress ----

LANDING_ROW_COLUMNS = {   # what a landing alert keeps per member (its figures), with their types
    "member": "object", "period": "object", "as_of": "object", "week": "int64", "days_left": "int64",
    "target": "float64", "won_to_date": "float64", "p10": "float64", "p50": "float64", "p90": "float64",
    "expected": "float64", "chance_of_target": "float64", "commit": "float64", "best_case": "float64",
    "weighted_pipeline": "float64", "open_deals": "int64", "sims": "int64", "gap": "float64",
    "open_pipeline": "float64", "remaining": "float64", "coverage_needed": "float64", "pipeline_needed": "float64",
}


def landing_week(day: dt.date, label: str) -> int:
    """The week of period `label` that `day` falls in (days 1–7: week 1), as the forecast call's
    week is counted."""
    return -(-landing.day_of(day, periods.bounds(label)[0]) // 7)


def landing_members(rule: Rule, label: str, day: dt.date, scope: Filters, projector, db=None) -> list[str]:
    """The members a landing rule reads: those with open deals at the day, and those with a target
    for the period (a member with a target and no open deal is the one furthest from it)."""
    if rule.dimension == "all":
        return ["All"]
    found = projector.at(label, landing.day_of(min(day, periods.bounds(label)[1]), periods.bounds(label)[0]))
    held = set(found.loc[landing.in_scope(found, scope), rule.dimension].dropna().astype(str))
    first, last, grain = periods.bounds(label)
    plan = metrics.run("forecast_variance", scope.with_(date_from=first, date_to=last), db=db, dim=rule.dimension,
                       grain=grain)
    held |= set(plan.loc[(plan["period"] == label) & plan["target"].notna(), "member"].astype(str))
    return sorted(held)


def landing_rows(rule: Rule, db=None, scope: Filters | None = None, projector=None) -> tuple[pd.DataFrame, list[str]]:
    """(per member of the rule's dimension, the landing of the period in progress at the data date:
    its summary, the week, the gap from the P50 to the target and what closing it takes — the open
    pipeline closing in the period, the remaining target and the coverage needed at the trailing win
    rate —; [that period]) once the data date is in week N or later, else no rows and no period.
    Members without a target are left out: they have no chance to test."""
    day = data_date(db)
    if day is None:
        raise ValueError("The landing needs deals: upload an opportunities export first.")
    empty = pd.DataFrame({c: pd.Series(dtype=t) for c, t in LANDING_ROW_COLUMNS.items()})
    label = periods.label(day, rule.grain)
    week = landing_week(day, label)
    if week < rule.week:
        return empty, []
    scope = scope or _filters(db)
    projector = projector or landing.shared_projector(db)
    rows = []
    for member in landing_members(rule, label, day, scope, projector, db):
        mine = scope if member == "All" else scope.with_(**{rule.dimension: (member,)})
        # the catalogue's own runs: the very projection the Overview and the Forecast page show for
        # this scope (one figure everywhere), which the pages then find made
        one = projector.project(mine, label, day)
        if projector is landing.shared_projector(db):   # kept for the pages too (a fresh server's tile)
            landing.landing_frame(mine, {"period": label, "as_of": day}, db)
        if one.target is None:
            continue
        try:   # the open pipeline closing in the period and the coverage it needs, at the latest snapshot
            cover = metrics.run("coverage", mine, db=db, grain=rule.grain, periods=1)
            cover = cover[cover["period"] == label]
        except ValueError:   # no snapshot: no pipeline to size
            cover = pd.DataFrame()
        needed = None if cover.empty or pd.isna(cover["coverage_needed"].iloc[0]) \
            else float(cover["coverage_needed"].iloc[0])
        gap = one.gap_to_target()
        rows.append({**{k: v for k, v in one.summary().items() if k in LANDING_ROW_COLUMNS},
                     "member": member, "as_of": one.as_of.isoformat(), "week": week,
                     "days_left": one.days - one.day, "gap": gap,
                     "open_pipeline": None if cover.empty else float(cover["pipeline"].iloc[0]),
                     "remaining": max((one.target or 0) - one.won_to_date, 0.0),
                     "coverage_needed": needed, "pipeline_needed": None if needed is None else gap * needed})
    frame = pd.DataFrame(rows, columns=list(LANDING_ROW_COLUMNS)) if rows else empty
    return frame.astype({c: t for c, t in LANDING_ROW_COLUMNS.items() if t == "float64"}), [label]


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
    figures: list[dict] = field(default_factory=list, repr=False)   # the metric's row in each period


def test_rule(rule: Rule, db=None, filters: Filters | None = None, *, projector=None, **params) -> list[Breach]:
    """What the rule would fire on the current data, without saving anything: the members whose
    last `consecutive` periods all breach, each with enough sample. `filters` and `params` scope
    the metric when the rule is shown on a page rather than recorded; `projector` (a landing rule)
    reuses the pipeline states an evaluation already read."""
    compiled = compile_rule(rule, db, filters, projector=projector, **params)
    found = store.query_sql(compiled.sql, compiled.params, db, compiled.relations)
    return [Breach(str(r.member), _items(r.periods), [float(v) for v in _items(r.values)],
                   [int(s) for s in _items(r.samples)],
                   pd.DataFrame(_items(r.evidence), columns=["member", "period", "value", "sample", "position"]),
                   [float(v) for v in _items(r.observed)],
                   [None if b is None else float(b) for b in _items(r.bases)], _items(r.base_periods),
                   [json.loads(row) for row in _items(r.figures)])
            for r in found.itertuples(index=False)]


def _items(column) -> list:
    """A SQL list as a Python list, NULL as None (pandas hands lists over as (masked) arrays)."""
    return column.tolist() if hasattr(column, "tolist") else list(column)


def check_after_change(db=None, *, by: Actor, background: bool = False) -> list[str]:
    """Evaluate the alert rules after an import or an undo (as `by`, an analyst or above: the
    callers of ingest do, so everyone, viewers included, sees the alerts the new data raises); what
    went wrong, in words (the data change itself stands either way). `background` (the app) returns
    at once and evaluates in a thread: on a million deals the landing rule's projections take
    seconds, which the upload need not wait for; a page that evaluates meanwhile waits for it
    (one evaluation at a time), and if the server stops first the next visit evaluates."""
    require(by, "evaluate alerts")
    if background:
        background_work.start(CHECK, _check_and_keep, db, by)
        return []
    return _check_and_keep(db, by)


def _check_quietly(db, by: Actor) -> list[str]:
    try:
        evaluate(db, by=by)
    except Exception as err:   # noqa: BLE001 - the data change is committed; say why alerts lag
        log.exception("alert evaluation after a data change failed")
        return [f"The alert rules could not be checked on this data ({err}); open the Alerts page "
                "to check them again."]
    return []


def _check_and_keep(db, by: Actor) -> list[str]:
    """The check, then what the first visits after an upload read, worked out and kept, so they
    read it on this server or a fresh one: the landing the Overview's tile and the Forecast page read
    by default (its Outline, while the states the landing rule read are in memory), the Overview's
    currency coverage and loaded data, and the Accounts page's proposals. The projector is let go
    once the landing is kept: the pages read the kept Outlines, and a server need not hold a million
    deals' states for nobody."""
    from intel import accounts, holdings

    said = _check_quietly(db, by)
    try:
        _head_start("the landing", lambda: landing.landing_frame(_filters(db), {}, db))
    finally:
        landing.let_go(db)
    _head_start("the currency coverage", lambda: holdings.currency_coverage(db))
    _head_start("the loaded data", lambda: holdings.loaded_summary(db))
    _head_start("the account proposals", lambda: accounts.account_stance(Filters(*default_range(db)), db))
    return said


def _head_start(what: str, work) -> None:
    """Work a page would do on its first visit, done now and kept; a failure is only logged: the
    page works it out itself then."""
    try:
        work()
    except Exception:   # noqa: BLE001 - a head start only
        log.warning("%s was not worked out after the data change", what, exc_info=True)


CHECK = "alert-check"   # the background work's name


def checking() -> bool:
    """Whether a check after a data change is still running in the background."""
    return background_work.running(CHECK)


# ---- evaluation and life cycle ----

def _act(cur, alert_id: int, action: str, by: str, note: str | None = None) -> None:
    cur.execute("INSERT INTO alert_actions (alert_id, action, acted_at, by_user, note) "
                "VALUES ($a, $action, now()::TIMESTAMP, $by, $note)",
                {"a": alert_id, "action": action, "by": by, "note": note})


def _plain(value):
    """A figure as JSON keeps it: NaN (a missing ratio) as null."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _evidence(breach: Breach, rule: Rule, db, projector=None) -> str:
    """What an alert keeps of its breach (JSON): the values tested and their samples, the
    metric's rows in those periods (the figures its prompt quotes) and what stands behind it (how
    many deals, the first few named)."""
    kept = {"values": breach.values, "samples": breach.samples, "figures": breach.figures}
    if any(b is not None for b in breach.bases):   # what a change was measured from (the quarter before)
        kept.update(bases=breach.bases, base_periods=breach.base_periods)
    try:
        kept["behind"] = behind({"member": breach.member, "periods": breach.periods, "observed": kept},
                                rule, db, projector=projector).summary()
    except ValueError:   # e.g. the snapshot behind it is gone: the prompt quotes the figures alone
        log.warning("no deals listed behind %s / %s", rule.name, breach.member)
    return json.dumps(_plain(kept), default=str)


EVALUATED = "alerts_evaluated"   # the settings row saying which data, rules and day were last evaluated


def _evaluation_key(db, today: dt.date) -> str:
    """What an evaluation depends on: the data version, the rules (their count, last id and last
    edit) and the day (a snooze ends on a day)."""
    cur = store.cursor(db)
    try:
        rules = cur.execute("SELECT count(*), coalesce(max(id), 0), max(updated_at) FROM alert_rules").fetchone()
    finally:
        cur.close()
    return json.dumps({"version": store.data_version(db), "rules": "-".join(str(v) for v in rules),
                       "day": today.isoformat()})


def _last_evaluation(db) -> str | None:
    """The key (_evaluation_key) of the last evaluation recorded in the store, if any."""
    cur = store.cursor(db)
    try:
        found = cur.execute("SELECT value FROM settings WHERE name = $n", {"n": EVALUATED}).fetchone()
    finally:
        cur.close()
    return None if found is None else found[0]


def evaluated(db=None, today: dt.date | None = None) -> bool:
    """Whether the alerts in the store are those of the current data and rules, evaluated on
    `today` (by the import that brought the data, or a visit earlier that day): then a page need
    not evaluate again."""
    return _last_evaluation(db) == _evaluation_key(db, today or dt.date.today())


def _only_the_day_changed(db, key: str) -> bool:
    """Whether the last evaluation was of this very data and these rules, on an earlier day: the
    rules would find the same breaches (they read the data, not the calendar)."""
    last = _last_evaluation(db)
    if last is None:
        return False
    before, now = json.loads(last), json.loads(key)
    return before["day"] < now["day"] and {**before, "day": now["day"]} == now


def _reopen(cur, alert_id: int, snoozed_until, by: Actor) -> None:
    """A snoozed alert whose snooze ended is open again, and its history says so."""
    cur.execute("UPDATE alerts SET status = 'open', snoozed_until = NULL WHERE id = $i", {"i": alert_id})
    _act(cur, alert_id, "reopened", by.name, f"snooze ended {snoozed_until}")


def _new_day(db, today: dt.date, key: str, by: Actor) -> pd.DataFrame:
    """A new day on the same data and rules: only the snoozes that ended reopen (seconds of landing
    projections at a million deals are not run again for an answer they cannot change)."""
    with store.transaction(db) as cur:
        ended = cur.execute("SELECT id, snoozed_until FROM alerts WHERE status = 'snoozed' "
                            "AND snoozed_until IS NOT NULL AND snoozed_until <= $t", {"t": today}).fetchall()
        for alert_id, snoozed_until in ended:
            _reopen(cur, alert_id, snoozed_until, by)
        cur.execute("INSERT OR REPLACE INTO settings (name, value) VALUES ($n, $v)", {"n": EVALUATED, "v": key})
    return open_alerts(db, today)


_EVALUATING = threading.Lock()   # one evaluation at a time in a process: two would record an alert twice


def evaluate(db=None, today: dt.date | None = None, *, by: Actor, again: bool = True) -> pd.DataFrame:
    """Evaluate every enabled rule (as `by`, an analyst or above: it records alerts); open,
    update or re-open alerts, and record that this data, these rules and this day were evaluated
    (`evaluated`); return the open alerts. One evaluation runs at a time; `again` False (a page's
    visit) returns what another evaluation just recorded for this data, these rules and this day
    instead of running them once more."""
    require(by, "evaluate alerts")
    with _EVALUATING:
        return _evaluate(db, today or dt.date.today(), by, again)


def _evaluate(db, today: dt.date, by: Actor, again: bool) -> pd.DataFrame:
    ensure_default_rules(db)
    key = _evaluation_key(db, today)   # read before: data that lands meanwhile is evaluated again
    if not again and _last_evaluation(db) == key:
        return open_alerts(db, today)
    if _only_the_day_changed(db, key):
        return _new_day(db, today, key, by)
    results = []
    projector = landing.shared_projector(db)   # the pages then reuse the states and projections
    for rule in [r for r in list_rules(db) if r.enabled]:
        try:
            found = test_rule(rule, db, projector=projector)
        except ValueError:   # e.g. no snapshot yet for a pipeline rule: nothing to evaluate
            results.append((rule, None))
            continue
        results.append((rule, [(b, _evidence(b, rule, db, projector)) for b in found]))
    with store.transaction(db) as cur:
        for rule, found in results:
            if found is None:
                continue
            firing = {b.member: (b, evidence) for b, evidence in found}
            live = cur.execute(
                """SELECT id, member, status, snoozed_until, periods FROM alerts
                   WHERE rule_id = $r AND status <> 'resolved'""", {"r": rule.id}).fetchall()
            for alert_id, member, status, snoozed_until, stored_periods in live:
                breach, evidence = firing.pop(member, (None, None))
                if status == "snoozed" and snoozed_until is not None and snoozed_until <= today:
                    _reopen(cur, alert_id, snoozed_until, by)
                if breach is None:
                    cur.execute("UPDATE alerts SET still_firing = false, last_evaluated_at = now()::TIMESTAMP "
                                "WHERE id = $i", {"i": alert_id})
                    continue
                cur.execute("""UPDATE alerts SET periods = $p, observed = $o, still_firing = true,
                                   last_evaluated_at = now()::TIMESTAMP WHERE id = $i""",
                            {"p": json.dumps(breach.periods), "o": evidence, "i": alert_id})
                if json.loads(stored_periods) != breach.periods:
                    _act(cur, alert_id, "updated", by.name, f"now {', '.join(breach.periods)}")
            for member, (breach, evidence) in firing.items():
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
                     "o": evidence}).fetchone()[0]
                _act(cur, alert_id, "fired", by.name, rule.describe())
        cur.execute("INSERT OR REPLACE INTO settings (name, value) VALUES ($n, $v)", {"n": EVALUATED, "v": key})
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
    """Every alert, newest first: its number, severity, whose it is ('Segment: SMB', or 'All'), the
    periods it fired in as people write them ('2026-Q2, 2026-Q3'), where it stands, its rule, and
    when it fired and was last checked."""
    cur = store.cursor(db)
    try:
        frame = cur.execute(
            """SELECT a.id AS alert, a.severity, r.name AS rule, r.dimension, a.member,
                      array_to_string(from_json(a.periods, '["VARCHAR"]'), ', ') AS fired_in, a.status, a.owner,
                      a.snoozed_until, a.resolution, date_trunc('second', a.first_fired_at) AS first_fired,
                      date_trunc('second', a.last_evaluated_at) AS last_checked, a.still_firing
               FROM alerts a JOIN alert_rules r ON r.id = a.rule_id ORDER BY a.id DESC""").df()
    finally:
        cur.close()
    scope = [_scope_words(dim, member) for dim, member in zip(frame["dimension"], frame["member"])]
    return frame.drop(columns=["dimension", "member"]).assign(scope=scope)[
        ["alert", "severity", "scope", "fired_in", "status", "rule", "owner", "snoozed_until", "resolution",
         "first_fired", "last_checked", "still_firing"]]


def rules_table(rules: list[Rule]) -> pd.DataFrame:
    """The rules as the Alerts page lists them: number, the line as the prompts quote it ('< 20%',
    '< -20% on the period before'), per what, over how many periods, severity, name, whether it is
    on, the minimum sample and the metric watched (the line first: what a phone shows)."""
    return pd.DataFrame([{
        "rule": f"#{r.id}", "name": r.name, "watches": _label(r),
        "per": "—" if r.dimension == "all" else metrics.DIMENSION_LABELS.get(r.dimension, r.dimension),
        "threshold": f"{r.comparator} {threshold_text(r)}{KIND_WORDS[r.threshold_kind] if _is_change(r) else ''}",
        "over": (f"the {r.grain} in progress, from week {r.week}" if r.is_landing
                 else "the latest snapshot" if _at_snapshot(r.entry) else f"1 {r.grain}" if r.consecutive == 1
                 else f"{r.consecutive} {r.grain}s running"),
        "minimum_sample": r.min_sample, "severity": r.severity, "enabled": bool(r.enabled)} for r in rules],
        columns=["rule", "threshold", "per", "over", "severity", "name", "enabled", "minimum_sample", "watches"])


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

WORDS = {"<": "below", "<=": "at or below", ">": "above", ">=": "at or above"}
KIND_WORDS = {"absolute": "", "vs_previous": " on the period before", "vs_last_year": " on the same period last year",
              "points_vs_previous": " on the period before", "points_vs_first": " since the first period"}
DEALS_NAMED = 3   # the deals a summary names before "and N more"
LANDING_DEALS_NAMED = 5   # the deals that move a landing most, named in its prompt with their chance


def value_format(rule: Rule) -> str:
    """How the values a rule tests read: 'points' (a change of a percentage, in points), 'percent',
    'ratio' or 'number' — for its prompt, its threshold and the pages' evidence charts."""
    entry = rule.entry
    if rule.is_landing:
        return "percent"
    relative = rule.threshold_kind != "absolute" and not _at_snapshot(entry)
    if relative and rule.threshold_kind.startswith("points_") and entry.format == "percent":
        return "points"
    if entry.format == "percent" or (relative and not rule.threshold_kind.startswith("points_")):
        return "percent"
    return "ratio" if entry.format == "ratio" else "number"


def _is_change(rule: Rule) -> bool:
    return rule.threshold_kind != "absolute" and not _at_snapshot(rule.entry)


def format_tested(rule: Rule, value: float) -> str:
    """A value a rule tested, as its prompt quotes it: 20%, +10 points, 3.0×, a change signed."""
    fmt = value_format(rule)
    if fmt == "points":
        return f"{value * 100:+.0f} points"
    if fmt == "percent":
        return f"{value:+.0%}" if _is_change(rule) else f"{value:.0%}"
    if fmt == "ratio":
        return f"{value:.1f}×"
    return f"{value:g}"


# A threshold is typed and shown in the unit its values read in (20 for 20%), stored as the
# metric holds it (0.2): the rule editor converts both ways.
_PER_CENT = ("percent", "points")


def threshold_unit(rule: Rule) -> str:
    """The unit a rule's threshold is typed and read in: '%', 'points', '×' or '' (a count)."""
    return {"percent": "%", "points": "points", "ratio": "×"}.get(value_format(rule), "")


def threshold_typed(rule: Rule) -> float:
    """The threshold as a person types it: 0.2 -> 20 (%), -0.1 -> -10 (points), 3.0 -> 3.0 (×)."""
    return round(rule.threshold * 100, 6) if value_format(rule) in _PER_CENT else rule.threshold


def threshold_from_typed(rule: Rule, typed: float) -> float:
    """A typed threshold as the rule stores it: 20 (%) -> 0.2; a count or a ratio as typed."""
    return round(float(typed) / 100, 8) if value_format(rule) in _PER_CENT else float(typed)


def threshold_text(rule: Rule) -> str:
    """The threshold as the prompts quote it: 20%, -15%, +10 points, 3×, 3."""
    unit, typed = threshold_unit(rule), threshold_typed(rule)
    if unit == "points":
        return f"{typed:+g} points"
    return f"{typed:g}{unit}"


def _fired(alert: dict) -> list[str]:
    return json.loads(alert["periods"]) if isinstance(alert["periods"], str) else list(alert["periods"])


def _observed(alert: dict) -> dict:
    return json.loads(alert["observed"]) if isinstance(alert["observed"], str) else dict(alert["observed"])


def _span(fired: list[str]) -> str:
    return fired[0] if len(fired) == 1 else f"{fired[0]} to {fired[-1]}"


def _during(fired: list[str]) -> str:
    """'in 2026-Q3', 'from 2026-08 to 2026-10'."""
    return f"in {fired[0]}" if len(fired) == 1 else f"from {fired[0]} to {fired[-1]}"


def _when(rule: Rule, fired: list[str]) -> str:
    """When the line was crossed: 'at the 2026-11-16 snapshot', 'in 2026-Q3', 'for 3 months
    running (2026-08 to 2026-10)'."""
    if _at_snapshot(rule.entry):
        return f"at the {fired[-1]} snapshot"
    if len(fired) == 1:
        return f"in {fired[0]}"
    return f"for {len(fired)} {rule.grain}s running ({_span(fired)})"


def _scoped(alert: dict, rule: Rule) -> bool:
    return rule.dimension != "all" and alert["member"] != "All"


def _possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def metric_label(name: str) -> str:
    """What a rule on the metric `name` watches, as the rule editor offers it."""
    return LANDING_LABEL + " (landing)" if name == LANDING else metrics.get(name).label


def _label(rule: Rule) -> str:
    """What a rule watches, as its texts name it: the metric's label, or for a landing rule the
    chance it tests."""
    return LANDING_LABEL if rule.is_landing else rule.entry.label


def _subject(alert: dict, rule: Rule) -> str:
    """'SMB's win rate', 'Pipeline coverage' (no member: the whole business)."""
    label = _label(rule)
    return f"{_possessive(alert['member'])} {label.lower()}" if _scoped(alert, rule) else label


def _crossed(rule: Rule) -> str:
    """'below 20%', 'above +15% on the period before'."""
    change = KIND_WORDS[rule.threshold_kind] if _is_change(rule) else ""
    return f"{WORDS[rule.comparator]} {threshold_text(rule)}{change}"


def _times(rule: Rule) -> str:
    """How often, for a push count: '3 times or more', 'more than 2 times'."""
    n, times = f"{rule.threshold:g}", "time" if rule.threshold == 1 else "times"
    return {">=": f"{n} {times} or more", ">": f"more than {n} {times}", "<": f"fewer than {n} {times}",
            "<=": f"{n} {times} or fewer"}[rule.comparator]


def _money(value) -> str:
    from intel.models import money

    return "—" if value is None or pd.isna(value) else money(value)


def _pct(value, signed: bool = False) -> str:
    return "—" if value is None or pd.isna(value) else (f"{value:+.0%}" if signed else f"{value:.0%}")


def _count(value) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:,.0f}"


def _named(names: list[str], count: int) -> str:
    """'A, B and C' or 'A, B, C and 41 more'."""
    if not names:
        return ""
    more = count - len(names)
    if more > 0:
        return f"{', '.join(names)} and {more:,} more"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def headline(alert: dict, rule: Rule) -> str:
    """The alert as one sentence, for its heading: severity, who, which line was crossed and when,
    and where it stands: 'High: SMB's win rate below 20% for 3 months running (2026-08 to
    2026-10) · open'. A push-count alert says how many deals."""
    severity = str(alert.get("severity") or rule.severity).capitalize()
    return f"{severity}: {_what(alert, rule)} · {_status(alert)}"


def _what(alert: dict, rule: Rule) -> str:
    """Who crossed which line and when, as a sentence's start: 'SMB's win rate below 20% for 3
    months running (2026-08 to 2026-10)'."""
    behind = _observed(alert).get("behind") or {}
    if rule.metric == "push_count" and behind.get("title"):
        what = behind["title"]
    else:
        what = f"{_subject(alert, rule)} {_crossed(rule)} {_when(rule, _fired(alert))}"
    return f"{what[:1].upper()}{what[1:]}"


def _status(alert: dict) -> str:
    status = alert.get("status") or "open"
    if status == "acknowledged" and alert.get("owner"):
        return f"acknowledged, {alert['owner']} follows up"
    return status


def _scope_words(dimension: str, member: str) -> str:
    """Whose alert: 'Segment: SMB', or 'All'."""
    if dimension == "all" or member == "All":
        return member
    return f"{metrics.DIMENSION_LABELS.get(dimension, dimension)}: {member}"


LISTING_COLUMNS = ["severity", "headline", "scope", "since", "status", "alert"]


def listing(open_now: pd.DataFrame, rules: dict[int, Rule]) -> pd.DataFrame:
    """The open alerts (open_alerts' rows, high first) as the Alerts page lists them, one row each:
    severity, what crossed which line and when, whose it is ('Segment: SMB'), the day it first
    fired, where it stands ('acknowledged, Dana follows up') and its number."""
    rows = [{"severity": a["severity"], "headline": _what(a, rules[a["rule_id"]]),
             "scope": _scope_words(a["dimension"], a["member"]),
             "since": pd.Timestamp(a["first_fired_at"]).date() if not pd.isna(a["first_fired_at"]) else None,
             "status": _status(a), "alert": int(a["id"])} for a in open_now.to_dict("records")]
    return pd.DataFrame(rows, columns=LISTING_COLUMNS)


def chart_title(alert: dict, rule: Rule, first: str, last: str) -> str:
    """The evidence chart's title: whose series, which value, over which window: 'SMB · win rate
    by month, 2024-09 to 2026-10 (line: below 20%)'."""
    who = alert["member"] if _scoped(alert, rule) else "All"
    what = _label(rule).lower() + (KIND_WORDS[rule.threshold_kind].replace(" on ", ", change on ")
                                       if _is_change(rule) else "")
    return f"{who} · {what} by {rule.grain}, {first} to {last} (line: {WORDS[rule.comparator]} {threshold_text(rule)})"


# ---- what stands behind an alert: its deals, or the member's figures ----

@dataclass
class Behind:
    """What stands behind an alert: the deals that breach (or, for a plan or pipeline figure, the
    member's figures), as a table whose columns the catalogue labels; how many, the first few
    named (for the summary), and the page view that lists them (a link on the pages)."""
    title: str
    frame: pd.DataFrame
    view: View
    count: int = 0
    names: list[str] = field(default_factory=list)
    note: str | None = None                 # what the list could not do (narrow to a member)
    stage: tuple[str, int] | None = None    # pushed deals: the stage most of them sit in
    deals: list[dict] = field(default_factory=list)   # the landing's: the first few with their figures

    def summary(self) -> dict:
        """What the alert keeps of it (the prompt quotes it without the store)."""
        kept = {"title": self.title, "count": self.count, "names": self.names[:DEALS_NAMED],
                "stage": list(self.stage) if self.stage else None}
        return {**kept, "deals": self.deals[:LANDING_DEALS_NAMED]} if self.deals else kept


# the deal's name and the figures that put it here first (what a phone shows), who and what after
LOST_COLUMNS = ("name", "amount", "close_date", "loss_reason", "competitor", "owner", "account", "id")
PUSHED_COLUMNS = ("name", "pushes", "amount", "close_date", "first_close", "stage", "owner", "account", "id")
PLAN_COLUMNS = ("target", "forecast", "actual", "bias", "attainment", "variance", "deals_won")


def _view(alert: dict, rule: Rule) -> View:
    """The page view behind an alert: the member's scope (when the filter bar has its dimension)
    and the periods that fired."""
    fired, dim, entry = _fired(alert), rule.dimension, rule.entry
    scope = scope_filters(dim, alert["member"]) if _scoped(alert, rule) else {}
    family = _family(entry)
    if family == "discount":   # discount governance lives on the Accounts page; the window holds the base period
        step = 1 if rule.threshold_kind in ("vs_previous", "points_vs_previous") else periods.PER_YEAR[rule.grain]
        first = periods.shift(fired[0], -step) if _is_change(rule) else fired[0]
        window = {"from": periods.bounds(first)[0].isoformat(), "to": periods.bounds(fired[-1])[1].isoformat()}
        return View("accounts", {**scope, **window}, breakdown=dim if dim != "all" else None)
    if family == "landing":   # the landing lives on the Forecast page
        return View("forecast", scope, breakdown=dim if dim != "all" else None, grain=rule.grain)
    if family in ("win-loss", "competitor"):
        window = {"from": periods.bounds(fired[0])[0].isoformat(), "to": periods.bounds(fired[-1])[1].isoformat()}
        return View("win-loss", {**(scope if family == "win-loss" else {}), **window}, breakdown="competitor")
    if family == "plan":
        return View("forecast", scope, breakdown=dim if dim != "all" else "region", grain=rule.grain)
    breakdown = dim if rule.metric == "velocity_change" and dim != "all" else None
    return View("pipeline", scope, breakdown=breakdown, grain=rule.grain if rule.metric == "coverage" else None)


def behind(alert: dict, rule: Rule, db=None, projector=None) -> Behind:
    """The deals or figures behind an alert (a dict with member, periods and observed, as
    open_alerts returns it): the lost deals of a win-rate alert, the losses naming a competitor,
    the open deals pushed past the line, the open deals that move a landing most, or the member's
    periods (forecast against actual, coverage, the velocity factors) from the metric's rows that
    fired."""
    fired, member, entry = _fired(alert), alert["member"], rule.entry
    figures = _observed(alert).get("figures") or []
    view, family = _view(alert, rule), _family(entry)
    if family == "landing":
        return _landing_deals(alert, rule, fired, figures, view, db, projector)
    if family == "discount":
        return _discounted_deals(alert, rule, fired, view, db)
    if family in ("win-loss", "competitor"):
        return _lost_deals(alert, rule, fired, view, db)
    if rule.metric == "push_count":
        return _pushed_deals(alert, rule, fired, view, db)
    if not figures:   # an alert recorded before alerts kept their figures: the next evaluation adds them
        return Behind("The figures behind this alert are kept from the next evaluation on.", pd.DataFrame(), view)
    frame = pd.DataFrame(figures)
    if family == "plan":
        first = [c for c in entry.columns if c != "member"]   # the metric's own columns, its value among them
        shown = [c for c in dict.fromkeys(first + list(PLAN_COLUMNS)) if c in frame]
        return Behind(f"{_possessive(member) if _scoped(alert, rule) else 'Our'} forecast against actual, "
                      f"{_span(fired)}", frame[shown], view, count=len(frame))
    if rule.metric == "velocity_change":
        return Behind(f"{_possessive(member) if _scoped(alert, rule) else 'The'} velocity factors, "
                      f"{figures[-1].get('snapshot_0')} → {figures[-1].get('snapshot_1')}",
                      _velocity_factors(figures[-1]), view, count=1)
    shown = [c for c in entry.columns if c in frame and c != "member"]
    return Behind(f"{entry.label} at the {fired[-1]} snapshot", frame[shown or list(frame.columns)], view,
                  count=len(frame))


def _lost_deals(alert: dict, rule: Rule, fired: list[str], view: View, db) -> Behind:
    """The deals lost in the periods that fired: the member's (win rate), or those naming the
    competitor (its presence in our losses); largest first."""
    member = alert["member"]
    start, end = periods.bounds(fired[0])[0], periods.bounds(fired[-1])[1]
    window = Filters(start, end)
    if rule.entry.member == "competitor":
        deals = metrics.run("closed_deals", window, db=db, competitor=member)
        title = f"{{n}} losses naming {member} {_during(fired)}, largest first"
    else:
        scoped = _scoped(alert, rule)
        deals = metrics.run("closed_deals", window, db=db, dim=rule.dimension if scoped else None,
                            member=member if scoped else None)
        title = f"{{n}} deals {member if scoped else 'we'} lost {_during(fired)}, largest first"
    lost = deals[deals["outcome"] == "lost"].sort_values(["amount", "close_date"], ascending=[False, False],
                                                          na_position="last")
    shown = [c for c in LOST_COLUMNS if c in lost]
    return Behind(title.format(n=f"{len(lost):,}"), lost[shown].reset_index(drop=True), view, count=len(lost),
                  names=[str(n) for n in lost["name"].head(DEALS_NAMED) if not pd.isna(n)])


DISCOUNT_COLUMNS = ("name", "discount_pct", "threshold", "amount", "deal_size_band", "outcome", "close_date",
                    "account", "owner", "id")


def _discounted_deals(alert: dict, rule: Rule, fired: list[str], view: View, db) -> Behind:
    """The member's deals won in the periods that fired whose discount exceeds their deal-size band's
    approval threshold (the catalogue's discount_breaches, its open deals left to the Accounts page),
    deepest excess first: the concessions an approval should have stopped, or did not see."""
    member, dim = alert["member"], rule.dimension
    start, end = periods.bounds(fired[0])[0], periods.bounds(fired[-1])[1]
    scope = {d: tuple(v) for d, v in view.filters.items() if d in DIMENSIONS}
    deals = metrics.run("discount_breaches", Filters(start, end, **scope), db=db)
    deals = deals[deals["outcome"] == "won"]
    note, label = None, metrics.DIMENSION_LABELS.get(dim, dim)
    if _scoped(alert, rule) and dim not in scope:
        if dim in deals:
            deals = deals[deals[dim].astype(str) == member]
        else:
            note = (f"The deals above their threshold carry no {label.lower()}: these are every "
                    f"{label.lower()}'s.")
    shown = [c for c in DISCOUNT_COLUMNS if c in deals]
    where = f" ({label}: {member})" if _scoped(alert, rule) else ""
    return Behind(f"{len(deals):,} deal{'s' if len(deals) != 1 else ''}{where} won {_during(fired)} above "
                  "their approval threshold, deepest first", deals[shown].reset_index(drop=True), view,
                  count=len(deals), names=[str(n) for n in deals["name"].head(DEALS_NAMED) if not pd.isna(n)],
                  note=note)


def _passes(rule: Rule, values: pd.Series) -> pd.Series:
    """Which values cross the rule's line (its comparator, whitelisted)."""
    import operator

    test = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}[rule.comparator]
    return test(values, rule.threshold)


def _pushed_deals(alert: dict, rule: Rule, fired: list[str], view: View, db) -> Behind:
    """The open deals whose own push count crosses the rule's line at the snapshot that fired
    (the catalogue's deal watchlist), most pushed first; the member's when the filter bar has its
    dimension or the watchlist its column."""
    member, dim = alert["member"], rule.dimension
    snapshot = pipeline.pick_snapshot(fired[-1], db)
    scope = {d: tuple(v) for d, v in view.filters.items() if d in DIMENSIONS}
    watch = metrics.run("deal_watchlist", Filters(*default_range(db), **scope), db=db, snapshot=snapshot)
    note = None
    if _scoped(alert, rule) and dim not in scope:
        if dim in watch:
            watch = watch[watch[dim].astype(str) == member]
        else:
            note = (f"The deal watchlist carries no {metrics.DIMENSION_LABELS.get(dim, dim).lower()}: "
                    f"these are the pushed deals of every {metrics.DIMENSION_LABELS.get(dim, dim).lower()}.")
    pushed = watch[_passes(rule, watch["pushes"].astype(float))].sort_values(
        ["pushes", "amount"], ascending=[False, False], na_position="last")
    shown = [c for c in PUSHED_COLUMNS if c in pushed]
    where = f" ({metrics.DIMENSION_LABELS.get(dim, dim)}: {member})" if _scoped(alert, rule) else ""
    stages = pushed["stage"].value_counts() if "stage" in pushed and len(pushed) else None
    return Behind(f"{len(pushed):,} open deal{'s' if len(pushed) != 1 else ''}{where} pushed {_times(rule)} "
                  f"at the {snapshot} snapshot", pushed[shown].reset_index(drop=True), view, count=len(pushed),
                  names=[str(n) for n in pushed["name"].head(DEALS_NAMED) if not pd.isna(n)], note=note,
                  stage=(str(stages.index[0]), int(stages.iloc[0])) if stages is not None else None)


LANDING_COLUMNS = ("name", "amount", "chance", "spread_share", "why", "stage", "expected_close", "owner",
                   "account", "id")


def _landing_deals(alert: dict, rule: Rule, fired: list[str], figures: list[dict], view: View, db,
                   projector=None) -> Behind:
    """The open deals that move the member's landing most (the largest shares of its spread),
    projected as the alert was: the same period, day, simulations and seed."""
    member, label = alert["member"], fired[-1]
    kept = figures[-1] if figures else {}
    as_of = dt.date.fromisoformat(str(kept["as_of"])[:10]) if kept.get("as_of") else data_date(db)
    if as_of is None:
        raise ValueError("no data is loaded")
    scope = _filters(db)
    if _scoped(alert, rule):
        scope = scope.with_(**{rule.dimension: (member,)})
    one = (projector or landing.shared_projector(db)).project(scope, label, as_of,
                                                                  int(kept["sims"]) if kept.get("sims") else None)
    top = one.top_deals()
    top = top[top["spread_share"] > 0]   # a deal whose outcome is already certain moves nothing
    shown = [c for c in LANDING_COLUMNS if c in top]
    who = f"{_possessive(member)} landing" if _scoped(alert, rule) else "the landing"
    return Behind(f"The {len(top):,} open deals that move {who} most, {label} as of {as_of:%Y-%m-%d}",
                  top[shown].reset_index(drop=True), view, count=len(one.deals),
                  names=[str(n) for n in top["name"].head(DEALS_NAMED) if not pd.isna(n)],
                  deals=[{"name": None if pd.isna(r["name"]) else str(r["name"]), "amount": float(r["amount"]),
                          "chance": float(r["chance"]), "spread_share": float(r["spread_share"])}
                         for r in top.head(LANDING_DEALS_NAMED).to_dict("records")])


VELOCITY_FACTORS = ("open_qualified", "win_rate", "avg_won_deal", "cycle_days")


def _velocity_factors(row: dict) -> pd.DataFrame:
    """Each velocity factor before and after, and its signed effect on velocity per day, as text
    (the factors read in different units)."""
    lines = []
    for factor in VELOCITY_FACTORS:
        fmt = metrics.column_format(factor)
        lines.append({"factor": metrics.column_label(factor),
                      "before": metrics.format_value(row.get(f"{factor}_0"), fmt),
                      "after": metrics.format_value(row.get(f"{factor}_1"), fmt),
                      "effect_per_day": metrics.format_value(row.get(f"effect_{factor}"), "velocity", signed=True)})
    return pd.DataFrame(lines)


def _family(entry: metrics.Metric) -> str:
    """Which course correction a metric's alert calls for, from what the entry reads: the
    pipeline (read at a snapshot), the plan (forecast versus actual), competitors, win-loss, the
    landing (where the period in progress is heading), or discounts (pricing governance)."""
    if entry.name == LANDING:
        return "landing"
    if entry.name == "average_discount":
        return "discount"
    if _at_snapshot(entry):
        return "pipeline"
    if entry.sql == "forecast_vs_actual":
        return "plan"
    return "competitor" if entry.member == "competitor" else "win-loss"


def prompt(alert: dict, rule: Rule) -> dict:
    """The course-correction prompt for an alert: what happened, questions to diagnose and actions
    to weigh, each with the member's own figures (the metric's rows that fired and the deals
    behind them, kept with the alert), and the view behind it (page, filters, breakdown: the
    pages make it a link)."""
    fired, observed = _fired(alert), _observed(alert)
    rows = observed.get("figures") or []
    family = _family(rule.entry)
    view = _view(alert, rule)
    label = {"win-loss": "Win-loss view", "competitor": "Win-loss view", "plan": "Forecast view",
             "pipeline": "Pipeline view", "landing": "Forecast view", "discount": "Accounts view"}[family]
    if len(rows) != len(fired):   # recorded before alerts kept their figures: the values alone
        text = _values_only(alert, rule, fired, observed)
    elif family == "discount":
        text = _discount_prompt(alert, rule, fired, rows, observed)
    elif family == "landing":
        text = _landing_prompt(alert, rule, fired, rows, observed.get("behind") or {})
    elif family == "win-loss":
        text = _win_loss_prompt(alert, rule, fired, rows, observed.get("behind") or {})
    elif family == "plan":
        text = _plan_prompt(alert, rule, fired, rows)
    elif family == "competitor":
        text = _competitor_prompt(alert, rule, fired, rows, observed.get("behind") or {})
    elif rule.metric == "push_count":
        text = _push_prompt(alert, rule, fired, rows, observed.get("behind") or {})
    elif rule.metric == "velocity_change":
        text = _velocity_prompt(alert, rule, fired, rows)
    else:
        text = _coverage_prompt(alert, rule, fired, rows)
    return {**text, "views": {label: view}}


def _lead(alert: dict, rule: Rule) -> str:
    """How a summary starts: 'SMB: win rate', or 'Win rate' for the whole business."""
    label = _label(rule)
    return f"{alert['member']}: {label.lower()}" if _scoped(alert, rule) else label


def _values(rule: Rule, fired: list[str], values: list[float]) -> str:
    """'18% in 2026-08, 14% in 2026-09' (at a snapshot: '4 at the 2026-11-16 snapshot')."""
    at = "at the {} snapshot" if _at_snapshot(rule.entry) else "in {}"
    return ", ".join(f"{format_tested(rule, v)} {at.format(p)}" for p, v in zip(fired, values))


def _values_only(alert, rule, fired, observed) -> dict:
    return {"summary": f"{_lead(alert, rule)} {_values(rule, fired, observed['values'])} ({rule.describe()}).",
            "questions": ["Which deals stand behind these figures, and what changed for them?"],
            "actions": ["Evaluate the rules again to see the figures and deals behind this alert."]}


def _win_loss_prompt(alert, rule, fired, rows, behind) -> dict:
    member, scoped = alert["member"], _scoped(alert, rule)
    who, where = (member, f" in {member}") if scoped else ("we", "")
    lost, closed = sum(r.get("lost") or 0 for r in rows), sum(r.get("closed") or 0 for r in rows)
    values = [r.get(rule.entry.value) for r in rows]
    names = behind.get("names") or []
    largest = f"; the largest: {_named(names, len(names))}" if names else ""
    first, last = rows[0], rows[-1]

    def record(r):
        return (f"{_count(r.get('won'))} of {_count(r.get('closed'))} closed in {r.get('period')} "
                f"({_pct(r.get('win_rate'))})")

    trend = f"{record(first)} and {record(last)}" if len(rows) > 1 else record(last)
    return {
        "summary": f"{_lead(alert, rule)} {_values(rule, fired, values)}, {_crossed(rule)} {_when(rule, fired)}: "
                   f"{lost:,} of the {closed:,} deals closed were lost{largest}.",
        "questions": [
            f"Which competitors and loss reasons are behind the {lost:,} deals {who} lost {_during(fired)}?",
            f"{who[:1].upper()}{who[1:]} won {trend}: did the deal mix change (size, product, lead source), "
            "or did we lose deals we used to win?",
            f"Are we qualifying the right opportunities{where}, or carrying deals that never fit?",
        ],
        "actions": [
            "Run post-mortems on the largest lost deals" + (f" ({_named(names, len(names))})" if names else "")
            + " and feed them into targeting and qualification criteria.",
            "Update the battle cards against the competitors winning these deals.",
            f"Tighten the qualification criteria{' for ' + member if scoped else ''}; re-check the ideal "
            "customer profile.",
            "Decide attack / defend / fire for the accounts that no longer fit.",
        ],
    }


def _discount_prompt(alert, rule, fired, rows, observed) -> dict:
    """The member's average discount quarter by quarter (from the quarter before the run, when the
    rule compares with it), the win rate beside it (did the discount buy wins?), and the deals above
    their approval threshold: pricing governance's questions and actions (DOMAIN.md)."""
    member, scoped = alert["member"], _scoped(alert, rule)
    whose = _possessive(member) if scoped else "our"
    behind = observed.get("behind") or {}
    count, names = int(behind.get("count") or 0), behind.get("names") or []
    bases, base_periods = observed.get("bases") or [], observed.get("base_periods") or []
    discount = [(r.get("period"), r.get("avg_discount")) for r in rows]
    if bases and base_periods and bases[0] is not None and base_periods[0] not in fired:
        discount.insert(0, (base_periods[0], bases[0]))   # where the rise started from

    def pct(value) -> str:
        return metrics.format_value(value, "percent")

    steps = " → ".join(f"{pct(v)} in {p}" for p, v in discount)
    moves = (f" ({', '.join(format_tested(rule, v) for v in observed.get('values') or [])})"
             if _is_change(rule) and observed.get("values") else "")
    rates = [r.get("win_rate") for r in rows]
    first, last = rates[0], rates[-1]
    measured = first is not None and last is not None and not pd.isna(first) and not pd.isna(last)
    gained = measured and last - first > 0.005
    if len(rows) < 2 or not measured:
        beside, bought = f"win rate {pct(last)} in {rows[-1].get('period')}", None
    else:
        beside = (f"win rate {pct(first)} in {rows[0].get('period')} → {pct(last)} in {rows[-1].get('period')}")
        bought = "the win rate rose with it" if gained else "the deeper discount bought no wins"
    won = sum(int(r.get("won_with_discount") or 0) for r in rows)
    above = (f"{count:,} of the {won:,} deals {member if scoped else 'we'} won with a discount {_during(fired)} "
             f"{'exceeds its' if count == 1 else 'exceed their'} approval threshold"
             + (f": {_named(names, count)}" if names else "")) if count else ""
    summary = (f"{_lead(alert, rule)} {steps}{moves}, {_crossed(rule)} {_when(rule, fired)}, over {won:,} deals won "
               f"with a discount; {beside}" + (f": {bought}" if bought else "") + (f". {above}." if above else "."))
    questions = [
        (f"Are approvals being asked for? {above[:1].upper()}{above[1:]}; who approved "
         f"{'it' if count == 1 else 'them'}, and on what grounds?"
         if above else "Are approvals being asked for above the thresholds by deal size, or are the deeper "
                       "discounts all within them?"),
        f"Which deal sizes take the deeper discounts{' in ' + whose + ' deals' if scoped else ''}: "
        "the large deals, where a point costs most, or the small ones that should not need any?",
        "Is a competitor pressing on price in these deals, or does the discount stand in for the value "
        "proposition?",
        (f"The win rate rose {pct(first)} → {pct(last)}: did the discount win those deals, or would they have "
         "closed at list price?") if gained else
        (f"The win rate went {pct(first)} → {pct(last)} while the discount deepened: what did the extra points buy?"
         if measured and len(rows) > 1 else "What did the deeper discount buy: more wins, larger deals, or neither?"),
    ]
    actions = [
        "Hold the discount approval thresholds by deal size: route every deal above its threshold for approval "
        "before the quote goes out.",
        "Audit unauthorised concessions" + (f" with {member}" if scoped else "")
        + (f", starting with {_named(names, len(names))}." if names else "."),
        f"Coach {member if scoped else 'the owners'} on value selling: lead with the customer's problem and the "
        "value proposition, and trade a concession only for something in return (term, volume, reference).",
        "If a competitor moved its prices, war-game the price move (its next step and the customer's) before "
        "matching it, and update the battle card.",
    ]
    return {"summary": summary, "questions": questions, "actions": actions}


def _plan_prompt(alert, rule, fired, rows) -> dict:
    member, scoped = alert["member"], _scoped(alert, rule)
    who = member if scoped else "We"
    where = "" if not scoped else (f" for {member}" if rule.dimension == "owner" else f" in {member}")
    last = rows[-1]
    p, f, a, t = last.get("period"), last.get("forecast"), last.get("actual"), last.get("target")
    gap = None if f is None or a is None else f - a

    def call(r):
        return (f"called {_money(r.get('forecast'))} and landed {_money(r.get('actual'))} in {r.get('period')} "
                f"(bias {_pct(r.get('bias'), signed=True)})")

    def booked(r):
        return (f"booked {_money(r.get('actual'))} of a {_money(r.get('target'))} target in {r.get('period')} "
                f"({_pct(r.get('attainment'))} attainment)")

    line = f"{_crossed(rule)} {_when(rule, fired)}"
    common = "Recalibrate stage probabilities from the actual conversion by stage."
    if rule.metric == "forecast_bias" and (last.get("bias") or 0) > 0:
        return {
            "summary": f"{who} over-calls: {'; '.join(call(r) for r in rows)} — forecast bias {line}.",
            "questions": [
                f"{who} {call(last)}: which deals in the commit slipped to a later period or were lost?",
                f"The commit carried {_money(gap)} more than closed in {p}: are stage definitions and exit "
                f"criteria applied the same way by every owner{where}?",
                f"{who} {booked(last)}: is the quota realistic for this territory, or is capacity short?",
            ],
            "actions": [
                f"Review forecast-call discipline{where}: commit only deals past the agreed exit criteria "
                f"({_money(gap)} of {p}'s commit did not close).",
                common,
                f"Coach the owners{where} on calling commit; track the bias each {rule.grain} "
                f"({', '.join(_pct(r.get('bias'), signed=True) + ' in ' + str(r.get('period')) for r in rows)}).",
                "Reallocate capacity from lower-return territories if the gap is structural.",
            ],
        }
    if rule.metric == "forecast_bias":
        return {
            "summary": f"{who} sandbags: {'; '.join(call(r) for r in rows)} — forecast bias {line}.",
            "questions": [
                f"{who} {call(last)}: which deals closed without being called commit, and why were they "
                "held back?",
                f"{who} {booked(last)}: is the quota set where it should be, or do the incentives reward a "
                "low call?",
                "Are stage definitions and exit criteria applied the same way by every owner?",
            ],
            "actions": [
                f"Check the incentives and quota setting{where}: {_money(None if gap is None else -gap)} landed "
                f"beyond the call in {p}, capacity the plan did not count on.",
                f"Call commit{where} on every deal past the exit criteria, not only those already certain.",
                common,
            ],
        }
    short = None if t is None or a is None else t - a
    return {
        "summary": f"{who} {'misses target' if rule.metric == 'attainment' else 'books short'}: "
                   f"{'; '.join(booked(r) for r in rows)} — {rule.entry.label.lower()} {line}.",
        "questions": [
            f"{who} {booked(last)}: which deals called commit did not close, and which slipped to the next "
            f"{rule.grain}?",
            f"Is the quota realistic{where}, or is capacity short by about {_money(short)} a {rule.grain}?",
            "Are stage definitions and exit criteria applied the same way by every owner?",
        ],
        "actions": [
            f"Build the pipeline{where} for the next {rule.grain} to cover the {_money(short)} missed in {p}.",
            common,
            "Reallocate capacity from lower-return territories if the gap is structural.",
        ],
    }


def _competitor_prompt(alert, rule, fired, rows, behind) -> dict:
    member = alert["member"]
    named = sum(r.get("losses_naming") or 0 for r in rows)
    names = behind.get("names") or []

    def share(r):
        return (f"{_count(r.get('losses_naming'))} of our {_count(r.get('losses'))} losses in {r.get('period')} "
                f"({_pct(r.get('presence'))})")

    return {
        "summary": f"{member} is named in {'; '.join(share(r) for r in rows)} — {_crossed(rule)} "
                   f"{_when(rule, fired)}" + (f"; the largest: {_named(names, len(names))}." if names else "."),
        "questions": [
            f"Where does {member} beat us in these {named:,} losses: price, service or technical capability?",
            f"Is {member} new in these accounts, or did it change its prices?"
            + (f" Start with {_named(names, len(names))}." if names else ""),
        ],
        "actions": [
            f"Update the battle card against {member} from these {named:,} losses; brief the "
            "teams meeting it.",
            "Defend the accounts it courts: check satisfaction with support and the account team.",
            "Play out our next move and its likely response (war game) before changing price.",
        ],
    }


def _push_prompt(alert, rule, fired, rows, behind) -> dict:
    count, names = int(behind.get("count") or 0), behind.get("names") or []
    title = behind.get("title") or f"{_lead(alert, rule)} {_values(rule, fired, [r.get('pushes') for r in rows])}"
    stage = behind.get("stage")
    top = f"Why do {_named(names[:2], len(names[:2]))} keep moving" if names else "Why do these deals keep moving"
    return {
        "summary": f"{title}" + (f": {_named(names, count)}." if names else "."),
        "questions": [
            f"{top}: is the buyer still engaged, the decision maker known, the budget approved?",
            (f"{stage[1]:,} of the {count:,} sit in {stage[0]}: what stops them there, and is new pipeline "
             "coming in behind them?") if stage else "Is the pipeline short of new deals behind them?",
            "Does the sales capacity match the pipeline velocity and the hiring lead times?",
        ],
        "actions": [
            f"Review the {f'{count:,} ' if count else ''}repeatedly pushed deals with their owners: re-qualify "
            "them or take them out of the forecast.",
            "Launch pipeline generation with marketing (account-based lists, follow-up SLAs).",
            "Move capacity from lower-return territories to the high-growth markets.",
        ],
    }


FACTOR_ACTIONS = {
    "open_qualified": "Launch pipeline generation with marketing (account-based lists, follow-up SLAs).",
    "win_rate": "Tighten qualification and update the battle cards where the win rate fell.",
    "avg_won_deal": "Check discounting against the approval thresholds by deal size; audit unauthorised concessions.",
    "cycle_days": "Review the stage exit criteria where deals now take longer to close.",
}


def _velocity_prompt(alert, rule, fired, rows) -> dict:
    r, member, scoped = rows[-1], alert["member"], _scoped(alert, rule)
    where = f" in {member}" if scoped else ""
    effects = {f: r.get(f"effect_{f}") for f in VELOCITY_FACTORS if r.get(f"effect_{f}") is not None}
    rising = (r.get("change_pct") or 0) >= 0   # name the factor that moved velocity the way it went
    worst = (max if rising else min)(effects, key=effects.get) if effects else None

    def moved(f):
        fmt = metrics.column_format(f)
        return (f"{metrics.column_label(f).lower()} moved {metrics.format_value(r.get(f + '_0'), fmt)} → "
                f"{metrics.format_value(r.get(f + '_1'), fmt)} "
                f"({metrics.format_value(effects[f], 'velocity', signed=True)})")

    velocity = (f"{metrics.format_value(r.get('velocity_0'), 'velocity')} on {r.get('snapshot_0')} → "
                f"{metrics.format_value(r.get('velocity_1'), 'velocity')}")
    return {
        "summary": f"{_lead(alert, rule)} {_pct(r.get('change_pct'), signed=True)} {_when(rule, fired)} ({velocity})"
                   + (f"; {moved(worst)}, the largest {'lift' if rising else 'drag'}." if worst else "."),
        "questions": [
            (f"{moved(worst)[:1].upper()}{moved(worst)[1:]}{where}: what changed behind it?" if worst
             else "Which factor moved velocity?"),
            f"Is the pipeline{where} short of new deals, or are deals stalling and slipping?",
            "Does the sales capacity match the pipeline velocity and the hiring lead times?",
        ],
        "actions": ([FACTOR_ACTIONS[worst]] if worst and not rising else []) + [
            a for f, a in FACTOR_ACTIONS.items() if f != worst and effects.get(f, 0) < 0][:1] + [
            "Move capacity from lower-return territories to the high-growth markets."],
    }


def _coverage_prompt(alert, rule, fired, rows) -> dict:
    r = rows[-1]
    p, pipe, remaining, needed = r.get("period"), r.get("pipeline"), r.get("remaining"), r.get("coverage_needed")
    short = None if None in (pipe, remaining, needed) else max(needed * remaining - pipe, 0)
    return {
        "summary": f"{_lead(alert, rule)} {format_tested(rule, r.get(rule.entry.value) or 0)} for {p} "
                   f"{_when(rule, fired)}: {_money(pipe)} open pipeline closing in {p} against {_money(remaining)} "
                   f"of target still to book ({metrics.format_value(needed, 'ratio')} needed at the current win rate).",
        "questions": [
            f"Is the pipeline for {p} short of new deals, or are deals stalling and slipping out of it?",
            f"Which of the {_count(r.get('open_deals'))} open deals closing in {p} can really close, and which "
            "keep being pushed?",
            "Does the sales capacity match the pipeline velocity and the hiring lead times?",
        ],
        "actions": [
            f"Generate about {_money(short)} more pipeline closing in {p} with marketing (account-based lists, "
            "follow-up SLAs).",
            "Review repeatedly pushed deals: re-qualify them or take them out of the forecast.",
            "Move capacity from lower-return territories to the high-growth markets.",
        ],
    }


def _landing_prompt(alert, rule, fired, rows, behind) -> dict:
    """Where the member is heading against its target, the gap from the P50 and the pipeline it
    takes at the trailing win rate, and the deals that move the landing most, with their chance."""
    r, member, scoped = rows[-1], alert["member"], _scoped(alert, rule)
    p, week, left = r.get("period"), r.get("week"), r.get("days_left")
    who, its, where = (member, "its", f" in {member}") if scoped else ("We", "our", "")
    gap, needed, more = r.get("gap"), r.get("coverage_needed"), r.get("pipeline_needed")
    deals = behind.get("deals") or []

    def deal(d):
        return (f"{d.get('name') or 'a deal without a name'} ({_money(d.get('amount'))}, {_pct(d.get('chance'))} "
                f"chance, {_pct(d.get('spread_share'))} of the spread)")

    heading = (f"{_lead(alert, rule)} {_pct(r.get('chance_of_target'))} in {p} at week {week} "
               f"(data as of {r.get('as_of')}), {_crossed(rule)}: P50 {_money(r.get('p50'))} against {its} {_money(r.get('target'))} target "
               f"(P10–P90 {_money(r.get('p10'))}–{_money(r.get('p90'))}; won to date {_money(r.get('won_to_date'))})")
    if gap:
        closing = (f"The gap to close is {_money(gap)} (target − P50)" + (
            f"; at the trailing win rate ({metrics.format_value(needed, 'ratio')} coverage needed) that takes about "
            f"{_money(more)} more pipeline closing in {p}" if needed else
            "; no deal closed in the trailing two quarters to size the pipeline it takes"))
    else:
        closing = "The P50 reaches the target: the chance is low because the spread below it is wide"
    questions = [
        (f"Which of the deals that move the landing most can really close by the end of {p}: "
         f"{', '.join(deal(d) for d in deals[:3])}?") if deals else
        f"{who} {'has' if scoped else 'have'} no open deal that moves the landing: where will {_money(gap)} come from?",
        f"Can {_money(more) if more else 'the missing pipeline'} of new pipeline be created and closed in the "
        f"{left} days left, or must deals expected later be pulled into {p}?",
    ]
    if r.get("commit") is not None and r.get("p50") is not None:
        questions.append(f"The commit call stands at {_money(r.get('commit'))} against a P50 of "
                         f"{_money(r.get('p50'))}: which deals does it count on that the history does not?")
    actions = [
        (f"Review the deals that move it most with their owners{where}: {_named([deal(d) for d in deals], len(deals))}; "
         "confirm the decision maker, the close plan and the paper process.") if deals else
        f"Build pipeline{where} that can close in {p}.",
        f"Generate about {_money(more)} of pipeline closing in {p} with marketing (account-based lists, "
        "follow-up SLAs), or pull in deals expected later." if more else
        f"Generate pipeline closing in {p} with marketing (account-based lists, follow-up SLAs).",
        "Play the what-ifs on the landing (win rate, slips, named deals) and save the plan as a scenario for "
        "the QBR.",
        f"If the gap cannot close, reset the expectation for {p} now and move capacity to where the quarter "
        "can still be won.",
    ]
    return {"summary": f"{heading}. {closing}.", "questions": questions, "actions": actions}


def rule_by_id(rule_id: int, db=None) -> Rule:
    for rule in list_rules(db):
        if rule.id == rule_id:
            return rule
    raise ValueError(f"There is no rule #{rule_id}.")


def for_scope(filters: Filters, window: Filters, db) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The open alerts split for a scope (the Overview's list, the QBR pack): (those on a member
    the scope names, those raised company-wide on a member the scope holds — a deal closed in it
    over `window` — or on the whole business, how many are about members outside it). Unscoped,
    every alert is the first."""
    open_now = open_alerts(db)
    if not any(getattr(filters, d) for d in DIMENSIONS):
        return open_now, open_now.iloc[0:0], 0
    held: dict[str, set] = {}

    def holds(dim: str, member) -> bool:
        if dim == "all" or member == "All":
            return True
        if dim not in metrics.get("win_rate").dimensions:
            return True   # nothing to tell it by: shown, as company-wide
        if dim not in held:
            held[dim] = set(metrics.run("win_rate", window, db=db, dim=dim, grain="all")["member"])
        return member in held[dim]

    place = ["own" if dim in DIMENSIONS and getattr(filters, dim) and member in getattr(filters, dim)
             else "out" if dim in DIMENSIONS and getattr(filters, dim)
             else "touching" if holds(dim, member) else "out"
             for dim, member in zip(open_now["dimension"], open_now["member"])]
    place = pd.Series(place, index=open_now.index, dtype=object)
    return open_now[place == "own"], open_now[place == "touching"], int((place == "out").sum())
