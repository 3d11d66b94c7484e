-- Win rate (shared/METRICS.md): won ÷ (won + lost) over the deals closed in the range, per
-- member of $dim ('total': everything under 'All') and per period of $grain ('all': the whole
-- range, undated closed deals included; a month or quarter: by close date, undated deals in no
-- period). With exclude_nd, "No decision" losses leave both sides.
-- win rate by value = won amount ÷ (won + lost amount); lost amounts all 0 make it undefined.
-- 95% Wilson interval on the count; small_sample when fewer than min_sample deals closed.
-- The total over periods lists every period of the range (an empty one: closed = 0, no rate);
-- a member with no closed deal in a period is absent from it.
WITH closed AS (
    SELECT member,
           CASE WHEN $grain <> 'all' THEN period_start(close_date, $grain, $fy_start) END AS period,
           is_won, amount
    FROM closed_in_scope($date_from, $date_to, $region, $segment, $owner, $product, $exclude_nd, $dim)
    WHERE $grain = 'all' OR close_date IS NOT NULL
), empty_periods AS (
    SELECT DISTINCT 'All' AS member, period_start(CAST(d AS DATE), $grain, $fy_start) AS period
    FROM range(CAST(coalesce($date_from, DATE '2000-01-01') AS TIMESTAMP),
               CAST(coalesce($date_to, DATE '1999-12-31') AS TIMESTAMP) + INTERVAL 1 DAY, INTERVAL 1 DAY) t(d)
    WHERE $dim = 'total' AND $grain <> 'all'
), cells AS (
    SELECT DISTINCT member, period FROM closed
    UNION SELECT member, period FROM empty_periods
    UNION SELECT 'All', NULL WHERE $dim = 'total' AND $grain = 'all'
), counted AS (
    SELECT k.member, k.period,
           count(c.is_won) FILTER (WHERE c.is_won) AS won,
           count(c.is_won) FILTER (WHERE NOT c.is_won) AS lost,
           coalesce(sum(c.amount) FILTER (WHERE c.is_won), 0) AS won_amount,
           coalesce(sum(c.amount) FILTER (WHERE NOT c.is_won), 0) AS lost_amount
    FROM cells k
    LEFT JOIN closed c ON c.member = k.member AND c.period IS NOT DISTINCT FROM k.period
    GROUP BY k.member, k.period
)
SELECT member,
       CASE WHEN period IS NOT NULL THEN period_label(period, $grain, $fy_start) END AS period,
       period AS period_start,
       won, lost, won + lost AS closed,
       won / nullif(won + lost, 0) AS win_rate,
       wilson_low(won, won + lost) AS win_rate_low,
       wilson_high(won, won + lost) AS win_rate_high,
       won_amount, lost_amount,
       -- losses that all carry no amount make the value rate undefined, not 100% (METRICS.md)
       CASE WHEN lost > 0 AND lost_amount = 0 THEN NULL
            ELSE won_amount / nullif(won_amount + lost_amount, 0) END AS win_rate_by_value,
       won + lost < $min_sample AS small_sample
FROM counted
-- members ranked by win rate (small samples last) over the range; by member then period over time
ORDER BY CASE WHEN $grain = 'all' THEN small_sample END,
         CASE WHEN $grain = 'all' THEN won / nullif(won + lost, 0) END DESC,
         CASE WHEN $grain = 'all' THEN won + lost END DESC,
         member, period_start
