"""Normalisation as SQL expressions over the raw text table, so 1M rows stay in DuckDB.

Every builder takes a generated column identifier (c0, c1, ...) and returns SQL text that
contains no user text: formats and word lists are this module's constants. Choices that
depend on the data (a date column's format, an amount column's decimal mark, whether a
percentage column is 0-1 or 0-100) are made from the whole column by `profile_columns`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

DATE_FAMILIES = {
    "ISO": ["%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ",
            "%Y-%m-%d %H:%M:%S.%f", "%Y/%m/%d",
            # Salesforce's API and Workbench write UTC as +0000 (2026-03-04T10:22:31.000+0000)
            "%Y-%m-%dT%H:%M:%S.%f+0000", "%Y-%m-%dT%H:%M:%S+0000"],
    "M/D/YYYY": ["%m/%d/%Y", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M:%S %p",
                 "%m/%d/%Y %H:%M:%S"],
    "M/D/YY": ["%m/%d/%y", "%m/%d/%y %I:%M %p", "%m/%d/%y %H:%M", "%m/%d/%y %I:%M:%S %p"],
    "D/M/YYYY": ["%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S"],
    "D.M.YYYY": ["%d.%m.%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%y"],
    "D-M-YYYY": ["%d-%m-%Y", "%d-%m-%Y %H:%M", "%d-%m-%Y %H:%M:%S"],
    # Two-digit years need their own families: %Y reads '13/1/15' as the year 15.
    "D/M/YY": ["%d/%m/%y", "%d/%m/%y %H:%M", "%d/%m/%y %H:%M:%S"],
    "D.M.YY": ["%d.%m.%y", "%d.%m.%y %H:%M", "%d.%m.%y %H:%M:%S"],
}
# Ties (every day <= 12) go to the earlier family: US month-first for slashes, as
# Salesforce and HubSpot US exports write them.
FAMILY_ORDER = list(DATE_FAMILIES)

WON_WORDS = ["closedwon", "won", "wonclosed", "dealwon", "closedwonbooked", "gewonnen", "gagne",
             "ganado", "ganada", "vinto", "vinta", "ganho", "gewonnenabgeschlossen", "win", "1won"]
LOST_WORDS = ["closedlost", "lost", "loss", "closedloss", "deallost", "verloren", "perdu", "perdue",
              "perdido", "perdida", "perso", "persa", "perdeu", "nodecision", "closednodecision",
              "closedlostnodecision", "disqualified", "closeddisqualified", "canceled", "cancelled",
              "outsold", "lose"]
NO_DECISION_WORDS = ["nodecision", "closednodecision", "closedlostnodecision"]
OPEN_WORDS = ["open", "inprogress", "active", "0"]
# Every word a status column may hold (Dynamics' statecode: 0 open, 1 won, 2 lost).
OUTCOME_WORDS = WON_WORDS + LOST_WORDS + NO_DECISION_WORDS + OPEN_WORDS + ["1", "2"]
TRUE_WORDS = ["1", "true", "yes", "y", "t", "x", "wahr", "ja", "oui", "si", "won"]
FALSE_WORDS = ["0", "false", "no", "n", "f", "falsch", "nein", "non", "lost"]

CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "CHF": "CHF"}


def _list(words: list[str]) -> str:
    return "[" + ", ".join("'" + w.replace("'", "''") + "'" for w in words) + "]"


def word_text(col: str) -> str:
    """The text a word is read from: lower case, accents dropped ('Closed - Won', 'Gagné' -> 'gagne')."""
    return f"lower(strip_accents(coalesce({col}, '')))"


def text_sql(col: str) -> str:
    # NUL bytes were already removed from the file (read.open_source).
    return f"nullif(trim({col}), '')"


def id_sql(col: str) -> str:
    """Trimmed id; Salesforce's all-zero placeholder ids (000000000000000AAA) are no id."""
    t = text_sql(col)
    return f"CASE WHEN regexp_matches({t}, '^0+(AAA)?$') THEN NULL ELSE {t} END"


def text_is_word_sql(text: str, words: list[str]) -> str:
    """Whether `text` (`word_text`) is one of `words` once everything but letters and digits is left
    out ('closed - won' is 'closedwon'): a regular expression that skips those characters between
    the word's letters, rather than a copy of every value without them (half the cost). Not
    list_contains over a constant list: DuckDB turns that into a join, and a join gives up the
    file's row order that the staged rows are numbered by (load._stage)."""
    if not all(re.fullmatch("[a-z0-9]+", w) for w in words):
        raise ValueError(f"word lists hold lower-case letters and digits only: {words}")
    gap = "[^a-z0-9]*"
    return f"regexp_full_match({text}, '{gap}(?:{'|'.join(gap.join(w) for w in words)}){gap}')"


def bool_sql(col: str) -> str:
    t = word_text(col)
    return (f"CASE WHEN {text_is_word_sql(t, TRUE_WORDS)} THEN true "
            f"WHEN {text_is_word_sql(t, FALSE_WORDS)} THEN false END")


def is_word_sql(col: str, words: list[str]) -> str:
    return text_is_word_sql(word_text(col), words)


def date_sql(col: str, family: str | None, as_date: bool = True) -> str:
    if family is None:
        return "CAST(NULL AS DATE)" if as_date else "CAST(NULL AS TIMESTAMP)"
    expr = f"try_strptime({text_sql(col)}, {_list(DATE_FAMILIES[family])})"
    if family == "ISO":
        # Every format tried and failed costs about as much as a parse: a Salesforce timestamp
        # (2026-03-04T10:22:31.000Z) went through six before its own. Values with a 'T' try the
        # formats with one, those first (the same result: no format matches both kinds).
        with_t = sorted((f for f in DATE_FAMILIES[family] if "T" in f), key=lambda f: not f.endswith(".%fZ"))
        without = [f for f in DATE_FAMILIES[family] if "T" not in f]
        expr = (f"CASE WHEN strpos({text_sql(col)}, 'T') > 0 THEN try_strptime({text_sql(col)}, {_list(with_t)}) "
                f"ELSE try_strptime({text_sql(col)}, {_list(without)}) END")
    return f"CAST({expr} AS DATE)" if as_date else expr


def _number_text(col: str) -> str:
    """The value without currency codes, symbols, spaces, apostrophes (Swiss thousands)."""
    return (f"regexp_replace(regexp_replace({text_sql(col)}, '^\\(\\s*(.*)\\s*\\)$', '-\\1'), "
            f"'[A-Z]{{3}}\\s*|\\s*[A-Z]{{3}}$|[$€£¥₹\\s''\\x{{00A0}}\\x{{202F}}]', '', 'g')")


# Text that is its own number as it stands, for each decimal mark: read with a plain cast.
PLAIN_NUMBER = {False: "-?[0-9][0-9.]*", True: "-?[0-9]+"}


def number_sql(col: str, comma_decimal: bool) -> str:
    """Text -> DOUBLE, NULL when not a plain number ('$1.2k' is not)."""
    t = text_sql(col)
    # The rest go through the number text once (a lambda's argument: written out in each place it
    # is used, inside a CASE branch it was worked out again in each).
    rest = f"list_transform([{_number_text(col)}], lambda number_text: {_number_from_text('number_text', comma_decimal)})[1]"
    return f"CASE WHEN regexp_full_match({t}, '{PLAIN_NUMBER[comma_decimal]}') THEN try_cast({t} AS DOUBLE) ELSE {rest} END"


def _number_from_text(n: str, comma_decimal: bool) -> str:
    """SQL reading the number text `n` (_number_text) as a DOUBLE."""
    # Where both marks appear, the last one is the decimal mark whatever the column says.
    last_comma = f"(length({n}) - strpos(reverse({n}), ','))"
    last_dot = f"(length({n}) - strpos(reverse({n}), '.'))"
    both = f"(strpos({n}, ',') > 0 AND strpos({n}, '.') > 0)"
    comma_is_decimal = (
        f"CASE WHEN {both} THEN {last_comma} > {last_dot} "
        f"WHEN strpos({n}, ',') > 0 THEN {str(comma_decimal).lower()} OR regexp_matches({n}, ',[0-9]{{1,2}}$') "
        f"ELSE {str(comma_decimal).lower()} AND regexp_matches({n}, '^-?[0-9]{{1,3}}(\\.[0-9]{{3}})+$') END"
    )
    return (
        f"CASE WHEN NOT regexp_matches({n}, '^-?[0-9][0-9.,]*$') THEN NULL "
        f"WHEN {comma_is_decimal} THEN try_cast(replace(replace({n}, '.', ''), ',', '.') AS DOUBLE) "
        f"ELSE try_cast(replace({n}, ',', '') AS DOUBLE) END"
    )


def amount_sql(col: str, comma_decimal: bool) -> str:
    """Money rounded to cents (drops float artefacts such as 12500.000000001)."""
    # 1e16 and more do not fit DECIMAL(18, 2): NULL (the row is rejected) rather than abort the import
    return f"try_cast(round({number_sql(col, comma_decimal)}, 2) AS DECIMAL(18, 2))"


def currency_in_value_sql(col: str) -> str:
    """The currency written inside an amount: 'USD 12,500.00', '12.500,00 EUR', '$1,234.50'."""
    t = text_sql(col)
    cases = " ".join(f"WHEN strpos({t}, '{sym}') > 0 THEN '{code}'" for sym, code in
                     CURRENCY_SYMBOLS.items() if len(sym) == 1)
    return (f"CASE WHEN regexp_matches({t}, '^[A-Z]{{3}}\\s?[-0-9(]|[0-9]\\s?[A-Z]{{3}}$') "
            f"THEN regexp_extract({t}, '([A-Z]{{3}})', 1) {cases} END")


def currency_sql(col: str) -> str:
    return f"upper(nullif(trim({col}), ''))"


def percent_sql(col: str, comma_decimal: bool, scale: float) -> str:
    """A 0..1 fraction; scale is 100 for columns written 0-100 or with a % sign."""
    n = number_sql(f"replace({col}, '%', '')", comma_decimal)
    return f"({n}) / {scale}"


def period_sql(col: str, fy_start: int = 1) -> tuple[str, str]:
    """(first day of the period, 'month' | 'quarter' | 'year') from '2026-11', '2026-Q4', 'Q4 2026',
    'FY26 Q4', 'Nov 2026', 'Nov-26', '2026-11-15', '2026'.

    Quarters are fiscal quarters when the fiscal year starts in month `fy_start`, and fiscal
    years are named by the year they start in (as the app names them, README): with
    fy_start = 4, 'FY24 Q1' and '2024-Q1' are April-June 2024. A two-digit year is 20xx.
    A plain year is the whole year (market indicators; a targets file rejects it).
    """
    t = f"upper(trim({col}))"
    q1 = f"regexp_extract({t}, '^(\\d{{4}})\\s*[-/ ]?\\s*Q([1-4])$', ['y', 'q'])"
    q2 = f"regexp_extract({t}, '^Q([1-4])\\s*[-/ ]?\\s*(?:FY)?(\\d{{4}})$', ['q', 'y'])"
    is_q1 = f"regexp_matches({t}, '^(\\d{{4}})\\s*[-/ ]?\\s*Q([1-4])$')"
    is_q2 = f"regexp_matches({t}, '^Q([1-4])\\s*[-/ ]?\\s*(?:FY)?(\\d{{4}})$')"
    fy, is_fy = _fiscal_quarter_parts(t)
    is_year = f"regexp_matches({t}, '^(19|20)\\d{{2}}$')"
    # '%b-%y' before '%b-%Y': '%Y' reads 'Apr-18' as the year 18.
    month = (f"try_strptime({t}, ['%Y-%m', '%Y/%m', '%m/%Y', '%Y-%m-%d', '%Y/%m/%d', '%b %Y', '%B %Y', "
             f"'%b-%y', '%b-%Y', '%b %y', '%B-%Y', '%m/%d/%Y', '%d.%m.%Y', '%Y%m'])")
    start = (f"CASE WHEN {is_q1} THEN {_fiscal_quarter_start(f'{q1}.y', f'{q1}.q', fy_start)} "
             f"WHEN {is_q2} THEN {_fiscal_quarter_start(f'{q2}.y', f'{q2}.q', fy_start)} "
             f"WHEN {is_fy} THEN {_fiscal_quarter_start(f'{fy}.y', f'{fy}.q', fy_start)} "
             f"WHEN {is_year} THEN make_date(CAST({t} AS INT), 1, 1) "
             f"ELSE CAST(date_trunc('month', {month}) AS DATE) END")
    grain = (f"CASE WHEN {is_q1} OR {is_q2} OR {is_fy} THEN 'quarter' WHEN {is_year} THEN 'year' "
             f"ELSE 'month' END")
    return start, grain


def _fiscal_quarter_parts(t: str) -> tuple[str, str]:
    """('FY24 Q1', 'FY2024-Q1', 'Q1 FY24', 'FY24Q1') -> (struct of y, q; whether it matches)."""
    pattern = "^(?:FY\\s*(\\d{2}|\\d{4})\\s*[-/ ]?\\s*Q([1-4])|Q([1-4])\\s*[-/ ]?\\s*FY\\s*(\\d{2}))$"
    parts = f"regexp_extract({t}, '{pattern}', ['y1', 'q1', 'q2', 'y2'])"
    year = f"CAST(coalesce(nullif({parts}.y1, ''), {parts}.y2) AS INT)"
    fy = (f"({{'y': CASE WHEN {year} < 100 THEN 2000 + {year} ELSE {year} END, "
          f"'q': coalesce(nullif({parts}.q1, ''), {parts}.q2)}})")
    return fy, f"regexp_matches({t}, '{pattern}')"


def _fiscal_quarter_start(year: str, quarter: str, fy_start: int) -> str:
    """First day of quarter `quarter` of the fiscal year `year` that starts in month fy_start."""
    months = f"({int(fy_start) - 1} + (CAST({quarter} AS INT) - 1) * 3)"
    return f"make_date(CAST({year} AS INT) + {months} // 12, {months} % 12 + 1, 1)"


@dataclass
class ColumnProfile:
    date_family: str | None = None
    comma_decimal: bool = False
    percent_scale: float = 1.0


SAMPLE_ROWS = 50_000


def _date_family_from_shape(shapes: list[tuple]) -> str | None:
    """Pick the family from (sep, longest first part, largest first part, -, longest year, count)."""
    votes: dict[str, int] = {}
    for sep, first_len, max_a, max_b, year_len, n in shapes:
        if not n:
            continue
        if first_len == 4:
            fam = "ISO"
        elif sep == "/":
            fam = ("D/M/" if (max_a or 0) > 12 else "M/D/") + ("YY" if year_len == 2 else "YYYY")
        elif sep == ".":
            fam = "D.M.YY" if year_len == 2 else "D.M.YYYY"
        elif (year_len or 0) < 4:
            continue  # '-' with a short last part is not a date
        else:
            fam = "D-M-YYYY"
        votes[fam] = votes.get(fam, 0) + n
    return max(votes, key=lambda f: (votes[f], -FAMILY_ORDER.index(f))) if votes else None


def profile_columns(cur, table: str, columns: dict[str, tuple[str, str]], params: dict | None = None,
                    maxima: dict[str, int | None] | None = None) -> dict[str, ColumnProfile]:
    """Decide each column's format from all its values.

    `columns` maps canonical name -> (raw column id, type); `table` is a table or a relation over
    c0..cN (with `params`). Returns canonical name -> profile.
    Dates are told apart by their shape over the whole column (a first part above 12 makes
    a slash date day-first), which is far cheaper than trying every format on every value.
    The shape of a column is read from its first rows; what tells day-first from month-first
    is then checked over the whole column: `maxima` (name -> SLASH_FIRST_SQL's largest value over
    every row, as the import's one read of the file gives it), or else a query over `table`.
    """
    counts = sample_counts(cur, table, columns, params)
    whole = [(name, f"max({slash_first_sql(col)})") for name, (col, type_) in columns.items()
             if type_ in ("date", "timestamp") and counts[(name, "n/")]]
    if whole and maxima is None:
        # expressions over generated column ids (c0, c1, ...) and this module's constants only
        maxima = dict(zip([n for n, _ in whole], cur.execute(
            f"SELECT {', '.join(e for _, e in whole)} FROM {table}", params or {}).fetchone()))
    return decide_profiles(columns, counts, maxima or {})


def slash_first_sql(col: str) -> str:
    """A date's first part before '/', as a number (its largest over a column tells day-first)."""
    return f"try_cast(split_part({text_sql(col)}, '/', 1) AS INT)"


def sample_counts(cur, table: str, columns: dict[str, tuple[str, str]], params: dict | None = None) -> dict:
    """The shape counts of each column over the first SAMPLE_ROWS rows of `table`."""
    selects, plan = [], []
    for name, (col, type_) in columns.items():
        t = text_sql(col)
        if type_ in ("date", "timestamp"):
            # Plain string functions, not regular expressions: this scans every value.
            for sep in ("/", ".", "-"):
                first = f"split_part({t}, '{sep}', 1)"
                year = f"split_part(split_part({t}, ' ', 1), '{sep}', 3)"
                has = f"strpos({t}, '{sep}') > 0 AND length({first}) BETWEEN 1 AND 4"
                selects += [f"count(*) FILTER (WHERE {has})",
                            f"max(length({first})) FILTER (WHERE {has})",
                            f"max(try_cast({first} AS INT)) FILTER (WHERE {has} AND length({first}) <= 2)",
                            f"max(length({year})) FILTER (WHERE {has})"]
                plan += [(name, "n" + sep), (name, "len" + sep), (name, "max" + sep), (name, "year" + sep)]
        elif type_ in ("amount", "number", "percent"):
            n = _number_text(col)
            selects.append(f"count(*) FILTER (WHERE regexp_matches({n}, ',[0-9]{{1,2}}$|\\.[0-9]{{3}},'))")
            plan.append((name, "comma"))
            selects.append(f"count(*) FILTER (WHERE regexp_matches({n}, '\\.[0-9]{{1,2}}$|,[0-9]{{3}}\\.'))")
            plan.append((name, "dot"))
            if type_ == "percent":
                selects.append(f"bool_or(strpos({col}, '%') > 0)")
                plan.append((name, "pct_sign"))
                selects.append(f"max(try_cast(replace(replace({n}, '%', ''), ',', '.') AS DOUBLE))")
                plan.append((name, "max"))
    if not selects:
        return {}
    return dict(zip(plan, cur.execute(
        f"SELECT {', '.join(selects)} FROM (SELECT * FROM {table} LIMIT {SAMPLE_ROWS})", params or {}).fetchone()))


def decide_profiles(columns: dict[str, tuple[str, str]], counts: dict,
                    maxima: dict[str, int | None]) -> dict[str, ColumnProfile]:
    """Each column's profile from its sample counts and, for slash dates, the whole column's
    largest first part (`maxima`; a column the sample shows no slash date in needs none)."""
    profiles = {name: ColumnProfile() for name in columns}
    counts = dict(counts)
    for name, (_, type_) in columns.items():
        if type_ in ("date", "timestamp") and counts[(name, "n/")]:
            counts[(name, "max/")] = maxima[name]
    for name, (_, type_) in columns.items():
        if type_ in ("date", "timestamp"):
            profiles[name].date_family = _date_family_from_shape([
                (sep, counts[(name, "len" + sep)], counts[(name, "max" + sep)], None,
                 counts[(name, "year" + sep)], counts[(name, "n" + sep)] or 0)
                for sep in ("/", ".", "-")])
        comma, dot = counts.get((name, "comma")) or 0, counts.get((name, "dot")) or 0
        profiles[name].comma_decimal = comma > dot
        if (name, "pct_sign") in counts:
            sign, top = counts[(name, "pct_sign")], counts.get((name, "max"))
            profiles[name].percent_scale = 100.0 if sign or (top is not None and top > 1) else 1.0
    return profiles
