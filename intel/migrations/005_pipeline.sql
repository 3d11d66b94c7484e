-- Pipeline: the snapshots held and the per-deal history models. The macros snapshot_at,
-- movement and member_of were defined here; they now live in intel/sql/macros/ (member_of
-- became deal_member) and the store recreates them at every connect.

-- Each snapshot date and the import that stands for it (a later upload of the same date wins).
CREATE VIEW snapshot_dates AS
SELECT snapshot_date, max(id) AS import_id, count(*) AS imports
FROM imports WHERE kind = 'opportunities' AND undone_at IS NULL
GROUP BY snapshot_date;

-- Materialised by intel.models.refresh (sql/models/deal_history.sql, stage_events.sql).
CREATE TABLE deal_history (
    id VARCHAR, snapshots INTEGER, pushes INTEGER, first_close DATE, last_close DATE,
    last_change DATE, unchanged_snapshots INTEGER, latest_snapshot DATE
);
CREATE TABLE stage_events (
    id VARCHAR, stage VARCHAR, stage_order INTEGER, entered_at TIMESTAMP, left_at TIMESTAMP,
    next_stage VARCHAR, next_order INTEGER, source VARCHAR, best_later INTEGER
);
