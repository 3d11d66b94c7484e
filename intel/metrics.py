"""The metric catalogue: every number Sightline shows, defined once, and the one runner.

An entry names a metric with its label, format and description (shared/METRICS.md), the SQL
file holding its definition (intel/sql/<sql>.sql, the definition in a comment on top), the
dimensions and grains it may be cut by, the parameters it takes, the column holding its value
and the one counting what stands behind it (what an alert's minimum sample counts), and its
independent check (intel/checks.py, a plain pandas computation the tests compare it with).

Pages, the command line, alerts and the QBR pack all call `run(name, filters, **params)`,
which validates the parameters against the entry (a dimension from a URL is checked against
the entry's list before it reaches SQL, and even then it is a bound value), refreshes the
models once, binds the parameters and runs the SQL. `statement` is that binding on its own (the
SQL text and its parameters): alerts wrap it in the rule's SQL, so a number is bound one way
wherever it is read. Labels and formats come from here too; `alertable` says which metrics
alert rules may watch.
"""
from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from intel import config, models, store
from intel.filters import Filters
from intel.periods import GRAINS, fiscal_year_start  # noqa: F401  (GRAINS: what a period can be, read here too)

# ---- dimensions: one list, every canonical attribute a deal carries (joined ones included) ----

DIMENSION_LABELS = {
    "total": "Total", "region": "Region", "segment": "Segment", "owner": "Owner", "team": "Team",
    "manager": "Manager", "industry": "Industry", "country": "Country", "product": "Product",
    "product_family": "Product family", "competitor": "Competitor", "lead_source": "Lead source",
    "deal_type": "Deal type", "deal_size_band": "Deal size band",
}
# every attribute of a closed deal (deal facts); 'total' puts every deal under one member, 'All'
DEAL_DIMENSIONS = tuple(d for d in DIMENSION_LABELS if d != "total")
# targets and forecast calls carry only these four, so plan-versus-actual figures stop there
PLAN_DIMENSIONS = ("total", "region", "segment", "owner", "product")
# an open deal in a snapshot has every attribute but the size band (set on closed history)
SNAPSHOT_DIMENSIONS = ("total",) + tuple(d for d in DEAL_DIMENSIONS if d != "deal_size_band")

# ---- formats: how a value reads, wherever it is shown ----

FORMATS = ("percent", "points", "count", "money", "days", "ratio", "velocity", "text", "date", "datetime")


def _when(value, fmt: str) -> str:
    """A day as 2026-09-28 (never with a midnight), a moment as 2026-11-24 21:14."""
    stamp = pd.Timestamp(value)
    if fmt == "date" or stamp == stamp.normalize():
        return f"{stamp:%Y-%m-%d}"
    return f"{stamp:%Y-%m-%d %H:%M}"


def format_value(value, fmt: str, signed: bool = False, compact: bool = False) -> str:
    """A value as a person reads it: 0.234 -> '23.4%', 1234567 (money) -> '$1,234,567' (the
    reporting currency's symbol), 3.1 -> '3.10×', 95278 (velocity) -> '$95,278/day', a day without
    its midnight; '—' when there is none. `compact` shortens money and velocity for tiles:
    '$38.7M', '$381k/day'."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, (bool, np.bool_)):   # a flag reads as a word ("Small sample: yes")
        return "yes" if value else "no"
    if fmt in ("date", "datetime") and not isinstance(value, str):
        return _when(value, fmt)
    if isinstance(value, str) and fmt not in ("text", "date", "datetime"):
        try:   # an exact decimal handed over as text
            value = float(value)
        except ValueError:
            return value
    sign = "+" if signed else ""
    if fmt == "percent":
        return f"{value:{sign}.1%}"
    if fmt == "points":   # a change of a share: 0.054 -> '+5.4 points' (never '5.4%', a share of what?)
        return f"{value * 100:+.1f} points"
    if fmt in ("money", "velocity"):
        figure = models.money(abs(value)) if compact else f"{models.currency_prefix()}{abs(value):,.0f}"
        nonzero = any(c in "123456789" for c in figure)   # no '-$0'
        lead = "-" if value < 0 and nonzero else ("+" if signed and value >= 0 else "")
        return lead + figure + ("/day" if fmt == "velocity" else "")
    if fmt == "count":
        return f"{value:{sign},.0f}"
    if fmt == "days":
        return f"{value:,.0f} days"
    if fmt == "ratio":
        return f"{value:.2f}×"
    return str(value)


def change(now, before, relative: bool = True) -> float | None:
    """How far a figure moved from `before` to `now`: (now − before) ÷ |before|, or with
    relative=False now − before; None when either is missing (or, relative, `before` is 0)."""
    if any(v is None or pd.isna(v) for v in (now, before)) or (relative and before == 0):
        return None
    return (now - before) / abs(before) if relative else now - before


# The columns metrics return, with the label and format they are shown with everywhere.
COLUMNS: dict[str, tuple[str, str]] = {
    "member": ("Member", "text"), "period": ("Period", "text"), "won": ("Won", "count"),
    "lost": ("Lost", "count"), "closed": ("Deals closed", "count"), "win_rate": ("Win rate", "percent"),
    "win_rate_low": ("Win rate, low", "percent"), "win_rate_high": ("Win rate, high", "percent"),
    "won_amount": ("Won amount", "money"), "lost_amount": ("Lost amount", "money"),
    "win_rate_by_value": ("Win rate by value", "percent"), "small_sample": ("Small sample", "text"),
    "reason": ("Reason", "text"), "losses": ("Losses", "count"), "share": ("Share", "percent"),
    "cumulative_share": ("Cumulative", "percent"), "competitor": ("Competitor", "text"),
    "losses_naming": ("Losses naming it", "count"), "presence": ("Presence in losses", "percent"),
    "presence_in_losses": ("Share of our losses", "percent"), "outcome": ("Outcome", "text"),
    "deals": ("Deals", "count"), "median_days": ("Median days", "days"),
    "p25_days": ("25th percentile", "days"), "p75_days": ("75th percentile", "days"),
    "mean_days": ("Mean days", "days"), "without_dates": ("Without dates", "count"),
    "closed_without_dates": ("Closed without dates", "count"),
    "target": ("Target", "money"), "forecast": ("Forecast (commit)", "money"), "best_case": ("Best case", "money"),
    "actual": ("Actual", "money"), "deals_won": ("Deals won", "count"), "variance": ("Variance", "money"),
    "variance_pct": ("Variance %", "percent"), "attainment": ("Attainment", "percent"),
    "bias": ("Bias", "percent"), "mape": ("Forecast error (MAPE)", "percent"),
    "wape": ("Forecast error (WAPE)", "percent"),
    "periods": ("Periods", "count"), "verdict": ("Verdict", "text"), "stage": ("Stage", "text"),
    "amount": ("Amount", "money"), "weighted": ("Weighted", "money"), "entered": ("Entered", "count"),
    "moved_on": ("Moved on", "count"), "conversion": ("Conversion", "percent"),
    "open_qualified": ("Open qualified deals", "count"), "avg_won_deal": ("Average won deal", "money"),
    "cycle_days": ("Sales cycle", "days"), "velocity": ("Velocity per day", "velocity"),
    "velocity_0": ("Velocity before", "velocity"), "velocity_1": ("Velocity after", "velocity"),
    "change_pct": ("Change", "percent"), "pipeline": ("Pipeline", "money"),
    "weighted_pipeline": ("Weighted pipeline", "money"), "open_deals": ("Open deals", "count"),
    "actual_to_date": ("Actual to date", "money"), "remaining": ("Remaining target", "money"),
    "elapsed_days": ("Day", "count"), "period_days": ("Days in period", "count"), "as_of": ("As of", "date"),
    "linear_pace": ("Linear pace", "money"), "to_linear_pace": ("Of linear pace", "percent"),
    "historical_share": ("Usually booked by this day", "percent"), "historical_pace": ("Historical pace", "money"),
    "to_historical_pace": ("Of historical pace", "percent"), "periods_averaged": ("Periods averaged", "count"),
    "coverage": ("Coverage", "ratio"), "coverage_needed": ("Needed", "ratio"),
    "category": ("Movement", "text"), "pushes": ("Pushes", "count"),
    "average_won_deal": ("Average won deal", "money"),
    # the landing (projection) and its track record
    "won_to_date": ("Won to date", "money"), "p10": ("P10", "money"), "p50": ("P50 (median)", "money"),
    "p90": ("P90", "money"), "expected": ("Expected", "money"), "chance_of_target": ("Chance of target", "percent"),
    "commit": ("Commit call", "money"), "sims": ("Simulations", "count"), "chance": ("Chance", "percent"),
    "slip_chance": ("Slip chance", "percent"), "spread_share": ("Share of the spread", "percent"),
    "why": ("Why", "text"), "input": ("Input", "text"), "week": ("Week", "text"), "points": ("Points", "count"),
    "crps_pct": ("CRPS ÷ actual", "percent"), "held": ("P10–P90 held the actual", "percent"), "p50_error": ("P50 error", "percent"),
    "commit_error": ("Commit call error", "percent"), "weighted_error": ("Stage-weighted error", "percent"),
    "predicted": ("Predicted", "percent"), "observed": ("Won", "percent"), "band": ("Chance band", "text"),
    "timing": ("Timing", "text"), "stage_age_days": ("Days in stage", "days"),
    "expected_close": ("Expected close", "date"), "inside": ("Inside P10–P90", "text"),
    "crps": ("CRPS", "money"), "before": ("Before", "money"), "after": ("After", "money"),
    "expected_before": ("Expected before", "money"), "expected_after": ("Expected after", "money"),
    "what_happened": ("What happened", "text"), "shocks": ("What-if", "text"), "scenario": ("Scenario", "text"),
    # forecast: the call behind a variance, periods left out of MAPE, the bookings bridge
    "forecast_submitted_at": ("Call submitted", "date"), "periods_zero_actual": ("Periods without actual", "count"),
    "step": ("Step", "text"), "bookings": ("Bookings", "money"), "avg": ("Average won deal", "money"),
    "mix_effect": ("Mix effect", "money"), "size_effect": ("Deal-size effect", "money"),
    # deals listed behind a number (closed deals, movement, the watchlist)
    "id": ("ID", "text"), "name": ("Name", "text"), "account": ("Account", "text"), "owner": ("Owner", "text"),
    "region": ("Region", "text"), "segment": ("Segment", "text"), "product": ("Product", "text"),
    "team": ("Team", "text"), "industry": ("Industry", "text"), "lead_source": ("Lead source", "text"),
    "deal_type": ("Deal type", "text"), "loss_reason": ("Loss reason", "text"),
    "deal_size_band": ("Deal size band", "text"), "created_date": ("Created", "date"),
    "close_date": ("Close date", "date"), "close": ("Close date", "date"), "change": ("Amount change", "money"),
    "first_close": ("First close date", "date"), "days_overdue": ("Days overdue", "days"),
    "unchanged_snapshots": ("Unchanged snapshots", "count"), "last_change": ("Last change", "date"),
    "slipped": ("Slipped", "text"), "overdue": ("Overdue", "text"), "stale": ("Stale", "text"),
    "snapshot": ("Snapshot", "date"), "snapshot_date": ("Snapshot as of", "date"),
    # stages
    "stage_order": ("Stage order", "count"), "median_days_in_stage": ("Median days in stage", "days"),
    "source": ("Source", "text"),
    # velocity's change between two snapshots (what moved velocity)
    "effect_open_qualified": ("Effect of open qualified deals", "velocity"),
    "effect_win_rate": ("Effect of win rate", "velocity"), "effect_avg_won_deal": ("Effect of deal size", "velocity"),
    "effect_cycle_days": ("Effect of sales cycle", "velocity"),
    "share_open_qualified": ("Share from open qualified deals", "percent"),
    "share_win_rate": ("Share from win rate", "percent"), "share_avg_won_deal": ("Share from deal size", "percent"),
    "share_cycle_days": ("Share from sales cycle", "percent"),
    # alerts
    "rule": ("Rule", "text"), "severity": ("Severity", "text"), "enabled": ("Enabled", "text"),
    "status": ("Status", "text"), "snoozed_until": ("Snoozed until", "date"), "resolution": ("Resolution", "text"),
    "first_fired_at": ("First fired", "datetime"), "last_evaluated_at": ("Last checked", "datetime"),
    "still_firing": ("Still firing", "text"), "action": ("Action", "text"), "acted_at": ("When", "datetime"),
    "by_user": ("By", "text"), "note": ("Note", "text"),
    # imports, shared links, users, notes, the market
    "kind": ("Kind", "text"), "file_name": ("File", "text"), "rows_loaded": ("Rows loaded", "count"),
    "rows_rejected": ("Rows rejected", "count"), "imported_at": ("Imported", "datetime"),
    "imported_by": ("Imported by", "text"), "undone_at": ("Undone", "datetime"), "undone_by": ("Undone by", "text"),
    "rows": ("Rows", "count"), "row": ("Row", "count"),
    "page": ("Page", "text"), "view": ("Page", "text"), "state": ("Filters and choices", "text"),
    "created_by": ("Created by", "text"), "created_at": ("Created", "datetime"),
    "expires_at": ("Expires", "datetime"), "revoked_at": ("Revoked", "datetime"),
    "username": ("User", "text"), "display_name": ("Name", "text"), "role": ("Role", "text"),
    "has_password": ("Password set", "text"), "failed_attempts": ("Failed sign-ins", "count"),
    "locked_until": ("Back-off until", "datetime"), "disabled": ("Disabled", "text"),
    "event_at": ("When", "datetime"), "event": ("Event", "text"),
    "setting": ("Setting", "text"), "value": ("Value", "text"), "help": ("Help", "text"),
    "note_id": ("Note", "count"), "version": ("Version", "count"), "framework": ("Framework", "text"),
    "scope_kind": ("Scope level", "text"), "scope_value": ("Scope", "text"), "text": ("Text", "text"),
    "impact": ("Impact", "text"), "author": ("Author", "text"), "saved_at": ("Saved", "datetime"),
    "deleted": ("Deleted", "text"), "evidence": ("Evidence", "text"),
    "period_grain": ("Grain", "text"), "market_share": ("Market share", "percent"),
    # what is loaded: coverage of the data and of the exchange rates
    "first_date": ("From", "date"), "last_date": ("To", "date"), "last_import": ("Last import", "datetime"),
    "snapshots": ("Snapshots", "count"), "currency": ("Currency", "text"),
    "unconverted_deals": ("Deals without a rate", "count"), "unconverted_amount": ("Amount without a rate", "count"),
    "converted": ("All converted", "text"), "won_with_amount": ("Won with an amount", "count"),
    "without_amount": ("Without an amount", "count"),
    # accounts: the facts the stance rules read, the stance, the manager's decision
    "stance": ("Stance", "text"), "proposed": ("Proposed", "text"), "rules": ("Why (rules met)", "text"),
    "signals": ("Defend signals", "count"), "is_customer": ("Customer", "text"), "size": ("Size", "text"),
    "annual_value": ("Annual value", "money"), "bookings_recent": ("Bookings, last 12 months", "money"),
    "bookings_prior": ("Bookings, 12 months before", "money"), "bookings_change": ("Bookings change", "percent"),
    "bookings_by_quarter": ("Bookings, last 8 quarters", "text"), "lifetime_bookings": ("Bookings, all time", "money"),
    "open_pipeline": ("Open pipeline", "money"), "discount": ("Average discount", "percent"),
    "discount_recent": ("Discount, last 12 months", "percent"), "discount_prior": ("Discount, 12 months before", "percent"),
    "cycle_recent": ("Cycle, last 12 months", "days"), "cycle_prior": ("Cycle, 12 months before", "days"),
    "won_recent": ("Won, last 12 months", "count"), "won_prior": ("Won, 12 months before", "count"),
    "last_deals": ("Latest deals read", "count"), "competitor_recent": ("Competitor in latest deals", "text"),
    "competitor_recent_deals": ("Latest deals naming it", "count"), "earlier_deals": ("Deals before", "count"),
    "competitor_earlier_deals": ("Deals before naming it", "count"), "incumbent": ("Competitor it lost to", "text"),
    "incumbent_losses": ("Losses to it", "count"), "h2h_recent": ("Head-to-head, last 12 months", "percent"),
    "h2h_prior": ("Head-to-head, 12 months before", "percent"), "h2h_recent_closed": ("Head-to-head deals, last 12 months", "count"),
    "h2h_prior_closed": ("Head-to-head deals, 12 months before", "count"), "peer_win_rate": ("Its segment's win rate", "percent"),
    "peer_closed": ("Its segment's closed deals", "count"), "company_win_rate": ("Overall win rate", "percent"),
    "company_closed": ("Overall closed deals", "count"), "share_of_wallet": ("Share of wallet", "percent"),
    "anchor": ("Windows end", "date"), "last_created": ("Latest deal created", "date"),
    "override_reason": ("Reason", "text"), "override_by": ("Decided by", "text"), "override_at": ("Decided", "datetime"),
    "override_version": ("Decision version", "count"), "override": ("Manager's stance", "text"),
    # the lead-source funnel and discount governance
    "created": ("Opportunities created", "count"), "created_amount": ("Pipeline created", "money"),
    "pipeline_share": ("Share of pipeline created", "percent"), "open": ("Still open", "count"),
    "follow_up_days": ("Follow-up (to first stage change)", "days"), "followed_up": ("Follow-up measured on", "count"),
    "band_order": ("Band order", "count"), "avg_discount": ("Average discount", "percent"),
    "won_with_discount": ("Won with a discount", "count"), "discount_pct": ("Discount", "percent"),
    "threshold": ("Approval threshold", "percent"), "breaches": ("Above threshold", "count"),
    "breach_share": ("Share above threshold", "percent"), "breach_amount": ("Amount above threshold", "money"),
    "quarters": ("Quarters", "text"), "rise": ("Discount rise over the quarters", "points"),
    "discount_band": ("Discount band", "text"),
    "win_rate_change": ("Win rate change", "points"),
    # leads: how far marketing's leads went (lead conversion)
    "leads": ("Leads", "count"), "mql": ("MQLs", "count"), "sql": ("SQLs", "count"),
    "opportunities": ("Opportunities", "count"), "mql_rate": ("Lead to MQL", "percent"),
    "sql_rate": ("MQL to SQL", "percent"), "opp_rate": ("SQL to opportunity", "percent"),
    "won_rate": ("Opportunity to won", "percent"), "lead_to_won": ("Lead to won", "percent"),
    "days_to_mql": ("Days to MQL", "days"), "days_mql_to_sql": ("Days MQL to SQL", "days"),
    "campaign": ("Campaign", "text"), "stage_reached": ("Stage reached", "text"),
}
# a pair of columns for two snapshots or periods (deals_0, deals_1): the base column, then before / after
_PAIR = {"0": "before", "1": "after"}


def _pair(column: str) -> tuple[str, str] | None:
    base, _, end = column.rpartition("_")
    return (base, _PAIR[end]) if end in _PAIR and base in COLUMNS else None


def column_label(column: str, dim: str | None = None) -> str:
    """How a result column is headed; the member column takes the dimension's name; a pair of
    columns reads 'Deals before' / 'Deals after'."""
    if column == "member" and dim:
        return DIMENSION_LABELS.get(dim, dim)
    if column in COLUMNS:
        return COLUMNS[column][0]
    pair = _pair(column)
    if pair:
        return f"{COLUMNS[pair[0]][0]} {pair[1]}"
    return column.replace("_", " ").capitalize()


def column_format(column: str) -> str:
    """The format a result column is shown in (one of FORMATS): the catalogue's, a pair's base
    column's, else text."""
    if column in COLUMNS:
        return COLUMNS[column][1]
    pair = _pair(column)
    return COLUMNS[pair[0]][1] if pair else "text"


# ---- parameters a metric may take beyond the filters ----

@dataclass(frozen=True)
class Param:
    name: str
    kind: type | str           # bool, int, 'date', 'period', str
    default: Any = None
    help: str = ""
    low: int | None = None
    high: int | None = None
    choices: tuple[str, ...] = ()     # a whitelisted word (a column name the SQL picks by CASE)

    def parse(self, value):
        """The value checked and converted (from a widget, a URL or the command line)."""
        if value is None:
            return self.default
        if self.choices:
            if str(value) not in self.choices:
                raise ValueError(f"{self.name.replace('_', ' ').capitalize()} is one of {', '.join(self.choices)}.")
            return str(value)
        if self.kind is bool:
            return bool(value)
        if self.kind is int:
            number = int(value)
            if self.low is not None and number < self.low:
                raise ValueError(f"{self.name.replace('_', ' ')} must be at least {self.low}.")
            if self.high is not None and number > self.high:
                raise ValueError(f"{self.name.replace('_', ' ')} must be between {self.low} and {self.high}.")
            return number
        if self.kind == "date":
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        if self.kind == "period":
            from intel import periods

            periods.parse(str(value))   # raises with a sentence when it is not a period
            return str(value)
        return str(value)


PARAMS = {p.name: p for p in [
    Param("exclude_no_decision", bool, False, "leave 'No decision' losses out of win rates"),
    Param("as_of_week", int, None, "the forecast call standing at the end of week N", 1, 13),
    Param("snapshot", "date", None, "the pipeline snapshot on or before this day (default: the latest)"),
    Param("s0", "date", None, "the earlier snapshot (default: the one before the later)"),
    Param("s1", "date", None, "the later snapshot (default: the latest)"),
    Param("period", "period", None, "the target period, e.g. 2026-Q4 or 2026-11"),
    Param("pace_period", "period", None, "the period paced, e.g. 2026-Q4 (default: the one holding the data date)"),
    Param("as_of", "date", None, "the day pacing is read at (default: the data date)"),
    Param("p0", "period", None, "the earlier period of a bridge, e.g. 2026-Q2"),
    Param("sims", int, None, "simulation runs (default 10,000; the track record: 2,000)", 100, 100_000),
    Param("seed", int, None, "the random seed (default fixed: the same data gives the same figures)", 1, None),
    Param("p1", "period", None, "the later period of a bridge, e.g. 2026-Q3"),
    Param("periods", int, 4, "how many periods, from the one holding the snapshot", 1, 12),
    Param("window_quarters", int, 2, "the trailing window, in quarters", 1, 8),
    Param("category", str, None, "one movement category"),
    Param("stale_snapshots", int, 4, "unchanged across this many snapshots: stale", 2, 52),
    Param("limit", int, None, "at most this many rows", 1, None),
    Param("member", str, None, "one member of the dimension"),
    Param("period_start", "date", None, "one period, by its first day"),
    Param("reason", str, None, "one loss reason"),
    Param("competitor", str, None, "one competitor"),
    Param("funnel_by", str, "lead_source", "what the funnel is cut by: lead_source, campaign or deal_type",
          choices=("lead_source", "campaign", "deal_type")),
]}


# ---- the catalogue ----

@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    format: str                       # of the value: one of FORMATS
    description: str                  # from shared/METRICS.md
    sql: str | None                   # intel/sql/<sql>.sql
    value: str                        # the column holding the number
    sample: str | None                # the column counting what stands behind it
    member: str = "member"            # the column naming what a row is about
    dimensions: tuple[str, ...] = ()  # () : not cut by a dimension
    grains: tuple[str, ...] = ("all",)
    params: tuple[str, ...] = ()
    prepare: str | None = None        # "module:function"(params, filters, db) -> SQL parameters
    compute: str | None = None        # "module:function"(filters, params, db) -> frame (no SQL of its own)
    finish: str | None = None         # "module:function"(frame, params) -> frame
    check: str | None = None          # "module:function" in intel.checks: the independent computation
    kind: str = "metric"              # metric | deals (the rows behind a number)
    dim_default: str | None = None
    grain_default: str | None = None
    columns: tuple[str, ...] = field(default=())   # the columns shown, in order (tables, pack)
    aliases: tuple[str, ...] = ()     # other names the command line accepts
    deals: str | None = None          # the entry listing the deals behind it
    alertable: bool = False           # alert rules may watch it (its value per member and period)

    @property
    def default_dim(self) -> str | None:
        return self.dim_default or (self.dimensions[0] if self.dimensions else None)

    @property
    def default_grain(self) -> str:
        return self.grain_default or self.grains[0]


def _hook(path: str | None) -> Callable | None:
    if path is None:
        return None
    module, function = path.split(":")
    return getattr(importlib.import_module(module), function)


WIN_RATE = ("Won ÷ (won + lost) over the deals closed in the period; 'No decision' losses left out "
            "when excluded.")
_win_loss = dict(dimensions=("total",) + DEAL_DIMENSIONS, params=("exclude_no_decision",))
_forecast = dict(sql="forecast_vs_actual", dimensions=PLAN_DIMENSIONS, grains=("quarter", "month"),
                 params=("as_of_week",), prepare="intel.forecast:plan_params", sample="deals_won")
_snapshot = dict(params=("snapshot",), prepare="intel.pipeline:snapshot_params")

CATALOGUE: dict[str, Metric] = {m.name: m for m in [
    # ---- win-loss ----
    Metric("win_rate", "Win rate", "percent", WIN_RATE, "win_rate", "win_rate", "closed",
           grains=("all", "month", "quarter"), check="intel.checks:win_rate", dim_default="segment",
           columns=("member", "period", "won", "lost", "win_rate", "small_sample"),
           deals="closed_deals", alertable=True, **_win_loss),
    Metric("win_rate_by_value", "Win rate by value", "percent",
           "Won amount ÷ (won + lost amount) over the deals closed in the period; undefined where "
           "every loss has no amount.", "win_rate", "win_rate_by_value", "closed",
           grains=("all", "month", "quarter"), check="intel.checks:win_rate_by_value", dim_default="segment",
           columns=("member", "period", "won_amount", "lost_amount", "win_rate_by_value"), **_win_loss),
    Metric("average_won_deal", "Average won deal", "money",
           "Amount won ÷ deals won with an amount, over the deals won in the period (reporting "
           "currency); deals won without an amount are counted beside it.",
           "average_won_deal", "average_won_deal", "won", grains=("all", "month", "quarter"),
           check="intel.checks:average_won_deal", dim_default="segment",
           columns=("member", "period", "won", "average_won_deal"),
           dimensions=("total",) + DEAL_DIMENSIONS),
    Metric("loss_reasons", "Loss reasons", "percent",
           "Losses per reason, ranked, with share and cumulative share (Pareto).",
           "loss_reasons", "share", "losses", member="reason", params=("exclude_no_decision",),
           check="intel.checks:loss_reasons", columns=("reason", "losses", "share", "cumulative_share")),
    Metric("competitor_presence_in_losses", "Competitor presence in losses", "percent",
           "Losses naming the competitor ÷ all losses, per period.",
           "competitor_presence_in_losses", "presence", "losses", member="competitor",
           grains=("month", "quarter"), params=("exclude_no_decision",),
           check="intel.checks:competitor_presence_in_losses", aliases=("competitor-presence",),
           columns=("period", "competitor", "losses_naming", "losses", "presence"), alertable=True),
    Metric("head_to_head", "Head-to-head win rate", "percent",
           "Win rate over the deals naming that competitor, and its share of our losses.",
           "head_to_head", "win_rate", "closed", member="competitor", params=("exclude_no_decision",),
           check="intel.checks:head_to_head",
           columns=("competitor", "won", "lost", "win_rate", "presence_in_losses")),
    Metric("sales_cycle", "Sales cycle", "days",
           "Median days from created to close date of the deals won (and, beside them, lost).",
           "sales_cycle", "median_days", "deals", dimensions=("total",) + DEAL_DIMENSIONS,
           params=("exclude_no_decision",), check="intel.checks:sales_cycle",
           columns=("member", "outcome", "deals", "median_days", "p25_days", "p75_days")),
    # ---- forecast versus actual ----
    Metric("bookings", "Bookings", "money",
           "Amount of the deals won with a close date in the period (reporting currency).",
           value="actual", check="intel.checks:bookings",
           columns=("period", "member", "actual", "deals_won"), alertable=True, **_forecast),
    Metric("attainment", "Attainment", "percent", "Bookings ÷ target for the period and scope.",
           value="attainment", check="intel.checks:attainment",
           columns=("period", "member", "target", "actual", "attainment"), alertable=True, **_forecast),
    Metric("forecast_variance", "Forecast vs actual", "money",
           "Actual − forecast (the commit call standing at the period's end or at week N); "
           "variance % = (actual − forecast) ÷ forecast; attainment = actual ÷ target.",
           value="variance", check="intel.checks:forecast_variance",
           columns=("period", "member", "target", "forecast", "best_case", "actual", "variance",
                    "variance_pct", "attainment"), **_forecast),
    Metric("forecast_bias", "Forecast bias", "percent",
           "(Forecast − actual) ÷ actual per period: positive over-calls, negative sandbags.",
           value="bias", check="intel.checks:forecast_bias",
           columns=("period", "member", "forecast", "actual", "bias"), alertable=True, **_forecast),
    Metric("forecast_accuracy", "Forecast accuracy", "percent",
           "Over the finished periods with a forecast: bias = Σ(f − a) ÷ Σa, MAPE = mean |f − a| ÷ a "
           "(actual 0 left out), WAPE = Σ|f − a| ÷ Σa; a verdict past ±10% bias.",
           "forecast_accuracy", "wape", "periods", dimensions=PLAN_DIMENSIONS, grains=("month", "quarter"),
           params=("as_of_week",), prepare="intel.forecast:accuracy_params",
           finish="intel.forecast:accuracy_verdict", check="intel.checks:forecast_accuracy",
           dim_default="owner", columns=("member", "periods", "bias", "mape", "wape", "verdict")),
    Metric("pacing", "Pacing", "percent",
           "Actual to date in a period in progress (by default the one holding the data date) ÷ "
           "the target's pace by that day: linear pace = target × days elapsed ÷ days in the "
           "period; historical pace = target × the share of their bookings the 4 periods before "
           "had won by the same day of the period (their mean).",
           "pacing", "to_linear_pace", "deals_won", dimensions=PLAN_DIMENSIONS, grains=("quarter", "month"),
           params=("pace_period", "as_of"), prepare="intel.forecast:pacing_params",
           check="intel.checks:pacing",
           columns=("member", "period", "elapsed_days", "period_days", "target", "actual_to_date",
                    "linear_pace", "to_linear_pace", "historical_pace", "to_historical_pace")),
    Metric("bookings_bridge", "Bookings bridge", "money",
           "The change in bookings from P0 to P1 split into deal count, mix and deal size effects, "
           "which add up to the change exactly.",
           None, "amount", "deals", member="step", dimensions=PLAN_DIMENSIONS[1:], params=("p0", "p1"),
           compute="intel.forecast:bridge_steps", check="intel.checks:bookings_bridge",
           dim_default="segment", columns=("step", "amount", "deals"), aliases=("bridge",)),
    # ---- the landing: a projection of the period and its track record ----
    Metric("landing", "Landing", "money",
           "Won to date + Σ over the open deals of amount × the amount ratio × Bernoulli(its chance to "
           "close won in the period, learnt from the deals open at the same day of the 4 periods before: "
           "timing, stage, days in stage, segment, region, shrunk towards the pooled rate) + new deals "
           "(Poisson, from the periods before); simulated, P10/P50/P90, mean and P(landing ≥ target).",
           None, "expected", "open_deals", dimensions=PLAN_DIMENSIONS, params=("period", "as_of", "sims", "seed"),
           compute="intel.landing:landing_frame", check="intel.checks:landing", columns=(
               "member", "period", "target", "won_to_date", "p10", "p50", "p90", "chance_of_target",
               "commit", "best_case", "weighted_pipeline")),
    Metric("landing_backtest", "Landing track record", "percent",
           "The landing replayed at the end of each week of the last 4 finished periods (learning only "
           "from the periods before each): share of actuals inside P10–P90 (80% is calibrated), CRPS ÷ "
           "actual, and the absolute % error of the P50, the commit call then and the stage-weighted "
           "pipeline, at weeks 2, 4, 8 and over all weeks.",
           None, "held", "points", member="week", grains=("quarter", "month"), params=("sims", "seed"),
           compute="intel.landing:backtest_frame", check="intel.checks:landing_backtest", columns=(
               "week", "points", "held", "crps_pct", "p50_error", "commit_error", "weighted_error")),
    # ---- pipeline ----
    Metric("pipeline_by_stage", "Open pipeline by stage", "money",
           "Open deals at a snapshot per stage: deals, amount, and amount weighted by probability.",
           "pipeline_by_stage", "amount", "deals", member="stage", check="intel.checks:pipeline_by_stage",
           columns=("stage", "deals", "amount", "weighted"), **_snapshot),
    Metric("stage_conversion", "Stage conversion", "percent",
           "Deals that reached the next stage ÷ deals that entered the stage; median days in it.",
           "stage_conversion", "conversion", "entered", member="stage",
           check="intel.checks:stage_conversion", columns=("stage", "entered", "moved_on", "conversion")),
    Metric("velocity", "Pipeline velocity", "velocity",
           "Open qualified deals × win rate × average won deal ÷ sales cycle days, each factor over "
           "the trailing window (2 quarters) up to the snapshot.",
           "velocity", "velocity", "closed", dimensions=SNAPSHOT_DIMENSIONS,
           params=("snapshot", "window_quarters", "exclude_no_decision"), prepare="intel.pipeline:velocity_params",
           check="intel.checks:velocity", dim_default="segment",
           columns=("member", "open_qualified", "win_rate", "avg_won_deal", "cycle_days", "velocity")),
    Metric("velocity_change", "Velocity change", "percent",
           "Velocity at a snapshot against the one about a quarter earlier, and the share of the "
           "change each factor explains (log decomposition).",
           None, "change_pct", "closed", dimensions=SNAPSHOT_DIMENSIONS,
           params=("s0", "s1", "window_quarters", "exclude_no_decision"), compute="intel.pipeline:velocity_change_frame",
           check="intel.checks:velocity_change", dim_default="segment",
           columns=("member", "velocity_0", "velocity_1", "change_pct"), alertable=True),
    Metric("coverage", "Pipeline coverage", "ratio",
           "Open pipeline closing in the period ÷ (target − actual to date); beside it, the "
           "coverage needed, 1 ÷ win rate.",
           "coverage", "coverage", "open_deals", member="period", grains=("quarter", "month"),
           params=("snapshot", "periods", "window_quarters", "exclude_no_decision"), prepare="intel.pipeline:velocity_params",
           check="intel.checks:coverage", alertable=True,
           columns=("period", "pipeline", "remaining", "coverage", "coverage_needed")),
    Metric("push_count", "Push count", "count",
           "The most times one open deal's close date moved to a later month (its pushes), per "
           "member at a snapshot; beside it, the open deals behind it.",
           "push_count", "pushes", "open_deals", dimensions=SNAPSHOT_DIMENSIONS, dim_default="owner",
           check="intel.checks:push_count", columns=("member", "open_deals", "pushes"), alertable=True,
           **_snapshot),
    Metric("pipeline_movement", "Pipeline movement", "money",
           "What moved in period P's pipeline between two snapshots: start − won − lost − pushed out "
           "+ grew − shrank + new + pulled in = end.",
           "pipeline_movement", "amount", "deals", member="category", params=("period", "s0", "s1"),
           prepare="intel.pipeline:movement_params",
           check="intel.checks:pipeline_movement", columns=("category", "deals", "amount"),
           aliases=("movement",), deals="pipeline_movement_deals"),
    # ---- accounts, marketing alignment, discount governance ----
    Metric("account_stance", "Account stance", "text",
           "Attack, defend, fire or maintain per account, from its bookings (12 months vs the 12 before), "
           "win rate, cycle and discount over two years, open pipeline and the competitors in its latest "
           "deals; each rule met is shown with its numbers and threshold (settings stance_*); a manager's "
           "decision wins over the proposal and is kept with its history.",
           None, "stance", "closed", member="account", compute="intel.accounts:stance_frame",
           check="intel.checks:account_stance", aliases=("account-stance", "accounts"),
           columns=("account", "stance", "proposed", "rules", "bookings_recent", "bookings_change", "open_pipeline",
                    "win_rate", "closed", "cycle_days", "discount", "competitor_recent", "size")),
    Metric("lead_source_funnel", "Lead-source funnel", "percent",
           "Per lead source (or campaign, or deal type) and period of creation: opportunities created, the "
           "pipeline they brought and its share, won, lost, win rate, median won cycle, average won deal, "
           "and the median days from created to the first stage change (follow-up).",
           "lead_source_funnel", "win_rate", "created", grains=("all", "quarter", "month"),
           params=("funnel_by",), check="intel.checks:lead_source_funnel", aliases=("funnel",),
           columns=("member", "period", "created", "created_amount", "pipeline_share", "won", "lost", "open",
                    "win_rate", "cycle_days", "average_won_deal", "follow_up_days")),
    Metric("discount_bands", "Win rate by discount band", "percent",
           "Closed deals per discount band (0%, 0–10%, 10–20%, 20–30%, over 30%): win rate and average "
           "won deal, per segment, owner or any dimension; deals without a discount counted apart.",
           "discount_bands", "win_rate", "closed", dimensions=("total",) + DEAL_DIMENSIONS,
           params=("exclude_no_decision",), check="intel.checks:discount_bands", dim_default="total",
           columns=("member", "discount_band", "closed", "won", "win_rate", "average_won_deal", "avg_discount")),
    Metric("average_discount", "Average discount", "percent",
           "Mean discount of the deals won in the period that carry one, with the period's win rate beside it.",
           "average_discount", "avg_discount", "won_with_discount", dimensions=("total",) + DEAL_DIMENSIONS,
           grains=("quarter", "month", "all"), params=("exclude_no_decision",), dim_default="owner",
           check="intel.checks:average_discount", alertable=True,
           columns=("member", "period", "won_with_discount", "avg_discount", "win_rate")),
    Metric("discount_governance", "Discount approvals", "percent",
           "Per deal-size band, the deals won in the range and open now that carry a discount: the approval "
           "threshold (setting discount_approval), how many exceed it and their share.",
           "discount_governance", "breach_share", "deals", member="deal_size_band",
           prepare="intel.accounts:approval_params", check="intel.checks:discount_governance",
           deals="discount_breaches", columns=("deal_size_band", "threshold", "deals", "breaches", "breach_share", "avg_discount",
                    "breach_amount")),
    # ---- marketing and sales alignment ----
    Metric("lead_conversion", "Lead conversion", "percent",
           "Per lead source (or campaign) and period of the leads' created date: leads, MQLs, SQLs, "
           "opportunities (a stage reached implies the ones before it) and won (the converted deal won, "
           "or a customer); each step's rate, lead to won = won ÷ leads, and the median days from "
           "created to MQL and from MQL to SQL. A lead exported again counts once; the date range "
           "applies, the region, segment, owner and product filters do not (leads carry none).",
           "lead_conversion", "lead_to_won", "leads", grains=("all", "quarter", "month"),
           params=("funnel_by",), prepare="intel.leads:conversion_params",
           check="intel.checks:lead_conversion",
           columns=("member", "period", "leads", "mql", "sql", "opportunities", "won", "mql_rate",
                    "sql_rate", "opp_rate", "won_rate", "lead_to_won", "days_to_mql", "days_mql_to_sql")),
    # ---- the deals behind the numbers ----
    Metric("discount_breaches", "Deals above the approval threshold", "percent",
           "Deals won in the range or open now whose discount exceeds their deal-size band's approval "
           "threshold, deepest excess first.",
           "discount_breaches", "discount_pct", None, member="name", kind="deals", params=("limit",),
           prepare="intel.accounts:approval_params"),
    Metric("closed_deals", "Closed deals", "money", "The closed deals behind a win-loss number, newest first.",
           "closed_deals", "amount", None, member="name", kind="deals",
           dimensions=("total",) + DEAL_DIMENSIONS, grains=("month", "quarter"),
           params=("exclude_no_decision", "member", "period_start", "reason", "competitor", "limit")),
    Metric("pipeline_movement_deals", "Deals that moved", "money",
           "The deals behind the pipeline movement, largest changes first.",
           "pipeline_movement_deals", "change", None, member="name", kind="deals",
           params=("period", "s0", "s1", "category", "limit"), prepare="intel.pipeline:movement_params"),
    Metric("deal_watchlist", "Deal watchlist", "count",
           "Open deals that slipped (with their push count), are overdue, or went stale.",
           "deal_watchlist", "pushes", None, member="name", kind="deals",
           params=("snapshot", "stale_snapshots", "limit"), prepare="intel.pipeline:snapshot_params"),
]}


def get(name: str) -> Metric:
    """The catalogue entry; hyphens read as underscores (win-rate = win_rate)."""
    key = name.replace("-", "_")
    key = next((m.name for m in CATALOGUE.values() if name in m.aliases), key)
    if key not in CATALOGUE:
        raise ValueError(f"Unknown metric {name!r}: use one of {', '.join(CATALOGUE)}.")
    return CATALOGUE[key]


def min_sample() -> int:
    try:
        return max(int(config.get("min_sample")), 1)
    except ValueError:
        return 10


def bind(metric: Metric, dim: str | None = None, grain: str | None = None, **params) -> dict:
    """The metric's parameters checked against its entry, with defaults filled in."""
    if dim is not None and dim not in metric.dimensions:
        allowed = ", ".join(metric.dimensions) or "no dimension"
        raise ValueError(f"Unknown breakdown {dim!r}: {metric.label} can be cut by {allowed}.")
    if grain is not None and grain not in metric.grains:
        words = {"all": "the whole range", "month": "month", "quarter": "quarter"}
        raise ValueError(f"{metric.label} is not shown by {grain!r}: use "
                         f"{' or '.join(words.get(g, g) for g in metric.grains)}.")
    unknown = set(params) - set(metric.params)
    if unknown:
        raise ValueError(f"{metric.label} takes no {', '.join(sorted(unknown))}.")
    bound = {name: PARAMS[name].parse(params.get(name)) for name in metric.params}
    bound["dim"] = dim or metric.default_dim
    bound["grain"] = grain or metric.default_grain
    return bound


def sql_params(bound: dict, filters: Filters) -> dict:
    """What every metric SQL may name: the filters, the settings and the bound parameters."""
    return {**filters.params(), "fy_start": fiscal_year_start(), "min_sample": min_sample(),
            **bound, "exclude_nd": bool(bound.get("exclude_no_decision", False)),
            "limit": bound.get("limit") or 2**62}


@dataclass(frozen=True)
class Statement:
    """A metric bound to a scope: its SQL text and the parameters it takes (all of them; running
    binds those the text names). `sql` is None for an entry computed in Python (`compute`)."""
    metric: Metric
    sql: str | None
    params: dict
    bound: dict                       # the entry's parameters checked, with dim and grain


def statement(name: str, filters: Filters, *, db=None, dim: str | None = None, grain: str | None = None,
              **params) -> Statement:
    """The metric `name` over `filters`, cut by `dim` per `grain`, bound but not run: its SQL and
    parameters (the one binding path: `run` and alert rules both read a metric through it)."""
    metric = get(name)
    bound = bind(metric, dim, grain, **params)
    models.refresh(db)
    if metric.compute:
        return Statement(metric, None, {}, bound)
    values = sql_params(bound, filters)
    if metric.prepare:
        values = _hook(metric.prepare)(values, filters, db)
    return Statement(metric, store.load_sql(metric.sql), values, bound)


def run(name: str, filters: Filters, *, db=None, dim: str | None = None, grain: str | None = None,
        **params) -> pd.DataFrame:
    """The metric `name` over `filters`, cut by `dim` per `grain`, with its parameters: its rows,
    columns as its SQL names them (the entry says which holds the value and the sample)."""
    bound = statement(name, filters, db=db, dim=dim, grain=grain, **params)
    metric = bound.metric
    if bound.sql is None:
        frame = _hook(metric.compute)(filters, bound.bound, db)
    else:
        frame = store.query_sql(bound.sql, bound.params, db=db)
        frame.attrs.update({k: v for k, v in bound.params.items() if k in ("s0", "s1", "p_start", "p_end")})
    if metric.finish:
        frame = _hook(metric.finish)(frame, bound.bound)
    return frame


def check(name: str, filters: Filters, *, db=None, dim: str | None = None, grain: str | None = None,
          **params) -> pd.DataFrame:
    """The metric's independent check over the same scope (intel/checks.py): what the tests
    compare `run` with."""
    metric = get(name)
    if metric.check is None:
        raise ValueError(f"{metric.label} has no independent check.")
    bound = bind(metric, dim, grain, **params)
    models.refresh(db)
    return _hook(metric.check)(filters, bound, db)


# ---- named calls, kept for readability where one shape is meant ----

def win_rate_trend(filters: Filters, grain: str = "month", exclude_no_decision: bool = False,
                   db=None) -> pd.DataFrame:
    """Per period: won, lost, closed, win rate with its 95% interval, win rate by value."""
    frame = run("win_rate", filters, db=db, dim="total", grain=grain, exclude_no_decision=exclude_no_decision)
    return frame.drop(columns=["member"])


def win_rate_by(dim: str, filters: Filters, exclude_no_decision: bool = False, db=None) -> pd.DataFrame:
    """Per member of `dim`: won, lost, win rate with its interval, win rate by value, small_sample."""
    frame = run("win_rate", filters, db=db, dim=dim, grain="all", exclude_no_decision=exclude_no_decision)
    return frame.drop(columns=["period", "period_start"])


def win_rate_by_period(dim: str, filters: Filters, grain: str = "month",
                       exclude_no_decision: bool = False, db=None) -> pd.DataFrame:
    """Per member of `dim` and period: win rate with its interval."""
    frame = run("win_rate", filters, db=db, dim=dim, grain=grain, exclude_no_decision=exclude_no_decision)
    return frame.drop(columns=["won_amount", "lost_amount", "win_rate_by_value"])


def loss_reasons(filters: Filters, exclude_no_decision: bool = False, db=None) -> pd.DataFrame:
    """Loss reasons ranked, with share and cumulative share."""
    return run("loss_reasons", filters, db=db, exclude_no_decision=exclude_no_decision)


def competitor_presence_in_losses(filters: Filters, grain: str = "month",
                                  exclude_no_decision: bool = False, db=None) -> pd.DataFrame:
    """Per period and competitor: losses naming it, all losses, presence."""
    return run("competitor_presence_in_losses", filters, db=db, grain=grain,
               exclude_no_decision=exclude_no_decision)


def head_to_head(filters: Filters, exclude_no_decision: bool = False, db=None) -> pd.DataFrame:
    """Per competitor: win rate where it is named, its interval, and its presence in our losses."""
    return run("head_to_head", filters, db=db, exclude_no_decision=exclude_no_decision)


def sales_cycle(filters: Filters, exclude_no_decision: bool = False, db=None,
                dim: str = "total") -> pd.DataFrame:
    """Won vs lost (per member of `dim`): median, quartiles and mean days from created to close."""
    return run("sales_cycle", filters, db=db, dim=dim, exclude_no_decision=exclude_no_decision)


def closed_deals(filters: Filters, exclude_no_decision: bool = False, db=None, *,
                 dim: str | None = None, member: str | None = None,
                 period_start: dt.date | None = None, grain: str = "month",
                 reason: str | None = None, competitor: str | None = None,
                 limit: int | None = None) -> pd.DataFrame:
    """The deals behind a number, newest first: closed in scope, optionally one member, period,
    reason or competitor; at most `limit` of them."""
    return run("closed_deals", filters, db=db, dim=dim, grain=grain,
               exclude_no_decision=exclude_no_decision, member=member if dim else None,
               period_start=period_start, reason=reason, competitor=competitor, limit=limit)
