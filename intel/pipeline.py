"""Pipeline: what is in it, how fast it turns into bookings, whether it covers the target, and
what moved between two snapshots. Definitions: shared/METRICS.md, repeated on top of each SQL
file (pipeline_*.sql, velocity.sql, coverage.sql, stage_conversion.sql, deal_watchlist.sql and
the movement macro of intel/sql/macros/pipeline.sql).
"""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from intel import metrics, periods, store
from intel.filters import Filters

# Every dimension but deal_size_band: a band is a deal fact (from the deal's latest amount), which
# the snapshot rows velocity counts open deals from do not carry.
VELOCITY_DIMENSIONS = metrics.SNAPSHOT_DIMENSIONS
WINDOW_QUARTERS = 2        # the trailing window of win rate, average deal and cycle (METRICS.md)
STALE_SNAPSHOTS = 4        # unchanged across this many snapshots: stale
VELOCITY_FACTORS = ("open_qualified", "win_rate", "avg_won_deal", "cycle_days")
VELOCITY_CHANGE_COLUMNS = (["member", "snapshot_0", "snapshot_1", "velocity_0", "velocity_1", "change_pct"]
                           + [f"share_{f}" for f in VELOCITY_FACTORS]
                           + [f"{f}_{n}" for f in VELOCITY_FACTORS for n in (0, 1)]
                           + [f"effect_{f}" for f in VELOCITY_FACTORS])
MOVEMENT_ORDER = ["start", "won", "lost", "pushed_out", "grew", "shrank", "new", "pulled_in", "end"]
MOVEMENT_LABELS = {"start": "Start", "won": "Won", "lost": "Lost", "pushed_out": "Pushed out",
                   "grew": "Grew", "shrank": "Shrank", "new": "New", "pulled_in": "Pulled in",
                   "end": "End", "created_and_closed": "Created and closed"}


def snapshots(db=None) -> list[dt.date]:
    """The snapshot dates held, oldest first."""
    return list(_snapshot_imports(db))


def _snapshot_imports(db=None) -> dict[dt.date, int]:
    """Each snapshot date held, oldest first, and the import standing for it."""
    cur = store.cursor(db)
    try:
        return dict(cur.execute("SELECT snapshot_date, import_id FROM snapshot_dates ORDER BY 1").fetchall())
    finally:
        cur.close()


def pick_snapshot(day: dt.date | str | None, db=None, *, before: dt.date | None = None) -> dt.date:
    """The snapshot taken on `day`, or the latest one before it (default: the latest of all)."""
    return _pick(day, snapshots(db), before)


def _pick(day, held: list[dt.date], before: dt.date | None = None) -> dt.date:
    if not held:
        raise ValueError("No opportunities export is loaded: upload one on the Data page.")
    if day is None:
        candidates = [d for d in held if before is None or d < before]
        if not candidates:
            raise ValueError("Only one snapshot is loaded: a second upload unlocks movement.")
        return candidates[-1]
    day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
    earlier = [d for d in held if d <= day]
    if not earlier:
        raise ValueError(f"No snapshot on or before {day}: the first is {held[0]}.")
    return earlier[-1]


def _window_from(snapshot: dt.date, quarters: int) -> dt.date:
    """The first day of the trailing window of `quarters` quarters ending on the snapshot."""
    return periods.trailing_window(snapshot, quarters)[0]


def current_period(grain: str = "quarter", db=None) -> str:
    """The period holding the latest snapshot, in the usual notation (2026-Q4, 2026-11)."""
    return periods.label(pick_snapshot(None, db), grain)


def pipeline_by_stage(filters: Filters, snapshot: dt.date | None = None, db=None) -> pd.DataFrame:
    """Open pipeline by stage at a snapshot (default: the latest): deals, amount, weighted amount."""
    return metrics.run("pipeline_by_stage", filters, db=db, snapshot=snapshot)


def stage_conversion(filters: Filters, db=None) -> pd.DataFrame:
    """Per open stage: deals that entered it in the range, those that moved on, conversion,
    median days in stage, and the source (stage history or snapshots)."""
    return metrics.run("stage_conversion", filters, db=db)


def velocity_by(dim: str, filters: Filters, snapshot: dt.date | None = None,
                window_quarters: int = WINDOW_QUARTERS, db=None, *,
                exclude_no_decision: bool = False) -> pd.DataFrame:
    """Per member at a snapshot: open qualified deals, win rate, average won deal, cycle, velocity.
    With exclude_no_decision, "No decision" losses leave the win rate (and the closed count)."""
    return metrics.run("velocity", filters, db=db, dim=dim, snapshot=snapshot,
                       window_quarters=window_quarters, exclude_no_decision=exclude_no_decision)


_COUNT_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight")


def window_text(snapshot: dt.date | str, window_quarters: int = WINDOW_QUARTERS) -> str:
    """The trailing window velocity's win rate, average won deal and sales cycle (and coverage's
    1 ÷ win rate) are read over, in words: 'closed 2026-05-17 to 2026-11-16, the trailing two
    quarters to the 2026-11-16 snapshot' (METRICS.md: the 3N calendar months ending on it)."""
    snapshot = snapshot if isinstance(snapshot, dt.date) else dt.date.fromisoformat(str(snapshot))
    since, until = periods.trailing_window(snapshot, window_quarters)
    count = _COUNT_WORDS[window_quarters] if window_quarters < len(_COUNT_WORDS) else str(window_quarters)
    return (f"closed {since:%Y-%m-%d} to {until:%Y-%m-%d}, the trailing {count} "
            f"quarter{'' if window_quarters == 1 else 's'} to the {until:%Y-%m-%d} snapshot")


def velocity_sum_note(members: pd.DataFrame, total: pd.DataFrame, dim: str) -> str | None:
    """Why the members' velocities (velocity_by(dim)) do not add up to the total's
    (velocity_by('total')), in one sentence with both figures; None when they do, or when
    either is unknown. Velocity multiplies its factors, and the total's factors are pooled over
    every member (its win rate is all wins ÷ all closed deals, its cycle the median of every won
    deal), so the product of the pooled factors is not the sum of the members' products."""
    if dim == "total" or members.empty or total.empty or pd.isna(total["velocity"].iloc[0]):
        return None
    known = members["velocity"].dropna()
    summed, whole = float(known.sum()), float(total["velocity"].iloc[0])
    if math.isclose(summed, whole, rel_tol=1e-9, abs_tol=1e-6):
        return None
    word = dim.replace("_", " ")
    plural = {"industry": "industries", "country": "countries"}.get(word, word + "s")
    left_out = len(members) - len(known)
    unknown = (f" ({left_out} {word if left_out == 1 else plural} without a velocity left out of the sum)"
               if left_out else "")
    return (f"The {plural}' velocities add up to {metrics.format_value(summed, 'velocity')}, not the "
            f"total's {metrics.format_value(whole, 'velocity')}{unknown}: velocity = open deals × win rate × "
            f"average won deal ÷ sales cycle is a product, not a sum, and the total's factors are pooled "
            f"over every {word} (its win rate is all wins ÷ all closed deals, its cycle the median of every "
            f"won deal), so it is not the sum of the {plural}' products.")


def velocity_missing(row: pd.Series, snapshot: dt.date, window_quarters: int = WINDOW_QUARTERS) -> str | None:
    """Why a velocity_by row has no velocity, in one sentence naming what the data lacks
    (None when it has one)."""
    if not pd.isna(row["velocity"]):
        return None
    since, snapshot = periods.trailing_window(snapshot, window_quarters)
    if pd.isna(row["closed"]) or row["closed"] == 0:
        why = [f"no deal closed from {since} to {snapshot}, so win rate, average won deal and "
               "sales cycle are unknown"]
    elif row["won"] == 0:
        why = [f"no deal was won from {since} to {snapshot}, so the average won deal and the "
               "sales cycle are unknown"]
    else:
        why = []
        if pd.isna(row["avg_won_deal"]):
            why.append("the deals won have no amount")
        if pd.isna(row["cycle_days"]):
            why.append("the deals won have no created date, so the sales cycle is unknown")
        elif row["cycle_days"] == 0:
            why.append("the deals won closed the day they were created (a cycle of 0 days)")
    return f"Velocity at {snapshot} cannot be computed: {'; '.join(why) or 'a factor is missing'}."


def velocity_change(dim: str, filters: Filters, s0: dt.date | None = None, s1: dt.date | None = None,
                    window_quarters: int = WINDOW_QUARTERS, db=None, *,
                    exclude_no_decision: bool = False) -> pd.DataFrame:
    """Velocity at two snapshots per member and the share of its change each factor explains,
    each factor before and after, and its effect on velocity in $/day (share × the change).

    Log decomposition: Δln v = Δln n + Δln w + Δln a − Δln c; each share is its term ÷ Δln v
    (the four add up to 1). Default: the latest snapshot against the latest one taken at least
    3 calendar months earlier (the first snapshot when none is that old).
    """
    return _velocity_change(dim, filters, s0, s1, window_quarters, db, exclude_no_decision)[0]


def _velocity_change(dim, filters, s0, s1, window_quarters, db, exclude_no_decision):
    """velocity_change's table, and velocity_by at the later snapshot it was computed from."""
    s1 = pick_snapshot(s1, db)
    if s0 is None:
        a_quarter_before = [d for d in snapshots(db) if d <= periods.add_months(s1, -3)]
        s0 = a_quarter_before[-1] if a_quarter_before else snapshots(db)[0]
    else:
        s0 = pick_snapshot(s0, db)
    before = velocity_by(dim, filters, s0, window_quarters, db,
                         exclude_no_decision=exclude_no_decision).set_index("member")
    after = velocity_by(dim, filters, s1, window_quarters, db,
                        exclude_no_decision=exclude_no_decision).set_index("member")
    rows = []
    for member in after.index.union(before.index):
        b = before.loc[member] if member in before.index else None
        a = after.loc[member] if member in after.index else None
        row = {"member": member, "snapshot_0": s0, "snapshot_1": s1,
               "velocity_0": _number(b, "velocity"), "velocity_1": _number(a, "velocity")}
        terms = {}
        for factor, sign in (("open_qualified", 1), ("win_rate", 1), ("avg_won_deal", 1), ("cycle_days", -1)):
            x0, x1 = _number(b, factor), _number(a, factor)
            ok = x0 > 0 and x1 > 0   # NaN (a factor missing) compares False
            terms[factor] = sign * (math.log(x1) - math.log(x0)) if ok else math.nan
        total = sum(terms.values())   # NaN when a factor is missing at either snapshot
        row["change_pct"] = math.exp(total) - 1
        for factor, term in terms.items():
            row[f"share_{factor}"] = term / total if total != 0 else math.nan
            row[f"{factor}_0"], row[f"{factor}_1"] = _number(b, factor), _number(a, factor)
            # the factor's part of the change in $/day, signed (the four add up to velocity_1 − velocity_0)
            row[f"effect_{factor}"] = row[f"share_{factor}"] * (row["velocity_1"] - row["velocity_0"])
        rows.append(row)
    return pd.DataFrame(rows, columns=VELOCITY_CHANGE_COLUMNS), after.reset_index()


def _number(row: pd.Series | None, column: str) -> float:
    """A factor as a float, NaN when the member or the value is missing (SQL NULL arrives as
    NaN or pd.NA, and bool(pd.NA) raises)."""
    if row is None or pd.isna(row[column]):
        return math.nan
    return float(row[column])


def coverage(filters: Filters, grain: str = "quarter", snapshot: dt.date | None = None, periods: int = 4,
             window_quarters: int = WINDOW_QUARTERS, db=None, *,
                exclude_no_decision: bool = False) -> pd.DataFrame:
    """Per period from the one holding the snapshot: pipeline, target, actual to date, remaining,
    coverage, and the coverage needed (1 ÷ win rate; with exclude_no_decision, "No decision"
    losses leave that win rate)."""
    return metrics.run("coverage", filters, db=db, grain=grain, snapshot=snapshot, periods=periods,
                       window_quarters=window_quarters, exclude_no_decision=exclude_no_decision)


def _movement_params(period: str, s0, s1, db) -> dict:
    p_start, p_end, _ = periods.bounds(period)
    later = pick_snapshot(s1, db)
    earlier = pick_snapshot(s0, db) if s0 is not None else pick_snapshot(None, db, before=later)
    if earlier >= later:
        raise ValueError(f"The first snapshot ({earlier}) must be before the second ({later}).")
    return {"s0": earlier, "s1": later, "p_start": p_start, "p_end": p_end}


def movement(period: str, filters: Filters, s0: dt.date | None = None, s1: dt.date | None = None,
             db=None) -> pd.DataFrame:
    """What moved in period P's pipeline between two snapshots (default: the last two):
    one row per category (start, won, lost, pushed_out, grew, shrank, new, pulled_in, end,
    created_and_closed) with deals and amount; the snapshots used are in .attrs."""
    return metrics.run("pipeline_movement", filters, db=db, period=period, s0=s0, s1=s1)


def movement_deals(period: str, filters: Filters, s0: dt.date | None = None, s1: dt.date | None = None,
                   category: str | None = None, limit: int | None = None, db=None) -> pd.DataFrame:
    """The deals behind the movement (one category, or all), largest changes first."""
    return metrics.run("pipeline_movement_deals", filters, db=db, period=period, s0=s0, s1=s1,
                       category=category, limit=limit)


def watchlist(filters: Filters, snapshot: dt.date | None = None, stale_snapshots: int = STALE_SNAPSHOTS,
              limit: int | None = None, db=None) -> pd.DataFrame:
    """Open deals that slipped (with push count), are overdue, or went stale, at a snapshot."""
    return metrics.run("deal_watchlist", filters, db=db, snapshot=snapshot,
                       stale_snapshots=stale_snapshots, limit=limit)


# ---- the catalogue's hooks (intel.metrics) ----

def snapshot_params(values: dict, filters: Filters, db=None) -> dict:
    """The snapshot a figure is read at: the one on or before the asked day (default: the
    latest), and the import standing for it (s_import: snapshot_rows reads it as a constant)."""
    held = _snapshot_imports(db)
    day = _pick(values.get("snapshot"), list(held))
    return {**values, "s": day, "s_import": held[day]}


def velocity_params(values: dict, filters: Filters, db=None) -> dict:
    """The snapshot, and the trailing window its win rate, average deal and cycle are read over."""
    quarters = values.get("window_quarters") or WINDOW_QUARTERS
    values = snapshot_params(values, filters, db)
    return {**values, "window_from": _window_from(values["s"], quarters)}


def movement_params(values: dict, filters: Filters, db=None) -> dict:
    if not values.get("period"):
        raise ValueError("Pipeline movement needs a target period, e.g. 2026-Q4 (or 2026-11).")
    return {**values, **_movement_params(values["period"], values.get("s0"), values.get("s1"), db)}


def velocity_change_frame(filters: Filters, params: dict, db=None) -> pd.DataFrame:
    """velocity_change for the catalogue, with `closed`: the deals closed in the later window
    (what a minimum sample counts)."""
    quarters = params.get("window_quarters") or WINDOW_QUARTERS
    dim = params["dim"]
    nd = params.get("exclude_no_decision", False)
    # the later snapshot's velocity_by, already read for the change, gives `closed` (not read again)
    table, later = _velocity_change(dim, filters, params.get("s0"), params.get("s1"), quarters, db, nd)
    if table.empty:
        return table.assign(closed=pd.Series(dtype="float64"))
    return table.merge(later[["member", "closed"]], on="member", how="left")
