-- The pipeline snapshots as the metrics read them: every opportunities row (each deal in each
-- snapshot) with the lookups applied and the amount in the reporting currency, the same columns
-- and values as resolved_deals('opportunities') (intel/sql/macros/deals.sql). Resolving a million
-- rows on every Pipeline query and every first landing was about half their time; intel.models
-- keeps them here (sql/models/snapshot_deals.sql), adding an import's rows once and dropping an
-- undone one's, all of them again when the lookups, the rates or the reporting currency change
-- (snapshot_deals_key says what they were resolved with). snapshot_at and the landing read it.
CREATE TABLE snapshot_deals (
    import_id         INTEGER NOT NULL,
    snapshot_date     DATE NOT NULL,
    id                VARCHAR NOT NULL,
    name              VARCHAR,
    account           VARCHAR,
    owner             VARCHAR,
    team              VARCHAR,
    region            VARCHAR,
    segment           VARCHAR,
    industry          VARCHAR,
    product           VARCHAR,
    stage             VARCHAR,
    stage_order       INTEGER,
    is_closed         BOOLEAN NOT NULL,
    is_won            BOOLEAN NOT NULL,
    amount            DECIMAL(18, 2),
    currency          VARCHAR,
    probability       DOUBLE,
    forecast_category VARCHAR,
    created_date      DATE,
    close_date        DATE,
    competitor        VARCHAR,
    loss_reason       VARCHAR,
    lead_source       VARCHAR,
    deal_type         VARCHAR,
    discount_pct      DOUBLE,
    campaign          VARCHAR,
    manager           VARCHAR,             -- from here on: what the lookups add
    country           VARCHAR,
    account_size      VARCHAR,
    parent_account    VARCHAR,
    product_family    VARCHAR,
    amount_reporting  DECIMAL(18, 2)       -- NULL: no rate converts it
);
INSERT INTO settings VALUES ('snapshot_deals_key', '');
-- built on next use
UPDATE settings SET value = '' WHERE name = 'models_version';
