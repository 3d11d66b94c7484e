"""Where the period will land: a distribution from the uploads, its track record, and what-if.

Definitions are shared/METRICS.md's "Projection (the landing)":
- Each open deal's chance to close won inside the period is learnt from the periods before, at
  the same day of the period: the share of the deals open then, in the same timing (expected
  close overdue / in the period / later), stage and days in stage, that closed won inside their
  period. Segment and region refine it where the sample allows: every level is shrunk towards
  the one above with the weight of `min_sample` observations (empirical Bayes, beta-binomial).
  Amounts move by the average won/then ratio seen for the stage.
- Deals created after the as-of day and won inside the period: a Poisson number at the mean
  count of the periods before (same day, same scope), amounts drawn from theirs.
- Landing = won to date + Σ amount × ratio × Bernoulli(chance) + new deals: simulated
  (10,000 runs by default, a fixed seed), reported as P10/P50/P90, mean and P(landing ≥ target).

The backtest replays the projection at each week of the finished periods, with only what was
known then, and scores it (P10–P90 coverage, CRPS, absolute % error) beside the commit call
standing then and the stage-weighted pipeline. Nothing here knows of Streamlit.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from intel import background, config, metrics, models, periods, store
from intel.filters import Filters, data_date

log = logging.getLogger(__name__)

SIMS = 10_000
SEED = 20261124
HISTORY_PERIODS = 4         # the periods before whose deals teach the chances
BACKTEST_PERIODS = 4        # the finished periods the track record replays
BACKTEST_SIMS = 2_000
SCORED_WEEKS = (2, 4, 8)
TOP_DEALS = 10
RATIO_CLIP = (0.0, 3.0)     # a won/then amount ratio beyond this is an entry error, not a signal
# the levels a chance is refined through, each shrunk towards the one before (pooled first)
LEVELS = (("timing",), ("timing", "stage"), ("timing", "stage", "age_band"),
          ("timing", "stage", "age_band", "segment"), ("timing", "stage", "age_band", "segment", "region"))
UNKNOWN = {"timing": "unknown", "stage": "Unknown stage", "age_band": "unknown"}
LEVEL_WORDS = {0: "all open deals", 1: "timing", 2: "stage", 3: "days in stage", 4: "segment", 5: "region"}
DRAW_BUDGET = 1_000_000_000   # deal × run draws by default: 10,000 runs up to 100,000 open deals
MIN_RUNS = 1_000
_BLOCK = 250                # deals per simulation block: the random bits of a block stay in cache
_WORKERS = 4                # threads a large simulation is shared out to, at most (one per core)
_PARALLEL_DRAWS = 50_000_000   # draws below which one thread is quicker than starting others


# ---- as-of points and what the store held at them ----

def _points(rows: list[tuple[dt.date, dt.date, dt.date]]) -> pd.DataFrame:
    return pd.DataFrame({"point_id": range(len(rows)), "as_of": [r[0] for r in rows],
                         "p_start": [r[1] for r in rows], "p_end": [r[2] for r in rows]})


def new_deals(points: pd.DataFrame, db=None) -> pd.DataFrame:
    """Deals created after each point's day and won inside its period (landing_new_deals.sql)."""
    models.refresh(db)
    return store.query_sql(store.load_sql("landing_new_deals"), {}, db=db, relations={"landing_points": points})


NONE = "(none)"   # the member of the deals without a value for a dimension (the SQL's deal_member)


def selected(frame: pd.DataFrame, keep: pd.Series) -> pd.DataFrame:
    """frame[keep], without copying when the rows kept come first (every row, or the priced deals,
    which landing_states.sql puts before the others): a selection of a million open deals copies
    each column (0.3 s, and their memory again), and the whole scope is the usual one."""
    first = int(keep.sum())
    return frame.iloc[:first] if bool(keep.iloc[:first].all()) else frame[keep]


def in_scope(frame: pd.DataFrame, filters: Filters) -> pd.Series:
    """The rows in the filters' scope (as the SQL macro in_scope: '(none)' chooses the missing)."""
    keep = pd.Series(True, index=frame.index)
    for dim in ("region", "segment", "owner", "product"):
        chosen = getattr(filters, dim)
        if chosen:
            keep &= frame[dim].fillna(NONE).isin(chosen)
    return keep


def day_of(as_of: dt.date, p_start: dt.date) -> int:
    """The as-of day's number in its period (the first day is day 1)."""
    return (as_of - p_start).days + 1


def same_day(label: str, day: int) -> tuple[dt.date, dt.date, dt.date]:
    """(the day `day` of period `label` (at most its last), its first, its last day)."""
    first, last, _ = periods.bounds(label)
    return min(first + dt.timedelta(days=day - 1), last), first, last


FEATURES = ("timing", "stage", "age_band", "segment", "region")   # what a chance is learnt by

# the states' final ORDER BY orders the rows a projection draws for; a sum over them needs no order
# (sorting two million rows was a fifth of the training read)
_STATES, _ORDERED = store.load_sql("landing_states").rsplit("\nORDER BY ", 1)
assert _ORDERED.startswith("s.point_id"), "landing_states.sql must end with its ORDER BY"
# the observations of each point summed per feature combination in the store (see `aggregate`);
# built from this module's constants only
TRAINING_SQL = f"""
SELECT point_id, {", ".join(FEATURES)}, source,
       count(*) AS n, count(*) FILTER (WHERE won_in_period) AS wins, count(*) FILTER (WHERE slipped) AS slips,
       count(*) FILTER (WHERE won_in_period AND source = 'snapshot' AND amount > 0
                        AND final_amount IS NOT NULL) AS ratio_n,
       coalesce(sum(least(greatest(final_amount / amount, {RATIO_CLIP[0]}), {RATIO_CLIP[1]}))
                    FILTER (WHERE won_in_period AND source = 'snapshot' AND amount > 0
                            AND final_amount IS NOT NULL), 0) AS ratio_sum
FROM ({_STATES}
) observations
GROUP BY ALL
"""


# ---- the chances: hierarchical empirical Bayes over the deals open at the same day before ----

@dataclass
class Model:
    prior_strength: float
    pooled: float
    pooled_slip: float
    tables: list[pd.DataFrame]          # per level: keys, n, p, slip
    ratios: pd.DataFrame                # per stage: amount ratio (won ÷ then)
    observations: int
    periods: list[str]
    sources: dict[str, int]             # observations per source

    def describe(self) -> str:
        if not self.observations:
            return "No earlier period to learn from: every open deal counts at the pooled chance of 0."
        kinds = " and ".join(f"{n:,} from {s}" for s, n in self.sources.items())
        return (f"Learnt from {self.observations:,} open deals at the same day of "
                f"{', '.join(self.periods)} ({kinds}).")


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    """The feature columns as text, a missing value as '(none)': an export without segments reads
    them as an all-empty float column, which pandas will not match against text."""
    frame = frame.copy()
    for column in FEATURES:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), NONE)
    return frame


def aggregate(train: pd.DataFrame) -> pd.DataFrame:
    """Observations (one row per deal open at a point) summed per feature combination and source:
    n, wins, slips, and the won/then amount ratios of the snapshot deals that closed won (ratio_n,
    ratio_sum, each ratio clipped to RATIO_CLIP). What `fit` learns from, and what
    TRAINING_SQL returns straight from the store."""
    keys = list(FEATURES) + ["source"]
    won = (train["won_in_period"].astype(bool) & (train["source"] == "snapshot") & (train["amount"] > 0)
           & train["final_amount"].notna())
    ratio = (train["final_amount"] / train["amount"]).clip(*RATIO_CLIP).where(won, 0.0)
    frame = train[keys].assign(n=1, wins=train["won_in_period"].astype(float),
                               slips=train["slipped"].astype(float), ratio_n=won.astype(float),
                               ratio_sum=ratio.astype(float))
    return frame.groupby(keys, dropna=False).sum().reset_index()


def fit(train: pd.DataFrame, prior_strength: float | None = None, periods_used: list[str] | None = None) -> Model:
    """The chance table: each level's won-in-period share shrunk towards its parent's with the
    weight of `prior_strength` observations (default: the min_sample setting). `train` holds
    observations (states rows) or their `aggregate`."""
    k = float(prior_strength if prior_strength is not None else metrics.min_sample())
    agg = _keyed(train if "n" in train.columns else aggregate(train))
    total = float(agg["n"].sum()) if len(agg) else 0.0
    pooled = float(agg["wins"].sum()) / total if total else 0.0
    pooled_slip = float(agg["slips"].sum()) / total if total else 1.0
    tables, parent = [], None
    for keys in LEVELS:
        table = agg.groupby(list(keys), dropna=False)[["n", "wins", "slips"]].sum().reset_index()
        if parent is None:
            table["parent_p"], table["parent_slip"] = pooled, pooled_slip
        else:
            up = list(keys[:-1])
            table = table.merge(parent[up + ["p", "slip_p"]].rename(columns={"p": "parent_p", "slip_p": "parent_slip"}),
                                on=up, how="left")
        table["p"] = (table["wins"] + k * table["parent_p"]) / (table["n"] + k)
        table["slip_p"] = (table["slips"] + k * table["parent_slip"]) / (table["n"] + k)
        tables.append(table)
        parent = table
    ratios = agg.groupby("stage", dropna=False)[["ratio_n", "ratio_sum"]].sum().reset_index()
    ratios = ratios[ratios["ratio_n"] > 0].rename(columns={"ratio_n": "n"})
    ratios["ratio"] = (ratios["ratio_sum"] + k) / (ratios["n"] + k)
    sources = agg.groupby("source")["n"].sum().to_dict() if len(agg) else {}
    return Model(k, pooled, pooled_slip, tables, ratios[["stage", "n", "ratio"]], int(total),
                 periods_used or [], {str(s): int(n) for s, n in sources.items()})


def _combinations(deals: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """(each feature combination the deals hold, once, keyed as `_keyed` does; the row of it each
    deal has): a million deals share a few thousand, so the lookups below run on those."""
    codes = np.zeros(len(deals), dtype=np.int64)
    for column in FEATURES:
        found, members = pd.factorize(deals[column], use_na_sentinel=True)   # a missing one: -1
        codes = codes * (len(members) + 1) + (found + 1)
    which, distinct = pd.factorize(codes)
    first = np.empty(len(distinct), dtype=np.int64)
    first[which[::-1]] = np.arange(len(deals) - 1, -1, -1)   # each combination's first deal
    return _keyed(deals[list(FEATURES)].iloc[first]).reset_index(drop=True), which


def chances(model: Model, deals: pd.DataFrame) -> pd.DataFrame:
    """The deals with their chance (`chance`), slip chance, amount ratio, the deepest level that
    had observations (`basis`) and how many (`seen`)."""
    combos, which = _combinations(deals)
    # a timing, stage or age the periods before never showed (their deals came from the closed
    # history: no expected close date, no stage without a stage history) is looked up as unknown,
    # so the segment and region below it still refine the chance; the deals keep their own values
    deepest = model.tables[-1] if model.tables else pd.DataFrame(columns=list(LEVELS[-1]))
    for column, unknown in UNKNOWN.items():
        seen = set(deepest[column])
        if unknown in seen:
            combos.loc[~combos[column].isin(seen), column] = unknown
    combos["chance"], combos["slip_chance"] = model.pooled, model.pooled_slip
    combos["basis"], combos["seen"] = 0, model.observations
    for level, (keys, table) in enumerate(zip(LEVELS, model.tables), start=1):
        hit = combos[list(keys)].merge(table[list(keys) + ["p", "slip_p", "n"]], on=list(keys), how="left")
        found = hit["p"].notna().to_numpy()
        combos.loc[found, "chance"] = hit.loc[found, "p"].to_numpy()
        combos.loc[found, "slip_chance"] = hit.loc[found, "slip_p"].to_numpy()
        combos.loc[found, "basis"] = level
        combos.loc[found, "seen"] = hit.loc[found, "n"].to_numpy()
    combos = combos.merge(model.ratios[["stage", "ratio"]].rename(columns={"ratio": "amount_ratio"}),
                          on="stage", how="left")   # a left merge keeps the combinations' order
    combos["amount_ratio"] = combos["amount_ratio"].fillna(1.0)
    # new columns beside the deals' own (not a copy of them: copy-on-write shares the rest)
    return deals.assign(**{column: combos[column].to_numpy()[which]
                           for column in ("chance", "slip_chance", "basis", "seen", "amount_ratio")})


# ---- the simulation ----

def runs_for(deals: int) -> int:
    """The default number of runs: SIMS, fewer past DRAW_BUDGET deal-draws (at least MIN_RUNS):
    with that many deals the landing is smooth and its deciles settle sooner."""
    return int(max(MIN_RUNS, min(SIMS, DRAW_BUDGET // max(deals, 1))))


def simulate(amounts: np.ndarray, chance: np.ndarray, sims: int = SIMS, seed: int = SEED,
             new_rate: float = 0.0, new_amounts: np.ndarray | None = None, workers: int | None = None) -> np.ndarray:
    """`sims` draws of Σ amount × Bernoulli(chance) (+ a Poisson(new_rate) number of amounts drawn
    from `new_amounts`). Vectorised in blocks of deals: 16 random bits per deal and run, compared
    with the chance (so chances count to 1/65,536), a block summed with one matrix product.
    Deals keep their random bits when only chances change (what-if compares like with like).
    Large simulations share the blocks out to `workers` threads (default: the cores, at most
    _WORKERS): each starts its stream where the blocks before it end, so the runs are the ones a
    single thread draws (to the last bits of a float sum)."""
    amounts = np.nan_to_num(np.asarray(amounts, dtype=np.float64))
    chance = np.clip(np.nan_to_num(np.asarray(chance, dtype=np.float64)), 0.0, 1.0)
    threshold = np.where(chance >= 1.0, 0, np.minimum(np.round(chance * 65536), 65535)).astype(np.uint16)
    weights = amounts.astype(np.float32)
    firsts = list(range(0, len(amounts), _BLOCK))
    # the 64-bit words of the stream each block takes (four 16-bit draws a word, rounded up)
    words = [-(-sims * (min(first + _BLOCK, len(amounts)) - first) // 4) for first in firsts]
    if workers is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        workers = min(cores, _WORKERS) if sims * len(amounts) >= _PARALLEL_DRAWS else 1
    shares = np.array_split(np.arange(len(firsts)), max(min(workers, len(firsts)), 1))

    def drawn(share: np.ndarray) -> np.ndarray:
        bits = np.random.PCG64(seed)
        if len(share):
            bits.advance(sum(words[:share[0]]))   # where the blocks before this share end
        part = np.zeros(sims)
        for block in share:
            first, width = firsts[block], min(_BLOCK, len(amounts) - firsts[block])
            raw = bits.random_raw(words[block]).view(np.uint16)[:sims * width].reshape(sims, width)
            # einsum, not a BLAS product: OpenBLAS's threads stall next to DuckDB's (10× slower, measured)
            part += np.einsum("ij,j->i", (raw < threshold[first:first + width]).astype(np.float32),
                              weights[first:first + width])
        return part

    totals = np.full(sims, float(amounts[chance >= 1.0].sum()))
    if len(shares) > 1:   # numpy draws and sums without the GIL: the shares run side by side
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(len(shares)) as pool:
            for part in pool.map(drawn, shares):
                totals += part
    elif firsts:
        totals += drawn(shares[0])
    if new_rate > 0 and new_amounts is not None and len(new_amounts):
        rng = np.random.Generator(np.random.PCG64(seed + 1))
        counts = rng.poisson(new_rate, sims)
        drawn_new = rng.choice(np.asarray(new_amounts, dtype=np.float64), int(counts.sum()))
        totals += np.bincount(np.repeat(np.arange(sims), counts), weights=drawn_new, minlength=sims)
    return totals


def crps(samples: np.ndarray, actual: float) -> float:
    """Continuous ranked probability score of a sample against the actual: E|X − y| − ½E|X − X'|
    (in money; a point forecast's CRPS is its absolute error)."""
    x = np.sort(np.asarray(samples, dtype=np.float64))
    n = len(x)
    spread = 2.0 * np.sum((2 * np.arange(1, n + 1) - n - 1) * x) / (n * n)
    return float(np.mean(np.abs(x - actual)) - 0.5 * spread)


# ---- what-if ----

SHOCK_KINDS = {
    "win_rate": "win rate moves by {value:+g} points",
    "slip": "close dates slip by {value:g} weeks",
    "cycle": "sales cycle lengthens by {value:g}%",
    "lose": "lost",
    "win": "won",
}


@dataclass(frozen=True)
class Shock:
    """One move a manager plays: `kind` (SHOCK_KINDS), on the open deals of `dim` = `member`
    (every open deal when dim is None) or on the named `deals` (lose/win), by `value`."""
    kind: str
    value: float = 0.0
    dim: str | None = None
    member: str | None = None
    deals: tuple[str, ...] = ()

    def __post_init__(self):
        if self.kind not in SHOCK_KINDS:
            raise ValueError(f"Unknown what-if {self.kind!r}: use one of {', '.join(SHOCK_KINDS)}.")
        if self.dim not in (None, "region", "segment", "owner", "product"):
            raise ValueError(f"A what-if applies to a region, segment, owner or product, not {self.dim!r}.")

    def describe(self, names: dict[str, str] | None = None) -> str:
        if self.kind in ("lose", "win"):
            listed = [(names or {}).get(d, d) for d in self.deals]
            shown = ", ".join(listed[:5]) + (f" and {len(listed) - 5} more" if len(listed) > 5 else "")
            return f"{shown or 'no deals'} {SHOCK_KINDS[self.kind]}"
        who = f"{self.member}: " if self.member else "Every open deal in scope: "
        return who + SHOCK_KINDS[self.kind].format(value=self.value)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "value": self.value, "dim": self.dim, "member": self.member,
                "deals": list(self.deals)}

    @staticmethod
    def from_dict(data: dict) -> "Shock":
        return Shock(data["kind"], float(data.get("value") or 0), data.get("dim"), data.get("member"),
                     tuple(data.get("deals") or ()))


def _timing(close: pd.Series, as_of: dt.date, p_end: dt.date) -> pd.Series:
    out = pd.Series("later", index=close.index)
    out[close.isna()] = "unknown"
    known = close.notna()
    out[known & (close <= p_end)] = "in period"
    out[known & (close < as_of)] = "overdue"
    return out


def apply_shocks(deals: pd.DataFrame, model: Model, shocks: tuple[Shock, ...], as_of: dt.date,
                 p_end: dt.date) -> pd.DataFrame:
    """The deals with each shock played, in order: a win-rate move adds points to the chance; a
    slip or a longer cycle moves expected close dates and re-reads the chance for the new
    timing (a deal pushed past the period's end takes the 'later' chance); named deals lost or
    won take a chance of 0 or 1."""
    out = deals.copy()
    for shock in shocks:
        hit = (out[shock.dim] == shock.member) if shock.dim else pd.Series(True, index=out.index)
        if shock.kind == "win_rate":
            out.loc[hit, "chance"] = (out.loc[hit, "chance"] + shock.value / 100).clip(0, 1)
        elif shock.kind in ("slip", "cycle"):
            moved = hit & out["expected_close"].notna()
            close = out.loc[moved, "expected_close"].map(pd.Timestamp)
            if shock.kind == "slip":
                close = close + pd.Timedelta(weeks=shock.value)
            else:
                remaining = (close - pd.Timestamp(as_of)).clip(lower=pd.Timedelta(0))
                close = pd.Timestamp(as_of) + remaining * (1 + shock.value / 100)
            out.loc[moved, "expected_close"] = close.dt.date
            out.loc[moved, "timing"] = _timing(out.loc[moved, "expected_close"], as_of, p_end)
            if moved.any():
                again = chances(model, out.loc[moved].drop(columns=["chance", "slip_chance", "basis", "seen",
                                                                     "amount_ratio"]))
                out.loc[moved, ["chance", "slip_chance", "basis", "seen"]] = \
                    again[["chance", "slip_chance", "basis", "seen"]].to_numpy()
        else:
            named = out["id"].isin(shock.deals)
            out.loc[named, "chance"] = 1.0 if shock.kind == "win" else 0.0
    return out


# ---- the projection ----

class _Landed:
    """The figures read from a landing's simulated runs (`sims`), its exact mean (`mean`) and its open
    deals' count (`open_deals`): the same for a Landing and for the Outline kept of it."""
    sims: np.ndarray
    period: str
    as_of: dt.date
    target: float | None
    won_to_date: float
    commit: float | None
    best_case: float | None
    weighted_pipeline: float | None

    @property
    def p10(self) -> float:
        return float(np.quantile(self.sims, 0.1))

    @property
    def p50(self) -> float:
        return float(np.quantile(self.sims, 0.5))

    @property
    def p90(self) -> float:
        return float(np.quantile(self.sims, 0.9))

    @property
    def chance_of_target(self) -> float | None:
        return None if self.target is None else float((self.sims >= self.target).mean())

    def summary(self) -> dict:
        """The figures a tile, a table row or the command line shows."""
        return {"period": self.period, "as_of": self.as_of, "target": self.target,
                "won_to_date": self.won_to_date, "p10": self.p10, "p50": self.p50, "p90": self.p90,
                "expected": self.mean, "chance_of_target": self.chance_of_target, "commit": self.commit,
                "best_case": self.best_case, "weighted_pipeline": self.weighted_pipeline,
                "open_deals": self.open_deals, "sims": int(len(self.sims))}

    def gap_to_target(self) -> float | None:
        """How much more than the median the target needs."""
        return None if self.target is None else max(self.target - self.p50, 0.0)


@dataclass
class Landing(_Landed):
    period: str
    as_of: dt.date
    day: int
    days: int
    source: str                     # 'snapshot' or 'closed history'
    snapshot_date: dt.date | None
    target: float | None
    won_to_date: float
    commit: float | None
    best_case: float | None
    weighted_pipeline: float | None   # won to date + stage-weighted open pipeline closing in the period
    sims: np.ndarray
    deals: pd.DataFrame              # the open deals simulated, with chance, why, spread share
    new_rate: float
    new_mean: float
    model: Model
    shocks: tuple[Shock, ...] = ()
    notes: list[str] = field(default_factory=list)

    @property
    def mean(self) -> float:
        """The expected landing, exactly: won to date + Σ amount × ratio × chance + the new deals'
        expected count × their mean amount (the simulation's mean estimates it)."""
        return float(self.won_to_date + self.deals["expected"].sum() + self.new_rate * self.new_mean) \
            if "expected" in self.deals else self.won_to_date + self.new_rate * self.new_mean

    @property
    def open_deals(self) -> int:
        return int(len(self.deals))

    def top_deals(self, n: int = TOP_DEALS) -> pd.DataFrame:
        """The deals that move the landing most (the largest shares of its variance), each with
        why it has its chance (`why`: stage, days in stage, close date, pushes, what it rests on)."""
        top = self.deals.sort_values("spread_share", ascending=False).head(n)
        return top.assign(why=[_why(r) for _, r in top.iterrows()] if len(top) else [])

    def inputs(self) -> pd.DataFrame:
        """What the expected landing is made of: won to date, the open deals by timing and
        stage (amount, expected), new deals."""
        open_ = self.deals.assign(expected=self.deals["amount"] * self.deals["amount_ratio"] * self.deals["chance"])
        parts = (open_.groupby(["timing", "stage"], dropna=False)
                 .agg(deals=("id", "size"), amount=("amount", "sum"), expected=("expected", "sum"),
                      chance=("chance", "mean")).reset_index())
        parts["input"] = "Open, " + parts["timing"].astype(str) + ": " + parts["stage"].astype(str)
        rows = [pd.DataFrame({"input": ["Won to date"], "deals": [None], "amount": [self.won_to_date],
                              "expected": [self.won_to_date], "chance": [1.0]}),
                parts.sort_values("expected", ascending=False)[["input", "deals", "amount", "expected", "chance"]],
                pd.DataFrame({"input": ["New deals created and won in the period"], "deals": [self.new_rate],
                              "amount": [None], "expected": [self.new_rate * self.new_mean], "chance": [None]})]
        table = pd.concat([r for r in rows if len(r)], ignore_index=True)
        table["share"] = table["expected"] / table["expected"].sum() if table["expected"].sum() else np.nan
        return table


@dataclass
class Outline(_Landed):
    """A landing without its open deals: what the tiles, the sentence and the distribution show, kept
    in the store per data version and scope (`outline`), so a page reads it back in milliseconds
    instead of simulating a million open deals again. The deals (the maths, the what-if) need the
    Landing itself."""
    period: str
    as_of: dt.date
    day: int
    days: int
    source: str
    snapshot_date: dt.date | None
    target: float | None
    won_to_date: float
    commit: float | None
    best_case: float | None
    weighted_pipeline: float | None
    sims: np.ndarray
    new_rate: float
    new_mean: float
    mean: float
    open_deals: int
    notes: list[str] = field(default_factory=list)

    _SCALARS = ("period", "as_of", "day", "days", "source", "snapshot_date", "target", "won_to_date", "commit",
                "best_case", "weighted_pipeline", "new_rate", "new_mean", "mean", "open_deals")

    @classmethod
    def of(cls, landing: Landing) -> "Outline":
        return cls(**{name: getattr(landing, name) for name in cls._SCALARS},
                   sims=landing.sims, notes=list(landing.notes))

    def to_frame(self) -> pd.DataFrame:
        """One row per run (`sims`), the scalars repeated beside it and the notes as JSON (what the
        store keeps: a frame)."""
        return pd.DataFrame({"sims": self.sims, **{name: getattr(self, name) for name in self._SCALARS},
                             "notes": json.dumps(self.notes)})

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> "Outline":
        first = frame.iloc[0]

        def value(name):
            found = first[name]
            return None if found is None or (not isinstance(found, str) and pd.isna(found)) else found

        def day(name):
            found = value(name)
            return None if found is None else pd.Timestamp(found).date()

        def number(name):
            found = value(name)
            return None if found is None else float(found)

        return cls(period=str(first["period"]), as_of=day("as_of"), day=int(first["day"]), days=int(first["days"]),
                   source=str(first["source"]), snapshot_date=day("snapshot_date"), target=number("target"),
                   won_to_date=float(first["won_to_date"]), commit=number("commit"), best_case=number("best_case"),
                   weighted_pipeline=number("weighted_pipeline"),
                   sims=frame["sims"].to_numpy(dtype=np.float64), new_rate=float(first["new_rate"]),
                   new_mean=float(first["new_mean"]), mean=float(first["mean"]),
                   open_deals=int(first["open_deals"]), notes=list(json.loads(first["notes"])))


def _scope_totals(filters: Filters, p_start: dt.date, p_end: dt.date, as_of: dt.date, db=None) -> dict:
    """Won to date, the target, and the commit / best-case call standing at the as-of day."""
    grain = "quarter" if periods.add_months(p_start, 3) == p_end + dt.timedelta(days=1) else "month"
    params = {**filters.params(), "p_start": p_start, "p_end": p_end, "as_of": as_of, "grain": grain,
              "fy_start": periods.fiscal_year_start(),
              "week": max(1, min(math.ceil(day_of(as_of, p_start) / 7), 13))}
    row = store.query_sql("""
        SELECT (SELECT coalesce(sum(amount), 0) FROM deal_facts
                WHERE is_won AND close_date BETWEEN $p_start AND least($as_of, $p_end)
                  AND in_scope(region, segment, owner, product, $region, $segment, $owner, $product)) AS won_to_date,
               (SELECT coalesce(sum(amount), 0) FROM deal_facts
                WHERE is_won AND close_date BETWEEN $p_start AND $p_end
                  AND in_scope(region, segment, owner, product, $region, $segment, $owner, $product)) AS actual,
               (SELECT sum(target) FROM plan_rows
                WHERE target IS NOT NULL AND (period_grain = 'month' OR $grain = 'quarter')
                  AND period BETWEEN $p_start AND $p_end
                  AND in_scope(region, segment, owner, product, $region, $segment, $owner, $product)) AS target,
               c.forecast AS commit, c.best_case
        FROM (SELECT sum(forecast) AS forecast, sum(best_case) AS best_case
              FROM forecast_actual($grain, $fy_start, 'total', $p_start, $p_end, $week,
                                   $region, $segment, $owner, $product)
              WHERE period_start = $p_start) c""", params, db=db).iloc[0]
    return {k: (None if pd.isna(v) else float(v)) for k, v in row.items()}


def _why(row) -> str:
    parts = [str(row["stage"])]
    if not pd.isna(row.get("stage_age_days")):
        parts.append(f"{int(row['stage_age_days'])} days in stage")
    if row["timing"] == "overdue":
        parts.append(f"overdue since {row['expected_close']:%Y-%m-%d}")
    elif row["timing"] in ("in period", "later"):
        parts.append(f"closes {row['expected_close']:%Y-%m-%d}")
    if row.get("pushes"):
        parts.append(f"pushed {int(row['pushes'])}×")
    basis = LEVEL_WORDS.get(int(row["basis"]), "")
    parts.append(f"{row['chance']:.0%} of {int(row['seen']):,} like it won in their period"
                 + (f" (by {basis})" if basis else "") + f"; {row['slip_chance']:.0%} slipped")
    return "; ".join(parts)


class Projector:
    """Projections over one store: the states of each (period, day) read once and kept, so the
    backtest's many points and a page's what-ifs do not read them again."""

    def __init__(self, db=None, history_periods: int = HISTORY_PERIODS, prior_strength: float | None = None,
                 keep: int = 0):
        self.db, self.history_periods, self.prior_strength = db, history_periods, prior_strength
        self._rows: dict[tuple[str, int], pd.DataFrame] = {}       # the deals open at a point
        self._training: dict[tuple[str, int], pd.DataFrame] = {}   # their aggregate (what fit reads)
        self._new: dict[tuple[str, int], pd.DataFrame] = {}        # deals created after it, won inside
        # sessions share a projector (shared_projector): one reads a point while the others wait for it
        self._lock = threading.RLock()
        self._keep = keep                                          # projections remembered (0: none)
        self._landings: dict[tuple, Landing] = {}
        self._models: dict[tuple[str, int], Model] = {}             # kept only when keep > 0
        self._chanced: dict[tuple[str, int], pd.DataFrame] = {}     # every priced deal with its chance
        self.used_at = time.monotonic()                              # the last projection (let_go_idle)

    def _read(self, keys, cache: dict, sql: str) -> None:
        with self._lock:
            wanted = sorted({k for k in keys if k not in cache})
            if not wanted:
                return
            models.refresh(self.db)
            points = _points([same_day(label, day) for label, day in wanted])
            # through Arrow: a million open deals' rows in a third of the time, their days as dates
            found = store.query_sql(sql, {}, db=self.db, relations={"landing_points": points}, via_arrow=True)
            if "expected_close" in found:   # dates, a missing one NaT (as the rest of the model expects)
                found["expected_close"] = found["expected_close"].where(found["expected_close"].notna(), pd.NaT)
            groups = dict(tuple(found.groupby("point_id"))) if len(found) else {}
            for i, key in enumerate(wanted):
                cache[key] = groups.get(i, found.iloc[0:0]).reset_index(drop=True)

    def _read_training(self, keys) -> None:
        """The training aggregates of `keys`: those kept in the store for this data version, the
        rest read (TRAINING_SQL) and kept there for the next reader."""
        with self._lock:
            wanted = sorted({k for k in keys if k not in self._training})
            if not wanted:
                return
            version = store.data_version(self.db)
            kept = store.query_sql(
                "SELECT p.period, p.day, t.* EXCLUDE (data_version, period, day) "
                "FROM landing_training_points p LEFT JOIN landing_training t USING (data_version, period, day) "
                "WHERE p.data_version = $v", {"v": version}, db=self.db)
            columns = list(FEATURES) + ["source", "n", "wins", "slips", "ratio_n", "ratio_sum"]
            found = {key: rows[columns].dropna(subset=["n"]).reset_index(drop=True)
                     for key, rows in kept.groupby(["period", "day"])}
            missing = [k for k in wanted if k not in found]
            fresh: dict = {}
            self._read(missing, fresh, TRAINING_SQL)
            for key in wanted:
                self._training[key] = found[key] if key in found else fresh[key]
            if fresh:
                _keep_training(fresh, version, self.db)

    def preload(self, rows=(), training=()) -> None:
        """Read, one query each, the deals open at the `rows` points and the aggregated
        observations of the `training` points (and the new deals of both)."""
        self._read(rows, self._rows, store.load_sql("landing_states"))
        self._read_training([k for k in training if k not in self._rows])
        self._read(list(rows) + list(training), self._new, store.load_sql("landing_new_deals"))

    def data_start(self) -> dt.date | None:
        """The first day the data reaches: the earliest snapshot or deal creation."""
        if not hasattr(self, "_data_start"):
            found = store.query_sql(
                """SELECT least((SELECT min(snapshot_date) FROM snapshot_dates),
                                (SELECT min(created_date) FROM deal_facts)) AS d""", {}, db=self.db)["d"].iloc[0]
            self._data_start = None if found is None or pd.isna(found) else pd.Timestamp(found).date()
        return self._data_start

    def forget(self, key) -> None:
        """Drop a point's deal rows, keeping their aggregate (a later period may learn from it)."""
        if key in self._rows:
            self._training.setdefault(key, aggregate(self._rows[key]))
            del self._rows[key]

    def at(self, label: str, day: int) -> pd.DataFrame:
        self.preload(rows=[(label, day)])
        return self._rows[(label, day)]

    def training_keys(self, label: str, day: int) -> list[tuple[str, int]]:
        return [(periods.shift(label, -back), day) for back in range(1, self.history_periods + 1)]

    def _aggregate(self, key) -> pd.DataFrame:
        if key not in self._training:
            if key in self._rows:
                self._training[key] = aggregate(self._rows[key])
            else:
                self.preload(training=[key])
        return self._training[key]

    def model(self, label: str, day: int) -> Model:
        if self._keep:   # a shared projector fits each day's model once
            with self._lock:
                if (label, day) not in self._models:
                    self._models[(label, day)] = self._fit(label, day)
                return self._models[(label, day)]
        return self._fit(label, day)

    def _fit(self, label: str, day: int) -> Model:
        keys = self.training_keys(label, day)
        self.preload(training=keys)
        frames = {k[0]: self._aggregate(k) for k in keys}
        used = [f for f in frames.values() if len(f)]
        train = pd.concat(used, ignore_index=True) if used else aggregate(self.at(label, day).iloc[0:0])
        return fit(train, self.prior_strength, [label for label, f in frames.items() if len(f)])

    def new_deal_rate(self, label: str, day: int, filters: Filters) -> tuple[float, np.ndarray]:
        """(mean count of deals created after the day and won inside the period, their amounts),
        over the periods before, in scope."""
        keys = self.training_keys(label, day)
        self.preload(training=keys)
        counts, amounts = [], []
        reach = self.data_start()
        for key in keys:
            if reach is None or same_day(*key)[0] < reach:
                continue   # the data does not reach that day: not a period without new deals
            new = self._new[key]
            new = new[in_scope(new, filters)]
            counts.append(len(new))
            amounts.append(new["amount"].to_numpy(dtype=np.float64))
        if not counts:
            return 0.0, np.array([])
        return float(np.mean(counts)), np.concatenate(amounts)

    def project(self, filters: Filters, label: str, as_of: dt.date, sims: int | None = None, seed: int = SEED,
                shocks: tuple[Shock, ...] = ()) -> Landing:
        """The landing of `label` seen at `as_of` in the filters' scope. `sims` runs (default SIMS,
        fewer for a pipeline so large that SIMS runs would pass DRAW_BUDGET draws). A projector
        that keeps projections hands the same Landing to every caller: read it, never change it."""
        self.used_at = time.monotonic()
        if not self._keep:
            return self._project(filters, label, as_of, sims, seed, shocks)
        # the landing reads the filters' scope, never their dates (the period is its own)
        key = (tuple(getattr(filters, d) for d in SCOPE_DIMS), label, as_of, sims, seed, tuple(shocks))
        with self._lock:   # the same projection asked by two sessions at once is run once
            found = self._landings.pop(key, None) or self._project(filters, label, as_of, sims, seed, shocks)
            self._landings[key] = found   # the most recently used last
            while len(self._landings) > self._keep:
                self._landings.pop(next(iter(self._landings)))
            self.used_at = time.monotonic()
            return found

    def _project(self, filters: Filters, label: str, as_of: dt.date, sims: int | None, seed: int,
                 shocks: tuple[Shock, ...]) -> Landing:
        first, last, _ = periods.bounds(label)
        if as_of < first:
            raise ValueError(f"{label} starts after {as_of:%Y-%m-%d}: there is nothing to project yet.")
        as_of = min(as_of, last)
        day = day_of(as_of, first)
        found = self.at(label, day)
        model = self.model(label, day)
        scoped = selected(found, in_scope(found, filters))
        left_out = _left_out(scoped)
        # a deal expected to close after the period can still land in it (pulled in): kept, at its chance
        if self._keep:   # every deal's chance worked out once per day, each scope a selection of them
            with self._lock:
                if (label, day) not in self._chanced:
                    priced = selected(found, found["amount"].notna() & (found["amount"] > 0))
                    self._chanced[(label, day)] = chances(model, priced.reset_index(drop=True))
                chanced = self._chanced[(label, day)]
            deals = selected(chanced, in_scope(chanced, filters)).reset_index(drop=True)
        else:
            deals = selected(scoped, scoped["amount"].notna() & (scoped["amount"] > 0))
            deals = chances(model, deals.reset_index(drop=True))
        if shocks:
            deals = apply_shocks(deals, model, shocks, as_of, last)
        rate, pool = self.new_deal_rate(label, day, filters)
        totals = _scope_totals(filters, first, last, as_of, self.db)
        weights = deals["amount"].to_numpy() * deals["amount_ratio"].to_numpy()
        sims = sims or runs_for(len(deals))
        draws = simulate(weights, deals["chance"].to_numpy(), sims, seed, rate, pool)
        draws += totals["won_to_date"]
        variance = weights ** 2 * deals["chance"].to_numpy() * (1 - deals["chance"].to_numpy())
        new_var = rate * float(np.mean(pool ** 2)) if len(pool) else 0.0   # compound Poisson
        spread = variance.sum() + new_var
        deals = deals.assign(expected=weights * deals["chance"],
                             spread_share=variance / spread if spread else 0.0)
        source = str(found["source"].iloc[0]) if len(found) else ("snapshot" if _has_snapshot(as_of, self.db) else "closed history")
        snapshot = found["snapshot_date"].dropna()
        # the stage-weighted baseline: won to date + the open deals expected to close by the period's
        # end × their CRM probability (none open: what was won); only where the export has probabilities
        closing = pd.to_datetime(deals["expected_close"])
        in_period = (closing.notna() & (closing <= pd.Timestamp(last))).to_numpy()
        weighted = (totals["won_to_date"] + float(np.nansum(deals["amount"].to_numpy(dtype=np.float64)[in_period]
                                                            * deals["probability"].to_numpy(dtype=np.float64)[in_period]))
                    if source == "snapshot" and (found["probability"].notna().any() or not in_period.any()) else None)
        notes = []
        if source != "snapshot":
            notes.append("No pipeline snapshot within a week of this day: the open deals are read from the closed "
                         "history, without their expected close dates (the history keeps only the final ones), "
                         "so the chances cannot weigh them.")
        if left_out:
            notes.append(left_out)
        return Landing(label, as_of, day, (last - first).days + 1, source,
                       snapshot.iloc[0].date() if len(snapshot) else None, totals["target"], totals["won_to_date"],
                       totals["commit"], totals["best_case"], weighted, draws, deals, rate,
                       float(pool.mean()) if len(pool) else 0.0, model, tuple(shocks), notes)


def _keep_training(fresh: dict, version: str, db=None) -> None:
    """Keep training aggregates read for `version` in the store (older versions' dropped); a
    reader that kept them first wins, and a store that cannot be written is only slower."""
    rows = pd.concat([frame.drop(columns=["point_id"], errors="ignore").assign(period=key[0], day=key[1])
                      for key, frame in fresh.items()], ignore_index=True)
    points = pd.DataFrame({"period": [k[0] for k in fresh], "day": [k[1] for k in fresh]})

    def work(cur) -> None:
        cur.execute("DELETE FROM landing_training WHERE data_version <> $v", {"v": version})
        cur.execute("DELETE FROM landing_training_points WHERE data_version <> $v", {"v": version})
        cur.register("kept_points", points)
        cur.register("kept_rows", rows)
        new = cur.execute("""SELECT k.period, k.day FROM kept_points k ANTI JOIN landing_training_points p
                             ON p.data_version = $v AND p.period = k.period AND p.day = k.day""",
                          {"v": version}).fetchall()
        if not new:
            return
        chosen = {"v": version, "new": [f"{p}/{d}" for p, d in new]}
        cur.execute("""INSERT INTO landing_training_points SELECT $v, period, day, now()::TIMESTAMP
                       FROM kept_points WHERE list_contains($new, period || '/' || day)""", chosen)
        cur.execute(f"""INSERT INTO landing_training (data_version, period, day, {", ".join(FEATURES)}, source,
                                                      n, wins, slips, ratio_n, ratio_sum)
                        SELECT $v, period, day, {", ".join(FEATURES)}, source, n, wins, slips, ratio_n, ratio_sum
                        FROM kept_rows WHERE list_contains($new, period || '/' || day)""", chosen)

    try:
        store.write(work, db)
    except Exception:   # noqa: BLE001 - a cache: the projection stands without it
        log.warning("landing training aggregates not kept", exc_info=True)


_SHARED: dict[str, tuple[str, Projector]] = {}   # store -> (its data version, its projector)
_SHARED_LOCK = threading.Lock()
_SHARED_CHANGED = threading.Condition(_SHARED_LOCK)   # a projector added: the releaser looks again
SCOPE_DIMS = ("region", "segment", "owner", "product")
SHARED_KEPT = 12   # projections a shared projector remembers (each holds its open deals: ~100 MB at 1M)


def shared_projector(db=None) -> Projector:
    """The process's projector for this store's current data: the Overview's tile, the Forecast
    page of every session, the alert rules and the QBR pack read each day's deals once between
    uploads and share the projections already run (an upload or undo starts a new one)."""
    global _releaser
    key, version = store._key(db), store.data_version(db)
    with _SHARED_LOCK:
        held = _SHARED.get(key)
        if held is None or held[0] != version:
            held = _SHARED[key] = (version, Projector(db, keep=SHARED_KEPT))
            _SHARED_CHANGED.notify_all()
        if _releaser is None:
            _releaser = threading.Thread(target=_let_go_idle, name="landing-let-go-idle", daemon=True)
            _releaser.start()
        return held[1]


HELD_IDLE = 300.0   # seconds a shared projector's deals stay held after its last projection
_releaser: threading.Thread | None = None


def _let_go_idle() -> None:
    """Let go of the shared projectors no one projected with for HELD_IDLE seconds: a scope the check
    did not keep (a segment, an owner, the maths) reads a million deals' states into the server,
    which then need not hold them (about a gigabyte) for the rest of its days. One thread per
    process, ended when nothing is held."""
    global _releaser
    with _SHARED_LOCK:
        while True:
            now = time.monotonic()
            for key, (_, projector) in list(_SHARED.items()):
                if now - projector.used_at >= HELD_IDLE:
                    del _SHARED[key]
            if not _SHARED:
                _releaser = None
                return
            pause = min(projector.used_at for _, projector in _SHARED.values()) + HELD_IDLE - now
            _SHARED_CHANGED.wait(max(pause, 0.05))   # the lock is free meanwhile


def let_go(db=None) -> None:
    """Drop the process's projector for this store (its deals' states, chances and projections: about
    a gigabyte at a million open deals): work done in the background calls it once what the pages read
    is kept (the Outlines), so a server does not hold it for nobody. The next projection reads again."""
    with _SHARED_LOCK:
        _SHARED.pop(store._key(db), None)


def warm_up(db=None) -> bool:
    """Start making sure, in the background, that the default landing's Outline (the quarter holding
    the data date, every deal, the catalogue's runs) is kept, unless the warm_up setting is off: what
    the Forecast page's and the Overview's first visit on a freshly started server read. Usually the
    alert check after the import kept it and this only reads it back; otherwise it is worked out
    (reading a million open deals' states and their chances) and the projector let go. True when
    started."""
    if config.get("warm_up").strip().lower() != "on":
        return False

    def work() -> None:
        try:
            label, day = default_period("quarter", db)
            parts = _outline_parts(Filters(day, day), label, day, None, SEED)
            if store.kept_frame(OUTLINE, store.kept_key(*parts, store.data_version(db)), db) is None:
                outline(Filters(day, day), label, day, db=db)
                let_go(db)
        except Exception:   # noqa: BLE001 - a head start only (no data yet, a store being replaced)
            log.info("landing warm-up skipped", exc_info=True)

    background.start("landing-warm-up", work)
    return True


def previous_as_of(landing: Landing, db=None) -> dt.date | None:
    """The snapshot before the one the landing was read from (what 'since last week' compares
    with), if it falls in the same period."""
    found = store.query_sql("SELECT max(snapshot_date) AS d FROM snapshot_dates WHERE snapshot_date < $d",
                            {"d": landing.snapshot_date or landing.as_of}, db=db)["d"].iloc[0]
    if found is None or pd.isna(found):
        return None
    found = pd.Timestamp(found).date()
    return found if found >= periods.bounds(landing.period)[0] else None


def what_moved(before: Landing, after: Landing, n: int = TOP_DEALS, db=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What moved the expected landing from `before` to `after` (two projections of the same
    period and scope): (the inputs: won to date, open deals, new deals, each before, after and
    the change, which add up to the change of the expected landing; the `n` deals whose expected
    contribution changed most, with what happened to them: a deal won inside the period counts
    after at its won amount, so its change is what winning it added)."""
    parts = pd.DataFrame({
        "input": ["Won to date", "Open deals", "New deals created and won in the period"],
        "before": [before.won_to_date, float(before.deals["expected"].sum()), before.new_rate * before.new_mean],
        "after": [after.won_to_date, float(after.deals["expected"].sum()), after.new_rate * after.new_mean]})
    parts["change"] = parts["after"] - parts["before"]
    columns = ["id", "name", "account", "owner", "stage", "amount", "chance", "expected_close", "expected"]
    old = before.deals[columns].set_index("id")
    new = after.deals[columns].set_index("id")
    both = old.add_suffix("_before").join(new.add_suffix("_after"), how="outer")
    # a deal that left the pipeline closed won inside the period now counts at its won amount
    gone = [i for i in both.index[both["expected_after"].isna()]]
    first, last, _ = periods.bounds(after.period)
    closed = store.query_sql(
        """SELECT id, CASE WHEN is_won THEN 'closed won' WHEN is_closed THEN 'closed lost'
                           ELSE 'left the export' END AS outcome,
                  CASE WHEN is_won AND close_date BETWEEN $first AND $last THEN amount END AS won
           FROM deal_facts WHERE list_contains($ids, id)""",
        {"ids": gone, "first": first, "last": last}, db=db).set_index("id") \
        if gone else pd.DataFrame(columns=["outcome", "won"])
    outcome = closed["outcome"]
    both["expected_after"] = both["expected_after"].fillna(closed["won"].reindex(both.index))
    both["change"] = both["expected_after"].fillna(0) - both["expected_before"].fillna(0)

    def happened(row) -> str:
        if pd.isna(row["expected_before"]):
            return "new in the pipeline"
        if row["id"] in outcome.index:
            return outcome[row["id"]]
        said = []
        if row["stage_before"] != row["stage_after"]:
            said.append(f"{row['stage_before']} → {row['stage_after']}")
        if row["expected_close_before"] != row["expected_close_after"]:
            said.append(f"close date {row['expected_close_before']} → {row['expected_close_after']}")
        if row["amount_before"] != row["amount_after"]:
            said.append("amount changed")
        if not said and row["chance_before"] != row["chance_after"]:
            said.append("days in stage")
        return "; ".join(said) or "unchanged"

    deals = both[both["change"] != 0].reindex(both["change"].abs().sort_values(ascending=False).index)
    deals = deals[deals["change"] != 0].head(n).reset_index().rename(columns={"index": "id"})
    deals["name"] = deals["name_after"].fillna(deals["name_before"])
    deals["what_happened"] = [happened(r) for _, r in deals.iterrows()] if len(deals) else []
    return parts, deals[["id", "name", "expected_before", "expected_after", "change", "what_happened"]]


def _left_out(deals: pd.DataFrame) -> str | None:
    """The sentence naming the open deals the simulation leaves out, and why (METRICS.md: a money
    figure says what it leaves out)."""
    no_rate = deals["amount"].isna() & deals["has_amount"].fillna(False).astype(bool)
    no_amount = deals["amount"].isna() & ~no_rate
    zero = deals["amount"].notna() & (deals["amount"] <= 0)
    parts = [f"{int(n):,} {why}" for n, why in ((no_amount.sum(), "without an amount"),
                                                 (no_rate.sum(), "whose currency has no exchange rate"),
                                                 (zero.sum(), "at zero or less")) if n]
    if not parts:
        return None
    count = int(no_amount.sum() + no_rate.sum() + zero.sum())
    return (f"{count:,} open deal{'s' if count != 1 else ''} left out of the landing: " + "; ".join(parts)
            + " (upload the exchange rates or amounts on the Data page to count them).")


def _has_snapshot(day: dt.date, db=None) -> bool:
    found = store.query_sql("SELECT count(*) AS n FROM snapshot_dates WHERE snapshot_date <= $d "
                            "AND snapshot_date > $d - INTERVAL 7 DAY", {"d": day}, db=db)
    return bool(found["n"].iloc[0])


def default_period(grain: str = "quarter", db=None) -> tuple[str, dt.date]:
    """(the period holding the data date, the data date)."""
    day = data_date(db)
    if day is None:
        raise ValueError("The landing needs deals: upload an opportunities export (a pipeline snapshot) first.")
    return periods.label(day, grain), day


def project(filters: Filters, period: str | None = None, as_of: dt.date | None = None, sims: int | None = None,
            seed: int = SEED, shocks: tuple[Shock, ...] = (), db=None) -> Landing:
    """Where `period` (default: the one holding the data date) lands, as seen at `as_of` (default:
    the data date), in the filters' scope."""
    label, day = default_period(periods.parse(period)[1] if period else "quarter", db)
    return shared_projector(db).project(filters, period or label, as_of or day, sims, seed, shocks)


# ---- the track record ----

@dataclass
class Backtest:
    points: pd.DataFrame             # per period and week: quantiles, actual, baselines, scores
    reliability: pd.DataFrame        # predicted chance band against the share won
    periods: list[str]

    def summary(self) -> pd.DataFrame:
        """Per scored week (2, 4, 8) and over all weeks: coverage of P10–P90, CRPS ÷ actual, and
        the absolute % error of the P50, the commit call and the stage-weighted pipeline."""
        pts = self.points
        rows = []
        for week in list(SCORED_WEEKS) + [None]:
            sel = pts if week is None else pts[pts["week"] == week]
            if sel.empty:
                continue
            rows.append({"week": "all weeks" if week is None else f"week {week}", "points": len(sel),
                         "held": float(sel["inside"].mean()), "crps_pct": float(sel["crps_pct"].mean()),
                         "p50_error": float(sel["p50_error"].mean()),
                         "commit_error": float(sel["commit_error"].mean()) if sel["commit_error"].notna().any() else np.nan,
                         "weighted_error": float(sel["weighted_error"].mean()) if sel["weighted_error"].notna().any() else np.nan})
        return pd.DataFrame(rows)

    @property
    def notes(self) -> list[str]:
        """The replay's limitations, in sentences."""
        if self.points.empty:
            return []
        history = int((self.points["source"] != "snapshot").sum())
        said = []
        if history:
            said.append(f"{history} of {len(self.points)} weekly points had no pipeline snapshot within a week: "
                        "they were replayed from the closed history alone (the deals open then, at their final "
                        "amounts, without the close dates expected then), which a snapshot-based projection "
                        "would not rely on.")
        if self.points["commit"].isna().any():
            said.append("Weeks without a commit call standing then have no commit error.")
        return said

    def sentence(self) -> str:
        if self.points.empty:
            return "No finished period to replay yet: the track record starts after the first full period of data."
        total = self.summary().iloc[-1]
        said = (f"Replayed weekly over {', '.join(self.periods)}: the P10–P90 range held the actual "
                f"{total['held']:.0%} of the time (80% is calibrated); median error {total['p50_error']:.1%}")
        if not pd.isna(total["commit_error"]):
            said += f" against {total['commit_error']:.1%} for the commit call"
        if not pd.isna(total["weighted_error"]):
            said += f" and {total['weighted_error']:.1%} for the stage-weighted pipeline"
        return said + "."


def finished_periods(grain: str, count: int, db=None) -> list[str]:
    """The last `count` periods that ended by the data date, oldest first."""
    day = data_date(db)
    if day is None:
        return []
    label = periods.label(day, grain)
    if day < periods.bounds(label)[1]:
        label = periods.shift(label, -1)
    return [periods.shift(label, -back) for back in range(count - 1, -1, -1)]


def backtest(filters: Filters, grain: str = "quarter", count: int = BACKTEST_PERIODS, sims: int = BACKTEST_SIMS,
             seed: int = SEED, db=None, progress=None) -> Backtest:
    """The projection replayed at the end of each week of the last `count` finished periods, each
    with only the periods before it to learn from, scored against what the period booked."""
    projector = Projector(db)
    labels = finished_periods(grain, count, db)
    plan = []
    for label in labels:
        first, last, _ = periods.bounds(label)
        weeks = ((last - first).days + 1) // 7
        plan += [(label, week, 7 * week) for week in range(1, weeks + 1) if 7 * week < (last - first).days + 1]
    projector.preload(training=[k for label, _, day in plan for k in projector.training_keys(label, day)])
    rows, deals, actuals = [], [], {}
    for n, (label, week, day) in enumerate(plan):
        if progress:
            progress(n / max(len(plan), 1), f"Replaying {label}, week {week}")
        if week == 1:   # a period's points in one query; their rows dropped once projected (memory)
            projector.preload(rows=[(lb, d) for lb, _, d in plan if lb == label])
        first, last, _ = periods.bounds(label)
        landing = projector.project(filters, label, first + dt.timedelta(days=day - 1), sims, seed)
        projector.forget((label, day))
        if week == 1 or label not in actuals:
            actuals[label] = _scope_totals(filters, first, last, last, db)["actual"] or 0.0
        actual = actuals[label]
        p10, p50, p90 = landing.p10, landing.p50, landing.p90

        def error(value):
            return abs(value - actual) / actual if value is not None and actual else np.nan

        rows.append({"period": label, "week": week, "as_of": landing.as_of, "source": landing.source,
                     "p10": p10, "p50": p50, "p90": p90, "expected": landing.mean, "actual": actual,
                     "commit": landing.commit, "weighted_pipeline": landing.weighted_pipeline,
                     "inside": p10 <= actual <= p90, "crps": crps(landing.sims, actual),
                     "crps_pct": crps(landing.sims, actual) / actual if actual else np.nan,
                     "p50_error": error(p50), "commit_error": error(landing.commit),
                     "weighted_error": error(landing.weighted_pipeline)})
        if len(landing.deals):
            deals.append(landing.deals[["chance", "won_in_period"]])
    if progress:
        progress(1.0, "Track record ready")
    points = pd.DataFrame(rows)
    return Backtest(points, reliability(pd.concat(deals, ignore_index=True) if deals else None), labels)


_RECORDS: dict[tuple, Backtest] = {}   # (store, data version, scope, grain) -> the replay
_RECORDS_LOCK = threading.Lock()
RECORDS_KEPT = 16


def _record_key(filters: Filters, grain: str, db=None) -> tuple:
    # the replay's periods are its own: the scope's dimensions key it, not the filters' dates
    return (str(db or config.db_path()), store.data_version(db),
            tuple(getattr(filters, d) for d in ("region", "segment", "owner", "product")), grain)


def kept_record(filters: Filters, grain: str = "quarter", db=None) -> Backtest | None:
    """The track record already replayed for this store, data and scope, if any."""
    with _RECORDS_LOCK:
        return _RECORDS.get(_record_key(filters, grain, db))


def track_record(filters: Filters, grain: str = "quarter", db=None, progress=None) -> Backtest:
    """`backtest` for the scope, replayed once per data version and kept for every caller in the
    process (the Forecast page's sessions, the QBR pack's HTML and PDF)."""
    kept = kept_record(filters, grain, db)
    if kept is not None:
        return kept
    key = _record_key(filters, grain, db)
    replayed = backtest(filters, grain, db=db, progress=progress)
    with _RECORDS_LOCK:
        for old in [k for k in _RECORDS if k[:2] != key[:2]]:   # an upload since: the old ones are stale
            _RECORDS.pop(old, None)
        if len(_RECORDS) >= RECORDS_KEPT:
            _RECORDS.pop(next(iter(_RECORDS)))
        _RECORDS[key] = replayed
    return replayed


def reliability(deals: pd.DataFrame | None, bands: int = 10) -> pd.DataFrame:
    """Predicted chance against outcome: per band of predicted chance (0–10%, …), the deals in it,
    their mean predicted chance and the share that closed won in their period."""
    columns = ["band", "deals", "predicted", "observed"]
    if deals is None or deals.empty:
        return pd.DataFrame(columns=columns)
    band = np.minimum((deals["chance"].to_numpy() * bands).astype(int), bands - 1)
    table = (deals.assign(band=band, won=deals["won_in_period"].astype(float))
             .groupby("band").agg(deals=("won", "size"), predicted=("chance", "mean"), observed=("won", "mean"))
             .reset_index())
    table["band"] = [f"{b * 100 // bands}–{(b + 1) * 100 // bands}%" for b in table["band"]]
    return table[columns]


def with_shocks(landing: Landing, shocks: tuple[Shock, ...], filters: Filters, db=None) -> Landing:
    """The same projection with `shocks` played (same seed, so the difference is the shocks')."""
    return shared_projector(db).project(filters, landing.period, landing.as_of, len(landing.sims), SEED, shocks)


# ---- the catalogue's hooks (intel.metrics: 'landing', 'landing_backtest') ----

SUMMARY_COLUMNS = ("member", "period", "as_of", "target", "won_to_date", "p10", "p50", "p90", "expected",
                   "chance_of_target", "commit", "best_case", "weighted_pipeline", "open_deals", "sims")


# what made a kept summary: the model, its SQL and this module's code (a changed model must not
# read a summary an older one kept)
_CODE = hashlib.sha1(Path(__file__).read_bytes() + store.load_sql("landing_states").encode()
                     + store.load_sql("landing_new_deals").encode()).hexdigest()
KEPT = "landing_summary"
OUTLINE = "landing_outline"


def _outline_parts(filters: Filters, period: str, as_of: dt.date, sims: int | None, seed: int) -> tuple:
    # what an Outline rests on besides the data version: the model's code, the scope and the settings
    return (_CODE, tuple(getattr(filters, d) for d in SCOPE_DIMS), period, as_of, sims, seed,
            metrics.min_sample(), periods.fiscal_year_start())


def outline(filters: Filters, period: str, as_of: dt.date, sims: int | None = None, seed: int = SEED,
            db=None) -> Outline:
    """The Outline of the landing of `period` at `as_of` in the filters' scope, kept in the store per
    data version, scope and what the model rests on: a freshly started server's Forecast page and
    Overview tile read it back; the first reader (or the alert check after an import, or the warm-up)
    works it out in the shared projector."""
    def work() -> pd.DataFrame:
        return Outline.of(shared_projector(db).project(filters, period, as_of, sims, seed)).to_frame()

    return Outline.from_frame(store.kept(OUTLINE, _outline_parts(filters, period, as_of, sims, seed), work, db))


def landing_frame(filters: Filters, params: dict, db=None) -> pd.DataFrame:
    """The landing per member of the dimension (each member's own scope: those with open deals, won
    deals or a target in the period), one row each; 'All' for the total (the kept Outline's figures).
    Kept in the store per data version, scope and period (store.keep_frame): the Overview's tile on a
    freshly started server, and every session after, reads the rows instead of simulating a million
    open deals again."""
    label, day = default_period("quarter", db)
    period = params.get("period") or label
    as_of = params.get("as_of") or day
    sims, seed, dim = params.get("sims"), params.get("seed") or SEED, params.get("dim") or "total"
    if dim == "total":
        return pd.DataFrame([{"member": "All", **outline(filters, period, as_of, sims, seed, db).summary()}],
                            columns=list(SUMMARY_COLUMNS))
    return store.kept(KEPT, _outline_parts(filters, period, as_of, sims, seed) + (dim,),
                      lambda: _landing_frame(filters, period, as_of, sims, seed, dim, db), db)


def _landing_frame(filters: Filters, period: str, as_of: dt.date, sims: int | None, seed: int, dim: str,
                   db=None) -> pd.DataFrame:
    projector = shared_projector(db)
    whole = projector.project(filters, period, as_of, sims, seed)
    first, last, grain = periods.bounds(period)
    planned = store.query_sql(
        """SELECT DISTINCT deal_member($dim, region, segment, owner, NULL, NULL, NULL, NULL, product,
                                       NULL, NULL, NULL, NULL, NULL) AS member FROM plan_rows
            WHERE target IS NOT NULL AND period BETWEEN $first AND $last
              AND (period_grain = 'month' OR $grain = 'quarter')
              AND in_scope(region, segment, owner, product, $region, $segment, $owner, $product)""",
        {**filters.params(), "first": first, "last": last, "grain": grain, "dim": dim}, db=db)["member"]
    won = store.query_sql(
        """SELECT DISTINCT deal_member($dim, region, segment, owner, NULL, NULL, NULL, NULL, product,
                                       NULL, NULL, NULL, NULL, NULL) AS member FROM deal_facts
            WHERE is_won AND close_date BETWEEN $first AND least($as_of, $last)
              AND in_scope(region, segment, owner, product, $region, $segment, $owner, $product)""",
        {**filters.params(), "first": first, "last": last, "as_of": as_of, "dim": dim}, db=db)["member"]
    # every member that has booked, holds open deals or has a target (deals without a value for the
    # dimension under '(none)', as the other breakdowns put them), so the rows add up to the whole
    members = sorted(set(whole.deals[dim].fillna(NONE)) | set(won) | (set(planned) - {NONE})
                     | set(getattr(filters, dim)))
    rows = []
    for member in members:
        one = projector.project(filters.with_(**{dim: (member,)}), period, as_of, sims, seed)
        rows.append({"member": member, **one.summary()})
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def backtest_frame(filters: Filters, params: dict, db=None) -> pd.DataFrame:
    """The track record's summary: per scored week and over all weeks."""
    grain = params.get("grain") if params.get("grain") in ("quarter", "month") else "quarter"
    result = backtest(filters, grain, sims=params.get("sims") or BACKTEST_SIMS, seed=params.get("seed") or SEED, db=db)
    table = result.summary()
    table.attrs["sentence"] = result.sentence()
    return table
