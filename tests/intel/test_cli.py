"""python -m intel: import, imports, undo, as an analyst scripts them."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

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
    assert again.returncode == 2 and "already undone" in again.stderr
    assert json.loads(run(db, "imports", "--json").stdout)[0]["undone_at"] is not None


def test_kind_can_be_forced(tmp_path):
    db = tmp_path / "cli.duckdb"
    out = run(db, "import", FIXTURES / "accounts.csv", "--kind", "market", "--json")
    assert json.loads(out.stdout)["status"] == "refused"
    assert "no column for period, indicator" in json.loads(out.stdout)["message"]


def test_metric_win_rate_prints_the_page_numbers(tmp_path):
    db = tmp_path / "cli.duckdb"
    run(db, "import", FIXTURES / "winloss_small.csv", "--as-of", "2026-05-01")
    out = run(db, "metric", "win-rate", "--by", "segment", "--from", "2026-01-01", "--to", "2026-04-30",
              "--format", "json")
    assert out.returncode == 0, out.stderr
    got = {r["segment"]: (r["won"], r["lost"]) for r in json.loads(out.stdout)}
    assert got == {"SMB": (2, 3), "Enterprise": (1, 2), "Mid-Market": (1, 0)}
    trend = run(db, "metric", "win-rate", "--by", "period", "--period", "quarter", "--from", "2026-01-01",
                "--to", "2026-04-30", "--exclude-no-decision")
    lines = trend.stdout.splitlines()
    assert lines[0].startswith("period,won,lost,closed,win_rate")
    assert lines[1].startswith("2026-Q1,3,3,6,0.5")        # L2 and L4 (no decision) left out


def test_metric_forecast_variance_and_bridge(tmp_path):
    db = tmp_path / "cli.duckdb"
    run(db, "import", FIXTURES / "forecast_deals.csv", "--as-of", "2026-06-30")
    run(db, "import", FIXTURES / "forecast_targets.csv")
    out = run(db, "metric", "forecast-variance", "--by", "owner", "--period", "month", "--from",
              "2026-01-01", "--to", "2026-03-31", "--as-of-week", "1", "--format", "json")
    assert out.returncode == 0, out.stderr
    jan_ann = [r for r in json.loads(out.stdout) if r["period"] == "2026-01" and r["owner"] == "Ann"][0]
    assert (jan_ann["forecast"], jan_ann["actual"], jan_ann["target"]) == (150, 100, 200)
    bridge = run(db, "metric", "bridge", "--from", "2026-Q1", "--to", "2026-Q2", "--by", "segment")
    assert bridge.returncode == 0, bridge.stderr
    lines = [line.split(",") for line in bridge.stdout.splitlines()]
    assert lines[0] == ["step", "amount", "deals"]
    assert [(step, round(float(amount), 6)) for step, amount, _ in lines[1:]] == [
        ("2026-Q1 bookings", 600), ("Deal count", 200), ("Mix", 200), ("Deal size", 200),
        ("2026-Q2 bookings", 1200)]
    bad = run(db, "metric", "bridge", "--from", "2026-Q1", "--to", "2026-13")
    assert bad.returncode == 2 and "not a period" in bad.stderr


def test_metric_movement_csv_has_one_row_per_category(tmp_path):
    db = tmp_path / "cli.duckdb"
    for day in ("2026-10-05", "2026-10-12", "2026-10-19"):
        run(db, "import", FIXTURES / f"pipeline-{day}.csv")
    out = run(db, "metric", "movement", "--period", "2026-Q4", "--from", "2026-10-05", "--to", "2026-10-12")
    assert out.returncode == 0, out.stderr
    rows = [line.split(",") for line in out.stdout.splitlines()]
    assert rows[0] == ["category", "deals", "amount"]
    assert [(c, int(d), float(a)) for c, d, a in rows[1:]] == [
        ("start", 7, 2900), ("won", 1, 100), ("lost", 2, 1000), ("pushed_out", 1, 300), ("grew", 1, 50),
        ("shrank", 1, 80), ("new", 1, 900), ("pulled_in", 1, 700), ("end", 5, 3070),
        ("created_and_closed", 1, 1000)]
    deals = run(db, "metric", "movement", "--period", "2026-Q4", "--from", "2026-10-05", "--to",
                "2026-10-12", "--deals", "--format", "json")
    assert {(d["id"], d["category"]) for d in json.loads(deals.stdout)} >= {("G", "pulled_in"), ("H", "lost")}
    # dates between snapshots pick the latest snapshot on or before them
    later = run(db, "metric", "movement", "--period", "2026-Q4", "--from", "2026-10-11", "--to", "2026-10-30")
    assert "snapshots 2026-10-05 -> 2026-10-19" in later.stderr
    velocity = run(db, "metric", "velocity", "--by", "region", "--format", "json")
    assert {r["region"] for r in json.loads(velocity.stdout)} == {"EMEA", "APAC"}


def test_import_and_undo_check_the_alert_rules(tmp_path, monkeypatch):
    from intel import store
    from tests.conftest import rows
    from tests.intel.test_alerts import fixture_csv, only, win_rate_rule

    db = tmp_path / "cli.duckdb"
    monkeypatch.setenv("SIGHTLINE_DB", str(db))
    only(win_rate_rule())          # a standing rule: win rate under 30% three months running, per segment
    store.close_all()              # the command line takes its turn with the file
    data = tmp_path / "winrates.csv"
    data.write_bytes(fixture_csv())
    out = run(db, "import", data, "--as-of", "2026-05-01")
    assert out.returncode == 0, out.stderr
    assert "alert" not in out.stdout          # no problem checking them to report
    assert rows("SELECT member, status, still_firing FROM alerts") == [("Three", "open", True)]
    store.close_all()
    listed = run(db, "alerts", "--format", "json")
    assert listed.returncode == 1                 # alerts are open
    view = json.loads(listed.stdout)[0]["prompt"]["views"]["Win-loss view"]   # a view, not a URL
    assert view == {"page": "win-loss", "filters": {"segment": ["Three"], "from": "2026-02-01", "to": "2026-04-30"},
                    "breakdown": "competitor", "grain": None, "extra": {}}
    out = run(db, "undo", "1")
    assert out.returncode == 0 and out.stdout.strip() == "Import #1 (winrates.csv) undone: its rows were removed."
    assert rows("SELECT still_firing FROM alerts") == [(False,)]
    store.close_all()


# ---- the landing: the constructed history of tests/intel/test_landing.py, where the answers are known ----


@pytest.fixture(scope="module")
def landing_store(tmp_path_factory):
    from tests.intel.test_landing import build_constructed

    return build_constructed(tmp_path_factory.mktemp("cli-landing"))


def test_metric_landing_by_region_prints_the_landing_the_functions_give(landing_store):
    import csv
    import io

    from intel import metrics, store
    from intel.filters import ALL_TIME, Filters

    out = run(landing_store, "metric", "landing", "--period", "2026-Q4", "--by", "region", "--sims", "2000")
    assert out.returncode == 0, out.stderr
    printed = list(csv.DictReader(io.StringIO(out.stdout)))
    assert list(printed[0]) == ["region", "period", "as_of", "target", "won_to_date", "p10", "p50", "p90", "expected",
                                "chance_of_target", "commit", "best_case", "weighted_pipeline", "open_deals", "sims"]
    rows = {r["region"]: r for r in printed}
    # each region's 10 open deals at 0.5 on 2026-10-01; North America's quotas and calls are 60,000 and 51,000
    assert {(r, rows[r]["open_deals"], rows[r]["sims"], float(rows[r]["target"])) for r in rows} == {
        ("EMEA", "10", "2000", 45_000.0), ("North America", "10", "2000", 60_000.0)}
    assert float(rows["EMEA"]["expected"]) == 50_000 and float(rows["North America"]["commit"]) == 51_000
    functions = metrics.run("landing", Filters(*ALL_TIME), db=landing_store, dim="region", period="2026-Q4",
                            sims=2000).set_index("member")
    store.close_all()
    for region, row in rows.items():
        for column in ("won_to_date", "p10", "p50", "p90", "expected", "chance_of_target", "commit"):
            assert float(row[column]) == pytest.approx(functions.loc[region, column], rel=1e-12), (region, column)
        weighted = functions.loc[region, "weighted_pipeline"]
        assert (float(row["weighted_pipeline"]) if row["weighted_pipeline"] else None) == (
            None if weighted is None or weighted != weighted else pytest.approx(weighted))
        assert row["as_of"] == "2026-10-01"


def test_metric_landing_backtest_prints_the_track_record(landing_store):
    out = run(landing_store, "metric", "landing-backtest")
    assert out.returncode == 0, out.stderr
    lines = [line.split(",") for line in out.stdout.splitlines()]
    assert lines[0] == ["week", "points", "held", "crps_pct", "p50_error", "commit_error", "weighted_error"]
    got = {row[0]: row[1:] for row in lines[1:]}
    assert list(got) == ["week 2", "week 4", "week 8", "all weeks"]
    # 2026-Q3's 1,000,000 surprise is outside every range: 3 of 4 replays inside at a week, 37 of 50 in all;
    # the median misses only there, by 1,000,000 of 1,100,000
    assert [(p, float(c)) for p, c, *_ in got.values()] == [("4", 0.75), ("4", 0.75), ("4", 0.75), ("50", 0.74)]
    assert float(got["week 2"][3]) == pytest.approx(10 / 11 / 4)
    assert float(got["all weeks"][3]) == pytest.approx(13 * 10 / 11 / 50)
    # the commit at week 2 is 93,000: 7% under 100,000 three times, and 2026-Q3's 1,007,000 short of 1,100,000
    assert float(got["week 2"][4]) == pytest.approx((3 * 0.07 + 1_007_000 / 1_100_000) / 4)


def test_metric_landing_refuses_what_it_cannot_project(landing_store):
    too_few = run(landing_store, "metric", "landing", "--sims", "5")
    assert too_few.returncode == 2 and "sims must be at least 100" in too_few.stderr
    later = run(landing_store, "metric", "landing", "--period", "2027-Q2")
    assert later.returncode == 2 and "2027-Q2 starts after 2026-10-01" in later.stderr
    wrong = run(landing_store, "metric", "landing", "--period", "2026-13")
    assert wrong.returncode == 2 and "not a period" in wrong.stderr
