"""Who is using the app: the actor of this run, secrets, and the sign-in screen by mode."""
from __future__ import annotations

import streamlit as st

from pages._components.data import db_path
from pages._components.widgets import plain, say


def actor():
    """The user acting in this run (sign_in_gate in app.py sets it); a viewer until then."""
    from intel.access import SHARED_VIEWER

    return st.session_state.get("sl_actor", SHARED_VIEWER)


def load_secrets() -> None:
    """Read .streamlit/secrets.toml now: its top-level keys (SIGHTLINE_AUTH, SIGHTLINE_SHARE_KEY...)
    become environment variables, where intel's settings look."""
    try:
        st.secrets.load_if_toml_exists()
    except Exception as err:   # a malformed file: say so rather than fail every page
        say("error", f"Cannot read .streamlit/secrets.toml: {err}")


def sign_in_gate(read_only: bool):
    """Who is using the app, by the configured sign-in mode; None while the sign-in screen is
    shown (the caller then shows nothing else). A share link's visitor is a viewer without
    signing in."""
    from intel import config, users
    from intel.access import LOCAL_ADMIN, SHARED_VIEWER

    mode = config.auth_mode()
    if read_only:
        by = SHARED_VIEWER
    elif mode == "none":
        by = LOCAL_ADMIN
    elif mode == "password":
        name = st.session_state.get("sl_user")
        by = users.user_actor(name, db_path(), epoch=st.session_state.get("sl_epoch")) if name else None
        if by is None:   # never signed in, or disabled or given a new password since
            st.session_state.pop("sl_user", None)
            st.session_state.pop("sl_actor", None)
            _password_form()
            return None
    else:
        by = _oidc_user()
        if by is None:
            st.session_state.pop("sl_actor", None)
            return None
    st.session_state["sl_actor"] = by
    if mode != "none" and not read_only:
        with st.sidebar:
            st.caption(plain(f"Signed in as {by.name} ({by.role})"))
            if st.button("Sign out", key="sl_sign_out"):
                st.session_state.pop("sl_user", None)
                st.session_state.pop("sl_actor", None)
                if mode == "oidc":
                    st.logout()
                st.rerun()
    return by


def _password_form() -> None:
    from intel import users

    st.title("Sign in to Sightline")
    if not users.has_users(db_path()):
        st.warning("No user exists yet. Whoever runs the server creates the first admin with "
                   "`python -m intel users add NAME --role admin`.")
        return
    with st.form("sl_sign_in", clear_on_submit=True):   # the password does not stay in the session
        name = st.text_input("User name", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            by = users.sign_in(name, password, db_path(), client=_client())
        except (users.SignInRefused, ValueError) as refused:   # ValueError: store.Conflict
            say("error", str(refused))
            return
        st.session_state["sl_user"] = by.name
        st.session_state["sl_epoch"] = users.session_epoch(by.name, db_path())
        st.rerun()


def _client() -> str:
    """Where a sign-in comes from, for its back-off: the browser's address as the server sees it
    (not X-Forwarded-For, which the browser could make up), else this browser session."""
    try:
        address = st.context.ip_address
    except Exception:   # noqa: BLE001 - no request context (AppTest)
        address = None
    if isinstance(address, str) and address:
        return address
    import secrets

    return "session " + st.session_state.setdefault("sl_client", secrets.token_hex(8))


def _oidc_user():
    from intel import users

    try:
        configured = "auth" in st.secrets
    except Exception:   # no secrets file at all
        configured = False
    if not configured:
        st.error("Sign-in is set to oidc, but .streamlit/secrets.toml has no [auth] section "
                 "(redirect_uri, cookie_secret, client_id, client_secret, server_metadata_url). "
                 "See the README.")
        return None
    if not st.user.is_logged_in:
        st.title("Sign in to Sightline")
        st.button("Sign in with your company account", type="primary", on_click=st.login, key="sl_login")
        return None
    by = users.actor_for_email(st.user.get("email") or "", db_path())
    if by is None:
        say("error", f"{st.user.get('email') or 'This account'} is not let in to Sightline: "
                     "ask an admin to add you.")
        st.button("Sign out", on_click=st.logout, key="sl_logout_refused")
    return by
