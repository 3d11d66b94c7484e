"""Strategy notes: versions, soft delete and restore, concurrent edits, suggestions, market view."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest

from intel import notes
from intel.ingest import import_file
from intel.access import LOCAL_ADMIN as ADMIN, Actor
from tests.conftest import FIXTURES, ROOT, rows


def test_every_edit_is_a_version_and_history_reads_back(db):
    note_id = notes.add_note(notes.Note("SWOT", "Threat", "Fabrikam undercuts on price", "competitor",
                                        "Fabrikam", "high", "Dana"), by=ADMIN)
    assert notes.edit_note(note_id, 1, text="Fabrikam undercuts by 15%", by=ADMIN) == 2
    assert notes.retire_note(note_id, 2, by=ADMIN) == 3
    history = notes.note_history(note_id)
    assert history["version"].tolist() == [1, 2, 3]
    assert history["text"].tolist() == ["Fabrikam undercuts on price", "Fabrikam undercuts by 15%",
                                        "Fabrikam undercuts by 15%"]
    assert history["status"].tolist() == ["open", "open", "retired"]


def test_delete_is_soft_and_restore_brings_the_note_back(db):
    note_id = notes.add_note(notes.Note("PESTEL", "Legal", "New data law in EMEA", "region", "EMEA"), by=ADMIN)
    notes.delete_note(note_id, 1, by=ADMIN)
    assert notes.notes("region", "EMEA").empty
    assert notes.notes("region", "EMEA", include_deleted=True)["deleted"].tolist() == [True]
    notes.restore_note(note_id, 2, by=ADMIN)
    assert notes.notes("region", "EMEA")["text"].tolist() == ["New data law in EMEA"]
    assert rows("SELECT count(*) FROM note_versions WHERE note_id = $i", {"i": note_id})[0][0] == 3


def test_the_second_of_two_concurrent_saves_is_refused_with_the_newer_text(db):
    note_id = notes.add_note(notes.Note("SWOT", "Strength", "Strong renewals"), by=ADMIN)
    opened_by_a = opened_by_b = 1
    notes.edit_note(note_id, opened_by_a, by=Actor("alice", "manager"), text="Renewals at 95%")
    with pytest.raises(notes.NoteConflict) as refused:
        notes.edit_note(note_id, opened_by_b, by=Actor("bob", "manager"), text="Renewals weak")
    assert "Renewals at 95%" in str(refused.value) and "alice" in str(refused.value)
    assert notes.notes()["text"].tolist() == ["Renewals at 95%"]


def test_bad_notes_are_refused(db):
    with pytest.raises(ValueError, match="not a SWOT category"):
        notes.add_note(notes.Note("SWOT", "Economic", "x"), by=ADMIN)
    with pytest.raises(ValueError, match="Say which region"):
        notes.add_note(notes.Note("SWOT", "Threat", "x", "region", " "), by=ADMIN)


def test_markdown_export_keeps_note_text_as_text(db):
    notes.add_note(notes.Note("SWOT", "Threat", "<script>alert(1)</script> **big** [x](javascript:1)"), by=ADMIN)
    md = notes.boards_markdown(notes.notes(), "Company")
    assert "\\<script\\>alert\\(1\\)\\</script\\> \\*\\*big\\*\\* \\[x\\]\\(javascript:1\\)" in md


def test_threat_suggestion_on_the_demo_is_accepted_once(use_demo_db):
    threat = [s for s in notes.suggestions() if s.category == "Threat"]
    assert [s.scope_value for s in threat] == ["Fabrikam"]
    note_id = notes.accept_suggestion(threat[0], by=ADMIN)
    board = notes.notes("competitor", "Fabrikam")
    assert board["note_id"].tolist() == [note_id] and board["text"].tolist() == [threat[0].text]
    assert threat[0].key not in {s.key for s in notes.suggestions()}     # accepted: not again


def test_segment_win_rate_fall_is_a_weakness_on_the_demo(use_demo_db):
    weak = {s.scope_value: s for s in notes.suggestions() if s.category == "Weakness" and s.scope_kind == "segment"}
    assert "SMB" in weak and weak["SMB"].numbers["to"] < weak["SMB"].numbers["from"] - 0.05


def test_market_and_pestel_suggestions_with_known_answers(db):
    import_file(FIXTURES / "winloss_small.csv", as_of="2026-05-01", by=ADMIN)
    market = b"""Period,Region,Indicator,Value,Unit,Source
2025-12,EMEA,Inflation,2.0,% y/y,Stats
2026-06,EMEA,Inflation,4.5,% y/y,Stats
2025-12,APAC,Inflation,2.0,% y/y,Stats
2026-06,APAC,Inflation,3.0,% y/y,Stats
2025-06,EMEA,Market size,100,USD m,Survey
2026-06,EMEA,Market size,130,USD m,Survey
"""
    import_file(market, "market.csv", by=ADMIN)
    found = notes.suggestions()
    pestel = [s for s in found if s.framework == "PESTEL"]
    assert [(s.scope_value, s.numbers["from"], s.numbers["to"]) for s in pestel] == [("EMEA", 2.0, 4.5)]
    notes.dismiss_suggestion(pestel[0], by=ADMIN)
    assert not [s for s in notes.suggestions() if s.framework == "PESTEL"]   # dismissed: not again
    # EMEA market +30% in a year to 2026-06; EMEA bookings Jul 2025-Jun 2026 (W1 100 + W2 300)
    # against the year before (W0 1000, June 2025): -60%, so the market grows faster than we do
    opportunity = [s for s in notes.suggestions() if s.category == "Opportunity"]
    assert [(s.scope_value, round(s.numbers["market_growth"], 2), round(s.numbers["bookings_growth"], 2))
            for s in opportunity] == [("EMEA", 0.3, -0.6)]


def test_market_view_share_uses_the_unit(db):
    import_file(FIXTURES / "winloss_small.csv", as_of="2026-05-01", by=ADMIN)
    import_file(b"Period,Region,Indicator,Value,Unit\n2026-01,EMEA,Market size,0.1,USD m\n", "m.csv", by=ADMIN)
    view = notes.market_view("EMEA").set_index("period")
    jan = view.loc[dt.date(2026, 1, 1)] if dt.date(2026, 1, 1) in view.index else view.iloc[0]
    assert jan["bookings"] == 400 and jan["market_share"] == pytest.approx(400 / 100_000)


def test_cli_notes_list(tmp_path):
    db = tmp_path / "n.duckdb"
    env = {**os.environ, "SIGHTLINE_DB": str(db)}
    code = ("from intel import notes, store; from intel.access import LOCAL_ADMIN as ADMIN; "
            "notes.add_note(notes.Note('SWOT','Threat','Fabrikam = cheaper','competitor','Fabrikam','high'), by=ADMIN); "
            "store.close_all()")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
    out = subprocess.run([sys.executable, "-m", "intel", "notes", "list", "--scope", "competitor:Fabrikam",
                          "--format", "json"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert [n["text"] for n in json.loads(out.stdout)] == ["Fabrikam = cheaper"]
    md = subprocess.run([sys.executable, "-m", "intel", "notes", "list", "--format", "md"], cwd=ROOT, env=env,
                        capture_output=True, text=True)
    assert "### Threat\n- Fabrikam = cheaper (high impact, open)" in md.stdout


def test_two_managers_saving_one_note_at_the_same_moment_one_wins_the_other_is_told(db):
    import threading

    for round_ in range(10):      # ten rounds: the two saves meet in the store
        note_id = notes.add_note(notes.Note("SWOT", "Strength", f"Round {round_}"), by=ADMIN)
        gate, saved, told, errors = threading.Barrier(2), [], [], []

        def save(who):
            gate.wait()
            try:
                notes.edit_note(note_id, 1, by=Actor(who, "manager"), text=f"{who}'s text")
                saved.append(who)
            except notes.NoteConflict as conflict:
                told.append(str(conflict))
            except Exception as err:   # noqa: BLE001 - reported by the assertion below
                errors.append(err)

        threads = [threading.Thread(target=save, args=(who,)) for who in ("alice", "bob")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and len(saved) == 1 and len(told) == 1
        assert f"The newer text is: “{saved[0]}'s text”" in told[0]
        assert notes.note_history(note_id)["text"].tolist() == [f"Round {round_}", f"{saved[0]}'s text"]


def test_market_view_of_a_region_without_market_data_is_empty_not_an_error(db):
    from intel.notes import market_view

    import_file(FIXTURES / "market_indicators.csv", by=ADMIN)
    view = market_view("Atlantis")
    assert view.empty and "region" in view.columns


def test_an_exchange_rate_that_moved_is_suggested_as_an_economic_factor(db):
    # BRL per USD 5.00 -> 5.75 in six months: +15%, above the 10% an FX move needs
    data = (b"Period,Region,Indicator,Value,Unit,Source\n"
            b"2026-04,LATAM,Exchange rate,5.00,BRL per USD,Central bank\n"
            b"2026-10,LATAM,Exchange rate,5.75,BRL per USD,Central bank\n")
    assert import_file(data, "fx-series.csv", by=ADMIN).status == "loaded"
    found = [s for s in notes.suggestions() if s.category == "Economic"]
    assert [s.text for s in found] == [
        "LATAM: Exchange rate moved +15% in six months (5 → 5.75, 2026-04 to 2026-10)."]
