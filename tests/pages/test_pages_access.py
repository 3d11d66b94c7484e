"""Sign-in, roles and sharing as the pages show them (AppTest): who sees what, and what a
shared link can reach."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from intel import share, users
from intel.access import Actor
from tests.conftest import ROOT, rows
from tests.pages.test_pages import TIMEOUT, texts

ADMIN = Actor("root", "admin")
PASSWORD = "correct horse battery"


def fresh() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)


def started() -> AppTest:
    """The app after its first request (which reruns once through app.py: pages/_components/workaround.py),
    so the form's widgets are the ones the next submission reaches."""
    return fresh().run().run()


def sign_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input[0].set_value(name)
    at.text_input[1].set_value(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def password_mode(use_demo_db, monkeypatch):
    monkeypatch.setenv("SIGHTLINE_AUTH", "password")
    users.add_user("dana", "manager", PASSWORD, by=ADMIN)
    users.add_user("vic", "viewer", PASSWORD, by=ADMIN)
    return use_demo_db


def test_password_mode_without_users_says_how_to_make_the_first_admin(db, monkeypatch):
    monkeypatch.setenv("SIGHTLINE_AUTH", "password")
    at = fresh().run()
    assert not at.exception
    assert "python -m intel users add NAME --role admin" in at.warning[0].value
    assert not at.metric


def test_password_sign_in_right_wrong_and_lock_out(password_mode, monkeypatch):
    monkeypatch.setenv("SIGHTLINE_LOCKOUT_ATTEMPTS", "3")
    at = started()
    assert at.title[0].value == "Sign in to Sightline" and not at.metric    # nothing shown before
    sign_in(at, "dana", "wrong password")
    assert "Wrong user name or password." in at.error[0].value.replace("\\", "")
    assert not at.metric
    sign_in(at, "dana", PASSWORD)
    assert at.title[0].value == "Overview" and at.metric
    assert "Signed in as dana (manager)" in texts(at).replace("\\", "")
    assert rows("SELECT count(*) FROM users WHERE password_hash LIKE '%' || $p || '%'", {"p": PASSWORD}) == [(0,)]

    at.button(key="sl_sign_out").click().run()
    assert at.title[0].value == "Sign in to Sightline"
    for _ in range(3):
        sign_in(at, "vic", "guess")
    assert "Too many failed sign-ins for this user name from here: try again after" \
        in at.error[0].value.replace("\\", "")
    sign_in(at, "vic", PASSWORD)                                # this browser waits, even with the password
    assert "try again after" in at.error[0].value.replace("\\", "") and not at.metric
    other_browser = sign_in(started(), "vic", PASSWORD)         # vic, elsewhere, is not locked out
    assert other_browser.title[0].value == "Overview"


def test_a_password_reset_ends_the_users_open_session(password_mode):
    from intel import users
    from intel.access import LOCAL_ADMIN

    at = sign_in(started(), "dana", PASSWORD)
    assert at.title[0].value == "Overview"
    at.run()
    assert at.title[0].value == "Overview"                      # still signed in on the next click
    users.set_password("dana", "a brand new secret", by=LOCAL_ADMIN)
    at.run()
    assert at.title[0].value == "Sign in to Sightline" and not at.metric


def test_a_viewer_reads_but_has_no_edit_controls(password_mode):
    at = sign_in(started(), "vic", PASSWORD)
    assert at.title[0].value == "Overview"
    at.switch_page("pages/strategy.py").run()
    assert not at.exception and at.title[0].value == "Strategy notes"
    assert "Notes are written by managers" in texts(at)
    assert not [b for b in at.button if b.label in ("Accept onto the board", "Dismiss")]
    at.switch_page("pages/alerts.py").run()
    assert not at.exception and at.title[0].value == "Alerts"
    assert not [b for b in at.button if b.label in ("Acknowledge", "Snooze", "Resolve", "Evaluate the rules now")]
    at.session_state["sh_open"] = True                   # "Share this view" opened: the link, no button
    at.run()
    assert any("This view's link" in c.value for c in at.sidebar.caption)
    assert "Create a read-only link" not in [b.label for b in at.button]


def test_a_viewer_cannot_open_the_data_users_or_sharing_pages(password_mode):
    at = sign_in(started(), "vic", PASSWORD)
    for page in ("pages/data.py", "pages/users.py", "pages/sharing.py"):   # not in a viewer's navigation
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)


def test_a_manager_shares_and_revokes_but_does_not_manage_users(password_mode):
    at = sign_in(started(), "dana", PASSWORD)
    at.switch_page("pages/win-loss.py").run()
    assert "Create a read-only link" not in [b.label for b in at.button]   # drawn once "Share this view" opens
    at.session_state["sh_open"] = True
    at.run()
    at.button(key="sh_create").click().run()
    assert not at.exception
    (link_id, created_by), = rows("SELECT id, created_by FROM share_links")
    assert created_by == "dana"
    at.switch_page("pages/sharing.py").run()
    assert not at.exception and at.title[0].value == "Sharing"
    listed = at.dataframe[0].value
    assert listed["id"].tolist() == [link_id] and listed["status"].tolist() == ["active"]
    assert [c.value for c in at.main.code] == [f"/win-loss?share={share.link_token(link_id)}"]
    at.button(key="sh_revoke").click().run()
    assert rows("SELECT revoked_at IS NOT NULL FROM share_links") == [(True,)]
    assert at.dataframe[0].value["status"].tolist() == ["revoked"]
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/users.py")


def test_an_admin_adds_a_user_from_the_users_page(use_demo_db):
    at = fresh().run()                                   # sign-in mode none: the local admin
    at.switch_page("pages/users.py").run()
    assert not at.exception and at.title[0].value == "Users"
    at.text_input[0].set_value("erin")
    at.text_input[1].set_value("Erin Brock")
    at.selectbox[0].set_value("analyst")
    at.text_input[2].set_value("a long enough password")
    at.button[0].click().run()
    assert not at.exception
    assert "User erin added as analyst." in texts(at).replace("\\", "")
    assert rows("SELECT role, created_by, password_hash LIKE '$argon2id$%' FROM users") == [("analyst", "local", True)]
    assert users.sign_in("erin", "a long enough password").role == "analyst"


def test_a_shared_view_cannot_reach_the_data_page(use_demo_db):
    token = share.create_link("forecast", {}, by=ADMIN)
    at = fresh()
    at.query_params["share"] = token
    at.run()
    assert at.title[0].value == "Forecast vs actual"
    for page in ("pages/data.py", "pages/alerts.py", "pages/strategy.py", "pages/users.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)                        # not registered in a shared session
    at.switch_page("pages/overview.py").run()           # registered (the default) but leads back
    assert not at.exception and at.title[0].value == "Forecast vs actual"
    assert not at.file_uploader and not at.sidebar.button


def test_a_revoked_or_expired_link_is_refused_on_the_page(use_demo_db):
    import datetime as dt

    revoked = share.create_link("pipeline", {}, by=ADMIN)
    share.revoke_link(revoked.split(".")[0], by=ADMIN)
    expired = share.create_link("pipeline", {}, expires=dt.datetime(2026, 1, 1), by=ADMIN)
    for token, reason in ((revoked, "was revoked"), (expired, "expired on 2026-01-01")):
        at = fresh()
        at.query_params["share"] = token
        at.run()
        assert not at.exception and reason in at.error[0].value.replace("\\", "")
        assert not at.metric and not at.dataframe


def test_oidc_mode_asks_for_the_provider_then_maps_the_e_mail_to_a_role(use_demo_db, monkeypatch):
    monkeypatch.setenv("SIGHTLINE_AUTH", "oidc")
    at = fresh()
    at.run()
    assert "has no [auth] section" in at.error[0].value

    users.add_user("ceo@example.com", "manager", by=ADMIN)
    at = fresh()
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                          "client_id": "sightline", "client_secret": "s",
                          "server_metadata_url": "https://id.example.com/.well-known/openid-configuration"}
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in with your company account"] and not at.metric
    at.user = {"is_logged_in": True, "email": "CEO@example.com", "name": "C. E. O."}
    at.run()
    assert not at.exception and at.title[0].value == "Overview"
    assert "Signed in as ceo@example.com (manager)" in texts(at).replace("\\", "")
    monkeypatch.setenv("SIGHTLINE_OIDC_DEFAULT_ROLE", "")
    at.user = {"is_logged_in": True, "email": "stranger@example.com"}
    at.run()
    assert "not let in" in at.error[0].value.replace("\\", "") and not at.metric
