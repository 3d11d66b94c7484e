-- Open pipeline at a snapshot by stage (shared/METRICS.md): open deals (not closed), their
-- amount summed (reporting currency) and weighted by probability; deals without a rate count
-- in deals but not in amounts.
SELECT stage, any_value(stage_order) AS stage_order, count(*) AS deals,
       coalesce(sum(value), 0) AS amount, coalesce(sum(value * probability), 0) AS weighted
FROM snapshot_rows($s_import)   -- the import standing for the snapshot
WHERE NOT is_closed
  AND in_scope(region, segment, owner, product, $region, $segment, $owner, $product)
GROUP BY stage
ORDER BY stage_order, stage
