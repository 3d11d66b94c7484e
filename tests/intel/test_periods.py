"""Period notation and arithmetic (intel/periods.py), checked on dates one can count on a calendar."""
from __future__ import annotations

import datetime as dt
import re

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intel import periods
from tests.conftest import ROOT

D = dt.date


def test_calendar_quarters_and_months():
    assert periods.parse("2026-11") == (D(2026, 11, 1), "month")
    assert periods.bounds("2026-Q3") == (D(2026, 7, 1), D(2026, 9, 30), "quarter")
    assert periods.label(D(2026, 11, 16), "quarter") == "2026-Q4"
    assert periods.label(D(2026, 11, 16), "month") == "2026-11"


def test_a_fiscal_year_starting_in_february():
    # FY2026 = 2026-02-01 .. 2027-01-31: Q1 Feb-Apr, Q4 Nov 2026 - Jan 2027
    assert periods.bounds("2026-Q1", fy_start=2) == (D(2026, 2, 1), D(2026, 4, 30), "quarter")
    assert periods.bounds("2026-Q4", fy_start=2) == (D(2026, 11, 1), D(2027, 1, 31), "quarter")
    assert periods.label(D(2027, 1, 15), "quarter", fy_start=2) == "2026-Q4"   # January: last year's Q4
    assert periods.label(D(2026, 1, 31), "quarter", fy_start=2) == "2025-Q4"


def test_a_fiscal_year_starting_in_july():
    # FY2026 = 2026-07-01 .. 2027-06-30
    assert periods.bounds("2026-Q1", fy_start=7) == (D(2026, 7, 1), D(2026, 9, 30), "quarter")
    assert periods.bounds("2026-Q3", fy_start=7) == (D(2027, 1, 1), D(2027, 3, 31), "quarter")
    assert periods.label(D(2027, 6, 30), "quarter", fy_start=7) == "2026-Q4"
    assert periods.start_of(D(2027, 5, 9), "quarter", fy_start=7) == D(2027, 4, 1)


def test_a_first_quarter_that_crosses_a_calendar_year():
    # fiscal year starting in December: 2026-Q1 = December 2026 - February 2027
    assert periods.bounds("2026-Q1", fy_start=12) == (D(2026, 12, 1), D(2027, 2, 28), "quarter")
    assert periods.label(D(2027, 2, 1), "quarter", fy_start=12) == "2026-Q1"
    assert periods.label(D(2026, 11, 30), "quarter", fy_start=12) == "2025-Q4"


def test_the_fiscal_year_start_comes_from_the_setting(monkeypatch):
    monkeypatch.setenv("SIGHTLINE_FISCAL_YEAR_START", "4")
    assert periods.fiscal_year_start() == 4
    assert periods.parse("2026-Q4") == (D(2027, 1, 1), "quarter")
    monkeypatch.setenv("SIGHTLINE_FISCAL_YEAR_START", "13")   # not a month: January
    assert periods.fiscal_year_start() == 1


def test_previous_period_across_a_year():
    assert periods.previous("2026-01") == "2025-12"
    assert periods.previous("2026-Q1", fy_start=1) == "2025-Q4"
    assert periods.previous("2026-Q1", same_period_last_year=True, fy_start=1) == "2025-Q1"
    assert periods.previous("2026-03", same_period_last_year=True) == "2025-03"
    assert periods.shift("2026-Q4", 1, fy_start=7) == "2027-Q1"
    assert periods.shift("2026-11", -23) == "2024-12"


def test_month_end_and_adding_months():
    assert periods.month_end(D(2028, 2, 10)) == D(2028, 2, 29)     # leap year
    assert periods.month_end(D(2026, 2, 10)) == D(2026, 2, 28)
    assert periods.month_end(D(2026, 12, 31)) == D(2026, 12, 31)
    assert periods.add_months(D(2026, 8, 31), -6) == D(2026, 2, 28)
    assert periods.add_months(D(2026, 11, 30), 3) == D(2027, 2, 28)
    assert periods.next_month(D(2026, 12, 15)) == D(2027, 1, 1)


def test_trailing_window_of_two_quarters():
    # six whole months when the anchor ends a month
    assert periods.trailing_window(D(2026, 8, 31)) == (D(2026, 3, 1), D(2026, 8, 31))
    assert periods.trailing_window(D(2026, 2, 28)) == (D(2025, 9, 1), D(2026, 2, 28))
    # otherwise from the day after the same day six months earlier: 2026-05-20 -> 2026-05-21
    assert periods.trailing_window(D(2026, 11, 20)) == (D(2026, 5, 21), D(2026, 11, 20))
    # 2026-02-30 does not exist: the day after 2026-02-28
    assert periods.trailing_window(D(2026, 8, 30)) == (D(2026, 3, 1), D(2026, 8, 30))
    assert periods.trailing_window(D(2026, 10, 19), quarters=1) == (D(2026, 7, 20), D(2026, 10, 19))


def test_trailing_months_of_the_default_filter_range():
    assert periods.trailing_months(D(2026, 11, 16), 18) == (D(2025, 6, 1), D(2026, 11, 30))
    assert periods.trailing_months(D(2026, 1, 5), 1) == (D(2026, 1, 1), D(2026, 1, 31))


def test_day_or_period():
    assert periods.day_or_period("2026-07-15") == D(2026, 7, 15)
    assert periods.day_or_period("2026-02", last=True) == D(2026, 2, 28)
    with pytest.raises(ValueError, match="not a date or a period"):
        periods.day_or_period("2026-02-30")


def test_periods_between_two_days():
    assert periods.between(D(2026, 2, 15), D(2026, 4, 1), "month") == ["2026-02", "2026-03", "2026-04"]
    assert periods.between(D(2026, 3, 31), D(2026, 4, 1), "quarter", fy_start=1) == ["2026-Q1", "2026-Q2"]
    assert periods.between(D(2026, 5, 1), D(2026, 4, 1), "month") == []
    assert periods.between(D(2026, 4, 20), D(2026, 4, 10), "month") == []   # backwards, same month


def test_not_a_period_is_one_sentence():
    with pytest.raises(ValueError, match="'Q5' is not a period: write 2026-11"):
        periods.parse("Q5")
    with pytest.raises(ValueError):
        periods.parse("2026-13")


def test_labels_match_the_sql_macros():
    macros = (ROOT / "intel" / "sql" / "macros" / "periods.sql").read_text()
    con = duckdb.connect()
    for name in ("period_start", "period_label"):
        con.execute(re.search(rf"CREATE OR REPLACE MACRO {name}\(.*?;", macros, re.S).group(0))
    days = [D(2025, 1, 1) + dt.timedelta(days=k) for k in range(0, 800, 9)]
    for fy in range(1, 13):
        for grain in periods.GRAINS:
            got = con.execute("SELECT d, period_start(d, $g, $fy), period_label(period_start(d, $g, $fy), $g, $fy) "
                              "FROM unnest($days) t(d)", {"g": grain, "fy": fy, "days": days}).fetchall()
            assert [(s, lbl) for _, s, lbl in got] == [
                (periods.start_of(d, grain, fy), periods.label(d, grain, fy)) for d, _, _ in got], (grain, fy)


# ---- properties ----

labels = st.one_of(   # up to 9997: the period after must still be a date (year 9999 at most)
    st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(1001, 9997), st.integers(1, 12)),
    st.builds(lambda y, q: f"{y}-Q{q}", st.integers(1001, 9997), st.integers(1, 4)))
fiscal_starts = st.integers(1, 12)


@settings(max_examples=300)
@given(labels, fiscal_starts)
def test_a_label_survives_parse_and_label(text, fy):
    first, grain = periods.parse(text, fy)
    assert periods.label(first, grain, fy) == text


@settings(max_examples=300)
@given(labels, fiscal_starts)
def test_periods_are_contiguous(text, fy):
    first, last, grain = periods.bounds(text, fy)
    following, _, _ = periods.bounds(periods.shift(text, 1, fy), fy)
    assert first <= last and following == last + dt.timedelta(days=1)
    assert periods.previous(periods.shift(text, 1, fy), fy_start=fy) == text


@settings(max_examples=300)
@given(st.dates(D(1001, 1, 1), D(9998, 12, 31)), st.sampled_from(periods.GRAINS), fiscal_starts)
def test_every_day_lies_in_its_period(day, grain, fy):
    first, last, _ = periods.bounds(periods.label(day, grain, fy), fy)
    assert first == periods.start_of(day, grain, fy) and first <= day <= last


@settings(max_examples=300)
@given(st.dates(D(1001, 1, 1), D(9998, 12, 31)), st.integers(1, 8))
def test_a_trailing_window_is_3n_months_ending_on_its_anchor(anchor, quarters):
    first, last = periods.trailing_window(anchor, quarters)
    assert last == anchor
    # it starts after the same day 3N months back (its month's end for a month-end anchor)
    assert periods.add_months(anchor, -3 * quarters) < first
    assert first <= periods.next_month(periods.add_months(anchor, -3 * quarters))
    if anchor == periods.month_end(anchor):
        assert first.day == 1 and periods.add_months(first, 3 * quarters) == anchor + dt.timedelta(days=1)
