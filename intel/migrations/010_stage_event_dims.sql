-- Stage events carry the deal's filter dimensions (joined once when the models are built,
-- not on every stage-conversion query); the models are rebuilt on next use.
ALTER TABLE stage_events ADD COLUMN region VARCHAR;
ALTER TABLE stage_events ADD COLUMN segment VARCHAR;
ALTER TABLE stage_events ADD COLUMN owner VARCHAR;
ALTER TABLE stage_events ADD COLUMN product VARCHAR;
UPDATE settings SET value = '' WHERE name = 'models_version';
