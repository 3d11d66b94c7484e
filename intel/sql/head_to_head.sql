-- Head-to-head win rate (shared/METRICS.md): the win rate over the deals naming that
-- competitor, closed in the range, with its Wilson interval, and the competitor's presence in
-- all our losses of the range (losses naming it ÷ all losses). Ordered by losses to it.
WITH closed AS (
    SELECT competitor, is_won, amount
    FROM closed_in_scope($date_from, $date_to, $region, $segment, $owner, $product, $exclude_nd, $dim)
), all_losses AS (
    SELECT count(*) FILTER (WHERE NOT is_won) AS losses FROM closed
)
SELECT competitor,
       count(*) FILTER (WHERE is_won) AS won,
       count(*) FILTER (WHERE NOT is_won) AS lost,
       count(*) AS closed,
       count(*) FILTER (WHERE is_won) / count(*) AS win_rate,
       wilson_low(count(*) FILTER (WHERE is_won), count(*)) AS win_rate_low,
       wilson_high(count(*) FILTER (WHERE is_won), count(*)) AS win_rate_high,
       coalesce(sum(amount) FILTER (WHERE NOT is_won), 0) AS lost_amount,
       count(*) FILTER (WHERE NOT is_won) / nullif(any_value(a.losses), 0) AS presence_in_losses,
       count(*) < $min_sample AS small_sample
FROM closed CROSS JOIN all_losses a
WHERE competitor IS NOT NULL
GROUP BY competitor
ORDER BY lost DESC, competitor
