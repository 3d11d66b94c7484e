-- What is loaded, per kind: rows in the store, the date range they cover, the latest import.
-- Opportunities count the deals as of their latest snapshot, and the snapshots held.
WITH latest AS (
    SELECT kind, max(imported_at) AS last_import, count(*) AS imports
    FROM imports WHERE undone_at IS NULL GROUP BY kind
)
SELECT 'opportunities' AS kind, count(*) AS rows, min(close_date) AS first_date,
       max(close_date) AS last_date,
       (SELECT count(DISTINCT snapshot_date) FROM opportunities) AS snapshots
FROM opportunities_current
UNION ALL
SELECT 'stage_history', count(*), min(changed_at)::DATE, max(changed_at)::DATE, NULL FROM stage_history
UNION ALL
SELECT 'targets_forecasts', count(*), min(period), max(period), NULL FROM targets_forecasts
UNION ALL
SELECT 'accounts', count(*), NULL, NULL, NULL FROM accounts
UNION ALL
SELECT 'market', count(*), min(period), max(period), NULL FROM market
UNION ALL
SELECT 'fx_rates', count(*), min(as_of), max(as_of), NULL FROM fx_rates
