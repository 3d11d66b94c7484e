"""Lead conversion (catalogue entry lead_conversion, intel/sql/lead_conversion.sql): hand-counted
funnels over the fixtures, and the metric equal to its independent check.

The store: the five deals of salesforce_opportunities_campaign.csv (LD001 won, LD002 lost,
LD003 open, LD004 won, LD005 won), two HubSpot deals (9102 lost, 9105 won), the Salesforce
Lead.csv (11 leads) and the HubSpot contacts (8 contacts). By lead source, over all time:

  Web (Salesforce)      L01 converted -> LD001 won, L02 converted -> LD002 lost, L03 'Marketing
                        Qualified', L04 'Open - Not Contacted', L05 'Closed - Not Converted'
                        leads 5, MQL 3 (L01-L03), SQL 2 (L01, L02), opportunities 2, won 1 (L01)
  Referral              L06 converted -> LD003 open, L07 converted -> LD004 won, L08 'Sales Accepted'
                        leads 3, MQL 3, SQL 3, opportunities 2, won 1
  Event                 L10 converted without an opportunity: leads 1, MQL 1, SQL 1, opp 1, won 0
  Partner               L12, no created date: counted over all time only; leads 1, nothing more
  (none)                L09 (Salesforce, nothing filled) and 509 (HubSpot): leads 2
  Organic Search        501 Customer (won as a customer), 502 Opportunity with deals 9102;9105
                        (9105 won: won), 503 MQL, 504 Lead: leads 4, MQL 3, SQL 2, opp 2, won 2;
                        days created -> MQL: 10 (501), 3 (502), 20 (503): median 10;
                        MQL -> SQL: 12 (501), 7 (502): median 9.5
  Paid Search           505 salesqualifiedlead (no MQL date), 506 Subscriber: leads 2, MQL 1, SQL 1
  Referrals (HubSpot)   507 Evangelist: leads 1, and a customer: MQL, SQL, opp and won 1
"""
from __future__ import annotations

import datetime as dt

import pytest

from intel import metrics, store
from intel.access import LOCAL_ADMIN as ADMIN
from intel.filters import ALL_TIME, Filters
from intel.ingest import import_file
from intel.leads import lead_conversion
from tests.conftest import FIXTURES
from tests.intel.test_catalogue import run_and_check

HUBSPOT_DEALS = (b"Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount,Create Date\n"
                 b"9102,Beta first,Closed lost,2026-03-01 10:00,Jo Park,500,2026-02-05 14:00\n"
                 b"9105,Beta second,Closed won,2026-04-01 10:00,Jo Park,900,2026-02-20 10:00\n")
SPRING = Filters(dt.date(2026, 3, 1), dt.date(2026, 5, 31))


@pytest.fixture(scope="module")
def leads_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("leads") / "sightline.duckdb"
    for name in ("salesforce_opportunities_campaign.csv", "salesforce_leads.csv", "hubspot_contacts.csv"):
        assert import_file(FIXTURES / name, db=path, by=ADMIN).status == "loaded"
    assert import_file(HUBSPOT_DEALS, "hubspot-crm-exports-deals-2026-11-15.csv", db=path, by=ADMIN).ok
    yield path
    store.close_all()


def funnel(frame, *members) -> dict:
    """member (or (member, period)) -> (leads, mql, sql, opportunities, won)."""
    key = ["member", "period"] if frame["period"].notna().any() else ["member"]
    out = {}
    for row in frame.itertuples():
        k = tuple(getattr(row, c) for c in key)
        out[k[0] if len(k) == 1 else k] = (row.leads, row.mql, row.sql, row.opportunities, row.won)
    return out


def test_funnel_by_lead_source_over_all_time(leads_db):
    frame = lead_conversion(Filters(*ALL_TIME), db=leads_db)
    assert funnel(frame) == {
        "Web": (5, 3, 2, 2, 1), "Referral": (3, 3, 3, 2, 1), "Event": (1, 1, 1, 1, 0),
        "Partner": (1, 0, 0, 0, 0), "(none)": (2, 0, 0, 0, 0), "Organic Search": (4, 3, 2, 2, 2),
        "Paid Search": (2, 1, 1, 0, 0), "Referrals": (1, 1, 1, 1, 1)}
    assert frame["member"].tolist()[:2] == ["Web", "Organic Search"]   # most leads first
    web = frame.set_index("member").loc["Web"]
    # Web: 3 of 5 leads became MQLs, 2 of 3 SQLs, 2 of 2 opportunities, 1 of 2 won, 1 of 5 overall
    assert (web.mql_rate, web.sql_rate, web.opp_rate, web.won_rate, web.lead_to_won) == pytest.approx(
        (0.6, 2 / 3, 1.0, 0.5, 0.2))
    organic = frame.set_index("member").loc["Organic Search"]
    assert (organic.won_rate, organic.lead_to_won, organic.days_to_mql, organic.days_mql_to_sql) == (
        1.0, 0.5, 10, 9.5)
    paid = frame.set_index("member").loc["Paid Search"]
    # an SQL without an MQL date is an MQL all the same; no opportunity: no won rate (not 0%)
    assert (paid.mql_rate, paid.sql_rate, paid.opp_rate) == (0.5, 1.0, 0.0)
    assert paid.won_rate != paid.won_rate and paid.days_to_mql != paid.days_to_mql   # NaN


def test_the_range_counts_leads_by_their_created_date(leads_db):
    # 2026-03-01 to 2026-05-31: every Salesforce lead but L12 (no created date); of HubSpot's,
    # only 509 (created 2026-03-02): the others came in January and February.
    frame = lead_conversion(SPRING, db=leads_db)
    assert funnel(frame) == {"Web": (5, 3, 2, 2, 1), "Referral": (3, 3, 3, 2, 1), "Event": (1, 1, 1, 1, 0),
                             "(none)": (2, 0, 0, 0, 0)}


def test_by_quarter_each_lead_counts_in_the_quarter_it_came_in(leads_db):
    # Web: L01-L03 in March (Q1), L04, L05 in April (Q2); Referral: L07 on 03-28 (Q1, won),
    # L06 and L08 in Q2 (L06's deal still open).
    frame = lead_conversion(SPRING, grain="quarter", db=leads_db)
    assert funnel(frame) == {
        ("(none)", "2026-Q1"): (1, 0, 0, 0, 0), ("(none)", "2026-Q2"): (1, 0, 0, 0, 0),
        ("Event", "2026-Q2"): (1, 1, 1, 1, 0),
        ("Referral", "2026-Q1"): (1, 1, 1, 1, 1), ("Referral", "2026-Q2"): (2, 2, 2, 1, 0),
        ("Web", "2026-Q1"): (3, 3, 2, 2, 1), ("Web", "2026-Q2"): (2, 0, 0, 0, 0)}
    monthly = lead_conversion(Filters(*ALL_TIME), grain="month", db=leads_db)
    assert ("Partner" not in set(monthly["member"]))   # undated: in no month


def test_funnel_by_campaign(leads_db):
    # Only HubSpot's contacts carry a campaign (First Touch Converting Campaign): 501 and 502
    # 'Spring Webinar' (both won), 505 and 506 'Q1 Paid Search'; the 15 others have none.
    frame = lead_conversion(Filters(*ALL_TIME), by="campaign", db=leads_db)
    assert funnel(frame) == {"(none)": (15, 9, 7, 6, 3), "Spring Webinar": (2, 2, 2, 2, 2),
                             "Q1 Paid Search": (2, 1, 1, 0, 0)}
    webinar = frame.set_index("member").loc["Spring Webinar"]
    assert (webinar.days_to_mql, webinar.days_mql_to_sql) == (6.5, 9.5)   # medians of (10, 3) and (12, 7)


def test_a_lead_imported_again_counts_once(tmp_path):
    db = tmp_path / "again.duckdb"
    import_file(FIXTURES / "salesforce_leads.csv", db=db, by=ADMIN)
    again = import_file(FIXTURES / "salesforce_leads.csv", db=db, by=ADMIN, allow_duplicate=True)
    assert again.rows_loaded == 11
    frame = lead_conversion(Filters(*ALL_TIME), db=db)
    assert int(frame["leads"].sum()) == 11
    store.close_all()


def test_funnel_by_takes_only_lead_source_or_campaign(leads_db):
    with pytest.raises(ValueError, match="Funnel by is one of lead_source, campaign, deal_type"):
        lead_conversion(Filters(*ALL_TIME), by="region", db=leads_db)
    # deal type cuts opportunities, not leads (a lead carries none)
    with pytest.raises(ValueError, match="lead_source or campaign, not 'deal_type'"):
        lead_conversion(Filters(*ALL_TIME), by="deal_type", db=leads_db)


@pytest.mark.parametrize("by", ["lead_source", "campaign"])
@pytest.mark.parametrize("grain", ["all", "quarter", "month"])
@pytest.mark.parametrize("when", ["all time", "spring"])
def test_lead_conversion_equals_its_check(leads_db, by, grain, when):
    filters = Filters(*ALL_TIME) if when == "all time" else SPRING
    run_and_check("lead_conversion", filters, leads_db, grain=grain, funnel_by=by)


def test_catalogue_entry_reads_as_the_page_shows_it():
    metric = metrics.get("lead-conversion")
    assert metric.columns[0] == "member" and metric.value == "lead_to_won" and metric.sample == "leads"
    assert [metrics.column_label(c) for c in ("mql_rate", "sql_rate", "opp_rate", "won_rate", "lead_to_won")] == [
        "Lead to MQL", "MQL to SQL", "SQL to opportunity", "Opportunity to won", "Lead to won"]
    assert metrics.format_value(0.2, metrics.column_format("lead_to_won")) == "20.0%"


# ---- the demo's leads export (intel/demo.py, _lead_rows) ----

def test_every_demo_deal_came_from_a_converted_lead(demo_db):
    from tests.conftest import rows

    # deals created by the last snapshot, each with exactly one converted lead pointing at it
    assert rows("""SELECT count(*), count(l.id), count(DISTINCT l.id)
                   FROM opportunities_current o
                   LEFT JOIN leads l ON l.converted_opportunity_id = o.id AND l.is_converted""",
                db_path=demo_db) == [rows("SELECT count(*), count(*), count(*) FROM opportunities_current",
                                          db_path=demo_db)[0]]
    # and about 4 leads stopped on the way for each (Referral's far fewer)
    converted, stopped = rows("SELECT count(*) FILTER (WHERE is_converted), count(*) FILTER (WHERE NOT is_converted) "
                              "FROM leads WHERE lead_source <> 'Referral'", db_path=demo_db)[0]
    assert 3.7 < stopped / converted < 4.3


def test_demo_referral_turns_mqls_into_opportunities_far_better(demo_db):
    from tests.conftest import rows

    # plain SQL over the leads table: opportunities ÷ MQLs per source (an MQL date, or converted)
    rate = dict(rows("""SELECT lead_source,
                               count(*) FILTER (WHERE is_converted) / count(*) FILTER (WHERE mql_date IS NOT NULL)
                        FROM leads GROUP BY 1""", db_path=demo_db))
    assert 0.55 < rate["Referral"] < 0.65                                  # planted: 60%
    assert all(0.22 < r < 0.28 for s, r in rate.items() if s != "Referral")   # the others: 25%
