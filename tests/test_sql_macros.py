"""The shared SQL macros (intel/sql/macros/): created by the store at every connect, so a new store
and one made by older migrations hold the same definitions."""
from __future__ import annotations

import re
import subprocess

import duckdb
import pytest

from intel import store
from tests.conftest import ROOT, rows

MACROS_SQL = ("SELECT function_name, function_type, parameters, macro_definition FROM duckdb_functions() "
              "WHERE function_type IN ('macro', 'table_macro') AND NOT internal ORDER BY ALL")
# The last commit whose migrations (003-012) created the macros.
OLD_COMMIT = "ec975063cfa8e3625e56be97d7a42d48e9dd7cc3"


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
    assert rows("SELECT count(*) FROM deals") == [(0,)]   # the view over resolved_deals


def test_no_migration_creates_a_macro():
    for path in store.MIGRATIONS.glob("*.sql"):
        assert not re.search(r"CREATE\s+(OR\s+REPLACE\s+)?MACRO", path.read_text(), re.I), path.name


def test_a_macro_left_by_an_older_version_is_replaced_at_the_next_connect(db, tmp_path):
    store.connect(db)
    store.close_all()
    with duckdb.connect(str(db)) as con:   # as migration 003 left it: no range, no looked-up dimension
        con.execute("""
            CREATE OR REPLACE MACRO closed_in_scope(date_from, date_to, regions, segments, owners, products,
                                                    exclude_nd, dim) AS TABLE
                SELECT *, coalesce(CASE dim WHEN 'region' THEN region END, '(none)') AS member
                FROM deal_facts WHERE is_closed AND close_date BETWEEN date_from AND date_to""")
        con.execute("INSERT INTO deal_facts (id, manager, is_closed, is_won, no_decision) "
                    "VALUES ('D1', 'Mia', true, true, false)")
    fresh = tmp_path / "fresh.duckdb"
    store.connect(fresh)
    store.connect(db)
    assert definitions(db) == definitions(fresh)
    # the old one had neither all time (an undated deal) nor the manager
    assert rows("SELECT member FROM closed_in_scope(NULL, NULL, [], [], [], [], false, 'manager')",
                db_path=db) == [("Mia",)]


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
