"""Real exports, with NULLs in every optional column: no page, metric command or alert check
crashes, and what cannot be shown is said in a sentence.

Fixtures (tests/fixtures/real/, each in its source's own header spelling):
- Opportunity.csv: Salesforce Data Export, one snapshot, many empty optional fields (an amount,
  created dates, probabilities, lead sources, an owner, account ids missing);
- sales_pipeline.csv: the CRM sample export (opportunity_id, sales_agent, ... close_value), open
  deals without close date or value, Prospecting deals without account or engage date;
- deals_minimal.csv: no id, no created date, no probability, an open deal without amount or date.
"""
from __future__ import annotations

import datetime as dt
import math
import os
import shutil
import subprocess
import sys

import pytest

from intel import alerts, pipeline, store
from intel.access import LOCAL_ADMIN as ADMIN
from intel.filters import Filters
from intel.ingest import import_file
from tests.conftest import FIXTURES, ROOT
from tests.pages.test_pages import app, texts

REAL = FIXTURES / "real"
SNAPSHOT = dt.date(2026, 11, 20)
WIDE = Filters(dt.date(2000, 1, 1), dt.date(2099, 12, 31))
PAGES = [None, "pages/forecast.py", "pages/win-loss.py", "pages/pipeline.py", "pages/strategy.py",
         "pages/alerts.py", "pages/data.py", "pages/sharing.py", "pages/users.py"]


def load(name: str, as_of=SNAPSHOT):
    result = import_file(REAL / name, as_of=as_of, by=ADMIN)
    assert result.status == "loaded", result.message
    return result


def every_page(expected: dict) -> dict:
    """Run every page; none raises; each shows the sentences expected of it. Returns the runs."""
    runs = {}
    for page in PAGES:
        at = app(page)   # asserts no exception
        shown = texts(at).replace("\\", "")   # say() escapes markdown
        for sentence in expected.get(page, []):
            assert sentence in shown, (page, sentence, shown)
        runs[page] = at
    return runs


def test_crm_export_import_checks_the_alert_rules_without_error(db):
    # The import ends with the alert check; on this export it raised "boolean value of NA is
    # ambiguous" (velocity at a snapshot with no deal closed in the trailing two quarters).
    result = load("sales_pipeline.csv")
    assert (result.rows_loaded, result.rows_rejected) == (18, 0)
    assert not [w for w in result.warnings if "could not be checked" in w], result.warnings


def test_velocity_change_with_no_recent_closed_deal_is_nan_and_says_why(db):
    load("sales_pipeline.csv")
    change = pipeline.velocity_change("total", WIDE, s1=SNAPSHOT)
    assert change["member"].tolist() == ["All"]
    assert math.isnan(change["change_pct"].iloc[0]) and math.isnan(change["velocity_1"].iloc[0])
    now = pipeline.velocity_by("total", WIDE, SNAPSHOT).iloc[0]
    # open past the first stage: the 3 Engaging deals (Prospecting is the first stage);
    # every closed deal closed in 2017, long before the trailing two quarters. Changed with the
    # window (was "between 2026-05-22 and 2026-11-20", 182 days back, start excluded): now the 6
    # calendar months ending on 2026-11-20, i.e. from the day after 2026-05-20, both ends included
    assert int(now["open_qualified"]) == 3
    assert pipeline.velocity_missing(now, SNAPSHOT) == (
        "Velocity at 2026-11-20 cannot be computed: no deal closed from 2026-05-21 to 2026-11-20, "
        "so win rate, average won deal and sales cycle are unknown.")


def test_velocity_change_keeps_its_columns_when_nothing_is_open_or_recent(db, tmp_path):
    # Two closed deals of 2026 in an export taken a year later: velocity_by is empty at the
    # snapshot; the alert check read velocity_change's 'member' and raised KeyError.
    path = tmp_path / "closed.csv"
    path.write_text("Opportunity Name,Stage,Amount,Close Date\nA,Closed Won,100,2026-08-14\n"
                    "B,Closed Lost,200,2026-09-02\n")
    assert import_file(path, as_of="2027-12-01", by=ADMIN).status == "loaded"
    change = pipeline.velocity_change("total", WIDE)
    assert change.empty and list(change.columns) == pipeline.VELOCITY_CHANGE_COLUMNS
    assert alerts.evaluate(by=ADMIN).empty


def test_salesforce_data_export_every_page_runs_and_says_what_is_missing(db):
    load("Opportunity.csv")
    runs = every_page({
        None: ["No target or forecast call is loaded for 2026-Q2: attainment needs a target",
               "One snapshot is loaded: the next upload shows what moved."],
        "pages/forecast.py": ["No targets or forecast calls are loaded for this period."],
        # closed 2025-04-01..2026-09-30: Acme, Globex, Initech, Umbrella, Hooli; Umbrella has no CreatedDate
        "pages/win-loss.py": ["1 of the 5 closed deals has no created date: the sales cycle leaves them out.",
                              "No closed deal names a competitor",
                              "No lost deal gives a reason"],
        # one snapshot (2026-11-20), after the default range (it ends with the last close month, 2026-09)
        "pages/pipeline.py": ["No deal entered an open stage between 2025-04-01 and 2026-09-30",
                              "Only one snapshot is loaded"],
        "pages/alerts.py": ["No rule fires on the current data."],
    })
    tiles = {m.label: m.value for m in runs[None].metric}
    # 2026-Q2: Acme won 12,000 (05-14), Globex lost (06-02) -> bookings 12k, win rate 1/2
    assert (tiles["Bookings 2026-Q2"], tiles["Win rate 2026-Q2"], tiles["Attainment 2026-Q2"]) == ("$12k", "50.0%", "—")
    # velocity at 2026-11-20 over deals closed from 2026-05-21 (the 6 calendar months ending on it;
    # 182 days back it was after 2026-05-22, the same deals): Globex lost, Initech won (no amount,
    # 80 days), Umbrella lost, Hooli won 8,000 (87 days); open past the first stage: Wayne,
    # Wonka, Cyberdyne -> 3 x (2/4) x 8,000 / median(80, 87) = 12,000 / 83.5 = 143.7
    assert tiles["Velocity per day"] == "$144/day"
    pipeline_page = runs["pages/pipeline.py"]
    pipe_tiles = {m.label: m.value for m in pipeline_page.metric}
    assert (pipe_tiles["Open qualified deals"], pipe_tiles["Sales cycle"]) == ("3", "84 days")
    # the one open deal whose close date (2026-11-05) is before the snapshot is overdue by 15 days
    watch = pipeline_page.dataframe[-1].value
    assert watch[["name", "days_overdue"]].values.tolist() == [["Cyberdyne - Trial", 15]]


def test_crm_sample_export_every_page_runs_and_says_what_is_missing(db):
    load("sales_pipeline.csv")
    # the trailing window: the 6 calendar months ending on 2026-11-20 (was 182 days: after 2026-05-22)
    velocity = ("Velocity at 2026-11-20 cannot be computed: no deal closed from 2026-05-21 to "
                "2026-11-20")
    runs = every_page({
        # 2017-Q2 (the last complete quarter): one loss (S8DX3XOU, 2017-06-05), nothing won
        None: ["No deal was won in 2017-Q2 and no target or forecast call covers it.", velocity],
        "pages/pipeline.py": [velocity, "No open deal at 2026-11-20 closes in these quarters and no target is loaded",
                              # open deals have no close date: none is overdue
                              "No open deal at 2026-11-20 slipped, is overdue or went stale (one snapshot"],
        "pages/win-loss.py": ["No closed deal names a competitor"],
        "pages/alerts.py": ["No rule fires on the current data."],
    })
    tiles = {m.label: m.value for m in runs[None].metric}
    assert (tiles["Win rate 2017-Q2"], tiles["Velocity per day"]) == ("0.0%", "—")


def test_export_without_ids_created_dates_or_probabilities_every_page_runs(db):
    load("deals_minimal.csv")
    every_page({
        # the won deal (Northwind, 2026-08-14) has no created date: no cycle, so no velocity
        None: ["Velocity at 2026-11-20 cannot be computed: the deals won have no created date, so the "
               "sales cycle is unknown."],
        "pages/win-loss.py": ["2 of the 2 closed deals have no created date: the sales cycle is unknown"],
        "pages/pipeline.py": ["the deals won have no created date"],
    })


# ---- the command line on real exports ----

def cli(db, *args):
    env = {**os.environ, "SIGHTLINE_DB": str(db)}
    return subprocess.run([sys.executable, "-m", "intel", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_every_metric_command_runs_on_the_crm_export(db, capsys):
    from intel.__main__ import main

    load("sales_pipeline.csv")
    store.close_all()
    commands = [["win-rate"], ["win-rate", "--by", "period"], ["win-rate", "--by", "owner", "--period", "quarter"],
                ["loss-reasons"], ["head-to-head"], ["competitor-presence"], ["sales-cycle"],
                ["forecast-variance", "--by", "owner"], ["forecast-accuracy"], ["velocity", "--by", "owner"],
                ["bridge", "--from", "2017-Q1", "--to", "2017-Q3", "--by", "product"]]
    for command in commands:
        assert main(["metric", *command, "--format", "json"]) == 0, command
    # 2017-Q1 bookings: the 8 deals won in March, 1054 + 4514 + 50 + 588 + 517 + 49 + 57 + 601 = 7430
    assert main(["metric", "forecast-variance", "--from", "2017-01-01", "--to", "2017-03-31"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("2017-Q1,All,,,,7430.0,8,")
    # one snapshot: movement says so in a sentence, exit 2
    assert main(["metric", "movement", "--period", "2026-Q4"]) == 2
    assert capsys.readouterr().err.strip() == "Only one snapshot is loaded: a second upload unlocks movement."


def test_alerts_exit_code_tells_none_open_some_open_and_failure_apart(db, demo_db, tmp_path):
    load("Opportunity.csv")
    store.close_all()
    none_open = cli(db, "alerts")
    assert (none_open.returncode, none_open.stdout.strip(), none_open.stderr) == (0, "No open alert.", "")

    demo = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, demo)
    some_open = cli(demo, "alerts")
    assert some_open.returncode == 1 and "HIGH Win rate below 20%" in some_open.stdout

    store.connect(db)   # this process holds the store and never lets go: the check waits, then fails
    os.environ["SIGHTLINE_STORE_WAIT"] = "1"
    try:
        failed = cli(db, "alerts")
    finally:
        del os.environ["SIGHTLINE_STORE_WAIT"]
    assert failed.returncode == 2
    assert failed.stdout == "" and "Traceback" not in failed.stderr
    waiting, verdict = failed.stderr.strip().splitlines()
    assert waiting.startswith(f"The store is in use by another program (process {os.getpid()})")
    assert verdict.startswith(f"The alert rules could not be checked on {db}: The store {db.resolve()} is in use")
    assert verdict.endswith("was not free after 1 s (SIGHTLINE_STORE_WAIT); try again when it is done.")


# ---- members that are missing join as one '(none)' ----

def test_forecast_variance_puts_target_call_and_deals_without_a_region_on_one_row(db, tmp_path):
    from intel import forecast

    deals = tmp_path / "deals-2026-10-01.csv"
    deals.write_text("Opportunity ID,Stage,Amount,Close Date,Region\n"
                     "D1,Closed Won,600,2026-08-10,EMEA\n"
                     "D2,Closed Won,300,2026-07-15,\n"
                     "D3,Closed Won,150,2026-09-01,\n"
                     "D4,Closed Lost,999,2026-08-01,\n")
    targets = tmp_path / "targets.csv"
    targets.write_text("Period,Region,Quota,Commit,Submitted At\n"
                       "2026-Q3,EMEA,1000,800,2026-07-01\n"
                       "2026-Q3,,500,400,2026-07-01\n")
    assert import_file(deals, by=ADMIN).status == "loaded"
    assert import_file(targets, by=ADMIN).status == "loaded"
    q3 = Filters(dt.date(2026, 7, 1), dt.date(2026, 9, 30))
    table = forecast.forecast_vs_actual("region", q3, "quarter")
    assert sorted(table["member"]) == ["(none)", "EMEA"]   # was (none) three times: target, call, actual
    got = {r.member: (r.target, r.forecast, r.actual, r.deals_won) for r in table.itertuples()}
    # no region: target 500, call 400, won D2 300 + D3 150 = 450 (2 deals), all on one row
    assert got == {"EMEA": (1000, 800, 600, 1), "(none)": (500, 400, 450, 2)}
    accuracy = forecast.forecast_accuracy("region", q3, "quarter").set_index("member")
    assert accuracy.loc["(none)", "bias"] == pytest.approx((400 - 450) / 450)


# ---- stage changes stamped with the same time ----

def test_stage_changes_at_the_same_time_follow_stage_order_then_the_file(db):
    from intel import models
    from tests.conftest import rows

    load("Opportunity.csv")
    history = import_file(REAL / "OpportunityHistory.csv", by=ADMIN)
    assert (history.rows_loaded, history.rows_rejected) == (7, 0)
    # the store's own row order must not matter: hold the rows in reverse file order
    cur = store.cursor()
    cur.execute("CREATE TEMP TABLE held AS SELECT * FROM stage_history ORDER BY file_row DESC")
    cur.execute("DELETE FROM stage_history")
    cur.execute("INSERT INTO stage_history SELECT * FROM held")
    cur.close()
    models.refresh(force=True)
    events = set(rows("SELECT right(id, 3), stage, next_stage FROM stage_events"))
    assert events == {
        # IA7: Prospecting (row 1) and Qualification (row 2) share 2026-10-01 09:00
        ("IA7", "Prospecting", "Qualification"), ("IA7", "Qualification", None),
        # IA8: Qualification (row 3) then Prospecting (row 4) at the same time: stage order first
        ("IA8", "Prospecting", "Qualification"), ("IA8", "Qualification", "Proposal/Price Quote"),
        ("IA8", "Proposal/Price Quote", None),
        # IA6: two stages no snapshot holds (no stage order): the file's order
        ("IA6", "Value Proposition", "Needs Analysis"), ("IA6", "Needs Analysis", None)}
