"""Sharing: every read-only link issued, its view and state; copy one again or revoke it."""
import json

import streamlit as st

from intel import share
from pages._components.auth import actor
from pages._components.data import db_path
from pages._components.links import PAGES
from pages._components.sharing import PAGE_PATHS, app_url
from pages._components.widgets import download_buttons, plain, say, table

DB = db_path()
PAGE_TITLES = {name: address.title for name, address in PAGES.items()}

st.title("Sharing")
st.caption("Read-only links let people without an account open one view, with the filters it was "
           "shared with. Create one from “Share this view” in the sidebar of a review page.")
for level, text in st.session_state.pop("sh_flash", []):
    say(level, text)
if share.sign_in_off_warning():
    say("warning", share.sign_in_off_warning())


def _state(query: str) -> str:
    values = json.loads(query)
    return "; ".join(f"{k}: {', '.join(v)}" for k, v in sorted(values.items())) or "defaults"


links = share.list_links(DB)
if links.empty:
    st.info("No link has been shared yet.")
    st.stop()
shown = links.assign(view=links["page"].map(PAGE_TITLES), state=links["query"].map(_state))
table(shown[["id", "view", "state", "status", "created_by", "created_at", "expires_at", "revoked_at"]],
      column_config={"id": "Link", "view": "Page", "state": "Filters and choices", "status": "Status",
                     "created_by": "Shared by",
                     "created_at": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm"),
                     "expires_at": st.column_config.DatetimeColumn("Expires", format="YYYY-MM-DD HH:mm"),
                     "revoked_at": st.column_config.DatetimeColumn("Revoked", format="YYYY-MM-DD HH:mm")})
download_buttons(shown.drop(columns=["query", "page"]), "share-links", key="sh_list_dl")

active = links[links["status"] == "active"]
if active.empty:
    st.info("Every link has expired or been revoked.")
    st.stop()
by_id = active.set_index("id")
picked = st.selectbox("An active link", active["id"].tolist(), key="sh_pick",
                      format_func=lambda i: plain(f"{i} — {PAGE_TITLES[by_id.loc[i, 'page']]}, "
                                                  f"{_state(by_id.loc[i, 'query'])}"))
st.caption("Its address (copy it with the button on the right):")
st.code(f"{app_url('sharing')}/{PAGE_PATHS[by_id.loc[picked, 'page']]}?share={share.link_token(picked, DB)}", language=None)
if st.button("Revoke this link", key="sh_revoke", type="primary"):
    share.revoke_link(picked, DB, by=actor())
    st.session_state["sh_flash"] = [("success", f"Link {picked} revoked: it now opens a refusal.")]
    st.rerun()
