"""The global filters (period, region, segment, owner, product) and their URL form.

A copied URL reproduces a view, so filters travel as query parameters:
`?from=2025-06-01&to=2026-11-30&region=EMEA&region=APAC&segment=SMB`. Parsing never fails:
a value that is malformed or names nothing in the data is dropped with a note saying so.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Mapping, Sequence

from intel import models, periods, store

DIMENSIONS = ("region", "segment", "owner", "product")   # the global filter bar
TRAILING_MONTHS = 18
# "All time": the range a view takes when the closed deals carry no close date. Undated closed
# deals count in all-time figures and in no period (METRICS.md): the SQL sees no range at all.
ALL_TIME = (dt.date(1900, 1, 1), dt.date(2999, 12, 31))


@dataclass(frozen=True)
class Filters:
    date_from: dt.date
    date_to: dt.date
    region: tuple[str, ...] = ()
    segment: tuple[str, ...] = ()
    owner: tuple[str, ...] = ()
    product: tuple[str, ...] = ()

    @property
    def all_time(self) -> bool:
        return (self.date_from, self.date_to) == ALL_TIME

    def params(self) -> dict:
        """Bound parameters for the metric SQL (closed_in_scope and friends); no range (NULL
        dates) for all time, so undated closed deals count."""
        date_from, date_to = (None, None) if self.all_time else (self.date_from, self.date_to)
        return {"date_from": date_from, "date_to": date_to, "region": list(self.region),
                "segment": list(self.segment), "owner": list(self.owner), "product": list(self.product)}

    def to_query(self) -> dict[str, list[str]]:
        query = {"from": [self.date_from.isoformat()], "to": [self.date_to.isoformat()]}
        for dim in DIMENSIONS:
            if getattr(self, dim):
                query[dim] = list(getattr(self, dim))
        return query

    def with_(self, **changes) -> "Filters":
        return replace(self, **changes)

    def describe(self) -> str:
        parts = ["all time" if self.all_time else f"{self.date_from:%Y-%m-%d} to {self.date_to:%Y-%m-%d}"]
        parts += [f"{dim}: {', '.join(getattr(self, dim))}" for dim in DIMENSIONS if getattr(self, dim)]
        return "; ".join(parts)


def default_range(db=None, months: int = TRAILING_MONTHS) -> tuple[dt.date, dt.date]:
    """The trailing `months` whole months ending with the latest closed deal (not today); all
    time when closed deals exist but none has a close date."""
    models.refresh(db)
    cur = store.cursor(db)
    try:
        latest, undated = cur.execute(
            "SELECT max(close_date), count(*) FILTER (WHERE close_date IS NULL) "
            "FROM deal_facts WHERE is_closed").fetchone()
    finally:
        cur.close()
    if latest is None and undated:
        return ALL_TIME
    return periods.trailing_months(latest or dt.date.today(), months)


def members(db=None) -> dict[str, list[str]]:
    """The values each filter dimension takes in the data (for pickers and URL checks)."""
    models.refresh(db)
    cur = store.cursor(db)
    try:
        # deal_member: the one dimension -> member mapping; '(none)' (no value) is no choice
        return {dim: [v for (v,) in cur.execute(
            "SELECT DISTINCT deal_member($d, region, segment, owner, team, manager, industry, country, "
            "product, product_family, competitor, lead_source, deal_type, deal_size_band) AS v "
            "FROM deal_facts WHERE v <> '(none)' ORDER BY v", {"d": dim}).fetchall()] for dim in DIMENSIONS}
    finally:
        cur.close()


def parse_query(query: Mapping[str, Sequence[str]], known: Mapping[str, Sequence[str]],
                default: tuple[dt.date, dt.date]) -> tuple[Filters, list[str]]:
    """Filters from URL parameters (each a list of values); returns (filters, notes on what was ignored)."""
    notes: list[str] = []
    dates = {}
    for key, fallback in (("from", default[0]), ("to", default[1])):
        values = list(query.get(key, []))
        dates[key] = fallback
        if values:
            try:
                dates[key] = dt.date.fromisoformat(values[-1])
            except ValueError:
                notes.append(f"'{values[-1]}' is not a date (YYYY-MM-DD); the {key} date is the default.")
    if dates["from"] > dates["to"]:
        notes.append("The period's start is after its end; the default period is shown.")
        dates = {"from": default[0], "to": default[1]}
    chosen = {}
    for dim in DIMENSIONS:
        values = [v for raw in query.get(dim, []) for v in str(raw).split("|") if v != ""]
        unknown = [v for v in values if v not in known.get(dim, ())]
        if unknown:
            notes.append(f"No {dim} called {', '.join(repr(v) for v in unknown)} in the data; ignored.")
        chosen[dim] = tuple(dict.fromkeys(v for v in values if v in known.get(dim, ())))
    return Filters(dates["from"], dates["to"], **chosen), notes



def scope_text(filters: Filters) -> str:
    """Whose numbers these are, in words: 'Region: EMEA · Owner: Priya Natarajan', or 'All regions,
    segments, owners and products'."""
    parts = [f"{dim.capitalize()}: {', '.join(getattr(filters, dim))}" for dim in DIMENSIONS if getattr(filters, dim)]
    return " · ".join(parts) or "All regions, segments, owners and products"


def period_text(filters: Filters) -> str:
    """The close-date range in words: 'closed 2025-06-01 to 2026-11-30' or 'all time'."""
    return "all time" if filters.all_time else f"closed {filters.date_from:%Y-%m-%d} to {filters.date_to:%Y-%m-%d}"


def data_date(db=None) -> dt.date | None:
    """The day the data describes: the latest pipeline snapshot, else the latest import (None
    when nothing is loaded)."""
    cur = store.cursor(db)
    try:
        snapshot, imported = cur.execute(
            "SELECT (SELECT max(snapshot_date) FROM imports WHERE undone_at IS NULL), "
            "(SELECT max(imported_at) FROM imports WHERE undone_at IS NULL)").fetchone()
    finally:
        cur.close()
    if snapshot is not None:
        return snapshot
    return imported.date() if imported is not None else None


def scope_line(filters: Filters, db=None, period: str | None = None) -> str:
    """The line a shared view, the QBR pack and every export carry, so a number is never read
    without whose it is, when, and how fresh: 'Region: EMEA · closed 2025-06-01 to 2026-11-30 ·
    data as of 2026-11-16'. `period` names a focus period (2026-Q3) instead of the range."""
    when = period or period_text(filters)
    day = data_date(db)
    return " · ".join([scope_text(filters), when, f"data as of {day:%Y-%m-%d}" if day else "no data loaded"])
