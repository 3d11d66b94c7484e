-- Stage conversion counts a deal once per stage it entered in the range. Grouping the entries by
-- stage and deal to find the repeats was most of that query's time at a million deals (a hash of
-- every entry's deal id); each entry now says when the deal last entered the same stage before
-- (NULL: the first time), so the first entry in a range is the one with no earlier entry in it
-- (sql/models/stage_events.sql, sql/stage_conversion.sql).
ALTER TABLE stage_events ADD COLUMN prev_entered_at TIMESTAMP;
-- built on next use
UPDATE settings SET value = '' WHERE name = 'models_version';
