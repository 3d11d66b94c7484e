"""Market data as it is published (one indicator per file) and targets as finance keeps them."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from streamlit.testing.v1 import AppTest

from intel import models, notes
from intel.access import LOCAL_ADMIN as ADMIN
from intel.ingest import detect_kind, import_file
from intel.ingest.load import indicator_name
from intel.ingest.read import open_source
from tests.conftest import FIXTURES, ROOT, rows

REAL = FIXTURES / "real"

# Deals in one region named like a World Bank country, so the market view has bookings beside
# the yearly indicators: won 40 in 2015, won 100 (Jan) + 250 (Jul) = 350 in 2016, one loss.
GERMAN_DEALS = b"""Opportunity ID,Stage,Amount,Close Date,Region
G1,Closed Won,100,2016-01-15,Germany
G2,Closed Won,250,2016-07-01,Germany
G3,Closed Won,40,2015-03-03,Germany
G4,Closed Lost,999,2016-05-05,Germany
"""


def load(name, **kw):
    result = import_file(REAL / name, **kw, by=ADMIN)
    assert result.status == "loaded", result.message
    return result


# ---- market indicators, one per file ----

@pytest.mark.parametrize("name, kind", [
    ("worldbank_gdp.csv", "market"),            # Country Name, Country Code, Year, Value
    ("inflation_cpi.csv", "market"),            # Country, Country Code, Year, Inflation
    ("exchange_rates_monthly.csv", "market"),   # Date, Country, Exchange rate
    ("exchange_rates_daily.csv", "market"),
    ("finance_targets_periods.csv", "targets_forecasts"),
    ("finance_targets_repeated.csv", "targets_forecasts"),
    ("finance_targets_no_quota.csv", None),     # Period, Region, Owner, Amount: not market data
])
def test_published_series_are_detected_as_market(name, kind):
    src = open_source(REAL / name)
    try:
        assert detect_kind(src.headers) == kind
    finally:
        src.close()


def test_world_bank_gdp_loads_whole_as_yearly_gdp_by_country(db):
    result = load("worldbank_gdp.csv")
    # 5 data rows, aggregates ('Euro area', 'World') included, none rejected
    assert (result.rows_loaded, result.rows_rejected) == (5, 0)
    assert result.mapping == {"period": "Year", "region": "Country Name", "value": "Value"}
    got = rows("SELECT region, period, period_grain, indicator, value FROM market ORDER BY region, period")
    assert got == [
        ("Euro area", dt.date(2015, 1, 1), "year", "GDP", 11697000000000.0),
        ("Euro area", dt.date(2016, 1, 1), "year", "GDP", 11968000000000.0),
        ("Germany", dt.date(2015, 1, 1), "year", "GDP", 3357600000000.0),
        ("Germany", dt.date(2016, 1, 1), "year", "GDP", 3469900000000.0),
        ("World", dt.date(2016, 1, 1), "year", "GDP", 76100000000000.0),
    ]
    assert any("'GDP'" in w for w in result.warnings)   # says how the indicator was named


def test_inflation_is_named_from_its_value_column(db):
    result = load("inflation_cpi.csv")
    assert result.rows_loaded == 4
    assert rows("SELECT DISTINCT indicator, period_grain FROM market") == [("Inflation", "year")]
    assert rows("SELECT value FROM market WHERE region = 'Germany' AND period = DATE '2016-01-01'") == [(0.5,)]


def test_exchange_rates_load_as_a_market_indicator_by_month(db):
    monthly = load("exchange_rates_monthly.csv")
    # 6 rows; Japan's March rate is blank in the source: the row loads with no value
    assert (monthly.rows_loaded, monthly.rows_rejected) == (6, 0)
    assert rows("SELECT count(*), count(value) FROM market") == [(6, 5)]
    daily = load("exchange_rates_daily.csv")
    assert daily.rows_loaded == 3
    # the daily file's dates are their months: 2016-01-04 and 2016-01-05 are January, 2016-02-01 February
    got = rows(f"""SELECT period, period_grain, count(*) FROM market WHERE import_id = {daily.import_id}
                   GROUP BY ALL ORDER BY period""")
    assert got == [(dt.date(2016, 1, 1), "month", 2), (dt.date(2016, 2, 1), "month", 1)]
    assert rows("SELECT DISTINCT indicator FROM market") == [("Exchange rate",)]


def test_market_kind_can_be_forced_on_a_world_bank_file(db):
    result = load("worldbank_gdp.csv", kind="market")
    assert result.kind == "market" and result.rows_loaded == 5


@pytest.mark.parametrize("header, file_name, expected", [
    ("Value", "gdp.csv", "GDP"),
    ("Value", "worldbank_gdp_2024-05-01.csv", "GDP"),
    ("Value", "exchange-rates_monthly.csv", "Exchange rates"),
    ("Value", "population.csv.gz", "Population"),
    ("Exchange rate", "daily.csv", "Exchange rate"),
    ("CPI", "cpi.csv", "CPI"),
])
def test_indicator_name_from_the_value_column_or_the_file_name(header, file_name, expected):
    assert indicator_name(header, file_name) == expected


def test_yearly_inflation_move_is_suggested_year_on_year(db):
    import_file(GERMAN_DEALS, "deals.csv", by=ADMIN)
    data = b"Country,Country Code,Year,Inflation\nGermany,DEU,2015,0.5\nGermany,DEU,2016,3.0\n"
    import_file(data, "inflation.csv", by=ADMIN)
    pestel = [s for s in notes.suggestions() if s.framework == "PESTEL"]
    # 0.5 -> 3.0 is +2.5 points in a year, above the 2-point threshold
    assert [(s.scope_value, s.numbers["from"], s.numbers["to"]) for s in pestel] == [("Germany", 0.5, 3.0)]
    assert "in a year" in pestel[0].text


def test_market_view_puts_a_yearly_indicator_beside_the_years_bookings(db):
    import_file(GERMAN_DEALS, "deals.csv", by=ADMIN)
    load("worldbank_gdp.csv")
    view = notes.market_view("Germany")
    got = [(str(p)[:10], g, b, v) for p, g, b, v in view[["period", "period_grain", "bookings", "GDP"]].values]
    # 2015: 40 won; 2016: 100 (Jan) + 250 (Jul) won, the 999 loss does not count
    assert got == [("2015-01-01", "year", 40, 3357600000000.0), ("2016-01-01", "year", 350, 3469900000000.0)]


def test_strategy_page_renders_with_yearly_market_files(db):
    import_file(GERMAN_DEALS, "deals.csv", by=ADMIN)
    for name in ("worldbank_gdp.csv", "inflation_cpi.csv", "exchange_rates_monthly.csv"):
        load(name)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/strategy.py").run()
    assert not at.exception, at.exception
    picked = next(m for m in at.multiselect if m.label == "Indicators")
    # Germany has GDP and Inflation (yearly); the exchange rates are Euro's and Japan's
    assert sorted(picked.options) == ["GDP", "Inflation"] and picked.value == ["GDP", "Inflation"]   # one chart each


# ---- targets as finance keeps them ----

def test_finance_period_spellings_are_read(db):
    result = load("finance_targets_periods.csv")
    # 7 rows; '2011' (row 7) is a whole year, which no target can be compared in
    assert (result.rows_loaded, result.rows_rejected) == (6, 1)
    assert result.rejects[["row", "reason"]].values.tolist() == [
        [7, "period '2011' is a whole year, not a month or quarter"]]
    got = rows("SELECT target, period, period_grain FROM targets_forecasts ORDER BY target")
    assert got == [
        (Decimal("1000.00"), dt.date(2018, 4, 1), "month"),      # Apr-18: 2018, not the year 18
        (Decimal("2000.00"), dt.date(2011, 7, 1), "quarter"),    # Q3 2011
        (Decimal("3000.00"), dt.date(2024, 1, 1), "quarter"),    # FY24 Q1, fiscal year starting January
        (Decimal("4000.00"), dt.date(2011, 7, 1), "month"),      # 2011-07-01
        (Decimal("5000.00"), dt.date(2011, 7, 1), "month"),      # 2011/07
        (Decimal("6000.00"), dt.date(2011, 7, 1), "month"),      # July 2011
    ]


def test_fiscal_quarters_follow_the_fiscal_year_start(db, monkeypatch):
    monkeypatch.setenv("SIGHTLINE_FISCAL_YEAR_START", "4")
    load("finance_targets_periods.csv")
    got = dict(rows("SELECT target, period FROM targets_forecasts WHERE period_grain = 'quarter'"))
    # Fiscal years start in April and are named by the year they start in:
    # FY24 Q1 = April 2024; Q3 of fiscal 2011 = October 2011 (Apr, Jul, Oct, Jan)
    assert got == {Decimal("3000.00"): dt.date(2024, 4, 1), Decimal("2000.00"): dt.date(2011, 10, 1)}


def test_repeated_quota_rows_are_summed_or_rejected_never_dropped(db):
    result = load("finance_targets_repeated.csv")
    # Rows 1, 2, 6: Ann Lee, EMEA, 2026-Q3 in three product lines -> 60,000 + 40,000 + 5,000 = 105,000.
    # Rows 4 and 7 repeat row 3 (Bob Ray, Hardware, 50,000) in every column -> rejected.
    assert (result.rows_loaded, result.rows_rejected) == (3, 2)
    assert result.rejects[["row", "reason"]].values.tolist() == [
        [4, "repeats row 3 exactly (the same value in every column)"],
        [7, "repeats row 3 exactly (the same value in every column)"]]
    summed = [w for w in result.warnings if "summed" in w]
    assert len(summed) == 1 and "Rows 1, 2 and 6" in summed[0] and "105,000.00" in summed[0]
    assert "Product Line" in summed[0]
    models.refresh()
    assert rows("SELECT owner, period, target FROM plan_rows ORDER BY owner, period") == [
        ("Ann Lee", dt.date(2026, 7, 1), Decimal("105000.00")),
        ("Ann Lee", dt.date(2026, 10, 1), Decimal("70000.00")),
        ("Bob Ray", dt.date(2026, 7, 1), Decimal("50000.00")),
    ]


@pytest.mark.parametrize("kind", [None, "targets_forecasts"])
def test_targets_file_without_a_target_column_is_refused(db, kind):
    result = import_file(REAL / "finance_targets_no_quota.csv", kind=kind, by=ADMIN)
    assert result.status == "refused"
    assert result.message == (
        "finance_targets_no_quota.csv cannot be imported as targets and forecast calls: no column holds "
        "the target or the forecast (looked for Target, Quota, Plan, Budget, Target Amount or Quota Amount "
        "for the target, and Commit, Forecast Commit, Best Case, Upside or Pipeline for the forecast). "
        "Its columns are: Period, Region, Owner, Amount.")
    assert rows("SELECT count(*) FROM targets_forecasts") == [(0,)]
    assert rows("SELECT count(*) FROM imports") == [(0,)]
