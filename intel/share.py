"""Signed, read-only share links: a page with its URL state, an optional expiry, revocable.

The token is `<link id>.<HMAC-SHA256 of the id, page and state>`; the signing key comes from the
environment (SIGHTLINE_SHARE_KEY) or a key file beside the store, generated on first use.
Whoever holds a valid token sees that page and state; a tampered, expired, revoked or unknown
token is refused with a sentence saying which.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

import pandas as pd

from intel import config, store
from intel.access import Actor, require

SHAREABLE_PAGES = ("overview", "forecast", "win-loss", "pipeline", "accounts")   # a viewer sees no edit control there


class ShareRefused(Exception):
    """The link cannot be honoured; the message says why."""


def _key(db=None) -> bytes:
    env = os.environ.get("SIGHTLINE_SHARE_KEY")
    if env:
        return env.encode()
    path = Path(db or config.db_path()).with_suffix(".share-key")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return path.read_text().strip().encode()


def _signature(link_id: str, page: str, query: dict, db) -> str:
    message = json.dumps([link_id, page, query], sort_keys=True).encode()
    digest = hmac.new(_key(db), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def create_link(page: str, query: dict[str, list[str]], expires: dt.datetime | None = None, db=None, *,
                by: Actor) -> str:
    """A token for `page` with its URL state (created by `by`, a manager or above); share it as
    ?share=<token>."""
    require(by, "share views")
    if page not in SHAREABLE_PAGES:
        raise ValueError(f"The {page} page cannot be shared: only {', '.join(SHAREABLE_PAGES)} can.")
    query = {k: [str(v) for v in (vs if isinstance(vs, list) else [vs])] for k, vs in query.items()
             if k != "share"}
    link_id = secrets.token_urlsafe(9)
    with store.transaction(db) as cur:
        cur.execute("INSERT INTO share_links VALUES ($id, $page, $query, $by, now()::TIMESTAMP, $exp, NULL)",
                    {"id": link_id, "page": page, "query": json.dumps(query, sort_keys=True), "by": by.name,
                     "exp": expires})
    return f"{link_id}.{_signature(link_id, page, query, db)}"


def open_link(token: str, now: dt.datetime | None = None, db=None) -> tuple[str, dict[str, list[str]]]:
    """(page, URL state) of a valid token; ShareRefused otherwise."""
    now = now or dt.datetime.now()
    link_id, _, signature = (token or "").partition(".")
    cur = store.cursor(db)
    try:
        row = cur.execute("SELECT page, query, expires_at, revoked_at FROM share_links WHERE id = $i",
                          {"i": link_id}).fetchone()
    finally:
        cur.close()
    if row is None:
        raise ShareRefused("This link is not valid: it was not issued here (check that it was copied whole).")
    page, query, expires_at, revoked_at = row[0], json.loads(row[1]), row[2], row[3]
    if not hmac.compare_digest(signature, _signature(link_id, page, query, db)):
        raise ShareRefused("This link has been altered: its signature does not match. Ask for a new link.")
    if revoked_at is not None:
        raise ShareRefused(f"This link was revoked on {revoked_at:%Y-%m-%d}. Ask for a new link.")
    if expires_at is not None and expires_at <= now:
        raise ShareRefused(f"This link expired on {expires_at:%Y-%m-%d %H:%M}. Ask for a new link.")
    return page, query


def list_links(db=None, now: dt.datetime | None = None) -> pd.DataFrame:
    """Every link issued, newest first, with its status (active, expired or revoked)."""
    cur = store.cursor(db)
    try:
        return cur.execute(
            """SELECT id, page, query, created_by, created_at, expires_at, revoked_at,
                      CASE WHEN revoked_at IS NOT NULL THEN 'revoked'
                           WHEN expires_at IS NOT NULL AND expires_at <= $now THEN 'expired'
                           ELSE 'active' END AS status
               FROM share_links ORDER BY created_at DESC, id""",
            {"now": now or dt.datetime.now()}).df()
    finally:
        cur.close()


def link_token(link_id: str, db=None) -> str:
    """The token of an issued link again (to copy it once more)."""
    cur = store.cursor(db)
    try:
        row = cur.execute("SELECT page, query FROM share_links WHERE id = $i", {"i": link_id}).fetchone()
    finally:
        cur.close()
    if row is None:
        raise ValueError(f"There is no link {link_id}.")
    return f"{link_id}.{_signature(link_id, row[0], json.loads(row[1]), db)}"


def revoke_link(link_id: str, db=None, *, by: Actor) -> None:
    """Refuse the link from now on (as `by`, a manager or above); it stays in the list."""
    require(by, "share views")
    with store.transaction(db) as cur:
        if cur.execute("SELECT count(*) FROM share_links WHERE id = $i", {"i": link_id}).fetchone()[0] == 0:
            raise ValueError(f"There is no link {link_id}.")
        cur.execute("UPDATE share_links SET revoked_at = now()::TIMESTAMP WHERE id = $i AND revoked_at IS NULL",
                    {"i": link_id})


def sign_in_off_warning() -> str | None:
    """What sharing means while sign-in is off (SIGHTLINE_AUTH=none), in one sentence; None when
    people sign in."""
    from intel import config

    if config.auth_mode() != "none":
        return None
    return ("Sign-in is off (SIGHTLINE_AUTH=none): anyone who can open a read-only link can also "
            "change its address and reach every page, the Data and Users pages included, as an admin. "
            "Turn sign-in on before sharing beyond your own machine: start the app with "
            "SIGHTLINE_AUTH=password (create the first admin with `python -m intel users add NAME "
            "--role admin`) or SIGHTLINE_AUTH=oidc; the README says how.")
