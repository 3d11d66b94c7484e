"""The Forecast page's Landing section in headless Chromium: the distribution drawn at desktop and phone
size, a what-if played (a fragment rerun), the track record replayed when opened."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.pages.test_browser import no_exception, settled, whole_page

HEADING = "Landing: where the period will land"


@pytest.fixture(params=[(1440, 900), (390, 844)], ids=["desktop", "phone"])
def sized(request, playwright, browser):
    """A page at desktop size, or as an iPhone 13 (its user agent: the app draws its phone layout)."""
    width, height = request.param
    options = {"viewport": {"width": width, "height": height}}
    if width < 640:
        device = {k: v for k, v in playwright.devices["iPhone 13"].items() if k != "default_browser_type"}
        options = {**device, **options, "device_scale_factor": 1}
    context = browser.new_context(**options)
    yield context.new_page(), width
    context.close()


def distribution(page):
    return page.locator(".js-plotly-plot").filter(has_text="simulated outcomes")


def test_the_landing_section_draws_its_tiles_and_distribution(sized, app_server, artifacts):
    page, width = sized
    page.goto(app_server + "/forecast")
    expect(page.get_by_role("heading", name=HEADING)).to_be_visible(timeout=30_000)
    chart = distribution(page)
    expect(chart).to_be_visible(timeout=30_000)
    # the histogram's bars are drawn, and the target, the commit call and P10/P50/P90 are named on it
    assert chart.locator("g.trace.bars path").count() > 20
    for name in ("P50 $", "Target $", "Commit call $") + (("P10 $", "P90 $") if width >= 640 else ()):
        expect(chart.locator(".legend")).to_contain_text(name)
    for name in ("P10", "P50", "P90", "Target", "Commit"):   # and over the lines themselves
        expect(chart.locator(".annotation-text").filter(has_text=re.compile(f"^{name}$"))).to_have_count(1)
    tiles = page.get_by_test_id("stMetric").filter(has_text=re.compile("^(Landing P50|Chance of target)"))
    expect(tiles).to_have_count(2)
    expect(tiles.first).to_contain_text(re.compile(r"\$\d+(\.\d)?M"))
    expect(tiles.first).to_contain_text("P10–P90")
    settled(page)
    no_exception(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= width   # nothing wider than the screen
    assert chart.bounding_box()["width"] > 0.6 * min(width, 1000)
    if width < 640:   # tiles two to a row on a phone
        first, second = tiles.nth(0).bounding_box(), tiles.nth(1).bounding_box()
        assert abs(first["y"] - second["y"]) < 2 and second["x"] > first["x"]
    page.get_by_role("heading", name=HEADING).scroll_into_view_if_needed()
    page.screenshot(path=artifacts / f"landing-{width}-section.png")
    whole_page(page, width, artifacts / f"landing-{width}.png")


def test_a_what_if_played_in_the_browser_draws_both_distributions(page, app_server, artifacts):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(app_server + "/forecast")
    expect(distribution(page)).to_be_visible(timeout=30_000)
    page.get_by_text("What-if (war game) and saved scenarios").click()
    won = page.get_by_test_id("stMultiSelect").filter(has_text="Deals won")
    # the deal that moves the landing most is listed first. The list holds every open deal and keeps
    # re-rendering, so the keyboard picks rather than a click; the form may still be settling when
    # it first shows, so the list is opened again until it is there
    expect(won).to_be_visible(timeout=30_000)
    for _ in range(5):
        won.locator("input").click()
        try:
            expect(page.get_by_role("option").first).to_be_visible(timeout=5_000)
            break
        except AssertionError:
            page.keyboard.press("Escape")
    if page.get_by_role("option").first.get_attribute("data-focused") != "true":
        page.keyboard.press("ArrowDown")   # focus the first option
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    expect(won).to_contain_text(re.compile(r"\$[\d.]+[kM] · [\d.]+%"))   # picked: name · amount · chance
    page.get_by_role("button", name="Play the what-if").click()
    expect(page.get_by_text("P50, what-if")).to_be_visible(timeout=30_000)
    both = page.locator(".js-plotly-plot").filter(has_text="with and without the what-if")
    expect(both).to_be_visible()
    expect(both.locator(".legend")).to_contain_text("With the what-if")
    assert both.locator("g.trace.bars").count() == 2
    expect(page.get_by_role("button", name="Save the scenario")).to_be_visible()   # sign-in off: the local admin
    settled(page)
    no_exception(page)
    page.get_by_text("P50, what-if").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "landing-what-if-1440.png")


def test_the_track_record_replays_with_progress_when_opened(page, app_server, artifacts):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(app_server + "/forecast")
    opener = page.get_by_text(re.compile("^Track record: how right has the landing been"))
    expect(opener).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile("^Replayed weekly over"))).to_have_count(0)   # not run until opened
    opener.click()
    expect(page.get_by_text(re.compile("^Replayed weekly over"))).to_be_visible(timeout=90_000)
    replays = page.locator(".js-plotly-plot").filter(has_text="the landing week by week against the actual")
    expect(replays).to_have_count(4)
    reliability = page.locator(".js-plotly-plot").filter(has_text="Reliability")
    expect(reliability).to_be_visible()
    assert reliability.locator("g.scatterlayer path").count() > 0
    settled(page)
    no_exception(page)
    whole_page(page, 1440, artifacts / "landing-track-record-1440.png")


def test_the_overview_tile_links_to_the_landing_section_and_it_opens_there(page, app_server):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(app_server + "/?region=EMEA")
    tile = page.get_by_test_id("stMetric").filter(has_text=re.compile("^Landing 20"))
    expect(tile).to_be_visible(timeout=30_000)
    expect(tile).to_contain_text("chance of target")
    tile.get_by_test_id("stTooltipHoverTarget").hover()
    link = page.get_by_role("link", name="Forecast vs actual › Landing")
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    assert href.startswith("/forecast?") and "region=EMEA" in href and href.endswith("#landing")
    page.goto(app_server + href)
    heading = page.get_by_role("heading", name=HEADING)
    expect(heading).to_be_in_viewport(timeout=30_000)   # the page keeps its address, so the anchor holds
    no_exception(page)
