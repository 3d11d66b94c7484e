"""The scope line a shared view, the QBR pack and every export carry."""
import datetime as dt

from intel import filters as flt
from intel.ingest.load import import_file
from tests.conftest import ADMIN, FIXTURES


def test_scope_line_names_the_filters_the_range_and_the_latest_snapshot(db):
    # pipeline-2026-10-12.csv is dated by its name: the data describes 12 October 2026
    import_file(FIXTURES / "pipeline-2026-10-05.csv", by=ADMIN, db=db)
    import_file(FIXTURES / "pipeline-2026-10-12.csv", by=ADMIN, db=db)
    chosen = flt.Filters(dt.date(2025, 6, 1), dt.date(2026, 11, 30), region=("EMEA",), owner=("Ana Costa", "Li Wei"))
    assert flt.scope_line(chosen, db=db) == (
        "Region: EMEA · Owner: Ana Costa, Li Wei · closed 2025-06-01 to 2026-11-30 · data as of 2026-10-12")
    assert flt.scope_line(flt.Filters(*flt.ALL_TIME), db=db, period="2026-Q3") == (
        "All regions, segments, owners and products · 2026-Q3 · data as of 2026-10-12")


def test_scope_line_of_an_empty_store_says_no_data(db):
    assert flt.scope_line(flt.Filters(*flt.ALL_TIME), db=db).endswith("all time · no data loaded")
