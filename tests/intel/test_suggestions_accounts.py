"""Strategy suggestions drawn from the accounts: the stances no manager decided (on the account's
SWOT board), the lead source that wins far more often than the others, the owners whose discount
rises. The stores are the Salesforce-shaped fixtures of the pack's Accounts section and of the
discount alert, whose numbers are derived in those files' docstrings:

- tests/intel/test_report_accounts.py: Echo Foods proposed fire, Summit Holdings defend, Quartz
  Labs attack (Acme Corp and Beta LLC maintain); the stance windows end 2026-09-30 (2026-Q3).
  Opportunities created in the suggestions' range (the 18 months to 2026-09-30): Referral 5
  (Summit's 2026 deals: 3 won, 2 lost, 60%), Web 5 (Echo's 2026 deals: 1 won, 4 lost, 20%), the
  rest without a lead source.
- tests/intel/test_alerts_discount.py: Lukas Weber's average discount 10.0% → 13.0% → 16.0% over
  2026-Q1 to 2026-Q3 on 5 discounted wins a quarter, win rate 6/11 = 54.5% → 5/10 = 50.0% → 5/11 =
  45.5%; Maria Lopez +3 then +1 point; Sam Few on 4 discounted wins a quarter (rising_discounts
  reads an owner on half the minimum sample of 10 a quarter: 4 < 5).
"""
from __future__ import annotations

import pytest

from intel import accounts, notes
from intel.access import LOCAL_ADMIN as ADMIN
from intel.ingest import import_file
from intel.views import View
from tests.intel import test_alerts_discount, test_report_accounts


@pytest.fixture
def stances(db):
    assert import_file(test_report_accounts.deals_csv(), "report.csv", as_of="2026-10-01", by=ADMIN).status == "loaded"
    assert import_file(test_report_accounts.ACCOUNTS_CSV, "Account.csv", kind="accounts", by=ADMIN).status == "loaded"
    return db


def from_accounts(found: list[notes.Suggestion]) -> dict[str, notes.Suggestion]:
    return {s.key: s for s in found if s.evidence and s.evidence.view and s.evidence.view.page == "accounts"}


def test_each_proposed_stance_is_suggested_on_the_accounts_board(stances):
    found = from_accounts(notes.suggestions())
    assert list(found) == ["weakness:stance:fire:Echo Foods:2026-Q3", "threat:stance:defend:Summit Holdings:2026-Q3",
                           "opportunity:stance:attack:Quartz Labs:2026-Q3"]     # no lead source: 5 closed < 10
    echo, summit, quartz = found.values()
    assert summit.text == "Summit Holdings: bookings -40% year on year; Fabrikam in 3 of its last 5 deals → defend?"
    assert echo.text == ("Echo Foods: median won cycle 228 days; win rate 33.3%; bookings $5k "
                         "in 12 months (median customer $60k) → fire?")
    assert quartz.text == ("Quartz Labs: share of wallet 6.0% of $1M a year; win rate 100.0% (overall 72.4%); "
                           "bookings +100% → attack?")
    assert [(s.framework, s.category, s.scope_kind, s.scope_value) for s in (echo, summit, quartz)] == [
        ("SWOT", "Weakness", "account", "Echo Foods"), ("SWOT", "Threat", "account", "Summit Holdings"),
        ("SWOT", "Opportunity", "account", "Quartz Labs")]
    assert summit.evidence.view == View("accounts", {})
    assert summit.evidence.figure == ("Bookings $60k · Account: Summit Holdings · 12 months to 2026-09-30 (-40% on "
                                      "the 12 months before)")
    assert summit.evidence.value == 60000


def test_a_decided_stance_is_not_suggested_and_accepting_one_writes_the_account_note(stances):
    accounts.set_stance("Summit Holdings", "defend", "", 0, proposed="defend", by=ADMIN)   # a manager confirms it
    found = from_accounts(notes.suggestions())
    assert "threat:stance:defend:Summit Holdings:2026-Q3" not in found
    note_id = notes.accept_suggestion(found["weakness:stance:fire:Echo Foods:2026-Q3"], by=ADMIN)
    notes.dismiss_suggestion(found["opportunity:stance:attack:Quartz Labs:2026-Q3"], by=ADMIN)
    assert from_accounts(notes.suggestions()) == {}                                  # decided once, not again
    board = notes.notes(scope_kind="account", scope_value="Echo Foods")
    assert board["note_id"].tolist() == [note_id]
    note = board.iloc[0]
    assert (note["framework"], note["category"], note["impact"], note["text"]) == (
        "SWOT", "Weakness", "high", "Echo Foods: median won cycle 228 days; win rate 33.3%; "
                                    "bookings $5k in 12 months (median customer $60k) → fire?")
    cited = notes.Evidence.read(note["evidence"])
    assert cited.view == View("accounts", {}) and cited.value == 5000
    assert cited.figure == "Bookings $5k · Account: Echo Foods · 12 months to 2026-09-30 (+0% on the 12 months before)"


def test_the_lead_source_winning_far_more_often_is_an_opportunity(stances, monkeypatch):
    monkeypatch.setenv("SIGHTLINE_MIN_SAMPLE", "5")       # Referral and Web have 5 closed each
    (found,) = [s for s in notes.suggestions() if s.key.startswith("opportunity:lead_source:")]
    assert found.key == "opportunity:lead_source:Referral:2026-Q3"
    assert found.text == "Referral wins 60% of its deals against 20% for the other sources → shift budget toward it?"
    assert (found.category, found.scope_kind, found.scope_value) == ("Opportunity", "company", "")
    assert found.evidence.view == View("accounts", {"from": "2025-04-01", "to": "2026-09-30"})
    assert found.evidence.figure == ("Win rate 60.0% · Lead source: Referral · opportunities created 2025-04-01 to "
                                     "2026-09-30 (3 won of 5 closed; the other sources 20.0%, 1 of 5)")
    monkeypatch.setenv("SIGHTLINE_MIN_SAMPLE", "6")       # one deal short on each side: nothing to suggest
    assert not [s for s in notes.suggestions() if s.key.startswith("opportunity:lead_source:")]


def test_an_owner_whose_discount_rises_is_a_weakness(db):
    csv = test_alerts_discount.fixture_csv()
    assert import_file(csv, "report.csv", as_of="2026-10-06", by=ADMIN).status == "loaded"
    found = [s for s in notes.suggestions() if s.key.startswith("weakness:discount:")]
    assert [s.key for s in found] == ["weakness:discount:owner:Lukas Weber:2026-Q3"]   # not Maria, not Sam
    lukas = found[0]
    assert lukas.text == ("Lukas Weber: average discount 10.0% → 13.0% → 16.0% from 2026-Q1 to 2026-Q3 (win rate "
                          "54.5% → 50.0% → 45.5%) → hold the approval thresholds and coach value selling?")
    assert (lukas.category, lukas.scope_kind) == ("Weakness", "company")
    assert lukas.evidence.view == View("accounts", {"from": "2026-01-01", "to": "2026-09-30", "owner": ["Lukas Weber"]},
                                       breakdown="owner")
    assert lukas.evidence.value == pytest.approx(0.06)
    notes.accept_suggestion(lukas, by=ADMIN)
    board = notes.notes(scope_kind="company")
    assert board["text"].tolist() == [lukas.text] and board["category"].tolist() == ["Weakness"]
