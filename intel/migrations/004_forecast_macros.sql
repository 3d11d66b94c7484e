-- Forecast versus actual, per report period and member of a dimension (shared/METRICS.md).
--   actual   = amount of deals won with close date in the period (deal facts, reporting currency)
--   target   = the uploaded quota for the period and scope (the latest import of each row)
--   forecast = the uploaded commit / best-case call standing at the cutoff: the latest
--              submission before its period ends, or, with as_of_week N, before the end of
--              week N of the report period (calls without a date stand from the start).
-- Uploaded months roll up into quarters; quarter-grain uploads show only at quarter grain.
-- dim 'total' puts everything under one member, 'All'.
CREATE MACRO tf_member(dim, region, segment, owner, product) AS
    CASE dim WHEN 'total' THEN 'All' WHEN 'region' THEN region WHEN 'segment' THEN segment
             WHEN 'owner' THEN owner WHEN 'product' THEN product END;

CREATE MACRO forecast_actual(grain, fy_start, dim, date_from, date_to, as_of_week,
                             regions, segments, owners, products) AS TABLE
WITH uploaded AS (
    SELECT t.*, period_start(t.period, grain, fy_start) AS rp,
           tf_member(dim, t.region, t.segment, t.owner, t.product) AS member
    FROM targets_forecasts t
    WHERE (t.period_grain = 'month' OR grain = 'quarter')
      AND period_start(t.period, grain, fy_start) BETWEEN period_start(date_from, grain, fy_start) AND date_to
      AND chosen(t.region, regions) AND chosen(t.segment, segments)
      AND chosen(t.owner, owners) AND chosen(t.product, products)
), targets AS (
    SELECT rp, member, sum(target) AS target FROM (
        SELECT * FROM uploaded WHERE target IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY period, region, segment, owner, product
                                   ORDER BY import_id DESC) = 1)
    GROUP BY rp, member
), calls AS (
    SELECT rp, member, sum(forecast_commit) AS forecast, sum(forecast_best_case) AS best_case,
           max(submitted_at) AS submitted_at
    FROM (
        SELECT * FROM uploaded
        WHERE (forecast_commit IS NOT NULL OR forecast_best_case IS NOT NULL)
          -- a call counts until its own period ends (a January call made in February is late),
          -- and, as of week N, only if made before the end of week N of the report period
          AND coalesce(submitted_at, period) < period + CASE WHEN period_grain = 'quarter'
                                                             THEN INTERVAL 3 MONTH ELSE INTERVAL 1 MONTH END
          AND (as_of_week IS NULL OR coalesce(submitted_at, period) < rp + to_days(7 * as_of_week))
        QUALIFY row_number() OVER (PARTITION BY period, region, segment, owner, product
                                   ORDER BY submitted_at DESC NULLS LAST, import_id DESC) = 1)
    GROUP BY rp, member
), actuals AS (
    SELECT period_start(close_date, grain, fy_start) AS rp,
           tf_member(dim, region, segment, owner, product) AS member,
           sum(amount) AS actual, count(*) AS deals_won
    FROM deal_facts
    WHERE is_won AND period_start(close_date, grain, fy_start) BETWEEN period_start(date_from, grain, fy_start) AND date_to
      AND chosen(region, regions) AND chosen(segment, segments)
      AND chosen(owner, owners) AND chosen(product, products)
    GROUP BY ALL
)
SELECT rp AS period_start, coalesce(member, '(none)') AS member, t.target, c.forecast, c.best_case,
       c.submitted_at, coalesce(a.actual, 0) AS actual, coalesce(a.deals_won, 0) AS deals_won
FROM targets t
FULL OUTER JOIN calls c USING (rp, member)
FULL OUTER JOIN actuals a USING (rp, member);
