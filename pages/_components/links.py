"""Links into the app, built in one place from the view descriptions intel returns
(intel/views.py): each page's address and the URL keys of its breakdown and period choices.
No Streamlit here: a link is a string, and the command line's tests build them too."""
from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlencode

from intel.filters import DIMENSIONS
from intel.views import View

FILTER_KEYS = ("from", "to") + DIMENSIONS    # the global filter bar's URL keys (intel.filters)


@dataclass(frozen=True)
class Address:
    path: str                       # the page's url_path in app.py ('' : the default page)
    breakdown: str | None = None    # the URL key of its breakdown choice
    grain: str | None = None        # the URL key of its period choice
    title: str = ""                 # as the navigation names it (a link's words: "Open this view on the ... page")


PAGES = {
    "overview": Address("", title="Overview"),
    "forecast": Address("forecast", breakdown="fc_by", grain="fc_grain", title="Forecast vs actual"),
    "win-loss": Address("win-loss", breakdown="by", grain="grain", title="Win-loss"),
    "pipeline": Address("pipeline", breakdown="pl_by", grain="pl_grain", title="Pipeline"),
    # breakdown: discount governance's (segment, owner); grain: the lead-source funnel's
    "accounts": Address("accounts", breakdown="ac_by", grain="ac_grain", title="Accounts"),
    "strategy": Address("strategy", title="Strategy notes"),
    "alerts": Address("alerts", title="Alerts"),
}


def view_url(view: View) -> str:
    """The app-relative link to a view: View('win-loss', {'segment': ['SMB']}, 'competitor')
    -> '/win-loss?segment=SMB&by=competitor' (filters, then the page's choices, then the rest)."""
    page = PAGES[view.page]
    query = dict(view.filters)
    if view.breakdown is not None and page.breakdown:
        query[page.breakdown] = view.breakdown
    if view.grain is not None and page.grain:
        query[page.grain] = view.grain
    query.update(view.extra)
    return f"/{page.path}" + ("?" + urlencode(query, doseq=True) if query else "")


def with_links(prompt: dict) -> dict:
    """An alert's course-correction prompt with its views as links, under 'links'."""
    return {**prompt, "links": {label: view_url(view) for label, view in prompt["views"].items()}}


def stored_view(evidence) -> View | None:
    """A note's evidence as a view. Notes store View.as_dict(); notes saved before views store
    {'page', 'query'} with the page's URL keys, read back here (where the keys are known). None
    for evidence that is not a page view (a market indicator)."""
    data = json.loads(evidence) if isinstance(evidence, str) else evidence
    if not data or data.get("page") not in PAGES:
        return None
    if "query" not in data:
        return View.from_dict(data)
    page, filters, extra, breakdown, grain = PAGES[data["page"]], {}, {}, None, None
    for key, value in (data["query"] or {}).items():
        if key in FILTER_KEYS:
            filters[key] = value
        elif key == page.breakdown:
            breakdown = value
        elif key == page.grain:
            grain = value
        else:
            extra[key] = value
    return View(data["page"], filters, breakdown, grain, extra)
