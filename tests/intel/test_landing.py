"""The landing (intel.landing): its maths against answers known by construction, and its plumbing
from real-shaped exports to the track record.

- The simulation against the exact distribution of a small pipeline (convolution over its deals),
  within the sampling error of 10,000 runs; a fixed seed gives the same runs.
- What-if shocks moving the median and the expected landing by amounts computed by hand.
- The chance table: each level's share won shrunk towards its parent's, (wins + k·parent) ÷ (n + k),
  computed by hand level by level.
- A constructed history imported through intel.ingest from Salesforce-report-shaped CSVs (two
  currencies and a CurrencyType table, blank optional columns, open deals without close dates, a
  closed deal without one), where every group of deals open on any day of a quarter wins half the
  time: the projection's expected landing is then the actual exactly, and the backtest's coverage,
  errors and baselines are known.
- What the projection reads: the snapshot of the week before, else the closed history; amounts in
  the reporting currency; deals without an amount left out; the scope.
"""
from __future__ import annotations

import csv
import datetime as dt
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from intel import background, landing, metrics, store
from intel.access import LOCAL_ADMIN as ADMIN
from intel.filters import ALL_TIME, Filters
from intel.ingest import import_file
from intel.landing import Shock
from tests.conftest import FIXTURES

EVERYTHING = Filters(*ALL_TIME)


# ---- the simulation against the exact distribution ----

def exact_distribution(amounts, chances) -> dict[float, float]:
    """P(L = s) for L = Σ amount × Bernoulli(chance): the deals convolved one at a time."""
    dist = {0.0: 1.0}
    for amount, p in zip(amounts, chances):
        step: dict[float, float] = defaultdict(float)
        for total, q in dist.items():
            if p < 1:
                step[total] += q * (1 - p)
            if p > 0:
                step[total + amount] += q * p
        dist = dict(step)
    return dict(sorted(dist.items()))


def below(dist: dict[float, float], x: float, inclusive: bool) -> float:
    return sum(q for s, q in dist.items() if (s <= x if inclusive else s < x))


# 12 deals: ten uncertain, one certain (chance 1) and one impossible (chance 0). simulate compares
# 16 random bits with the chance, so a chance counts to 1/65,536 (here within 8e-6 of the value,
# far inside the tolerances below).
AMOUNTS = [120_000, 95_000, 80_000, 64_000, 50_000, 42_000, 35_000, 30_000, 22_000, 15_000, 9_000, 250_000]
CHANCES = [0.9, 0.75, 0.6, 0.5, 0.45, 0.3, 0.25, 0.2, 0.15, 0.1, 1.0, 0.0]
N = 10_000


@pytest.fixture(scope="module")
def twelve():
    return exact_distribution(AMOUNTS, CHANCES), landing.simulate(np.array(AMOUNTS), np.array(CHANCES), N)


@pytest.mark.parametrize("q", [0.1, 0.5, 0.9])
def test_simulated_quantiles_sit_where_the_exact_distribution_puts_them(twelve, q):
    # The sample q-quantile of n runs sits at a true CDF position within ±3·sqrt(q(1−q)/n) of q
    # (the order statistic's binomial spread): P(L < x̂) ≤ q + tol and P(L ≤ x̂) ≥ q − tol.
    # At n = 10,000: ±0.009 for P10 and P90, ±0.015 for P50.
    dist, sims = twelve
    x = float(np.quantile(sims, q))
    tol = 3 * math.sqrt(q * (1 - q) / N)
    assert below(dist, x, inclusive=False) <= q + tol
    assert below(dist, x, inclusive=True) >= q - tol


@pytest.mark.parametrize("target", [200_000, 300_000, 400_000])
def test_chance_of_target_matches_the_exact_tail_within_its_sampling_error(twelve, target):
    dist, sims = twelve
    exact = 1 - below(dist, target, inclusive=False)           # P(L ≥ target)
    assert abs(float((sims >= target).mean()) - exact) <= 3 * math.sqrt(exact * (1 - exact) / N)


def test_simulated_mean_is_the_exact_mean_within_three_standard_errors(twelve):
    _, sims = twelve
    a, p = np.array(AMOUNTS, dtype=float), np.array(CHANCES)
    mean = float((a * p).sum())                                 # Σ amount × chance: 108,000 + 71,250 + ... + 9,000
    standard_error = math.sqrt(float((a * a * p * (1 - p)).sum()) / N)
    assert mean == pytest.approx(322_900)
    assert abs(float(sims.mean()) - mean) <= 3 * standard_error


def test_a_certain_deal_is_in_every_run_and_an_impossible_one_in_none(twelve):
    dist, sims = twelve
    # every simulated landing is a sum the exact distribution gives a chance above 0: the 9,000
    # deal (chance 1) is in each, the 250,000 one (chance 0) in none
    reachable = {s for s, q in dist.items() if q > 0}
    assert set(np.unique(sims).tolist()) <= reachable
    assert all(s >= 9_000 for s in reachable)
    only_sure = landing.simulate(np.array([9_000.0, 250_000.0, 4_000.0]), np.array([1.0, 0.0, 1.0]), 500)
    assert set(only_sure.tolist()) == {13_000.0}


def test_new_deals_add_a_poisson_number_of_amounts_drawn_from_history():
    # no open deal; 2 new deals expected per period, their amounts 100 or 300 (mean 200): the
    # landing's mean is 2 × 200 = 400, its variance 2 × E[X²] = 2 × 50,000; nothing lands with
    # chance e^-2
    sims = landing.simulate(np.array([]), np.array([]), N, new_rate=2.0, new_amounts=np.array([100.0, 300.0]))
    assert abs(sims.mean() - 400) <= 3 * math.sqrt(100_000 / N)
    nothing = math.exp(-2)
    assert abs((sims == 0).mean() - nothing) <= 3 * math.sqrt(nothing * (1 - nothing) / N)
    assert set(np.unique(sims % 100).tolist()) == {0.0}


def test_the_same_seed_gives_the_same_runs_and_another_seed_others():
    a, p = np.array(AMOUNTS, dtype=float), np.array(CHANCES)
    first = landing.simulate(a, p, 2_000, seed=7, new_rate=1.5, new_amounts=np.array([10.0, 20.0]))
    again = landing.simulate(a, p, 2_000, seed=7, new_rate=1.5, new_amounts=np.array([10.0, 20.0]))
    other = landing.simulate(a, p, 2_000, seed=8, new_rate=1.5, new_amounts=np.array([10.0, 20.0]))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_a_simulation_shared_out_to_threads_draws_the_runs_of_one_thread(monkeypatch):
    """Each thread starts its stream where the blocks before it end: the landing is the same on any
    number of cores. 1,013 deals: five blocks of the stream, the last one short."""
    rng = np.random.default_rng(3)
    a, p = rng.lognormal(10, 1, 1_013), rng.random(1_013)
    p[::9] = 1.0
    one = landing.simulate(a, p, 777, workers=1)
    for workers in (2, 3, 5, 8):
        assert np.allclose(landing.simulate(a, p, 777, workers=workers), one, rtol=1e-12, atol=0), workers
    monkeypatch.setattr(landing, "_PARALLEL_DRAWS", 0)   # the default shares out a simulation this large
    assert np.allclose(landing.simulate(a, p, 777), one, rtol=1e-12, atol=0)
    # and one thread is the stream block after block: deal k of run r reads 16-bit draw r × width + k
    # of its block
    bits = np.random.PCG64(landing.SEED).random_raw(-(-777 * 250 // 4)).view(np.uint16)[:777 * 250].reshape(777, 250)
    first_block = (bits < np.minimum(np.round(p[:250] * 65536), 65535).astype(np.uint16)) | (p[:250] >= 1.0)
    only_first = landing.simulate(a[:250], p[:250], 777, workers=1)
    assert np.allclose(only_first, first_block.astype(np.float64) @ a[:250].astype(np.float32), rtol=1e-6)


def test_crps_of_a_point_forecast_is_its_absolute_error_and_of_a_coin_a_quarter():
    assert landing.crps(np.full(100, 5.0), 8.0) == pytest.approx(3.0)
    # X ∈ {0, 1} equally: E|X − 0| = ½, E|X − X'| = ½, so CRPS = ½ − ¼
    assert landing.crps(np.array([0.0, 1.0] * 50), 0.0) == pytest.approx(0.25)



def test_the_same_seed_gives_the_same_projection_of_a_store(constructed):
    at = dt.date(2026, 8, 11)
    first = landing.Projector(constructed).project(EVERYTHING, "2026-Q3", at, sims=2_000)
    again = landing.Projector(constructed).project(EVERYTHING, "2026-Q3", at, sims=2_000)
    other = landing.Projector(constructed).project(EVERYTHING, "2026-Q3", at, sims=2_000, seed=landing.SEED + 1)
    assert np.array_equal(first.sims, again.sims)
    assert not np.array_equal(first.sims, other.sims)


def test_a_replayed_day_is_the_projection_of_that_day_with_the_same_seed(demo_db):
    label, day = "2026-Q3", 28
    plan = [(label, 7 * week) for week in range(1, 14)]
    replaying = landing.Projector(demo_db)
    replaying.preload(plan + [k for _, d in plan for k in replaying.training_keys(label, d)])
    as_of = landing.periods.bounds(label)[0] + dt.timedelta(days=day - 1)
    replayed = replaying.project(EVERYTHING, label, as_of, sims=1_000)
    alone = landing.Projector(demo_db).project(EVERYTHING, label, as_of, sims=1_000)
    assert replayed.mean == pytest.approx(alone.mean, rel=1e-12)     # the same deals and chances...
    assert np.array_equal(replayed.sims, alone.sims)                # ...and the same draws

def test_a_shared_projector_projects_what_a_fresh_one_does_and_hands_the_same_landing_again(demo_db):
    """The process's shared projector (chances worked out once per day, models fitted once, the
    projections remembered by scope) gives exactly a fresh projector's landing, whatever the
    filters' dates."""
    label, as_of = "2026-Q4", dt.date(2026, 11, 16)
    emea = Filters(dt.date(2025, 1, 1), dt.date(2026, 12, 31), region=("EMEA",))
    shared = landing.shared_projector(demo_db)
    for scope in (EVERYTHING, emea, emea.with_(date_from=dt.date(2026, 10, 1))):
        kept = shared.project(scope, label, as_of, sims=1_000)
        fresh = landing.Projector(demo_db).project(scope, label, as_of, sims=1_000)
        assert np.array_equal(kept.sims, fresh.sims) and kept.p50 == fresh.p50
        pd.testing.assert_frame_equal(kept.deals, fresh.deals)
    assert shared.project(emea, label, as_of, sims=1_000) is shared.project(
        emea.with_(date_from=dt.date(2026, 10, 1)), label, as_of, sims=1_000)   # remembered, not re-run
    assert landing.shared_projector(demo_db) is shared                         # one per store and data


def test_training_aggregates_are_kept_per_data_version_and_read_back_the_same(demo_db, tmp_path, monkeypatch):
    """The first projection keeps what the periods before teach in the store; another process
    (a new projector) reads it back instead of replaying the history, and projects the same; an
    import starts over."""
    import shutil

    db = tmp_path / "kept.duckdb"
    store.close_all()
    shutil.copy(demo_db, db)
    with store.transaction(db) as cur:   # what other tests' projections kept in the demo store
        cur.execute("DELETE FROM landing_training")
        cur.execute("DELETE FROM landing_training_points")
    label, day = "2026-Q3", 28
    as_of = landing.periods.bounds(label)[0] + dt.timedelta(days=day - 1)
    first = landing.Projector(db)
    fresh = first.project(EVERYTHING, label, as_of, sims=1_000)
    keys = first.training_keys(label, day)
    by_sql = {k: first._training[k] for k in keys}
    kept = store.query_sql("SELECT period, day, sum(n) AS n FROM landing_training WHERE day = $d GROUP BY ALL",
                           {"d": day}, db=db)
    assert sorted(zip(kept["period"], kept["day"])) == sorted(k for k in keys if len(by_sql[k]))
    assert dict(zip(kept["period"], kept["n"])) == {k[0]: by_sql[k]["n"].sum() for k in keys if len(by_sql[k])}

    reads = []
    monkeypatch.setattr(landing, "TRAINING_SQL", "SELECT 1 AS never")   # read again: the test would see it
    original = landing.Projector._read
    monkeypatch.setattr(landing.Projector, "_read",
                        lambda self, keys, cache, sql: (reads.append(sql) if sql == landing.TRAINING_SQL and keys
                                                        else None, original(self, keys, cache, sql))[1])
    second = landing.Projector(db)
    again = second.project(EVERYTHING, label, as_of, sims=1_000)
    assert reads == []                                                  # read back, not replayed
    assert again.mean == pytest.approx(fresh.mean, rel=1e-12) and np.array_equal(again.sims, fresh.sims)
    for key in keys:
        columns = list(landing.FEATURES) + ["source"]
        a = by_sql[key].drop(columns=["point_id"], errors="ignore").sort_values(columns).reset_index(drop=True)
        b = second._training[key].sort_values(columns).reset_index(drop=True)
        pd.testing.assert_frame_equal(a[b.columns], b, check_dtype=False)

    monkeypatch.undo()
    import_file(FIXTURES / "salesforce_report.csv", db=db, by=ADMIN)   # a new data version
    landing.Projector(db).project(EVERYTHING, label, as_of, sims=1_000)
    versions = store.query_sql("SELECT DISTINCT data_version FROM landing_training_points", db=db)["data_version"]
    assert versions.tolist() == [store.data_version(db)]                # the older version's rows dropped
    store.close_all()


def fresh_copy(demo_db, tmp_path):
    """A copy of the demo store as a freshly started server finds it: nothing kept by other tests'
    projections, no projector in memory."""
    import shutil

    db = tmp_path / "fresh.duckdb"
    store.close_all()
    shutil.copy(demo_db, db)
    with store.transaction(db) as cur:
        cur.execute("DELETE FROM kept_frames")
    landing._SHARED.clear()
    return db


def test_the_landing_summary_is_kept_per_data_version_and_read_back_without_simulating(demo_db, tmp_path,
                                                                                        monkeypatch):
    """The catalogue's landing rows (the Overview's tile) are kept in the store: a freshly started
    server (a new projector) reads them back instead of simulating, the same rows; another scope
    or an import works them out again."""
    db = fresh_copy(demo_db, tmp_path)
    first = metrics.run("landing", EVERYTHING, db=db, dim="total")
    by_region = metrics.run("landing", EVERYTHING, db=db, dim="region")
    landing._SHARED.clear()   # a new process: no projector, no projection in memory
    with monkeypatch.context() as patch:
        patch.setattr(landing.Projector, "project", lambda *a, **k: pytest.fail("simulated again"))
        pd.testing.assert_frame_equal(metrics.run("landing", EVERYTHING, db=db, dim="total"), first)
        pd.testing.assert_frame_equal(metrics.run("landing", EVERYTHING, db=db, dim="region"), by_region)
        with pytest.raises(pytest.fail.Exception):   # another scope is its own projection
            metrics.run("landing", EVERYTHING.with_(region=("EMEA",)), db=db, dim="total")
    emea = metrics.run("landing", EVERYTHING.with_(region=("EMEA",)), db=db, dim="total")
    assert emea["p50"].iloc[0] == pytest.approx(by_region.set_index("member").loc["EMEA", "p50"])
    import_file(FIXTURES / "salesforce_report.csv", db=db, by=ADMIN)   # a new data version
    metrics.run("landing", EVERYTHING, db=db, dim="total")
    versions = store.query_sql("SELECT DISTINCT data_version FROM kept_frames", db=db)["data_version"]
    assert versions.tolist() == [store.data_version(db)]                # the older version's rows dropped
    store.close_all()


def test_the_outline_is_the_landings_own_figures_kept_and_read_back_by_a_fresh_server(demo_db, tmp_path,
                                                                                       monkeypatch):
    """The Outline (what the Forecast page shows before the maths or the what-if open) holds the
    landing's own runs and figures; a fresh server reads it back from the store without projecting,
    the tile's row is read from it, and another scope is projected."""
    db = fresh_copy(demo_db, tmp_path)
    label, day = landing.default_period("quarter", db)
    whole = landing.shared_projector(db).project(EVERYTHING, label, day)
    made = landing.outline(EVERYTHING, label, day, db=db)
    assert np.array_equal(made.sims, whole.sims) and made.summary() == whole.summary()
    assert (made.day, made.days, made.source, made.snapshot_date, made.notes, made.new_rate, made.new_mean) == (
        whole.day, whole.days, whole.source, whole.snapshot_date, whole.notes, whole.new_rate, whole.new_mean)
    assert made.open_deals == len(whole.deals) > 0 and made.mean == pytest.approx(whole.mean)
    assert made.gap_to_target() == whole.gap_to_target()
    landing._SHARED.clear()   # a new process: no projection in memory
    with monkeypatch.context() as patch:
        patch.setattr(landing.Projector, "project", lambda *a, **k: pytest.fail("simulated again"))
        again = landing.outline(EVERYTHING, label, day, db=db)
        assert np.array_equal(again.sims, whole.sims) and again.summary() == whole.summary()
        row = landing.landing_frame(EVERYTHING, {}, db).iloc[0]
        assert (row["member"], row["p50"], row["open_deals"]) == ("All", whole.p50, len(whole.deals))
        with pytest.raises(pytest.fail.Exception):
            landing.outline(EVERYTHING.with_(region=("EMEA",)), label, day, db=db)
    landing._SHARED.clear()
    store.close_all()


def test_the_warm_up_keeps_the_default_outline_and_lets_the_deals_go(demo_db, tmp_path, monkeypatch):
    """A freshly started server makes sure the default landing's Outline is kept while nobody waits: it
    works it out when the store has none (then lets the projector go: nobody needs the deals yet), and
    only reads it back when the check after the import kept it."""
    db = fresh_copy(demo_db, tmp_path)
    monkeypatch.setenv("SIGHTLINE_WARM_UP", "off")
    assert not landing.warm_up(db)
    monkeypatch.setenv("SIGHTLINE_WARM_UP", "on")
    calls = []
    real = landing.Projector.project
    monkeypatch.setattr(landing.Projector, "project", lambda *a, **k: calls.append(a[2]) or real(*a, **k))
    assert landing.warm_up(db)
    background.wait(120)
    label, day = landing.default_period("quarter", db)
    assert calls == [label] and store._key(db) not in landing._SHARED   # worked out, let go
    kept = store.query_sql("SELECT count(*) AS n FROM kept_frames WHERE kind = $k", {"k": landing.OUTLINE}, db=db)
    assert kept["n"].iloc[0] == 1
    assert landing.warm_up(db)
    background.wait(120)
    assert calls == [label]   # kept: read back, nothing projected
    made = landing.outline(Filters(day, day), label, day, db=db)
    assert calls == [label]
    whole = landing.Projector(db).project(Filters(day, day), label, day)
    assert np.array_equal(made.sims, whole.sims) and made.summary() == whole.summary()
    landing._SHARED.clear()
    store.close_all()


def test_a_shared_projector_no_one_projects_with_is_let_go(demo_db, tmp_path, monkeypatch):
    """A scope nobody kept reads the deals' states into the server: held while projections come, then
    let go once none came for HELD_IDLE seconds (the next one reads them again, the same landing)."""
    import time

    db = fresh_copy(demo_db, tmp_path)
    monkeypatch.setattr(landing, "HELD_IDLE", 0.5)
    label, day = landing.default_period("quarter", db)
    first = landing.shared_projector(db).project(EVERYTHING.with_(region=("EMEA",)), label, day)
    for _ in range(3):   # kept busy: held
        time.sleep(0.25)
        landing.shared_projector(db).project(EVERYTHING.with_(region=("EMEA",)), label, day)
        assert store._key(db) in landing._SHARED
    deadline = time.monotonic() + 10
    while store._key(db) in landing._SHARED and time.monotonic() < deadline:
        time.sleep(0.05)
    assert store._key(db) not in landing._SHARED   # idle: let go
    again = landing.shared_projector(db).project(EVERYTHING.with_(region=("EMEA",)), label, day)
    assert again is not first and np.array_equal(again.sims, first.sims)
    landing._SHARED.clear()
    store.close_all()


# ---- the chance table: hierarchical empirical Bayes, by hand ----

LEVELS = ("timing", "stage", "age_band", "segment", "region")


def training(*groups) -> pd.DataFrame:
    """Deals open at the same day of earlier periods: per group (timing, stage, age band, segment,
    region), n deals of which `wins` won inside their period; a won deal closed at `ratio` × the
    amount it had then (from a snapshot unless said)."""
    rows = []
    for (timing, stage, age, segment, region), n, wins, ratio, source in groups:
        for i in range(n):
            won = i < wins
            rows.append({"timing": timing, "stage": stage, "age_band": age, "segment": segment, "region": region,
                         "won_in_period": won, "slipped": not won, "source": source, "amount": 1_000.0,
                         "final_amount": 1_000.0 * ratio if won else None})
    return pd.DataFrame(rows)


G1 = (("in period", "Proposal", "0-30 days", "Enterprise", "EMEA"), 30, 18, 1.2, "snapshot")
G2 = (("in period", "Proposal", "0-30 days", "Enterprise", "APAC"), 2, 2, 1.0, "snapshot")
G3 = (("in period", "Prospecting", "0-30 days", "SMB", "EMEA"), 8, 0, 1.0, "snapshot")
G4 = (("later", "Proposal", "31-90 days", "Enterprise", "EMEA"), 10, 1, 5.0, "snapshot")
G5 = (("unknown", "Unknown stage", "unknown", None, "LATAM"), 10, 3, 1.0, "closed history")
K = 10


def deals(*profiles, **columns) -> pd.DataFrame:
    frame = pd.DataFrame([dict(zip(LEVELS, p)) for p in profiles])
    frame.insert(0, "id", [f"D{i}" for i in range(1, len(frame) + 1)])
    for name, values in columns.items():
        frame[name] = values
    return frame


@pytest.fixture(scope="module")
def model():
    return landing.fit(training(G1, G2, G3, G4, G5), prior_strength=K)


def test_each_level_is_its_share_won_shrunk_towards_its_parent(model):
    # 60 deals, 24 won: pooled 0.4. Timing 'in period': 40 deals, 20 won -> (20 + 10 × 0.4) ÷ 50.
    # Then 'in period' + Proposal: 32 deals, 20 won -> (20 + 10 × 0.48) ÷ 42; the age band and the
    # segment hold the same 32 deals, each shrunk towards the level above; EMEA: 30 deals, 18 won.
    assert model.pooled == pytest.approx(0.4)
    timing = (20 + K * 0.4) / 50
    stage = (20 + K * timing) / 42
    age = (20 + K * stage) / 42
    segment = (20 + K * age) / 42
    emea = (18 + K * segment) / 40
    got = landing.chances(model, deals(G1[0], G1[0][:4] + ("North America",)))
    assert got.loc[0, "chance"] == pytest.approx(emea, rel=1e-12)
    assert (got.loc[0, "basis"], got.loc[0, "seen"]) == (5, 30)
    # a region the periods before never showed stops at the segment
    assert got.loc[1, "chance"] == pytest.approx(segment, rel=1e-12)
    assert (got.loc[1, "basis"], got.loc[1, "seen"]) == (4, 32)


def test_a_group_below_the_minimum_sample_leans_on_its_parent(model):
    # APAC: 2 deals, both won (a raw rate of 100%): (2 + 10 × segment) ÷ 12, so its own 2 deals
    # weigh 2 ÷ 12 and the parent 10 ÷ 12; EMEA's 30 weigh 30 ÷ 40.
    timing = (20 + K * 0.4) / 50
    segment = (20 + K * ((20 + K * ((20 + K * timing) / 42)) / 42)) / 42
    got = landing.chances(model, deals(G2[0], G1[0]))
    apac, emea = got["chance"]
    assert apac == pytest.approx((2 + K * segment) / 12, rel=1e-12)
    assert abs(apac - segment) < abs(apac - 1.0)
    assert abs(emea - 18 / 30) < abs(emea - segment)


def test_an_unseen_stage_timing_or_age_reads_as_unknown_when_the_periods_before_had_unknowns(model):
    # overdue, Negotiation and 'over 90 days' never showed, and each level had an unknown: the deal
    # is read as unknown / Unknown stage / unknown, and its segment (none) and region refine it:
    # 10 deals, 3 won, at every level under timing 'unknown' ((3 + 10 × 0.4) ÷ 20 = 0.35 first).
    level = (3 + K * 0.4) / 20
    for _ in range(4):
        level = (3 + K * level) / 20
    got = landing.chances(model, deals(("overdue", "Negotiation", "over 90 days", None, "LATAM")))
    assert got.loc[0, "chance"] == pytest.approx(level, rel=1e-12)
    # the deal keeps its own timing, stage and age (shown with it); only the lookup read them as unknown
    assert (got.loc[0, "timing"], got.loc[0, "stage"], got.loc[0, "age_band"]) == ("overdue", "Negotiation",
                                                                                    "over 90 days")
    assert got.loc[0, "basis"] == 5


def test_without_unknowns_an_unseen_stage_stops_at_timing_and_an_unseen_timing_at_the_pooled_rate():
    model = landing.fit(training(G1, G2, G3, G4), prior_strength=K)   # 50 deals, 21 won
    got = landing.chances(model, deals(("in period", "Negotiation", "0-30 days", "Enterprise", "EMEA"),
                                       ("overdue", "Proposal", "0-30 days", "Enterprise", "EMEA")))
    assert got.loc[0, "chance"] == pytest.approx((20 + K * 21 / 50) / 50, rel=1e-12)
    assert (got.loc[0, "basis"], got.loc[0, "seen"], got.loc[0, "stage"]) == (1, 40, "Negotiation")
    assert got.loc[1, "chance"] == pytest.approx(21 / 50, rel=1e-12)
    assert (got.loc[1, "basis"], got.loc[1, "seen"]) == (0, 50)


def test_amount_ratio_is_the_stages_won_over_then_shrunk_towards_one_with_outliers_clipped(model):
    # Proposal's won snapshot deals: 18 at 1.2, 2 at 1.0, 1 at 5.0 (an entry error: counts as 3.0):
    # (18 × 1.2 + 2 × 1.0 + 3.0 + 10 × 1) ÷ (21 + 10). Prospecting won none; the closed history's
    # deals carry no amount then: both move by 1.
    got = landing.chances(model, deals(G1[0], G3[0], ("unknown", "Unknown stage", "unknown", None, "LATAM")))
    assert got["amount_ratio"].tolist() == pytest.approx([(18 * 1.2 + 2 + 3 + K) / 31, 1.0, 1.0], rel=1e-12)


def test_the_prior_strength_is_the_minimum_sample_setting(monkeypatch):
    monkeypatch.setenv("SIGHTLINE_MIN_SAMPLE", "4")
    model = landing.fit(training(G2, G3))   # 10 deals 'in period', 2 won (pooled 0.2); Prospecting 8, none won
    timing = (2 + 4 * 0.2) / 14
    assert model.prior_strength == 4
    got = landing.chances(model, deals(("in period", "Prospecting", "0-30 days", "SMB", "EMEA")))
    prospecting = (0 + 4 * timing) / 12
    expected = prospecting
    for _ in range(3):   # age band, segment, region: the same 8 deals, none won
        expected = (0 + 4 * expected) / 12
    assert got.loc[0, "chance"] == pytest.approx(expected, rel=1e-12)


# ---- what-if: shocks moving the landing by hand-computed amounts ----

AS_OF, P_END = dt.date(2026, 11, 16), dt.date(2026, 12, 31)


def pipeline(model, chances: dict[str, float], amounts: dict[str, float], **columns) -> pd.DataFrame:
    """Deals of profile G1 with the chances and amounts given (amount ratio 1)."""
    frame = landing.chances(model, deals(*[G1[0]] * len(chances), **columns))
    frame["id"] = list(chances)
    frame["chance"] = list(chances.values())
    frame["amount"] = [amounts[d] for d in chances]
    frame["amount_ratio"] = 1.0
    frame["expected_close"] = columns.get("expected_close", [P_END - dt.timedelta(days=20)] * len(chances))
    return frame


def landing_of(frame: pd.DataFrame, sims: int = 4_000) -> np.ndarray:
    return landing.simulate((frame["amount"] * frame["amount_ratio"]).to_numpy(), frame["chance"].to_numpy(), sims)


def test_winning_or_losing_a_named_deal_moves_the_median_by_its_amount(model):
    # X is certain (100,000), Y impossible (60,000), Z has a 20% chance (40,000): the median is
    # 100,000 (Z misses 80% of the time). Won Y: 160,000. Lost X: 0.
    plain = pipeline(model, {"X": 1.0, "Y": 0.0, "Z": 0.2}, {"X": 100_000, "Y": 60_000, "Z": 40_000})
    won = landing.apply_shocks(plain, model, (Shock("win", deals=("Y",)),), AS_OF, P_END)
    lost = landing.apply_shocks(plain, model, (Shock("lose", deals=("X",)),), AS_OF, P_END)
    base, with_y, without_x = landing_of(plain), landing_of(won), landing_of(lost)
    assert (np.median(base), np.median(with_y), np.median(without_x)) == (100_000, 160_000, 0)
    # the same seed: Z keeps its draws, so every run moves by exactly the deal's amount
    assert set((with_y - base).tolist()) == {60_000.0}
    assert set((base - without_x).tolist()) == {100_000.0}


def test_losing_an_uncertain_deal_takes_its_amount_out_of_exactly_the_runs_it_won(model):
    plain = pipeline(model, {"U": 0.3, "V": 0.6}, {"U": 50_000, "V": 20_000})
    lost = landing.apply_shocks(plain, model, (Shock("lose", deals=("U",)),), AS_OF, P_END)
    moved = landing_of(plain, N) - landing_of(lost, N)
    assert set(np.unique(moved).tolist()) == {0.0, 50_000.0}
    assert abs((moved > 0).mean() - 0.3) <= 3 * math.sqrt(0.3 * 0.7 / N)


def test_a_win_rate_move_adds_its_points_to_the_segments_deals_only_and_stops_at_certainty(model):
    plain = pipeline(model, {"E1": 0.5, "E2": 0.95, "S1": 0.5}, {"E1": 1, "E2": 1, "S1": 1},
                     segment=["Enterprise", "Enterprise", "SMB"])
    moved = landing.apply_shocks(plain, model, (Shock("win_rate", 10, "segment", "Enterprise"),), AS_OF, P_END)
    assert moved["chance"].tolist() == pytest.approx([0.6, 1.0, 0.5])


def test_a_slip_past_the_period_end_gives_the_deal_the_later_chance(model):
    # 'later' + Proposal + 31-90 days + Enterprise + EMEA: G4's 10 deals, 1 won, at every level
    # under timing 'later' ((1 + 10 × 0.4) ÷ 20 = 0.25 first)
    later = (1 + K * 0.4) / 20
    for _ in range(4):
        later = (1 + K * later) / 20
    profile = ("in period", "Proposal", "31-90 days", "Enterprise", "EMEA")
    frame = landing.chances(model, deals(profile, profile, profile))
    frame["expected_close"] = [P_END - dt.timedelta(days=5), P_END - dt.timedelta(days=30),
                               AS_OF + dt.timedelta(days=20)]
    before = frame["chance"].tolist()
    slipped = landing.apply_shocks(frame, model, (Shock("slip", 1),), AS_OF, P_END)
    assert slipped["timing"].tolist() == ["later", "in period", "in period"]
    assert slipped["chance"].tolist() == pytest.approx([later, before[1], before[2]], rel=1e-12)
    assert slipped["expected_close"].tolist() == [P_END + dt.timedelta(days=2), P_END - dt.timedelta(days=23),
                                                  AS_OF + dt.timedelta(days=27)]
    # a sales cycle 200% longer: the third deal's 20 days left become 60, past the period's end
    longer = landing.apply_shocks(frame, model, (Shock("cycle", 200),), AS_OF, P_END)
    assert longer["expected_close"].tolist()[2] == AS_OF + dt.timedelta(days=60)
    # (the second's 15 days become 45: it now closes on the period's last day, still inside)
    assert longer["timing"].tolist() == ["later", "in period", "later"]
    assert longer["chance"].tolist() == pytest.approx([later, before[1], later], rel=1e-12)


# ---- a constructed history, imported as Salesforce exports it ----
#
# Five quarters, 2025-Q3 to 2026-Q3, each opening on its first day with the same deals:
#   A  10 deals, North America, Enterprise, Negotiation/Review, USD 10,000, 70%, close day 40: 5 won
#   B   8 deals, EMEA, Mid-Market, Prospecting, EUR 8,000 (USD 10,000 at 0.8 EUR per USD), 20%,
#       close day 66: 4 won
#   C   2 deals, EMEA, no segment, Qualification, USD 10,000, 10%, no close date while open;
#       closed day 50: 1 won
#   D   2 deals, North America, Enterprise, Negotiation/Review, no amount, 70%, close day 40: 1 won
# so on any day every group still open wins half the time: whatever the level, the chance learnt
# is 0.5, the amount ratio 1, and a quarter books 5 + 4 + 1 deals of USD 10,000 = 100,000 (D's win
# has no amount). 2026-Q3 also books a USD 1,000,000 deal created and won on its last day, after
# every replay of it (no replay can see it coming). A deal won long ago has no close date: it
# belongs to no period. 2026-Q4's deals open on 2026-10-01, the last snapshot (the data date).
# Snapshots: the end of every week of each quarter (the days the backtest replays) and 2026-10-01.
# Calls: per quarter, every Monday... every 7 days from its first day, North America commits
# 50,000 + 1,000 × week and EMEA 40,000 + 500 × week; quotas 60,000 and 45,000.

SF_REPORT = ["Opportunity ID", "Opportunity Name", "Account Name", "Opportunity Owner", "Owner Role",
             "Region", "Segment", "Industry", "Product", "Stage", "Amount", "Amount Currency",
             "Probability (%)", "Forecast Category", "Created Date", "Close Date",
             "Primary Competitor", "Loss Reason", "Lead Source", "Type", "Discount (%)"]
SF_FOOTER = ['', '""', '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."',
             '"Confidential Information - Do Not Distribute"', '"Generated By:  Test Analyst  {day}"',
             '"Constructed Inc."']
HISTORY = ("2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3")
REPLAYED = HISTORY[1:]             # the last 4 quarters finished by 2026-10-01
CURRENT = "2026-Q4"
DATA_DATE = dt.date(2026, 10, 1)
GROUPS = [  # name, deals, won, region, segment, stage, currency, amount, probability %, close day
    ("A", 10, 5, "North America", "Enterprise", "Negotiation/Review", "USD", 10_000, 70, 40),
    ("B", 8, 4, "EMEA", "Mid-Market", "Prospecting", "EUR", 8_000, 20, 66),
    ("C", 2, 1, "EMEA", "", "Qualification", "USD", 10_000, 10, 50),
    ("D", 2, 1, "North America", "Enterprise", "Negotiation/Review", "USD", None, 70, 40),
]
BOOKED = 100_000                   # what each quarter books (USD)
WHALE = 1_000_000                  # 2026-Q3's surprise
USD = {"USD": 1.0, "EUR": 0.8}     # units per USD (CurrencyType.ConversionRate)


def quarter_days(label: str) -> tuple[dt.date, int]:
    first, last, _ = landing.periods.bounds(label)
    return first, (last - first).days + 1


def replay_days(label: str) -> list[int]:
    """The days (1 = the first) the backtest replays a quarter at: the end of each week, its last day aside."""
    _, days = quarter_days(label)
    return [7 * w for w in range(1, days) if 7 * w < days]


def sf_rows(day: dt.date):
    """The Salesforce opportunity report as exported on `day`: every deal created by then."""
    def us(d):
        return d.strftime("%m/%d/%Y")

    yield ["006LEGACY0001", "Legacy - Platform", "Old Account", "Ann Lee", "", "North America", "Enterprise",
           "", "", "Closed Won", "USD 50,000.00", "USD", "100%", "Closed", "01/15/2025", "", "", "", "", "", ""]
    for label in HISTORY + (CURRENT,):
        first, _ = quarter_days(label)
        if first > day:
            continue
        for name, count, won, region, segment, stage, currency, amount, prob, close_day in GROUPS:
            close = first + dt.timedelta(days=close_day - 1)
            for i in range(count):
                closed = close <= day
                outcome = ("Closed Won" if i < won else "Closed Lost") if closed else stage
                shown_close = us(close) if closed or name != "C" else ""
                yield [f"006{label.replace('-', '')}{name}{i:02d}", f"{name}{i} {label}", f"Account {name}{i}",
                       "" if name == "C" else ("Ann Lee" if region == "North America" else "Bo Chen"), "",
                       region, segment, "", "Platform" if name == "A" else "", outcome,
                       "" if amount is None else f"{currency} {amount:,.2f}", currency,
                       f"{(100 if i < won else 0) if closed else prob}%",
                       ("Closed" if i < won else "Omitted") if closed else "Pipeline", us(first), shown_close,
                       "", "Budget" if closed and i >= won else "", "", "New Business" if name == "A" else "", ""]
    whale = dt.date(2026, 9, 30)
    if day >= whale:
        yield ["006WHALE00001", "Whale - Platform", "Whale Corp", "Ann Lee", "", "North America", "Enterprise",
               "", "Platform", "Closed Won", "USD 1,000,000.00", "USD", "100%", "Closed", us(whale), us(whale),
               "", "", "", "", ""]


def snapshot_days() -> list[dt.date]:
    days = []
    for label in HISTORY:
        first, _ = quarter_days(label)
        days += [first + dt.timedelta(days=d - 1) for d in replay_days(label)]
    return days + [DATA_DATE]


def commit(week: int) -> float:
    return (50_000 + 1_000 * week) + (40_000 + 500 * week)


def write_csv(path: Path, header, rows, footer=()) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
        for line in footer:
            fh.write(line + "\r\n")
    return path


def build_constructed(folder: Path) -> Path:
    """The constructed history above, imported through intel.ingest; the store's path."""
    db = folder / "constructed.duckdb"
    files = [write_csv(folder / "CurrencyType.csv", ["Id", "IsoCode", "ConversionRate", "DecimalPlaces", "IsActive",
                                                     "IsCorporate"],
                       [["01L000000000001", "USD", "1.000000", "2", "true", "true"],
                        ["01L000000000002", "EUR", "0.800000", "2", "true", "false"]])]
    plan = []
    for label in HISTORY + (CURRENT,):
        first, _ = quarter_days(label)
        plan += [[label, "North America", "", "", "60,000", "", "", ""], [label, "EMEA", "", "", "45,000", "", "", ""]]
        for week in range(1, 14):
            sent = first + dt.timedelta(days=7 * (week - 1))
            if sent <= DATA_DATE:
                plan += [[label, "North America", "", "", "", f"{50_000 + 1_000 * week}", "", sent.isoformat()],
                         [label, "EMEA", "", "", "", f"{40_000 + 500 * week}", "", sent.isoformat()]]
    for result in [import_file(files[0], db=db, by=ADMIN)]:
        assert result.status == "loaded", result.message
    for day in snapshot_days():
        path = write_csv(folder / f"report-{day}.csv", SF_REPORT, sf_rows(day),
                         [line.format(day=day.strftime("%m/%d/%Y") + " 9:00 AM") for line in SF_FOOTER])
        result = import_file(path, as_of=day, db=db, by=ADMIN)
        assert result.status == "loaded" and not result.rows_rejected, result.message
    path = write_csv(folder / "quotas-and-calls.csv", ["Period", "Region", "Segment", "Owner", "Quota", "Commit",
                                                       "Best Case", "Submitted At"], plan)
    result = import_file(path, db=db, by=ADMIN)
    assert result.status == "loaded" and not result.rows_rejected, result.message
    store.close_all()
    return db


@pytest.fixture(scope="module")
def constructed(tmp_path_factory):
    db = build_constructed(tmp_path_factory.mktemp("constructed"))
    yield db
    store.close_all()


@pytest.fixture(scope="module")
def replayed(constructed):
    return landing.backtest(EVERYTHING, db=constructed)


def replay_points(replayed, normal: bool) -> pd.DataFrame:
    points = replayed.points
    return points[(points["period"] != "2026-Q3") == normal]


def test_the_backtest_replays_every_week_of_the_last_four_finished_quarters(replayed):
    assert replayed.periods == list(REPLAYED)
    weeks = replayed.points.groupby("period")["week"].apply(list).to_dict()
    # 92-day quarters: 13 weeks; 2026-Q1 (90 days) and 2026-Q2 (91): 12 (a replay on the last day is no forecast)
    assert weeks == {label: list(range(1, len(replay_days(label)) + 1)) for label in REPLAYED}
    assert [len(weeks[label]) for label in REPLAYED] == [13, 12, 12, 13]
    assert set(replayed.points["source"]) == {"snapshot"}


def test_the_actual_is_each_quarters_bookings_in_dollars(replayed):
    # 5 + 4 + 1 won deals of USD 10,000 (B's EUR 8,000 at 0.8 EUR per USD); D's win has no amount
    # and the old deal without a close date belongs to no quarter; 2026-Q3 adds the 1,000,000 deal
    actual = replayed.points.groupby("period")["actual"].unique().map(list).to_dict()
    assert actual == {"2025-Q4": [BOOKED], "2026-Q1": [BOOKED], "2026-Q2": [BOOKED], "2026-Q3": [BOOKED + WHALE]}


def test_when_the_chances_are_the_truth_the_expected_landing_and_the_median_are_the_actual(replayed):
    normal = replay_points(replayed, normal=True)
    assert normal["expected"].tolist() == pytest.approx([BOOKED] * len(normal), rel=1e-12)
    assert normal["p50"].tolist() == [BOOKED] * len(normal)
    # with every deal decided (after day 66) the landing is a point, on the actual: CRPS 0
    decided = normal[normal["week"] >= 10]
    assert (decided["p10"] == decided["p90"]).all() and (decided["crps"] == 0).all()


def test_coverage_counts_the_quarter_the_ranges_could_not_see_as_outside_every_week(replayed):
    normal, surprise = replay_points(replayed, True), replay_points(replayed, False)
    assert normal["inside"].all()
    assert not surprise["inside"].any()
    assert (surprise["p90"] < BOOKED + WHALE).all()
    summary = replayed.summary().set_index("week")
    # all weeks: 37 of 50 replays inside; weeks 2, 4, 8: 3 of 4
    assert summary.loc["all weeks", ["points", "held"]].tolist() == [50, pytest.approx(37 / 50)]
    for week in ("week 2", "week 4", "week 8"):
        assert summary.loc[week, ["points", "held"]].tolist() == [4, pytest.approx(0.75)]
    # the P50 missed only 2026-Q3, by 1,000,000 of 1,100,000
    assert summary.loc["all weeks", "p50_error"] == pytest.approx(13 * WHALE / (BOOKED + WHALE) / 50)


def test_the_commit_error_is_the_call_standing_that_week_against_the_actual(replayed):
    points = replayed.points
    calls = points["week"].map(commit)
    assert points["commit"].tolist() == calls.tolist()
    by_hand = (calls - points["actual"]).abs() / points["actual"]
    assert points["commit_error"].tolist() == pytest.approx(by_hand.tolist())
    assert replayed.summary().set_index("week").loc["week 2", "commit_error"] == pytest.approx(
        (3 * abs(commit(2) - BOOKED) / BOOKED + abs(commit(2) - BOOKED - WHALE) / (BOOKED + WHALE)) / 4)


def weighted_by_hand(day: int) -> float:
    """Won to date + Σ amount × CRM probability of the open deals closing in the quarter (C has
    no close date: out), on day `day` of a constructed quarter."""
    won = (5 * 10_000 if day >= 40 else 0) + (10_000 if day >= 50 else 0) + (4 * 10_000 if day >= 66 else 0)
    open_ = (10 * 10_000 * 0.7 if day < 40 else 0) + (8 * 10_000 * 0.2 if day < 66 else 0)
    return won + open_


def test_the_stage_weighted_baseline_is_won_to_date_plus_the_weighted_deals_closing_in_the_quarter(replayed):
    points = replayed.points[replayed.points["week"] <= 9]    # while deals are open
    assert points["weighted_pipeline"].tolist() == pytest.approx([weighted_by_hand(7 * w) for w in points["week"]])
    assert sorted(set(points["weighted_pipeline"])) == [66_000, 76_000, 86_000]


def test_the_stage_weighted_baseline_is_what_was_won_once_no_deal_is_open(replayed):
    points = replayed.points[replayed.points["week"] >= 10]
    assert points["weighted_pipeline"].tolist() == pytest.approx(points["actual"].where(
        points["period"] != "2026-Q3", BOOKED).tolist())


def test_the_reliability_of_the_chances_is_one_band_at_half_won_half_the_time(replayed):
    # open deals with an amount per quarter: 20 at days 7-35, 10 at days 42-49, 8 at days 56-63
    assert replayed.reliability.to_dict("records") == [
        {"band": "50–60%", "deals": 4 * (5 * 20 + 2 * 10 + 2 * 8), "predicted": 0.5, "observed": 0.5}]


def test_the_track_record_sentence_says_the_coverage_and_the_errors(replayed):
    said = replayed.sentence()
    assert said.startswith("Replayed weekly over 2025-Q4, 2026-Q1, 2026-Q2, 2026-Q3: the P10–P90 range held "
                           "the actual 74% of the time")
    assert "23.6% against 27.1% for the commit call" in said


# ---- the constructed store through the catalogue, and its current quarter ----

def test_the_track_record_equals_its_independent_check_on_the_constructed_store(constructed):
    from tests.intel.test_catalogue import run_and_check

    run_and_check("landing_backtest", EVERYTHING, constructed)


@pytest.mark.parametrize("dim", ["total", "region", "segment"])
def test_a_past_quarters_landing_equals_its_independent_check_on_the_constructed_store(constructed, dim):
    from tests.intel.test_catalogue import run_and_check

    # 2026-Q3 seen at day 42: A and D decided, B and C open; learnt from the four quarters before
    run_and_check("landing", EVERYTHING, constructed, dim, period="2026-Q3", as_of=dt.date(2026, 8, 11), sims=200)


def test_the_current_landing_equals_its_independent_check_on_the_constructed_store(constructed):
    from tests.intel.test_catalogue import run_and_check

    run_and_check("landing", EVERYTHING, constructed, "total", sims=200)


def test_a_win_rate_move_shifts_the_expected_landing_by_its_points_times_the_segments_amounts(constructed):
    # 2026-Q3 at day 7: 20 deals at 0.5; Enterprise holds A's 10 × 10,000 (D's have no amount)
    at, projector = dt.date(2026, 7, 7), landing.Projector(constructed)
    plain = projector.project(EVERYTHING, "2026-Q3", at, sims=2_000)
    up = projector.project(EVERYTHING, "2026-Q3", at, sims=2_000,
                           shocks=(Shock("win_rate", 10, "segment", "Enterprise"),))
    assert up.mean - plain.mean == pytest.approx(0.10 * 10 * 10_000, rel=1e-12)
    # +60 points stop at certainty: only 0.5 of each Enterprise deal can be added
    capped = projector.project(EVERYTHING, "2026-Q3", at, sims=2_000,
                               shocks=(Shock("win_rate", 60, "segment", "Enterprise"),))
    assert capped.mean - plain.mean == pytest.approx(0.5 * 10 * 10_000, rel=1e-12)
    assert capped.sims.min() >= 10 * 10_000 and plain.sims.min() < 10 * 10_000
    # a named deal won: its 10,000 in every run, on top of the runs it already won
    won = projector.project(EVERYTHING, "2026-Q3", at, sims=2_000, shocks=(Shock("win", deals=("0062026Q3B00",)),))
    assert won.mean - plain.mean == pytest.approx(0.5 * 10_000, rel=1e-12)
    assert set(np.unique(won.sims - plain.sims).tolist()) == {0.0, 10_000.0}

@pytest.mark.parametrize("dim", ["region", "segment"])
def test_the_members_landings_add_up_to_the_total(constructed, dim):
    got = metrics.run("landing", EVERYTHING, db=constructed, dim=dim, period="2026-Q3", as_of=dt.date(2026, 8, 11),
                      sims=200)
    # A: 5 won (50,000); B and C open at 0.5: 10 × 10,000 × 0.5
    assert got["expected"].sum() == pytest.approx(BOOKED)


def test_the_current_quarter_opens_at_the_data_date_with_its_deals_at_half(constructed):
    now = landing.project(EVERYTHING, sims=2_000, db=constructed)
    assert (now.period, now.as_of, now.day, now.days, now.source) == (CURRENT, DATA_DATE, 1, 92, "snapshot")
    assert (now.won_to_date, now.target, now.commit) == (0.0, 105_000.0, commit(1))
    assert len(now.deals) == 20 and set(now.deals["chance"]) == {0.5}
    # D's deals have no amount: out of the simulation, yet the chances learnt from them too
    # (22 deals open on the first day of each of the two quarters before read from the closed history)
    assert not now.deals["id"].str.contains("D").any()
    assert now.model.observations == 2 * 22
    assert now.model.sources == {"closed history": 44}


def test_the_new_deal_rate_counts_the_quarters_before_that_had_no_new_deal(constructed):
    now = landing.project(EVERYTHING, sims=2_000, db=constructed)
    # 1 deal created after day 1 and won inside its quarter (2026-Q3's 1,000,000) in the 4 before
    assert (now.new_rate, now.new_mean) == (0.25, WHALE)
    assert now.mean == pytest.approx(20 * 10_000 * 0.5 + WHALE / 4)


def test_the_deals_keep_their_stage_and_close_date_when_their_chance_falls_back_to_unknown(constructed):
    now = landing.project(EVERYTHING, sims=2_000, db=constructed)
    assert set(now.deals["stage"]) == {"Negotiation/Review", "Prospecting", "Qualification"}
    # 10 × 10,000 × 70% + 8 × 10,000 × 20% (C has no close date)
    assert now.weighted_pipeline == pytest.approx(86_000)


def test_the_landing_by_region_from_the_command_line_numbers(constructed):
    by_region = metrics.run("landing", EVERYTHING, db=constructed, dim="region", sims=2_000).set_index("member")
    assert by_region["open_deals"].to_dict() == {"EMEA": 10, "North America": 10}
    assert by_region["target"].to_dict() == {"EMEA": 45_000, "North America": 60_000}
    assert by_region.loc["EMEA", "expected"] == pytest.approx(10 * 10_000 * 0.5)   # no new deal ever in EMEA


# ---- what the projection reads: snapshot or closed history, currency, amounts, scope ----

STATES = [  # id, region, segment, stage, amount, currency, probability, created, close
    ("E1", "EMEA", "Enterprise", "Proposal/Price Quote", "8,000.00", "EUR", "60%", "09/01/2026", "11/20/2026"),
    ("E2", "EMEA", "SMB", "Prospecting", "", "USD", "10%", "09/10/2026", "12/10/2026"),
    ("E3", "EMEA", "SMB", "Qualification", "5,000.00", "CHF", "20%", "09/10/2026", "12/01/2026"),   # no CHF rate
    ("N1", "North America", "Enterprise", "Negotiation/Review", "20,000.00", "USD", "80%", "08/01/2026", "12/15/2026"),
    ("W1", "EMEA", "Mid-Market", "Negotiation/Review", "7,000.00", "USD", "90%", "08/15/2026", "10/20/2026"),
    ("W2", "North America", "SMB", "Closed Won", "3,000.00", "USD", "100%", "08/20/2026", "10/02/2026"),
    ("O1", "North America", "Enterprise", "Closed Won", "4,000.00", "USD", "100%", "07/01/2026", "09/15/2026"),
]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """Snapshots of 2026-10-05, 2026-10-19 and 2026-11-16 (W1 won on 2026-10-20)."""
    folder = tmp_path_factory.mktemp("states")
    db = folder / "states.duckdb"
    rates = write_csv(folder / "CurrencyType.csv", ["Id", "IsoCode", "ConversionRate", "IsActive", "IsCorporate"],
                      [["01L1", "USD", "1.000000", "true", "true"], ["01L2", "EUR", "0.800000", "true", "false"]])
    assert import_file(rates, db=db, by=ADMIN).status == "loaded"
    for day in (dt.date(2026, 10, 5), dt.date(2026, 10, 19), dt.date(2026, 11, 16)):
        rows = []
        for id_, region, segment, stage, amount, currency, prob, created, close in STATES:
            won = id_ == "W1" and day >= dt.date(2026, 10, 20)
            rows.append([id_, f"Deal {id_}", f"Account {id_}", "", "", region, segment, "", "",
                         "Closed Won" if won else stage, f"{currency} {amount}" if amount else "", currency,
                         "100%" if won else prob, "", created, close, "", "", "", "", ""])
        path = write_csv(folder / f"report-{day}.csv", SF_REPORT, rows,
                         [line.format(day=day.strftime("%m/%d/%Y") + " 9:00 AM") for line in SF_FOOTER])
        result = import_file(path, as_of=day, db=db, by=ADMIN)
        assert result.status == "loaded", result.message
    store.close_all()
    yield db
    store.close_all()


def project_small(db, as_of: dt.date, filters: Filters = EVERYTHING) -> landing.Landing:
    return landing.project(filters, "2026-Q4", as_of, sims=500, db=db)


def test_by_default_the_quarter_of_the_data_date_is_projected_at_the_data_date(small):
    now = landing.project(EVERYTHING, sims=500, db=small)
    assert (now.period, now.as_of, now.day, now.snapshot_date) == ("2026-Q4", dt.date(2026, 11, 16), 47,
                                                                   dt.date(2026, 11, 16))


def test_a_snapshot_of_the_week_before_is_read_with_its_close_dates(small):
    six_days_on = project_small(small, dt.date(2026, 10, 11))
    assert (six_days_on.source, six_days_on.snapshot_date) == ("snapshot", dt.date(2026, 10, 5))
    assert not any("No pipeline snapshot" in note for note in six_days_on.notes)
    close = dict(zip(six_days_on.deals["id"], six_days_on.deals["expected_close"]))
    assert close == {"E1": dt.date(2026, 11, 20), "N1": dt.date(2026, 12, 15), "W1": dt.date(2026, 10, 20)}


def test_past_a_week_the_open_deals_come_from_the_closed_history_without_close_dates(small):
    seven_days_on = project_small(small, dt.date(2026, 10, 12))
    assert (seven_days_on.source, seven_days_on.snapshot_date) == ("closed history", None)
    assert set(seven_days_on.deals["id"]) == {"E1", "N1", "W1"}      # created by then, not closed before
    assert seven_days_on.deals["expected_close"].isna().all()
    assert set(seven_days_on.deals["timing"]) == {"unknown"}
    assert seven_days_on.weighted_pipeline is None
    assert "No pipeline snapshot within a week" in seven_days_on.notes[0]
    # the deal facts say which export gave an amount: E2 gave none, E3's CHF has no rate
    assert ("2 open deals left out of the landing: 1 without an amount; 1 whose currency has no exchange rate"
            in " ".join(seven_days_on.notes))


def test_an_outline_kept_of_a_closed_history_landing_reads_back_its_missing_figures_and_notes(small):
    """What the store keeps of a landing without a snapshot, a target or a commit call (None each, not
    NaN or 0) and with its notes, read back as it was."""
    seven_days_on = project_small(small, dt.date(2026, 10, 12))
    assert seven_days_on.target is None and seven_days_on.weighted_pipeline is None and seven_days_on.notes
    kept = landing.Outline.of(seven_days_on)
    back = landing.Outline.from_frame(kept.to_frame())
    assert (back.snapshot_date, back.target, back.commit, back.weighted_pipeline) == (None, None, None, None)
    assert back.notes == seven_days_on.notes and back.source == "closed history"
    assert back.summary() == seven_days_on.summary() and np.array_equal(back.sims, seven_days_on.sims)


def test_open_amounts_are_in_the_reporting_currency_and_deals_without_one_are_left_out(small):
    now = project_small(small, dt.date(2026, 11, 16))
    amounts = dict(zip(now.deals["id"], now.deals["amount"]))
    # E1: EUR 8,000 at 0.8 EUR per USD; E2 has no amount, E3's CHF has no rate: both left out
    assert amounts == {"E1": 10_000, "N1": 20_000}
    assert now.summary()["open_deals"] == 2
    assert now.won_to_date == 7_000 + 3_000                         # W1 (2026-10-20) and W2 (2026-10-02)
    # and it says so: one without an amount (E2), one whose currency has no rate (E3)
    assert ("2 open deals left out of the landing: 1 without an amount; 1 whose currency has no exchange rate"
            in " ".join(now.notes))


def test_the_scope_narrows_the_open_deals_and_the_won_to_date(small):
    emea = project_small(small, dt.date(2026, 11, 16), EVERYTHING.with_(region=("EMEA",)))
    assert set(emea.deals["id"]) == {"E1"} and emea.won_to_date == 7_000
    na = project_small(small, dt.date(2026, 10, 11), EVERYTHING.with_(region=("North America",), segment=("SMB",)))
    assert na.deals.empty and na.won_to_date == 3_000 and na.mean == 3_000


def test_a_day_before_the_period_is_refused_and_a_day_after_it_reads_its_last_day(small):
    with pytest.raises(ValueError, match="2027-Q1 starts after 2026-11-16"):
        landing.project(EVERYTHING, "2027-Q1", dt.date(2026, 11, 16), db=small)
    past = landing.project(EVERYTHING, "2026-10", dt.date(2026, 11, 16), sims=500, db=small)
    assert (past.as_of, past.day, past.days) == (dt.date(2026, 10, 31), 31, 31)


def test_a_deal_won_between_the_snapshot_and_the_as_of_day_counts_once(small):
    # 2026-10-23: the snapshot of 2026-10-19 shows W1 open; it was won on 2026-10-20
    seen = project_small(small, dt.date(2026, 10, 23))
    assert seen.source == "snapshot" and seen.won_to_date == 7_000 + 3_000
    assert "W1" not in set(seen.deals["id"])
