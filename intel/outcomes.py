"""What counts as a "no decision" loss: one list of patterns, used by the deal facts (the
Win-loss switch, every metric with exclude_no_decision) and shown in the switch's help.

Real loss reasons say it many ways: "No Decision / Non-Responsive", "No decision - status quo",
"Did not proceed", "Customer went dark". A loss whose reason (or stage) contains any of these,
case aside, is a no-decision loss (shared/METRICS.md, Data conventions).
"""
from __future__ import annotations

import re

NO_DECISION_PATTERNS = (
    r"no[\s_-]*decision",
    r"non[\s_-]*responsive", r"unresponsive", r"no[\s_-]*response",
    r"status[\s_-]*quo",
    r"did[\s_-]*n[o']?t[\s_-]*proceed", r"not[\s_-]*proceed(ing)?", r"project[\s_-]*(on[\s_-]*hold|shelved|cancell?ed)",
    r"went[\s_-]*dark", r"ghosted",
    r"do[\s_-]*nothing", r"no[\s_-]*go[\s_-]*decision",
)
NO_DECISION_REGEX = "(" + "|".join(NO_DECISION_PATTERNS) + ")"
# How the Win-loss switch explains itself.
NO_DECISION_HELP = ("A loss counts as \"no decision\" when its loss reason (or stage) says so in any of "
                    "these ways: no decision, non-responsive / unresponsive / no response, status quo, "
                    "did not proceed / not proceeding, project on hold / shelved / cancelled, went dark / "
                    "ghosted, do nothing.")


def is_no_decision(reason: str | None) -> bool:
    """The same test in Python (for checks and prompts)."""
    return bool(reason) and re.search(NO_DECISION_REGEX, reason.lower()) is not None
