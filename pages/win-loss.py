"""Win-loss: why we win and lose, over the trailing 18 months (QBR win-loss review)."""
import plotly.graph_objects as go
import streamlit as st

from intel import metrics, signals
from intel.metrics import DIMENSION_LABELS
from intel.outcomes import NO_DECISION_HELP
from pages._components.charts import GREY, PRIMARY, chart
from pages._components.data import helper, metric
from pages._components.links import PAGES
from pages._components.urlstate import global_filters, show_notes, url_choice
from pages._components.widgets import column_tile, download_buttons, metric_tile, plain, say, table

WIN_RATE = metrics.get("win_rate")
filters, notes = global_filters()

st.title("Win-loss")
st.caption("Why we win and lose, deals closed " + plain(filters.describe()) +
           ". Win rate = won ÷ (won + lost), by close date; bands are 95% intervals.")

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
        for signal in found:
            say("warning" if signal.kind == "falling_win_rate" else "info", signal.text)

# ---- headline ----
won, lost, closed = int(headline["won"]), int(headline["lost"]), int(headline["closed"])
average = metric("average_won_deal", filters, dim="total", grain="all")
cycle = metric("sales_cycle", filters, dim="total", exclude_no_decision=exclude_nd).set_index("outcome")
tiles = st.columns(5)
metric_tile(tiles[0], "win_rate", headline["win_rate"], note=f"{won:,} won of {closed:,} closed.")
unpriced = int(average["without_amount"].iloc[0]) if not average.empty else 0
metric_tile(tiles[1], "average_won_deal", average["average_won_deal"].iloc[0] if not average.empty else None,
            note=f"{unpriced:,} of the {won:,} deals won {'has' if unpriced == 1 else 'have'} no amount."
            if unpriced else None)
amountless_losses = lost and not headline["lost_amount"]   # METRICS.md: by value is then undefined
metric_tile(tiles[2], "win_rate_by_value", headline["win_rate_by_value"],
            note="Lost deals carry no amount in this data, so a win rate by value cannot be told."
            if amountless_losses else None)
column_tile(tiles[3], "closed", closed, help=f"{won:,} won, {lost:,} lost")
metric_tile(tiles[4], "sales_cycle", cycle.loc["won", "median_days"] if "won" in cycle.index else None,
            label=f"{metrics.get('sales_cycle').label} (won)")
undated = int(cycle["closed_without_dates"].iloc[0]) if not cycle.empty else 0
if undated:
    say("info", f"{undated:,} of the {closed:,} closed deals {'has' if undated == 1 else 'have'} no "
        "created date: the sales cycle "
        + ("is unknown (the export has no created date, or it is empty)." if undated == closed
           else "leaves them out."))

# ---- trend ----
st.subheader("Win rate trend")
if filters.all_time:
    st.info("The trend needs close dates: the closed deals in this data have none, so every figure "
            "on this page covers all time. Upload an export with a close date column to see periods.")
else:
    trend = metric("win_rate", filters, dim="total", grain=grain, exclude_no_decision=exclude_nd)
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
    chart(fig, "wl_trend", title="Win rate by period")
    download_buttons(trend.drop(columns=["member"]), "win-rate-trend", key="wl_trend_dl")

# ---- breakdown ----
by = metric("win_rate", filters, dim=dim, grain="all", exclude_no_decision=exclude_nd)
# beside each member's win rate, its average won deal (members with no win have none)
averages = metric("average_won_deal", filters, dim=dim, grain="all")[["member", "average_won_deal"]]
by = by.drop(columns=["period", "period_start"]).merge(averages, on="member", how="left")
by.insert(by.columns.get_loc("win_rate") + 1, "average_won_deal", by.pop("average_won_deal"))
shown = by.sort_values(["small_sample", "win_rate"], ascending=[True, True])
st.subheader(f"By {DIMENSION_LABELS[dim].lower()}")   # after the queries: heading and chart change together
fig = go.Figure(go.Bar(
    x=shown["win_rate"], y=shown["member"], orientation="h",
    marker={"color": [GREY if s else PRIMARY for s in shown["small_sample"]]},
    error_x={"type": "data", "symmetric": False, "array": shown["win_rate_high"] - shown["win_rate"],
             "arrayminus": shown["win_rate"] - shown["win_rate_low"], "color": "#555"},
    customdata=shown[["won", "closed", "average_won_deal"]],
    hovertemplate="%{y}: %{x:.1%} (%{customdata[0]} won of %{customdata[1]}; average won deal "
                  "%{customdata[2]:,.0f})<extra></extra>"))
fig.update_xaxes(tickformat=".0%", rangemode="tozero")
fig.update_layout(height=max(260, 28 * len(shown) + 80))
picked = chart(fig, "wl_by", select=True, title=f"Win rate by {DIMENSION_LABELS[dim].lower()}")
st.caption("Grey: fewer than the minimum sample of closed deals; too few to judge.")
by_table = table(by, key="wl_by_table", dim=dim, on_select="rerun", selection_mode="single-row")
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
    fig = go.Figure()
    fig.add_trace(go.Bar(x=reasons["reason"], y=reasons["losses"], name="Losses", marker_color=PRIMARY))
    fig.add_trace(go.Scatter(x=reasons["reason"], y=reasons["cumulative_share"], name="Cumulative share",
                             yaxis="y2", mode="lines+markers", line={"color": "#d62728"}))
    fig.update_layout(yaxis2={"overlaying": "y", "side": "right", "tickformat": ".0%", "range": [0, 1.05]},
                      legend={"orientation": "h"})
    reason_pick = chart(fig, "wl_reasons", select=True, title="Loss reasons (Pareto)")
    if lost and reasons["reason"].tolist() == ["(no reason given)"]:
        st.info("No lost deal gives a reason: the export has no loss reason column, or it is empty.")
    if reason_pick and not drill:
        drill = {"reason": reason_pick[0].get("x")}
    download_buttons(reasons, "loss-reasons", key="wl_reasons_dl")
with right:
    st.subheader("Sales cycle, won vs lost")
    cycle_table = cycle.reset_index().drop(columns=["closed_without_dates"])
    fig = go.Figure(go.Bar(
        x=cycle_table["outcome"], y=cycle_table["median_days"], marker_color=[PRIMARY, GREY][:len(cycle_table)],
        error_y={"type": "data", "symmetric": False,
                 "array": cycle_table["p75_days"] - cycle_table["median_days"],
                 "arrayminus": cycle_table["median_days"] - cycle_table["p25_days"]},
        hovertemplate="%{x}: median %{y:.0f} days<extra></extra>"))
    fig.update_yaxes(title="days, created → close (median, quartiles)")
    chart(fig, "wl_cycle", title="Days to close")
    table(cycle_table)
    download_buttons(cycle_table, "sales-cycle", key="wl_cycle_dl")

# ---- competitors ----
st.subheader("Competitors")
h2h = metric("head_to_head", filters, exclude_no_decision=exclude_nd)
presence = metric("competitor_presence_in_losses", filters, grain=grain, exclude_no_decision=exclude_nd)
if h2h.empty:
    st.info("No closed deal names a competitor: head-to-head win rates and competitor presence need a "
            "competitor column in the export.")
left, right = st.columns(2)
with left:
    st.caption(plain(f"{metrics.get('head_to_head').label}: {metrics.get('head_to_head').description}"))
    h2h_table = table(h2h, key="wl_h2h_table", on_select="rerun", selection_mode="single-row")
    download_buttons(h2h, "head-to-head", key="wl_h2h_dl")
    h2h_rows = h2h_table.selection.rows if h2h_table and h2h_table.selection else []
    if h2h_rows and not drill:
        drill = {"competitor": h2h.iloc[h2h_rows[0]]["competitor"]}
with right:
    fig = go.Figure()
    for competitor, part in presence.groupby("competitor"):
        fig.add_trace(go.Scatter(x=part["period"], y=part["presence"], mode="lines+markers", name=competitor))
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    fig.update_layout(legend={"orientation": "h"})
    chart(fig, "wl_presence", title=metrics.get("competitor_presence_in_losses").label)
    download_buttons(presence, "competitor-presence", key="wl_presence_dl")

# ---- the deals behind ----
st.subheader("Deals behind the numbers")
if drill:
    what = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in drill.items() if k != "dim")
    st.caption("Closed deals for " + plain(what) + ". Click another bar or row to change.")
else:
    st.caption("Click a bar or a row above to list its deals; all closed deals in scope are shown.")
DEAL_ROWS = 2000
deals = metric("closed_deals", filters, exclude_no_decision=exclude_nd, limit=DEAL_ROWS, **drill)
if len(deals) == DEAL_ROWS:
    st.caption(f"The newest {DEAL_ROWS:,} deals are listed; narrow the filters or click a bar to see others.")
table(deals)
download_buttons(deals, "closed-deals", key="wl_deals_dl")
