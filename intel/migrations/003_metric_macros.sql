-- Building blocks every metric shares (shared/METRICS.md), defined once in the store so
-- analysts can use them too.

-- Start of the month or (fiscal) quarter holding d; fy_start is the fiscal year's first month.
CREATE MACRO period_start(d, grain, fy_start) AS
    CASE WHEN grain = 'quarter'
         THEN CAST(date_trunc('quarter', d - to_months(fy_start - 1)) + to_months(fy_start - 1) AS DATE)
         ELSE CAST(date_trunc('month', d) AS DATE) END;

-- '2026-11' for a month; '2026-Q4' for a quarter (fiscal year named by the year it starts in).
CREATE MACRO period_label(start, grain, fy_start) AS
    CASE WHEN grain = 'quarter'
         THEN CAST(year(start - to_months(fy_start - 1)) AS VARCHAR) || '-Q' ||
              CAST(quarter(start - to_months(fy_start - 1)) AS VARCHAR)
         ELSE strftime(start, '%Y-%m') END;

-- 95% Wilson score interval of k successes in n trials.
CREATE MACRO wilson_low(k, n) AS
    CASE WHEN n > 0 THEN
        ((k / n) + 1.9208 / n - 1.96 * sqrt((k / n) * (1 - k / n) / n + 0.9604 / (n * n))) / (1 + 3.8416 / n)
    END;
CREATE MACRO wilson_high(k, n) AS
    CASE WHEN n > 0 THEN
        ((k / n) + 1.9208 / n + 1.96 * sqrt((k / n) * (1 - k / n) / n + 0.9604 / (n * n))) / (1 + 3.8416 / n)
    END;

-- A global filter: an empty choice keeps everything.
CREATE MACRO chosen(value, choice) AS (len(choice) = 0 OR list_contains(choice, value));

-- Materialised by intel.models.refresh from sql/models/deal_facts.sql after each import.
CREATE TABLE deal_facts (
    id VARCHAR, name VARCHAR, account VARCHAR, owner VARCHAR, team VARCHAR, region VARCHAR,
    segment VARCHAR, industry VARCHAR, product VARCHAR, competitor VARCHAR,
    lead_source VARCHAR, deal_type VARCHAR, stage VARCHAR, stage_order INTEGER,
    is_closed BOOLEAN, is_won BOOLEAN, is_lost BOOLEAN, no_decision BOOLEAN,
    loss_reason VARCHAR, amount DOUBLE, currency VARCHAR, probability DOUBLE,
    created_date DATE, close_date DATE, cycle_days INTEGER, size_band INTEGER,
    deal_size_band VARCHAR, snapshot_date DATE
);
CREATE TABLE deal_size_bands (band INTEGER, low DECIMAL(18, 2), high DECIMAL(18, 2), label VARCHAR);
INSERT INTO settings VALUES ('models_version', '');

-- Closed deals in the global filters' scope; with exclude_nd, "No decision" losses drop out.
-- member is the deal's value for the dimension dim ('(none)' when it has none).
CREATE MACRO closed_in_scope(date_from, date_to, regions, segments, owners, products, exclude_nd, dim) AS TABLE
    SELECT *, coalesce(CASE dim WHEN 'region' THEN region WHEN 'segment' THEN segment
                                WHEN 'owner' THEN owner WHEN 'team' THEN team
                                WHEN 'product' THEN product WHEN 'competitor' THEN competitor
                                WHEN 'lead_source' THEN lead_source
                                WHEN 'deal_size_band' THEN deal_size_band END, '(none)') AS member
    FROM deal_facts
    WHERE is_closed AND close_date BETWEEN date_from AND date_to
      AND chosen(region, regions) AND chosen(segment, segments)
      AND chosen(owner, owners) AND chosen(product, products)
      AND NOT (exclude_nd AND no_decision);
