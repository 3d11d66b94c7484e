"""Widgets every page shares (written once): KPI tiles and tables labelled and formatted as the
metric catalogue says, table downloads, page links, user text shown literally (plain, say,
markdown_link)."""
from __future__ import annotations

import re
from contextlib import nullcontext

import pandas as pd
import streamlit as st

from intel import export, metrics
from intel.models import currency_prefix


def page_link(where, page: str, label: str, icon: str | None = None) -> None:
    """A link to another page of the app, left out when this visitor cannot open that page
    (a shared link opens one page; a viewer has no Data page)."""
    from streamlit.errors import StreamlitPageNotFoundError

    try:
        where.page_link(page, label=label, icon=icon)
    except StreamlitPageNotFoundError:
        pass


def current_view() -> tuple[str | None, str | None]:
    """This run's page: (its key for the run's state, its name for file names: 'forecast',
    'overview'); (None, None) outside a page run."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:
        return None, None
    page = ctx.pages_manager.current_page_script_hash
    info = ctx.pages_manager.get_pages().get(page) or {}
    return page, info.get("url_pathname") or info.get("page_name") or None


def remember_filters(filters) -> None:
    """The global filters this page run reads (urlstate.global_filters), for its downloads' scope
    line and file names."""
    st.session_state["tbl_scope"] = (current_view()[0], filters)


def _view_filters():
    page, _ = current_view()
    remembered = st.session_state.get("tbl_scope")
    return remembered[1] if remembered and page is not None and remembered[0] == page else None


def download_buttons(df: pd.DataFrame, name: str, key: str, *, dim: str | None = None,
                     labels: dict | None = None, title: str | None = None, period: str | None = None,
                     as_is: bool = False, scoped: bool = True) -> None:
    """CSV and XLSX downloads of a table (intel.export: formula-safe, headed as the table is, money
    to the cent), opening with a line saying what the table is, its scope and period and the data's
    date; named sightline-<page>-<name>-<period>-<scope>. Headed as the table drawn just above it
    when `dim` and `labels` are not given; `period` names a focus period for the scope line;
    `as_is` keeps the table's own headers (a user's rejected rows); `scoped=False` for a table the
    filter bar does not narrow (strategy boards): its name and first line then carry no range."""
    from intel import filters as scopes
    from pages._components.data import db_path

    run, page = current_view()
    drawn = st.session_state.get("tbl_last")
    if dim is None and labels is None and drawn and drawn[0] == run and set(drawn[1]) <= set(df.columns):
        dim, labels = drawn[2], drawn[3]   # the table drawn just above: the download is headed as it is
    chosen = _view_filters() if scoped else None
    what = title or export.title(name)
    if chosen is not None:
        scope = f"{what} · {scopes.scope_line(chosen, db_path(), period)}"
        names = {"period": export.period_slug(chosen), "scope": export.scope_slug(chosen)}
    else:
        day = scopes.data_date(db_path())
        scope = f"{what} · " + (f"data as of {day:%Y-%m-%d}" if day else "no data loaded")
        names = {}
    options = {"scope": scope, "dim": dim, "labels": labels, "as_is": as_is}
    left, right = st.columns(2)
    # the files are written on click (no Streamlit, no store in there: the scope line is written now);
    # a download changes nothing, so it does not rerun the page (a rerun would also retire the other
    # button's file while the user reaches for it)
    left.download_button("Download CSV", lambda: export.to_csv_bytes(df, **options),
                         export.file_name(page, name, "csv", **names), "text/csv",
                         key=f"{key}_csv", width="stretch", on_click="ignore")
    right.download_button(
        "Download XLSX", lambda: export.to_xlsx_bytes(df, **options), export.file_name(page, name, "xlsx", **names),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx", width="stretch", on_click="ignore")


def kpi_tile(column, label: str, value: str, help: str | None = None, delta: str | None = None,
             delta_color: str = "normal") -> None:
    column.metric(label, value, delta=delta, help=help, delta_color=delta_color)


def tile_value(value, fmt: str) -> str:
    """A value as a tile shows it: the catalogue's format, money and velocity shortened with the
    reporting currency's symbol ('$38.7M', '$381k/day')."""
    return metrics.format_value(value, fmt, compact=True)


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


MISSING = "—"   # what a table shows for no value (Streamlit's own placeholder reads "None")
HIDDEN_COLUMNS = export.HIDDEN_COLUMNS
# Up to this many rows, a table's figures are written by metrics.format_value, as the tiles and the
# QBR pack write them ("$9,918,035", "-$5,800,001", "26.1%"), through a Styler (which costs about a
# millisecond per 20 cells); longer lists (deals) take the grid's own formats, `number_format`.
WRITTEN_ROWS = 300


def number_format(fmt: str) -> dict | None:
    """How the grid itself shows a catalogue format, for long tables: NumberColumn options (the
    value underneath stays the number, so the column sorts as numbers); None for text and dates.

    Money is printf with the currency written before it ('$9,918,035', 'CHF 1,234'; a loss reads
    '$-5,800,001'): Streamlit's currency presets either show cents or, given a step, cut the value
    to it instead of rounding, and a table must round as the tiles and the QBR pack do. For the
    same reason percentages take the 'percent' preset without a step (up to two decimals)."""
    prefix = currency_prefix().replace("%", "%%")
    return {"money": {"format": f"{prefix}%,.0f"}, "velocity": {"format": f"{prefix}%,.0f/day"},
            "percent": {"format": "percent"}, "count": {"format": "%,d"},
            "days": {"format": "%,.0f days"}, "ratio": {"format": "%.2f×"}}.get(fmt)


def configure_columns(columns, dim: str | None = None, formats: bool = True, dates=(), labels: dict | None = None,
                      times=()) -> dict:
    """Each column headed as the catalogue heads it (the member column by its dimension, `labels`
    first) and, with `formats`, shown in the grid's rendering of the catalogue's format; days
    without a time of day, moments to the minute; helper columns hidden."""
    config = {}
    labels = labels or {}
    for name in columns:
        label = labels.get(name) or metrics.column_label(str(name), dim)
        shown = number_format(metrics.column_format(str(name))) if formats else None
        if name in HIDDEN_COLUMNS:
            config[name] = None
        elif name in dates:
            config[name] = st.column_config.DateColumn(label, format="YYYY-MM-DD")
        elif name in times:
            config[name] = st.column_config.DatetimeColumn(label, format="YYYY-MM-DD HH:mm")
        elif shown:
            config[name] = st.column_config.NumberColumn(label, **shown)
        else:
            config[name] = label
    return config


PHONE_ROWS = 6   # longer tables are folded on a phone


def _when_columns(data: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The datetime columns that hold days only, and those that hold moments."""
    days, times = [], []
    for name in data.columns:
        if pd.api.types.is_datetime64_any_dtype(data[name]):
            values = data[name].dropna()
            (days if (values.dt.normalize() == values).all() else times).append(name)
    return days, times


def _for_reading(data: pd.DataFrame) -> pd.DataFrame:
    """Numbers held as exact decimals read as numbers (a missing one blank, not 'None')."""
    data = data.copy()
    for name in data.columns:
        if data[name].dtype == object and number_format(metrics.column_format(str(name))):
            data[name] = pd.to_numeric(data[name], errors="coerce")
    return data


def _styled_columns(styler) -> set:
    """The columns whose Styler format says more than the catalogue's: a figure with its sign
    (+66,086), a text or a number the catalogue has no format for. A Styler that formats money as
    plain figures gets the catalogue's (with the currency) like every other table."""
    from pandas.io.formats.style import Styler

    styled = set()
    data = styler.data
    for position, name in enumerate(data.columns):
        values = data[name].dropna()
        if values.empty:
            continue
        row, value = data.index.get_loc(values.index[0]), values.iloc[0]
        try:
            own = styler._display_funcs[(row, position)]
            plain_ = Styler(data[[name]].iloc[[row]])._display_funcs[(0, 0)]
            if own(value) == plain_(value):
                continue   # the Styler left it as pandas shows it
            if number_format(metrics.column_format(str(name))) is None or str(own(abs(value))).startswith("+"):
                styled.add(name)
        except Exception:   # a pandas without these internals, a value without abs(): keep the Styler's
            styled.add(name)
    return styled


def _written(fmt: str):
    return lambda value: metrics.format_value(value, fmt)


def table(frame, key: str | None = None, dim: str | None = None, formats: bool = True,
          labels: dict | None = None, column_config: dict | None = None, as_is: bool = False, **kwargs):
    """st.dataframe of a metric's rows (a frame, a list of rows or a Styler), labelled and
    formatted from the catalogue: `labels` names a column otherwise (e.g. with its period),
    `column_config` overrides a column's config (a text there is its label); missing values read
    '—'; the values underneath stay numbers (the columns sort as numbers). A Styler keeps its
    colours and the signed formats it gives a column (+66,086, +0.7%); its other columns take the
    catalogue's. `as_is` shows a user's file as it came (its own headers and text), blanks as '—'."""
    from pandas.io.formats.style import Styler

    if as_is:
        return st.dataframe(frame, hide_index=True, width="stretch", key=key, placeholder=MISSING, **kwargs)
    overrides = {k: v for k, v in (column_config or {}).items() if not isinstance(v, str)}
    labels = {**(labels or {}), **{k: v for k, v in (column_config or {}).items() if isinstance(v, str)}}
    if isinstance(frame, Styler):   # formats=False there means: what the Styler formats stays its own
        styler, data, kept = frame, frame.data, _styled_columns(frame)
    else:
        data = _for_reading(pd.DataFrame(frame) if not isinstance(frame, pd.DataFrame) else frame)
        styler = data.style if formats and len(data) <= WRITTEN_ROWS else None
        kept = set()
    if data.attrs:   # what the runner noted (snapshots used, a bridge's members) is not for the table
        data.attrs = {}
    days, times = _when_columns(data)
    if styler is not None:
        # points too: the grid's printf cannot write a share's change as points (0.108 -> +10.8 points)
        written = {name: _written(metrics.column_format(str(name))) for name in data.columns
                   if name not in kept and (number_format(metrics.column_format(str(name)))
                                            or metrics.column_format(str(name)) == "points")}
        # days and moments too: a page's own DateColumn without a format would show the Styler's text
        written.update({name: _written("date") for name in days if name not in kept})
        written.update({name: _written("datetime") for name in times if name not in kept})
        # a number the catalogue does not know (a market indicator): two decimals, not pandas' six
        written.update({name: lambda v: "—" if pd.isna(v) else f"{v:,.2f}" for name in data.columns
                        if name not in written and name not in kept and pd.api.types.is_float_dtype(data[name])})
        if written:
            styler.format(written, subset=list(written))
        config = configure_columns(data.columns, dim, False, days, labels, times)
    else:
        config = configure_columns(data.columns, dim, formats, days, labels, times)
    page, _ = current_view()
    st.session_state["tbl_last"] = (page, list(data.columns), dim, labels)   # for its download
    from pages._components.page import on_phone

    # on a phone a long table is folded: the figures and charts above it stay within reach
    where = st.expander(f"The table: {len(data):,} rows") if on_phone() and len(data) > PHONE_ROWS else nullcontext()
    with where:
        return st.dataframe(data if styler is None else styler, hide_index=True, width="stretch", key=key,
                            column_config={**config, **overrides}, placeholder=MISSING, **kwargs)


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
    return metrics.format_value(value, "percent")


def money(value) -> str:
    """12,345,678 -> '$12.3M' for tiles and sentences (tables keep full figures)."""
    return metrics.format_value(value, "money", compact=True)
