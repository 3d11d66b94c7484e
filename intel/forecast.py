"""Forecast versus actual: variance, attainment, accuracy and bias, the bookings bridge, and the
pacing of the period in progress.

Definitions are those of shared/METRICS.md; the SQL (intel/sql/forecast_*.sql, bookings_bridge.sql,
pacing.sql and the bookings and forecast_actual macros of intel/sql/macros/forecast.sql) states
them on top.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from intel import metrics, models, periods, store
from intel.filters import Filters, data_date

BIAS_FLAG = 0.10   # |bias| beyond 10% names an over-caller or a sandbagger


def _check(dim: str, grain: str) -> None:
    if dim not in metrics.PLAN_DIMENSIONS:
        raise ValueError(f"Unknown dimension {dim!r}: use one of {', '.join(metrics.PLAN_DIMENSIONS)}.")
    if grain not in periods.GRAINS:
        raise ValueError(f"Unknown period {grain!r}: use month or quarter.")


def forecast_vs_actual(dim: str, filters: Filters, grain: str = "quarter",
                       as_of_week: int | None = None, db=None) -> pd.DataFrame:
    """Per period and member: target, forecast (commit), best case, actual, variance, variance %,
    attainment, bias, and when the standing call was submitted."""
    return metrics.run("forecast_variance", filters, db=db, dim=dim, grain=grain, as_of_week=as_of_week)


def forecast_accuracy(dim: str, filters: Filters, grain: str = "month",
                      as_of_week: int | None = None, db=None) -> pd.DataFrame:
    """Per member: periods with a forecast, bias, MAPE (and periods left out for a zero actual),
    WAPE; a verdict: 'over-calls', 'sandbags' or 'on target'."""
    return metrics.run("forecast_accuracy", filters, db=db, dim=dim, grain=grain, as_of_week=as_of_week)


def bookings_bridge(p0: str, p1: str, dim: str, filters: Filters, db=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The change in bookings from period p0 to p1, split into deal-count, mix and deal-size effects.

    Returns (steps, members): steps has one row per bar of the waterfall (p0 bookings, the three
    effects, p1 bookings); members has each member's deals, average deal and its share of the
    mix and size effects. The effects add up to the change exactly.
    """
    start0, grain0 = periods.parse(p0)
    start1, grain1 = periods.parse(p1)
    if grain0 != grain1:
        raise ValueError("Compare a month with a month, or a quarter with a quarter.")
    _check(dim if dim != "total" else "region", grain0)
    models.refresh(db)
    members = store.query("bookings_bridge", {**filters.params(), "dim": dim, "grain": grain0,
                                              "fy_start": periods.fiscal_year_start(), "p0": start0,
                                              "p1": start1}, db=db)
    n0, n1 = int(members["deals_0"].sum()), int(members["deals_1"].sum())
    b0, b1 = float(members["bookings_0"].sum()), float(members["bookings_1"].sum())
    count_effect = (n1 - n0) * (b0 / n0) if n0 else b1
    steps = pd.DataFrame({
        "step": [f"{p0} bookings", "Deal count", "Mix", "Deal size", f"{p1} bookings"],
        "amount": [b0, count_effect, float(members["mix_effect"].sum()),
                   float(members["size_effect"].sum()), b1],
        "measure": ["absolute", "relative", "relative", "relative", "total"],
        "deals": [n0, n1 - n0, None, None, n1]})
    return steps, members


def forecast_inputs(filters: Filters, db=None) -> dict:
    """What the targets/forecast uploads hold for this scope: row counts and the dimensions they carry."""
    cur = store.cursor(db)
    try:
        row = cur.execute(
            """SELECT count(*) FILTER (WHERE target IS NOT NULL),
                      count(*) FILTER (WHERE forecast_commit IS NOT NULL OR forecast_best_case IS NOT NULL),
                      count(region), count(segment), count(owner), count(product)
               FROM targets_forecasts WHERE period BETWEEN $f AND $t""",
            {"f": filters.date_from.replace(day=1), "t": filters.date_to}).fetchone()
    finally:
        cur.close()
    return {"targets": row[0], "forecasts": row[1],
            "dimensions": [d for d, n in zip(("region", "segment", "owner", "product"), row[2:]) if n]}


def period_options(filters: Filters, grain: str, db=None) -> tuple[list[str], str | None]:
    """(the periods of the range, the last complete one): complete = ended by the latest closed deal."""
    _check("total", grain)
    if filters.all_time:   # closed deals without dates: no period to offer
        return [], None
    models.refresh(db)
    cur = store.cursor(db)
    try:
        (latest,) = cur.execute("SELECT max(close_date) FROM deal_facts WHERE is_closed").fetchone()
    finally:
        cur.close()
    labels = periods.between(filters.date_from, filters.date_to, grain)
    # a period ends within the range: at its own last day or the range's, whichever comes first
    complete = [label for label in labels
                if latest is not None and min(periods.bounds(label)[1], filters.date_to) <= latest]
    return labels, (complete[-1] if complete else (labels[-1] if labels else None))


# ---- the catalogue's hooks (intel.metrics): parameters, finishing, composed figures ----

def plan_params(values: dict, filters: Filters, db=None) -> dict:
    """Forecast SQL parameters: periods need dates, so an all-time range is its real (wide) dates
    here, and undated deals fall out."""
    return {**values, "date_from": filters.date_from, "date_to": filters.date_to}


def accuracy_params(values: dict, filters: Filters, db=None) -> dict:
    """plan_params, and the day periods must have ended by to count (the data date): a period in
    progress sets its standing call against part of its bookings, which reads as over-calling."""
    return {**plan_params(values, filters, db), "finished_by": as_of_day(db)}


def accuracy_verdict(table: pd.DataFrame, params: dict) -> pd.DataFrame:
    """A verdict per member: 'over-calls' or 'sandbags' past ±BIAS_FLAG bias, else 'on target'."""
    table["verdict"] = [("over-calls" if b > BIAS_FLAG else "sandbags" if b < -BIAS_FLAG else "on target")
                        if not pd.isna(b) else "—" for b in table["bias"]]
    return table


def bridge_steps(filters: Filters, params: dict, db=None) -> pd.DataFrame:
    """The bridge's bars (bookings_bridge's steps) with each member's effects in .attrs['members']."""
    if not (params.get("p0") and params.get("p1")):
        raise ValueError("The bookings bridge needs two periods, e.g. 2026-Q2 and 2026-Q3.")
    steps, members = bookings_bridge(params["p0"], params["p1"], params["dim"], filters, db=db)
    steps.attrs["members"] = members
    return steps


# ---- the period in progress: how far into it the data reaches, and its pacing ----

HISTORY_PERIODS = 4   # historical pace: the share of bookings landed by the same day, over this many periods before


def as_of_day(db=None) -> dt.date | None:
    """The day the data describes (intel.filters.data_date): what 'so far' means in a period in progress."""
    return data_date(db)


def in_progress(grain: str = "quarter", db=None) -> tuple[str, dt.date] | None:
    """(the period holding the data date, that date) when the data date falls before the
    period's last day, so the period is still running; None otherwise or with no data."""
    day = as_of_day(db)
    if day is None:
        return None
    label = periods.label(day, grain)
    return (label, day) if day < periods.bounds(label)[1] else None


def pacing_params(values: dict, filters: Filters, db=None) -> dict:
    """The period paced (`pace_period`, else the one holding the as-of day), the as-of day
    (`as_of`, else the data date; at most the period's last day), the days elapsed and in the
    period, and the first day of the periods the historical pace averages over."""
    day = values.get("as_of") or as_of_day(db)
    if day is None:
        raise ValueError("Pacing needs a data date: upload deals (or a pipeline snapshot) first.")
    label = values.get("pace_period") or periods.label(day, values["grain"])
    first, last, grain = periods.bounds(label)
    if day < first:
        raise ValueError(f"{label} starts after {day:%Y-%m-%d}: it has no pacing yet.")
    day = min(day, last)
    return {**values, "grain": grain, "period": label, "p_start": first, "p_end": last, "as_of": day,
            "elapsed": (day - first).days + 1, "days": (last - first).days + 1,
            "history_start": periods.add_months(first, -HISTORY_PERIODS * periods.MONTHS_IN[grain])}


def pacing(filters: Filters, period: str | None = None, as_of: dt.date | None = None, dim: str = "total",
           db=None) -> pd.DataFrame:
    """Per member: actual to date against the target's linear pace and its historical pace
    (the catalogue's 'pacing')."""
    grain = periods.parse(period)[1] if period else "quarter"
    return metrics.run("pacing", filters, db=db, dim=dim, grain=grain, pace_period=period, as_of=as_of)


def pacing_sentence(row) -> str:
    """'19.0M booked by day 47 of 92: linear pace 20.7M (92%), historical pace 20.9M (91%)'."""
    from intel.models import money

    def pace(name: str, value, ratio) -> str:
        if pd.isna(value):
            return f"no {name} pace"
        return f"{name} pace {money(value)} ({ratio:.0%})" if not pd.isna(ratio) else f"{name} pace {money(value)}"

    said = f"{money(row['actual_to_date'])} booked by day {int(row['elapsed_days'])} of {int(row['period_days'])}"
    if pd.isna(row["target"]):
        return said + " (no target, so no pace to compare with)"
    return f"{said}: {pace('linear', row['linear_pace'], row['to_linear_pace'])}, " \
           f"{pace('historical', row['historical_pace'], row['to_historical_pace'])}"
