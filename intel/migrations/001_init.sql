-- The canonical store. Column names are those of shared/PRODUCT.md: analysts query this
-- file with their own SQL, so names change only through a new migration.

CREATE SEQUENCE import_id_seq START 1;

-- Every upload is an import; undo marks it undone and removes its rows, the record stays.
CREATE TABLE imports (
    id            INTEGER PRIMARY KEY DEFAULT nextval('import_id_seq'),
    kind          VARCHAR NOT NULL,
    file_name     VARCHAR NOT NULL,
    sha256        VARCHAR NOT NULL,
    rows_loaded   BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL,
    mapping       JSON NOT NULL,        -- canonical column -> source header
    warnings      JSON,
    snapshot_date DATE,                 -- opportunities imports: the pipeline's as-of date
    imported_at   TIMESTAMP NOT NULL,
    imported_by   VARCHAR NOT NULL,
    undone_at     TIMESTAMP
);

-- One row per deal per snapshot (opportunities import).
CREATE TABLE opportunities (
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
    probability       DOUBLE,            -- fraction 0..1
    forecast_category VARCHAR,
    created_date      DATE,
    close_date        DATE,
    competitor        VARCHAR,
    loss_reason       VARCHAR,
    lead_source       VARCHAR,
    deal_type         VARCHAR,
    discount_pct      DOUBLE             -- fraction 0..1
);

CREATE TABLE stage_history (
    import_id      INTEGER NOT NULL,
    opportunity_id VARCHAR NOT NULL,
    stage          VARCHAR,
    stage_order    INTEGER,
    amount         DECIMAL(18, 2),
    close_date     DATE,
    changed_at     TIMESTAMP NOT NULL
);

-- Targets (quota) and forecast calls; a row may carry either or both.
-- period is the first day of the month or quarter it covers (period_grain says which).
CREATE TABLE targets_forecasts (
    import_id          INTEGER NOT NULL,
    period             DATE NOT NULL,
    period_grain       VARCHAR NOT NULL,
    region             VARCHAR,
    segment            VARCHAR,
    owner              VARCHAR,
    product            VARCHAR,
    target             DECIMAL(18, 2),
    forecast_commit    DECIMAL(18, 2),
    forecast_best_case DECIMAL(18, 2),
    forecast_pipeline  DECIMAL(18, 2),
    bookings           DECIMAL(18, 2),
    currency           VARCHAR,
    submitted_at       TIMESTAMP
);

CREATE TABLE accounts (
    import_id    INTEGER NOT NULL,
    account      VARCHAR NOT NULL,
    industry     VARCHAR,
    region       VARCHAR,
    segment      VARCHAR,
    size         VARCHAR,
    annual_value DECIMAL(18, 2)
);

CREATE TABLE market (
    import_id INTEGER NOT NULL,
    period    DATE NOT NULL,
    region    VARCHAR,
    segment   VARCHAR,
    indicator VARCHAR NOT NULL,
    value     DOUBLE,
    unit      VARCHAR,
    source    VARCHAR
);

-- Exchange rates: 1 unit of currency = rate units of the reporting currency.
CREATE TABLE fx_rates (
    import_id INTEGER NOT NULL,
    currency  VARCHAR NOT NULL,
    rate      DOUBLE NOT NULL,
    as_of     DATE
);

-- An analyst's mapping override, remembered for the next file with the same header.
CREATE TABLE mapping_memory (
    header_key VARCHAR PRIMARY KEY,     -- sha256 of the normalised header
    header     JSON NOT NULL,
    kind       VARCHAR NOT NULL,
    mapping    JSON NOT NULL,
    saved_at   TIMESTAMP NOT NULL
);

-- Each deal as of its latest snapshot.
CREATE VIEW opportunities_current AS
SELECT * EXCLUDE (rn) FROM (
    SELECT o.*, row_number() OVER (
        PARTITION BY o.id ORDER BY o.snapshot_date DESC, o.import_id DESC) AS rn
    FROM opportunities o
) WHERE rn = 1;
