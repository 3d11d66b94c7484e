-- Alert rules, the alerts they raised and every action taken on them (never overwritten:
-- each action is a new row of alert_actions; the alert row carries the current state).

CREATE SEQUENCE alert_rule_id_seq START 1;
CREATE SEQUENCE alert_id_seq START 1;
CREATE SEQUENCE alert_action_id_seq START 1;

CREATE TABLE alert_rules (
    id              INTEGER PRIMARY KEY DEFAULT nextval('alert_rule_id_seq'),
    name            VARCHAR NOT NULL,
    metric          VARCHAR NOT NULL,   -- win_rate, bookings_vs_target, forecast_bias, coverage,
                                        -- velocity_change, push_count, competitor_loss_share
    dimension       VARCHAR NOT NULL,   -- all, region, segment, owner, product, ...
    comparator      VARCHAR NOT NULL,   -- <, <=, >, >=
    threshold       DOUBLE NOT NULL,
    threshold_kind  VARCHAR NOT NULL,   -- absolute, vs_previous, vs_last_year (relative change)
    consecutive     INTEGER NOT NULL,
    grain           VARCHAR NOT NULL,   -- month, quarter
    min_sample      INTEGER NOT NULL,
    severity        VARCHAR NOT NULL,   -- high, medium, low
    enabled         BOOLEAN NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);

CREATE TABLE alerts (
    id              INTEGER PRIMARY KEY DEFAULT nextval('alert_id_seq'),
    rule_id         INTEGER NOT NULL,
    member          VARCHAR NOT NULL,
    status          VARCHAR NOT NULL,   -- open, acknowledged, snoozed, resolved
    severity        VARCHAR NOT NULL,
    periods         JSON NOT NULL,      -- the periods that breached
    observed        JSON NOT NULL,      -- value and sample per period: the evidence
    still_firing    BOOLEAN NOT NULL,
    first_fired_at  TIMESTAMP NOT NULL,
    last_evaluated_at TIMESTAMP NOT NULL,
    owner           VARCHAR,
    snoozed_until   DATE,
    resolution      VARCHAR
);

CREATE TABLE alert_actions (
    id        INTEGER PRIMARY KEY DEFAULT nextval('alert_action_id_seq'),
    alert_id  INTEGER NOT NULL,
    action    VARCHAR NOT NULL,         -- fired, updated, acknowledged, snoozed, reopened, resolved
    acted_at  TIMESTAMP NOT NULL,
    by_user   VARCHAR NOT NULL,
    note      VARCHAR
);
