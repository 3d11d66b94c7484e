"""Benchmark: what sharing and access cost on 1,000,000 opportunities and 200,000 forecast rows.

- the QBR pack: its numbers (every intel call behind it), then the HTML and the PDF;
  against pandas computing the Win-loss and Forecast pages' tables from the same tables
  (a subset of the pack's numbers, so the ratio is conservative);
- the alert check that now follows every import (all enabled rules);
- opening a share link (lookup + HMAC check) and a password sign-in (Argon2id: slow on purpose).
"""
from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["SIGHTLINE_DB"] = str(ROOT / "bench" / "bench-1m.duckdb")
os.environ.setdefault("SIGHTLINE_SHARE_KEY", "bench-only-key")

import pandas as pd  # noqa: E402

from bench import bench_forecast, bench_win_loss  # noqa: E402
from bench.timing import best_of  # noqa: E402
from intel import alerts, forecast, models, periods, report, share, store, users  # noqa: E402
from intel.access import LOCAL_ADMIN as ADMIN  # noqa: E402
from intel.filters import Filters  # noqa: E402


def main():
    bench_forecast.ensure_calls()
    models.refresh()
    f = Filters(dt.date(2025, 11, 1), dt.date(2027, 4, 30))
    _, focus = forecast.period_options(f, "quarter")
    cur = store.cursor()
    deals = cur.execute("SELECT count(*) FROM deal_facts").fetchone()[0]
    facts = cur.execute("SELECT * FROM deal_facts").df()
    tf = cur.execute("SELECT * FROM targets_forecasts").df()
    cur.close()
    facts["close_date"] = pd.to_datetime(facts["close_date"])
    facts["amount"] = facts["amount"].astype(float)
    tf["period"] = pd.to_datetime(tf["period"])
    for col in ("target", "forecast_commit"):
        tf[col] = tf[col].astype(float)
    focus_start = pd.Timestamp(periods.parse(focus)[0])

    evaluate = best_of(lambda: alerts.evaluate(by=ADMIN), 3)
    report.qbr_blocks(focus, f)   # warm
    numbers = best_of(lambda: report.qbr_blocks(focus, f), 3)
    html = best_of(lambda: report.qbr_pack(focus, f), 3)
    pdf = best_of(lambda: report.qbr_pack_pdf(focus, f), 3)
    theirs = best_of(lambda: (bench_win_loss.pandas_queries(facts, f),
                              bench_forecast.pandas_queries(facts, tf, f, focus_start)), 3)
    size_html, size_pdf = len(report.qbr_pack(focus, f).encode()), len(report.qbr_pack_pdf(focus, f))

    token = share.create_link("forecast", {"fc_by": ["owner"]}, by=ADMIN)
    start = time.perf_counter()
    for _ in range(1000):
        share.open_link(token)
    open_link = (time.perf_counter() - start) / 1000

    if users.user_actor("bench") is None:
        users.add_user("bench", "viewer", "a bench password", by=ADMIN)
    sign_in = best_of(lambda: users.sign_in("bench", "a bench password"), 5)

    print(f"Sharing and access on {deals:,} deals and {len(tf):,} target/forecast rows (pack for {focus}), "
          "warm, best of 3")
    print(f"alert check after an import (all enabled rules): {evaluate * 1000:7.1f} ms")
    print(f"QBR pack numbers (every intel call):               {numbers * 1000:7.1f} ms")
    print(f"pandas, Win-loss + Forecast tables only (subset):  {theirs * 1000:7.1f} ms "
          f"-> pack numbers {theirs / numbers:.1f}x faster")
    print(f"QBR pack HTML, written:                            {html * 1000:7.1f} ms ({size_html / 1e6:.1f} MB)")
    print(f"QBR pack PDF, written:                             {pdf * 1000:7.1f} ms ({size_pdf / 1e3:.0f} kB)")
    print(f"open a share link (lookup + HMAC):                 {open_link * 1e6:7.1f} µs")
    print(f"password sign-in (Argon2id verify, by design):     {sign_in * 1000:7.1f} ms")
    store.close_all()


if __name__ == "__main__":
    main()
