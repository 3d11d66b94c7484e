"""Saved what-if scenarios of the landing (intel.landing): named, per period and scope, kept with
their history. Saving a name already used for the period in the same scope adds a version (the
earlier shocks stay readable); deleting adds a version marked deleted. Managers save; everyone
reads (the QBR pack shows them).
"""
from __future__ import annotations

import json

import pandas as pd

from intel import periods, store
from intel.access import Actor, require
from intel.filters import DIMENSIONS, Filters
from intel.landing import Landing, Projector, Shock, shared_projector

NAME_LIMIT = 80


def _scope(filters: Filters) -> str:
    return json.dumps({d: sorted(getattr(filters, d)) for d in DIMENSIONS}, sort_keys=True)


def scope_filters(scope: str | dict, base: Filters) -> Filters:
    """`base` (its dates) narrowed to a saved scope."""
    chosen = json.loads(scope) if isinstance(scope, str) else scope
    return base.with_(**{d: tuple(chosen.get(d) or ()) for d in DIMENSIONS})


def shocks_of(stored: str | list) -> tuple[Shock, ...]:
    return tuple(Shock.from_dict(s) for s in (json.loads(stored) if isinstance(stored, str) else stored))


def save(name: str, period: str, shocks: tuple[Shock, ...], filters: Filters, db=None, *, by: Actor) -> int:
    """Save the scenario (as `by`, a manager or above); returns its id. The same name for the same
    period and scope gets a new version, never a silent overwrite."""
    require(by, "edit notes")
    name = " ".join((name or "").split())
    if not name:
        raise ValueError("Give the scenario a name, e.g. 'Fabrikam price cut in SMB'.")
    if len(name) > NAME_LIMIT:
        raise ValueError(f"A scenario name is at most {NAME_LIMIT} characters.")
    if not shocks:
        raise ValueError("A scenario needs at least one what-if: nothing was changed.")
    periods.parse(period)
    scope, stored = _scope(filters), json.dumps([s.to_dict() for s in shocks])

    def work(cur) -> int:
        found = cur.execute(
            """SELECT scenario_id, max(version) FROM scenario_versions
               WHERE lower(name) = lower($n) AND period = $p AND scope = $s::JSON GROUP BY scenario_id""",
            {"n": name, "p": period, "s": scope}).fetchone()
        scenario_id, version = (found[0], found[1] + 1) if found else \
            (cur.execute("SELECT nextval('scenario_id_seq')").fetchone()[0], 1)
        cur.execute("INSERT INTO scenario_versions VALUES ($i, $v, $n, $p, $s, $k, $a, now()::TIMESTAMP, false)",
                    {"i": scenario_id, "v": version, "n": name, "p": period, "s": scope, "k": stored,
                     "a": by.name})
        return int(scenario_id)

    return store.write(work, db)


def delete(scenario_id: int, db=None, *, by: Actor) -> int:
    """Mark the scenario deleted (a new version; its history stays); returns that version."""
    require(by, "edit notes")

    def work(cur) -> int:
        row = cur.execute("""SELECT * FROM scenario_versions WHERE scenario_id = $i
                             ORDER BY version DESC LIMIT 1""", {"i": scenario_id}).df()
        if row.empty:
            raise ValueError(f"There is no scenario #{scenario_id}.")
        last = row.iloc[0]
        cur.execute("INSERT INTO scenario_versions VALUES ($i, $v, $n, $p, $s, $k, $a, now()::TIMESTAMP, true)",
                    {"i": scenario_id, "v": int(last["version"]) + 1, "n": last["name"], "p": last["period"],
                     "s": last["scope"], "k": last["shocks"], "a": by.name})
        return int(last["version"]) + 1

    return store.write(work, db)


def saved(period: str | None = None, db=None) -> pd.DataFrame:
    """The latest version of each scenario not deleted (for one period, or all), newest first:
    scenario_id, version, name, period, scope, shocks (JSON), author, saved_at."""
    cur = store.cursor(db)
    try:
        return cur.execute(
            """SELECT * EXCLUDE (deleted) FROM scenario_versions
               QUALIFY row_number() OVER (PARTITION BY scenario_id ORDER BY version DESC) = 1
                   AND NOT deleted AND ($p IS NULL OR period = $p)
               ORDER BY saved_at DESC, scenario_id DESC""", {"p": period}).df()
    finally:
        cur.close()


def history(scenario_id: int, db=None) -> pd.DataFrame:
    """Every version of a scenario, oldest first."""
    cur = store.cursor(db)
    try:
        return cur.execute("SELECT * FROM scenario_versions WHERE scenario_id = $i ORDER BY version",
                           {"i": scenario_id}).df()
    finally:
        cur.close()


def describe(shocks: tuple[Shock, ...], names: dict[str, str] | None = None) -> str:
    """'SMB: win rate moves by -5 points; Every open deal in scope: close dates slip by 2 weeks'."""
    return "; ".join(s.describe(names) for s in shocks)


def evaluate(row, base: Filters, sims: int | None = None, db=None, projector: Projector | None = None
             ) -> tuple[Landing, Landing]:
    """(the landing without the scenario, with it) in the scenario's scope, same seed."""
    projector = projector or shared_projector(db)
    filters = scope_filters(row["scope"], base)
    from intel.landing import default_period

    _, day = default_period(periods.parse(row["period"])[1], db)
    first, last, _ = periods.bounds(row["period"])
    as_of = min(max(day, first), last)
    plain = projector.project(filters, row["period"], as_of, sims)
    return plain, projector.project(filters, row["period"], as_of, len(plain.sims), shocks=shocks_of(row["shocks"]))
