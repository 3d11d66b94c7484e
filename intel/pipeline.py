"""Pipeline: what is in it, how fast it turns into bookings, whether it covers the target, and
what moved between two snapshots. Definitions: shared/METRICS.md, repeated on top of each SQL
file (pipeline_*.sql, velocity.sql, coverage.sql, stage_conversion.sql, deal_watchlist.sql and
the movement macro of migration 005).
"""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from intel import metrics, store
from intel.filters import Filters, fiscal_year_start
from intel.forecast import period_bounds

VELOCITY_DIMENSIONS = metrics.SNAPSHOT_DIMENSIONS
WINDOW_QUARTERS = 2        # trailing two quarters for win rate, average deal and cycle
WINDOW_DAYS = 182          # what the SQL takes today: 91 days a quarter
STALE_SNAPSHOTS = 4        # unchanged across this many snapshots: stale
VELOCITY_CHANGE_COLUMNS = ["member", "snapshot_0", "snapshot_1", "velocity_0", "velocity_1", "change_pct",
                           "share_open_qualified", "share_win_rate", "share_avg_won_deal", "share_cycle_days"]
MOVEMENT_ORDER = ["start", "won", "lost", "pushed_out", "grew", "shrank", "new", "pulled_in", "end"]
MOVEMENT_LABELS = {"start": "Start", "won": "Won", "lost": "Lost", "pushed_out": "Pushed out",
                   "grew": "Grew", "shrank": "Shrank", "new": "New", "pulled_in": "Pulled in",
                   "end": "End", "created_and_closed": "Created and closed"}


def snapshots(db=None) -> list[dt.date]:
    """The snapshot dates held, oldest first."""
    cur = store.cursor(db)
    try:
        return [d for (d,) in cur.execute("SELECT snapshot_date FROM snapshot_dates ORDER BY 1").fetchall()]
    finally:
        cur.close()


def pick_snapshot(day: dt.date | str | None, db=None, *, before: dt.date | None = None) -> dt.date:
    """The snapshot taken on `day`, or the latest one before it (default: the latest of all)."""
    held = snapshots(db)
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


def _period_bounds(period: str) -> tuple[dt.date, dt.date, str]:
    return period_bounds(period)


def current_period(grain: str = "quarter", db=None) -> str:
    """The period holding the latest snapshot, in the usual notation (2026-Q4, 2026-11)."""
    latest = pick_snapshot(None, db)
    if grain == "month":
        return f"{latest:%Y-%m}"
    shifted = latest.year * 12 + latest.month - 1 - (fiscal_year_start() - 1)
    return f"{shifted // 12}-Q{(shifted % 12) // 3 + 1}"


def pipeline_by_stage(filters: Filters, snapshot: dt.date | None = None, db=None) -> pd.DataFrame:
    """Open pipeline by stage at a snapshot (default: the latest): deals, amount, weighted amount."""
    return metrics.run("pipeline_by_stage", filters, db=db, snapshot=snapshot)


def stage_conversion(filters: Filters, db=None) -> pd.DataFrame:
    """Per open stage: deals that entered it in the range, those that moved on, conversion,
    median days in stage, and the source (stage history or snapshots)."""
    return metrics.run("stage_conversion", filters, db=db)


def velocity_by(dim: str, filters: Filters, snapshot: dt.date | None = None,
                window_quarters: int = WINDOW_QUARTERS, db=None) -> pd.DataFrame:
    """Per member at a snapshot: open qualified deals, win rate, average won deal, cycle, velocity."""
    return metrics.run("velocity", filters, db=db, dim=dim, snapshot=snapshot,
                       window_quarters=window_quarters)


def velocity_missing(row: pd.Series, snapshot: dt.date, window_days: int = WINDOW_DAYS) -> str | None:
    """Why a velocity_by row has no velocity, in one sentence naming what the data lacks
    (None when it has one)."""
    if not pd.isna(row["velocity"]):
        return None
    since = snapshot - dt.timedelta(days=window_days)
    if pd.isna(row["closed"]) or row["closed"] == 0:
        why = [f"no deal closed between {since} and {snapshot}, so win rate, average won deal and "
               "sales cycle are unknown"]
    elif row["won"] == 0:
        why = [f"no deal was won between {since} and {snapshot}, so the average won deal and the "
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
                    window_quarters: int = WINDOW_QUARTERS, db=None) -> pd.DataFrame:
    """Velocity at two snapshots per member and the share of its change each factor explains.

    Log decomposition: Δln v = Δln n + Δln w + Δln a − Δln c; each share is its term ÷ Δln v
    (the four add up to 1). Default: the latest snapshot against the one about a quarter earlier.
    """
    s1 = pick_snapshot(s1, db)
    if s0 is None:
        a_quarter_before = [d for d in snapshots(db) if d <= s1 - dt.timedelta(days=91)]
        s0 = a_quarter_before[-1] if a_quarter_before else snapshots(db)[0]
    else:
        s0 = pick_snapshot(s0, db)
    before = velocity_by(dim, filters, s0, window_quarters, db).set_index("member")
    after = velocity_by(dim, filters, s1, window_quarters, db).set_index("member")
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
        rows.append(row)
    return pd.DataFrame(rows, columns=VELOCITY_CHANGE_COLUMNS)


def _number(row: pd.Series | None, column: str) -> float:
    """A factor as a float, NaN when the member or the value is missing (SQL NULL arrives as
    NaN or pd.NA, and bool(pd.NA) raises)."""
    if row is None or pd.isna(row[column]):
        return math.nan
    return float(row[column])


def coverage(filters: Filters, grain: str = "quarter", snapshot: dt.date | None = None, periods: int = 4,
             window_quarters: int = WINDOW_QUARTERS, db=None) -> pd.DataFrame:
    """Per period from the one holding the snapshot: pipeline, target, actual to date, remaining,
    coverage, and the coverage needed (1 ÷ win rate)."""
    return metrics.run("coverage", filters, db=db, grain=grain, snapshot=snapshot, periods=periods,
                       window_quarters=window_quarters)


def _movement_params(period: str, s0, s1, db) -> dict:
    p_start, p_end, _ = _period_bounds(period)
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
    """The snapshot a figure is read at: the one on or before the asked day (default: the latest)."""
    return {**values, "s": pick_snapshot(values.get("snapshot"), db)}


def velocity_params(values: dict, filters: Filters, db=None) -> dict:
    """The snapshot, and the trailing window its win rate, average deal and cycle are read over."""
    quarters = values.get("window_quarters") or WINDOW_QUARTERS
    return {**snapshot_params(values, filters, db), "window_days": 91 * quarters}


def movement_params(values: dict, filters: Filters, db=None) -> dict:
    if not values.get("period"):
        raise ValueError("Pipeline movement needs a target period, e.g. 2026-Q4 (or 2026-11).")
    return {**values, **_movement_params(values["period"], values.get("s0"), values.get("s1"), db)}


def velocity_change_frame(filters: Filters, params: dict, db=None) -> pd.DataFrame:
    """velocity_change for the catalogue, with `closed`: the deals closed in the later window
    (what a minimum sample counts)."""
    quarters = params.get("window_quarters") or WINDOW_QUARTERS
    dim = params["dim"]
    table = velocity_change(dim, filters, params.get("s0"), params.get("s1"), quarters, db)
    if table.empty:
        return table.assign(closed=pd.Series(dtype="float64"))
    later = velocity_by(dim, filters, table["snapshot_1"].iloc[0], quarters, db)
    return table.merge(later[["member", "closed"]], on="member", how="left")
