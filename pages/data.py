"""Data page: upload exports (preview, mapping override, rejects), import history with undo, demo."""
import json

import pandas as pd
import streamlit as st

from intel.alerts import check_after_change
from intel.demo import load_demo
from intel.holdings import import_history, unconverted_note
from intel.ingest import import_file, undo_import
from intel.ingest.schema import KIND_LABELS, KINDS
from pages._components.auth import actor
from pages._components.data import data_version, db_path
from pages._components.widgets import download_buttons, plain, say, table

NONE = "— not in this file —"
ALERTS_CHECKED = ("The alert rules are being checked on the new data in the background; the Overview and the "
                  "Alerts page show what they raise (a page opened meanwhile waits for the check).")
DB = db_path()

st.title("Data")
st.caption("Upload CRM exports as they come out of Salesforce, HubSpot, Pipedrive, Dynamics or a "
           "spreadsheet: each opportunities file is a snapshot of the pipeline.")

# ---- results of the last action survive the rerun that follows it ----
for level, text in st.session_state.pop("data_flash", []):
    say(level, text)

st.header("Upload exports")
upload_round = st.session_state.setdefault("data_upload_round", 0)
files = st.file_uploader("CSV exports", type=["csv", "txt", "tsv"], accept_multiple_files=True,
                         key=f"data_upload_{upload_round}",
                         help="Several files at once. Opportunities, stage history, targets and "
                              "forecast calls, accounts, market indicators or FX rates.")
st.caption(f"Up to {st.get_option('server.maxUploadSize')} MB per file: raise `server.maxUploadSize` in `.streamlit/config.toml` for larger exports, or import them with `python -m intel import FILE`.")


def _preview(file, kind, mapping):
    """Dry-run import, cached per file, choice and data version (re-reading is not free)."""
    cache = st.session_state.setdefault("data_previews", {})
    key = (file.file_id, kind, json.dumps(mapping, sort_keys=True) if mapping else None, data_version())
    if key not in cache:
        cache[key] = import_file(file.getvalue(), file.name, kind=kind, mapping=mapping,
                                 dry_run=True, db=DB, by=actor())
    return cache[key]


choices = {}
for n, file in enumerate(files or []):
    kind_key, map_key = f"data_kind_{file.file_id}", f"data_map_{file.file_id}"
    chosen_kind = st.session_state.get(kind_key)
    chosen_mapping = st.session_state.get(map_key)
    result = _preview(file, chosen_kind, chosen_mapping)
    with st.expander(f"{plain(file.name)} — {KIND_LABELS.get(result.kind, 'not importable')}",
                     expanded=True):
        if result.status == "refused":
            say("error", result.message)
            continue
        st.text(result.message)
        unsure = result.needs_choice and chosen_kind is None
        if unsure:
            say("warning", f"This file is not clearly {KIND_LABELS[result.kind].lower()} "
                           f"({result.kind_reason}). Choose what it holds to import it.")
        kinds = list(KINDS)
        picked = st.selectbox("Kind of data", ([None] if unsure else []) + kinds,
                              index=0 if unsure else kinds.index(result.kind),
                              format_func=lambda k: "— choose —" if k is None else KIND_LABELS[k],
                              key=f"data_kindpick_{file.file_id}_{result.kind}_{unsure}")
        if picked is not None and (picked != result.kind or unsure):
            st.session_state[kind_key] = picked
            st.session_state.pop(map_key, None)
            st.rerun()
        for note in result.notes:
            st.caption(plain(note))
        source = {"automatic": "found from the header names",
                  "remembered": "remembered from an earlier file with the same header",
                  "chosen": "as you chose"}[result.mapping_source]
        st.caption(f"Column mapping ({source}). Change any column below; the choice is remembered "
                   "for the next file with the same header.")
        options = [NONE] + result.headers
        new_mapping = {}
        grid = st.columns(3)
        for i, column in enumerate(KINDS[result.kind]):
            current = result.mapping.get(column.name)
            value = grid[i % 3].selectbox(
                column.name, options, index=options.index(current) if current in options else 0,
                key=f"data_col_{file.file_id}_{result.kind}_{column.name}", help=column.help or None)
            if value != NONE:
                new_mapping[column.name] = value
        if new_mapping != result.mapping:
            st.session_state[map_key] = new_mapping
            st.rerun()
        for warning in result.warnings:
            say("warning", warning)
        st.markdown(f"**Preview** — first {len(result.preview)} rows as they will be stored")
        table(result.preview, as_is=True)
        if result.rows_rejected:
            st.markdown(f"**Rejected rows** — {result.rows_rejected:,} rows cannot be used; the rest load.")
            table(result.rejects, as_is=True)
            download_buttons(result.rejects, f"rejected-{file.name}", key=f"data_rej_{n}", as_is=True)
        force = False
        if result.mostly_rejected:
            force = st.checkbox("Import anyway: load the rows that can be used, reject the rest",
                                key=f"data_force_{file.file_id}")
        if not unsure and (force or not result.mostly_rejected):
            choices[file.file_id] = (file, result.kind, st.session_state.get(map_key), force)
        else:
            st.caption("Not imported until the above is settled.")

if choices:
    if st.button(f"Import {len(choices)} file{'s' if len(choices) > 1 else ''}", type="primary",
                 key="data_import"):
        bar = st.progress(0.0, text="Starting import")
        flash, loaded = [], False
        for k, (file, kind, mapping, force) in enumerate(choices.values()):
            def report(fraction, text, k=k):
                bar.progress(min((k + fraction) / len(choices), 1.0), text=text)

            result = import_file(file.getvalue(), file.name, kind=kind, mapping=mapping,
                                 progress=report, db=DB, by=actor(), force=force)
            loaded = loaded or result.status == "loaded"
            level = {"loaded": "success", "duplicate": "info"}.get(result.status, "error")
            flash.append((level, result.message))
            flash.extend(("info", f"{file.name}: {note}") for note in result.notes)
            if result.status == "loaded" and result.rows_rejected:
                flash.append(("warning", f"{file.name}: {result.rows_rejected:,} rejected rows were "
                                         "not loaded; their reasons were shown in the preview."))
        if loaded:   # the new data may raise (or settle) alerts everyone sees: checked once, after every file
            flash.append(("info", ALERTS_CHECKED))
            flash.extend(("warning", problem) for problem in check_after_change(DB, by=actor(), background=True))
        unconverted = unconverted_note(DB)
        if unconverted:
            flash.append(("warning", unconverted))
        st.session_state["data_flash"] = flash
        st.session_state["data_upload_round"] = upload_round + 1
        st.session_state.pop("data_previews", None)
        st.rerun()

st.header("Import history")
history = import_history(DB)
if history.empty:
    st.info("Nothing imported yet.")
else:
    shown = history.assign(status=history["undone_at"].map(lambda t: "in force" if pd.isna(t) else "undone"),
                           kind=history["kind"].map(KIND_LABELS))
    table(shown[["id", "kind", "file_name", "rows_loaded", "rows_rejected", "snapshot_date",
                  "imported_at", "imported_by", "status"]],
          column_config={"id": "Import", "kind": "Kind", "file_name": "File",
                         "rows_loaded": "Rows loaded", "rows_rejected": "Rejected",
                         "snapshot_date": st.column_config.DateColumn("Snapshot as of"),
                         "imported_at": st.column_config.DatetimeColumn(
                             "Imported", format="YYYY-MM-DD HH:mm"),
                         "imported_by": "By", "status": "Status"})
    download_buttons(shown.drop(columns=["sha256"]), "import-history", key="data_hist")
    live = history[history["undone_at"].isna()]
    if not live.empty:
        left, right = st.columns([3, 1])
        target = left.selectbox("Undo an import", live["id"].tolist(), key="data_undo_pick",
                                format_func=lambda i: f"#{i} — {live.set_index('id').loc[i, 'file_name']}")
        if right.button("Undo import", key="data_undo", width="stretch"):
            try:
                done = undo_import(int(target), db=DB, by=actor())
                st.session_state["data_flash"] = [("success", done), ("info", ALERTS_CHECKED)] + [
                    ("warning", problem) for problem in check_after_change(DB, by=actor(), background=True)]
            except ValueError as err:
                st.session_state["data_flash"] = [("error", str(err))]
            st.rerun()

st.header("Demo data")
st.caption("Two years of generated Salesforce-shaped exports with weekly snapshots, targets, "
           "forecast calls and market indicators. Reloading undoes every import in force first "
           "(they stay in the history).")
if st.button("Reload demo data", key="data_demo"):
    bar = st.progress(0.0, text="Loading demo data")
    results = load_demo(db=DB, progress=lambda f, t: bar.progress(f, text=t), by=actor())
    loaded = sum(r.rows_loaded for r in results)
    st.session_state["data_flash"] = [("success", f"Demo data loaded: {len(results)} files, "
                                                  f"{loaded:,} rows.")]
    st.session_state.pop("data_previews", None)
    st.rerun()
