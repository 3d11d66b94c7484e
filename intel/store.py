"""The DuckDB store: a connection per process and file, held only while in use; a cursor per
call; transactions with a bounded retry on write conflicts; migrations.

DuckDB lets one process at a time open a file, and a connection object must not be shared
across threads ("connection is busy"), so callers get a fresh cursor from `cursor()` and wrap
writes in `transaction()` (or `write()`, which retries a conflict). The app and the command
line share the file by taking turns: the connection is reference-counted (every cursor holds
it), closed `linger` seconds after the last cursor is closed, and opened again on the next
use, waiting up to `store_wait` seconds while another process holds the file.
"""
from __future__ import annotations

import atexit
import hashlib
import logging
import os
import random
import re
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import duckdb

from intel import config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
SQL = Path(__file__).parent / "sql"
MACROS = SQL / "macros"
# The shared SQL macros (intel/sql/macros/<name>.sql), created in this order: DuckDB binds a macro
# when it is created, so each file may use the tables and the macros of the files before it.
MACRO_FILES = ("periods", "scope", "deals", "winloss", "forecast", "pipeline")
# Macros older migrations created that no current macro replaces by name (both became
# deal_member): dropped, so a store made before holds what a new one holds.
RETIRED_MACROS = ("tf_member", "member_of")

# How long an idle connection stays open: the app keeps it through one script run's queries,
# then lets the command line in. None keeps it until close_all() (the command line itself).
linger: float | None = 1.0
# Told once, in words, when a connection has to wait for another process (the CLI: stderr).
on_wait: Callable[[str], None] | None = None
WAIT_STEP = 0.05         # seconds between two attempts on a locked file
WRITE_ATTEMPTS = 5       # a write that meets a concurrent one is tried this often


class StoreBusy(Exception):
    """Another process held the store file for longer than we wait; the message says so."""


class Conflict(ValueError):
    """A write kept meeting a concurrent write to the same rows; the message says to reload (a
    ValueError, so every form that shows a refusal shows this one too)."""


class _Held:
    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con, self.refs, self.pinned = con, 0, False
        self.idle_since: float | None = None   # when the last user let go (the closer reads it)


_held: dict[str, _Held] = {}
_lock = threading.RLock()
_umask_users = 0   # stretches currently running under the private umask (process-wide)
_saved_umask = 0o022


# ---- the file: private, opened in turns ----

@contextmanager
def _private_files() -> Iterator[None]:
    """Files DuckDB creates meanwhile (the store, its WAL) are readable by their owner only:
    they hold password hashes. The umask is process-wide, so it is counted across threads."""
    global _umask_users, _saved_umask
    with _lock:
        if _umask_users == 0:
            _saved_umask = os.umask(0o077)
        _umask_users += 1
    try:
        yield
    finally:
        with _lock:
            _umask_users -= 1
            if _umask_users == 0:
                os.umask(_saved_umask)


def _make_private(key: str) -> None:
    """chmod 600 the store and its WAL (a file made before this rule, or a WAL begun by a write
    outside transaction())."""
    for name in (key, key + ".wal"):
        try:
            if os.stat(name).st_mode & 0o077:
                os.chmod(name, 0o600)
        except FileNotFoundError:
            pass


def _locked(err: Exception) -> bool:
    return isinstance(err, duckdb.IOException) and "lock" in str(err).lower()


def _holder(err: Exception) -> str:
    found = re.search(r"PID (\d+)", str(err))
    return f"another program (process {found.group(1)})" if found else "another program"


def wait_seconds() -> float:
    return float(config.get("store_wait"))


def _open(key: str) -> duckdb.DuckDBPyConnection:
    Path(key).parent.mkdir(parents=True, exist_ok=True)
    with _private_files():
        con = duckdb.connect(key)
        try:
            con.execute("SET memory_limit = $m", {"m": config.get("memory_limit")})
            # freed query memory goes back to the system within seconds: without it DuckDB's allocator
            # kept what a million open deals' read had used (the server stayed 600 MB larger after it)
            con.execute("SET allocator_background_threads = true")
            migrate(con)
            con.execute("UPDATE settings SET value = $v WHERE name = 'reporting_currency' AND value <> $v",
                        {"v": config.get("reporting_currency")})
        except BaseException:
            con.close()
            raise
    _make_private(key)
    return con


def _marker(key: str) -> Path:
    return Path(key + ".waiting")


def _marked(key: str) -> tuple[int, float]:
    """(pid, when it began to wait) as the marker says; (0, 0.0) when there is none."""
    try:
        pid, _, since = _marker(key).read_text().strip().partition(" ")
        return int(pid or 0), float(since or 0)
    except (OSError, ValueError):
        return 0, 0.0


def _waiter(key: str) -> int | None:
    """The live process (not this one) that waits for the file, as its marker says; None."""
    pid, _ = _marked(key)
    if pid == os.getpid() or pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        _marker(key).unlink(missing_ok=True)   # a waiter that died: forget it
        return None
    except PermissionError:
        pass
    return pid


def _wait_mark(key: str, mine: bool, since: float = 0.0) -> None:
    """Say (in a file beside the store) that this process waits for it since `since`, or no
    longer does."""
    path = _marker(key)
    try:
        if mine:
            with _private_files():
                path.write_text(f"{os.getpid()} {since}")
        elif _marked(key)[0] == os.getpid():
            path.unlink(missing_ok=True)
    except OSError:
        pass


def _acquire(key: str, wait: float | None = None, told: Callable[[str], None] | None = None):
    """The open connection to `key`, one reference more; opened (waiting up to `wait` seconds
    for another process to let go of the file) when none is open. A process that waits leaves
    a marker; a holder that sees it closes as soon as it is idle, and a process about to open
    lets a waiter that came first go before it, so the app and the command line take turns."""
    wait = wait_seconds() if wait is None else wait
    deadline = time.monotonic() + wait
    since = time.time()   # when this process began to want the file (waiters go in this order)
    said = marked = False
    reason = "another program"
    try:
        while True:
            with _lock:
                held = _held.get(key)
                if held is not None and (held.refs > 0 or linger is None or _waiter(key) is None):
                    held.refs += 1
                    held.idle_since = None
                    return held.con
                if held is not None:      # idle here, and someone else waits: their turn
                    _close(key, held)
                    held = None
                waiter = _waiter(key)
                if waiter is None:
                    try:
                        held = _held[key] = _Held(_open(key))
                    except duckdb.IOException as err:
                        if not _locked(err):
                            raise
                        reason = _holder(err)
                    else:
                        held.refs += 1
                        return held.con
                else:
                    reason = f"another program (process {waiter})"
            if time.monotonic() >= deadline:
                raise StoreBusy(f"The store {key} is in use by {reason} and was not free after "
                                f"{wait:g} s (SIGHTLINE_STORE_WAIT); try again when it is done.")
            # the marker names the waiter that came first: one that came later (an app reloaded
            # again and again) does not keep the command line waiting behind it
            if waiter is None or _marked(key)[1] > since:
                if _marked(key)[0] != os.getpid():
                    _wait_mark(key, True, since)
                marked = True
            if not said and (told or on_wait):
                (told or on_wait)(f"The store is in use by {reason} (an import or a check from the command "
                                  f"line, or another app); waiting up to {wait:g} s for it…")
                said = True
            time.sleep(WAIT_STEP)
    finally:
        if marked:
            _wait_mark(key, False)


def _release(key: str) -> None:
    with _lock:
        held = _held.get(key)
        if held is None:
            return
        held.refs -= 1
        _make_private(key)
        if held.refs > 0 or held.pinned or linger is None:
            return
        if linger <= 0 or _waiter(key) is not None:    # someone waits for the file: let go now
            _close(key, held)
        else:
            held.idle_since = time.monotonic()
            _start_closer()


_closer: threading.Thread | None = None   # closes what stayed idle `linger` seconds


def _start_closer() -> None:
    # one thread while something is idle, not a timer per release: a page run lets go of the store
    # a hundred times, and starting a thread each time cost about a millisecond under load
    global _closer
    if _closer is None:
        _closer = threading.Thread(target=_close_idle, name="sightline-store-closer", daemon=True)
        _closer.start()


def _close_idle() -> None:
    global _closer
    while True:
        with _lock:
            now = time.monotonic()
            idle = [(key, held) for key, held in _held.items()
                    if held.refs == 0 and not held.pinned and held.idle_since is not None]
            for key, held in idle:
                if linger is not None and now - held.idle_since >= linger:
                    _close(key, held)
            waiting = [held.idle_since for key, held in idle if _held.get(key) is held]
            if not waiting or linger is None:
                _closer = None   # under the lock: the next release starts another
                return
            pause = max(0.01, min(waiting) + linger - now)
        time.sleep(pause)


def _close(key: str, held: _Held) -> None:
    """Close under the private umask (closing checkpoints into the file), and forget."""
    _held.pop(key, None)
    with _private_files():
        held.con.close()
    _make_private(key)


def connect(path: str | Path | None = None) -> duckdb.DuckDBPyConnection:
    """The connection to the store at `path` (default: the SIGHTLINE_DB setting), held by this
    process until close_all() (tests, and scripts that want the file for themselves)."""
    key = _key(path)
    con = _acquire(key)
    with _lock:
        _held[key].pinned = True
        _held[key].refs -= 1
    return con


def is_open(path: str | Path | None = None) -> bool:
    """Whether this process holds the store file right now."""
    with _lock:
        return _key(path) in _held


def close_all() -> None:
    """Close every connection this process holds (tests, and the CLI on exit)."""
    with _lock:
        for key, held in list(_held.items()):
            _close(key, held)


# at exit, before the interpreter tears down: an idle connection closed by the closer thread during the
# teardown aborted the process ("terminate called... exception not rethrown") after all work was done
def _close_at_exit() -> None:
    try:
        close_all()
    except duckdb.Error:   # a connection a daemon thread still uses: the process ends anyway
        pass


atexit.register(_close_at_exit)


@contextmanager
def hold(path: str | Path | None = None, wait: float | None = None,
         told: Callable[[str], None] | None = None) -> Iterator[None]:
    """Keep the store open for a stretch of work (a script run, a command), waiting up to
    `wait` seconds for it; `told` hears, once, that it had to wait. StoreBusy when it stays taken."""
    key = _key(path)
    _acquire(key, wait, told)
    try:
        yield
    finally:
        _release(key)


class Cursor:
    """A DuckDB cursor that holds the store open until closed (by close(), `with`, or when it
    is dropped)."""

    def __init__(self, key: str):
        self._key = key
        self._cur = None
        con = _acquire(key)
        try:
            self._cur = con.cursor()
        except BaseException:
            _release(key)
            raise

    def execute(self, *args, **kwargs) -> "Cursor":
        self._cur.execute(*args, **kwargs)
        return self

    # Results are read through the wrapper, so `cursor().execute(...).fetchone()` keeps the
    # cursor (and the store) open until the rows are read.
    def fetchone(self):
        return self._cur.fetchone()

    def fetchall(self):
        return self._cur.fetchall()

    def df(self):
        return self._cur.df()

    fetchdf = df

    def __getattr__(self, name: str):
        return getattr(self._cur, name)

    def close(self) -> None:
        cur, self._cur = self._cur, None
        if cur is not None:
            try:
                cur.close()
            finally:
                _release(self._key)

    def __enter__(self) -> "Cursor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        if getattr(self, "_cur", None) is not None:
            self.close()


def cursor(path: str | Path | None = None) -> Cursor:
    return Cursor(_key(path))


def _conflict(err: Exception) -> bool:
    """A write that met another one on the same rows (DuckDB's optimistic concurrency)."""
    text = str(err)
    return (isinstance(err, duckdb.TransactionException) and ("Conflict" in text or "constraint" in text)) \
        or (isinstance(err, duckdb.ConstraintException) and "Duplicate key" in text)


@contextmanager
def transaction(path: str | Path | None = None) -> Iterator[Cursor]:
    """A cursor inside BEGIN … COMMIT; any exception rolls everything back."""
    with _private_files(), cursor(path) as cur:
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur
            cur.execute("COMMIT")
        except BaseException:
            try:
                cur.execute("ROLLBACK")
            except duckdb.TransactionException:   # a failed COMMIT has rolled back already
                pass
            raise


def write(work: Callable[[Cursor], Any], path: str | Path | None = None,
          attempts: int = WRITE_ATTEMPTS) -> Any:
    """work(cur) in one transaction, run again (from a fresh read) when it meets a concurrent
    write to the same rows; Conflict, in words, when it keeps meeting them."""
    for attempt in range(attempts):
        try:
            with transaction(path) as cur:
                return work(cur)
        except (duckdb.TransactionException, duckdb.ConstraintException) as err:
            if not _conflict(err):
                raise
            time.sleep(random.uniform(0.005, 0.05) * (attempt + 1))
    raise Conflict("Someone else changed this at the same moment and your change could not be saved: "
                   "reload the page and try again.")


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply the numbered migrations not yet applied, then create the macros afresh; return the
    schema version."""
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
    create_macros(con)
    return con.execute("SELECT max(version) FROM schema_version").fetchone()[0]


def create_macros(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create the shared macros of intel/sql/macros/ (and the deals view over them), in
    MACRO_FILES order, in one transaction. Migrations hold tables only, so every store opened runs
    today's definitions, whenever it was made; analysts' own SQL sees them too. After the
    migrations: DuckDB binds a macro when it is created, so its tables must exist."""
    con.execute("BEGIN TRANSACTION")
    try:
        for name in MACRO_FILES:
            con.execute((MACROS / f"{name}.sql").read_text())
        for name in RETIRED_MACROS:
            con.execute(f"DROP MACRO IF EXISTS {name}")   # names are this module's constants
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def load_sql(name: str) -> str:
    """The text of intel/sql/<name>.sql (the one place metric SQL is read from)."""
    return (SQL / f"{name}.sql").read_text()


def query(name: str, params: dict[str, Any] | None = None, db: str | Path | None = None):
    """Run intel/sql/<name>.sql with bound parameters; return a pandas DataFrame.

    Only the parameters the file names ($name) are bound, so callers can pass a common set.
    """
    return query_sql(load_sql(name), params, db)


_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


def used_params(sql: str, params: dict[str, Any] | None) -> dict[str, Any]:
    """The parameters `sql` names ($name), out of a common set (DuckDB refuses unused ones); a name
    in a comment (a definition's header saying what $s_import is) is not a use."""
    used = set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", _COMMENTS.sub(" ", sql)))
    return {k: v for k, v in (params or {}).items() if k in used}


def query_sql(sql: str, params: dict[str, Any] | None = None, db: str | Path | None = None,
              relations: dict[str, Any] | None = None, via_arrow: bool = False):
    """Run SQL text with bound parameters (only those it names); return a pandas DataFrame.
    `relations` are frames the SQL reads by name, registered on this cursor only. `via_arrow`
    hands the rows over through Arrow: two to three times faster for hundreds of thousands of
    rows of text, and DATE columns arrive as dates (for results without DECIMAL columns, which
    would arrive as Decimal objects)."""
    cur = cursor(db)
    try:
        for name, frame in (relations or {}).items():
            cur.register(name, frame)
        if via_arrow:
            return cur.sql(sql, params=used_params(sql, params)).to_arrow_table().to_pandas()
        return cur.execute(sql, used_params(sql, params)).df()
    finally:
        cur.close()


def _key(path) -> str:
    return str(Path(path or config.db_path()).resolve())


def bump(path: str | Path | None = None) -> None:
    """Kept for callers: the data version is read from the store every time (another process
    may have imported), so there is nothing to forget."""


# ---- results kept per data version (migration 023) ----

def kept_key(*parts: Any) -> str:
    """A digest of what a kept result rests on (the data version among them)."""
    return hashlib.sha1(repr(parts).encode()).hexdigest()


def kept_frame(kind: str, key: str, path: str | Path | None = None):
    """The frame kept under (kind, key) by keep_frame, or None."""
    import pyarrow as pa

    cur = cursor(path)
    try:
        row = cur.execute("SELECT frame FROM kept_frames WHERE kind = $kind AND key = $key",
                          {"kind": kind, "key": key}).fetchone()
    finally:
        cur.close()
    return None if row is None else pa.ipc.open_stream(row[0]).read_all().to_pandas()


def keep_frame(kind: str, key: str, version: str, frame, path: str | Path | None = None) -> None:
    """Keep `frame` (worked out from data version `version`) under (kind, key), dropping what older
    data versions kept; whoever kept it first wins, and a store that cannot be written is only
    slower (the caller has its answer)."""
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    # zstd: a fifth of the bytes for text that repeats, written and read back in tens of ms
    with pa.ipc.new_stream(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="zstd")) as writer:
        writer.write_table(table)
    blob = sink.getvalue().to_pybytes()

    def work(cur) -> None:
        cur.execute("DELETE FROM kept_frames WHERE data_version <> $v", {"v": version})
        cur.execute("""INSERT INTO kept_frames VALUES ($kind, $key, $v, $f, now()::TIMESTAMP)
                       ON CONFLICT (kind, key) DO NOTHING""", {"kind": kind, "key": key, "v": version, "f": blob})

    try:
        write(work, path)
    except Exception:   # noqa: BLE001 - a cache: the result stands without it
        log.warning("%s not kept", kind, exc_info=True)


def kept(kind: str, parts: tuple, work: Callable[[], Any], path: str | Path | None = None):
    """The frame kept under `kind` for `parts` (what it rests on besides the data version), else
    work() worked out now and kept: a result read back by every later process and session until
    the data changes. An empty frame is not kept (nothing to save)."""
    version = data_version(path)
    key = kept_key(*parts, version)
    found = kept_frame(kind, key, path)
    if found is not None:
        return found
    frame = work()
    if len(frame):
        keep_frame(kind, key, version, frame, path)
    return frame


def kept_query(name: str, params: dict[str, Any] | None = None, path: str | Path | None = None):
    """query(name, params), kept per data version (kept): for what every first visit reads and takes
    a noticeable time on a million deals (the currency coverage, the loaded summary). The key holds
    the SQL text, so a changed query is not read from an older one's rows."""
    sql = load_sql(name)
    return kept(name, (sql, sorted((params or {}).items())), lambda: query_sql(sql, params, path), path)


def data_version(path: str | Path | None = None) -> str:
    """Changes whenever an import lands or is undone, or the reporting currency changes:
    the key for page caches and materialised models. Read from the store on every call (one
    small query), since the command line may have imported while the app was running."""
    cur = cursor(path)
    try:
        row = cur.execute(
            "SELECT count(*), coalesce(max(id), 0), count(undone_at), "
            "(SELECT value FROM settings WHERE name = 'reporting_currency'), "
            # when: another store copied over this path with as many imports is other data
            "epoch_us(max(imported_at)) FROM imports"
        ).fetchone()
    finally:
        cur.close()
    return "-".join(str(v) for v in row)
