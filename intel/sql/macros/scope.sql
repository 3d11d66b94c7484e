-- The global filters and the breakdown dimensions: which deals are in scope, and which member of
-- a dimension a deal (or a plan row) belongs to.

-- A global filter: an empty choice keeps everything; '(none)' chooses the rows without a value
-- (the member deal_member gives them in a breakdown, so a breakdown's row can be opened).
CREATE OR REPLACE MACRO chosen(value, choice) AS
    (len(choice) = 0 OR list_contains(choice, coalesce(value, '(none)')));

-- A row in the global filters' scope: its region, segment, owner and product each among the
-- chosen ones (regions, segments, owners, products: lists; an empty list keeps everything).
CREATE OR REPLACE MACRO in_scope(region, segment, owner, product, regions, segments, owners, products) AS
    chosen(region, regions) AND chosen(segment, segments)
    AND chosen(owner, owners) AND chosen(product, products);

-- A deal's member for the breakdown dimension dim: 'total' puts every deal under 'All'; a deal
-- without a value for the dimension (or an unknown dim, NULL included) is '(none)'. Callers
-- pass the row's columns in this order, NULL for those their rows lack (plan rows carry only
-- region, segment, owner and product; snapshot rows have no deal_size_band).
CREATE OR REPLACE MACRO deal_member(dim, region, segment, owner, team, manager, industry, country, product,
                                    product_family, competitor, lead_source, deal_type, deal_size_band) AS
    coalesce(CASE dim WHEN 'total' THEN 'All'
                      WHEN 'region' THEN region WHEN 'segment' THEN segment
                      WHEN 'owner' THEN owner WHEN 'team' THEN team WHEN 'manager' THEN manager
                      WHEN 'industry' THEN industry WHEN 'country' THEN country
                      WHEN 'product' THEN product WHEN 'product_family' THEN product_family
                      WHEN 'competitor' THEN competitor WHEN 'lead_source' THEN lead_source
                      WHEN 'deal_type' THEN deal_type WHEN 'deal_size_band' THEN deal_size_band END,
             '(none)');
