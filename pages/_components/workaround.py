"""Streamlit's multipage v1 turned off: every page runs through app.py (st.navigation)."""
from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

# Streamlit runs a script under pages/ on its own (multipage v1) when a fresh server's first
# request names it (/forecast) before app.py has called st.navigation. Importing this module turns
# v1 off for sessions yet to start (app.py imports it, and every page through data.py); a session
# already running a page alone starts over through app.py (rerun_if_page_runs_alone below).
# Nothing here raises at import: ten sessions importing this module at once on a fresh server
# must each get the whole module, never a half-initialised one.
PagesManager.uses_pages_directory = False
_ENTERED = "sl_entered_through_app"


def entered_through_app() -> None:
    """app.py calls this first in every run; a page run without it (v1) starts over through app.py."""
    st.session_state[_ENTERED] = True


def rerun_if_page_runs_alone() -> None:
    """A page run without app.py (v1) starts over through app.py; db_path calls this first."""
    if not st.session_state.get(_ENTERED):   # every page calls db_path first: a page run alone
        st.rerun()
