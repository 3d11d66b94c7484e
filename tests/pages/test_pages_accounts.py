"""The Accounts page (AppTest): its tiles and tables are intel's numbers, the stance filter narrows
the table, a manager's decision (and a stale one) as the page shows it, a viewer and a shared link
read without a form, and exports without accounts, discounts, lead sources or created dates each get
a sentence, never a traceback."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from intel import accounts, metrics, users
from intel.access import LOCAL_ADMIN as ADMIN, Actor
from intel.filters import Filters, default_range
from intel.ingest.load import import_file
from tests.conftest import ROOT
from tests.pages.test_pages import TIMEOUT, shown, texts

PAGE = "pages/accounts.py"
PASSWORD = "correct horse battery"

# Ten deals as a Salesforce report writes them, snapshot 2026-10-15, with the holes real exports
# have: a deal without an account (T07), without a lead source (T04, T08), a created date (T04), a
# discount (T02, T07), an amount (T08), a segment (T04, T07). The filter bar's default range is
# 2025-04-01 to 2026-09-30 (the quarters to the latest close, 2026-09-15).
TINY = b'''"Opportunity ID","Opportunity Name","Account Name","Opportunity Owner","Stage","Amount","Close Date","Created Date","Lead Source","Type","Discount","Primary Competitor","Region","Segment"
"T01","Acme - Core","Acme","Ann Lee","Closed Won","10000","2026-03-10","2026-01-05","Web","New Business","10%","Fabrikam","EMEA","SMB"
"T02","Acme - Add-on","Acme","Ann Lee","Closed Lost","5000","2026-04-10","2026-02-01","Web","New Business","","Fabrikam","EMEA","SMB"
"T03","Acme - Renewal","Acme","Bob Ray","Closed Won","20000","2025-06-15","2025-04-01","Referral","Renewal","25%","","EMEA","SMB"
"T04","Beta - Core","Beta","Bob Ray","Closed Won","8000","2026-05-20","","","","5%","","APAC",""
"T05","Beta - Big","Beta","Bob Ray","Closed Lost","12000","2026-06-01","2026-03-01","Partner","New Business","35%","Contoso","APAC","Enterprise"
"T06","Beta - Next","Beta","Cy Dee","Prospecting","7000","2026-12-15","2026-09-01","Partner","New Business","","","APAC","Enterprise"
"T07","Walk-in","","Cy Dee","Closed Won","3000","2026-07-01","2026-05-01","Web","","","","",""
"T08","Gamma - Trial","Gamma","Cy Dee","Closed Lost","","2026-08-01","2026-06-01","","","0%","","EMEA","SMB"
"T09","Gamma - Core","Gamma","Ann Lee","Closed Won","15000","2026-09-15","2026-07-01","Event","New Business","15%","Fabrikam","EMEA","SMB"
"T10","Gamma - Expand","Gamma","Ann Lee","Negotiation/Review","9000","2027-01-15","2026-10-01","Event","Upsell","22%","","EMEA","SMB"
'''
# what many real exports carry and no more: no discount, no lead source, no created date
BARE = b'''"Opportunity Name","Account Name","Stage","Amount","Close Date"
"Acme - Core","Acme","Closed Won","10000","2026-03-10"
"Acme - Add-on","Acme","Closed Lost","5000","2026-04-10"
"Beta - Core","Beta","Closed Won","8000","2026-05-20"
"Beta - Next","Beta","Prospecting","7000","2026-12-15"
'''
# deals that name no account
NO_ACCOUNT = b'''"Opportunity Name","Stage","Amount","Close Date","Created Date","Lead Source","Discount"
"Core","Closed Won","10000","2026-03-10","2026-01-05","Web","10%"
"Add-on","Closed Lost","5000","2026-04-10","2026-02-01","Web","20%"
'''


def accounts_page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def tiles(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def stance_table(at: AppTest):
    return next(d.value for d in at.dataframe if "bookings_by_quarter" in d.value.columns)


def frame_with(at: AppTest, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def radio(at: AppTest, label: str):
    return next(r for r in at.radio if r.label == label)


def stance_now(db=None):
    """What intel says, for the filter bar's default scope."""
    return accounts.account_stance(Filters(*default_range(db)), db)


@pytest.fixture
def tiny(db):
    assert import_file(TINY, "opportunities-2026-10-15.csv", by=ADMIN).ok
    return db


def test_the_tiles_are_intels_counts_of_the_stance_in_force(use_demo_db):
    at = accounts_page()
    frame = stance_now()
    counts = frame["stance"].value_counts()
    shown = tiles(at)
    assert {s: shown[accounts.STANCE_LABELS[s]] for s in accounts.STANCES} == \
        {s: f"{int(counts.get(s, 0)):,}" for s in accounts.STANCES}
    assert shown["Overridden"] == "0"
    assert sum(int(shown[accounts.STANCE_LABELS[s]].replace(",", "")) for s in accounts.STANCES) == len(frame)
    table = stance_table(at)
    assert table["account"].tolist() == frame["account"].head(len(table)).tolist()   # fire, defend, attack, ...
    assert len(table) == len(frame)   # the demo's 240 accounts all fit under 200 per stance


def test_the_stance_filter_narrows_the_table_and_stays_in_the_url(use_demo_db):
    frame = stance_now()
    at = accounts_page()
    radio(at, "Show").set_value("defend").run()
    assert not at.exception, at.exception
    table = stance_table(at)
    defend = frame[frame["stance"] == "defend"]
    assert len(defend) > 0 and table["account"].tolist() == defend["account"].tolist()
    assert set(table["stance"]) == {"Defend"}
    assert at.query_params["ac_stance"] == "defend"
    # and a link carrying the choice opens on it
    linked = stance_table(accounts_page({"ac_stance": "maintain"}))
    assert set(linked["stance"]) == {"Maintain"} and len(linked) == (frame["stance"] == "maintain").sum()


def test_the_first_accounts_per_stance_are_drawn_and_the_note_says_so(use_demo_db, monkeypatch):
    from pages._components import accounts as component

    monkeypatch.setattr(component, "SHOWN_PER_STANCE", 5)
    frame = stance_now()
    at = accounts_page()
    table = stance_table(at)
    expected = frame.groupby("stance", sort=False).head(5)
    assert table["account"].tolist() == expected["account"].tolist()
    assert f"The {len(expected):,} accounts with the largest bookings of the last 12 months in each stance are " \
           f"listed, of {len(frame):,}; the download holds every one." in texts(at)


def test_a_manager_overrides_a_stance_with_a_reason_and_the_table_and_history_show_it(use_demo_db):
    frame = stance_now()
    account = frame[frame["stance"] == "maintain"]["account"].iloc[0]
    at = accounts_page({"ac_account": account})
    assert at.selectbox(key="url_ac_account").value == account
    radio(at, "Stance").set_value("attack")
    next(t for t in at.text_area if t.label == "Reason").set_value("New CIO wants to consolidate vendors")
    next(b for b in at.button if b.label == "Save decision").click().run()
    assert not at.exception, at.exception
    assert any(f"{account}: Attack saved as decision version 1." in s.value.replace("\\", "") for s in at.success)

    history = accounts.stance_history(account)
    assert history[["version", "stance", "proposed", "reason", "author"]].values.tolist() == [
        [1, "attack", "maintain", "New CIO wants to consolidate vendors", "local"]]
    table = stance_table(at).set_index("account")
    assert (table.loc[account, "stance"], table.loc[account, "proposed"], table.loc[account, "override_by"]) == \
        ("Attack", "Maintain", "local")
    shown = tiles(at)
    counts = frame["stance"].value_counts()
    assert shown["Attack"] == f"{int(counts.get('attack', 0)) + 1:,}"
    assert shown["Maintain"] == f"{int(counts.get('maintain', 0)) - 1:,}"
    assert shown["Overridden"] == "1"
    shown_history = frame_with(at, "saved_at")
    assert shown_history[["version", "stance", "proposed", "reason", "author"]].values.tolist() == [
        [1, "Attack", "Maintain", "New CIO wants to consolidate vendors", "local"]]


def test_an_override_without_a_reason_is_refused_with_a_sentence(use_demo_db):
    frame = stance_now()
    account = frame[frame["stance"] == "maintain"]["account"].iloc[0]
    at = accounts_page({"ac_account": account})
    radio(at, "Stance").set_value("fire")
    next(b for b in at.button if b.label == "Save decision").click().run()
    assert not at.exception, at.exception
    assert any("overriding the proposed stance needs a reason" in e.value.replace("\\", "") for e in at.error)
    assert accounts.stance_history(account).empty


def test_a_decision_made_since_the_account_was_opened_is_not_overwritten(use_demo_db):
    frame = stance_now()
    account = frame[frame["stance"] == "maintain"]["account"].iloc[0]
    at = accounts_page({"ac_account": account})
    # another manager decides while this one has the account open
    accounts.set_stance(account, "defend", "Fabrikam called their CFO", 0, proposed="maintain",
                        by=Actor("maria", "manager"))
    radio(at, "Stance").set_value("fire")
    next(t for t in at.text_area if t.label == "Reason").set_value("Too costly to serve")
    next(b for b in at.button if b.label == "Save decision").click().run()
    assert not at.exception, at.exception
    said = texts(at).replace("\\", "")
    assert f"maria decided on {account} at" in said and "since you opened it (Defend: Fabrikam called their CFO)" \
        in said
    assert "The newer decision (version 1) by maria: Defend — Fabrikam called their CFO." in said
    assert accounts.stance_history(account)["version"].tolist() == [1]     # nothing overwritten
    # opening the newest decision lets the manager decide again, against version 1
    next(b for b in at.button if b.label == "Open the newest decision").click().run()
    radio(at, "Stance").set_value("fire")
    next(t for t in at.text_area if t.label == "Reason").set_value("Too costly to serve")
    next(b for b in at.button if b.label == "Save decision").click().run()
    assert accounts.stance_history(account)[["version", "stance", "author"]].values.tolist() == [
        [2, "fire", "local"], [1, "defend", "maria"]]


@pytest.fixture
def password_mode(use_demo_db, monkeypatch):
    monkeypatch.setenv("SIGHTLINE_AUTH", "password")
    users.add_user("vic", "viewer", PASSWORD, by=ADMIN)
    return use_demo_db


def test_a_viewer_reads_the_decision_and_its_history_without_a_form(password_mode):
    frame = stance_now()
    account = frame["account"].iloc[0]
    accounts.set_stance(account, "fire", "Margins gone", 0, proposed=frame["proposed"].iloc[0],
                        by=Actor("maria", "manager"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run().run()
    at.text_input[0].set_value("vic")
    at.text_input[1].set_value(PASSWORD)
    at.button[0].click().run()
    at.query_params["ac_account"] = account
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert not [b for b in at.button if b.label == "Save decision"] and not at.text_area
    said = texts(at).replace("\\", "")
    assert "Stances are decided by managers; you can read the decisions and their history." in said
    assert "Decided by maria on" in said and "Margins gone" in said
    assert frame_with(at, "saved_at")["reason"].tolist() == ["Margins gone"]


def test_a_shared_link_opens_the_page_read_only_with_its_stance_choice(use_demo_db):
    from intel import share

    token = share.create_link("accounts", {"ac_stance": ["defend"]}, by=ADMIN)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["share"] = token
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Accounts"
    assert any("Shared view (read-only)" in i.value for i in at.info)
    assert set(stance_table(at)["stance"]) == {"Defend"}
    assert not [b for b in at.button if b.label == "Save decision"] and not at.multiselect


def test_the_funnel_and_discount_sections_show_intels_numbers_on_a_tiny_export_with_holes(tiny):
    at = accounts_page()
    assert not at.exception
    f = Filters(*default_range())
    frame = stance_now()
    shown = tiles(at)
    assert {s: shown[accounts.STANCE_LABELS[s]] for s in accounts.STANCES} == \
        {s: str(int((frame["stance"] == s).sum())) for s in accounts.STANCES}
    assert sorted(stance_table(at)["account"]) == ["Acme", "Beta", "Gamma"]   # the walk-in names no account

    # funnel, deals created 2025-04-01 to 2026-09-30: Web T01 T02 T07 (2 won, 1 lost: 66.7%, average won
    # deal (10,000 + 3,000) / 2 = 6,500); Referral T03 (20,000 of the 72,000 created: 27.8%); T04 has no
    # created date and T10 was created after the range
    funnel = frame_with(at, "pipeline_share").set_index("member")
    assert funnel.loc["Web", ["created", "won", "lost"]].tolist() == [3, 2, 1]
    assert funnel.loc["Web", "win_rate"] == pytest.approx(2 / 3)
    assert funnel.loc["Web", "average_won_deal"] == pytest.approx(6500)
    assert funnel.loc["Referral", "pipeline_share"] == pytest.approx(20000 / 72000)
    expected = metrics.run("lead_source_funnel", f, grain="all", funnel_by="lead_source").set_index("member")
    assert funnel["created"].to_dict() == expected["created"].to_dict()
    said = texts(at).replace("\\", "")
    assert "Follow-up speed could not be measured" in said   # one snapshot, no stage history

    # discount bands, deals closed in the range: 0% T08 (lost); 0–10% T01 T04 (both won, average 9,000);
    # 10–20% T09; 20–30% T03; over 30% T05 (lost); T02 and T07 carry no discount
    bands = frame_with(at, "band_order").set_index("discount_band")
    assert bands.index.tolist() == ["0%", "0–10%", "10–20%", "20–30%", "over 30%"]
    assert bands["closed"].tolist() == [1, 2, 1, 1, 1] and bands["won"].tolist() == [0, 2, 1, 1, 0]
    assert bands.loc["0–10%", "average_won_deal"] == pytest.approx(9000)
    assert "2 closed deals carry no discount and are left out of the bands." in said
    # approvals (thresholds 25/20/15/10% by size band): T03 (25% on 20,000) and T09 (15% on 15,000) in
    # the largest band's 10%, T10 (22%, open) over its band's 20%
    breaches = frame_with(at, "discount_pct")
    assert sorted(breaches["id"]) == ["T03", "T09", "T10"]
    governance = frame_with(at, "breach_share")
    assert governance["breaches"].sum() == 3
    assert "No owner's average discount rose 2 points or more" in said


def test_an_export_without_discount_lead_source_or_created_dates_says_what_is_missing(db):
    assert import_file(BARE, "opportunities-2026-10-15.csv", by=ADMIN).ok
    at = accounts_page()
    said = texts(at).replace("\\", "")
    assert sorted(stance_table(at)["account"]) == ["Acme", "Beta"]
    # the range: the quarters to the latest close (2026-05-20), 2024-12-01 to 2026-05-31
    assert "No opportunity was created 2024-12-01 to 2026-05-31 in this scope: the funnel needs deals with a " \
           "created date" in said
    assert "carries a discount: discount governance needs a discount column" in said
    assert "A leads export (Salesforce Lead, HubSpot contacts with their lifecycle stage)" in said


def test_an_export_without_accounts_says_so_and_still_reads_funnel_and_discounts(db):
    assert import_file(NO_ACCOUNT, "opportunities-2026-10-15.csv", by=ADMIN).ok
    at = accounts_page()
    said = texts(at).replace("\\", "")
    assert "No deal in this scope names an account" in said
    assert not [d for d in at.dataframe if "bookings_by_quarter" in d.value.columns]
    assert frame_with(at, "pipeline_share")["member"].tolist() == ["Web"]
    assert frame_with(at, "band_order")["discount_band"].tolist() == ["0–10%", "10–20%"]


def test_an_empty_store_points_to_the_data_page(db):
    at = accounts_page()
    assert "No data is loaded: upload an opportunities export with an account column" in at.info[0].value


def test_an_accounts_swot_board_shows_its_stance_and_decisions(use_demo_db):
    frame = stance_now()
    account = frame[frame["stance"] == "maintain"]["account"].iloc[0]
    accounts.set_stance(account, "attack", "Incumbent lost its champion", 0, proposed="maintain",
                        by=Actor("maria", "manager"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["st_scope"] = "account"
    at.query_params["st_value"] = account
    at.run()
    at.switch_page("pages/strategy.py").run()
    assert not at.exception, at.exception
    said = texts(at).replace("\\", "")
    assert "Stance: Attack" in said
    assert "Decided by maria on" in said and "overriding the proposal (Maintain): Incumbent lost its champion" in said
    from urllib.parse import quote_plus

    assert f"(/accounts?ac_account={quote_plus(account)})" in said   # where to decide again
    assert frame_with(at, "saved_at")[["version", "stance", "author"]].values.tolist() == [[1, "Attack", "maria"]]


def test_the_download_holds_every_account_with_its_quarters_as_columns(tiny):
    from pages._components.accounts import for_download, quarter_labels

    frame = stance_now()
    out, labels = for_download(frame)
    # the windows end on the latest close, 2026-09-15: the 8 quarters 2024-Q4 .. 2026-Q3
    assert quarter_labels(frame["anchor"].iloc[0]) == ["2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4",
                                                       "2026-Q1", "2026-Q2", "2026-Q3"]
    assert list(labels.values())[-1] == "Bookings 2026-Q3" and len(out) == len(frame) == 3
    acme = out.set_index("account").loc["Acme"]
    # Acme won 20,000 on 2025-06-15 (2025-Q2) and 10,000 on 2026-03-10 (2026-Q1)
    assert [acme[name] for name in labels] == [0, 0, 20000, 0, 0, 10000, 0, 0]
    assert acme["stance"] == accounts.STANCE_LABELS[frame.set_index("account").loc["Acme", "stance"]]


def fake_conversion(filters, bound, db=None):
    """Leads as the leads export's metric returns them (intel/sql/lead_conversion.sql's columns)."""
    import pandas as pd

    return pd.DataFrame([
        {"member": "Referral", "period": None, "period_start": None, "leads": 40, "mql": 30, "sql": 24,
         "opportunities": 20, "won": 11, "mql_rate": 0.75, "sql_rate": 0.8, "opp_rate": 20 / 24, "won_rate": 0.55,
         "lead_to_won": 11 / 40, "days_to_mql": 3.0, "days_mql_to_sql": 5.0},
        {"member": "Web", "period": None, "period_start": None, "leads": 400, "mql": 120, "sql": 40,
         "opportunities": 30, "won": 9, "mql_rate": 0.3, "sql_rate": 40 / 120, "opp_rate": 0.75, "won_rate": 0.3,
         "lead_to_won": 9 / 400, "days_to_mql": 9.0, "days_mql_to_sql": 12.0}])


def test_with_leads_loaded_the_mql_to_won_funnel_is_shown_per_source(tiny, monkeypatch):
    """Where the catalogue has lead_conversion (the leads export's metric) and it returns leads, the
    page shows its rows; where it returns none, the sentence says what to upload."""
    entry = metrics.Metric("lead_conversion", "Lead conversion", "percent", "Leads to won.", None, "lead_to_won",
                           "leads", grains=("all", "quarter", "month"), params=("funnel_by",),
                           compute="tests.pages.test_pages_accounts:fake_conversion")
    monkeypatch.setitem(metrics.CATALOGUE, "lead_conversion", entry)
    at = accounts_page()
    shown = frame_with(at, "mql_rate")
    assert shown[["member", "leads", "mql", "sql", "opportunities", "won"]].values.tolist() == [
        ["Referral", 40, 30, 24, 20, 11], ["Web", 400, 120, 40, 30, 9]]
    assert "Leads carry no region, segment, owner or product" in texts(at).replace("\\", "")
    rows = fake_conversion
    monkeypatch.setattr("tests.pages.test_pages_accounts.fake_conversion",
                        lambda filters, bound, db=None: rows(filters, bound).iloc[0:0])
    import streamlit as st

    st.cache_data.clear()   # the same data version: the page would read the rows above from its cache
    at = accounts_page()
    assert "(none holds leads created 2025-04-01 to 2026-09-30)" in texts(at).replace("\\", "")


def test_owners_whose_discounts_rise_read_the_rise_in_points(use_demo_db):
    # the demo's planted discounter: his discount rises while his win rate does not
    rising = accounts.rising_discounts(Filters(*default_range()))
    assert "Lukas Weber" in rising["member"].tolist()
    at = accounts_page()
    cells = shown(next(d for d in at.dataframe if "win_rate_change" in d.value.columns)).set_index("member")
    for row in rising.itertuples():
        assert cells.loc[row.member, "rise"] == f"{row.rise * 100:+.1f} points"
        assert cells.loc[row.member, "win_rate_change"] == f"{row.win_rate_change * 100:+.1f} points"
