-- The plan rows forecast versus actual reads. Its macros (tf_member, range_first_day,
-- range_last_day, forecast_actual) were defined here; they now live in intel/sql/macros/
-- (tf_member became deal_member) and the store recreates them at every connect.

-- Materialised by intel.models.refresh from sql/models/plan_rows.sql.
CREATE TABLE plan_rows (
    period DATE, period_grain VARCHAR, region VARCHAR, segment VARCHAR, owner VARCHAR,
    product VARCHAR, target DECIMAL(18, 2),
    final_call STRUCT(forecast DECIMAL(18, 2), best_case DECIMAL(18, 2), submitted_at TIMESTAMP)
);
