-- Report periods (shared/METRICS.md: a calendar or fiscal month or quarter). Created by the store
-- at every connect (intel/store.py, create_macros), in the order of store.MACRO_FILES.

-- Start of the month or (fiscal) quarter holding d; fy_start is the fiscal year's first month.
CREATE OR REPLACE MACRO period_start(d, grain, fy_start) AS
    CASE WHEN grain = 'quarter'
         THEN CAST(date_trunc('quarter', d - to_months(fy_start - 1)) + to_months(fy_start - 1) AS DATE)
         ELSE CAST(date_trunc('month', d) AS DATE) END;

-- '2026-11' for a month; '2026-Q4' for a quarter (fiscal year named by the year it starts in).
CREATE OR REPLACE MACRO period_label(start, grain, fy_start) AS
    CASE WHEN grain = 'quarter'
         THEN CAST(year(start - to_months(fy_start - 1)) AS VARCHAR) || '-Q' ||
              CAST(quarter(start - to_months(fy_start - 1)) AS VARCHAR)
         ELSE strftime(start, '%Y-%m') END;

-- First and last day of the report periods the range touches (constants: zone maps prune on them).
CREATE OR REPLACE MACRO range_first_day(date_from, grain, fy_start) AS period_start(date_from, grain, fy_start);
CREATE OR REPLACE MACRO range_last_day(date_to, grain, fy_start) AS
    CAST(period_start(date_to, grain, fy_start)
         + CASE WHEN grain = 'quarter' THEN INTERVAL 3 MONTH ELSE INTERVAL 1 MONTH END
         - INTERVAL 1 DAY AS DATE);
