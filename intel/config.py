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
        Setting("warm_up", "on", "on: when the app opens data new to it, it makes sure the default landing's "
                                 "Outline is kept, working it out in the background if the store has none "
                                 "(seconds at a million deals); off: the first Forecast or Overview visit "
                                 "works it out."),
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
        # accounts: the rules proposing attack / defend / fire (intel/accounts.py, METRICS.md)
        Setting("stance_recent_deals", "5", "An account's latest deals (by created date) read for a "
                                            "competitor appearing in them."),
        Setting("stance_min_deals", "3", "Closed deals in the two years below which an account's own win "
                                         "rate, cycle and discount are not judged."),
        Setting("stance_defend_drop", "0.25", "Defend signal: bookings of the last 12 months down at least "
                                              "this share on the 12 before."),
        Setting("stance_competitor_deals", "3", "Defend signal: one competitor named in at least this many "
                                                "of the account's latest deals (and in under half that share "
                                                "of the deals before)."),
        Setting("stance_cycle_rise", "0.25", "Defend signal: median won cycle of the last 12 months at least "
                                             "this share longer than the 12 before."),
        Setting("stance_discount_rise", "0.05", "Defend signal: average discount of the last 12 months at "
                                                "least this many points (0.05 = 5) above the 12 before."),
        Setting("stance_defend_signals", "2", "Defend signals a customer must show to be proposed for defence."),
        Setting("stance_fire_quantile", "0.10", "Fire: discount, cycle and win rate all in this worst share of "
                                                "accounts, for recent bookings at or below the median customer's."),
        Setting("stance_attack_share", "0.10", "Attack: a customer is small-share below this share of its "
                                               "annual value (recent bookings ÷ annual value)."),
        Setting("stance_attack_growth", "0.10", "Attack: bookings of the last 12 months up at least this share."),
        Setting("stance_incumbent_gain", "0.10", "Attack: our head-to-head win rate against a competitor the "
                                                 "account lost to up at least this many points (0.10 = 10)."),
        # discount governance
        Setting("discount_approval", "25,20,15,10", "Largest discount (%) given without approval, per deal-size "
                                                   "band from the smallest deals to the largest."),
        Setting("discount_rise", "0.02", "An owner's average discount is rising when it gains at least this "
                                         "many points (0.02 = 2) each quarter."),
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


def number(name: str, low: float | None = None, high: float | None = None) -> float:
    """A numeric setting, checked: a sentence naming the variable when it is not a number in range."""
    text = get(name).strip()
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{SETTINGS[name].env} is '{text}': it must be a number.") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{SETTINGS[name].env} is {text}: it must be between {low} and {high}.")
    return value
