-- Deals to look at, open at snapshot $s (shared/METRICS.md):
--   slipped: the close date moved to a later month at least once (push count = how many times);
--   overdue: open with a close date before $s;
--   stale: stage, amount and close date unchanged across the last $stale_snapshots snapshots.
SELECT o.id, o.name, o.account, o.owner, o.region, o.segment, o.stage, o.value AS amount,
       o.close_date, h.first_close, coalesce(h.pushes, 0) AS pushes,
       CASE WHEN o.close_date < $s THEN date_diff('day', o.close_date, $s) END AS days_overdue,
       coalesce(h.unchanged_snapshots, 0) AS unchanged_snapshots, h.last_change,
       coalesce(h.pushes, 0) > 0 AS slipped, o.close_date < $s AS overdue,
       coalesce(h.unchanged_snapshots, 0) >= $stale_snapshots AS stale
FROM snapshot_at($s) o LEFT JOIN deal_history h ON h.id = o.id
WHERE NOT o.is_closed
  AND (coalesce(h.pushes, 0) > 0 OR o.close_date < $s OR coalesce(h.unchanged_snapshots, 0) >= $stale_snapshots)
  AND chosen(o.region, $region) AND chosen(o.segment, $segment)
  AND chosen(o.owner, $owner) AND chosen(o.product, $product)
ORDER BY pushes DESC, days_overdue DESC NULLS LAST, amount DESC NULLS LAST
LIMIT $limit
