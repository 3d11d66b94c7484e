"""python -m intel: import, imports, undo, as an analyst scripts them."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import FIXTURES, ROOT


def run(db, *args):
    env = {**os.environ, "SIGHTLINE_DB": str(db)}
    return subprocess.run([sys.executable, "-m", "intel", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_import_prints_kind_rows_rejects_and_mapping(tmp_path):
    db = tmp_path / "cli.duckdb"
    out = run(db, "import", FIXTURES / "salesforce_report.csv", "--as-of", "2026-11-22")
    assert out.returncode == 0, out.stderr
    assert "opportunities (pipeline snapshot), 4 rows loaded, 2 rejected" in out.stdout
    assert "rejected row 3: amount '$1.2k' is not a number" in out.stdout
    assert "owner <- 'Opportunity Owner'" in out.stdout


def test_import_json_and_refusal_exit_code(tmp_path):
    db = tmp_path / "cli.duckdb"
    out = run(db, "import", FIXTURES / "pipedrive_deals.csv", FIXTURES / "web_page.csv", "--json")
    assert out.returncode == 1
    first, second = [json.loads(line) for line in out.stdout.splitlines()]
    assert (first["kind"], first["rows_loaded"], first["rows_rejected"]) == ("opportunities", 3, 0)
    assert first["mapping"]["amount"] == "Deal - Value"
    assert second["status"] == "refused" and "web page" in second["message"]


def test_imports_lists_history_and_undo_removes_rows(tmp_path):
    db = tmp_path / "cli.duckdb"
    run(db, "import", FIXTURES / "accounts.csv")
    listing = run(db, "imports", "--json")
    history = json.loads(listing.stdout)
    assert [(h["id"], h["kind"], h["rows_loaded"]) for h in history] == [(1, "accounts", 2)]
    assert run(db, "undo", "1").returncode == 0
    again = run(db, "undo", "1")
    assert again.returncode == 1 and "already undone" in again.stderr
    assert json.loads(run(db, "imports", "--json").stdout)[0]["undone_at"] is not None


def test_kind_can_be_forced(tmp_path):
    db = tmp_path / "cli.duckdb"
    out = run(db, "import", FIXTURES / "accounts.csv", "--kind", "market", "--json")
    assert json.loads(out.stdout)["status"] == "refused"
    assert "no column for period, indicator" in json.loads(out.stdout)["message"]
