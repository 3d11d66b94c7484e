"""Lead-source funnel (catalogue entry lead_source_funnel) against answers worked out by hand on
tests/fixtures/funnel_deals.csv (a Salesforce report export, snapshot 2026-07-01) with its stage history
tests/fixtures/funnel_opportunity_history.csv (Salesforce OpportunityHistory) and CurrencyType
(accounts_currency_types.csv: 1 USD = 0.5 EUR, so R2's EUR 10,000 is $20,000).

Created in 2026-01-01..2026-06-30 (W won, L lost, O open; cycle days; follow-up = created → first
stage change, where the first stage is on record within 7 days of creation):
  Referral  R1 W 10k (30 d, follow-up 2) · R2 W EUR 10k = 20k (60 d, 1) · R3 L 5k (first seen 2 days
            after creation, changed 10 days after) · R4 O 15k (one stage only: not measured)
  Web       W1 L 8k (20) · W2 L 4k (first seen 19 days after creation: not measured) · W3 W 6k (90 d, 10)
            W4 L 2k (changed the same day: 0) · W5 O without an amount (no history)
  Partner   P1 W 30k (60 d, 4) · P2 O 20k (3)
  (none)    N1 L 1k (5) · N2 W 3k (20 d, no history)
Outside the range: O1 Referral W 50k created 2025-12-20 (26 d); U1 Web W 7k without a created date.

  source    created  pipeline  share      won lost open  win rate  cycle  avg won  follow-up (on)
  Referral  4        50k       50/124     2   1    1     2/3       45     15k      2 (3)
  Web       5        20k       20/124     1   3    1     1/4       90     6k       10 (3)
  Partner   2        50k       50/124     1   0    1     1         60     30k      3.5 (2)
  (none)    2        4k        4/124      1   1    0     1/2       20     3k       5 (1)
"""
from __future__ import annotations

import datetime as dt

import pytest

from intel import metrics
from intel.access import LOCAL_ADMIN as ADMIN
from intel.filters import ALL_TIME, Filters
from intel.ingest import import_file
from tests.conftest import FIXTURES
from tests.intel.test_catalogue import run_and_check

HALF = Filters(dt.date(2026, 1, 1), dt.date(2026, 6, 30))
COLUMNS = ("created", "created_amount", "won", "lost", "open", "cycle_days", "average_won_deal", "won_amount",
           "follow_up_days", "followed_up", "without_amount")


@pytest.fixture
def funnel(db):
    for name in ("funnel_deals.csv", "funnel_opportunity_history.csv", "accounts_currency_types.csv"):
        result = import_file(FIXTURES / name, as_of="2026-07-01", by=ADMIN)
        assert result.status == "loaded", result.message
    return db


def table(filters=HALF, **params) -> dict:
    frame = metrics.run("lead_source_funnel", filters, **params)
    key = ["member"] if frame["period"].isna().all() else ["member", "period"]
    return {k if len(key) > 1 else k[0]: row for k, row in
            zip(frame[key].itertuples(index=False, name=None), frame.to_dict("records"))}


def test_per_lead_source_by_hand(funnel):
    got = table()
    expected = {   # created, pipeline, won, lost, open, cycle, average won, won amount, follow-up, on, no amount
        "Referral": (4, 50_000, 2, 1, 1, 45, 15_000, 30_000, 2, 3, 0),
        "Web": (5, 20_000, 1, 3, 1, 90, 6_000, 6_000, 10, 3, 1),
        "Partner": (2, 50_000, 1, 0, 1, 60, 30_000, 30_000, 3.5, 2, 0),
        "(none)": (2, 4_000, 1, 1, 0, 20, 3_000, 3_000, 5, 1, 0),     # no lead source
    }
    assert set(got) == set(expected)
    for source, numbers in expected.items():
        assert tuple(got[source][c] for c in COLUMNS) == pytest.approx(numbers), source
        won, lost = numbers[2], numbers[3]
        assert got[source]["win_rate"] == pytest.approx(won / (won + lost))
        assert got[source]["pipeline_share"] == pytest.approx(numbers[1] / 124_000)
    # biggest pipeline first (Partner and Referral tie at 50k: by name)
    assert list(got) == ["Partner", "Referral", "Web", "(none)"]


def test_per_quarter_of_creation(funnel):
    got = table(grain="quarter")
    assert set(got) == {("Referral", "2026-Q1"), ("Web", "2026-Q1"), ("Partner", "2026-Q1"), ("(none)", "2026-Q1"),
                        ("Referral", "2026-Q2"), ("Web", "2026-Q2"), ("Partner", "2026-Q2"), ("(none)", "2026-Q2")}
    q1_web, q2_web = got[("Web", "2026-Q1")], got[("Web", "2026-Q2")]
    assert (q1_web["created"], q1_web["won"], q1_web["lost"], q1_web["follow_up_days"]) == (3, 1, 2, 15)  # W1 20, W3 10
    assert (q2_web["created"], q2_web["open"], q2_web["without_amount"], q2_web["follow_up_days"]) == (2, 1, 1, 0)
    # shares of each quarter's pipeline: Q1 35 + 18 + 30 + 1 = 84k, Q2 15 + 2 + 20 + 3 = 40k
    assert got[("Referral", "2026-Q1")]["pipeline_share"] == pytest.approx(35 / 84)
    assert got[("Partner", "2026-Q2")]["pipeline_share"] == pytest.approx(20 / 40)
    assert got[("Referral", "2026-Q2")]["win_rate"] != got[("Referral", "2026-Q2")]["win_rate"]   # R4 open: none


def test_all_time_takes_deals_created_before_the_range_and_undated(funnel):
    got = table(Filters(*ALL_TIME))
    referral, web = got["Referral"], got["Web"]
    assert (referral["created"], referral["won"], referral["cycle_days"]) == (5, 3, 30)           # + O1: 26 days
    assert referral["average_won_deal"] == pytest.approx(80_000 / 3)
    assert (web["created"], web["won"], web["cycle_days"], web["average_won_deal"]) == (6, 2, 90, 6_500)  # + U1
    assert referral["pipeline_share"] == pytest.approx(100_000 / 181_000)


def test_by_deal_type(funnel):
    got = table(funnel_by="deal_type")
    assert {k: (r["created"], r["won"], r["lost"], r["open"]) for k, r in got.items()} == {
        "New Business": (4, 4, 0, 0), "Renewal": (8, 0, 5, 3), "(none)": (1, 1, 0, 0)}


def test_by_campaign_from_salesforce_primary_campaign_source(funnel):
    got = table(funnel_by="campaign")
    assert {k: r["created"] for k, r in got.items()} == {"Customer referral 2026": 3, "Webinar Q1": 3, "(none)": 7}


def test_a_funnel_choice_outside_the_list_is_refused(funnel):
    with pytest.raises(ValueError, match="Funnel by is one of lead_source, campaign, deal_type"):
        metrics.run("lead_source_funnel", HALF, funnel_by="owner; DROP TABLE deals")


@pytest.mark.parametrize("grain", ["all", "quarter", "month"])
@pytest.mark.parametrize("by", ["lead_source", "deal_type"])
@pytest.mark.parametrize("filters", [HALF, Filters(*ALL_TIME)], ids=["2026-H1", "all time"])
def test_the_independent_check_agrees_on_the_fixture(funnel, grain, by, filters):
    run_and_check("lead_source_funnel", filters, funnel, grain=grain, funnel_by=by)
