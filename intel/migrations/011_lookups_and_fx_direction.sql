-- Related tables and currencies as real exports bring them (shared/METRICS.md, Data conventions).
--
-- 1. Lookup tables keyed by a column the deals carry: owners (Salesforce User.csv, a sales-teams
--    sheet), products (a products sheet), and accounts gain the export's id, country and parent.
--    intel.models.refresh turns them into owner_lookup / account_lookup / product_lookup, one row
--    per owner, account and product value the deals hold, so the joins stay small.
-- 2. fx_rates now holds, per currency, how many units of it one unit of `base` buys
--    (Salesforce CurrencyType.ConversionRate: 1 USD = 18.2 MXN). The rows stored before this
--    migration meant the inverse (1 unit = rate units of the reporting currency): turned round.

CREATE TABLE owners (
    import_id INTEGER NOT NULL,
    owner_id  VARCHAR,                  -- the export's id (Salesforce User.Id), if it has one
    owner     VARCHAR,                  -- the person's name
    team      VARCHAR,
    manager   VARCHAR,
    region    VARCHAR
);

CREATE TABLE products (
    import_id  INTEGER NOT NULL,
    product_id VARCHAR,
    product    VARCHAR,
    family     VARCHAR,
    list_price DECIMAL(18, 2)
);

ALTER TABLE accounts ADD COLUMN account_id VARCHAR;
ALTER TABLE accounts ADD COLUMN country VARCHAR;
ALTER TABLE accounts ADD COLUMN parent VARCHAR;

-- A name as lookups compare it: case, accents, spaces and punctuation aside ('GTX Pro' = 'GTXPro').
CREATE MACRO lookup_key(x) AS regexp_replace(lower(strip_accents(x)), '[^a-z0-9]', '', 'g');

-- What each deal's owner / account / product value turns into (materialised by intel.models).
CREATE TABLE owner_lookup (raw VARCHAR, owner VARCHAR, team VARCHAR, manager VARCHAR, region VARCHAR);
CREATE TABLE account_lookup (raw VARCHAR, account VARCHAR, industry VARCHAR, region VARCHAR,
                             segment VARCHAR, country VARCHAR, size VARCHAR, parent VARCHAR);
CREATE TABLE product_lookup (raw VARCHAR, product VARCHAR, family VARCHAR, list_price DECIMAL(18, 2));

ALTER TABLE fx_rates ADD COLUMN base VARCHAR;
UPDATE fx_rates SET rate = 1 / rate, base = (SELECT value FROM settings WHERE name = 'reporting_currency')
WHERE rate <> 0;

-- Rates in force from a date, per currency, as units per one unit of the reporting currency.
-- A currency with dated rates uses them (each from its start date; before the first one, the
-- first); one with undated rates only uses its latest. A file in another base is crossed
-- through the reporting currency's latest rate in that base.
CREATE OR REPLACE VIEW fx_points AS
WITH rep AS (SELECT value AS code FROM settings WHERE name = 'reporting_currency'),
latest AS (
    SELECT currency, base, as_of, arg_max(rate, import_id) AS rate, max(import_id) AS import_id
    FROM fx_rates WHERE rate > 0 GROUP BY currency, base, as_of
),
usable AS (   -- undated rows count only for a currency and base without dated ones
    SELECT * FROM latest l
    WHERE as_of IS NOT NULL OR NOT EXISTS (
        SELECT 1 FROM latest d WHERE d.currency = l.currency AND d.base = l.base AND d.as_of IS NOT NULL)
),
points AS (
    SELECT currency, base, coalesce(as_of, DATE '0001-01-01') AS valid_from, rate FROM usable
    UNION ALL
    SELECT currency, base, DATE '0001-01-01', arg_min(rate, as_of) FROM usable
    WHERE as_of IS NOT NULL GROUP BY currency, base
),
base_rate AS (  -- units of the reporting currency per unit of each base
    SELECT p.base, arg_max(p.rate, p.valid_from) AS rep_per_base
    FROM points p, rep WHERE p.currency = rep.code GROUP BY p.base
),
preferred AS (  -- one base per currency: the reporting currency itself when a file used it
    SELECT currency, arg_min(base, CASE WHEN base = (SELECT code FROM rep) THEN 0 ELSE 1 END) AS base
    FROM points GROUP BY currency
)
SELECT p.currency, p.valid_from,
       CASE WHEN p.base = (SELECT code FROM rep) THEN p.rate ELSE p.rate / b.rep_per_base END AS per_reporting
FROM points p
JOIN preferred USING (currency, base)
LEFT JOIN base_rate b ON b.base = p.base
WHERE p.base = (SELECT code FROM rep) OR b.rep_per_base IS NOT NULL;

-- The rate in force on each day a deal in that currency closes (and on 9999-12-30, standing for
-- "no close date": the latest rate), materialised by intel.models from sql/models/fx_daily.sql,
-- so converting a million deals is an equality join, not an as-of join per query.
CREATE TABLE fx_daily (currency VARCHAR, day DATE, per_reporting DOUBLE);

CREATE OR REPLACE VIEW fx_latest AS
SELECT currency, arg_max(per_reporting, valid_from) AS per_reporting FROM fx_points GROUP BY currency;

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

CREATE OR REPLACE VIEW deals AS SELECT * FROM resolved_deals('opportunities_current');

-- The deals as exported on date snap, value in the reporting currency (NULL: no FX rate).
CREATE OR REPLACE MACRO snapshot_at(snap) AS TABLE
SELECT * EXCLUDE (amount_reporting), CAST(amount_reporting AS DOUBLE) AS value
FROM resolved_deals('opportunities')
WHERE import_id = (SELECT import_id FROM snapshot_dates WHERE snapshot_date = snap);

ALTER TABLE deal_facts ADD COLUMN manager VARCHAR;
ALTER TABLE deal_facts ADD COLUMN country VARCHAR;
ALTER TABLE deal_facts ADD COLUMN product_family VARCHAR;
ALTER TABLE deal_facts ADD COLUMN account_size VARCHAR;

-- Closed deals in the global filters' scope (as in 003), cut by the looked-up attributes too.
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
