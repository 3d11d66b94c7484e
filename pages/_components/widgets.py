"""Widgets every page shares (written once): KPI tiles and tables labelled and formatted as the
metric catalogue says, table downloads, page links, user text shown literally (plain, say,
markdown_link)."""
from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from intel import export, metrics


def page_link(where, page: str, label: str, icon: str | None = None) -> None:
    """A link to another page of the app, left out when this visitor cannot open that page
    (a shared link opens one page; a viewer has no Data page)."""
    from streamlit.errors import StreamlitPageNotFoundError

    try:
        where.page_link(page, label=label, icon=icon)
    except StreamlitPageNotFoundError:
        pass


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


def kpi_tile(column, label: str, value: str, help: str | None = None, delta: str | None = None,
             delta_color: str = "normal") -> None:
    column.metric(label, value, delta=delta, help=help, delta_color=delta_color)


def tile_value(value, fmt: str) -> str:
    """A value as a tile shows it: the catalogue's format, money and velocity shortened (12.3M)."""
    return money(value) if fmt in ("money", "velocity") else metrics.format_value(value, fmt)


def metric_tile(column, name: str, value, *, label: str | None = None, note: str | None = None,
                delta: str | None = None, delta_color: str = "normal") -> None:
    """A KPI tile for the catalogue metric `name`: its label (or `label`), its format, and its
    description as help, followed by `note` (what this value rests on)."""
    entry = metrics.get(name)
    kpi_tile(column, label or entry.label, tile_value(value, entry.format),
             help=entry.description + (f" {note}" if note else ""), delta=delta, delta_color=delta_color)


def column_tile(column, name: str, value, *, label: str | None = None, help: str | None = None,
                delta: str | None = None, delta_color: str = "normal") -> None:
    """A KPI tile for one column of a metric's row (`actual`, `open_qualified`...): the label and
    format the catalogue gives that column everywhere."""
    kpi_tile(column, label or metrics.column_label(name), tile_value(value, metrics.column_format(name)),
             help=help, delta=delta, delta_color=delta_color)


# how st.dataframe shows each catalogue format (the value underneath stays the number)
_TABLE_FORMATS = {"percent": "percent", "money": "%,.0f", "count": "%,d", "days": "%.0f days",
                  "ratio": "%.2f×", "velocity": "%,.0f"}


# what a figure needs to be drawn or sorted, not read (its period has a label column beside it)
HIDDEN_COLUMNS = ("period_start", "sign", "measure")


def column_config(columns, dim: str | None = None, formats: bool = True, dates=()) -> dict:
    """Each column headed as the catalogue heads it (the member column by its dimension) and,
    with `formats`, shown in the catalogue's format; days without a time of day; helper columns
    hidden."""
    config = {}
    for name in columns:
        label, fmt = metrics.column_label(name, dim), metrics.column_format(name)
        if name in HIDDEN_COLUMNS:
            config[name] = None
        elif name in dates:
            config[name] = st.column_config.DateColumn(label, format="YYYY-MM-DD")
        elif formats and fmt in _TABLE_FORMATS:
            config[name] = st.column_config.NumberColumn(label, format=_TABLE_FORMATS[fmt])
        else:
            config[name] = label
    return config


def _for_reading(data: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Numbers held as exact decimals read as numbers (a missing one blank, not 'None'); the
    datetime columns that hold days only."""
    data = data.copy()
    for name in data.columns:
        if data[name].dtype == object and metrics.column_format(name) in _TABLE_FORMATS:
            data[name] = pd.to_numeric(data[name], errors="coerce")
    days = [name for name in data.columns if pd.api.types.is_datetime64_any_dtype(data[name])
            and (data[name].dropna().dt.normalize() == data[name].dropna()).all()]
    return data, days


def table(frame, key: str | None = None, dim: str | None = None, formats: bool = True, **kwargs):
    """st.dataframe of a metric's rows, labelled and formatted from the catalogue (a Styler keeps
    its own formats: pass formats=False)."""
    from pandas.io.formats.style import Styler

    days: list[str] = []
    if isinstance(frame, Styler):
        data = frame.data
    else:
        frame, days = _for_reading(frame)
        data = frame
    if data.attrs:   # what the runner noted (snapshots used, a bridge's members) is not for the table
        data.attrs = {}
    # a page's own headings (a period in a column's name) win over the catalogue's
    config = {**column_config(data.columns, dim, formats, days), **kwargs.pop("column_config", {})}
    return st.dataframe(frame, hide_index=True, width="stretch", key=key, column_config=config, **kwargs)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=@&])")
# what markdown links by itself, escaped or not (GFM autolinks): http(s)://, ftp://, www.
# (an e-mail address keeps its escaped @: a user name reads as text, not as code)
_AUTOLINKED = re.compile(r"(?:(?:https?|ftp)://|www\.)\S+", re.IGNORECASE)


def _code_span(text: str) -> str:
    fence = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}"


def plain(text: str) -> str:
    """User or file text made inert for Streamlit's markdown (no links, images, HTML, LaTeX);
    a bare URL, which markdown would link by itself, is shown as code."""
    text, parts, last = str(text), [], 0
    for found in _AUTOLINKED.finditer(text):
        parts += [_MARKDOWN_SPECIAL.sub(r"\\\1", text[last:found.start()]), _code_span(found.group(0))]
        last = found.end()
    return "".join(parts) + _MARKDOWN_SPECIAL.sub(r"\\\1", text[last:])


def say(level: str, text: str) -> None:
    """st.success / info / warning / error with text shown literally."""
    getattr(st, level)(plain(text))


def markdown_link(label: str, url: str) -> str:
    """A markdown link whose label is shown literally; the url is ours (page and query string)."""
    return f"[{plain(label)}]({url.replace(' ', '%20').replace(')', '%29')})"


def missing(value) -> bool:
    """No value: None, NaN, NaT or pd.NA (a nullable column's NULL, which `x != x` cannot test)."""
    return value is None or bool(pd.isna(value))


def pct(value) -> str:
    return "—" if missing(value) else f"{value:.1%}"


def money(value) -> str:
    """12,345,678 -> '12.3M' for tiles (tables keep full figures)."""
    if missing(value):
        return "—"
    from intel.models import money as compact

    return compact(value)
