-- The deal facts every metric reads. The building blocks metrics share (period_start,
-- period_label, wilson_low/high, chosen, closed_in_scope) were defined here; they now live in
-- intel/sql/macros/ and the store recreates them at every connect.

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
