"""Tables out as CSV or XLSX: headed and dated as the app shows them, safe to open in a spreadsheet.

One place for every download (the pages, and the QBR pack or the command line when they export a
table). A table goes out as a person reads it: helper columns dropped (period_start, sign,
measure), each column headed as the app heads it (metrics.column_label), money rounded to the cent,
days without a midnight, exact decimals as numbers; percentages stay fractions at full precision
(an XLSX shows them as percentages). The first line (CSV) or row (XLSX) can carry the scope line
(intel.filters.scope_line): whose numbers, which period, how fresh. A file is named
`sightline-<page>-<table>-<period>-<scope>.csv`.

A text cell starting with = + - @ (or a tab / carriage return) would run as a formula in Excel or
Sheets ("CSV injection"); such cells, headers and the scope line get a leading apostrophe.
Numbers stay numbers.
"""
from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import re

import pandas as pd

from intel import metrics

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# what a figure needs to be drawn or sorted, not read (its period has a label column beside it)
HIDDEN_COLUMNS = ("period_start", "sign", "measure")
# how an XLSX shows each catalogue format (the cell keeps the full value)
XLSX_FORMATS = {"money": "#,##0.00", "velocity": "#,##0.00", "percent": "0.0%", "count": "#,##0",
                "days": "0", "ratio": "0.00", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}
_PERIOD_TOKEN = re.compile(r"\d{4}-(?:Q[1-4]|\d{2}(?:-\d{2})?)(?![\d])")


def _safe_text(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def formula_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy where every text cell that a spreadsheet would run as a formula is defused."""
    out = df.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(_safe_text)
    out.columns = [_safe_text(str(c)) for c in out.columns]
    return out


def _numbers(series: pd.Series) -> pd.Series:
    """Exact decimals (DuckDB DECIMAL) as floats; a column holding any text is left as it is."""
    values = series.dropna()
    if series.dtype == object and len(values) and all(
            isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool) for v in values):
        return pd.to_numeric(series, errors="coerce")
    return series


def _days_only(series: pd.Series) -> bool:
    values = series.dropna()
    return bool(len(values)) and bool((values.dt.normalize() == values).all())


def readable(df: pd.DataFrame, dim: str | None = None, labels: dict | None = None,
             as_is: bool = False) -> tuple[pd.DataFrame, dict[str, str]]:
    """The table as it is downloaded, and each header's format (for the XLSX cells).

    Helper columns dropped; headers as the app shows them (`labels` overrides one column's, the
    member column takes `dim`'s name); money and velocity rounded to the cent; timestamps without a
    time of day as dates, others to the second, time zones dropped (Excel has none). `as_is`
    keeps a table's own headers (rows of a user's file, rejected by an import, go back as they
    came)."""
    out = df.drop(columns=[c for c in HIDDEN_COLUMNS if c in df.columns and not as_is])
    out.attrs = {}
    labels = labels or {}
    formats: dict[str, str] = {}
    headers = []
    for name in list(out.columns):
        fmt = "text" if as_is else metrics.column_format(str(name))
        series = _numbers(out[name])
        if fmt in ("money", "velocity") and pd.api.types.is_numeric_dtype(series) \
                and not pd.api.types.is_bool_dtype(series):
            series = series.round(2)
            if (series.dropna() % 1 == 0).all():   # whole amounts read 10152000, not 10152000.0
                series = series.astype("Int64")
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            series = series.dt.tz_localize(None)
        if pd.api.types.is_datetime64_any_dtype(series):
            fmt = "date" if _days_only(series) else "datetime"
            if fmt == "date":
                series = series.dt.date.astype(object).where(series.notna(), None)
            else:   # a moment to the second (the store keeps microseconds)
                series = series.dt.floor("s")
        elif series.dropna().map(lambda v: isinstance(v, dt.date)).all() and len(series.dropna()):
            fmt = "date" if fmt not in ("date", "datetime") else fmt
        out[name] = series
        header = str(name) if as_is else labels.get(name) or metrics.column_label(str(name), dim)
        if header in headers:   # two columns under one label: the second is told apart
            header = next(f"{header} ({n})" for n in range(2, len(headers) + 2) if f"{header} ({n})" not in headers)
        headers.append(header)
        formats[header] = fmt
    out.columns = headers
    return out, formats


def to_csv_bytes(df: pd.DataFrame, scope: str | None = None, dim: str | None = None,
                 labels: dict | None = None, as_is: bool = False) -> bytes:
    """CSV (UTF-8 with BOM, so Excel reads it as UTF-8): the scope line first when given, then
    the headers and rows as `readable` makes them."""
    table, _ = readable(df, dim, labels, as_is)
    buffer = io.StringIO()
    if scope:
        csv.writer(buffer, lineterminator="\n").writerow([_safe_text(scope)])
    formula_safe(table).to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx_bytes(df: pd.DataFrame, sheet: str = "data", scope: str | None = None, dim: str | None = None,
                  labels: dict | None = None, as_is: bool = False) -> bytes:
    """XLSX: the scope line in the first row when given, then the table; each cell keeps its full
    value and shows in the column's format (money with cents, percentages as %, dates as days)."""
    table, formats = readable(df, dim, labels, as_is)
    safe = formula_safe(table)
    buffer = io.BytesIO()
    start = 1 if scope else 0
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe.to_excel(writer, index=False, sheet_name=sheet[:31], startrow=start)
        sheet_ = writer.sheets[sheet[:31]]
        if scope:
            sheet_.cell(row=1, column=1, value=_safe_text(scope))
        for index, header in enumerate(table.columns, start=1):
            number_format = XLSX_FORMATS.get(formats[header])
            if not number_format:
                continue
            for row in range(start + 2, start + 2 + len(table)):
                sheet_.cell(row=row, column=index).number_format = number_format
    return buffer.getvalue()


def slug(text: str, limit: int = 60) -> str:
    """Text made safe for a file name: 'North America, APAC' -> 'north-america-apac'; quarters
    keep their case (2026-Q3)."""
    text = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    return re.sub(r"(\d{4}-)q([1-4])\b", r"\1Q\2", text)[:limit].strip("-")


def scope_slug(filters) -> str:
    """The filters' members for a file name: 'emea', 'emea-smb', or 'all' when unfiltered."""
    from intel.filters import DIMENSIONS

    chosen = [v for dim in DIMENSIONS for v in getattr(filters, dim)]
    return slug("-".join(chosen)) or "all"


def period_slug(filters) -> str:
    """The close-date range for a file name: '2025-06-01-to-2026-11-30', or 'all-time'."""
    if filters.all_time:
        return "all-time"
    return f"{filters.date_from:%Y-%m-%d}-to-{filters.date_to:%Y-%m-%d}"


def file_name(page: str | None, table: str, ext: str, period: str | None = None, scope: str | None = None) -> str:
    """'sightline-forecast-variance-by-region-2026-Q3-emea.csv': the page, the table (whose name may
    already hold its period), the period when the table's name holds none, the scope."""
    if page and (slug(table) + "-").startswith(slug(page) + "-"):
        page = None   # 'forecast-accuracy-by-owner' on the forecast page: the page is named once
    parts = ["sightline", page, table]
    if period and not _PERIOD_TOKEN.search(table):
        parts.append(period)
    parts.append(scope)
    stem = "-".join(slug(p, 80) for p in parts if p and slug(p, 80))
    return f"{stem[:180].strip('-')}.{ext}"


def title(table: str) -> str:
    """A table's file-name stem in words, for its scope line: 'variance-by-region-2026-Q3' ->
    'Variance by region 2026-Q3'."""
    text, words, last = str(table), [], 0
    for found in _PERIOD_TOKEN.finditer(text):   # periods and days keep their dashes
        words += [text[last:found.start()].replace("-", " "), found.group(0)]
        last = found.end()
    words = re.sub(r"\s+", " ", "".join(words) + text[last:].replace("-", " ")).strip()
    return words[:1].upper() + words[1:]
