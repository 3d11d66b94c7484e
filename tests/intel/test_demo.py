"""The demo data: deterministic, big enough, and carrying the signals its README promises.

Each signal is checked with plain SQL over the store, independently of the pages.
"""
from __future__ import annotations

import csv
import hashlib
import random

import pytest

from intel import demo
from tests.conftest import rows


def test_generator_is_deterministic():
    first = demo.generate_deals(random.Random(demo.SEED))
    second = demo.generate_deals(random.Random(demo.SEED))
    digest = lambda deals: hashlib.sha256(repr([vars(d) for d in deals]).encode()).hexdigest()
    assert digest(first) == digest(second)


def test_demo_store_has_the_promised_breadth(demo_db):
    q = lambda sql: rows(sql, db_path=demo_db)[0]
    deals, regions, segments, owners, products, competitors = q(
        """SELECT count(*), count(DISTINCT region), count(DISTINCT segment), count(DISTINCT owner),
                  count(DISTINCT product), count(DISTINCT competitor) FROM opportunities_current""")
    assert deals >= 20_000 and (regions, segments, products, competitors) == (4, 5, 5, 5)
    assert owners >= 30
    first, last = q("SELECT min(created_date), max(created_date) FROM opportunities_current")
    assert (last - first).days >= 730
    assert q("SELECT count(DISTINCT snapshot_date) FROM opportunities")[0] >= 26
    assert q("SELECT count(*) FROM opportunities_current WHERE loss_reason = 'No decision'")[0] > 0
    assert q("SELECT count(*) FROM targets_forecasts WHERE target IS NOT NULL")[0] > 0
    assert q("SELECT count(DISTINCT submitted_at) FROM targets_forecasts")[0] > 50   # weekly calls
    assert q("SELECT count(DISTINCT region) FROM market")[0] == 4


def test_falling_segment_is_below_20_percent_three_months_running(demo_db):
    by_month = rows("""SELECT strftime(close_date, '%Y-%m'), avg(is_won::INT)
                       FROM opportunities_current WHERE is_closed AND segment = $s
                       AND close_date BETWEEN '2026-08-01' AND '2026-10-31' GROUP BY 1 ORDER BY 1""",
                    {"s": demo.FALLING_SEGMENT}, db_path=demo_db)
    assert [m for m, _ in by_month] == ["2026-08", "2026-09", "2026-10"]
    assert all(rate < 0.20 for _, rate in by_month)


def test_rising_competitor_share_of_losses_grows(demo_db):
    share = dict(rows("""SELECT year(close_date), avg((competitor = $c)::INT)
                         FROM opportunities_current WHERE is_closed AND NOT is_won
                         AND close_date < '2026-11-01' GROUP BY 1""",
                      {"c": demo.RISING_COMPETITOR}, db_path=demo_db))
    assert share[2026] > share[2025] * 1.5


def test_over_forecasting_region_and_sandbagging_owner(demo_db):
    # Final commit call of each month vs the month's bookings, summed over 2025-2026.
    bias = dict(rows("""
        WITH calls AS (SELECT period, region, owner, segment, arg_max(forecast_commit, submitted_at) AS f
                       FROM targets_forecasts WHERE forecast_commit IS NOT NULL
                       AND period < '2026-11-01' GROUP BY ALL),
             won AS (SELECT date_trunc('month', close_date) AS period, region, owner, segment,
                            sum(amount) AS a FROM opportunities_current WHERE is_won GROUP BY ALL)
        SELECT k, sum(f - coalesce(a, 0)) / sum(coalesce(a, 0)) FROM (
            SELECT CASE WHEN c.owner = $o THEN 'owner' ELSE c.region END AS k, f, a
            FROM calls c LEFT JOIN won w USING (period, region, owner, segment)
            WHERE c.period >= '2025-01-01') GROUP BY k""",
        {"o": demo.SANDBAGGER}, db_path=demo_db))
    assert bias[demo.OVER_FORECAST_REGION] > 0.15
    assert bias["owner"] < -0.15
    assert abs(bias["APAC"]) < 0.1


def test_some_deals_slip_three_times_or_more(demo_db):
    # Count, per deal, the snapshots where its close date moved later than in the one before.
    slipped = rows("""
        WITH s AS (SELECT id, snapshot_date, close_date,
                          lag(close_date) OVER (PARTITION BY id ORDER BY snapshot_date) AS prev
                   FROM opportunities WHERE NOT is_closed)
        SELECT count(*) FROM (SELECT id FROM s WHERE close_date > prev GROUP BY id HAVING count(*) >= 3)""",
        db_path=demo_db)[0][0]
    assert slipped >= 10


# ---- issue 17: accounts to attack, defend or fire; the best lead source; a discounter ----
# The accounts' windows are anchored on the data date (the latest snapshot, demo.END): "recent" is
# the 12 months to it, "prior" the 12 before; win rate, cycle and discount over the 24 months.

ACCOUNTS = """
    WITH d AS (SELECT *,
                      close_date > $anchor - INTERVAL 12 MONTH AND close_date <= $anchor AS recent,
                      close_date > $anchor - INTERVAL 24 MONTH
                          AND close_date <= $anchor - INTERVAL 12 MONTH AS prior
               FROM deal_facts)
    SELECT account, bool_or(is_won) AS customer,
           coalesce(sum(amount) FILTER (is_won AND recent), 0) AS recent,
           coalesce(sum(amount) FILTER (is_won AND prior), 0) AS prior,
           count(*) FILTER (is_closed AND (recent OR prior)) AS closed,
           avg(is_won::INT) FILTER (is_closed AND (recent OR prior)) AS win_rate,
           median(cycle_days) FILTER (is_won AND (recent OR prior)) AS cycle,
           median(cycle_days) FILTER (is_won AND recent) AS recent_cycle,
           median(cycle_days) FILTER (is_won AND prior) AS prior_cycle,
           avg(discount_pct) FILTER (is_won AND (recent OR prior) AND discount_pct > 0) AS discount,
           any_value(segment) AS segment,
           (SELECT annual_value FROM account_lookup l WHERE l.account = d.account LIMIT 1) AS annual_value
    FROM d GROUP BY account"""
COLUMNS = ["customer", "recent", "prior", "closed", "win_rate", "cycle", "recent_cycle", "prior_cycle",
           "discount", "segment", "annual_value"]


@pytest.fixture(scope="module")
def accounts(demo_db):
    return {a: dict(zip(COLUMNS, rest)) for a, *rest in rows(ACCOUNTS, {"anchor": demo.END}, db_path=demo_db)}


def _company_win_rate(demo_db) -> float:
    return rows("""SELECT avg(is_won::INT) FROM deal_facts WHERE is_closed
                   AND close_date > $anchor - INTERVAL 24 MONTH AND close_date <= $anchor""",
                {"anchor": demo.END}, db_path=demo_db)[0][0]


def _quantile(values, q: float) -> float:
    """Linear interpolation between the closest ranks, as DuckDB's quantile_cont."""
    values = sorted(v for v in values if v is not None)
    at = q * (len(values) - 1)
    low = int(at)
    return values[low] + (values[min(low + 1, len(values) - 1)] - values[low]) * (at - low)


def test_every_account_buys_in_one_segment_and_has_an_annual_revenue(demo_db):
    (accounts, spread, valued), = rows("""
        SELECT count(*), max(segments), count(annual_value) FROM (
            SELECT account, count(DISTINCT segment) AS segments,
                   (SELECT annual_value FROM account_lookup l WHERE l.account = d.account) AS annual_value
            FROM deal_facts d GROUP BY account)""", db_path=demo_db)
    assert (accounts, spread, valued) == (240, 1, 240)


def test_attack_account_is_a_small_share_customer_growing_where_we_win(accounts, demo_db):
    company = _company_win_rate(demo_db)
    quartz = accounts[demo.ATTACK_ACCOUNT]
    assert quartz["customer"] and quartz["recent"] / quartz["annual_value"] < 0.05   # ~1.8% of its wallet
    assert quartz["win_rate"] >= company + 0.10                                      # ~45% against ~30%
    assert quartz["recent"] >= 1.5 * quartz["prior"]                                 # ~+220%
    # the attack rule for a small-share customer: share < 10%, win rate >= the company's, bookings up >= 10%
    small_share_growing = [a for a, x in accounts.items() if x["customer"] and x["prior"]
                           and x["recent"] / x["annual_value"] < 0.10 and x["win_rate"] >= company
                           and x["recent"] >= 1.10 * x["prior"]]
    assert small_share_growing == [demo.ATTACK_ACCOUNT]


def test_defend_account_is_a_large_customer_losing_ground_to_fabrikam(accounts, demo_db):
    summit = accounts[demo.DEFEND_ACCOUNT]
    customers = sorted(x["prior"] for x in accounts.values() if x["customer"])
    assert summit["prior"] >= customers[int(0.75 * len(customers))]                 # a top-quarter customer
    assert -0.50 <= summit["recent"] / summit["prior"] - 1 <= -0.30                  # ~-41%
    assert summit["recent_cycle"] >= 1.25 * summit["prior_cycle"]                    # 257 days against 171
    last_five = [c for (c,) in rows("""SELECT coalesce(competitor, '') FROM deal_facts
                                       WHERE account = $a AND created_date <= $anchor
                                       ORDER BY created_date DESC, id DESC LIMIT 5""",
                                    {"a": demo.DEFEND_ACCOUNT, "anchor": demo.END}, db_path=demo_db)]
    named = [c for c in last_five if c]
    assert named.count(demo.RISING_COMPETITOR) == 3
    assert all(named.count(c) == 1 for c in set(named) - {demo.RISING_COMPETITOR})


def test_fire_account_takes_deep_discounts_long_cycles_and_rarely_wins(accounts, demo_db):
    echo = accounts[demo.FIRE_ACCOUNT]
    segment_cycle = rows("""SELECT median(cycle_days) FROM deal_facts WHERE is_won AND segment = $s
                            AND close_date > $anchor - INTERVAL 24 MONTH AND close_date <= $anchor""",
                         {"s": echo["segment"], "anchor": demo.END}, db_path=demo_db)[0][0]
    assert 0.25 <= echo["discount"] <= 0.35 and echo["win_rate"] <= 0.12
    assert echo["cycle"] >= 1.8 * segment_cycle                                      # ~155 days against ~78
    # the fire rule: discount and cycle in the top quarter of accounts (with 3+ closed deals), win rate in
    # the bottom quarter, recent bookings at or below the median customer's
    judged = [x for x in accounts.values() if x["closed"] >= 3]
    discount = _quantile([x["discount"] for x in judged], 0.75)
    cycle = _quantile([x["cycle"] for x in judged], 0.75)
    win_rate = _quantile([x["win_rate"] for x in judged], 0.25)
    median = _quantile([x["recent"] for x in accounts.values() if x["customer"]], 0.5)
    fire = [a for a, x in accounts.items() if x["customer"] and x["closed"] >= 3 and x["discount"] is not None
            and x["discount"] >= discount and x["cycle"] >= cycle and x["win_rate"] <= win_rate
            and x["recent"] <= median]
    assert fire == [demo.FIRE_ACCOUNT]


def test_best_lead_source_wins_far_more_often(demo_db):
    rates = dict(rows("""SELECT lead_source, avg(is_won::INT) FROM deal_facts WHERE is_closed GROUP BY 1""",
                      db_path=demo_db))
    best = rates.pop(demo.BEST_LEAD_SOURCE)
    assert 0.50 <= best <= 0.60                                                      # ~55%
    assert all(0.24 <= r <= 0.32 for r in rates.values())                            # ~27% each


def test_discounter_gives_more_away_each_quarter_while_his_win_rate_holds(demo_db):
    quarters = rows("""
        SELECT year(close_date) * 10 + quarter(close_date) AS q,
               avg(discount_pct) FILTER (is_won AND discount_pct > 0), avg(is_won::INT)
        FROM deal_facts WHERE owner = $o AND is_closed AND close_date >= '2025-10-01'
        GROUP BY q ORDER BY q""", {"o": demo.DISCOUNTER}, db_path=demo_db)
    assert [q for q, _, _ in quarters] == [20254, 20261, 20262, 20263, 20264]
    discounts, win_rates = [d for _, d, _ in quarters], [w for _, _, w in quarters]
    assert all(later - earlier >= 0.03 for earlier, later in zip(discounts, discounts[1:]))   # ~+5 points
    assert all(later <= earlier for earlier, later in zip(win_rates, win_rates[1:]))         # 27.3% .. 26.0%
    assert max(win_rates) - min(win_rates) <= 0.03
    # nobody else: average discount up 2 points in each of the last two complete quarters
    rising = [o for (o,) in rows("""
        WITH q AS (SELECT owner, quarter(close_date) AS q,
                          avg(discount_pct) FILTER (is_won AND discount_pct > 0) AS d
                   FROM deal_facts WHERE is_closed AND close_date BETWEEN '2026-01-01' AND '2026-09-30'
                   GROUP BY ALL)
        SELECT q1.owner FROM q q1
        JOIN q q2 ON q2.owner = q1.owner AND q2.q = 2
        JOIN q q3 ON q3.owner = q1.owner AND q3.q = 3
        WHERE q1.q = 1 AND q2.d - q1.d >= 0.02 AND q3.d - q2.d >= 0.02""", db_path=demo_db)]
    assert rising == [demo.DISCOUNTER]


def test_deals_carry_the_campaign_of_their_lead_source_and_every_row_loads(demo_db):
    latest = demo.DEMO_DIR / f"salesforce-opportunities-{demo.END.isoformat()}.csv"
    with open(latest, encoding="utf-8", newline="") as fh:
        exported = [r for r in csv.DictReader(fh) if r["Lead Source"] is not None]   # the footer lines aside
    campaigns: dict[str, set] = {}
    for r in exported:
        campaigns.setdefault(r["Lead Source"], set()).add(r["Primary Campaign Source"])
    assert campaigns["Outbound"] == {""}
    assert campaigns["Web"] == {"2024 Webinar Series", "2025 Webinar Series", "2026 Webinar Series"}
    assert campaigns["Event"] == {"Trade Show - Spring", "Trade Show - Autumn"}
    assert campaigns["Partner"] == {"Partner Co-marketing"}
    assert campaigns["Referral"] == {"Customer Referral Program"}
    loaded, rejected = rows("SELECT rows_loaded, rows_rejected FROM imports WHERE file_name = $f",
                            {"f": latest.name}, db_path=demo_db)[0]
    assert (loaded, rejected) == (len(exported), 0)
    # the campaign column does not take the lead source's place; where the import maps it, it is the export's
    stored = {i: (s, c) for i, s, c in rows("SELECT id, lead_source, campaign FROM opportunities_current",
                                            db_path=demo_db)}
    assert all(stored[r["Opportunity ID"]][0] == r["Lead Source"] for r in exported)
    assert all(stored[r["Opportunity ID"]][1] in (None, r["Primary Campaign Source"] or None) for r in exported)


def test_files_written_by_an_older_generator_are_written_again(tmp_path):
    latest = tmp_path / f"salesforce-opportunities-{demo.END.isoformat()}.csv"
    assert not demo._written_by_an_older_generator(tmp_path)       # missing: written as missing files are
    latest.write_text(",".join(f'"{h}"' for h in demo.SF_HEADER) + "\r\n")
    assert not demo._written_by_an_older_generator(tmp_path)
    older = [h for h in demo.SF_HEADER if h != "Primary Campaign Source"]
    latest.write_text(",".join(f'"{h}"' for h in older) + "\r\n")
    assert demo._written_by_an_older_generator(tmp_path)
