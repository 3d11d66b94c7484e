"""What the store holds: the import history and a per-kind summary for the landing page."""
from __future__ import annotations

import pandas as pd

from intel import store
from intel.ingest.schema import KIND_LABELS


def import_history(db=None) -> pd.DataFrame:
    """Every import, newest first, with rows loaded/rejected and whether it was undone."""
    return store.query("import_history", db=db)


def loaded_summary(db=None) -> pd.DataFrame:
    """Per kind: rows held, first and last date covered, snapshots, and the latest import."""
    summary = store.kept_query("loaded_summary", path=db)
    history = import_history(db)
    live = history[history["undone_at"].isna()]
    last = live.groupby("kind")["imported_at"].max()
    summary["last_import"] = summary["kind"].map(last.to_dict())
    summary["label"] = summary["kind"].map(KIND_LABELS)
    return summary


def is_empty(db=None) -> bool:
    cur = store.cursor(db)
    try:
        return cur.execute("SELECT count(*) FROM imports WHERE undone_at IS NULL").fetchone()[0] == 0
    finally:
        cur.close()


def currency_coverage(db=None) -> pd.DataFrame:
    """Per currency of the current deals: deals, amount, and whether it converts to reporting."""
    from intel import models

    models.refresh(db)   # the deals convert through the FX model: built for this data version first
    return store.kept_query("currency_coverage", path=db)


def unconverted_note(db=None) -> str | None:
    """The sentence every money figure carries when some deals cannot be converted to the
    reporting currency (METRICS.md: left out of money figures, counted), or None when all can."""
    from intel import config, models

    models.refresh(db)
    coverage = currency_coverage(db)
    missing = coverage[coverage["unconverted_deals"] > 0]
    if missing.empty:
        return None
    reporting = config.get("reporting_currency")
    deals = int(missing["unconverted_deals"].sum())
    amounts = ", ".join(f"{c} {float(a):,.0f}" for c, a in zip(missing["currency"], missing["unconverted_amount"]))
    return (f"{deals:,} deal{'s' if deals != 1 else ''} ({amounts}) {'have' if deals != 1 else 'has'} "
            f"no exchange rate to {reporting}, "
            f"so every amount in {reporting} leaves {'them' if deals != 1 else 'it'} out: import the "
            f"rates (an FX table, or Salesforce CurrencyType.csv / DatedConversionRate.csv) on the Data page.")
