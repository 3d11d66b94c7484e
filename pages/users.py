"""Users (admin): who may sign in, with which role; lock-outs; the settings in force."""
import pandas as pd
import streamlit as st

from intel import config, users
from intel.access import ACTIONS, ROLES
from pages._components.auth import actor
from pages._components.data import db_path
from pages._components.widgets import download_buttons, plain, say, table as show_table

DB = db_path()
ROLE_HELP = {"viewer": "reads every page", "analyst": "+ imports and undoes data",
             "manager": "+ notes, alerts, alert rules and share links", "admin": "+ users and settings"}

st.title("Users")
mode = config.auth_mode()
st.caption({"none": "Sign-in is off (SIGHTLINE_AUTH=none): everyone using this app is the local admin. "
                    "Users added here take effect when sign-in is set to password or oidc.",
            "password": "Sign-in by user name and password (SIGHTLINE_AUTH=password).",
            "oidc": "Sign-in through your identity provider (SIGHTLINE_AUTH=oidc): add people by e-mail "
                    "to give them a role; anyone else gets the default role "
                    f"({config.get('oidc_default_role') or 'none: not let in'})."}[mode])
for level, text in st.session_state.pop("us_flash", []):
    say(level, text)


def _done(text: str) -> None:
    st.session_state["us_flash"] = [("success", text)]
    st.rerun()


table = users.list_users(DB)
if table.empty:
    st.info("No user yet.")
else:
    show_table(table, column_config={
        "username": "User", "display_name": "Name", "role": "Role", "has_password": "Password set",
        "failed_attempts": "Failed sign-ins",
        "locked_until": st.column_config.DatetimeColumn("Back-off until", format="YYYY-MM-DD HH:mm"),
        "disabled": "Disabled", "created_by": "Added by",
        "created_at": st.column_config.DatetimeColumn("Added", format="YYYY-MM-DD")})
    download_buttons(table, "users", key="us_dl")

st.header("Add a user")
with st.form("us_add", clear_on_submit=True):
    c1, c2, c3 = st.columns(3)
    name = c1.text_input("User name (an e-mail address for single sign-on)")
    display = c2.text_input("Full name")
    role = c3.selectbox("Role", ROLES, format_func=lambda r: f"{r} — {ROLE_HELP[r]}")
    sso_only = st.checkbox("Single sign-on only (no password)", value=mode == "oidc")
    password = st.text_input(f"Password (at least {users.MIN_PASSWORD} characters)", type="password",
                             autocomplete="new-password")
    add = st.form_submit_button("Add user", type="primary")
if add:
    try:
        added = users.add_user(name, role, None if sso_only else password, display, DB, by=actor())
        _done(f"User {added} added as {role}.")
    except ValueError as err:
        say("error", str(err))

if not table.empty:
    st.header("Change a user")
    picked = st.selectbox("User", table["username"].tolist(), key="us_pick")
    row = table.set_index("username").loc[picked]
    c1, c2 = st.columns(2)
    with c1:
        new_role = st.selectbox("Role", ROLES, index=ROLES.index(row["role"]), key=f"us_role_{picked}",
                                format_func=lambda r: f"{r} — {ROLE_HELP[r]}")
        if st.button("Set role", key="us_set_role", disabled=new_role == row["role"]):
            try:
                users.set_role(picked, new_role, DB, by=actor())
                _done(f"{picked} is now {new_role}.")
            except ValueError as err:
                say("error", str(err))
        if row["failed_attempts"] or pd.notna(row["locked_until"]):
            if st.button("Unlock", key="us_unlock"):
                try:
                    users.unlock(picked, DB, by=actor())
                    _done(f"{picked} unlocked.")
                except ValueError as err:   # e.g. changed by someone else meanwhile
                    say("error", str(err))
        if row["disabled"]:
            if st.button("Enable", key="us_enable"):
                try:
                    users.enable(picked, DB, by=actor())
                    _done(f"{picked} can sign in again.")
                except ValueError as err:
                    say("error", str(err))
        elif st.button("Disable", key="us_disable"):
            try:
                users.disable(picked, DB, by=actor())
                _done(f"{picked} can no longer sign in.")
            except ValueError as err:
                say("error", str(err))
    with c2, st.form("us_password", clear_on_submit=True):
        new_password = st.text_input("New password", type="password", autocomplete="new-password")
        if st.form_submit_button("Set password"):
            try:
                users.set_password(picked, new_password, DB, by=actor())
                _done(f"New password set for {picked}.")
            except ValueError as err:
                say("error", str(err))
    with st.expander(plain(f"Sign-ins and changes of {picked}")):
        show_table(users.user_events(picked, DB))

st.header("Who may do what")
show_table([{"action": a, **{r: "✓" if ROLES.index(r) >= ROLES.index(least) else "" for r in ROLES}}
            for a, least in ACTIONS.items()])

st.header("Settings")
st.caption("Set in the environment (or at the top of .streamlit/secrets.toml) and read at start-up.")
show_table([{"setting": s.env, "value": config.get(s.name), "help": s.help}
            for s in config.SETTINGS.values()])
