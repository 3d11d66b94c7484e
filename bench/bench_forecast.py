"""Benchmark: every query of the Forecast page on 1,000,000 opportunities and 200,000 forecast
rows, warm, vs the same tables computed in pandas in the same run.

Goal: all queries under 300 ms in total, >= 5x faster than pandas.
"""
from __future__ import annotations

import csv
import datetime as dt
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
STORE = ROOT / "bench" / "bench-1m.duckdb"
CALLS = ROOT / "bench" / "forecast-calls-200k.csv"
os.environ["SIGHTLINE_DB"] = str(STORE)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bench.timing import best_of  # noqa: E402

from bench.bench_win_loss import ensure_store  # noqa: E402
from intel import forecast, models, periods, store  # noqa: E402
from intel.filters import Filters  # noqa: E402
from intel.access import LOCAL_ADMIN as ADMIN  # noqa: E402

OWNERS = [f"Owner {i:02d}" for i in range(40)]
REGIONS = ["North America", "EMEA", "APAC", "LATAM"]
SEGMENTS = ["Enterprise", "Mid-Market", "SMB", "Public Sector", "Strategic"]


def write_calls(path: Path, rows: int = 200_000) -> None:
    rng = random.Random(11)
    months = [dt.date(2025 + (m // 12), m % 12 + 1, 1) for m in range(10, 34)]   # 2025-11 .. 2027-10
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Period", "Region", "Segment", "Owner", "Quota", "Commit", "Best Case", "Submitted At"])
        n = 0
        while n < rows:
            for month in months:
                for owner in OWNERS:
                    region, segment = rng.choice(REGIONS), rng.choice(SEGMENTS)
                    w.writerow([f"{month:%Y-%m}", region, segment, owner, rng.randrange(50, 500) * 1000,
                                "", "", ""])
                    for week in range(4):
                        commit = rng.randrange(20, 400) * 1000
                        w.writerow([f"{month:%Y-%m}", region, segment, owner, "", commit,
                                    int(commit * 1.2), (month + dt.timedelta(days=7 * week)).isoformat()])
                    n += 5
                    if n >= rows:
                        return


def ensure_calls() -> None:
    ensure_store()
    cur = store.cursor()
    have = cur.execute("SELECT count(*) FROM targets_forecasts").fetchone()[0]
    cur.close()
    if have:
        return
    from intel.ingest import import_file

    if not CALLS.exists():
        write_calls(CALLS)
    result = import_file(CALLS, by=ADMIN)
    assert result.status == "loaded", result.message


def page_queries(f: Filters, focus: str) -> dict:
    before = periods.previous(focus)
    return {
        "periods": forecast.period_options(f, "quarter"),
        "inputs": forecast.forecast_inputs(f),
        "by_period": forecast.forecast_vs_actual("total", f, "quarter"),
        "by_region": forecast.forecast_vs_actual("region", f, "quarter"),
        "owners": forecast.forecast_accuracy("owner", f, "month"),
        "regions": forecast.forecast_accuracy("region", f, "month"),
        "bridge": forecast.bookings_bridge(before, focus, "region", f),
    }


def pandas_queries(facts: pd.DataFrame, tf: pd.DataFrame, f: Filters, focus_start: pd.Timestamp) -> dict:
    lo, hi = pd.Timestamp(f.date_from), pd.Timestamp(f.date_to)
    won = facts[facts["is_won"]]
    won = won[(won["close_date"] >= lo) & (won["close_date"] <= hi)]
    rows = tf[(tf["period"] >= lo) & (tf["period"] <= hi)]
    month_end = rows["period"] + pd.offsets.MonthBegin(1)
    calls = rows[rows["forecast_commit"].notna() & (rows["submitted_at"].fillna(rows["period"]) < month_end)]
    calls = calls.sort_values("submitted_at").groupby(["period", "region", "segment", "owner", "product"],
                                                      dropna=False).tail(1)
    targets = rows[rows["target"].notna()]

    def versus(dim, freq):
        key = [] if dim is None else [dim]
        a = won.groupby([won["close_date"].dt.to_period(freq)] + key)["amount"].sum()
        t = targets.groupby([targets["period"].dt.to_period(freq)] + key)["target"].sum()
        c = calls.groupby([calls["period"].dt.to_period(freq)] + key)["forecast_commit"].sum()
        out = pd.concat({"actual": a, "target": t, "forecast": c}, axis=1)
        out["variance"] = out["actual"] - out["forecast"]
        out["variance_pct"] = out["variance"] / out["forecast"]
        out["attainment"] = out["actual"] / out["target"]
        return out

    def accuracy(dim):
        v = versus(dim, "M").dropna(subset=["forecast"]).fillna({"actual": 0})
        g = v.groupby(level=1)
        err = (v["forecast"] - v["actual"])
        return pd.DataFrame({"bias": err.groupby(level=1).sum() / g["actual"].sum(),
                             "wape": err.abs().groupby(level=1).sum() / g["actual"].sum(),
                             "mape": (err.abs() / v["actual"].replace(0, np.nan)).groupby(level=1).mean(),
                             "periods": g.size()})

    q = won["close_date"].dt.to_period("Q")
    p1, p0 = focus_start.to_period("Q"), focus_start.to_period("Q") - 1
    sides = won[q.isin([p0, p1])].assign(side=q[q.isin([p0, p1])] == p1)
    per = sides.groupby(["region", "side"])["amount"].agg(["count", "mean"]).unstack()
    return {"by_period": versus(None, "Q"), "by_region": versus("region", "Q"),
            "owners": accuracy("owner"), "regions": accuracy("region"), "bridge": per}



def main():
    ensure_calls()
    models.refresh()
    f = Filters(dt.date(2025, 11, 1), dt.date(2027, 4, 30))
    _, focus = forecast.period_options(f, "quarter")
    cur = store.cursor()
    facts = cur.execute("SELECT * FROM deal_facts").df()
    tf = cur.execute("SELECT * FROM targets_forecasts").df()
    n_tf = len(tf)
    cur.close()
    facts["close_date"] = pd.to_datetime(facts["close_date"])
    tf["period"] = pd.to_datetime(tf["period"])
    for col in ("target", "forecast_commit"):
        tf[col] = tf[col].astype(float)
    focus_start = pd.Timestamp(periods.parse(focus)[0])
    page_queries(f, focus)   # warm
    ours = best_of(lambda: page_queries(f, focus))
    theirs = best_of(lambda: pandas_queries(facts, tf, f, focus_start), 3)
    check = forecast.forecast_vs_actual("region", f, "quarter").set_index(["period", "member"])["actual"]
    print(f"Forecast page queries on {len(facts):,} deals and {n_tf:,} target/forecast rows "
          f"(focus {focus}), warm, best of 3")
    print(f"sightline (DuckDB SQL): {ours * 1000:7.1f} ms for the 7 queries")
    print(f"pandas (same tables):   {theirs * 1000:7.1f} ms")
    print(f"ratio: {theirs / ours:.1f}x faster than pandas; goal < 300 ms and >= 5x")
    print(f"(check: {len(check)} period x region actuals)")
    store.close_all()


if __name__ == "__main__":
    main()
