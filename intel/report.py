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

from intel import alerts, forecast, metrics, notes, pipeline
from intel.filters import Filters

pio.defaults.mathjax = None   # no CDN reach


def _table(df: pd.DataFrame, columns: dict[str, str], formats: dict[str, str] | None = None) -> str:
    formats = formats or {}
    head = "".join(f"<th>{html.escape(label)}</th>" for label in columns.values())
    body = []
    for row in df.to_dict("records"):
        cells = []
        for col in columns:
            value = row.get(col)
            if value is None or (isinstance(value, float) and value != value):
                text = "—"
            elif col in formats:
                text = formats[col].format(value)
            else:
                text = str(value)
            cells.append(f"<td>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


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


def qbr_pack(period: str, filters: Filters, db=None) -> str:
    """The pack for a quarter or month (`2026-Q3`, `2026-09`) within the filters' scope, as HTML."""
    start, grain = forecast.parse_period(period)
    before = forecast.previous_period(period)
    wide = filters.with_(date_from=min(filters.date_from, forecast.parse_period(before)[0]))
    fig = _Figures()
    parts = []
    scope = filters.describe()

    totals = forecast.forecast_vs_actual("total", wide, grain, db=db).set_index("period")
    trend = metrics.win_rate_trend(wide, grain, db=db).set_index("period")
    kpis = []
    if period in totals.index:
        r = totals.loc[period]
        kpis += [("Bookings", f"{r['actual']:,.0f}"), ("Target", "—" if r["target"] != r["target"] else f"{r['target']:,.0f}"),
                 ("Attainment", "—" if r["attainment"] != r["attainment"] else f"{r['attainment']:.1%}"),
                 ("Forecast (commit)", "—" if r["forecast"] != r["forecast"] else f"{r['forecast']:,.0f}")]
    if period in trend.index and trend.loc[period]["closed"]:
        kpis.append(("Win rate", f"{trend.loc[period]['win_rate']:.1%}"))
    parts.append("<h2>Overview</h2><div class='kpis'>" + "".join(
        f"<div class='kpi'><div class='label'>{html.escape(k)}</div><div class='value'>{html.escape(v)}</div></div>"
        for k, v in kpis) + "</div>")

    # forecast vs actual
    f_all = forecast.forecast_vs_actual("total", filters, grain, db=db)
    chart = go.Figure([go.Bar(x=f_all["period"], y=f_all["actual"], name="Actual"),
                       go.Scatter(x=f_all["period"], y=f_all["target"], name="Target", mode="lines+markers"),
                       go.Scatter(x=f_all["period"], y=f_all["forecast"], name="Forecast (commit)", mode="lines+markers")])
    by_region = forecast.forecast_vs_actual("region", wide, grain, db=db)
    by_region = by_region[by_region["period"] == period]
    accuracy = forecast.forecast_accuracy("owner", filters, "month", db=db)
    flagged = accuracy[accuracy["verdict"] != "on target"]
    parts.append("<h2>Forecast vs actual</h2>" + fig(chart, "Target, forecast and actual by period")
                 + f"<h3>Variance by region, {html.escape(period)}</h3>"
                 + _table(by_region, {"member": "Region", "target": "Target", "forecast": "Forecast", "actual": "Actual",
                                      "variance": "Variance", "variance_pct": "Variance %", "attainment": "Attainment"},
                          {"target": "{:,.0f}", "forecast": "{:,.0f}", "actual": "{:,.0f}", "variance": "{:+,.0f}",
                           "variance_pct": "{:+.1%}", "attainment": "{:.1%}"})
                 + "<h3>Over-calling and sandbagging owners</h3>"
                 + _table(flagged, {"member": "Owner", "periods": "Periods", "bias": "Bias", "wape": "WAPE",
                                    "verdict": "Verdict"}, {"bias": "{:+.1%}", "wape": "{:.1%}"}))

    # win-loss
    wl = metrics.win_rate_trend(filters, "month", db=db)
    chart = go.Figure(go.Scatter(x=wl["period"], y=wl["win_rate"], mode="lines+markers", name="Win rate"))
    chart.update_yaxes(tickformat=".0%")
    by_segment = metrics.win_rate_by("segment", filters, db=db)
    reasons = metrics.loss_reasons(filters, db=db)
    h2h = metrics.head_to_head(filters, db=db)
    parts.append("<h2>Win-loss</h2>" + fig(chart, "Win rate by month")
                 + "<h3>By segment</h3>" + _table(by_segment, {"member": "Segment", "won": "Won", "lost": "Lost",
                                                              "win_rate": "Win rate", "small_sample": "Small sample"},
                                                 {"win_rate": "{:.1%}"})
                 + "<h3>Why we lose</h3>" + _table(reasons, {"reason": "Reason", "losses": "Losses",
                                                             "share": "Share", "cumulative_share": "Cumulative"},
                                                   {"share": "{:.1%}", "cumulative_share": "{:.1%}"})
                 + "<h3>Competitors</h3>" + _table(h2h, {"competitor": "Competitor", "won": "Won", "lost": "Lost",
                                                         "win_rate": "Head-to-head win rate",
                                                         "presence_in_losses": "Share of our losses"},
                                                   {"win_rate": "{:.1%}", "presence_in_losses": "{:.1%}"}))

    # pipeline and movement
    if pipeline.snapshots(db):
        stages = pipeline.pipeline_by_stage(filters, db=db)
        cov = pipeline.coverage(filters, "quarter", db=db)
        section = ("<h2>Pipeline</h2>" + _table(stages, {"stage": "Stage", "deals": "Deals", "amount": "Amount",
                                                          "weighted": "Weighted"},
                                                 {"amount": "{:,.0f}", "weighted": "{:,.0f}"})
                   + "<h3>Coverage</h3>" + _table(cov, {"period": "Period", "pipeline": "Pipeline", "remaining": "Remaining target",
                                                        "coverage": "Coverage", "coverage_needed": "Needed"},
                                                  {"pipeline": "{:,.0f}", "remaining": "{:,.0f}", "coverage": "{:.2f}×",
                                                   "coverage_needed": "{:.2f}×"}))
        if len(pipeline.snapshots(db)) > 1:
            current = pipeline.current_period("quarter", db)
            moved = pipeline.movement(current, filters, db=db)
            steps = moved[moved["category"] != "created_and_closed"]
            chart = go.Figure(go.Waterfall(x=steps["category"], y=(steps["amount"] * steps["sign"]).tolist(),
                                           measure=["absolute"] + ["relative"] * 7 + ["total"]))
            section += fig(chart, f"What moved in {current}: {moved.attrs['s0']} → {moved.attrs['s1']}")
        parts.append(section)

    # alerts
    open_now = alerts.open_alerts(db)
    rules = {r.id: r for r in alerts.list_rules(db)}
    items = []
    for row in open_now.to_dict("records"):
        text = alerts.prompt(row, rules[row["rule_id"]])
        items.append(f"<div class='alert'><b>{html.escape(row['severity'].upper())}</b> "
                     f"{html.escape(text['summary'])}<br><i>Questions:</i><ul>"
                     + "".join(f"<li>{html.escape(q)}</li>" for q in text["questions"])
                     + "</ul><i>Actions to weigh:</i><ul>"
                     + "".join(f"<li>{html.escape(a)}</li>" for a in text["actions"]) + "</ul></div>")
    parts.append(f"<h2>Open alerts ({len(open_now)})</h2>" + ("".join(items) or "<p>None.</p>"))

    # notes
    board = notes.notes(db=db)
    section = "<h2>Strategy notes</h2>"
    for framework, categories in notes.FRAMEWORKS.items():
        section += f"<h3>{framework}</h3><div class='board'>"
        for category in categories:
            part = board[(board["framework"] == framework) & (board["category"] == category)]
            section += (f"<div class='cell'><b>{category}</b><ul>"
                        + "".join(f"<li>{html.escape(r.text)} <small>({html.escape(r.scope_kind)} "
                                  f"{html.escape(r.scope_value or '')}; {html.escape(r.impact)})</small></li>"
                                  for r in part.itertuples()) + "</ul></div>")
        section += "</div>"
    parts.append(section)

    stamp = (f"Period {html.escape(period)} · scope: {html.escape(scope)} · made "
             f"{dt.datetime.now():%Y-%m-%d %H:%M}")
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
<p class="stamp" id="filters">{stamp}</p>
{''.join(parts)}
<script type="application/json" id="sightline-scope">{html.escape(json.dumps(filters.to_query()))}</script>
</body></html>"""
