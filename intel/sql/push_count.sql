-- Push count (shared/METRICS.md: a slipped deal's push count is how many times its close date
-- moved to a later month) per member of $dim ('total': everything under 'All'), at snapshot $s:
--   pushes = the most pushes of one open deal; open_deals = the open deals behind it.
-- A deal without a value for the dimension is the member '(none)'; snapshot rows carry no
-- deal-size band. Only the histories with a push are joined (few): a deal without one counts 0.
SELECT deal_member($dim, o.region, o.segment, o.owner, o.team, o.manager, o.industry, o.country,
                   o.product, o.product_family, o.competitor, o.lead_source, o.deal_type, NULL) AS member,
       count(*) AS open_deals,
       max(coalesce(h.pushes, 0)) AS pushes
FROM snapshot_at($s) o
LEFT JOIN (SELECT id, pushes FROM deal_history WHERE pushes > 0) h ON h.id = o.id
WHERE NOT o.is_closed
  AND in_scope(o.region, o.segment, o.owner, o.product, $region, $segment, $owner, $product)
GROUP BY ALL
ORDER BY pushes DESC, member
