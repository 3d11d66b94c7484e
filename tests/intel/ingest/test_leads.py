"""Leads and campaigns as the exports bring them: Salesforce opportunities with their Primary
Campaign Source; Salesforce Lead.csv, a Salesforce Lead report and HubSpot contacts loaded as
leads, each with the furthest stage it reached (intel/leads.py).

Fixtures (tests/fixtures/): salesforce_opportunities_campaign.csv (5 deals, a report with its
footer), salesforce_leads.csv (Lead.csv: 12 rows, one a repeat), salesforce_lead_report.csv (4
rows, no lead id), hubspot_contacts.csv (9 contacts, one with a date that does not exist).
"""
from __future__ import annotations

import datetime as dt

import pytest

from intel import models
from intel.access import LOCAL_ADMIN as ADMIN
from intel.ingest import auto_mapping, import_file
from tests.conftest import FIXTURES, rows


# ---- the campaign on opportunities ----

def test_salesforce_primary_campaign_source_is_the_deals_campaign(db):
    result = import_file(FIXTURES / "salesforce_opportunities_campaign.csv", db=db, by=ADMIN)
    assert result.status == "loaded" and result.rows_loaded == 5, result.message
    assert result.mapping["campaign"] == "Primary Campaign Source"
    assert result.mapping["lead_source"] == "Lead Source"
    assert rows("SELECT id, lead_source, campaign FROM opportunities ORDER BY id", db_path=db) == [
        ("0065g00000LD001AAA", "Web", "2026 Webinar Series"),
        ("0065g00000LD002AAA", "Web", "2026 Webinar Series"),
        ("0065g00000LD003AAA", "Referral", None),                 # no campaign: NULL, not ''
        ("0065g00000LD004AAA", "Referral", "Partner Co-marketing"),
        ("0065g00000LD005AAA", "Event", "Trade Show - Spring")]
    models.refresh(db)   # the deal facts carry it for the funnel
    assert rows("SELECT campaign FROM deal_facts WHERE id = '0065g00000LD004AAA'", db_path=db) == [
        ("Partner Co-marketing",)]


@pytest.mark.parametrize("headers, campaign", [
    (["Opportunity ID", "Stage", "Lead Source", "Primary Campaign Source"], "Primary Campaign Source"),
    (["Id", "StageName", "LeadSource", "CampaignId"], "CampaignId"),              # Data Export
    (["Opportunity Name", "Stage", "Lead Source", "Campaign Name"], "Campaign Name"),
    (["Deal Name", "Deal Stage", "Original Source Type", "Original Source Data 1"], "Original Source Data 1"),
    (["Deal Name", "Deal Stage", "Campaign", "Original Source Drill-Down 1"], "Campaign"),   # a name first
])
def test_campaign_headers_map_and_lead_source_stays_put(headers, campaign):
    mapping = auto_mapping(headers, "opportunities")
    assert mapping["campaign"] == campaign
    assert "lead_source" not in mapping or mapping["lead_source"] in ("Lead Source", "LeadSource",
                                                                      "Original Source Type")


# ---- leads: which file is which ----

@pytest.mark.parametrize("name, kind", [
    ("salesforce_leads.csv", "leads"),                       # IsConverted, ConvertedOpportunityId, Status
    ("salesforce_lead_report.csv", "leads"),                 # Lead Status, Converted, Lead Owner
    ("hubspot_contacts.csv", "leads"),                       # Lifecycle Stage, Became a ... Date, Email
    ("salesforce_opportunities_campaign.csv", "opportunities"),
    ("salesforce_data_export.csv", "opportunities"),         # Salesforce ids, LeadSource, IsWon: deals
    ("hubspot-crm-exports-all-deals-2026-11-15.csv", "opportunities"),
    ("accounts.csv", "accounts"),
])
def test_a_leads_file_is_told_from_deals_and_accounts(db, name, kind):
    result = import_file(FIXTURES / name, db=db, by=ADMIN, dry_run=True)
    assert result.kind == kind and not result.needs_choice, result.kind_reason


@pytest.mark.parametrize("headers, kind, confident", [
    # HubSpot companies carry a lifecycle stage too, but no person: still the accounts table
    (["Record ID", "Company name", "Industry", "Number of Employees", "Lifecycle Stage",
      "Became a Customer Date"], "accounts", True),
    # a lifecycle stage with neither a person nor an account's attributes: leads, to be confirmed
    (["Record ID", "Lifecycle Stage", "Create Date"], "leads", False),
    # a deal list with a Lead Status column is still a deal list
    (["Opportunity ID", "Stage", "Amount", "Close Date", "Lead Status"], "opportunities", True),
    (["Id", "Status", "LeadSource", "IsConverted", "CreatedDate"], "leads", True),
])
def test_lead_signals_do_not_take_companies_or_deals(headers, kind, confident):
    from intel.ingest.mapping import detect

    detection = detect(headers)
    assert (detection.kind, detection.confident) == (kind, confident), detection.reason


# ---- leads: what each export loads ----

def test_salesforce_lead_export_loads_each_lead_with_the_stage_it_reached(db):
    result = import_file(FIXTURES / "salesforce_leads.csv", db=db, by=ADMIN)
    assert (result.status, result.kind, result.rows_loaded, result.rows_rejected) == ("loaded", "leads", 11, 1)
    assert result.rejects[["row", "reason"]].values.tolist() == [
        [11, "lead id 00Q5g00000LEAD07 appears more than once (first on row 7)"]]
    assert {k: result.mapping.get(k) for k in ("id", "created_date", "lead_source", "status", "is_converted",
                                               "converted_date", "converted_opportunity_id", "owner")} == {
        "id": "Id", "created_date": "CreatedDate", "lead_source": "LeadSource", "status": "Status",
        "is_converted": "IsConverted", "converted_date": "ConvertedDate",
        "converted_opportunity_id": "ConvertedOpportunityId", "owner": "OwnerId"}
    stages = dict(rows("SELECT right(id, 2), stage_reached FROM leads", db_path=db))
    assert stages == {
        "01": "opportunity", "02": "opportunity",    # IsConverted true
        "03": "mql",                                 # Status 'Marketing Qualified'
        "04": "lead", "05": "lead",                  # 'Open - Not Contacted'; 'Closed - Not Converted' says nothing
        "06": "opportunity", "07": "opportunity",
        "08": "sql",                                 # 'Sales Accepted'
        "09": "lead",                                # no status, no flag: every optional column empty
        "10": "opportunity",                         # converted without an opportunity: still converted
        "12": "lead"}
    # ISO timestamps with +0000 are read as their day; empty values are NULL, not '' or false
    assert rows("""SELECT created_date, converted_date, converted_opportunity_id, is_converted, company,
                          lead_source, status, owner FROM leads WHERE right(id, 2) IN ('01', '09', '12')
                   ORDER BY id""", db_path=db) == [
        (dt.date(2026, 3, 4), dt.date(2026, 3, 20), "0065g00000LD001AAA", True, "Acme Corp", "Web",
         "Closed - Converted", "0055g000001OwnAAA"),
        (dt.date(2026, 5, 5), None, None, None, None, None, None, None),
        (None, None, None, False, "Lambda AB", "Partner", "Open - Not Contacted", "0055g000001OwnAAA")]


def test_salesforce_lead_report_reads_its_spellings_and_footer(db):
    result = import_file(FIXTURES / "salesforce_lead_report.csv", db=db, by=ADMIN)
    assert (result.status, result.kind, result.rows_loaded, result.rows_rejected) == ("loaded", "leads", 4, 0)
    assert result.footer_lines > 0
    assert result.mapping == {"created_date": "Create Date", "lead_source": "Lead Source",
                              "status": "Lead Status", "company": "Company / Account", "owner": "Lead Owner",
                              "is_converted": "Converted", "converted_date": "Converted Date"}
    assert any("No lead id column" in w for w in result.warnings)
    assert rows("SELECT company, created_date, is_converted, stage_reached FROM leads ORDER BY created_date",
                db_path=db) == [
        ("Acme Corp", dt.date(2026, 3, 4), False, "mql"),             # 'MQL'
        ("Beta LLC", dt.date(2026, 3, 5), False, "sql"),              # 'SQL'
        ("Gamma Inc", dt.date(2026, 3, 9), True, "opportunity"),      # Converted 1 ('Qualified' alone says nothing)
        (None, dt.date(2026, 3, 12), False, "lead")]                  # 'Unqualified'


def test_hubspot_contacts_read_lifecycle_stage_dates_and_campaign(db):
    result = import_file(FIXTURES / "hubspot_contacts.csv", db=db, by=ADMIN)
    assert (result.status, result.kind, result.rows_loaded, result.rows_rejected) == ("loaded", "leads", 8, 1)
    assert result.rejects[["row", "reason"]].values.tolist() == [
        [9, "created date '2026-02-30 10:00' is not a date"]]
    assert (result.mapping["status"], result.mapping["lead_source"], result.mapping["campaign"]) == (
        "Lifecycle Stage", "Original Source", "First Touch Converting Campaign")
    assert result.mapping["mql_date"] == "Became a Marketing Qualified Lead Date"
    assert result.mapping["converted_opportunity_id"] == "Associated Deal IDs"
    assert dict(rows("SELECT id, stage_reached FROM leads", db_path=db)) == {
        "501": "customer",       # 'Customer'
        "502": "opportunity",    # 'Opportunity'
        "503": "mql",            # 'Marketing Qualified Lead'
        "504": "lead",
        "505": "sql",            # the internal value 'salesqualifiedlead', no MQL date: still an SQL
        "506": "lead",           # 'Subscriber'
        "507": "customer",       # 'Evangelist'
        "509": "lead"}           # nothing but a created date
    assert rows("""SELECT created_date, mql_date, sql_date, campaign, converted_opportunity_id FROM leads
                   WHERE id = '502'""", db_path=db) == [
        (dt.date(2026, 1, 15), dt.date(2026, 1, 18), dt.date(2026, 1, 25), "Spring Webinar", "9102;9105")]


STATUS_ROWS = [   # status (or lifecycle stage) -> the stage it says, with no date or flag beside it
    ("MQL", "mql"), ("Marketing Qualified", "mql"), ("marketingqualifiedlead", "mql"),
    ("SQL", "sql"), ("Sales Qualified Lead", "sql"), ("Sales Accepted", "sql"), ("SAL - Working", "sql"),
    ("Closed - Converted", "opportunity"), ("opportunity", "opportunity"),
    ("Customer", "customer"), ("Evangelist", "customer"),
    ("Closed - Not Converted", "lead"), ("Not Sales Qualified", "lead"), ("Unqualified", "lead"),
    ("Qualified", "lead"), ("Open - Not Contacted", "lead"), ("Other", "lead"), ("Subscriber", "lead"),
]


def test_each_status_reads_as_the_stage_the_rules_say(db):
    body = "Lead ID,Lead Status,Create Date\n" + "".join(
        f"L{i},{status},2026-03-{i + 1:02d}\n" for i, (status, _) in enumerate(STATUS_ROWS))
    result = import_file(body.encode(), "leads.csv", db=db, by=ADMIN)
    assert result.kind == "leads" and result.rows_loaded == len(STATUS_ROWS), result.message
    got = dict(rows("SELECT status, stage_reached FROM leads", db_path=db))
    assert got == dict(STATUS_ROWS)


def test_the_furthest_stage_wins_whatever_says_it(db):
    body = ("Record ID,Email,Lifecycle Stage,Create Date,Became a Marketing Qualified Lead Date,"
            "Became a Customer Date\n"
            "1,a@x.example,Lead,2026-03-01 09:00,,2026-04-01 09:00\n"      # a customer date beats 'Lead'
            "2,b@x.example,Customer,2026-03-01 09:00,2026-03-05 09:00,\n"  # the stage beats the MQL date
            "3,c@x.example,Subscriber,2026-03-01 09:00,2026-03-05 09:00,\n")
    result = import_file(body.encode(), "contacts.csv", db=db, by=ADMIN)
    assert result.kind == "leads", result.message
    assert dict(rows("SELECT id, stage_reached FROM leads", db_path=db)) == {
        "1": "customer", "2": "customer", "3": "mql"}


# ---- leads: undo, and what is refused leaves the store as it was ----

def test_undo_removes_a_leads_import(db):
    from intel.ingest import undo_import

    loaded = import_file(FIXTURES / "salesforce_leads.csv", db=db, by=ADMIN)
    import_file(FIXTURES / "hubspot_contacts.csv", db=db, by=ADMIN)
    assert rows("SELECT count(*) FROM leads", db_path=db) == [(19,)]
    undo_import(loaded.import_id, db=db, by=ADMIN)
    assert rows("SELECT count(*), count(DISTINCT import_id) FROM leads", db_path=db) == [(8, 1)]
    assert rows("SELECT undone_at IS NOT NULL FROM imports WHERE id = $i", {"i": loaded.import_id},
                db_path=db) == [(True,)]


def _held(db) -> tuple:
    return rows("SELECT (SELECT count(*) FROM leads), (SELECT count(*) FROM imports)", db_path=db)[0]


def test_a_refused_leads_file_leaves_the_store_unchanged(db):
    import_file(FIXTURES / "salesforce_leads.csv", db=db, by=ADMIN)
    before = _held(db)
    # nothing says how far a lead went
    result = import_file(b"Id,Company,LeadSource\n00Q1,Acme,Web\n", "leads.csv", kind="leads", db=db, by=ADMIN)
    assert result.status == "refused" and "no column says how far a lead went" in result.message
    assert _held(db) == before
    # most rows unusable: stopped before loading anything
    body = ("Id,Status,IsConverted,CreatedDate\n00Q1,Open,maybe,2026-03-01\n00Q2,Open,perhaps,2026-03-02\n"
            "00Q3,Open,false,2026-03-03\n")
    result = import_file(body.encode(), "leads-2.csv", db=db, by=ADMIN)
    assert result.status == "refused" and "2 of 3 rows" in result.message, result.message
    assert "converted '…' is not yes/no (2)" in result.message
    assert _held(db) == before
