"""Alerts: the lines the team agreed on, what crossed them, and the course correction to weigh."""
import datetime as dt

import plotly.graph_objects as go
import streamlit as st

from intel import alerts
from pages._components.alerts import evaluate_alerts
from pages._components.auth import actor
from pages._components.charts import PRIMARY, chart
from pages._components.data import db_path
from pages._components.links import with_links
from pages._components.widgets import download_buttons, markdown_link, plain, say, table

DB = db_path()
SEVERITY_LABEL = {"high": "HIGH", "medium": "MEDIUM", "low": "LOW"}

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

st.header(f"Open alerts ({len(open_now)})")
if open_now.empty:
    st.success("No rule fires on the current data.")
for row in open_now.to_dict("records"):
    rule = rules[row["rule_id"]]
    text = with_links(alerts.prompt(row, rule))
    label = f"{SEVERITY_LABEL[row['severity']]} · {row['rule']} — {row['member']} ({row['status']})"
    with st.expander(plain(label), expanded=row["severity"] == "high"):
        st.markdown(plain(text["summary"]))
        series = alerts.rule_series(rule, DB)
        mine = series[series["member"] == row["member"]]
        if len(mine) > 1:
            fig = go.Figure(go.Scatter(x=mine["period"], y=mine["value"], mode="lines+markers",
                                       line={"color": PRIMARY}, name=rule.entry.label))
            fig.add_hline(y=rule.threshold, line={"color": "#d62728", "dash": "dash"},
                          annotation_text=f"threshold {rule.comparator} {alerts.format_tested(rule, rule.threshold)}")
            fmt = alerts.value_format(rule)   # the axis reads as the prompt does (%, points, ×)
            if fmt in ("percent", "points"):
                fig.update_yaxes(tickformat=".0%")
            elif fmt == "ratio":
                fig.update_yaxes(ticksuffix="×")
            fig.update_layout(height=260)
            chart(fig, f"al_chart_{row['id']}", title="Evidence")
        left, right = st.columns(2)
        left.markdown("**Questions to diagnose**\n" + "\n".join(f"- {plain(q)}" for q in text["questions"]))
        right.markdown("**Actions to weigh**\n" + "\n".join(f"- {plain(a)}" for a in text["actions"]))
        st.markdown(" · ".join(markdown_link(k, v) for k, v in text["links"].items()))
        if CAN_HANDLE:
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
        table(alerts.history(row["id"], DB))

st.header("Rules")
rule_table = [{"id": r.id, "name": r.name, "rule": r.describe(), "severity": r.severity, "enabled": r.enabled}
              for r in rules.values()]
table(rule_table)
if actor().can("edit alert rules"):
    choice = st.selectbox("Edit a rule", ["new"] + list(rules), key="al_rule_pick",
                          format_func=lambda i: "A new rule" if i == "new" else f"#{i} {rules[i].name}")
    base = rules.get(choice) or alerts.Rule("", "win_rate", "segment", "<", 0.2, consecutive=3)
    with st.form("al_rule_form"):
        name = st.text_input("Name", value=base.name)
        c1, c2, c3 = st.columns(3)
        watched = alerts.alertable()   # the catalogue's alertable metrics
        metric = c1.selectbox("Metric", list(watched), index=list(watched).index(base.metric),
                              format_func=lambda m: watched[m].label)
        dims = sorted({d for m in watched.values() for d in alerts.rule_dimensions(m)})
        dimension = c2.selectbox("Per", dims, index=dims.index(base.dimension))
        comparator = c3.selectbox("Comparator", list(alerts.COMPARATORS), index=list(alerts.COMPARATORS).index(base.comparator))
        c4, c5, c6 = st.columns(3)
        threshold = c4.number_input("Threshold (fractions for rates: 0.2 = 20%)", value=float(base.threshold),
                                    format="%.3f")
        kind = c5.selectbox("Threshold is", list(alerts.THRESHOLD_KINDS),
                            index=list(alerts.THRESHOLD_KINDS).index(base.threshold_kind),
                            format_func=alerts.THRESHOLD_LABELS.get)
        grain = c6.selectbox("Period", ["month", "quarter"], index=["month", "quarter"].index(base.grain))
        c7, c8, c9 = st.columns(3)
        consecutive = c7.number_input("Consecutive periods", 1, 12, int(base.consecutive))
        min_sample = c8.number_input("Minimum sample per period", 0, 100000, int(base.min_sample))
        severity = c9.selectbox("Severity", list(alerts.SEVERITIES), index=list(alerts.SEVERITIES).index(base.severity))
        enabled = st.checkbox("Enabled", value=base.enabled)
        candidate = alerts.Rule(name, metric, dimension, comparator, threshold, kind, int(consecutive), grain,
                                int(min_sample), severity, enabled, None if choice == "new" else choice)
        tested = st.form_submit_button("Test this rule")
        saved = st.form_submit_button("Save rule", type="primary")
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
table(every)
download_buttons(every, "alert-history", key="al_hist_dl")
