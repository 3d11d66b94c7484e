-- Pipeline velocity per member (shared/METRICS.md), as of snapshot $s:
--   velocity ($/day) = open qualified deals × win rate × average won deal ÷ sales cycle days
-- open qualified deals: open at $s and past the first stage (stage_order > 1);
-- win rate, average won deal and sales cycle (median days, created → close, of won deals):
-- over the deals closed in the trailing window, $window_from to $s inclusive (the 3N calendar months
-- ending on $s, from intel.periods.trailing_window). Members missing a factor get no velocity.
WITH open_deals AS (
    SELECT deal_member($dim, region, segment, owner, team, manager, industry, country, product,
                       product_family, competitor, lead_source, deal_type,
                       NULL) AS member,   -- snapshot rows carry no deal-size band (a deal fact)
           count(*) FILTER (WHERE stage_order > 1) AS open_qualified
    FROM snapshot_rows($s_import)   -- the rows of snapshot $s (its import)
    WHERE NOT is_closed
      AND in_scope(region, segment, owner, product, $region, $segment, $owner, $product)
    GROUP BY ALL
), closed AS (
    SELECT member,    -- closed_in_scope: with $exclude_nd, "No decision" losses leave the win rate
           count(*) FILTER (WHERE is_won) AS won, count(*) AS closed,
           avg(amount) FILTER (WHERE is_won) AS avg_won_deal,
           median(cycle_days) FILTER (WHERE is_won) AS cycle_days
    FROM closed_in_scope(NULL, NULL, $region, $segment, $owner, $product, $exclude_nd, $dim)
    WHERE is_closed AND close_date >= CAST($window_from AS DATE) AND close_date <= $s
    GROUP BY ALL
)
SELECT member, coalesce(o.open_qualified, 0) AS open_qualified, c.won, c.closed,
       c.won / nullif(c.closed, 0) AS win_rate, c.avg_won_deal, c.cycle_days,
       coalesce(o.open_qualified, 0) * (c.won / nullif(c.closed, 0)) * c.avg_won_deal
           / nullif(c.cycle_days, 0) AS velocity
FROM open_deals o FULL OUTER JOIN closed c USING (member)
ORDER BY velocity DESC NULLS LAST, member
