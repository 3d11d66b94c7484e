"""Header → canonical column mapping, kind detection, and the memory of overrides."""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass

from intel.ingest.schema import KINDS

VENDOR_PREFIXES = ("opportunity", "opp", "deal")


# Salesforce custom fields end in __c (LossReason__c, Channel__c): matched by their name without it.
CUSTOM_FIELD = re.compile(r"__c$", re.IGNORECASE)
# "Opportunity Amount USD", "Amount (EUR)": an amount whose header names its currency.
CURRENCY_SUFFIX = re.compile(r"^(.+?)(usd|eur|gbp|jpy|chf|cad|aud|inr|cny|brl|mxn|sek|nok|dkk|nzd|sgd|hkd|zar)$")


def header_key(header: str) -> str:
    """'Probability (%)' -> 'probability'; 'Deal - Owner' -> 'dealowner'; 'LossReason__c' -> 'lossreason'."""
    text = unicodedata.normalize("NFKD", CUSTOM_FIELD.sub("", header.replace("\ufeff", "").strip()))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]", "", text)


def _without_prefix(header: str) -> str | None:
    words = re.sub(r"[^a-z0-9]+", " ", header_key_spaced(header)).split()
    if len(words) > 1 and words[0] in VENDOR_PREFIXES:
        return "".join(words[1:])
    return None


def header_key_spaced(header: str) -> str:
    text = unicodedata.normalize("NFKD", CUSTOM_FIELD.sub("", header.replace("\ufeff", "").strip()))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower()
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def header_currency(header: str) -> str | None:
    """The currency an amount header names ('Opportunity Amount USD' -> 'USD'), if any."""
    m = CURRENCY_SUFFIX.match(header_key(header))
    return m.group(2).upper() if m else None


def candidates(headers: list[str], kind: str) -> dict[str, list[str]]:
    """Canonical column -> every header that could fill it, best first (a synonym earlier in the
    list, then the exact name before the one without a vendor prefix or currency suffix)."""
    keys = [header_key(h) for h in headers]
    stripped = [_without_prefix(h) for h in headers]
    unsuffixed = [(m.group(1) if (m := CURRENCY_SUFFIX.match(k)) else None) for k in keys]
    unsuffixed_stripped = [(m.group(1) if k and (m := CURRENCY_SUFFIX.match(k)) else None) for k in stripped]
    found: dict[str, list[str]] = {}
    for column in KINDS[kind]:
        passes = [keys, stripped]
        if column.type == "amount" or column.name == "rate":   # 'Amount USD', 'Rate to USD'
            passes += [unsuffixed, unsuffixed_stripped]
        order = []
        for synonym in column.synonyms:
            for pass_keys in passes:
                order += [i for i, key in enumerate(pass_keys) if key == synonym and i not in order]
        if order:
            found[column.name] = [headers[i] for i in order]
    return found


def auto_mapping(headers: list[str], kind: str, filled: dict[str, int] | None = None) -> dict[str, str]:
    """The canonical column -> source header mapping found from the header names.

    Each header fills one column, the columns in the schema's order. With `filled` (header ->
    how many rows have a value), a header with values beats an empty one that matches better
    (an empty Loss_Reason__c beside a filled LossReason__c)."""
    used: set[str] = set()
    mapping: dict[str, str] = {}
    for name, options in candidates(headers, kind).items():
        options = [h for h in options if h not in used]
        if not options:
            continue
        if filled is not None and any(filled.get(h, 0) for h in options):
            options = [h for h in options if filled.get(h, 0)]
        used.add(options[0])
        mapping[name] = options[0]
    if kind == "market":
        mapping.update(_single_indicator_value(headers, mapping))
    return mapping


def mapping_notes(headers: list[str], kind: str, mapping: dict[str, str], filled: dict[str, int]) -> list[str]:
    """Why a column was filled from one header when others could have filled it."""
    notes = []
    for name, options in candidates(headers, kind).items():
        chosen = mapping.get(name)
        passed = [h for h in options if h != chosen and h not in mapping.values()]
        if chosen and passed:
            others = ", ".join(f"{h!r} ({filled.get(h, 0):,} values)" for h in passed)
            notes.append(f"{name.replace('_', ' ')} <- {chosen!r} ({filled.get(chosen, 0):,} values); "
                         f"also possible: {others}.")
    return notes


HISTORY_SIGNALS = {"fromstage", "tostage", "stagechangedate", "changedat", "datechanged", "editdate",
                   "newstage", "oldstage", "previousstage"}
# Columns only a table of people has (Salesforce User.csv).
USER_SIGNALS = {"username", "alias", "userroleid", "profileid", "managerid", "federationidentifier",
                "usertype"}
# Columns of a grouped report (one row per stage, not per deal).
SUMMARY_SIGNALS = {"count", "recordcount", "sumofamount", "totalamount", "numberofdeals", "deals",
                   "opportunities", "numberofopportunities", "sum", "average", "avg"}
# Columns only a list of leads has (Salesforce Lead.csv, a Lead report).
LEAD_SIGNALS = {"isconverted", "convertedopportunityid", "convertedaccountid", "convertedcontactid",
                "converteddate", "leadstatus", "leadid", "leadowner"}
# The lifecycle stage and the day each was reached: HubSpot contacts, but companies carry them too.
LIFECYCLE_SIGNALS = {"lifecyclestage", "becamealeaddate", "becameamarketingqualifiedleaddate",
                     "becameasalesqualifiedleaddate", "becameanopportunitydate", "becameacustomerdate",
                     "becameasubscriberdate", "becameanevangelistdate"}
# A person's columns: contacts, not companies.
PERSON_SIGNALS = {"email", "emailaddress", "firstname", "lastname", "fullname", "jobtitle", "contactowner",
                  "contactid", "phonenumber", "mobilephonenumber"}
CONFIDENT = 0.6   # below it, the analyst is asked to choose (Data page) or to force --kind (CLI)


@dataclass
class Detection:
    kind: str | None
    confidence: float            # 0..1: how sure the header (and a sample of rows) make us
    reason: str                  # in the analyst's words

    @property
    def confident(self) -> bool:
        return self.kind is not None and self.confidence >= CONFIDENT


def _share_outcome_words(values: list[str]) -> float:
    from intel.ingest.normalise import OUTCOME_WORDS

    words = set(OUTCOME_WORDS)
    filled = [header_key(v) for v in values if v.strip()]
    return sum(1 for v in filled if v in words) / len(filled) if filled else 0.0


def _column(sample: list[list[str]], headers: list[str], header: str) -> list[str]:
    i = headers.index(header)
    return [row[i] for row in sample if i < len(row)]


def detect(headers: list[str], sample: list[list[str]] | None = None) -> Detection:
    """Which kind of file this is, how sure we are, and why (header plus a sample of rows)."""
    keys = {header_key(h) for h in headers}
    opp = auto_mapping(headers, "opportunities")
    # A status column counts as an outcome only when its values read as one (an address's State
    # does not); without a sample the header decides.
    if "status" in opp and sample and _share_outcome_words(_column(sample, headers, opp["status"])) < 0.5:
        opp.pop("status")
    # Salesforce OpportunityHistory has its own Id beside OpportunityId, and no owner.
    history = bool(keys & HISTORY_SIGNALS) or (
        "opportunityid" in keys and "id" in keys and "owner" not in opp
    )
    if history and auto_mapping(headers, "stage_history").keys() >= {"opportunity_id", "changed_at"}:
        return Detection("stage_history", 1.0, "stage history: a deal id and the date each stage was entered")
    targets = auto_mapping(headers, "targets_forecasts")
    if "period" in targets and targets.keys() & {"target", "forecast_commit", "forecast_best_case",
                                                 "forecast_pipeline"}:
        return Detection("targets_forecasts", 1.0, "targets or forecast calls per period")
    market = auto_mapping(headers, "market")
    if {"indicator", "value"} <= market.keys():
        return Detection("market", 1.0, "market indicators per period")
    # A lead export has a status but no deal stage, amount or won flag (Lead.csv's Status would read
    # as a deal's outcome): it is told apart before the deals.
    deal_like = bool(opp.keys() & {"stage", "amount", "is_won"})
    if not deal_like and (keys & LEAD_SIGNALS or (keys & LIFECYCLE_SIGNALS and keys & PERSON_SIGNALS)):
        return _lead_detection(headers, keys)
    if opp.keys() & {"stage", "status", "is_won"}:
        return _opportunity_detection(opp, keys)
    if is_single_indicator(market) and _only_series_columns(headers, market):
        return Detection("market", 1.0, "one indicator per place and period, as open data publishes it")
    fx = auto_mapping(headers, "fx_rates")
    if {"currency", "rate"} <= fx.keys():
        return Detection("fx_rates", 1.0, "exchange rates per currency")
    lookups = []
    if "period" in targets:   # a list per period (quotas without a measure) is no lookup table
        return Detection(None, 0.0, "it has a period column but no target or forecast column")
    if keys & USER_SIGNALS:
        owners = auto_mapping(headers, "owners")
        if "owner" in owners:
            return Detection("owners", 1.0, "a user table (user name, e-mail): the people who own deals")
    for kind, key, attributes in (
            ("accounts", "account", {"industry", "size", "annual_value", "segment", "country", "parent"}),
            ("owners", "owner", {"team", "manager", "region"}),
            ("products", "product", {"family", "list_price"})):
        found = auto_mapping(headers, kind)
        if key in found and found.keys() & attributes:
            lookups.append((len(found.keys() & attributes) / len(attributes), kind, found.keys() & attributes))
    if lookups:
        score, kind, attrs = max(lookups)
        return Detection(kind, 1.0, f"a {kind[:-1]} lookup table ({', '.join(sorted(attrs))}), "
                                    "joined to the deals by its key")
    if not deal_like and keys & LIFECYCLE_SIGNALS:   # a lifecycle stage, no person: contacts or companies?
        return Detection("leads", 0.5, "it has a lifecycle stage but no person's columns (e-mail, first or "
                                       "last name, contact owner): contacts or companies?")
    return Detection(None, 0.0, "no column reads as a deal's stage or outcome, and the file is not "
                                "a targets, stage history, accounts, owners, products, market or FX file")


def _opportunity_detection(opp: dict[str, str], keys: set[str]) -> Detection:
    """How much of a deal list the header holds: an outcome plus amount, close date, an id or
    name, and an account or owner. A grouped summary (a Count column, no deal ids) scores low."""
    parts = {"an amount": "amount" in opp, "a close date": "close_date" in opp,
             "a deal id or name": bool(opp.keys() & {"id", "name"}),
             "an account or owner": bool(opp.keys() & {"account", "owner"})}
    confidence = 0.4 + 0.15 * sum(parts.values())
    missing = [p for p, ok in parts.items() if not ok]
    if keys & SUMMARY_SIGNALS and not opp.keys() & {"id", "name"}:
        return Detection("opportunities", 0.2, "it looks like a grouped summary (a count column, "
                                               "no deal ids or names), not a list of deals")
    reason = "a list of deals with a stage or outcome"
    if missing:
        reason += f"; it has no {', no '.join(m.split(' ', 1)[1] for m in missing)}"
    return Detection("opportunities", round(confidence, 2), reason)


def _lead_detection(headers: list[str], keys: set[str]) -> Detection:
    said = [h for h in headers if header_key(h) in LEAD_SIGNALS | LIFECYCLE_SIGNALS][:3]
    how = "leads or contacts with how far each went"
    if "id" not in auto_mapping(headers, "leads"):
        return Detection("leads", 0.8, f"{how} ({', '.join(said)}); it has no lead id, so a lead "
                                       "exported again later would count twice")
    return Detection("leads", 1.0, f"{how} ({', '.join(said)})")


def detect_kind(headers: list[str], sample: list[list[str]] | None = None) -> str | None:
    """Which kind of file this header belongs to, or None when nothing fits."""
    return detect(headers, sample).kind


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
