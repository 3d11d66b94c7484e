-- Stage events: each time a deal entered a stage, when it left and for which stage. From the
-- imported stage history when there is one (Salesforce OpportunityHistory), otherwise from
-- successive snapshots (a deal "enters" a stage at the first snapshot showing it there, so
-- times are to the week and a stage already held at the first snapshot starts there).
-- best_later: the highest stage order the deal reached afterwards, Closed Lost aside.
-- prev_entered_at: when the deal last entered the same stage before (NULL: the first time).
-- region, segment, owner, product: the deal's, from deal_facts (NULL for a deal no snapshot
-- holds), so filtering stage events needs no join. Changes with the same time follow the
-- stage order, then the file's row order (stage_history.file_row).
WITH src AS (
    SELECT opportunity_id AS id, stage, stage_order, changed_at AS seen_at, import_id, file_row,
           'stage history' AS source
    FROM stage_history
    WHERE (SELECT count(*) FROM stage_history) > 0
    UNION ALL
    SELECT o.id, o.stage, o.stage_order, CAST(o.snapshot_date AS TIMESTAMP) AS seen_at, NULL, NULL, 'snapshots'
    FROM opportunities o JOIN snapshot_dates s ON s.import_id = o.import_id
    WHERE (SELECT count(*) FROM stage_history) = 0
), entries AS (
    -- changes stamped with the same time: by stage order, then in the file's order (n)
    SELECT id, stage, stage_order, seen_at, source,
           row_number() OVER w AS n, lag(stage) OVER w AS prev
    FROM src
    WINDOW w AS (PARTITION BY id ORDER BY seen_at, stage_order NULLS LAST, import_id, file_row)
)
SELECT e.* EXCLUDE (n), max(CASE WHEN e.stage <> 'Closed Lost' THEN e.stage_order END)
              OVER (PARTITION BY e.id ORDER BY e.n
                    ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS best_later,
       -- the entries before this one, latest first: when the first of them in this stage was entered
       -- (lists over the deal's window, not a window by deal and stage: that sorted every entry again)
       list_reverse(list(e.entered_at) OVER earlier)[
           list_position(list_reverse(list(e.stage) OVER earlier), e.stage)] AS prev_entered_at,
       f.region, f.segment, f.owner, f.product
FROM (
    SELECT id, stage, stage_order, seen_at AS entered_at, n,
           lead(seen_at) OVER w AS left_at, lead(stage) OVER w AS next_stage,
           lead(stage_order) OVER w AS next_order, source
    FROM entries
    WHERE prev IS NULL OR prev <> stage
    WINDOW w AS (PARTITION BY id ORDER BY n)) e
LEFT JOIN deal_facts f ON f.id = e.id
WINDOW earlier AS (PARTITION BY e.id ORDER BY e.n ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
