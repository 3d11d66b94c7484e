-- Stage events: each time a deal entered a stage, when it left and for which stage. From the
-- imported stage history when there is one (Salesforce OpportunityHistory), otherwise from
-- successive snapshots (a deal "enters" a stage at the first snapshot showing it there, so
-- times are to the week and a stage already held at the first snapshot starts there).
-- best_later: the highest stage order the deal reached afterwards, Closed Lost aside.
-- region, segment, owner, product: the deal's, from deal_facts (NULL for a deal no snapshot
-- holds), so filtering stage events needs no join.
WITH src AS (
    SELECT opportunity_id AS id, stage, stage_order, changed_at AS seen_at, 'stage history' AS source
    FROM stage_history
    WHERE (SELECT count(*) FROM stage_history) > 0
    UNION ALL
    SELECT o.id, o.stage, o.stage_order, CAST(o.snapshot_date AS TIMESTAMP) AS seen_at, 'snapshots'
    FROM opportunities o JOIN snapshot_dates s ON s.import_id = o.import_id
    WHERE (SELECT count(*) FROM stage_history) = 0
), entries AS (
    SELECT id, stage, stage_order, seen_at, source,
           lag(stage) OVER (PARTITION BY id ORDER BY seen_at) AS prev
    FROM src
)
SELECT e.*, max(CASE WHEN e.stage <> 'Closed Lost' THEN e.stage_order END)
              OVER (PARTITION BY e.id ORDER BY e.entered_at
                    ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS best_later,
       f.region, f.segment, f.owner, f.product
FROM (
    SELECT id, stage, stage_order, seen_at AS entered_at,
           lead(seen_at) OVER w AS left_at, lead(stage) OVER w AS next_stage,
           lead(stage_order) OVER w AS next_order, source
    FROM entries
    WHERE prev IS NULL OR prev <> stage
    WINDOW w AS (PARTITION BY id ORDER BY seen_at)) e
LEFT JOIN deal_facts f ON f.id = e.id
