"""Which way an exchange-rate file is written, decided from its shape, and said in words.

The store keeps, per currency, how many units of it one unit of a base currency buys
(Salesforce CurrencyType.ConversionRate: 1 USD = 18.2 MXN), so a reporting amount is
amount ÷ rate (shared/METRICS.md, Data conventions). Files written the other way round
(1 EUR = 1.08 USD) are turned round on import. In turn, what decides:

1. the rate column's header ("USD per unit", "Rate to USD": the inverse; "per USD",
   "LCU per US$": units per base),
2. Salesforce's own files (IsoCode + ConversionRate, with IsCorporate or not): units per
   corporate currency,
3. the values: rates of well-known currencies lie near their usual level against the base
   or near its inverse (JPY is ~150 per USD, not ~0.0067),
4. else units per base, said as an assumption.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from intel.ingest.mapping import header_key

# Rough units per USD: the two readings of a rate differ by its square, far more than a year's
# moves for most currencies; near parity (EUR, GBP, CHF) the closer reading still wins.
USUAL_PER_USD = {
    "USD": 1.0, "EUR": 0.92, "GBP": 0.79, "JPY": 150.0, "CHF": 0.88, "CAD": 1.36, "AUD": 1.52,
    "NZD": 1.65, "CNY": 7.2, "HKD": 7.8, "SGD": 1.34, "INR": 83.0, "KRW": 1330.0, "MXN": 17.5,
    "BRL": 5.0, "ARS": 850.0, "CLP": 930.0, "COP": 3900.0, "ZAR": 18.5, "SEK": 10.5, "NOK": 10.6,
    "DKK": 6.9, "PLN": 4.0, "CZK": 23.0, "HUF": 360.0, "TRY": 32.0, "ILS": 3.7, "AED": 3.67,
    "SAR": 3.75, "THB": 36.0, "IDR": 15700.0, "PHP": 56.0, "MYR": 4.7, "TWD": 32.0, "RUB": 92.0,
}


# Open-data exchange-rate series name countries, not currencies (Date, Country, Value).
COUNTRY_CURRENCY = {
    "united states": "USD", "usa": "USD", "euro": "EUR", "euro area": "EUR", "eurozone": "EUR",
    "germany": "EUR", "france": "EUR", "italy": "EUR", "spain": "EUR", "netherlands": "EUR",
    "ireland": "EUR", "belgium": "EUR", "austria": "EUR", "finland": "EUR", "portugal": "EUR",
    "united kingdom": "GBP", "uk": "GBP", "japan": "JPY", "switzerland": "CHF", "canada": "CAD",
    "australia": "AUD", "new zealand": "NZD", "china": "CNY", "hong kong": "HKD", "singapore": "SGD",
    "india": "INR", "south korea": "KRW", "korea": "KRW", "mexico": "MXN", "brazil": "BRL",
    "argentina": "ARS", "chile": "CLP", "colombia": "COP", "south africa": "ZAR", "sweden": "SEK",
    "norway": "NOK", "denmark": "DKK", "poland": "PLN", "czech republic": "CZK", "czechia": "CZK",
    "hungary": "HUF", "turkey": "TRY", "israel": "ILS", "united arab emirates": "AED",
    "saudi arabia": "SAR", "thailand": "THB", "indonesia": "IDR", "philippines": "PHP",
    "malaysia": "MYR", "taiwan": "TWD", "russia": "RUB", "sri lanka": "LKR", "venezuela": "VES",
}


@dataclass
class Direction:
    base: str            # the currency the rates are quoted against
    inverse: bool        # True: the file says base units per 1 unit of the currency (turn round)
    how: str             # what decided it, in words
    turned: frozenset = frozenset()   # currencies read the other way from the rest of the file

    def inverted(self, code: str) -> bool:
        return self.inverse != (code in self.turned)

    def example(self, rates: dict[str, float]) -> str:
        """'1 USD = 18.2 MXN' for one currency of the file (as stored, after turning round)."""
        others = sorted(c for c in rates if c != self.base and rates[c])
        if not others:
            return ""
        code = next((c for c in others if c in USUAL_PER_USD), others[0])
        return f"1 {self.base} = {_fmt(rates[code])} {code}"


def _fmt(x: float) -> str:
    return f"{x:,.4g}" if x >= 0.01 else f"{x:.3g}"


def _header_says(rate_header: str, base: str) -> bool | None:
    """True (inverse), False (units per base) or None, from the rate column's own words."""
    text = rate_header.lower()
    code = base.lower()
    if re.search(rf"\b(to|in|into)\s+{code}\b|\b{code}\s+(per|for)\s+(one\s+|1\s+)?(unit|each)", text):
        return True
    if re.search(rf"\bper\s+(one\s+|1\s+)?({code}|us\$|dollar)|units?\s+per\b|lcu\s+per", text):
        return False
    return None


def decide(headers: list[str], mapping: dict[str, str], rows: list[tuple[str, float, bool | None]],
           reporting: str) -> Direction:
    """The direction of a rates file from its rate header, Salesforce shape, or values.

    rows: (currency, rate, is_base) as read, rate as written in the file."""
    keys = {header_key(h) for h in headers}
    flagged = sorted({c for c, _, is_base in rows if is_base})
    ones = {c for c, r, _ in rows} - {c for c, r, _ in rows if not math.isclose(r, 1.0)}
    if flagged:
        base, why = flagged[0], f"{flagged[0]} is marked as the corporate currency"
    elif len(ones) == 1:
        base = ones.pop()
        why = f"{base} has a rate of 1"
    else:
        base, why = reporting, f"{reporting} (the reporting currency) taken as the base"
    said = _header_says(mapping.get("rate", ""), base)
    if said is not None:
        return Direction(base, said, f"the rate column {mapping.get('rate')!r} says so; {why}")
    if "conversionrate" in keys and "isocode" in keys:
        return Direction(base, False, f"Salesforce currency table: units per corporate currency; {why}")
    votes, leaning = 0.0, {}
    base_usual = USUAL_PER_USD.get(base)
    for code, rate, _ in rows:
        usual = USUAL_PER_USD.get(code)
        if usual is None or base_usual is None or rate is None or rate <= 0 or code == base:
            continue
        expected = usual / base_usual          # units of code per 1 base
        as_written = abs(math.log(rate / expected))     # distance if units per base
        turned = abs(math.log(rate * expected))         # distance if base per unit
        if abs(as_written - turned) > 0.05:    # near parity both readings look alike: no vote
            votes += turned - as_written
            lean, n = leaning.get(code, (0.0, 0))
            leaning[code] = (lean + turned - as_written, n + 1)
    inverse = votes < 0
    # A series mixing both quotes (FRED: AUD, GBP, NZD, EUR in USD per unit, the rest per USD):
    # a currency clearly nearer the other reading is turned on its own.
    odd = frozenset(c for c, (lean, n) in leaning.items() if abs(lean / n) > 0.5 and (lean < 0) != inverse)
    mixed = f" ({', '.join(sorted(odd))} read the other way, as their values say)" if odd else ""
    if votes > 0:
        return Direction(base, False, f"the rates lie near the usual units per {base}{mixed}; {why}", odd)
    if votes < 0:
        return Direction(base, True, f"the rates lie near the usual {base} per unit{mixed}; {why}", odd)
    return Direction(base, False, f"assumed units per {base} (nothing in the file tells); {why}")


def country_currency_sql(text_expr: str) -> str:
    """SQL: the currency of a country name (NULL when unknown); names are this module's constants."""
    whens = " ".join(f"WHEN '{country}' THEN '{code}'" for country, code in COUNTRY_CURRENCY.items())
    return f"CASE lower(trim({text_expr})) {whens} END"
