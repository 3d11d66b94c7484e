"""What every page shares, one module per concern (import from the module, not from here):

- workaround: Streamlit's multipage v1 turned off; a page run alone starts over through app.py
- page: run a page, one sentence to the visitor when it fails
- data: the store adapter, where Streamlit's caches meet the store (db_path, data_version, metric, helper)
- widgets: KPI tile, downloads, page links, text shown literally (plain, say), formats
- urlstate: the global filter bar and page choices, kept in the URL
- auth: who is using the app (sign-in)
- charts: Plotly figures drawn with their text made literal
- alerts: the alert rules evaluated once per data version and day
- sharing: a view's link and read-only share links
- links: links built from intel's view descriptions (each page's address and URL keys)
"""
