"""Forecast versus actual: variance, attainment, accuracy and bias, and the bookings bridge.

Definitions are those of shared/METRICS.md; the SQL (intel/sql/forecast_*.sql, bookings_bridge.sql
and the bookings and forecast_actual macros of intel/sql/macros/forecast.sql) states them on top.
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from intel import models, store
from intel.filters import Filters, fiscal_year_start
from intel.metrics import GRAINS, min_sample  # noqa: F401  (min_sample kept for callers)

DIMENSIONS = ("total", "region", "segment", "owner", "product")
DIMENSION_LABELS = {"total": "Total", "region": "Region", "segment": "Segment", "owner": "Owner",
                    "product": "Product"}
BIAS_FLAG = 0.10   # |bias| beyond 10% names an over-caller or a sandbagger


def _check(dim: str, grain: str) -> None:
    if dim not in DIMENSIONS:
        raise ValueError(f"Unknown dimension {dim!r}: use one of {', '.join(DIMENSIONS)}.")
    if grain not in GRAINS:
        raise ValueError(f"Unknown period {grain!r}: use month or quarter.")


def _params(filters: Filters, dim: str, grain: str, as_of_week: int | None) -> dict:
    _check(dim, grain)
    if as_of_week is not None and not 1 <= int(as_of_week) <= 13:
        raise ValueError("The forecast week must be between 1 and 13.")
    # periods need dates: an all-time range is its real (wide) dates here, undated deals fall out
    return {**filters.params(), "date_from": filters.date_from, "date_to": filters.date_to,
            "dim": dim, "grain": grain, "fy_start": fiscal_year_start(),
            "as_of_week": int(as_of_week) if as_of_week is not None else None}


def forecast_vs_actual(dim: str, filters: Filters, grain: str = "quarter",
                       as_of_week: int | None = None, db=None) -> pd.DataFrame:
    """Per period and member: target, forecast (commit), best case, actual, variance, variance %,
    attainment, and when the standing call was submitted."""
    models.refresh(db)
    return store.query("forecast_vs_actual", _params(filters, dim, grain, as_of_week), db=db)


def forecast_accuracy(dim: str, filters: Filters, grain: str = "month",
                      as_of_week: int | None = None, db=None) -> pd.DataFrame:
    """Per member: periods with a forecast, bias, MAPE (and periods left out for a zero actual),
    WAPE; a verdict: 'over-calls', 'sandbags' or 'on target'."""
    models.refresh(db)
    table = store.query("forecast_accuracy", _params(filters, dim, grain, as_of_week), db=db)
    table["verdict"] = [("over-calls" if b > BIAS_FLAG else "sandbags" if b < -BIAS_FLAG else "on target")
                        if not pd.isna(b) else "—" for b in table["bias"]]
    return table


def parse_period(label: str, fy_start: int | None = None) -> tuple[dt.date, str]:
    """'2026-11' -> (2026-11-01, 'month'); '2026-Q3' -> (start of that (fiscal) quarter, 'quarter')."""
    fy = fy_start or fiscal_year_start()
    m = re.fullmatch(r"(\d{4})-(\d{2})", label.strip())
    if m and 1 <= int(m.group(2)) <= 12:
        return dt.date(int(m.group(1)), int(m.group(2)), 1), "month"
    m = re.fullmatch(r"(\d{4})-?Q([1-4])", label.strip().upper())
    if m:
        months = (fy - 1) + (int(m.group(2)) - 1) * 3
        year = int(m.group(1)) + months // 12
        return dt.date(year, months % 12 + 1, 1), "quarter"
    raise ValueError(f"'{label}' is not a period: write 2026-11 for a month or 2026-Q3 for a quarter.")


def period_bounds(label: str, fy_start: int | None = None) -> tuple[dt.date, dt.date, str]:
    """'2026-11' -> (2026-11-01, 2026-11-30, 'month'); '2026-Q3' -> first and last day of that
    (fiscal) quarter, 'quarter'."""
    start, grain = parse_period(label, fy_start)
    months = start.year * 12 + start.month - 1 + (3 if grain == "quarter" else 1)
    return start, dt.date(months // 12, months % 12 + 1, 1) - dt.timedelta(days=1), grain


def day_or_period(text: str, last: bool = False) -> dt.date:
    """A day from '2026-07-15', or from a month ('2026-07') or quarter ('2026-Q3', fiscal when the
    fiscal year starts later): its first day, or its last with `last`."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError:
            pass
    else:
        try:
            first, final, _ = period_bounds(text)
            return final if last else first
        except ValueError:
            pass
    raise ValueError(f"'{text}' is not a date or a period: write 2026-07-15, 2026-07 or 2026-Q3.")


def bookings_bridge(p0: str, p1: str, dim: str, filters: Filters, db=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The change in bookings from period p0 to p1, split into deal-count, mix and deal-size effects.

    Returns (steps, members): steps has one row per bar of the waterfall (p0 bookings, the three
    effects, p1 bookings); members has each member's deals, average deal and its share of the
    mix and size effects. The effects add up to the change exactly.
    """
    start0, grain0 = parse_period(p0)
    start1, grain1 = parse_period(p1)
    if grain0 != grain1:
        raise ValueError("Compare a month with a month, or a quarter with a quarter.")
    _check(dim if dim != "total" else "region", grain0)
    models.refresh(db)
    members = store.query("bookings_bridge", {**filters.params(), "dim": dim, "grain": grain0,
                                              "fy_start": fiscal_year_start(), "p0": start0,
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
    fy = fiscal_year_start()
    cur = store.cursor(db)
    try:
        rows = cur.execute(
            """WITH latest AS (SELECT max(close_date) AS d FROM deal_facts WHERE is_closed),
                    days AS (SELECT CAST(unnest(range(CAST($f AS TIMESTAMP), CAST($t AS TIMESTAMP)
                                                 + INTERVAL 1 DAY, INTERVAL 1 DAY)) AS DATE) AS d)
               SELECT period_label(p, $g, $fy), bool_and(d <= (SELECT d FROM latest))
               FROM (SELECT period_start(d, $g, $fy) AS p, d FROM days) GROUP BY p ORDER BY p""",
            {"f": filters.date_from, "t": filters.date_to, "g": grain, "fy": fy}).fetchall()
    finally:
        cur.close()
    labels = [label for label, _ in rows]
    complete = [label for label, done in rows if done]
    return labels, (complete[-1] if complete else (labels[-1] if labels else None))


def previous_period(label: str, same_period_last_year: bool = False) -> str:
    """The period before `label` (or the same period a year earlier), in the same notation."""
    start, grain = parse_period(label)
    fy = fiscal_year_start()
    step = 12 if same_period_last_year else (3 if grain == "quarter" else 1)
    months = start.year * 12 + start.month - 1 - step
    earlier = dt.date(months // 12, months % 12 + 1, 1)
    if grain == "month":
        return f"{earlier:%Y-%m}"
    shifted = (earlier.year * 12 + earlier.month - 1) - (fy - 1)
    return f"{shifted // 12}-Q{(shifted % 12) // 3 + 1}"
