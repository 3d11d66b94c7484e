"""Exported tables read as the app shows them and cannot run as formulas in a spreadsheet."""
import csv
import datetime as dt
import io

import openpyxl
import pandas as pd

from intel.export import file_name, formula_safe, scope_slug, title, to_csv_bytes, to_xlsx_bytes
from intel.filters import Filters

TABLE = pd.DataFrame({"name": ['=HYPERLINK("http://x")', "+1", "-cmd", "@SUM(A1)", "plain"],
                      "amount": [1.5, -2.0, 3.0, 4.0, 5.0]})

# a metric's rows as the runner returns them: a helper column, money with sub-cent digits, a rate,
# a day held as a midnight timestamp, a missing value
VARIANCE = pd.DataFrame({
    "period_start": pd.to_datetime(["2026-07-01", "2026-07-01"]),
    "member": ["EMEA", "APAC"],
    "actual": [1234.5678, 9566300.0],
    "variance": [-5800000.5115, None],
    "win_rate": [0.30589788732394, 0.25],
    "forecast_submitted_at": pd.to_datetime(["2026-09-28", None]),
})
SCOPE = "Region: EMEA · closed 2025-06-01 to 2026-11-30 · data as of 2026-11-16"


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_text_cells_that_would_be_formulas_get_an_apostrophe():
    safe = formula_safe(TABLE)
    assert safe["name"].tolist() == ["'=HYPERLINK(\"http://x\")", "'+1", "'-cmd", "'@SUM(A1)", "plain"]
    assert safe["amount"].tolist() == [1.5, -2.0, 3.0, 4.0, 5.0]   # numbers stay numbers


def test_csv_and_xlsx_carry_no_formula():
    csv_text = to_csv_bytes(TABLE).decode("utf-8-sig")
    assert "\n=" not in csv_text and ",=" not in csv_text
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(TABLE)))
    cells = [c.value for c in book.active["A"]][1:]
    assert cells[0] == "'=HYPERLINK(\"http://x\")"
    assert all(c.data_type != "f" for c in book.active["A"])
    assert [c.value for c in book.active["B"]][1:] == [1.5, -2, 3, 4, 5]


def test_csv_opens_with_the_scope_line_then_the_headers_the_table_shows():
    rows = csv_rows(to_csv_bytes(VARIANCE, scope=SCOPE, dim="region"))
    assert rows[0] == [SCOPE]
    # period_start is dropped; member is headed by the dimension; every header is the app's label
    assert rows[1] == ["Region", "Actual", "Variance", "Win rate", "Call submitted"]


def test_csv_rounds_money_to_the_cent_keeps_rates_whole_and_days_without_midnight():
    rows = csv_rows(to_csv_bytes(VARIANCE, scope=SCOPE))
    emea, apac = rows[2], rows[3]
    assert emea[1] == "1234.57" and emea[2] == "-5800000.51"        # 1234.5678 -> 1234.57
    assert float(emea[3]) == 0.30589788732394                        # a rate keeps its precision
    assert emea[4] == "2026-09-28"                                   # a day, not 2026-09-28 00:00:00
    assert apac[2] == "" and apac[4] == ""                           # missing stays empty


def test_xlsx_puts_the_scope_line_in_the_first_row_and_formats_each_column():
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(VARIANCE, scope=SCOPE, dim="region"))).active
    assert sheet["A1"].value == SCOPE
    assert [c.value for c in sheet[2]] == ["Region", "Actual", "Variance", "Win rate", "Call submitted"]
    assert sheet["B3"].value == 1234.57 and sheet["B3"].number_format == "#,##0.00"
    assert sheet["D3"].value == 0.30589788732394 and sheet["D3"].number_format == "0.0%"
    assert sheet["E3"].value.date() == dt.date(2026, 9, 28) and sheet["E3"].number_format == "yyyy-mm-dd"


def test_labels_and_the_scope_line_cannot_run_as_formulas_either():
    hostile = "=HYPERLINK(\"http://evil\")"
    data = to_csv_bytes(TABLE, scope="-2+3", labels={"name": hostile})
    rows = csv_rows(data)
    assert rows[0] == ["'-2+3"]
    assert rows[1][0] == "'" + hostile
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(TABLE, scope="@SUM(A1)", labels={"name": hostile}))).active
    assert sheet["A1"].value == "'@SUM(A1)" and sheet["A2"].value == "'" + hostile
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_rejected_rows_go_back_with_the_files_own_headers():
    rejects = pd.DataFrame({"row": [3], "reason": ["amount is not a number"], "Close_Date": ["2026-13-01"],
                            "amount": ["12,5 EUR"]})
    rows = csv_rows(to_csv_bytes(rejects, as_is=True))
    assert rows == [["row", "reason", "Close_Date", "amount"], ["3", "amount is not a number", "2026-13-01", "12,5 EUR"]]


def test_file_names_carry_page_table_period_and_scope():
    emea = Filters(dt.date(2025, 6, 1), dt.date(2026, 11, 30), region=("EMEA",))
    everyone = Filters(dt.date(2025, 6, 1), dt.date(2026, 11, 30))
    assert file_name("forecast", "variance-by-region-2026-Q3", "csv", "2025-06-01-to-2026-11-30",
                     scope_slug(emea)) == "sightline-forecast-variance-by-region-2026-Q3-emea.csv"
    # no period in the table's name: the range is; the page is named once
    assert file_name("forecast", "forecast-accuracy-by-owner", "xlsx", "2025-06-01-to-2026-11-30",
                     scope_slug(everyone)) == "sightline-forecast-accuracy-by-owner-2025-06-01-to-2026-11-30-all.xlsx"
    two = Filters(dt.date(2025, 6, 1), dt.date(2026, 11, 30), region=("North America", "APAC"), segment=("SMB",))
    assert scope_slug(two) == "north-america-apac-smb"
    assert file_name("alerts", "alert-history", "csv") == "sightline-alerts-alert-history.csv"
    assert file_name(None, "rejected-../../Deals Q3.csv", "csv") == "sightline-rejected-deals-q3-csv.csv"


def test_a_tables_name_reads_as_words_in_its_scope_line():
    assert title("variance-by-region-2026-Q3") == "Variance by region 2026-Q3"
    assert title("bridge-2026-Q2-2026-Q3") == "Bridge 2026-Q2 2026-Q3"
    assert title("watchlist-2026-11-16") == "Watchlist 2026-11-16"
