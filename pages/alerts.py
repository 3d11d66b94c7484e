"""Alerts: the lines the team agreed on, what crossed them, and the course correction to weigh."""
import datetime as dt
from dataclasses import replace

import plotly.graph_objects as go
import streamlit as st

from intel import alerts
from intel.metrics import DIMENSION_LABELS
from pages._components.alerts import evaluate_alerts
from pages._components.auth import actor
from pages._components.charts import PRIMARY, chart
from pages._components.data import db_path, helper
from pages._components.links import PAGES, view_url, with_links
from pages._components.urlstate import pick_from_table, picking_key, show_notes, url_choice
from pages._components.widgets import download_buttons, markdown_link, plain, say, table

DB = db_path()
SEVERITY_ICON = {"high": ":material/error:", "medium": ":material/warning:", "low": ":material/info:"}

st.title("Alerts")
st.caption("Rules over the review's numbers: when one holds for the agreed number of periods with "
           "enough deals behind it, it raises an alert with a course-correction prompt.")
for level, text in st.session_state.pop("al_flash", []):
    say(level, text)

CAN_HANDLE = actor().can("handle alerts")
if actor().can("evaluate alerts") and st.button("Evaluate the rules now", key="al_evaluate"):
    evaluate_alerts(force=True)
else:
    evaluate_alerts()
open_now = alerts.open_alerts(DB)
rules = {r.id: r for r in alerts.list_rules(DB)}


def evidence(row: dict, rule: alerts.Rule) -> None:
    """The series the rule tests for this member, the line it crossed, titled with whose series
    and which window."""
    series = helper(alerts.rule_series, rule)
    mine = series[series["member"] == row["member"]]
    if len(mine) < 2:   # read at one snapshot: one value, nothing to draw
        return
    st.markdown(f"**{plain(alerts.chart_title(row, rule, mine['period'].iloc[0], mine['period'].iloc[-1]))}**")
    fig = go.Figure(go.Scatter(x=mine["period"], y=mine["value"], mode="lines+markers",
                               line={"color": PRIMARY}, name=rule.entry.label))
    fig.add_hline(y=rule.threshold, line={"color": "#d62728", "dash": "dash"},
                  annotation_text=f"{rule.comparator} {alerts.threshold_text(rule)}")
    fmt = alerts.value_format(rule)   # the axis reads as the prompt does (%, points, ×)
    if fmt in ("percent", "points"):
        fig.update_yaxes(tickformat=".0%")
    elif fmt == "ratio":
        fig.update_yaxes(ticksuffix="×")
    fig.update_layout(height=260)
    chart(fig, f"al_chart_{row['id']}")


def deals_behind(row: dict, rule: alerts.Rule) -> None:
    """The deals (or the member's figures) behind the alert, and a link to the page listing them."""
    try:
        found = helper(alerts.behind, row, rule)
    except ValueError as err:   # e.g. the snapshot it fired on is no longer loaded
        say("info", f"The deals behind this alert cannot be listed: {err}")
        return
    st.markdown(f"**{plain(found.title)}**")
    if found.note:
        st.caption(plain(found.note))
    if not found.frame.empty:
        table(found.frame, key=f"al_behind_{row['id']}", height=min(38 + 35 * len(found.frame), 300))
    page = PAGES[found.view.page].title
    st.markdown(markdown_link(f"Open this view on the {page} page", view_url(found.view)))


def handle(row: dict) -> None:
    a, b, c = st.columns(3)
    with a:
        owner = st.text_input("Owner of the follow-up", key=f"al_owner_{row['id']}", value=row["owner"] or "")
        if st.button("Acknowledge", key=f"al_ack_{row['id']}"):
            try:
                alerts.acknowledge(row["id"], owner, db=DB, by=actor())
                st.session_state["al_flash"] = [("success", f"Alert #{row['id']} acknowledged.")]
            except ValueError as err:
                st.session_state["al_flash"] = [("error", str(err))]
            st.rerun()
    with b:
        until = st.date_input("Snooze until", key=f"al_until_{row['id']}",
                              value=dt.date.today() + dt.timedelta(days=14))
        if st.button("Snooze", key=f"al_snooze_{row['id']}"):
            alerts.snooze(row["id"], until, db=DB, by=actor())
            st.session_state["al_flash"] = [("info", f"Alert #{row['id']} snoozed until {until}.")]
            st.rerun()
    with c:
        note = st.text_area("Decision taken", key=f"al_note_{row['id']}", height=68)
        if st.button("Resolve", key=f"al_resolve_{row['id']}"):
            try:
                alerts.resolve(row["id"], note, db=DB, by=actor())
                st.session_state["al_flash"] = [("success", f"Alert #{row['id']} resolved.")]
            except ValueError as err:
                st.session_state["al_flash"] = [("error", str(err))]
            st.rerun()


def detail(row: dict, rule: alerts.Rule) -> None:
    """One alert in full: its prompt, the rule, the evidence, questions and actions, the deals
    behind it, the handling form and its history."""
    text = with_links(alerts.prompt(row, rule))
    st.subheader(f"{SEVERITY_ICON[row['severity']]} {plain(alerts.headline(row, rule))}")
    st.markdown(plain(text["summary"]))
    st.caption(plain(f"Alert #{row['id']} · rule #{rule.id} “{rule.name}”: {rule.describe()}."))
    evidence(row, rule)
    left, right = st.columns(2)
    left.markdown("**Questions to diagnose**\n" + "\n".join(f"- {plain(q)}" for q in text["questions"]))
    right.markdown("**Actions to weigh**\n" + "\n".join(f"- {plain(a)}" for a in text["actions"]))
    deals_behind(row, rule)
    if CAN_HANDLE:
        handle(row)
    st.markdown("**What happened to this alert**")
    table(alerts.history(row["id"], DB), key=f"al_history_{row['id']}")


def chosen_alert(listed) -> int:
    """The alert to show in full: a row picked in the table, else the choice in the URL, else the
    first high-severity alert (the list is high first)."""
    ids = [int(i) for i in listed["alert"]]
    picked = table(listed, key=picking_key("al_table", "al_alert"), on_select="rerun", selection_mode="single-row",
                   labels={"headline": "Alert", "scope": "Whose", "since": "Since", "alert": "#"})
    pick_from_table(picked, ids, "al_alert")
    high = [i for i, s in zip(ids, listed["severity"]) if s == "high"]
    words = dict(zip(ids, listed["headline"]))
    notes: list[str] = []
    choice = url_choice("Alert to read", "al_alert", ids, (high or ids)[0], notes=notes,
                        format_func=lambda i: f"#{i} {words[i]}")
    show_notes(notes)
    return choice


st.header(f"Open alerts ({len(open_now)})")
if open_now.empty:
    st.success("No rule fires on the current data.")
else:
    st.caption("High severity first. Pick a row (or an alert below) to read its prompt, evidence and the deals "
               "behind it.")
    chosen = chosen_alert(alerts.listing(open_now, rules))
    row = open_now[open_now["id"] == chosen].iloc[0].to_dict()
    with st.container(border=True, key="al_detail"):
        detail(row, rules[row["rule_id"]])

st.header("Rules")
table(alerts.rules_table(list(rules.values())), key="al_rules", labels={"threshold": "Threshold"})
if actor().can("edit alert rules"):
    choice = st.selectbox("Edit a rule", ["new"] + list(rules), key="al_rule_pick",
                          format_func=lambda i: "A new rule" if i == "new" else f"#{i} {rules[i].name}")
    base = rules.get(choice) or alerts.Rule("", "win_rate", "segment", "<", 0.2, consecutive=3)
    watched = alerts.alertable()   # the catalogue's alertable metrics
    # what the threshold's unit depends on sits outside the form, so the unit follows the choice
    c1, c2, c3 = st.columns(3)
    metric = c1.selectbox("Metric", list(watched), index=list(watched).index(base.metric),
                          format_func=alerts.metric_label, key=f"al_metric_{choice}")
    ahead = metric == alerts.LANDING   # reads the period in progress from week N, not a run of periods
    if ahead and not base.is_landing:   # start from the default landing rule's shape: a quarter, from week 6
        base = replace(base, grain="quarter", consecutive=6, min_sample=0)
    dims = list(alerts.rule_dimensions(watched[metric]))
    dimension = c2.selectbox("Per", dims, index=dims.index(base.dimension) if base.dimension in dims else 0,
                             format_func=lambda d: "All (no breakdown)" if d == "all" else DIMENSION_LABELS.get(d, d),
                             key=f"al_dim_{choice}")
    kinds = ["absolute"] if ahead else list(alerts.THRESHOLD_KINDS)
    kind = c3.selectbox("Threshold is", kinds,
                        index=kinds.index(base.threshold_kind) if base.threshold_kind in kinds else 0,
                        format_func=alerts.THRESHOLD_LABELS.get, key=f"al_kind_{choice}")
    shape = alerts.Rule(base.name, metric, dimension, base.comparator, base.threshold, kind)
    unit = alerts.threshold_unit(shape)
    same = (metric, kind) == (base.metric, base.threshold_kind)
    typed = alerts.threshold_typed(shape) if same else {"%": 20.0, "points": -10.0, "×": 3.0}.get(unit, 3.0)
    with st.form(f"al_rule_form_{choice}"):
        name = st.text_input("Name", value=base.name)
        c4, c5, c6 = st.columns(3)
        comparator = c4.selectbox("Comparator", list(alerts.COMPARATORS),
                                  index=list(alerts.COMPARATORS).index(base.comparator))
        threshold = c5.number_input(f"Threshold ({unit})" if unit else "Threshold (a count)", value=float(typed),
                                    step=1.0 if unit != "×" else 0.1, format="%.2f" if unit == "×" else "%.1f",
                                    help={"%": "In per cent: 20 means 20%.",
                                          "points": "In percentage points: -10 means ten points down.",
                                          "×": "A multiple: 3 means 3×."}.get(unit, "A number of times."))
        grain = c6.selectbox("Period", ["month", "quarter"], index=["month", "quarter"].index(base.grain))
        c7, c8, c9 = st.columns(3)
        if ahead:
            consecutive = c7.number_input(
                "From week", 1, 12, int(base.consecutive),
                help="The rule reads the period in progress once the data date is in this week of it or later "
                     "(week 1 is its first 7 days). Members without a target are not read, so they never fire.")
            min_sample = c8.number_input("Minimum open deals", 0, 100000, int(base.min_sample))
        else:
            consecutive = c7.number_input("Consecutive periods", 1, 12, int(base.consecutive))
            min_sample = c8.number_input("Minimum sample per period", 0, 100000, int(base.min_sample))
        severity = c9.selectbox("Severity", list(alerts.SEVERITIES), index=list(alerts.SEVERITIES).index(base.severity))
        enabled = st.checkbox("Enabled", value=base.enabled)
        tested = st.form_submit_button("Test this rule")
        saved = st.form_submit_button("Save rule", type="primary")
    candidate = alerts.Rule(name, metric, dimension, comparator, alerts.threshold_from_typed(shape, threshold), kind,
                            int(consecutive), grain, int(min_sample), severity, enabled,
                            None if choice == "new" else choice)
    if tested or saved:
        try:
            found = alerts.test_rule(candidate, DB)
            if tested:
                if found:
                    say("warning", f"On the current data it would fire for {len(found)}: " + "; ".join(
                        f"{b.member} ({', '.join(b.periods)})" for b in found[:20]))
                else:
                    say("info", "On the current data it would fire for nothing.")
            if saved:
                alerts.save_rule(candidate, DB, by=actor())
                st.session_state["al_flash"] = [("success", f"Rule saved: {candidate.describe()}.")]
                evaluate_alerts(force=True)
                st.rerun()
        except ValueError as err:
            say("error", str(err))
st.header("Alert history")
every = alerts.all_alerts(DB)
table(every, key="al_all")
download_buttons(every, "alert-history", key="al_hist_dl")
