-- Landing states (shared/METRICS.md, Projection): every deal open at each as-of point
-- (landing_points: point_id, as_of, p_start, p_end, registered by intel.landing), as it stood
-- then, with the features its close chance is learnt by and what became of it.
--   source       'snapshot': the latest pipeline snapshot on or before the as-of day, within 7
--                days (stage, amount, expected close as exported then); otherwise 'closed
--                history': deals created by then and not closed before it, from the latest
--                data, with the stage the stage history gives (else unknown) and no expected
--                close date (the final one would tell the outcome).
--   timing       of the expected close: 'overdue' (before the as-of day), 'in period' (to the
--                period's last day), 'later', or 'unknown'
--   age_band     days in the current stage at the as-of day (stage events): '0-30 days',
--                '31-90 days', 'over 90 days', or 'unknown'
--   won_in_period  closed won with a close date in the period (final data); slipped: not
--                closed in the period; final_amount: the amount it closed at (reporting currency)
--   has_amount   the export gave an amount (amount NULL with has_amount: no exchange rate)
-- A snapshot's deal the final data shows closed by the as-of day is left out (it closed between
-- the snapshot and that day). Rows come ordered by point, the priced deals first, and deal id.
-- Scope (the global filters) is applied by the caller: training reads every deal. The point's days
-- are the caller's own (one per point, not repeated on a million rows).
WITH pts AS (
    SELECT point_id, CAST(as_of AS DATE) AS as_of, CAST(p_start AS DATE) AS p_start,
           CAST(p_end AS DATE) AS p_end FROM landing_points
), snap AS (
    SELECT p.point_id, max(s.snapshot_date) AS snapshot_date
    FROM pts p JOIN snapshot_dates s
      ON s.snapshot_date <= p.as_of AND s.snapshot_date > p.as_of - INTERVAL 7 DAY
    GROUP BY p.point_id
), snap_rows AS (
    SELECT p.point_id, o.id, o.name, o.account, o.owner, o.region, o.segment, o.product,
           o.stage, o.stage_order, CAST(o.amount_reporting AS DOUBLE) AS amount, o.probability,
           o.amount IS NOT NULL AS has_amount,
           o.close_date AS expected_close, 'snapshot' AS source, s.snapshot_date
    FROM pts p
    JOIN snap s USING (point_id)
    JOIN snapshot_dates sd ON sd.snapshot_date = s.snapshot_date
    JOIN resolved_deals('opportunities') o ON o.import_id = sd.import_id
    WHERE NOT o.is_closed
), history_points AS (   -- the points no snapshot reaches: read before the deals are, so a
    SELECT * FROM pts WHERE point_id NOT IN (SELECT point_id FROM snap)   -- snapshot point skips them
), history_stage AS (   -- the stage a stage history (not the snapshots) gives at each point
    SELECT p.point_id, e.id, arg_max(e.stage, e.entered_at) AS stage,
           arg_max(e.stage_order, e.entered_at) AS stage_order
    FROM history_points p JOIN stage_events e ON e.entered_at <= p.as_of AND e.source = 'stage history'
    GROUP BY p.point_id, e.id
), history_rows AS (
    SELECT p.point_id, f.id, f.name, f.account, f.owner, f.region, f.segment, f.product,
           h.stage, h.stage_order, f.amount, NULL::DOUBLE AS probability, f.has_amount,
           NULL::DATE AS expected_close, 'closed history' AS source, NULL::DATE AS snapshot_date
    FROM history_points p
    JOIN deal_facts f ON f.created_date <= p.as_of AND (NOT f.is_closed OR f.close_date > p.as_of)
    LEFT JOIN history_stage h ON h.point_id = p.point_id AND h.id = f.id
), states AS (
    SELECT * FROM snap_rows UNION ALL BY NAME SELECT * FROM history_rows
), entered AS (   -- when each deal entered the stage it held at the point
    SELECT s.point_id, s.id, max(e.entered_at) AS entered_at
    FROM states s JOIN pts p USING (point_id)
    JOIN stage_events e ON e.id = s.id AND e.stage = s.stage AND e.entered_at <= p.as_of
    GROUP BY s.point_id, s.id
)
SELECT s.point_id, s.id, s.name, s.account, s.owner, s.region, s.segment,
       s.product, coalesce(s.stage, 'Unknown stage') AS stage, s.stage_order, s.amount, s.probability,
       s.has_amount,
       -- the snapshot's day as a timestamp: one per point, read as 8 bytes a row, not a date object
       s.expected_close, s.source, CAST(s.snapshot_date AS TIMESTAMP) AS snapshot_date,
       CASE WHEN s.expected_close IS NULL THEN 'unknown'
            WHEN s.expected_close < p.as_of THEN 'overdue'
            WHEN s.expected_close <= p.p_end THEN 'in period' ELSE 'later' END AS timing,
       date_diff('day', CAST(e.entered_at AS DATE), p.as_of) AS stage_age_days,
       CASE WHEN e.entered_at IS NULL THEN 'unknown'
            WHEN date_diff('day', CAST(e.entered_at AS DATE), p.as_of) <= 30 THEN '0-30 days'
            WHEN date_diff('day', CAST(e.entered_at AS DATE), p.as_of) <= 90 THEN '31-90 days'
            ELSE 'over 90 days' END AS age_band,
       coalesce(h.pushes, 0) AS pushes,
       coalesce(f.is_won AND f.close_date BETWEEN p.p_start AND p.p_end, false) AS won_in_period,
       NOT coalesce(f.is_closed AND f.close_date BETWEEN p.p_start AND p.p_end, false) AS slipped,
       f.amount AS final_amount
FROM states s
JOIN pts p USING (point_id)
LEFT JOIN entered e ON e.point_id = s.point_id AND e.id = s.id
LEFT JOIN deal_facts f ON f.id = s.id
LEFT JOIN deal_history h ON h.id = s.id
-- a deal the data shows closed by the as-of day (between the snapshot and it) is no longer open:
-- a won one counts in won to date already
WHERE NOT coalesce(f.is_closed AND f.close_date <= p.as_of, false)
-- a deal's random draws follow its row: the same order every time. The priced deals (those simulated)
-- come first, so the projection takes them as a slice of the rows, not a copy
ORDER BY s.point_id, coalesce(s.amount > 0, false) DESC, s.id
