"""The store adapter: which store the app serves, its data version, and cached intel results.

The only place Streamlit's caches meet the store: the connection is held only while runs use it, and
page data is cached by the store's data version, so an import or undo refreshes every page.
"""
from __future__ import annotations

import streamlit as st

from intel import config, store
from pages._components.widgets import plain, say
from pages._components.workaround import rerun_if_page_runs_alone


def db_path() -> str:
    """The store file this app serves (SIGHTLINE_DB). The app holds the file only while runs
    read it (store.linger), so the command line can use it between runs: when it is taken, the
    run waits (bounded, saying so) and then stops with a sentence rather than a traceback."""
    rerun_if_page_runs_alone()
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


@st.cache_resource(show_spinner=False, max_entries=4)
def _warmed(path: str, version: str) -> bool:
    from intel import landing

    return landing.warm_up(path)


def warm_up() -> None:
    """Once per data version in this server process: the landing worked out in the background
    (intel.landing.warm_up), so the first Forecast visit does not read a million deals itself."""
    _warmed(db_path(), data_version())


def data_version() -> str:
    """Read from the store on every run: the command line may have imported since."""
    return store.data_version(db_path())


@st.cache_data(show_spinner=False)
def _filter_choices(path: str, version: str):
    from intel.filters import default_range, members

    return members(path), default_range(path)


@st.cache_data(show_spinner=False, max_entries=256)
def _metric(path: str, version: str, name: str, filters, params: tuple):
    from intel import metrics

    return metrics.run(name, filters, db=path, **dict(params))


def metric(name: str, filters, **params):
    """The catalogue metric `name` over `filters` (intel.metrics.run: dim=, grain= and the entry's
    parameters), cached until the data changes. Catalogue names only, as the catalogue spells them."""
    from intel import metrics

    if name not in metrics.CATALOGUE:
        raise ValueError(f"{name!r} is not in the metric catalogue (intel/metrics.py).")
    return _metric(db_path(), data_version(), name, filters, tuple(sorted(params.items())))


@st.cache_data(show_spinner=False, max_entries=64)
def _helper(path: str, version: str, qualname: str, _function, args: tuple, kwargs: tuple):
    return _function(*args, db=path, **dict(kwargs))


def helper(function, *args, **kwargs):
    """What an intel function that is not a metric returns (the snapshots held, the periods of a
    range, ...), cached until the data changes; keyed by the function's qualified name."""
    qualname = f"{function.__module__}.{function.__qualname__}"
    return _helper(db_path(), data_version(), qualname, function, args, tuple(sorted(kwargs.items())))


@st.cache_data(show_spinner=False)
def _unconverted(path: str, version: str) -> str | None:
    from intel.holdings import unconverted_note

    return unconverted_note(path)


@st.cache_data(show_spinner="Checking the alert rules…", max_entries=8)
def _evaluate(path: str, version: str, today, _by, force: bool = False) -> bool:
    """Evaluate the alert rules unless the store says this data and these rules were evaluated
    today (the import that brought the data did, in whatever process): True when it evaluated."""
    from intel import alerts

    if not force and alerts.evaluated(path, today):
        return False
    # an import's check may be running in the background: this waits for it and reads what it recorded
    alerts.evaluate(path, today, by=_by, again=force)
    return True


@st.cache_data(show_spinner=False, max_entries=16)
def _account_stance(path: str, version: str, decided: tuple, filters):
    from intel.accounts import account_stance

    return account_stance(filters, db=path)


def _account_decisions() -> tuple:
    """The managers' account decisions as a cache key: they are no import, so the data version
    does not move with them; their count and versions do."""
    from intel.accounts import decisions

    decided = decisions(db_path())
    return len(decided), int(decided["version"].sum())


def account_stance(filters):
    """intel.accounts.account_stance over `filters`, cached until the data changes or a manager
    decides on an account."""
    return _account_stance(db_path(), data_version(), _account_decisions(), filters)


@st.cache_data(show_spinner=False, max_entries=4)
def _suggested(path: str, version: str, decided: tuple):
    from intel import notes

    return notes.suggested(path)


def suggestions():
    """intel.notes.suggestions: what the data suggests (cached until the data changes or a manager
    decides on an account), less those accepted or dismissed, read live."""
    from intel import notes

    return notes.undecided(_suggested(db_path(), data_version(), _account_decisions()), db_path())
