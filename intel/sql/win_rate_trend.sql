-- Win rate per period (shared/METRICS.md). win rate = won ÷ (won + lost) over the deals
-- closed in the period (by close date); with exclude_nd, "No decision" losses leave both sides.
-- win rate by value = won amount ÷ (won + lost amount). 95% Wilson interval on the count;
-- small_sample when fewer than min_sample deals closed. Every period of the range is listed,
-- an empty one with closed = 0 and no rate.
WITH closed AS (
    SELECT period_start(close_date, $grain, $fy_start) AS period, is_won, amount
    FROM closed_in_scope($date_from, $date_to, $region, $segment, $owner, $product, $exclude_nd, $dim)
), periods AS (
    SELECT DISTINCT period_start(CAST(d AS DATE), $grain, $fy_start) AS period
    FROM range(CAST($date_from AS TIMESTAMP), CAST($date_to AS TIMESTAMP) + INTERVAL 1 DAY,
               INTERVAL 1 DAY) t(d)
), counted AS (
    SELECT p.period,
           count(c.is_won) FILTER (WHERE c.is_won) AS won,
           count(c.is_won) FILTER (WHERE NOT c.is_won) AS lost,
           coalesce(sum(c.amount) FILTER (WHERE c.is_won), 0) AS won_amount,
           coalesce(sum(c.amount) FILTER (WHERE NOT c.is_won), 0) AS lost_amount
    FROM periods p LEFT JOIN closed c USING (period)
    GROUP BY p.period
)
SELECT period_label(period, $grain, $fy_start) AS period, period AS period_start,
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
ORDER BY period_start
