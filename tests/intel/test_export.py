"""Exported tables cannot run as formulas in a spreadsheet."""
import io

import openpyxl
import pandas as pd

from intel.export import formula_safe, to_csv_bytes, to_xlsx_bytes

TABLE = pd.DataFrame({"name": ['=HYPERLINK("http://x")', "+1", "-cmd", "@SUM(A1)", "plain"],
                      "amount": [1.5, -2.0, 3.0, 4.0, 5.0]})


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
