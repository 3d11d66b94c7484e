-- Coverage of the remaining target per period (shared/METRICS.md), as of snapshot $s, for the
-- period holding $s and the next $periods - 1:
--   coverage = open pipeline closing in the period ÷ (target − actual to date)
--   coverage needed = 1 ÷ win rate (deals closed in the trailing window, $window_from to $s inclusive:
--   the 3N calendar months ending on $s, from intel.periods.trailing_window)
-- actual to date: deals won with a close date in the period up to $s. No target: no coverage.
WITH periods AS (
    SELECT DISTINCT period_start(CAST(d AS DATE), $grain, $fy_start) AS p
    FROM range(CAST(period_start($s, $grain, $fy_start) AS TIMESTAMP),
               CAST(period_start($s, $grain, $fy_start) AS TIMESTAMP) + to_months(CAST($periods AS INTEGER) * CASE WHEN $grain = 'quarter' THEN 3 ELSE 1 END),
               INTERVAL 1 DAY) t(d)
), by_day AS (   -- by close date first: period_start once a day, not once a deal (a third of the time)
    SELECT close_date, count(*) AS deals, sum(value) AS pipeline, sum(value * probability) AS weighted
    FROM snapshot_rows($s_import)   -- the rows of snapshot $s (its import)
    WHERE NOT is_closed
      AND in_scope(region, segment, owner, product, $region, $segment, $owner, $product)
    GROUP BY close_date
), pipe AS (
    SELECT period_start(close_date, $grain, $fy_start) AS p, CAST(sum(deals) AS BIGINT) AS deals,
           sum(pipeline) AS pipeline, sum(weighted) AS weighted
    FROM by_day
    GROUP BY 1
), won AS (       -- bookings, from the first period shown (the earlier ones are not listed)
    SELECT period_start AS p, bookings AS actual
    FROM bookings($grain, $fy_start, 'total', period_start($s, $grain, $fy_start), $s,
                  $region, $segment, $owner, $product)
), targets AS (
    SELECT period_start(period, $grain, $fy_start) AS p, sum(target) AS target
    FROM plan_rows
    WHERE target IS NOT NULL AND (period_grain = 'month' OR $grain = 'quarter')
      AND in_scope(region, segment, owner, product, $region, $segment, $owner, $product)
    GROUP BY 1
), rate AS (      -- closed_in_scope: with $exclude_nd, "No decision" losses leave the win rate
    SELECT count(*) FILTER (WHERE is_won) / nullif(count(*), 0) AS win_rate
    FROM closed_in_scope(NULL, NULL, $region, $segment, $owner, $product, $exclude_nd, NULL)
    WHERE is_closed AND close_date >= CAST($window_from AS DATE) AND close_date <= $s
)
SELECT period_label(periods.p, $grain, $fy_start) AS period, periods.p AS period_start,
       coalesce(pipe.deals, 0) AS open_deals, coalesce(pipe.pipeline, 0) AS pipeline,
       coalesce(pipe.weighted, 0) AS weighted_pipeline, targets.target,
       coalesce(won.actual, 0) AS actual_to_date,
       targets.target - coalesce(won.actual, 0) AS remaining,
       CASE WHEN targets.target - coalesce(won.actual, 0) > 0
            THEN coalesce(pipe.pipeline, 0) / (targets.target - coalesce(won.actual, 0)) END AS coverage,
       1 / nullif(rate.win_rate, 0) AS coverage_needed
FROM periods
LEFT JOIN pipe USING (p) LEFT JOIN won USING (p) LEFT JOIN targets USING (p) CROSS JOIN rate
ORDER BY periods.p
