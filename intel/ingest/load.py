"""Import a file into the store: one transaction, rejects with reasons, undo.

The file's rows are read as text into a temporary table, normalised by SQL built in
`normalise`, checked row by row (a row that cannot be used gets a reason), and the good
rows are inserted with the import's id. Anything that fails rolls the store back to
exactly what it was.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from intel import config, store
from intel import leads as leads_mod
from intel.access import Actor, require
from intel.periods import fiscal_year_start

log = logging.getLogger(__name__)
from intel.ingest import mapping as mapping_mod
from intel.ingest import normalise as norm
from intel.ingest.read import NOT_STAND_IN, STAND_IN, STAND_IN_CODE, ImportRefused, SourceFile, csv_relation, open_source, read_rows
from intel.ingest import fx as fx_mod
from intel.ingest.schema import KIND_LABELS, KINDS, LOOKUPS, columns_of
from intel.ingest.stages import CLOSED_LOST, CLOSED_WON, order_stages

Progress = Callable[[float, str], None]

REQUIRED = {
    "opportunities": [],  # stage or outcome, checked on its own
    "stage_history": ["opportunity_id", "stage", "changed_at"],
    "targets_forecasts": ["period"],
    "accounts": ["account"],
    "owners": ["owner"],
    "products": ["product"],
    "market": ["period", "indicator"],
    "fx_rates": ["rate"],   # and a currency, or a country whose currency is known
    "leads": [],            # a column saying how far a lead went, checked on its own
}
# Columns that say how far a lead went: a leads file needs one of them.
LEAD_PROGRESS = ("status", "is_converted", "converted_date", "converted_opportunity_id", "mql_date",
                 "sql_date", "opportunity_date", "customer_date")
TYPE_WORDS = {"amount": "a number", "number": "a number", "percent": "a percentage",
              "date": "a date", "timestamp": "a date", "period": "a month or quarter",
              "bool": "yes/no"}
LABELS = {"opportunity_id": "opportunity id", "changed_at": "changed at", "close_date": "close date",
          "created_date": "created date", "discount_pct": "discount", "is_won": "won",
          "is_closed": "closed", "annual_value": "annual value", "submitted_at": "submitted at",
          "forecast_commit": "commit", "forecast_best_case": "best case",
          "forecast_pipeline": "pipeline", "as_of": "as of", "lead_source": "lead source",
          "is_converted": "converted", "converted_date": "converted date",
          "converted_opportunity_id": "converted opportunity id", "mql_date": "MQL date",
          "sql_date": "SQL date", "opportunity_date": "opportunity date", "customer_date": "customer date"}


@dataclass
class ImportResult:
    file_name: str
    status: str  # loaded | preview | duplicate | refused
    message: str
    kind: str | None = None
    import_id: int | None = None
    rows_loaded: int = 0
    rows_rejected: int = 0
    footer_lines: int = 0
    headers: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    auto_mapping: dict[str, str] = field(default_factory=dict)
    mapping_source: str = "automatic"  # automatic | remembered | chosen
    warnings: list[str] = field(default_factory=list)
    snapshot_date: dt.date | None = None
    confidence: float = 1.0          # how sure the kind is (1.0 when chosen or remembered)
    kind_reason: str = ""            # why the kind was taken, in words
    needs_choice: bool = False       # the kind is unsure: the analyst confirms it before importing
    mostly_rejected: bool = False    # more rows would be rejected than loaded: imported only with force
    notes: list[str] = field(default_factory=list)   # what the import decided (FX direction, joins, mapping)
    encoding: str = ""                # what the file was decoded from ("UTF-8", "Windows-1252", ...)
    rejects: pd.DataFrame = field(default_factory=pd.DataFrame)
    preview: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def ok(self) -> bool:
        return self.status in ("loaded", "preview")

    def summary(self) -> dict:
        return {"file": self.file_name, "status": self.status, "kind": self.kind,
                "import_id": self.import_id, "rows_loaded": self.rows_loaded,
                "rows_rejected": self.rows_rejected, "mapping": self.mapping,
                "snapshot_date": str(self.snapshot_date) if self.snapshot_date else None,
                "confidence": self.confidence, "encoding": self.encoding, "notes": self.notes,
                "warnings": self.warnings, "message": self.message}


def snapshot_date_for(name: str, as_of: dt.date | str | None) -> dt.date:
    """--as-of, else a date in the file name, else today."""
    if as_of:
        return as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of))
    m = re.search(r"(20\d\d)[-_]?(\d\d)[-_]?(\d\d)", name)
    if m:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            pass
    return dt.date.today()


def import_file(source: str | Path | bytes, name: str | None = None, *, kind: str | None = None,
                mapping: dict[str, str] | None = None, as_of: dt.date | str | None = None,
                dry_run: bool = False, allow_duplicate: bool = False,
                progress: Progress | None = None, db: str | Path | None = None,
                by: Actor, preview_rows: int = 20, force: bool = False) -> ImportResult:
    """Load one file as `by` (an analyst or above); on dry_run, do everything but keep nothing
    (the Data page's preview). Without `kind`, a file whose kind is unsure, and any file that
    would reject most of its rows, is refused with the reason unless `force` (a preview says so
    instead, with needs_choice set). Alerts are not checked here: the callers (Data page, command
    line, demo) evaluate the rules after the data changed (intel.alerts.check_after_change).

    Returns what happened in the user's words: rows loaded and rejected, the mapping used,
    warnings about what the pages will not be able to show, and the rejected rows.
    """
    require(by, "import data")
    report = progress or (lambda fraction, text: None)
    name = name or (Path(source).name if not isinstance(source, (bytes, bytearray)) else "upload.csv")
    report(0.02, f"Reading {name}")
    src = None
    try:
        src = open_source(source, name)
        result = _import(src, kind, mapping, as_of, dry_run, allow_duplicate, report, db,
                         by.name, preview_rows, force)
    except ImportRefused as refusal:
        return ImportResult(name, "refused", str(refusal), headers=src.headers if src else [])
    except store.StoreBusy:
        raise   # not this file's fault: the whole command waits or stops, with the store's sentence
    except Exception as err:   # noqa: BLE001 - one file's failure is said, and the next file goes on
        log.exception("import of %s failed", name)
        first_line = (str(err).strip().splitlines() or [type(err).__name__])[0]
        return ImportResult(name, "refused", f"{name} could not be imported ({first_line}); nothing was "
                                             "loaded from it.", headers=src.headers if src else [])
    finally:
        if src is not None:
            src.close()
    if result.status == "loaded" and result.kind in LOOKUPS:
        result.notes.extend(lookup_effect(result.kind, result.import_id, db))
    return result


# attribute of a lookup table -> the deal facts column it fills (None: kept, not a deal column)
LOOKUP_ATTRIBUTES = {
    "owners": {"team": "team", "manager": "manager", "region": "region"},
    "accounts": {"industry": "industry", "region": "region", "segment": "segment", "country": "country",
                 "size": "account_size", "parent": None},
    "products": {"family": "product_family", "list_price": None},
}


def lookup_effect(kind: str, import_id: int, db=None) -> list[str]:
    """What a lookup table joined to, in words: '35 people → team, region;
    8,800 of 8,800 deals matched by owner; deals with region: 8,800'."""
    from intel import models   # models read what ingest loads

    models.refresh(db)
    key = LOOKUPS[kind][0]
    attributes = LOOKUP_ATTRIBUTES[kind]
    cur = store.cursor(db)
    try:
        # table, column and model names below come from this module's constants only
        counts = cur.execute(f"SELECT count(*), {', '.join(f'count({a})' for a in attributes)} "
                             f"FROM {kind} WHERE import_id = $i", {"i": import_id}).fetchone()
        filled = [a for a, n in zip(attributes, counts[1:]) if n]
        deals, matched = cur.execute(
            f"SELECT count(*), count(l.raw) FROM opportunities_current o "
            f"LEFT JOIN {key}_lookup l ON l.raw = o.{key}").fetchone()
        shown = {a: col for a, col in attributes.items() if col and a in filled}
        having = dict(zip(shown, cur.execute(   # one scan of the deal facts for every attribute
            f"SELECT {', '.join(f'count({col})' for col in shown.values())} FROM deal_facts").fetchone())) \
            if shown else {}
    finally:
        cur.close()
    noun = {"owners": "people", "accounts": "accounts", "products": "products"}[kind]
    text = f"{counts[0]:,} {noun}" + (f" → {', '.join(a.replace('_', ' ') for a in filled)}" if filled else "")
    if not deals:
        return [f"{text}; no deals are loaded yet: they join as soon as an opportunities export is."]
    text += f"; {matched:,} of {deals:,} deals matched by {key}"
    if having:
        text += "; deals with " + ", ".join(f"{a.replace('_', ' ')}: {n:,}" for a, n in having.items())
    if matched < deals:
        text += f" ({deals - matched:,} name {'an' if key[0] in 'aeiou' else 'a'} {key} this file does not hold)"
    return [text + "."]


def _import(src: SourceFile, kind, chosen, as_of, dry_run, allow_duplicate, report, db,
            imported_by, preview_rows, force) -> ImportResult:
    cur = store.cursor(db)
    try:
        result = ImportResult(src.name, "preview" if dry_run else "loaded", "", headers=src.headers,
                              encoding=src.read_as, notes=list(src.notes), warnings=list(src.warnings))
        previous = cur.execute(
            "SELECT id, imported_at FROM imports WHERE sha256 = $s AND undone_at IS NULL "
            "ORDER BY id LIMIT 1", {"s": src.sha256}).fetchone()
        remembered = mapping_mod.remembered_mapping(cur, src.headers)
        forced_kind = bool(kind) or force
        if not kind and remembered:
            kind, result.kind_reason = remembered[0], "remembered from an earlier file with the same header"
        elif not kind:
            detection = mapping_mod.detect(src.headers, src.sample)
            kind, result.confidence, result.kind_reason = detection.kind, detection.confidence, detection.reason
            if kind is None and _looks_like_targets(src.headers):
                raise ImportRefused(_no_measure_message(src))
            if kind is None:
                raise ImportRefused(_no_kind_message(src))
            if not detection.confident:
                result.needs_choice = True
                if not dry_run and not forced_kind:
                    raise ImportRefused(
                        f"{src.name} was not loaded: it is not clearly a file of "
                        f"{KIND_LABELS[kind].lower()} ({detection.reason}). If it is, import it with "
                        f"--kind {kind} (on the Data page: confirm its kind).")
        if kind not in KINDS:
            raise ImportRefused(f"Unknown kind {kind!r}: use one of {', '.join(KINDS)}.")
        result.kind = kind
        result.auto_mapping = mapping_mod.auto_mapping(src.headers, kind)
        if chosen is not None:
            result.mapping = {k: v for k, v in chosen.items() if v in src.headers}
            result.mapping_source = "chosen"
        elif remembered and remembered[0] == kind:
            result.mapping, result.mapping_source = remembered[1], "remembered"
        else:
            result.mapping = dict(result.auto_mapping)
        if previous and not allow_duplicate and not dry_run:
            result.status = "duplicate"
            result.message = (f"{src.name} was already imported (import #{previous[0]} on "
                              f"{previous[1]:%Y-%m-%d %H:%M}); nothing was loaded again.")
            return result
        _check_usable(kind, result.mapping, src)
        if kind == "opportunities":
            result.snapshot_date = snapshot_date_for(src.name, as_of)

        cur.execute("BEGIN TRANSACTION")
        try:
            _load(cur, src, result, report, preview_rows, imported_by)
            _stop_when_mostly_rejected(src, result, dry_run, force)
            if previous and dry_run:
                result.warnings.insert(0, f"This file was already imported (import #{previous[0]}).")
            if dry_run:
                cur.execute("ROLLBACK")
            else:
                if result.mapping_source == "chosen" and result.mapping != result.auto_mapping:
                    mapping_mod.remember_mapping(cur, src.headers, kind, result.mapping)
                cur.execute("COMMIT")
                store.bump(db)
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        report(1.0, f"{src.name}: {result.rows_loaded:,} rows loaded")
        return result
    finally:
        cur.close()


def _stop_when_mostly_rejected(src: SourceFile, result: ImportResult, dry_run: bool, forced: bool) -> None:
    """More rejected than loaded usually means the wrong kind or mapping: stop before loading."""
    total = result.rows_loaded + result.rows_rejected
    if not total or result.rows_rejected * 2 <= total:
        return
    reasons = result.rejects["reason"].astype(str).str.replace(r"'.*'", "'…'", regex=True)
    top = "; ".join(f"{reason} ({n:,})" for reason, n in reasons.value_counts().head(3).items())
    message = (f"{result.rows_rejected:,} of {total:,} rows of {src.name} would be rejected "
               f"(most common: {top}).")
    result.mostly_rejected = True
    if dry_run:
        result.warnings.insert(0, message + " Check the kind and the column mapping before importing.")
    elif not forced:
        raise ImportRefused(f"{message} Nothing was loaded: check the kind and the column mapping "
                            f"(--kind, or the Data page), or import anyway with --force.")


def _no_kind_message(src: SourceFile) -> str:
    return (f"{src.name}: no column could be read as the deal's stage or outcome (looked for "
            f"Stage, Deal Stage, StageName, Status, IsWon…), and it is not a targets, stage history, "
            f"owners, accounts, products, market or FX file either. Its columns are: {', '.join(src.headers[:12])}"
            f"{'…' if len(src.headers) > 12 else ''}.")


def _check_usable(kind: str, mapping: dict[str, str], src: SourceFile) -> None:
    if kind == "opportunities" and not mapping.keys() & {"stage", "status", "is_won"}:
        raise ImportRefused(_no_kind_message(src))
    if kind == "targets_forecasts" and not mapping.keys() & MEASURES:
        raise ImportRefused(_no_measure_message(src))
    if kind == "leads" and not mapping.keys() & set(LEAD_PROGRESS):
        raise ImportRefused(
            f"{src.name} cannot be imported as leads: no column says how far a lead went (looked for "
            f"Status, Lead Status, Lifecycle Stage, IsConverted, Converted Date, Converted Opportunity ID "
            f"and the 'Became a ... Date' columns). Its columns are: {', '.join(src.headers[:12])}"
            f"{'…' if len(src.headers) > 12 else ''}.")
    missing = [c for c in REQUIRED[kind] if c not in mapping
               and not (kind == "market" and c == "indicator" and mapping_mod.is_single_indicator(mapping))]
    if kind == "fx_rates" and not mapping.keys() & {"currency", "country"}:
        missing.insert(0, "currency")
    if missing:
        raise ImportRefused(
            f"{src.name} cannot be imported as {KIND_LABELS[kind].lower()}: no column for "
            f"{', '.join(LABELS.get(c, c) for c in missing)}.")


def _warnings(kind: str, mapping: dict[str, str]) -> list[str]:
    out = []
    if kind == "opportunities":
        if "amount" not in mapping:
            out.append("No amount column: bookings, pipeline value, deal size and velocity "
                       "will not be available for this data.")
        if "close_date" not in mapping:
            out.append("No close date column: deals cannot be placed in a period, so win rate "
                       "trends, forecast actuals and pipeline by period will not be available.")
        if "created_date" not in mapping:
            out.append("No created date column: sales cycle length and velocity will not be available.")
        if "id" not in mapping:
            out.append("No opportunity id column: deals are matched across snapshots by name "
                       "and account, so a renamed deal looks like a new one.")
        if "currency" not in mapping and not mapping_mod.header_currency(mapping.get("amount", "")):
            out.append(f"No currency column: amounts without a currency sign are taken as "
                       f"{config.get('reporting_currency')} (the reporting currency).")
    if kind == "leads":
        if "created_date" not in mapping:
            out.append("No created date column: leads cannot be placed in a period, so lead conversion "
                       "is shown over all time only.")
        if "lead_source" not in mapping:
            out.append("No lead source column: every lead counts under '(none)' in lead conversion by source.")
        if "id" not in mapping:
            out.append("No lead id column: a lead exported again in a later file will count twice.")
    return out


def _load(cur, src: SourceFile, result: ImportResult, report, preview_rows, imported_by) -> None:
    kind = result.kind
    index = {h: f"c{i}" for i, h in enumerate(src.headers)}
    automatic, notes = result.mapping_source == "automatic", list(result.notes)
    state = {}

    def build(relation: str, params: dict) -> None:
        """One read of the file: parsed, typed and checked rows straight from read_csv (an all-text
        copy of a million rows cost more than everything else). Called again after a repair."""
        if automatic:
            result.notes = list(notes)
            _prefer_filled_columns(cur, src, result)
        columns = {c.name: (index[result.mapping[c.name]], c.type) for c in columns_of(kind)
                   if c.name in result.mapping}
        # generated column ids and this module's constants only
        sample = f"(SELECT * FROM {relation} WHERE {NOT_STAND_IN})"
        counts = norm.sample_counts(cur, sample, columns, params)
        slash = [n for n, (_, t) in columns.items() if t in ("date", "timestamp") and counts[(n, "n/")]]
        # the sample's own largest first parts first; the whole column's are checked after the read
        profiles = norm.decide_profiles(columns, counts, {n: counts[(n, "max/")] for n in slash})
        _stage(cur, kind, columns, profiles, relation, params)
        # A day above 12 past the sample makes a month-first column day-first (rare: the sample's
        # first rows usually tell), and only a month-first column can turn (a larger first part
        # changes no other decision). Month-first, such a date did not parse, so its row is
        # rejected and keeps its text: the largest first part among those rows says.
        month_first = [n for n in slash if profiles[n].date_family in ("M/D/YYYY", "M/D/YY")]
        if month_first:
            # generated column ids and canonical names only
            failed = cur.execute("SELECT " + ", ".join(
                f"max({norm.slash_first_sql(_raw(columns, columns[n][0]))}) FILTER (WHERE {n} IS NULL)" for n in month_first)
                + f" FROM sightline_staged WHERE reject_reason IS DISTINCT FROM '{STAND_IN_CODE}'").fetchone()
            late = dict(zip(month_first, failed))
            whole = norm.decide_profiles(columns, counts, {
                n: max((v for v in (counts[(n, "max/")], late.get(n)) if v is not None), default=None)
                for n in slash})
            if any(whole[n].date_family != profiles[n].date_family for n in month_first):
                profiles = whole
                cur.execute("DROP TABLE IF EXISTS reject_errors")   # a read that records its errors
                cur.execute("DROP TABLE IF EXISTS reject_scans")    # (read_rows' fallback) starts afresh
                _stage(cur, kind, columns, profiles, relation, params)
        state.update(columns=columns, profiles=profiles)

    report(0.1, f"{src.name}: reading and normalising")
    raw = read_rows(cur, src, build)
    columns, profiles, mapping = state["columns"], state["profiles"], result.mapping
    result.footer_lines = raw.footer_lines
    if raw.rows == 0 and not raw.rejects and not raw.row_rejects:
        raise ImportRefused(f"{src.name} has a header but no rows.")
    result.warnings = _warnings(kind, mapping) + result.warnings
    for col_name, profile in profiles.items():
        if columns[col_name][1] in ("date", "timestamp") and profile.date_family is None:
            result.warnings.append(f"Column {mapping[col_name]!r} has no value readable as a date.")
    import_id = cur.execute("SELECT nextval('import_id_seq')").fetchone()[0]
    result.import_id = import_id
    _mark_duplicates(cur, kind, columns)
    report(0.7, f"{src.name}: {raw.rows:,} rows read, checking rows")
    stage_orders = _order_stages(cur, result.snapshot_date) if kind == "opportunities" else {}
    if kind == "targets_forecasts":
        result.warnings += _merge_repeated_quotas(cur, src, raw, columns) + _calls_made_together(cur, columns)
    params = _select_params(cur, src, result)
    if stage_orders:   # bound lists, not a join: a join of a million rows to a few stages cost 0.9 s
        params.update({"stage_names": list(stage_orders), "stage_orders": list(stage_orders.values())})
    table, select = _final_select(kind, import_id, result.snapshot_date,
                                  set(columns) | ({"currency"} if kind == "fx_rates" else set()),
                                  ordered=bool(stage_orders))
    if "indicator" in params:
        result.warnings.append(f"No indicator column: the values of {mapping['value']!r} are loaded as the "
                               f"indicator {params['indicator']!r}.")
    # table is a KINDS name and select is built from this module's SQL over c0..cN: no user text
    cur.execute(f"INSERT INTO {table} BY NAME SELECT * EXCLUDE (row_no) FROM ({select})", params)
    result.rows_loaded = cur.execute(
        "SELECT count(*) FROM sightline_staged WHERE reject_reason IS NULL").fetchone()[0]
    _keep_raw_values(cur, src, columns)
    result.rejects = _rejects(cur, src, raw, _reason_sql(kind, columns), columns)
    result.rows_rejected = len(result.rejects)
    result.preview = cur.execute(
        f"SELECT * EXCLUDE (import_id, row_no) FROM ({select}) ORDER BY row_no LIMIT {int(preview_rows)}",
        params).df()
    if kind == "opportunities" and result.rows_loaded == 0 and result.rows_rejected:
        result.warnings.append("No row could be loaded: see the rejected rows for why.")
    cur.execute(
        """INSERT INTO imports (id, kind, file_name, sha256, rows_loaded, rows_rejected, mapping,
               warnings, snapshot_date, imported_at, imported_by)
           VALUES ($id, $kind, $file, $sha, $loaded, $rejected, $mapping, $warnings, $snap,
                   now()::TIMESTAMP, $who)""",
        {"id": import_id, "kind": kind, "file": src.name, "sha": src.sha256,
         "loaded": result.rows_loaded, "rejected": result.rows_rejected,
         "mapping": json.dumps(mapping), "warnings": json.dumps(result.warnings),
         "snap": result.snapshot_date, "who": imported_by})
    verb = "would load" if result.status == "preview" else "loaded"
    result.message = (f"{src.name}: {KIND_LABELS[kind].lower()}, {result.rows_loaded:,} rows {verb}, "
                      f"{result.rows_rejected:,} rejected.")


def _prefer_filled_columns(cur, src: SourceFile, result: ImportResult) -> None:
    """Where several columns could fill one canonical column, the one with values wins
    (an empty Loss_Reason__c beside a filled LossReason__c); the notes say why."""
    contested = {h for options in mapping_mod.candidates(src.headers, result.kind).values()
                 if len(options) > 1 for h in options}
    if not contested:
        return
    index = {h: f"c{i}" for i, h in enumerate(src.headers)}
    headers = sorted(contested, key=src.headers.index)
    # generated column ids only
    relation, params = csv_relation(src, rejects=False)
    counts = cur.execute("SELECT " + ", ".join(f"count({norm.text_sql(index[h])})" for h in headers)
                         + f" FROM {relation} WHERE {NOT_STAND_IN}", params).fetchone()
    filled = dict(zip(headers, counts))
    result.mapping = mapping_mod.auto_mapping(src.headers, result.kind, filled)
    result.auto_mapping = dict(result.mapping)
    result.notes.extend(mapping_mod.mapping_notes(src.headers, result.kind, result.mapping, filled))


def _select_params(cur, src: SourceFile, result: ImportResult) -> dict:
    """Values the final SELECT binds: the currency amounts default to, or the FX direction."""
    reporting = config.get("reporting_currency")
    if result.kind == "opportunities":
        named = mapping_mod.header_currency(result.mapping.get("amount", ""))
        if named and "currency" not in result.mapping:
            result.notes.append(f"Amounts are in {named}, as the column {result.mapping['amount']!r} says.")
        return {"currency": named or reporting}
    if result.kind == "market":
        return _market_params(result.mapping, src.name)
    if result.kind != "fx_rates":
        return {}
    is_base = "is_base" if "is_base" in result.mapping else "NULL"
    rows = cur.execute(f"SELECT currency, rate, {is_base} FROM sightline_staged "   # fixed column names
                       "WHERE reject_reason IS NULL ORDER BY row_no").fetchall()
    direction = fx_mod.decide(src.headers, result.mapping, rows, reporting)
    stored = {}
    for code, rate, _ in rows:
        stored[code] = 1 / rate if direction.inverted(code) else rate
    written = "base units per 1 unit of each currency (turned round)" if direction.inverse else \
        f"units of each currency per 1 {direction.base}"
    example = direction.example(stored)
    result.notes.append(f"Rates read as {written}: {direction.how}."
                        + (f" So {example}." if example else ""))
    return {"inverted": sorted(c for c in stored if direction.inverted(c)), "base": direction.base}


def _parsed_expr(name: str, col: str, type_: str, profile: norm.ColumnProfile) -> str:
    if type_ == "id":
        return norm.id_sql(col)
    if type_ == "amount":
        return norm.amount_sql(col, profile.comma_decimal)
    if type_ == "number":
        return norm.number_sql(f"replace({col}, '%', '')", profile.comma_decimal)
    if type_ == "percent":
        return norm.percent_sql(col, profile.comma_decimal, profile.percent_scale)
    if type_ == "date":
        return norm.date_sql(col, profile.date_family, as_date=True)
    if type_ == "timestamp":
        return norm.date_sql(col, profile.date_family, as_date=False)
    if type_ == "bool":
        return norm.bool_sql(col)
    if type_ == "currency":
        return norm.currency_sql(col)
    if type_ == "period":
        return norm.period_sql(col, fiscal_year_start())[0]
    return norm.text_sql(col)  # text, stage, outcome


def _stage(cur, kind, columns, profiles, relation: str, params: dict) -> None:
    """sightline_staged from the file's rows (`relation`, a read_csv of c0..cN): one row per data
    row, its number (row_no), its parsed values, a reject code, and the original text of a rejected
    row (r_raw: a list of the carried columns' text, NULL on the rows loaded).

    The code names the check a row failed ('type:amount', 'no:period', ...); `_rejects`
    turns it into a sentence with the row's original text. One CREATE over layered
    SELECTs: UPDATEs and text copies over a million rows cost several times more.

    The rows are numbered after the CREATE, from the table's rowid (its insertion order, which is
    the file's order when the SELECT only projects the read): row_number() OVER () in the SELECT
    would run the whole read and parse on one thread (1.5-2 s of a million-row import).
    """
    parts = []
    checks = []
    for name, (col, type_) in columns.items():
        parts.append(f"{_parsed_expr(name, col, type_, profiles[name])} AS {name}")
        parts.append(f"{norm.text_sql(col)} IS NULL AS {name}__empty")
        if kind == "opportunities" and name == "amount":   # the deal's currency where no column says it
            in_value = norm.currency_in_value_sql(col)
            if "currency" in columns:
                in_value = f"CASE WHEN {norm.text_sql(columns['currency'][0])} IS NULL THEN {in_value} END"
            parts.append(f"{in_value} AS {name}__currency")
        if name in REQUIRED[kind]:
            checks.append(f"WHEN {name}__empty THEN 'no:{name}'")
        if type_ == "id":
            checks.append(f"WHEN NOT {name}__empty AND {name} IS NULL THEN 'placeholder:{name}'")
        if type_ in TYPE_WORDS:
            checks.append(f"WHEN NOT {name}__empty AND {name} IS NULL THEN 'type:{name}'")
        if type_ == "percent":
            checks.append(f"WHEN {name} < 0 OR {name} > 1 THEN 'range:{name}'")
        if type_ in ("date", "timestamp", "period"):   # 9999-12-31 placeholders break every period view
            first, last = config.date_window()   # dates, so their isoformat is safe SQL text
            checks.append(f"WHEN CAST({name} AS DATE) NOT BETWEEN DATE '{first.isoformat()}' "
                          f"AND DATE '{last.isoformat()}' THEN 'window:{name}'")
        if kind == "fx_rates" and name == "rate":
            checks.append("WHEN rate <= 0 THEN 'positive:rate'")
    if "period" in columns:
        parts.append(f"{norm.period_sql(columns['period'][0], fiscal_year_start())[1]} AS period_grain")
        if kind == "targets_forecasts":   # a yearly quota has no month or quarter to be compared in
            checks.append("WHEN NOT period__empty AND period_grain = 'year' THEN 'year:period'")
    if kind == "fx_rates" and "currency" not in columns:   # a series per country (open data)
        parts.append(f"{fx_mod.country_currency_sql(norm.text_sql(columns['country'][0]))} AS currency")
        checks.insert(0, "WHEN currency IS NULL THEN 'no:currency'")
    blank = " AND ".join(f"{name}__empty" for name in columns) or "false"
    outcome_layer = "SELECT * FROM parsed"
    keys = []   # the text a stage or status is read as words from, worked out once per row
    if kind == "opportunities":
        keys = [f"{n}__words" for n in ("stage", "status") if n in columns]
        parts += [f"{norm.word_text(norm.text_sql(columns[k[:-7]][0]))} AS {k}" for k in keys]
        outcome = [f"{n}__empty" for n in ("stage", "status", "is_won") if n in columns]
        checks.insert(0, f"WHEN {' AND '.join(outcome)} THEN 'no:outcome'")
        if "status" in columns:
            # Without a stage, the status must say open, won or lost (an address's State does not).
            no_stage = "stage__empty AND " if "stage" in columns else ""
            checks.insert(1, f"WHEN {no_stage}NOT status__empty AND NOT {norm.text_is_word_sql('status__words', norm.OUTCOME_WORDS)} "
                             "THEN 'outcome:status'")
        if "id" in columns:
            checks.insert(0, "WHEN id__empty THEN 'no:id'")
        outcome_layer = _outcome_layer(columns)
    if kind == "leads" and "id" in columns:
        checks.insert(0, "WHEN id__empty THEN 'no:id'")
    code = (f"CASE WHEN {STAND_IN} THEN '{STAND_IN_CODE}' WHEN {blank} THEN 'blank' "
            f"{' '.join(checks)} END")
    empties = ", ".join(f"{name}__empty" for name in columns)
    raw = _carried(columns)
    kept = f"CASE WHEN reject_reason IS NOT NULL THEN [{', '.join(raw)}] END AS r_raw"   # one column, not one each

    def select(number: str) -> str:
        # relation is read_csv over bound parameters; the rest is this module's SQL over c0..cN
        return f"""WITH parsed AS (SELECT {number} AS row_no, {', '.join(parts)}, {', '.join(raw)} FROM {relation}),
             outcome AS ({outcome_layer}),
             checked AS (SELECT * EXCLUDE ({empties}), {code} AS reject_reason FROM outcome)
        SELECT * EXCLUDE ({', '.join(raw + keys)}), {kept} FROM checked"""

    cur.execute("DROP TABLE IF EXISTS sightline_staged")
    # Without an id column the outcome layer keys rows by their number: numbered as they are read.
    if "id" in columns or kind != "opportunities":
        later = select("CAST(NULL AS BIGINT)")
        if _keeps_order(cur, later, params):
            cur.execute(f"CREATE TEMP TABLE sightline_staged AS {later}", params)
            if _number_by_rowid(cur):
                return
            cur.execute("DROP TABLE sightline_staged")
    cur.execute(f"CREATE TEMP TABLE sightline_staged AS {select('row_number() OVER ()')}", params)


ORDER_KEEPING = {"PROJECTION", "READ_CSV", "TABLE_SCAN", "FILTER"}


def _keeps_order(cur, select: str, params: dict) -> bool:
    """Whether DuckDB's plan of `select` only reads and projects (a join, window or aggregate gives
    up the file's order, which the rows are numbered by)."""
    def operators(node):
        yield node.get("name", "")
        for child in node.get("children", []):
            yield from operators(child)
    plan = json.loads(cur.execute(f"EXPLAIN (FORMAT json) {select}", params).fetchall()[0][1])
    return all(name in ORDER_KEEPING for node in plan for name in operators(node))


def _number_by_rowid(cur) -> bool:
    """row_no = each staged row's place in the table (rowid counts up from the first row inserted, in
    the order inserted; inside a transaction from a large offset). False when the rowids are not one
    run without gaps, which they are for a table just created."""
    first, last, n = cur.execute("SELECT min(rowid), max(rowid), count(*) FROM sightline_staged").fetchone()
    if n and last - first + 1 != n:
        return False
    cur.execute("UPDATE sightline_staged SET row_no = rowid - $first + 1", {"first": first or 0})
    return True


def _raw(columns, col: str) -> str:
    """SQL: a staged row's original text of column `col` (c3), kept when the row is rejected."""
    return f"r_raw[{_carried(columns).index(col) + 1}]"


def _carried(columns) -> list[str]:
    """The text columns a staged row keeps when rejected: the mapped ones and c0 (a file's other
    columns, up to thousands, are read again for its rejected rows only)."""
    return sorted({col for col, _ in columns.values()} | {"c0"}, key=lambda c: int(c[1:]))


def _mark_duplicates(cur, kind, columns) -> None:
    """The second and later rows of an id already loaded are rejected (few, if any)."""
    key = {"opportunities": "id_", "leads": "id" if "id" in columns else None}.get(kind)
    if key:
        # key is one of two fixed column names
        cur.execute(f"""UPDATE sightline_staged s SET reject_reason = 'duplicate:' || d.first
            FROM (SELECT row_no, min(row_no) OVER (PARTITION BY {key}) AS first
                  FROM sightline_staged
                  WHERE reject_reason IS NULL AND {key} IN (
                      SELECT {key} FROM sightline_staged WHERE reject_reason IS NULL
                      GROUP BY {key} HAVING count(*) > 1)) d
            WHERE s.row_no = d.row_no AND d.row_no > d.first""")


def _reason_sql(kind: str, columns) -> str:
    """SQL turning a reject code into a sentence, quoting the row's original value."""
    status_text = f"'status ''' || trim(s.{_raw(columns, columns['status'][0])}) || ''''" if "status" in columns else "'status'"
    whens = ["WHEN 'blank' THEN '(blank row)'",
             f"WHEN 'outcome:status' THEN {status_text} || ' is not open, won or lost'",
             "WHEN 'no:currency' THEN 'no currency (or a country whose currency is known)'",
             "WHEN 'no:outcome' THEN 'no stage or outcome'",
             f"WHEN 'no:id' THEN 'no {'lead' if kind == 'leads' else 'opportunity'} id'"]
    for name, (col, type_) in columns.items():
        label = LABELS.get(name, name.replace("_", " "))
        quoted = f"'{label} ''' || trim(s.{_raw(columns, col)}) || ''''"
        whens.append(f"WHEN 'no:{name}' THEN 'no {label}'")
        whens.append(f"WHEN 'placeholder:{name}' THEN {quoted} || ' is a placeholder, not a real id'")
        if type_ == "amount":   # a number, but too large for an amount column (DECIMAL(18, 2))
            big = " OR ".join(f"abs({norm.number_sql('s.' + _raw(columns, col), comma)}) >= 1e16" for comma in (False, True))
            whens.append(f"WHEN 'type:{name}' THEN {quoted} || CASE WHEN {big} THEN "
                         f"' is too large for an amount (1e16 or more)' ELSE ' is not a number' END")
        elif type_ in TYPE_WORDS:
            whens.append(f"WHEN 'type:{name}' THEN {quoted} || ' is not {TYPE_WORDS[type_]}'")
        whens.append(f"WHEN 'range:{name}' THEN {quoted} || ' is not between 0 and 100%'")
        whens.append(f"WHEN 'positive:{name}' THEN {quoted} || ' is not a positive number'")
        whens.append(f"WHEN 'year:{name}' THEN {quoted} || ' is a whole year, not a month or quarter'")
        if type_ in ("date", "timestamp", "period"):
            first, last = config.date_window()
            whens.append(f"WHEN 'window:{name}' THEN {quoted} || ' is outside the dates an import accepts "
                         f"({first.isoformat()} to {last.isoformat()}; SIGHTLINE_DATE_MIN, SIGHTLINE_DATE_MAX)'")
    duplicate = {"opportunities": "'opportunity id ' || s.id_ || ' appears more than once (first on row ' || "
                                  "substr(s.reject_reason, 11) || ')'",
                 "leads": "'lead id ' || s.id || ' appears more than once (first on row ' || "
                          "substr(s.reject_reason, 11) || ')'" if "id" in columns else None,
                 }.get(kind) or "s.reject_reason"
    return (f"CASE WHEN s.reject_reason LIKE 'duplicate:%' THEN {duplicate} "
            "WHEN s.reject_reason LIKE 'repeat:%' THEN 'repeats row ' || substr(s.reject_reason, 8) "
            "|| ' exactly (the same value in every column)' "
            f"ELSE CASE s.reject_reason {' '.join(whens)} ELSE s.reject_reason END END")


def _outcome_layer(columns) -> str:
    """is_won / is_closed / canonical stage from whatever the export says about the outcome."""
    has = columns.keys()
    stage_text = "stage" if "stage" in has else "CAST(NULL AS VARCHAR)"

    def said(words):   # stage__words, status__words: the parsed layer's word texts (_stage)
        return "(" + (" OR ".join(norm.text_is_word_sql(f"{n}__words", words) for n in ("stage", "status") if n in has)
                      or "false") + ")"

    is_won = f"coalesce({'is_won' if 'is_won' in has else 'NULL'}, {said(norm.WON_WORDS)})"
    is_closed = f"coalesce({'is_closed' if 'is_closed' in has else 'NULL'}, won_ OR {said(norm.LOST_WORDS)})"
    loss = "loss_reason" if "loss_reason" in has else "CAST(NULL AS VARCHAR)"
    # Without an id column a deal is known by name, account and owner (matched across snapshots);
    # rows with none of them by their row, and repeats of one key are numbered, so none collide.
    keyed = [n for n in ("name", "account", "owner") if n in has]
    id_expr = "id" if "id" in has else (
        "CASE WHEN " + (" AND ".join(f"{n} IS NULL" for n in keyed) or "true") + " THEN 'r' || row_no "
        "ELSE 'h' || left(md5(concat_ws('|', " + ", ".join(keyed or ["''"]) + ")), 16) END")
    if "id" not in has:
        id_expr = (f"{id_expr} || CASE WHEN row_number() OVER (PARTITION BY {id_expr} ORDER BY row_no) > 1 "
                   f"THEN '-' || row_number() OVER (PARTITION BY {id_expr} ORDER BY row_no) ELSE '' END")
    return f"""SELECT *,
            CASE WHEN won_ THEN '{CLOSED_WON}' WHEN closed_ THEN '{CLOSED_LOST}'
                 ELSE coalesce({stage_text}, 'Open') END AS stage_,
            CASE WHEN closed_ AND NOT won_ AND {loss} IS NULL AND {said(norm.NO_DECISION_WORDS)}
                 THEN 'No decision' ELSE {loss} END AS loss_reason_
        FROM (SELECT *, {is_closed} AS closed_ FROM (
              SELECT *, {is_won} AS won_, {id_expr} AS id_ FROM parsed))"""


def _order_stages(cur, snapshot_date) -> dict[str, int]:
    """Each stage of the file and its order (open stages by median probability and age)."""
    has = {r[0] for r in cur.execute("DESCRIBE sightline_staged").fetchall()}
    prob = "median(probability)" if "probability" in has else "NULL"
    age = ("median(date_diff('day', created_date, $snap))" if "created_date" in has else "NULL")
    stats = cur.execute(
        f"""SELECT stage_, {prob}, {age} FROM sightline_staged
            WHERE reject_reason IS NULL AND NOT closed_ GROUP BY stage_""",
        {"snap": snapshot_date} if "created_date" in has else {}).fetchall()
    return order_stages([(s, p, a) for s, p, a in stats])


def _final_select(kind: str, import_id: int, snapshot_date, present: set[str],
                  ordered: bool = False) -> tuple[str, str]:
    """(table, SELECT …) producing the store's columns (plus row_no) from the good staged rows;
    `ordered`: the stage orders are bound as $stage_names and $stage_orders."""
    if kind == "opportunities":
        stage_order = ("$stage_orders[list_position($stage_names, s.stage_)]" if ordered
                       else "CAST(NULL AS INTEGER)")
        def col(n, cast="VARCHAR"):
            return f"s.{n}" if n in present else f"CAST(NULL AS {cast})"
        currency = (f"coalesce({col('currency')}, "
                    f"{'s.amount__currency' if 'amount' in present else 'NULL'}, $currency)")
        select = f"""SELECT {import_id} AS import_id, DATE '{snapshot_date.isoformat()}' AS snapshot_date,
            s.id_ AS id, {col('name')} AS name, {col('account')} AS account, {col('owner')} AS owner,
            {col('team')} AS team, {col('region')} AS region, {col('segment')} AS segment,
            {col('industry')} AS industry, {col('product')} AS product, s.stage_ AS stage,
            {stage_order} AS stage_order, s.closed_ AS is_closed, s.won_ AS is_won,
            {col('amount', 'DECIMAL(18,2)')} AS amount, {currency} AS currency,
            {col('probability', 'DOUBLE')} AS probability,
            {col('forecast_category')} AS forecast_category,
            {col('created_date', 'DATE')} AS created_date, {col('close_date', 'DATE')} AS close_date,
            {col('competitor')} AS competitor, s.loss_reason_ AS loss_reason,
            {col('lead_source')} AS lead_source, {col('campaign')} AS campaign, {col('deal_type')} AS deal_type,
            {col('discount_pct', 'DOUBLE')} AS discount_pct, s.row_no
            FROM sightline_staged s WHERE s.reject_reason IS NULL"""
        return "opportunities", select
    exprs = []
    for c in _TABLE_COLUMNS[kind]:
        if kind == "stage_history" and c in ("stage", "stage_order"):
            continue
        if kind == "fx_rates" and c == "rate":   # stored as units per one unit of base
            exprs.append("CASE WHEN list_contains($inverted, currency) THEN 1 / rate ELSE rate END AS rate")
        elif c in present or c == "period_grain":
            exprs.append(c)
        elif kind == "market" and c == "indicator":
            exprs.append("$indicator AS indicator")   # named by _select_params (bound: user text)
        else:
            exprs.append(f"NULL AS {c}")
    if kind == "stage_history":
        # Closed stages in the canonical words; open stages take the order the deals' snapshots gave them.
        stage = "sightline_staged.stage"
        canonical = (f"CASE WHEN {norm.is_word_sql(stage, norm.WON_WORDS)} THEN '{CLOSED_WON}' "
                     f"WHEN {norm.is_word_sql(stage, norm.LOST_WORDS)} THEN '{CLOSED_LOST}' ELSE {stage} END")
        exprs.append(f"{canonical} AS stage")
        exprs.append(f"(SELECT max(o.stage_order) FROM opportunities o WHERE o.stage = {canonical}) AS stage_order")
        exprs.append("row_no AS file_row")   # the file's order breaks ties in changed_at
    if kind == "fx_rates":
        exprs.append("$base AS base")
    if kind == "leads":
        exprs.append(f"{leads_mod.stage_reached_sql(present)} AS stage_reached")
    select = (f"SELECT {import_id} AS import_id, {', '.join(exprs)}, row_no FROM sightline_staged "
              f"WHERE reject_reason IS NULL")
    return kind, select


_TABLE_COLUMNS = {
    "stage_history": ["opportunity_id", "stage", "stage_order", "amount", "close_date", "changed_at"],
    "targets_forecasts": ["period", "period_grain", "region", "segment", "owner", "product", "target",
                          "forecast_commit", "forecast_best_case", "forecast_pipeline", "bookings",
                          "currency", "submitted_at"],
    "accounts": ["account_id", "account", "industry", "region", "segment", "country", "size",
                 "annual_value", "parent"],
    "owners": ["owner_id", "owner", "team", "manager", "region"],
    "products": ["product_id", "product", "family", "list_price"],
    "market": ["period", "period_grain", "region", "segment", "indicator", "value", "unit", "source"],
    "fx_rates": ["currency", "rate", "as_of"],
    "leads": ["id", "created_date", "lead_source", "campaign", "status", "company", "owner", "is_converted",
              "converted_date", "converted_opportunity_id", "mql_date", "sql_date", "opportunity_date",
              "customer_date"],
}


def _keep_raw_values(cur, src: SourceFile, columns) -> None:
    """sightline_reject_raw: the original text of the rejected rows the staged rows do not hold
    (rows rejected after the read: repeated ids and quotas; a file's unmapped columns), from a
    second read of the file, when there are any."""
    cur.execute("DROP TABLE IF EXISTS sightline_reject_raw")
    late = "reject_reason LIKE 'duplicate:%' OR reject_reason LIKE 'repeat:%'"
    wanted = late if len(_carried(columns)) == len(src.headers) else "reject_reason NOT IN ('blank')"
    n = len(src.headers)
    relation, params = csv_relation(src, rejects=False)
    # generated column ids only; relation is read_csv over bound parameters
    rows = f"SELECT row_no FROM sightline_staged WHERE {wanted}"
    if not cur.execute(f"SELECT count(*) FROM ({rows})").fetchone()[0]:
        cur.execute(f"CREATE TEMP TABLE sightline_reject_raw (row_no BIGINT, "
                    f"{', '.join(f'c{i} VARCHAR' for i in range(n))})")
        return
    cur.execute(f"""CREATE TEMP TABLE sightline_reject_raw AS
        SELECT * FROM (SELECT row_number() OVER () AS row_no, * FROM {relation})
        WHERE row_no IN ({rows})""", params)


def _rejects(cur, src: SourceFile, raw, reason_sql: str, columns) -> pd.DataFrame:
    """Rejected rows with their row number, reason and original values (blank rows skipped)."""
    n = len(src.headers)
    carried = set(_carried(columns))
    values = ", ".join(f"CASE WHEN rr.row_no IS NULL THEN s.{_raw(columns, f'c{i}')} ELSE rr.c{i} END" if f"c{i}" in carried
                       else f"rr.c{i}" for i in range(n))
    df = cur.execute(
        f"""SELECT s.row_no AS "row", {reason_sql} AS reason, {values}
            FROM sightline_staged s LEFT JOIN sightline_reject_raw rr ON rr.row_no = s.row_no
            WHERE s.reject_reason IS NOT NULL AND s.reject_reason <> 'blank'
            ORDER BY s.row_no""").df()
    df.columns = ["row", "reason"] + src.headers
    if raw.rejects or raw.row_rejects:
        structural = pd.DataFrame({"row": [None] * len(raw.rejects) + [n for n, _ in raw.row_rejects],
                                   "reason": [f"line {line}: {why}" for line, why in raw.rejects]
                                   + [why for _, why in raw.row_rejects]})
        df = pd.concat([df, structural], ignore_index=True) if len(df) else structural
    return df


def undo_import(import_id: int, db: str | Path | None = None, *, by: Actor) -> str:
    """Remove an import's rows (as `by`, an analyst or above); the import stays in the
    history, marked undone. Returns what was done, in words (the callers then check the alerts)."""
    require(by, "import data")
    with store.transaction(db) as cur:
        row = cur.execute("SELECT kind, file_name, undone_at FROM imports WHERE id = $i",
                          {"i": import_id}).fetchone()
        if row is None:
            raise ValueError(f"There is no import #{import_id}.")
        kind, file_name, undone = row
        if undone is not None:
            raise ValueError(f"Import #{import_id} ({file_name}) was already undone on {undone:%Y-%m-%d %H:%M}.")
        if kind not in KINDS:   # the table name comes from the whitelist, never from the row as is
            raise ValueError(f"Import #{import_id} has an unknown kind {kind!r}.")
        cur.execute(f"DELETE FROM {kind} WHERE import_id = $i", {"i": import_id})
        cur.execute("UPDATE imports SET undone_at = now()::TIMESTAMP WHERE id = $i", {"i": import_id})
    store.bump(db)
    return f"Import #{import_id} ({file_name}) undone: its rows were removed."


# ---- targets as finance keeps them; market indicators as they are published ----

MEASURES = {"target", "forecast_commit", "forecast_best_case", "forecast_pipeline"}
LOOKED_FOR_MEASURES = ("Target, Quota, Plan, Budget, Target Amount or Quota Amount for the target, and "
                       "Commit, Forecast Commit, Best Case, Upside or Pipeline for the forecast")


def _no_measure_message(src: SourceFile) -> str:
    return (f"{src.name} cannot be imported as targets and forecast calls: no column holds the target "
            f"or the forecast (looked for {LOOKED_FOR_MEASURES}). Its columns are: "
            f"{', '.join(src.headers[:12])}{'…' if len(src.headers) > 12 else ''}.")


def _looks_like_targets(headers: list[str]) -> bool:
    """A period and a scope (owner, region, ...) but no measure: a targets file missing its quota."""
    found = mapping_mod.auto_mapping(headers, "targets_forecasts")
    return "period" in found and bool(found.keys() & {"region", "segment", "owner", "product"})


def _market_params(mapping: dict[str, str], file_name: str) -> dict:
    """A one-indicator market file: the indicator it holds (bound: user text)."""
    if "indicator" not in mapping:
        return {"indicator": indicator_name(mapping["value"], file_name)}
    return {}


GENERIC_VALUES = {"value", "values", "amount", "obsvalue", "observation"}
NOT_INDICATOR_WORDS = {"daily", "weekly", "monthly", "quarterly", "yearly", "annual", "data", "export",
                       "worldbank", "wb", "oecd", "imf", "fred", "eurostat", "datahub", "csv", "latest"}


def indicator_name(value_header: str, file_name: str) -> str:
    """The indicator a one-indicator file holds: its value column's name ('Inflation', 'Exchange
    rate'), or, where that column is just 'Value', the file's name without extensions, dates,
    frequency and source words ('gdp.csv' -> 'GDP', 'worldbank_gdp_2024-05-01.csv' -> 'GDP')."""
    if mapping_mod.header_key(value_header) not in GENERIC_VALUES:
        return value_header.strip()
    stem = Path(file_name).name.split(".")[0]
    undated = re.sub(r"(19|20)\d\d([-_]?\d\d){0,2}", " ", stem)
    words = [w for w in re.split(r"[^A-Za-z0-9]+", undated)
             if w and not w.isdigit() and w.lower() not in NOT_INDICATOR_WORDS]
    if not words:
        return stem.replace("_", " ").strip().capitalize() or value_header.strip()
    # Short words without a vowel, or of three letters or fewer, are acronyms (GDP, CPI, FX, PPP).
    words = [w.upper() if len(w) <= 3 or not re.search("[aeiouAEIOU]", w) else w.lower() for w in words]
    name = " ".join(words)
    return name[0].upper() + name[1:]


def _merge_repeated_quotas(cur, src: SourceFile, raw, columns) -> list[str]:
    """Quota rows of one file that repeat a key (period, scope, currency, submission): rows equal in
    every column are rejected as repeats of the first; rows that differ elsewhere (parts of one quota,
    by a product line the mapping leaves out) are summed into the first. Returns the warnings."""
    if "target" not in columns:
        return []   # forecast calls repeat a key by design (one per submission)
    keys = [k for k in ("period", "period_grain", "region", "segment", "owner", "product", "currency",
                        "submitted_at") if k in columns or k == "period_grain"]
    raw_cols = [f"r.c{i}" for i in range(len(src.headers))]
    relation, params = csv_relation(src, rejects=False)
    cur.execute("DROP TABLE IF EXISTS sightline_raw")   # quota files are small: their rows as text
    cur.execute(f"CREATE TEMP TABLE sightline_raw AS SELECT row_number() OVER () AS row_no, * FROM {relation}",
                params)
    join = "JOIN sightline_raw r ON r.row_no = s.row_no"
    # keys and raw_cols are canonical names and generated column ids: no user text
    key_cols = ", ".join("s." + k for k in keys)
    cur.execute(f"""UPDATE sightline_staged u SET reject_reason = 'repeat:' || d.first
        FROM (SELECT s.row_no, min(s.row_no) OVER (PARTITION BY {key_cols}, {', '.join(raw_cols)}) AS first
              FROM sightline_staged s {join}
              WHERE s.reject_reason IS NULL AND s.target IS NOT NULL) d
        WHERE u.row_no = d.row_no AND d.row_no > d.first""")
    amounts = [a for a in ("target", "forecast_commit", "forecast_best_case", "forecast_pipeline", "bookings")
               if a in columns]
    differs = ", ".join(f"count(DISTINCT coalesce({c}, '')) > 1" for c in raw_cols)
    groups = cur.execute(f"""
        SELECT list(s.row_no ORDER BY s.row_no) AS row_nos, {', '.join(f'sum(s.{a})' for a in amounts)},
               [{differs}] AS differs, {', '.join(f'any_value(s.{k})' for k in keys)}
        FROM sightline_staged s {join}
        WHERE s.reject_reason IS NULL AND s.target IS NOT NULL
        GROUP BY {key_cols} HAVING count(*) > 1 ORDER BY min(s.row_no)""").fetchall()
    for group in groups:
        row_nos, sums = group[0], group[1:1 + len(amounts)]
        sets = ", ".join(f"{a} = $v{i}" for i, a in enumerate(amounts))
        cur.execute(f"UPDATE sightline_staged SET {sets} WHERE row_no = $first",
                    {**{f"v{i}": v for i, v in enumerate(sums)}, "first": row_nos[0]})
        cur.execute("DELETE FROM sightline_staged WHERE list_contains($rest, row_no)", {"rest": row_nos[1:]})
    return [_summed_sentence(g, amounts, keys, src.headers) for g in groups[:5]] + (
        [f"{len(groups) - 5:,} more groups of quota rows were summed the same way."] if len(groups) > 5 else [])


def _calls_made_together(cur, columns) -> list[str]:
    """Forecast calls of one file for the same key (period, scope) made at the same time (or both
    undated): the later row is read as the call standing then (intel/sql/macros/forecast.sql), and
    the user is told which rows. Returns the warnings."""
    calls = [c for c in ("forecast_commit", "forecast_best_case") if c in columns]
    if not calls:
        return []
    keys = [k for k in ("period", "period_grain", "region", "segment", "owner", "product", "submitted_at")
            if k in columns or k == "period_grain"]
    # keys and calls are canonical column names: no user text
    groups = cur.execute(f"""
        SELECT list(row_no ORDER BY row_no), {', '.join(f'any_value({k})' for k in keys)}
        FROM sightline_staged
        WHERE reject_reason IS NULL AND ({' OR '.join(f'{c} IS NOT NULL' for c in calls)})
        GROUP BY {', '.join(keys)} HAVING count(*) > 1 ORDER BY min(row_no)""").fetchall()
    said = []
    for group in groups[:5]:
        row_nos, scope = group[0], dict(zip(keys, group[1:]))
        period, grain, when = scope.pop("period"), scope.pop("period_grain"), scope.pop("submitted_at", None)
        who = _scope_words(scope)
        said.append(f"Rows {_row_list(row_nos)} give forecast calls for the same {grain} starting {period:%Y-%m-%d}"
                    f"{' (' + who + ')' if who else ''} made at the same time"
                    f"{f' ({when:%Y-%m-%d %H:%M})' if when is not None else ' (no submission date)'}: the later "
                    f"row, {row_nos[-1]}, is read as the call standing then.")
    return said + ([f"{len(groups) - 5:,} more groups of calls made at the same time were read the same way."]
                   if len(groups) > 5 else [])


def _row_list(row_nos) -> str:
    """[1, 3, 7] -> '1, 3 and 7' (the rows a warning names)."""
    return ", ".join(str(n) for n in row_nos[:-1]) + f" and {row_nos[-1]}"


def _scope_words(scope: dict) -> str:
    """{'region': 'EMEA', 'owner': None} -> 'region EMEA' (the scope a warning names)."""
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in scope.items() if v is not None)


def _summed_sentence(group, amounts, keys, headers) -> str:
    row_nos, target = group[0], group[1 + amounts.index("target")]
    differs = [h for h, d in zip(headers, group[1 + len(amounts)]) if d]
    scope = dict(zip(keys, group[2 + len(amounts):]))
    period = scope.pop("period")
    grain = scope.pop("period_grain")
    said = _scope_words(scope)
    return (f"Rows {_row_list(row_nos)} give quotas for the same {grain} starting {period:%Y-%m-%d}"
            f"{' (' + said + ')' if said else ''} and differ in {', '.join(differs)}: they were summed "
            f"into one quota of {target:,.2f}.")
