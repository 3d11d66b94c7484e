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
from intel.views import View
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
    # the competitor threats (the accounts proposed for defence are threats too, on their own boards)
    threat = [s for s in notes.suggestions() if s.category == "Threat" and s.scope_kind == "competitor"]
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


# ---- evidence: the exact view and the figure it cites ----

SMB_Q3 = notes.Evidence(View("win-loss", {"from": "2026-07-01", "to": "2026-09-30", "segment": ["SMB"]},
                             grain="quarter"),
                        "Win rate 21.7% · Segment: SMB · 2026-Q3 (169 won of 779 closed)", 169 / 779)


def test_evidence_is_stored_and_read_back_exactly(db):
    note_id = notes.add_note(notes.Note("SWOT", "Weakness", "SMB win rate slipping", "segment", "SMB", "high",
                                        "Priya", evidence=SMB_Q3), by=ADMIN)
    stored = notes.notes("segment", "SMB")["evidence"].iloc[0]
    assert notes.Evidence.read(stored) == SMB_Q3                     # view, figure and number, unrounded
    assert notes.Evidence.read(stored).value == 169 / 779
    assert json.loads(stored)["cited"] == {"figure": SMB_Q3.figure, "value": 169 / 779}
    # an edit that does not touch the evidence keeps it; one that clears it clears it
    notes.edit_note(note_id, 1, by=ADMIN, text="SMB win rate down 10 points")
    assert notes.Evidence.read(notes.notes()["evidence"].iloc[0]) == SMB_Q3
    notes.edit_note(note_id, 2, by=ADMIN, evidence=None)
    assert notes.notes()["evidence"].tolist() == [None]
    history = notes.history_table(note_id)
    assert history["Evidence"].tolist() == ["", SMB_Q3.figure, SMB_Q3.figure]   # newest first
    # a view reader (the page's links) reads the stored evidence as the view itself
    assert View.from_dict(json.loads(notes.note_history(note_id)["evidence"].iloc[0])) == SMB_Q3.view


def test_evidence_saved_before_figures_reads_without_a_figure(db):
    assert notes.Evidence.read('{"page": "win-loss", "filters": {}, "breakdown": null, "grain": null, "extra": {}}') \
        == notes.Evidence(View("win-loss"), "", None)
    assert notes.Evidence.read({"indicator": "Inflation", "region": "EMEA"}) == notes.Evidence(
        View("strategy", {"region": ["EMEA"]}), "Inflation · EMEA", None)
    legacy = notes.Evidence.read({"page": "win-loss", "query": {"by": "competitor"}})
    assert legacy.view is None and legacy.figure == ""                # its link is read by the page
    assert [notes.Evidence.read(x) for x in (None, "", float("nan"), "not json", {})] == [None] * 5


def test_an_accepted_suggestion_keeps_its_figure_and_view(use_demo_db):
    smb = next(s for s in notes.suggestions() if s.key.startswith("weakness:win_rate:segment:SMB:"))
    assert smb.evidence.view == View("win-loss", {"from": "2026-04-01", "to": "2026-09-30", "segment": ["SMB"]},
                                     grain="quarter")               # the two quarters it compares
    assert smb.evidence.value == smb.numbers["to"]
    assert smb.evidence.figure == (f"Win rate {smb.numbers['to']:.1%} · Segment: SMB · 2026-Q3 "
                                   f"({smb.numbers['from']:.1%} in 2026-Q2)")
    notes.accept_suggestion(smb, by=ADMIN)
    assert notes.Evidence.read(notes.notes("segment", "SMB")["evidence"].iloc[0]) == smb.evidence


def test_evidence_choices_cite_the_last_complete_quarter_of_the_scope(db):
    from intel.filters import Filters, default_range

    import_file(FIXTURES / "winloss_small.csv", as_of="2026-05-01", by=ADMIN)
    f = Filters(*default_range())        # to 2026-04-30; the last close is 2026-04-15: Q1 is complete, Q2 not
    q1 = {"from": "2026-01-01", "to": "2026-03-31"}
    # Q1 closed: W1 W2 W3 won, L1..L5 lost: 3 of 8; SMB: W1 W3 won, L1 L3 L4 lost: 2 of 5 (W1+W3 = 600)
    smb = {e.figure: e for e in notes.evidence_choices("segment", "SMB", f)}
    assert list(smb) == ["Win rate 40.0% · Segment: SMB · 2026-Q1 (2 won of 5 closed)",
                         "Bookings $600 · Segment: SMB · 2026-Q1"]
    assert smb["Win rate 40.0% · Segment: SMB · 2026-Q1 (2 won of 5 closed)"].view == View(
        "win-loss", {**q1, "segment": ["SMB"]}, grain="quarter")
    assert [e.value for e in smb.values()] == [0.4, 600.0]
    # Fabrikam in Q1: named on W1 (won), L1 L3 L5 (lost): 1 of 4 against it; 3 of our 5 losses
    fabrikam = [e.figure for e in notes.evidence_choices("competitor", "Fabrikam", f)]
    assert fabrikam[-2:] == ["Win rate against Fabrikam 25.0% · whole company · 2026-Q1 (1 won of 4)",
                             "Fabrikam named in 60.0% of our losses · whole company · 2026-Q1 (3 of 5)"]
    assert fabrikam[0] == "Win rate 37.5% · whole company · 2026-Q1 (3 won of 8 closed)"


def test_missing_owner_and_evidence_read_as_none_wherever_notes_are_read(db):
    with_all = notes.add_note(notes.Note("SWOT", "Weakness", "SMB slipping", owner="Priya", evidence=SMB_Q3), by=ADMIN)
    bare = notes.add_note(notes.Note("SWOT", "Strength", "Renewals strong"), by=ADMIN)
    board = notes.notes().set_index("note_id")
    assert board.loc[bare, "owner"] is None and board.loc[bare, "evidence"] is None
    assert board.loc[with_all, "owner"] == "Priya"
    assert notes.note_history(bare)["owner"].tolist() == [None]
    assert notes.edit_note(bare, 1, by=ADMIN, impact="high") == 2      # a NULL owner is saved again as NULL
    assert rows("SELECT owner, evidence FROM notes_current WHERE note_id = $i", {"i": bare}) == [(None, None)]
    table = notes.boards_table(notes.notes())
    assert table.set_index("Note").loc[bare, ["Owner", "Evidence"]].tolist() == ["", ""]
    assert "nan" not in notes.boards_markdown(notes.notes(), "Company").lower()


def test_boards_download_reads_like_the_board(db):
    notes.add_note(notes.Note("SWOT", "Weakness", "SMB slipping", owner="Priya", evidence=SMB_Q3), by=ADMIN)
    md = notes.boards_markdown(notes.notes(), "The whole company")
    assert ("### Weakness\n- SMB slipping (medium impact, open, owner Priya); evidence: Win rate 21\\.7% · "
            "Segment: SMB · 2026\\-Q3 \\(169 won of 779 closed\\)") in md
    assert "Nothing yet on: Strength, Opportunity, Threat." in md and "No PESTEL notes yet." in md
    assert list(notes.boards_table(notes.notes()).columns) == [
        "Note", "Framework", "Category", "Scope", "Text", "Impact", "Status", "Owner", "Evidence", "Version",
        "Saved by", "Saved at"]


def test_market_view_over_a_window_and_the_units_of_its_indicators(db):
    import_file(FIXTURES / "market_indicators.csv", by=ADMIN)
    view = notes.market_view("EMEA", date_from=dt.date(2026, 10, 1), date_to=dt.date(2026, 10, 31))
    assert list(view["period"].dt.date) == [dt.date(2026, 10, 1)]          # September left out
    assert view["Inflation"].tolist() == [2.9]
    assert notes.market_units("EMEA") == {"Inflation": "% y/y", "bookings": "USD", "market_share": "%"}
    assert notes.market_units()["Market size"] == "USD m"


def test_a_yearly_indicator_stays_beside_a_window_inside_its_year(db):
    import_file(b"Country,Country Code,Year,Inflation\nGermany,DEU,2015,0.5\nGermany,DEU,2016,3.0\n", "inflation.csv",
                by=ADMIN)
    view = notes.market_view("Germany", date_from=dt.date(2015, 6, 1), date_to=dt.date(2016, 3, 31))
    assert view["Inflation"].tolist() == [0.5, 3.0]             # 2015 ends after June 2015; 2016 starts before April
    view = notes.market_view("Germany", date_from=dt.date(2016, 3, 1), date_to=dt.date(2016, 5, 31))
    assert view["Inflation"].tolist() == [3.0]
