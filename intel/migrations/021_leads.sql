-- Leads (issue 17): marketing's leads and how far each went, from a Salesforce Lead export
-- (Lead.csv: IsConverted, ConvertedOpportunityId, Status; a Lead report: Lead Status, Converted)
-- or HubSpot contacts (Lifecycle Stage, "Became a ... Date"). One row per lead per import; a lead
-- exported again in a later import counts once, as last exported (intel/sql/lead_conversion.sql).
--
-- stage_reached is the furthest stage the export says the lead reached, set at load
-- (intel/leads.py, stage_reached_sql, holds the rules; the furthest one met wins):
--   customer     a customer date ("Became a Customer Date"), or a status / lifecycle stage reading
--                customer or evangelist;
--   opportunity  an opportunity date ("Became an Opportunity Date"), Salesforce IsConverted, a
--                converted date or a converted opportunity (deal) id, or a status reading
--                opportunity or converted ("Closed - Converted");
--   sql          an SQL date, or a status reading SQL, SAL, sales qualified or sales accepted;
--   mql          an MQL date, or a status reading MQL or marketing qualified;
--   lead         anything else.
-- A status with "not" or "non" in it ("Closed - Not Converted") says nothing. A stage reached
-- implies the ones before it (a customer was an MQL): the metric counts "reached at least".
CREATE TABLE leads (
    import_id                INTEGER NOT NULL,
    id                       VARCHAR,       -- Lead.Id, HubSpot Record ID
    created_date             DATE,
    lead_source              VARCHAR,
    campaign                 VARCHAR,
    status                   VARCHAR,       -- the lead status or lifecycle stage, as exported
    company                  VARCHAR,
    owner                    VARCHAR,
    is_converted             BOOLEAN,
    converted_date           DATE,
    converted_opportunity_id VARCHAR,       -- the deal's id (several: ';'-separated, HubSpot)
    mql_date                 DATE,
    sql_date                 DATE,
    opportunity_date         DATE,
    customer_date            DATE,
    stage_reached            VARCHAR NOT NULL   -- lead | mql | sql | opportunity | customer
);
