"""The QBR pack: each section there, its numbers those of the intel functions, no network needed."""
from __future__ import annotations

import datetime as dt
import html
import io
import re

import pandas as pd
import pytest

from intel import forecast, metrics, models, notes, report
from intel.filters import Filters
from intel.ingest import import_file
from intel.access import LOCAL_ADMIN as ADMIN
from tests.conftest import FIXTURES


def test_pack_sections_numbers_and_no_network(db):
    import_file(FIXTURES / "forecast_deals.csv", as_of="2026-06-30", by=ADMIN)
    import_file(FIXTURES / "forecast_targets.csv", by=ADMIN)
    notes.add_note(notes.Note("SWOT", "Threat", "<img src=x onerror=alert(1)> rival"), by=ADMIN)
    f = Filters(dt.date(2025, 1, 1), dt.date(2026, 3, 31))
    pack = report.qbr_pack("2026-Q1", f)
    for heading in ("Overview", "Forecast vs actual", "Win-loss", "Open alerts", "Strategy notes"):
        assert f"<h2>{heading}" in pack
    q1 = forecast.forecast_vs_actual("total", f, "quarter").set_index("period").loc["2026-Q1"]
    assert f"{q1['actual']:,.0f}" in pack and f"{q1['attainment']:.1%}" in pack      # 600, 80.0%
    wr = metrics.win_rate_trend(f, "quarter").set_index("period").loc["2026-Q1", "win_rate"]
    assert f"{wr:.1%}" in pack                                                      # 3 of 4 closed: 75.0%
    assert "&lt;img src=x onerror=alert(1)&gt; rival" in pack and "<img src=x" not in pack
    markup = re.sub(r"<script.*?</script>", "", pack, flags=re.S)    # plotly.js (inlined) aside
    assert not re.search(r"""(src|href)=["']?https?://""", markup)   # the page fetches nothing
    assert pack.count("Plotly.newPlot") >= 2 and "cdn.plot.ly/plotly" not in markup


def test_pdf_pack_holds_the_same_sections_numbers_and_charts(db, tmp_path):
    from pypdf import PdfReader

    import_file(FIXTURES / "forecast_deals.csv", as_of="2026-06-30", by=ADMIN)
    import_file(FIXTURES / "forecast_targets.csv", by=ADMIN)
    notes.add_note(notes.Note("SWOT", "Threat", "Rival undercuts us by 15% — “cheaper”"), by=ADMIN)
    f = Filters(dt.date(2025, 1, 1), dt.date(2026, 3, 31), region=("EMEA",))
    path = tmp_path / "qbr.pdf"
    path.write_bytes(report.qbr_pack_pdf("2026-Q1", f))
    reader = PdfReader(path)
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert text.startswith("Quarterly business review — 2026-Q1")
    assert "Region: EMEA · 2026-Q1 · data as of 2026-06-30" in text.replace("\n", " ")   # the scope, on page 1
    for heading in ("Overview", "Forecast vs actual", "Win-loss", "Open alerts", "Strategy notes", "SWOT"):
        assert f"\n{heading}" in text
    assert "No PESTEL notes for this scope yet — add them on the Strategy notes page." in text
    q1 = forecast.forecast_vs_actual("total", f, "quarter").set_index("period").loc["2026-Q1"]
    assert f"{q1['actual']:,.0f}" in text and f"{q1['attainment']:.1%}" in text
    assert "Rival undercuts us by 15% — “cheaper”" in text                     # note text as written
    charts = sum(1 for b in report.qbr_blocks("2026-Q1", f) if b[0] == "chart")
    images = sum(len(page.images) for page in reader.pages)
    assert charts >= 2 and images == charts


def test_cli_writes_the_pdf_when_asked(db, tmp_path):
    import os
    import subprocess
    import sys

    from intel import store
    from tests.conftest import ROOT

    import_file(FIXTURES / "forecast_deals.csv", as_of="2026-06-30", by=ADMIN)
    store.close_all()
    out = tmp_path / "pack.pdf"
    done = subprocess.run([sys.executable, "-m", "intel", "report", "--period", "2026-Q1", "--out", str(out)],
                          cwd=ROOT, env=dict(os.environ), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().startswith(b"%PDF-")


def test_pack_tables_and_charts_read_as_words_not_codes(demo_db, monkeypatch):
    """No 'True'/'False' cell (a small sample reads 'yes' or 'no') and the movement waterfall's
    bars are named as people say them ('Pushed out', not 'pushed_out')."""
    monkeypatch.setenv("SIGHTLINE_DB", str(demo_db))
    f = Filters(dt.date(2025, 10, 1), dt.date(2026, 12, 31))
    blocks = report.qbr_blocks("2026-Q3", f)
    cells = [cell for b in blocks if b[0] == "table" for row in b[2] for cell in row]
    assert cells and not {"True", "False"} & set(cells)
    assert {"yes", "no"} & set(cells)                     # the by-segment table's small-sample column
    moved = [b[1] for b in blocks if b[0] == "chart" and b[2].startswith("What moved")]
    assert moved and list(moved[0].data[0].x)[:4] == ["Start", "Won", "Lost", "Pushed out"]


# ---- the pack on the demo: its quarter's numbers, its windows, its words, its layout ----

@pytest.fixture(scope="module")
def emea_q3(demo_db):
    """The EMEA pack for 2026-Q3 on the demo (data as of 2026-11-16), made once: its blocks, its
    HTML, its PDF pages' text, and the demo's current deals for independent sums."""
    from pypdf import PdfReader

    from intel import store

    f = Filters(dt.date(2025, 6, 1), dt.date(2026, 11, 30), region=("EMEA",))   # the dates play no part
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SIGHTLINE_DB", str(demo_db))
        blocks = report.qbr_blocks("2026-Q3", f)
        pack = report.qbr_pack("2026-Q3", f)
        pdf = report.qbr_pack_pdf("2026-Q3", f)
        deals = store.query_sql("SELECT * FROM opportunities_current", {})
        store.close_all()
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    return blocks, pack, pages, deals


def table_after(blocks, title: str) -> tuple[str, dict[str, dict[str, str]]]:
    """The window of the heading `title` and the table under it, as {first cell: {heading: cell}}."""
    at = next(i for i, b in enumerate(blocks) if b[0] in ("h3", "chart") and b[1 if b[0] == "h3" else 2] == title)
    window = blocks[at][2 if blocks[at][0] == "h3" else 3]
    table = next(b for b in blocks[at + 1:] if b[0] == "table")
    return window, {row[0]: dict(zip(table[1], row)) for row in table[2]}


def quarter(deals, first: str, last: str, region: str | None = None):
    """The deals closed in a quarter (in a region): pandas on the canonical table, not the metric SQL."""
    closed = deals[deals["is_closed"] & deals["close_date"].between(pd.Timestamp(first), pd.Timestamp(last))]
    return closed if region is None else closed[closed["region"] == region]


def test_the_quarter_tables_hold_the_quarter_numbers(emea_q3):
    blocks, _, _, deals = emea_q3
    q3 = quarter(deals, "2026-07-01", "2026-09-30", "EMEA")
    won = q3[q3["is_won"]]
    # KPIs: 9,859,600 booked in EMEA in 2026-Q3, 178 of 650 closed deals won
    kpis = dict(next(b for b in blocks if b[0] == "kpis")[1])
    assert kpis["Bookings"] == models.money(float(won["amount"].sum())) == "$9.86M"
    assert kpis["Win rate"] == f"{len(won) / len(q3):.1%}" == "27.4%"
    # variance by owner (one region: its owners): each owner's actual is what they won in the quarter
    window, owners = table_after(blocks, "Variance by owner")
    assert window == "EMEA · 2026-Q3"
    booked = won.groupby("owner")["amount"].sum()
    assert {o: r["Actual"] for o, r in owners.items()} == {o: metrics.format_value(float(a), "money") for o, a in booked.items()}
    # win rate by segment, loss reasons and competitors: the quarter's deals, not 18 months'
    window, segments = table_after(blocks, "Win rate by segment")
    assert window == "EMEA · 2026-Q3"
    for segment, part in q3.groupby("segment"):
        n = int(part["is_won"].sum())
        assert segments[segment]["Won"] == f"{n:,}" and segments[segment]["Lost"] == f"{len(part) - n:,}"
        assert segments[segment]["Win rate"] == f"{n / len(part):.1%}"
    window, reasons = table_after(blocks, "Why we lose")
    lost = q3[~q3["is_won"]]
    assert window == "EMEA · 2026-Q3"
    assert {r: row["Losses"] for r, row in reasons.items()} == {
        r: f"{n:,}" for r, n in lost["loss_reason"].value_counts().items()}          # 157 lost to a competitor...
    window, rivals = table_after(blocks, "Competitors")
    named = q3[q3["competitor"].notna()]
    assert window == "EMEA · 2026-Q3"
    assert {c: (row["Won"], row["Lost"]) for c, row in rivals.items()} == {
        c: (f"{int(p['is_won'].sum()):,}", f"{int((~p['is_won']).sum()):,}") for c, p in named.groupby("competitor")}


def test_every_heading_states_its_window_and_scope(emea_q3):
    blocks, pack, _, _ = emea_q3
    windows = {(b[1] if b[0] == "h3" else b[2]): (b[2] if b[0] == "h3" else b[3])
               for b in blocks if b[0] in ("h3", "chart")}
    assert windows["Target, forecast and actual by quarter"] == "EMEA · trailing four quarters, 2025-Q4 to 2026-Q3"
    assert windows["Owners over-calling or sandbagging"] == "EMEA · trailing four quarters, 2025-Q4 to 2026-Q3"
    assert windows["Win rate by month"] == "EMEA · trailing four quarters, 2025-Q4 to 2026-Q3"
    assert windows["What moved in 2026-Q3's pipeline"] == "EMEA · 2026-06-29 → 2026-09-28"   # its start to its end
    assert windows["Open pipeline by stage"] == "EMEA · at 2026-11-16 (latest snapshot)"
    untitled = [title for title, window in windows.items() if not window and title not in ("SWOT", "PESTEL")]
    assert not untitled
    assert "Variance by owner <span class='window'>· EMEA · 2026-Q3</span>" in pack


def test_scope_line_on_the_first_page_and_every_pdf_page(emea_q3):
    _, pack, pages, _ = emea_q3
    line = "Region: EMEA · 2026-Q3 · data as of 2026-11-16"
    assert f'<p class="stamp" id="filters">{line} · prepared ' in pack
    assert line in pages[0].replace("\n", " ")
    for number, text in enumerate(pages, start=1):
        assert f"Sightline QBR · {line} · page {number} of {len(pages)}" in text


def visible_text(pack: str) -> str:
    """What a reader of the HTML pack sees: no scripts (plotly.js, the figures' data), no tags."""
    return html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", " ", pack, flags=re.S)))


def test_the_pack_reads_as_words_not_codes(emea_q3):
    _, pack, pages, _ = emea_q3
    for text in (visible_text(pack), "\n".join(pages)):
        assert not re.findall(r"\b[a-z]+_[a-z0-9_]+\b", text)           # pushed_out, small_sample, best_case
        assert not re.findall(r"\b(True|False|nan|NaN|None|NaT)\b", text)
        assert not re.search(r"\d\.\d{3,}", text)                          # 132291.0506: no raw floats
    assert "Small sample" in pack and "Pushed out" in "\n".join(pages)


def test_no_heading_ends_a_pdf_page(emea_q3):
    """A heading is kept with the start of its table or chart: no page's last line is a heading."""
    blocks, _, pages, _ = emea_q3
    headings = {b[1] for b in blocks if b[0] in ("h2", "h3")} | {b[2] for b in blocks if b[0] == "chart"}
    for text in pages[:-1]:
        lines = [line for line in text.splitlines() if line.strip() and not line.startswith("Sightline QBR ·")]
        assert not any(lines[-1].startswith(h) for h in headings), lines[-1]


def test_alerts_are_cut_to_the_scope(emea_q3, demo_db):
    blocks, _, _, deals = emea_q3
    summaries = [b[2] for b in blocks if b[0] == "alert"]
    assert any(s.startswith("EMEA over-calls") for s in summaries)
    # Priya Natarajan sells in North America only: her alert stays out of the EMEA pack, counted
    assert set(deals.loc[deals["owner"] == "Priya Natarajan", "region"]) == {"North America"}
    assert not any("Priya Natarajan" in s for s in summaries)
    # outside EMEA: her sandbagging alert, and the landing rule's on APAC and LATAM (2026-Q4 below 30%)
    assert ("p", "3 more open alerts are about members outside EMEA: see the Alerts page.") in blocks


def test_a_quarter_in_progress_says_so(demo_db, monkeypatch):
    monkeypatch.setenv("SIGHTLINE_DB", str(demo_db))
    assert report.progress("2026-Q4", dt.date(2026, 11, 16)) == (47, 92)     # 1 Oct to 16 Nov of 92 days
    assert report.progress("2026-Q3", dt.date(2026, 11, 16)) is None
    assert report.progress("2026-11", dt.date(2026, 11, 16)) == (16, 30)
    assert report.title("2026-11") == "Monthly business review — 2026-11"
    f = Filters(dt.date(2025, 6, 1), dt.date(2026, 11, 30))
    blocks = report.qbr_blocks("2026-Q4", f)
    assert ("h2", "Overview", "Company-wide · 2026-Q4 (in progress: 47 of 92 days)") in blocks
    assert "2026-Q4 (in progress: 47 of 92 days) · data as of 2026-11-16" in report.stamp("2026-Q4", f)
    pace = next(b[1] for b in blocks if b[0] == "p" and b[1].startswith("2026-Q4 is in progress"))
    assert "47 of 92 days (51%)" in pace and "against 51.1% on a straight-line pace" in pace
    trend = next(b for b in blocks if b[0] == "chart" and b[2].startswith("Target, forecast"))
    assert list(trend[1].data[0].x)[-1] == "2026-Q4 (to date)"
    # bias is judged on finished quarters only
    owners = next(b for b in blocks if b[0] == "h3" and b[1] == "Owners over-calling or sandbagging")
    assert owners[2] == "Company-wide · trailing four quarters, 2025-Q4 to 2026-Q3 (finished quarters)"


def test_an_empty_board_is_one_line_and_only_categories_with_notes_show(db, tmp_path):
    from pypdf import PdfReader

    import_file(FIXTURES / "forecast_deals.csv", as_of="2026-06-30", by=ADMIN)
    notes.add_note(notes.Note("PESTEL", "Legal", "New procurement rules", scope_kind="region",
                              scope_value="EMEA"), by=ADMIN)
    notes.add_note(notes.Note("PESTEL", "Economic", "APAC slowdown", scope_kind="region",
                              scope_value="APAC"), by=ADMIN)
    f = Filters(dt.date(2025, 1, 1), dt.date(2026, 3, 31), region=("EMEA",))
    blocks = report.qbr_blocks("2026-Q1", f)
    notes_at = blocks.index(("h2", "Strategy notes", "EMEA"))
    assert blocks[notes_at + 1:] == [
        ("p", "No SWOT notes for this scope yet — add them on the Strategy notes page."),
        ("h3", "PESTEL", ""),
        ("board", "PESTEL", {"Legal": ["New procurement rules — region EMEA · medium impact"]})]   # APAC's left out
    path = tmp_path / "qbr.pdf"
    path.write_bytes(report.qbr_pack_pdf("2026-Q1", f))
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    board = text[text.index("Strategy notes"):]
    assert "—\n" not in board and "Political" not in board and "Strength" not in board


# ---- the landing: the quarter in progress projected, its deals, track record and scenarios ----

@pytest.fixture(scope="module")
def emea_q4(demo_db, tmp_path_factory):
    """The EMEA pack for 2026-Q4, the quarter in progress on the demo, with a scenario saved for it
    (on a copy of the demo store): its blocks, PDF text, the progress it reported and how many
    times the track record was replayed for the HTML and the PDF."""
    import shutil

    from pypdf import PdfReader

    from intel import landing, scenarios, store
    from intel.landing import Shock

    path = tmp_path_factory.mktemp("q4") / "demo.duckdb"
    store.close_all()
    shutil.copy(demo_db, path)
    f = Filters(dt.date(2025, 6, 1), dt.date(2026, 11, 30), region=("EMEA",))
    shocks = (Shock("win_rate", -5, "segment", "SMB"), Shock("slip", 2))
    heard, replays = [], []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SIGHTLINE_DB", str(path))
        real = landing.backtest
        patch.setattr(landing, "backtest", lambda *a, **k: replays.append(a) or real(*a, **k))
        scenarios.save("SMB slows, deals slip", "2026-Q4", shocks, f, by=ADMIN)
        blocks = report.qbr_blocks("2026-Q4", f, progress=lambda fraction, text: heard.append((fraction, text)))
        pdf = report.qbr_pack_pdf("2026-Q4", f)
        store.close_all()
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    return blocks, pages, heard, replays, path, f, shocks


def section(blocks, title: str = "Landing") -> list[tuple]:
    start = blocks.index(next(b for b in blocks if b[0] == "h2" and b[1] == title))
    end = next((i for i in range(start + 1, len(blocks)) if blocks[i][0] == "h2"), len(blocks))
    return blocks[start:end]


def test_the_landing_of_the_quarter_in_progress_is_what_the_projection_gives(emea_q4, monkeypatch):
    from intel import landing

    blocks, pages, _, _, path, f, shocks = emea_q4
    monkeypatch.setenv("SIGHTLINE_DB", str(path))
    land = landing.project(f, "2026-Q4")                    # the EMEA scope, at the data date 2026-11-16
    part = section(blocks)
    assert part[0] == ("h2", "Landing", "EMEA · 2026-Q4 (in progress: 47 of 92 days)")
    tiles = dict(part[1][1])
    assert tiles == {"Won to date": models.money(land.won_to_date), "P10": models.money(land.p10),
                     "P50 (median)": models.money(land.p50), "P90": models.money(land.p90),
                     "Expected": models.money(land.mean), "Chance of target": f"{land.chance_of_target:.1%}"}
    beside = dict(next(b for b in part[2:] if b[0] == "kpis")[1])
    assert beside == {"Target": models.money(land.target), "Commit call": models.money(land.commit),
                      "Best case": models.money(land.best_case),
                      "Weighted pipeline": models.money(land.weighted_pipeline)}
    # won to date, independently: EMEA's deals won from 1 October to the data date
    from intel import store

    q4 = quarter(store.query_sql("SELECT * FROM opportunities_current", {}), "2026-10-01", "2026-11-16", "EMEA")
    assert land.won_to_date == pytest.approx(float(q4.loc[q4["is_won"], "amount"].sum()))
    # the ten deals that move it most: largest share of the spread first, as the projection ranks them
    window, deals = table_after(part, "The 10 deals that move it most")
    assert window == "EMEA · open on 2026-11-16"
    top = land.top_deals(10)
    assert list(deals) == top["name"].tolist()
    first = deals[top["name"].iloc[0]]
    assert (first["Amount"], first["Chance"], first["Share of the spread"], first["Why"]) == (
        metrics.format_value(top["amount"].iloc[0], "money"), f"{top['chance'].iloc[0]:.1%}",
        f"{top['spread_share'].iloc[0]:.1%}", top["why"].iloc[0])
    # the scenario saved for the quarter: its name, the what-if in words, P50 without and with it
    window, saved = table_after(part, "Saved scenarios")
    assert window == "EMEA · 2026-Q4"
    shocked = landing.project(f, "2026-Q4", shocks=shocks)
    row = saved["SMB slows, deals slip"]
    assert row["What-if"] == "SMB: win rate moves by -5 points; Every open deal in scope: close dates slip by 2 weeks"
    assert row["P50 without"] == metrics.format_value(land.p50, "money")
    assert row["P50 with it"] == metrics.format_value(shocked.p50, "money") != row["P50 without"]
    assert row["Chance with it"] == f"{shocked.chance_of_target:.1%}"
    text = " ".join(" ".join(pages).split())                  # the PDF: its cells wrap at words
    assert "SMB slows, deals slip" in text and metrics.format_value(shocked.p50, "money") in text


def test_the_track_record_is_replayed_once_per_pack_and_its_steps_are_reported(emea_q4):
    blocks, pages, heard, replays, *_ = emea_q4
    assert len(replays) == 1                 # the blocks, then the PDF: the second reads the kept replay
    window, weeks = table_after(section(blocks), "Track record")
    assert window == "EMEA · replayed weekly over 2025-Q4 to 2026-Q3"
    # the end of every week inside each finished quarter: 13 + 12 + 12 + 13 (92, 90, 91 and 92 days)
    assert {w: r["Points"] for w, r in weeks.items()} == {"week 2": "4", "week 4": "4", "week 8": "4",
                                                        "all weeks": "50"}
    sentence = next(b[1] for b in section(blocks) if b[0] == "p" and b[1].startswith("Replayed weekly"))
    inside = float(weeks["all weeks"]["P10–P90 held the actual"].rstrip("%")) / 100
    assert f"the P10–P90 range held the actual {inside:.0%} of the time" in sentence
    said = [text for _, text in heard]
    assert said.index("Landing: projecting 2026-Q4") < said.index("Landing: Replaying 2025-Q4, week 1") \
        < said.index("Landing: the saved scenarios") < said.index("Win-loss")
    fractions = [fraction for fraction, _ in heard]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(line.startswith("Landing") for page in pages for line in page.splitlines())


def test_a_finished_quarter_gives_its_actual_and_looks_ahead_to_the_quarter_in_progress(emea_q3, demo_db):
    blocks, pack, pages, deals = emea_q3
    part = section(blocks)
    won = quarter(deals, "2026-07-01", "2026-09-30", "EMEA")
    won = float(won.loc[won["is_won"], "amount"].sum())              # 9,859,600
    assert part[0] == ("h2", "Landing", "EMEA · 2026-Q3")
    said = part[1][1]
    assert said.startswith("The landing is a projection of the quarter in progress, 2026-Q4 (the data date, "
                           "2026-11-16, falls in it). 2026-Q3 is finished: it landed at "
                           f"{models.money(won)} against a ")
    assert models.money(won) == "$9.86M" and said in visible_text(pack)
    assert "2026-Q3 is finished" in " ".join(" ".join(pages).split())   # the PDF wraps lines at words
    # then where 2026-Q4 lands in the same scope: its P50 as intel.landing projects it
    ahead = part.index(("h3", "Looking ahead: 2026-Q4", "EMEA · 2026-Q4 (in progress: 47 of 92 days)"))
    from intel import landing

    land = landing.project(Filters(dt.date(2026, 10, 1), dt.date(2026, 12, 31), region=("EMEA",)), "2026-Q4",
                           db=demo_db)
    kpis = dict(next(b[1] for b in part[ahead:] if b[0] == "kpis"))
    assert kpis["P50 (median)"] == report._kpi("P50", land.p50, "money")[1]
