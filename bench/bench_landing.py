"""Benchmark: the landing's simulation, 10,000 runs over 100,000 open deals, against a plain
pandas twin (a Python loop over the runs) and a pure Python twin (a loop over runs and deals);
then intel.landing.project on the 1,000,000-opportunity store when bench/bench-1m.duckdb exists.

Goal (issue 16): the simulation under 1 s on this 2-core machine. The twins would take minutes:
they run a fraction of the runs and are extrapolated, which the output says.
"""
from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
STORE = ROOT / "bench" / "bench-1m.duckdb"
os.environ["SIGHTLINE_DB"] = str(STORE)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bench.timing import best_of  # noqa: E402

from intel import landing, models, periods, store  # noqa: E402
from intel.filters import ALL_TIME, Filters  # noqa: E402

DEALS, SIMS = 100_000, 10_000
PANDAS_RUNS = 500        # of SIMS: the pandas twin's share, extrapolated
PYTHON_RUNS = 20          # of SIMS: the pure Python twin's share, extrapolated


def pipeline(n: int = DEALS, seed: int = 3) -> pd.DataFrame:
    """n open deals: amounts log-normal around $30k, chances spread 2–95%."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"amount": np.round(rng.lognormal(10.3, 0.9, n), -2),
                         "chance": rng.uniform(0.02, 0.95, n)})


def pandas_twin(deals: pd.DataFrame, runs: int, seed: int = 1) -> np.ndarray:
    """The same landing the obvious way: per run, a uniform draw per deal, the won amounts summed."""
    rng = np.random.default_rng(seed)
    totals = []
    for _ in range(runs):
        won = deals[rng.random(len(deals)) < deals["chance"]]
        totals.append(won["amount"].sum())
    return np.array(totals)


def python_twin(amounts: list[float], chances: list[float], runs: int, seed: int = 1) -> list[float]:
    draw = random.Random(seed).random
    return [sum(a for a, p in zip(amounts, chances) if draw() < p) for _ in range(runs)]


def load() -> str:
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"


def simulation() -> None:
    deals = pipeline()
    amounts, chances = deals["amount"].to_numpy(), deals["chance"].to_numpy()
    landing.simulate(amounts, chances, 1_000)   # warm (imports, allocator)
    ours = best_of(lambda: landing.simulate(amounts, chances, SIMS), 3)
    sims = landing.simulate(amounts, chances, SIMS)
    mean, sd = float((amounts * chances).sum()), float(np.sqrt((amounts ** 2 * chances * (1 - chances)).sum()))
    print(f"Landing simulation: {SIMS:,} runs over {DEALS:,} open deals ({load()})")
    print(f"intel.landing.simulate (numpy, 16-bit draws, blocks of deals): {ours:6.2f} s   goal < 1 s")
    print(f"  check: mean {sims.mean():,.0f} vs exact {mean:,.0f} (sd of the mean {sd / np.sqrt(SIMS):,.0f}); "
          f"sd {sims.std():,.0f} vs exact {sd:,.0f}")
    one = subprocess.run([sys.executable, __file__, "--simulate-only"], capture_output=True, text=True,
                         env={**os.environ, "OPENBLAS_NUM_THREADS": "1"}).stdout.strip()
    print(f"  the same with OPENBLAS_NUM_THREADS=1 (blocks are summed with einsum, not BLAS, whose threads "
          f"stalled beside DuckDB's: this should match): {one} s")
    start = time.perf_counter()
    pandas_twin(deals, PANDAS_RUNS)
    per_run = (time.perf_counter() - start) / PANDAS_RUNS
    print(f"pandas twin (loop over runs, a draw per deal, won amounts summed): {PANDAS_RUNS} runs took "
          f"{per_run * PANDAS_RUNS:.2f} s -> {per_run * SIMS:6.1f} s for {SIMS:,} (extrapolated): "
          f"{per_run * SIMS / ours:,.0f}x slower")
    listed_amounts, listed_chances = amounts.tolist(), chances.tolist()
    start = time.perf_counter()
    python_twin(listed_amounts, listed_chances, PYTHON_RUNS)
    per_run = (time.perf_counter() - start) / PYTHON_RUNS
    print(f"pure Python twin (loop over runs and deals): {PYTHON_RUNS} runs took {per_run * PYTHON_RUNS:.2f} s -> "
          f"{per_run * SIMS / 60:6.1f} min for {SIMS:,} (extrapolated): {per_run * SIMS / ours:,.0f}x slower")


def projection() -> None:
    if not STORE.exists():
        print(f"\n{STORE.name} is missing (make bench builds it with bench_win_loss.py): projection skipped")
        return
    filters = Filters(*ALL_TIME)
    start = time.perf_counter()
    models.refresh()   # the deal facts and stage events, materialised once after an import: not the landing's
    print(f"\n(models refreshed in {time.perf_counter() - start:.2f} s)")
    every = []
    for _ in range(3):   # every snapshot row resolved again, as after an owners, accounts or rates import
        store.query_sql("UPDATE settings SET value = '' WHERE name = 'snapshot_deals_key'")
        models.refresh(force=True)
        every.append((models.last_rebuild["all"], models.last_rebuild["snapshot_deals"]))
    print(f"(the refresh resolving every snapshot row again, best of 3: {min(every)[0]:.2f} s, of which "
          f"snapshot_deals {min(e[1] for e in every):.2f} s; {load()})")
    label, day = landing.default_period()
    nth = (day - periods.bounds(label)[0]).days + 1
    states = best_of(lambda: landing.Projector().at(label, nth), 3)
    print(f"the deals open on {day} as they stood (landing_states.sql, a new Projector): {states:6.2f} s")
    start = time.perf_counter()
    projector = landing.Projector()
    cold = projector.project(filters, *landing.default_period())
    first = time.perf_counter() - start
    again = best_of(lambda: landing.Projector().project(filters, *landing.default_period()), 2)
    cached = best_of(lambda: projector.project(filters, *landing.default_period()), 3)
    print(f"intel.landing.project on {STORE.name} ({load()}): {cold.period} at {cold.as_of} (day {cold.day}), "
          f"{len(cold.deals):,} open deals simulated, learnt from {cold.model.observations:,} ({cold.source})")
    print(f"cold (first projection in the process): {first:6.2f} s")
    print(f"a new Projector (store warm):           {again:6.2f} s")
    print(f"the same Projector (states cached, a what-if): {cached:6.2f} s")
    print(f"  P10 {cold.p10:,.0f}  P50 {cold.p50:,.0f}  P90 {cold.p90:,.0f}  expected {cold.mean:,.0f}")
    store.close_all()


def simulate_only() -> None:
    deals = pipeline()
    amounts, chances = deals["amount"].to_numpy(), deals["chance"].to_numpy()
    landing.simulate(amounts, chances, 1_000)
    print(f"{best_of(lambda: landing.simulate(amounts, chances, SIMS), 3):.2f}")


if __name__ == "__main__":
    if "--simulate-only" in sys.argv:
        simulate_only()
    else:
        simulation()
        projection()
