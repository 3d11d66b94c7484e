-- Deal history across the snapshots (each snapshot date read from the import standing for it):
--   pushes: how many times the close date moved from one month to a later one (a slip);
--   first_close / last_close: the close date first and last seen;
--   last_change: the snapshot where stage, amount or close date last changed (or first seen);
--   unchanged_snapshots: snapshots seen since then (stale when large and the deal is open).
WITH seq AS (
    SELECT o.id, o.snapshot_date, o.close_date,
           row_number() OVER w AS n,
           date_trunc('month', o.close_date) > date_trunc('month', lag(o.close_date) OVER w) AS pushed,
           row_number() OVER w = 1
               OR o.close_date IS DISTINCT FROM lag(o.close_date) OVER w
               OR o.stage IS DISTINCT FROM lag(o.stage) OVER w
               OR o.amount IS DISTINCT FROM lag(o.amount) OVER w AS changed
    FROM opportunities o JOIN snapshot_dates s ON s.import_id = o.import_id
    WINDOW w AS (PARTITION BY o.id ORDER BY o.snapshot_date)
)
SELECT id, count(*) AS snapshots, count(*) FILTER (WHERE pushed) AS pushes,
       arg_min(close_date, snapshot_date) AS first_close, arg_max(close_date, snapshot_date) AS last_close,
       max(snapshot_date) FILTER (WHERE changed) AS last_change,
       count(*) - max(n) FILTER (WHERE changed) AS unchanged_snapshots,
       max(snapshot_date) AS latest_snapshot
FROM seq
GROUP BY id
