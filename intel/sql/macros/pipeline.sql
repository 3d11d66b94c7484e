-- Pipeline snapshots and the movement between two of them (shared/METRICS.md, Pipeline).

-- The deals of the snapshot import imp, resolved (resolved_deals), value in the reporting
-- currency (NULL: no FX rate). Read from snapshot_deals, the snapshot rows resolved once per
-- import by intel.models.refresh (which every metric runs first): resolving them here took a
-- fifth to a half of each Pipeline query's time at 1M deals. Given the import as a constant
-- (intel.pipeline.snapshot_params: $s_import), the scan skips the other imports' rows by the
-- table's zone maps; snapshot_at looks it up from the date, a join over every row it reads.
CREATE OR REPLACE MACRO snapshot_rows(imp) AS TABLE
SELECT * EXCLUDE (amount_reporting), CAST(amount_reporting AS DOUBLE) AS value
FROM snapshot_deals
WHERE import_id = imp;

-- The deals as exported on date snap (the import standing for that snapshot date).
CREATE OR REPLACE MACRO snapshot_at(snap) AS TABLE
SELECT * FROM snapshot_rows((SELECT import_id FROM snapshot_dates WHERE snapshot_date = snap));

-- Pipeline movement of target period [p_start, p_end] between snapshots s0 and s1.
-- The pipeline of P at a snapshot is its open deals closing in P.
-- In P at s0: leaves as won / lost (closed, or gone from the export) / pushed_out (open, close
-- date now outside P), or stays and grew / shrank / unchanged. In P at s1 only: new (not in
-- s0) or pulled_in (in s0 with a close date outside P). Amounts leaving count at their s0 value,
-- amounts entering at their s1 value, changes by their delta, so
-- start − won − lost − pushed_out + grew − shrank + new + pulled_in = end exactly.
-- Deals not in s0 and closed by s1 with a close date in P are created_and_closed (apart).
-- Only the deals of P at either snapshot are joined (a tenth of the export, not all of it): those
-- open in P at s0 with their s1 row, then those closing in P at s1 (open: in P; closed: created
-- and closed) not already counted, with their s0 row; both halves give the two rows' columns the
-- same way (COLUMNS(a.*) AS '\0_0': every column of the s0 row, named with _0), read once in j.
-- Each snapshot is read where it is used (a CTE read twice would be materialised whole).
CREATE OR REPLACE MACRO movement(s0, s1, p_start, p_end, regions, segments, owners, products) AS TABLE
WITH pairs AS (   -- each deal's row at s0 (columns _0) and at s1 (_1), NULL where it is not there
    SELECT COLUMNS(a.*) AS '\0_0', COLUMNS(b.*) AS '\0_1', true AS in_p0
    FROM (SELECT * FROM snapshot_at(s0) WHERE NOT is_closed AND close_date BETWEEN p_start AND p_end) a
    LEFT JOIN snapshot_at(s1) b ON a.id = b.id
    UNION ALL
    SELECT COLUMNS(a.*) AS '\0_0', COLUMNS(b.*) AS '\0_1', false AS in_p0
    FROM (SELECT * FROM snapshot_at(s1) WHERE close_date BETWEEN p_start AND p_end) b
    LEFT JOIN snapshot_at(s0) a ON a.id = b.id
    WHERE NOT coalesce(NOT a.is_closed AND a.close_date BETWEEN p_start AND p_end, false)   -- in P at s0: above
), j AS (
    SELECT coalesce(id_1, id_0) AS id, coalesce(name_1, name_0) AS name,
           coalesce(account_1, account_0) AS account, coalesce(owner_1, owner_0) AS owner,
           coalesce(region_1, region_0) AS region, coalesce(segment_1, segment_0) AS segment,
           coalesce(product_1, product_0) AS product,
           id_0 IS NOT NULL AS in_s0, id_1 IS NOT NULL AS in_s1,
           stage_0, stage_1, close_date_0 AS close_0, close_date_1 AS close_1,
           coalesce(value_0, 0) AS amount_0, coalesce(value_1, 0) AS amount_1, in_p0,
           coalesce(NOT is_closed_1 AND close_date_1 BETWEEN p_start AND p_end, false) AS in_p1,
           coalesce(is_closed_1, false) AS closed_1, coalesce(is_won_1, false) AS won_1
    FROM pairs
)
SELECT id, name, account, owner, region, segment, product, stage_0, stage_1, close_0, close_1,
       amount_0, amount_1,
       CASE WHEN in_p0 AND in_p1 THEN CASE WHEN amount_1 > amount_0 THEN 'grew'
                                           WHEN amount_1 < amount_0 THEN 'shrank' ELSE 'unchanged' END
            WHEN in_p0 AND won_1 THEN 'won'
            WHEN in_p0 AND (closed_1 OR NOT in_s1) THEN 'lost'
            WHEN in_p0 THEN 'pushed_out'
            WHEN in_p1 AND NOT in_s0 THEN 'new'
            WHEN in_p1 THEN 'pulled_in'
            ELSE 'created_and_closed' END AS category,
       in_p0, in_p1,
       CASE WHEN in_p0 AND in_p1 THEN amount_1 - amount_0
            WHEN in_p0 THEN -amount_0
            ELSE amount_1 END AS change
FROM j
WHERE (in_p0 OR in_p1 OR (NOT in_s0 AND closed_1 AND close_1 BETWEEN p_start AND p_end))
  AND in_scope(region, segment, owner, product, regions, segments, owners, products);
