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
