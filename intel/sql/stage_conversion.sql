-- Stage conversion and time in stage (shared/METRICS.md), over stage entries in the range:
--   conversion = deals that went on to a later stage (a higher open stage or Closed Won; a
--                move back and forward again still counts once) ÷ deals that entered the stage;
--   time in stage = median days from entering the stage to leaving it (stays still open are
--                left out). source says whether stage history or successive snapshots were used.
-- A deal entering a stage more than once in the range counts once, by its first entry there
-- (prev_entered_at, its entry before, is not in the range): best_later, the highest stage it
-- reached afterwards, can only fall from one entry to the next, so whether it moved on from any
-- of its entries is whether it moved on from the first. One pass over the entries, no grouping
-- by deal (which hashed every entry's deal id: most of the query's time at a million deals).
WITH entered AS (
    SELECT s.stage, s.stage_order, s.entered_at, s.left_at,
           coalesce(s.prev_entered_at IS NULL OR s.prev_entered_at < $date_from, false) AS first_entry,
           coalesce(s.best_later > s.stage_order, false) AS moved_on
    FROM stage_events s   -- its region... are the deal's (NULL when no snapshot holds it)
    -- entered on a day of the range: up to, not including, midnight after its last day
    WHERE ($date_from IS NULL OR (s.entered_at >= $date_from AND s.entered_at < CAST($date_to AS DATE) + INTERVAL 1 DAY))
      AND s.stage NOT IN ('Closed Won', 'Closed Lost')
      AND in_scope(s.region, s.segment, s.owner, s.product, $region, $segment, $owner, $product)
)
SELECT stage, any_value(stage_order) AS stage_order,
       count(*) FILTER (WHERE first_entry) AS entered,
       count(*) FILTER (WHERE first_entry AND moved_on) AS moved_on,
       count(*) FILTER (WHERE first_entry AND moved_on) / count(*) FILTER (WHERE first_entry) AS conversion,
       median(date_diff('day', entered_at, left_at))
           FILTER (WHERE left_at IS NOT NULL) AS median_days_in_stage,   -- stays still open: left out
       (SELECT any_value(source) FROM stage_events) AS source
FROM entered
GROUP BY stage
ORDER BY stage_order, stage
