-- Loss reasons ranked (Pareto): per reason, the losses closed in the range giving it, their
-- amount, its share of all those losses and the cumulative share down the ranking. Losses
-- without a reason count under '(no reason given)'. With exclude_nd, "No decision" is left out.
WITH lost AS (
    SELECT coalesce(loss_reason, '(no reason given)') AS reason, amount
    FROM closed_in_scope($date_from, $date_to, $region, $segment, $owner, $product, $exclude_nd, $dim)
    WHERE NOT is_won
), ranked AS (
    SELECT reason, count(*) AS losses, coalesce(sum(amount), 0) AS lost_amount
    FROM lost GROUP BY reason
)
SELECT reason, losses, lost_amount,
       losses / sum(losses) OVER () AS share,
       sum(losses) OVER (ORDER BY losses DESC, reason ROWS UNBOUNDED PRECEDING)
           / sum(losses) OVER () AS cumulative_share
FROM ranked
ORDER BY losses DESC, reason
