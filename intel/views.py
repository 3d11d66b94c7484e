"""A view of the app described without its address: which page backs a number, with which
filters, breakdown and period grain. `intel` says what to show; the pages turn the description
into a link (pages/_components/links.py), since only they know their paths and widget keys.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

PAGES = ("overview", "forecast", "win-loss", "pipeline", "accounts", "strategy", "alerts")


@dataclass(frozen=True)
class View:
    page: str                                     # one of PAGES
    filters: dict = field(default_factory=dict)   # the global filters as intel.filters writes them:
                                                  # from/to (ISO dates), region/segment/owner/product (lists)
    breakdown: str | None = None                  # the dimension the page breaks its numbers down by
    grain: str | None = None                      # month | quarter
    extra: dict = field(default_factory=dict)     # anything else the view carries, by name, as is

    def __post_init__(self):
        if self.page not in PAGES:
            raise ValueError(f"Unknown page {self.page!r}: use one of {', '.join(PAGES)}.")

    def as_dict(self) -> dict:
        """The view as plain data (what a note stores as its evidence, what the CLI prints)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "View":
        return cls(data["page"], dict(data.get("filters") or {}), data.get("breakdown"), data.get("grain"),
                   dict(data.get("extra") or {}))


def scope_filters(dim: str, member: str) -> dict:
    """The global filters narrowing a view to one member of `dim`, when the filter bar has that
    dimension (region, segment, owner, product); none otherwise."""
    from intel.filters import DIMENSIONS

    return {dim: [member]} if dim in DIMENSIONS else {}
