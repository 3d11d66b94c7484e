"""Win-loss: why we win and lose, over the trailing 18 months (QBR win-loss review)."""
import plotly.graph_objects as go
import streamlit as st

from intel import metrics, periods, signals
from intel.filters import data_date, period_text, scope_line, scope_text
from intel.metrics import DIMENSION_LABELS, format_value
from intel.outcomes import NO_DECISION_HELP
from pages._components.charts import GREY, PRIMARY, chart
from pages._components.data import helper, metric
from pages._components.links import PAGES
from pages._components.urlstate import global_filters, show_notes, url_choice
from pages._components.widgets import column_tile, download_buttons, metric_tile, plain, say, table

WIN_RATE = metrics.get("win_rate")
filters, notes = global_filters()

st.title("Win-loss")
st.caption("Why we win and lose. Win rate = won ÷ (won + lost), by close date; bands are 95% intervals.")
st.caption(plain(helper(scope_line, filters)))

controls = st.columns([1, 1, 2])
with controls[0]:
    grain = url_choice("Period", PAGES["win-loss"].grain, [g for g in WIN_RATE.grains if g != "all"], "month",
                       widget=st.radio, notes=notes, horizontal=True, format_func=str.capitalize)
with controls[1]:
    exclude_nd = url_choice("Exclude “No decision”", "nd", [False, True], False, widget=st.toggle,
                            notes=notes, help="On: deals lost to no decision leave every number on "
                                              "this page (win rate = won ÷ (won + lost − no decision)). "
                                              + NO_DECISION_HELP)
with controls[2]:
    dim = url_choice("Breakdown", PAGES["win-loss"].breakdown, [d for d in WIN_RATE.dimensions if d != "total"], WIN_RATE.default_dim,
                     notes=notes, format_func=DIMENSION_LABELS.get)
show_notes(notes)

# Every figure says which deals it covers (its window and scope), right where it is shown: the
# Overview's win rate is one quarter's and the Pipeline's a trailing window's, this page's the range's.
CLOSED = "closed at any date (they carry no close date)" if filters.all_time else period_text(filters)
TAIL = f" · {scope_text(filters)}" + (" · “No decision” left out" if exclude_nd else "")
WINDOW = f"Deals {CLOSED}{TAIL}"      # Deals closed 2025-06-01 to 2026-11-30 · All regions, ...


def edges(grain: str) -> str:
    """What the first and last periods of the range hold when they are not whole: a quarter the
    range starts inside, the period in progress at the data date."""
    if filters.all_time:
        return ""
    said = []
    first = periods.label(filters.date_from, grain)
    if periods.start_of(filters.date_from, grain) != filters.date_from:
        said.append(f"{first} counts from {filters.date_from:%Y-%m-%d}")
    day = helper(data_date)
    if day is not None and filters.date_from <= day < filters.date_to:
        said.append(f"{periods.label(day, grain)} runs to the data date, {day:%Y-%m-%d}")
    return (" " + "; ".join(said) + ".") if said else ""


def by_period_axis(fig, labels) -> None:
    """Periods as the categories they are (2026-Q3, 2026-10), in order, at most six labels (the
    latest period always among them) so they never overlap on a phone."""
    labels = list(dict.fromkeys(labels))
    step = max(1, -(-len(labels) // 6))
    ticks = labels[::-1][::step][::-1]
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=labels,
                     tickmode="array", tickvals=ticks, ticktext=ticks)

# the whole range, undated closed deals included when the range is all time
headline = metric("win_rate", filters, dim="total", grain="all", exclude_no_decision=exclude_nd).iloc[0]
if headline["closed"] == 0:
    st.info("No deal closed in this scope and period. Widen the filters or upload an opportunities "
            "export on the Data page.")
    st.stop()

# ---- signals, so the review does not have to hunt for them ----
found = helper(signals.win_loss_signals, filters, exclude_nd)
if found:
    with st.container(border=True):
        st.markdown("**Signals**")
        st.caption(plain(f"Read over the months and quarters of: {WINDOW}. Each signal names the months "
                         "or quarters its figures cover."))
        for signal in found:
            say("warning" if signal.kind == "falling_win_rate" else "info", signal.text)

# ---- headline ----
won, lost, closed = int(headline["won"]), int(headline["lost"]), int(headline["closed"])
average = metric("average_won_deal", filters, dim="total", grain="all")
cycle = metric("sales_cycle", filters, dim="total", exclude_no_decision=exclude_nd).set_index("outcome")
st.caption(plain(f"{WINDOW}: every tile below covers these deals."))
tiles = st.columns(5)   # a tile's help is markdown and the scope names come from the data: plain() for both
metric_tile(tiles[0], "win_rate", headline["win_rate"], note=plain(f"{won:,} won of {closed:,} closed. {WINDOW}."))
unpriced = int(average["without_amount"].iloc[0]) if not average.empty else 0
metric_tile(tiles[1], "average_won_deal", average["average_won_deal"].iloc[0] if not average.empty else None,
            note=plain((f"{unpriced:,} of the {won:,} deals won {'has' if unpriced == 1 else 'have'} no amount. "
                        if unpriced else "") + f"{WINDOW}."))
amountless_losses = lost and not headline["lost_amount"]   # METRICS.md: by value is then undefined
metric_tile(tiles[2], "win_rate_by_value", headline["win_rate_by_value"],
            note=plain(("Lost deals carry no amount in this data, so a win rate by value cannot be told. "
                        if amountless_losses else "") + f"{WINDOW}."))
column_tile(tiles[3], "closed", closed, help=plain(f"{won:,} won, {lost:,} lost. {WINDOW}."))
metric_tile(tiles[4], "sales_cycle", cycle.loc["won", "median_days"] if "won" in cycle.index else None,
            label=f"{metrics.get('sales_cycle').label} (won)", note=plain(f"{WINDOW}."))
undated = int(cycle["closed_without_dates"].iloc[0]) if not cycle.empty else 0
if undated:
    say("info", f"{undated:,} of the {closed:,} closed deals {'has' if undated == 1 else 'have'} no "
        "created date: the sales cycle "
        + ("is unknown (the export has no created date, or it is empty)." if undated == closed
           else "leaves them out."))

# ---- trend ----
st.subheader("Win rate trend")
trend = None if filters.all_time else metric("win_rate", filters, dim="total", grain=grain,
                                             exclude_no_decision=exclude_nd)
held = [] if trend is None else trend[trend["closed"] > 0]["period"].tolist()   # periods with closed deals
if filters.all_time:
    st.info("The trend needs close dates: the closed deals in this data have none, so every figure "
            "on this page covers all time. Upload an export with a close date column to see periods.")
elif len(held) < 2:
    say("info", f"Only {held[0] if held else 'no ' + grain} holds closed deals from {filters.date_from:%Y-%m-%d} "
        f"to {filters.date_to:%Y-%m-%d}: a trend needs deals closed in two {grain}s or more (widen the period, "
        "or upload an export with older closed deals).")
else:
    st.caption(plain(f"Each point: the deals closed in that {grain}. {WINDOW}.{edges(grain)} Shaded: the 95% "
                     "interval; grey points rest on fewer than the minimum sample."))
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=trend["period"], y=trend["win_rate_high"], mode="lines", line={"width": 0},
                             hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scatter(x=trend["period"], y=trend["win_rate_low"], mode="lines", line={"width": 0},
                             fill="tonexty",
                             fillcolor="rgba(31,119,180,0.15)", name="95% interval", hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        x=trend["period"], y=trend["win_rate"], mode="lines+markers", name="Win rate",
        line={"color": PRIMARY}, customdata=trend[["won", "closed"]],
        marker={"color": [GREY if s else PRIMARY for s in trend["small_sample"]]},
        hovertemplate="%{x}: %{y:.1%} (%{customdata[0]} won of %{customdata[1]})<extra></extra>"))
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    by_period_axis(fig, trend["period"])
    fig.update_layout(showlegend=False)   # the caption names the band: a legend takes a phone's width
    chart(fig, "wl_trend", title=f"Win rate by {grain}")
    download_buttons(trend.drop(columns=["member"]), "win-rate-trend", key="wl_trend_dl")

# ---- breakdown ----
by = metric("win_rate", filters, dim=dim, grain="all", exclude_no_decision=exclude_nd)
# beside each member's win rate, its average won deal (members with no win have none)
averages = metric("average_won_deal", filters, dim=dim, grain="all")[["member", "average_won_deal"]]
by = by.drop(columns=["period", "period_start"]).merge(averages, on="member", how="left")
by.insert(by.columns.get_loc("win_rate") + 1, "average_won_deal", by.pop("average_won_deal"))
shown = by.sort_values(["small_sample", "win_rate"], ascending=[True, True])
st.subheader(f"By {DIMENSION_LABELS[dim].lower()}")   # after the queries: heading and chart change together
st.caption(plain(f"{WINDOW}. Grey: fewer than the minimum sample of closed deals; too few to judge."))
fig = go.Figure(go.Bar(
    x=shown["win_rate"], y=shown["member"], orientation="h",
    marker={"color": [GREY if s else PRIMARY for s in shown["small_sample"]]},
    error_x={"type": "data", "symmetric": False, "array": shown["win_rate_high"] - shown["win_rate"],
             "arrayminus": shown["win_rate"] - shown["win_rate_low"], "color": "#555"},
    customdata=shown[["won", "closed", "average_won_deal"]],
    hovertemplate="%{y}: %{x:.1%} (%{customdata[0]} won of %{customdata[1]}; average won deal "
                  "%{customdata[2]:,.0f})<extra></extra>"))
# each win rate written outside its bar, just past the interval's whisker, where dark text reads
ends = shown["win_rate_high"].fillna(shown["win_rate"])
reach = max(float(ends.max()) if len(ends) else 0.0, 0.05) * 1.2
fig.add_trace(go.Scatter(x=ends + reach * 0.015, y=shown["member"], mode="text",
                         text=[format_value(v, "percent") for v in shown["win_rate"]], textposition="middle right",
                         textfont={"color": "#31333f"}, cliponaxis=False, hoverinfo="skip", showlegend=False))
fig.update_xaxes(tickformat=".0%", range=[0, reach])
fig.update_layout(height=max(260, 28 * len(shown) + 80), showlegend=False)
picked = chart(fig, "wl_by", select=True, title=f"Win rate by {DIMENSION_LABELS[dim].lower()}")
by_table = table(by, key="wl_by_table", dim=dim, on_select="rerun", selection_mode="single-row",
                 column_order=["member", "win_rate", "closed", "won", "lost", "average_won_deal", "win_rate_low",
                               "win_rate_high", "win_rate_by_value", "won_amount", "lost_amount", "small_sample"])
download_buttons(by, f"win-rate-by-{dim}", key="wl_by_dl")
drill = {}
rows = by_table.selection.rows if by_table and by_table.selection else []
if rows:
    drill = {"dim": dim, "member": by.iloc[rows[0]]["member"]}
elif picked:
    drill = {"dim": dim, "member": picked[0].get("y")}

# ---- loss reasons ----
left, right = st.columns(2)
with left:
    st.subheader("Why we lose")
    reasons = metric("loss_reasons", filters, exclude_no_decision=exclude_nd)
    st.caption(plain(f"Lost deals {CLOSED}{TAIL}. Bars: losses per reason; red line: their cumulative share "
                     "(right axis)."))
    reason_pick = []
    if reasons.empty:
        st.info("No deal was lost in this scope and period: the loss reasons need lost deals (with a "
                "loss reason column in the export).")
    else:
        fig = go.Figure()
        fig.add_trace(go.Bar(x=reasons["reason"], y=reasons["losses"], name="Losses", marker_color=PRIMARY))
        fig.add_trace(go.Scatter(x=reasons["reason"], y=reasons["cumulative_share"], name="Cumulative share",
                                 yaxis="y2", mode="lines+markers", line={"color": "#d62728"}))
        fig.update_layout(yaxis2={"overlaying": "y", "side": "right", "tickformat": ".0%", "range": [0, 1.05],
                                  "dtick": 0.25, "showgrid": False}, showlegend=False)
        fig.update_xaxes(tickangle=-35, automargin=True)   # long reasons: slanted, never cut
        reason_pick = chart(fig, "wl_reasons", select=True, title="Loss reasons (Pareto)")
    if lost and reasons["reason"].tolist() == ["(no reason given)"]:
        st.info("No lost deal gives a reason: the export has no loss reason column, or it is empty.")
    if reason_pick and not drill:
        drill = {"reason": reason_pick[0].get("x")}
    download_buttons(reasons, "loss-reasons", key="wl_reasons_dl")
with right:
    st.subheader("Sales cycle, won vs lost")
    st.caption(plain(f"{WINDOW}. Median days from created to close date; the whiskers span the middle half."))
    cycle_table = cycle.reset_index().drop(columns=["closed_without_dates"])
    if cycle_table["median_days"].isna().all():
        st.info("No closed deal here has both a created and a close date: the sales cycle needs an export "
                "with a created date column.")
    fig = go.Figure(go.Bar(
        x=cycle_table["outcome"], y=cycle_table["median_days"], marker_color=[PRIMARY, GREY][:len(cycle_table)],
        error_y={"type": "data", "symmetric": False,
                 "array": cycle_table["p75_days"] - cycle_table["median_days"],
                 "arrayminus": cycle_table["median_days"] - cycle_table["p25_days"]},
        hovertemplate="%{x}: median %{y:.0f} days<extra></extra>"))
    fig.update_yaxes(title="days, created → close")
    if not cycle_table["median_days"].isna().all():
        chart(fig, "wl_cycle", title="Days to close")
    table(cycle_table, column_order=["outcome", "median_days", "deals", "p25_days", "p75_days", "mean_days"])
    download_buttons(cycle_table, "sales-cycle", key="wl_cycle_dl")

# ---- competitors ----
st.subheader("Competitors")
h2h = metric("head_to_head", filters, exclude_no_decision=exclude_nd)
presence = metric("competitor_presence_in_losses", filters, grain=grain, exclude_no_decision=exclude_nd)
if h2h.empty:
    st.info("No closed deal names a competitor: head-to-head win rates and competitor presence need a "
            "competitor column in the export.")
else:
    left, right = st.columns(2)
    with left:
        st.caption(plain(f"{metrics.get('head_to_head').label}: {metrics.get('head_to_head').description} "
                         f"Over the whole range, not one quarter: {WINDOW}."))
        # the key figures first: a half-width table shows four or five columns
        h2h_table = table(h2h, key="wl_h2h_table", on_select="rerun", selection_mode="single-row",
                          column_order=["competitor", "win_rate", "presence_in_losses", "lost", "closed", "won"])
        st.caption("Its win rate's 95% interval and the amount lost to it are in the download.")
        download_buttons(h2h, "head-to-head", key="wl_h2h_dl")
        h2h_rows = h2h_table.selection.rows if h2h_table and h2h_table.selection else []
        if h2h_rows and not drill:
            drill = {"competitor": h2h.iloc[h2h_rows[0]]["competitor"]}
    with right:
        st.caption(plain(f"Share of our losses naming each competitor, per {grain}: {WINDOW}.{edges(grain)}"))
        if presence.empty:
            st.info("No lost deal names a competitor: the share of our losses per competitor needs lost deals "
                    "with a competitor column in the export.")
        else:
            fig = go.Figure()
            for competitor, part in presence.groupby("competitor"):
                fig.add_trace(go.Scatter(
                    x=part["period"], y=part["presence"], mode="lines+markers", name=competitor,
                    hovertemplate="%{fullData.name}: %{y:.1%} of our losses in %{x}<extra></extra>"))
            fig.update_yaxes(tickformat=".0%", rangemode="tozero")
            by_period_axis(fig, presence.sort_values("period_start")["period"])
            fig.update_layout(legend={"orientation": "h"})
            chart(fig, "wl_presence", title=f"{metrics.get('competitor_presence_in_losses').label}, by {grain}")
            download_buttons(presence, "competitor-presence", key="wl_presence_dl")

# ---- the deals behind ----
st.subheader("Deals behind the numbers")
if drill:
    what = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in drill.items() if k != "dim")
    st.caption("Closed deals for " + plain(what) + " · " + plain(WINDOW) + ". Click another bar or row to change.")
else:
    st.caption(plain(WINDOW) + ". Click a bar or a row above to list its deals; all closed deals in scope are shown.")
DEAL_ROWS = 2000
deals = metric("closed_deals", filters, exclude_no_decision=exclude_nd, limit=DEAL_ROWS, **drill)
if len(deals) == DEAL_ROWS:
    st.caption(f"The newest {DEAL_ROWS:,} deals are listed; narrow the filters or click a bar to see others.")
table(deals, column_order=["name", "outcome", "amount", "close_date", "competitor", "loss_reason", "owner",
                           "region", "segment", "product", "account", "created_date", "cycle_days", "deal_size_band",
                           "id"])
download_buttons(deals, "closed-deals", key="wl_deals_dl")
