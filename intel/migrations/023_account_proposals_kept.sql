-- The account stance proposals kept per data version (intel.accounts): the facts of every account
-- in a scope and the rules applied to them. On a million deals over 50,000 accounts they take
-- about 1.5 s to work out and change only with the data, the scope, the stance settings and the
-- code, all of which the key holds; the first reader keeps them for every later process and
-- session. The frame is kept whole (Arrow IPC) so the facts SQL can gain a column without a
-- migration; rows of an older data version are dropped when a newer one is kept.
CREATE TABLE account_proposals_kept (
    key          VARCHAR PRIMARY KEY,
    data_version VARCHAR NOT NULL,
    frame        BLOB NOT NULL,
    kept_at      TIMESTAMP NOT NULL
);
