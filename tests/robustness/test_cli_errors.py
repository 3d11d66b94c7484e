"""The command line answers every wrong input with one sentence on stderr and exit code 2."""
from __future__ import annotations

import csv
import io

import pytest

from intel.__main__ import main
from tests.conftest import FIXTURES


def run(capsys, *args) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in args])
    except SystemExit as stop:   # argparse's own errors leave this way, as from a shell
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


def one_sentence(err: str) -> bool:
    lines = err.strip().splitlines()
    return len(lines) == 1 and "Traceback" not in err and lines[0].endswith(".")


@pytest.mark.parametrize("args, said", [
    (["import", FIXTURES / "accounts.csv", "--as-of", "2026-13-01"], "--as-of '2026-13-01' is not a date"),
    (["import", FIXTURES / "accounts.csv", "--as-of", "9999-12-31"], "outside the dates"),
    (["import", "no-such-file.csv"], "does not exist"),
    (["import", FIXTURES], "is a folder"),
    (["report", "--period", "2026-Q3", "--out", "/no/such/folder/qbr.html"], "does not exist"),
    (["report", "--period", "9999-12", "--out", "qbr.html"], "outside the dates"),
    (["metric", "movement", "--period", "9999-12"], "outside the dates"),
    (["metric", "bridge", "--from", "2026-Q1", "--to", "9999-Q1"], "outside the dates"),
    (["undo", "99"], "There is no import #99"),
    (["undo", "abc"], "invalid int value"),
])
def test_cli_error_is_one_sentence_and_exit_code_2(args, said, db, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *args)
    assert code == 2 and one_sentence(err) and said in err, err
    assert not (tmp_path / "qbr.html").exists()


def test_import_of_several_files_goes_on_past_the_failing_ones(db, capsys):
    code, out, err = run(capsys, "import", "missing.csv", FIXTURES / "web_page.csv", FIXTURES / "accounts.csv")
    assert "accounts.csv: accounts, 2 rows loaded" in out           # the third file still loads
    assert "missing.csv does not exist" in err
    assert "2 of 3 files were not imported: missing.csv, web_page.csv" in err
    assert code == 2


def test_csv_from_the_command_line_is_formula_safe(db, capsys, tmp_path):
    owner = '=HYPERLINK("http://evil.example","x")'
    deals = tmp_path / "deals.csv"
    deals.write_text("Opportunity ID,Stage,Amount,Close Date,Owner\n"
                     f'1,Closed Won,10,2026-01-15,"{owner.replace(chr(34), chr(34) * 2)}"\n'
                     "2,Closed Lost,10,2026-01-20,Ann\n", encoding="utf-8")
    assert run(capsys, "import", deals, "--as-of", "2026-02-01")[0] == 0
    code, out, _ = run(capsys, "metric", "win-rate", "--by", "owner", "--from", "2026-01-01", "--to", "2026-01-31")
    assert code == 0
    owners = [row["owner"] for row in csv.DictReader(io.StringIO(out))]
    # the spreadsheet would run the first as a formula: it leaves with an apostrophe in front
    assert sorted(owners) == sorted(["'" + owner, "Ann"])
