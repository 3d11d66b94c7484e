"""Running a page: an unexpected error shows one sentence, its traceback goes to the log; the
house style every page shares (the phone layout)."""
from __future__ import annotations

import logging
import re
from pathlib import Path

import streamlit as st

_LOG = logging.getLogger("sightline.pages")

NOT_DRAWN = "This page could not be drawn; the details are in the server log."
LOGO = Path(__file__).with_name("sightline-logo.svg")

# Phones (viewers opening a shared link, mostly): a row of KPI tiles two to a row and smaller, a
# row of download buttons side by side (columns holding tables or charts still stack, full width),
# less padding, a table's toolbar inside its frame rather than over the heading above it.
_PHONE_CSS = """
<style>
@media (max-width: 640px) {
  [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] [data-testid="stMetric"]):not(:has([data-testid="stHorizontalBlock"], [data-testid="stDataFrame"], .js-plotly-plot)) {
    flex-wrap: wrap; gap: 0.5rem 1rem;
  }
  [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] [data-testid="stMetric"]):not(:has([data-testid="stHorizontalBlock"], [data-testid="stDataFrame"], .js-plotly-plot)) > [data-testid="stColumn"] {
    min-width: calc(50% - 0.5rem) !important; flex: 1 1 calc(50% - 0.5rem) !important;
  }
  [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] [data-testid="stDownloadButton"]):not(:has([data-testid="stHorizontalBlock"], [data-testid="stDataFrame"], .js-plotly-plot)) {
    flex-wrap: nowrap; gap: 0.5rem;
  }
  [data-testid="stHorizontalBlock"]:has(> [data-testid="stColumn"] [data-testid="stDownloadButton"]):not(:has([data-testid="stHorizontalBlock"], [data-testid="stDataFrame"], .js-plotly-plot)) > [data-testid="stColumn"] {
    min-width: 0 !important; flex: 1 1 0 !important;
  }
  [data-testid="stMetricValue"] { font-size: 1.5rem !important; }
  [data-testid="stMetricLabel"] p { font-size: 0.8rem; }
  [data-testid="stMainBlockContainer"] { padding-left: 0.75rem; padding-right: 0.75rem; padding-top: 3rem; }
  [data-testid="stElementToolbar"] { top: 0.25rem !important; right: 0.25rem !important; }
  h1 { font-size: 1.75rem !important; }
}
</style>
"""

_PHONE_AGENT = re.compile(r"Mobi|Android|iPhone|iPod|Windows Phone", re.IGNORECASE)


def house_style() -> None:
    """The product's name in the corner and the phone layout, for every page."""
    st.logo(str(LOGO), size="large")
    st.html(_PHONE_CSS)


def on_phone() -> bool:
    """The browser says it is a phone (its user agent): pages then draw the compact layout
    (long tables folded, charts shorter). The CSS above adapts to the width regardless."""
    try:
        agent = st.context.headers.get("User-Agent") or ""
    except Exception:   # no request headers (AppTest)
        return False
    return bool(_PHONE_AGENT.search(agent))


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
