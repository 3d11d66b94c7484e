"""The store says whether the alerts are those of the current data, rules and day, so the pages
need not evaluate again what an import evaluated (alerts.evaluated, issue 18)."""
from __future__ import annotations

import datetime as dt

import pytest

from intel import alerts, background
from intel.access import LOCAL_ADMIN as ADMIN
from intel.ingest import import_file, undo_import
from tests.conftest import rows
from tests.intel.test_alerts import fixture_csv, only, win_rate_rule

TODAY = dt.date(2026, 11, 25)


def test_an_evaluation_is_recorded_for_its_data_rules_and_day(db):
    only(win_rate_rule())                      # Three: under 30% in Feb, Mar and Apr
    loaded = import_file(fixture_csv(), "winrates.csv", as_of="2026-05-01", by=ADMIN)
    assert loaded.status == "loaded"
    assert not alerts.evaluated(today=TODAY)   # nothing evaluated yet
    alerts.evaluate(today=TODAY, by=ADMIN)
    assert rows("SELECT member FROM alerts") == [("Three",)]
    assert alerts.evaluated(today=TODAY)
    assert not alerts.evaluated(today=TODAY + dt.timedelta(days=1))   # a new day: snoozes may end
    # an undo changes the data: the alerts in the store are no longer its alerts
    undo_import(loaded.import_id, by=ADMIN)
    assert not alerts.evaluated(today=TODAY)
    alerts.evaluate(today=TODAY, by=ADMIN)
    assert alerts.evaluated(today=TODAY) and rows("SELECT still_firing FROM alerts") == [(False,)]


def test_a_rule_saved_or_new_data_asks_for_a_new_evaluation(db):
    rule_id = only(win_rate_rule())
    import_file(fixture_csv(), "winrates.csv", as_of="2026-05-01", by=ADMIN)
    alerts.evaluate(today=TODAY, by=ADMIN)
    assert alerts.evaluated(today=TODAY)
    alerts.save_rule(win_rate_rule(threshold=0.2, id=rule_id), by=ADMIN)
    assert not alerts.evaluated(today=TODAY)
    alerts.evaluate(today=TODAY, by=ADMIN)
    assert alerts.evaluated(today=TODAY)
    more = import_file(fixture_csv().replace(b"T1,", b"N1,"), "more.csv", as_of="2026-05-08", by=ADMIN)
    assert more.status == "loaded"             # the next weekly snapshot
    assert not alerts.evaluated(today=TODAY)


def test_the_check_after_an_import_records_the_evaluation(db):
    only(win_rate_rule())
    import_file(fixture_csv(), "winrates.csv", as_of="2026-05-01", by=ADMIN)
    assert alerts.check_after_change(by=ADMIN) == []
    assert alerts.evaluated()                  # today, as the pages ask


def test_a_new_day_on_the_same_data_reopens_ended_snoozes_without_running_the_rules_again(db, monkeypatch):
    only(win_rate_rule())
    import_file(fixture_csv(), "winrates.csv", as_of="2026-05-01", by=ADMIN)
    alerts.evaluate(today=TODAY, by=ADMIN)
    (alert_id,) = rows("SELECT id FROM alerts")[0]
    alerts.snooze(alert_id, TODAY + dt.timedelta(days=1), by=ADMIN)
    ran = []
    original = alerts.test_rule
    monkeypatch.setattr(alerts, "test_rule", lambda *a, **k: (ran.append(a[0].name), original(*a, **k))[1])
    alerts.evaluate(today=TODAY + dt.timedelta(days=1), by=ADMIN)   # the snooze's last day has come
    assert ran == []                                                   # the data did not change
    assert rows("SELECT status, snoozed_until FROM alerts") == [("open", None)]
    assert rows("SELECT action, note FROM alert_actions WHERE alert_id = $i ORDER BY id DESC LIMIT 1",
                {"i": alert_id}) == [("reopened", f"snooze ended {TODAY + dt.timedelta(days=1)}")]
    assert alerts.evaluated(today=TODAY + dt.timedelta(days=1))
    # the same day forced again, or new data, runs the rules
    import_file(fixture_csv(), "winrates-again.csv", as_of="2026-05-02", by=ADMIN)
    alerts.evaluate(today=TODAY + dt.timedelta(days=1), by=ADMIN)
    assert ran


def test_a_check_in_the_background_records_once_and_a_visit_meanwhile_waits_for_it(db, monkeypatch):
    import threading

    only(win_rate_rule())
    import_file(fixture_csv(), "winrates.csv", as_of="2026-05-01", by=ADMIN)
    ran, release = [], threading.Event()
    original = alerts.test_rule

    def slow(rule, *args, **kwargs):   # the check holds on until the visit has started waiting
        ran.append(rule.id)
        release.wait(30)
        return original(rule, *args, **kwargs)

    monkeypatch.setattr(alerts, "test_rule", slow)
    assert alerts.check_after_change(by=ADMIN, background=True) == []   # returns before the rules ran
    assert alerts.checking()
    visit = threading.Thread(target=lambda: alerts.evaluate(by=ADMIN, again=False))   # a page's evaluation
    visit.start()
    visit.join(0.3)
    assert visit.is_alive()                    # waiting for the check, not evaluating beside it
    release.set()
    visit.join(30)
    background.wait(30)
    assert not alerts.checking() and len(ran) == 1            # the rules ran once
    assert rows("SELECT member FROM alerts") == [("Three",)]  # one alert, not two
    assert alerts.evaluated()


def test_a_check_in_the_background_that_fails_leaves_the_next_visit_to_evaluate(db, monkeypatch):
    only(win_rate_rule())
    import_file(fixture_csv(), "winrates.csv", as_of="2026-05-01", by=ADMIN)
    monkeypatch.setattr(alerts, "ensure_default_rules", lambda db=None: 1 / 0)
    alerts.check_after_change(by=ADMIN, background=True)
    background.wait(30)
    assert not alerts.evaluated()


@pytest.mark.parametrize("in_background", [True, False])
def test_a_check_leaves_the_default_landing_kept_and_lets_the_deals_go(db, monkeypatch, in_background):
    """After the check (the app's upload in the background, the command line waiting for it) the
    default landing's Outline is kept, so the Overview's tile and the Forecast page read it without
    projecting, and the process no longer holds the deals' states."""
    from intel import landing, metrics, store
    from intel.filters import Filters, default_range
    from tests.conftest import FIXTURES

    assert import_file(FIXTURES / "salesforce_report.csv", by=ADMIN).status == "loaded"   # a snapshot
    alerts.check_after_change(by=ADMIN, background=in_background)
    background.wait(60)
    assert rows("SELECT count(*) FROM kept_frames WHERE kind = 'landing_outline'")[0][0] >= 1
    assert store._key(None) not in landing._SHARED
    monkeypatch.setattr(landing.Projector, "project", lambda *a, **k: pytest.fail("worked out again"))
    tile = metrics.run("landing", Filters(*default_range()), dim="total")
    assert tile["member"].tolist() == ["All"]
    label, day = landing.default_period("quarter")
    assert landing.outline(Filters(*default_range()), label, day).p50 == tile["p50"].iloc[0]


@pytest.mark.parametrize("in_background", [True, False])
def test_a_check_keeps_what_the_first_visits_read(db, monkeypatch, in_background):
    """The Overview's currency coverage and loaded data, and the Accounts page's proposals, kept by
    the check after an import: a fresh server's first visit reads them instead of working them out."""
    from intel import accounts, holdings, store
    from intel.filters import Filters, default_range
    from tests.conftest import FIXTURES

    assert import_file(FIXTURES / "salesforce_report.csv", by=ADMIN).status == "loaded"
    expected = {"coverage": holdings.currency_coverage(), "summary": holdings.loaded_summary(),
                "stance": accounts.account_stance(Filters(*default_range()))}
    assert len(expected["stance"]) and len(expected["coverage"])
    rows("DELETE FROM kept_frames")                         # as a fresh import leaves them
    accounts._cache.clear()                                  # and this process: new data, nothing held
    alerts.check_after_change(by=ADMIN, background=in_background)
    background.wait(60)
    kinds = {k for (k,) in rows("SELECT DISTINCT kind FROM kept_frames")}
    assert {"currency_coverage", "loaded_summary", accounts.KEPT} <= kinds
    store.close_all()
    accounts._cache.clear()                                  # a fresh server: read from the store
    with monkeypatch.context() as m:   # read back, never worked out again
        m.setattr(store, "query_sql", lambda *a, **k: pytest.fail("worked out again"))
        m.setattr(accounts, "account_facts", lambda *a, **k: pytest.fail("worked out again"))
        assert store.kept_query("currency_coverage").equals(expected["coverage"])
        pd_equal = accounts.account_stance(Filters(*default_range()))
    assert pd_equal[["account", "proposed"]].equals(expected["stance"][["account", "proposed"]])
    assert holdings.loaded_summary()["kind"].tolist() == expected["summary"]["kind"].tolist()
