"""Settings: one home for every knob, each with a default and a sentence of help.

A setting is read from the environment variable SIGHTLINE_<NAME> when set.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str

    @property
    def env(self) -> str:
        return "SIGHTLINE_" + self.name.upper()


SETTINGS = {
    s.name: s
    for s in [
        Setting("db", str(ROOT / "data" / "sightline.duckdb"), "Path of the DuckDB store file."),
        Setting("reporting_currency", "USD", "Currency reports convert to when an FX table is imported."),
        Setting("fiscal_year_start", "1", "First month (1-12) of the fiscal year."),
        Setting("min_sample", "10", "Closed deals below which a win rate is greyed and fires no alert."),
        Setting("memory_limit", "2GB", "DuckDB memory limit for this process."),
        Setting("store_wait", "60", "Seconds the app or the command line waits for the store file while "
                                    "the other one is using it, before saying it is busy."),
        Setting("auth", "none", "Sign-in: none (one local admin, no prompt), password (users kept in the "
                                "store, managed by an admin) or oidc (Streamlit's st.login; [auth] in "
                                ".streamlit/secrets.toml)."),
        Setting("lockout_attempts", "5", "Consecutive failed sign-ins for one user name from one client "
                                         "after which that client waits (1 minute, doubling with each "
                                         "further failure); the account stays usable elsewhere."),
        Setting("lockout_minutes", "15", "The longest a client waits after failed sign-ins."),
        Setting("date_min", "1970-01-01", "Earliest date an import accepts; rows dated before it are rejected."),
        Setting("date_max", "2100-12-31", "Latest date an import accepts; rows dated after it (9999-12-31 "
                                          "placeholders) are rejected."),
        Setting("oidc_default_role", "viewer", "Role of a single-sign-on user who has no user entry; "
                                               "empty to let in only the users an admin added."),
    ]
}


def get(name: str) -> str:
    setting = SETTINGS[name]
    return os.environ.get(setting.env, setting.default)


AUTH_MODES = ("none", "password", "oidc")


def auth_mode() -> str:
    mode = get("auth").strip().lower()
    if mode not in AUTH_MODES:
        raise ValueError(f"SIGHTLINE_AUTH is '{mode}': it must be one of {', '.join(AUTH_MODES)}.")
    return mode


def date_window() -> tuple[dt.date, dt.date]:
    """(first, last) day an import accepts, from SIGHTLINE_DATE_MIN and SIGHTLINE_DATE_MAX."""
    days = []
    for name in ("date_min", "date_max"):
        try:
            days.append(dt.date.fromisoformat(get(name).strip()))
        except ValueError:
            raise ValueError(f"{SETTINGS[name].env} is '{get(name)}': write it as YYYY-MM-DD.") from None
    if days[0] > days[1]:
        raise ValueError(f"SIGHTLINE_DATE_MIN ({days[0]}) is after SIGHTLINE_DATE_MAX ({days[1]}).")
    return days[0], days[1]


def db_path() -> Path:
    return Path(get("db"))
