"""Win-loss metrics against answers worked out by hand on tests/fixtures/winloss_small.csv.

The fixture (range 2026-01-01..2026-04-30; W0 closed before it, O1 still open):
  Jan  W1 100 EMEA/SMB Fabrikam, W2 300 EMEA/Ent, L1 200 EMEA/SMB Fabrikam Price,
       L2 400 APAC/Ent Contoso "No decision"
  Feb  nothing closed
  Mar  W3 500 APAC/SMB Contoso, L3 100 APAC/SMB Fabrikam Price, L4 50 EMEA/SMB "No decision",
       L5 150 EMEA/Ent Fabrikam "Lost to competitor"
  Apr  W4 250 LATAM/Mid-Market (the only deal of its segment and region)
"""
from __future__ import annotations

import csv
import datetime as dt
import math
import statistics

import pytest

from intel import metrics, signals
from intel.filters import Filters
from intel.ingest import import_file
from intel.access import LOCAL_ADMIN as ADMIN
from tests.conftest import FIXTURES

RANGE = Filters(dt.date(2026, 1, 1), dt.date(2026, 4, 30))


def wilson(k: int, n: int) -> tuple[float, float]:
    """The textbook 95% Wilson score interval, written independently of the SQL macro."""
    z = 1.959964
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


@pytest.fixture
def winloss(db, monkeypatch):
    monkeypatch.setenv("SIGHTLINE_MIN_SAMPLE", "2")
    assert import_file(FIXTURES / "winloss_small.csv", as_of="2026-05-01", by=ADMIN).status == "loaded"
    return db


def by_key(df, key):
    return df.set_index(key).to_dict("index")


def test_win_rate_trend_by_month_with_an_empty_period(winloss):
    trend = by_key(metrics.win_rate_trend(RANGE, "month"), "period")
    assert list(trend) == ["2026-01", "2026-02", "2026-03", "2026-04"]
    jan, feb, mar, apr = trend.values()
    assert (jan["won"], jan["lost"], jan["win_rate"]) == (2, 2, 0.5)          # W1 W2 / L1 L2
    assert jan["win_rate_by_value"] == pytest.approx(400 / 1000)               # (100+300)/(100+300+200+400)
    assert (feb["closed"], feb["win_rate"] != feb["win_rate"]) == (0, True)   # empty: no rate
    assert (mar["won"], mar["lost"], mar["win_rate"]) == (1, 3, 0.25)
    assert mar["win_rate_by_value"] == pytest.approx(500 / 800)
    assert (apr["won"], apr["lost"], apr["win_rate"]) == (1, 0, 1.0)
    assert apr["small_sample"] and not jan["small_sample"]                     # 1 closed < 2
    low, high = wilson(2, 4)
    assert (jan["win_rate_low"], jan["win_rate_high"]) == (pytest.approx(low, abs=1e-4),
                                                           pytest.approx(high, abs=1e-4))


def test_no_decision_switch_takes_those_losses_out_of_both_sides(winloss):
    trend = by_key(metrics.win_rate_trend(RANGE, "month", exclude_no_decision=True), "period")
    assert (trend["2026-01"]["won"], trend["2026-01"]["lost"]) == (2, 1)      # L2 out
    assert trend["2026-03"]["win_rate"] == pytest.approx(1 / 3)               # L4 out
    reasons = metrics.loss_reasons(RANGE, exclude_no_decision=True)
    assert reasons["reason"].tolist() == ["Price", "Lost to competitor"]
    h2h = by_key(metrics.head_to_head(RANGE, exclude_no_decision=True), "competitor")
    assert h2h["Fabrikam"]["presence_in_losses"] == 1.0                      # L1 L3 L5 of 3


def test_quarters_calendar_and_fiscal(winloss, monkeypatch):
    calendar = by_key(metrics.win_rate_trend(RANGE, "quarter"), "period")
    assert list(calendar) == ["2026-Q1", "2026-Q2"]
    assert (calendar["2026-Q1"]["won"], calendar["2026-Q1"]["lost"]) == (3, 5)
    monkeypatch.setenv("SIGHTLINE_FISCAL_YEAR_START", "2")   # fiscal year from February
    fiscal = by_key(metrics.win_rate_trend(RANGE, "quarter"), "period")
    # Nov-Jan is the 4th quarter of the fiscal year begun Feb 2025; Feb-Apr opens FY 2026.
    assert list(fiscal) == ["2025-Q4", "2026-Q1"]
    assert (fiscal["2025-Q4"]["won"], fiscal["2025-Q4"]["lost"]) == (2, 2)
    assert (fiscal["2026-Q1"]["won"], fiscal["2026-Q1"]["lost"]) == (2, 3)


@pytest.mark.parametrize("dim, expected", [
    ("segment", {"SMB": (2, 3), "Enterprise": (1, 2), "Mid-Market": (1, 0)}),
    ("region", {"EMEA": (2, 3), "APAC": (1, 2), "LATAM": (1, 0)}),
    ("competitor", {"Fabrikam": (1, 3), "Contoso": (1, 1), "(none)": (2, 1)}),
    ("owner", {"Ann": (1, 2), "Bob": (1, 1), "Cy": (1, 2), "Dee": (1, 0)}),
    ("lead_source", {"Web": (1, 3), "Partner": (1, 1), "Event": (1, 1), "Referral": (1, 0)}),
])
def test_win_rate_by_dimension(winloss, dim, expected):
    table = by_key(metrics.win_rate_by(dim, RANGE), "member")
    assert {m: (r["won"], r["lost"]) for m, r in table.items()} == expected
    for member, (won, lost) in expected.items():
        assert table[member]["win_rate"] == pytest.approx(won / (won + lost))
        assert table[member]["small_sample"] == (won + lost < 2)


def test_breakdown_sorts_by_win_rate_with_small_samples_last(winloss):
    table = metrics.win_rate_by("segment", RANGE)
    assert table["member"].tolist() == ["SMB", "Enterprise", "Mid-Market"]


def test_deal_size_bands_are_quartiles_of_the_whole_history(winloss):
    amounts = [float(r["Amount"]) for r in csv.DictReader(open(FIXTURES / "winloss_small.csv"))]
    q1, q2, q3 = statistics.quantiles(amounts, n=4, method="inclusive")
    table = by_key(metrics.win_rate_by("deal_size_band", RANGE), "member")
    counted = {}
    for row in csv.DictReader(open(FIXTURES / "winloss_small.csv")):
        if row["Stage"] == "Prospecting" or not "2026-01-01" <= row["Close Date"] <= "2026-04-30":
            continue
        a = float(row["Amount"])
        band = 1 + (a > q1) + (a > q2) + (a > q3)
        won, lost = counted.get(band, (0, 0))
        counted[band] = (won + (row["Stage"] == "Closed Won"), lost + (row["Stage"] == "Closed Lost"))
    got = {int(label.split(" · ")[0]): (r["won"], r["lost"]) for label, r in table.items()}
    assert got == counted


def test_loss_reasons_pareto(winloss):
    reasons = metrics.loss_reasons(RANGE)
    assert reasons["reason"].tolist() == ["No decision", "Price", "Lost to competitor"]
    assert reasons["losses"].tolist() == [2, 2, 1]
    assert reasons["cumulative_share"].tolist() == pytest.approx([0.4, 0.8, 1.0])
    assert reasons["lost_amount"].tolist() == [450, 300, 150]   # L2+L4, L1+L3, L5


def test_head_to_head_and_presence_in_losses(winloss):
    h2h = by_key(metrics.head_to_head(RANGE), "competitor")
    assert (h2h["Fabrikam"]["won"], h2h["Fabrikam"]["lost"]) == (1, 3)
    assert h2h["Fabrikam"]["presence_in_losses"] == pytest.approx(3 / 5)
    assert h2h["Contoso"]["win_rate"] == 0.5 and h2h["Contoso"]["presence_in_losses"] == pytest.approx(1 / 5)
    presence = metrics.competitor_presence_in_losses(RANGE, "month")
    got = {(r.period, r.competitor): (r.losses_naming, r.losses) for r in presence.itertuples()}
    assert got == {("2026-01", "Contoso"): (1, 2), ("2026-01", "Fabrikam"): (1, 2),
                   ("2026-03", "Contoso"): (0, 3), ("2026-03", "Fabrikam"): (2, 3)}


def test_sales_cycle_won_vs_lost(winloss):
    days = {"won": [], "lost": []}
    for row in csv.DictReader(open(FIXTURES / "winloss_small.csv")):
        if row["Stage"].startswith("Closed") and "2026-01-01" <= row["Close Date"] <= "2026-04-30":
            span = (dt.date.fromisoformat(row["Close Date"]) - dt.date.fromisoformat(row["Created Date"])).days
            days["won" if row["Stage"] == "Closed Won" else "lost"].append(span)
    cycle = by_key(metrics.sales_cycle(RANGE), "outcome")
    assert cycle["won"]["median_days"] == statistics.median(days["won"])      # 52.5
    assert cycle["lost"]["median_days"] == statistics.median(days["lost"])    # 41
    assert cycle["won"]["deals"] == 4 and cycle["lost"]["deals"] == 5


def test_global_filters_narrow_every_number(winloss):
    emea = RANGE.with_(region=("EMEA",))
    trend = metrics.win_rate_trend(emea, "month")
    assert (trend["won"].sum(), trend["lost"].sum()) == (2, 3)
    assert metrics.loss_reasons(emea)["losses"].sum() == 3
    assert set(metrics.closed_deals(emea)["id"]) == {"W1", "W2", "L1", "L4", "L5"}


@pytest.mark.parametrize("kwargs, ids", [
    ({"dim": "segment", "member": "SMB"}, {"W1", "L1", "W3", "L3", "L4"}),
    ({"reason": "Price"}, {"L1", "L3"}),
    ({"competitor": "Fabrikam"}, {"W1", "L1", "L3", "L5"}),
    ({"period_start": dt.date(2026, 3, 1)}, {"W3", "L3", "L4", "L5"}),
    ({"dim": "competitor", "member": "(none)"}, {"W2", "L4", "W4"}),
])
def test_drill_down_lists_the_deals_behind_a_number(winloss, kwargs, ids):
    assert set(metrics.closed_deals(RANGE, **kwargs)["id"]) == ids


def test_an_unknown_breakdown_is_refused_before_sql(winloss):
    with pytest.raises(ValueError, match="Unknown breakdown"):
        metrics.win_rate_by("region; DROP TABLE imports", RANGE)


def test_win_rate_by_period_matches_the_trend(winloss):
    grid = metrics.win_rate_by_period("segment", RANGE, "month")
    smb = by_key(grid[grid["member"] == "SMB"], "period")
    assert {p: (r["won"], r["lost"]) for p, r in smb.items()} == {"2026-01": (1, 1), "2026-03": (1, 2)}


def test_falling_segment_signal_on_the_demo(use_demo_db):
    f = Filters(dt.date(2025, 6, 1), dt.date(2026, 11, 30))
    found = signals.falling_win_rates(f)
    assert [s.subject for s in found] == ["SMB"]
    assert found[0].numbers["periods"] == ["2026-08", "2026-09", "2026-10"]
    assert all(rate < 0.2 for rate in found[0].numbers["win_rates"])
    rising = signals.rising_competitors(f)
    assert rising and rising[0].subject == "Fabrikam"
