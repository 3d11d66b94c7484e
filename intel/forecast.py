"""Forecast versus actual: variance, attainment, accuracy and bias, and the bookings bridge.

Definitions are those of shared/METRICS.md; the SQL (intel/sql/forecast_*.sql, bookings_bridge.sql
and the bookings and forecast_actual macros of intel/sql/macros/forecast.sql) states them on top.
"""
from __future__ import annotations

import pandas as pd

from intel import metrics, models, periods, store
from intel.filters import Filters

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
