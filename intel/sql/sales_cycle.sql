-- Sales cycle (shared/METRICS.md): days from created date to close date, for the deals won
-- and (beside them) the deals lost in the range: median, quartiles, mean and the count.
-- Deals without a created date are left out and counted in without_dates (closed_without_dates:
-- won and lost together). Per member of $dim ('total': one member, 'All').
WITH cycles AS (
    SELECT member,
           CASE WHEN is_won THEN 'won' ELSE 'lost' END AS outcome,
           count(cycle_days) AS deals,
           median(cycle_days) AS median_days,
           quantile_cont(cycle_days, 0.25) AS p25_days,
           quantile_cont(cycle_days, 0.75) AS p75_days,
           avg(cycle_days) AS mean_days,
           count(*) - count(cycle_days) AS without_dates
    FROM closed_in_scope($date_from, $date_to, $region, $segment, $owner, $product, $exclude_nd, $dim)
    GROUP BY ALL
)
SELECT *, CAST(sum(without_dates) OVER (PARTITION BY member) AS BIGINT) AS closed_without_dates
FROM cycles
ORDER BY member, outcome DESC
