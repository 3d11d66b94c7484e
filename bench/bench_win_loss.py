"""Benchmark: every query of the Win-loss page on 1,000,000 opportunities, warm, vs pandas.

The store is the 1M-row Salesforce-shaped file imported through intel.ingest (built once,
kept in bench/). The pandas side gets the same deal facts as a DataFrame (loading it is not
timed) and computes the same tables. Goal: all queries under 300 ms in total, >= 5x pandas.
"""
from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
STORE = ROOT / "bench" / "bench-1m.duckdb"
os.environ["SIGHTLINE_DB"] = str(STORE)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bench.timing import best_of  # noqa: E402

from intel import metrics, models, signals, store  # noqa: E402
from intel.filters import Filters, default_range  # noqa: E402
from intel.access import LOCAL_ADMIN as ADMIN  # noqa: E402


def ensure_store() -> None:
    if STORE.exists():
        return
    from bench.bench_import import DATA, ROWS
    from bench.salesforce_csv import write
    from intel.ingest import import_file

    if not DATA.exists():
        write(DATA, ROWS)
    result = import_file(DATA, as_of="2026-11-22", by=ADMIN)
    assert result.status == "loaded", result.message


def sightline_queries(f: Filters) -> dict:
    return {
        "trend": metrics.win_rate_trend(f, "month"),
        "by_segment": metrics.win_rate_by("segment", f),
        "loss_reasons": metrics.loss_reasons(f),
        "cycle": metrics.sales_cycle(f),
        "head_to_head": metrics.head_to_head(f),
        "presence": metrics.competitor_presence_in_losses(f, "month"),
        "drill": metrics.closed_deals(f, dim="segment", member="SMB", limit=2000),
        "signals": signals.win_loss_signals(f),
    }


def wilson(k, n):
    z = 1.96
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def pandas_queries(facts: pd.DataFrame, f: Filters) -> dict:
    closed = facts[facts["is_closed"] & (facts["close_date"] >= pd.Timestamp(f.date_from))
                   & (facts["close_date"] <= pd.Timestamp(f.date_to))]
    month = closed["close_date"].dt.to_period("M")

    def rate(group):
        won = group["is_won"].sum()
        n = len(group)
        return pd.Series({"won": won, "lost": n - won, "win_rate": won / n,
                          "won_amount": group.loc[group["is_won"], "amount"].sum()})

    trend = closed.groupby(month).apply(rate, include_groups=False)
    lo, hi = wilson(trend["won"], trend["won"] + trend["lost"])
    trend["low"], trend["high"] = lo, hi
    by_segment = closed.groupby("segment").apply(rate, include_groups=False)
    lost = closed[~closed["is_won"]]
    reasons = lost["loss_reason"].fillna("(no reason given)").value_counts()
    reasons = pd.DataFrame({"losses": reasons, "cumulative": reasons.cumsum() / reasons.sum()})
    cycle = closed.groupby("is_won")["cycle_days"].agg(["count", "median", "mean"])
    h2h = closed[closed["competitor"].notna()].groupby("competitor").apply(rate, include_groups=False)
    h2h["presence"] = lost["competitor"].value_counts() / len(lost)
    presence = lost.groupby([lost["close_date"].dt.to_period("M"), "competitor"]).size() \
        / lost.groupby(lost["close_date"].dt.to_period("M")).size()
    drill = closed[closed["segment"] == "SMB"].sort_values(["close_date", "id"], ascending=[False, True]).head(2000)
    grid = closed.groupby(["segment", month]).apply(rate, include_groups=False)
    quarter = lost["close_date"].dt.to_period("Q")
    q_presence = lost.groupby([quarter, "competitor"]).size() / lost.groupby(quarter).size()
    return {"trend": trend, "by_segment": by_segment, "loss_reasons": reasons, "cycle": cycle,
            "head_to_head": h2h, "presence": presence, "drill": drill, "signals": (grid, q_presence)}



def main():
    ensure_store()
    models.refresh()
    f = Filters(*default_range())
    deals = store.cursor().execute("SELECT count(*) FROM deal_facts").fetchone()[0]
    facts = store.cursor().execute("SELECT * FROM deal_facts").df()
    facts["close_date"] = pd.to_datetime(facts["close_date"])
    facts["amount"] = facts["amount"].astype(float)
    sightline_queries(f)   # warm
    ours = best_of(lambda: sightline_queries(f))
    theirs = best_of(lambda: pandas_queries(facts, f), repeats=3)
    check_ours = metrics.win_rate_by("segment", f).set_index("member")["won"].sort_index()
    check_theirs = pandas_queries(facts, f)["by_segment"]["won"].sort_index()
    assert (check_ours.values == check_theirs.values).all(), "pandas and SQL disagree"
    print(f"Win-loss page queries on {deals:,} deals ({f.describe()}), warm, best of 3")
    print(f"sightline (DuckDB SQL): {ours * 1000:7.1f} ms for the 8 queries")
    print(f"pandas (same tables):   {theirs * 1000:7.1f} ms")
    print(f"ratio: {theirs / ours:.1f}x faster than pandas; goal < 300 ms and >= 5x")
    per_query = {name: best_of(lambda fn=fn: fn(), 3) * 1000 for name, fn in {
        "trend": lambda: metrics.win_rate_trend(f, "month"),
        "by_segment": lambda: metrics.win_rate_by("segment", f),
        "loss_reasons": lambda: metrics.loss_reasons(f),
        "cycle": lambda: metrics.sales_cycle(f),
        "head_to_head": lambda: metrics.head_to_head(f),
        "presence": lambda: metrics.competitor_presence_in_losses(f, "month"),
        "drill": lambda: metrics.closed_deals(f, dim="segment", member="SMB", limit=2000),
        "signals": lambda: signals.win_loss_signals(f)}.items()}
    print("per query (ms): " + ", ".join(f"{k} {v:.1f}" for k, v in per_query.items()))
    store.close_all()


if __name__ == "__main__":
    main()
