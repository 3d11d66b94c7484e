-- Deals to look at, open at snapshot $s (shared/METRICS.md):
--   slipped: the close date moved to a later month at least once (push count = how many times);
--   overdue: open with a close date before $s;
--   stale: stage, amount and close date unchanged across the last $stale_snapshots snapshots.
WITH o AS (
    SELECT id, close_date, value FROM snapshot_at($s)
    WHERE NOT is_closed
      AND in_scope(region, segment, owner, product, $region, $segment, $owner, $product)
), flagged AS (     -- the histories that put a deal on the list by themselves (few)
    SELECT id, pushes FROM deal_history WHERE pushes > 0 OR unchanged_snapshots >= $stale_snapshots
), picked AS (      -- rank on narrow rows; names, labels and history only for the ones kept
    SELECT o.id, o.value AS amount, o.close_date, coalesce(f.pushes, 0) AS pushes,
           CASE WHEN o.close_date < $s THEN date_diff('day', o.close_date, $s) END AS days_overdue
    FROM o LEFT JOIN flagged f ON f.id = o.id
    WHERE f.id IS NOT NULL OR o.close_date < $s
    ORDER BY pushes DESC, days_overdue DESC NULLS LAST, amount DESC NULLS LAST, id
    LIMIT $limit
)
SELECT p.id, d.name, d.account, d.owner, d.region, d.segment, d.stage, p.amount, p.close_date, h.first_close,
       p.pushes, p.days_overdue, coalesce(h.unchanged_snapshots, 0) AS unchanged_snapshots, h.last_change,
       p.pushes > 0 AS slipped, p.close_date < $s AS overdue,
       coalesce(h.unchanged_snapshots, 0) >= $stale_snapshots AS stale
FROM picked p JOIN snapshot_at($s) d ON d.id = p.id LEFT JOIN deal_history h ON h.id = p.id
ORDER BY p.pushes DESC, p.days_overdue DESC NULLS LAST, p.amount DESC NULLS LAST, p.id
