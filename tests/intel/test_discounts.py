"""Discount governance against answers worked out by hand on tests/fixtures/discount_deals.csv (a
Salesforce report export with a "Discount (%)" column, snapshot 2026-11-16, so 2026-Q4 is still running)
and CurrencyType (accounts_currency_types.csv: 1 USD = 0.5 EUR = 0.25 GBP).

Closed deals, discount in brackets (W won, L lost; amounts in USD):
  quarter  Lukas Weber                 Mara Ruiz                    Ivo Tan
  2026-Q1  L1 W 20k (10%) L2 L (10%)   M1 W 10k (10%) M2 L (none)   I1 W 5k (5%)  I2 L (0%)
  2026-Q2  L3 W 20k (13%) L4 L (30%)   M3 W EUR 5k = 10k (10%)      I3 W 5k (25%) I4 L (31%)
                                       M4 L (10.5%)
  2026-Q3  L5 W 20k (16%) L6 L (0%)    M5 W 10k (10%) M6 L (none)   I5 W 5k (20%) I6 L (40%)
  2026-Q4  L7 W GBP 10k = 40k (35%)
Open: O1 Lukas 80k (28%), O2 Mara 2k (12%), O3 Ivo 60k (none), O4 Ivo without an amount (9%).

Bands (a band holds discounts above its lower end up to its upper end):
  0%          L6 I2                    2 closed, 0 won
  0–10%       L1 L2 M1 M3 M5 I1        6 closed, 5 won, average won (20+10+10+10+5)/5 = 11k, mean 55/6 %
  10–20%      L3 L5 M4 (10.5%) I5 (20%)  4 closed, 3 won, average won 15k, mean 59.5/4 = 14.875%
  20–30%      L4 (30%) I3              2 closed, 1 won, average won 5k, mean 27.5%
  over 30%    L7 I4 (31%) I6           3 closed, 1 won, average won 40k, mean 106/3 %
  (not given) M2 M6                    2 closed, 0 won
Deal-size bands are the quartiles of every amount (22 deals: 2k, 5k ×6, 10k ×6, 20k ×6, 40k, 60k, 80k):
at positions 5.25, 10.5 and 15.75: 5k, 10k, 20k. Approval thresholds (setting 25,20,15,10):
  1 · up to 5k   25%  I1 5 · I3 25 (at the threshold: no breach) · I5 20 · O2 12      4 deals, 0 above
  2 · 5k–10k     20%  M1 M3 M5 10                                                   3 deals, 0 above
  3 · 10k–20k    15%  L1 10 · L3 13 · L5 16                                         3 deals, 1 above (20k)
  4 · over 20k   10%  L7 35 · O1 28                                                 2 deals, 2 above (120k)
  (no amount)    10% (the strictest)  O4 9                                          1 deal, 0 above
Average discount of the deals won per quarter: Lukas 10% → 13% → 16% (+3 points each quarter, win rate 1 of 2
each time), Mara 10% flat, Ivo 5% → 25% → 20%: only Lukas rises in each of the last 2 complete quarters.
"""
from __future__ import annotations

import datetime as dt

import pytest

from intel import accounts, metrics
from intel.access import LOCAL_ADMIN as ADMIN
from intel.filters import ALL_TIME, Filters
from intel.ingest import import_file
from tests.conftest import FIXTURES
from tests.intel.test_catalogue import run_and_check

YEAR = Filters(dt.date(2026, 1, 1), dt.date(2026, 11, 30))
BANDS = ["1 · up to 5k", "2 · 5k–10k", "3 · 10k–20k", "4 · over 20k", "(no amount)"]


@pytest.fixture
def priced(db, monkeypatch):
    monkeypatch.setenv("SIGHTLINE_MIN_SAMPLE", "2")
    for name in ("discount_deals.csv", "accounts_currency_types.csv"):
        result = import_file(FIXTURES / name, as_of="2026-11-16", by=ADMIN)
        assert result.status == "loaded", result.message
    return db


def rows(frame, *key):
    return {tuple(r[k] for k in key) if len(key) > 1 else r[key[0]]: r for r in frame.to_dict("records")}


def test_win_rate_and_average_won_deal_by_discount_band(priced):
    got = rows(metrics.run("discount_bands", YEAR), "discount_band")
    assert list(got) == ["0%", "0–10%", "10–20%", "20–30%", "over 30%", "(not given)"]
    expected = {   # closed, won, average won deal, mean discount
        "0%": (2, 0, None, 0.0),
        "0–10%": (6, 5, 11_000, 0.55 / 6),
        "10–20%": (4, 3, 15_000, 0.14875),
        "20–30%": (2, 1, 5_000, 0.275),
        "over 30%": (3, 1, 40_000, 1.06 / 3),       # L7: GBP 10,000 = $40,000
        "(not given)": (2, 0, None, None),
    }
    for band, (closed, won, average, discount) in expected.items():
        row = got[band]
        assert (row["closed"], row["won"], row["lost"]) == (closed, won, closed - won), band
        assert row["win_rate"] == pytest.approx(won / closed), band
        assert (row["average_won_deal"] != row["average_won_deal"]) if average is None \
            else row["average_won_deal"] == pytest.approx(average), band
        assert (row["avg_discount"] != row["avg_discount"]) if discount is None \
            else row["avg_discount"] == pytest.approx(discount), band
    assert got["0–10%"]["won_amount"] == pytest.approx(55_000)


def test_band_boundaries(priced):
    got = rows(metrics.run("discount_bands", YEAR, dim="owner"), "member", "discount_band")
    # exactly 10% is in 0–10% (Mara's three wins); 10.5% in 10–20% (M4)
    assert (got[("Mara Ruiz", "0–10%")]["closed"], got[("Mara Ruiz", "0–10%")]["avg_discount"]) == (3, pytest.approx(0.10))
    assert (got[("Mara Ruiz", "10–20%")]["closed"], got[("Mara Ruiz", "10–20%")]["avg_discount"]) == (1, pytest.approx(0.105))
    assert got[("Mara Ruiz", "(not given)")]["closed"] == 2                      # M2, M6: no discount value
    # exactly 20% is in 10–20% (I5), 25% in 20–30% (I3), 31% and 40% over 30% (I4, I6), 0% in 0% (I2)
    ivo = {band: (r["closed"], r["won"]) for (owner, band), r in got.items() if owner == "Ivo Tan"}
    assert ivo == {"0%": (1, 0), "0–10%": (1, 1), "10–20%": (1, 1), "20–30%": (1, 1), "over 30%": (2, 0)}
    # exactly 30% is in 20–30% (L4)
    assert (got[("Lukas Weber", "20–30%")]["closed"], got[("Lukas Weber", "20–30%")]["avg_discount"]) == (1, pytest.approx(0.30))
    assert got[("Lukas Weber", "10–20%")]["average_won_deal"] == pytest.approx(20_000)
    assert ("Mara Ruiz", "0%") not in got                                           # no empty cells


def test_approvals_per_deal_size_band(priced):
    got = rows(metrics.run("discount_governance", YEAR), "deal_size_band")
    assert list(got) == BANDS
    expected = {   # threshold, deals, above it, amount above it, mean discount
        "1 · up to 5k": (0.25, 4, 0, 0, 0.155),           # I3 at 25% is not above 25%
        "2 · 5k–10k": (0.20, 3, 0, 0, 0.10),
        "3 · 10k–20k": (0.15, 3, 1, 20_000, 0.13),
        "4 · over 20k": (0.10, 2, 2, 120_000, 0.315),     # L7 won 40k, O1 open 80k
        "(no amount)": (0.10, 1, 0, 0, 0.09),             # held to the strictest threshold
    }
    for band, (threshold, deals, breaches, amount, discount) in expected.items():
        row = got[band]
        assert (row["threshold"], row["deals"], row["breaches"]) == (pytest.approx(threshold), deals, breaches), band
        assert row["breach_share"] == pytest.approx(breaches / deals)
        assert row["breach_amount"] == pytest.approx(amount) and row["avg_discount"] == pytest.approx(discount)
    above = metrics.run("discount_breaches", YEAR)
    assert above["id"].str[-2:].tolist() == ["L7", "O1", "L5"]                    # deepest excess first
    assert above["outcome"].tolist() == ["won", "open", "won"]
    assert above["threshold"].tolist() == pytest.approx([0.10, 0.10, 0.15])
    assert metrics.run("discount_breaches", YEAR, limit=2)["id"].str[-2:].tolist() == ["L7", "O1"]


def test_approval_thresholds_are_a_setting(priced, monkeypatch):
    monkeypatch.setenv("SIGHTLINE_DISCOUNT_APPROVAL", "25, 20, 12, 30")
    assert accounts.approval_thresholds() == {1: 0.25, 2: 0.20, 3: 0.12, 4: 0.30}
    got = rows(metrics.run("discount_governance", YEAR), "deal_size_band")
    assert got["3 · 10k–20k"]["breaches"] == 2                                    # L3 13%, L5 16% above 12%
    assert got["4 · over 20k"]["breaches"] == 1                                   # L7 35% above 30%; O1 28% not
    assert got["(no amount)"]["threshold"] == pytest.approx(0.12)
    assert metrics.run("discount_breaches", YEAR)["id"].str[-2:].tolist() == ["L7", "L5", "L3"]
    run_and_check("discount_governance", YEAR, priced)
    monkeypatch.setenv("SIGHTLINE_DISCOUNT_APPROVAL", "25,20")
    with pytest.raises(ValueError, match="SIGHTLINE_DISCOUNT_APPROVAL is '25,20': write four percentages"):
        metrics.run("discount_governance", YEAR)


def test_average_discount_per_quarter(priced):
    got = rows(metrics.run("average_discount", YEAR, dim="total"), "period")
    assert list(got) == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    q2 = got["2026-Q2"]   # won with a discount: L3 13%, M3 10%, I3 25%; 3 lost
    assert (q2["won_with_discount"], q2["avg_discount"], q2["won"], q2["lost"], q2["win_rate"]) == \
        (3, pytest.approx(0.16), 3, 3, 0.5)
    q1 = got["2026-Q1"]   # M2 lost without a discount counts in the win rate, not in the average
    assert (q1["won_with_discount"], q1["avg_discount"], q1["lost"]) == (3, pytest.approx(0.25 / 3), 3)


def test_the_owner_whose_discount_rises_two_quarters_running(priced, monkeypatch):
    found = accounts.rising_discounts(YEAR)
    assert found["member"].tolist() == ["Lukas Weber"]                            # Q4 is running: left out
    lukas = found.iloc[0]
    assert lukas["quarters"] == "2026-Q1 → 2026-Q3"
    assert lukas["discounts"] == "10.0% → 13.0% → 16.0%" and lukas["win_rates"] == "50.0% → 50.0% → 50.0%"
    assert (lukas["rise"], lukas["win_rate_change"]) == (pytest.approx(0.06), 0.0)
    monkeypatch.setenv("SIGHTLINE_DISCOUNT_RISE", "0.04")                         # 3 points a quarter: not enough
    assert accounts.rising_discounts(YEAR).empty
    monkeypatch.setenv("SIGHTLINE_DISCOUNT_RISE", "0.02")
    monkeypatch.setenv("SIGHTLINE_MIN_SAMPLE", "4")                               # 2 wins a quarter needed, 1 held
    assert accounts.rising_discounts(YEAR).empty


@pytest.mark.parametrize("filters", [YEAR, Filters(*ALL_TIME)], ids=["2026", "all time"])
@pytest.mark.parametrize("name, dim, grain", [
    ("discount_bands", "total", "all"), ("discount_bands", "owner", "all"), ("discount_bands", "deal_size_band", "all"),
    ("average_discount", "total", "quarter"), ("average_discount", "owner", "quarter"),
    ("average_discount", "owner", "month"), ("average_discount", "owner", "all"), ("discount_governance", None, "all"),
])
def test_the_independent_checks_agree_on_the_fixture(priced, filters, name, dim, grain):
    run_and_check(name, filters, priced, dim, grain)
