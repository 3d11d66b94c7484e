-- Pipeline velocity per member (shared/METRICS.md), as of snapshot $s:
--   velocity ($/day) = open qualified deals × win rate × average won deal ÷ sales cycle days
-- open qualified deals: open at $s and past the first stage (stage_order > 1);
-- win rate, average won deal and sales cycle (median days, created → close, of won deals):
-- over the deals closed in the $window_days days up to $s. Members missing a factor get no velocity.
WITH open_deals AS (
    SELECT member_of($dim, region, segment, owner, team, manager, industry, country, product, product_family,
                     competitor, lead_source, deal_type, NULL) AS member,
           count(*) FILTER (WHERE stage_order > 1) AS open_qualified
    FROM snapshot_at($s)
    WHERE NOT is_closed
      AND chosen(region, $region) AND chosen(segment, $segment)
      AND chosen(owner, $owner) AND chosen(product, $product)
    GROUP BY ALL
), closed AS (
    SELECT member_of($dim, region, segment, owner, team, manager, industry, country, product, product_family,
                     competitor, lead_source, deal_type, deal_size_band) AS member,
           count(*) FILTER (WHERE is_won) AS won, count(*) AS closed,
           avg(amount) FILTER (WHERE is_won) AS avg_won_deal,
           median(cycle_days) FILTER (WHERE is_won) AS cycle_days
    FROM deal_facts
    WHERE is_closed AND close_date > $s - to_days(CAST($window_days AS INTEGER)) AND close_date <= $s
      AND chosen(region, $region) AND chosen(segment, $segment)
      AND chosen(owner, $owner) AND chosen(product, $product)
    GROUP BY ALL
)
SELECT member, coalesce(o.open_qualified, 0) AS open_qualified, c.won, c.closed,
       c.won / nullif(c.closed, 0) AS win_rate, c.avg_won_deal, c.cycle_days,
       coalesce(o.open_qualified, 0) * (c.won / nullif(c.closed, 0)) * c.avg_won_deal
           / nullif(c.cycle_days, 0) AS velocity
FROM open_deals o FULL OUTER JOIN closed c USING (member)
ORDER BY velocity DESC NULLS LAST, member
