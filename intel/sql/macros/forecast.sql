-- Bookings and forecast versus actual (shared/METRICS.md, Forecast versus actual).

-- Bookings (the actual): the amount of the deals won with a close date from date_from to
-- date_to, in the global filters' scope, per report period (period_start, at grain) and member
-- of dim; deals_won counts them. Read by forecast_actual, coverage.sql and bookings_bridge.sql.
CREATE OR REPLACE MACRO bookings(grain, fy_start, dim, date_from, date_to, regions, segments, owners, products) AS TABLE
    SELECT period_start(close_date, grain, fy_start) AS period_start,
           deal_member(dim, region, segment, owner, team, manager, industry, country, product,
                       product_family, competitor, lead_source, deal_type, deal_size_band) AS member,
           sum(amount) AS bookings, count(*) AS deals_won
    FROM deal_facts
    WHERE is_won AND close_date BETWEEN date_from AND date_to
      AND in_scope(region, segment, owner, product, regions, segments, owners, products)
    GROUP BY ALL;

-- Forecast versus actual, per report period and member of a dimension:
--   actual   = bookings of the period (macro bookings: deal facts, reporting currency)
--   target   = the uploaded quota for the period and scope (the latest import of each row)
--   forecast = the uploaded commit / best-case call standing at the cutoff: the latest
--              submission before its period ends, or, with as_of_week N, before the end of
--              week N of the report period (calls without a date stand from the start); of
--              two made at the same time in one import, the file's later row.
-- Uploaded months roll up into quarters; quarter-grain uploads show only at quarter grain.
-- dim 'total' puts everything under one member, 'All'. Plan rows carry only region, segment,
-- owner and product: any other dim puts them under '(none)'. Every side's member comes from
-- deal_member (never NULL), so the USING joins meet on '(none)' too.
CREATE OR REPLACE MACRO forecast_actual(grain, fy_start, dim, date_from, date_to, as_of_week,
                                        regions, segments, owners, products) AS TABLE
WITH planned AS (
    SELECT p.*, period_start(p.period, grain, fy_start) AS rp,
           deal_member(dim, p.region, p.segment, p.owner, NULL, NULL, NULL, NULL, p.product,
                       NULL, NULL, NULL, NULL, NULL) AS member
    FROM plan_rows p
    WHERE (p.period_grain = 'month' OR grain = 'quarter')
      AND p.period BETWEEN range_first_day(date_from, grain, fy_start) AND range_last_day(date_to, grain, fy_start)
      AND in_scope(p.region, p.segment, p.owner, p.product, regions, segments, owners, products)
), targets AS (
    SELECT rp, member, sum(target) AS target FROM planned WHERE target IS NOT NULL GROUP BY rp, member
), week_calls AS (
    -- as of week N: per uploaded row, the latest call made before the end of week N of the
    -- report period (and before its own period ended)
    SELECT any_value(period_start(period, grain, fy_start)) AS rp,
           any_value(deal_member(dim, region, segment, owner, NULL, NULL, NULL, NULL, product,
                                 NULL, NULL, NULL, NULL, NULL)) AS member,
           arg_max({'forecast': forecast_commit, 'best_case': forecast_best_case, 'submitted_at': submitted_at},
                   {'at': coalesce(submitted_at, period), 'import': import_id, 'row': rowid}) AS c
    FROM targets_forecasts
    WHERE as_of_week IS NOT NULL
      AND (forecast_commit IS NOT NULL OR forecast_best_case IS NOT NULL)
      AND (period_grain = 'month' OR grain = 'quarter')
      AND period BETWEEN range_first_day(date_from, grain, fy_start) AND range_last_day(date_to, grain, fy_start)
      AND in_scope(region, segment, owner, product, regions, segments, owners, products)
      AND coalesce(submitted_at, period) < period + CASE WHEN period_grain = 'quarter'
                                                         THEN INTERVAL 3 MONTH ELSE INTERVAL 1 MONTH END
      AND coalesce(submitted_at, period) < period_start(period, grain, fy_start) + to_days(7 * as_of_week)
    GROUP BY period, region, segment, owner, product
), calls AS (
    SELECT rp, member, sum(c.forecast) AS forecast, sum(c.best_case) AS best_case,
           max(c.submitted_at) AS submitted_at
    FROM (SELECT rp, member, final_call AS c FROM planned
          WHERE as_of_week IS NULL AND final_call IS NOT NULL
          UNION ALL
          SELECT rp, member, c FROM week_calls)
    GROUP BY rp, member
), actuals AS (
    SELECT period_start AS rp, member, bookings AS actual, deals_won
    FROM bookings(grain, fy_start, dim, range_first_day(date_from, grain, fy_start),
                  range_last_day(date_to, grain, fy_start), regions, segments, owners, products)
)
SELECT rp AS period_start, member, t.target, c.forecast, c.best_case,
       c.submitted_at, coalesce(a.actual, 0) AS actual, coalesce(a.deals_won, 0) AS deals_won
FROM targets t
FULL OUTER JOIN calls c USING (rp, member)
FULL OUTER JOIN actuals a USING (rp, member);
