"""The Strategy page in headless Chromium: the issue-15 sequence as a manager clicks it (a note
citing a figure, one citing nothing, the framework switch, a suggestion accepted onto another
scope's board), screenshots at 1440x900 and 390x844."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

WIDE, PHONE = {"width": 1440, "height": 900}, {"width": 390, "height": 844}


def settled(page: Page) -> None:
    """The run has ended (no placeholder, no 'Running', no element of the run before left) and
    raised nothing."""
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=30_000)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=30_000)
    expect(page.locator("[data-stale=true]")).to_have_count(0, timeout=30_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)


def open_choices(page: Page, label: str) -> None:
    """Open a selectbox's list (scrolled into view first: a list opened while the page scrolls closes)."""
    settled(page)
    box = page.get_by_test_id("stSelectbox").filter(has_text=label)
    box.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    box.click()


def choose(page: Page, label: str, option) -> None:
    open_choices(page, label)
    page.get_by_role("option", name=option).first.click()


def full_page(page: Page, path) -> None:
    """The whole page: Streamlit scrolls inside its main block, so the window grows to its height."""
    settled(page)
    width = page.viewport_size["width"]
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_timeout(1500)
    page.screenshot(path=path)


def main_text(page: Page) -> str:
    return page.get_by_test_id("stMain").inner_text()


def test_notes_with_and_without_evidence_framework_switch_and_a_suggestion_elsewhere(browser, app_server,
                                                                                      artifacts):
    page = browser.new_page(viewport=WIDE)
    page.goto(app_server + "/strategy")
    expect(page.get_by_role("heading", name="Write a note")).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile(r"^No SWOT notes for the whole company yet\. Write one under Write a note "
                                       r"below, or accept one of the \d+ SWOT suggestions"))).to_be_visible()
    settled(page)

    # 1. a weakness citing the company's win rate of the last complete quarter, owned by Priya
    choose(page, "Category", "Weakness")
    page.get_by_label("Note text", exact=True).fill("Win rate fell in Q3")
    page.get_by_label("Owner", exact=True).fill("Priya")
    choose(page, "Evidence", re.compile(r"^Win rate [\d.]+% · whole company · 2026-Q3"))
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_text("Note #1 added to the whole company's SWOT board (Weakness).")).to_be_visible(
        timeout=30_000)
    settled(page)
    expect(page.get_by_label("Note text", exact=True)).to_have_value("")          # the editor is cleared
    expect(page.get_by_label("Owner", exact=True)).to_have_value("")
    expect(page.get_by_role("combobox", name="Evidence: the figure it rests on")).to_have_value("No evidence")

    # 2. a strength citing nothing, without an owner
    page.get_by_label("Note text", exact=True).fill("Renewals strong")
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_text("Note #2 added to the whole company's SWOT board (Strength).")).to_be_visible(
        timeout=30_000)
    settled(page)
    page.reload()                                                                  # and on the next visit
    expect(page.get_by_text("Renewals strong", exact=True)).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Win rate fell in Q3", exact=True)).to_be_visible()
    evidence = page.get_by_role("link", name=re.compile(r"^Win rate [\d.]+% · whole company · 2026-Q3"))
    expect(evidence).to_have_attribute("href", re.compile(r"/win-loss\?from=2026-07-01&to=2026-09-30&grain=quarter$"))
    settled(page)
    text = main_text(page)
    assert not re.search(r"\bnan\b", text, re.IGNORECASE) and "owner None" not in text
    assert "owner Priya" in text
    with page.expect_download() as markdown:                                     # the boards still download
        page.get_by_role("button", name="Download boards (Markdown)").click()
    board = markdown.value.path().read_text(encoding="utf-8")
    assert "- Win rate fell in Q3 (medium impact, open, owner Priya); evidence: Win rate " in board
    assert "- Renewals strong (medium impact, open)" in board and "No PESTEL notes yet." in board
    with page.expect_download() as csv:
        page.get_by_role("button", name="Download CSV").first.click()
    assert csv.value.suggested_filename == "sightline-strategy-boards-company.csv"
    assert "Win rate fell in Q3" in csv.value.path().read_text(encoding="utf-8-sig")

    # 3. the categories follow the framework
    choose(page, "Framework", "PESTEL")
    expect(page.get_by_role("combobox", name="Category")).to_have_value("Political", timeout=30_000)
    open_choices(page, "Category")
    expect(page.get_by_role("option", name="Political")).to_be_visible(timeout=10_000)
    expect(page.get_by_role("option", name="Strength")).to_have_count(0)
    page.keyboard.press("Escape")
    choose(page, "Framework", "SWOT")
    expect(page.get_by_role("combobox", name="Category")).to_have_value("Strength", timeout=30_000)
    open_choices(page, "Category")
    expect(page.get_by_role("option", name="Threat")).to_be_visible(timeout=10_000)
    page.keyboard.press("Escape")

    # 4. a suggestion for segment SMB accepted from the company's boards says where it went
    page.get_by_role("button", name="Accept onto the board of SMB").first.click()
    expect(page.get_by_text(re.compile(r"Added as note #3 to SMB's SWOT board \(Scope: Segment → SMB\)\."))) \
        .to_be_visible(timeout=30_000)
    go = page.get_by_role("link", name="Open the board of SMB")
    expect(go).to_have_attribute("href", "/strategy?st_scope=segment&st_value=SMB")
    expect(page.get_by_role("link", name="Segment: SMB (1)")).to_be_visible()
    full_page(page, artifacts / "strategy-sequence-1440.png")

    page.set_viewport_size(WIDE)
    page.goto(app_server + "/strategy?st_scope=segment&st_value=SMB")
    expect(page.get_by_role("heading", name="SWOT — Segment: SMB")).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile(r"^SMB: win rate \d+% in 2026-Q3")).first).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Win rate [\d.]+% · Segment: SMB · 2026-Q3")).first) \
        .to_have_attribute("href", "/win-loss?from=2026-04-01&to=2026-09-30&segment=SMB&grain=quarter")
    full_page(page, artifacts / "strategy-smb-1440.png")
    page.close()


def test_strategy_on_a_phone(browser, app_server, artifacts):
    page = browser.new_page(viewport=PHONE)
    page.goto(app_server + "/strategy")
    expect(page.get_by_role("heading", name="Strategy notes")).to_be_visible(timeout=30_000)
    expect(page.locator(".js-plotly-plot").first).to_be_attached(timeout=30_000)
    settled(page)
    width = page.evaluate("document.querySelector('[data-testid=stMain]').scrollWidth")
    assert width <= PHONE["width"], width                                    # nothing to scroll sideways
    full_page(page, artifacts / "strategy-390.png")
    page.close()
