-- Average discount (discount governance, shared/METRICS.md): the mean discount of the deals won
-- in the period that carry one, per member of $dim ('total': 'All') and per period of $grain
-- ('all': the whole range), in the global filters' scope; won_with_discount counts what it rests
-- on (an alert's minimum sample). Beside it, the win rate over the same period's closed deals, so
-- a discount that rises while the win rate does not shows on one row.
SELECT member,
       CASE WHEN $grain <> 'all' THEN period_label(period_start(close_date, $grain, $fy_start), $grain, $fy_start) END AS period,
       CASE WHEN $grain <> 'all' THEN period_start(close_date, $grain, $fy_start) END AS period_start,
       count(discount_pct) FILTER (WHERE is_won) AS won_with_discount,
       avg(discount_pct) FILTER (WHERE is_won) AS avg_discount,
       count(*) FILTER (WHERE is_won) AS won, count(*) FILTER (WHERE NOT is_won) AS lost,
       count(*) FILTER (WHERE is_won) / count(*) AS win_rate
FROM closed_in_scope($date_from, $date_to, $region, $segment, $owner, $product, $exclude_nd, $dim)
WHERE $grain = 'all' OR close_date IS NOT NULL
GROUP BY ALL
ORDER BY member, period_start
