"""When the pages evaluate the alert rules (AppTest): the import that brings the data evaluates
them and the store says so; a fresh server's first visit then reads what is recorded rather than
evaluating again (about 9 s at 1M deals); a new day or a click on "Evaluate the rules now"
evaluates; a viewer never does (issue 18)."""
from __future__ import annotations

import datetime as dt

import pytest

from intel import alerts
from intel.access import LOCAL_ADMIN as ADMIN
from intel.ingest import import_file
from tests.conftest import rows
from tests.intel.test_alerts import fixture_csv, only, win_rate_rule
from tests.pages.test_pages import app


@pytest.fixture
def evaluations(monkeypatch):
    """The days alerts.evaluate is called for, from this test on; each page visit after a cleared
    cache is a fresh server's first."""
    from pages._components.data import _evaluate

    calls, real = [], alerts.evaluate

    def counted(db=None, today=None, *, by, again=True):
        calls.append(today)
        return real(db, today, by=by, again=again)

    monkeypatch.setattr(alerts, "evaluate", counted)
    _evaluate.clear()
    yield calls
    _evaluate.clear()


def imported(db) -> None:
    """The win-rate fixture imported and checked as the command line, the Data page and the demo
    loader do: Three fires (under 30% in February, March and April, tests/intel/test_alerts.py)."""
    only(win_rate_rule())
    assert import_file(fixture_csv(), "winrates.csv", as_of="2026-05-01", by=ADMIN).status == "loaded"
    assert alerts.check_after_change(by=ADMIN) == []


def test_a_fresh_visit_after_an_import_reads_the_alerts_it_recorded(db, evaluations):
    imported(db)
    evaluations.clear()                                # the import's own evaluation is not the page's
    at = app()                                         # the Overview, a fresh server's first visit
    assert evaluations == []
    assert any(h.value == "Open alerts (1)" for h in at.subheader)
    at.switch_page("pages/alerts.py").run()
    assert not at.exception, at.exception
    assert evaluations == []
    (listed,) = [d.value for d in at.dataframe if "headline" in d.value.columns]
    assert listed["scope"].tolist() == ["Segment: Three"]


def test_a_day_later_the_first_visit_evaluates_again(db, evaluations):
    imported(db)
    yesterday = dt.date.today() - dt.timedelta(days=1)
    alerts.evaluate(today=yesterday, by=ADMIN)         # what the store holds was evaluated yesterday
    evaluations.clear()
    app()
    assert evaluations == [dt.date.today()]
    app("pages/alerts.py")                             # the same day on this server: not again
    assert evaluations == [dt.date.today()]


def test_evaluate_the_rules_now_evaluates_even_when_the_store_is_up_to_date(db, evaluations):
    imported(db)
    evaluations.clear()
    at = app("pages/alerts.py")
    assert evaluations == []
    at.button(key="al_evaluate").click().run()
    assert not at.exception, at.exception
    assert evaluations == [dt.date.today()]
    assert rows("SELECT count(*) FROM alert_actions WHERE action = 'fired'") == [(1,)]   # the same alert, kept


def test_a_viewer_reads_stale_alerts_without_evaluating(db, evaluations, monkeypatch):
    from intel import users
    from tests.pages.test_pages_access import PASSWORD, sign_in, started

    imported(db)
    alerts.evaluate(today=dt.date.today() - dt.timedelta(days=1), by=ADMIN)   # stale: yesterday's
    evaluations.clear()
    monkeypatch.setenv("SIGHTLINE_AUTH", "password")
    users.add_user("vic", "viewer", PASSWORD, by=ADMIN)
    at = sign_in(started(), "vic", PASSWORD)
    assert at.title[0].value == "Overview" and any(h.value == "Open alerts (1)" for h in at.subheader)
    at.switch_page("pages/alerts.py").run()
    assert not at.exception, at.exception
    assert evaluations == []                           # evaluating records alerts: not a viewer's to do


def test_resolving_the_alert_read_returns_to_the_first_high_one(use_demo_db):
    at = app("pages/alerts.py")
    (listed,) = [d.value for d in at.dataframe if "headline" in d.value.columns]
    chosen = int(listed["alert"].iloc[1])                  # the second alert listed
    at.selectbox(key="url_al_alert").set_value(chosen).run()
    at.text_area(key=f"al_note_{chosen}").set_value("Extra coverage agreed with the APAC lead")
    at.button(key=f"al_resolve_{chosen}").click().run()
    assert not at.exception, at.exception
    assert f"Alert #{chosen} resolved." in at.success[0].value.replace("\\", "")
    (after,) = [d.value for d in at.dataframe if "headline" in d.value.columns]
    assert chosen not in after["alert"].tolist() and len(after) == len(listed) - 1
    assert at.selectbox(key="url_al_alert").value == int(listed["alert"].iloc[0])   # the first high one
    assert at.query_params["al_alert"] == str(listed["alert"].iloc[0])
    assert not [i for i in at.info if "Ignored from the link" in i.value]
    assert rows("SELECT status, resolution FROM alerts WHERE id = $i", {"i": chosen}) == [
        ("resolved", "Extra coverage agreed with the APAC lead")]


def test_a_row_picked_then_another_alert_chosen_leaves_no_row_ticked_and_the_row_counts_again(use_demo_db):
    at = app("pages/alerts.py")
    (listed,) = [d.value for d in at.dataframe if "headline" in d.value.columns]
    ids = [int(i) for i in listed["alert"]]
    assert len(ids) >= 3
    at.session_state["al_table_0"] = {"selection": {"rows": [1], "columns": []}}   # the second row ticked
    at.run()
    assert at.selectbox(key="url_al_alert").value == ids[1] and at.query_params["al_alert"] == str(ids[1])
    at.selectbox(key="url_al_alert").set_value(ids[2]).run()                      # another, chosen below
    assert at.selectbox(key="url_al_alert").value == ids[2]
    # the table is drawn afresh (a new key), so the second row no longer reads as the one shown
    assert "al_table_1" not in at.session_state or not at.session_state["al_table_1"]["selection"]["rows"]
    at.session_state["al_table_1"] = {"selection": {"rows": [1], "columns": []}}   # the same row, again
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="url_al_alert").value == ids[1]
