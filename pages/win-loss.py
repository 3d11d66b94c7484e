"""Win-loss: why we win and lose, over the trailing 18 months (QBR win-loss review)."""
import plotly.graph_objects as go
import streamlit as st

from intel.metrics import BREAKDOWN_LABELS, BREAKDOWNS, GRAINS
from intel.outcomes import NO_DECISION_HELP
from pages._components.charts import GREY, PRIMARY, chart
from pages._components.data import metric
from pages._components.links import PAGES
from pages._components.urlstate import global_filters, show_notes, url_choice
from pages._components.widgets import download_buttons, kpi_tile, missing, pct, plain, say

filters, notes = global_filters()

st.title("Win-loss")
st.caption("Why we win and lose, deals closed " + plain(filters.describe()) +
           ". Win rate = won ÷ (won + lost), by close date; bands are 95% intervals.")

controls = st.columns([1, 1, 2])
with controls[0]:
    grain = url_choice("Period", PAGES["win-loss"].grain, list(GRAINS), "month", widget=st.radio, notes=notes,
                       horizontal=True, format_func=str.capitalize)
with controls[1]:
    exclude_nd = url_choice("Exclude “No decision”", "nd", [False, True], False, widget=st.toggle,
                            notes=notes, help="On: deals lost to no decision leave every number on "
                                              "this page (win rate = won ÷ (won + lost − no decision)). "
                                              + NO_DECISION_HELP)
with controls[2]:
    dim = url_choice("Breakdown", PAGES["win-loss"].breakdown, list(BREAKDOWNS), "segment", notes=notes,
                     format_func=BREAKDOWN_LABELS.get)
show_notes(notes)

trend = metric("win_rate_trend", filters, grain, exclude_nd)
# All time (closed deals without close dates): no periods, so the totals come from the breakdown.
totals = metric("win_rate_by", dim, filters, exclude_nd) if filters.all_time else trend
if int(totals["closed"].sum()) == 0:
    st.info("No deal closed in this scope and period. Widen the filters or upload an opportunities "
            "export on the Data page.")
    st.stop()

# ---- signals, so the review does not have to hunt for them ----
found = metric("win_loss_signals", filters, exclude_nd)
if found:
    with st.container(border=True):
        st.markdown("**Signals**")
        for signal in found:
            say("warning" if signal.kind == "falling_win_rate" else "info", signal.text)

# ---- headline ----
won, lost = int(totals["won"].sum()), int(totals["lost"].sum())
won_amount, lost_amount = float(totals["won_amount"].sum()), float(totals["lost_amount"].sum())
cycle = metric("sales_cycle", filters, exclude_nd).set_index("outcome")
tiles = st.columns(4)
kpi_tile(tiles[0], "Win rate", pct(won / (won + lost)), help=f"{won:,} won of {won + lost:,} closed")
amountless_losses = lost and not lost_amount   # METRICS.md: by value is then undefined
kpi_tile(tiles[1], "Win rate by value", "—" if amountless_losses or not won_amount + lost_amount
         else pct(won_amount / (won_amount + lost_amount)),
         help="Lost deals carry no amount in this data, so a win rate by value cannot be told"
         if amountless_losses else "Won amount ÷ (won + lost amount)")
kpi_tile(tiles[2], "Deals closed", f"{won + lost:,}", help=f"{won:,} won, {lost:,} lost")
won_cycle = cycle.loc["won", "median_days"] if "won" in cycle.index else None
kpi_tile(tiles[3], "Sales cycle (won)", "—" if missing(won_cycle) else f"{won_cycle:.0f} days",
         help="Median days from created to close date of the deals won")
undated = int(cycle["without_dates"].sum())
if undated:
    say("info", f"{undated:,} of the {won + lost:,} closed deals {'has' if undated == 1 else 'have'} no "
        "created date: the sales cycle "
        + ("is unknown (the export has no created date, or it is empty)." if undated == won + lost
           else "leaves them out."))

# ---- trend ----
st.subheader("Win rate trend")
if filters.all_time:
    st.info("The trend needs close dates: the closed deals in this data have none, so every figure "
            "on this page covers all time. Upload an export with a close date column to see periods.")
else:
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
    download_buttons(trend, "win-rate-trend", key="wl_trend_dl")

# ---- breakdown ----
st.subheader(f"By {BREAKDOWN_LABELS[dim].lower()}")
by = metric("win_rate_by", dim, filters, exclude_nd)
shown = by.sort_values(["small_sample", "win_rate"], ascending=[True, True])
fig = go.Figure(go.Bar(
    x=shown["win_rate"], y=shown["member"], orientation="h",
    marker={"color": [GREY if s else PRIMARY for s in shown["small_sample"]]},
    error_x={"type": "data", "symmetric": False, "array": shown["win_rate_high"] - shown["win_rate"],
             "arrayminus": shown["win_rate"] - shown["win_rate_low"], "color": "#555"},
    customdata=shown[["won", "closed"]],
    hovertemplate="%{y}: %{x:.1%} (%{customdata[0]} won of %{customdata[1]})<extra></extra>"))
fig.update_xaxes(tickformat=".0%", rangemode="tozero")
fig.update_layout(height=max(260, 28 * len(shown) + 80))
picked = chart(fig, "wl_by", select=True, title=f"Win rate by {BREAKDOWN_LABELS[dim].lower()}")
st.caption("Grey: fewer than the minimum sample of closed deals; too few to judge.")
table = st.dataframe(
    by, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row", key="wl_by_table",
    column_config={"member": BREAKDOWN_LABELS[dim], "win_rate": st.column_config.NumberColumn(
        "Win rate", format="percent"), "win_rate_low": st.column_config.NumberColumn("Low", format="percent"),
        "win_rate_high": st.column_config.NumberColumn("High", format="percent"),
        "win_rate_by_value": st.column_config.NumberColumn("By value", format="percent"),
        "small_sample": "Small sample"})
download_buttons(by, f"win-rate-by-{dim}", key="wl_by_dl")
drill = {}
rows = table.selection.rows if table and table.selection else []
if rows:
    drill = {"dim": dim, "member": by.iloc[rows[0]]["member"]}
elif picked:
    drill = {"dim": dim, "member": picked[0].get("y")}

# ---- loss reasons ----
left, right = st.columns(2)
with left:
    st.subheader("Why we lose")
    reasons = metric("loss_reasons", filters, exclude_nd)
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
    cycle_table = cycle.reset_index()
    fig = go.Figure(go.Bar(
        x=cycle_table["outcome"], y=cycle_table["median_days"], marker_color=[PRIMARY, GREY][:len(cycle_table)],
        error_y={"type": "data", "symmetric": False,
                 "array": cycle_table["p75_days"] - cycle_table["median_days"],
                 "arrayminus": cycle_table["median_days"] - cycle_table["p25_days"]},
        hovertemplate="%{x}: median %{y:.0f} days<extra></extra>"))
    fig.update_yaxes(title="days, created → close (median, quartiles)")
    chart(fig, "wl_cycle", title="Days to close")
    st.dataframe(cycle_table, hide_index=True, width="stretch")
    download_buttons(cycle_table, "sales-cycle", key="wl_cycle_dl")

# ---- competitors ----
st.subheader("Competitors")
h2h = metric("head_to_head", filters, exclude_nd)
presence = metric("competitor_presence_in_losses", filters, grain, exclude_nd)
if h2h.empty:
    st.info("No closed deal names a competitor: head-to-head win rates and competitor presence need a "
            "competitor column in the export.")
left, right = st.columns(2)
with left:
    h2h_table = st.dataframe(
        h2h, hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
        key="wl_h2h_table",
        column_config={"win_rate": st.column_config.NumberColumn("Head-to-head win rate", format="percent"),
                       "win_rate_low": st.column_config.NumberColumn("Low", format="percent"),
                       "win_rate_high": st.column_config.NumberColumn("High", format="percent"),
                       "presence_in_losses": st.column_config.NumberColumn("Share of our losses",
                                                                           format="percent")})
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
    chart(fig, "wl_presence", title="Competitor presence in our losses")
    download_buttons(presence, "competitor-presence", key="wl_presence_dl")

# ---- the deals behind ----
st.subheader("Deals behind the numbers")
if drill:
    what = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in drill.items() if k != "dim")
    st.caption("Closed deals for " + plain(what) + ". Click another bar or row to change.")
else:
    st.caption("Click a bar or a row above to list its deals; all closed deals in scope are shown.")
DEAL_ROWS = 2000
deals = metric("closed_deals", filters, exclude_nd, limit=DEAL_ROWS, **drill)
if len(deals) == DEAL_ROWS:
    st.caption(f"The newest {DEAL_ROWS:,} deals are listed; narrow the filters or click a bar to see others.")
st.dataframe(deals, hide_index=True, width="stretch")
download_buttons(deals, "closed-deals", key="wl_deals_dl")
