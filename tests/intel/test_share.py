"""Share links: valid, tampered, expired, revoked; only pages without edit controls."""
from __future__ import annotations

import datetime as dt

import pytest

from intel import share
from intel.access import LOCAL_ADMIN as ADMIN


def test_a_valid_link_reproduces_page_and_state(db):
    token = share.create_link("win-loss", {"region": ["EMEA"], "by": "competitor", "share": "x"}, by=ADMIN)
    assert share.open_link(token) == ("win-loss", {"by": ["competitor"], "region": ["EMEA"]})


def test_tampered_expired_revoked_and_unknown_links_are_refused(db):
    token = share.create_link("forecast", {"fc_by": ["owner"]}, expires=dt.datetime(2026, 12, 1), by=ADMIN)
    link_id, signature = token.split(".")
    with pytest.raises(share.ShareRefused, match="altered"):
        share.open_link(f"{link_id}.{signature[:-2]}AA")
    with pytest.raises(share.ShareRefused, match="expired"):
        share.open_link(token, now=dt.datetime(2026, 12, 2))
    assert share.open_link(token, now=dt.datetime(2026, 11, 30))[0] == "forecast"
    share.revoke_link(link_id, by=ADMIN)
    with pytest.raises(share.ShareRefused, match="revoked"):
        share.open_link(token, now=dt.datetime(2026, 11, 30))
    with pytest.raises(share.ShareRefused, match="not issued here"):
        share.open_link("nope.nope")


def test_a_link_to_a_page_with_edit_controls_cannot_be_made(db):
    with pytest.raises(ValueError, match="cannot be shared"):
        share.create_link("data", {}, by=ADMIN)
    with pytest.raises(ValueError, match="cannot be shared"):
        share.create_link("alerts", {}, by=ADMIN)


def test_sharing_with_sign_in_off_is_named_as_such(monkeypatch):
    """With SIGHTLINE_AUTH=none a read-only link protects nothing (its visitor can edit the
    address and be the admin): the warning says so and how to turn sign-in on; with sign-in on,
    there is none."""
    monkeypatch.setenv("SIGHTLINE_AUTH", "none")
    warning = share.sign_in_off_warning()
    assert "Sign-in is off" in warning and "SIGHTLINE_AUTH=password" in warning
    for mode in ("password", "oidc"):
        monkeypatch.setenv("SIGHTLINE_AUTH", mode)
        assert share.sign_in_off_warning() is None
