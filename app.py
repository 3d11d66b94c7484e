"""Sightline: navigation, sign-in, the store connection and the global filters. Pages hold layout."""
import streamlit as st

from pages._components.auth import load_secrets, sign_in_gate
from pages._components.data import db_path, warm_up
from pages._components.page import house_style, run_page
from pages._components.sharing import share_controls, shared_view
from pages._components.urlstate import filter_bar, scope_line, show_notes
from pages._components.widgets import plain
from pages._components.workaround import entered_through_app

entered_through_app()   # pages run from here, never alone (see pages/_components/workaround.py)
st.set_page_config(page_title="Sightline", page_icon=":material/insights:", layout="wide")
house_style()
load_secrets()  # SIGHTLINE_* keys of .streamlit/secrets.toml become settings
db_path()  # the store: migrated on first open; held while runs read it, so the command line gets turns

OVERVIEW = st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True)
FORECAST = st.Page("pages/forecast.py", title="Forecast vs actual", icon=":material/query_stats:",
                   url_path="forecast")
# page files are named as their address: a fresh server's first request finds them (multipage v1)
WIN_LOSS = st.Page("pages/win-loss.py", title="Win-loss", icon=":material/trophy:", url_path="win-loss")
PIPELINE = st.Page("pages/pipeline.py", title="Pipeline", icon=":material/filter_alt:", url_path="pipeline")
ACCOUNTS = st.Page("pages/accounts.py", title="Accounts", icon=":material/domain:", url_path="accounts")
STRATEGY = st.Page("pages/strategy.py", title="Strategy notes", icon=":material/lightbulb:",
                   url_path="strategy")
ALERTS = st.Page("pages/alerts.py", title="Alerts", icon=":material/notifications:", url_path="alerts")
DATA = st.Page("pages/data.py", title="Data", icon=":material/upload_file:", url_path="data")
SHARING = st.Page("pages/sharing.py", title="Sharing", icon=":material/link:", url_path="sharing")
USERS = st.Page("pages/users.py", title="Users", icon=":material/group:", url_path="users")
FILTERED = {OVERVIEW.url_path, FORECAST.url_path, WIN_LOSS.url_path, PIPELINE.url_path, ACCOUNTS.url_path}   # pages that read the global filters

shared_path, read_only = shared_view()
by = sign_in_gate(read_only)
if by is None:   # the sign-in screen: pages registered (so the address asked for resolves), none shown
    st.navigation([OVERVIEW, FORECAST, WIN_LOSS, PIPELINE, ACCOUNTS, STRATEGY, ALERTS, DATA, SHARING, USERS],
                  position="hidden")
    st.stop()
if read_only:   # a shared link: that page alone, its state fixed by the link, nothing to edit
    shared = next(p for p in (OVERVIEW, FORECAST, WIN_LOSS, PIPELINE, ACCOUNTS) if p.url_path == shared_path)
    # the default page must be registered for paths to resolve; any page but the shared one leads back
    page = st.navigation(list(dict.fromkeys([OVERVIEW, shared])), position="hidden")
    if page.url_path != shared.url_path:
        st.switch_page(shared)
    # whoever opens the link reads whose numbers these are before the first figure
    st.info("Shared view (read-only), as the sender chose it: " + plain(scope_line()) + ".")
    run_page(page)
    st.stop()
# each role sees the pages it can use (the intel functions refuse the rest regardless)
manage = ([DATA] if by.can("import data") else []) + ([SHARING] if by.can("share views") else []) \
    + ([USERS] if by.can("manage users") else [])
page = st.navigation({"Review": [OVERVIEW, FORECAST, WIN_LOSS, PIPELINE, ACCOUNTS, STRATEGY, ALERTS],
                      **({"Manage": manage} if manage else {})})
if page.url_path in FILTERED:
    _, notes = filter_bar()
    show_notes(notes)
share_slot = st.sidebar.container()   # filled after the page ran: the link then holds its every choice
run_page(page)
share_controls(page.url_path, share_slot)
warm_up()  # data new to this server: its landing worked out in the background, once this page is drawn
