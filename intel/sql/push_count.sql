-- Push count (shared/METRICS.md: a slipped deal's push count is how many times its close date
-- moved to a later month) per member of $dim ('total': everything under 'All'), at snapshot $s:
--   pushes = the most pushes of one open deal; open_deals = the open deals behind it.
-- A deal without a value for the dimension is the member '(none)'.
SELECT CASE WHEN $dim = 'total' THEN 'All'
            ELSE coalesce(CASE $dim WHEN 'region' THEN o.region WHEN 'segment' THEN o.segment
                                    WHEN 'owner' THEN o.owner WHEN 'team' THEN o.team
                                    WHEN 'manager' THEN o.manager WHEN 'industry' THEN o.industry
                                    WHEN 'country' THEN o.country WHEN 'product' THEN o.product
                                    WHEN 'product_family' THEN o.product_family
                                    WHEN 'competitor' THEN o.competitor
                                    WHEN 'lead_source' THEN o.lead_source END, '(none)') END AS member,
       count(*) AS open_deals,
       max(coalesce(h.pushes, 0)) AS pushes
FROM snapshot_at($s) o
LEFT JOIN deal_history h ON h.id = o.id
WHERE NOT o.is_closed
  AND chosen(o.region, $region) AND chosen(o.segment, $segment)
  AND chosen(o.owner, $owner) AND chosen(o.product, $product)
GROUP BY ALL
ORDER BY pushes DESC, member
