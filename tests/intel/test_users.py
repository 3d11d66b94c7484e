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


def test_failures_from_one_client_make_that_client_wait_longer_each_time(dana, monkeypatch):
    monkeypatch.setenv("SIGHTLINE_LOCKOUT_ATTEMPTS", "5")
    monkeypatch.setenv("SIGHTLINE_LOCKOUT_MINUTES", "15")
    t0 = dt.datetime(2026, 11, 23, 9, 0)
    for _ in range(4):
        with pytest.raises(users.SignInRefused, match="^Wrong user name or password.$"):
            users.sign_in("dana", "guess", now=t0, client="10.0.0.9")
    with pytest.raises(users.SignInRefused, match="try again after 09:01:00"):
        users.sign_in("dana", "guess", now=t0, client="10.0.0.9")       # the fifth: wait a minute
    with pytest.raises(users.SignInRefused, match="try again after 09:01:00"):
        users.sign_in("dana", PASSWORD, now=t0 + dt.timedelta(seconds=30), client="10.0.0.9")  # even right
    with pytest.raises(users.SignInRefused, match="try again after 09:03:01"):
        users.sign_in("dana", "guess", now=t0 + dt.timedelta(seconds=61), client="10.0.0.9")  # then 2 min
    # Dana herself, at her own desk, is not locked out by whoever guesses from 10.0.0.9
    assert users.sign_in("dana", PASSWORD, now=t0 + dt.timedelta(seconds=62), client="10.0.0.7").role == "manager"
    assert users.sign_in("dana", PASSWORD, now=t0 + dt.timedelta(minutes=4), client="10.0.0.9").role == "manager"
    events = users.user_events("dana")["event"].tolist()
    assert events.count("wrong password") == 4 and "refused: waiting after failures" in events


def test_the_back_off_is_capped_and_an_admin_lifts_it(dana, monkeypatch):
    monkeypatch.setenv("SIGHTLINE_LOCKOUT_ATTEMPTS", "2")
    monkeypatch.setenv("SIGHTLINE_LOCKOUT_MINUTES", "3")
    t = dt.datetime(2026, 11, 23, 9, 0)
    for wait in (None, 1, 2, 3, 3):            # minutes: 2 attempts free, then 1, 2, 4 capped at 3
        with pytest.raises(users.SignInRefused) as refused:
            users.sign_in("dana", "guess", now=t, client="x")
        if wait:
            assert f"try again after {t + dt.timedelta(minutes=wait):%H:%M:%S}" in str(refused.value)
            t += dt.timedelta(minutes=wait, seconds=1)
    with pytest.raises(users.SignInRefused, match="try again"):
        users.sign_in("dana", PASSWORD, now=t - dt.timedelta(minutes=1), client="x")
    users.unlock("dana", by=ADMIN)
    assert users.sign_in("dana", PASSWORD, now=t - dt.timedelta(minutes=1), client="x").name == "dana"


def test_unknown_and_known_names_get_the_same_back_off(dana, monkeypatch):
    monkeypatch.setenv("SIGHTLINE_LOCKOUT_ATTEMPTS", "3")
    t0 = dt.datetime(2026, 11, 23, 9, 0)
    answers = {}
    for name in ("dana", "nobody"):
        answers[name] = []
        for _ in range(4):
            with pytest.raises(users.SignInRefused) as refused:
                users.sign_in(name, "guess", now=t0, client="c")
            answers[name].append(str(refused.value))
    assert answers["dana"] == answers["nobody"]
    assert answers["dana"][0] == "Wrong user name or password." and "try again after" in answers["dana"][3]


def test_a_new_password_or_a_disable_ends_open_sessions(dana):
    epoch = users.session_epoch("dana")
    assert users.user_actor("dana", epoch=epoch) == Actor("dana", "manager")
    users.set_role("dana", "analyst", by=ADMIN)                     # a role change keeps the session
    assert users.user_actor("dana", epoch=epoch) == Actor("dana", "analyst")
    users.set_password("dana", "a brand new secret", by=ADMIN)
    assert users.user_actor("dana", epoch=epoch) is None            # signed out: sign in again
    epoch = users.session_epoch("dana")
    assert users.user_actor("dana", epoch=epoch) is not None
    users.disable("dana", by=ADMIN)
    users.enable("dana", by=ADMIN)
    assert users.user_actor("dana", epoch=epoch) is None


def test_sign_ins_at_the_same_moment_all_count(dana, monkeypatch):
    import threading

    monkeypatch.setenv("SIGHTLINE_LOCKOUT_ATTEMPTS", "100")
    outcomes, errors = [], []

    def attempt(password):
        try:
            outcomes.append(users.sign_in("dana", password, client="same browser").name)
        except users.SignInRefused:
            outcomes.append("refused")
        except Exception as err:   # noqa: BLE001 - reported by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=attempt, args=("guess",)) for _ in range(8)]
    threads += [threading.Thread(target=attempt, args=(PASSWORD,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and sorted(outcomes) == ["dana"] * 2 + ["refused"] * 8
    assert users.user_events("dana")["event"].tolist().count("wrong password") == 8


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


def test_cli_role_without_a_role_is_refused_and_changes_nothing(tmp_path):
    env = {**os.environ, "SIGHTLINE_DB": str(tmp_path / "u.duckdb")}
    cli = [sys.executable, "-m", "intel", "users"]
    subprocess.run(cli + ["add", "dana", "--role", "manager", "--sso"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    forgot = subprocess.run(cli + ["role", "dana"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert forgot.returncode == 2 and forgot.stdout == ""
    assert forgot.stderr.strip() == ("users role needs --role, one of viewer, analyst, manager, admin: "
                                     "python -m intel users role dana --role ROLE")
    listed = subprocess.run(cli + ["list"], cwd=ROOT, env=env, capture_output=True, text=True).stdout
    assert listed.splitlines()[1].startswith("dana,,manager,")
