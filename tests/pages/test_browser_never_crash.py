"""In Chromium: no visitor ever sees a traceback (cold start, shared links, hostile data)."""
from __future__ import annotations

import contextlib
import re
import shutil

from playwright.sync_api import Page, expect

from tests.conftest import serve_app
from tests.pages.test_browser import create_share_link

# What a visitor must never read: Streamlit's exception box, or the text of a Python error.
TRACEBACK = re.compile(r"Traceback|Error:|ImportError|KeyError|File \"/|line \d+, in ")
NOT_DRAWN = "This page could not be drawn"


def assert_no_error_shown(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    body = page.locator("body").inner_text()
    assert not TRACEBACK.search(body), TRACEBACK.search(body).group(0)
    assert NOT_DRAWN not in body


def test_ten_first_visitors_at_once_after_a_start(browser, tmp_path, demo_db):
    store_copy = tmp_path / "cold.duckdb"
    shutil.copy(demo_db, store_copy)
    addresses = ["", "/forecast", "/win-loss", "/pipeline", "/alerts", "/strategy", "/data", "/accounts",
                 "/forecast", "/pipeline"]
    with contextlib.contextmanager(serve_app)(store_copy) as url:
        contexts = [browser.new_context(viewport={"width": 1000, "height": 1200}) for _ in addresses]
        pages = [c.new_page() for c in contexts]
        for page, path in zip(pages, addresses):   # all ten sessions start before any finishes
            page.goto(url + path, wait_until="commit")
        for page, path in zip(pages, addresses):
            expect(page.get_by_test_id("stSidebarNav")).to_be_visible(timeout=60_000)
            expect(page.get_by_role("heading", level=1).first).to_be_visible(timeout=60_000)
            expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=60_000)
            assert_no_error_shown(page)
        for c in contexts:
            c.close()


def test_a_shared_overview_link_opens_for_its_recipient(browser, app_server, artifacts):
    url = create_share_link(browser, app_server)
    for width, name in ((1400, "shared-overview.png"), (390, "shared-overview-phone.png")):
        fresh = browser.new_context(viewport={"width": width, "height": 2400})
        viewer = fresh.new_page()
        viewer.goto(url)
        expect(viewer.get_by_text("Shared view (read-only)")).to_be_visible(timeout=30_000)
        expect(viewer.get_by_role("heading", name="Overview")).to_be_visible()
        expect(viewer.get_by_test_id("stMetricValue").first).to_be_visible(timeout=30_000)
        expect(viewer.get_by_text(re.compile(r"Open alerts \(\d+\)"))).to_be_visible(timeout=30_000)
        expect(viewer.get_by_test_id("stSkeleton")).to_have_count(0, timeout=30_000)
        assert_no_error_shown(viewer)
        viewer.screenshot(path=artifacts / name, full_page=True)
        fresh.close()


def test_the_toolbar_offers_visitors_no_developer_menu(page: Page, app_server):
    page.goto(app_server)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Deploy")).to_have_count(0)


def links_to_evil(page: Page) -> list[str]:
    """Every live link to evil.example, in HTML or in a chart's SVG (xlink:href)."""
    return page.evaluate("""() => [...document.querySelectorAll('a')]
        .map(a => a.getAttribute('href') || a.getAttribute('xlink:href') || a.href?.baseVal || '')
        .filter(h => h.includes('evil'))""")


HOSTILE_PAGES = ["", "/forecast", "/win-loss", "/pipeline", "/accounts", "/strategy", "/alerts", "/data"]


def test_hostile_names_in_an_import_stay_text_on_every_page(browser, tmp_path, artifacts):
    from intel import store
    from intel.access import LOCAL_ADMIN
    from intel.ingest import import_file
    from tests.pages.test_pages_never_crash import hostile_export

    export = tmp_path / "crm-export-2026-07-01.csv"
    export.write_bytes(hostile_export())
    path = tmp_path / "hostile.duckdb"
    assert import_file(export, by=LOCAL_ADMIN, db=path, force=True).ok
    store.close_all()
    with contextlib.contextmanager(serve_app)(path) as url:
        for width in (1400, 390):
            context = browser.new_context(viewport={"width": width, "height": 2600})
            page = context.new_page()
            for address in HOSTILE_PAGES:
                page.goto(url + address)
                expect(page.get_by_role("heading", level=1).first).to_be_visible(timeout=30_000)
                expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=30_000)
                page.wait_for_timeout(500)   # the charts draw their SVG text after the run
                if address in ("/win-loss", "/pipeline"):   # pages whose charts carry the names
                    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=30_000)
                    svg_text = " ".join(page.locator(".js-plotly-plot").all_text_contents())
                    assert '<a href="https://evil.example">x</a>' in svg_text   # the name, shown as text
                assert links_to_evil(page) == [], address
                assert page.locator("[onerror]").count() == 0, address
                assert page.locator("script:has-text('alert(1)')").count() == 0, address
                assert page.locator("img[src='x']").count() == 0, address
                assert_no_error_shown(page)
                name = (address.strip("/") or "overview") + ("-phone" if width == 390 else "")
                page.screenshot(path=artifacts / f"hostile-{name}.png", full_page=True)
            context.close()
