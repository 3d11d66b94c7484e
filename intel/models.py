"""Materialised models: tables derived from the canonical ones, rebuilt when the data changes.

`deal_facts` (sql/models/deal_facts.sql) holds each deal as of its latest snapshot with its
outcome flags, cycle and size band; metrics read it instead of re-ranking every snapshot.
`plan_rows` (sql/models/plan_rows.sql) holds each uploaded quota and its final forecast call;
`deal_history` and `stage_events` follow each deal across snapshots (or its stage history).
It is rebuilt, in one transaction, the first time a metric runs after an import or undo.
"""
from __future__ import annotations

import threading

from intel import store
from intel.outcomes import NO_DECISION_REGEX

_lock = threading.Lock()
_built: dict[str, str] = {}   # store -> data version its models were built from (this process)
BAND_QUANTILES = (0.25, 0.5, 0.75)  # deal-size bands: quartiles over the whole history
# built first, in this order: deal facts read deals through them (resolved_deals)
LOOKUP_MODELS = ("fx_daily", "owner_lookup", "account_lookup", "product_lookup")


def money(value: float) -> str:
    """12400 -> '12.4k'; 1250000 -> '1.25M' (labels, not reports)."""
    value = float(value)
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.3g}M"
    if abs(value) >= 1_000:
        return f"{value / 1_000:.3g}k"
    return f"{value:.0f}"


def band_labels(q1: float, q2: float, q3: float) -> list[tuple[int, float | None, float | None, str]]:
    return [(1, None, q1, f"1 · up to {money(q1)}"),
            (2, q1, q2, f"2 · {money(q1)}–{money(q2)}"),
            (3, q2, q3, f"3 · {money(q2)}–{money(q3)}"),
            (4, q3, None, f"4 · over {money(q3)}")]


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
            cur.execute("BEGIN TRANSACTION")
            try:
                # FX by day and the lookups first: deal facts read deals through them
                for model in LOOKUP_MODELS:
                    cur.execute(f"DELETE FROM {model}")  # model names are this module's constants
                    cur.execute(f"INSERT INTO {model} BY NAME " + store.load_sql(f"models/{model}"))
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
                _built[key] = version
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            return True
        finally:
            cur.close()
