"""Widgets every page shares (written once): the store adapter, KPI tile, table downloads.

The only place Streamlit's caches meet the store: the connection is a cache_resource, and
page data is cached by the store's data version, so an import or undo refreshes every page.
"""
from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from intel import config, export, store


@st.cache_resource(show_spinner=False)
def _connection(path: str):
    return store.connect(path)


def db_path() -> str:
    """The store file this app serves (SIGHTLINE_DB), connected once per process."""
    path = str(config.db_path())
    _connection(path)
    return path


def data_version() -> str:
    return store.data_version(db_path())


def download_buttons(df: pd.DataFrame, name: str, key: str) -> None:
    """CSV and XLSX downloads of a table, formula-safe."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "table"
    left, right = st.columns(2)
    left.download_button("Download CSV", export.to_csv_bytes(df), f"{stem}.csv", "text/csv",
                         key=f"{key}_csv", width="stretch")
    right.download_button(
        "Download XLSX", export.to_xlsx_bytes(df), f"{stem}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx", width="stretch")


def kpi_tile(column, label: str, value: str, help: str | None = None, delta: str | None = None) -> None:
    column.metric(label, value, delta=delta, help=help)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=])")


def plain(text: str) -> str:
    """User or file text made inert for Streamlit's markdown (no links, images, HTML, LaTeX)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def say(level: str, text: str) -> None:
    """st.success / info / warning / error with text shown literally."""
    getattr(st, level)(plain(text))
