"""Shared fixtures: a DuckDB file per test, the demo store, the app served for the browser."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
ARTIFACTS = ROOT / "tests" / "artifacts"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# the app's background landing warm-up is tested on its own (tests/intel/test_landing.py); elsewhere a
# projection started behind every AppTest run would only slow the suite and outlive its store
os.environ.setdefault("SIGHTLINE_WARM_UP", "off")

from intel import store  # noqa: E402
from intel.access import LOCAL_ADMIN as ADMIN  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def apptest_runs_app_py():
    """AppTest forgets before every run that st.navigation turned multipage v1 off, and then runs a
    page file alone when the last page's hash matches one under pages/ (skipping app.py: no
    sign-in, no filter bar). A server remembers it for the process; make AppTest do the same."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.runtime.scriptrunner import script_runner

    class NavigationOnly(PagesManager):
        uses_pages_directory = False

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(script_runner, "PagesManager", NavigationOnly)
        yield


@pytest.fixture(scope="session", autouse=True)
def apptest_sees_exceptions_in_full():
    """AppTest runs pages in this process: show it every exception in full (.streamlit/config.toml
    hides them from visitors, and app.py then draws a sentence instead). Served apps keep the file's."""
    from streamlit import config

    config.set_option("client.showErrorDetails", "full")
    yield


def close_stores() -> None:
    """Close every store, once the work left running in the background (an upload's alert check, a
    warm-up) is done: closing a connection a thread is using would crash the process."""
    from intel import background

    background.wait(120)
    store.close_all()


@pytest.fixture
def db(tmp_path, monkeypatch):
    """A fresh store file for this test (SIGHTLINE_DB points at it)."""
    path = tmp_path / "sightline.duckdb"
    monkeypatch.setenv("SIGHTLINE_DB", str(path))
    yield path
    close_stores()


def rows(sql: str, params: dict | None = None, db_path=None) -> list[tuple]:
    cur = store.cursor(db_path)
    try:
        return cur.execute(sql, params or {}).fetchall()
    finally:
        cur.close()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    """A store holding the demo data, loaded once through the import path (read-only for tests)."""
    from intel.demo import load_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    results = load_demo(db=path, by=ADMIN)
    assert all(r.status == "loaded" for r in results), [r.message for r in results if not r.ok]
    close_stores()
    return path


@pytest.fixture
def use_demo_db(demo_db, tmp_path, monkeypatch):
    """A private copy of the demo store for a test that may write to it."""
    path = tmp_path / "demo-copy.duckdb"
    close_stores()   # a closed store file is a complete one
    shutil.copy(demo_db, path)
    monkeypatch.setenv("SIGHTLINE_DB", str(path))
    yield path
    close_stores()


# ---- browser tests: the real app in headless Debian chromium ----

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed (make test installs it where apt works)")
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--no-first-run", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync"]}


def serve_app(path: Path, **env: str):
    """`streamlit run app.py` on a free port over the store at `path` (with extra SIGHTLINE_*
    settings); yields its URL, stops it afterwards."""
    close_stores()
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, "SIGHTLINE_DB": str(path), **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        raise RuntimeError("the app did not start: " + proc.stdout.read().decode(errors="replace"))
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def app_server(tmp_path_factory, demo_db):
    """The app (sign-in mode none) on a private copy of the demo store."""
    path = tmp_path_factory.mktemp("app") / "app.duckdb"
    close_stores()
    shutil.copy(demo_db, path)
    yield from serve_app(path)


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Streamlit scrolls inside its own container, so a tall window is what makes a full screenshot.
    return {**browser_context_args, "viewport": {"width": 1400, "height": 2600}}
