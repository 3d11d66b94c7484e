"""Alert rules: when each must and must not fire, dedupe, snooze expiry, the life cycle.

The win-rate fixture is written below, all deals of 100 closing on the 15th (one on 30 April,
so April is the last complete month):
  Three  Feb 1 won/3 lost, Mar 1/3, Apr 1/3       25% three months running
  Two    Feb 3/1, Mar 1/3, Apr 1/3                 25% only the last two months
  Small  Feb 0/2, Mar 0/2, Apr 0/2                 0%, but 2 deals a month
  Drop   Mar 3/1, Apr 1/3                          75% then 25%: -67% on the month before
"""
from __future__ import annotations

import datetime as dt
import json

import pytest

from intel import alerts
from intel.alerts import Rule
from intel.ingest import import_file
from intel.access import LOCAL_ADMIN as ADMIN
from pages._components.links import with_links
from tests.conftest import FIXTURES, rows

PLAN = {"Three": {2: (1, 3), 3: (1, 3), 4: (1, 3)}, "Two": {2: (3, 1), 3: (1, 3), 4: (1, 3)},
        "Small": {2: (0, 2), 3: (0, 2), 4: (0, 2)}, "Drop": {3: (3, 1), 4: (1, 3)}}


def fixture_csv() -> bytes:
    lines = ["Opportunity ID,Stage,Amount,Created Date,Close Date,Segment"]
    n = 0
    for segment, months in PLAN.items():
        for month, (won, lost) in months.items():
            for outcome, count in (("Closed Won", won), ("Closed Lost", lost)):
                for _ in range(count):
                    n += 1
                    lines.append(f"T{n},{outcome},100,2026-01-01,2026-{month:02d}-15,{segment}")
    lines.append("LAST,Closed Won,100,2026-01-01,2026-04-30,Elsewhere")
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def segments(db):
    assert import_file(fixture_csv(), "winrates.csv", as_of="2026-05-01", by=ADMIN).status == "loaded"
    return db


def fired(rule: Rule) -> dict[str, list[str]]:
    return {b.member: b.periods for b in alerts.test_rule(rule)}


def win_rate_rule(**changes) -> Rule:
    base = dict(name="Win rate below 30%", metric="win_rate", dimension="segment", comparator="<",
                threshold=0.30, consecutive=3, grain="month", min_sample=4, severity="high")
    return Rule(**{**base, **changes})


def test_exactly_three_consecutive_months_fire_and_two_do_not(segments):
    assert fired(win_rate_rule()) == {"Three": ["2026-02", "2026-03", "2026-04"]}
    two = fired(win_rate_rule(consecutive=2))
    assert two == {"Three": ["2026-03", "2026-04"], "Two": ["2026-03", "2026-04"]}  # Drop: 75% in March


def test_minimum_sample_keeps_thin_segments_quiet(segments):
    assert "Small" not in fired(win_rate_rule())
    assert fired(win_rate_rule(min_sample=2))["Small"] == ["2026-02", "2026-03", "2026-04"]


def test_relative_threshold_against_the_period_before(segments):
    rule = win_rate_rule(threshold_kind="vs_previous", threshold=-0.5, consecutive=1, min_sample=4)
    assert fired(rule) == {"Drop": ["2026-04"]}   # 75% -> 25%; Two and Three did not move in April


def only(rule: Rule) -> int:
    """Save `rule` with the default rules in the store but disabled, so only it is evaluated."""
    alerts.ensure_default_rules()
    for r in alerts.list_rules():
        alerts.save_rule(Rule(**{**r.__dict__, "enabled": False}), by=ADMIN)
    return alerts.save_rule(rule, by=ADMIN)


def test_evaluation_dedupes_a_standing_condition(segments):
    only(win_rate_rule())
    alerts.evaluate(today=dt.date(2026, 5, 2), by=ADMIN)
    alerts.evaluate(today=dt.date(2026, 5, 3), by=ADMIN)
    assert rows("SELECT member, status FROM alerts") == [("Three", "open")]
    alert_id = rows("SELECT id FROM alerts")[0][0]
    assert alerts.history(alert_id)["action"].tolist() == ["fired"]


def test_an_import_checks_the_rules_so_a_viewer_sees_the_alert(db):
    from intel.access import Actor
    from intel.ingest import undo_import

    only(win_rate_rule())                      # the rule stands before the data arrives
    analyst = Actor("ana", "analyst")
    loaded = import_file(fixture_csv(), "winrates.csv", as_of="2026-05-01", by=analyst)
    loaded.warnings.extend(alerts.check_after_change(by=analyst))   # what the Data page and CLI do next
    assert loaded.status == "loaded" and not [w for w in loaded.warnings if "alert" in w]
    assert rows("SELECT member, status, still_firing FROM alerts") == [("Three", "open", True)]
    assert rows("SELECT action, by_user FROM alert_actions") == [("fired", "ana")]
    assert alerts.open_alerts()["member"].tolist() == ["Three"]     # what any role reads
    undo_import(loaded.import_id, by=analyst)  # the data behind it is gone: no longer firing
    alerts.check_after_change(by=analyst)
    assert rows("SELECT still_firing FROM alerts") == [(False,)]


def test_snooze_expires_and_resolved_decisions_are_not_asked_again(segments):
    only(win_rate_rule())
    alerts.evaluate(today=dt.date(2026, 5, 2), by=ADMIN)
    alert_id = rows("SELECT id FROM alerts")[0][0]
    alerts.snooze(alert_id, dt.date(2026, 5, 10), by=ADMIN)
    assert alerts.evaluate(today=dt.date(2026, 5, 5), by=ADMIN).empty             # still snoozed
    reopened = alerts.evaluate(today=dt.date(2026, 5, 11), by=ADMIN)
    assert reopened["id"].tolist() == [alert_id] and reopened["status"].tolist() == ["open"]
    with pytest.raises(ValueError, match="Say who owns"):
        alerts.acknowledge(alert_id, "  ", by=ADMIN)
    alerts.acknowledge(alert_id, "Dana", by=ADMIN)
    with pytest.raises(ValueError, match="decision"):
        alerts.resolve(alert_id, "", by=ADMIN)
    alerts.resolve(alert_id, "Re-qualified the segment; new battle card", by=ADMIN)
    assert alerts.evaluate(today=dt.date(2026, 5, 12), by=ADMIN).empty            # same breach, decided
    assert alerts.history(alert_id)["action"].tolist() == ["fired", "snoozed", "reopened", "acknowledged",
                                                           "resolved"]


def test_default_rules_ship_once_and_rules_are_validated(segments):
    alerts.ensure_default_rules()
    alerts.ensure_default_rules()
    assert len(alerts.list_rules()) == len(alerts.DEFAULT_RULES)
    with pytest.raises(ValueError, match="cannot be cut by"):
        alerts.save_rule(win_rate_rule(metric="coverage"), by=ADMIN)


def test_prompt_carries_the_numbers_and_links(segments):
    rule = win_rate_rule()
    rule.id = alerts.save_rule(rule, by=ADMIN)
    breach = alerts.test_rule(rule)[0]
    text = with_links(alerts.prompt({"member": breach.member, "periods": breach.periods,
                                     "observed": {"values": breach.values, "samples": breach.samples,
                                                  "figures": breach.figures}}, rule))
    assert text["summary"].startswith("Three: win rate 25% in 2026-02, 25% in 2026-03, 25% in 2026-04, below 30% "
                                      "for 3 months running (2026-02 to 2026-04)")
    assert any("post-mortems" in a for a in text["actions"])
    assert text["links"]["Win-loss view"] == "/win-loss?segment=Three&from=2026-02-01&to=2026-04-30&by=competitor"


# ---- the other rule types, each on the fixture its metric is tested with ----

def test_forecast_bias_and_bookings_vs_target(db):
    import_file(FIXTURES / "forecast_deals.csv", as_of="2026-06-30", by=ADMIN)
    import_file(FIXTURES / "forecast_targets.csv", by=ADMIN)
    # Ann: Feb forecast 100 vs actual 200 -> bias -50%; March has no actual, so no bias
    assert fired(Rule("bias", "forecast_bias", "owner", "<", -0.3, min_sample=0)) == {"Ann": ["2026-02"]}
    # all: March attainment 0 of a 100 target; with deals behind it required, nothing fires
    assert fired(Rule("att", "bookings_vs_target", "all", "<", 0.5, min_sample=0)) == {"All": ["2026-03"]}
    assert fired(Rule("att", "bookings_vs_target", "all", "<", 0.5, min_sample=1)) == {}


def test_competitor_share_of_losses(db):
    import_file(FIXTURES / "winloss_small.csv", as_of="2026-05-01", by=ADMIN)
    # 2026-Q1 losses L1..L5: Fabrikam in 3 (60%), Contoso in 1
    assert fired(Rule("c", "competitor_loss_share", "competitor", ">", 0.5, grain="quarter",
                      min_sample=5)) == {"Fabrikam": ["2026-Q1"]}


def test_pipeline_rules_coverage_pushes_velocity(db):
    for day in ("2026-10-05", "2026-10-12", "2026-10-19"):
        import_file(FIXTURES / f"pipeline-{day}.csv", by=ADMIN)
    import_file(FIXTURES / "pipeline_targets.csv", by=ADMIN)
    assert fired(Rule("cov", "coverage", "all", "<", 3.0, grain="quarter", min_sample=1)) == {"All": ["2026-10-19"]}
    assert fired(Rule("push", "push_count", "owner", ">=", 2, min_sample=1)) == {"Bob": ["2026-10-19"]}
    # velocity +64% from 2026-10-05 to 2026-10-19 (tests/intel/test_pipeline.py): up fires, down does not
    assert fired(Rule("v", "velocity_change", "all", ">", 0.5, min_sample=4)) == {"All": ["2026-10-19"]}
    assert fired(Rule("v", "velocity_change", "all", "<", -0.2, min_sample=4)) == {}


def test_demo_fires_the_planted_signals_and_not_on_thin_scopes(use_demo_db):
    open_now = alerts.evaluate(by=ADMIN)
    got = {(r["rule"], r["member"]) for r in open_now.to_dict("records")}
    names = {r.metric: r.name for r in alerts.list_rules()}
    assert (names["win_rate"], "SMB") in got
    assert (alerts.DEFAULT_RULES[1].name, "EMEA") in got
    assert (alerts.DEFAULT_RULES[2].name, "Priya Natarajan") in got
    assert (names["competitor_presence_in_losses"], "Fabrikam") in got
    thin = Rule("thin", "win_rate", "owner", "<", 0.99, consecutive=3, min_sample=1000)
    assert alerts.test_rule(thin) == []


def test_acknowledging_and_snoozing_one_alert_at_the_same_moment_both_land(segments):
    import threading

    only(win_rate_rule())
    alerts.evaluate(today=dt.date(2026, 5, 2), by=ADMIN)
    alert_id = rows("SELECT id FROM alerts")[0][0]
    errors = []

    def act(action, gate):
        gate.wait()
        try:
            action()
        except Exception as err:   # noqa: BLE001 - reported by the assertion below
            errors.append(err)

    for _ in range(10):            # ten rounds: the two writes meet on the same row
        gate = threading.Barrier(2)
        threads = [threading.Thread(target=act, args=(lambda: alerts.acknowledge(alert_id, "Dana", by=ADMIN), gate)),
                   threading.Thread(target=act, args=(lambda: alerts.snooze(alert_id, dt.date(2026, 6, 1),
                                                                            by=ADMIN), gate))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == []
    actions = alerts.history(alert_id)["action"].tolist()
    assert actions.count("acknowledged") == 10 and actions.count("snoozed") == 10
    status, owner = rows("SELECT status, owner FROM alerts WHERE id = $i", {"i": alert_id})[0]
    assert owner == "Dana" and status in ("acknowledged", "snoozed")   # whichever landed last


def test_alert_history_lists_periods_as_people_write_them(use_demo_db):
    """The history table reads '2026-Q2, 2026-Q3', not the stored JSON '["2026-Q2", "2026-Q3"]'."""
    alerts.evaluate(by=ADMIN)
    listed = alerts.all_alerts()
    stored = {i: json.loads(p) for i, p in rows("SELECT id, periods FROM alerts")}
    assert len(listed) == len(stored) > 0
    for alert_id, periods in zip(listed["alert"], listed["fired_in"]):
        assert periods == ", ".join(stored[alert_id]) and "[" not in periods


# ---- alerts at deal level: the deals behind them, prompts in the member's own figures ----

# Four weekly snapshots; each deal's close date in each (None: not in that snapshot). A push is a
# move of the close date to a later month (METRICS.md), so:
#   P3 Nov -> Dec -> Jan -> Feb: 3 pushes     P2 Nov, Nov -> Dec -> Jan: 2     P1 Nov -> Dec: 1
#   SM moves within November: 0               PI pulled in (Mar -> Jan -> Dec): 0
#   XC pushed twice, then won at the last snapshot: closed, so behind no push-count alert
PUSH_DAYS = ("2026-10-05", "2026-10-12", "2026-10-19", "2026-10-26")
PUSH_DEALS = {   # id: (name, account, owner, amount, close dates per snapshot, stage at the last)
    "P3": ("Pushed Thrice", "Acme", "Ann", 300, ("2026-11-20", "2026-12-20", "2027-01-20", "2027-02-20"), "Proposal"),
    "P2": ("Pushed Twice", "Birch", "Bob", 200, ("2026-11-10", "2026-11-10", "2026-12-10", "2027-01-10"), "Proposal"),
    "P1": ("Pushed Once", "Cedar", "Ann", 100, ("2026-11-05", "2026-12-05", "2026-12-05", "2026-12-05"), "Prospecting"),
    "SM": ("Same Month", "Dune", "Bob", 50, ("2026-11-01", "2026-11-15", "2026-11-28", "2026-11-30"), "Prospecting"),
    "PI": ("Pulled In", "Elm", "Cy", 500, ("2027-03-01", "2027-01-01", "2026-12-01", "2026-12-01"), "Proposal"),
    "XC": ("Closed After Pushes", "Fir", "Bob", 400, ("2026-11-01", "2026-12-01", "2027-01-01", "2026-10-25"),
           "Closed Won"),
}


def expected_pushes() -> dict[str, int]:
    """Pushes counted from the table above: moves to a later (year, month)."""
    def month(day):
        return (int(day[:4]), int(day[5:7]))

    return {i: sum(month(b) > month(a) for a, b in zip(d[4], d[4][1:])) for i, d in PUSH_DEALS.items()}


@pytest.fixture
def pushed(db):
    for n, day in enumerate(PUSH_DAYS):
        lines = ["Opportunity ID,Opportunity Name,Account Name,Stage,Amount,Created Date,Close Date,Opportunity Owner"]
        for deal_id, (name, account, owner, amount, closes, stage) in PUSH_DEALS.items():
            lines.append(f"{deal_id},{name},{account},{stage if n == 3 else 'Proposal'},{amount},2026-09-01,"
                         f"{closes[n]},{owner}")
        data = ("\n".join(lines) + "\n").encode()
        assert import_file(data, f"pipeline-{day}.csv", by=ADMIN).status == "loaded"
    return db


def test_a_push_count_alert_lists_the_deals_pushed_past_its_line(pushed):
    assert expected_pushes() == {"P3": 3, "P2": 2, "P1": 1, "SM": 0, "PI": 0, "XC": 2}
    only(Rule("Deals pushed twice or more", "push_count", "all", ">=", 2, min_sample=1, severity="low"))
    alerts.evaluate(today=dt.date(2026, 10, 27), by=ADMIN)
    (row,) = alerts.open_alerts(today=dt.date(2026, 10, 27)).to_dict("records")
    rule = alerts.rule_by_id(row["rule_id"])
    # open at the last snapshot with 2 pushes or more: P3 (3) and P2 (2); XC is closed, P1 pushed once
    found = alerts.behind(row, rule)
    assert found.frame[["id", "name", "account", "owner", "amount", "pushes"]].values.tolist() == [
        ["P3", "Pushed Thrice", "Acme", "Ann", 300, 3], ["P2", "Pushed Twice", "Birch", "Bob", 200, 2]]
    assert found.frame["close_date"].astype(str).tolist() == ["2027-02-20", "2027-01-10"]   # the current ones
    assert found.title == "2 open deals pushed 2 times or more at the 2026-10-26 snapshot"
    assert found.view.page == "pipeline"
    text = alerts.prompt(row, rule)
    assert text["summary"] == ("2 open deals pushed 2 times or more at the 2026-10-26 snapshot: "
                               "Pushed Thrice and Pushed Twice.")
    assert any("Review the 2 repeatedly pushed deals" in a for a in text["actions"])
    assert alerts.headline(row, rule) == "Low: 2 open deals pushed 2 times or more at the 2026-10-26 snapshot · open"


def test_a_push_count_alert_per_owner_lists_that_owners_deals(pushed):
    rule = Rule("Pushed twice per owner", "push_count", "owner", ">=", 2, min_sample=1)
    found = {b.member: b for b in alerts.test_rule(rule)}
    assert sorted(found) == ["Ann", "Bob"]          # Ann's most pushed: 3, Bob's: 2 (XC is closed), Cy's: 0
    for owner, ids in (("Ann", ["P3"]), ("Bob", ["P2"])):
        alert = {"member": owner, "periods": found[owner].periods, "observed": {"figures": found[owner].figures}}
        listed = alerts.behind(alert, rule)
        assert listed.frame["id"].tolist() == ids and listed.frame["owner"].unique().tolist() == [owner]
        assert listed.view.filters == {"owner": [owner]}
    more = Rule("Pushed more than twice", "push_count", "all", ">", 2, min_sample=1)
    (breach,) = alerts.test_rule(more)
    listed = alerts.behind({"member": "All", "periods": breach.periods, "observed": {}}, more)
    assert listed.frame["id"].tolist() == ["P3"]


def test_a_win_rate_alert_lists_the_lost_deals_of_its_periods(segments):
    only(win_rate_rule())
    alerts.evaluate(today=dt.date(2026, 5, 2), by=ADMIN)
    (row,) = alerts.open_alerts(today=dt.date(2026, 5, 2)).to_dict("records")
    rule = alerts.rule_by_id(row["rule_id"])
    found = alerts.behind(row, rule)
    # Three lost 3 deals in each of Feb, Mar and Apr (1 won each): 9 lost of 12 closed
    assert found.count == 9 and len(found.frame) == 9
    assert found.frame["close_date"].astype(str).str[:7].value_counts().to_dict() == {
        "2026-02": 3, "2026-03": 3, "2026-04": 3}
    assert found.title == "9 deals Three lost from 2026-02 to 2026-04, largest first"
    text = alerts.prompt(row, rule)
    assert "9 of the 12 deals closed were lost" in text["summary"]
    assert any("the 9 deals Three lost from 2026-02 to 2026-04" in q for q in text["questions"])
    assert any("Three won 1 of 4 closed in 2026-02 (25%) and 1 of 4 closed in 2026-04 (25%)" in q
               for q in text["questions"])
    assert alerts.headline(row, rule) == ("High: Three's win rate below 30% for 3 months running "
                                          "(2026-02 to 2026-04) · open")


# Two regions over-calling 2026-Q3 (a won deal on 2026-10-05 closes the quarter):
#   EMEA won 600 + 400 = 1,000; commit 1,250; target 1,200 -> bias (1250 - 1000) / 1000 = +25%
#   APAC won 400;               commit   600; target   500 -> bias (600 - 400) / 400 = +50%
# Gaps: EMEA 250, APAC 200; attainment EMEA 1000 / 1200 = 83%, APAC 400 / 500 = 80%.
REGION_DEALS = """Opportunity ID,Stage,Amount,Created Date,Close Date,Region,Opportunity Owner
E1,Closed Won,600,2026-05-01,2026-07-10,EMEA,Ann
E2,Closed Won,400,2026-05-01,2026-08-20,EMEA,Ann
A1,Closed Won,400,2026-05-01,2026-09-05,APAC,Cy
Z1,Closed Won,10,2026-05-01,2026-10-05,AMER,Dee
"""
REGION_PLAN = """Period,Region,Segment,Owner,Quota,Commit,Best Case,Submitted At
2026-Q3,EMEA,,,1200,,,
2026-Q3,APAC,,,500,,,
2026-Q3,EMEA,,,,1250,1400,2026-09-20
2026-Q3,APAC,,,,600,700,2026-09-21
"""


def test_two_members_of_one_rule_get_prompts_in_their_own_figures(db):
    assert import_file(REGION_DEALS.encode(), "deals.csv", as_of="2026-10-06", by=ADMIN).status == "loaded"
    assert import_file(REGION_PLAN.encode(), "targets.csv", by=ADMIN).status == "loaded"
    only(Rule("Over-calling region", "forecast_bias", "region", ">", 0.15, grain="quarter", min_sample=1))
    alerts.evaluate(today=dt.date(2026, 10, 7), by=ADMIN)
    found = {r["member"]: r for r in alerts.open_alerts(today=dt.date(2026, 10, 7)).to_dict("records")}
    assert sorted(found) == ["APAC", "EMEA"]
    rule = alerts.rule_by_id(found["EMEA"]["rule_id"])
    emea, apac = alerts.prompt(found["EMEA"], rule), alerts.prompt(found["APAC"], rule)
    assert emea["questions"][0] == ("EMEA called $1.25k and landed $1k in 2026-Q3 (bias +25%): which deals in the "
                                    "commit slipped to a later period or were lost?")
    assert apac["questions"][0] == ("APAC called $600 and landed $400 in 2026-Q3 (bias +50%): which deals in the "
                                    "commit slipped to a later period or were lost?")
    assert "The commit carried $250 more than closed in 2026-Q3" in emea["questions"][1]
    assert "The commit carried $200 more than closed in 2026-Q3" in apac["questions"][1]
    assert "EMEA booked $1k of a $1.2k target in 2026-Q3 (83% attainment)" in emea["questions"][2]
    assert "APAC booked $400 of a $500 target in 2026-Q3 (80% attainment)" in apac["questions"][2]
    assert emea["summary"].startswith("EMEA over-calls: called $1.25k and landed $1k in 2026-Q3 (bias +25%)")
    assert not set(emea["questions"]) & set(apac["questions"])   # no question of one reads as the other's
    assert emea["actions"][0] == ("Review forecast-call discipline in EMEA: commit only deals past the agreed exit "
                                  "criteria ($250 of 2026-Q3's commit did not close).")
    assert apac["actions"][0].endswith("($200 of 2026-Q3's commit did not close).")
    behind = alerts.behind(found["APAC"], rule)
    assert behind.frame[["period", "forecast", "actual", "bias"]].values.tolist() == [["2026-Q3", 600, 400, 0.5]]
    assert behind.view.filters == {"region": ["APAC"]} and behind.view.page == "forecast"


def test_a_sandbagging_prompt_says_what_landed_beyond_the_call(db):
    assert import_file(REGION_DEALS.encode(), "deals.csv", as_of="2026-10-06", by=ADMIN).status == "loaded"
    assert import_file(REGION_PLAN.replace(",1250,", ",800,").encode(), "targets.csv", by=ADMIN).status == "loaded"
    # EMEA now called 800 and landed 1,000: bias (800 - 1000) / 1000 = -20%, 200 beyond the call
    rule = Rule("Sandbagging region", "forecast_bias", "region", "<", -0.15, grain="quarter", min_sample=1)
    (breach,) = alerts.test_rule(rule)
    text = alerts.prompt({"member": breach.member, "periods": breach.periods,
                          "observed": {"values": breach.values, "figures": breach.figures}}, rule)
    assert text["summary"].startswith("EMEA sandbags: called $800 and landed $1k in 2026-Q3 (bias -20%)")
    assert text["actions"][0].startswith("Check the incentives and quota setting in EMEA: $200 landed beyond the "
                                         "call in 2026-Q3")


def test_thresholds_are_typed_and_shown_in_their_unit():
    win = Rule("w", "win_rate", "segment", "<", 0.2)
    assert (alerts.threshold_unit(win), alerts.threshold_typed(win), alerts.threshold_text(win)) == ("%", 20, "20%")
    assert alerts.threshold_from_typed(win, 20) == 0.2 and alerts.threshold_from_typed(win, 12.5) == 0.125
    points = Rule("p", "win_rate", "segment", "<=", -0.1, threshold_kind="points_vs_previous")
    assert (alerts.threshold_unit(points), alerts.threshold_text(points)) == ("points", "-10 points")
    coverage = Rule("c", "coverage", "all", "<", 3.0)
    assert alerts.threshold_unit(coverage) == "×" and alerts.threshold_text(coverage) == "3×"
    assert alerts.threshold_from_typed(coverage, 3) == 3.0
    pushes = Rule("n", "push_count", "all", ">=", 3)
    assert (alerts.threshold_unit(pushes), alerts.threshold_from_typed(pushes, 3)) == ("", 3.0)
    table = alerts.rules_table([Rule(**{**win.__dict__, "id": 1}), Rule(**{**points.__dict__, "id": 2})])
    assert table["threshold"].tolist() == ["< 20%", "<= -10 points on the period before"]
    assert table["over"].tolist() == ["1 month", "1 month"] and table["rule"].tolist() == ["#1", "#2"]
