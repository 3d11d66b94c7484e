"""Users of sign-in mode `password` (and the roles of `oidc` users), kept in the store.

Passwords are hashed with Argon2id (argon2-cffi: a random salt per hash, stored inside it)
and never kept or logged as text. After `lockout_attempts` consecutive failures an account
is locked for `lockout_minutes`; an admin can unlock it or set a new password. Wrong user and
wrong password get the same answer, and an unknown user costs a hash too, so the sign-in
form does not tell which names exist.
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from intel import config, store
from intel.access import ROLES, Actor, require

MIN_PASSWORD = 10
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password anyone has")   # verified against for unknown names
_NAME = re.compile(r"^[a-z0-9][a-z0-9._@+-]{1,63}$")


class SignInRefused(Exception):
    """Sign-in failed; the message is what the person at the form reads."""


def _clean_name(username: str) -> str:
    name = (username or "").strip().lower()
    if not _NAME.match(name):
        raise ValueError("A user name is 2-64 characters: letters, digits and . _ @ + - "
                         "(an e-mail address for single sign-on users).")
    return name


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"Unknown role '{role}': choose one of {', '.join(ROLES)}.")


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise ValueError(f"A password needs at least {MIN_PASSWORD} characters.")


def _event(cur, username: str, event: str, by: str | None) -> None:
    cur.execute("INSERT INTO user_events (event_at, username, event, by_user) VALUES (now()::TIMESTAMP, $u, $e, $b)",
                {"u": username, "e": event, "b": by})


def _exists(cur, username: str) -> bool:
    return cur.execute("SELECT count(*) FROM users WHERE username = $u", {"u": username}).fetchone()[0] > 0


def has_users(db=None) -> bool:
    cur = store.cursor(db)
    try:
        return cur.execute("SELECT count(*) FROM users WHERE NOT disabled").fetchone()[0] > 0
    finally:
        cur.close()


def add_user(username: str, role: str, password: str | None = None, display_name: str | None = None,
             db=None, *, by: Actor) -> str:
    """Create a user (as `by`, an admin). Without a password the user can only come in
    through single sign-on (oidc), under this name as their e-mail address."""
    require(by, "manage users")
    name = _clean_name(username)
    _check_role(role)
    if password is not None:
        _check_password(password)
    with store.transaction(db) as cur:
        if _exists(cur, name):
            raise ValueError(f"There is already a user '{name}'.")
        cur.execute("""INSERT INTO users (username, display_name, role, password_hash, created_at, created_by)
                       VALUES ($u, $d, $r, $h, now()::TIMESTAMP, $by)""",
                    {"u": name, "d": (display_name or "").strip() or None, "r": role,
                     "h": _hasher.hash(password) if password is not None else None, "by": by.name})
        _event(cur, name, f"created as {role}", by.name)
    return name


def _change(username: str, by: Actor, event: str, sql: str, params: dict, db) -> None:
    """One fixed UPDATE on an existing user, recorded."""
    require(by, "manage users")
    name = (username or "").strip().lower()
    with store.transaction(db) as cur:
        if not _exists(cur, name):
            raise ValueError(f"There is no user '{name}'.")
        cur.execute(sql, {**params, "u": name})
        _event(cur, name, event, by.name)


def set_role(username: str, role: str, db=None, *, by: Actor) -> None:
    require(by, "manage users")
    _check_role(role)
    if by.name == (username or "").strip().lower() and role != "admin":
        raise ValueError("You cannot take the admin role from yourself: ask another admin.")
    _change(username, by, f"role set to {role}", "UPDATE users SET role = $r WHERE username = $u",
            {"r": role}, db)


def set_password(username: str, password: str, db=None, *, by: Actor) -> None:
    """A new password (set by an admin); it also lifts a lock-out."""
    _check_password(password)
    _change(username, by, "password set",
            "UPDATE users SET password_hash = $h, failed_attempts = 0, locked_until = NULL WHERE username = $u",
            {"h": _hasher.hash(password)}, db)


def unlock(username: str, db=None, *, by: Actor) -> None:
    _change(username, by, "unlocked",
            "UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE username = $u", {}, db)


def disable(username: str, db=None, *, by: Actor) -> None:
    """The user can no longer sign in; their name stays on what they wrote."""
    require(by, "manage users")
    if by.name == (username or "").strip().lower():
        raise ValueError("You cannot disable your own account.")
    _change(username, by, "disabled", "UPDATE users SET disabled = true WHERE username = $u", {}, db)


def enable(username: str, db=None, *, by: Actor) -> None:
    _change(username, by, "enabled", "UPDATE users SET disabled = false WHERE username = $u", {}, db)


def list_users(db=None) -> pd.DataFrame:
    """Users with role and state (never their hashes)."""
    cur = store.cursor(db)
    try:
        return cur.execute(
            """SELECT username, display_name, role, password_hash IS NOT NULL AS has_password,
                      failed_attempts, locked_until, disabled, created_at, created_by
               FROM users ORDER BY username""").df()
    finally:
        cur.close()


def user_events(username: str | None = None, db=None) -> pd.DataFrame:
    cur = store.cursor(db)
    try:
        return cur.execute("SELECT event_at, username, event, by_user FROM user_events "
                           "WHERE $u IS NULL OR username = $u ORDER BY id DESC", {"u": username}).df()
    finally:
        cur.close()


def sign_in(username: str, password: str, db=None, now: dt.datetime | None = None) -> Actor:
    """The user, when the password is right and the account usable; SignInRefused otherwise."""
    now = now or dt.datetime.now()
    name = (username or "").strip().lower()
    with store.transaction(db) as cur:   # the failure count must be kept: refuse after COMMIT
        refusal, role = _attempt(cur, name, password or "", now)
    if refusal:
        raise SignInRefused(refusal)
    return Actor(name, role)


def _attempt(cur, name: str, password: str, now: dt.datetime) -> tuple[str | None, str | None]:
    """(refusal sentence or None, role) for one sign-in, with its bookkeeping."""
    wrong = "Wrong user name or password."
    row = cur.execute("SELECT role, password_hash, failed_attempts, locked_until, disabled "
                      "FROM users WHERE username = $u", {"u": name}).fetchone()
    if row is None or row[1] is None or row[4]:
        _verify(_DUMMY_HASH, password)   # same cost as a real check
        if row is not None:
            _event(cur, name, "refused: disabled" if row[4] else "refused: no password", None)
        return wrong, None
    role, stored, failures, locked_until, _ = row
    if locked_until is not None and locked_until > now:
        _event(cur, name, "refused: locked", None)
        return (f"Too many failed sign-ins: this account is locked until {locked_until:%H:%M}. "
                "Try again then, or ask an admin to unlock it."), None
    if not _verify(stored, password):
        failures += 1
        minutes = int(config.get("lockout_minutes"))
        locked = now + dt.timedelta(minutes=minutes) if failures >= int(config.get("lockout_attempts")) else None
        cur.execute("UPDATE users SET failed_attempts = $f, locked_until = $l WHERE username = $u",
                    {"f": 0 if locked else failures, "l": locked, "u": name})
        _event(cur, name, "locked out" if locked else "wrong password", None)
        if locked:
            return (f"Too many failed sign-ins: this account is locked for {minutes} minutes. "
                    "Ask an admin to unlock it sooner."), None
        return wrong, None
    new_hash = _hasher.hash(password) if _hasher.check_needs_rehash(stored) else stored
    cur.execute("UPDATE users SET failed_attempts = 0, locked_until = NULL, password_hash = $h "
                "WHERE username = $u", {"h": new_hash, "u": name})
    _event(cur, name, "signed in", None)
    return None, role


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _standing(name: str, db) -> tuple[str, bool] | None:
    """(role, disabled) of a user entry; None when there is none."""
    cur = store.cursor(db)
    try:
        return cur.execute("SELECT role, disabled FROM users WHERE username = $u", {"u": name}).fetchone()
    finally:
        cur.close()


def user_actor(username: str, db=None) -> Actor | None:
    """The user as they stand now (a role change or a disable applies on their next click);
    None when there is no such user or they are disabled."""
    name = (username or "").strip().lower()
    row = _standing(name, db)
    return None if row is None or row[1] else Actor(name, row[0])


def actor_for_email(email: str, db=None) -> Actor | None:
    """A single-sign-on user, by e-mail: their user entry, or else the `oidc_default_role`
    setting (empty: only the users an admin added come in). None when not let in."""
    name = (email or "").strip().lower()
    if not name:
        return None
    row = _standing(name, db)
    if row is not None:
        return None if row[1] else Actor(name, row[0])
    default = config.get("oidc_default_role").strip()
    return Actor(name, default) if default else None
