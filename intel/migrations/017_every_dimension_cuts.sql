-- Every dimension the catalogue offers (intel.metrics.DIMENSION_LABELS) cuts the data: deal type
-- was offered but fell to '(none)' in closed_in_scope, and velocity's member_of knew neither deal
-- type nor the looked-up attributes (manager, industry, country, product family). One mapping
-- from a dimension's name to a deal's member now, used by both: 'total' puts every deal under
-- 'All', a deal without the attribute is '(none)'.
CREATE OR REPLACE MACRO member_of(dim, region, segment, owner, team, manager, industry, country, product,
                                  product_family, competitor, lead_source, deal_type, band) AS
    coalesce(CASE dim WHEN 'total' THEN 'All' WHEN 'region' THEN region WHEN 'segment' THEN segment
                      WHEN 'owner' THEN owner WHEN 'team' THEN team WHEN 'manager' THEN manager
                      WHEN 'industry' THEN industry WHEN 'country' THEN country
                      WHEN 'product' THEN product WHEN 'product_family' THEN product_family
                      WHEN 'competitor' THEN competitor WHEN 'lead_source' THEN lead_source
                      WHEN 'deal_type' THEN deal_type WHEN 'deal_size_band' THEN band END, '(none)');

-- Closed deals in the global filters' scope (as in 011), each with its member of `dim`.
CREATE OR REPLACE MACRO closed_in_scope(date_from, date_to, regions, segments, owners, products, exclude_nd, dim) AS TABLE
    SELECT *, member_of(dim, region, segment, owner, team, manager, industry, country, product,
                        product_family, competitor, lead_source, deal_type, deal_size_band) AS member
    FROM deal_facts
    WHERE is_closed
      -- no range (date_from NULL) is all time, undated deals included (METRICS.md)
      AND (date_from IS NULL OR close_date BETWEEN date_from AND date_to)
      AND chosen(region, regions) AND chosen(segment, segments)
      AND chosen(owner, owners) AND chosen(product, products)
      AND NOT (exclude_nd AND no_decision);
