-- Results kept per data version (intel.store.keep_frame): what takes seconds to work out on a
-- million deals and changes only with the data and what the key holds (the scope, the settings,
-- the code that made it). The account stance proposals of a scope (about 1.5 s over 50,000
-- accounts) and the landing's summary rows (a simulation of every open deal) are worked out by
-- the first reader and read back by every later process and session. A frame is kept whole
-- (Arrow IPC) so a result may gain a column without a migration; rows of an older data version
-- are dropped when a newer one is kept.
CREATE TABLE kept_frames (
    kind         VARCHAR NOT NULL,     -- account_proposals, landing_summary
    key          VARCHAR NOT NULL,     -- a digest of what the result rests on
    data_version VARCHAR NOT NULL,
    frame        BLOB NOT NULL,
    kept_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, key)
);
