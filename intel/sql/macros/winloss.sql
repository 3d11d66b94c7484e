-- Closed deals and the statistics every win-rate figure shares (shared/METRICS.md, Outcomes).

-- Closed deals in the global filters' scope, with member: the deal's member for the dimension
-- dim (deal_member). No range (date_from NULL) is all time, undated deals included; with
-- exclude_nd, "No decision" losses drop out (the page's switch: they leave both sides of a win rate).
CREATE OR REPLACE MACRO closed_in_scope(date_from, date_to, regions, segments, owners, products, exclude_nd, dim) AS TABLE
    SELECT *, deal_member(dim, region, segment, owner, team, manager, industry, country, product,
                          product_family, competitor, lead_source, deal_type, deal_size_band) AS member
    FROM deal_facts
    WHERE is_closed
      AND (date_from IS NULL OR close_date BETWEEN date_from AND date_to)
      AND in_scope(region, segment, owner, product, regions, segments, owners, products)
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
