-- Landing, new deals (shared/METRICS.md, Projection): for each as-of point (landing_points),
-- the deals created after the as-of day and won with a close date in the point's period:
-- what a period books beyond the pipeline it held at that day. Scope is applied by the caller.
SELECT p.point_id, f.id, f.amount, f.region, f.segment, f.owner, f.product
FROM landing_points p
JOIN deal_facts f
  ON f.is_won AND f.created_date > CAST(p.as_of AS DATE)
 AND f.close_date BETWEEN CAST(p.p_start AS DATE) AND CAST(p.p_end AS DATE)
WHERE f.amount IS NOT NULL
ORDER BY p.point_id, f.id
