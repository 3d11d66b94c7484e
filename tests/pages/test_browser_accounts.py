"""The Accounts page in headless Chromium: the table with its bookings bars and the Plotly charts
draw, a manager overrides a stance through the form and the table and history show it;
screenshots at 1440x900 and 390x844 (tests/artifacts/accounts-1440.png, accounts-390.png)."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from intel import accounts
from intel.filters import Filters, default_range
from tests.pages.test_browser_strategy import full_page, settled

WIDE, PHONE = {"width": 1440, "height": 900}, {"width": 390, "height": 844}


def plotly_titles(page: Page) -> list[str]:
    return [t.strip() for t in page.locator(".js-plotly-plot .gtitle").all_text_contents()]


def test_the_table_and_charts_draw_and_a_manager_overrides_a_stance(browser, app_server, demo_db, artifacts):
    frame = accounts.account_stance(Filters(*default_range(demo_db)), demo_db)
    account = frame[frame["stance"] == "maintain"]["account"].iloc[0]   # the app's copy: same accounts

    page = browser.new_page(viewport=WIDE)
    page.goto(f"{app_server}/accounts?ac_account={account.replace(' ', '+')}")
    expect(page.get_by_role("heading", name="Accounts to attack, defend or fire")).to_be_visible(timeout=30_000)
    settled(page)
    grid = page.get_by_test_id("stDataFrame").first
    expect(grid).to_be_visible()
    expect(grid.locator("canvas").first).to_be_visible()   # the grid draws on a canvas
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=30_000)
    page.wait_for_timeout(500)   # the charts write their SVG text after the run
    titles = plotly_titles(page)
    assert "Bookings by quarter" in titles and "Win rate by discount band (label: win rate · average won deal)" \
        in titles, titles
    # the one-account chart holds the eight quarters to the data's last day
    bars = page.locator(".js-plotly-plot").filter(has_text="Bookings by quarter").locator(".point")
    assert bars.count() == 8

    # the manager overrides the proposal, with a reason
    form = page.get_by_test_id("stForm")
    expect(form).to_contain_text(f"Decide on {account}")
    form.get_by_text("Attack", exact=True).click()
    form.get_by_label("Reason").fill("New CIO wants to consolidate vendors")
    form.get_by_role("button", name="Save decision").click()
    expect(page.get_by_text(f"{account}: Attack saved as decision version 1.")).to_be_visible(timeout=30_000)
    settled(page)
    main = page.get_by_test_id("stMain")
    expect(main.get_by_text(re.compile(r"^Stance: Attack"))).to_be_visible()
    expect(main.get_by_text("overriding the proposal (Maintain): New CIO wants to consolidate vendors",
                            exact=False)).to_be_visible()
    history = page.get_by_test_id("stDataFrame").filter(has_text="Decision")   # its header names it
    expect(history).to_have_count(1)
    expect(page.get_by_test_id("stMetric").filter(has_text="Overridden")).to_contain_text("1")
    full_page(page, artifacts / "accounts-1440.png")

    # a row picked in the table opens that account below (the second row: the first is opened already)
    page.set_viewport_size(WIDE)
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 35 + 17)   # header, first row, then the second row's box
    second = frame["account"].iloc[1]
    expect(page.get_by_role("combobox", name="Account")).to_have_value(second, timeout=30_000)
    expect(page.get_by_test_id("stForm")).to_contain_text(f"Decide on {second}")
    page.close()


def test_the_page_on_a_phone(playwright, browser, app_server, artifacts):
    device = {k: v for k, v in playwright.devices["iPhone 13"].items() if k != "default_browser_type"}
    context = browser.new_context(**{**device, "viewport": PHONE, "device_scale_factor": 1})
    page = context.new_page()
    page.goto(f"{app_server}/accounts")
    expect(page.get_by_role("heading", name="Discount governance")).to_be_visible(timeout=30_000)
    settled(page)
    expect(page.get_by_text(re.compile(r"^The table: [\d,]+ rows$")).first).to_be_visible()   # folded
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    full_page(page, artifacts / "accounts-390.png")
    context.close()
