"""Plotly figures drawn with every user-supplied string made literal; the waterfall."""
from __future__ import annotations

import html

import plotly.io as pio
import streamlit as st

PRIMARY, GREY = "#1f77b4", "#b0b0b0"

# Every figure's look, set once per process: a figure takes the default template as it is, where
# template="plotly_white" on each figure copied and validated the whole template again (12 ms a chart).
pio.templates.default = "plotly_white"


def _inert(value):
    """Text made literal for Plotly, which renders <a href>, <b>, <br>... in every label; numbers,
    dates and None pass unchanged, lists and arrays element by element."""
    import numpy as np

    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, np.ndarray):
        return value if value.dtype.kind not in "OUS" else np.vectorize(_inert, otypes=[object])(value)
    if isinstance(value, (list, tuple)):
        return [_inert(v) for v in value]
    return value


_TRACE_TEXT = ("x", "y", "z", "labels", "parents", "text", "hovertext", "customdata", "name",
               "legendgrouptitle")
_CLICKED = ("x", "y", "label", "text", "hovertext", "customdata", "legendgroup")


def _inert_figure(fig) -> None:
    """Every user-supplied string a figure can show (category values, trace names, text, hover text,
    custom data, titles, tick labels, annotations) escaped once, here, for every page."""
    for trace in fig.data:
        for attr in _TRACE_TEXT:
            if attr in trace and trace[attr] is not None:
                if attr == "legendgrouptitle":
                    trace.legendgrouptitle.text = _inert(trace.legendgrouptitle.text)
                else:
                    trace[attr] = _inert(trace[attr])
    layout = fig.layout
    if layout.title.text:
        layout.title.text = _inert(layout.title.text)
    if layout.legend.title.text:
        layout.legend.title.text = _inert(layout.legend.title.text)

    def axis(ax):
        if ax.title.text:
            ax.title.text = _inert(ax.title.text)
        if ax.ticktext is not None:
            ax.ticktext = _inert(ax.ticktext)
        if ax.categoryarray is not None:
            ax.categoryarray = _inert(ax.categoryarray)

    fig.for_each_xaxis(axis)
    fig.for_each_yaxis(axis)
    for note in layout.annotations:
        if note.text:
            note.text = _inert(note.text)


def _clicked(point: dict) -> dict:
    """A clicked point with its labels as the data holds them (the figure shows them escaped)."""
    return {k: html.unescape(v) if k in _CLICKED and isinstance(v, str) else v for k, v in dict(point).items()}


def chart(fig, key: str, select: bool = False, title: str | None = None) -> list[dict]:
    """Draw a Plotly figure, its text made literal; with select, return the points the user clicked
    (for drill-down), with their labels as in the data."""
    from pages._components.page import on_phone

    fig.update_layout(title=title, margin={"l": 10, "r": 10, "t": 40 if title else 10, "b": 10})
    if on_phone():   # a phone: shorter, legend under the plot, labels that fit 390 px
        fig.update_layout(height=320, legend={"orientation": "h", "y": -0.25, "x": 0},
                          font={"size": 11}, title_font={"size": 13})
        fig.update_xaxes(automargin=True, tickangle=-45, nticks=6)
    _inert_figure(fig)
    event = st.plotly_chart(fig, key=key, on_select="rerun" if select else "ignore",
                            selection_mode="points", width="stretch",
                            config={"displayModeBar": False} if on_phone() else {"displaylogo": False})
    if select and event and event.selection:
        return [_clicked(p) for p in event.selection.points]
    return []


def waterfall(labels, values, measures, key: str, title: str, select: bool = False) -> list[dict]:
    """A waterfall (start, steps, end) zoomed on where the bars move, rises green, falls red;
    with select, the bars the user clicked."""
    import plotly.graph_objects as go

    level, levels = 0.0, []
    for value, measure in zip(values, measures):
        level = value if measure == "absolute" else (level if measure == "total" else level + value)
        levels.append(level)
    low, high = min(levels + [0]), max(levels)
    spread = high - min(levels)
    fig = go.Figure(go.Waterfall(
        x=list(labels), y=list(values), measure=list(measures),
        increasing={"marker": {"color": "#2ca02c"}}, decreasing={"marker": {"color": "#d62728"}},
        totals={"marker": {"color": PRIMARY}}))
    if low >= 0 and spread < 0.5 * high:   # steps are small next to the totals: zoom in
        fig.update_yaxes(range=[max(min(levels) - spread * 1.5, 0), high + spread * 0.5])
    return chart(fig, key, select=select, title=title)
