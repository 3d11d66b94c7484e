"""The default discount rule: "Average discount up 2 points two quarters running, per owner".

The fixture is a Salesforce opportunity report (its spelling: "Opportunity Owner", "Discount (%)"
written as "12%", blank where a deal carries none). Every deal is 10,000 USD, so every deal is in
deal-size band 1, whose approval threshold is 25% (discount_approval 25,20,15,10). Deals close on
the 15th of the quarter's middle month; one more closes on 2026-10-05, so 2026-Q3 is the last
complete quarter and the rule reads 2026-Q1 → Q2 → Q3. Average discount counts the deals won
with a discount (won_with_discount, the sample); the win rate is won ÷ closed.

  Lukas Weber  Q1  won 10,10,10,10,10 + one won without a discount; lost 5
                   avg 50/5 = 10.0%; win rate 6/11 = 54.5%
               Q2  won 13 ×5; lost 5           avg 13.0% (+3 points); win rate 5/10 = 50.0%
               Q3  won 10,12,14,14,30; lost 6  avg 80/5 = 16.0% (+3 points); win rate 5/11 = 45.5%
               → +3, +3 points, both above +2, each on 5 discounted wins: fires for 2026-Q2, 2026-Q3;
                 L-Q3-5 at 30% is above the 25% threshold (the one deal behind it: the open L-open
                 at 40% is the Accounts page's to list, not the alert's, which is about deals won)
  Maria Lopez  Q1 10% ×5, Q2 13% ×5 (+3), Q3 14% ×5 (+1); lost 5 a quarter
               → the second step is 1 point: does not fire
  Sam Few      Q1 5% ×4, Q2 10% ×4, Q3 15% ×4: +5 points twice, but 4 discounted wins a quarter,
               under the minimum sample of 5: does not fire
"""
from __future__ import annotations

import datetime as dt

import pytest

from intel import alerts
from intel.access import LOCAL_ADMIN as ADMIN
from intel.alerts import Rule
from intel.ingest import import_file
from intel.views import View
from tests.conftest import rows

RULE_NAME = "Average discount up 2 points two quarters running, per owner"
MIDDLE = {"Q1": "02/15/2026", "Q2": "05/15/2026", "Q3": "08/15/2026"}
PLAN = {   # owner -> quarter -> (discounts of the deals won, '' for none; deals lost)
    "Lukas Weber": {"Q1": ([10, 10, 10, 10, 10, ""], 5), "Q2": ([13] * 5, 5), "Q3": ([10, 12, 14, 14, 30], 6)},
    "Maria Lopez": {"Q1": ([10] * 5, 5), "Q2": ([13] * 5, 5), "Q3": ([14] * 5, 5)},
    "Sam Few": {"Q1": ([5] * 4, 4), "Q2": ([10] * 4, 4), "Q3": ([15] * 4, 4)},
}


def fixture_csv() -> bytes:
    lines = ['"Opportunity Owner","Account Name","Opportunity Name","Stage","Amount","Close Date","Created Date",'
             '"Opportunity ID","Discount (%)","Lead Source","Primary Competitor"']
    for owner, quarters in PLAN.items():
        initials = "".join(part[0] for part in owner.split())
        for quarter, (discounts, lost) in quarters.items():
            for i, discount in enumerate(discounts, start=1):
                pct = f"{discount}%" if discount != "" else ""
                lines.append(f'"{owner}","Acme {initials}","{initials[0]}-{quarter}-{i}","Closed Won","USD 10,000.00",'
                             f'"{MIDDLE[quarter]}","01/05/2026","{initials}{quarter}W{i}","{pct}","",""')
            for i in range(1, lost + 1):
                lines.append(f'"{owner}","","{initials[0]}-{quarter}-lost-{i}","Closed Lost","USD 10,000.00",'
                             f'"{MIDDLE[quarter]}","01/05/2026","{initials}{quarter}L{i}","","Web","Fabrikam"')
    lines.append('"Maria Lopez","Acme ML","Tail","Closed Won","USD 10,000.00","10/05/2026","09/01/2026","TAIL","",'
                 '"",""')
    lines.append('"Lukas Weber","Acme LW","L-open","Negotiation/Review","USD 10,000.00","12/15/2026","09/01/2026",'
                 '"LWOPEN","40%","",""')
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def discounts(db):
    loaded = import_file(fixture_csv(), "report.csv", as_of="2026-10-06", by=ADMIN)
    assert loaded.status == "loaded", loaded.message
    return db


def default_rule() -> Rule:
    (rule,) = [r for r in alerts.DEFAULT_RULES if r.name == RULE_NAME]
    return Rule(**{**rule.__dict__})


def test_the_rule_is_a_default_as_the_issue_writes_it():
    rule = default_rule()
    assert (rule.metric, rule.dimension, rule.comparator, rule.threshold, rule.threshold_kind, rule.consecutive,
            rule.grain, rule.min_sample, rule.severity) == (
        "average_discount", "owner", ">", 0.02, "points_vs_previous", 2, "quarter", 5, "medium")
    assert rule.describe() == ("Average discount change vs the period before > +2 points per owner, "
                               "2 consecutive quarters, at least 5 behind each")


def test_fires_on_the_owner_whose_discount_rises_two_quarters_running_and_no_other(discounts):
    found = {b.member: b for b in alerts.test_rule(default_rule())}
    assert list(found) == ["Lukas Weber"]             # Maria: +1 point in Q3; Sam: 4 wins a quarter
    lukas = found["Lukas Weber"]
    assert lukas.periods == ["2026-Q2", "2026-Q3"]
    assert lukas.values == pytest.approx([0.03, 0.03])
    assert lukas.observed == pytest.approx([0.13, 0.16]) and lukas.bases == pytest.approx([0.10, 0.13])
    assert lukas.samples == [5, 5]                    # the won deal without a discount is not in Q1's sample


def test_the_prompt_quotes_the_discounts_the_win_rate_and_the_deals_above_threshold(discounts):
    alerts.ensure_default_rules()
    for rule in alerts.list_rules():                    # only the discount rule on
        alerts.save_rule(Rule(**{**rule.__dict__, "enabled": rule.name == RULE_NAME}), by=ADMIN)
    open_now = alerts.evaluate(today=dt.date(2026, 10, 7), by=ADMIN)
    assert open_now["member"].tolist() == ["Lukas Weber"] and open_now["rule"].tolist() == [RULE_NAME]
    alert = open_now.iloc[0].to_dict()
    rule = alerts.rule_by_id(alert["rule_id"])
    text = alerts.prompt(alert, rule)
    assert text["summary"] == (
        "Lukas Weber: average discount 10.0% in 2026-Q1 → 13.0% in 2026-Q2 → 16.0% in 2026-Q3 "
        "(+3 points, +3 points), above +2 points on the period before for 2 quarters running "
        "(2026-Q2 to 2026-Q3), over 10 deals won with a discount; win rate 50.0% in 2026-Q2 → 45.5% in "
        "2026-Q3: the deeper discount bought no wins. 1 of the 10 deals Lukas Weber won with a discount from "
        "2026-Q2 to 2026-Q3 exceeds its approval threshold: L-Q3-5.")
    questions, actions = " ".join(text["questions"]), " ".join(text["actions"])
    assert "Are approvals being asked for?" in questions and "Which deal sizes" in questions
    assert "competitor" in questions and "50.0% → 45.5%" in questions
    assert "approval thresholds by deal size" in actions and "Audit unauthorised concessions with Lukas Weber, starting with L-Q3-5" \
        in actions and "Coach Lukas Weber on value selling" in actions and "war-game the price move" in actions
    # the evidence: the Accounts page, Lukas's deals, from the quarter the rise started in to the last one
    assert text["views"] == {"Accounts view": View("accounts", {"owner": ["Lukas Weber"], "from": "2026-01-01",
                                                                "to": "2026-09-30"}, "owner")}
    behind = alerts.behind(alert, rule)
    assert behind.count == 1 and behind.frame["name"].tolist() == ["L-Q3-5"]
    assert behind.frame["discount_pct"].tolist() == pytest.approx([0.30])
    assert behind.frame["threshold"].tolist() == pytest.approx([0.25])


def test_a_store_set_up_before_the_rule_gets_it_once(db):
    older = [r for r in alerts.DEFAULT_RULES if r.metric != "average_discount"]
    for rule in older:                                  # the defaults as a store written before issue 17 holds them
        alerts.save_rule(Rule(**{**rule.__dict__}), by=ADMIN)
    alerts.ensure_default_rules()
    added = [r for r in alerts.list_rules() if r.metric == "average_discount"]
    assert [r.name for r in added] == [RULE_NAME] and len(alerts.list_rules()) == len(older) + 1
    alerts.save_rule(Rule(**{**added[0].__dict__, "enabled": False}), by=ADMIN)   # a manager switches it off
    alerts.ensure_default_rules()
    assert rows("SELECT name, enabled FROM alert_rules WHERE metric = 'average_discount'") == [(RULE_NAME, False)]
    assert len(alerts.list_rules()) == len(older) + 1
