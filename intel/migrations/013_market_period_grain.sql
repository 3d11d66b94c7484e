-- Market indicators are published by month, by quarter or by year (World Bank files: one row
-- per country and year). period is the first day of the period; period_grain says which.
ALTER TABLE market ADD COLUMN period_grain VARCHAR DEFAULT 'month';
