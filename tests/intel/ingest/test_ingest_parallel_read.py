"""A file large enough for DuckDB to read it on several threads: each row keeps its own number.

The staged rows are numbered by their place in the table DuckDB fills from the read (its insertion
order), not by a row_number() that would make the read run on one thread. These tests break if
anything in that read gives up the file's order (a join, as list_contains over a constant word list
became): a rejected row would then be listed under another row's number, with another row's text.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from intel.access import LOCAL_ADMIN as ADMIN
from intel.ingest import import_file
from tests.conftest import rows

ROWS = 100_000   # about 15 MB: DuckDB reads it in several parts at once (a join reorders from ~12 MB)
BAD_AMOUNT = {7, 45_678, 99_980}
PLACEHOLDER = 88_888
SHORT_LINE = 99_990          # two fields: a structural reject, listed by its line (row + 1 for the header)
REPEATS = {90_000: 12_345}   # row 90,000 repeats the id of row 12,345


def _line(i: int) -> str:
    deal_id = f"D{REPEATS.get(i, i):06d}" if i != PLACEHOLDER else "000000000000000AAA"
    amount = "abc" if i in BAD_AMOUNT else f'"USD {i:,}.50"'
    stage = ("Closed Won", "Closed Lost", "Prospecting")[i % 3]
    # a note no column maps to: the rejects list it from a second read, joined by row number
    return f"{deal_id},Deal {i},{stage},{amount},{1 + i % 12:02d}/{1 + i % 28:02d}/2026,note {i} {'x' * 90}"


def test_rows_read_in_parallel_keep_their_numbers_in_loads_and_rejects(db, tmp_path):
    lines = ["Opportunity ID,Opportunity Name,Stage,Amount,Close Date,Notes"]
    lines += ["D099990,Deal 99990" if i == SHORT_LINE else _line(i) for i in range(1, ROWS + 1)]
    path = tmp_path / "big-2026-11-22.csv"
    path.write_text("\n".join(lines) + "\n")
    assert path.stat().st_size > 14_000_000

    result = import_file(path, by=ADMIN)
    assert result.status == "loaded", result.message
    # 100,000 rows: 3 bad amounts, 1 placeholder id, 1 repeated id, 1 short line -> 99,994 loaded
    assert (result.rows_loaded, result.rows_rejected) == (ROWS - 6, 6)
    by_row = {int(r["row"]): r for _, r in result.rejects.iterrows() if r["row"] == r["row"]}
    assert sorted(by_row) == [7, 45_678, 88_888, 90_000, 99_980]
    for n in BAD_AMOUNT:
        assert by_row[n]["reason"] == "amount 'abc' is not a number"
        assert (by_row[n]["Opportunity Name"], by_row[n]["Notes"]) == (f"Deal {n}", f"note {n} {'x' * 90}")
    assert by_row[PLACEHOLDER]["reason"] == "id '000000000000000AAA' is a placeholder, not a real id"
    assert by_row[PLACEHOLDER]["Notes"].startswith(f"note {PLACEHOLDER} ")
    assert by_row[90_000]["reason"] == "opportunity id D012345 appears more than once (first on row 12345)"
    assert (by_row[90_000]["Opportunity Name"], by_row[90_000]["Notes"][:11]) == ("Deal 90000", "note 90000 ")
    structural = [r["reason"] for _, r in result.rejects.iterrows() if r["row"] != r["row"]]
    assert len(structural) == 1 and structural[0].startswith(f"line {SHORT_LINE + 1}: wrong number of fields")

    # the first row of the repeated id is the one loaded, with its own values
    assert rows("SELECT name, stage, amount, close_date FROM opportunities WHERE id = 'D012345'") == [
        ("Deal 12345", "Closed Won", Decimal("12345.50"), dt.date(2026, 10, 26))]   # 12345 % 3 = 0; % 12 = 9; % 28 = 25
    # every loaded deal carries its own row's values (name, amount and id all come from row i)
    assert rows("SELECT count(*) FROM opportunities WHERE name <> 'Deal ' || CAST(amount - 0.5 AS INT) "
                "OR id <> 'D' || lpad(CAST(CAST(amount - 0.5 AS INT) AS VARCHAR), 6, '0')") == [(0,)]
