"""Benchmark: every review page at 1M deals, as a user waits for it, in headless Chromium.

The store: two weekly snapshots of 1,000,000 Salesforce-shaped opportunities (bench_pipeline's
bench-pipeline.duckdb) plus 200,000 target/forecast rows (bench_forecast's file), copied to
bench/bench-pages.duckdb. Each run first puts it as an import leaves it: what earlier runs kept is
dropped and the import's alert check run again (it keeps the landing overall and per region). The
app is started on it (`streamlit run app.py`, sign-in mode none).

Timed from navigation (or a filter click) until the page is settled: Streamlit's running
indicator gone, no skeleton or stale element left, every Plotly chart drawn, and that state held
for 300 ms (not counted). For each page: cold (first visit on a freshly started server), warm
(a new tab of a browser that opened the app before, the server's caches filled; best and worst of
three), new browser (the same in a new browser profile, nothing cached: Streamlit's and Plotly's
JavaScript downloaded, parsed and compiled again, about a second here), in app (the page's sidebar link clicked in a
tab already open, as a reviewer moves through the review; worst of three) and a filter change
(Region narrowed to one member in the sidebar; on the Forecast page also Segment, a new scope
whose landing is projected on the click). Then ten sessions at once on a freshly started server
(ten tabs of one Chromium, each opening the Overview and then Forecast, Win-loss and Pipeline
from the sidebar, as reviewers do): errors, p50 and p95. Server memory is the
peak resident size of the app's process (VmHWM) over the whole run.

Goals (issue 18): settled < 2.0 s warm, < 4 s cold, filter change < 1.5 s; ten sessions 0
errors and p95 < 5 s; server memory < 800 MB.

`python bench/bench_pages.py [page ...]` times only those pages (e.g. `alerts`); `sessions` only
the ten sessions.
"""
from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
STORE = ROOT / "bench" / "bench-pages.duckdb"
SOURCE = ROOT / "bench" / "bench-pipeline.duckdb"
CALLS = ROOT / "bench" / "forecast-calls-200k.csv"
CHROMIUM = "/usr/bin/chromium"

# path, the heading that says the page is there
PAGES = {
    "overview": ("/", "Overview"),
    "forecast": ("/forecast", "Forecast vs actual"),
    "win-loss": ("/win-loss", "Win-loss"),
    "pipeline": ("/pipeline", "Pipeline"),
    "accounts": ("/accounts", "Accounts"),
    "strategy": ("/strategy", "Strategy notes"),
    "alerts": ("/alerts", "Alerts"),
}
FILTERED = {"overview", "forecast", "win-loss", "pipeline", "accounts"}
# a scope the import's check did not keep (it keeps the landing per region): projected on the click
NEW_SCOPE = {"forecast": "Segment"}
REVIEW = ["overview", "forecast", "win-loss", "pipeline"]
GOALS = {"cold": 4.0, "warm": 2.0, "filter": 1.5, "p95": 5.0, "memory_mb": 800}

SETTLED = """() => {
  const q = s => document.querySelectorAll(s);
  if (q('[data-testid="stStatusWidget"]').length) return false;
  if (q('[data-testid="stSkeleton"]').length) return false;
  if (q('[data-stale="true"]').length) return false;
  if (!q('[data-testid="stMain"] h1').length) return false;
  for (const c of q('[data-testid="stPlotlyChart"]')) if (!c.querySelector('.main-svg')) return false;
  return true;
}"""


def ensure_store() -> None:
    """bench-pipeline.duckdb (two 1M snapshots) plus the 200k forecast calls, built once."""
    if STORE.exists():
        return
    if not SOURCE.exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "bench_pipeline.py")], cwd=ROOT, check=True)
    if not CALLS.exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "bench_forecast.py")], cwd=ROOT, check=True)
    start = time.perf_counter()
    shutil.copy(SOURCE, STORE)
    os.environ["SIGHTLINE_DB"] = str(STORE)
    from intel import models, store
    from intel.access import LOCAL_ADMIN as ADMIN
    from intel.ingest import import_file

    from intel.alerts import check_after_change

    result = import_file(CALLS, by=ADMIN, db=STORE)
    assert result.status == "loaded", result.message
    models.refresh(STORE, force=True)
    assert not check_after_change(STORE, by=ADMIN)   # as every import path does (CLI, Data page, demo)
    store.close_all()
    print(f"(built {STORE.name} in {time.perf_counter() - start:.1f} s)", flush=True)


def as_after_an_import() -> None:
    """The store as an import leaves it: what earlier runs kept (landings, account proposals,
    training) dropped, then the import's own check run, which keeps what it keeps. Without this a
    second run's cold visits, and its new scopes, read what the first run's visits worked out."""
    os.environ["SIGHTLINE_DB"] = str(STORE)
    from intel import models, store
    from intel.access import LOCAL_ADMIN as ADMIN
    from intel.alerts import check_after_change

    start = time.perf_counter()
    cur = store.cursor(STORE)
    try:
        for table in ("kept_frames", "landing_training", "landing_training_points"):
            cur.execute(f"DELETE FROM {table}")   # this module's constants
    finally:
        cur.close()
    models.refresh(STORE, force=True)
    assert not check_after_change(STORE, by=ADMIN)
    store.close_all()
    print(f"(kept results dropped and the import's check run again: {time.perf_counter() - start:.1f} s)",
          flush=True)


class Server:
    """`streamlit run app.py` on the bench store; its peak memory read from /proc."""

    def __init__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(self.port),
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env={**os.environ, "SIGHTLINE_DB": str(STORE)},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(self.url + "/_stcore/health", timeout=1).read() == b"ok":
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("the app did not start")

    def peak_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_seconds(self) -> float:
        """CPU time the server has used (user + system): against the wall time and the cores, how
        much of a slow load was the server's and how much the browsers'."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)


def settle(page, timeout: float = 120.0) -> float:
    """Seconds until the page is settled (held 300 ms, not counted); raises on timeout."""
    start = time.perf_counter()
    first = None
    while time.perf_counter() - start < timeout:
        if page.evaluate(SETTLED):
            first = first or time.perf_counter()
            if time.perf_counter() - first >= 0.3:
                return first - start
        else:
            first = None
        page.wait_for_timeout(25)
    raise TimeoutError("the page did not settle")


def errors_on(page) -> int:
    return page.locator('[data-testid="stException"]').count()


def visit(browser, url: str, path: str) -> tuple[float, int]:
    """A new tab of a new browser profile (nothing cached: Streamlit's and Plotly's JavaScript
    downloaded, parsed and compiled again)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    seconds, errors = visit_in(context, url, path)
    context.close()
    return seconds, errors


def visit_in(context, url: str, path: str) -> tuple[float, int]:
    """A new tab of `context`: a returning user's browser when the context has opened the app
    before (its HTTP cache, and the compiled JavaScript Chromium keeps beside it, are shared)."""
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url + path)
    page.wait_for_timeout(50)
    seconds = (time.perf_counter() - start) + settle(page)
    errors = errors_on(page)
    page.close()
    return seconds, errors


def switch_to(browser, url: str, name: str) -> list[float]:
    """In one tab, as a reviewer moves through the review: Overview first, then the page's link in
    the sidebar clicked (Streamlit's JavaScript, Plotly's included, already loaded); three times."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(url + "/")
    settle(page)
    heading = PAGES[name][1]
    other = "Pipeline" if name != "pipeline" else "Win-loss"
    times = []
    for _ in range(3):
        nav = page.get_by_test_id("stSidebarNav")
        nav.get_by_role("link", name=other, exact=True).click()
        page.locator('[data-testid="stMain"] h1', has_text=other).first.wait_for(timeout=120_000)
        settle(page)
        start = time.perf_counter()
        nav.get_by_role("link", name=heading, exact=True).click()
        page.locator('[data-testid="stMain"] h1', has_text=heading).first.wait_for(timeout=120_000)
        times.append(time.perf_counter() - start + settle(page))
    context.close()
    return times


def filter_change(browser, url: str, path: str, dimension: str = "Region") -> float:
    """`dimension` narrowed to its first member in the sidebar, on a warm page."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.goto(url + path)
    settle(page)
    box = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text=dimension)
    box.locator("input").click()
    page.get_by_role("option").first.wait_for()
    option = page.get_by_role("option").filter(has_not_text="Select all").first
    start = time.perf_counter()
    option.click()
    page.wait_for_timeout(50)
    seconds = (time.perf_counter() - start) + settle(page)
    context.close()
    return seconds


def single_pages(browser, names: list[str]) -> dict:
    server = Server()
    rows = {}
    try:
        for name in names:   # cold: each page's first visit on this server
            rows[name] = {"cold": visit(browser, server.url, PAGES[name][0])[0]}
        returning = browser.new_context(viewport={"width": 1440, "height": 900})
        for path in ["/"] + [PAGES[name][0] for name in names]:   # the user has opened the app before
            visit_in(returning, server.url, path)
        for name in names:
            warm = [visit(browser, server.url, PAGES[name][0]) for _ in range(3)]
            again = [visit_in(returning, server.url, PAGES[name][0]) for _ in range(3)]
            rows[name]["warm"] = [s for s, _ in again]
            rows[name]["fresh"] = [s for s, _ in warm]
            rows[name]["errors"] = sum(e for _, e in warm + again)
            rows[name]["switch"] = switch_to(browser, server.url, name)
            if name in FILTERED:
                rows[name]["filter"] = filter_change(browser, server.url, PAGES[name][0])
            if name in NEW_SCOPE:
                rows[name]["new scope"] = filter_change(browser, server.url, PAGES[name][0], NEW_SCOPE[name])
        returning.close()
        rows["_memory"] = server.peak_mb()
    finally:
        server.stop()
    return rows


async def _settle_async(page, timeout: float = 120.0) -> float:
    start = time.perf_counter()
    first = None
    while time.perf_counter() - start < timeout:
        if await page.evaluate(SETTLED):
            first = first or time.perf_counter()
            if time.perf_counter() - first >= 0.3:
                return first - start
        else:
            first = None
        await page.wait_for_timeout(25)
    raise TimeoutError("the page did not settle")


def concurrent_sessions(sessions: int = 10) -> dict:
    """Ten sessions at once on a freshly started server, as ten reviewers do: each its own tab (a
    browser context of one Chromium), opening the Overview, then Forecast, Win-loss and Pipeline
    from the sidebar; each page timed until settled."""
    import asyncio

    from playwright.async_api import async_playwright

    server = Server()
    times, failures = [], []
    errors = 0

    async def one(browser, n: int) -> None:
        nonlocal errors
        context = await browser.new_context(viewport={"width": 1440, "height": 900})
        page = await context.new_page()
        try:
            for i, name in enumerate(REVIEW):
                heading = PAGES[name][1]
                try:
                    start = time.perf_counter()
                    if i == 0:
                        await page.goto(server.url + PAGES[name][0])
                    else:
                        await page.get_by_test_id("stSidebarNav").get_by_role("link", name=heading,
                                                                             exact=True).click()
                    await page.locator('[data-testid="stMain"] h1', has_text=heading).first.wait_for(
                        timeout=120_000)
                    times.append((name, time.perf_counter() - start + await _settle_async(page)))
                    errors += await page.locator('[data-testid="stException"]').count()
                except Exception as exc:   # a page that never settles counts as a failure
                    failures.append(f"session {n} {name}: {exc}")
        finally:
            await context.close()

    async def all_sessions() -> float:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM)
            start = time.perf_counter()
            await asyncio.gather(*(one(browser, n) for n in range(sessions)))
            wall = time.perf_counter() - start
            await browser.close()
            return wall

    try:
        before = server.cpu_seconds()
        wall = asyncio.run(all_sessions())
        memory, cpu = server.peak_mb(), server.cpu_seconds() - before
    finally:
        server.stop()
    ordered = sorted(seconds for _, seconds in times)
    p95 = ordered[max(0, int(round(0.95 * len(ordered))) - 1)] if ordered else float("nan")
    worst = {name: max(seconds for n, seconds in times if n == name) for name in REVIEW if any(n == name for n, _ in times)}
    return {"loads": len(times), "errors": errors, "failures": failures, "p50": statistics.median(ordered)
            if ordered else float("nan"), "p95": p95, "max": max(ordered, default=float("nan")), "wall": wall,
            "memory": memory, "worst": worst, "cpu": cpu}


def report_pages(names: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        rows = single_pages(browser, names)
        browser.close()
    memory = rows.pop("_memory")
    print("\nPages settled in headless Chromium, 1440x900, two 1M-deal snapshots + 200k forecast rows")
    print("(cold: first visit on a fresh server, new tab of a new browser; warm: a new tab of a browser that"
          "\n opened the app before, best and worst of 3; new browser: a new tab of a new browser profile,"
          "\n nothing cached, best and worst of 3; in app: the page's sidebar link clicked in an open tab,"
          "\n worst of 3; filter: Region narrowed; new scope: Segment narrowed, whose landing no check kept)")
    print(f"{'page':<10} {'cold':>6} {'warm best':>10} {'warm worst':>11} {'new browser':>12} {'in app':>7} "
          f"{'filter':>7} {'new scope':>10} {'errors':>7}")
    for name, r in rows.items():
        filt = f"{r['filter']:.2f}" if "filter" in r else "–"
        scope = f"{r['new scope']:.2f}" if "new scope" in r else "–"
        fresh = f"{min(r['fresh']):.2f}–{max(r['fresh']):.2f}"
        print(f"{name:<10} {r['cold']:>6.2f} {min(r['warm']):>10.2f} {max(r['warm']):>11.2f} {fresh:>12} "
              f"{max(r['switch']):>7.2f} {filt:>7} {scope:>10} {r['errors']:>7}")
    print(f"goal       {'<' + str(GOALS['cold']):>6} {'<' + str(GOALS['warm']):>10} {'':>11} {'':>12} "
          f"{'<' + str(GOALS['warm']):>7} {'<' + str(GOALS['filter']):>7} {'<' + str(GOALS['filter']):>10} {'0':>7}")
    print(f"server peak memory (one session after another): {memory:.0f} MB")


def main(names: list[str]) -> None:
    ensure_store()
    as_after_an_import()
    sessions_only = names == ["sessions"]
    if not sessions_only:
        report_pages(names)
    if sessions_only or set(REVIEW) <= set(names):
        c = concurrent_sessions()
        print(f"\nTen sessions (tabs of one Chromium) at once on a fresh server, the four review pages each "
              f"(Overview opened, the others from the sidebar): {c['loads']} loads, "
              f"{c['errors']} page errors, {len(c['failures'])} failures; p50 {c['p50']:.2f} s, "
              f"p95 {c['p95']:.2f} s (goal < {GOALS['p95']} s), max {c['max']:.2f} s, all done in "
              f"{c['wall']:.1f} s; server peak memory {c['memory']:.0f} MB (goal < {GOALS['memory_mb']} MB); "
              f"server CPU {c['cpu']:.1f} s of the {c['wall'] * (os.cpu_count() or 1):.0f} core-seconds "
              f"the run took on {os.cpu_count()} cores (the rest: the browsers)")
        print("   slowest per page: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in c["worst"].items()))
        for failure in c["failures"][:5]:
            print("  ", failure)


if __name__ == "__main__":
    main(sys.argv[1:] or list(PAGES))
