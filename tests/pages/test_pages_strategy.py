"""The Strategy page: the note editor always shows the note it edits, and a change made from a view
that is no longer the latest version (save, delete, restore) is refused with a sentence; notes cite
figures with their views, the editor clears after a save, suggestions say where they went, and
the market charts each figure on its own axis."""
from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from intel import notes
from intel.access import LOCAL_ADMIN as ADMIN, Actor
from tests.conftest import ROOT, rows

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


def field_box(at: AppTest, label: str):
    return next(s for s in at.selectbox if s.label == label)


def field(at: AppTest, label: str):
    return field_box(at, label).value


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


def shown(at: AppTest) -> str:
    """Everything the page says in words: markdown, captions, messages, card text, headings, inputs."""
    parts = [e.value for kind in ("markdown", "caption", "info", "success", "warning", "error", "text", "header",
                                  "subheader", "title") for e in getattr(at, kind)]
    parts += [w.value for w in at.text_area] + [w.value for w in at.text_input]
    parts += [o for w in at.selectbox for o in w.options]
    return "\n".join(str(p) for p in parts)


def test_a_note_citing_a_view_then_one_citing_nothing_then_a_framework_then_a_suggestion_elsewhere(use_demo_db):
    """The Strategy page sequence of issue 15: a note citing a figure, one citing nothing and naming
    no owner (this broke the page for good: `'page' in nan`, and a card read 'owner nan'), the
    editor cleared after each save, categories following the framework, and a suggestion accepted
    onto another scope's board saying where it went."""
    from intel.filters import Filters, default_range
    from pages._components.links import view_url
    from pages._components.widgets import markdown_link

    found = notes.suggestions()
    at = strategy()
    # empty boards: one sentence each, how to start and how many suggestions wait below
    swot = sum(s.framework == "SWOT" for s in found)
    assert any(i.value.startswith("No SWOT notes for the whole company yet. Write one under [Write a note]"
                                  "(#write-a-note) below, or accept one of the "
                                  f"[{swot} SWOT suggestions from the data](#suggested-by-the-data)")
               for i in at.info)
    assert not {"Strength", "Weakness", "Political"} & {h.value for h in at.subheader}   # no empty quadrants

    # 1. a weakness citing the company's win rate of the last complete quarter, owned by Priya
    cited = notes.evidence_choices("company", "", Filters(*default_range()))[0]
    assert cited.figure.startswith("Win rate ") and "2026-Q3" in cited.figure
    field_box(at, "Category").set_value("Weakness")
    at.text_area(key="st_text_new").set_value("Win rate fell in Q3")
    at.text_input(key="st_owner_new").set_value("Priya")
    at.selectbox(key="st_evidence_new").set_value(json.dumps(cited.as_dict(), sort_keys=True))
    save(at)
    assert notes.Evidence.read(notes.notes()["evidence"].iloc[0]) == cited      # view and figure, as offered
    assert (box(at), at.text_input(key="st_owner_new").value, field(at, "Category")) == ("", "", "Strength")
    assert at.selectbox(key="st_evidence_new").value == "none"                    # the editor is cleared
    assert "Note #1 added to the whole company's SWOT board (Weakness)." in at.success[0].value.replace("\\", "")

    # 2. a strength citing nothing, no owner
    at.text_area(key="st_text_new").set_value("Renewals strong")
    save(at)
    assert rows("SELECT owner, evidence FROM notes_current WHERE note_id = 2") == [(None, None)]
    at = strategy()                                                              # and on every later visit
    cards = [t.value for t in at.text]
    assert "Win rate fell in Q3" in cards and "Renewals strong" in cards
    assert "owner Priya" in " ".join(c.value for c in at.caption)
    page = shown(at)
    assert not re.search(r"\bnan\b", page, re.IGNORECASE) and "owner None" not in page
    assert "Evidence: " + markdown_link(cited.figure, view_url(cited.view)) in [m.value for m in at.markdown]
    assert [c.value for c in at.caption].count("None yet.") == 2                 # Opportunity, Threat

    # 3. the categories follow the framework
    at.selectbox(key="st_framework_new").set_value("PESTEL").run()
    assert field_box(at, "Category").options == ["Political", "Economic", "Social", "Technological",
                                                 "Environmental", "Legal"]
    at.selectbox(key="st_framework_new").set_value("SWOT").run()
    assert field_box(at, "Category").options == ["Strength", "Weakness", "Opportunity", "Threat"]

    # 4. a suggestion for segment SMB accepted from the company's boards says where it went
    n = next(i for i, s in enumerate(found) if s.key.startswith("weakness:win_rate:segment:SMB:"))
    at.button(key=f"st_accept_{n}").click().run()
    assert not at.exception, at.exception
    message = at.success[0].value
    assert "Added as note #3 to SMB's SWOT board (Scope: Segment → SMB)." in message.replace("\\", "")
    assert message.endswith("(/strategy?st_scope=segment&st_value=SMB)")          # a link to that board
    assert "Notes on other boards: [Segment: SMB (1)](/strategy?st_scope=segment&st_value=SMB)" in [
        m.value.replace("\\", "") for m in at.markdown]
    smb = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)      # following the link
    smb.query_params.update({"st_scope": "segment", "st_value": "SMB"})
    smb.run()
    smb.switch_page("pages/strategy.py").run()
    assert not smb.exception, smb.exception
    assert found[n].text in [t.value for t in smb.text]
    assert "Evidence: " + markdown_link(found[n].evidence.figure, view_url(found[n].evidence.view)) in [
        m.value for m in smb.markdown]


def test_market_charts_one_per_indicator_each_with_its_unit(use_demo_db):
    """Bookings on their own axis in the reporting currency, each indicator on its own with the unit
    of its file, the share of the market fitted to the shares in %; the caption says region and window."""
    import datetime as dt

    from intel.filters import default_range

    at = strategy()
    figures = {}
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        figures[spec["layout"]["title"]["text"]] = spec
    assert set(figures) == {"Our bookings (won)", "FX JPY/USD", "GDP growth", "Inflation", "Market size",
                            "Our share of the market"}                         # APAC: where we sell, first
    axis = {title: spec["layout"]["yaxis"] for title, spec in figures.items()}
    assert axis["Our bookings (won)"]["title"]["text"] == "USD"
    assert (axis["Inflation"]["title"]["text"], axis["Market size"]["title"]["text"]) == ("% y/y", "USD m")
    assert [t["type"] for t in figures["Our bookings (won)"]["data"]] == ["bar"]
    start, end = default_range()
    view = notes.market_view("APAC", date_from=start, date_to=end)
    low, high = view["market_share"].min(), view["market_share"].max()
    share = axis["Our share of the market"]
    assert share["tickformat"] == ".2%" and 0 < share["range"][0] < low and high < share["range"][1] < 2 * high
    assert (start, end) == (dt.date(2025, 6, 1), dt.date(2026, 11, 30))    # the filter bar's default period
    assert any(c.value.replace("\\", "").startswith(
        "Region: APAC · monthly figures 2025-06 to 2026-10 · data as of 2026-11-16. Our bookings: deals won in "
        "APAC, every segment, owner and product, in USD") for c in at.caption)
    assert len(figures["Inflation"]["data"][0]["x"]) == len(view) == 17        # 2025-06 .. 2026-10, no more


def test_editing_a_note_keeps_its_evidence_unless_told_otherwise(db):
    from intel.views import View

    cited = notes.Evidence(View("win-loss", {"from": "2026-07-01", "to": "2026-09-30"}, grain="quarter"),
                           "Win rate 26.5% · whole company · 2026-Q3", 0.265)
    note_id = notes.add_note(notes.Note("SWOT", "Weakness", "Win rate fell", evidence=cited), by=ADMIN)
    at = strategy()
    at.selectbox(key="st_pick").set_value(note_id).run()
    assert at.selectbox(key=f"st_evidence_{note_id}_v1").value == "keep"
    at.text_area(key=f"st_text_{note_id}_v1").set_value("Win rate fell four points")
    save(at)
    assert notes.Evidence.read(notes.notes()["evidence"].iloc[0]) == cited       # kept as it was
    at.selectbox(key=f"st_evidence_{note_id}_v2").set_value("none")
    save(at)
    assert notes.notes()["evidence"].tolist() == [None]                          # and cleared when asked
    assert [e.value.replace("\\", "") for e in at.success] == [f"Note #{note_id} saved as version 3."]
