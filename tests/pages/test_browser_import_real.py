"""A new user's first upload in headless Chromium: a CRM sample export as four related tables,
then the Win-loss page cut by what the lookups brought (region from the sales-teams sheet)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import FIXTURES, serve_app
from tests.pages.test_browser import no_exception, settled

CRM = ["crm_sales_pipeline.csv", "crm_sales_teams.csv", "crm_accounts.csv", "crm_products.csv"]


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory):
    yield from serve_app(tmp_path_factory.mktemp("real") / "real.duckdb")


def test_related_tables_upload_join_and_cut_the_win_rate_by_region(page: Page, empty_server, artifacts):
    page.goto(empty_server + "/data")
    expect(page.get_by_role("heading", name="Upload exports")).to_be_visible(timeout=30_000)
    page.locator("input[type=file]").set_input_files([str(FIXTURES / "real" / n) for n in CRM])
    expect(page.get_by_text(re.compile(r"crm_sales_pipeline\.csv: opportunities .* 11 rows would load")))\
        .to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile(r"crm_sales_teams\.csv: owners and sales teams, 10 rows would load")))\
        .to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Import 4 files").click()
    # the teams file is imported after the deals: its note says what joined
    expect(page.get_by_text(re.compile(r"10 people → manager, region; 11 of 11 deals matched by owner")))\
        .to_be_visible(timeout=60_000)
    no_exception(page)
    page.screenshot(path=artifacts / "data-related-tables.png", full_page=True)

    page.goto(empty_server + "/win-loss?by=region&from=2016-01-01&to=2017-12-31")
    settled(page)
    expect(page.get_by_role("heading", name="By region")).to_be_visible(timeout=30_000)
    table = page.get_by_test_id("stDataFrame").first
    for region in ("Central", "East", "West"):
        expect(table).to_contain_text(region, timeout=10_000)
    no_exception(page)
    page.screenshot(path=artifacts / "win-loss-by-joined-region.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 2400})
    settled(page)
    no_exception(page)
    page.screenshot(path=artifacts / "win-loss-by-joined-region-phone.png", full_page=True)
