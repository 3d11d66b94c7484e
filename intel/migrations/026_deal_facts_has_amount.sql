-- Whether the export gave the deal an amount (has_amount; an amount missing in the reporting
-- currency with one given had no exchange rate). The landing's deals read from the closed history
-- asked the current opportunities for it, ranking every snapshot row again on each read (a third
-- of the time of the states the landing learns from); deal facts now say it
-- (sql/models/deal_facts.sql, sql/landing_states.sql).
ALTER TABLE deal_facts ADD COLUMN has_amount BOOLEAN;
-- built on next use
UPDATE settings SET value = '' WHERE name = 'models_version';
