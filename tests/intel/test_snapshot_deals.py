"""snapshot_deals: every snapshot row resolved once per import (intel.models.refresh), read by
snapshot_at and the landing instead of resolving every row on every query. It must hold exactly
what resolved_deals('opportunities') gives, after every kind of change to the data.

The fixture is a Salesforce Data Export (tests/fixtures/real): Opportunity.csv as two weekly
snapshots (the second: A5 won, A7 given 700 USD and a new deal A10 in CHF), User.csv (owner ids ->
names and managers), Account.csv (account ids -> names and countries; A6's account is not in it),
CurrencyType.csv (1 USD = 0.92 EUR, 18.2 MXN, 150 JPY; no CHF) and DatedConversionRate.csv (EUR
0.90 from 2026-01-01, 0.95 from 2026-07-01). A7 has no amount and no close date.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from intel import models, pipeline, store
from intel.access import LOCAL_ADMIN as ADMIN
from intel.filters import Filters
from intel.ingest import import_file, undo_import
from tests.conftest import FIXTURES, rows

REAL = FIXTURES / "real"
W1, W2 = dt.date(2026, 10, 5), dt.date(2026, 10, 12)
YEAR = Filters(dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def second_week() -> bytes:
    """Opportunity.csv a week on: A5 (JPY 1,500,000) won, A7 given 700 USD, A10 new in CHF."""
    text = (REAL / "sfdc_Opportunity.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    a5 = next(i for i, line in enumerate(lines) if line.startswith('"0065e00000AbCdEAA5"'))
    lines[a5] = lines[a5].replace('"Negotiation/Review"', '"Closed Won"').replace(
        '"false","false","Commit"', '"true","true","Commit"')
    a7 = next(i for i, line in enumerate(lines) if line.startswith('"0065e00000AbCdEAA7"'))
    lines[a7] = lines[a7].replace('"Prospecting",""', '"Prospecting","700"')
    a6 = next(line for line in lines if line.startswith('"0065e00000AbCdEAA6"'))
    lines.append(a6.replace("AbCdEAA6", "AbCdEA10").replace('"Closed Won","1000"', '"Closed Won","2000"'))
    return ("\n".join(lines) + "\n").encode("utf-8")


def load(source, name=None, **kw):
    result = import_file(source, name, by=ADMIN, **kw) if name else import_file(source, by=ADMIN, **kw)
    assert result.status == "loaded", result.message
    return result


def held() -> dict[tuple[int, str], dict]:
    """snapshot_deals after a refresh, checked against its definition row for row and column for
    column; keyed by (import, deal)."""
    models.refresh()
    columns = [c for (c, *_) in rows("DESCRIBE snapshot_deals")]
    wanted_columns = [c for (c, *_) in rows("DESCRIBE SELECT * FROM resolved_deals('opportunities')")]
    assert columns == wanted_columns
    assert rows("SELECT * FROM snapshot_deals ORDER BY import_id, id") == \
        rows("SELECT * FROM resolved_deals('opportunities') ORDER BY import_id, id")
    return {(r[0], r[2]): dict(zip(columns, r)) for r in rows("SELECT * FROM snapshot_deals")}


@pytest.fixture
def export(db):
    """Users first, both snapshots, then accounts and rates (lookups before and after the deals)."""
    ids = {"users": load(REAL / "sfdc_User.csv").import_id,
           "w1": load(REAL / "sfdc_Opportunity.csv", as_of=W1).import_id,
           "w2": load(second_week(), "Opportunity.csv", as_of=W2).import_id,
           "accounts": load(REAL / "sfdc_Account.csv").import_id,
           "rates": load(REAL / "sfdc_CurrencyType.csv").import_id,
           "dated": load(REAL / "sfdc_DatedConversionRate.csv").import_id}
    return ids


def test_every_snapshot_row_is_the_resolved_row(export):
    deals = held()
    w1, w2 = export["w1"], export["w2"]
    assert len(deals) == 9 + 10
    a1 = deals[(w1, "0065e00000AbCdEAA1")]
    # owner id -> name, with the manager from ManagerId; account id -> name and country
    assert (a1["owner"], a1["manager"], a1["account"], a1["country"]) == \
        ("Lena Hoffmann", "Amara Okafor", "Rhein Logistik GmbH", "Germany")
    # EUR 9,500 won 2026-08-15 at the dated 0.95: 10,000.00 USD
    assert a1["amount_reporting"] == Decimal("10000.00")
    # JPY 1,500,000 / 150 = 10,000.00 (no dated JPY rate: CurrencyType's)
    assert deals[(w1, "0065e00000AbCdEAA5")]["amount_reporting"] == Decimal("10000.00")
    # CHF has no rate: no reporting amount, in both weeks and for the new CHF deal
    assert [deals[(w, i)]["amount_reporting"] for w, i in
            ((w1, "0065e00000AbCdEAA6"), (w2, "0065e00000AbCdEAA6"), (w2, "0065e00000AbCdEA10"))] == [None] * 3
    # A6's account is not in Account.csv: its id stays, and nothing fills its country
    assert (deals[(w1, "0065e00000AbCdEAA6")]["account"], deals[(w1, "0065e00000AbCdEAA6")]["country"]) == \
        ("0015e00000XyZaBAA5", None)
    # A7: no amount, no close date, then 700 USD
    assert (deals[(w1, "0065e00000AbCdEAA7")]["amount_reporting"], deals[(w1, "0065e00000AbCdEAA7")]["close_date"]) \
        == (None, None)
    assert deals[(w2, "0065e00000AbCdEAA7")]["amount_reporting"] == Decimal("700.00")


def test_the_pipeline_reads_the_kept_rows(export):
    held()
    # open at W1: A5 (Negotiation/Review, 10,000 USD) and A7 (Prospecting, no amount: a deal, no value)
    by_stage = pipeline.pipeline_by_stage(YEAR, W1).set_index("stage")
    assert by_stage.loc["Negotiation/Review", ["deals", "amount"]].tolist() == [1, 10_000]
    assert by_stage.loc["Prospecting", ["deals", "amount"]].tolist() == [1, 0]
    # at W2 A5 is won: only A7 is open, now 700
    assert pipeline.pipeline_by_stage(YEAR, W2)[["stage", "deals", "amount"]].values.tolist() == \
        [["Prospecting", 1, 700]]


def test_lookups_and_rates_loaded_after_the_deals_resolve_the_rows_held_again(db):
    w1 = load(REAL / "sfdc_Opportunity.csv", as_of=W1).import_id
    before = held()[(w1, "0065e00000AbCdEAA1")]
    assert (before["owner"], before["account"], before["amount_reporting"]) == \
        ("0055e000001KqRsAA1", "0015e00000XyZaBAA1", None)   # ids, and no EUR rate yet
    users = load(REAL / "sfdc_User.csv").import_id
    load(REAL / "sfdc_Account.csv")
    rates = load(REAL / "sfdc_CurrencyType.csv").import_id
    after = held()[(w1, "0065e00000AbCdEAA1")]
    # the W1 rows were resolved before the lookups came: resolved again, not kept as they were
    assert (after["owner"], after["account"], after["amount_reporting"]) == \
        ("Lena Hoffmann", "Rhein Logistik GmbH", Decimal("10326.09"))   # 9,500 / 0.92
    undo_import(users, by=ADMIN)
    undo_import(rates, by=ADMIN)
    undone = held()[(w1, "0065e00000AbCdEAA1")]
    assert (undone["owner"], undone["account"], undone["amount_reporting"]) == \
        ("0055e000001KqRsAA1", "Rhein Logistik GmbH", None)


def test_an_undone_snapshot_leaves_and_a_new_one_comes_in(export):
    held()
    undo_import(export["w2"], by=ADMIN)
    assert {w for (w, _) in held()} == {export["w1"]}
    assert pipeline.snapshots() == [W1]
    w3 = load(second_week(), "Opportunity.csv", as_of=dt.date(2026, 10, 19), allow_duplicate=True).import_id
    deals = held()
    assert {w for (w, _) in deals} == {export["w1"], w3}
    assert deals[(w3, "0065e00000AbCdEA10")]["owner"] == "Diego Ramírez"   # resolved on arrival
    assert pipeline.pipeline_by_stage(YEAR, dt.date(2026, 10, 19))["amount"].tolist() == [700]


def test_a_new_snapshot_resolves_only_its_own_rows(export):
    held()
    # a row the kept table marks: a new import must add rows, not resolve every one again
    store.write(lambda cur: cur.execute(
        "UPDATE snapshot_deals SET name = 'kept' WHERE import_id = $w AND id = '0065e00000AbCdEAA1'",
        {"w": export["w1"]}))
    load(second_week(), "Opportunity.csv", as_of=dt.date(2026, 10, 19), allow_duplicate=True)
    models.refresh()
    assert rows("SELECT name FROM snapshot_deals WHERE import_id = $w AND id = '0065e00000AbCdEAA1'",
                {"w": export["w1"]}) == [("kept",)]
    assert rows("SELECT count(*) FROM snapshot_deals") == [(9 + 10 + 10,)]


def test_another_reporting_currency_resolves_every_row_again(export, monkeypatch):
    usd = held()[(export["w1"], "0065e00000AbCdEAA3")]
    assert (usd["currency"], usd["amount_reporting"]) == ("USD", Decimal("5000.00"))
    store.close_all()
    monkeypatch.setenv("SIGHTLINE_REPORTING_CURRENCY", "EUR")
    eur = held()[(export["w1"], "0065e00000AbCdEAA3")]
    # the USD rates are in USD: crossed through the latest EUR rate in USD (README, Importing),
    # 1 USD = 0.95 EUR: 5,000 USD = 4,750.00 EUR
    assert eur["amount_reporting"] == Decimal("4750.00")


def test_a_store_made_before_snapshot_deals_builds_it_on_first_use(export):
    held()
    # the store as migration 24 found it: models built, no snapshot_deals
    store.write(lambda cur: (cur.execute("DROP TABLE snapshot_deals"),
                             cur.execute("DELETE FROM settings WHERE name = 'snapshot_deals_key'"),
                             cur.execute("DELETE FROM schema_version WHERE version = 24")))
    store.close_all()
    models._built.clear()   # a new process
    assert len(held()) == 19
