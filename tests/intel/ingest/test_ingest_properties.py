"""Property: the same deals, exported in any vendor's spelling and dialect, land as the same rows.

Hypothesis draws a few canonical deals and a way of writing them (header names, case and
spacing, BOM, delimiter, quoting, line endings, date and number formats), imports the file
into a fresh store and reads the deals back. Whatever the spelling, the store must hold the
canonical values.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from intel import store
from intel.access import LOCAL_ADMIN as ADMIN
from intel.ingest import import_file

# ---- the canonical deals ----

OPEN_STAGES = ["Prospecting", "Qualification", "Needs Analysis", "Proposal/Price Quote",
               "Negotiation/Review", "Appointment scheduled", "Contract sent", "Qualifizierung",
               "Négociation", "Demo, scheduled"]
OUTCOMES = ["open", "won", "lost"]
CURRENCIES = ["USD", "EUR", "GBP", "MXN", "CHF"]
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}

# Letters with accents, and the characters that make CSV writers quote: , ; | " tab, line break.
NAME_CHARS = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                  "éèüößñçøÅÉÜ  ,;|\"'&-./()\t\n"))
ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class Deal:
    id: str
    name: str | None
    account: str | None
    owner: str | None
    outcome: str            # open | won | lost
    open_stage: str         # the stage label while open (Pipedrive keeps it after the outcome)
    amount: Decimal | None
    currency: str
    close_date: dt.date | None
    created_date: dt.date | None


def _trimmed(s: str) -> str:
    return s.strip(" ")


def text_value():
    # Surrounding spaces are trimmed by the import; a value of spaces only is no value.
    # Tabs and line breaks (quoted) only inside a value: the import trims spaces, not tabs or
    # line breaks (noted, not decided here).
    return st.text(NAME_CHARS, min_size=1, max_size=24).filter(
        lambda s: _trimmed(s) and _trimmed(s) == _trimmed(s).strip("\t\n"))


dates = st.dates(dt.date(2015, 1, 1), dt.date(2030, 12, 31))
amounts = st.integers(0, 99_999_999_99).map(lambda cents: Decimal(cents).scaleb(-2))
ids = st.text(ID_CHARS, min_size=1, max_size=18).filter(
    lambda s: s.strip("0") not in ("", "AAA"))  # all-zero ids are Salesforce placeholders: no id


@st.composite
def deals(draw):
    return Deal(
        id=draw(ids),
        name=draw(text_value()),
        account=draw(st.none() | text_value()),
        owner=draw(st.none() | text_value()),
        outcome=draw(st.sampled_from(OUTCOMES)),
        open_stage=draw(st.sampled_from(OPEN_STAGES)),
        amount=draw(st.none() | amounts),
        currency=draw(st.sampled_from(CURRENCIES)),
        close_date=draw(st.none() | dates),
        created_date=draw(st.none() | dates),
    )


# ---- how a vendor writes them ----

VENDORS = {
    "salesforce": {"id": "Opportunity ID", "name": "Opportunity Name", "account": "Account Name",
                   "owner": "Opportunity Owner", "stage": "Stage", "amount": "Amount",
                   "currency": "Amount Currency", "close_date": "Close Date",
                   "created_date": "Created Date"},
    "hubspot": {"id": "Record ID", "name": "Deal Name", "account": "Associated Company",
                "owner": "Deal owner", "stage": "Deal Stage", "amount": "Amount",
                "currency": "Currency", "close_date": "Close Date", "created_date": "Create Date"},
    "pipedrive": {"id": "Deal - ID", "name": "Deal - Title", "account": "Deal - Organization",
                  "owner": "Deal - Owner", "stage": "Deal - Stage", "status": "Deal - Status",
                  "amount": "Deal - Value", "currency": "Deal - Currency",
                  "close_date": "Deal - Expected close date", "created_date": "Deal - Deal created"},
    "snake_case": {"id": "opportunity_id", "name": "opportunity_name", "account": "account_name",
                   "owner": "owner", "stage": "stage", "amount": "amount", "currency": "currency",
                   "close_date": "close_date", "created_date": "created_date"},
}
CLOSED_WORDS = {"salesforce": ("Closed Won", "Closed Lost"), "hubspot": ("Closed won", "Closed lost"),
                "snake_case": ("closed_won", "closed_lost")}

HEADER_STYLES = {
    "as is": lambda h: h,
    "upper": str.upper,
    "lower": str.lower,
    "title": str.title,
    "no spaces": lambda h: h.replace(" ", ""),
    "double spaces": lambda h: h.replace(" ", "  "),
    "padded": lambda h: f" {h} ",
    "snake": lambda h: "_".join(h.lower().replace("-", " ").split()),
    "camel": lambda h: "".join(w if i == 0 else w.capitalize()
                               for i, w in enumerate(h.lower().replace("-", " ").split())),
}

# 1234.5 | 1234.50 | 1,234.50 | 1,234.5 | 1.234,50 | 1.234,5 | 1 234,50 | 1'234.50
NUMBER_STYLES = ["plain", "plain short", "thousands", "thousands short", "european",
                 "european short", "french", "swiss"]
DECORATIONS = ["none", "code", "code after", "symbol", "symbol after"]
DATE_STYLES = ["ISO", "M/D/YYYY", "D.M.YYYY", "D/M/YYYY", "M/D/YY", "D/M/YY", "D.M.YY"]
TIME_SUFFIX = {"ISO": ["", " 17:00", "T09:30:00Z"], "M/D/YYYY": ["", " 5:00 PM"],
               "D.M.YYYY": ["", " 17:00"], "D/M/YYYY": ["", " 17:00"], "M/D/YY": ["", " 9:30 AM"],
               "D/M/YY": ["", " 17:00"], "D.M.YY": ["", " 17:00"]}
ENCODINGS = ["utf-8", "cp1252", "utf-16"]


@dataclass(frozen=True)
class Dialect:
    vendor: str
    header_styles: tuple[str, ...]
    with_currency_column: bool
    bom: bool
    delimiter: str
    quote_all: bool
    line_end: str
    date_style: str
    zero_pad: bool
    time_suffix: str
    number_style: str
    decoration: str
    encoding: str
    space: str              # the French thousands separator


@st.composite
def dialects(draw):
    vendor = draw(st.sampled_from(list(VENDORS)))
    date_style = draw(st.sampled_from(DATE_STYLES))
    encoding = draw(st.sampled_from(ENCODINGS))
    return Dialect(
        vendor=vendor,
        header_styles=tuple(draw(st.sampled_from(list(HEADER_STYLES))) for _ in VENDORS[vendor]),
        with_currency_column=draw(st.booleans()),
        bom=draw(st.booleans()),
        delimiter=draw(st.sampled_from([",", ";", "\t", "|"])),
        quote_all=draw(st.booleans()),
        line_end=draw(st.sampled_from(["\n", "\r\n"])),
        date_style=date_style,
        zero_pad=draw(st.booleans()),
        time_suffix=draw(st.sampled_from(TIME_SUFFIX[date_style])),
        number_style=draw(st.sampled_from(NUMBER_STYLES)),
        decoration=draw(st.sampled_from(DECORATIONS)),
        encoding=encoding,
        # Excel writes U+202F (narrow no-break space) in French locales; Windows-1252 has not got it.
        space=draw(st.sampled_from([" ", "\u00a0"] + (["\u202f"] if encoding != "cp1252" else []))),
    )


def _decidable(deal_list: list[Deal], dialect: Dialect, draw) -> list[Deal]:
    """Make the drawn deals writable unambiguously in the drawn dialect.

    - D/M/YYYY is only decidable from the data when some day is above 12 (01/02/2026 is
      1 February or 2 January; the import then takes US month-first, as documented): give
      each date column one such day.
    - Without a currency column, the currency can only come from the amount text ('USD 1.00',
      '$1.00') or be the reporting currency (USD).
    - A currency symbol exists here for USD, EUR and GBP only.
    - European amounts without cents (1.234) read as 1.234 unless the column shows its comma
      decimal somewhere: give one amount cents.
    """
    out = list(deal_list)
    if dialect.number_style == "european short":
        priced = [i for i, d in enumerate(out) if d.amount is not None]
        if priced and all(out[i].amount == out[i].amount.to_integral_value() for i in priced):
            i = priced[0]
            out[i] = replace(out[i], amount=out[i].amount + Decimal(draw(st.integers(1, 99))) / 100)
    if dialect.date_style in ("D/M/YYYY", "D/M/YY"):
        for field in ("close_date", "created_date"):
            filled = [i for i, d in enumerate(out) if getattr(out[i], field) is not None]
            if filled and not any(getattr(out[i], field).day > 12 for i in filled):
                i = filled[0]
                day = draw(st.integers(13, 28))
                out[i] = replace(out[i], **{field: getattr(out[i], field).replace(day=day)})
    for i, d in enumerate(out):
        currency = d.currency
        if dialect.decoration.startswith("symbol") and currency not in SYMBOLS:
            currency = draw(st.sampled_from(sorted(SYMBOLS)))
        if not dialect.with_currency_column and (dialect.decoration == "none" or d.amount is None):
            currency = "USD"
        out[i] = replace(d, currency=currency)
    return out


@st.composite
def exports(draw):
    dialect = draw(dialects())
    deal_list = draw(st.lists(deals(), min_size=1, max_size=6, unique_by=lambda d: d.id))
    return _decidable(deal_list, dialect, draw), dialect


def write_date(value: dt.date | None, dialect: Dialect) -> str:
    if value is None:
        return ""
    d, m, y = value.day, value.month, value.year
    dd, mm = (f"{d:02d}", f"{m:02d}") if dialect.zero_pad else (str(d), str(m))
    text = {"ISO": f"{y}-{m:02d}-{d:02d}", "M/D/YYYY": f"{mm}/{dd}/{y}",
            "D.M.YYYY": f"{dd}.{mm}.{y}", "D/M/YYYY": f"{dd}/{mm}/{y}",
            "M/D/YY": f"{mm}/{dd}/{y % 100:02d}", "D/M/YY": f"{dd}/{mm}/{y % 100:02d}",
            "D.M.YY": f"{dd}.{mm}.{y % 100:02d}"}[dialect.date_style]
    return text + dialect.time_suffix


def write_amount(value: Decimal | None, currency: str, dialect: Dialect) -> str:
    if value is None:
        return ""
    style = dialect.number_style
    text = f"{value:,.2f}"                       # 1,234.50
    if style.endswith("short"):                  # 1,234.5 and 1,234
        text = text.rstrip("0").rstrip(".")
    if style.startswith("plain"):
        text = text.replace(",", "")
    elif style.startswith("european"):
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    elif style == "french":                      # 1 234,50
        text = text.replace(",", dialect.space).replace(".", ",")
    elif style == "swiss":
        text = text.replace(",", "'")
    decoration = dialect.decoration
    if decoration == "code":
        return f"{currency} {text}"
    if decoration == "code after":
        return f"{text} {currency}"
    if decoration == "symbol":
        return f"{SYMBOLS[currency]}{text}"
    if decoration == "symbol after":
        return f"{text} {SYMBOLS[currency]}"
    return text


def write_export(deal_list: list[Deal], dialect: Dialect) -> bytes:
    columns = {k: v for k, v in VENDORS[dialect.vendor].items()
               if k != "currency" or dialect.with_currency_column}
    styles = dict(zip(VENDORS[dialect.vendor], dialect.header_styles))
    header = [HEADER_STYLES[styles[k]](v) for k, v in columns.items()]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=dialect.delimiter, lineterminator=dialect.line_end,
                        quoting=csv.QUOTE_ALL if dialect.quote_all else csv.QUOTE_MINIMAL)
    writer.writerow(header)
    for d in deal_list:
        if dialect.vendor == "pipedrive":
            stage, status = d.open_stage, d.outcome
        else:
            won, lost = CLOSED_WORDS[dialect.vendor]
            stage, status = {"open": d.open_stage, "won": won, "lost": lost}[d.outcome], None
        values = {"id": d.id, "name": d.name, "account": d.account, "owner": d.owner,
                  "stage": stage, "status": status,
                  "amount": write_amount(d.amount, d.currency, dialect), "currency": d.currency,
                  "close_date": write_date(d.close_date, dialect),
                  "created_date": write_date(d.created_date, dialect)}
        writer.writerow(["" if values[k] is None else values[k] for k in columns])
    text = buffer.getvalue()
    if dialect.encoding == "utf-16":             # Excel "Unicode text": always with its BOM
        return text.encode("utf-16")
    if dialect.encoding == "cp1252":             # Excel "CSV" on Windows: no BOM
        return text.encode("cp1252")
    return (b"\xef\xbb\xbf" if dialect.bom else b"") + text.encode("utf-8")


def canonical(d: Deal) -> tuple:
    def text(value):
        return _trimmed(value) or None if value is not None else None

    stage = {"open": d.open_stage, "won": "Closed Won", "lost": "Closed Lost"}[d.outcome]
    return (d.id, text(d.name), text(d.account), text(d.owner), stage, d.outcome == "won",
            d.outcome != "open", d.amount, d.currency, d.close_date, d.created_date)


STORED = "id, name, account, owner, stage, is_won, is_closed, amount, currency, close_date, created_date"


def import_and_read(data: bytes) -> tuple[object, list[tuple]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "props.duckdb"
        try:
            result = import_file(data, "deals.csv", db=path, by=ADMIN)
            cur = store.cursor(path)
            try:
                stored = cur.execute(f"SELECT {STORED} FROM opportunities").fetchall()
            finally:
                cur.close()
        finally:
            store.close_all()
    return result, stored


# Failing cases the property found, kept as examples (each fixed in intel/ingest).
ONE_DEAL = [Deal("1", "0", None, None, "open", "Prospecting", None, "USD", None, None)]
PLAIN = Dialect("salesforce", ("as is",) * 9, False, False, ",", False, "\n", "ISO", False, "",
                "plain", "none", "utf-8", " ")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exports())
@example((ONE_DEAL, replace(PLAIN, encoding="utf-16")))  # refused as binary: half its bytes are NUL
@example(([replace(ONE_DEAL[0], amount=Decimal("0.00"), currency="EUR")],
          replace(PLAIN, decoration="symbol", encoding="cp1252")))  # '€0.00': "not latin-1 encoded"
@example(([replace(ONE_DEAL[0], created_date=dt.date(2015, 1, 13))],
          replace(PLAIN, date_style="D/M/YY")))  # '13/1/15' was stored as the year 15
@example(([replace(ONE_DEAL[0], created_date=dt.date(2015, 1, 13))],
          replace(PLAIN, date_style="D.M.YY")))  # '13.1.15' likewise
@example(([replace(ONE_DEAL[0], amount=Decimal("1000.00"))],
          replace(PLAIN, number_style="french", space="\u202f")))  # '1\u202f000,00': not a number
@example(([Deal("4", "0", None, None, "open", "Prospecting", Decimal("0.00"), "EUR", None, None),
           Deal("3", "0", None, None, "open", "Négociation", None, "USD", None, None),
           Deal("2", "0", None, "Üß", "open", "Prospecting", None, "USD", None, None),
           Deal("1", "Üö", None, "Ü", "open", "Prospecting", Decimal("0.00"), "EUR", None, None)],
          replace(PLAIN, vendor="pipedrive", header_styles=("as is",) * 16, decoration="symbol",
                  encoding="cp1252")))
# a few Windows-1252 accents and '€' were read as Mac Icelandic ('Ä0.00'): one modifier letter
# among Latin ones made the detector's pick look like a non-Latin script
def test_any_vendor_spelling_and_dialect_gives_the_same_canonical_rows(export):
    deal_list, dialect = export
    data = write_export(deal_list, dialect)
    result, stored = import_and_read(data)
    assert result.status == "loaded", (result.message, data)
    assert (result.rows_loaded, result.rows_rejected) == (len(deal_list), 0), (result.rejects, data)
    assert sorted(stored, key=lambda r: r[0]) == sorted(map(canonical, deal_list), key=lambda r: r[0]), data
