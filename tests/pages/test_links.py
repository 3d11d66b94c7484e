"""Links are built at the edge: intel describes a view (intel/views.py), pages/_components/links.py
turns it into the page's address with that page's URL keys."""
from __future__ import annotations

import json

import pytest

from intel.views import View
from pages._components.links import stored_view, view_url, with_links


def test_a_view_becomes_its_pages_address_with_its_keys():
    assert view_url(View("win-loss", {"segment": ["SMB"], "from": "2026-02-01"}, breakdown="competitor")) \
        == "/win-loss?segment=SMB&from=2026-02-01&by=competitor"
    assert view_url(View("forecast", {"region": ["EMEA", "APAC"]}, breakdown="owner", grain="quarter")) \
        == "/forecast?region=EMEA&region=APAC&fc_by=owner&fc_grain=quarter"
    assert view_url(View("win-loss", {"region": ["North America"]}, grain="quarter")) \
        == "/win-loss?region=North+America&grain=quarter"
    assert view_url(View("pipeline", breakdown="segment")) == "/pipeline?pl_by=segment"
    assert view_url(View("overview")) == "/"
    with pytest.raises(ValueError, match="Unknown page"):
        View("admin")


def test_an_alert_prompts_views_become_links():
    prompt = {"summary": "s", "views": {"Pipeline view": View("pipeline", {"owner": ["Bob"]})}}
    assert with_links(prompt)["links"] == {"Pipeline view": "/pipeline?owner=Bob"}


def test_note_evidence_stored_before_views_still_reads_as_the_same_link():
    legacy = {"page": "forecast", "query": {"segment": "SMB", "fc_by": "segment"}}
    view = stored_view(json.dumps(legacy))
    assert (view.filters, view.breakdown) == ({"segment": "SMB"}, "segment")
    assert view_url(view) == "/forecast?segment=SMB&fc_by=segment"
    assert view_url(stored_view({"page": "win-loss", "query": {"region": "EMEA", "grain": "quarter"}})) \
        == "/win-loss?region=EMEA&grain=quarter"
    now = View("win-loss", {"segment": ["SMB"]}, grain="quarter").as_dict()   # what notes store now
    assert view_url(stored_view(json.dumps(now))) == "/win-loss?segment=SMB&grain=quarter"
    assert stored_view({"indicator": "Inflation", "region": "EMEA"}) is None   # market evidence: no page


def test_the_strategy_page_links_legacy_and_new_evidence(db):
    from streamlit.testing.v1 import AppTest

    from intel import notes
    from intel.access import LOCAL_ADMIN as ADMIN
    from tests.conftest import ROOT

    notes.add_note(notes.Note("SWOT", "Weakness", "Old", evidence={"page": "forecast",
                                                                    "query": {"segment": "SMB", "fc_by": "segment"}}),
                   by=ADMIN)
    notes.add_note(notes.Note("SWOT", "Threat", "New", evidence=View("win-loss", breakdown="competitor").as_dict()),
                   by=ADMIN)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/strategy.py").run()
    assert not at.exception, at.exception
    shown = " ".join(m.value for m in at.markdown)
    assert "[the view it cites](/forecast?segment=SMB&fc_by=segment)" in shown
    assert "[the view it cites](/win-loss?by=competitor)" in shown
