"""What the Accounts page and an account's SWOT board share: the stance table as shown and as
downloaded, one account's facts, and the manager's decision (a form, the history)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from intel import accounts, metrics, periods
from intel.access import NotAllowed
from intel.views import View
from pages._components.links import PAGES, view_url
from pages._components.widgets import WRITTEN_ROWS, markdown_link, missing, plain, say, table

SHOWN_PER_STANCE = 200   # a browser draws this many rows per stance; the download holds every account
BACK_TO_PROPOSAL = "proposal"   # the decision that hands an account back to the rules
# the columns of the accounts table, in the order they are read (the stance and why, then the figures)
# (the rules' long text last: the figures stay in sight; the one-account view writes it in full)
TABLE_COLUMNS = ["account", "stance", "proposed", "override_by", "bookings_recent", "bookings_change",
                 "bookings_by_quarter", "open_pipeline", "win_rate", "closed", "cycle_days", "discount",
                 "competitor_recent", "size", "rules"]
# each fact the rules read, and the stances whose rules read it (the one-account view)
FACTS = [
    ("is_customer", "fire, defend, attack"), ("bookings_recent", "fire, defend, attack"),
    ("bookings_prior", "defend, attack"), ("bookings_change", "defend, attack"),
    ("annual_value", "attack"), ("share_of_wallet", "attack"), ("closed", "fire, attack"),
    ("win_rate", "fire, attack"), ("company_win_rate", "attack"), ("peer_win_rate", "attack (prospect)"),
    ("last_created", "attack (prospect)"), ("cycle_days", "fire"), ("won_recent", "defend"),
    ("won_prior", "defend"), ("cycle_recent", "defend"), ("cycle_prior", "defend"), ("discount", "fire"),
    ("discount_recent", "defend"), ("discount_prior", "defend"), ("last_deals", "defend"),
    ("competitor_recent", "defend"), ("competitor_recent_deals", "defend"), ("earlier_deals", "defend"),
    ("competitor_earlier_deals", "defend"), ("incumbent", "attack (incumbent)"),
    ("incumbent_losses", "attack (incumbent)"), ("h2h_recent", "attack (incumbent)"),
    ("h2h_prior", "attack (incumbent)"), ("signals", "defend"),
    ("industry", ""), ("segment", ""), ("region", ""), ("size", ""), ("open_deals", ""), ("open_pipeline", ""),
    ("lifetime_bookings", ""), ("won", ""), ("lost", ""), ("anchor", ""),
]


def stance_label(stance) -> str:
    """'Defend'; '—' for none."""
    return accounts.STANCE_LABELS.get(stance, "—") if not missing(stance) else "—"


def quarter_labels(anchor, count: int = 8) -> list[str]:
    """The quarters bookings_by_quarter holds, oldest first: the `count` quarters to the anchor's."""
    if missing(anchor):
        return []
    last = periods.label(pd.Timestamp(anchor).date(), "quarter")
    return [periods.shift(last, i - count + 1) for i in range(count)]


def shown_rows(frame: pd.DataFrame, per_stance: int | None = None) -> pd.DataFrame:
    """The first rows of each stance, as the frame orders them (by bookings of the last 12 months)."""
    return frame.groupby("stance", sort=False).head(per_stance or SHOWN_PER_STANCE)


def stance_table(frame: pd.DataFrame, key: str):
    """The accounts table: stances in words, bookings of the last 8 quarters as bars in a cell;
    one row can be picked (returns st.dataframe's selection state)."""
    shown = frame[TABLE_COLUMNS].copy()
    shown["stance"] = shown["stance"].map(stance_label)
    shown["proposed"] = shown["proposed"].map(stance_label)
    if len(shown) <= WRITTEN_ROWS:   # the change with its sign (+56.9%), where the table writes its figures
        shown = shown.style.format({"bookings_change": lambda v: metrics.format_value(v, "percent", signed=True)},
                                   subset=["bookings_change"])
    return table(shown, key=key, on_select="rerun", selection_mode="single-row",
                 column_config={
                     "account": st.column_config.TextColumn(metrics.column_label("account"), pinned=True),
                     "bookings_by_quarter": st.column_config.BarChartColumn(
                         "Bookings, last 8 quarters", y_min=0,
                         help="Bookings per quarter, oldest first; the last is the quarter to the data date."),
                     "rules": st.column_config.TextColumn(metrics.column_label("rules"), width="large"),
                     "override_by": st.column_config.TextColumn(
                         "Decided by", help="The manager whose decision sets the stance; empty: the rules' proposal."),
                 })


def for_download(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Every account with every fact, stances in words, the 8 quarters of bookings as columns
    named by their quarter; and the headers of those columns."""
    out = frame.copy()
    for column in ("stance", "proposed", "override"):
        out[column] = out[column].map(stance_label)
    anchor = out["anchor"].dropna().iloc[0] if out["anchor"].notna().any() else None
    quarters = quarter_labels(anchor)
    names = [f"bookings_q{i}" for i in range(len(quarters))]
    # one column per quarter (an account without its 8 values gets blanks): a frame from the lists at once
    spread = pd.DataFrame([q if isinstance(q, list) and len(q) == len(names) else [None] * len(names)
                           for q in out["bookings_by_quarter"]], columns=names, index=out.index, dtype=float)
    out = pd.concat([out.drop(columns=["bookings_by_quarter"]), spread], axis=1)
    return out, dict(zip(names, (f"Bookings {q}" for q in quarters)))


def facts_table(row: pd.Series) -> pd.DataFrame:
    """One account's facts as read: the fact, its value as the app writes it, the rules that read it."""
    rows = []
    for column, read_by in FACTS:
        value = row.get(column)
        if column == "is_customer":
            text = "—" if missing(value) else ("yes (a deal won)" if bool(value) else "no (a prospect)")
        elif column == "competitor_recent":
            text = "—" if missing(value) else str(value)
        else:
            text = metrics.format_value(value, metrics.column_format(column), signed=column == "bookings_change")
        rows.append({"Fact": metrics.column_label(column), "Value": text, "Read by the rules for": read_by})
    return pd.DataFrame(rows)


def decision_text(row: pd.Series) -> str:
    """The decision in force on an account, in words."""
    if int(row["override_version"] or 0) == 0:
        return f"No manager has decided: the rules propose {stance_label(row['proposed'])}."
    when = pd.Timestamp(row["override_at"]).strftime("%Y-%m-%d %H:%M") if not missing(row["override_at"]) else ""
    if missing(row["override"]):
        what = f"handed back to the rules' proposal ({stance_label(row['proposed'])})"
    elif row["override"] == row["proposed"]:
        what = f"{stance_label(row['override'])}, confirming the proposal"
    else:
        what = f"{stance_label(row['override'])}, overriding the proposal ({stance_label(row['proposed'])})"
    reason = f": {row['override_reason']}" if not missing(row["override_reason"]) else ""
    return f"Decided by {row['override_by']} on {when} (version {int(row['override_version'])}): {what}{reason}"


def history(account: str, db) -> None:
    """The decisions on an account, newest first."""
    past = accounts.stance_history(account, db)
    if past.empty:
        st.caption("No decision recorded on this account yet.")
        return
    for column in ("stance", "proposed"):
        past[column] = [("Back to the proposal" if column == "stance" else "—") if missing(s) else stance_label(s)
                        for s in past[column]]
    table(past, labels={"stance": "Decision", "proposed": "Proposed then", "author": "Decided by"},
          column_order=["version", "stance", "proposed", "reason", "author", "saved_at"])


def decision_form(row: pd.Series, db, by) -> None:
    """Confirm or override the stance with a reason (managers and above). The decision is saved
    against the version the manager opened: one made since is refused with the newer decision."""
    account, current = row["account"], int(row["override_version"])
    seen = st.session_state.get("ac_seen")
    if not seen or seen[0] != account:   # the account as opened here: its decision version then
        seen = st.session_state["ac_seen"] = (account, current)
    version = seen[1]
    if version != current:
        say("warning", f"{row['override_by']} decided on {account} since you opened it (version {current}; you "
                       f"opened version {version}). {decision_text(row)}")
        if st.button("Open the newest decision", key="ac_reload"):
            st.session_state.pop("ac_seen", None)
            st.rerun()
    options = list(accounts.STANCES) + ([BACK_TO_PROPOSAL] if not missing(row["override"]) else [])
    in_force = row["override"] if not missing(row["override"]) else row["proposed"]

    def named(choice: str) -> str:
        if choice == BACK_TO_PROPOSAL:
            return f"Back to the proposal ({stance_label(row['proposed'])})"
        return stance_label(choice) + (" (proposed)" if choice == row["proposed"] else "")

    with st.form(f"ac_decide_{account}_{version}", border=True):
        st.markdown(plain(f"Decide on {account}"))
        choice = st.radio("Stance", options, index=options.index(in_force) if in_force in options else 0,
                          format_func=named, horizontal=True, key=f"ac_stance_pick_{account}_{version}")
        reason = st.text_area("Reason", key=f"ac_reason_{account}_{version}", max_chars=accounts.REASON_LIMIT,
                              placeholder="Why this stance (needed when it differs from the proposal)")
        saved = st.form_submit_button("Save decision", type="primary")
    if not saved:
        return
    try:
        new = accounts.set_stance(account, None if choice == BACK_TO_PROPOSAL else choice, reason, version,
                                  proposed=row["proposed"], db=db, by=by)
    except accounts.StanceConflict as conflict:
        say("error", str(conflict))
        newer = conflict.newer
        say("info", f"The newer decision (version {newer['version']}) by {newer['author']}: "
                    + ("back to the proposal" if missing(newer["stance"]) else stance_label(newer["stance"]))
                    + (f" — {newer['reason']}" if not missing(newer.get("reason")) else "") + ".")
        return
    except (ValueError, NotAllowed) as refused:
        say("error", str(refused))
        return
    st.session_state["ac_flash"] = f"{account}: {named(choice)} saved as decision version {new}."
    st.session_state.pop("ac_seen", None)
    st.rerun()


def board_stance(account: str, frame: pd.DataFrame, db, scope: str) -> None:
    """On an account's SWOT board: its stance in force, why, and the decisions on it."""
    match = frame[frame["account"] == account]
    with st.container(border=True):
        if match.empty:
            st.markdown(plain(f"Stance: no deal names {account} ({scope}), so the rules propose none."))
        else:
            row = match.iloc[0]
            st.markdown(f"**Stance: {plain(stance_label(row['stance']))}** · " + plain(decision_text(row)) + " "
                        + markdown_link("Decide on the Accounts page", account_url(account)))
            if row["rules"]:
                st.caption(plain(f"Rules met ({scope}): {row['rules']}."))
        with st.expander("Decisions on this account"):
            history(account, db)


def account_url(account: str) -> str:
    """The Accounts page opened on one account (views.PAGES gains 'accounts' with the pack's branch;
    until then the address is written here from links.PAGES)."""
    from urllib.parse import urlencode

    return f"/{PAGES['accounts'].path}?" + urlencode({"ac_account": account})


def board_url(account: str) -> str:
    """The account's SWOT board on the Strategy page."""
    return view_url(View("strategy", extra={"st_scope": "account", "st_value": account}))
