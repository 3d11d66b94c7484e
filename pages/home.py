"""Landing page: what the store holds, per kind of data."""
import streamlit as st

from intel import config
from intel.holdings import currency_coverage, loaded_summary
from pages._components import db_path, say

st.title("Sightline")
st.caption("Strategic sales intelligence: plan → monitor → review → correct course.")

summary = loaded_summary(db_path())
held = summary[summary["rows"] > 0]
if held.empty:
    st.info("No data is loaded yet. Upload CRM exports or load the demo data on the Data page.")
    st.page_link("pages/data.py", label="Go to the Data page", icon=":material/upload_file:")
    st.stop()

st.subheader("What is loaded")
opps = summary.set_index("kind").loc["opportunities"]
cols = st.columns(3)
cols[0].metric("Deals (latest snapshot of each)", f"{int(opps['rows']):,}")
cols[1].metric("Pipeline snapshots", f"{int(opps['snapshots'] or 0):,}")
cols[2].metric("Latest import", f"{held['last_import'].max():%Y-%m-%d %H:%M}")

table = held.assign(
    covers=[f"{a:%Y-%m-%d} to {b:%Y-%m-%d}" if a == a and a is not None else "—"
            for a, b in zip(held["first_date"], held["last_date"])],
)[["label", "rows", "covers", "last_import"]].rename(
    columns={"label": "Data", "rows": "Rows", "covers": "Dates covered", "last_import": "Last import"})
st.dataframe(table, hide_index=True, width="stretch")
st.caption("Opportunities count each deal once, as of its latest snapshot; dates covered are close "
           "dates. Upload fresh exports or undo an import on the Data page.")
coverage = currency_coverage(db_path())
unconverted = coverage[~coverage["converted"].astype(bool)]
if not unconverted.empty:
    say("warning",
        f"Amounts are reported in {config.get('reporting_currency')}. Deals in "
        + ", ".join(f"{c} ({n:,} deals)" for c, n in zip(unconverted["currency"], unconverted["deals"]))
        + " have no exchange rate, so totals leave them out: import an FX table (currency, rate) "
          "on the Data page.")
st.page_link("pages/data.py", label="Manage data", icon=":material/upload_file:")
