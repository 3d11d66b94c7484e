"""Password sign-in: right, wrong, lock-out; hashes only; admin management; single sign-on roles."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from intel import users
from intel.access import Actor, NotAllowed
from tests.conftest import ROOT, rows

ADMIN = Actor("root", "admin")
PASSWORD = "correct horse battery"


@pytest.fixture
def dana(db):
    users.add_user("Dana", "manager", PASSWORD, "Dana Scully", by=ADMIN)
    return "dana"


def test_right_password_signs_in_with_the_role(dana):
    assert users.sign_in("dana", PASSWORD) == Actor("dana", "manager")
    assert users.sign_in("  DANA ", PASSWORD).name == "dana"      # names are case- and space-insensitive


def test_the_password_is_kept_only_as_a_salted_hash(dana):
    users.add_user("erin", "viewer", PASSWORD, by=ADMIN)
    (hash_dana,), (hash_erin,) = rows("SELECT password_hash FROM users WHERE username IN ('dana', 'erin') "
                                      "ORDER BY username")
    assert hash_dana.startswith("$argon2id$") and PASSWORD not in hash_dana
    assert hash_dana != hash_erin                                  # same password, different salt


def test_wrong_password_and_unknown_user_get_the_same_answer(dana):
    with pytest.raises(users.SignInRefused, match="^Wrong user name or password.$"):
        users.sign_in("dana", "not it at all")
    with pytest.raises(users.SignInRefused, match="^Wrong user name or password.$"):
        users.sign_in("nobody", PASSWORD)
    assert rows("SELECT failed_attempts FROM users WHERE username = 'dana'") == [(1,)]


def test_five_failures_lock_the_account_until_the_time_passes_or_an_admin_unlocks(dana, monkeypatch):
    monkeypatch.setenv("SIGHTLINE_LOCKOUT_ATTEMPTS", "5")
    monkeypatch.setenv("SIGHTLINE_LOCKOUT_MINUTES", "15")
    t0 = dt.datetime(2026, 11, 23, 9, 0)
    for _ in range(4):
        with pytest.raises(users.SignInRefused, match="Wrong"):
            users.sign_in("dana", "guess", now=t0)
    with pytest.raises(users.SignInRefused, match="locked for 15 minutes"):
        users.sign_in("dana", "guess", now=t0)                     # the fifth failure locks
    with pytest.raises(users.SignInRefused, match="locked until 09:15"):
        users.sign_in("dana", PASSWORD, now=t0 + dt.timedelta(minutes=5))   # even the right password
    assert users.sign_in("dana", PASSWORD, now=t0 + dt.timedelta(minutes=16)).role == "manager"
    events = users.user_events("dana")["event"].tolist()
    assert events[:3] == ["signed in", "refused: locked", "locked out"] and events.count("wrong password") == 4

    for _ in range(5):                                              # locked again; an admin unlocks
        with pytest.raises(users.SignInRefused):
            users.sign_in("dana", "guess")
    with pytest.raises(users.SignInRefused, match="locked"):
        users.sign_in("dana", PASSWORD)
    users.unlock("dana", by=ADMIN)
    assert users.sign_in("dana", PASSWORD).name == "dana"


def test_a_success_resets_the_failure_count(dana):
    for _ in range(3):
        with pytest.raises(users.SignInRefused):
            users.sign_in("dana", "guess")
    users.sign_in("dana", PASSWORD)
    assert rows("SELECT failed_attempts, locked_until FROM users WHERE username = 'dana'") == [(0, None)]


def test_admin_manages_users(dana):
    users.set_role("dana", "viewer", by=ADMIN)
    assert users.sign_in("dana", PASSWORD).role == "viewer"
    users.set_password("dana", "a brand new secret", by=ADMIN)
    with pytest.raises(users.SignInRefused):
        users.sign_in("dana", PASSWORD)
    assert users.sign_in("dana", "a brand new secret").name == "dana"
    users.disable("dana", by=ADMIN)
    with pytest.raises(users.SignInRefused, match="Wrong"):
        users.sign_in("dana", "a brand new secret")
    assert users.user_actor("dana") is None                         # a signed-in session ends too
    users.enable("dana", by=ADMIN)
    assert users.user_actor("dana") == Actor("dana", "viewer")
    assert "password_hash" not in users.list_users().columns


def test_bad_user_input_is_refused_with_a_reason(db):
    with pytest.raises(ValueError, match="at least 10 characters"):
        users.add_user("erin", "viewer", "short", by=ADMIN)
    with pytest.raises(ValueError, match="2-64 characters"):
        users.add_user("<b>x</b>", "viewer", PASSWORD, by=ADMIN)
    with pytest.raises(ValueError, match="Unknown role"):
        users.add_user("erin", "boss", PASSWORD, by=ADMIN)
    users.add_user("erin", "viewer", PASSWORD, by=ADMIN)
    with pytest.raises(ValueError, match="already a user"):
        users.add_user("ERIN", "admin", PASSWORD, by=ADMIN)
    assert rows("SELECT role FROM users") == [("viewer",)]          # the first entry is untouched


def test_an_admin_cannot_lock_themselves_out(db):
    users.add_user("root", "admin", PASSWORD, by=ADMIN)
    with pytest.raises(ValueError, match="admin role from yourself"):
        users.set_role("root", "viewer", by=ADMIN)
    with pytest.raises(ValueError, match="your own account"):
        users.disable("root", by=ADMIN)


def test_single_sign_on_users_get_their_entry_role_or_the_default(db, monkeypatch):
    users.add_user("ceo@example.com", "manager", by=ADMIN)         # no password: SSO only
    with pytest.raises(users.SignInRefused):
        users.sign_in("ceo@example.com", "")
    assert users.actor_for_email("CEO@example.com") == Actor("ceo@example.com", "manager")
    assert users.actor_for_email("guest@example.com") == Actor("guest@example.com", "viewer")
    monkeypatch.setenv("SIGHTLINE_OIDC_DEFAULT_ROLE", "")
    assert users.actor_for_email("guest@example.com") is None


def test_a_manager_cannot_manage_users(dana):
    with pytest.raises(NotAllowed, match="needs the admin role"):
        users.add_user("erin", "admin", PASSWORD, by=Actor("dana", "manager"))


def test_cli_creates_the_first_admin(tmp_path):
    env = {**os.environ, "SIGHTLINE_DB": str(tmp_path / "u.duckdb")}
    cli = [sys.executable, "-m", "intel", "users"]
    made = subprocess.run(cli + ["add", "Root", "--role", "admin", "--password-stdin"], input=PASSWORD + "\n",
                          cwd=ROOT, env=env, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    listed = subprocess.run(cli + ["list"], cwd=ROOT, env=env, capture_output=True, text=True).stdout
    assert listed.splitlines()[1].startswith("root,,admin,True,0")
    short = subprocess.run(cli + ["add", "x1", "--password-stdin"], input="short\n", cwd=ROOT, env=env,
                           capture_output=True, text=True)
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
