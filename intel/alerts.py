"""Alert rules, their evaluation over the current data, course-correction prompts, life cycle.

A rule turns one metric into a series per member of a dimension and per period (through the
same intel functions the pages use); it fires for a member when its last `consecutive`
complete periods all breach the threshold with at least `min_sample` behind each. A standing
condition is one alert, updated at each evaluation; every action on an alert is kept.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pandas as pd

from intel import forecast, metrics, periods, pipeline, store
from intel.access import Actor, require
from intel.filters import Filters, default_range

METRICS = {
    "win_rate": "Win rate",
    "bookings_vs_target": "Bookings vs target (attainment)",
    "forecast_bias": "Forecast bias",
    "coverage": "Pipeline coverage",
    "velocity_change": "Velocity change",
    "push_count": "Push count of a deal",
    "competitor_loss_share": "Share of losses to a competitor",
}
DIMENSIONS = {
    "win_rate": ["all", "region", "segment", "owner", "team", "product", "lead_source"],
    "bookings_vs_target": ["all", "region", "segment", "owner", "product"],
    "forecast_bias": ["all", "region", "segment", "owner", "product"],
    "coverage": ["all"],
    "velocity_change": ["all", "region", "segment", "owner", "team", "product"],
    "push_count": ["all", "owner", "region", "segment"],
    "competitor_loss_share": ["competitor"],
}
COMPARATORS = {"<": lambda v, t: v < t, "<=": lambda v, t: v <= t,
               ">": lambda v, t: v > t, ">=": lambda v, t: v >= t}
THRESHOLD_KINDS = ("absolute", "vs_previous", "vs_last_year")
SEVERITIES = ("high", "medium", "low")
PERCENT_METRICS = {"win_rate", "bookings_vs_target", "forecast_bias", "velocity_change",
                   "competitor_loss_share"}
SERIES_MONTHS = 27   # history a rule looks at


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

    def check(self) -> "Rule":
        if self.metric not in METRICS:
            raise ValueError(f"Unknown metric {self.metric!r}.")
        if self.dimension not in DIMENSIONS[self.metric]:
            raise ValueError(f"{METRICS[self.metric]} cannot be cut by {self.dimension}.")
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
        value = f"{self.threshold:.0%}" if self.metric in PERCENT_METRICS or self.threshold_kind != "absolute" \
            else f"{self.threshold:g}"
        kind = {"absolute": "", "vs_previous": " change vs the period before",
                "vs_last_year": " change vs the same period last year"}[self.threshold_kind]
        scope = "" if self.dimension == "all" else f" per {self.dimension}"
        return (f"{METRICS[self.metric]}{kind} {self.comparator} {value}{scope}, "
                f"{self.consecutive} consecutive {self.grain}{'s' if self.consecutive > 1 else ''}, "
                f"at least {self.min_sample} behind each")


DEFAULT_RULES = [
    Rule("Win rate below 20% for three consecutive months in a segment", "win_rate", "segment", "<", 0.20,
         consecutive=3, grain="month", min_sample=10, severity="high"),
    Rule("Over-forecasting region: bias above +15% two quarters running", "forecast_bias", "region", ">", 0.15,
         consecutive=2, grain="quarter", min_sample=10, severity="medium"),
    Rule("Sandbagging: bias below −15% two quarters running", "forecast_bias", "owner", "<", -0.15,
         consecutive=2, grain="quarter", min_sample=5, severity="medium"),
    Rule("Bookings below 90% of target two quarters running", "bookings_vs_target", "region", "<", 0.90,
         consecutive=2, grain="quarter", min_sample=10, severity="high"),
    Rule("Pipeline coverage below 3× the remaining target", "coverage", "all", "<", 3.0,
         grain="quarter", min_sample=10, severity="high"),
    Rule("Velocity down more than 20% on a quarter ago", "velocity_change", "segment", "<", -0.20,
         min_sample=10, severity="medium"),
    Rule("Deals pushed three times or more", "push_count", "all", ">=", 3, min_sample=1, severity="low"),
    Rule("A competitor in more than 20% of our losses", "competitor_loss_share", "competitor", ">", 0.20,
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


# ---- a rule's series and breaches ----

def _filters(db) -> Filters:
    start, end = default_range(db, months=SERIES_MONTHS)
    return Filters(start, end)


def rule_series(rule: Rule, db=None) -> pd.DataFrame:
    """member, period, value, sample for the rule's metric over the complete periods
    (a period is complete once the latest closed deal is past its end)."""
    f = _filters(db)
    dim = rule.dimension
    if rule.metric in ("win_rate", "bookings_vs_target", "forecast_bias", "competitor_loss_share"):
        labels, last_complete = forecast.period_options(f, rule.grain, db)
        complete = labels[:labels.index(last_complete) + 1] if last_complete in labels else []
        if rule.metric == "win_rate":
            table = (metrics.win_rate_trend(f, rule.grain, db=db).assign(member="All") if dim == "all"
                     else metrics.win_rate_by_period(dim, f, rule.grain, db=db))
            series = table.assign(value=table["win_rate"], sample=table["closed"])
        elif rule.metric == "competitor_loss_share":
            table = metrics.competitor_presence_in_losses(f, rule.grain, db=db)
            series = table.assign(member=table["competitor"], value=table["presence"], sample=table["losses"])
        else:
            table = forecast.forecast_vs_actual("total" if dim == "all" else dim, f, rule.grain, db=db)
            value = (table["attainment"] if rule.metric == "bookings_vs_target"
                     else (table["forecast"] - table["actual"]) / table["actual"].where(table["actual"] != 0))
            series = table.assign(value=value, sample=table["deals_won"])
        series = series[series["period"].isin(complete)]
        order = {label: i for i, label in enumerate(complete)}
    else:
        latest = pipeline.pick_snapshot(None, db)
        label = latest.isoformat()
        if rule.metric == "coverage":
            table = pipeline.coverage(f, rule.grain, latest, periods=1, db=db)
            series = table.assign(member="All", value=table["coverage"], sample=table["open_deals"])
        elif rule.metric == "velocity_change":
            table = pipeline.velocity_change("total" if dim == "all" else dim, f, s1=latest, db=db)
            counts = pipeline.velocity_by("total" if dim == "all" else dim, f, latest, db=db)
            table = table.merge(counts[["member", "closed"]], on="member", how="left")
            series = table.assign(value=table["change_pct"], sample=table["closed"].fillna(0))
        else:  # push_count: per member, the most pushes of one of its open deals
            watch = pipeline.watchlist(f, latest, db=db)
            key = "member" if dim == "all" else dim
            watch = watch.assign(member="All") if dim == "all" else watch.assign(**{key: watch[key].fillna("(none)")})
            series = watch.groupby(key).agg(value=("pushes", "max"), sample=("id", "size")).reset_index()
            series = series.rename(columns={key: "member"})
        series = series.assign(period=label)
        order = {label: 0}
    series = series[["member", "period", "value", "sample"]].dropna(subset=["value"])
    if rule.threshold_kind != "absolute" and rule.metric in ("win_rate", "bookings_vs_target",
                                                             "forecast_bias", "competitor_loss_share"):
        step = 1 if rule.threshold_kind == "vs_previous" else periods.PER_YEAR[rule.grain]
        # each value becomes the base of the period `step` later (a period outside the series matches none)
        base = series.assign(period=series["period"].map(lambda p: periods.shift(p, step)))
        merged = series.merge(base.rename(columns={"value": "base", "sample": "base_sample"}),
                              on=["member", "period"], how="left")
        merged["value"] = (merged["value"] - merged["base"]) / merged["base"].abs()
        merged["sample"] = merged[["sample", "base_sample"]].min(axis=1)
        series = merged[["member", "period", "value", "sample"]].dropna(subset=["value"])
    return series.assign(position=series["period"].map(order)).sort_values(["member", "position"])


@dataclass
class Breach:
    member: str
    periods: list[str]
    values: list[float]
    samples: list[int]
    evidence: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)


def breaches(rule: Rule, series: pd.DataFrame) -> list[Breach]:
    """Members whose last `consecutive` periods (ending with the latest complete one) all breach,
    each with enough sample. A missing or thin period breaks the run."""
    if series.empty:
        return []
    last = series["position"].max()
    wanted = list(range(last - int(rule.consecutive) + 1, last + 1))
    test = COMPARATORS[rule.comparator]
    found = []
    for member, rows in series.groupby("member", sort=True):
        window = rows[rows["position"].isin(wanted)]
        if list(window["position"]) != wanted:
            continue
        if all(s >= rule.min_sample and test(v, rule.threshold)
               for v, s in zip(window["value"], window["sample"])):
            found.append(Breach(str(member), window["period"].tolist(),
                                [float(v) for v in window["value"]], [int(s) for s in window["sample"]],
                                rows))
    return found


def test_rule(rule: Rule, db=None) -> list[Breach]:
    """What the rule would fire on the current data, without saving anything."""
    rule.check()
    return breaches(rule, rule_series(rule, db))


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
    cur = store.cursor(db)
    try:
        return cur.execute(
            """SELECT a.id, r.name AS rule, a.member, a.status, a.severity, a.periods, a.owner,
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

def _fmt(metric: str, value: float) -> str:
    if metric in PERCENT_METRICS:
        return f"{value:.0%}"
    if metric == "coverage":
        return f"{value:.1f}×"
    return f"{value:g}"


def prompt(alert: dict, rule: Rule) -> dict:
    """The course-correction prompt for an alert: what happened (with its numbers), questions to
    diagnose, actions to weigh, and links to the page view and the deals behind it."""
    fired = json.loads(alert["periods"]) if isinstance(alert["periods"], str) else alert["periods"]
    observed = json.loads(alert["observed"]) if isinstance(alert["observed"], str) else alert["observed"]
    member, dim = alert["member"], rule.dimension
    values = ", ".join(f"{p} {_fmt(rule.metric, v)}" for p, v in zip(fired, observed["values"]))
    scope = {} if dim in ("all", "competitor") or member == "All" else {dim: member} \
        if dim in ("region", "segment", "owner", "product") else {}
    if rule.metric == "win_rate":
        start = periods.parse(fired[0])[0]
        query = {**scope, "from": start.isoformat(), "by": "competitor"}
        return {
            "summary": f"{member}: win rate {values} ({rule.describe()}).",
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
            "links": {"Win-loss view": "/win-loss?" + urlencode(query, doseq=True)},
        }
    if rule.metric in ("forecast_bias", "bookings_vs_target"):
        what = "over-calls" if rule.metric == "forecast_bias" and observed["values"][-1] > 0 else (
            "sandbags" if rule.metric == "forecast_bias" else "misses target")
        query = {**scope, "fc_by": dim if dim != "all" else "region", "fc_grain": rule.grain}
        return {
            "summary": f"{member} {what}: {METRICS[rule.metric].lower()} {values} ({rule.describe()}).",
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
            "links": {"Forecast view": "/forecast?" + urlencode(query, doseq=True)},
        }
    if rule.metric in ("coverage", "velocity_change", "push_count"):
        query = {**scope}
        return {
            "summary": f"{member}: {METRICS[rule.metric].lower()} {values} ({rule.describe()}).",
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
            "links": {"Pipeline view": "/pipeline?" + urlencode(query, doseq=True)},
        }
    query = {"by": "competitor"}
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
        "links": {"Win-loss view": "/win-loss?" + urlencode(query, doseq=True)},
    }


def rule_by_id(rule_id: int, db=None) -> Rule:
    for rule in list_rules(db):
        if rule.id == rule_id:
            return rule
    raise ValueError(f"There is no rule #{rule_id}.")
