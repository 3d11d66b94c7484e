-- Deals to look at, open at snapshot $s (shared/METRICS.md):
--   slipped: the close date moved to a later month at least once (push count = how many times);
--   overdue: open with a close date before $s;
--   stale: stage, amount and close date unchanged across the last $stale_snapshots snapshots.
WITH o AS (        -- the snapshot is read once: the few rows kept carry their names and labels along
    SELECT id, name, account, owner, region, segment, stage, close_date, value FROM snapshot_at($s)
    WHERE NOT is_closed
      AND in_scope(region, segment, owner, product, $region, $segment, $owner, $product)
), flagged AS (     -- the histories that put a deal on the list by themselves (few)
    SELECT id, pushes FROM deal_history WHERE pushes > 0 OR unchanged_snapshots >= $stale_snapshots
), picked AS (
    SELECT o.* EXCLUDE (value), o.value AS amount, coalesce(f.pushes, 0) AS pushes,
           CASE WHEN o.close_date < $s THEN date_diff('day', o.close_date, $s) END AS days_overdue
    FROM o LEFT JOIN flagged f ON f.id = o.id
    WHERE f.id IS NOT NULL OR o.close_date < $s
    ORDER BY pushes DESC, days_overdue DESC NULLS LAST, amount DESC NULLS LAST, id
    LIMIT $limit
)
SELECT p.id, p.name, p.account, p.owner, p.region, p.segment, p.stage, p.amount, p.close_date, h.first_close,
       p.pushes, p.days_overdue, coalesce(h.unchanged_snapshots, 0) AS unchanged_snapshots, h.last_change,
       p.pushes > 0 AS slipped, p.close_date < $s AS overdue,
       coalesce(h.unchanged_snapshots, 0) >= $stale_snapshots AS stale
FROM picked p LEFT JOIN deal_history h ON h.id = p.id
ORDER BY p.pushes DESC, p.days_overdue DESC NULLS LAST, p.amount DESC NULLS LAST, p.id
