-- Actual vs target vs forecast per period and member (shared/METRICS.md):
-- variance = actual − forecast; variance % = (actual − forecast) ÷ forecast;
-- attainment = actual ÷ target; bias = (forecast − actual) ÷ actual (one period's Σ(f − a) ÷ Σa).
-- Forecast is the commit call standing at the period's end, or at the end of week $as_of_week of
-- the period (macro forecast_actual, intel/sql/macros/forecast.sql).
SELECT period_label(period_start, $grain, $fy_start) AS period, period_start, member,
       target, forecast, best_case, actual, deals_won,
       actual - forecast AS variance,
       (actual - forecast) / nullif(forecast, 0) AS variance_pct,
       actual / nullif(target, 0) AS attainment,
       (forecast - actual) / nullif(actual, 0) AS bias,
       submitted_at AS forecast_submitted_at
FROM forecast_actual($grain, $fy_start, $dim, $date_from, $date_to, $as_of_week,
                     $region, $segment, $owner, $product)
ORDER BY period_start, member
