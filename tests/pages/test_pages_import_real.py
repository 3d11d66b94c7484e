"""The Data and Win-loss pages on real exports (tests/fixtures/real/): unsure files wait for the
analyst, joins and FX directions are said, undated data shows all time, unconverted money is named."""
from __future__ import annotations

import re

from intel.access import LOCAL_ADMIN as ADMIN
from intel.ingest import import_file
from tests.conftest import FIXTURES, rows
from tests.pages.test_pages import app
from tests.pages.test_pages import texts as markdown_texts

REAL = FIXTURES / "real"


def texts(at) -> str:
    """What the page says, Markdown escapes removed (say() escapes what it shows)."""
    return re.sub(r"\\(.)", r"\1", markdown_texts(at))


def upload(at, *names):
    files = [(n, (REAL / n).read_bytes(), "text/csv") for n in names]
    at.file_uploader(key="data_upload_0").set_value(files if len(files) > 1 else files[0]).run()
    assert not at.exception, at.exception


def test_data_page_asks_before_importing_a_file_that_is_not_clearly_deals(db):
    at = app("pages/data.py")
    upload(at, "sfdc_report_summary_by_stage.csv")
    assert "is not clearly opportunities" in texts(at) and "grouped summary" in texts(at)
    assert not [b for b in at.button if b.key == "data_import"]       # nothing to import yet
    at.selectbox(key="data_kindpick_" + at.file_uploader(key="data_upload_0").value[0].file_id
                 + "_opportunities_True").set_value("opportunities").run()
    assert not at.exception, at.exception
    # the analyst said what it is: it can be imported now (and nothing was loaded before)
    assert [b for b in at.button if b.key == "data_import"]
    assert rows("SELECT count(*) FROM imports") == [(0,)]


def test_data_page_offers_import_anyway_when_most_rows_would_be_rejected(db):
    at = app("pages/data.py")
    upload(at, "orders.csv")
    assert "no column could be read as the deal's stage" in texts(at)   # refused outright
    # 3 of 4 amounts are not numbers: most rows would be rejected
    data = (b"Opportunity Name,Account Name,Stage,Amount,Close Date\n"
            b"A,Acme,Prospecting,n/a,2026-12-01\nB,Beta,Prospecting,tbd,2026-12-01\n"
            b"C,Gamma,Closed Won,1000,2026-10-01\nD,Delta,Prospecting,?,2026-12-01\n")
    at.file_uploader(key="data_upload_0").set_value(("half.csv", data, "text/csv")).run()
    assert not at.exception, at.exception
    assert "3 of 4 rows of half" in texts(at) and "would be rejected" in texts(at)
    assert not [b for b in at.button if b.key == "data_import"]
    force = [c.key for c in at.checkbox if c.key.startswith("data_force_")]
    at.checkbox(key=force[0]).check().run()
    at.button(key="data_import").click().run()
    assert not at.exception, at.exception
    assert rows("SELECT count(*) FROM opportunities") == [(1,)]


def test_data_page_says_what_a_lookup_table_joined_and_which_way_rates_read(db):
    import_file(REAL / "crm_sales_pipeline.csv", by=ADMIN)
    at = app("pages/data.py")
    upload(at, "crm_sales_teams.csv", "fx_rates_to_usd.csv")
    assert "'Rate to USD' says so" in texts(at)
    at.button(key="data_import").click().run()
    assert not at.exception, at.exception
    shown = texts(at)
    assert "10 people → manager, region; 11 of 11 deals matched by owner" in shown
    assert "1 USD = 0" in shown and "EUR" in shown


def test_win_loss_page_on_a_dateless_dataset_covers_all_time(db):
    import_file(REAL / "ibm_sales_win_loss.csv", by=ADMIN)
    at = app("pages/win-loss.py")
    tiles = {m.label: m.value for m in at.metric}
    # 11 deals loaded: 4 won (1641984, 1674737, 2052337, 2056021), 7 lost
    assert tiles["Win rate"] == f"{4 / 11:.1%}" and tiles["Deals closed"] == "11"
    assert "The trend needs close dates" in texts(at)


def test_money_pages_name_the_deals_no_rate_converts(db):
    import_file(REAL / "sfdc_Opportunity.csv", by=ADMIN)
    import_file(REAL / "sfdc_CurrencyType.csv", by=ADMIN)
    at = app("pages/win-loss.py")
    assert "1 deal (CHF 1,000) has no exchange rate to USD" in texts(at)
