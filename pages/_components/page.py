"""Running a page: an unexpected error shows one sentence, its traceback goes to the log."""
from __future__ import annotations

import logging

import streamlit as st

_LOG = logging.getLogger("sightline.pages")

NOT_DRAWN = "This page could not be drawn; the details are in the server log."


def run_page(page) -> None:
    """Run a page; an unexpected error shows one sentence to the visitor and its traceback goes to
    the server log (with client.showErrorDetails = "full", as in the tests, it is raised instead)."""
    try:
        page.run()
    except Exception:   # st.stop and st.rerun are BaseExceptions: they pass
        if str(st.get_option("client.showErrorDetails")).lower() in ("full", "true"):
            raise
        _LOG.exception("The %s page failed", page.title)
        st.error(NOT_DRAWN)
