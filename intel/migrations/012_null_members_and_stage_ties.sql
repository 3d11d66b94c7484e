-- Real exports leave dimensions empty and stamp several stage changes with one time.

-- (tf_member and forecast_actual, replaced here so that a missing member is '(none)' on every
-- side, now live in intel/sql/macros/, recreated at every connect.)

-- The row's number in its stage-history file: two changes with the same time are ordered by
-- stage order, then by the file (sql/models/stage_events.sql). NULL for rows loaded before.
ALTER TABLE stage_history ADD COLUMN file_row BIGINT;
UPDATE settings SET value = '' WHERE name = 'models_version';
