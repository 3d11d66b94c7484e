-- Stage conversion and time in stage (shared/METRICS.md), over stage entries in the range:
--   conversion = deals that went on to a later stage (a higher open stage or Closed Won; a
--                move back and forward again still counts once) ÷ deals that entered the stage;
--   time in stage = median days from entering the stage to leaving it (stays still open are
--                left out). source says whether stage history or successive snapshots were used.
WITH entered AS (
    SELECT * FROM stage_events s   -- its region... are the deal's (NULL when no snapshot holds it)
    -- entered on a day of the range: up to, not including, midnight after its last day
    WHERE ($date_from IS NULL OR (s.entered_at >= $date_from AND s.entered_at < CAST($date_to AS DATE) + INTERVAL 1 DAY))
      AND s.stage NOT IN ('Closed Won', 'Closed Lost')
      AND in_scope(s.region, s.segment, s.owner, s.product, $region, $segment, $owner, $product)
), per_deal AS (
    SELECT stage, any_value(stage_order) AS stage_order, id,
           bool_or(coalesce(best_later > stage_order, false)) AS moved_on
    FROM entered GROUP BY stage, id
)
SELECT p.stage, any_value(p.stage_order) AS stage_order, count(*) AS entered,
       count(*) FILTER (WHERE p.moved_on) AS moved_on,
       count(*) FILTER (WHERE p.moved_on) / count(*) AS conversion,
       (SELECT median(date_diff('day', x.entered_at, x.left_at)) FROM entered x
        WHERE x.stage = p.stage AND x.left_at IS NOT NULL) AS median_days_in_stage,
       (SELECT any_value(source) FROM stage_events) AS source
FROM per_deal p
GROUP BY p.stage
ORDER BY stage_order, p.stage
