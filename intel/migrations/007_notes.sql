-- Strategy notes (SWOT / PESTEL). Every edit is a new version row; deleting is a version with
-- deleted = true, restoring another with false: nothing is ever overwritten.
CREATE SEQUENCE note_id_seq START 1;

CREATE TABLE note_versions (
    note_id     INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    framework   VARCHAR NOT NULL,      -- SWOT, PESTEL
    category    VARCHAR NOT NULL,      -- Strength ... Threat; Political ... Legal
    scope_kind  VARCHAR NOT NULL,      -- company, region, segment, account, competitor
    scope_value VARCHAR NOT NULL,      -- '' for the company
    text        VARCHAR NOT NULL,
    impact      VARCHAR NOT NULL,      -- high, medium, low
    owner       VARCHAR,
    status      VARCHAR NOT NULL,      -- open, acted on, retired
    evidence    JSON,                  -- {"page": ..., "query": {...}} or {"indicator": ..., "region": ...}
    author      VARCHAR NOT NULL,
    saved_at    TIMESTAMP NOT NULL,
    deleted     BOOLEAN NOT NULL,
    PRIMARY KEY (note_id, version)
);

CREATE VIEW notes_current AS
SELECT * FROM note_versions
QUALIFY row_number() OVER (PARTITION BY note_id ORDER BY version DESC) = 1;

-- A suggestion accepted onto a board or dismissed is not suggested again.
CREATE TABLE suggestion_decisions (
    key        VARCHAR PRIMARY KEY,
    decision   VARCHAR NOT NULL,       -- accepted, dismissed
    note_id    INTEGER,
    decided_at TIMESTAMP NOT NULL,
    decided_by VARCHAR NOT NULL
);
