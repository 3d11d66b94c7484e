-- FX by day: for each currency with rates (fx_points) and each day from the first to the last
-- close date of its deals (1900-2100 at most), the rate in force that day (units per one unit
-- of the reporting currency); the day 9999-12-30 stands for deals without a close date and
-- carries the latest rate. Deals then convert through an equality join (resolved_deals).
WITH points AS (
    SELECT * FROM fx_points
), span AS (
    SELECT greatest(coalesce(min(close_date), current_date), DATE '1900-01-01') AS lo,
           least(coalesce(max(close_date), current_date), DATE '2100-12-31') AS hi
    FROM opportunities WHERE currency IN (SELECT currency FROM points)
), days AS (
    SELECT CAST(unnest(range(CAST(lo AS TIMESTAMP), CAST(hi AS TIMESTAMP) + INTERVAL 1 DAY,
                             INTERVAL 1 DAY)) AS DATE) AS day
    FROM span
), grid AS (
    SELECT c.currency, d.day FROM (SELECT DISTINCT currency FROM points) c CROSS JOIN days d
    UNION ALL
    SELECT DISTINCT currency, DATE '9999-12-30' FROM points
)
SELECT g.currency, g.day, p.per_reporting
FROM grid g ASOF JOIN points p ON p.currency = g.currency AND g.day >= p.valid_from
