-- Accounts, marketing alignment and discount governance (issue 17).
-- 1. Opportunities may carry the campaign that sourced them (Salesforce "Primary Campaign
--    Source", a campaign type column): the lead-source funnel cuts by it.
-- 2. The deal facts keep each deal's discount and campaign: discount bands, approval breaches and
--    the accounts' average discount read them there.
-- 3. The account lookup keeps the accounts table's annual value: an account's share of wallet.
-- 4. A manager's stance on an account (attack, defend, fire, maintain) is kept as versions, like a
--    note: a new decision is a new row, the history stays; stance NULL hands the account back to
--    the proposal.
ALTER TABLE opportunities ADD COLUMN campaign VARCHAR;
ALTER TABLE deal_facts ADD COLUMN discount_pct DOUBLE;
ALTER TABLE deal_facts ADD COLUMN campaign VARCHAR;
ALTER TABLE account_lookup ADD COLUMN annual_value DOUBLE;

CREATE TABLE account_stance_versions (
    account  VARCHAR NOT NULL,         -- the account's name as the deals resolve it
    version  INTEGER NOT NULL,
    stance   VARCHAR,                  -- attack | defend | fire | maintain; NULL: back to the proposal
    proposed VARCHAR,                  -- what the rules proposed when the manager decided
    reason   VARCHAR,
    author   VARCHAR NOT NULL,
    saved_at TIMESTAMP NOT NULL,
    PRIMARY KEY (account, version)
);
