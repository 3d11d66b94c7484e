"""Widgets every page shares (written once): the store adapter, KPI tile, table downloads.

The only place Streamlit's caches meet the store: the connection is held only while runs use it, and
page data is cached by the store's data version, so an import or undo refreshes every page.
"""
from __future__ import annotations

import html
import logging
import re

import pandas as pd
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from intel import config, export, store

_LOG = logging.getLogger("sightline.pages")

# Streamlit runs a script under pages/ on its own (multipage v1) when a fresh server's first
# request names it (/forecast) before app.py has called st.navigation. Importing this module turns
# v1 off for sessions yet to start; a session already running a page alone starts over through
# app.py (db_path below). Nothing here raises at import: ten sessions importing this module at
# once on a fresh server must each get the whole module, never a half-initialised one.
PagesManager.uses_pages_directory = False
_ENTERED = "sl_entered_through_app"


def entered_through_app() -> None:
    """app.py calls this first in every run; a page run without it (v1) starts over through app.py."""
    st.session_state[_ENTERED] = True


def db_path() -> str:
    """The store file this app serves (SIGHTLINE_DB). The app holds the file only while runs
    read it (store.linger), so the command line can use it between runs: when it is taken, the
    run waits (bounded, saying so) and then stops with a sentence rather than a traceback."""
    if not st.session_state.get(_ENTERED):   # every page calls this first: a page run alone
        st.rerun()
    path = str(config.db_path())
    if store.is_open(path):
        return path
    shown = []
    try:
        with store.hold(path, told=lambda text: shown.append(st.info(plain(text)))):
            pass
    except store.StoreBusy as busy:
        say("error", str(busy))
        st.stop()
    for element in shown:
        element.empty()
    return path


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


def page_link(where, page: str, label: str, icon: str | None = None) -> None:
    """A link to another page of the app, left out when this visitor cannot open that page
    (a shared link opens one page; a viewer has no Data page)."""
    from streamlit.errors import StreamlitPageNotFoundError

    try:
        where.page_link(page, label=label, icon=icon)
    except StreamlitPageNotFoundError:
        pass


def data_version() -> str:
    """Read from the store on every run: the command line may have imported since."""
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


def kpi_tile(column, label: str, value: str, help: str | None = None, delta: str | None = None,
             delta_color: str = "normal") -> None:
    column.metric(label, value, delta=delta, help=help, delta_color=delta_color)


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


# ---- who is using the app ----

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


# ---- global filters, in the URL ----

FILTER_KEYS = ("from", "to", "region", "segment", "owner", "product")


@st.cache_data(show_spinner=False)
def _filter_choices(path: str, version: str):
    from intel.filters import default_range, members

    return members(path), default_range(path)


def _query() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in st.query_params.keys()}


def _write_query(updates: dict[str, list[str]], drop: tuple[str, ...] = ()) -> None:
    current = _query()
    for key in drop:
        current.pop(key, None)
    current.update(updates)
    if current != _query():
        st.query_params.from_dict({k: v if len(v) != 1 else v[0] for k, v in current.items()})


def filter_bar():
    """The global filter bar (sidebar). Its state lives in the URL; returns (Filters, notes).

    A value in the URL that is malformed or unknown is dropped and named in the notes.
    """
    from intel.filters import DIMENSIONS, Filters, parse_query

    path = db_path()
    known, default = _filter_choices(path, data_version())
    query = _query()
    if not any(k in query for k in FILTER_KEYS) and "flt_query" in st.session_state:
        query = {**query, **st.session_state["flt_query"]}   # page switch: keep the filters
    filters, notes = parse_query(query, known, default)
    signature = filters.to_query()
    if st.session_state.get("flt_query") != signature:       # a new link: widgets follow the URL
        st.session_state["flt_period"] = (filters.date_from, filters.date_to)
        for dim in DIMENSIONS:
            st.session_state[f"flt_{dim}"] = list(getattr(filters, dim))
    with st.sidebar:
        st.subheader("Filters")
        period = st.date_input("Period (close date)", key="flt_period", format="YYYY-MM-DD")
        if isinstance(period, (tuple, list)) and len(period) == 2:
            filters = filters.with_(date_from=period[0], date_to=period[1])
        chosen = {dim: tuple(st.multiselect(dim.capitalize(), known[dim], key=f"flt_{dim}",
                                            placeholder=f"All {dim}s"))
                  for dim in DIMENSIONS}
        filters = filters.with_(**chosen)
        if st.button("Reset filters", key="flt_reset", width="stretch"):
            st.session_state.pop("flt_query", None)
            _write_query({}, drop=FILTER_KEYS)
            st.rerun()
    st.session_state["flt_query"] = filters.to_query()
    _write_query(filters.to_query(), drop=FILTER_KEYS)
    return filters, notes


def url_choice(label: str, key: str, options: list, default, widget=None, notes: list | None = None,
               format_func=str, **kwargs):
    """A page control whose value lives in the URL under `key` (so a copied link keeps it)."""
    widget = widget or st.selectbox
    wkey, written = f"url_{key}", f"url_{key}_written"
    raw = st.query_params.get(key)
    as_text = {str(o): o for o in options}
    # The URL wins when it is new to this session (a pasted link); afterwards the widget does.
    if wkey not in st.session_state or (raw is not None and raw != st.session_state.get(written)):
        if raw is not None and raw not in as_text and notes is not None:
            notes.append(f"'{raw}' is not a choice for {label.lower()}; showing {format_func(default)}.")
        st.session_state[wkey] = as_text.get(raw, default)
    if widget is st.toggle:
        value = st.toggle(label, key=wkey, **kwargs)
    else:
        value = widget(label, options, key=wkey, format_func=format_func, **kwargs)
    st.session_state[written] = str(value)
    _write_query({key: [str(value)]})
    return value


def show_notes(notes: list[str]) -> None:
    if notes:
        say("info", "Ignored from the link: " + " ".join(notes))


def _intel_function(name: str):
    from intel import forecast, metrics, pipeline, signals

    for module in (metrics, signals, forecast, pipeline):  # pure functions of the data
        if hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(name)


@st.cache_data(show_spinner=False, max_entries=256)
def _metric(path: str, version: str, name: str, args: tuple, kwargs: tuple):
    return _intel_function(name)(*args, db=path, **dict(kwargs))


def metric(name: str, *args, **kwargs):
    """An intel.metrics function's result, cached until the data changes."""
    return _metric(db_path(), data_version(), name, args, tuple(sorted(kwargs.items())))


def global_filters():
    """The filters the bar in app.py put in the URL, for a page to read: (Filters, notes)."""
    from intel.filters import parse_query

    known, default = _filter_choices(db_path(), data_version())
    filters, _ = parse_query(_query(), known, default)
    unconverted = _unconverted(db_path(), data_version())
    if unconverted:   # every page that shows money says what its amounts leave out
        say("warning", unconverted)
    return filters, []


@st.cache_data(show_spinner=False)
def _unconverted(path: str, version: str) -> str | None:
    from intel.holdings import unconverted_note

    return unconverted_note(path)


# ---- charts and formats ----

PRIMARY, GREY = "#1f77b4", "#b0b0b0"


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


def _inert(value):
    """Text made literal for Plotly, which renders <a href>, <b>, <br>... in every label; numbers,
    dates and None pass unchanged, lists and arrays element by element."""
    import numpy as np

    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, np.ndarray):
        return value if value.dtype.kind not in "OUS" else np.vectorize(_inert, otypes=[object])(value)
    if isinstance(value, (list, tuple)):
        return [_inert(v) for v in value]
    return value


_TRACE_TEXT = ("x", "y", "z", "labels", "parents", "text", "hovertext", "customdata", "name",
               "legendgrouptitle")
_CLICKED = ("x", "y", "label", "text", "hovertext", "customdata", "legendgroup")


def _inert_figure(fig) -> None:
    """Every user-supplied string a figure can show (category values, trace names, text, hover text,
    custom data, titles, tick labels, annotations) escaped once, here, for every page."""
    for trace in fig.data:
        for attr in _TRACE_TEXT:
            if attr in trace and trace[attr] is not None:
                if attr == "legendgrouptitle":
                    trace.legendgrouptitle.text = _inert(trace.legendgrouptitle.text)
                else:
                    trace[attr] = _inert(trace[attr])
    layout = fig.layout
    if layout.title.text:
        layout.title.text = _inert(layout.title.text)
    if layout.legend.title.text:
        layout.legend.title.text = _inert(layout.legend.title.text)

    def axis(ax):
        if ax.title.text:
            ax.title.text = _inert(ax.title.text)
        if ax.ticktext is not None:
            ax.ticktext = _inert(ax.ticktext)
        if ax.categoryarray is not None:
            ax.categoryarray = _inert(ax.categoryarray)

    fig.for_each_xaxis(axis)
    fig.for_each_yaxis(axis)
    for note in layout.annotations:
        if note.text:
            note.text = _inert(note.text)


def _clicked(point: dict) -> dict:
    """A clicked point with its labels as the data holds them (the figure shows them escaped)."""
    return {k: html.unescape(v) if k in _CLICKED and isinstance(v, str) else v for k, v in dict(point).items()}


def chart(fig, key: str, select: bool = False, title: str | None = None) -> list[dict]:
    """Draw a Plotly figure, its text made literal; with select, return the points the user clicked
    (for drill-down), with their labels as in the data."""
    fig.update_layout(title=title, margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10},
                      template="plotly_white")
    _inert_figure(fig)
    event = st.plotly_chart(fig, key=key, on_select="rerun" if select else "ignore",
                            selection_mode="points", width="stretch")
    if select and event and event.selection:
        return [_clicked(p) for p in event.selection.points]
    return []


def waterfall(labels, values, measures, key: str, title: str, select: bool = False) -> list[dict]:
    """A waterfall (start, steps, end) zoomed on where the bars move, rises green, falls red;
    with select, the bars the user clicked."""
    import plotly.graph_objects as go

    level, levels = 0.0, []
    for value, measure in zip(values, measures):
        level = value if measure == "absolute" else (level if measure == "total" else level + value)
        levels.append(level)
    low, high = min(levels + [0]), max(levels)
    spread = high - min(levels)
    fig = go.Figure(go.Waterfall(
        x=list(labels), y=list(values), measure=list(measures),
        increasing={"marker": {"color": "#2ca02c"}}, decreasing={"marker": {"color": "#d62728"}},
        totals={"marker": {"color": PRIMARY}}))
    if low >= 0 and spread < 0.5 * high:   # steps are small next to the totals: zoom in
        fig.update_yaxes(range=[max(min(levels) - spread * 1.5, 0), high + spread * 0.5])
    return chart(fig, key, select=select, title=title)


@st.cache_data(show_spinner="Checking the alert rules…", max_entries=8)
def _evaluate(path: str, version: str, today, _by) -> int:
    from intel import alerts

    return len(alerts.evaluate(path, today, by=_by))


def evaluate_alerts(force: bool = False) -> None:
    """Evaluate the alert rules once per data version and day (evaluation records alerts, so
    only a user who may record them triggers it; others read what is recorded)."""
    import datetime as dt

    by = actor()
    if not by.can("evaluate alerts"):
        return
    if force:
        _evaluate.clear()
    _evaluate(db_path(), data_version(), dt.date.today(), by)


def markdown_link(label: str, url: str) -> str:
    """A markdown link whose label is shown literally; the url is ours (page and query string)."""
    return f"[{plain(label)}]({url.replace(' ', '%20').replace(')', '%29')})"


# ---- sharing ----

PAGE_PATHS = {"overview": "", "forecast": "forecast", "win-loss": "win-loss", "pipeline": "pipeline"}


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
    with slot.expander("Share this view"):
        here = f"{base}/{url_path}" + ("?" + urlencode(_query(), doseq=True) if _query() else "")
        st.caption("This view's link, with its filters and choices (copy it with the button on the right):")
        st.code(here, language=None)
        if page is None:
            st.caption("Read-only links are for the Overview, Forecast vs actual, Win-loss and Pipeline pages.")
            return
        if not actor().can("share views"):
            st.caption("Read-only links for people without an account are created by managers.")
            return
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
