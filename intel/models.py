"""Materialised models: tables derived from the canonical ones, rebuilt when the data changes.

`deal_facts` (sql/models/deal_facts.sql) holds each deal as of its latest snapshot with its
outcome flags, cycle and size band; metrics read it instead of re-ranking every snapshot.
`plan_rows` (sql/models/plan_rows.sql) holds each uploaded quota and its final forecast call;
`deal_history` and `stage_events` follow each deal across snapshots (or its stage history).
`snapshot_deals` (sql/models/snapshot_deals.sql) holds every snapshot row resolved, as
resolved_deals('opportunities') gives it: the Pipeline queries and the landing read it.
They are rebuilt, in one transaction, the first time a metric runs after an import or undo.
"""
from __future__ import annotations

import hashlib
import threading
import time

from intel import store
from intel.outcomes import NO_DECISION_REGEX

_lock = threading.Lock()
_built: dict[str, str] = {}   # store -> data version its models were built from (this process)
# seconds the last rebuild in this process took: 'snapshot_deals' (its step), 'all' (to the commit)
last_rebuild: dict[str, float] = {}
BAND_QUANTILES = (0.25, 0.5, 0.75)  # deal-size bands: quartiles over the whole history
# built first, in this order: deal facts read deals through them (resolved_deals)
LOOKUP_MODELS = ("fx_daily", "owner_lookup", "account_lookup", "product_lookup")
# What resolves a snapshot row besides the row itself: the tables the lookups and fx_daily read
# (a lookup row depends on its table alone, not on which deals name it), the reporting currency,
# the schema and the SQL. While they stay the same, a row once resolved stays so, and
# snapshot_deals only gains the rows of new imports and loses those of undone ones.
RESOLVED_BY = ("owners", "accounts", "products", "fx_rates")
_RESOLVING_SQL = hashlib.sha1("".join(   # resolved_deals and lookup_key, the lookups, the model
    store.load_sql(name) for name in ("macros/deals", *(f"models/{m}" for m in (*LOOKUP_MODELS, "snapshot_deals")))
).encode()).hexdigest()


# the reporting currency's symbol where it has a short one everybody reads; other codes go before
# the figure with a space ("CHF 38.7M")
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
_UNITS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"), (1.0, ""))


def currency_prefix(code: str | None = None) -> str:
    """What goes before a money figure: '$' for USD (the reporting currency by default), 'CHF '."""
    from intel import config

    code = (code or config.get("reporting_currency") or "USD").strip().upper()
    return CURRENCY_SYMBOLS.get(code, f"{code} ")


def money(value: float, symbol: bool = True) -> str:
    """12400 -> '$12.4k'; 1250000 -> '$1.25M'; -2830000 -> '-$2.83M'; 2.25e11 -> '$225B' (tiles
    and labels, three significant digits, never an exponent). symbol=False leaves the currency out."""
    value = float(value)
    size = abs(value)
    text = None
    for rank, (unit, suffix) in enumerate(_UNITS):
        if size < unit and unit > 1:
            continue
        shown = round(size / unit) if unit == 1 else float(f"{size / unit:.3g}")
        if shown >= 1000 and rank > 0:   # 999.96k rounds to 1000k: one unit up ('1M')
            unit, suffix = _UNITS[rank - 1]
            shown = float(f"{size / unit:.3g}")
        text = (f"{shown:,.0f}" if shown >= 1000 else f"{shown:g}") + suffix   # beyond 999T: '1,500T'
        break
    sign = "-" if value < 0 and text.rstrip("kMBT") not in ("0", "") else ""
    return sign + (currency_prefix() if symbol else "") + text


def band_labels(q1: float, q2: float, q3: float) -> list[tuple[int, float | None, float | None, str]]:
    # the labels are the band's name in stored rows and links: no currency symbol, stable across settings
    t1, t2, t3 = (money(q, symbol=False) for q in (q1, q2, q3))
    return [(1, None, q1, f"1 · up to {t1}"),
            (2, q1, q2, f"2 · {t1}–{t2}"),
            (3, q2, q3, f"3 · {t2}–{t3}"),
            (4, q3, None, f"4 · over {t3}")]


def refresh(db=None, force: bool = False) -> bool:
    """Rebuild the models if the store changed since they were built; True when rebuilt."""
    version = store.data_version(db)
    key = store._key(db)
    if _built.get(key) == version and not force:
        return False
    with _lock:
        cur = store.cursor(db)
        try:
            built = cur.execute("SELECT value FROM settings WHERE name = 'models_version'").fetchone()[0]
            if built == version and not force:
                _built[key] = version
                return False
            started = time.perf_counter()
            cur.execute("BEGIN TRANSACTION")
            try:
                # FX by day and the lookups first: deal facts read deals through them
                for model in LOOKUP_MODELS:
                    cur.execute(f"DELETE FROM {model}")  # model names are this module's constants
                    cur.execute(f"INSERT INTO {model} BY NAME " + store.load_sql(f"models/{model}"))
                step = time.perf_counter()
                _snapshot_deals(cur)
                last_rebuild["snapshot_deals"] = time.perf_counter() - step
                q = cur.execute(
                    "SELECT quantile_cont(amount_reporting, $q) FROM deals WHERE amount_reporting IS NOT NULL",
                    {"q": list(BAND_QUANTILES)}).fetchone()[0] or [0.0, 0.0, 0.0]
                bands = band_labels(*q)
                cur.execute("DELETE FROM deal_facts")
                cur.execute("INSERT INTO deal_facts BY NAME " + store.load_sql("models/deal_facts"),
                            {"q1": q[0], "q2": q[1], "q3": q[2], "no_decision": NO_DECISION_REGEX,
                             **{f"label{b}": label for b, _, _, label in bands}})
                for model in ("deal_history", "stage_events"):
                    cur.execute(f"DELETE FROM {model}")  # model names are this module's constants
                    cur.execute(f"INSERT INTO {model} BY NAME " + store.load_sql(f"models/{model}"))
                cur.execute("DELETE FROM plan_rows")
                cur.execute("INSERT INTO plan_rows BY NAME " + store.load_sql("models/plan_rows"))
                cur.execute("DELETE FROM deal_size_bands")
                for band in bands:
                    cur.execute("INSERT INTO deal_size_bands VALUES ($1, $2, $3, $4)", list(band))
                cur.execute("UPDATE settings SET value = $v WHERE name = 'models_version'", {"v": version})
                cur.execute("COMMIT")
                last_rebuild["all"] = time.perf_counter() - started
                _built[key] = version
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            return True
        finally:
            cur.close()


def _resolution_key(cur) -> str:
    """What the snapshot rows are resolved with (RESOLVED_BY's imports, currency, schema, SQL)."""
    schema, currency, lookups = cur.execute(
        "SELECT (SELECT max(version) FROM schema_version), "
        "(SELECT value FROM settings WHERE name = 'reporting_currency'), "
        "(SELECT string_agg(CAST(id AS VARCHAR), ',' ORDER BY id) FROM imports "
        " WHERE list_contains($kinds, kind) AND undone_at IS NULL)", {"kinds": list(RESOLVED_BY)}).fetchone()
    return f"{_RESOLVING_SQL[:12]}|{schema}|{currency}|{lookups or ''}"


def _snapshot_deals(cur) -> None:
    """Bring snapshot_deals in line with opportunities (inside refresh's transaction, after the
    lookups): resolved as before, it keeps the rows it holds, drops an undone import's and
    resolves only a new import's (one snapshot, not every one again); resolved otherwise, it
    resolves every row again."""
    key = _resolution_key(cur)
    if cur.execute("SELECT value FROM settings WHERE name = 'snapshot_deals_key'").fetchone()[0] != key:
        cur.execute("DELETE FROM snapshot_deals")
    held = {i for (i,) in cur.execute("SELECT DISTINCT import_id FROM snapshot_deals").fetchall()}
    loaded = {i for (i,) in cur.execute("SELECT DISTINCT import_id FROM opportunities").fetchall()}
    if held - loaded:
        cur.execute("DELETE FROM snapshot_deals WHERE list_contains($gone, import_id)",
                    {"gone": sorted(held - loaded)})
    if loaded - held:   # a list of ids, not a subquery: the scan skips the other imports' rows
        cur.execute("INSERT INTO snapshot_deals BY NAME " + store.load_sql("models/snapshot_deals"),
                    {"imports": sorted(loaded - held)})
    cur.execute("UPDATE settings SET value = $k WHERE name = 'snapshot_deals_key'", {"k": key})
