"""Never crash, never leak: pages on awkward data, shared links, unexpected errors, hostile text."""
from __future__ import annotations

import csv
import io
import json

import pytest
from streamlit.testing.v1 import AppTest

from intel.access import LOCAL_ADMIN as ADMIN
from tests.conftest import FIXTURES, ROOT
from tests.pages.test_pages import TIMEOUT, app, texts

PAGES = [None, "pages/forecast.py", "pages/win-loss.py", "pages/pipeline.py", "pages/accounts.py",
         "pages/strategy.py", "pages/alerts.py", "pages/data.py"]

HOSTILE = ['<a href="https://evil.example">x</a>', "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
           "javascript:alert(1)", '=HYPERLINK("http://evil")', "https://evil.example/login"]


def hostile_export() -> bytes:
    """Twelve deals: every hostile string as owner, account, competitor, loss reason, region and
    segment, once on a lost deal and once as the stage of an open one."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["Opportunity ID", "Opportunity Name", "Account Name", "Stage", "Amount", "Created Date",
                "Close Date", "Region", "Segment", "Opportunity Owner", "Primary Competitor", "Loss Reason"])
    for n, text in enumerate(HOSTILE):
        w.writerow([f"L{n}", text, text, "Closed Lost", 1000 + n, "2026-01-05", f"2026-0{4 + n % 3}-15", text,
                    text, text, text, text])
        w.writerow([f"W{n}", "Win", "Acme", "Closed Won", 2000 + n, "2026-01-05", f"2026-0{4 + n % 3}-20", text,
                    text, text, text, ""])
        w.writerow([f"O{n}", "Open", text, text, 500 + n, "2026-03-01", "2026-12-15", text, text, text, "", ""])
    return out.getvalue().encode()


def markdown_sources(at) -> list[str]:
    """The markdown Streamlit renders (text, captions, alerts, subheaders; not st.text or tables)."""
    parts = [e.value for e in at.markdown] + [e.value for e in at.caption] + [e.value for e in at.info]
    parts += [e.value for e in at.success] + [e.value for e in at.warning] + [e.value for e in at.error]
    parts += [e.value for e in at.subheader] + [e.value for e in at.header] + [e.label for e in at.expander]
    return [str(p) for p in parts]


def outside_code(markdown: str) -> str:
    """The markdown with its code spans removed (their text is shown literally), and the targets of
    the app's own links (a page of the app, an anchor on this one) taken out: their labels are
    still checked."""
    import re

    bare = re.sub(r"(`+) .*? \1", "", markdown).replace("\\]\\(", "")
    return re.sub(r"\]\((?:/|#)[^)\s]*\)", "]", bare)


# ---- empty states where real data is thin ----

def test_overview_after_a_snapshot_whose_velocity_change_is_undefined(db, tmp_path):
    from intel.ingest import import_file
    from intel.pipeline import velocity_change
    from intel.filters import Filters, default_range

    header = "Opportunity ID,Stage,Amount,Created Date,Close Date,Region\n"
    (tmp_path / "deals-2026-10-05.csv").write_text(header + "A,Prospecting,100,2026-09-01,2026-12-01,EMEA\n")
    # a week later A is won and B is open without an amount: velocity has no comparison to make
    (tmp_path / "deals-2026-10-12.csv").write_text(
        header + "A,Closed Won,100,2026-09-01,2026-10-08,EMEA\nB,Prospecting,,2026-09-01,2026-12-01,EMEA\n")
    for name in ("deals-2026-10-05.csv", "deals-2026-10-12.csv"):
        import_file(tmp_path / name, by=ADMIN)
    change = velocity_change("total", Filters(*default_range())).iloc[0]
    assert change["change_pct"] != change["change_pct"]    # NaN: the case that crashed the tile
    at = app()
    tiles = {m.label: m for m in at.metric}
    assert tiles["Velocity per day"].value == "$0/day" and not tiles["Velocity per day"].delta
    assert "Velocity at 2026-10-12 cannot be compared with 2026-10-05" in texts(at).replace("\\", "")


def test_strategy_market_for_a_region_without_market_data_says_so(db, tmp_path):
    from intel.ingest import import_file

    import_file(FIXTURES / "pipeline-2026-10-05.csv", by=ADMIN)          # deals in APAC and EMEA
    market = tmp_path / "market.csv"
    market.write_text("Period,Region,Indicator,Value,Unit\n2026-09,EMEA,Inflation,2.4%,% y/y\n"
                      "2026-10,EMEA,Inflation,2.9%,% y/y\n")
    import_file(market, by=ADMIN)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["st_market"] = "APAC"
    at.run()
    at.switch_page("pages/strategy.py").run()
    assert not at.exception, at.exception
    assert any("No market indicators are imported for APAC" in i.value.replace("\\", "") for i in at.info)
    at.selectbox(key="url_st_market").set_value("EMEA").run()
    assert not at.exception, at.exception
    assert "Inflation" in at.multiselect(key="st_indicators").value


def test_strategy_market_without_any_market_file_says_what_to_upload(db):
    from intel.ingest import import_file

    import_file(FIXTURES / "pipeline-2026-10-05.csv", by=ADMIN)
    at = app("pages/strategy.py")
    assert any(i.value.startswith("No market indicators are imported: upload a market file") for i in at.info)


# ---- shared links and unexpected errors ----

def test_a_shared_overview_link_opens_the_overview_alone(use_demo_db):
    from intel import share

    token = share.create_link("overview", {"region": ["EMEA"]}, by=ADMIN)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["share"] = token
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Overview"
    assert any(m.label == "Win rate 2026-Q3" for m in at.metric)   # the tile names its quarter
    assert not at.get("page_link")          # the other pages are not the recipient's to open


def test_an_unexpected_error_shows_a_sentence_and_logs_the_traceback(use_demo_db, monkeypatch, caplog):
    from streamlit import config

    from intel import holdings

    def broken(*_, **__):
        raise RuntimeError("cannot open /srv/secret/sightline.duckdb held by PID 4242 (Python 3.11.9)")

    monkeypatch.setattr(holdings, "loaded_summary", broken)
    shown = config.get_option("client.showErrorDetails")
    config.set_option("client.showErrorDetails", "none")     # as served to visitors
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    finally:
        config.set_option("client.showErrorDetails", shown)
    assert not at.exception
    assert [e.value for e in at.error] == ["This page could not be drawn; the details are in the server log."]
    page = texts(at)
    assert "4242" not in page and "/srv/secret" not in page and "3.11" not in page
    assert "Filters" in [s.value for s in at.sidebar.subheader]        # the rest of the app still works
    logged = "\n".join(r.getMessage() + str(r.exc_info and r.exc_info[1]) for r in caplog.records)
    assert "Overview page failed" in logged and "PID 4242" in logged
    assert any(r.exc_info for r in caplog.records if "Overview page failed" in r.getMessage())


def test_without_full_error_details_app_test_still_sees_exceptions_in_tests(use_demo_db, monkeypatch):
    from intel import holdings

    monkeypatch.setattr(holdings, "loaded_summary", lambda *_, **__: 1 / 0)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    assert at.exception and at.exception[0].value == "division by zero"   # raised, not hidden


# ---- hostile text through an import ----

@pytest.fixture
def hostile_db(db, tmp_path):
    from intel.ingest import import_file

    path = tmp_path / "crm-export-2026-07-01.csv"
    path.write_bytes(hostile_export())
    result = import_file(path, by=ADMIN, force=True)
    assert result.ok, result.message
    return db


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p or "overview")
def test_hostile_names_reach_no_page_as_markup_or_links(hostile_db, page):
    at = app(page)
    for source in markdown_sources(at):
        bare = outside_code(source)
        assert "<" not in bare.replace("\\<", ""), source           # shown as text, never as HTML
        assert "](" not in bare.replace("\\]\\(", ""), source        # never a markdown link
        assert "://" not in bare.replace("\\://", "").replace(":\\//", ""), source   # bare URLs inside code
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        flat = json.dumps(spec["data"]) + json.dumps(spec["layout"])
        assert "<a " not in flat and "<script" not in flat and "<img" not in flat, flat[:300]
