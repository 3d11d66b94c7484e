"""The store: migrations once, snapshots, one transaction per import, undo, threads."""
from __future__ import annotations

import threading
from decimal import Decimal

import pandas as pd
import pytest

from intel import models, store
from intel.ingest import import_file, undo_import
from intel.ingest import load as load_module
from intel.access import LOCAL_ADMIN as ADMIN
from tests.conftest import FIXTURES, rows

SNAPSHOT_1 = b"""Opportunity ID,Opportunity Name,Stage,Amount,Close Date
A,Alpha,Prospecting,100,2026-12-01
B,Bravo,Qualification,200,2026-12-15
"""
SNAPSHOT_2 = b"""Opportunity ID,Opportunity Name,Stage,Amount,Close Date
A,Alpha,Closed Won,150,2026-11-20
C,Charlie,Prospecting,300,2027-01-10
"""


def test_migrations_are_applied_once_and_recorded(db):
    con = store.connect()
    applied = [v for (v,) in rows("SELECT version FROM schema_version ORDER BY version")]
    # every numbered file once, in order (branches take numbers ahead, so the list may have gaps)
    files = sorted(int(p.name.split("_", 1)[0]) for p in store.MIGRATIONS.glob("*.sql"))
    assert applied == files and len(applied) >= 2
    assert store.migrate(con) == applied[-1]   # a second run applies nothing
    assert rows("SELECT count(*) FROM schema_version") == [(len(applied),)]
    tables = {t for (t,) in rows("SELECT table_name FROM information_schema.tables")}
    assert {"opportunities", "opportunities_current", "stage_history", "targets_forecasts",
            "accounts", "market", "imports", "mapping_memory"} <= tables


def test_current_view_holds_each_deal_as_of_its_latest_snapshot(db):
    import_file(SNAPSHOT_1, "s1.csv", as_of="2026-11-01", by=ADMIN)
    import_file(SNAPSHOT_2, "s2.csv", as_of="2026-11-08", by=ADMIN)
    current = dict(rows("SELECT id, amount FROM opportunities_current"))
    # A from the second snapshot, B only in the first, C only in the second.
    assert current == {"A": Decimal("150.00"), "B": Decimal("200.00"), "C": Decimal("300.00")}
    assert rows("SELECT count(*) FROM opportunities") == [(4,)]


def test_an_import_that_fails_half_way_leaves_the_store_exactly_as_it_was(db, monkeypatch):
    import_file(SNAPSHOT_1, "s1.csv", as_of="2026-11-01", by=ADMIN)
    before = (rows("SELECT * FROM opportunities ORDER BY id"), rows("SELECT id FROM imports"))

    def fail_after_insert(*args, **kwargs):  # rows are already inserted when this runs
        raise RuntimeError("disk full")

    monkeypatch.setattr(load_module, "_rejects", fail_after_insert)
    failed = import_file(SNAPSHOT_2, "s2.csv", as_of="2026-11-08", by=ADMIN)   # said, not raised
    assert failed.status == "refused" and "disk full" in failed.message
    after = (rows("SELECT * FROM opportunities ORDER BY id"), rows("SELECT id FROM imports"))
    assert after == before


def test_undo_restores_the_earlier_state_and_keeps_the_record(db):
    import_file(SNAPSHOT_1, "s1.csv", as_of="2026-11-01", by=ADMIN)
    state_after_first = rows("SELECT * FROM opportunities_current ORDER BY id")
    second = import_file(SNAPSHOT_2, "s2.csv", as_of="2026-11-08", by=ADMIN)
    assert rows("SELECT * FROM opportunities_current ORDER BY id") != state_after_first
    message = undo_import(second.import_id, by=ADMIN)
    assert "undone" in message
    assert rows("SELECT * FROM opportunities_current ORDER BY id") == state_after_first
    assert rows("SELECT id, undone_at IS NOT NULL FROM imports ORDER BY id") == [
        (1, False), (second.import_id, True)]
    with pytest.raises(ValueError, match="already undone"):
        undo_import(second.import_id, by=ADMIN)
    # an undone file can be imported again
    assert import_file(SNAPSHOT_2, "s2.csv", as_of="2026-11-08", by=ADMIN).status == "loaded"


def test_undo_of_targets_removes_only_that_import(db):
    first = import_file(FIXTURES / "targets_quarterly.csv", by=ADMIN)
    import_file(FIXTURES / "market_indicators.csv", by=ADMIN)
    undo_import(first.import_id, by=ADMIN)
    assert rows("SELECT count(*) FROM targets_forecasts") == [(0,)]
    assert rows("SELECT count(*) FROM market") == [(3,)]


def test_threads_read_through_their_own_cursors(db):
    import_file(SNAPSHOT_1, "s1.csv", as_of="2026-11-01", by=ADMIN)
    results, errors = [], []

    def read():
        try:
            for _ in range(20):
                results.append(rows("SELECT count(*) FROM opportunities")[0][0])
        except Exception as err:  # pragma: no cover - the assertion below reports it
            errors.append(err)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == [2] * 80


def test_store_path_comes_from_the_environment(db):
    store.connect()
    assert db.exists()


def test_amounts_convert_to_the_reporting_currency_only_where_a_rate_is_known(db):
    from intel.holdings import currency_coverage

    import_file(FIXTURES / "salesforce_report.csv", by=ADMIN)    # 3 USD deals, 1 EUR deal of 500.00
    coverage = currency_coverage().set_index("currency")
    assert coverage.loc["EUR", "converted"] == False  # noqa: E712 - numpy bool
    models.refresh()   # deals reads the rates by day, a model (the callers of an import refresh it)
    assert rows("SELECT amount_reporting FROM deals WHERE currency = 'EUR'") == [(None,)]
    import_file(FIXTURES / "fx_rates.csv", by=ADMIN)             # EUR 1.08
    models.refresh()   # deals reads the rates by day, a model (the callers of an import refresh it)
    assert rows("SELECT amount_reporting FROM deals WHERE currency = 'EUR'") == [(Decimal("540.00"),)]
    assert rows("SELECT amount_reporting FROM deals WHERE id = '0065g00000AAA02'") == [(Decimal("1234.50"),)]


def test_the_currency_coverage_is_kept_per_data_version_and_follows_a_new_import(db, monkeypatch):
    from intel.holdings import currency_coverage

    import_file(FIXTURES / "salesforce_report.csv", by=ADMIN)    # 3 USD deals, 1 EUR deal of 500.00
    first = currency_coverage()
    assert not first.set_index("currency").loc["EUR", "converted"]
    real = store.query_sql
    with monkeypatch.context() as patch:
        patch.setattr(store, "query_sql", lambda sql, *a, **k: pytest.fail("read again")
                      if "unconverted_deals" in sql else real(sql, *a, **k))
        pd.testing.assert_frame_equal(currency_coverage(), first)     # kept: not read again
    import_file(FIXTURES / "fx_rates.csv", by=ADMIN)             # EUR 1.08: a new data version
    assert currency_coverage().set_index("currency").loc["EUR", "converted"]


def test_a_chained_cursor_stays_open_until_its_rows_are_read(db):
    # the wrapper is dropped right after execute(); the rows must still be readable
    assert store.cursor().execute("SELECT 41 + 1").fetchone() == (42,)
    assert store.cursor().execute("SELECT 1 AS x UNION ALL SELECT 2").df()["x"].tolist() == [1, 2]


def test_a_parameter_named_only_in_a_comment_is_not_bound(db):
    """A query's header may name a parameter it does not use (DuckDB refuses an unused one): only the
    names in the SQL itself are bound, and the query runs."""
    sql = """-- the rows of import $s_import (a header naming a parameter)
             /* and $other, in a block comment */
             SELECT $n + 1 AS m"""
    assert store.used_params(sql, {"s_import": 3, "other": 4, "n": 1}) == {"n": 1}
    assert store.query_sql(sql, {"s_import": 3, "other": 4, "n": 1})["m"].tolist() == [2]
