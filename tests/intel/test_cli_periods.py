"""python -m intel metric --from/--to: a date, a month or a (fiscal) quarter; a wrong value is one
sentence and exit code 2."""
from __future__ import annotations

import json

import pytest

from tests.conftest import FIXTURES
from tests.intel.test_cli import run


@pytest.fixture
def winloss(tmp_path):
    db = tmp_path / "cli.duckdb"
    assert run(db, "import", FIXTURES / "winloss_small.csv", "--as-of", "2026-05-01").returncode == 0
    return db


def by_segment(out) -> dict:
    assert out.returncode == 0, out.stderr
    return {r["segment"]: (r["won"], r["lost"]) for r in json.loads(out.stdout)}


def test_months_mean_their_first_and_last_day(winloss):
    # 2026-01 .. 2026-04 = 2026-01-01 .. 2026-04-30, the same deals as the dates (test_cli):
    # SMB W1 W3 / L1 L3 L4, Enterprise W2 / L2 L5, Mid-Market W4 (closed 2026-04-15)
    got = by_segment(run(winloss, "metric", "win-rate", "--from", "2026-01", "--to", "2026-04", "--format", "json"))
    assert got == {"SMB": (2, 3), "Enterprise": (1, 2), "Mid-Market": (1, 0)}


def test_a_quarter_and_a_date_mix(winloss):
    # 2026-Q1 = Jan-Mar: W4 (April) drops out
    got = by_segment(run(winloss, "metric", "win-rate", "--from", "2026-Q1", "--to", "2026-Q1", "--format", "json"))
    assert got == {"SMB": (2, 3), "Enterprise": (1, 2)}
    # from January to 2026-03-02 (inclusive): W1 W2 L1 L2 W3; L3 (03-03) and later drop out
    got = by_segment(run(winloss, "metric", "win-rate", "--from", "2026-01", "--to", "2026-03-02", "--format", "json"))
    assert got == {"SMB": (2, 1), "Enterprise": (1, 1)}


def test_quarters_are_fiscal_when_the_year_starts_later(winloss, monkeypatch):
    monkeypatch.setenv("SIGHTLINE_FISCAL_YEAR_START", "4")
    # fiscal 2026-Q1 = April-June 2026: only W4; fiscal 2025-Q4 = January-March 2026
    got = by_segment(run(winloss, "metric", "win-rate", "--from", "2026-Q1", "--to", "2026-Q1", "--format", "json"))
    assert got == {"Mid-Market": (1, 0)}
    got = by_segment(run(winloss, "metric", "win-rate", "--from", "2025-Q4", "--to", "2025-Q4", "--format", "json"))
    assert got == {"SMB": (2, 3), "Enterprise": (1, 2)}


@pytest.mark.parametrize("args, sentence", [
    (["--from", "2026-13"], "--from '2026-13' is not a date or a period: write 2026-07-15, 2026-07 or 2026-Q3."),
    (["--to", "2026-02-30"], "--to '2026-02-30' is not a date or a period: write 2026-07-15, 2026-07 or 2026-Q3."),
    (["--from", "2026-04", "--to", "2026-01"], "--from 2026-04-01 is after --to 2026-01-31."),
])
def test_a_wrong_value_is_one_sentence_and_exit_2(winloss, args, sentence):
    out = run(winloss, "metric", "win-rate", *args)
    assert (out.returncode, out.stdout, out.stderr.strip()) == (2, "", sentence)


def test_snapshot_commands_take_periods_too(tmp_path):
    db = tmp_path / "cli.duckdb"
    for day in ("2026-10-05", "2026-10-12", "2026-10-19"):
        run(db, "import", FIXTURES / f"pipeline-{day}.csv")
    # --to 2026-Q4 is 2026-12-31: the latest snapshot on or before it, 2026-10-19
    moved = run(db, "metric", "movement", "--period", "2026-Q4", "--from", "2026-10-05", "--to", "2026-Q4")
    assert moved.returncode == 0 and "snapshots 2026-10-05 -> 2026-10-19" in moved.stderr
    # velocity at the snapshot on or before 2026-10 (its last day): 2026-10-19; the same as no --to
    assert run(db, "metric", "velocity", "--to", "2026-10").stdout == run(db, "metric", "velocity").stdout
    bad = run(db, "metric", "velocity", "--to", "2026-10-40")
    assert bad.returncode == 2 and "Invalid isoformat" not in bad.stderr and "not a date or a period" in bad.stderr
