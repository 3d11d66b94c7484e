"""Real exports, right numbers: related tables, currencies both ways, dateless win/loss sets,
custom fields, no-decision wording, and files that are not deals (tests/fixtures/real/).

Each expected figure is worked out by hand in a comment from the fixture's rows.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from intel import metrics
from intel.access import LOCAL_ADMIN as ADMIN
from intel.filters import ALL_TIME, Filters, default_range
from intel.holdings import unconverted_note
from intel.ingest import import_file
from tests.conftest import FIXTURES, rows

REAL = FIXTURES / "real"
YEAR_2026 = Filters(dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def load(name, **kw):
    result = import_file(REAL / name, by=ADMIN, **kw)
    assert result.status == "loaded", result.message
    return result


def facts(deal_id, *cols):
    from intel import models

    models.refresh()
    found = rows(f"SELECT {', '.join(cols)} FROM deal_facts WHERE id = $id", {"id": deal_id})
    assert len(found) == 1, found
    return found[0]


# ---- Salesforce Data Export: Opportunity + CurrencyType + DatedConversionRate + User + Account ----

def test_salesforce_currency_table_divides_by_the_rate_and_says_which_way(db):
    load("sfdc_Opportunity.csv")
    fx = load("sfdc_CurrencyType.csv")
    # CurrencyType: MXN 18.2 per corporate USD. 182,000 MXN / 18.2 = 10,000 USD (the old code
    # multiplied: 3,312,400). JPY 1,500,000 / 150 = 10,000. EUR 9,500 / 0.92 = 10,326.09.
    assert facts("0065e00000AbCdEAA2", "amount") == (10_000.0,)
    assert facts("0065e00000AbCdEAA5", "amount") == (10_000.0,)
    assert facts("0065e00000AbCdEAA1", "amount") == (pytest.approx(10_326.09),)
    assert any("1 USD = 0.92 EUR" in n and "corporate" in n for n in fx.notes)


def test_dated_rates_convert_each_deal_at_the_rate_on_its_close_date(db):
    load("sfdc_Opportunity.csv")
    load("sfdc_CurrencyType.csv")
    load("sfdc_DatedConversionRate.csv")
    # EUR 0.90 from 2026-01-01, 0.95 from 2026-07-01 (dated rates win over CurrencyType's 0.92):
    # won 2026-08-15: 9,500 / 0.95 = 10,000; lost 2026-03-01: 4,500 / 0.90 = 5,000.
    assert facts("0065e00000AbCdEAA1", "amount") == (10_000.0,)
    assert facts("0065e00000AbCdEAA4", "amount") == (5_000.0,)
    # MXN has no dated rate: CurrencyType's 18.2 still converts it.
    assert facts("0065e00000AbCdEAA2", "amount") == (10_000.0,)


def test_deals_without_a_rate_are_left_out_and_counted(db):
    load("sfdc_Opportunity.csv")
    load("sfdc_CurrencyType.csv")
    load("sfdc_DatedConversionRate.csv")
    # CHF has no rate: the CHF 1,000 deal is won but converts to nothing.
    assert facts("0065e00000AbCdEAA6", "amount") == (None,)
    note = unconverted_note()
    assert note.startswith("1 deal (CHF 1,000) has no exchange rate to USD, so every amount in USD "
                           "leaves it out")
    # Bookings 2026 in USD: 10,000 (EUR) + 10,000 (MXN) + 5,000 (USD) = 25,000; the CHF deal out.
    trend = metrics.win_rate_trend(YEAR_2026, "quarter")
    assert trend["won_amount"].sum() == pytest.approx(25_000.0)
    assert trend["won"].sum() == 4          # A1, A2, A3 and the CHF deal: counted, not valued


def test_user_and_account_tables_turn_ids_into_names_whichever_comes_first(db):
    load("sfdc_User.csv")          # before the deals
    load("sfdc_Opportunity.csv")
    accounts = load("sfdc_Account.csv")  # after them
    owner, team, manager = facts("0065e00000AbCdEAA1", "owner", "team", "manager")
    assert (owner, team, manager) == ("Lena Hoffmann", "Enterprise EMEA", "Amara Okafor")  # ManagerId -> name
    account, industry, country = facts("0065e00000AbCdEAA1", "account", "industry", "country")
    assert (account, industry, country) == ("Rhein Logistik GmbH", "Transportation", "Germany")
    # Alpenbank's account is not in Account.csv: its id stays, nothing is invented.
    assert facts("0065e00000AbCdEAA6", "account") == ("0015e00000XyZaBAA5",)
    # 9 deals, 8 of them at the 4 accounts the file holds (A6 is the odd one out).
    assert any("8 of 9 deals matched by account" in n for n in accounts.notes)
    owners = {o for (o,) in rows("SELECT DISTINCT owner FROM deal_facts")}
    assert owners == {"Lena Hoffmann", "Diego Ramírez"}


def test_custom_fields_match_without_their_suffix_and_the_filled_one_wins(db):
    result = load("sfdc_Opportunity.csv")
    # Loss_Reason__c (empty) comes first in the header; LossReason__c holds the reasons.
    assert result.mapping["loss_reason"] == "LossReason__c"
    assert result.mapping["competitor"] == "Competitor__c"
    assert any("'LossReason__c' (3 values)" in n and "'Loss_Reason__c' (0 values)" in n for n in result.notes)
    assert facts("0065e00000AbCdEAA9", "loss_reason", "competitor") == ("Price", "Fabrikam")


def test_real_no_decision_wording_counts_as_no_decision(db):
    load("sfdc_Opportunity.csv")
    load("sfdc_CurrencyType.csv")
    # Closed in 2026: won A1 A2 A3 A6 (4); lost A4 "No Decision / Non-Responsive",
    # A8 "No decision - status quo", A9 "Price" (3). Win rate 4/7; without no-decision 4/5.
    both = metrics.win_rate_trend(YEAR_2026, "quarter")
    assert both["won"].sum() / both["closed"].sum() == pytest.approx(4 / 7)
    decided = metrics.win_rate_trend(YEAR_2026, "quarter", exclude_no_decision=True)
    assert decided["won"].sum() / decided["closed"].sum() == pytest.approx(4 / 5)


@pytest.mark.parametrize("reason, counted", [
    ("No Decision / Non-Responsive", True), ("No decision - status quo", True), ("Did not proceed", True),
    ("no-decision", True), ("Customer went dark", True), ("Lost to competitor", False), ("Price", False),
    ("Decision maker left", False)])
def test_no_decision_patterns(reason, counted):
    from intel.outcomes import is_no_decision

    assert is_no_decision(reason) is counted


# ---- a CRM sample export as four related tables ----

def test_related_tables_give_deals_a_region_team_industry_and_family(db):
    teams = load("crm_sales_teams.csv")          # before the deals: joins as soon as they come
    assert teams.kind == "owners" and "no deals are loaded yet" in teams.notes[0]
    load("crm_sales_pipeline.csv")
    load("crm_accounts.csv")
    products = load("crm_products.csv")
    assert products.kind == "products"
    # 'GTXPro' in the deals is 'GTX Pro' in the products sheet.
    assert facts("Z063OYW0", "product", "product_family") == ("GTX Pro", "GTX")
    assert facts("Z063OYW0", "region", "team", "industry") == ("Central", "Melvin Marxen", "medical")
    # Closed deals by region (sales_teams.csv): Central won 3 of 4 (Darcel 2 won, Niesha 1 won,
    # Anna 1 lost); East 2 of 3 (Moses 2 won, Markita 1 lost); West 1 of 2 (Zane won, Vicki lost).
    wide = Filters(dt.date(2016, 1, 1), dt.date(2017, 12, 31))
    by = metrics.win_rate_by("region", wide).set_index("member")
    assert by.loc[["Central", "East", "West"], "won"].tolist() == [3, 2, 1]
    assert by.loc[["Central", "East", "West"], "closed"].tolist() == [4, 3, 2]
    family = metrics.win_rate_by("product_family", wide).set_index("member")
    assert family.loc["GTX", "won"] == 5 and family.loc["GTX", "closed"] == 6     # 7GN8 lost
    assert family.loc["MG", "won"] == 1 and family.loc["MG", "closed"] == 3
    # Lost deals carry close_value 0: win rate by value is undefined, not 100%.
    assert by["win_rate_by_value"].isna().all()


def test_lookups_loaded_after_the_deals_say_what_they_joined(db):
    load("crm_sales_pipeline.csv")
    teams = load("crm_sales_teams.csv")
    # 11 deals, every agent in the sheet; all 11 now have a region and a manager.
    assert teams.notes == ["10 people → manager, region; 11 of 11 deals matched by owner; "
                           "deals with manager: 11, region: 11."]


# ---- a dateless win/loss dataset ----

def test_win_loss_dataset_without_dates_loads_every_row_and_counts_all_time(db):
    result = load("ibm_sales_win_loss.csv")
    # 12 rows; 2052337 appears twice (rows 10 and 11): the second is rejected, 11 load.
    assert (result.rows_loaded, result.rows_rejected) == (11, 1)
    assert result.rejects["row"].tolist() == [11]
    assert "first on row 10" in result.rejects["reason"][0]
    assert result.mapping["id"] == "Opportunity Number" and result.mapping["amount"] == "Opportunity Amount USD"
    assert rows("SELECT DISTINCT currency FROM opportunities") == [("USD",)]
    assert default_range() == ALL_TIME
    # All time by region: Northwest 1 of 2, Pacific 2 of 6, Midwest 0 of 2, Southwest 1 of 1.
    by = metrics.win_rate_by("region", Filters(*default_range())).set_index("member")
    assert by.loc[["Northwest", "Pacific", "Midwest", "Southwest"], "won"].tolist() == [1, 2, 0, 1]
    assert by.loc[["Northwest", "Pacific", "Midwest", "Southwest"], "closed"].tolist() == [2, 6, 2, 1]
    # the trend needs dates: no periods
    assert metrics.win_rate_trend(Filters(*ALL_TIME)).empty


def test_rows_without_id_name_account_or_owner_do_not_collide(db):
    data = b"Result,Amount\nWon,100\nLost,200\nWon,100\nLost,50\n"
    # so bare a file is not clearly a deal list: refused until the analyst says it is
    assert import_file(data, "winloss.csv", by=ADMIN).status == "refused"
    result = import_file(data, "winloss.csv", kind="opportunities", by=ADMIN)
    # four deals, two identical rows among them: all four load (no key to call them duplicates)
    assert (result.rows_loaded, result.rows_rejected) == (4, 0)
    assert rows("SELECT count(DISTINCT id) FROM opportunities") == [(4,)]


# ---- files that are not deals ----

def _store_state():
    return rows("SELECT (SELECT count(*) FROM imports), (SELECT count(*) FROM opportunities)")


def test_a_grouped_summary_is_refused_with_the_kind_that_would_force_it(db):
    before = _store_state()
    result = import_file(REAL / "sfdc_report_summary_by_stage.csv", by=ADMIN)
    assert result.status == "refused"
    assert "grouped summary" in result.message and "--kind opportunities" in result.message
    assert _store_state() == before
    preview = import_file(REAL / "sfdc_report_summary_by_stage.csv", dry_run=True, by=ADMIN)
    assert preview.needs_choice and preview.confidence < 0.6


def test_an_order_list_is_not_taken_for_deals(db):
    before = _store_state()
    result = import_file(REAL / "orders.csv", by=ADMIN)
    assert result.status == "refused" and "no column could be read as the deal's stage" in result.message
    forced = import_file(REAL / "orders.csv", kind="opportunities", by=ADMIN)
    # State ('Kentucky', ...) is no outcome: all 5 rows would be rejected, so nothing loads.
    assert forced.status == "refused" and "5 of 5 rows of orders.csv would be rejected" in forced.message
    assert "--force" in forced.message
    assert _store_state() == before


def test_a_good_deal_file_is_confident(db):
    from intel.ingest.mapping import detect
    from intel.ingest.read import open_source

    src = open_source(REAL / "sfdc_Opportunity.csv")
    try:
        detection = detect(src.headers, src.sample)
    finally:
        src.close()
    assert detection.kind == "opportunities" and detection.confident


# ---- FX files in other shapes ----

def test_rates_to_the_reporting_currency_are_turned_round(db):
    fx = load("fx_rates_to_usd.csv")
    assert any("'Rate to USD' says so" in n for n in fx.notes)
    import_file(FIXTURES / "salesforce_report.csv", by=ADMIN)   # one EUR deal of 500.00
    from intel import models

    models.refresh()   # the deals view reads the FX model (an import's alert check used to rebuild it)
    # 1 EUR = 1.087 USD: 500 EUR = 543.50 USD
    assert rows("SELECT amount_reporting FROM deals WHERE currency = 'EUR'") == [(Decimal("543.50"),)]


@pytest.mark.parametrize("body, inverse", [
    (b"Currency,Rate\nJPY,150.2\nEUR,0.93\nMXN,18.1\n", False),     # units per USD
    (b"Currency,Rate\nJPY,0.00666\nEUR,1.075\nMXN,0.0552\n", True),  # USD per unit
])
def test_rate_direction_is_read_from_the_values(db, body, inverse):
    fx = import_file(body, "rates.csv", by=ADMIN)
    assert fx.status == "loaded", fx.message
    jpy = rows("SELECT rate FROM fx_rates WHERE currency = 'JPY'")[0][0]
    assert jpy == pytest.approx(1 / 0.00666 if inverse else 150.2)
    assert any("1 USD = " in n for n in fx.notes)


def test_an_open_data_exchange_rate_series_converts_deals_by_country(db):
    fx = load("fred_exchange_rates_yearly.csv", kind="fx_rates")
    # Atlantis has no known currency: rejected with its row; the 8 others load.
    assert (fx.rows_loaded, fx.rows_rejected) == (8, 1)
    assert fx.rejects["row"].tolist() == [9]
    # AUD is quoted in USD per AUD (0.7445) among per-USD quotes: turned alone, 1 / 0.7445.
    assert "AUD read the other way" in fx.notes[0]
    aud = rows("SELECT rate FROM fx_rates WHERE currency = 'AUD' AND as_of = DATE '2016-01-01'")[0][0]
    assert aud == pytest.approx(1 / 0.7445)
    jpy = rows("SELECT rate FROM fx_rates WHERE currency = 'JPY' AND as_of = DATE '2016-01-01'")[0][0]
    assert jpy == pytest.approx(108.66)
    deals = (b"Opportunity ID,Opportunity Name,Account Name,Stage,Amount,Currency,Close Date\n"
             b"1,A,Acme,Closed Won,108660,JPY,2016-06-30\n"
             b"2,B,Beta,Closed Won,121050,JPY,2015-03-31\n"
             b"3,C,Gamma,Closed Won,7445,AUD,2016-02-01\n")
    assert import_file(deals, "deals.csv", by=ADMIN).status == "loaded"
    from intel import models

    models.refresh()   # the deals view reads the FX model (an import's alert check used to rebuild it)
    # each at its year's rate: 108,660 / 108.66 = 1,000; 121,050 / 121.05 = 1,000;
    # 7,445 AUD x 0.7445 USD/AUD = 5,542.80
    assert [a for (a,) in rows("SELECT amount_reporting FROM deals ORDER BY id")] == [
        Decimal("1000.00"), Decimal("1000.00"), Decimal("5542.80")]


def test_command_line_on_a_dateless_dataset(tmp_path):
    from tests.test_cli import run

    db = tmp_path / "cli.duckdb"
    out = run(db, "import", REAL / "ibm_sales_win_loss.csv")
    assert out.returncode == 0 and "11 rows loaded, 1 rejected" in out.stdout
    assert "Amounts are in USD, as the column 'Opportunity Amount USD' says." in out.stdout
    by_region = run(db, "metric", "win-rate", "--by", "region", "--format", "json")
    assert by_region.returncode == 0 and "all time" in by_region.stderr
    import json
    won = {r["region"]: (r["won"], r["closed"]) for r in json.loads(by_region.stdout)}
    assert won == {"Northwest": (1, 2), "Pacific": (2, 6), "Midwest": (0, 2), "Southwest": (1, 1)}
    trend = run(db, "metric", "win-rate", "--by", "period")
    assert trend.returncode == 2 and "needs close dates" in trend.stderr


def test_command_line_refuses_a_file_that_is_not_deals_and_forces_it(tmp_path):
    from tests.test_cli import run

    db = tmp_path / "cli.duckdb"
    out = run(db, "import", REAL / "sfdc_report_summary_by_stage.csv")
    assert out.returncode == 1 and "--kind opportunities" in out.stdout
    fx = run(db, "import", REAL / "sfdc_CurrencyType.csv")
    assert "note: Rates read as units of each currency per 1 USD" in fx.stdout and "1 USD = 0.92 EUR" in fx.stdout
