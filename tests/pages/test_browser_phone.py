"""The app on a phone (iPhone 13's user agent and touch, 390×844): a shared link says whose numbers
it shows, KPI tiles sit two to a row, nothing is wider than the screen, Streamlit's developer
chrome is hidden."""
from __future__ import annotations

import re

import duckdb
import pytest
from playwright.sync_api import expect

from tests.pages.test_browser import create_share_link, no_exception, settled

PHONE = {"width": 390, "height": 844}
PAGES = ("", "forecast", "win-loss", "pipeline", "accounts", "strategy", "alerts", "data", "sharing")


@pytest.fixture
def phone(playwright, browser):
    device = {k: v for k, v in playwright.devices["iPhone 13"].items() if k != "default_browser_type"}
    context = browser.new_context(**{**device, "viewport": PHONE, "device_scale_factor": 1})
    yield context.new_page()
    context.close()


def _latest_snapshot(path) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        return str(con.execute("SELECT max(snapshot_date) FROM imports WHERE undone_at IS NULL").fetchone()[0])


def test_a_shared_emea_link_on_a_phone_names_its_scope_and_puts_tiles_two_to_a_row(
        browser, phone, app_server, demo_db, artifacts):
    url = create_share_link(browser, app_server + "/?region=EMEA")
    phone.goto(url)
    banner = phone.get_by_text("Shared view (read-only)")
    expect(banner).to_be_visible(timeout=30_000)
    expect(banner).to_contain_text("Region: EMEA")
    expect(banner).to_contain_text(f"data as of {_latest_snapshot(demo_db)}")
    tiles = phone.get_by_test_id("stMetric")
    expect(tiles.first).to_be_visible(timeout=30_000)
    first, second = tiles.nth(0).bounding_box(), tiles.nth(1).bounding_box()
    assert abs(first["y"] - second["y"]) < 2 and second["x"] > first["x"]   # side by side
    assert first["width"] < PHONE["width"] / 2
    settled(phone)
    no_exception(phone)
    height = phone.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    phone.set_viewport_size({"width": PHONE["width"], "height": height})
    phone.screenshot(path=artifacts / "shared-overview-emea-phone.png")


@pytest.mark.parametrize("path", PAGES)
def test_every_page_fits_a_phone_without_sideways_scrolling(phone, app_server, artifacts, path):
    phone.goto(f"{app_server}/{path}")
    expect(phone.get_by_role("heading").first).to_be_visible(timeout=30_000)
    settled(phone)
    phone.wait_for_timeout(1000)
    no_exception(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # tables and charts stack full width (side-by-side columns would leave them a sliver)
    widths = phone.evaluate("[...document.querySelectorAll('[data-testid=stDataFrame], .js-plotly-plot')]"
                            ".map(e => e.getBoundingClientRect().width)")
    assert all(w > 0.6 * PHONE["width"] for w in widths if w > 0), widths   # 0: folded; side by side: < 50%
    expect(phone.get_by_test_id("stAppDeployButton")).to_have_count(0)   # no developer chrome
    height = phone.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    phone.set_viewport_size({"width": PHONE["width"], "height": height})
    phone.screenshot(path=artifacts / f"phone-{path or 'overview'}.png")


def test_long_tables_are_folded_on_a_phone_and_open_on_a_tap(phone, app_server, demo_db):
    # the demo's latest snapshot has more open deals pushed, overdue or stale than a phone should scroll past
    with duckdb.connect(str(demo_db), read_only=True) as con:
        segments = con.execute("SELECT count(DISTINCT segment) FROM opportunities").fetchone()[0]
    phone.goto(f"{app_server}/pipeline")
    folded = phone.get_by_text(re.compile(r"^The table: [\d,]+ rows$"))
    expect(folded.first).to_be_visible(timeout=30_000)
    settled(phone)
    short = phone.get_by_test_id("stDataFrame").filter(has_text="Enterprise").first   # velocity by segment
    expect(short).to_be_visible()      # at most six rows: shown as it is
    assert segments <= 6
    expect(phone.get_by_text(f"The table: {segments} rows", exact=True)).to_have_count(0)
    fold = phone.get_by_test_id("stExpander").filter(has_text=re.compile(r"The table: [\d,]+ rows")).first
    expect(fold.get_by_test_id("stDataFrame")).to_be_hidden()
    fold.get_by_text(re.compile(r"^The table: [\d,]+ rows$")).click()
    expect(fold.get_by_test_id("stDataFrame")).to_be_visible()


def test_the_product_name_and_no_deploy_button_on_the_desktop(page, app_server):
    page.goto(app_server)
    expect(page.get_by_test_id("stSidebarHeader").locator("img")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stAppDeployButton")).to_have_count(0)
    page.get_by_test_id("stMainMenu").click()
    expect(page.get_by_text("Clear cache")).to_have_count(0)       # developer entries hidden
    expect(page.get_by_text("Rerun")).to_have_count(0)


def test_a_table_offers_only_our_formula_safe_downloads(page, app_server):
    # the grid's own download would write raw cells (no scope line, '=cmd' left live): it is off
    page.goto(app_server + "/forecast")
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid).to_be_visible(timeout=30_000)
    grid.hover()
    toolbar = page.get_by_test_id("stElementToolbar").first
    expect(toolbar.get_by_role("button", name="Search")).to_be_visible()
    expect(toolbar.get_by_role("button", name=re.compile("Download", re.IGNORECASE))).to_have_count(0)
    expect(page.get_by_role("button", name="Download CSV").first).to_be_visible()


def test_strategy_suggestions_fold_after_the_first_two_on_a_phone(phone, app_server):
    phone.goto(f"{app_server}/strategy")
    fold = phone.get_by_test_id("stExpander").filter(has_text=re.compile(r"\d+ more suggestions"))
    expect(fold).to_be_visible(timeout=30_000)
    settled(phone)
    more = int(re.search(r"(\d+) more suggestions", fold.text_content()).group(1))
    dismiss = phone.get_by_role("button", name="Dismiss")    # one per suggestion shown
    expect(dismiss).to_have_count(2)
    fold.get_by_text(re.compile(r"\d+ more suggestions")).click()
    expect(dismiss).to_have_count(2 + more)
