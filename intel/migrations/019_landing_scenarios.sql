-- Landing what-if scenarios a manager saved: each save of a name for a period is a new version
-- row (saving the same name again keeps the earlier one); deleting is a version marked deleted.
CREATE SEQUENCE scenario_id_seq START 1;

CREATE TABLE scenario_versions (
    scenario_id INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    name        VARCHAR NOT NULL,
    period      VARCHAR NOT NULL,      -- 2026-Q4, 2026-11
    scope       JSON NOT NULL,         -- the global filters' region/segment/owner/product choices
    shocks      JSON NOT NULL,         -- [{"kind": ..., "value": ..., "dim": ..., "member": ..., "deals": [...]}]
    author      VARCHAR NOT NULL,
    saved_at    TIMESTAMP NOT NULL,
    deleted     BOOLEAN NOT NULL,
    PRIMARY KEY (scenario_id, version)
);
