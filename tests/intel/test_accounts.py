"""Account stance (intel.accounts) against answers worked out by hand on tests/fixtures/accounts_deals.csv
(a Salesforce report export, pipeline snapshot as of 2026-07-01), accounts_companies.csv (industry, size,
annual revenue) and accounts_currency_types.csv (Salesforce CurrencyType: 1 USD = 0.5 EUR = 0.25 GBP).

Anchor: the latest close date of a closed deal up to the snapshot = 2026-06-30 (G5). Windows: recent
= 2025-07-01..2026-06-30, prior = 2024-07-01..2025-06-30. Amounts in USD ("EUR 2,500" = $5,000,
"GBP 12,500" = $50,000; CHF has no rate, so E4 has no amount). W won, L lost, O open; cycle in days.

  Gull Group (Ent.)  G1 W 100k 2025-03-15 (60) · G2 W 100k 2025-05-15 (60) · G3 W 100k 2025-11-15 (60)
                     G4 W 100k 2026-03-15 (60, Contoso) · G5 L 50k 2026-06-30 · G6 W 7k no close date
                     discount 5%; annual revenue $10M                                          -> maintain
  Iris Imports       F1 L 2024-10-01 Contoso · F2 L 2024-11-01 Contoso · F3 W 40k 2025-03-02 (60)
                     F4 L 2025-10-01 Contoso · F5 W 40k 2025-11-30 (60) · F6 O 30k · F7 L 2026-03-01
                     discount 10%                                                              -> attack (incumbent)
  Fir Foods (SMB)    A1 W 5k 2025-02-28 (180, 35%) · A2 L · A3 L · A4 W EUR 2,500 2026-02-01 (184, 40%)
                     A5 L · A6 L · A7 L                                                        -> fire
  Dune Dynamics      B1 W 60k 2024-09-01 (62) · B2 W 60k 2024-12-01 (61) · B3 W 40k 2025-04-01 (59, Fabrikam)
                     B4 W 50k 2025-10-01 (61, Fabrikam) · B5 L 2026-01-01 Fabrikam · B6 W GBP 12,500 2026-03-02 (60)
                     B7 O 70k; discount 5%                                                     -> defend (2 signals)
  Mesa Media         C1 W 40k 2024-10-01 (61) · C2 W 40k 2025-01-01 (61) · C3 W 50k 2025-11-01 (61)
                     C4 L 2026-03-01 · C5 W no amount 2026-04-01 (59); discount 10% (C5 none)  -> maintain (1 signal)
  Wren Works         D1 W 20k 2024-11-01 (61, 0%) · D2 W 15k 2025-10-01 (61, 0%) · D3 W 15k 2026-03-02 (60, 20%)
                     D4 L 2026-04-01; annual revenue $2M                                       -> attack (small share)
  Pike Partners      E1 L 2025-02-01 · E2 L 2025-10-01 · E3 L 2026-02-01 · E4 O CHF created 2026-05-01
                                                                                               -> attack (prospect)
  (no account)       X1 W 999,999 2026-06-15: in no account's figures, nor in the overall win rate

Per account over both windows (closed = won + lost; cycle = median won cycle; discount = mean over won):
  Gull 4W 1L 0.8, 60 d, 5%    Iris 2W 4L 1/3, 60 d, 10%    Fir 2W 5L 2/7, 182 d, 37.5%
  Dune 5W 1L 5/6, 61 d, 5%    Mesa 4W 1L 0.8, 61 d, 10%    Wren 3W 1L 0.75, 61 d, 6.67%    Pike 0W 3L 0
Overall: 20 won of 36 closed = 55.6%; Enterprise 18 of 29 = 62.1%; SMB 2 of 7 = 28.6%.
Bookings recent / prior: Gull 200k/200k, Iris 40k/40k, Fir 5k/5k, Dune 100k/160k (−37.5%),
Mesa 50k/80k (−37.5%), Wren 30k/20k (+50%), Pike 0/0. Median customer (6 customers): (40k + 50k) ÷ 2 = 45k.

Fire bars over the 6 customers with 3+ closed deals (linear quantiles, fire_quantile 0.10):
  discount  [5, 5, 6.67, 10, 10, 37.5]%  90th percentile at 4.5: 10 + 0.5 × 27.5 = 23.75%
  cycle     [60, 60, 61, 61, 61, 182]    90th: 61 + 0.5 × 121 = 121.5 days
  win rate  [2/7, 1/3, .75, .8, .8, 5/6] 10th at 0.5: 2/7 + 0.5 × (1/3 − 2/7) = 30.95%
Fir Foods is past all three with $5k ≤ $45k: fire. (Were Pike Partners' 0% counted, the win-rate bar would
be 0.6 × 2/7 = 17.1% and nobody could be fired.)
Defend: Dune Dynamics: bookings −37.5% (≤ −25%) and Fabrikam in 3 of its latest 5 deals (B7 B6 B5 B4 B3),
in none of the 2 before; cycle and discount not compared (2 won recent < 3): 2 signals. Mesa Media: only
the bookings drop: 1 signal, maintain.
Attack: Wren Works: 30k ÷ 2M = 1.5% < 10% of its annual value, win rate 75% ≥ 55.6%, bookings +50% ≥ 10%.
Pike Partners: never won, E4 created 2026-05-01 (within 90 days of 2026-06-30), Enterprise wins 62.1% ≥
55.6%. Iris Imports lost 3 deals to Contoso; head-to-head against Contoso was 0 of 2 (F1 F2) in the prior
year and 1 of 2 (G4 won, F4 lost) in the recent one: +50 points ≥ 10, on 2 deals a year (minimum sample 2).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from intel import accounts, metrics, store
from intel.access import LOCAL_ADMIN as ADMIN
from intel.access import Actor, NotAllowed
from intel.filters import ALL_TIME, Filters
from intel.ingest import import_file
from tests.conftest import FIXTURES
from tests.intel.test_catalogue import run_and_check

EVERYTHING = Filters(*ALL_TIME)
MANAGER, VIEWER = Actor("mia", "manager"), Actor("val", "viewer")
FILES = ("accounts_deals.csv", "accounts_companies.csv", "accounts_currency_types.csv")


@pytest.fixture
def book(db, monkeypatch):
    monkeypatch.setenv("SIGHTLINE_MIN_SAMPLE", "2")
    for name in FILES:
        result = import_file(FIXTURES / name, as_of="2026-07-01", by=ADMIN)
        assert result.status == "loaded", result.message
    return db


def stances(filters: Filters = EVERYTHING) -> dict[str, dict]:
    return accounts.account_stance(filters).set_index("account").to_dict("index")


def test_facts_per_account_as_counted_by_hand(book):
    facts = accounts.account_facts(EVERYTHING).set_index("account")
    assert sorted(facts.index) == ["Dune Dynamics", "Fir Foods", "Gull Group", "Iris Imports", "Mesa Media",
                                   "Pike Partners", "Wren Works"]                      # X1 has no account
    expected = {   # bookings recent, prior, won, lost, cycle, discount, open deals, open pipeline, lifetime
        "Gull Group": (200_000, 200_000, 4, 1, 60, 0.05, 0, 0, 407_000),               # G6 undated: lifetime only
        "Iris Imports": (40_000, 40_000, 2, 4, 60, 0.10, 1, 30_000, 80_000),
        "Fir Foods": (5_000, 5_000, 2, 5, 182, 0.375, 0, 0, 10_000),                   # EUR 2,500 = $5,000
        "Dune Dynamics": (100_000, 160_000, 5, 1, 61, 0.05, 1, 70_000, 260_000),       # GBP 12,500 = $50,000
        "Mesa Media": (50_000, 80_000, 4, 1, 61, 0.10, 0, 0, 130_000),                 # C5 won without amount
        "Wren Works": (30_000, 20_000, 3, 1, 61, 0.2 / 3, 0, 0, 50_000),
        "Pike Partners": (0, 0, 0, 3, None, None, 1, 0, 0),                            # E4 in CHF: no rate
    }
    for account, (recent, prior, won, lost, cycle, discount, open_deals, pipeline, lifetime) in expected.items():
        row = facts.loc[account]
        assert (row["bookings_recent"], row["bookings_prior"]) == (pytest.approx(recent), pytest.approx(prior)), account
        assert (row["won"], row["lost"], row["closed"]) == (won, lost, won + lost), account
        assert row["win_rate"] == pytest.approx(won / (won + lost)), account
        assert (pd.isna(row["cycle_days"]) if cycle is None else row["cycle_days"] == cycle), account
        assert (pd.isna(row["discount"]) if discount is None else row["discount"] == pytest.approx(discount)), account
        assert (row["open_deals"], row["open_pipeline"]) == (open_deals, pytest.approx(pipeline)), account
        assert row["lifetime_bookings"] == pytest.approx(lifetime), account
    assert facts.loc["Dune Dynamics", "bookings_change"] == pytest.approx(-0.375)
    assert facts.loc["Wren Works", "bookings_change"] == pytest.approx(0.5)
    assert pd.isna(facts.loc["Pike Partners", "bookings_change"])                       # nothing booked before
    assert not facts.loc["Pike Partners", "is_customer"] and facts.loc["Gull Group", "is_customer"]
    # the latest 5 deals by created date, and the competitor most named in them
    dune = facts.loc["Dune Dynamics"]
    assert (dune["competitor_recent"], dune["competitor_recent_deals"], dune["last_deals"]) == ("Fabrikam", 3, 5)
    assert (dune["earlier_deals"], dune["competitor_earlier_deals"]) == (2, 0)
    iris = facts.loc["Iris Imports"]
    assert (iris["competitor_recent"], iris["competitor_recent_deals"], iris["competitor_earlier_deals"]) == ("Contoso", 1, 2)
    assert (iris["incumbent"], iris["incumbent_losses"]) == ("Contoso", 3)
    assert (iris["h2h_prior"], iris["h2h_recent"]) == (0.0, 0.5)
    assert (iris["h2h_prior_closed"], iris["h2h_recent_closed"]) == (2, 2)
    assert pd.isna(facts.loc["Fir Foods", "competitor_recent"])                        # no deal names one
    # overall and per segment, over the deals with an account (X1 left out: 21 of 37 with it)
    assert facts["company_win_rate"].iloc[0] == pytest.approx(20 / 36)
    assert facts.loc["Pike Partners", "peer_win_rate"] == pytest.approx(18 / 29)
    assert facts.loc["Fir Foods", "peer_win_rate"] == pytest.approx(2 / 7)
    # the accounts table: size and annual value, share of wallet
    assert (facts.loc["Wren Works", "size"], facts.loc["Wren Works", "annual_value"]) == ("1001-5000", 2_000_000)
    assert facts.loc["Wren Works", "share_of_wallet"] == pytest.approx(0.015)
    assert pd.isna(facts.loc["Dune Dynamics", "annual_value"]) and pd.isna(facts.loc["Dune Dynamics", "size"])
    # the last 8 quarters to the anchor's (2024-Q3 .. 2026-Q2), oldest first
    assert facts.loc["Dune Dynamics", "bookings_by_quarter"] == [60_000, 60_000, 0, 40_000, 0, 50_000, 50_000, 0]
    assert facts.loc["Wren Works", "bookings_by_quarter"] == [0, 20_000, 0, 0, 0, 15_000, 15_000, 0]
    assert pd.Timestamp(facts["anchor"].iloc[0]).date() == dt.date(2026, 6, 30)


def test_the_proposals_one_of_each(book):
    table = accounts.account_stance(EVERYTHING)
    assert dict(zip(table["account"], table["proposed"])) == {
        "Fir Foods": "fire", "Dune Dynamics": "defend", "Iris Imports": "attack", "Wren Works": "attack",
        "Pike Partners": "attack", "Gull Group": "maintain", "Mesa Media": "maintain"}
    # listed fire, defend, attack, maintain; by bookings of the last 12 months within each
    assert table["account"].tolist() == ["Fir Foods", "Dune Dynamics", "Iris Imports", "Wren Works", "Pike Partners",
                                         "Gull Group", "Mesa Media"]
    assert (table["stance"] == table["proposed"]).all()   # nobody decided yet


def test_fire_deep_discounts_long_cycles_low_win_rate_small_value(book):
    t = accounts.Thresholds.current()
    cut = accounts.cutoffs(accounts.account_facts(EVERYTHING), t)
    assert cut["discount"] == pytest.approx(0.2375)
    assert cut["cycle_days"] == pytest.approx(121.5)
    assert cut["win_rate"] == pytest.approx(2 / 7 + 0.5 * (1 / 3 - 2 / 7))   # Pike Partners' 0% not among them
    assert cut["median_bookings"] == pytest.approx(45_000)
    fir = stances()["Fir Foods"]
    assert (fir["proposed"], fir["signals"]) == ("fire", 0)
    for said in ("Average discount 37.5%", "≥ 23.8%", "Median won cycle 182 days", "≥ 122 days", "Win rate 28.6%",
                 "≤ 31.0%", "median customer $45k"):
        assert said in fir["rules"], (said, fir["rules"])


def test_defend_needs_two_signals(book):
    table = stances()
    dune, mesa = table["Dune Dynamics"], table["Mesa Media"]
    assert (dune["proposed"], dune["signals"]) == ("defend", 2)
    assert "Bookings -38% on the 12 months before ($160k → $100k)" in dune["rules"]
    assert "Fabrikam in 3 of its last 5 deals (0% of the 2 before)" in dune["rules"]
    assert (mesa["proposed"], mesa["signals"]) == ("maintain", 1)                  # the drop alone
    assert mesa["rules"] == "Bookings -38% on the 12 months before ($80k → $50k)"  # shown, though not enough


def test_attack_small_share_prospect_and_incumbent_weakness(book):
    table = stances()
    assert table["Wren Works"]["proposed"] == "attack"
    assert table["Wren Works"]["rules"] == ("Share of wallet 1.5% of $2M a year; win rate 75.0% (overall 55.6%); "
                                            "bookings +50%")
    assert table["Pike Partners"]["proposed"] == "attack"
    assert table["Pike Partners"]["rules"] == ("Prospect with a deal created 2026-05-01; its segment wins 62.1% "
                                               "(overall 55.6%)")
    assert table["Iris Imports"]["proposed"] == "attack"
    assert table["Iris Imports"]["rules"] == ("Lost 3 deals to Contoso, who now loses more to us: head-to-head 50.0% "
                                              "(0.0% the 12 months before)")
    assert table["Gull Group"]["rules"] == ""                                      # steady: nothing to say


@pytest.mark.parametrize("setting, value, account, before, after", [
    ("SIGHTLINE_STANCE_DEFEND_SIGNALS", "1", "Mesa Media", "maintain", "defend"),     # its one signal is enough
    ("SIGHTLINE_STANCE_DEFEND_DROP", "0.40", "Dune Dynamics", "defend", "maintain"),  # −37.5% is no longer a drop
    ("SIGHTLINE_STANCE_COMPETITOR_DEALS", "4", "Dune Dynamics", "defend", "maintain"),  # Fabrikam in 3 of 5
    ("SIGHTLINE_STANCE_ATTACK_SHARE", "0.01", "Wren Works", "attack", "maintain"),    # 1.5% is not under 1%
    ("SIGHTLINE_STANCE_ATTACK_GROWTH", "0.60", "Wren Works", "attack", "maintain"),   # +50% < +60%
    ("SIGHTLINE_STANCE_INCUMBENT_GAIN", "0.60", "Iris Imports", "attack", "maintain"),  # +50 points < 60
    ("SIGHTLINE_MIN_SAMPLE", "3", "Iris Imports", "attack", "maintain"),              # 2 head-to-head deals a year
    ("SIGHTLINE_STANCE_MIN_DEALS", "8", "Fir Foods", "fire", "maintain"),             # 7 closed: not judged
    ("SIGHTLINE_STANCE_FIRE_QUANTILE", "0.01", "Fir Foods", "fire", "fire"),          # still the very worst
])
def test_thresholds_are_settings(book, monkeypatch, setting, value, account, before, after):
    assert stances()[account]["proposed"] == before
    monkeypatch.setenv(setting, value)
    assert stances()[account]["proposed"] == after


def test_the_rules_say_the_thresholds_in_force(book, monkeypatch):
    monkeypatch.setenv("SIGHTLINE_STANCE_DEFEND_SIGNALS", "1")
    monkeypatch.setenv("SIGHTLINE_STANCE_DEFEND_DROP", "0.3")
    rules = {r["stance"]: r["rule"] for r in accounts.stance_rules()}
    assert list(rules) == ["fire", "defend", "attack", "maintain"]
    assert rules["defend"].startswith("A customer with 1 or more of: bookings down 30% or more")
    assert "worst 10% of the customers with 3+ closed deals (when 5 or more are)" in rules["fire"]


def test_a_managers_decision_wins_and_keeps_its_history(book):
    with pytest.raises(NotAllowed):
        accounts.set_stance("Mesa Media", "defend", "Renewal at risk", 0, proposed="maintain", by=VIEWER)
    with pytest.raises(ValueError, match="needs a reason"):
        accounts.set_stance("Mesa Media", "defend", "  ", 0, proposed="maintain", by=MANAGER)
    assert accounts.set_stance("Mesa Media", "defend", "Renewal at risk: Fabrikam demoed last week", 0,
                               proposed="maintain", by=MANAGER) == 1
    # confirming the proposal needs no reason
    assert accounts.set_stance("Gull Group", "maintain", "", 0, proposed="maintain", by=MANAGER) == 1
    mesa = stances()["Mesa Media"]
    assert (mesa["stance"], mesa["proposed"], mesa["override_version"]) == ("defend", "maintain", 1)
    assert (mesa["override_reason"], mesa["override_by"]) == ("Renewal at risk: Fabrikam demoed last week", "mia")
    # the overridden account is listed with its stance in force
    assert accounts.account_stance(EVERYTHING)["account"].tolist()[:3] == ["Fir Foods", "Dune Dynamics", "Mesa Media"]
    # someone who opened the account before that decision cannot overwrite it
    with pytest.raises(accounts.StanceConflict) as conflict:
        accounts.set_stance("Mesa Media", "fire", "Too expensive to serve", 0, proposed="maintain",
                            by=Actor("max", "admin"))
    assert conflict.value.newer["version"] == 1 and conflict.value.newer["author"] == "mia"
    assert "mia decided on Mesa Media" in str(conflict.value)
    # handing it back to the proposal is a new version; the history keeps both, newest first
    assert accounts.set_stance("Mesa Media", None, "Fabrikam lost the demo", 1, proposed="maintain", by=MANAGER) == 2
    assert stances()["Mesa Media"]["stance"] == "maintain"
    history = accounts.stance_history("Mesa Media")
    assert history["version"].tolist() == [2, 1]
    assert history["stance"].isna().tolist() == [True, False] and history["stance"].iloc[1] == "defend"
    assert history["reason"].tolist() == ["Fabrikam lost the demo", "Renewal at risk: Fabrikam demoed last week"]
    assert history["author"].tolist() == ["mia", "mia"]


def test_an_unknown_stance_and_a_long_reason_are_refused(book):
    with pytest.raises(ValueError, match="A stance is one of"):
        accounts.set_stance("Mesa Media", "nurture", "why not", 0, by=MANAGER)
    with pytest.raises(ValueError, match="at most 500"):
        accounts.set_stance("Mesa Media", "defend", "x" * 501, 0, by=MANAGER)
    assert accounts.stance_history("Mesa Media").empty


@pytest.mark.parametrize("filters", [EVERYTHING, EVERYTHING.with_(segment=("Enterprise",)),
                                     EVERYTHING.with_(owner=("Ann Lee", "Cy Dee"))], ids=["all", "enterprise", "owners"])
def test_the_independent_check_agrees_on_the_fixture(book, filters):
    run_and_check("account_stance", filters, book)
    accounts.set_stance("Pike Partners", "maintain", "Budget frozen until 2027", 0, proposed="attack", by=MANAGER)
    run_and_check("account_stance", filters, book)


def test_a_scope_judges_its_own_accounts(book):
    # SMB holds Fir Foods alone: one customer would be its own median and its own worst decile, so
    # the fire rule compares nobody under five customers judged (it stays maintain, its numbers
    # shown); the catalogue entry runs the same rules
    smb = metrics.run("account_stance", EVERYTHING.with_(segment=("SMB",)))
    assert smb["account"].tolist() == ["Fir Foods"] and smb["stance"].tolist() == ["maintain"]
    assert smb["company_win_rate"].iloc[0] == pytest.approx(2 / 7)


def test_no_deals_with_an_account_gives_an_empty_table(db):
    assert import_file(FIXTURES / "forecast_deals.csv", as_of="2026-07-01", by=ADMIN).status == "loaded"
    table = accounts.account_stance(EVERYTHING)
    assert table.empty and {"account", "stance", "proposed", "rules"} <= set(table.columns)


def _forget_this_process():
    with accounts._cache_lock:
        accounts._cache.clear()


def _kept(db) -> list[tuple]:
    cur = store.cursor(db)
    try:
        return cur.execute("SELECT key, data_version FROM kept_frames WHERE kind = 'account_proposals' ORDER BY kept_at").fetchall()
    finally:
        cur.close()


def test_proposals_are_kept_in_the_store_and_read_back_the_same(book, monkeypatch):
    first = accounts.account_stance(EVERYTHING)
    assert len(_kept(book)) == 1
    # another process (this one's memory cleared) reads them back instead of judging again
    _forget_this_process()
    monkeypatch.setattr(accounts, "propose", lambda *a, **k: pytest.fail("judged again"))
    again = accounts.account_stance(EVERYTHING)
    pd.testing.assert_frame_equal(first, again)
    assert again.set_index("account").loc["Wren Works", "bookings_by_quarter"] == \
        first.set_index("account").loc["Wren Works", "bookings_by_quarter"]
    # a decision is read live, never from what was kept
    accounts.set_stance("Mesa Media", "defend", "Renewal at risk", 0, proposed="maintain", by=MANAGER)
    assert stances()["Mesa Media"]["stance"] == "defend"


def test_a_scope_a_setting_or_an_import_works_them_out_again(book, monkeypatch):
    accounts.account_stance(EVERYTHING)
    accounts.account_stance(EVERYTHING.with_(segment=("Enterprise",)))
    monkeypatch.setenv("SIGHTLINE_STANCE_ATTACK_SHARE", "0.01")
    _forget_this_process()
    assert stances()["Wren Works"]["proposed"] == "maintain"     # not the kept 'attack'
    kept = _kept(book)
    assert len(kept) == 3 and len({version for _, version in kept}) == 1
    # new data: the older version's proposals are dropped when the new ones are kept
    assert import_file(FIXTURES / "forecast_deals.csv", as_of="2026-07-08", by=ADMIN).status == "loaded"
    accounts.account_stance(EVERYTHING)
    assert [version for _, version in _kept(book)] == [store.data_version(book)]


def test_a_store_that_cannot_keep_them_still_answers(book, monkeypatch):
    monkeypatch.setattr(store, "write", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("read-only")))
    assert stances()["Fir Foods"]["proposed"] == "fire"
    assert _kept(book) == []
