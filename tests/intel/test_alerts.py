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
                                     "observed": {"values": breach.values, "samples": breach.samples}}, rule))
    assert "Three: win rate 2026-02 25%, 2026-03 25%, 2026-04 25%" in text["summary"]
    assert any("post-mortems" in a for a in text["actions"])
    assert text["links"]["Win-loss view"].startswith("/win-loss?segment=Three&from=2026-02-01")


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
    for alert_id, periods in zip(listed["id"], listed["periods"]):
        assert periods == ", ".join(stored[alert_id]) and "[" not in periods
