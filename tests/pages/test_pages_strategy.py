"""The Strategy page's note editor: it always shows the note it edits, and a change made from a
view that is no longer the latest version (save, delete, restore) is refused with a sentence."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from intel import notes
from intel.access import LOCAL_ADMIN as ADMIN, Actor
from tests.conftest import ROOT

TIMEOUT = 60


@pytest.fixture
def two_notes(db):
    first = notes.add_note(notes.Note("SWOT", "Strength", "Renewals strong", impact="low"), by=ADMIN)
    second = notes.add_note(notes.Note("SWOT", "Threat", "Fabrikam undercuts on price", impact="high"),
                            by=ADMIN)
    return first, second


def strategy() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/strategy.py").run()
    assert not at.exception, at.exception
    return at


def box(at: AppTest) -> str:
    return next(t for t in at.text_area if t.label == "Note text").value


def field(at: AppTest, label: str):
    return next(s for s in at.selectbox if s.label == label).value


def save(at: AppTest) -> None:
    next(b for b in at.button if b.label == "Save note").click().run()
    assert not at.exception, at.exception


def test_opening_another_note_shows_that_notes_text(two_notes):
    first, second = two_notes
    at = strategy()
    at.selectbox(key="st_pick").set_value(second).run()
    assert (box(at), field(at, "Category"), field(at, "Impact")) == ("Fabrikam undercuts on price", "Threat", "high")
    at.selectbox(key="st_pick").set_value(first).run()
    assert (box(at), field(at, "Category"), field(at, "Impact")) == ("Renewals strong", "Strength", "low")
    at.selectbox(key="st_pick").set_value("new").run()
    assert box(at) == ""


def test_changing_only_the_impact_keeps_the_notes_own_text(two_notes):
    first, second = two_notes
    at = strategy()
    at.selectbox(key="st_pick").set_value(second).run()
    at.selectbox(key="st_pick").set_value(first).run()
    next(s for s in at.selectbox if s.label == "Impact").set_value("high")
    save(at)
    assert notes.note_history(first)[["version", "text", "impact"]].values.tolist() == [
        [1, "Renewals strong", "low"], [2, "Renewals strong", "high"]]
    assert notes.note_history(second)["version"].tolist() == [1]        # the other note is untouched
    assert box(at) == "Renewals strong" and field(at, "Impact") == "high"   # reopened at version 2


def test_delete_from_a_stale_view_is_refused_and_the_newest_version_can_be_opened(two_notes):
    first, _ = two_notes
    at = strategy()
    at.selectbox(key="st_pick").set_value(first).run()
    notes.edit_note(first, 1, by=Actor("alice", "manager"), text="Renewals at 95%")   # someone else saves
    at.button(key="st_delete").click().run()
    assert not at.exception, at.exception
    assert "was changed by alice" in at.error[0].value.replace("\\", "")
    assert notes.notes()["note_id"].tolist().count(first) == 1                      # not deleted
    at.button(key="st_reload").click().run()
    assert box(at) == "Renewals at 95%" and not at.error
    at.button(key="st_delete").click().run()                                       # now it is the latest
    assert first not in notes.notes()["note_id"].tolist()


def test_restore_from_a_stale_view_is_refused(two_notes):
    first, _ = two_notes
    notes.delete_note(first, 1, by=ADMIN)
    at = strategy()
    at.selectbox(key="st_pick").set_value(first).run()
    notes.restore_note(first, 2, by=Actor("alice", "manager"))
    notes.delete_note(first, 3, by=Actor("alice", "manager"))                       # deleted again, v4
    at.button(key="st_restore").click().run()
    assert not at.exception, at.exception
    assert "after you opened it (version 4, you had 2)" in at.error[0].value.replace("\\", "")
    assert first not in notes.notes()["note_id"].tolist()                           # still deleted


def test_a_note_with_evidence_beside_one_without_keeps_the_board_drawn(db):
    """One note citing a win-loss view, one citing nothing and naming no owner: the board draws
    both (the missing evidence came back as NaN and `'page' in nan` broke the page for good),
    and no card reads 'owner nan'."""
    from intel.views import View

    notes.add_note(notes.Note("SWOT", "Weakness", "Mid-market win rate slipping", impact="high",
                              owner="Priya", evidence=View("win-loss", {}).as_dict()), by=ADMIN)
    notes.add_note(notes.Note("SWOT", "Strength", "Renewals strong", impact="low"), by=ADMIN)
    at = strategy()
    cards = [t.value for t in at.text]
    assert "Mid-market win rate slipping" in cards and "Renewals strong" in cards
    captions = " ".join(c.value for c in at.caption)
    assert "owner Priya" in captions and "nan" not in captions
    assert any("evidence" in m.value for m in at.markdown)
