"""Alert rules compile to SQL whose rows are the members breaching them (Rill's way).

The win-rate fixture of tests/test_alerts.py (all deals of 100 closing on the 15th, one on 30 April
so April is the last complete month):
  Three  Feb 1 won/3 lost, Mar 1/3, Apr 1/3       25%, 25%, 25%
  Two    Feb 3/1, Mar 1/3, Apr 1/3                 75%, 25%, 25%
  Small  Feb 0/2, Mar 0/2, Apr 0/2                 0% on 2 deals a month
  Drop   Mar 3/1, Apr 1/3                          75% then 25%
The pipeline fixtures are those of tests/test_pipeline.py; at the last snapshot (2026-10-19) the
open deals are C, G, K (Bob), F (Ann), D, E, I (Cy); only C was pushed (Dec -> Jan -> Feb: 2).
"""
from __future__ import annotations

import datetime as dt

import pytest

from intel import alerts, metrics, store
from intel.alerts import Rule
from intel.filters import Filters
from intel.ingest import import_file
from intel.access import LOCAL_ADMIN as ADMIN
from tests.conftest import FIXTURES
from tests.intel.test_alerts import fixture_csv


@pytest.fixture
def segments(db):
    assert import_file(fixture_csv(), "winrates.csv", as_of="2026-05-01", by=ADMIN).status == "loaded"
    return db


def rule(**changes) -> Rule:
    base = dict(name="Win rate below 30%", metric="win_rate", dimension="segment", comparator="<",
                threshold=0.30, consecutive=3, grain="month", min_sample=4)
    return Rule(**{**base, **changes})


def breaching(r: Rule) -> list[tuple]:
    """Run the rule's SQL as it is compiled: one row per breaching member."""
    compiled = alerts.compile_rule(r)
    found = store.query_sql(compiled.sql, compiled.params, relations=compiled.relations)
    return [(row.member, list(row.periods)) for row in found.itertuples()]


def test_the_rules_sql_returns_exactly_the_breaching_members(segments):
    # Three is under 30% in Feb, Mar and Apr with 4 deals each; Two was 75% in Feb; Small has 2 a month
    assert breaching(rule()) == [("Three", ["2026-02", "2026-03", "2026-04"])]
    # two months: Two joins (25% in Mar and Apr); Drop was 75% in March
    assert breaching(rule(consecutive=2)) == [("Three", ["2026-03", "2026-04"]), ("Two", ["2026-03", "2026-04"])]
    assert breaching(rule(min_sample=2)) == [("Small", ["2026-02", "2026-03", "2026-04"]),
                                             ("Three", ["2026-02", "2026-03", "2026-04"])]
    assert breaching(rule(threshold=0.2)) == []            # no rows, no alert


def test_the_metric_is_read_through_its_own_sql_and_values_are_bound(segments):
    compiled = alerts.compile_rule(rule(threshold=0.2871))
    assert store.load_sql("win_rate") in compiled.sql       # the catalogue's SQL, as a CTE
    assert "0.2871" not in compiled.sql and compiled.params["rule_threshold"] == 0.2871
    assert "Three" not in compiled.sql                      # members come from the data, never the text
    with pytest.raises(ValueError, match="comparator"):
        alerts.test_rule(rule(comparator="< 1 OR 1 ="))


def test_a_missing_period_breaks_the_run(segments):
    # Drop had no deal in February: three months cannot run through it, even at 80%
    assert "Drop" not in dict(breaching(rule(threshold=0.8)))
    assert dict(breaching(rule(threshold=0.8, consecutive=2)))["Drop"] == ["2026-03", "2026-04"]


def test_change_in_points_against_the_period_before_and_the_first_period(segments):
    # April against March: Drop 25% - 75% = -50 points; Two and Three did not move
    down = rule(threshold=-0.4, comparator="<=", threshold_kind="points_vs_previous", consecutive=1)
    assert breaching(down) == [("Drop", ["2026-04"])]
    # April against each member's first month with 4 deals: Two from Feb 75%, Drop from Mar 75%
    since = rule(threshold=-0.4, comparator="<=", threshold_kind="points_vs_first", consecutive=1)
    found = {b.member: b for b in alerts.test_rule(since)}
    assert sorted(found) == ["Drop", "Two"]
    assert (found["Two"].base_periods, found["Two"].bases, found["Two"].observed) == (["2026-02"], [0.75], [0.25])
    assert found["Drop"].base_periods == ["2026-03"] and found["Drop"].values == [-0.5]


@pytest.fixture
def snapshots(db):
    for day in ("2026-10-05", "2026-10-12", "2026-10-19"):
        assert import_file(FIXTURES / f"pipeline-{day}.csv", by=ADMIN).status == "loaded"
    return db


def test_push_count_is_the_most_pushes_of_one_open_deal_with_the_open_deals_behind_it(snapshots):
    wide = Filters(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    by_owner = metrics.run("push_count", wide, dim="owner").set_index("member")
    assert by_owner[["open_deals", "pushes"]].to_dict("index") == {
        "Bob": {"open_deals": 3, "pushes": 2}, "Ann": {"open_deals": 1, "pushes": 0},
        "Cy": {"open_deals": 3, "pushes": 0}}
    total = metrics.run("push_count", wide, dim="total")
    assert total[["member", "open_deals", "pushes"]].values.tolist() == [["All", 7, 2]]
    pushed = Rule("pushed twice", "push_count", "owner", ">=", 2, min_sample=3)
    assert breaching(pushed) == [("Bob", ["2026-10-19"])]
    assert breaching(Rule("pushed twice", "push_count", "owner", ">=", 2, min_sample=4)) == []   # 3 open


def test_rules_name_catalogue_metrics(db):
    assert Rule("x", "bookings_vs_target", "all", "<", 1).metric == "attainment"       # the old names read
    assert Rule("x", "competitor_loss_share", "competitor", ">", 0.2).metric == "competitor_presence_in_losses"
    assert set(alerts.alertable()) >= {r.metric for r in alerts.DEFAULT_RULES}
    assert alerts.rule_dimensions(metrics.get("coverage")) == ("all",)
    assert "lead_source" in alerts.rule_dimensions(metrics.get("win_rate"))   # the catalogue's dimensions
    with pytest.raises(ValueError, match="rules watch"):
        Rule("x", "loss_reasons", "all", ">", 0.2).check()


def test_a_store_from_before_the_catalogue_names_its_rules_by_catalogue_name(tmp_path):
    import duckdb

    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    for migration in sorted(store.MIGRATIONS.glob("*.sql")):
        if int(migration.name.split("_", 1)[0]) >= 18:
            break
        con.execute(migration.read_text())
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)")
    con.execute("INSERT INTO schema_version SELECT unnest([1,2,3,4,5,6,7,8,9,10,11,12,13,16]), now()")
    con.execute("""INSERT INTO alert_rules (name, metric, dimension, comparator, threshold, threshold_kind,
                       consecutive, grain, min_sample, severity, enabled, created_at, updated_at)
                   VALUES ('a', 'bookings_vs_target', 'region', '<', 0.9, 'absolute', 2, 'quarter', 10, 'high',
                           true, now(), now()),
                          ('c', 'competitor_loss_share', 'competitor', '>', 0.2, 'absolute', 1, 'quarter', 20,
                           'medium', true, now(), now())""")
    con.close()
    try:
        assert [r.metric for r in alerts.list_rules(path)] == ["attainment", "competitor_presence_in_losses"]
        cur = store.cursor(path)
        assert cur.execute("SELECT metric FROM alert_rules ORDER BY id").fetchall() == [
            ("attainment",), ("competitor_presence_in_losses",)]
        cur.close()
    finally:
        store.close_all()
