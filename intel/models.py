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
