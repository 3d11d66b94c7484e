"""Strategy notes: SWOT and PESTEL boards per scope, suggestions from the data, the market view."""
import json

import plotly.graph_objects as go
import streamlit as st

from intel import notes
from intel.filters import members
from intel.views import View, scope_filters
from pages._components.auth import actor
from pages._components.charts import PRIMARY, chart
from pages._components.data import db_path
from pages._components.links import stored_view, view_url
from pages._components.urlstate import url_choice
from pages._components.widgets import download_buttons, markdown_link, plain, say, table

DB = db_path()
st.title("Strategy notes")
st.caption("The team's judgement beside the numbers: strengths and weaknesses inside, opportunities "
           "and threats outside (SWOT), and the political, economic, social, technological, "
           "environmental and legal forces on each market (PESTEL).")
for level, text in st.session_state.pop("st_flash", []):
    say(level, text)
page_notes: list[str] = []

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
scope_title = "The whole company" if kind == "company" else f"{kind.capitalize()}: {value}"
if kind != "company" and not value.strip():
    st.info(f"Type the {kind}'s name to see and write its notes.")
    st.stop()

board = notes.notes(kind, value, db=DB)
retired = notes.notes(kind, value, include_deleted=True, db=DB)


def _evidence_link(evidence) -> str:
    if not evidence:
        return ""
    view = stored_view(evidence)   # a page view, as notes store it now or stored it before views
    if view is not None:
        return markdown_link("evidence", view_url(view))
    data = json.loads(evidence) if isinstance(evidence, str) else evidence
    return markdown_link(f"evidence: {data.get('indicator')} in {data.get('region')}", "#market")


def _card(row) -> None:
    with st.container(border=True):
        st.text(row.text)   # note text is text: never HTML, never markdown
        meta = f"{row.impact} impact · {row.status}" + (f" · owner {row.owner}" if row.owner else "")
        st.caption(plain(meta + f" · v{row.version} by {row.author}"))
        link = _evidence_link(row.evidence)
        if link:
            st.markdown(link)


st.header(plain(f"SWOT — {scope_title}"))
quadrants = st.columns(2) + st.columns(2)
for column, category in zip(quadrants, notes.FRAMEWORKS["SWOT"]):
    with column:
        st.subheader(category)
        for row in board[(board["framework"] == "SWOT") & (board["category"] == category)].itertuples():
            _card(row)
st.header(plain(f"PESTEL — {scope_title}"))
for column, category in zip(st.columns(6), notes.FRAMEWORKS["PESTEL"]):
    with column:
        st.markdown(f"**{category}**")
        for row in board[(board["framework"] == "PESTEL") & (board["category"] == category)].itertuples():
            _card(row)

left, right = st.columns(2)
left.download_button("Download boards (Markdown)", notes.boards_markdown(board, scope_title),
                     f"strategy-{kind}-{value or 'company'}.md", "text/markdown", key="st_md")
with right:
    download_buttons(board.drop(columns=["evidence"]), f"strategy-{kind}-{value or 'company'}", key="st_csv")

# ---- add or edit ----
CAN_EDIT = actor().can("edit notes")
if not CAN_EDIT:
    st.caption("Notes are written by managers; you can read and download them.")
else:
    st.header("Write a note")
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
    categories = notes.FRAMEWORKS["SWOT"] + notes.FRAMEWORKS["PESTEL"]
    if f"st_text_{suffix}" not in st.session_state:   # first showing of this note and version
        start = opened or {"framework": "SWOT", "category": categories[0], "impact": "medium", "text": "",
                           "owner": None, "status": "open"}
        st.session_state.update({f"st_framework_{suffix}": start["framework"],
                                 f"st_category_{suffix}": start["category"],
                                 f"st_impact_{suffix}": start["impact"], f"st_text_{suffix}": start["text"],
                                 f"st_owner_{suffix}": start["owner"] or "",
                                 f"st_status_{suffix}": start["status"]})
    with st.form(f"st_form_{suffix}"):
        c1, c2, c3 = st.columns(3)
        framework = c1.selectbox("Framework", list(notes.FRAMEWORKS), key=f"st_framework_{suffix}")
        category = c2.selectbox("Category", categories, key=f"st_category_{suffix}")
        impact = c3.selectbox("Impact", list(notes.IMPACTS), key=f"st_impact_{suffix}")
        text = st.text_area("Note text", key=f"st_text_{suffix}")
        c4, c5, c6 = st.columns(3)
        owner = c4.text_input("Owner", key=f"st_owner_{suffix}")
        status = c5.selectbox("Status", list(notes.STATUSES), key=f"st_status_{suffix}")
        evidence_page = c6.selectbox("Evidence: a page view", ["none", "overview", "forecast", "win-loss",
                                                               "pipeline"], index=0, key=f"st_evidence_{suffix}")
        save = st.form_submit_button("Save note", type="primary")

    def _reopen() -> None:
        """After a change lands: forget this editor's state, so the next run opens the newest version."""
        for key in [k for k in st.session_state if str(k).endswith(f"_{suffix}")]:
            del st.session_state[key]
        st.session_state.pop("st_opened_pick", None)
        st.session_state.pop("st_opened", None)

    if save:
        evidence = None if evidence_page == "none" else View(
            evidence_page, {} if kind == "company" else scope_filters(kind, value)).as_dict()
        try:
            if opened is None:
                new_id = notes.add_note(notes.Note(framework, category, text, kind, value, impact, owner, status,
                                                   evidence), db=DB, by=actor())
                st.session_state["st_flash"] = [("success", f"Note #{new_id} added.")]
            else:
                changes = dict(framework=framework, category=category, text=text, impact=impact, owner=owner,
                               status=status)
                if evidence:
                    changes["evidence"] = evidence
                v = notes.edit_note(int(choice), version, db=DB, by=actor(), **changes)
                st.session_state["st_flash"] = [("success", f"Note #{choice} saved as version {v}.")]
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
            table(notes.note_history(int(choice), DB))

# ---- suggestions ----
st.header("Suggested by the data")
found = [s for s in notes.suggestions(DB) if kind == "company" or (s.scope_kind == kind and s.scope_value == value)]
if not found:
    st.info("Nothing new to suggest for this scope.")
for n, s in enumerate(found):
    with st.container(border=True):
        st.text(f"{s.framework} · {s.category} · {s.scope_kind} {s.scope_value}")
        st.text(s.text)
        if not CAN_EDIT:
            continue
        a, b = st.columns(2)
        if a.button("Accept onto the board", key=f"st_accept_{n}"):
            note_id = notes.accept_suggestion(s, db=DB, by=actor())
            st.session_state["st_flash"] = [("success", f"Added as note #{note_id} ({s.scope_kind} {s.scope_value}).")]
            st.rerun()
        if b.button("Dismiss", key=f"st_dismiss_{n}"):
            notes.dismiss_suggestion(s, db=DB, by=actor())
            st.rerun()

# ---- market ----
st.header("Market", anchor="market")
every_market = notes.market_view(None, DB)
covered = sorted(set(every_market["region"].dropna())) if "region" in every_market else []
regions = sorted(set(known["region"]) | set(covered))
if not covered:
    st.info("No market indicators are imported: upload a market file (period, region, indicator, value) "
            "on the Data page to see them beside our bookings.")
else:
    ours = [r for r in known["region"] if r in covered]   # where we sell and the market is known
    region = url_choice("Region", "st_market", regions, value if kind == "region" and value in regions
                        else (ours or covered)[0], notes=page_notes)
    # market_view(region) is only asked about a region it holds data for
    view = notes.market_view(region, DB) if region in covered else every_market.iloc[0:0]
    if view.empty:
        say("info", f"No market indicators are imported for {region}: the market data covers "
                    f"{', '.join(covered)}. Upload indicators for {region} on the Data page.")
    else:
        indicators = [c for c in view.columns
                      if c not in ("period", "period_grain", "region", "bookings", "market_share")]
        preferred = [i for i in indicators if i.lower() in ("market size", "inflation")] or indicators[:2]
        picked = st.multiselect("Indicators", indicators, default=preferred, key="st_indicators")
        fig = go.Figure()
        fig.add_trace(go.Bar(x=view["period"], y=view["bookings"], name="Our bookings", marker_color=PRIMARY,
                             yaxis="y2", opacity=0.5))
        for name in picked:
            fig.add_trace(go.Scatter(x=view["period"], y=view[name], name=name, mode="lines+markers"))
        fig.update_layout(yaxis2={"overlaying": "y", "side": "right", "title": "bookings"},
                          legend={"orientation": "h"})
        chart(fig, "st_market_chart", title=f"{region}: indicators and our bookings")
        if "market_share" in view and view["market_share"].notna().any():
            fig = go.Figure(go.Scatter(x=view["period"], y=view["market_share"], mode="lines+markers",
                                       line={"color": PRIMARY}))
            fig.update_yaxes(tickformat=".2%")
            chart(fig, "st_share_chart", title=f"{region}: our share of the market (bookings ÷ market size)")
        download_buttons(view, f"market-{region}", key="st_market_dl")
