"""Sharing: this view's link, and signed read-only links for people without an account."""
from __future__ import annotations

import streamlit as st

from pages._components.auth import actor
from pages._components.data import db_path
from pages._components.links import PAGES
from pages._components.urlstate import _query
from pages._components.widgets import say

SHAREABLE = ("overview", "forecast", "win-loss", "pipeline", "accounts")
PAGE_PATHS = {page: PAGES[page].path for page in SHAREABLE}


def shared_view():
    """(page url path, True) when the URL carries a valid share token, (None, False) without one.
    A refused token stops the run with the reason."""
    from intel import share

    # a page switch drops the query string: a session opened from a link stays on that link
    token = st.query_params.get("share") or st.session_state.get("shared_token")
    if not token:
        return None, False
    try:
        page, query = share.open_link(token, db=db_path())
    except share.ShareRefused as refused:
        say("error", str(refused))
        st.stop()
    if st.session_state.get("shared_token") != token or "share" not in st.query_params:
        st.session_state["shared_token"] = token   # the link's state becomes the URL
        st.query_params.from_dict({**{k: v if len(v) != 1 else v[0] for k, v in query.items()}, "share": token})
    return PAGE_PATHS[page], True


def app_url(url_path: str) -> str:
    """The app's address as the browser sees it (no page, no query), '' when unknown."""
    url = (st.context.url or "").rstrip("/")
    if url_path and url.endswith("/" + url_path):
        url = url[: -len(url_path) - 1]
    return url


def share_controls(url_path: str, slot) -> None:
    """In `slot` (the sidebar), on every page: this view's link to copy, and for managers a
    signed read-only link for others (shareable pages only)."""
    from urllib.parse import urlencode

    from intel import share

    page = next((p for p, path in PAGE_PATHS.items() if path == url_path), None)
    base = app_url(url_path)
    # drawn only when opened: closed, its link box still loaded the browser's code highlighter
    # (1.5 MB of JavaScript) on every page
    box = slot.expander("Share this view", key="sh_open", on_change="rerun")
    if not box.open:
        return
    with box:
        here = f"{base}/{url_path}" + ("?" + urlencode(_query(), doseq=True) if _query() else "")
        st.caption("This view's link, with its filters and choices (copy it with the button on the right):")
        st.code(here, language=None)
        if page is None:
            st.caption("Read-only links are for the Overview, Forecast vs actual, Win-loss, Pipeline and Accounts pages.")
            return
        if not actor().can("share views"):
            st.caption("Read-only links for people without an account are created by managers.")
            return
        warning = share.sign_in_off_warning()
        if warning:
            say("warning", warning)
        days = st.number_input("Read-only link valid for (days, 0 = no expiry)", 0, 365, 14, key="sh_days")
        if st.button("Create a read-only link", key="sh_create"):
            import datetime as dt

            expires = dt.datetime.now() + dt.timedelta(days=int(days)) if days else None
            token = share.create_link(page, _query(), expires=expires, db=db_path(), by=actor())
            st.session_state["sh_last"] = f"{base}/{url_path}?share={token}"
        if st.session_state.get("sh_last"):
            st.caption("Send this link; it opens this view read-only, without signing in. "
                       "Links are listed, and can be revoked, on the Sharing page.")
            st.code(st.session_state["sh_last"], language=None)
