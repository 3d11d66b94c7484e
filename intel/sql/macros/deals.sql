-- The deals as every metric reads them: lookups applied, amounts in the reporting currency.

-- A name as lookups compare it: case, accents, spaces and punctuation aside ('GTX Pro' = 'GTXPro').
CREATE OR REPLACE MACRO lookup_key(x) AS regexp_replace(lower(strip_accents(x)), '[^a-z0-9]', '', 'g');

-- Deals of any opportunities table (by name: opportunities, opportunities_current) with the
-- lookups applied and the amount in the reporting currency at the rate in force on the close
-- date (undated deals: the latest rate). amount_reporting is NULL where no rate converts it.
-- The deal's own value wins over a looked-up one; an id resolved to a name shows the name.
CREATE OR REPLACE MACRO resolved_deals(src) AS TABLE
SELECT o.* REPLACE (
           coalesce(ol.owner, o.owner) AS owner,
           coalesce(o.team, ol.team) AS team,
           coalesce(o.region, al.region, ol.region) AS region,
           coalesce(al.account, o.account) AS account,
           coalesce(o.industry, al.industry) AS industry,
           coalesce(o.segment, al.segment) AS segment,
           coalesce(pl.product, o.product) AS product),
       ol.manager, al.country, al.size AS account_size, al.parent AS parent_account,
       pl.family AS product_family,
       CASE WHEN o.currency IS NULL OR o.currency = s.value THEN o.amount
            WHEN fx.per_reporting IS NOT NULL
            THEN CAST(o.amount / fx.per_reporting AS DECIMAL(18, 2)) END AS amount_reporting
FROM query_table(src) o
CROSS JOIN (SELECT value FROM settings WHERE name = 'reporting_currency') s
LEFT JOIN owner_lookup ol ON ol.raw = o.owner
LEFT JOIN account_lookup al ON al.raw = o.account
LEFT JOIN product_lookup pl ON pl.raw = o.product
LEFT JOIN fx_daily fx
    ON fx.currency = o.currency AND fx.day = coalesce(o.close_date, DATE '9999-12-30');

-- Each deal as of its latest snapshot, resolved. A view over a macro: DuckDB binds a view when
-- it is created, so it is made here, after the macro, and not in a migration.
CREATE OR REPLACE VIEW deals AS SELECT * FROM resolved_deals('opportunities_current');
