-- Forecast accuracy and bias per member over the periods of the range that have a forecast
-- (shared/METRICS.md), forecast f = commit call standing at the cutoff, actual a:
--   bias = Σ(f − a) ÷ Σa  (positive: over-calling / optimism; negative: sandbagging)
--   MAPE = mean over periods of |f − a| ÷ a, periods with a = 0 left out (and counted)
--   WAPE = Σ|f − a| ÷ Σa
-- periods = the number of periods with a forecast the figures rest on. Only periods that ended
-- by $finished_by (the data date) count: a period in progress has its whole call standing
-- against part of its bookings.
WITH fa AS (
    SELECT member, forecast AS f, actual AS a
    FROM forecast_actual($grain, $fy_start, $dim, $date_from, $date_to, $as_of_week,
                         $region, $segment, $owner, $product)
    WHERE forecast IS NOT NULL
      AND ($finished_by IS NULL
           OR period_start + CASE WHEN $grain = 'quarter' THEN INTERVAL 3 MONTH ELSE INTERVAL 1 MONTH END
              <= $finished_by + INTERVAL 1 DAY)
)
SELECT member, count(*) AS periods,
       sum(f) AS forecast, sum(a) AS actual,
       sum(f - a) / nullif(sum(a), 0) AS bias,
       avg(abs(f - a) / a) FILTER (WHERE a <> 0) AS mape,
       count(*) FILTER (WHERE a = 0) AS periods_zero_actual,
       sum(abs(f - a)) / nullif(sum(a), 0) AS wape
FROM fa
GROUP BY member
ORDER BY bias DESC NULLS LAST, member
