-- Closed deals and the statistics every win-rate figure shares (shared/METRICS.md, Outcomes).

-- Closed deals in the global filters' scope; with exclude_nd, "No decision" losses drop out.
-- member is the deal's value for the dimension dim ('(none)' when it has none).
CREATE OR REPLACE MACRO closed_in_scope(date_from, date_to, regions, segments, owners, products, exclude_nd, dim) AS TABLE
    SELECT *, coalesce(CASE dim WHEN 'region' THEN region WHEN 'segment' THEN segment
                                WHEN 'owner' THEN owner WHEN 'team' THEN team
                                WHEN 'manager' THEN manager WHEN 'industry' THEN industry
                                WHEN 'country' THEN country WHEN 'product' THEN product
                                WHEN 'product_family' THEN product_family
                                WHEN 'competitor' THEN competitor
                                WHEN 'lead_source' THEN lead_source
                                WHEN 'deal_size_band' THEN deal_size_band END, '(none)') AS member
    FROM deal_facts
    WHERE is_closed
      -- no range (date_from NULL) is all time, undated deals included (METRICS.md)
      AND (date_from IS NULL OR close_date BETWEEN date_from AND date_to)
      AND chosen(region, regions) AND chosen(segment, segments)
      AND chosen(owner, owners) AND chosen(product, products)
      AND NOT (exclude_nd AND no_decision);

-- 95% Wilson score interval of k successes in n trials.
CREATE OR REPLACE MACRO wilson_low(k, n) AS
    CASE WHEN n > 0 THEN
        ((k / n) + 1.9208 / n - 1.96 * sqrt((k / n) * (1 - k / n) / n + 0.9604 / (n * n))) / (1 + 3.8416 / n)
    END;
CREATE OR REPLACE MACRO wilson_high(k, n) AS
    CASE WHEN n > 0 THEN
        ((k / n) + 1.9208 / n + 1.96 * sqrt((k / n) * (1 - k / n) / n + 0.9604 / (n * n))) / (1 + 3.8416 / n)
    END;
