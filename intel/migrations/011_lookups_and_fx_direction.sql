-- Related tables and currencies as real exports bring them (shared/METRICS.md, Data conventions).
--
-- 1. Lookup tables keyed by a column the deals carry: owners (Salesforce User.csv, a sales-teams
--    sheet), products (a products sheet), and accounts gain the export's id, country and parent.
--    intel.models.refresh turns them into owner_lookup / account_lookup / product_lookup, one row
--    per owner, account and product value the deals hold, so the joins stay small.
-- 2. fx_rates now holds, per currency, how many units of it one unit of `base` buys
--    (Salesforce CurrencyType.ConversionRate: 1 USD = 18.2 MXN). The rows stored before this
--    migration meant the inverse (1 unit = rate units of the reporting currency): turned round.
-- 3. The deal facts gain the looked-up manager, country, product family and account size.
-- The macros defined here (lookup_key, resolved_deals, snapshot_at, closed_in_scope) and the
-- deals view over resolved_deals now live in intel/sql/macros/, recreated at every connect.

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

ALTER TABLE deal_facts ADD COLUMN manager VARCHAR;
ALTER TABLE deal_facts ADD COLUMN country VARCHAR;
ALTER TABLE deal_facts ADD COLUMN product_family VARCHAR;
ALTER TABLE deal_facts ADD COLUMN account_size VARCHAR;
