"""Strategy notes: SWOT and PESTEL boards per scope, suggestions from the data, the market view."""
import datetime as dt
import json

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from intel import export, notes
from intel.filters import Filters, members, period_text, scope_line, scope_text
from intel.views import View
from pages._components.accounts import board_stance
from pages._components.auth import actor
from pages._components.charts import PRIMARY, chart
from pages._components.data import account_stance, db_path, helper, suggestions
from pages._components.links import PAGES, stored_view, view_url
from pages._components.page import on_phone
from pages._components.urlstate import global_filters, url_choice
from pages._components.widgets import download_buttons, markdown_link, plain, say, table

# where an evidence link leads, as the navigation names the page
NO_MARKET = ("No market indicators are imported: upload a market file on the Data page to see them beside "
             "our bookings. A market file is a CSV with the columns Period (2026-10, 2026-Q3 or 2026), Region, "
             "Indicator (Market size, Inflation, GDP growth, FX EUR/USD...), Value and Unit (USD m, % y/y...); "
             "a market size in the reporting currency also gives our share of the market.")

DB = db_path()
st.title("Strategy notes")
st.caption("The team's judgement beside the numbers: strengths and weaknesses inside, opportunities "
           "and threats outside (SWOT), and the political, economic, social, technological, "
           "environmental and legal forces on each market (PESTEL).")
filters, _ = global_filters()
for level, text, link in st.session_state.pop("st_flash", []):
    getattr(st, level)(plain(text) + (" " + markdown_link(*link) if link else ""))
page_notes: list[str] = []


def board_url(scope_kind: str, scope_value: str) -> str:
    """This page opened on another board."""
    extra = {"st_scope": scope_kind} | ({"st_value": scope_value} if scope_kind != "company" else {})
    return view_url(View("strategy", extra=extra))


def evidence_key(evidence: notes.Evidence) -> str:
    """One evidence choice, the same from run to run (the figure and its view)."""
    return json.dumps(evidence.as_dict(), sort_keys=True)


def evidence_label(evidence: notes.Evidence) -> str:
    # evidence on this page is the market view below it; any other page by its name
    page = ("the market, below" if evidence.view.page == "strategy" else PAGES[evidence.view.page].title) \
        if evidence.view else ""
    return evidence.figure + (f" — {page}" if page else "")


# ---- scope ----
known = members(DB)
cols = st.columns(2)
with cols[0]:
    kind = url_choice("Scope", "st_scope", list(notes.SCOPE_KINDS), "company", notes=page_notes,
                      format_func=str.capitalize)
values = {"region": known["region"], "segment": known["segment"]}.get(kind)
with cols[1]:
    if kind == "company":
        value = ""
        st.text_input("Which", value="The whole company", disabled=True, key="st_value_company")
    elif values:
        value = url_choice("Which", "st_value", values, values[0], notes=page_notes)
    else:
        value = st.text_input(f"Which {kind}", value=st.query_params.get("st_value", ""), key=f"st_value_{kind}")
        st.query_params["st_value"] = value
if page_notes:
    say("info", "Ignored from the link: " + " ".join(page_notes))
scope_title = notes.scope_title(kind, value)
if kind != "company" and not value.strip():
    st.info(f"Type the {kind}'s name to see and write its notes.")
    st.stop()
whose = "the whole company" if kind == "company" else value   # "No SWOT notes for SMB yet"

board = notes.notes(kind, value, db=DB)
retired = notes.notes(kind, value, include_deleted=True, db=DB)
CAN_EDIT = actor().can("edit notes")
# the suggestions listed below: every scope's on the company's boards, else this scope's own
found = [s for s in suggestions() if kind == "company" or (s.scope_kind == kind and s.scope_value == value)]


def _card(row) -> None:
    with st.container(border=True):
        st.text(row.text)   # note text is text: never HTML, never markdown
        meta = f"{row.impact} impact · {row.status}" + (f" · owner {row.owner}" if row.owner else "")
        st.caption(plain(meta + f" · v{row.version} by {row.author}"))
        evidence = notes.Evidence.read(row.evidence)
        if evidence:
            view = evidence.view or stored_view(row.evidence)   # a view, or one stored before views
            label = evidence.figure or "the view it cites"
            st.markdown("Evidence: " + (markdown_link(label, view_url(view)) if view else plain(label)))


def _empty_board(framework: str) -> None:
    """One sentence in place of empty quadrants: how to start, and what the data suggests."""
    count = sum(s.framework == framework for s in found)
    offer = (f"[{count} {framework} suggestion{'s' if count != 1 else ''} from the data](#suggested-by-the-data) "
             "below" + (" (each goes onto the board of its own scope: the company, a region, segment, account or competitor)"
                        if kind == "company" else ""))
    start = f"No {framework} notes for {plain(whose)} yet."
    if not CAN_EDIT:
        st.info(start + " Managers write them here" + (f"; there are {offer}." if count else "."))
    elif count:
        st.info(f"{start} Write one under [Write a note](#write-a-note) below, or accept one of the {offer}.")
    else:
        st.info(f"{start} Write one under [Write a note](#write-a-note) below; the data suggests nothing "
                f"for this board today.")


st.header(plain(f"SWOT — {scope_title}"))
if kind == "account":   # the stance decided on the Accounts page, beside the account's own board
    board_stance(value, account_stance(filters), DB, scope_text(filters))
swot = board[board["framework"] == "SWOT"]
if swot.empty:
    _empty_board("SWOT")
else:
    quadrants = st.columns(2) + st.columns(2)
    for column, category in zip(quadrants, notes.FRAMEWORKS["SWOT"]):
        with column:
            st.subheader(category)
            part = swot[swot["category"] == category]
            if part.empty:
                st.caption("None yet.")
            for row in part.itertuples():
                _card(row)

st.header(plain(f"PESTEL — {scope_title}"))
pestel = board[board["framework"] == "PESTEL"]
if pestel.empty:
    _empty_board("PESTEL")
else:
    filled = [c for c in notes.FRAMEWORKS["PESTEL"] if c in set(pestel["category"])]
    for start in range(0, len(filled), 3):
        for column, category in zip(st.columns(3), filled[start:start + 3]):
            with column:
                st.subheader(category)
                for row in pestel[pestel["category"] == category].itertuples():
                    _card(row)
    empty = [c for c in notes.FRAMEWORKS["PESTEL"] if c not in filled]
    if empty:
        st.caption(f"Nothing yet on: {', '.join(empty)}.")

# notes on the other boards, so an accepted suggestion or a colleague's note is never out of sight
everything = notes.notes(db=DB)
elsewhere = everything[(everything["scope_kind"] != kind) | (everything["scope_value"].fillna("") != value)]
if not elsewhere.empty:
    counts = elsewhere.groupby(["scope_kind", "scope_value"], dropna=False).size()
    st.markdown("Notes on other boards: " + " · ".join(
        markdown_link(f"{notes.scope_title(k, v)} ({n})", board_url(k, v or "")) for (k, v), n in counts.items()))

stem = "boards-" + ("company" if kind == "company" else f"{kind}-{value}")
left, right = st.columns(2)
left.download_button("Download boards (Markdown)", notes.boards_markdown(board, scope_title),
                     export.file_name("strategy", stem, "md"),
                     "text/markdown", key="st_md", on_click="ignore")
with right:
    download_buttons(notes.boards_table(board), stem, key="st_csv", scoped=False)   # boards have no dates

# ---- add or edit ----
if not CAN_EDIT:
    st.caption("Notes are written by managers; you can read and download them.")
else:
    st.header("Write a note", anchor="write-a-note")
    editable = retired.set_index("note_id")   # every note of the scope, deleted ones included (to restore)
    choice = st.selectbox("Open a note", ["new"] + editable.index.tolist(), key="st_pick",
                          format_func=lambda i: "A new note" if i == "new" else
                          f"#{i} {editable.loc[i, 'category']}: {editable.loc[i, 'text'][:60]}"
                          + (" (deleted)" if editable.loc[i, "deleted"] else ""))
    # The note as the user opened it: the editor shows that version (its widgets are keyed by note
    # and version, so another note's text never stays in the box), and a save, delete or restore
    # made from it is refused when someone saved a newer version since.
    if st.session_state.get("st_opened_pick") != choice or (
            choice != "new" and st.session_state.get("st_opened") is None):
        st.session_state["st_opened_pick"] = choice
        st.session_state["st_opened"] = None if choice == "new" else editable.loc[choice].to_dict()
    opened = st.session_state["st_opened"]
    version = None if opened is None else int(opened["version"])
    suffix = "new" if opened is None else f"{choice}_v{version}"
    kept = None if opened is None else notes.Evidence.read(opened["evidence"])
    if f"st_text_{suffix}" not in st.session_state:   # first showing of this note and version: its values
        start = opened or {"framework": "SWOT", "category": notes.FRAMEWORKS["SWOT"][0], "impact": "medium",
                           "text": "", "owner": None, "status": "open"}
        st.session_state.update({f"st_framework_{suffix}": start["framework"],
                                 f"st_category_{suffix}": start["category"],
                                 f"st_impact_{suffix}": start["impact"], f"st_text_{suffix}": start["text"],
                                 f"st_owner_{suffix}": start["owner"] or "",
                                 f"st_status_{suffix}": start["status"],
                                 f"st_evidence_{suffix}": "keep" if kept else "none"})
    # no form: the categories follow the framework as soon as it is chosen
    c1, c2, c3 = st.columns(3)
    framework = c1.selectbox("Framework", list(notes.FRAMEWORKS), key=f"st_framework_{suffix}")
    categories = notes.FRAMEWORKS[framework]
    if st.session_state.get(f"st_category_{suffix}") not in categories:   # the framework changed
        st.session_state[f"st_category_{suffix}"] = categories[0]
    category = c2.selectbox("Category", categories, key=f"st_category_{suffix}")
    impact = c3.selectbox("Impact", list(notes.IMPACTS), key=f"st_impact_{suffix}")
    text = st.text_area("Note text", key=f"st_text_{suffix}")
    c4, c5 = st.columns(2)
    owner = c4.text_input("Owner", key=f"st_owner_{suffix}", placeholder="Who acts on it (optional)")
    status = c5.selectbox("Status", list(notes.STATUSES), key=f"st_status_{suffix}")
    # evidence: a figure with the exact view it is read in, from this board's figures for the last
    # complete quarter of the filter bar's period first, then from the suggestions listed below
    # (the company's boards list every scope's: dozens of accounts would bury its own figures)
    offered = {}
    for evidence in helper(notes.evidence_choices, kind, value, filters) + [s.evidence for s in found if s.evidence]:
        offered.setdefault(evidence_key(evidence), evidence)
    options = ["none"] + (["keep"] if kept else []) + list(offered)
    if st.session_state.get(f"st_evidence_{suffix}") not in options:   # a figure the data no longer gives
        st.session_state[f"st_evidence_{suffix}"] = "keep" if kept else "none"
    picked = st.selectbox(
        "Evidence: the figure it rests on", options, key=f"st_evidence_{suffix}",
        format_func=lambda k: "No evidence" if k == "none" else
        f"Keep: {(kept.figure or 'the view it cites') if kept else ''}" if k == "keep" else evidence_label(offered[k]))
    st.caption(plain(f"The note keeps the figure and a link to the exact view it is read in. This board's "
                     f"figures are for the last complete quarter of the filter bar's period "
                     f"({period_text(filters)}); the suggestions' figures are for the quarters they compare."))
    save = st.button("Save note", type="primary", key=f"st_save_{suffix}")

    def _reopen() -> None:
        """After a change lands: forget this editor's state, so the next run opens the newest
        version (a new note: an empty editor)."""
        for key in [k for k in st.session_state if str(k).endswith(f"_{suffix}")]:
            del st.session_state[key]
        st.session_state.pop("st_opened_pick", None)
        st.session_state.pop("st_opened", None)

    if save:
        evidence = None if picked == "none" else offered.get(picked)
        try:
            if opened is None:
                new_id = notes.add_note(notes.Note(framework, category, text, kind, value, impact, owner, status,
                                                   evidence), db=DB, by=actor())
                st.session_state["st_flash"] = [("success", f"Note #{new_id} added to {whose}'s {framework} board "
                                                            f"({category}).", None)]
            else:
                changes = dict(framework=framework, category=category, text=text, impact=impact, owner=owner,
                               status=status)
                if picked != "keep":
                    changes["evidence"] = evidence
                v = notes.edit_note(int(choice), version, db=DB, by=actor(), **changes)
                st.session_state["st_flash"] = [("success", f"Note #{choice} saved as version {v}.", None)]
            _reopen()
            st.rerun()
        except (notes.NoteConflict, ValueError) as err:   # stale, a bad note, or store.Conflict: a sentence
            say("error", str(err))
    if opened is not None:
        b1, b2, b3 = st.columns(3)
        try:
            if b1.button("Retire", key="st_retire", disabled=opened["status"] == "retired"):
                notes.retire_note(int(choice), version, db=DB, by=actor())
                _reopen()
                st.rerun()
            if opened["deleted"]:
                if b2.button("Restore", key="st_restore"):
                    notes.restore_note(int(choice), version, db=DB, by=actor())
                    _reopen()
                    st.rerun()
            elif b2.button("Delete", key="st_delete"):
                notes.delete_note(int(choice), version, db=DB, by=actor())
                _reopen()
                st.rerun()
        except (notes.NoteConflict, ValueError) as err:   # a stale view: refused like a stale save
            say("error", str(err))
        if choice in editable.index and int(editable.loc[choice, "version"]) != version:
            say("warning", f"Note #{choice} has a newer version ({int(editable.loc[choice, 'version'])}) than "
                           f"the one open here ({version}).")
            if b3.button("Open the newest version", key="st_reload"):
                _reopen()
                st.rerun()
        with st.expander("History of this note"):
            table(notes.history_table(int(choice), DB))

# ---- suggestions ----
st.header("Suggested by the data", anchor="suggested-by-the-data")
if not found:
    st.info("Nothing new to suggest for this scope.")
elif kind == "company":
    st.caption("Every scope's suggestions: each goes onto the board of its own scope (the company, a region, segment, "
               "account or competitor).")


def _suggestion_card(n: int, s) -> None:
    """One suggestion: what the data says, its evidence, and (for editors) accept or dismiss."""
    here = (s.scope_kind, s.scope_value) == (kind, value)
    with st.container(border=True):
        st.text(f"{s.framework} · {s.category} · {notes.scope_title(s.scope_kind, s.scope_value)}")
        st.text(s.text)
        if s.evidence and s.evidence.view:
            st.markdown("Evidence: " + markdown_link(s.evidence.figure, view_url(s.evidence.view)))
        if not CAN_EDIT:
            return
        a, b = st.columns(2)
        if a.button("Accept onto this board" if here else plain(f"Accept onto the board of {s.scope_value}"),
                    key=f"st_accept_{n}"):
            note_id = notes.accept_suggestion(s, db=DB, by=actor())
            if here:
                flash = (f"Added as note #{note_id} to this {s.framework} board ({s.category}).", None)
            else:
                flash = (f"Added as note #{note_id} to {s.scope_value}'s {s.framework} board (Scope: "
                         f"{s.scope_kind.capitalize()} → {s.scope_value}).",
                         (f"Open the board of {s.scope_value}", board_url(s.scope_kind, s.scope_value)))
            st.session_state["st_flash"] = [("success", *flash)]
            st.rerun()
        if b.button("Dismiss", key=f"st_dismiss_{n}"):
            notes.dismiss_suggestion(s, db=DB, by=actor())
            st.rerun()


# on a phone the first two show and the rest fold: the page stays a page, the list a tap away
SHOWN_ON_PHONE = 2
folded = on_phone() and len(found) > SHOWN_ON_PHONE
for n, s in enumerate(found[:SHOWN_ON_PHONE] if folded else found):
    _suggestion_card(n, s)
if folded:
    with st.expander(f"{len(found) - SHOWN_ON_PHONE} more suggestions"):
        for n, s in enumerate(found[SHOWN_ON_PHONE:], start=SHOWN_ON_PHONE):
            _suggestion_card(n, s)


# ---- market ----
def _panel(view: pd.DataFrame, column: str, title: str, unit: str, key: str, span: tuple) -> None:
    """One small chart: a series over the window, its unit on its own axis."""
    data = view[view[column].notna()]
    if data.empty:   # our bookings: no won deal of the region in the window
        st.markdown(f"**{plain(title)}**")
        st.caption(plain(f"No deals won in {view['region'].iloc[0]} in these periods: a CRM export with the "
                         f"region's closed deals (Data page) fills this chart."))
        return
    if column == "bookings":   # beside monthly indicators, monthly bookings (not also the year's)
        finest = next((g for g in ("month", "quarter", "year") if g in set(data["period_grain"])), None)
        data = data[data["period_grain"] == finest]
        trace = go.Bar(x=data["period"], y=data[column], marker_color=PRIMARY,
                       hovertemplate="%{x|%b %Y}: %{y:,.0f}<extra></extra>")
    else:
        trace = go.Scatter(x=data["period"], y=data[column], mode="lines+markers",
                           line={"color": "#2ca02c" if column == "market_share" else "#7f7f7f"},
                           hovertemplate="%{x|%b %Y}: %{y:" + (".2%" if column == "market_share" else ",.4g")
                                         + "}<extra></extra>")
    fig = go.Figure(trace)
    fig.update_layout(height=240, showlegend=False)
    fig.update_xaxes(range=list(span), tickformat="%b %Y")
    fig.update_yaxes(title_text=unit or "(no unit in the file)")
    if column == "bookings":
        fig.update_yaxes(tickformat="~s")
    if column == "market_share":   # fitted to the shares, not from zero
        low, high = data[column].min(), data[column].max()
        pad = max((high - low) * 0.15, high * 0.05)
        fig.update_yaxes(tickformat=".2%", range=[max(low - pad, 0), high + pad])
    chart(fig, key, title=title)


st.header("Market", anchor="market")
every_market = helper(notes.market_view)
covered = sorted(set(every_market["region"].dropna())) if "region" in every_market else []
regions = sorted(set(known["region"]) | set(covered))
if not covered:
    st.info(NO_MARKET)
else:
    ours = [r for r in known["region"] if r in covered]   # where we sell and the market is known
    default = (filters.region[0] if len(filters.region) == 1 and filters.region[0] in regions
               else value if kind == "region" and value in regions else (ours or covered)[0])
    region = url_choice("Region", "st_market", regions, default, notes=page_notes)
    # market_view(region) is only asked about a region it holds data for
    view = helper(notes.market_view, region, date_from=filters.date_from, date_to=filters.date_to) \
        if region in covered else every_market.iloc[0:0]
    if region not in covered:
        say("info", f"No market indicators are imported for {region}: the market data covers "
                    f"{', '.join(covered)}. Upload indicators for {region} on the Data page.")
    elif view.empty:
        held = every_market[every_market["region"] == region]["period"]
        say("info", f"The market data for {region} covers {held.min():%Y-%m} to {held.max():%Y-%m}; the filter "
                    f"bar's period ({period_text(filters)}) holds none of it. Widen the period to see it.")
    else:
        units = helper(notes.market_units, region)
        indicators = [c for c in view.columns
                      if c not in ("period", "period_grain", "region", "bookings", "market_share")]
        picked = st.multiselect("Indicators", indicators, default=indicators[:6], key="st_indicators")
        first, last = view["period"].min(), view["period"].max()
        grains = sorted(set(view["period_grain"]), key=["month", "quarter", "year"].index)
        st.caption(plain(
            scope_line(Filters(first, last, region=(region,)), DB,
                       period=f"{' and '.join(f'{g}ly' for g in grains)} figures {first:%Y-%m} to {last:%Y-%m}")
            + f". Our bookings: deals won in {region}, every segment, owner and product, in "
              f"{units['bookings']}; our share of the market: those bookings ÷ the market size."))
        span = (first - dt.timedelta(days=20), last + dt.timedelta(days=20))
        panels = [("bookings", "Our bookings (won)", units["bookings"])]
        panels += [(name, name, units.get(name, "")) for name in picked]
        if "market_share" in view and view["market_share"].notna().any():
            panels.append(("market_share", "Our share of the market", "% of the market size"))
        for start in range(0, len(panels), 2):
            for column, (name, title, unit) in zip(st.columns(2), panels[start:start + 2]):
                with column:
                    _panel(view, name, title, unit, f"st_market_{start}_{name}", span)
        download_buttons(view, f"market-{region}-{first:%Y-%m}-to-{last:%Y-%m}", key="st_market_dl")
