"""The real app in headless Chromium: what only a browser shows (upload, rendering, no exception)."""
from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import FIXTURES, serve_app

PASSWORD = "correct horse battery"

UPLOAD_NAME = "hubspot-crm-exports-all-deals-2026-11-15.csv"


def no_exception(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


def settled(page: Page) -> None:
    """Wait until the run has drawn everything (no placeholder left) before a screenshot."""
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=30_000)


def test_forecast_page_first_request_and_screenshot(page: Page, app_server, artifacts):
    # The first request to a fresh server names a page: it must still run through app.py.
    page.goto(app_server + "/forecast?fc_by=owner")
    expect(page.get_by_role("heading", name="Forecast vs actual")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Filters", exact=True)).to_be_visible()   # run through app.py
    expect(page.get_by_text(re.compile("Sandbagging"))).to_be_visible(timeout=30_000)
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    # by owner: the pacing of the quarter in progress, the variance, then the accuracy league
    # (the Landing section between pacing and variance keeps its tables in its expanders)
    grids = page.locator("[data-testid=stDataFrame]:not([data-testid=stExpander] *)")
    pacing, variance, league = (grids.nth(i) for i in range(3))
    expect(variance).to_contain_text("Amira Haddad", timeout=30_000)
    expect(league).to_contain_text("Lukas Weber", timeout=30_000)
    no_exception(page)
    page.screenshot(path=artifacts / "forecast.png", full_page=True)


def test_overview_renders_kpis_and_open_alerts(page: Page, app_server, artifacts):
    page.goto(app_server)
    expect(page.get_by_role("heading", name="Overview")).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile(r"Open alerts \(\d+\)"))).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile("SMB: win rate"))).to_be_visible()
    expect(page.get_by_test_id("stMetricValue").first).to_be_visible()
    no_exception(page)
    page.screenshot(path=artifacts / "overview.png", full_page=True)


def whole_page(page: Page, width: int, path) -> None:
    """A screenshot of the whole page at `width`: Streamlit scrolls inside its main block, so the
    window is made as tall as that block first."""
    settled(page)
    page.wait_for_timeout(1500)
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_timeout(1500)
    page.screenshot(path=path)


def scrolls_sideways(table) -> bool:
    """Whether a st.dataframe (a canvas grid) hides columns off to the right."""
    return table.locator(".dvn-scroller").evaluate("e => e.scrollWidth > e.clientWidth + 1")


@pytest.mark.parametrize("width, height", [(1440, 900), (390, 844)])
def test_overview_says_its_quarter_and_scope_at_desktop_and_phone_size(browser, app_server, artifacts,
                                                                       width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(app_server + "/?region=EMEA")
    expect(page.get_by_text("Region: EMEA · 2026-Q3 · data as of 2026-11-16", exact=False)).to_be_visible(
        timeout=30_000)
    expect(page.get_by_text("Win rate 2026-Q3")).to_be_visible()
    expect(page.get_by_text(re.compile("at the snapshot of 2026-11-16 against the one before, 2026-11-09"))) \
        .to_be_visible()
    no_exception(page)
    whole_page(page, width, artifacts / f"overview-{width}.png")
    page.get_by_test_id("stSelectbox").first.click()   # the quarter picker marks the one in progress
    expect(page.get_by_role("option", name="2026-Q4 (in progress)")).to_be_visible()
    context.close()


@pytest.mark.parametrize("width, height", [(1440, 900), (390, 844)])
def test_forecast_marks_the_quarter_in_progress_at_desktop_and_phone_size(browser, app_server, artifacts,
                                                                        width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(app_server + "/forecast")
    expect(page.get_by_role("heading", name="Pacing of 2026-Q4 (in progress)")).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile(r"booked by day 47 of 92: linear pace"))).to_be_visible()
    # the period chart (charts draw as they arrive: wait for this one, not whichever came first)
    chart = page.locator(".js-plotly-plot").filter(has_text="in progress to 2026-11-16")
    expect(chart).to_be_visible(timeout=30_000)
    expect(chart).to_contain_text("Linear pace to date")
    expect(page.get_by_text(re.compile("over the 6 finished quarters of the range with a call, 2025-Q2 to 2026-Q3"))) \
        .to_be_visible()
    no_exception(page)
    whole_page(page, width, artifacts / f"forecast-{width}.png")
    if width == 1440:   # the half-width owner league shows owner, bias, WAPE and verdict without scrolling
        league = page.get_by_test_id("stDataFrame").filter(has_text="Lukas Weber").last
        assert not scrolls_sideways(league)
    context.close()


@pytest.mark.parametrize("width, height, name", [(1440, 900, "alerts.png"), (390, 844, "alerts-phone.png")])
def test_alerts_page_lists_the_alerts_and_reads_the_one_picked(page: Page, app_server, artifacts, width, height,
                                                                name):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(app_server + "/alerts")
    listed = page.get_by_test_id("stMain").get_by_test_id("stDataFrame").first   # every open alert, one row each
    expect(listed).to_contain_text("SMB's win rate below 20% for 3 months running", timeout=30_000)
    # the first high-severity alert is read in full without a click: heading, prompt, chart, deals
    detail = page.locator(".st-key-al_detail")
    expect(detail.get_by_role("heading").first).to_contain_text(
        "High: SMB's win rate below 20% for 3 months running (2026-08 to 2026-10) · open", timeout=30_000)
    expect(detail.get_by_text("Questions to diagnose")).to_be_visible()
    expect(detail.get_by_text(re.compile("post-mortems")).first).to_be_visible()
    expect(detail).to_contain_text(re.compile(r"SMB · win rate by month, \d{4}-\d{2} to 2026-10"))   # the chart's title
    expect(detail.get_by_text(re.compile(r"^[\d,]+ deals SMB lost from 2026-08 to 2026-10"))).to_be_visible()
    expect(detail.get_by_test_id("stDataFrame").first).to_be_visible(timeout=30_000)
    link = detail.get_by_role("link", name="Open this view on the Win-loss page")
    expect(link).to_have_attribute("href", re.compile(r"/win-loss\?segment=SMB&from=2026-08-01&to=2026-10-31"))
    expect(detail.locator(".js-plotly-plot")).to_have_count(1, timeout=30_000)
    expect(page.locator(".js-plotly-plot")).to_have_count(1)        # one chart on the page, not one per alert
    settled(page)
    no_exception(page)
    tall = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": width, "height": tall})   # Streamlit scrolls inside stMain
    page.wait_for_timeout(1500)
    page.screenshot(path=artifacts / name, full_page=True)
    # a row picked in the table (its tick box, the tenth row: the low push-count alert) is read instead
    box = listed.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + 35 + 35 * 9 + 17)
    expect(detail.get_by_role("heading").first).to_contain_text(
        re.compile(r"Low: \d+ open deals pushed 3 times or more at the 2026-11-16 snapshot"), timeout=30_000)
    expect(page).to_have_url(re.compile(r"al_alert=\d+"))         # a copied link opens this alert
    expect(detail.get_by_role("link", name="Open this view on the Pipeline page")).to_be_visible()
    expect(detail.get_by_test_id("stDataFrame").first).to_contain_text("Pushes", timeout=30_000)
    no_exception(page)


def test_upload_a_csv_and_see_it_in_the_import_history(page: Page, app_server, artifacts):
    page.goto(app_server + "/data")
    expect(page.get_by_role("heading", name="Upload exports")).to_be_visible(timeout=30_000)
    page.locator("input[type=file]").set_input_files(str(FIXTURES / UPLOAD_NAME))
    expect(page.get_by_text(re.compile(r"3 rows would load, 0 rejected"))).to_be_visible(timeout=30_000)
    page.screenshot(path=artifacts / "data-preview.png", full_page=True)
    page.get_by_role("button", name="Import 1 file").click()
    expect(page.get_by_text(re.compile(r"3 rows loaded, 0 rejected"))).to_be_visible(timeout=30_000)
    history = page.get_by_test_id("stDataFrame").first
    expect(history).to_contain_text(UPLOAD_NAME, timeout=10_000)
    no_exception(page)
    page.screenshot(path=artifacts / "data-imported.png", full_page=True)


def test_win_loss_breakdown_change_and_screenshot(page: Page, app_server, artifacts):
    page.goto(app_server + "/win-loss?region=EMEA")
    expect(page.get_by_text("Win rate trend")).to_be_visible(timeout=30_000)
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=30_000)
    page.get_by_test_id("stSelectbox").filter(has_text="Breakdown").click()
    page.get_by_role("option", name="Competitor").click()
    expect(page.get_by_role("heading", name="By competitor")).to_be_visible(timeout=30_000)
    expect(page).to_have_url(re.compile(r"by=competitor"))
    expect(page).to_have_url(re.compile(r"region=EMEA"))
    titles = " ".join(page.locator(".js-plotly-plot .gtitle").all_text_contents())
    assert "Win rate by competitor" in titles
    page.get_by_text("Share this view").click()          # the link to copy holds the choice just made
    link = page.locator("[data-testid='stSidebar'] code").first
    expect(link).to_contain_text("by=competitor", timeout=10_000)
    expect(link).to_contain_text("region=EMEA")
    assert link.text_content().startswith(app_server + "/win-loss?")
    no_exception(page)
    page.screenshot(path=artifacts / "win-loss.png", full_page=True)



def test_pipeline_page_movement_and_screenshot(page: Page, app_server, artifacts):
    page.goto(app_server + "/pipeline")
    expect(page.get_by_role("heading", name="What moved")).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile(r"Pipeline of 2026-Q4, 2026-11-\d\d → 2026-11-16"))).to_be_visible(
        timeout=30_000)
    # the watchlist: each deal by name, then what the list is sorted by (no scrolling sideways to find it)
    expect(page.get_by_test_id("stDataFrame").last).to_contain_text(re.compile(r"^NamePushesDays overdueAmount"),
                                                                    timeout=30_000)
    expect(page.get_by_test_id("stDataFrame").last).to_contain_text(" - ")    # "Summit Labs - Core Platform"
    no_exception(page)
    page.screenshot(path=artifacts / "pipeline.png", full_page=True)


def _demo_dates(demo_db) -> dict:
    """From the demo's data, not the page: the latest snapshot, and the 18 whole months ending with
    the month of the latest closed deal (the filter bar's default period)."""
    import calendar
    import datetime as dt

    from intel import store
    from tests.conftest import rows

    try:
        ((latest,),) = rows("SELECT max(close_date) FROM deal_facts WHERE is_closed", db_path=demo_db)
        ((snap,),) = rows("SELECT max(snapshot_date) FROM imports WHERE undone_at IS NULL", db_path=demo_db)
    finally:
        store.close_all()
    index = latest.year * 12 + latest.month - 1 - 17
    return {"first": dt.date(index // 12, index % 12 + 1, 1), "snapshot": snap,
            "last": latest.replace(day=calendar.monthrange(latest.year, latest.month)[1])}


def _full_page(page: Page, url: str, width: int, height: int, heading: str, path) -> None:
    """`url` at width × height, then the window stretched to the whole page (Streamlit scrolls inside
    stMain) and screenshotted once everything is drawn."""
    page.set_viewport_size({"width": width, "height": height})
    page.goto(url)
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible(timeout=30_000)
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=30_000)
    settled(page)
    page.wait_for_timeout(1500)
    tall = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": width, "height": tall})
    page.wait_for_timeout(1500)
    settled(page)
    no_exception(page)
    page.screenshot(path=path)


# the x tick labels of the chart titled `title`, left to right, and which of them overlap the one before
_TICKS = """(title) => {
  const plot = [...document.querySelectorAll('.js-plotly-plot')]
    .find(p => (p.querySelector('.gtitle') || {}).textContent === title);
  if (!plot) return null;
  const boxes = [...plot.querySelectorAll('.xaxislayer-above .xtick text')]
    .map(t => ({text: t.textContent, box: t.getBoundingClientRect()}))
    .filter(t => t.box.width > 0).sort((a, b) => a.box.left - b.box.left);
  return {labels: boxes.map(t => t.text),
          overlaps: boxes.slice(1).filter((t, i) => t.box.left < boxes[i].box.right).map(t => t.text)};
}"""

# each horizontal bar of the chart titled `title` with the value text on its row: the text's left edge
# and the bar's right edge (the text is outside when it starts past the bar's end)
_BAR_TEXT = """(title) => {
  const plot = [...document.querySelectorAll('.js-plotly-plot')]
    .find(p => (p.querySelector('.gtitle') || {}).textContent === title);
  const bars = [...plot.querySelectorAll('.trace.bars .point path')].map(b => b.getBoundingClientRect());
  const texts = [...plot.querySelectorAll('.textpoint text')]
    .map(t => ({text: t.textContent, box: t.getBoundingClientRect()}));
  return bars.map(bar => {
    const middle = bar.top + bar.height / 2;
    const on = texts.find(t => t.box.top <= middle && middle <= t.box.bottom);
    return {bar_right: bar.right, text: on ? on.text : null, text_left: on ? on.box.left : null};
  });
}"""


@pytest.mark.parametrize("width,height", [(1440, 900), (390, 844)])
def test_win_loss_at_desktop_and_phone_width(page: Page, app_server, demo_db, artifacts, width, height):
    name = "win-loss" + ("-phone" if width < 500 else "-desktop")
    _full_page(page, app_server + "/win-loss", width, height, "Win-loss", artifacts / f"{name}.png")
    dates = _demo_dates(demo_db)
    window = f"Deals closed {dates['first']} to {dates['last']} · All regions"
    expect(page.get_by_text(window).first).to_be_visible()
    for title in ("Win rate by month", "Competitor presence in losses, by month"):
        ticks = page.evaluate(_TICKS, title)
        assert ticks and len(ticks["labels"]) >= 3, (title, ticks)
        assert not ticks["overlaps"], (title, ticks)
        assert ticks["labels"][-1] == f"{dates['last']:%Y-%m}"   # the latest month is always labelled
    rows = page.evaluate(_BAR_TEXT, "Win rate by segment")
    assert len(rows) >= 5          # the demo's five segments (and any an earlier test uploaded)
    for row in rows:                                          # the % sits past the bar's end, outside it
        assert row["text"] and row["text"].endswith("%") and row["text_left"] >= row["bar_right"], row


@pytest.mark.parametrize("width,height", [(1440, 900), (390, 844)])
def test_pipeline_at_desktop_and_phone_width(page: Page, app_server, demo_db, artifacts, width, height):
    name = "pipeline" + ("-phone" if width < 500 else "-desktop")
    _full_page(page, app_server + "/pipeline", width, height, "Pipeline", artifacts / f"{name}.png")
    trailing = f"the trailing two quarters to the {_demo_dates(demo_db)['snapshot']} snapshot"
    expect(page.get_by_text(trailing).first).to_be_visible()
    # coverage: a bar for every quarter; the quarter with a target carries its coverage, the others "no target"
    plot = page.locator(".js-plotly-plot").filter(has_text="Open pipeline and target left, by quarter")
    labels = plot.locator(".trace.bars text").all_text_contents()
    assert len(labels) == 4 and labels[0].endswith("×") and labels[1:] == ["no target"] * 3, labels
    assert not page.evaluate(_TICKS, "Open pipeline and target left, by quarter")["overlaps"]


def test_strategy_note_survives_a_reload(page: Page, app_server, artifacts):
    page.goto(app_server + "/strategy")
    expect(page.get_by_role("heading", name="Write a note")).to_be_visible(timeout=30_000)
    page.get_by_label("Note text", exact=True).fill("Fabrikam courts our top 20 accounts <b>now</b>")
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_text(re.compile(r"Note #\d+ added"))).to_be_visible(timeout=30_000)
    page.reload()
    expect(page.get_by_text("Fabrikam courts our top 20 accounts <b>now</b>", exact=True).first).to_be_visible(
        timeout=30_000)
    no_exception(page)
    page.screenshot(path=artifacts / "strategy.png", full_page=True)


def test_qbr_pack_opens_offline_with_its_charts(browser, tmp_path, demo_db, artifacts):
    import datetime as dt

    from intel import report, store
    from intel.filters import Filters

    store.close_all()
    copy = tmp_path / "pack.duckdb"
    copy.write_bytes(demo_db.read_bytes())
    pack = report.qbr_pack("2026-Q3", Filters(dt.date(2025, 7, 1), dt.date(2026, 9, 30)), db=copy)
    store.close_all()
    path = tmp_path / "qbr.html"
    path.write_text(pack, encoding="utf-8")
    context = browser.new_context(offline=True, viewport={"width": 1200, "height": 2400})
    page = context.new_page()
    page.goto(path.as_uri())
    expect(page.locator(".js-plotly-plot")).to_have_count(3, timeout=30_000)
    expect(page.get_by_text("Quarterly business review — 2026-Q3")).to_be_visible()
    page.screenshot(path=artifacts / "qbr-pack.png", full_page=False)
    context.close()


def create_share_link(browser, page_url: str) -> str:
    """A read-only link made through the app itself, as a manager does: the address to send."""
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    page = context.new_page()
    page.goto(page_url)
    expect(page.get_by_text("Share this view")).to_be_visible(timeout=30_000)
    page.get_by_text("Share this view").click()
    page.get_by_role("button", name="Create a read-only link").click()
    link = page.locator("code").filter(has_text="share=").first
    expect(link).to_be_visible(timeout=30_000)
    url = link.text_content().strip()
    context.close()
    return url


def test_a_share_link_in_a_fresh_context(browser, app_server, artifacts):
    url = create_share_link(browser, app_server + "/forecast")
    assert url.startswith(app_server + "/forecast?share=")     # the whole address, ready to send
    fresh = browser.new_context(viewport={"width": 1400, "height": 1800})
    viewer = fresh.new_page()
    viewer.goto(url)
    expect(viewer.get_by_text("Shared view (read-only)")).to_be_visible(timeout=30_000)
    expect(viewer.get_by_role("heading", name="Forecast vs actual")).to_be_visible()
    expect(viewer.get_by_text("Data", exact=True)).to_have_count(0)
    expect(viewer.locator(".js-plotly-plot").first).to_be_visible(timeout=30_000)
    no_exception(viewer)
    viewer.screenshot(path=artifacts / "shared-view.png", full_page=True)
    fresh.close()


def test_sharing_page_lists_and_revokes_a_link(browser, app_server, artifacts):
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    page = context.new_page()
    page.goto(app_server + "/pipeline")
    page.get_by_text("Share this view").click()
    page.get_by_role("button", name="Create a read-only link").click()
    expect(page.locator("code").filter(has_text="share=").first).to_be_visible(timeout=30_000)
    page.get_by_role("link", name="Sharing").click()
    expect(page.get_by_role("heading", name="Sharing")).to_be_visible(timeout=30_000)
    url = page.locator("[data-testid='stMain'] code").filter(has_text="share=").first.text_content().strip()
    page.screenshot(path=artifacts / "sharing.png", full_page=True)
    page.get_by_role("button", name="Revoke this link").click()
    expect(page.get_by_text("now opens a refusal")).to_be_visible(timeout=30_000)
    no_exception(page)
    context.close()
    fresh = browser.new_context()
    viewer = fresh.new_page()
    viewer.goto(url)
    expect(viewer.get_by_text("This link was revoked")).to_be_visible(timeout=30_000)
    expect(viewer.locator(".js-plotly-plot")).to_have_count(0)
    viewer.screenshot(path=artifacts / "revoked-link.png")
    fresh.close()


def test_users_page_renders_for_the_local_admin(page: Page, app_server, artifacts):
    page.goto(app_server + "/users")
    expect(page.get_by_role("heading", name="Add a user")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Sign-in is off")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame")).to_have_count(2, timeout=30_000)
    settled(page)
    no_exception(page)
    page.screenshot(path=artifacts / "users.png", full_page=True)


@pytest.fixture(scope="module")
def password_server(tmp_path_factory, demo_db):
    """The app with sign-in mode password, one manager and one viewer."""
    from intel import store, users
    from intel.access import Actor

    path = tmp_path_factory.mktemp("signin") / "app.duckdb"
    store.close_all()
    shutil.copy(demo_db, path)
    users.add_user("dana", "manager", PASSWORD, db=path, by=Actor("setup", "admin"))
    users.add_user("vic", "viewer", PASSWORD, db=path, by=Actor("setup", "admin"))
    yield from serve_app(path, SIGHTLINE_AUTH="password")


def _sign_in(page: Page, url: str, name: str, password: str) -> None:
    page.goto(url)
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_wrong_then_right_in_the_browser(browser, password_server, artifacts):
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    page = context.new_page()
    _sign_in(page, password_server + "/win-loss", "dana", "not the password")
    expect(page.get_by_text("Wrong user name or password.")).to_be_visible(timeout=30_000)
    expect(page.get_by_label("Password", exact=True)).to_have_value("")      # the form does not keep it
    page.screenshot(path=artifacts / "sign-in-refused.png")
    page.get_by_label("User name").fill("dana")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Win-loss")).to_be_visible(timeout=30_000)   # the page asked for
    expect(page.get_by_text("Signed in as dana (manager)")).to_be_visible()
    expect(page.get_by_role("link", name="Sharing")).to_be_visible()
    expect(page.get_by_role("link", name="Users")).to_have_count(0)
    settled(page)
    no_exception(page)
    page.screenshot(path=artifacts / "signed-in-manager.png", full_page=True)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to Sightline")).to_be_visible(timeout=30_000)
    context.close()


def test_a_viewer_signed_in_sees_no_data_page(browser, password_server, artifacts):
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    page = context.new_page()
    _sign_in(page, password_server, "vic", PASSWORD)
    expect(page.get_by_text("Signed in as vic (viewer)")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("link", name="Data")).to_have_count(0)
    expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=30_000)
    expect(page.get_by_role("heading", name=re.compile(r"Open alerts \([1-9]"))).to_be_visible()  # checked at import
    settled(page)
    page.screenshot(path=artifacts / "signed-in-viewer.png", full_page=True)
    page.goto(password_server + "/data")                        # typed by hand: a new session
    expect(page.get_by_role("heading", name="Sign in to Sightline")).to_be_visible(timeout=30_000)
    _sign_in(page, password_server + "/data", "vic", PASSWORD)
    expect(page.get_by_text("Signed in as vic (viewer)")).to_be_visible(timeout=30_000)
    expect(page.locator("[data-testid='stFileUploader']")).to_have_count(0)
    context.close()
