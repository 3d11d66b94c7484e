"""Every page as a person reads it at desktop size: table headers and KPI labels in words, no raw
value (None, nan, NaT, a midnight) and no number with more digits than its format allows.

The grid (Glide) paints its cells on a canvas; the table it keeps in the DOM for screen readers
holds the raw values, not what is shown. So the test records every text the page paints on a
canvas (CanvasRenderingContext2D.fillText: the grids' headers and cells, and Streamlit's "None"
for a missing value), and reads the headers from that accessible table and the tiles from the DOM.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import shutil

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from intel.access import LOCAL_ADMIN as ADMIN
from tests.conftest import serve_app

PAGES = {"/": "Overview", "/forecast": "Forecast vs actual", "/win-loss": "Win-loss", "/pipeline": "Pipeline",
         "/strategy": "Strategy notes", "/alerts": "Alerts", "/data": "Data", "/sharing": "Sharing"}
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")                    # acted_at, best_case, avg_0 is "Avg 0"
RAW = re.compile(r"^(None|nan|NaN|NaT|<NA>)$|00:00:00")      # a missing value or a midnight shown as is
TOO_PRECISE = re.compile(r"\d\.\d{3,}|\d(\.\d+)?e[+-]?\d")   # 0.017883, 57487.6238, 2.25e+05M
# every text painted on a canvas, from the first paint (the page's own script has not run yet)
RECORD_PAINTED_TEXT = """
window.__painted = new Set();
const fillText = CanvasRenderingContext2D.prototype.fillText;
CanvasRenderingContext2D.prototype.fillText = function (text, ...rest) {
  window.__painted.add(String(text));
  return fillText.call(this, text, ...rest);
};
"""


@pytest.fixture(scope="module")
def presentation_server(tmp_path_factory, demo_db):
    """The demo with what leaves cells empty in real use: alerts evaluated, one snoozed (the others
    have no owner and no snooze date), and a shared link that has not expired or been revoked."""
    from intel import alerts, share, store

    path = tmp_path_factory.mktemp("presentation") / "app.duckdb"
    store.close_all()
    shutil.copy(demo_db, path)
    alerts.evaluate(path, by=ADMIN)
    first = int(alerts.all_alerts(path)["alert"].iloc[-1])
    alerts.snooze(first, dt.date(2026, 12, 1), path, by=ADMIN)
    share.create_link("forecast", {"region": ["EMEA"]}, db=path, by=ADMIN)
    store.close_all()
    yield from serve_app(path)


def drawn(page: Page, url: str, title: str) -> dict:
    """Open a page at 1440×900, let it finish, then show it whole (Streamlit scrolls inside its main
    area: a window as tall as the page makes every table paint) and read what it shows."""
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(url)
    expect(page.get_by_role("heading", name=title, exact=True).first).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=60_000)
    page.wait_for_timeout(1_500)
    height = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": 1440, "height": max(900, min(height, 16_000))})
    page.wait_for_function("""() => [...document.querySelectorAll('[data-testid=stDataFrame]')]
        .filter(e => e.checkVisibility()).every(e => e.querySelector('table thead th'))""", timeout=30_000)
    page.wait_for_timeout(1_500)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    return page.evaluate("""() => ({
        painted: [...window.__painted],
        headers: [...document.querySelectorAll('[data-testid=stDataFrame] table thead th')].map(e => e.innerText),
        labels: [...document.querySelectorAll('[data-testid=stMetricLabel]')].map(e => e.innerText),
        values: [...document.querySelectorAll('[data-testid=stMetricValue]')].map(e => e.innerText),
        tables: [...document.querySelectorAll('[data-testid=stDataFrame]')].filter(e => e.querySelector('table')).length,
    })""")


@pytest.mark.parametrize("path", list(PAGES))
def test_every_table_and_tile_reads_as_words_and_figures(browser, presentation_server, path, artifacts):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_init_script(RECORD_PAINTED_TEXT)
    page = context.new_page()
    shown = drawn(page, presentation_server + path, PAGES[path])
    page.screenshot(path=artifacts / f"presentation-{path.strip('/') or 'overview'}.png", full_page=True)
    context.close()

    problems = {
        "headers or tile labels in snake_case": [t for t in shown["headers"] + shown["labels"] if SNAKE.search(t)],
        "cells showing a raw value": sorted({t for t in shown["painted"] if RAW.search(t.strip())}),
        "numbers with more digits than their format": sorted(
            {t for t in shown["painted"] + shown["values"] if TOO_PRECISE.search(t)})[:20],
    }
    assert not any(problems.values()), f"{path}: " + "; ".join(f"{k}: {v}" for k, v in problems.items() if v)
    if shown["tables"]:   # the recording saw the open grids paint (else the checks above prove nothing)
        assert shown["headers"] and len(shown["painted"]) > len(shown["headers"])


def test_a_download_says_whose_numbers_and_is_named_for_its_view(browser, presentation_server, tmp_path):
    """The variance table of EMEA's forecast page, as a file: named for the page, table, period and
    scope; its first line says scope, range and data date; headed as the table is."""
    context = browser.new_context(viewport={"width": 1440, "height": 2000}, accept_downloads=True)
    page = context.new_page()
    page.goto(presentation_server + "/forecast?region=EMEA&fc_period=2026-Q3")
    expect(page.get_by_role("heading", name="Variance by region, 2026-Q3")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stDataFrame").first).to_contain_text("EMEA", timeout=60_000)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=60_000)
    page.wait_for_timeout(2_000)   # the run that wrote the page's choices to the URL has ended
    files = {}
    for kind in ("CSV", "XLSX"):
        with page.expect_download(timeout=60_000) as download:
            page.get_by_role("heading", name="Variance by region, 2026-Q3").locator(   # the first under it
                f"xpath=following::button[normalize-space(.)='Download {kind}'][1]").click()
        files[kind] = (download.value.suggested_filename, download.value.path().read_bytes())
    context.close()

    assert files["CSV"][0] == "sightline-forecast-variance-by-region-2026-Q3-emea.csv"
    assert files["XLSX"][0] == "sightline-forecast-variance-by-region-2026-Q3-emea.xlsx"
    lines = files["CSV"][1].decode("utf-8-sig").splitlines()
    assert re.fullmatch(r"Variance by region 2026-Q3 · Region: EMEA · closed \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d"
                        r" · data as of 2026-11-16", lines[0]), lines[0]
    assert lines[1] == ("Region,Target,Forecast (commit),Best case,Actual,Deals won,Variance,Variance %,"
                        "Attainment,Bias,Call submitted")
    assert lines[2].startswith("EMEA,") and lines[2].endswith(",2026-09-28")
    sheet = openpyxl.load_workbook(io.BytesIO(files["XLSX"][1])).active
    assert sheet["A1"].value == lines[0] and sheet["A2"].value == "Region"
