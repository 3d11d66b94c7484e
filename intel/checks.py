"""Independent checks: every catalogue metric computed a second way, in plain pandas.

Each check reads the tables plainly (`SELECT * FROM deal_facts`, `targets_forecasts`, the deals
of a snapshot) and computes the metric's number from its definition in shared/METRICS.md,
without the metric's SQL file or the macros behind it. The tests (tests/test_catalogue.py) run
the metric and its check over the same scope and compare them.

A check is `check(filters, params, db) -> DataFrame` (params: the entry's bound parameters,
always with `dim` and `grain`). Its text columns say what a row is about (the entry's member
column, `period` when the grain is a month or quarter, `outcome` for the sales cycle); its
number columns are the entry's value and sample columns, and at times a factor beside them,
each named as in the metric's result.
"""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from intel import periods, store
from intel.filters import DIMENSIONS as FILTER_DIMENSIONS
from intel.filters import Filters, data_date
from intel.periods import fiscal_year_start
from intel.pipeline import pick_snapshot, snapshots

NAN = math.nan


# ---- the trailing window (velocity, coverage needed): one place, so it can be switched ----

def window_first_day(anchor: dt.date, quarters: int) -> dt.date:
    """The first day of the trailing window of `quarters` quarters ending on `anchor` (both ends
    included): METRICS.md "Trailing window", the 3N calendar months ending on the anchor."""
    return periods.trailing_window(anchor, quarters)[0]


def quarter_before(day: dt.date) -> dt.date:
    """Velocity change compares with the latest snapshot on or before this day: 3 calendar months
    before the later snapshot."""
    return periods.add_months(day, -3)


# ---- reading ----

def _read(db, sql: str, params: dict | None = None) -> pd.DataFrame:
    cur = store.cursor(db)
    try:
        return cur.execute(sql, params or {}).df()
    finally:
        cur.close()


def _dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_datetime(frame[column])
    return frame


def _deal_facts(db) -> pd.DataFrame:
    facts = _dates(_read(db, "SELECT * FROM deal_facts"), "close_date", "created_date")
    for flag in ("is_closed", "is_won", "no_decision"):
        facts[flag] = facts[flag].fillna(False).astype(bool)
    return facts


def _snapshot(day: dt.date, filters: Filters, db) -> pd.DataFrame:
    """The deals as exported on `day` (snapshot_at: the shared input model, amounts converted to
    the reporting currency as `value`), in the filters' scope."""
    deals = _dates(_read(db, "SELECT * FROM snapshot_at($s)", {"s": day}), "close_date")
    deals["is_closed"] = deals["is_closed"].astype(bool)
    deals["is_won"] = deals["is_won"].astype(bool)
    return deals[_in_scope(deals, filters)]


def _in_scope(frame: pd.DataFrame, filters: Filters) -> pd.Series:
    """The global filters: a row whose region, segment, owner and product are each chosen (an
    empty choice keeps everything; a row without the attribute is out when something is chosen,
    unless '(none)' is)."""
    keep = pd.Series(True, index=frame.index)
    for dim in FILTER_DIMENSIONS:
        chosen = getattr(filters, dim)
        if chosen:
            keep &= frame[dim].isin(chosen) | (frame[dim].isna() & ("(none)" in chosen))
    return keep


def _member(frame: pd.DataFrame, dim: str | None) -> pd.Series:
    """Each row's member of `dim`: 'All' for 'total', '(none)' when the row has no value."""
    if dim in (None, "total"):
        return pd.Series("All", index=frame.index, dtype=object)
    return frame[dim].astype(object).where(frame[dim].notna(), "(none)")


# ---- periods: month or (fiscal) quarter numbers, labelled '2026-11' or '2026-Q4' ----

def _period_number(days: pd.Series | dt.date, grain: str):
    """Months since year 0 for a month; fiscal quarters since year 0 for a quarter."""
    if isinstance(days, (dt.date, pd.Timestamp)):
        months = days.year * 12 + days.month - 1
    else:
        months = days.dt.year.astype("int64") * 12 + days.dt.month.astype("int64") - 1
    return months if grain == "month" else (months - (fiscal_year_start() - 1)) // 3


def _period_label(number: int, grain: str) -> str:
    if grain == "month":
        return f"{number // 12}-{number % 12 + 1:02d}"
    return f"{number // 4}-Q{number % 4 + 1}"


def _period_labels(numbers: pd.Series, grain: str) -> pd.Series:
    return numbers.map(lambda n: _period_label(int(n), grain))


def _cut(frame: pd.DataFrame, params: dict, date: str = "close_date") -> tuple[pd.DataFrame, list[str]]:
    """The rows with their member (and period, by `date`, when the grain is not 'all': undated
    rows belong to no period), and the columns they group by."""
    frame = frame.assign(member=_member(frame, params["dim"]))
    if params["grain"] == "all":
        return frame, ["member"]
    frame = frame[frame[date].notna()]
    return frame.assign(period=_period_labels(_period_number(frame[date], params["grain"]),
                                              params["grain"])), ["member", "period"]


# ---- win-loss: the deals closed in the range ----

def _closed(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Closed deals in scope: close date in the range (all time: no range, undated deals too),
    'No decision' losses left out when the switch excludes them."""
    facts = _deal_facts(db)
    closed = facts[facts["is_closed"] & _in_scope(facts, filters)]
    if not filters.all_time:
        closed = closed[closed["close_date"].between(pd.Timestamp(filters.date_from),
                                                     pd.Timestamp(filters.date_to))]
    if params.get("exclude_no_decision"):
        closed = closed[~closed["no_decision"]]
    return closed


def _won_lost(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Per member (and period): won, lost, closed, won and lost amounts. The total keeps its
    cells with nothing closed: 'All' over the range, or every period of a dated range."""
    closed, keys = _cut(_closed(filters, params, db), params)
    closed = closed.assign(won=closed["is_won"].astype(int), lost=(~closed["is_won"]).astype(int),
                           won_amount=closed["amount"].where(closed["is_won"], 0).fillna(0),
                           lost_amount=closed["amount"].where(~closed["is_won"], 0).fillna(0))
    table = closed.groupby(keys)[["won", "lost", "won_amount", "lost_amount"]].sum()
    if params["dim"] == "total":
        if params["grain"] == "all":
            cells = pd.Index(["All"], name="member")
        elif filters.all_time:
            cells = table.index
        else:
            first, last = (_period_number(d, params["grain"]) for d in (filters.date_from, filters.date_to))
            cells = pd.MultiIndex.from_product(
                [["All"], [_period_label(n, params["grain"]) for n in range(first, last + 1)]],
                names=keys)
        table = table.reindex(table.index.union(cells), fill_value=0)
    table["closed"] = table["won"] + table["lost"]
    return table.reset_index()


def win_rate(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Win rate = won ÷ (won + lost) over the deals closed in the period (METRICS.md, Outcomes);
    with 'exclude no decision', those losses leave both sides."""
    table = _won_lost(filters, params, db)
    table["win_rate"] = table["won"] / table["closed"].where(table["closed"] > 0)
    return table.drop(columns=["won_amount", "lost_amount"])


def win_rate_by_value(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Win rate by value = won amount ÷ (won + lost amount); undefined where the losses all have
    an amount of 0 (METRICS.md, Data conventions)."""
    table = _won_lost(filters, params, db)
    total = table["won_amount"] + table["lost_amount"]
    undefined = (total == 0) | ((table["lost"] > 0) & (table["lost_amount"] == 0))
    table["win_rate_by_value"] = (table["won_amount"] / total).where(~undefined)
    return table.drop(columns=["won", "lost"])


def average_won_deal(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Average won deal = mean amount of the deals won in the period (those with an amount);
    `won` counts every deal won."""
    closed = _closed(filters, {}, db)
    won, keys = _cut(closed[closed["is_won"]], params)
    return won.groupby(keys).agg(won=("id", "size"), average_won_deal=("amount", "mean")).reset_index()


def loss_reasons(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Losses per reason ('(no reason given)' without one), their share of all losses, and the
    cumulative share down the ranking (most losses first, then by name)."""
    closed = _closed(filters, params, db)
    lost = closed.loc[~closed["is_won"], "loss_reason"].fillna("(no reason given)")
    table = lost.value_counts().rename_axis("reason").reset_index(name="losses")
    table = table.sort_values(["losses", "reason"], ascending=[False, True])
    table["share"] = table["losses"] / table["losses"].sum()
    table["cumulative_share"] = table["losses"].cumsum() / table["losses"].sum()
    return table


def competitor_presence_in_losses(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Competitor presence in losses = losses naming the competitor ÷ all losses, per period:
    every competitor named in the range, in every period that had losses (0 when absent)."""
    closed = _closed(filters, params, db)
    lost, _ = _cut(closed[~closed["is_won"]], {**params, "dim": "total"})
    losses = lost.groupby("period").size().rename("losses")
    named = lost["competitor"].dropna().unique()
    grid = pd.MultiIndex.from_product([losses.index, named], names=["period", "competitor"])
    naming = lost.groupby(["period", "competitor"]).size().reindex(grid, fill_value=0)
    table = naming.rename("losses_naming").reset_index().join(losses, on="period")
    table["presence"] = table["losses_naming"] / table["losses"]
    return table


def head_to_head(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Head-to-head win rate = win rate over the deals naming that competitor; beside it, the
    losses naming it ÷ all losses of the range."""
    closed = _closed(filters, params, db)
    losses = int((~closed["is_won"]).sum())
    named = closed[closed["competitor"].notna()]
    table = named.groupby("competitor").agg(won=("is_won", "sum"), closed=("is_won", "size")).reset_index()
    table["win_rate"] = table["won"] / table["closed"]
    table["presence_in_losses"] = (table["closed"] - table["won"]) / (losses or NAN)
    return table


def sales_cycle(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Sales cycle = median days from created date to close date, of the deals won (and, beside
    them, lost) in the period; `deals` counts those with both dates."""
    closed, keys = _cut(_closed(filters, params, db), params)
    closed = closed.assign(outcome=np.where(closed["is_won"], "won", "lost"))
    return closed.groupby(keys + ["outcome"]).agg(
        deals=("cycle_days", "count"), median_days=("cycle_days", "median")).reset_index()


# ---- forecast versus actual: targets and calls from the uploads, bookings from the deals ----

def _plan(db) -> pd.DataFrame:
    frame = _dates(_read(db, "SELECT * FROM targets_forecasts"), "period", "submitted_at")
    for column in ("target", "forecast_commit", "forecast_best_case"):
        frame[column] = frame[column].astype(float)
    return frame


PLAN_KEY = ["period", "period_grain", "region", "segment", "owner", "product"]


def _targets(plan: pd.DataFrame) -> pd.DataFrame:
    """The quota of each uploaded key (period, grain, region, segment, owner, product): the
    latest import's."""
    with_target = plan[plan["target"].notna()].sort_values("import_id")
    return with_target.groupby(PLAN_KEY, dropna=False).tail(1)


def _calls(plan: pd.DataFrame, grain: str, as_of_week: int | None) -> pd.DataFrame:
    """The forecast call standing for each uploaded key: the latest (by submission, then import)
    made before its period ended, and with 'as of week N' before the end of week N of the report
    period (METRICS.md, Forecast versus actual)."""
    calls = plan[plan["forecast_commit"].notna() | plan["forecast_best_case"].notna()]
    at = calls["submitted_at"].fillna(calls["period"])
    months = calls["period"].dt.year * 12 + calls["period"].dt.month - 1
    keep = at < _month_starts(months + np.where(calls["period_grain"] == "quarter", 3, 1))
    if as_of_week is not None:
        report = _period_number(calls["period"], grain)
        first_month = report if grain == "month" else report * 3 + fiscal_year_start() - 1
        keep &= at < _month_starts(first_month) + pd.Timedelta(days=7 * as_of_week)
    calls = calls[keep].assign(at=at[keep]).sort_values(["at", "import_id"])
    return calls.groupby(PLAN_KEY, dropna=False).tail(1)


def _month_starts(months: pd.Series) -> pd.Series:
    """The first day of each month, given as months since year 0."""
    return pd.to_datetime(pd.DataFrame({"year": months // 12, "month": months % 12 + 1, "day": 1}))


def _plan_versus_actual(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Per period of the range (whole periods) and member: target, forecast (commit), best case,
    actual = amount of the deals won with a close date in the period, and deals won. A row for
    every period and member with any of them."""
    grain, dim = params["grain"], params["dim"]
    first, last = (_period_number(d, grain) for d in (filters.date_from, filters.date_to))

    def cut(frame, date):
        frame = frame[frame[date].notna() & _in_scope(frame, filters)]
        number = _period_number(frame[date], grain)
        frame = frame[number.between(first, last)]
        return frame.assign(period=_period_labels(number[frame.index], grain), member=_member(frame, dim))

    plan = _plan(db)
    plan = plan[(plan["period_grain"] == "month") | (grain == "quarter")]
    targets = cut(_targets(plan), "period").groupby(["period", "member"])["target"].sum()
    calls = cut(_calls(plan, grain, params.get("as_of_week")), "period").groupby(["period", "member"])
    forecast = calls["forecast_commit"].sum(min_count=1).rename("forecast")
    best_case = calls["forecast_best_case"].sum(min_count=1).rename("best_case")
    facts = _deal_facts(db)
    won = cut(facts[facts["is_won"]], "close_date").groupby(["period", "member"])
    actual = won["amount"].sum().rename("actual")
    deals_won = won.size().rename("deals_won")
    table = pd.concat([targets, forecast, best_case, actual, deals_won], axis=1)
    table = table.fillna({"actual": 0.0, "deals_won": 0})
    return table.rename_axis(["period", "member"]).reset_index()


def bookings(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Bookings (actual) = sum of amount of the deals won with a close date in the period."""
    return _plan_versus_actual(filters, params, db)[["period", "member", "actual", "deals_won"]]


def attainment(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Attainment = actual ÷ target."""
    table = _plan_versus_actual(filters, params, db)
    table["attainment"] = table["actual"] / table["target"].where(table["target"] != 0)
    return table[["period", "member", "target", "actual", "attainment", "deals_won"]]


def forecast_variance(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Variance = actual − forecast; variance % = (actual − forecast) ÷ forecast."""
    table = _plan_versus_actual(filters, params, db)
    table["variance"] = table["actual"] - table["forecast"]
    table["variance_pct"] = table["variance"] / table["forecast"].where(table["forecast"] != 0)
    return table


def forecast_bias(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Bias of one period = (forecast − actual) ÷ actual: positive over-calls, negative sandbags."""
    table = _plan_versus_actual(filters, params, db)
    table["bias"] = (table["forecast"] - table["actual"]) / table["actual"].where(table["actual"] != 0)
    return table[["period", "member", "forecast", "actual", "bias", "deals_won"]]


def forecast_accuracy(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Over the finished periods with a forecast, per member: bias = Σ(f − a) ÷ Σa; MAPE = mean of
    |f − a| ÷ a (periods with a = 0 left out); WAPE = Σ|f − a| ÷ Σa."""
    table = _plan_versus_actual(filters, params, db)
    table = table[table["forecast"].notna()]
    finished_by = data_date(db)   # only periods whose last day is on or before the data date
    if finished_by is not None:
        table = table[table["period"].map(lambda label: periods.bounds(label)[1] <= finished_by).astype(bool)]
    error = table["forecast"] - table["actual"]
    table = table.assign(error=error, abs_error=error.abs(),
                         ape=(error.abs() / table["actual"]).where(table["actual"] != 0))
    per = table.groupby("member").agg(periods=("period", "size"), actual=("actual", "sum"),
                                      error=("error", "sum"), abs_error=("abs_error", "sum"),
                                      mape=("ape", "mean"))
    actual = per["actual"].where(per["actual"] != 0)
    per["bias"], per["wape"] = per["error"] / actual, per["abs_error"] / actual
    return per[["periods", "bias", "mape", "wape"]].reset_index()


def _first_day(number: int, grain: str) -> pd.Timestamp:
    """The first day of the period numbered as _period_number numbers it."""
    month = number if grain == "month" else number * 3 + fiscal_year_start() - 1
    return pd.Timestamp(dt.date(month // 12, month % 12 + 1, 1))


def pacing(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Pacing of the period holding the as-of day (default the data date), or of the one asked:
    d = days from its first day to the as-of day, both counted (at most its length); actual to
    date = amount won with a close date from its first day to that day; linear pace = target ×
    d ÷ its days; historical share = mean, over the 4 periods before with bookings, of the
    amount each won before its own first day + d days ÷ all it won; historical pace = target ×
    that share; against a pace = actual to date ÷ the pace. A row per member with a target or
    bookings so far."""
    grain, dim = params["grain"], params["dim"]
    day = pd.Timestamp(params.get("as_of") or data_date(db))
    if params.get("pace_period"):
        start, grain = periods.parse(params["pace_period"])
        number = _period_number(pd.Timestamp(start), grain)
    else:
        number = _period_number(day, grain)
    start, after = _first_day(number, grain), _first_day(number + 1, grain)
    day = min(day, after - pd.Timedelta(days=1))
    elapsed, days = (day - start).days + 1, (after - start).days

    facts = _deal_facts(db)
    won = facts[facts["is_won"] & facts["close_date"].notna() & _in_scope(facts, filters)]
    won = won.assign(member=_member(won, dim))
    now = won[won["close_date"].between(start, day)].groupby("member")
    shares = []
    for back in range(1, 5):
        first, end = _first_day(number - back, grain), _first_day(number - back + 1, grain)
        then = won[(won["close_date"] >= first) & (won["close_date"] < end)]
        early = then["close_date"] < first + pd.Timedelta(days=elapsed)
        booked = then.groupby("member")["amount"].sum()
        by_day = then[early].groupby("member")["amount"].sum().reindex(booked.index, fill_value=0.0)
        shares.append((by_day / booked)[booked > 0])
    history = pd.concat(shares) if shares else pd.Series(dtype=float)
    plan = _plan(db)
    targets = _targets(plan[(plan["period_grain"] == "month") | (grain == "quarter")])
    targets = targets[_in_scope(targets, filters) & (targets["period"] >= start) & (targets["period"] < after)]
    table = pd.DataFrame({
        "target": targets.groupby(_member(targets, dim))["target"].sum(),
        "actual_to_date": now["amount"].sum(), "deals_won": now.size()})
    table = table.fillna({"actual_to_date": 0.0, "deals_won": 0})
    table["historical_share"] = history.groupby(level=0).mean().reindex(table.index)
    table["periods_averaged"] = history.groupby(level=0).size().reindex(table.index).fillna(0)
    table["elapsed_days"], table["period_days"] = elapsed, days
    table["linear_pace"] = table["target"] * elapsed / days
    table["historical_pace"] = table["target"] * table["historical_share"]
    for pace in ("linear", "historical"):
        table[f"to_{pace}_pace"] = table["actual_to_date"] / table[f"{pace}_pace"].where(table[f"{pace}_pace"] != 0)
    table["period"] = _period_label(number, grain)
    return table.rename_axis("member").reset_index()


def bookings_bridge(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Bookings bridge P0 → P1 over dimension s (METRICS.md): with N deals won, A = B ÷ N and per
    member n, a = b ÷ n, share = n ÷ N: deal-count effect = (N₁ − N₀) × A₀; mix effect =
    N₁ × Σ (share₁ − share₀) × a₀; deal-size effect = Σ n₁ × (a₁ − a₀); a member absent in P0
    takes a₀ = a₁. (A deal won without an amount counts with 0, so the bars add up exactly.)"""
    p0, p1 = params.get("p0"), params.get("p1")
    if not (p0 and p1):
        raise ValueError("The bookings bridge needs two periods, e.g. 2026-Q2 and 2026-Q3.")
    (start0, grain), (start1, _) = periods.parse(p0), periods.parse(p1)
    facts = _deal_facts(db)
    won = facts[facts["is_won"] & facts["close_date"].notna() & _in_scope(facts, filters)]
    number = _period_number(won["close_date"], grain)
    sides = {}
    for side, start in ((0, start0), (1, start1)):
        deals = won[number == _period_number(start, grain)]
        sides[side] = deals.assign(amount=deals["amount"].fillna(0)).groupby(
            _member(deals, params["dim"]))["amount"].agg(["size", "sum"])
    per = pd.concat(sides, axis=1).fillna(0)
    n0, b0, n1, b1 = per[0]["size"], per[0]["sum"], per[1]["size"], per[1]["sum"]
    a1 = b1 / n1.where(n1 > 0)
    a0 = (b0 / n0.where(n0 > 0)).fillna(a1)
    N0, N1, B0, B1 = n0.sum(), n1.sum(), b0.sum(), b1.sum()
    if N0 == 0:   # no average in P0: the whole change is the deal count's
        count, mix, size = B1, 0.0, 0.0
    else:
        count = (N1 - N0) * B0 / N0
        share1 = n1 / N1 if N1 else n1 * 0
        mix = N1 * ((share1 - n0 / N0) * a0).sum()
        size = (n1 * (a1.fillna(0) - a0)).sum()
    return pd.DataFrame({"step": [f"{p0} bookings", "Deal count", "Mix", "Deal size", f"{p1} bookings"],
                         "amount": [B0, count, mix, size, B1],
                         "deals": [N0, N1 - N0, NAN, NAN, N1]})


# ---- pipeline: the deals open at a snapshot ----

def pipeline_by_stage(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Open pipeline at a snapshot by stage: open deals (not closed), their amount in the
    reporting currency, and that amount weighted by probability."""
    deals = _snapshot(pick_snapshot(params.get("snapshot"), db), filters, db)
    open_ = deals[~deals["is_closed"]]
    open_ = open_.assign(weighted=open_["value"] * open_["probability"])
    return open_.groupby("stage", dropna=False).agg(
        deals=("id", "size"), amount=("value", "sum"), weighted=("weighted", "sum")).reset_index()


def _stage_entries(db) -> pd.DataFrame:
    """Each time a deal entered a stage (from the stage history when there is one, else from
    successive snapshots) and the highest stage order it reached afterwards, Closed Lost aside."""
    history = _read(db, "SELECT opportunity_id AS id, stage, stage_order, changed_at AS seen_at, "
                        "import_id, file_row FROM stage_history")
    if history.empty:
        history = _read(db, "SELECT o.id, o.stage, o.stage_order, CAST(o.snapshot_date AS TIMESTAMP) "
                            "AS seen_at FROM opportunities o JOIN snapshot_dates s ON s.import_id = o.import_id")
        history = history.assign(import_id=0, file_row=0)
    history = history.sort_values(["id", "seen_at", "stage_order", "import_id", "file_row"],
                                  na_position="last").reset_index(drop=True)
    # the highest stage order among the rows after each row of the same deal (read backwards)
    later = history["stage_order"].where(history["stage"].notna() & (history["stage"] != "Closed Lost"))
    backwards = history["id"][::-1]
    running = later[::-1].groupby(backwards).cummax().groupby(backwards).ffill()
    history["best_later"] = running.groupby(backwards).shift(1)
    entered = history["stage"] != history.groupby("id")["stage"].shift(1)
    return _dates(history[entered], "seen_at")


def stage_conversion(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Stage conversion = deals that reached a later stage ÷ deals that entered the stage (in
    the range), each deal counted once per stage."""
    entries = _stage_entries(db)
    facts = _deal_facts(db)[["id", *FILTER_DIMENSIONS]]
    entries = entries.merge(facts, on="id", how="left")
    entries = entries[_in_scope(entries, filters) & ~entries["stage"].isin(["Closed Won", "Closed Lost"])]
    if not filters.all_time:
        entries = entries[(entries["seen_at"] >= pd.Timestamp(filters.date_from))
                          & (entries["seen_at"] < pd.Timestamp(filters.date_to) + pd.Timedelta(days=1))]
    entries = entries.assign(moved_on=entries["best_later"] > entries["stage_order"])
    per_deal = entries.groupby(["stage", "id"])["moved_on"].any().reset_index()
    table = per_deal.groupby("stage").agg(entered=("id", "size"), moved_on=("moved_on", "sum")).reset_index()
    table["conversion"] = table["moved_on"] / table["entered"]
    return table


def _closed_in_window(anchor: dt.date, filters: Filters, params: dict, db) -> pd.DataFrame:
    """The deals in scope closed in the trailing window of `window_quarters` ending on `anchor`
    ('No decision' losses left out when the switch excludes them)."""
    facts = _deal_facts(db)
    first = window_first_day(anchor, params.get("window_quarters") or 2)
    closed = facts[facts["is_closed"] & _in_scope(facts, filters)
                   & facts["close_date"].between(pd.Timestamp(first), pd.Timestamp(anchor))]
    return closed[~closed["no_decision"]] if params.get("exclude_no_decision") else closed


def _velocity_at(snapshot: dt.date, filters: Filters, params: dict, db) -> pd.DataFrame:
    """Velocity per member at a snapshot = open qualified deals × win rate × average won deal ÷
    sales cycle days; open qualified = open at the snapshot past the first stage; the other three
    over the deals closed in the trailing window ending on the snapshot."""
    dim = params["dim"]
    deals = _snapshot(snapshot, filters, db)
    open_ = deals[~deals["is_closed"]]
    qualified = (open_["stage_order"] > 1).groupby(_member(open_, dim)).sum().rename("open_qualified")
    closed = _closed_in_window(snapshot, filters, params, db)
    won = closed[closed["is_won"]]
    table = pd.concat([qualified,
                       closed.groupby(_member(closed, dim)).size().rename("closed"),
                       won.groupby(_member(won, dim)).size().rename("won"),
                       won.groupby(_member(won, dim))["amount"].mean().rename("avg_won_deal"),
                       won.groupby(_member(won, dim))["cycle_days"].median().rename("cycle_days")], axis=1)
    table["open_qualified"] = table["open_qualified"].fillna(0)
    table.loc[table["closed"].notna(), "won"] = table["won"].fillna(0)
    table["win_rate"] = table["won"] / table["closed"]
    table["velocity"] = (table["open_qualified"] * table["win_rate"] * table["avg_won_deal"]
                         / table["cycle_days"].where(table["cycle_days"] != 0))
    return table.rename_axis("member").reset_index()


def velocity(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Pipeline velocity ($/day) per member at a snapshot (default: the latest)."""
    table = _velocity_at(pick_snapshot(params.get("snapshot"), db), filters, params, db)
    return table.drop(columns=["won"])


def velocity_change(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Velocity change = velocity at the later snapshot ÷ velocity at the earlier one − 1 (default:
    the latest against the one about a quarter before); undefined unless both are above 0."""
    s1 = pick_snapshot(params.get("s1"), db)
    if params.get("s0"):
        s0 = pick_snapshot(params["s0"], db)
    else:
        before = [d for d in snapshots(db) if d <= quarter_before(s1)]
        s0 = before[-1] if before else snapshots(db)[0]
    v0 = _velocity_at(s0, filters, params, db).set_index("member")
    v1 = _velocity_at(s1, filters, params, db).set_index("member")
    table = pd.concat([v0["velocity"].rename("velocity_0"), v1["velocity"].rename("velocity_1"),
                       v1["closed"]], axis=1)
    both = (table["velocity_0"] > 0) & (table["velocity_1"] > 0)
    table["change_pct"] = (table["velocity_1"] / table["velocity_0"] - 1).where(both)
    return table.rename_axis("member").reset_index()


def coverage(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Coverage per period (the one holding the snapshot and the next ones) = open pipeline with a
    close date in the period ÷ (target − actual to date), where that remainder is above 0;
    coverage needed = 1 ÷ win rate over the trailing window."""
    grain = params["grain"]
    snapshot = pick_snapshot(params.get("snapshot"), db)
    first = _period_number(snapshot, grain)
    numbers = pd.Index(range(first, first + params["periods"]), name="number")
    deals = _snapshot(snapshot, filters, db)
    open_ = deals[~deals["is_closed"] & deals["close_date"].notna()]
    by_period = open_.groupby(_period_number(open_["close_date"], grain).rename("number"))
    facts = _deal_facts(db)
    facts = facts[_in_scope(facts, filters)]
    won = facts[facts["is_won"] & (facts["close_date"] <= pd.Timestamp(snapshot))]
    plan = _plan(db)
    targets = _targets(plan[(plan["period_grain"] == "month") | (grain == "quarter")])
    targets = targets[_in_scope(targets, filters)]
    table = pd.DataFrame({
        "open_deals": by_period.size(), "pipeline": by_period["value"].sum(),
        "actual_to_date": won.groupby(_period_number(won["close_date"], grain).rename("number"))["amount"].sum(),
        "target": targets.groupby(_period_number(targets["period"], grain).rename("number"))["target"].sum(),
    }).reindex(numbers).fillna({"open_deals": 0, "pipeline": 0.0, "actual_to_date": 0.0})
    table["remaining"] = table["target"] - table["actual_to_date"]
    table["coverage"] = (table["pipeline"] / table["remaining"]).where(table["remaining"] > 0)
    window = _closed_in_window(snapshot, filters, params, db)
    rate = window["is_won"].mean() if len(window) else NAN
    table["coverage_needed"] = 1 / rate if rate else NAN
    table["period"] = [_period_label(n, grain) for n in table.index]
    return table.reset_index(drop=True)


def pipeline_movement(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Pipeline movement of period P between snapshots S₀ and S₁ (METRICS.md): P's pipeline at a
    snapshot is its open deals closing in P. In it at S₀: won, lost (closed, or gone from the
    export), pushed out (open, closing outside P), or it stays and grew / shrank (by the change)
    / is unchanged. In it at S₁ only: new (absent from S₀) or pulled in. Deals absent from S₀ and
    closed by S₁ with a close date in P are created_and_closed, apart. A deal's scope is read at
    S₁ (at S₀ where S₁ lacks it)."""
    if not params.get("period"):
        raise ValueError("Pipeline movement needs a target period, e.g. 2026-Q4 (or 2026-11).")
    start, end, _ = periods.bounds(params["period"])
    s1 = pick_snapshot(params.get("s1"), db)
    s0 = pick_snapshot(params["s0"], db) if params.get("s0") else pick_snapshot(None, db, before=s1)
    every = Filters(filters.date_from, filters.date_to)
    a, b = _snapshot(s0, every, db).set_index("id"), _snapshot(s1, every, db).set_index("id")
    j = a.merge(b, how="outer", left_index=True, right_index=True, suffixes=("_0", "_1"))
    for dim in FILTER_DIMENSIONS:
        j[dim] = j[f"{dim}_1"].fillna(j[f"{dim}_0"])
    j = j[_in_scope(j, filters)]
    in_s0, in_s1 = j.index.isin(a.index), j.index.isin(b.index)
    in_period = lambda s: (~j[f"is_closed_{s}"].fillna(True).astype(bool)  # noqa: E731
                           & j[f"close_date_{s}"].between(pd.Timestamp(start), pd.Timestamp(end)))
    in_p0, in_p1 = in_period(0) & in_s0, in_period(1) & in_s1
    closed_1 = j["is_closed_1"].fillna(False).astype(bool)
    won_1 = j["is_won_1"].fillna(False).astype(bool)
    amount_0, amount_1 = j["value_0"].fillna(0), j["value_1"].fillna(0)
    stays = in_p0 & in_p1
    leaves_won = in_p0 & ~in_p1 & won_1
    leaves_lost = in_p0 & ~in_p1 & ~won_1 & (closed_1 | ~in_s1)
    moves = {
        "start": (in_p0, amount_0), "won": (leaves_won, amount_0), "lost": (leaves_lost, amount_0),
        "pushed_out": (in_p0 & ~in_p1 & ~leaves_won & ~leaves_lost, amount_0),
        "grew": (stays & (amount_1 > amount_0), amount_1 - amount_0),
        "shrank": (stays & (amount_1 < amount_0), amount_0 - amount_1),
        "new": (in_p1 & ~in_p0 & ~in_s0, amount_1), "pulled_in": (in_p1 & ~in_p0 & in_s0, amount_1),
        "end": (in_p1, amount_1),
        "created_and_closed": (~in_s0 & closed_1 & j["close_date_1"].between(
            pd.Timestamp(start), pd.Timestamp(end)), amount_1),
    }
    return pd.DataFrame([{"category": name, "deals": int(rows.sum()), "amount": float(amount[rows].sum())}
                         for name, (rows, amount) in moves.items()])


def push_count(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Per member, the most times one open deal at the snapshot had its close date moved to a
    later month between successive snapshots (up to that snapshot), and the open deals counted."""
    at = pick_snapshot(params.get("snapshot"), db)
    seen = _dates(_read(db, "SELECT o.id, o.snapshot_date, o.close_date FROM opportunities o "
                            "JOIN snapshot_dates s ON s.import_id = o.import_id"), "close_date")
    seen = seen.sort_values(["id", "snapshot_date"])
    month = seen["close_date"].dt.year * 12 + seen["close_date"].dt.month
    seen["pushed"] = month > month.groupby(seen["id"]).shift(1)
    pushes = seen.groupby("id")["pushed"].sum()
    deals = _snapshot(at, filters, db)
    open_ = deals[~deals["is_closed"]]
    open_ = open_.assign(member=_member(open_, params["dim"]),
                         pushes=open_["id"].map(pushes).fillna(0).astype(int))
    return open_.groupby("member").agg(open_deals=("id", "size"), pushes=("pushes", "max")).reset_index()


# ---- the landing (METRICS.md, Projection): what the open deals were then, and what became of them ----

LANDING_HISTORY = 4          # the periods before whose deals teach the chances
SNAPSHOT_REACH_DAYS = 7      # a snapshot stands for the days up to a week after it
LANDING_LEVELS = ("timing", "stage", "age_band", "segment", "region")   # each refines the one before
NO_VALUE = "\x00none"        # a deal without a segment (region...) is a group of its own


def _open_at(day: dt.date, p_end: dt.date, held: list[dt.date], facts: pd.DataFrame, entries: pd.DataFrame,
             history: bool, db) -> pd.DataFrame:
    """The deals open on `day`, as the latest snapshot of the week before it shows them (stage,
    amount, expected close; those the latest data shows closed by the day are not open); without one, the deals created by then and not closed before it, from
    the latest data (stage from the stage history, no expected close). Each with its timing (against
    `p_end`, the period's last day) and the band of its days in stage."""
    day_ts = pd.Timestamp(day)
    recent = [s for s in held if day - dt.timedelta(days=SNAPSHOT_REACH_DAYS) < s <= day]
    if recent:
        deals = _dates(_read(db, "SELECT * FROM snapshot_at($s)", {"s": recent[-1]}), "close_date")
        deals = deals[~deals["is_closed"].fillna(False).astype(bool)]
        # a deal the latest data shows closed by the day closed after the snapshot: not open then
        final = facts.set_index("id")
        closed_by = (final["is_closed"] & (final["close_date"] <= day_ts)).reindex(deals["id"]).fillna(False)
        deals = deals[~closed_by.astype(bool).to_numpy()]
        deals = deals.assign(amount=deals["value"].astype(float), expected_close=deals["close_date"],
                             source="snapshot")
    else:
        alive = (facts["created_date"] <= day_ts) & (~facts["is_closed"] | (facts["close_date"] > day_ts))
        deals = facts[alive].assign(expected_close=pd.NaT, source="closed history")
        if history:
            known = entries[entries["seen_at"] <= day_ts]
            stage = known.groupby("id").tail(1).set_index("id")["stage"]
            deals = deals.assign(stage=deals["id"].map(stage))
        else:
            deals = deals.assign(stage=None)
    deals = deals[["id", *FILTER_DIMENSIONS, "stage", "amount", "probability", "expected_close", "source"]].copy()
    # days in the stage held: since its latest entry on or before the day (stage history, else snapshots)
    entered = entries[entries["seen_at"] <= day_ts].groupby(["id", "stage"])["seen_at"].max()
    since = pd.Series([entered.get((i, s)) if isinstance(s, str) else None
                       for i, s in zip(deals["id"], deals["stage"])], index=deals.index, dtype="datetime64[us]")
    age = (day_ts - since.dt.normalize()).dt.days
    deals["age_band"] = np.select([age.isna(), age <= 30, age <= 90], ["unknown", "0-30 days", "31-90 days"],
                                  "over 90 days")
    close = deals["expected_close"]
    deals["timing"] = np.select([close.isna(), close < day_ts, close <= pd.Timestamp(p_end)],
                                ["unknown", "overdue", "in period"], "later")
    deals["stage"] = deals["stage"].where(deals["stage"].notna(), "Unknown stage")
    return deals


def _landing_point(label: str, day_number: int, held, facts, entries, history, db) -> dict:
    """The deals open on day `day_number` of period `label` (at most its last day), the deals
    created after that day and won inside the period, and the period's days."""
    first, last, _ = periods.bounds(label)
    day = min(first + dt.timedelta(days=day_number - 1), last)
    deals = _open_at(day, last, held, facts, entries, history, db)
    final = facts.set_index("id")
    in_period = final["close_date"].between(pd.Timestamp(first), pd.Timestamp(last))
    won = (final["is_won"] & in_period).reindex(deals["id"]).fillna(False).astype(bool).to_numpy()
    deals = deals.assign(won_in_period=won, final_amount=final["amount"].reindex(deals["id"]).to_numpy())
    new = facts[facts["is_won"] & (facts["created_date"] > pd.Timestamp(day)) & facts["amount"].notna()
                & facts["close_date"].between(pd.Timestamp(first), pd.Timestamp(last))]
    # the data reaches the day when a snapshot or a deal's creation is on or before it: a period
    # it reaches with no deal created after the day counts as one without new deals
    reached = bool(len(deals) or len(new) or (held and held[0] <= day)
                   or (facts["created_date"] <= pd.Timestamp(day)).any())
    return {"deals": deals, "new": new, "first": first, "last": last, "day": day, "reached": reached}


def _chance_rates(train: pd.DataFrame, k: float) -> dict[tuple, float]:
    """Share won in period per group of every level (timing; timing and stage; ... region), each
    shrunk towards its parent group's: (wins + k × parent) ÷ (n + k); () is the pooled share."""
    counts: dict[tuple, list[float]] = {}
    keys = train[list(LANDING_LEVELS)].astype(object).where(train[list(LANDING_LEVELS)].notna(), NO_VALUE)
    for row, won in zip(keys.itertuples(index=False, name=None), train["won_in_period"].astype(bool)):
        for depth in range(1, len(row) + 1):
            seen = counts.setdefault(row[:depth], [0, 0])
            seen[0] += 1
            seen[1] += int(won)
    rates = {(): float(train["won_in_period"].astype(bool).sum()) / len(train) if len(train) else 0.0}
    for key in sorted(counts, key=len):
        n, wins = counts[key]
        rates[key] = (wins + k * rates[key[:-1]]) / (n + k)
    return rates


def _landing_expected(filters: Filters, params: dict, db) -> tuple[pd.DataFrame, dict]:
    """The open deals of the period at the as-of day with their chance and amount ratio, and what
    the expected landing adds to them (won to date, new deals), for `filters`' scope."""
    from intel.metrics import min_sample

    k = float(min_sample())
    today = data_date(db)
    label = params.get("period") or periods.label(today, "quarter")
    first, last, _ = periods.bounds(label)
    as_of = min(params.get("as_of") or today, last)
    if as_of < first:
        raise ValueError(f"{label} starts after {as_of}.")
    number = (as_of - first).days + 1
    facts = _deal_facts(db)
    entries = _stage_entries(db)
    history = bool(_read(db, "SELECT count(*) AS n FROM stage_history")["n"].iloc[0])
    held = snapshots(db)
    now = _landing_point(label, number, held, facts, entries, history, db)
    before = [_landing_point(periods.shift(label, -back), number, held, facts, entries, history, db)
              for back in range(1, LANDING_HISTORY + 1)]
    train = pd.concat([p["deals"] for p in before], ignore_index=True)
    rates = _chance_rates(train, k)
    deals = now["deals"]
    deals = deals[deals["amount"].notna() & (deals["amount"] > 0)].copy()
    # a timing, stage or age the periods before never showed reads as unknown where they showed one
    for column, unknown in (("timing", "unknown"), ("stage", "Unknown stage"), ("age_band", "unknown")):
        seen = set(train[column])
        if unknown in seen:
            deals.loc[~deals[column].isin(seen), column] = unknown
    chance = []
    for row in deals[list(LANDING_LEVELS)].astype(object).where(deals[list(LANDING_LEVELS)].notna(), NO_VALUE) \
            .itertuples(index=False, name=None):
        depth = len(row)
        while row[:depth] not in rates:
            depth -= 1
        chance.append(rates[row[:depth]])
    # amounts move by the won ÷ then ratio of the stage (snapshot deals won in their period),
    # shrunk towards 1 with the weight of k deals
    won = train[train["won_in_period"] & (train["source"] == "snapshot") & (train["amount"] > 0)
                & train["final_amount"].notna()]
    ratio = (won["final_amount"] / won["amount"]).clip(0.0, 3.0)
    per_stage = ((ratio.groupby(won["stage"]).sum() + k) / (ratio.groupby(won["stage"]).size() + k))
    deals["chance"] = chance
    deals["amount_ratio"] = deals["stage"].map(per_stage).fillna(1.0).astype(float)
    context = {"now": now, "before": before, "as_of": as_of, "label": label}
    return deals, context


def _landing_scope(deals: pd.DataFrame, context: dict, filters: Filters, facts: pd.DataFrame) -> dict:
    """The expected landing of one scope: won to date + Σ amount × ratio × chance + the amount of
    the deals created after the day and won inside the period, per period before (of those the
    data reaches: the Poisson mean count × their mean amount)."""
    now, first = context["now"], context["now"]["first"]
    mine = deals[_in_scope(deals, filters)]
    won = facts[facts["is_won"] & _in_scope(facts, filters)
                & facts["close_date"].between(pd.Timestamp(first), pd.Timestamp(min(context["as_of"], now["last"])))]
    reached = [p for p in context["before"] if p["reached"]]
    new_amount = sum(float(p["new"].loc[_in_scope(p["new"], filters), "amount"].sum()) for p in reached)
    new = new_amount / len(reached) if reached else 0.0
    expected = (float(won["amount"].sum()) + float((mine["amount"] * mine["amount_ratio"] * mine["chance"]).sum())
                + new)
    return {"expected": expected, "open_deals": len(mine)}


def landing(filters: Filters, params: dict, db) -> pd.DataFrame:
    """The expected landing per member (each member's own scope): won to date + Σ over the open
    deals (with an amount) of amount × amount ratio × chance + new deals; `open_deals` counts
    them. Recomputed from the snapshots, deal facts and stage entries without intel.landing."""
    deals, context = _landing_expected(filters, params, db)
    facts = _deal_facts(db)
    dim = params.get("dim") or "total"
    if dim == "total":
        return pd.DataFrame([{"member": "All", **_landing_scope(deals, context, filters, facts)}])
    # the members: open deals', the deals won so far', and the targets' of the period; a deal
    # without the attribute is '(none)' (a target without it is a target not split that way)
    first, last = pd.Timestamp(context["now"]["first"]), pd.Timestamp(context["now"]["last"])
    won = facts[facts["is_won"] & _in_scope(facts, filters)
                & facts["close_date"].between(first, pd.Timestamp(min(context["as_of"], context["now"]["last"])))]
    plan = _targets(_plan(db))
    quarter = (last - first).days > 31
    plan = plan[plan["period"].between(first, last) & ((plan["period_grain"] == "month") | quarter)
                & _in_scope(plan, filters)]
    members = sorted(set(deals.loc[_in_scope(deals, filters), dim].fillna("(none)")) | set(won[dim].fillna("(none)"))
                     | set(plan[dim].dropna()) | set(getattr(filters, dim)))
    return pd.DataFrame([{"member": m, **_landing_scope(deals, context, filters.with_(**{dim: (m,)}), facts)}
                         for m in members], columns=["member", "expected", "open_deals"])


def _finished(grain: str, count: int, db) -> list[str]:
    """The last `count` periods whose last day is on or before the data date, oldest first."""
    today = data_date(db)
    if today is None:
        return []
    number = _period_number(today, grain)
    if today < (_first_day(number + 1, grain) - pd.Timedelta(days=1)).date():
        number -= 1
    return [_period_label(n, grain) for n in range(number - count + 1, number + 1)]


def landing_backtest(filters: Filters, params: dict, db) -> pd.DataFrame:
    """The track record rescored: the replays are the end of every week of the last 4 finished
    periods but their last day; each replay's P10 and P90 are taken from intel.landing.backtest's
    points (the simulation is not redone here), and scored against the actual read from the deal
    facts; the commit call is the one standing at the end of that week (the forecast check's own
    reading of the calls). Per week 2, 4, 8 and over all weeks: replays, coverage of P10–P90 and
    the commit call's absolute % error. (The P50 and CRPS errors would only compare a simulation
    with itself; the stage-weighted error is tested on a constructed store, tests/intel/test_landing.py.)"""
    from intel import landing as projection

    grain = params.get("grain") if params.get("grain") in ("quarter", "month") else "quarter"
    replayed = projection.backtest(filters, grain, sims=params.get("sims") or projection.BACKTEST_SIMS,
                                   seed=params.get("seed") or projection.SEED, db=db).points
    quantiles = replayed.set_index(["period", "week"]) if len(replayed) else pd.DataFrame()
    facts = _deal_facts(db)
    facts = facts[_in_scope(facts, filters)]
    plan = _plan(db)
    plan = plan[((plan["period_grain"] == "month") | (grain == "quarter")) & _in_scope(plan, filters)]
    rows = []
    for label in _finished(grain, LANDING_HISTORY, db):
        first, last, _ = periods.bounds(label)
        days = (last - first).days + 1
        won = facts[facts["is_won"] & facts["close_date"].between(pd.Timestamp(first), pd.Timestamp(last))]
        actual = float(won["amount"].sum())
        for week in range(1, days):
            if 7 * week >= days:
                break
            calls = _calls(plan, grain, week)
            calls = calls[_period_number(calls["period"], grain) == _period_number(first, grain)]["forecast_commit"]
            commit = float(calls.sum()) if calls.notna().any() else None
            inside = False
            if (label, week) in quantiles.index:
                got = quantiles.loc[(label, week)]
                inside = bool(got["p10"] <= actual <= got["p90"])
            rows.append({"week": week, "inside": inside,
                         "commit_error": abs(commit - actual) / actual if commit is not None and actual else NAN})
    points = pd.DataFrame(rows, columns=["week", "inside", "commit_error"])
    summary = []
    for week in (2, 4, 8, None):
        chosen = points if week is None else points[points["week"] == week]
        if len(chosen):
            summary.append({"week": "all weeks" if week is None else f"week {week}", "points": len(chosen),
                            "held": chosen["inside"].mean(), "commit_error": chosen["commit_error"].mean()})
    return pd.DataFrame(summary, columns=["week", "points", "held", "commit_error"])


# ---- accounts, marketing alignment, discount governance (METRICS.md "Accounts, alignment, discounts") ----

def _most_named(keys: pd.Series, values: pd.Series) -> pd.DataFrame:
    """Per key, the value met most often among the non-missing ones (ties: the first by name) and
    how often: columns value, n, indexed by key."""
    pairs = pd.DataFrame({"key": keys.to_numpy(), "value": values.to_numpy()}).dropna()
    if pairs.empty:
        return pd.DataFrame({"value": pd.Series(dtype=object), "n": pd.Series(dtype="int64")})
    counts = pairs.groupby(["key", "value"]).size().rename("n").reset_index()
    counts = counts.sort_values(["key", "n", "value"], ascending=[True, False, True], kind="stable")
    return counts.drop_duplicates("key").set_index("key")[["value", "n"]]


def _months_before(day: pd.Timestamp, months: int) -> pd.Timestamp:
    """The same day `months` calendar months earlier (the 29th-31st fall back to the month's end)."""
    return day - pd.DateOffset(months=months)


def stance_anchor(facts: pd.DataFrame) -> pd.Timestamp | None:
    """The day an account's windows end: the latest close date of a closed deal on or before the
    latest snapshot, else that snapshot's day (METRICS.md, trailing windows)."""
    snapshot = pd.to_datetime(facts["snapshot_date"]).max()
    if pd.isna(snapshot):
        return None
    dated = facts.loc[facts["is_closed"] & (facts["close_date"] <= snapshot), "close_date"]
    return dated.max() if dated.notna().any() else snapshot


def account_table(facts: pd.DataFrame, lookup: pd.DataFrame, filters: Filters, recent_deals: int) -> pd.DataFrame:
    """Per account in scope (deals with an account; the range does not apply), the facts the stance
    rules read, from the deal facts and the account lookup, as written in intel/accounts.py's
    docstring: two 12-month windows ending on the anchor; bookings; won, lost and win rate; median
    won cycle and mean discount of the deals won; open pipeline; the competitor most named in the
    latest `recent_deals` deals (by created date, undated last) and in the deals before; the
    competitor most named in its losses and our head-to-head against it per window; its segment's
    and the whole scope's win rate; annual value and share of wallet."""
    anchor = stance_anchor(facts)
    d = facts[facts["account"].notna() & _in_scope(facts, filters)].copy()
    columns = ["account", "industry", "segment", "region", "size", "annual_value", "is_customer", "bookings_recent",
               "bookings_prior", "bookings_change", "lifetime_bookings", "won", "lost", "closed", "won_recent",
               "won_prior", "win_rate", "cycle_days", "cycle_recent", "cycle_prior", "discount", "discount_recent",
               "discount_prior", "open_deals", "open_pipeline", "last_created", "last_deals", "competitor_recent",
               "competitor_recent_deals", "earlier_deals", "competitor_earlier_deals", "incumbent",
               "incumbent_losses", "h2h_recent", "h2h_prior", "h2h_recent_closed", "h2h_prior_closed",
               "peer_win_rate", "peer_closed", "company_win_rate", "company_closed", "share_of_wallet", "anchor"]
    if d.empty or anchor is None:
        return pd.DataFrame(columns=columns)
    won, lost, closed = d["is_won"], d["is_closed"] & ~d["is_won"], d["is_closed"]
    recent = closed & (d["close_date"] > _months_before(anchor, 12)) & (d["close_date"] <= anchor)
    prior = closed & (d["close_date"] > _months_before(anchor, 24)) & (d["close_date"] <= _months_before(anchor, 12))
    either = recent | prior
    named = d["competitor"].astype("str").str.strip(" ")
    named = named.where(named.notna() & (named != ""))          # a blank competitor names none
    amount = d["amount"].astype(float)
    cols = {
        "is_customer": won,
        "bookings_recent": amount.where(won & recent), "bookings_prior": amount.where(won & prior),
        "lifetime_bookings": amount.where(won),
        "won": won & either, "won_recent": won & recent, "won_prior": won & prior, "lost": lost & either,
        "cycle_days": d["cycle_days"].where(won & either), "cycle_recent": d["cycle_days"].where(won & recent),
        "cycle_prior": d["cycle_days"].where(won & prior),
        "discount": d["discount_pct"].where(won & either), "discount_recent": d["discount_pct"].where(won & recent),
        "discount_prior": d["discount_pct"].where(won & prior),
        "open_deals": ~closed, "open_pipeline": amount.where(~closed), "last_created": d["created_date"],
    }
    work = pd.DataFrame({k: v.astype(float) if k not in ("last_created",) else v for k, v in cols.items()})
    work["account"] = d["account"].to_numpy()
    g = work.groupby("account")
    table = pd.DataFrame({
        "is_customer": g["is_customer"].max() > 0,
        **{k: g[k].sum(min_count=0) for k in ("bookings_recent", "bookings_prior", "lifetime_bookings",
                                               "open_pipeline")},
        **{k: g[k].sum().astype("int64") for k in ("won", "won_recent", "won_prior", "lost", "open_deals")},
        **{k: g[k].median() for k in ("cycle_days", "cycle_recent", "cycle_prior")},
        **{k: g[k].mean() for k in ("discount", "discount_recent", "discount_prior")},
        "last_created": g["last_created"].max(),
    })
    table["closed"] = table["won"] + table["lost"]
    table["win_rate"] = table["won"] / table["closed"].where(table["closed"] > 0)
    table["bookings_change"] = ((table["bookings_recent"] - table["bookings_prior"])
                                / table["bookings_prior"].where(table["bookings_prior"] != 0))
    for column in ("segment", "region", "industry"):
        table[column] = _most_named(d["account"], d[column])["value"].reindex(table.index)
    table["size"] = _most_named(d["account"], d["account_size"])["value"].reindex(table.index)
    # the latest deals by created date (undated last), then by id, latest first
    order = d.assign(named=named.to_numpy()).sort_values(["account", "created_date", "id"],
                                                          ascending=[True, False, False], na_position="last")
    latest = order.groupby("account").cumcount() < recent_deals
    table["last_deals"] = latest.groupby(order["account"]).sum().reindex(table.index).fillna(0).astype("int64")
    table["earlier_deals"] = (~latest).groupby(order["account"]).sum().reindex(table.index).fillna(0).astype("int64")
    top = _most_named(order.loc[latest, "account"], order.loc[latest, "named"])
    table["competitor_recent"] = top["value"].reindex(table.index)
    table["competitor_recent_deals"] = top["n"].reindex(table.index).fillna(0).astype("int64")
    before = order[~latest]
    same = before["named"].notna() & (before["named"].to_numpy() == table["competitor_recent"].reindex(
        before["account"]).to_numpy())
    table["competitor_earlier_deals"] = same.groupby(before["account"]).sum().reindex(table.index).fillna(0).astype("int64")
    lost_to = _most_named(d.loc[lost, "account"], named[lost])
    table["incumbent"] = lost_to["value"].reindex(table.index)
    table["incumbent_losses"] = lost_to["n"].reindex(table.index).fillna(0).astype("int64")
    # our win rate against each competitor over the deals in scope naming it, per window
    h2h_deals = pd.DataFrame({"competitor": named, "recent_won": won & recent, "prior_won": won & prior,
                              "h2h_recent_closed": recent, "h2h_prior_closed": prior})[named.notna() & either]
    h = h2h_deals.groupby("competitor").sum()
    h["h2h_recent"] = h["recent_won"] / h["h2h_recent_closed"].where(h["h2h_recent_closed"] > 0)
    h["h2h_prior"] = h["prior_won"] / h["h2h_prior_closed"].where(h["h2h_prior_closed"] > 0)
    for column in ("h2h_recent", "h2h_prior", "h2h_recent_closed", "h2h_prior_closed"):
        table[column] = table["incumbent"].map(h[column]).astype(float)
    # the win rate of the account's segment, and of the whole scope, over the two windows
    windowed = d[either]
    peer_key = windowed["segment"].astype(object).where(windowed["segment"].notna(), NO_VALUE)
    peer = windowed["is_won"].groupby(peer_key.to_numpy()).agg(["mean", "size"])
    account_key = table["segment"].astype(object).where(table["segment"].notna(), NO_VALUE)
    table["peer_win_rate"] = account_key.map(peer["mean"]).astype(float)
    table["peer_closed"] = account_key.map(peer["size"]).fillna(0).astype("int64")
    table["company_win_rate"] = windowed["is_won"].mean() if len(windowed) else NAN
    table["company_closed"] = len(windowed)
    wallet = lookup.groupby("account")["annual_value"].max() if len(lookup) else pd.Series(dtype=float)
    table["annual_value"] = table.index.map(wallet).astype(float)
    table["share_of_wallet"] = table["bookings_recent"] / table["annual_value"].where(table["annual_value"] != 0)
    table["anchor"] = anchor
    return table.rename_axis("account").reset_index()[columns]


def stance_rules_applied(table: pd.DataFrame, t, min_sample: int) -> pd.DataFrame:
    """The proposed stance of each account and its defend signals, the rules applied to the whole
    table at once (intel/accounts.py's docstring; thresholds `t`, intel.accounts.Thresholds):
    fire: a customer with min_deals closed deals and recent bookings at or below the median
      customer's whose discount, cycle and win rate each sit in the worst fire_quantile of the
      customers with min_deals closed deals (each measure it has, at least two of them);
    defend: a customer with bookings in either year showing defend_signals of: bookings down
      defend_drop; one competitor in competitor_deals of its latest deals and in under half that
      share of the deals before; where both years rest on min_deals deals won, a cycle cycle_rise
      longer or a discount discount_rise points deeper;
    attack: a small-share customer (under attack_share of its annual value, or without one under the
      median customer's bookings) with min_deals closed deals winning at least as often as the scope
      and bookings up attack_growth; a prospect (never won) with a deal created in the 90 days to
      the anchor whose segment wins at least as often as the scope; or an account whose competitor
      in its losses loses more to us now: head-to-head up incumbent_gain with min_sample deals in
      each year;
    maintain: the rest. Fire wins over defend, defend over attack."""
    out = table.copy()
    eps = 1e-9
    customer = out["is_customer"].astype(bool)
    judged = out["closed"] >= t.min_deals
    recent, prior = out["bookings_recent"].astype(float), out["bookings_prior"].astype(float)
    change = out["bookings_change"].astype(float)
    median = float(recent[customer].median()) if customer.any() else NAN

    def bar(column, share):   # over the customers judged: a prospect's 0% win rate says nothing of customers
        values = out.loc[customer & judged, column].astype(float).dropna()
        # fewer than five customers judged: no worst share to speak of (one would be the worst of itself)
        return float(np.quantile(values, share)) if len(values) >= 5 else NAN

    fails, meets = pd.Series(False, index=out.index), pd.Series(0, index=out.index)
    for column, share, worse in (("discount", 1 - t.fire_quantile, 1), ("cycle_days", 1 - t.fire_quantile, 1),
                                 ("win_rate", t.fire_quantile, -1)):
        value, line = out[column].astype(float), bar(column, share)
        known = value.notna() & (not math.isnan(line))
        worst = known & ((value >= line) if worse > 0 else (value <= line))
        meets += worst.astype(int)
        fails |= known & ~worst
    fire = customer & judged & (not math.isnan(median)) & (recent <= median) & ~fails & (meets >= 2)

    named = out["competitor_recent_deals"].astype(float)
    shown = out["last_deals"].astype(float).clip(lower=1)
    earlier = out["earlier_deals"].astype(float)
    before = (out["competitor_earlier_deals"].astype(float) / earlier.where(earlier > 0)).fillna(0.0)
    both = np.minimum(out["won_recent"], out["won_prior"]) >= t.min_deals
    cycle_recent, cycle_prior = out["cycle_recent"].astype(float), out["cycle_prior"].astype(float)
    d_recent, d_prior = out["discount_recent"].astype(float), out["discount_prior"].astype(float)
    signals = (change.notna() & (change <= -t.defend_drop + eps)).astype(int) \
        + ((named >= t.competitor_deals) & (before < named / shown / 2)).astype(int) \
        + (both & cycle_prior.notna() & (cycle_prior != 0) & cycle_recent.notna()
           & (cycle_recent >= cycle_prior * (1 + t.cycle_rise) - eps)).astype(int) \
        + (both & d_recent.notna() & d_prior.notna() & (d_recent - d_prior >= t.discount_rise - eps)).astype(int)
    signals = signals.where(customer & ((recent > 0) | (prior > 0)), 0).where(~fire, 0)
    defend = ~fire & (signals >= t.defend_signals)

    win, company = out["win_rate"].astype(float), out["company_win_rate"].astype(float)
    wallet = out["annual_value"].astype(float)
    has_wallet = wallet.notna() & (wallet > 0)
    small = (has_wallet & (recent / wallet.where(has_wallet) < t.attack_share)) \
        | (~has_wallet & (not math.isnan(median)) & (recent < median))
    growing = customer & judged & win.notna() & company.notna() & (win >= company) \
        & ((change.notna() & (change >= t.attack_growth - eps)) | ((prior == 0) & (recent > 0))) & small
    anchor = pd.to_datetime(out["anchor"])
    created = pd.to_datetime(out["last_created"])
    peer = out["peer_win_rate"].astype(float)
    prospect = ~customer & created.notna() & (created >= anchor - pd.Timedelta(days=90)) \
        & peer.notna() & company.notna() & (peer >= company)
    h_recent, h_prior = out["h2h_recent"].astype(float), out["h2h_prior"].astype(float)
    weaker = out["incumbent"].notna() & h_recent.notna() & h_prior.notna() \
        & (h_recent - h_prior >= t.incumbent_gain - eps) \
        & (np.minimum(out["h2h_recent_closed"].fillna(0), out["h2h_prior_closed"].fillna(0)) >= min_sample)
    attack = ~fire & ~defend & (growing | prospect | weaker)
    out["proposed"] = np.select([fire, defend, attack], ["fire", "defend", "attack"], "maintain")
    out["signals"] = signals.astype("int64")
    return out


def account_stance(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Account stance per account: the facts recomputed from the deal facts and the account lookup,
    the rules applied (stance_rules_applied), and the stance in force: the latest decision a
    manager saved for the account (account_stance_versions; none, or a decision handing it back,
    leaves the proposal)."""
    from intel.accounts import Thresholds   # the settings only: not the facts' SQL nor the rules
    from intel.metrics import min_sample

    t = Thresholds.current()
    facts = _deal_facts(db)
    lookup = _read(db, "SELECT account, annual_value FROM account_lookup")
    table = stance_rules_applied(account_table(facts, lookup, filters, t.recent_deals), t, min_sample())
    versions = _read(db, "SELECT account, version, stance FROM account_stance_versions")
    latest = versions.sort_values("version").groupby("account").tail(1).set_index("account")
    table["override_version"] = table["account"].map(latest["version"]).fillna(0).astype("int64")
    override = table["account"].map(latest["stance"])
    table["stance"] = override.where(override.notna(), table["proposed"])
    for column in ("account", "stance", "proposed", "competitor_recent", "incumbent", "size", "segment",
                   "region", "industry"):
        table[column] = table[column].astype("str")
    return table[["account", "stance", "proposed", "signals", "bookings_recent", "bookings_prior", "bookings_change",
                  "lifetime_bookings", "open_deals", "open_pipeline", "won", "lost", "closed", "won_recent",
                  "won_prior", "win_rate", "cycle_days", "cycle_recent", "cycle_prior", "discount", "discount_recent",
                  "discount_prior", "last_deals", "competitor_recent", "competitor_recent_deals", "earlier_deals",
                  "competitor_earlier_deals", "incumbent", "incumbent_losses", "h2h_recent", "h2h_prior",
                  "peer_win_rate", "company_win_rate", "annual_value", "share_of_wallet", "size", "segment",
                  "region", "industry", "is_customer", "override_version"]]


def _follow_up(db) -> pd.DataFrame:
    """Per deal, when its first stage was recorded and when the stage first changed (the second
    stage entry), from the stage history or else the snapshots (_stage_entries)."""
    entries = _stage_entries(db).sort_values(["id", "seen_at"], kind="stable")
    number = entries.groupby("id").cumcount()
    first = entries[number == 0].set_index("id")["seen_at"].rename("first_seen")
    second = entries[number == 1].set_index("id")["seen_at"].rename("first_change")
    return pd.concat([first, second], axis=1)


FUNNEL_COLUMNS = {"lead_source": "lead_source", "campaign": "campaign", "deal_type": "deal_type"}


def lead_source_funnel_frame(facts: pd.DataFrame, stages: pd.DataFrame, filters: Filters, by: str,
                             grain: str) -> pd.DataFrame:
    """The funnel from deal facts and each deal's first stage record and first change (_follow_up)."""
    deals = facts[_in_scope(facts, filters)]
    if not filters.all_time:
        deals = deals[deals["created_date"].between(pd.Timestamp(filters.date_from), pd.Timestamp(filters.date_to))]
    if grain != "all":
        deals = deals[deals["created_date"].notna()]
    deals = deals.assign(member=deals[FUNNEL_COLUMNS[by]].astype(object).where(deals[by].notna(), "(none)"))
    keys = ["member"]
    if grain != "all":
        deals = deals.assign(period=_period_labels(_period_number(deals["created_date"], grain), grain))
        keys = ["member", "period"]
    seen = stages.reindex(deals["id"].to_numpy())
    created = deals["created_date"].to_numpy()
    prompt = seen["first_seen"].to_numpy() <= created + np.timedelta64(7, "D")
    days = (pd.to_datetime(seen["first_change"]).dt.normalize().to_numpy() - created) / np.timedelta64(1, "D")
    follow = pd.Series(np.where(prompt, days, np.nan), index=deals.index)
    won = deals["is_won"]
    amount = deals["amount"].astype(float)
    work = pd.DataFrame({
        "one": 1, "amount": amount, "no_amount": amount.isna().astype(int), "won": won.astype(int),
        "lost": (deals["is_closed"] & ~won).astype(int), "open": (~deals["is_closed"]).astype(int),
        "cycle": deals["cycle_days"].astype(float).where(won), "won_amount": amount.where(won),
        "follow": follow.where(follow >= 0)}, index=deals.index)
    for key in keys:
        work[key] = deals[key]
    g = work.groupby(keys)
    table = pd.DataFrame({
        "created": g["one"].sum(), "created_amount": g["amount"].sum(min_count=0),
        "without_amount": g["no_amount"].sum(), "won": g["won"].sum(), "lost": g["lost"].sum(),
        "open": g["open"].sum(), "cycle_days": g["cycle"].median(), "average_won_deal": g["won_amount"].mean(),
        "won_amount": g["won_amount"].sum(min_count=0), "follow_up_days": g["follow"].median(),
        "followed_up": g["follow"].count()}).reset_index()
    decided = table["won"] + table["lost"]
    table["win_rate"] = table["won"] / decided.where(decided > 0)
    totals = (table.groupby("period")["created_amount"].transform("sum") if grain != "all"
              else pd.Series(table["created_amount"].sum(), index=table.index))
    table["pipeline_share"] = table["created_amount"] / totals.where(totals != 0)
    return table


def lead_source_funnel(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Lead-source funnel: the deals in scope created in the range (all time: undated ones too;
    by month or quarter: dated ones, by created date), per lead source, campaign or deal type
    ('(none)' without one): created, the pipeline they brought and its share of every member's in
    that period, won, lost, open, win rate = won ÷ (won + lost), median won cycle, average won deal
    and won amount, and the median days from created to the first stage change over the deals
    whose first stage was recorded within 7 days of creation."""
    return lead_source_funnel_frame(_deal_facts(db), _follow_up(db), filters, params.get("funnel_by") or "lead_source",
                                    params["grain"])


def discount_band_of(discount: pd.Series) -> pd.Series:
    """A discount's band order: 0 for none given (0%), 1 up to 10%, 2 up to 20%, 3 up to 30%, 4 above;
    9 when the deal carries no discount value."""
    return pd.Series(np.select([discount.isna(), discount <= 0, discount <= 0.10, discount <= 0.20, discount <= 0.30],
                               [9, 0, 1, 2, 3], 4), index=discount.index)


BAND_NAMES = {0: "0%", 1: "0–10%", 2: "10–20%", 3: "20–30%", 4: "over 30%", 9: "(not given)"}


def discount_bands_frame(closed: pd.DataFrame, dim: str) -> pd.DataFrame:
    closed = closed.assign(member=_member(closed, dim), band_order=discount_band_of(closed["discount_pct"]))
    won = closed["is_won"]
    work = pd.DataFrame({"member": closed["member"], "band_order": closed["band_order"], "won": won.astype(int),
                         "won_amount": closed["amount"].astype(float).where(won),
                         "discount": closed["discount_pct"].astype(float)})
    g = work.groupby(["member", "band_order"])
    table = pd.DataFrame({"closed": g.size(), "won": g["won"].sum(), "average_won_deal": g["won_amount"].mean(),
                          "won_amount": g["won_amount"].sum(min_count=0), "avg_discount": g["discount"].mean()})
    table = table.reset_index()
    table["lost"] = table["closed"] - table["won"]
    table["win_rate"] = table["won"] / table["closed"]
    table["discount_band"] = table["band_order"].map(BAND_NAMES)
    return table


def discount_bands(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Win rate by discount band: the deals closed in the range in scope ('No decision' losses out
    when excluded), per member and band (0% | over 0 to 10% | over 10 to 20% | over 20 to 30% | over
    30%; no discount value: '(not given)'): closed, won, lost, win rate = won ÷ closed, average won
    deal and won amount over the deals won, mean discount of the band's deals."""
    return discount_bands_frame(_closed(filters, params, db), params["dim"])


def average_discount(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Average discount = mean discount of the deals won in the period that carry one (counted as
    won_with_discount); beside it, won, lost and the win rate of the period's closed deals."""
    closed, keys = _cut(_closed(filters, params, db), params)
    won = closed["is_won"]
    work = closed[keys].assign(won=won.astype(int), lost=(~won).astype(int),
                               discount=closed["discount_pct"].astype(float).where(won))
    g = work.groupby(keys)
    table = pd.DataFrame({"won": g["won"].sum(), "lost": g["lost"].sum(), "won_with_discount": g["discount"].count(),
                          "avg_discount": g["discount"].mean()}).reset_index()
    table["win_rate"] = table["won"] / (table["won"] + table["lost"])
    return table


def approval_limits() -> dict[int, float]:
    """The setting discount_approval read plainly: four percentages, smallest deals first."""
    from intel import config

    values = [float(v) / 100 for v in config.get("discount_approval").replace(";", ",").split(",") if v.strip()]
    return dict(zip((1, 2, 3, 4), values))


def discount_governance(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Per deal-size band, the deals in scope that carry a discount and were won in the range (all
    time: every won deal) or are open now: the band's approval threshold (a deal without an
    amount has no band and takes the strictest), the deals, those whose discount exceeds it
    (breaches), their share and amount, and the mean discount."""
    facts = _deal_facts(db)
    held = facts[_in_scope(facts, filters) & facts["discount_pct"].notna()]
    in_range = held["close_date"].between(pd.Timestamp(filters.date_from), pd.Timestamp(filters.date_to)) \
        if not filters.all_time else pd.Series(True, index=held.index)
    held = held[(held["is_won"] & in_range) | ~held["is_closed"]]
    limits = approval_limits()
    band = held["size_band"].astype(float)
    threshold = band.map(limits).fillna(min(limits.values())).astype(float)
    breach = held["discount_pct"].astype(float) > threshold + 1e-9
    work = pd.DataFrame({"deal_size_band": held["deal_size_band"].astype(object).where(held["deal_size_band"].notna(),
                                                                                       "(no amount)"),
                         "threshold": threshold, "breach": breach.astype(int),
                         "breach_amount": held["amount"].astype(float).where(breach),
                         "discount": held["discount_pct"].astype(float)})
    g = work.groupby("deal_size_band")
    table = pd.DataFrame({"threshold": g["threshold"].max(), "deals": g.size(), "breaches": g["breach"].sum(),
                          "avg_discount": g["discount"].mean(),
                          "breach_amount": g["breach_amount"].sum(min_count=0)}).reset_index()
    table["breach_share"] = table["breaches"] / table["deals"]
    return table
# ---- leads: how far marketing's leads went ----

# The stages in order, and what says each was reached besides the status (the rules of intel/leads.py,
# written again here in pandas): a date, a flag or a deal id.
_LEAD_STAGES = ("lead", "mql", "sql", "opportunity", "customer")
_LEAD_SIGNS = {"customer": ["customer_date"], "opportunity": ["opportunity_date", "converted_date",
                                                             "converted_opportunity_id"],
               "sql": ["sql_date"], "mql": ["mql_date"]}
_LEAD_WORDS = {"customer": ("customer", "evangelist"), "opportunity": ("opportunity", "converted"),
               "sql": ("sql", "sal", "salesqualifiedlead", "sales qualified", "sales accepted", "salesaccepted"),
               "mql": ("mql", "marketingqualifiedlead", "marketing qualified")}


def _lead_stage_numbers(leads: pd.DataFrame) -> pd.Series:
    """1 (lead) to 5 (customer): the furthest stage each lead's row says it reached."""
    words = (" " + leads["status"].fillna("").astype(str).str.normalize("NFKD")
             .str.encode("ascii", "ignore").str.decode("ascii").str.lower()
             .str.replace(r"[^a-z0-9]+", " ", regex=True) + " ")
    negated = words.str.contains(" not ", regex=False) | words.str.contains(" non ", regex=False)
    reached = pd.Series(1, index=leads.index)
    for number, stage in ((2, "mql"), (3, "sql"), (4, "opportunity"), (5, "customer")):
        met = pd.Series(False, index=leads.index)
        for column in _LEAD_SIGNS[stage]:
            met |= leads[column].notna()
        if stage == "opportunity":
            met |= leads["is_converted"].fillna(False).astype(bool)
        for word in _LEAD_WORDS[stage]:
            met |= ~negated & words.str.contains(f" {word} ", regex=False)
        reached = reached.where(~met, number)
    return reached


def lead_conversion(filters: Filters, params: dict, db) -> pd.DataFrame:
    """Lead conversion: per lead source (or campaign) and period of the created date, the leads
    and how many reached at least MQL, SQL and opportunity, how many were won (a deal id among
    their converted opportunities won in the deal facts, or a customer), the rate of each step,
    and the median days created → MQL and MQL → SQL. A lead id imported twice counts once, from
    the latest import; the range applies to the created date (all time: undated leads too)."""
    leads = _dates(_read(db, "SELECT * FROM leads"), "created_date", "mql_date", "sql_date")
    with_id = leads[leads["id"].notna()].sort_values("import_id").drop_duplicates("id", keep="last")
    leads = pd.concat([with_id, leads[leads["id"].isna()]], ignore_index=True)
    if not filters.all_time:
        leads = leads[leads["created_date"].between(pd.Timestamp(filters.date_from), pd.Timestamp(filters.date_to))]
    by = params.get("funnel_by") or "lead_source"
    leads = leads.assign(funnel=leads[by], reached=_lead_stage_numbers(leads))
    won_ids = set(_read(db, "SELECT id FROM deal_facts WHERE is_won")["id"])
    deal_won = leads["converted_opportunity_id"].fillna("").map(
        lambda ids: any(i.strip() in won_ids for i in ids.split(";") if i.strip()))
    leads = leads.assign(won=(deal_won | (leads["reached"] == 5)).astype(int),
                         mql=(leads["reached"] >= 2).astype(int), sql=(leads["reached"] >= 3).astype(int),
                         opportunities=(leads["reached"] >= 4).astype(int),
                         days_to_mql=(leads["mql_date"] - leads["created_date"]).dt.days,
                         days_mql_to_sql=(leads["sql_date"] - leads["mql_date"]).dt.days)
    leads, keys = _cut(leads, {"dim": "funnel", "grain": params["grain"]}, date="created_date")
    table = leads.groupby(keys).agg(
        leads=("reached", "size"), mql=("mql", "sum"), sql=("sql", "sum"),
        opportunities=("opportunities", "sum"), won=("won", "sum"),
        days_to_mql=("days_to_mql", "median"), days_mql_to_sql=("days_mql_to_sql", "median")).reset_index()
    rate = lambda top, base: table[top] / table[base].where(table[base] > 0)
    return table.assign(mql_rate=rate("mql", "leads"), sql_rate=rate("sql", "mql"),
                        opp_rate=rate("opportunities", "sql"), won_rate=rate("won", "opportunities"),
                        lead_to_won=rate("won", "leads"))
