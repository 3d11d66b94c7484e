"""Roles are enforced by the intel functions themselves: each mutating function refuses every
role below the one it needs and changes nothing, and works for the role it needs."""
from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import shutil

import pytest

from intel import access, alerts, demo, ingest, notes, share, store, users
from intel.access import ROLES, Actor, NotAllowed
from tests.conftest import FIXTURES, rows

ADMIN = Actor("setup", "admin")
SUGGESTION = notes.Suggestion("swot:threat:competitor:Rival", "SWOT", "Threat", "competitor", "Rival",
                              "Rival appears in 40% of our losses.")


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """A store with one of everything a mutation acts on: an import, an open alert, a note,
    a share link and a locked user (closed, so each test can copy it)."""
    path = tmp_path_factory.mktemp("access") / "prepared.duckdb"
    assert ingest.import_file(FIXTURES / "winloss_small.csv", as_of="2026-05-01", db=path, by=ADMIN).ok
    alerts.ensure_default_rules(path)
    cur = store.cursor(path)
    cur.execute("""INSERT INTO alerts (rule_id, member, status, severity, periods, observed, still_firing,
                       first_fired_at, last_evaluated_at)
                   VALUES (1, 'SMB', 'open', 'high', '["2026-04"]', '{}', true, now()::TIMESTAMP,
                           now()::TIMESTAMP)""")
    cur.close()
    notes.add_note(notes.Note("SWOT", "Strength", "Renewals strong"), path, by=ADMIN)
    share.create_link("overview", {}, db=path, by=ADMIN)
    users.add_user("dana", "viewer", "correct horse battery", db=path, by=ADMIN)
    store.close_all()
    return path


@pytest.fixture
def copy(prepared, tmp_path):
    path = tmp_path / "store.duckdb"
    store.close_all()
    shutil.copy(prepared, path)
    yield path
    store.close_all()


def _ids(db):
    return {"import": rows("SELECT min(id) FROM imports", db_path=db)[0][0],
            "alert": rows("SELECT min(id) FROM alerts", db_path=db)[0][0],
            "note": rows("SELECT min(note_id) FROM notes_current", db_path=db)[0][0],
            "link": rows("SELECT min(id) FROM share_links", db_path=db)[0][0]}


# (function, action it needs, call with the store and ids)
MUTATIONS = {
    "ingest.import_file": ("import data", lambda db, i, by: ingest.import_file(
        FIXTURES / "targets_quarterly.csv", db=db, by=by)),
    "ingest.undo_import": ("import data", lambda db, i, by: ingest.undo_import(i["import"], db, by=by)),
    "demo.load_demo": ("import data", None),   # the demo load itself runs in tests/intel/test_demo.py
    "alerts.evaluate": ("evaluate alerts", lambda db, i, by: alerts.evaluate(db, dt.date(2026, 5, 2), by=by)),
    "alerts.check_after_change": ("evaluate alerts", lambda db, i, by: alerts.check_after_change(db, by=by)),
    "alerts.save_rule": ("edit alert rules", lambda db, i, by: alerts.save_rule(
        alerts.Rule("Win rate below 5%", "win_rate", "segment", "<", 0.05), db, by=by)),
    "alerts.acknowledge": ("handle alerts", lambda db, i, by: alerts.acknowledge(i["alert"], "Dana", db, by=by)),
    "alerts.snooze": ("handle alerts", lambda db, i, by: alerts.snooze(i["alert"], dt.date(2026, 6, 1), db,
                                                                       by=by)),
    "alerts.resolve": ("handle alerts", lambda db, i, by: alerts.resolve(i["alert"], "Re-qualified", db, by=by)),
    "notes.add_note": ("edit notes", lambda db, i, by: notes.add_note(
        notes.Note("SWOT", "Threat", "Rival"), db, by=by)),
    "notes.edit_note": ("edit notes", lambda db, i, by: notes.edit_note(i["note"], 1, db, by=by, text="Renewals")),
    "notes.retire_note": ("edit notes", lambda db, i, by: notes.retire_note(i["note"], 1, db, by=by)),
    "notes.delete_note": ("edit notes", lambda db, i, by: notes.delete_note(i["note"], 1, db, by=by)),
    "notes.restore_note": ("edit notes", lambda db, i, by: notes.restore_note(i["note"], 1, db, by=by)),
    "notes.accept_suggestion": ("edit notes", lambda db, i, by: notes.accept_suggestion(SUGGESTION, db, by=by)),
    "notes.dismiss_suggestion": ("edit notes", lambda db, i, by: notes.dismiss_suggestion(SUGGESTION, db, by=by)),
    "share.create_link": ("share views", lambda db, i, by: share.create_link("forecast", {}, db=db, by=by)),
    "share.revoke_link": ("share views", lambda db, i, by: share.revoke_link(i["link"], db, by=by)),
    "users.add_user": ("manage users", lambda db, i, by: users.add_user("erin", "analyst", "long enough pw",
                                                                        db=db, by=by)),
    "users.set_role": ("manage users", lambda db, i, by: users.set_role("dana", "manager", db, by=by)),
    "users.set_password": ("manage users", lambda db, i, by: users.set_password("dana", "another long one", db,
                                                                                by=by)),
    "users.unlock": ("manage users", lambda db, i, by: users.unlock("dana", db, by=by)),
    "users.disable": ("manage users", lambda db, i, by: users.disable("dana", db, by=by)),
    "users.enable": ("manage users", lambda db, i, by: users.enable("dana", db, by=by)),
}


def _fingerprint(db) -> str:
    """A hash of every row of every table: equal before and after means nothing was written."""
    digest = hashlib.sha256()
    for (table,) in rows("SELECT table_name FROM duckdb_tables() ORDER BY table_name", db_path=db):
        digest.update(table.encode())
        for row in rows(f'SELECT * FROM "{table}" ORDER BY ALL', db_path=db):   # names from the catalog
            digest.update(repr(row).encode())
    return digest.hexdigest()


def test_every_function_taking_the_acting_user_is_in_this_table():
    """A new mutating function (one with `by`) must be added here, with its role."""
    found = set()
    for module in (ingest, demo, alerts, notes, share, users):
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            parameter = inspect.signature(fn).parameters.get("by")
            if not name.startswith("_") and parameter is not None and fn.__module__.startswith(module.__name__):
                assert parameter.kind is parameter.KEYWORD_ONLY and parameter.default is parameter.empty, \
                    f"{name}: `by` must be a required keyword"
                found.add(f"{module.__name__.removeprefix('intel.')}.{name}")
    assert found == set(MUTATIONS)


@pytest.mark.parametrize("name, role", [(n, r) for n, (action, _) in MUTATIONS.items() for r in ROLES
                                        if ROLES.index(r) < ROLES.index(access.ACTIONS[action])])
def test_a_role_below_the_one_needed_is_refused_and_nothing_changes(copy, name, role):
    action, call = MUTATIONS[name]
    before = _fingerprint(copy)
    by = Actor("someone", role)
    with pytest.raises(NotAllowed, match=f"someone \\({role}\\) cannot {action}: that needs the "
                                         f"{access.ACTIONS[action]} role"):
        if call is None:
            demo.load_demo(copy, by=by)
        else:
            call(copy, _ids(copy), by)
    assert _fingerprint(copy) == before


def test_nobody_signed_in_is_refused(copy):
    with pytest.raises(NotAllowed, match="sign in first"):
        notes.add_note(notes.Note("SWOT", "Threat", "Rival"), copy, by=None)


@pytest.mark.parametrize("name", [n for n, (_, call) in MUTATIONS.items() if call is not None])
def test_the_role_needed_is_enough_and_is_recorded(copy, name):
    action, call = MUTATIONS[name]
    before = _fingerprint(copy)
    call(copy, _ids(copy), Actor("pat", access.ACTIONS[action]))
    assert _fingerprint(copy) != before
    recorded = {
        "import data": "SELECT imported_by FROM imports ORDER BY id DESC LIMIT 1",
        "edit notes": "SELECT author FROM note_versions ORDER BY saved_at DESC LIMIT 1",
        "handle alerts": "SELECT by_user FROM alert_actions ORDER BY id DESC LIMIT 1",
        "share views": "SELECT created_by FROM share_links ORDER BY created_at DESC LIMIT 1",
        "manage users": "SELECT by_user FROM user_events ORDER BY id DESC LIMIT 1",
    }.get(action)
    if recorded and name not in ("ingest.undo_import", "share.revoke_link", "notes.dismiss_suggestion"):
        assert rows(recorded, db_path=copy)[0][0] == "pat"


def test_roles_are_cumulative():
    assert [r for r in ROLES if Actor("x", r).can("import data")] == ["analyst", "manager", "admin"]
    assert [r for r in ROLES if Actor("x", r).can("edit notes")] == ["manager", "admin"]
    assert [r for r in ROLES if Actor("x", r).can("manage users")] == ["admin"]
    with pytest.raises(ValueError, match="Unknown role"):
        Actor("x", "owner")
