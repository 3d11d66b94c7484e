-- Average won deal (shared/METRICS.md, a factor of velocity): amount won ÷ deals won with an
-- amount in the reporting currency, over the deals won in the range, per member of $dim
-- ('total': one member, 'All') and per period of $grain ('all': the whole range). Deals won
-- without an amount (or without a rate to the reporting currency) are counted in without_amount.
SELECT member,
       CASE WHEN $grain <> 'all' THEN period_label(period_start(close_date, $grain, $fy_start), $grain, $fy_start) END AS period,
       CASE WHEN $grain <> 'all' THEN period_start(close_date, $grain, $fy_start) END AS period_start,
       count(*) AS won, count(amount) AS won_with_amount, count(*) - count(amount) AS without_amount,
       sum(amount) AS won_amount, avg(amount) AS average_won_deal
FROM closed_in_scope($date_from, $date_to, $region, $segment, $owner, $product, FALSE, $dim)
WHERE is_won AND ($grain = 'all' OR close_date IS NOT NULL)
GROUP BY ALL
ORDER BY member, period_start
