"""State in the URL, so a copied link keeps it: the global filter bar, a page's choices."""
from __future__ import annotations

import streamlit as st

from pages._components.data import _filter_choices, _unconverted, data_version, db_path
from pages._components.links import FILTER_KEYS
from pages._components.widgets import remember_filters, say


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
    from intel.filters import DIMENSIONS, parse_query

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


def pick_from_table(picked, values: list, key: str) -> None:
    """A row newly picked in a table (st.dataframe's selection, `values` its rows' choices) becomes
    the url_choice `key`'s value; a pick already applied does not override a later choice."""
    rows = [r for r in (picked.selection.rows if picked and picked.selection else []) if r < len(values)]
    if rows and st.session_state.get(f"url_{key}_picked") != values[rows[0]]:
        st.session_state[f"url_{key}_picked"] = st.session_state[f"url_{key}"] = values[rows[0]]


def picking_key(base: str, key: str) -> str:
    """The widget key of a table whose row picks the url_choice `key`: a new one each time that choice
    is made in its own control, so no row stays ticked beside another choice (st.dataframe's
    selection cannot be cleared but by a new key)."""
    return f"{base}_{st.session_state.get(f'url_{key}_gen', 0)}"


def _chosen_elsewhere(key: str) -> None:
    """The url_choice `key` was changed in its control: the picking table starts unticked, and a row
    picked before counts again when picked again."""
    st.session_state[f"url_{key}_gen"] = st.session_state.get(f"url_{key}_gen", 0) + 1
    st.session_state.pop(f"url_{key}_picked", None)


def url_chosen(key: str):
    """The url_choice `key`'s value in this session (a row picked included), None before the first."""
    return st.session_state.get(f"url_{key}")


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
    kwargs.setdefault("on_change", _chosen_elsewhere)
    kwargs.setdefault("args", (key,))
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


def global_filters():
    """The filters the bar in app.py put in the URL, for a page to read: (Filters, notes)."""
    from intel.filters import parse_query

    known, default = _filter_choices(db_path(), data_version())
    filters, _ = parse_query(_query(), known, default)
    remember_filters(filters)   # the page's downloads name and state this scope
    unconverted = _unconverted(db_path(), data_version())
    if unconverted:   # every page that shows money says what its amounts leave out
        say("warning", unconverted)
    return filters, []


def scope_line() -> str:
    """Whose numbers, which period, how fresh (intel.filters.scope_line) for the filters in the URL."""
    from intel.filters import parse_query
    from intel.filters import scope_line as line
    from pages._components.data import helper

    known, default = _filter_choices(db_path(), data_version())
    filters, _ = parse_query(_query(), known, default)
    return helper(line, filters)
