"""The demo data: deterministic, big enough, and carrying the signals its README promises.

Each signal is checked with plain SQL over the store, independently of the pages.
"""
from __future__ import annotations

import hashlib
import random

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
