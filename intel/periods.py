"""Periods: how Sightline writes months and quarters, and the arithmetic on them, in one place.

A period is a calendar month, written 2026-11, or a quarter of the fiscal year, written 2026-Q4.
The fiscal year's first month is the setting fiscal_year_start (default January); a fiscal year
is named by the calendar year it starts in, so with a year starting in April, 2026-Q1 is
April-June 2026 and 2026-Q4 is January-March 2027. The SQL macros period_start and period_label
(migrations/003_metric_macros.sql) write the same notation for the store's queries.

A trailing window of N quarters is the 3N calendar months ending on an anchor date (shared/
METRICS.md): see trailing_window.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re

from intel import config

GRAINS = ("month", "quarter")
MONTHS_IN = {"month": 1, "quarter": 3}      # calendar months in one period of the grain
PER_YEAR = {"month": 12, "quarter": 4}      # periods of the grain in a year


def fiscal_year_start() -> int:
    """The fiscal year's first month (1-12) from the setting; January when it is not a month."""
    try:
        month = int(config.get("fiscal_year_start"))
    except ValueError:
        return 1
    return month if 1 <= month <= 12 else 1


def _date(day) -> dt.date:
    """A plain date from a date, a datetime or a pandas Timestamp (a datetime)."""
    return day.date() if isinstance(day, dt.datetime) else day


# ---- days and months ----

def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later (earlier when negative), or the last day of
    that month when it is shorter: 2026-08-31 minus 6 months is 2026-02-28."""
    day = _date(day)
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def month_end(day: dt.date) -> dt.date:
    """The last day of the month holding `day` (2028-02-29 in a leap year)."""
    day = _date(day)
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def next_month(day: dt.date) -> dt.date:
    """The first day of the month after the one holding `day`."""
    return add_months(_date(day).replace(day=1), 1)


# ---- periods and their labels ----

def start_of(day: dt.date, grain: str, fy_start: int | None = None) -> dt.date:
    """The first day of the month or (fiscal) quarter holding `day`."""
    day = _date(day)
    if grain == "month":
        return day.replace(day=1)
    fy = fy_start or fiscal_year_start()
    into_quarter = (day.month - fy) % 3      # months since the quarter began
    return add_months(day.replace(day=1), -into_quarter)


def label(day: dt.date, grain: str, fy_start: int | None = None) -> str:
    """The period holding `day`, written 2026-11 (a month) or 2026-Q4 (a quarter of the fiscal
    year, named by the year it starts in)."""
    day = _date(day)
    if grain == "month":
        return f"{day:%Y-%m}"
    fy = fy_start or fiscal_year_start()
    fiscal_year, month_of_year = divmod(day.year * 12 + day.month - 1 - (fy - 1), 12)
    return f"{fiscal_year}-Q{month_of_year // 3 + 1}"


def parse(text: str, fy_start: int | None = None) -> tuple[dt.date, str]:
    """A period's first day and grain: '2026-11' -> (2026-11-01, 'month'); '2026-Q3' -> (the first
    day of that fiscal quarter, 'quarter'). '2026Q3' and '2026-q3' are read too."""
    fy = fy_start or fiscal_year_start()
    m = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if m and 1 <= int(m.group(2)) <= 12:
        return dt.date(int(m.group(1)), int(m.group(2)), 1), "month"
    m = re.fullmatch(r"(\d{4})-?Q([1-4])", text.strip().upper())
    if m:
        months_in = (fy - 1) + (int(m.group(2)) - 1) * 3
        return add_months(dt.date(int(m.group(1)), 1, 1), months_in), "quarter"
    raise ValueError(f"'{text}' is not a period: write 2026-11 for a month or 2026-Q3 for a quarter.")


def bounds(text: str, fy_start: int | None = None) -> tuple[dt.date, dt.date, str]:
    """A period's first day, last day and grain: '2026-11' -> (2026-11-01, 2026-11-30, 'month');
    '2026-Q3' -> the first and last day of that fiscal quarter, 'quarter'."""
    first, grain = parse(text, fy_start)
    return first, add_months(first, MONTHS_IN[grain]) - dt.timedelta(days=1), grain


def shift(text: str, periods: int, fy_start: int | None = None) -> str:
    """The period `periods` periods after `text` (before it when negative), in the same notation:
    shift('2026-Q4', 1) is '2027-Q1', shift('2026-01', -1) is '2025-12'."""
    fy = fy_start or fiscal_year_start()
    first, grain = parse(text, fy)
    return label(add_months(first, periods * MONTHS_IN[grain]), grain, fy)


def previous(text: str, same_period_last_year: bool = False, fy_start: int | None = None) -> str:
    """The period before `text`, or the same period a year earlier, in the same notation."""
    _, grain = parse(text, fy_start)
    return shift(text, -(PER_YEAR[grain] if same_period_last_year else 1), fy_start)


def between(first: dt.date, last: dt.date, grain: str, fy_start: int | None = None) -> list[str]:
    """The periods that hold a day from `first` to `last` (inclusive), oldest first."""
    first, last = _date(first), _date(last)
    if first > last:
        return []
    fy = fy_start or fiscal_year_start()
    out, start = [], start_of(first, grain, fy)
    while start <= last:
        out.append(label(start, grain, fy))
        start = add_months(start, MONTHS_IN[grain])
    return out


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
            first, final, _ = bounds(text)
            return final if last else first
        except ValueError:
            pass
    raise ValueError(f"'{text}' is not a date or a period: write 2026-07-15, 2026-07 or 2026-Q3.")


# ---- trailing ranges ----

def trailing_window(anchor: dt.date, quarters: int = 2) -> tuple[dt.date, dt.date]:
    """(first day, anchor): the 3 x `quarters` calendar months ending on the anchor date.

    The window starts the day after the same day 3 x `quarters` months earlier; when the anchor
    is the last day of its month, or that earlier month is too short, the day after that month's
    end. So two quarters ending 2026-08-31 are 2026-03-01..2026-08-31 (six whole months), ending
    2026-02-28 are 2025-09-01..2026-02-28, and ending 2026-11-20 are 2026-05-21..2026-11-20.
    """
    anchor = _date(anchor)
    earlier = add_months(anchor, -3 * quarters)
    if anchor == month_end(anchor):
        earlier = month_end(earlier)
    return earlier + dt.timedelta(days=1), anchor


def trailing_months(anchor: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """(first day, last day) of the `months` whole calendar months ending with the month holding
    `anchor` (at least that month): 18 months to 2026-11-16 are 2025-06-01..2026-11-30."""
    anchor = _date(anchor)
    return add_months(anchor.replace(day=1), -(max(months, 1) - 1)), month_end(anchor)
