"""Sightline: navigation and the store connection. Pages hold layout; intel holds the logic."""
import streamlit as st

from pages._components import db_path

st.set_page_config(page_title="Sightline", page_icon=":material/insights:", layout="wide")
db_path()  # open (and migrate) the store once per process

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/data.py", title="Data", icon=":material/upload_file:", url_path="data"),
]
st.navigation(PAGES).run()
