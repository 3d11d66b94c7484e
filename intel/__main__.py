"""The command line: python -m intel <command> ... (see `python -m intel --help`)."""
from __future__ import annotations

import argparse
import json
import signal
import sys

import pandas as pd

from intel import config, store
from intel.access import ROLES, operator
from intel.ingest.schema import KINDS


def _print_table(df, fmt: str) -> None:
    from intel.export import formula_safe

    if fmt == "json":
        print(df.to_json(orient="records", date_format="iso", indent=2))
    else:   # opened in a spreadsheet: defused like the pages' downloads
        formula_safe(df).to_csv(sys.stdout, index=False)


class CommandError(Exception):
    """A wrong argument or an unusable input: printed as one sentence, exit code 2."""


def _as_of(text: str | None):
    """--as-of as a date inside the dates an import accepts."""
    import datetime as dt

    if text is None:
        return None
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(f"--as-of {text!r} is not a date: write it as YYYY-MM-DD (2026-11-22).") from None
    first, last = config.date_window()
    if not first <= day <= last:
        raise CommandError(f"--as-of {day} is outside the dates an import accepts ({first} to {last}).")
    return day


def cmd_demo(args) -> int:
    from intel.demo import load_demo
    from intel.holdings import is_empty

    if args.if_empty and not is_empty():
        print(f"The store {config.db_path()} already holds data; demo not loaded.")
        return 0
    results = load_demo(progress=lambda f, t: print(f"[{f:4.0%}] {t}", file=sys.stderr), by=operator())
    for r in results:
        print(r.message)
    return 0 if all(r.ok for r in results) else 1


def cmd_import(args) -> int:
    from intel.alerts import check_after_change
    from intel.ingest import import_file

    from pathlib import Path

    as_of = _as_of(args.as_of)
    failed, unreadable, not_imported = False, False, []
    for path in args.paths:   # one file failing does not stop the next
        if not Path(path).is_file():
            why = "is a folder, not a file" if Path(path).is_dir() else "does not exist"
            print(f"{path} {why}: it was not imported.", file=sys.stderr)
            unreadable = True
            not_imported.append(str(path))
            continue
        result = import_file(path, kind=args.kind, as_of=as_of, allow_duplicate=args.again,
                             force=args.force, by=operator())
        if result.status == "loaded":   # the new data may raise (or settle) alerts everyone sees
            result.warnings.extend(check_after_change(by=operator()))
        if result.status == "refused":
            failed = True
            not_imported.append(result.file_name)
        if args.json:
            print(json.dumps(result.summary(), default=str))
            continue
        print(result.message)
        if result.ok:
            print("  mapping: " + ", ".join(f"{k} <- {v!r}" for k, v in result.mapping.items()))
            for note in result.notes:
                print(f"  note: {note}")
            for warning in result.warnings:
                print(f"  warning: {warning}")
            for row, reason in result.rejects[["row", "reason"]].head(10).itertuples(index=False):
                print(f"  rejected{'' if pd.isna(row) else f' row {int(row)}'}: {reason}")
            if result.rows_rejected > 10:
                print(f"  … and {result.rows_rejected - 10} more rejected rows")
    if not args.json:
        from intel.holdings import unconverted_note

        note = unconverted_note()
        if note:
            print(f"warning: {note}")
    if not_imported and len(args.paths) > 1:
        print(f"{len(not_imported)} of {len(args.paths)} files were not imported: {', '.join(not_imported)} "
              "(the reasons are above).", file=sys.stderr)
    return 2 if unreadable else 1 if failed else 0


def cmd_imports(args) -> int:
    from intel.holdings import import_history

    _print_table(import_history().drop(columns=["sha256"]), "json" if args.json else "csv")
    return 0


def cmd_undo(args) -> int:
    from intel.alerts import check_after_change
    from intel.ingest import undo_import

    try:
        print(" ".join([undo_import(args.id, by=operator())] + check_after_change(by=operator())))
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    return 0


def _day(text: str | None, flag: str, last: bool = False):
    """--from/--to as a day: a date, or a month's or quarter's first (--from) or last (--to) day."""
    from intel import periods

    if text is None:
        return None
    try:
        return periods.day_or_period(text, last)
    except ValueError as err:
        raise ValueError(f"{flag} {err}") from None


def _period_in_window(text: str, flag: str) -> None:
    """A period far outside the data (9999-12) is named, not left to fail in date arithmetic."""
    from intel import periods

    start, _ = periods.parse(text)
    first, last = config.date_window()
    if not first <= start <= last:
        raise ValueError(f"{flag} {text} is outside the dates the store accepts ({first} to {last}).")


HIDDEN_COLUMNS = ("period_start", "measure", "sign")   # what a figure needs to be drawn, not read


def cmd_metric(args) -> int:
    """Any catalogue metric over the filters; its table on standard output (the pages' numbers)."""
    import datetime as dt

    from intel import metrics, periods
    from intel.filters import Filters, default_range

    entry = metrics.get(args.metric)
    params = {name: getattr(args, name) for name in entry.params
              if name not in RANGE_PARAMS and getattr(args, name, None) not in (None, False)}
    dim, grain = getattr(args, "by", None), getattr(args, "grain", None)
    trend = dim == "period"
    if trend:   # win rate --by period: the trend of the whole scope
        dim, grain = "total", grain or "month"
    scope = {"region": tuple(args.region), "segment": tuple(args.segment),
             "owner": tuple(args.owner), "product": tuple(args.product)}
    start, end = default_range()
    try:
        if "p0" in entry.params:   # a bridge compares two periods, not a range
            if not (args.date_from and args.date_to):
                raise ValueError(f"{args.metric} needs --from P0 --to P1, e.g. --from 2026-Q2 --to 2026-Q3.")
            _period_in_window(args.date_from, "--from")
            _period_in_window(args.date_to, "--to")
            p0, end0, _ = periods.bounds(args.date_from)
            p1, end1, _ = periods.bounds(args.date_to)
            last_year = periods.parse(periods.previous(args.date_to, same_period_last_year=True))[0]
            filters = Filters(min(p0, p1, last_year), max(end0, end1), **scope)
            params.update(p0=args.date_from, p1=args.date_to)
        else:
            day_from = _day(args.date_from, "--from")
            day_to = _day(args.date_to, "--to", last=True)
            if day_from and day_to and day_from > day_to:
                raise ValueError(f"--from {day_from} is after --to {day_to}.")
            if "period" in entry.params and "s0" not in entry.params:   # the landing: --period, else the current one
                if args.target:
                    _period_in_window(args.target, "--period")
                params.update(period=args.target)
                filters = Filters(dt.date(1900, 1, 1), dt.date(2999, 12, 31), **scope)
            elif "period" in entry.params:   # the target period of a movement; snapshots from --from/--to
                if not args.target:
                    raise ValueError(f"{args.metric} needs --period P, e.g. --period 2026-Q4 (or 2026-11).")
                _period_in_window(args.target, "--period")
                params.update(period=args.target, s0=day_from, s1=day_to)
                filters = Filters(dt.date(1900, 1, 1), dt.date(2999, 12, 31), **scope)
            elif "snapshot" in entry.params or "s1" in entry.params:   # --to: the snapshot on or before it
                params.update({"snapshot" if "snapshot" in entry.params else "s1": day_to})
                filters = Filters(start, end, **scope)
            else:
                filters = Filters(day_from or start, day_to or end, **scope)
                if filters.date_from > filters.date_to:
                    raise ValueError(f"--from {filters.date_from} is after the last day of the data's range, "
                                     f"{filters.date_to}: give --to as well.")
                if filters.all_time:
                    if (grain or entry.default_grain) != "all":
                        raise ValueError(f"{args.metric} by period needs close dates, and no closed deal in this "
                                         "data has one; all-time figures work, e.g. `metric win-rate --by region`.")
                    print("# all time: the closed deals carry no close date", file=sys.stderr)
        if getattr(args, "deals", False):
            table = metrics.run(entry.deals, filters, **params)
        else:
            table = metrics.run(entry.name, filters, dim=dim, grain=grain, **params)
            if "s0" in table.attrs and "s1" in table.attrs:
                print(f"# snapshots {table.attrs['s0']} -> {table.attrs['s1']}", file=sys.stderr)
            if getattr(args, "members", False):
                table = table.attrs["members"]
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    if "member" in table.columns and dim:
        table = table.drop(columns=["member"]) if trend else table.rename(columns={"member": dim})
    _print_table(table.drop(columns=[c for c in HIDDEN_COLUMNS if c in table.columns]), args.format)
    return 0


# parameters read from --from/--to/--period rather than flags of their own
RANGE_PARAMS = ("p0", "p1", "s0", "s1", "snapshot", "period")


def _metric_parsers(sub) -> None:
    """`metric NAME`: one sub-command per catalogue metric, its flags from its entry."""
    from intel import metrics

    listing = "\n".join(f"  {m.name.replace('_', '-'):32} {m.label}" for m in metrics.CATALOGUE.values()
                        if m.kind == "metric")
    p = sub.add_parser("metric", help="print a metric as CSV or JSON (the numbers the pages show)",
                       description="Print a metric of the catalogue as CSV or JSON.\n\nMetrics:\n" + listing,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    names = p.add_subparsers(dest="name", required=True, metavar="NAME")
    for m in metrics.CATALOGUE.values():
        if m.kind != "metric":
            continue
        spelled = m.name.replace("_", "-")
        aliases = [a for a in dict.fromkeys((m.name, *m.aliases)) if a != spelled]
        q = names.add_parser(spelled, aliases=aliases, help=m.label, description=f"{m.label}: {m.description}")
        q.set_defaults(func=cmd_metric, metric=m.name)
        if m.dimensions:
            by = list(m.dimensions) + (["period"] if "total" in m.dimensions and set(m.grains) - {"all"} else [])
            q.add_argument("--by", choices=by, default=m.default_dim,
                           help=f"the dimension (default {m.default_dim})"
                                + ("; period: the whole scope per period" if "period" in by else ""))
        if "period" in m.params:
            q.add_argument("--period", dest="target", help=PARAMS_HELP["period"])
        elif m.grains != ("all",):
            q.add_argument("--period", dest="grain", choices=list(m.grains),
                           help=f"the grain (default {m.default_grain}; all: the whole range)")
        q.add_argument("--from", dest="date_from", help=_FROM_HELP[_range_kind(m)])
        q.add_argument("--to", dest="date_to", help=_TO_HELP[_range_kind(m)])
        for name in m.params:
            if name in RANGE_PARAMS:
                continue
            param = metrics.PARAMS[name]
            flag = "--" + name.replace("_", "-")
            if param.kind is bool:
                q.add_argument(flag, action="store_true", help=param.help)
            else:
                q.add_argument(flag, type=int if param.kind is int else str, help=param.help)
        for dim in ("region", "segment", "owner", "product"):
            q.add_argument(f"--{dim}", action="append", default=[], help=f"keep only this {dim} (repeatable)")
        if m.deals:
            q.add_argument("--deals", action="store_true", help="list the deals behind the figure")
        if m.compute and m.name == "bookings_bridge":
            q.add_argument("--members", action="store_true", help="list each member's effects")
        q.add_argument("--format", choices=["csv", "json"], default="csv")


PARAMS_HELP = {"period": "the target period, e.g. 2026-Q4 or 2026-11"}


def _range_kind(m) -> str:
    if "p0" in m.params:
        return "periods"
    if "period" in m.params or "s1" in m.params or "snapshot" in m.params:
        return "snapshots"
    return "range"


_FROM_HELP = {
    "range": "first close date: 2026-07-15, or a month (2026-07) or quarter (2026-Q3) meaning its first "
             "day; default: 18 months back from the latest closed deal",
    "periods": "the earlier period P0 (2026-Q2, 2026-07)",
    "snapshots": "the earlier snapshot: the one on or before this day (default: the one before --to's)",
}
_TO_HELP = {
    "range": "last close date: 2026-07-31, or a month or quarter meaning its last day",
    "periods": "the later period P1",
    "snapshots": "the snapshot on or before this day (a date, or a month or quarter: its last day); "
                 "default: the latest",
}


def cmd_notes(args) -> int:
    from intel import notes

    kind, value = (args.scope.split(":", 1) + [""])[:2] if args.scope else (None, None)
    if kind == "company":
        value = ""
    table = notes.notes(kind, value if kind else None)
    if args.format == "md":
        print(notes.boards_markdown(table, args.scope or "All scopes"))
    else:
        _print_table(table.drop(columns=["deleted"]), args.format)
    return 0


def cmd_report(args) -> int:
    from pathlib import Path

    from intel import periods, report
    from intel.filters import Filters

    try:
        start, _ = periods.parse(args.period)
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    first, last = config.date_window()
    if not periods.add_months(first, 12) <= start <= last:   # the pack looks a year back
        raise CommandError(f"--period {args.period} is outside the dates the store accepts ({first} to {last}).")
    out = Path(args.out)
    if not out.parent.is_dir():
        raise CommandError(f"--out {args.out}: the folder {out.parent} does not exist.")
    _, end, _ = periods.bounds(args.period)   # only now: a period past the window may end past year 9999
    filters = Filters(periods.add_months(start, -12), end, region=tuple(args.region), segment=tuple(args.segment),
                      owner=tuple(args.owner), product=tuple(args.product))
    if out.suffix.lower() == ".pdf":
        out.write_bytes(report.qbr_pack_pdf(args.period, filters))
    else:
        out.write_text(report.qbr_pack(args.period, filters), encoding="utf-8")
    print(f"QBR pack for {args.period} written to {args.out}")
    return 0


def _plain_prompt(prompt: dict) -> dict:
    """A prompt as JSON holds it: its views as plain data (page, filters, breakdown, grain)."""
    return {**prompt, "views": {label: view.as_dict() for label, view in prompt["views"].items()}}


def cmd_alerts(args) -> int:
    """Exit 0: no alert open; 1: alerts are open; 2: the check itself failed (cron tells them apart)."""
    from intel import alerts

    try:
        table = alerts.evaluate(by=operator())
        if args.format == "json":
            rules = {r.id: r for r in alerts.list_rules()}
            out = [{"id": int(r["id"]), "severity": r["severity"], "rule": r["rule"], "member": r["member"],
                    "status": r["status"], "periods": json.loads(r["periods"]),
                    "prompt": _plain_prompt(alerts.prompt(r, rules[r["rule_id"]]))} for r in table.to_dict("records")]
    except Exception as err:   # noqa: BLE001 - one sentence for cron's mail, not a traceback
        first_line = (str(err).strip().splitlines() or [type(err).__name__])[0]
        print(f"The alert rules could not be checked on {config.db_path()}: {first_line}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(out, indent=2, default=str))
    else:
        for r in table.to_dict("records"):
            print(f"#{r['id']} {r['severity'].upper()} {r['rule']} — {r['member']} "
                  f"({', '.join(json.loads(r['periods']))}; {r['status']})")
        if table.empty:
            print("No open alert.")
    return 1 if len(table) else 0


def _read_password(args) -> str:
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise ValueError("The two passwords differ.")
    return first


def cmd_users(args) -> int:
    from intel import users

    try:
        if args.action == "list":
            _print_table(users.list_users(), "csv")
            return 0
        if not args.name:
            raise ValueError(f"users {args.action} needs a user name.")
        if args.action == "add":
            password = None if args.sso else _read_password(args)
            users.add_user(args.name, args.role or "viewer", password, by=operator())
        elif args.action == "role":
            if args.role is None:   # no silent default: a forgotten --role must not demote anyone
                print(f"users role needs --role, one of {', '.join(ROLES)}: "
                      f"python -m intel users role {args.name} --role ROLE", file=sys.stderr)
                return 2
            users.set_role(args.name, args.role, by=operator())
        elif args.action == "password":
            users.set_password(args.name, _read_password(args), by=operator())
        else:
            getattr(users, args.action)(args.name, by=operator())   # unlock, disable, enable
    except ValueError as err:
        print(err, file=sys.stderr)
        return 1
    print(f"{args.action}: {args.name.lower()} done.")
    return 0


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """A wrong argument is one sentence (and `--help` for the rest), exit code 2."""
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help).\n")


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)   # `... | head` ends quietly
    parser = _Parser(prog="python -m intel", description="Sightline's command line.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="write the demo CSVs (when missing) and load them")
    p.add_argument("--if-empty", action="store_true", help="only when the store holds no import")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("import", help="import CRM or market CSV files")
    p.add_argument("paths", nargs="+")
    p.add_argument("--kind", choices=list(KINDS), help="take the file as this kind (skips detection)")
    p.add_argument("--force", action="store_true",
                   help="load even when the kind is unsure or most rows would be rejected")
    p.add_argument("--as-of", help="snapshot date of an opportunities export (YYYY-MM-DD)")
    p.add_argument("--again", action="store_true", help="load a file even if it was imported before")
    p.add_argument("--json", action="store_true", help="one JSON object per file")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("imports", help="list the import history")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_imports)

    p = sub.add_parser("undo", help="undo an import (its rows are removed, the record stays)")
    p.add_argument("id", type=int)
    p.set_defaults(func=cmd_undo)

    _metric_parsers(sub)

    p = sub.add_parser("notes", help="strategy notes (SWOT / PESTEL)")
    p.add_argument("action", choices=["list"])
    p.add_argument("--scope", help="company, or kind:value such as region:EMEA or competitor:Fabrikam")
    p.add_argument("--format", choices=["csv", "json", "md"], default="csv")
    p.set_defaults(func=cmd_notes)

    p = sub.add_parser("report", help="write the QBR pack: one self-contained HTML file (or a PDF when --out "
                                      "ends in .pdf)")
    p.add_argument("--period", required=True, help="2026-Q3 or 2026-09")
    p.add_argument("--out", required=True)
    for dim in ("region", "segment", "owner", "product"):
        p.add_argument(f"--{dim}", action="append", default=[], help=f"scope: this {dim} only (repeatable)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("alerts", help="evaluate the alert rules and print the open alerts "
                                      "(exit 1 when some are open: usable from cron)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=cmd_alerts)

    p = sub.add_parser("users", help="users for sign-in mode password (roles for oidc users too)")
    p.add_argument("action", choices=["list", "add", "role", "password", "unlock", "disable", "enable"])
    p.add_argument("name", nargs="?", help="user name (an e-mail address for single sign-on users)")
    p.add_argument("--role", choices=ROLES, help="add: the new user's role (default viewer); role: required")
    p.add_argument("--sso", action="store_true", help="add: no password, single sign-on (oidc) only")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=cmd_users)

    args = parser.parse_args(argv)
    # the command holds the store until it ends; while the app (or another command) has it, wait
    store.linger = None
    store.on_wait = lambda text: print(text, file=sys.stderr)
    try:
        return args.func(args)
    except store.StoreBusy as busy:
        print(busy, file=sys.stderr)
        return 2
    except CommandError as err:
        print(err, file=sys.stderr)
        return 2
    except Exception as err:   # noqa: BLE001 - one sentence, never a traceback
        first_line = (str(err).strip().splitlines() or [type(err).__name__])[0]
        print(f"python -m intel {args.command} failed: {first_line}", file=sys.stderr)
        return 2
    finally:
        store.close_all()


if __name__ == "__main__":
    sys.exit(main())
