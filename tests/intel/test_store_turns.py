"""The app and the command line share one store file: they take turns, nobody gets a traceback,
and the app shows what the command line imported on its next run. The file is private."""
from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import pytest

from intel import store
from tests.conftest import FIXTURES, ROOT, serve_app


def cli(db, *args, **env):
    return subprocess.Popen([sys.executable, "-m", "intel", *map(str, args)], cwd=ROOT,
                            env={**os.environ, "SIGHTLINE_DB": str(db), **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@contextmanager
def holder(db, seconds: float):
    """Another process that opens the store and keeps it for `seconds`."""
    code = (f"from intel import store; store.connect({str(db)!r}); print('held', flush=True); "
            f"import time; time.sleep({seconds})")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


def test_the_store_and_its_wal_are_readable_by_their_owner_only(db):
    store.connect()                              # creates the file
    cur = store.cursor()
    cur.execute("CREATE TABLE scratch (i INTEGER)")
    cur.execute("INSERT INTO scratch VALUES (1)")   # a write outside transaction(): the WAL begins
    cur.close()
    with store.transaction() as tx:
        tx.execute("INSERT INTO scratch VALUES (2)")
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(str(db) + ".wal").st_mode) == 0o600


def test_an_older_world_readable_store_is_made_private_when_opened(db):
    store.connect()
    store.close_all()
    os.chmod(db, 0o644)
    store.cursor().close()
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600


def test_the_app_lets_go_of_the_file_when_idle_and_a_command_gets_in(db, monkeypatch):
    monkeypatch.setattr(store, "linger", 0.3)
    store.data_version()                         # this process (the "app") read the store
    assert store.is_open()
    deadline = time.monotonic() + 10             # linger 0.3 s: the idle app lets go by itself
    while store.is_open() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not store.is_open()
    done = cli(db, "imports").communicate(timeout=60)
    assert done[1] == ""                         # so the command needed no wait


def test_a_command_waits_for_a_busy_store_then_runs(db):
    store.connect()
    store.close_all()
    with holder(db, 1.5):
        started = time.monotonic()
        out, err = cli(db, "users", "list").communicate(timeout=60)
    assert out.startswith("username,")
    assert err.startswith("The store is in use by another program (process ")
    assert "Traceback" not in err and time.monotonic() - started >= 1


def test_a_command_gives_up_after_the_wait_with_a_sentence_and_exit_2(db):
    store.connect()
    store.close_all()
    with holder(db, 30) as other:
        proc = cli(db, "import", FIXTURES / "winloss_small.csv", SIGHTLINE_STORE_WAIT="1")
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and out == ""
    assert err.strip().splitlines()[-1] == (
        f"The store {db.resolve()} is in use by another program (process {other.pid}) and was not free "
        "after 1 s (SIGHTLINE_STORE_WAIT); try again when it is done.")


def test_the_app_says_the_store_is_busy_instead_of_a_traceback(db, monkeypatch):
    from streamlit.testing.v1 import AppTest

    store.connect()
    store.close_all()
    monkeypatch.setenv("SIGHTLINE_STORE_WAIT", "1")
    with holder(db, 30) as other:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.run()
    assert not at.exception
    assert [e.value.replace("\\", "") for e in at.error] == [   # shown literally (escaped markdown)
        f"The store {db.resolve()} is in use by another program (process {other.pid}) and was not free "
        "after 1 s (SIGHTLINE_STORE_WAIT); try again when it is done."]


# ---- the real server, a browser loading pages, the command line at the same time ----

def test_the_command_line_imports_and_checks_alerts_while_the_app_serves_pages(page, tmp_path):
    from playwright.sync_api import expect

    path = tmp_path / "live.duckdb"
    servers = [contextmanager(serve_app)(path), contextmanager(serve_app)(path)]   # two apps, one store
    first, second = (s.__enter__() for s in servers)
    try:
        page.goto(first)
        expect(page.get_by_text("No data is loaded yet")).to_be_visible(timeout=30_000)

        def while_running(proc) -> int:
            """Load the Overview again and again until the command ends; the loads it made."""
            loads = 0
            while proc.poll() is None:
                page.goto(first if loads % 2 == 0 else second)
                expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=60_000)
                expect(page.get_by_test_id("stException")).to_have_count(0)
                loads += 1
            return loads

        imported = cli(path, "import", FIXTURES / "winloss_small.csv", "--as-of", "2026-05-01")
        loads = while_running(imported)
        out, err = imported.communicate()
        assert imported.returncode == 0, err
        assert out.startswith("winloss_small.csv: opportunities (pipeline snapshot), 11 rows loaded, 0 rejected.")
        assert "Traceback" not in err and loads >= 1

        checked = cli(path, "alerts")
        loads = while_running(checked)
        out, err = checked.communicate()
        # 11 deals: every rule's sample (10 a period, or pushes across snapshots) is out of reach
        assert (checked.returncode, out.strip()) == (0, "No open alert."), err

        for url in (first, second):   # no restart: the next run shows what the command line loaded
            page.goto(url)
            expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=60_000)
            expect(page.get_by_text("No data is loaded yet")).to_have_count(0)
            page.get_by_text("What is loaded").click()
            expect(page.get_by_text("11 deals (latest snapshot of each) from 1 snapshots.")).to_be_visible()
            expect(page.get_by_test_id("stException")).to_have_count(0)
    finally:
        for s in servers:
            s.__exit__(None, None, None)
