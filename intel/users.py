"""Users of sign-in mode `password` (and the roles of `oidc` users), kept in the store.

Passwords are hashed with Argon2id (argon2-cffi: a random salt per hash, stored inside it)
and never kept or logged as text. Failed sign-ins are counted per user name and client (the
browser's address, or its session): after `lockout_attempts` in a row that client waits before
its next try, twice as long after each further failure (up to `lockout_minutes`), while the
account stays usable from everywhere else, so nobody can lock an admin out by guessing. Wrong
user and wrong password get the same answer, known and unknown names the same back-off, and an
unknown user costs a hash too, so the sign-in form does not tell which names exist. A new
password or a disable ends the user's open sessions (their session epoch moves on).
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
    hashed = _hasher.hash(password) if password is not None else None

    def work(cur):
        if _exists(cur, name):
            raise ValueError(f"There is already a user '{name}'.")
        cur.execute("""INSERT INTO users (username, display_name, role, password_hash, created_at, created_by)
                       VALUES ($u, $d, $r, $h, now()::TIMESTAMP, $by)""",
                    {"u": name, "d": (display_name or "").strip() or None, "r": role, "h": hashed,
                     "by": by.name})
        _event(cur, name, f"created as {role}", by.name)

    store.write(work, db)
    return name


def _change(username: str, by: Actor, event: str, sql: str | tuple[str, ...], params: dict, db) -> None:
    """One fixed UPDATE on an existing user, recorded (retried when it meets another write)."""
    require(by, "manage users")
    name = (username or "").strip().lower()

    def work(cur):
        if not _exists(cur, name):
            raise ValueError(f"There is no user '{name}'.")
        for statement in (sql,) if isinstance(sql, str) else sql:
            used = {k: v for k, v in {**params, "u": name}.items() if f"${k}" in statement}
            cur.execute(statement, used)
        _event(cur, name, event, by.name)

    store.write(work, db)


def set_role(username: str, role: str, db=None, *, by: Actor) -> None:
    require(by, "manage users")
    _check_role(role)
    if by.name == (username or "").strip().lower() and role != "admin":
        raise ValueError("You cannot take the admin role from yourself: ask another admin.")
    _change(username, by, f"role set to {role}", "UPDATE users SET role = $r WHERE username = $u",
            {"r": role}, db)


def set_password(username: str, password: str, db=None, *, by: Actor) -> None:
    """A new password (set by an admin); it lifts every back-off and ends the user's open sessions."""
    _check_password(password)
    _change(username, by, "password set",
            ("UPDATE users SET password_hash = $h, failed_attempts = 0, locked_until = NULL, "
             "session_epoch = session_epoch + 1 WHERE username = $u",
             "DELETE FROM sign_in_failures WHERE username = $u"),
            {"h": _hasher.hash(password)}, db)


def unlock(username: str, db=None, *, by: Actor) -> None:
    """Lift the back-off on every client for this user."""
    _change(username, by, "unlocked",
            ("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE username = $u",
             "DELETE FROM sign_in_failures WHERE username = $u"), {}, db)


def disable(username: str, db=None, *, by: Actor) -> None:
    """The user can no longer sign in; their name stays on what they wrote."""
    require(by, "manage users")
    if by.name == (username or "").strip().lower():
        raise ValueError("You cannot disable your own account.")
    _change(username, by, "disabled",
            "UPDATE users SET disabled = true, session_epoch = session_epoch + 1 WHERE username = $u", {}, db)


def enable(username: str, db=None, *, by: Actor) -> None:
    _change(username, by, "enabled", "UPDATE users SET disabled = false WHERE username = $u", {}, db)


def list_users(db=None) -> pd.DataFrame:
    """Users with role and state (never their hashes)."""
    cur = store.cursor(db)
    try:
        return cur.execute(
            """SELECT username, display_name, role, password_hash IS NOT NULL AS has_password,
                      failed_attempts,
                      (SELECT max(wait_until) FROM sign_in_failures f
                       WHERE f.username = users.username AND wait_until > now()::TIMESTAMP) AS locked_until,
                      disabled, created_at, created_by
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


WRONG = "Wrong user name or password."


def sign_in(username: str, password: str, db=None, now: dt.datetime | None = None,
            client: str = "") -> Actor:
    """The user, when the password is right and the account usable; SignInRefused otherwise.
    `client` names where the attempt comes from (the browser's address, or its session):
    failures are counted, and backed off, per user name and client."""
    now = now or dt.datetime.now()
    name = (username or "").strip().lower()[:64]
    client = (client or "unknown").strip()[:200]
    cur = store.cursor(db)
    try:
        row = cur.execute("SELECT role, password_hash, disabled FROM users WHERE username = $u",
                          {"u": name}).fetchone()
        waiting = cur.execute("SELECT wait_until FROM sign_in_failures WHERE username = $u AND client = $c "
                              "AND wait_until > $now", {"u": name, "c": client, "now": now}).fetchone()
    finally:
        cur.close()
    known = row is not None
    if waiting:
        if known:
            store.write(lambda c: _event(c, name, "refused: waiting after failures", None), db)
        raise SignInRefused(_wait_sentence(waiting[0]))
    usable = known and row[1] is not None and not row[2]
    if not usable:
        _verify(_DUMMY_HASH, password or "")   # same cost as a real check
    if usable and _verify(row[1], password or ""):
        new_hash = _hasher.hash(password) if _hasher.check_needs_rehash(row[1]) else row[1]

        def succeed(c):
            c.execute("UPDATE users SET failed_attempts = 0, locked_until = NULL, password_hash = $h "
                      "WHERE username = $u", {"h": new_hash, "u": name})
            c.execute("DELETE FROM sign_in_failures WHERE username = $u AND client = $c", {"u": name, "c": client})
            _event(c, name, "signed in", None)

        store.write(succeed, db)
        return Actor(name, row[0])
    reason = ("wrong password" if usable else "refused: disabled" if known and row[2]
              else "refused: no password" if known else None)
    until = store.write(lambda c: _count_failure(c, name, client, now, known, reason), db)
    raise SignInRefused(_wait_sentence(until) if until else WRONG)


def _count_failure(cur, name: str, client: str, now: dt.datetime, known: bool, reason: str | None):
    """Count one failure (in SQL, so two at once both count); the time this client must wait
    until, when it has now failed too often."""
    failures = cur.execute(
        """INSERT INTO sign_in_failures VALUES ($u, $c, 1, $now, NULL)
           ON CONFLICT (username, client) DO UPDATE SET failures = failures + 1, last_failed_at = $now
           RETURNING failures""", {"u": name, "c": client, "now": now}).fetchone()[0]
    attempts = int(config.get("lockout_attempts"))
    until = None
    if failures >= attempts:
        seconds = min(60 * 2 ** (failures - attempts), 60 * int(config.get("lockout_minutes")))
        until = now + dt.timedelta(seconds=seconds)
        cur.execute("UPDATE sign_in_failures SET wait_until = $w WHERE username = $u AND client = $c",
                    {"w": until, "u": name, "c": client})
    if known:
        cur.execute("UPDATE users SET failed_attempts = failed_attempts + 1 WHERE username = $u", {"u": name})
        _event(cur, name, f"{reason}; from {client} waits until {until:%H:%M:%S}" if until else reason, None)
    return until


def _wait_sentence(until: dt.datetime) -> str:
    return (f"Too many failed sign-ins for this user name from here: try again after {until:%H:%M:%S} "
            "(or ask an admin to unlock it).")


def session_epoch(username: str, db=None) -> int:
    """The user's session epoch: a session signed in under another one has ended."""
    cur = store.cursor(db)
    try:
        row = cur.execute("SELECT session_epoch FROM users WHERE username = $u",
                          {"u": (username or "").strip().lower()}).fetchone()
    finally:
        cur.close()
    return row[0] if row else -1


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _standing(name: str, db) -> tuple[str, bool, int] | None:
    """(role, disabled, session epoch) of a user entry; None when there is none."""
    cur = store.cursor(db)
    try:
        return cur.execute("SELECT role, disabled, session_epoch FROM users WHERE username = $u",
                           {"u": name}).fetchone()
    finally:
        cur.close()


def user_actor(username: str, db=None, epoch: int | None = None) -> Actor | None:
    """The user as they stand now (a role change or a disable applies on their next click);
    None when there is no such user, they are disabled, or (given the `epoch` their session
    signed in under) their password was reset or the account disabled since."""
    name = (username or "").strip().lower()
    row = _standing(name, db)
    if row is None or row[1] or (epoch is not None and row[2] != epoch):
        return None
    return Actor(name, row[0])


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
