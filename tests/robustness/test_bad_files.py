"""Every bad file ends in a refusal sentence (the store unchanged) or in rows loaded and rows
rejected with their row number and reason, adding up to the file's data rows."""
from __future__ import annotations

import hashlib

import pytest

from intel import store
from intel.access import LOCAL_ADMIN as ADMIN
from intel.ingest import import_file
from tests.conftest import FIXTURES
from tests.robustness.badfiles import refusals, row_level

REFUSALS, ROW_LEVEL = refusals(), row_level()


def checksum(db) -> str:
    """A hash over every table's rows (sorted: a table has no order)."""
    cur = store.cursor(db)
    try:
        tables = [t for (t,) in cur.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_type = 'BASE TABLE' ORDER BY table_name").fetchall()]
        digest = hashlib.sha256()
        for table in tables:
            digest.update(table.encode())
            for row in sorted(repr(r) for r in cur.execute(f'SELECT * FROM "{table}"').fetchall()):
                digest.update(row.encode())
        return digest.hexdigest()
    finally:
        cur.close()


def one_sentence(text: str) -> bool:
    return bool(text) and "\n" not in text and "Traceback" not in text and text.rstrip().endswith(".")


@pytest.fixture
def loaded_db(db):
    """A store already holding an import, so a refusal has something to leave alone."""
    assert import_file(FIXTURES / "accounts.csv", db=db, by=ADMIN).status == "loaded"
    return db


@pytest.mark.parametrize("bad", REFUSALS, ids=[b.name for b in REFUSALS])
def test_bad_file_is_refused_in_one_sentence_and_the_store_is_unchanged(bad, loaded_db):
    before = checksum(loaded_db)
    result = import_file(bad.data, bad.name, db=loaded_db, by=ADMIN, as_of="2026-02-01")
    assert result.status == "refused", result.message
    assert one_sentence(result.message) and bad.refusal in result.message, result.message
    assert checksum(loaded_db) == before


@pytest.mark.parametrize("bad", ROW_LEVEL, ids=[b.name for b in ROW_LEVEL])
def test_every_data_row_is_loaded_or_rejected_with_its_row_and_reason(bad, db):
    result = import_file(bad.data, bad.name, db=db, by=ADMIN, as_of="2026-02-01")
    assert result.status == "loaded", result.message
    cur = store.cursor(db)
    try:
        stored = dict(cur.execute("SELECT id, account FROM opportunities").fetchall())
    finally:
        cur.close()
    assert len(stored) == result.rows_loaded
    assert result.rows_loaded + result.rows_rejected == bad.data_rows
    assert result.rejects["reason"].map(one_sentence_or_phrase).all()
    if bad.rejected_rows is not None:
        assert sorted(map(row_of, result.rejects["row"], result.rejects["reason"])) == bad.rejected_rows
        assert set(stored) == {str(i) for i in range(1, bad.data_rows + 1)} - {str(i) for i in bad.rejected_rows}
    for deal_id, account in bad.accounts.items():
        assert stored[deal_id] == account


def row_of(row, reason: str) -> int:
    """The data row a reject names: its row, or for a line DuckDB could not split, 'line N' (the
    header is line 1, and no value in these files spans lines, so data row = N - 1)."""
    if row is not None and row == row:
        return int(row)
    return int(reason.split(":")[0].removeprefix("line ")) - 1


def one_sentence_or_phrase(reason) -> bool:
    return isinstance(reason, str) and reason.strip() != "" and "Traceback" not in reason


def test_mixed_encodings_say_how_many_lines_were_not_utf8(db):
    bad = next(b for b in ROW_LEVEL if b.name == "mixed_encodings.csv")
    result = import_file(bad.data, bad.name, db=db, by=ADMIN, as_of="2026-02-01")
    # rows 3, 6 and 9 were written in Windows-1252, the other six in UTF-8
    assert any(w.startswith("3 lines of mixed_encodings.csv were not UTF-8") for w in result.warnings)


@pytest.mark.parametrize("name, said", [("windows_1252.csv", "Windows-1252"), ("utf16_bom.csv", "UTF-16"),
                                        ("utf16le_no_bom.csv", "little-endian"),
                                        ("utf16be_no_bom.csv", "big-endian")])
def test_the_encoding_used_is_said(name, said, db):
    bad = next(b for b in ROW_LEVEL if b.name == name)
    result = import_file(bad.data, bad.name, db=db, by=ADMIN, as_of="2026-02-01")
    assert any(said in n for n in result.notes) and said in result.encoding


def test_unterminated_quote_rejects_its_row_by_number_and_loads_the_rest(db):
    bad = next(b for b in ROW_LEVEL if b.name == "unterminated_quote.csv")
    result = import_file(bad.data, bad.name, db=db, by=ADMIN, as_of="2026-02-01")
    # 1,000 rows, the quote in row 10 never closes: 999 load, row 10 is the one reject
    assert (result.rows_loaded, result.rows_rejected) == (999, 1)
    assert result.rejects.iloc[0]["row"] == 10 and "never closes" in result.rejects.iloc[0]["reason"]


def test_amount_and_date_rejects_say_why(db):
    numbers = next(b for b in ROW_LEVEL if b.name == "extreme_numbers.csv")
    dates = next(b for b in ROW_LEVEL if b.name == "extreme_dates.csv")
    reasons = {}
    for bad in (numbers, dates):
        result = import_file(bad.data, bad.name, db=db, by=ADMIN, as_of="2026-02-01")
        reasons[bad.name] = dict(zip(result.rejects["row"].astype(int), result.rejects["reason"]))
    assert "too large" in reasons["extreme_numbers.csv"][2]
    assert "not a number" in reasons["extreme_numbers.csv"][5]
    assert "outside the dates" in reasons["extreme_dates.csv"][2]
    assert "outside the dates" in reasons["extreme_dates.csv"][3]
    assert "not a date" in reasons["extreme_dates.csv"][4]


def test_a_failing_file_does_not_stop_the_next(db):
    """What "Import N files" and `intel import A B C` do: one result per file, in order."""
    files = [REFUSALS[0], next(b for b in ROW_LEVEL if b.name == "extreme_numbers.csv"), REFUSALS[6]]
    results = [import_file(b.data, b.name, db=db, by=ADMIN, as_of="2026-02-01")
               for b in files]
    assert [r.status for r in results] == ["refused", "loaded", "refused"]
