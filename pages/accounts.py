"""Accounts: which customers to attack, defend or fire; marketing and sales alignment (the
lead-source funnel); discount governance (shared/DOMAIN.md, METRICS.md "Accounts, alignment,
discounts")."""
import plotly.graph_objects as go
import streamlit as st

from intel import accounts, config, metrics
from intel.filters import data_date, scope_line
from intel.metrics import DIMENSION_LABELS, format_value
from pages._components.accounts import (board_url, decision_form, decision_text, facts_table, for_download, history,
                                        quarter_labels, shown_rows, stance_label, stance_table)
from pages._components.auth import actor
from pages._components.charts import GREY, PRIMARY, chart
from pages._components.data import account_stance, db_path, helper, metric
from pages._components.page import on_phone
from pages._components.links import PAGES
from pages._components.urlstate import (global_filters, pick_from_table, picking_key, show_notes, url_choice,
                                         url_chosen)
from pages._components.widgets import (column_tile, download_buttons, kpi_tile, markdown_link, missing, plain, say,
                                       table)

DB = db_path()
filters, notes = global_filters()
by = actor()

st.title("Accounts")
st.caption("Which customers to attack, defend or fire; whether marketing's leads and sales' follow-up work "
           "together; whether discounts buy wins or only give margin away.")
flash = st.session_state.pop("ac_flash", None)
if flash:
    say("success", flash)
if helper(data_date) is None:
    show_notes(notes)
    st.info("No data is loaded: upload an opportunities export with an account column on the Data page (an "
            "accounts file with size and annual value makes the stances sharper).")
    st.stop()
RANGE = f"{filters.date_from:%Y-%m-%d} to {filters.date_to:%Y-%m-%d}"

# ---- accounts to attack, defend or fire ----
st.header("Accounts to attack, defend or fire")
frame = account_stance(filters)
if frame.empty:
    show_notes(notes)
    st.info("No deal in this scope names an account: the stances need an opportunities export with an account "
            "column (Salesforce “Account Name”, HubSpot “Associated Company”). The funnel and discounts below "
            "read the deals regardless.")
else:
    anchor = frame["anchor"].dropna().iloc[0] if frame["anchor"].notna().any() else None
    WINDOWS = (f"bookings of the 12 months to {anchor:%Y-%m-%d} against the 12 before; win rate, cycle and "
               "discount over 24 months" if anchor is not None else "no closed deal carries a date")
    st.caption(plain(scope_line(filters, DB, period=WINDOWS) + ". The windows end on the data's last closed "
                     "deal, whatever the filter bar's period (it applies to the funnel and discounts below)."))
    counts = frame["stance"].value_counts()
    overridden = frame["override"].notna() & (frame["override"] != frame["proposed"])
    confirmed = frame["override"].notna() & (frame["override"] == frame["proposed"])
    tiles = st.columns(5)
    for column, stance in zip(tiles, accounts.STANCES):
        kpi_tile(column, accounts.STANCE_LABELS[stance], format_value(int(counts.get(stance, 0)), "count"),
                 help=plain(f"Accounts whose stance in force is {stance_label(stance)}: "
                            f"{accounts.STANCE_MEANING[stance]}."))
    kpi_tile(tiles[4], "Overridden", format_value(int(overridden.sum()), "count"),
             help=plain(f"Accounts where a manager's decision differs from the rules' proposal; "
                        f"{int(confirmed.sum()):,} more confirmed by a manager."))
    with st.expander("The rules, with the thresholds in force"):
        for rule in accounts.stance_rules():
            st.markdown(f"**{plain(stance_label(rule['stance']))}** — {plain(accounts.STANCE_MEANING[rule['stance']])}."
                        f"  \n{plain(rule['rule'])}")
        st.caption("The thresholds are settings (SIGHTLINE_STANCE_*, listed on the Users page); a manager's "
                   "decision wins over the proposal and is kept with its history.")

    controls = st.columns([3, 2])
    with controls[0]:
        stance = url_choice("Show", "ac_stance", ["all", *accounts.STANCES], "all", widget=st.radio, notes=notes,
                            horizontal=True, format_func=lambda s: "Every stance" if s == "all" else
                            f"{stance_label(s)} ({int(counts.get(s, 0)):,})")
    with controls[1]:
        find = st.text_input("Find an account", key="ac_find", placeholder="Part of its name")
    show_notes(notes)
    chosen = frame if stance == "all" else frame[frame["stance"] == stance]
    if find.strip():
        chosen = chosen[chosen["account"].str.contains(find.strip(), case=False, regex=False, na=False)]
    shown = shown_rows(chosen).reset_index(drop=True)
    if chosen.empty:
        say("info", f"No account {'matches “' + find.strip() + '”' if find.strip() else 'holds this stance'} in "
                    "this scope.")
    else:
        if len(shown) < len(chosen):
            st.caption(f"The {len(shown):,} accounts with the largest bookings of the last 12 months in each "
                       f"stance are listed, of {len(chosen):,}; the download holds every one. Find an account "
                       "by name above.")
        st.caption("Fire first, then defend, attack, maintain; in each, the largest bookings first. Click a row to "
                   "open the account below.")
        # a table per view (stance, search): a row picked in one never points into another's rows
        picked = stance_table(shown, key=picking_key(f"ac_table_{stance}_{find.strip().lower()}", "ac_account"))
        pick_from_table(picked, shown["account"].tolist(), "ac_account")
        download, quarters = for_download(chosen)
        download_buttons(download, "accounts" + ("" if stance == "all" else f"-{stance}"), key="ac_table_dl",
                         labels=quarters, period=WINDOWS)

    # ---- one account ----
    st.header("One account")
    wanted = url_chosen("ac_account") or st.query_params.get("ac_account")
    known = wanted is not None and bool((frame["account"] == wanted).any())
    options = list(dict.fromkeys(([wanted] if known else []) + shown["account"].tolist()
                                 + frame["account"].head(1).tolist()))
    account = url_choice("Account", "ac_account", options, options[0], notes=notes,
                         help="The accounts listed above (pick a row there, or find one by name).")
    show_notes(notes)
    row = frame[frame["account"] == account].iloc[0]
    facts = " · ".join(str(row[c]) for c in ("industry", "segment", "region") if not missing(row[c]))
    size = f"size {row['size']}" if not missing(row["size"]) else "no size in the accounts file"
    st.caption(plain(f"{facts + ' · ' if facts else ''}{size} · "
                     f"{'customer' if not missing(row['is_customer']) and bool(row['is_customer']) else 'prospect (no deal won)'}"
                     f" · {WINDOWS}."))
    tiles = st.columns(5)
    column_tile(tiles[0], "bookings_recent", row["bookings_recent"],
                delta=None if missing(row["bookings_change"]) else format_value(row["bookings_change"], "percent",
                                                                                 signed=True),
                help=plain(f"Won in the 12 months to {anchor:%Y-%m-%d}" if anchor is not None else "Won in 12 months")
                + plain(f"; the change is on the 12 months before ({format_value(row['bookings_prior'], 'money')})."))
    column_tile(tiles[1], "open_pipeline", row["open_pipeline"],
                help=plain(f"{int(row['open_deals'] or 0):,} open deals at the latest snapshot."))
    column_tile(tiles[2], "win_rate", row["win_rate"],
                help=plain(f"{int(row['won'] or 0):,} won of {int(row['closed'] or 0):,} closed in 24 months "
                           f"(overall {format_value(row['company_win_rate'], 'percent')})."))
    column_tile(tiles[3], "cycle_days", row["cycle_days"], help="Median days from created to close of its deals "
                                                                "won in 24 months.")
    column_tile(tiles[4], "discount", row["discount"], help="Average discount of its deals won in 24 months that "
                                                            "carry one.")
    with st.container(border=True):
        st.markdown(f"**Stance: {plain(stance_label(row['stance']))}** (proposed: "
                    f"{plain(stance_label(row['proposed']))}) · {plain(decision_text(row))}")
        met = [r for r in str(row["rules"] or "").split("; ") if r]
        if met:
            st.markdown("Rules met:\n" + "\n".join(f"- {plain(r)}" for r in met))
        else:
            st.caption("No rule is met: maintain.")
        st.markdown(markdown_link(f"The SWOT board of {account} (Strategy notes)", board_url(account)))
    left, right = st.columns(2)
    with left:
        labels = quarter_labels(anchor)
        values = row["bookings_by_quarter"] or []
        if labels and len(values) == len(labels):
            fig = go.Figure(go.Bar(x=labels, y=values, marker_color=PRIMARY,
                                   hovertemplate="%{x}: %{y:,.0f}<extra></extra>"))
            fig.update_xaxes(type="category")
            fig.update_yaxes(tickformat="~s", rangemode="tozero")
            fig.update_layout(height=300)
            chart(fig, "ac_quarters", title="Bookings by quarter")
            st.caption(plain(f"Deals won per quarter; {labels[-1]} runs to {anchor:%Y-%m-%d}."))
        else:
            st.info("No closed deal of this account carries a close date: bookings by quarter need one.")
    with right:
        st.caption("The facts the rules read, as of the windows above.")
        table(facts_table(row), key="ac_facts")
    if by.can("edit notes"):
        decision_form(row, DB, by)
    else:
        st.caption("Stances are decided by managers; you can read the decisions and their history.")
    st.subheader("Decisions on this account")
    history(account, DB)

# ---- marketing and sales alignment ----
st.header("Marketing and sales alignment")
CUTS = {"lead_source": "Lead source", "campaign": "Campaign", "deal_type": "Deal type"}
controls = st.columns([2, 2, 3])
with controls[0]:
    cut = url_choice("Cut by", "ac_funnel", list(CUTS), "lead_source", notes=notes, format_func=CUTS.get)
with controls[1]:
    grain = url_choice("Period", PAGES["accounts"].grain, ["all", "quarter"], "all", widget=st.radio, notes=notes,
                       horizontal=True, format_func=lambda g: "Whole range" if g == "all" else "By quarter")
show_notes(notes)
CREATED = f"created {RANGE}" if not filters.all_time else "created at any date"
funnel = metric("lead_source_funnel", filters, grain="all", funnel_by=cut)
st.caption(plain(scope_line(filters, DB, period=CREATED) + f". Opportunities by the {CUTS[cut].lower()} they came "
                 "from, followed to their outcome so far; the filter bar's period reads as their created date."))
if funnel.empty:
    st.info(f"No opportunity was {CREATED} in this scope: the funnel needs deals with a created date "
            "(Salesforce “Created Date”, HubSpot “Create Date”).")
elif funnel["member"].tolist() == ["(none)"]:
    st.info(f"No deal carries a {CUTS[cut].lower()}: the export has no {CUTS[cut].lower()} column, or it is empty "
            "(Salesforce “Lead Source” / “Primary Campaign Source” / “Type”, HubSpot “Original Source” / "
            "“Deal Type”).")
else:
    written = not on_phone()   # figures on the bars where they fit; a phone reads them in the table
    fig = go.Figure()
    fig.add_trace(go.Bar(x=funnel["member"], y=funnel["win_rate"], name="Win rate", marker_color=PRIMARY,
                         text=[format_value(v, "percent") for v in funnel["win_rate"]] if written else None,
                         textposition="outside",
                         cliponaxis=False, customdata=funnel[["won", "lost"]],
                         hovertemplate="%{x}: win rate %{y:.1%} (%{customdata[0]} won, %{customdata[1]} lost)"
                                       "<extra></extra>"))
    fig.add_trace(go.Bar(x=funnel["member"], y=funnel["pipeline_share"], name="Share of pipeline created",
                         marker_color=GREY,
                         text=[format_value(v, "percent") for v in funnel["pipeline_share"]] if written else None,
                         textposition="outside", cliponaxis=False,
                         hovertemplate="%{x}: %{y:.1%} of the pipeline created<extra></extra>"))
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    fig.update_xaxes(type="category")
    fig.update_layout(barmode="group", legend={"orientation": "h", "y": -0.12, "x": 0}, height=360)
    chart(fig, "ac_funnel_chart", title=f"Win rate and share of pipeline, by {CUTS[cut].lower()}")
    measured, created = int(funnel["followed_up"].sum()), int(funnel["created"].sum())
    if measured == 0:
        say("info", "Follow-up speed could not be measured: it needs a stage history (Salesforce "
                    "OpportunityHistory) or weekly snapshots that see each deal in its first week.")
    else:
        st.caption(plain(f"Follow-up = median days from created to the first stage change, measured on {measured:,} "
                         f"of the {created:,} opportunities (those whose first stage is on record within 7 days "
                         "of creation)."))
    shown_funnel = funnel if grain == "all" else metric("lead_source_funnel", filters, grain="quarter",
                                                        funnel_by=cut)
    table(shown_funnel, labels={"member": CUTS[cut]},
          column_order=["member", "period", "created", "created_amount", "pipeline_share", "won", "lost", "open",
                        "win_rate", "average_won_deal", "cycle_days", "follow_up_days", "followed_up"]
          if grain != "all" else
          ["member", "created", "created_amount", "pipeline_share", "won", "lost", "open", "win_rate",
           "average_won_deal", "cycle_days", "follow_up_days", "followed_up"])
    download_buttons(shown_funnel, f"funnel-by-{cut}" + ("" if grain == "all" else "-quarter"), key="ac_funnel_dl",
                     period=CREATED)

st.subheader("Leads: MQL → SQL → opportunity → won")
if "lead_conversion" in metrics.CATALOGUE:
    by_source = cut if cut in ("lead_source", "campaign") else "lead_source"
    conversion = metric("lead_conversion", filters, grain="all", funnel_by=by_source)
else:
    by_source, conversion = "lead_source", None
if conversion is None or conversion.empty:
    st.info("A leads export (Salesforce Lead, HubSpot contacts with their lifecycle stage) shows how each "
            "source's leads become MQLs, SQLs, opportunities and wins: upload one on the Data page"
            + (f" (none holds leads created {RANGE})." if conversion is not None else "."))
else:
    st.caption(plain(f"Leads created {RANGE}, by {CUTS[by_source].lower()}: how far they went so far (a stage "
                     "reached counts in the ones before it). Leads carry no region, segment, owner or product: "
                     "the filter bar's period applies, its other filters do not."))
    table(conversion, labels={"member": CUTS[by_source]},
          column_order=["member", "leads", "mql", "sql", "opportunities", "won", "mql_rate", "sql_rate", "opp_rate",
                        "won_rate", "lead_to_won", "days_to_mql", "days_mql_to_sql"])
    download_buttons(conversion, f"lead-conversion-by-{by_source}", key="ac_leads_dl", period=f"created {RANGE}")

# ---- discount governance ----
st.header("Discount governance")
CLOSED = f"closed {RANGE}" if not filters.all_time else "closed at any date"
bands = metric("discount_bands", filters)
given = bands[bands["discount_band"] != accounts.NOT_GIVEN].sort_values("band_order")
not_given = int(bands.loc[bands["discount_band"] == accounts.NOT_GIVEN, "closed"].sum())
if bands.empty:
    st.info(f"No deal {CLOSED} in this scope: the discount bands need closed deals.")
elif given.empty:
    st.info(f"None of the {not_given:,} deals {CLOSED} carries a discount: discount governance needs a discount "
            "column in the export (Salesforce “Discount”, a percentage or a fraction).")
else:
    st.caption(plain(scope_line(filters, DB, period=CLOSED) + ". Win rate and average won deal per discount band"
                     + (f"; {not_given:,} closed deals carry no discount and are left out of the bands."
                        if not_given else ".")))
    fig = go.Figure(go.Bar(
        x=given["discount_band"], y=given["win_rate"], marker_color=[GREY if s else PRIMARY for s in given["small_sample"]],
        text=[f"{format_value(w, 'percent')} · avg {format_value(a, 'money', compact=True)}"
              for w, a in zip(given["win_rate"], given["average_won_deal"])],
        textposition="outside", cliponaxis=False, customdata=given[["won", "closed"]],
        hovertemplate="%{x}: win rate %{y:.1%} (%{customdata[0]} won of %{customdata[1]})<extra></extra>"))
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=list(accounts.DISCOUNT_BANDS))
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    fig.update_layout(height=320)
    chart(fig, "ac_bands", title="Win rate by discount band (label: win rate · average won deal)")
    table(given, column_order=["discount_band", "closed", "won", "lost", "win_rate", "average_won_deal", "avg_discount",
                               "won_amount", "small_sample"])
    download_buttons(bands, "discount-bands", key="ac_bands_dl")

    split = url_choice("Breakdown", PAGES["accounts"].breakdown, ["segment", "owner"], "segment", notes=notes,
                       widget=st.radio, horizontal=True, format_func=DIMENSION_LABELS.get)
    show_notes(notes)
    cut_bands = metric("discount_bands", filters, dim=split)
    cut_given = cut_bands[cut_bands["discount_band"] != accounts.NOT_GIVEN]
    grid = cut_given.pivot_table(index="member", columns="discount_band", values="win_rate", aggfunc="first")
    grid = grid.reindex(columns=[b for b in accounts.DISCOUNT_BANDS if b in grid.columns])
    deals = cut_given.pivot_table(index="member", columns="discount_band", values="closed", aggfunc="first") \
        .reindex(index=grid.index, columns=grid.columns)
    st.caption(plain(f"Win rate per discount band and {DIMENSION_LABELS[split].lower()} ({CLOSED}); each cell names "
                     "its closed deals."))
    fig = go.Figure(go.Heatmap(
        z=grid.values, x=list(grid.columns), y=list(grid.index), colorscale="Blues",
        text=[[("" if missing(w) else f"{w:.0%} ({int(n)})") for w, n in zip(wr, nr)]
              for wr, nr in zip(grid.values, deals.values)],
        texttemplate="%{text}", hovertemplate="%{y}, %{x}: win rate %{z:.1%}<extra></extra>",
        colorbar={"tickformat": ".0%"}))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category")
    fig.update_layout(height=max(260, 26 * len(grid) + 90))
    chart(fig, f"ac_bands_{split}", title=f"Win rate by discount band and {DIMENSION_LABELS[split].lower()}")
    with st.expander(f"The table: {len(cut_bands):,} rows"):
        table(cut_bands, dim=split, column_order=["member", "discount_band", "closed", "won", "lost", "win_rate",
                                                  "average_won_deal", "avg_discount", "small_sample"])
    download_buttons(cut_bands, f"discount-bands-by-{split}", key="ac_bands_by_dl", dim=split)

    st.subheader("Approvals by deal size")
    governance = metric("discount_governance", filters)
    limits = ", ".join(f"{format_value(t, 'percent')} for size band {b}" for b, t in accounts.approval_thresholds()
                       .items())
    st.caption(plain(f"Deals won {RANGE} and open now that carry a discount, per deal-size band (1 = the smallest "
                     f"deals). A deal needs approval above its band's threshold: {limits} (setting "
                     "SIGHTLINE_DISCOUNT_APPROVAL)."))
    table(governance, column_order=["deal_size_band", "threshold", "deals", "breaches", "breach_share",
                                    "breach_amount", "avg_discount"])
    download_buttons(governance, "discount-approvals", key="ac_gov_dl")
    BREACH_ROWS = 500
    breaches = metric("discount_breaches", filters, limit=BREACH_ROWS)
    total = int(governance["breaches"].sum()) if not governance.empty else 0
    if breaches.empty:
        st.caption("No deal's discount exceeds its band's approval threshold.")
    else:
        st.caption(plain(f"The deals above the threshold, deepest excess first"
                         + (f": the {BREACH_ROWS:,} deepest of {total:,} are listed." if total > len(breaches)
                            else f" ({len(breaches):,}).")))
        table(breaches, column_order=["name", "account", "owner", "discount_pct", "threshold", "amount",
                                      "deal_size_band", "outcome", "stage", "close_date", "segment", "region", "id"])
        download_buttons(breaches, "discount-breaches", key="ac_breaches_dl")

    st.subheader("Owners whose discounts rise")
    rising = helper(accounts.rising_discounts, filters)
    step = format_value(config.number("discount_rise", 0, 1) * 100, "count")
    if rising.empty:
        st.info(f"No owner's average discount rose {step} points or more in each of the last two complete "
                "quarters of the range (each quarter on at least half the minimum sample of discounted wins).")
    else:
        st.caption(plain(f"Average discount of the deals won, quarter by quarter, rising {step} points or more each "
                         "quarter; the win rate beside it says whether the discounts bought wins."))
        table(rising, labels={"member": "Owner", "discounts": "Average discount per quarter",
                              "win_rates": "Win rate per quarter", "rise": "Discount rise, first to last quarter"},
              column_order=["member", "quarters", "discounts", "win_rates", "rise", "win_rate_change"])
        download_buttons(rising, "rising-discounts", key="ac_rising_dl")
