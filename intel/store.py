"""The DuckDB store: one connection per process and file, a cursor per call, migrations.

DuckDB allows one process per file, and a connection object must not be shared across
threads ("connection is busy"), so callers get a fresh cursor from `cursor()` and wrap
writes in `transaction()`.
"""
from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import duckdb

from intel import config

MIGRATIONS = Path(__file__).parent / "migrations"
SQL = Path(__file__).parent / "sql"

_connections: dict[str, duckdb.DuckDBPyConnection] = {}
_versions: dict[str, str] = {}   # data_version per store, valid until bump()
_lock = threading.Lock()


def connect(path: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """The process's connection to the store at `path` (default: the SIGHTLINE_DB setting)."""
    key = _key(path)
    with _lock:
        con = _connections.get(key)
        if con is None:
            Path(key).parent.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(key)
            con.execute("SET memory_limit = $m", {"m": config.get("memory_limit")})
            migrate(con)
            con.execute("UPDATE settings SET value = $v WHERE name = 'reporting_currency' AND value <> $v",
                        {"v": config.get("reporting_currency")})
            _connections[key] = con
        return con


def close_all() -> None:
    """Close every connection this process holds (tests, and the CLI on exit)."""
    with _lock:
        _versions.clear()
        for con in _connections.values():
            con.close()
        _connections.clear()


def cursor(path: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    return connect(path).cursor()


@contextmanager
def transaction(path: str | Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A cursor inside BEGIN … COMMIT; any exception rolls everything back."""
    cur = cursor(path)
    cur.execute("BEGIN TRANSACTION")
    try:
        yield cur
        cur.execute("COMMIT")
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    finally:
        cur.close()


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply the numbered migrations not yet applied; return the schema version."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)"
    )
    done = {v for (v,) in con.execute("SELECT version FROM schema_version").fetchall()}
    for path in sorted(MIGRATIONS.glob("*.sql")):
        version = int(path.name.split("_", 1)[0])
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(path.read_text())
            con.execute("INSERT INTO schema_version VALUES ($v, now())", {"v": version})
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return con.execute("SELECT max(version) FROM schema_version").fetchone()[0]


def load_sql(name: str) -> str:
    """The text of intel/sql/<name>.sql (the one place metric SQL is read from)."""
    return (SQL / f"{name}.sql").read_text()


def query(name: str, params: dict[str, Any] | None = None, db: str | Path | None = None):
    """Run intel/sql/<name>.sql with bound parameters; return a pandas DataFrame.

    Only the parameters the file names ($name) are bound, so callers can pass a common set.
    """
    sql = load_sql(name)
    used = set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", sql))
    cur = cursor(db)
    try:
        return cur.execute(sql, {k: v for k, v in (params or {}).items() if k in used}).df()
    finally:
        cur.close()


def _key(path) -> str:
    return str(Path(path or config.db_path()).resolve())


def bump(path: str | Path | None = None) -> None:
    """Forget the cached data version after an import or undo (only this process writes the file)."""
    _versions.pop(_key(path), None)


def data_version(path: str | Path | None = None) -> str:
    """Changes whenever an import lands or is undone, or the reporting currency changes:
    the key for page caches and materialised models."""
    key = _key(path)
    if key in _versions:
        return _versions[key]
    cur = cursor(path)
    try:
        row = cur.execute(
            "SELECT count(*), coalesce(max(id), 0), count(undone_at), "
            "(SELECT value FROM settings WHERE name = 'reporting_currency') FROM imports"
        ).fetchone()
    finally:
        cur.close()
    _versions[key] = "-".join(str(v) for v in row)
    return _versions[key]
