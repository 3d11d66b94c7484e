"""Settings: one home for every knob, each with a default and a sentence of help.

A setting is read from the environment variable SIGHTLINE_<NAME> when set.
"""
from __future__ import annotations

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
    ]
}


def get(name: str) -> str:
    setting = SETTINGS[name]
    return os.environ.get(setting.env, setting.default)


def db_path() -> Path:
    return Path(get("db"))
