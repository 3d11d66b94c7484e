"""The QBR pack: one self-contained HTML file (plotly.js inlined once, no network needed) with
the period's KPIs, forecast vs actual, win-loss, pipeline and movement, open alerts with their
prompts, and the SWOT/PESTEL notes; the filters that produced it are stamped on top.
Every number comes from the same intel functions the pages call.
"""
from __future__ import annotations

import datetime as dt
import html
import json

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from intel import alerts, metrics, notes, periods, pipeline
from intel.filters import Filters
from intel.holdings import unconverted_note

pio.defaults.mathjax = None   # no CDN reach


# ---- the content, once: a list of blocks both renderers (HTML, PDF) draw ----

def _table(df: pd.DataFrame, columns: tuple[str, ...], dim: str | None = None,
           signed: tuple[str, ...] = ()) -> tuple:
    """("table", header labels, rows of formatted cell texts): labels and formats from the catalogue."""
    header = [metrics.column_label(col, dim) for col in columns]
    body = [[metrics.format_value(row.get(col), metrics.column_format(col), signed=col in signed)
             for col in columns] for row in df.to_dict("records")]
    return ("table", header, body)


def _kpi(name: str, value) -> tuple[str, str]:
    entry = metrics.get(name)
    return (entry.label, metrics.format_value(value, entry.format))


def qbr_blocks(period: str, filters: Filters, db=None) -> list[tuple]:
    """The pack's content for a quarter or month (`2026-Q3`, `2026-09`) within the filters' scope:
    ("h2"|"h3"|"p", text), ("kpis", [(label, value)]), ("table", header, rows), ("chart", figure,
    title), ("alert", severity, summary, questions, actions), ("board", framework, {category: [lines]})."""
    _, grain = periods.parse(period)
    before = periods.previous(period)
    wide = filters.with_(date_from=min(filters.date_from, periods.parse(before)[0]))
    blocks: list[tuple] = []

    totals = metrics.run("forecast_variance", wide, db=db, dim="total", grain=grain).set_index("period")
    trend = metrics.run("win_rate", wide, db=db, dim="total", grain=grain).set_index("period")
    kpis = []
    if period in totals.index:
        r = totals.loc[period]
        kpis += [_kpi("bookings", r["actual"]), ("Target", metrics.format_value(r["target"], "money")),
                 _kpi("attainment", r["attainment"]),
                 ("Forecast (commit)", metrics.format_value(r["forecast"], "money"))]
    if period in trend.index and trend.loc[period]["closed"]:
        kpis.append(_kpi("win_rate", trend.loc[period]["win_rate"]))
    blocks += [("h2", "Overview"), ("kpis", kpis)]
    unconverted = unconverted_note(db)
    if unconverted:   # the pack's money leaves these deals out: say so where the numbers start
        blocks.append(("p", unconverted))

    # forecast vs actual
    f_all = metrics.run("forecast_variance", filters, db=db, dim="total", grain=grain)
    chart = go.Figure([go.Bar(x=f_all["period"], y=f_all["actual"], name="Actual"),
                       go.Scatter(x=f_all["period"], y=f_all["target"], name="Target", mode="lines+markers"),
                       go.Scatter(x=f_all["period"], y=f_all["forecast"], name="Forecast (commit)", mode="lines+markers")])
    by_region = metrics.run("forecast_variance", wide, db=db, dim="region", grain=grain)
    by_region = by_region[by_region["period"] == period]
    accuracy = metrics.run("forecast_accuracy", filters, db=db, dim="owner", grain="month")
    flagged = accuracy[accuracy["verdict"] != "on target"]
    blocks += [("h2", "Forecast vs actual"), ("chart", chart, "Target, forecast and actual by period"),
               ("h3", f"Variance by region, {period}"),
               _table(by_region, ("member", "target", "forecast", "actual", "variance", "variance_pct",
                                  "attainment"), "region", signed=("variance", "variance_pct")),
               ("h3", "Over-calling and sandbagging owners"),
               _table(flagged, ("member", "periods", "bias", "wape", "verdict"), "owner", signed=("bias",))]

    # win-loss
    wl = metrics.run("win_rate", filters, db=db, dim="total", grain="month")
    chart = go.Figure(go.Scatter(x=wl["period"], y=wl["win_rate"], mode="lines+markers", name="Win rate"))
    chart.update_yaxes(tickformat=".0%")
    by_segment = metrics.run("win_rate", filters, db=db, dim="segment", grain="all")
    reasons = metrics.run("loss_reasons", filters, db=db)
    h2h = metrics.run("head_to_head", filters, db=db)
    blocks += [("h2", "Win-loss"), ("chart", chart, "Win rate by month"),
               ("h3", "By segment"), _table(by_segment, ("member", "won", "lost", "win_rate", "small_sample"),
                                            "segment"),
               ("h3", "Why we lose"), _table(reasons, metrics.get("loss_reasons").columns),
               ("h3", "Competitors"), _table(h2h, metrics.get("head_to_head").columns)]

    # pipeline and movement
    if pipeline.snapshots(db):
        stages = metrics.run("pipeline_by_stage", filters, db=db)
        cov = metrics.run("coverage", filters, db=db, grain="quarter")
        blocks += [("h2", "Pipeline"), _table(stages, metrics.get("pipeline_by_stage").columns),
                   ("h3", "Coverage"), _table(cov, metrics.get("coverage").columns)]
        if len(pipeline.snapshots(db)) > 1:
            current = pipeline.current_period("quarter", db)
            moved = metrics.run("pipeline_movement", filters, db=db, period=current)
            steps = moved[moved["category"] != "created_and_closed"]
            chart = go.Figure(go.Waterfall(x=steps["category"].map(pipeline.MOVEMENT_LABELS), y=(steps["amount"] * steps["sign"]).tolist(),
                                           measure=["absolute"] + ["relative"] * 7 + ["total"]))
            blocks.append(("chart", chart, f"What moved in {current}: {moved.attrs['s0']} → {moved.attrs['s1']}"))

    # alerts
    open_now = alerts.open_alerts(db)
    rules = {r.id: r for r in alerts.list_rules(db)}
    blocks.append(("h2", f"Open alerts ({len(open_now)})"))
    for row in open_now.to_dict("records"):
        text = alerts.prompt(row, rules[row["rule_id"]])
        blocks.append(("alert", row["severity"].upper(), text["summary"], text["questions"], text["actions"]))
    if open_now.empty:
        blocks.append(("p", "None."))

    # notes
    board = notes.notes(db=db)
    blocks.append(("h2", "Strategy notes"))
    for framework, categories in notes.FRAMEWORKS.items():
        cells = {}
        for category in categories:
            part = board[(board["framework"] == framework) & (board["category"] == category)]
            cells[category] = [f"{r.text} ({r.scope_kind} {r.scope_value or ''}; {r.impact})".replace(" ;", ";")
                               for r in part.itertuples()]
        blocks.append(("board", framework, cells))
    return blocks


def stamp(period: str, filters: Filters) -> str:
    """The line on the first page saying what produced the pack."""
    return f"Period {period} · scope: {filters.describe()} · made {dt.datetime.now():%Y-%m-%d %H:%M}"


# ---- HTML: interactive charts, plotly.js inlined once ----

class _Figures:
    """Figures as HTML divs; plotly.js goes into the first one only."""

    def __init__(self):
        self.first = True

    def __call__(self, fig: go.Figure, title: str) -> str:
        fig.update_layout(title=title, template="plotly_white", height=360, margin={"l": 40, "r": 20, "t": 50, "b": 40})
        out = pio.to_html(fig, full_html=False, include_plotlyjs="inline" if self.first else False,
                          config={"displaylogo": False})
        self.first = False
        return out


def _html_block(block: tuple, fig: _Figures) -> str:
    kind = block[0]
    if kind in ("h2", "h3", "p"):
        return f"<{kind}>{html.escape(block[1])}</{kind}>"
    if kind == "kpis":
        return "<div class='kpis'>" + "".join(
            f"<div class='kpi'><div class='label'>{html.escape(k)}</div><div class='value'>{html.escape(v)}</div></div>"
            for k, v in block[1]) + "</div>"
    if kind == "table":
        head = "".join(f"<th>{html.escape(label)}</th>" for label in block[1])
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in block[2])
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if kind == "chart":
        return fig(block[1], block[2])
    if kind == "alert":
        _, severity, summary, questions, actions = block
        return (f"<div class='alert'><b>{html.escape(severity)}</b> {html.escape(summary)}<br><i>Questions:</i><ul>"
                + "".join(f"<li>{html.escape(q)}</li>" for q in questions) + "</ul><i>Actions to weigh:</i><ul>"
                + "".join(f"<li>{html.escape(a)}</li>" for a in actions) + "</ul></div>")
    if kind == "board":
        _, framework, cells = block
        return (f"<h3>{html.escape(framework)}</h3><div class='board'>"
                + "".join(f"<div class='cell'><b>{html.escape(category)}</b><ul>"
                          + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul></div>"
                          for category, lines in cells.items()) + "</div>")
    raise ValueError(kind)


def qbr_pack(period: str, filters: Filters, db=None) -> str:
    """The pack for a quarter or month within the filters' scope, as one self-contained HTML file."""
    fig = _Figures()
    body = "".join(_html_block(b, fig) for b in qbr_blocks(period, filters, db))
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>QBR pack {html.escape(period)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
table {{ border-collapse: collapse; margin: .5em 0 1.5em; }} td, th {{ border: 1px solid #ddd; padding: 4px 8px; }}
th {{ background: #f4f4f4; }} .kpis {{ display: flex; gap: 2em; }} .kpi .value {{ font-size: 1.8em; }}
.stamp {{ background: #f4f4f4; padding: .5em 1em; }} .alert {{ border-left: 4px solid #d62728; padding-left: 1em; margin: 1em 0; }}
.board {{ display: grid; grid-template-columns: repeat(3, 1fr); gap: 1em; }}
.cell {{ border: 1px solid #ddd; padding: .5em; }}
</style></head><body>
<h1>Quarterly business review — {html.escape(period)}</h1>
<p class="stamp" id="filters">{html.escape(stamp(period, filters))}</p>
{body}
<script type="application/json" id="sightline-scope">{html.escape(json.dumps(filters.to_query()))}</script>
</body></html>"""


# ---- PDF: the same blocks, charts drawn by matplotlib (no browser involved) ----

def _chart_png(fig: go.Figure, title: str) -> bytes:
    """A static drawing of one of the pack's Plotly figures (bars, lines, a waterfall)."""
    import io

    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, PercentFormatter

    figure = Figure(figsize=(8, 3.2), dpi=150)
    ax = figure.subplots()
    for trace in fig.data:
        x = [str(v) for v in trace.x]
        y = [float("nan") if v is None else float(v) for v in trace.y]
        if trace.type == "bar":
            ax.bar(x, y, label=trace.name, color="#1f77b4")
        elif trace.type == "scatter":
            ax.plot(x, y, marker="o", label=trace.name)
        elif trace.type == "waterfall":
            level, bottoms, heights, colours = 0.0, [], [], []
            for value, measure in zip(y, trace.measure):
                if measure == "relative":
                    bottoms.append(level if value >= 0 else level + value)
                    heights.append(abs(value))
                    colours.append("#2ca02c" if value >= 0 else "#d62728")
                    level += value
                else:   # absolute (the start) or total (the end): a bar from zero
                    level = value if measure == "absolute" else level
                    bottoms.append(0.0)
                    heights.append(level)
                    colours.append("#1f77b4")
            ax.bar(x, heights, bottom=bottoms, color=colours)
    if str(fig.layout.yaxis.tickformat or "").endswith("%"):
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_title(title, fontsize=10, loc="left")
    ax.tick_params(labelsize=7)
    for label in ax.get_xticklabels():
        label.set_rotation(45 if len(fig.data[0].x) > 8 else 0)
    if len(fig.data) > 1:
        ax.legend(fontsize=7, frameon=False)
    ax.grid(axis="y", color="#eee")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def qbr_pack_pdf(period: str, filters: Filters, db=None) -> bytes:
    """The same pack as a PDF (fpdf2, charts as images), for those who file the review."""
    from pathlib import Path

    import matplotlib
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"   # DejaVu: every character a note may hold
    pdf = FPDF(format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVu", "I", str(fonts / "DejaVuSans-Oblique.ttf"))
    pdf.set_title(f"QBR pack {period}")
    pdf.add_page()
    width = pdf.epw

    def text(size: float, content: str, style: str = "", gap: float = 1.5) -> None:
        pdf.set_font("DejaVu", style, size)
        pdf.multi_cell(width, size * 0.5, content, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    text(18, f"Quarterly business review — {period}", "B", 2)
    pdf.set_fill_color(244, 244, 244)
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(width, 6, stamp(period, filters), fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for block in qbr_blocks(period, filters, db):
        kind = block[0]
        if kind == "h2":
            pdf.ln(2)
            text(14, block[1], "B")
        elif kind == "h3":
            text(11, block[1], "B", 1)
        elif kind == "p":
            text(9, block[1])
        elif kind in ("kpis", "table"):
            header, rows = ([k for k, _ in block[1]], [[v for _, v in block[1]]]) if kind == "kpis" \
                else (block[1], block[2])
            pdf.set_font("DejaVu", "", 11 if kind == "kpis" else 7.5)
            with pdf.table(width=width, headings_style=FontFace(emphasis="BOLD", fill_color=(244, 244, 244)),
                           line_height=pdf.font_size * 1.6, text_align="LEFT") as table:
                table.row(header)
                for row in rows:
                    table.row(row)
            pdf.ln(3)
        elif kind == "chart":
            pdf.image(_chart_png(block[1], block[2]), w=width)
            pdf.ln(2)
        elif kind == "alert":
            _, severity, summary, questions, actions = block
            text(9, f"{severity} · {summary}", "B", 1)
            text(8.5, "Questions: " + " ".join(f"• {q}" for q in questions), "", 0.5)
            text(8.5, "Actions to weigh: " + " ".join(f"• {a}" for a in actions), "I", 2.5)
        elif kind == "board":
            _, framework, cells = block
            text(11, framework, "B", 1)
            for category, lines in cells.items():
                text(9, category, "B", 0.5)
                text(8.5, "\n".join(f"• {line}" for line in lines) or "—", "", 1.5)
    return bytes(pdf.output())
