"""Accounts to attack, defend or fire (shared/DOMAIN.md; METRICS.md "Account stance").

`account_facts` (intel/sql/account_facts.sql) reads each account's bookings trend, win rate, cycle,
discount, open pipeline and the competitors in its deals; `propose` applies the stance rules to
them, each rule written out with its numbers and the threshold in force (the thresholds are
settings, intel/config.py); a manager's decision (`set_stance`) wins over the proposal and is
kept as versions, like a note: deciding again adds a version, the history stays.

The rules, in the order they win:
- fire: a customer whose average discount, median cycle and win rate all sit in the worst quarter
  of the customers judged (stance_fire_quantile), for recent bookings at or below the median
  customer's: deep discounts, long cycles, low win rates, for small value;
- defend: a customer showing at least stance_defend_signals of: bookings down stance_defend_drop
  year on year, one competitor in stance_competitor_deals of its latest deals, a cycle
  stance_cycle_rise longer, an average discount stance_discount_rise points deeper;
- attack: a small-share customer (recent bookings under stance_attack_share of its annual value, or
  under the median customer's without one) where we win at least as often as overall and whose
  bookings grow stance_attack_growth or more; a prospect with a deal created in the last 90 days
  in a segment where we win at least as often as overall; or an account that lost to a competitor
  whose head-to-head win rate against us fell (ours rose stance_incumbent_gain points or more);
- maintain: none of these.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from intel import config, metrics, models, store
from intel.access import Actor, require
from intel.filters import Filters
from intel.periods import fiscal_year_start

STANCES = ("fire", "defend", "attack", "maintain")     # the order they win in, and are listed in
STANCE_LABELS = {"attack": "Attack", "defend": "Defend", "fire": "Fire", "maintain": "Maintain"}
STANCE_MEANING = {
    "attack": "win more of it: find its problems and offer a better value proposition; expect the incumbent to defend",
    "defend": "keep it: a competitor courts it or it buys less; watch for dissatisfaction everywhere we touch it",
    "fire": "stop spending on it: deep discounts, long cycles and lost deals for little value",
    "maintain": "no rule proposes a change",
}
PROSPECT_DAYS = 90          # a prospect counts as active with a deal created this recently
FIRE_MIN_CUSTOMERS = 5      # customers judged below which the fire rule compares nobody
REASON_LIMIT = 500


@dataclass(frozen=True)
class Thresholds:
    """The stance rules' thresholds, from the settings (config.SETTINGS, stance_*)."""
    recent_deals: int
    min_deals: int
    defend_drop: float
    competitor_deals: int
    cycle_rise: float
    discount_rise: float
    defend_signals: int
    fire_quantile: float
    attack_share: float
    attack_growth: float
    incumbent_gain: float

    @classmethod
    def current(cls) -> "Thresholds":
        n = config.number
        return cls(int(n("stance_recent_deals", 1, 100)), int(n("stance_min_deals", 1, 1000)),
                   n("stance_defend_drop", 0, 1), int(n("stance_competitor_deals", 1, 100)),
                   n("stance_cycle_rise", 0, 10), n("stance_discount_rise", 0, 1),
                   int(n("stance_defend_signals", 1, 4)), n("stance_fire_quantile", 0.01, 0.5),
                   n("stance_attack_share", 0, 1), n("stance_attack_growth", 0, 100), n("stance_incumbent_gain", 0, 1))


def _pct(value) -> str:
    return metrics.format_value(value, "percent")


def _points(value) -> str:
    return f"{value * 100:+.0f} points"


def _money(value, prefix: str | None = None) -> str:
    """An amount as tiles write it ('$1.15M'); `prefix` given, the currency is not looked up again."""
    if prefix is None:
        return models.money(value)
    text = models.money(value, symbol=False)
    return "-" + prefix + text[1:] if text.startswith("-") else prefix + text


def _days(value) -> str:
    return f"{value:,.0f} days"


def stance_rules(t: Thresholds | None = None) -> list[dict]:
    """The rules with the thresholds in force, as the page and the pack show them: stance, rule."""
    t = t or Thresholds.current()
    q = f"{t.fire_quantile:.0%}"
    return [
        {"stance": "fire", "rule": f"A customer whose average discount, median won cycle and win rate are all in the "
                                   f"worst {q} of the customers with {t.min_deals}+ closed deals (when "
                                   f"{FIRE_MIN_CUSTOMERS} or more are), for bookings of the last 12 months at or "
                                   "below the median customer's."},
        {"stance": "defend", "rule": f"A customer with {t.defend_signals} or more of: bookings down {t.defend_drop:.0%} "
                                     f"or more on the 12 months before; one competitor in {t.competitor_deals} or more "
                                     f"of its latest {t.recent_deals} deals; a median won cycle {t.cycle_rise:.0%} or "
                                     f"more longer; an average discount {t.discount_rise * 100:.0f} points or more deeper."},
        {"stance": "attack", "rule": f"A small-share customer (bookings under {t.attack_share:.0%} of its annual value, "
                                     "or under the median customer's without one) where we win at least as often as "
                                     f"overall and bookings grew {t.attack_growth:.0%} or more (or began this year); a prospect with a deal "
                                     f"created in the last {PROSPECT_DAYS} days in a segment where we win at least as "
                                     "often as overall; or an account that lost to a competitor against whom our "
                                     f"head-to-head win rate rose {t.incumbent_gain * 100:.0f} points or more."},
        {"stance": "maintain", "rule": "No rule above proposes a change."},
    ]


# ---- the facts, cached per store, data version, scope and window size ----

_cache: "OrderedDict[tuple, object]" = OrderedDict()   # facts frames, and (facts, proposals) pairs
_cache_lock = threading.Lock()
_CACHED = 16


def account_facts(filters: Filters, db=None, t: Thresholds | None = None) -> pd.DataFrame:
    """One row per account in the filters' scope (region, segment, owner, product; windows end on
    the data's last day): bookings of the last 12 months and the 12 before, their change and the
    last 8 quarters, win rate, cycle and discount over two years, open pipeline, the competitor in
    its latest deals, the competitor it lost to and our head-to-head against it (account_facts.sql)."""
    t = t or Thresholds.current()
    models.refresh(db)
    key = (store._key(db), store.data_version(db), filters.region, filters.segment, filters.owner,
           filters.product, t.recent_deals, fiscal_year_start())
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    params = {**filters.params(), "recent_deals": t.recent_deals, "fy_start": fiscal_year_start()}
    params.pop("date_from"), params.pop("date_to")
    frame = store.query("account_facts", params, db=db)
    frame["bookings_by_quarter"] = frame["bookings_by_quarter"].map(
        lambda q: [float(v) for v in q] if q is not None and not isinstance(q, float) else [])
    with _cache_lock:
        _cache[key] = frame
        while len(_cache) > _CACHED:
            _cache.popitem(last=False)
    return frame


# ---- the rules ----

def cutoffs(facts: pd.DataFrame, t: Thresholds) -> dict:
    """The bars the fire rule compares with, over the customers judged (min_deals closed deals): the
    worst quarter's discount, cycle and win rate, and the median customer's recent bookings. Only
    customers: a prospect that lost all its deals has a win rate of 0, and a tenth of them would set
    the win-rate bar at 0, below every customer's, so that no customer could ever be fired. With
    fewer than FIRE_MIN_CUSTOMERS customers judged there is no worst share to speak of (a lone
    customer would be the worst of itself): no bar is drawn and nobody is proposed for firing."""
    customers = facts[facts["is_customer"].fillna(False).astype(bool)]
    judged = customers[customers["closed"] >= t.min_deals]

    def q(column, at):
        values = judged[column].dropna().astype(float)
        return float(values.quantile(at)) if len(values) >= FIRE_MIN_CUSTOMERS else None

    return {"discount": q("discount", 1 - t.fire_quantile), "cycle_days": q("cycle_days", 1 - t.fire_quantile),
            "win_rate": q("win_rate", t.fire_quantile),
            "median_bookings": float(customers["bookings_recent"].median()) if len(customers) else None}


def _num(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _floats(facts: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(facts[column], errors="coerce").astype(float).to_numpy()


def _flags(facts: pd.DataFrame, t: Thresholds, cut: dict, anchor: dt.date | None) -> dict[str, np.ndarray]:
    """Every rule's test over every account at once (arrays of booleans, one per account): which
    fire measures each account has in the worst share (fire_<measure>) and whether it is fired,
    each defend signal, each way to attack. 50,000 accounts are judged in a few array operations."""
    n = len(facts)
    no = np.zeros(n, dtype=bool)
    customer = facts["is_customer"].fillna(False).astype(bool).to_numpy()
    judged = facts["closed"].fillna(0).to_numpy() >= t.min_deals
    recent, prior = np.nan_to_num(_floats(facts, "bookings_recent")), np.nan_to_num(_floats(facts, "bookings_prior"))
    change, win, company = _floats(facts, "bookings_change"), _floats(facts, "win_rate"), _floats(facts, "company_win_rate")
    median = cut["median_bookings"]
    with np.errstate(invalid="ignore", divide="ignore"):
        flags = {}
        # fire: every measure available in the worst share, at least two of them, for small value
        small = customer & judged & (recent <= median) if median is not None else no
        held, missed = np.zeros(n, dtype=int), no.copy()
        for column, worse in (("discount", np.greater_equal), ("cycle_days", np.greater_equal), ("win_rate", np.less_equal)):
            value, bar = _floats(facts, column), cut[column]
            known = ~np.isnan(value) if bar is not None else no
            hit = known & worse(value, bar if bar is not None else 0.0)
            flags[f"fire_{column}"] = hit
            held, missed = held + hit, missed | (known & ~hit)
        flags["fire"] = small & ~missed & (held >= 2)
        # defend: signals of a customer slipping away
        active = customer & ((recent > 0) | (prior > 0))
        flags["drop"] = active & (change <= -t.defend_drop)
        named, shown = facts["competitor_recent_deals"].fillna(0).to_numpy(), facts["last_deals"].fillna(0).to_numpy()
        earlier = facts["earlier_deals"].fillna(0).to_numpy()
        before = np.where(earlier > 0, facts["competitor_earlier_deals"].fillna(0).to_numpy() / np.maximum(earlier, 1), 0.0)
        # appearing: in enough of the latest deals, and named in under half as large a share of those before
        flags["competitor"] = active & (named >= t.competitor_deals) & (before < named / np.maximum(shown, 1) / 2)
        # a cycle or a discount is compared only where both years rest on min_deals deals won
        both = active & (np.minimum(facts["won_recent"].fillna(0).to_numpy(), facts["won_prior"].fillna(0).to_numpy())
                         >= t.min_deals)
        cycle_recent, cycle_prior = _floats(facts, "cycle_recent"), _floats(facts, "cycle_prior")
        flags["cycle"] = both & (cycle_prior > 0) & (cycle_recent >= cycle_prior * (1 + t.cycle_rise))
        flags["discount_rise"] = both & (_floats(facts, "discount_recent") - _floats(facts, "discount_prior")
                                         >= t.discount_rise - 1e-12)
        signals = (flags["drop"].astype(int) + flags["competitor"] + flags["cycle"] + flags["discount_rise"])
        flags["defend"] = ~flags["fire"] & (signals >= t.defend_signals)
        flags["signals"] = np.where(flags["fire"], 0, signals)   # a fired account is not counted for defence
        # attack: where we can win more
        wallet = _floats(facts, "annual_value")
        has_wallet = wallet > 0
        # growing: bookings up attack_growth, or a first year of bookings (nothing booked the year before)
        growing = customer & judged & (win >= company) & ((change >= t.attack_growth) | ((prior == 0) & (recent > 0)))
        flags["attack_share"] = growing & has_wallet & (recent / np.where(has_wallet, wallet, 1.0) < t.attack_share)
        flags["attack_small"] = growing & ~has_wallet & (recent < median) if median is not None else no
        created = pd.to_datetime(facts["last_created"], errors="coerce")
        fresh = (created >= pd.Timestamp(anchor - dt.timedelta(days=PROSPECT_DAYS))).to_numpy() if anchor else no
        flags["attack_prospect"] = ~customer & fresh & (_floats(facts, "peer_win_rate") >= company)
        gain = _floats(facts, "h2h_recent") - _floats(facts, "h2h_prior")
        rested = np.minimum(facts["h2h_recent_closed"].fillna(0).to_numpy(), facts["h2h_prior_closed"].fillna(0).to_numpy())
        flags["attack_incumbent"] = facts["incumbent"].notna().to_numpy() & (gain >= t.incumbent_gain - 1e-12) \
            & (rested >= metrics.min_sample())
        flags["attack"] = ~flags["fire"] & ~flags["defend"] & (
            flags["attack_share"] | flags["attack_small"] | flags["attack_prospect"] | flags["attack_incumbent"])
    return flags


# the facts the rules' words quote
_WORDED = ("discount", "cycle_days", "win_rate", "bookings_recent", "bookings_prior", "bookings_change", "earlier_deals",
           "competitor_earlier_deals", "competitor_recent", "competitor_recent_deals", "last_deals", "cycle_recent",
           "cycle_prior", "discount_recent", "discount_prior", "company_win_rate", "annual_value", "last_created",
           "peer_win_rate", "incumbent_losses", "incumbent", "h2h_recent", "h2h_prior")
_FIRE_WORDS = (("discount", "Average discount", ">=", _pct), ("cycle_days", "Median won cycle", ">=", _days),
               ("win_rate", "Win rate", "<=", _pct))


def _said(row: dict, flag: dict, t: Thresholds, cut: dict, money=None) -> list[str]:
    """The rules an account meets, in words, with its numbers and the thresholds in force (`money`
    writes an amount: _money, or one that reads the currency once for many accounts)."""
    money = money or _money
    stance = "fire" if flag["fire"] else "defend" if flag["defend"] else "attack" if flag["attack"] else "maintain"
    said = []
    if stance == "fire":
        for column, label, way, fmt in _FIRE_WORDS:
            if flag[f"fire_{column}"]:
                said.append(f"{label} {fmt(row[column])} (worst {t.fire_quantile:.0%} of customers: "
                            f"{'≥' if way == '>=' else '≤'} {fmt(cut[column])})")
        said.append(f"Bookings {money(row['bookings_recent'])} in 12 months "
                    f"(median customer {money(cut['median_bookings'])})")
        return said
    if stance in ("defend", "maintain"):   # a customer under the bar still shows the signals it has
        if flag["drop"]:
            said.append(f"Bookings {row['bookings_change']:+.0%} on the 12 months before "
                        f"({money(row['bookings_prior'])} → {money(row['bookings_recent'])})")
        if flag["competitor"]:
            earlier = int(row["earlier_deals"] or 0)
            before = (row["competitor_earlier_deals"] or 0) / earlier if earlier else 0.0
            said.append(f"{row['competitor_recent']} in {int(row['competitor_recent_deals'])} of its last "
                        f"{int(row['last_deals'])} deals" + (f" ({before:.0%} of the {earlier} before)" if earlier else ""))
        if flag["cycle"]:
            said.append(f"Median won cycle {_days(row['cycle_recent'])}, up from {_days(row['cycle_prior'])}")
        if flag["discount_rise"]:
            said.append(f"Average discount {_pct(row['discount_recent'])}, "
                        f"{_points(row['discount_recent'] - row['discount_prior'])} on the 12 months before")
        return said
    win, company = row["win_rate"], row["company_win_rate"]
    change = "first bookings this year" if pd.isna(row["bookings_change"]) else f"bookings {row['bookings_change']:+.0%}"
    if flag["attack_share"]:
        wallet = row["annual_value"]
        said.append(f"Share of wallet {_pct(row['bookings_recent'] / wallet)} of {money(wallet)} a year; win rate "
                    f"{_pct(win)} (overall {_pct(company)}); {change}")
    if flag["attack_small"]:
        said.append(f"Bookings {money(row['bookings_recent'])} (median customer {money(cut['median_bookings'])}); "
                    f"win rate {_pct(win)} (overall {_pct(company)}); {change}")
    if flag["attack_prospect"]:
        said.append(f"Prospect with a deal created {pd.Timestamp(row['last_created']):%Y-%m-%d}; its segment "
                    f"wins {_pct(row['peer_win_rate'])} (overall {_pct(company)})")
    if flag["attack_incumbent"]:
        losses = int(row["incumbent_losses"])
        said.append(f"Lost {losses} deal{'s' if losses != 1 else ''} to {row['incumbent']}, who now loses more to us: "
                    f"head-to-head {_pct(row['h2h_recent'])} ({_pct(row['h2h_prior'])} the 12 months before)")
    return said


def propose(facts: pd.DataFrame, t: Thresholds | None = None) -> pd.DataFrame:
    """The facts with the proposed stance, the rules met in words (each with its numbers and the
    threshold in force) and the count of defend signals."""
    t = t or Thresholds.current()
    out = facts.copy()
    if out.empty:
        return out.assign(proposed=pd.Series(dtype=str), rules=pd.Series(dtype=str), signals=pd.Series(dtype=int))
    cut = cutoffs(out, t)
    anchor = pd.Timestamp(out["anchor"].dropna().iloc[0]).date() if out["anchor"].notna().any() else None
    flags = _flags(out, t, cut, anchor)
    out["proposed"] = np.select([flags["fire"], flags["defend"], flags["attack"]], ["fire", "defend", "attack"],
                                "maintain")
    out["signals"] = flags["signals"]
    rules = np.full(len(out), "", dtype=object)
    worded = np.flatnonzero(flags["fire"] | flags["defend"] | flags["attack"] | (flags["signals"] > 0))
    if len(worded):   # words only for the accounts that meet something, from the columns the words read
        rows = out[list(_WORDED)].iloc[worded].to_dict("records")
        prefix = models.currency_prefix()
        money = lambda value: _money(value, prefix)   # noqa: E731  (one currency for every account)
        for i, row in zip(worded, rows):
            rules[i] = "; ".join(_said(row, {k: v[i] for k, v in flags.items()}, t, cut, money))
    out["rules"] = rules
    return out


def _proposals(filters: Filters, db, t: Thresholds) -> pd.DataFrame:
    """propose() over account_facts(), kept in this process and in the store (store.keep_frame)
    under a key of everything they rest on: the rules read every account, which on 50,000 accounts
    takes longer than a page may wait, and the answer changes only with that key."""
    models.refresh(db)
    key, version = _kept_key(filters, db, t)
    memo = ("proposals", store._key(db), key)
    with _cache_lock:
        if memo in _cache:
            _cache.move_to_end(memo)
            return _cache[memo]
    frame = _read_kept(key, db)
    if frame is None:
        frame = propose(account_facts(filters, db, t), t)
        if len(frame):
            store.keep_frame(KEPT, key, version, frame, db)
    with _cache_lock:
        _cache[memo] = frame
        while len(_cache) > _CACHED:
            _cache.popitem(last=False)
    return frame


# what made the kept proposals: this module's rules and words and the facts SQL (a changed rule
# must not read proposals an older one kept)
_CODE = hashlib.sha1(Path(__file__).read_bytes() + store.load_sql("account_facts").encode()).hexdigest()
KEPT = "account_proposals"


def _kept_key(filters: Filters, db, t: Thresholds) -> tuple[str, str]:
    """The key proposals are kept under (what they rest on), and the data version in it."""
    version = store.data_version(db)
    return store.kept_key(_CODE, version, filters.region, filters.segment, filters.owner, filters.product,
                          dataclasses.astuple(t), metrics.min_sample(), fiscal_year_start(),
                          models.currency_prefix()), version


def _read_kept(key: str, db) -> pd.DataFrame | None:
    """Proposals kept in the store under `key`, or None."""
    frame = store.kept_frame(KEPT, key, db)
    if frame is not None and len(frame):   # Arrow gives arrays; account_facts gives lists of floats
        frame["bookings_by_quarter"] = [list(map(float, q)) for q in frame["bookings_by_quarter"]]
    return frame


# ---- managers' decisions ----

class StanceConflict(Exception):
    """Somebody decided on the account since it was opened; the newer decision is attached."""

    def __init__(self, message: str, newer: dict):
        super().__init__(message)
        self.newer = newer


def decisions(db=None) -> pd.DataFrame:
    """The latest decision per account: account, override (NULL: back to the proposal), reason,
    author, saved_at, version."""
    cur = store.cursor(db)
    try:
        return cur.execute("""SELECT account, stance AS override, reason, author, saved_at, version
                              FROM account_stance_versions
                              QUALIFY row_number() OVER (PARTITION BY account ORDER BY version DESC) = 1""").df()
    finally:
        cur.close()


def set_stance(account: str, stance: str | None, reason: str, expected_version: int, proposed: str | None = None,
               db=None, *, by: Actor) -> int:
    """Confirm or override the stance on `account` (as `by`, a manager or above), with the reason;
    stance None hands it back to the proposal. `expected_version` is the latest version the
    manager saw (0 for none): a decision made since raises StanceConflict instead of being
    overwritten. Returns the new version."""
    require(by, "edit notes")
    account = (account or "").strip()
    if not account:
        raise ValueError("Choose an account.")
    if stance is not None and stance not in STANCES:
        raise ValueError(f"A stance is one of {', '.join(STANCES)}.")
    reason = " ".join((reason or "").split())
    if len(reason) > REASON_LIMIT:
        raise ValueError(f"A reason is at most {REASON_LIMIT} characters.")
    if stance is not None and stance != proposed and not reason:
        raise ValueError("Say why: overriding the proposed stance needs a reason (it is kept with the decision).")

    def work(cur) -> int:
        latest = cur.execute("""SELECT version, stance, reason, author, saved_at FROM account_stance_versions
                                WHERE account = $a ORDER BY version DESC LIMIT 1""", {"a": account}).fetchone()
        version = int(latest[0]) if latest else 0
        if version != int(expected_version):
            raise StanceConflict(
                f"{latest[3]} decided on {account} at {latest[4]:%Y-%m-%d %H:%M} since you opened it "
                f"({STANCE_LABELS.get(latest[1], 'back to the proposal')}"
                + (f": {latest[2]}" if latest[2] else "") + "). Read it, then decide again.",
                {"version": version, "stance": latest[1], "reason": latest[2], "author": latest[3]})
        cur.execute("INSERT INTO account_stance_versions VALUES ($a, $v, $s, $p, $r, $by, now()::TIMESTAMP)",
                    {"a": account, "v": version + 1, "s": stance, "p": proposed, "r": reason or None, "by": by.name})
        return version + 1

    return store.write(work, db)


def stance_history(account: str, db=None) -> pd.DataFrame:
    """Every decision on the account, newest first: version, stance (None: back to the proposal),
    proposed (what the rules said then), reason, author, saved_at."""
    cur = store.cursor(db)
    try:
        return cur.execute("""SELECT version, stance, proposed, reason, author, saved_at FROM account_stance_versions
                              WHERE account = $a ORDER BY version DESC""", {"a": account}).df()
    finally:
        cur.close()


def account_stance(filters: Filters, db=None, t: Thresholds | None = None) -> pd.DataFrame:
    """Every account in scope with its facts, the proposed stance and the rules behind it, and the
    stance in force: a manager's decision where there is one (override_reason, override_by,
    override_at, override_version), else the proposal. Fire first, then defend, attack, maintain;
    within each, by bookings of the last 12 months."""
    t = t or Thresholds.current()
    frame = _proposals(filters, db, t)
    decided = decisions(db).rename(columns={"reason": "override_reason", "author": "override_by",
                                            "saved_at": "override_at", "version": "override_version"})
    frame = frame.merge(decided, on="account", how="left")
    frame["stance"] = frame["override"].where(frame["override"].notna(), frame["proposed"])
    frame["override_version"] = frame["override_version"].fillna(0).astype(int)
    rank = {s: i for i, s in enumerate(STANCES)}
    frame = frame.sort_values(["stance", "bookings_recent", "account"], ascending=[True, False, True],
                              key=lambda c: c.map(rank) if c.name == "stance" else c, kind="stable")
    first = list(metrics.get("account_stance").columns)   # what is read first, then every fact behind it
    return frame[first + [c for c in frame.columns if c not in first]].reset_index(drop=True)


def stance_frame(filters: Filters, bound: dict, db=None) -> pd.DataFrame:
    """The catalogue's `account_stance` entry (intel.metrics)."""
    return account_stance(filters, db)


# ---- discount governance ----

DISCOUNT_BANDS = ("0%", "0–10%", "10–20%", "20–30%", "over 30%")   # discount_bands.sql's bands, in order
NOT_GIVEN = "(not given)"


def approval_thresholds() -> dict[int, float]:
    """The largest discount given without approval per deal-size band (1 = the smallest deals),
    as fractions, from the setting discount_approval (percentages, '25,20,15,10')."""
    text = config.get("discount_approval")
    try:
        values = [float(v) / 100 for v in text.replace(";", ",").split(",") if v.strip()]
    except ValueError:
        values = []
    if len(values) != 4 or any(not 0 <= v <= 1 for v in values):
        raise ValueError(f"{config.SETTINGS['discount_approval'].env} is '{text}': write four percentages, "
                         "one per deal-size band from the smallest deals, e.g. 25,20,15,10.")
    return dict(enumerate(values, start=1))


def approval_params(values: dict, filters: Filters, db=None) -> dict:
    """The catalogue's prepare hook for the approval metrics: the thresholds bound as $t1..$t4."""
    return {**values, **{f"t{band}": threshold for band, threshold in approval_thresholds().items()}}


def rising_discounts(filters: Filters, db=None, dim: str = "owner", quarters: int = 2) -> pd.DataFrame:
    """Members of `dim` (owners by default) whose average discount on won deals rose by at least the
    setting discount_rise in each of the last `quarters` complete quarters of the range: member,
    quarters ('2026-Q1 → 2026-Q3'), the discounts and win rates per quarter (first → last), rise
    (last − first discount) and win_rate_change beside it (a discount that buys no wins shows as a
    rise with a flat or falling win rate). A member is read only where each quarter rests on at
    least half the minimum sample of deals won with a discount."""
    rise = config.number("discount_rise", 0, 1)
    frame = metrics.run("average_discount", filters, db=db, dim=dim, grain="quarter")
    columns = ["member", "quarters", "discounts", "win_rates", "rise", "win_rate_change"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    from intel import periods
    from intel.filters import data_date

    day = data_date(db)
    # complete quarters only: the one holding the data date is still running
    running = periods.label(day, "quarter") if day else None
    frame = frame[frame["period"] != running]
    last = sorted(frame["period"].dropna().unique())[-(quarters + 1):]
    if len(last) < quarters + 1:
        return pd.DataFrame(columns=columns)
    minimum = max(1, metrics.min_sample() // 2)
    found = []
    for member, rows in frame[frame["period"].isin(last)].groupby("member"):
        rows = rows.set_index("period").reindex(last)
        if rows["won_with_discount"].isna().any() or (rows["won_with_discount"] < minimum).any():
            continue
        steps = rows["avg_discount"].diff().dropna()
        change = float(rows["win_rate"].iloc[-1] - rows["win_rate"].iloc[0])
        total = float(rows["avg_discount"].iloc[-1] - rows["avg_discount"].iloc[0])
        if (steps >= rise - 1e-12).all():
            found.append({"member": member, "quarters": f"{last[0]} → {last[-1]}",
                          "discounts": " → ".join(_pct(v) for v in rows["avg_discount"]),
                          "win_rates": " → ".join(_pct(v) for v in rows["win_rate"]),
                          "rise": total, "win_rate_change": change})
    return pd.DataFrame(found, columns=columns).sort_values("rise", ascending=False, ignore_index=True)
