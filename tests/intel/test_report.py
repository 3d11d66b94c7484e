"""The QBR pack: each section there, its numbers those of the intel functions, no network needed."""
from __future__ import annotations

import datetime as dt
import re

from intel import forecast, metrics, notes, report
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
    assert "scope: 2025-01-01 to 2026-03-31; region: EMEA" in text.replace("\n", " ")   # the filters, on page 1
    for heading in ("Overview", "Forecast vs actual", "Win-loss", "Open alerts", "Strategy notes", "SWOT", "PESTEL"):
        assert f"\n{heading}" in text
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
