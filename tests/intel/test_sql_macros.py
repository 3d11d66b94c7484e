"""The shared SQL macros (intel/sql/macros/): created by the store at every connect, so a new store
and one made by older migrations hold the same definitions; one dimension -> member mapping; one
scope predicate; win rates that honour the "exclude no decision" switch everywhere."""
from __future__ import annotations

import datetime as dt
import re
import subprocess

import duckdb
import pytest

from intel import models, pipeline, store
from intel.access import LOCAL_ADMIN as ADMIN
from intel.filters import Filters, members
from intel.ingest import import_file
from tests.conftest import FIXTURES, ROOT, rows

# Every dimension a deal can be cut by, and what deal_member answers for each.
DIMENSIONS = ("total", "region", "segment", "owner", "team", "manager", "industry", "country", "product",
              "product_family", "competitor", "lead_source", "deal_type", "deal_size_band")
MACROS_SQL = ("SELECT function_name, function_type, parameters, macro_definition FROM duckdb_functions() "
              "WHERE function_type IN ('macro', 'table_macro') AND NOT internal ORDER BY ALL")
# The last commit whose migrations (003-012) created the macros.
OLD_COMMIT = "ec975063cfa8e3625e56be97d7a42d48e9dd7cc3"
# no_decision-2026-10-05.csv, one snapshot on 2026-10-05, every deal closed inside the 182 days
# before it: W1 100 and W2 300 won; L1 200 lost on price; N1 400 and N2 150 lost to no decision
# ("No Decision / Non-Responsive", "Customer went dark"); O1 500 open in the first stage, O2 300
# open in negotiation (past the first stage: the one open qualified deal).
SNAPSHOT = dt.date(2026, 10, 5)
WIDE = Filters(dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def macro_names_in_files() -> set[str]:
    return {name for path in store.MACROS.glob("*.sql")
            for name in re.findall(r"CREATE OR REPLACE MACRO (\w+)", path.read_text())}


def definitions(path) -> tuple[list, list]:
    return rows(MACROS_SQL, db_path=path), rows("SELECT sql FROM duckdb_views() WHERE view_name = 'deals'",
                                                db_path=path)


def test_a_new_store_holds_every_macro_of_the_macro_files_and_nothing_else(db):
    assert {p.stem for p in store.MACROS.glob("*.sql")} == set(store.MACRO_FILES)   # none left out
    held = {name for name, *_ in rows(MACROS_SQL)}
    assert held == macro_names_in_files()
    assert {"deal_member", "in_scope", "bookings", "closed_in_scope", "forecast_actual"} <= held
    assert not held & set(store.RETIRED_MACROS)
    assert rows("SELECT count(*) FROM deals") == [(0,)]   # the view over resolved_deals


def test_no_migration_creates_a_macro():
    for path in store.MIGRATIONS.glob("*.sql"):
        assert not re.search(r"CREATE\s+(OR\s+REPLACE\s+)?MACRO", path.read_text(), re.I), path.name


def test_a_macro_left_by_an_older_version_is_replaced_at_the_next_connect(db, tmp_path):
    store.connect(db)
    store.close_all()
    with duckdb.connect(str(db)) as con:   # as migrations 005, 011 and 012 left them
        con.execute("""
            CREATE OR REPLACE MACRO tf_member(dim, region, segment, owner, product) AS
                coalesce(CASE dim WHEN 'total' THEN 'All' WHEN 'region' THEN region WHEN 'segment' THEN segment
                                  WHEN 'owner' THEN owner WHEN 'product' THEN product END, '(none)');
            CREATE MACRO member_of(dim, region, segment, owner, team, product, competitor, lead_source, band) AS
                coalesce(CASE dim WHEN 'total' THEN 'All' WHEN 'region' THEN region END, '(none)');
            CREATE OR REPLACE MACRO closed_in_scope(date_from, date_to, regions, segments, owners, products,
                                                    exclude_nd, dim) AS TABLE
                SELECT *, coalesce(CASE dim WHEN 'region' THEN region END, '(none)') AS member
                FROM deal_facts WHERE is_closed AND NOT (exclude_nd AND no_decision)""")
        con.execute("INSERT INTO deal_facts (id, deal_type, is_closed, is_won, no_decision, close_date) "
                    "VALUES ('D1', 'Renewal', true, true, false, DATE '2026-01-05')")
    fresh = tmp_path / "fresh.duckdb"
    store.connect(fresh)
    store.connect(db)
    assert definitions(db) == definitions(fresh)
    # the old closed_in_scope knew no deal_type: every deal was '(none)'
    assert rows("SELECT member FROM closed_in_scope(NULL, NULL, [], [], [], [], false, 'deal_type')",
                db_path=db) == [("Renewal",)]


def _old_migrations() -> list[tuple[int, str]]:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                              check=True).stdout
    try:
        names = git("ls-tree", "--name-only", f"{OLD_COMMIT}:intel/migrations").split()
        return [(int(n.split("_", 1)[0]), git("show", f"{OLD_COMMIT}:intel/migrations/{n}"))
                for n in sorted(names) if n.endswith(".sql")]
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("needs the repository's history (git) to read the old migrations")


def test_a_store_built_by_the_old_migrations_opens_with_todays_macros(db, tmp_path):
    with duckdb.connect(str(db)) as con:   # what the store's migrate() did before the macros moved
        con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)")
        for version, text in _old_migrations():
            con.execute(text)
            con.execute("INSERT INTO schema_version VALUES ($v, now())", {"v": version})
        assert {"tf_member", "member_of", "closed_in_scope"} <= {n for (n, *_) in con.execute(MACROS_SQL).fetchall()}
    fresh = tmp_path / "fresh.duckdb"
    store.connect(fresh)
    store.connect(db)
    assert definitions(db) == definitions(fresh)
    # and it computes with them: the no-decision switch reaches coverage (see the test below)
    assert import_file(FIXTURES / "no_decision-2026-10-05.csv", by=ADMIN, db=db).status == "loaded"
    cov = pipeline.coverage(WIDE, "quarter", SNAPSHOT, db=db, exclude_no_decision=True)
    assert cov["coverage_needed"].iloc[0] == pytest.approx(3 / 2)


def test_deal_member_maps_every_dimension(db):
    cur = store.cursor()
    try:
        cur.execute(f"CREATE TEMP TABLE d AS SELECT * FROM (VALUES "
                    f"({', '.join(repr('the ' + dim) for dim in DIMENSIONS[1:])}), "
                    f"({', '.join(['NULL'] * (len(DIMENSIONS) - 1))})) v({', '.join(DIMENSIONS[1:])})")
        args = ", ".join(DIMENSIONS[1:])
        for dim in DIMENSIONS:
            got = [m for (m,) in cur.execute(f"SELECT deal_member($d, {args}) FROM d", {"d": dim}).fetchall()]
            # the row with every value gives its own; the row without any is '(none)'; total is 'All'
            assert got == (["All", "All"] if dim == "total" else [f"the {dim}", "(none)"]), dim
        assert cur.execute(f"SELECT DISTINCT deal_member(NULL, {args}) FROM d").fetchall() == [("(none)",)]
    finally:
        cur.close()


def test_the_filter_pickers_list_the_values_each_filter_dimension_takes(db):
    assert import_file(FIXTURES / "pipeline-2026-10-05.csv", by=ADMIN).status == "loaded"
    # no deal names a product: nothing to pick ('(none)' is no choice)
    assert members() == {"region": ["APAC", "EMEA"], "segment": ["Enterprise", "SMB"],
                         "owner": ["Ann", "Bob", "Cy"], "product": []}


def test_bookings_are_the_won_amount_per_period_in_scope(db):
    # pipeline-2026-10-19.csv: won L 250 (2026-09-30, Q3, EMEA), J 1000 (2026-10-07, Q4, APAC),
    # A 100 (2026-10-08, Q4, EMEA); B lost and the open deals count nowhere
    assert import_file(FIXTURES / "pipeline-2026-10-19.csv", by=ADMIN).status == "loaded"
    models.refresh()
    sql = ("SELECT period_start, member, bookings, deals_won FROM bookings('quarter', 1, $dim, DATE '2026-01-01', "
           "DATE '2026-12-31', $regions, [], [], []) ORDER BY ALL")
    q3, q4 = dt.date(2026, 7, 1), dt.date(2026, 10, 1)
    assert rows(sql, {"dim": "total", "regions": []}) == [(q3, "All", 250, 1), (q4, "All", 1100, 2)]
    assert rows(sql, {"dim": "region", "regions": ["EMEA"]}) == [(q3, "EMEA", 250, 1), (q4, "EMEA", 100, 1)]


@pytest.fixture
def no_decision(db):
    assert import_file(FIXTURES / "no_decision-2026-10-05.csv", by=ADMIN).status == "loaded"
    return db


def test_coverage_and_velocity_win_rate_leave_no_decision_losses_out_when_asked(no_decision):
    # counted: 2 won of 5 closed = 0.4, so coverage needed = 1 / 0.4 = 2.5;
    # excluded: N1 and N2 leave both sides, 2 won of 3 closed = 2/3, needed = 1.5
    kept = pipeline.velocity_by("total", WIDE, SNAPSHOT).iloc[0]
    left = pipeline.velocity_by("total", WIDE, SNAPSHOT, exclude_no_decision=True).iloc[0]
    assert (kept["won"], kept["closed"], kept["win_rate"]) == (2, 5, pytest.approx(0.4))
    assert (left["won"], left["closed"], left["win_rate"]) == (2, 3, pytest.approx(2 / 3))
    assert pipeline.coverage(WIDE, "quarter", SNAPSHOT)["coverage_needed"].iloc[0] == pytest.approx(2.5)
    assert pipeline.coverage(WIDE, "quarter", SNAPSHOT, exclude_no_decision=True)[
        "coverage_needed"].iloc[0] == pytest.approx(1.5)
    # velocity = open qualified (O2) × win rate × average won deal (200) ÷ cycle (median of W1's 31
    # and W2's 76 days, 53.5); velocity_change reads its snapshots (here one, twice) with the switch
    assert (kept["velocity"], left["velocity"]) == (pytest.approx(0.4 * 200 / 53.5), pytest.approx(2 / 3 * 200 / 53.5))
    change = pipeline.velocity_change("total", WIDE, SNAPSHOT, SNAPSHOT, exclude_no_decision=True).iloc[0]
    assert change["velocity_1"] == pytest.approx(2 / 3 * 200 / 53.5)


def test_velocity_cuts_by_every_dimension_an_open_deal_carries(no_decision):
    assert set(pipeline.VELOCITY_DIMENSIONS) == set(DIMENSIONS) - {"deal_size_band"}   # see pipeline.py
    by_type = pipeline.velocity_by("deal_type", WIDE, SNAPSHOT).set_index("member")
    # Renewal: W2 won; New Business: W1 won, L1 N1 N2 lost, and O2 open past the first stage
    assert by_type.loc["Renewal", "closed"] == 1 and by_type.loc["New Business", "closed"] == 4
    assert by_type.loc["New Business", "open_qualified"] == 1
    by_industry = pipeline.velocity_by("industry", WIDE, SNAPSHOT).set_index("member")
    # Retail: W1 W2 (and O1 O2 open); Banking: L1 N1; N2 has no industry
    assert by_industry["closed"].to_dict() == {"Retail": 2, "Banking": 2, "(none)": 1}
    for dim in pipeline.VELOCITY_DIMENSIONS:
        assert pipeline.velocity_by(dim, WIDE, SNAPSHOT)["closed"].sum() == 5, dim
