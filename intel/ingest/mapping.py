"""Header → canonical column mapping, kind detection, and the memory of overrides."""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata

from intel.ingest.schema import KINDS

VENDOR_PREFIXES = ("opportunity", "opp", "deal")


def header_key(header: str) -> str:
    """'Probability (%)' -> 'probability'; 'Deal - Owner' -> 'dealowner'."""
    text = unicodedata.normalize("NFKD", header.replace("\ufeff", ""))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]", "", text)


def _without_prefix(header: str) -> str | None:
    words = re.sub(r"[^a-z0-9]+", " ", header_key_spaced(header)).split()
    if len(words) > 1 and words[0] in VENDOR_PREFIXES:
        return "".join(words[1:])
    return None


def header_key_spaced(header: str) -> str:
    text = unicodedata.normalize("NFKD", header.replace("\ufeff", ""))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def auto_mapping(headers: list[str], kind: str) -> dict[str, str]:
    """The canonical column -> source header mapping found from the header names alone."""
    keys = [header_key(h) for h in headers]
    stripped = [_without_prefix(h) for h in headers]
    used: set[int] = set()
    mapping: dict[str, str] = {}
    for column in KINDS[kind]:
        found = None
        for synonym in column.synonyms:
            for pass_keys in (keys, stripped):
                for i, key in enumerate(pass_keys):
                    if i not in used and key == synonym:
                        found = i
                        break
                if found is not None:
                    break
            if found is not None:
                break
        if found is not None:
            used.add(found)
            mapping[column.name] = headers[found]
    if kind == "market":
        mapping.update(_single_indicator_value(headers, mapping))
    return mapping


HISTORY_SIGNALS = {"fromstage", "tostage", "stagechangedate", "changedat", "datechanged", "editdate",
                   "newstage", "oldstage", "previousstage"}


def detect_kind(headers: list[str]) -> str | None:
    """Which kind of file this header belongs to, or None when nothing fits."""
    keys = {header_key(h) for h in headers}
    opp = auto_mapping(headers, "opportunities")
    # Salesforce OpportunityHistory has its own Id beside OpportunityId, and no owner.
    history = bool(keys & HISTORY_SIGNALS) or (
        "opportunityid" in keys and "id" in keys and "owner" not in opp
    )
    if history and auto_mapping(headers, "stage_history").keys() >= {"opportunity_id", "changed_at"}:
        return "stage_history"
    targets = auto_mapping(headers, "targets_forecasts")
    if "period" in targets and targets.keys() & {"target", "forecast_commit", "forecast_best_case",
                                                 "forecast_pipeline"}:
        return "targets_forecasts"
    market = auto_mapping(headers, "market")
    if {"indicator", "value"} <= market.keys():
        return "market"
    if opp.keys() & {"stage", "status", "is_won"}:
        return "opportunities"
    if is_single_indicator(market) and _only_series_columns(headers, market):
        return "market"
    fx = auto_mapping(headers, "fx_rates")
    if {"currency", "rate"} <= fx.keys():
        return "fx_rates"
    accounts = auto_mapping(headers, "accounts")
    if "account" in accounts and accounts.keys() & {"industry", "size", "annual_value", "segment"}:
        return "accounts"
    return None


def header_fingerprint(headers: list[str]) -> str:
    return hashlib.sha256(json.dumps([header_key(h) for h in headers]).encode()).hexdigest()


def remembered_mapping(cur, headers: list[str]) -> tuple[str, dict[str, str]] | None:
    """The (kind, mapping) an analyst chose for a file with this same header, if any."""
    row = cur.execute(
        "SELECT kind, mapping FROM mapping_memory WHERE header_key = $k",
        {"k": header_fingerprint(headers)},
    ).fetchone()
    if row is None:
        return None
    mapping = {k: v for k, v in json.loads(row[1]).items() if v in headers}
    return row[0], mapping


def remember_mapping(cur, headers: list[str], kind: str, mapping: dict[str, str]) -> None:
    cur.execute(
        """INSERT OR REPLACE INTO mapping_memory VALUES ($k, $h, $kind, $m, now())""",
        {"k": header_fingerprint(headers), "h": json.dumps(headers), "kind": kind,
         "m": json.dumps(mapping)},
    )


# Codes that ride along with a published series (World Bank 'Country Code'): not its value.
SERIES_CODES = {"countrycode", "code", "isocode", "iso", "iso2", "iso3", "countryiso3code",
                "indicatorcode", "seriescode"}


def _single_indicator_value(headers: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """{'value': header} for a file that publishes one indicator ('Country, Country Code, Year,
    Inflation'; 'Date, Country, Exchange rate'): the one column left beside period, country and codes."""
    if "indicator" in mapping or "value" in mapping or not {"period", "region"} <= mapping.keys():
        return {}
    rest = [h for h in headers if h not in mapping.values() and header_key(h) not in SERIES_CODES]
    return {"value": rest[0]} if len(rest) == 1 else {}


def is_single_indicator(market_mapping: dict[str, str]) -> bool:
    """A market file with no indicator column: the indicator is named from its value column or file."""
    return "indicator" not in market_mapping and {"period", "region", "value"} <= market_mapping.keys()


def _only_series_columns(headers: list[str], market_mapping: dict[str, str]) -> bool:
    """Every column is one a published series has (period, country, value, unit, codes): a file
    with an Owner or Account beside them is not market data."""
    return all(h in market_mapping.values() or header_key(h) in SERIES_CODES for h in headers)
