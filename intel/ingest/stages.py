"""Ordering open stages, whatever the CRM or language calls them.

Order comes from, in turn: a number leading every label ("1 - Qualify"); the default
pipelines of Salesforce, HubSpot, Pipedrive and Dynamics; the stage's median probability;
how old its deals typically are. Closed Won and Closed Lost come after every open stage.
"""
from __future__ import annotations

import re

from intel.ingest.mapping import header_key

KNOWN_ORDER = {
    # Salesforce
    "prospecting": 1, "qualification": 2, "needsanalysis": 3, "valueproposition": 4,
    "iddecisionmakers": 5, "perceptionanalysis": 6, "proposalpricequote": 7, "negotiationreview": 8,
    # HubSpot (labels and internal names)
    "appointmentscheduled": 1, "qualifiedtobuy": 2, "presentationscheduled": 3,
    "decisionmakerboughtin": 4, "contractsent": 5,
    # Pipedrive
    "leadin": 1, "contactmade": 2, "demoscheduled": 3, "needsdefined": 3, "proposalmade": 4,
    "negotiationsstarted": 5,
    # Dynamics 365 and generic
    "lead": 1, "qualify": 2, "qualified": 2, "discovery": 3, "develop": 3, "engaging": 3, "demo": 4,
    "solution": 4, "propose": 5, "proposal": 5, "quote": 5, "negotiation": 6, "negotiate": 6,
    "commit": 7, "close": 7, "contracting": 7,
}
CLOSED_WON, CLOSED_LOST = "Closed Won", "Closed Lost"


def order_stages(stats: list[tuple[str, float | None, float | None]]) -> dict[str, int]:
    """Open stage label -> order (1..n), from (label, median probability, median age days)."""
    labels = [s[0] for s in stats]
    numbered = [re.match(r"^\s*(\d+)\s*[-.:)]?", label) for label in labels]
    if labels and all(numbered):
        key = {label: (int(m.group(1)), label) for label, m in zip(labels, numbered)}
    elif labels and all(header_key(label) in KNOWN_ORDER for label in labels):
        key = {label: (KNOWN_ORDER[header_key(label)], label) for label in labels}
    elif labels and all(prob is not None for _, prob, _ in stats):
        key = {label: (prob, label) for label, prob, _ in stats}
    else:
        key = {label: (KNOWN_ORDER.get(header_key(label), 99), age if age is not None else 0, label)
               for label, _, age in stats}
    ordered = sorted(labels, key=lambda label: key[label])
    result = {label: i + 1 for i, label in enumerate(ordered)}
    result[CLOSED_WON] = len(ordered) + 1
    result[CLOSED_LOST] = len(ordered) + 2
    return result
