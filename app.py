"""Sightline: navigation, the store connection and the global filters. Pages hold layout."""
import streamlit as st

from pages._components import db_path, filter_bar, show_notes

st.set_page_config(page_title="Sightline", page_icon=":material/insights:", layout="wide")
db_path()  # open (and migrate) the store once per process

HOME = st.Page("pages/home.py", title="Home", icon=":material/home:", default=True)
FORECAST = st.Page("pages/forecast.py", title="Forecast vs actual", icon=":material/query_stats:",
                   url_path="forecast")
WIN_LOSS = st.Page("pages/win_loss.py", title="Win-loss", icon=":material/trophy:", url_path="win-loss")
PIPELINE = st.Page("pages/pipeline.py", title="Pipeline", icon=":material/filter_alt:", url_path="pipeline")
DATA = st.Page("pages/data.py", title="Data", icon=":material/upload_file:", url_path="data")
FILTERED = {FORECAST.url_path, WIN_LOSS.url_path, PIPELINE.url_path}   # pages that read the global filters

page = st.navigation({"Review": [HOME, FORECAST, WIN_LOSS, PIPELINE], "Manage": [DATA]})
if page.url_path in FILTERED:
    _, notes = filter_bar()
    show_notes(notes)
page.run()
