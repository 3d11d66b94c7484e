-- The landing's training observations kept per data version (intel.landing): what the deals open
-- at the same day of each earlier period became, summed per feature combination (TRAINING_SQL).
-- Reading them takes seconds on a million deals and they change only with the data, so the
-- first reader keeps them here for every later process, session and replay; rows of an older
-- data version are dropped when a newer one is kept.
CREATE TABLE landing_training_points (
    data_version VARCHAR NOT NULL,
    period       VARCHAR NOT NULL,     -- 2026-Q3
    day          INTEGER NOT NULL,     -- the day of that period (day 1 is its first)
    kept_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (data_version, period, day)
);

CREATE TABLE landing_training (
    data_version VARCHAR NOT NULL,
    period       VARCHAR NOT NULL,
    day          INTEGER NOT NULL,
    timing       VARCHAR,
    stage        VARCHAR,
    age_band     VARCHAR,
    segment      VARCHAR,
    region       VARCHAR,
    source       VARCHAR,
    n            BIGINT NOT NULL,
    wins         BIGINT NOT NULL,
    slips        BIGINT NOT NULL,
    ratio_n      BIGINT NOT NULL,
    ratio_sum    DOUBLE NOT NULL
);
