-- Plan rows: one row per uploaded target/forecast key (period, grain, region, segment, owner,
-- product) with its quota (the latest import's) and its final call: the latest commit /
-- best-case submission made before its period ended (a January call made in February is late);
-- of two made at the same time in one import, the file's later row (rowid keeps the file's order).
-- Materialised after each import (intel.models.refresh); "as of week N" reads the raw calls.
SELECT period, period_grain, region, segment, owner, product,
       arg_max(target, import_id) FILTER (WHERE target IS NOT NULL) AS target,
       arg_max({'forecast': forecast_commit, 'best_case': forecast_best_case, 'submitted_at': submitted_at},
               {'at': coalesce(submitted_at, period), 'import': import_id, 'row': rowid})
           FILTER (WHERE (forecast_commit IS NOT NULL OR forecast_best_case IS NOT NULL)
                   AND coalesce(submitted_at, period) < period + CASE WHEN period_grain = 'quarter'
                       THEN INTERVAL 3 MONTH ELSE INTERVAL 1 MONTH END) AS final_call
FROM targets_forecasts
GROUP BY period, period_grain, region, segment, owner, product
