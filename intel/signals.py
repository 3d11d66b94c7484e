"""Signals a win-loss review should not have to hunt for, shown on the Win-loss page: alert rules
(intel/alerts.py) evaluated over the page's filters by the same engine, without recording alerts.

- a member (segment by default) whose monthly win rate stayed below the threshold for three
  consecutive complete months, the run ending with the latest one: the default win-rate alert;
- a competitor whose presence in our losses rose markedly from the first to the last complete
  quarter of the range (each with enough losses behind it).
Each comes with the numbers behind it.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from intel import alerts, metrics
from intel.filters import Filters

WIN_RATE_FLOOR = 0.20
STREAK_MONTHS = 3
PRESENCE_RISE = 0.10    # ten points more of our losses


@dataclass
class Signal:
    kind: str            # falling_win_rate | rising_competitor
    subject: str
    text: str
    numbers: dict = field(default_factory=dict)


def falling_win_rates(filters: Filters, dim: str = "segment", floor: float = WIN_RATE_FLOOR,
                      months: int = STREAK_MONTHS, exclude_no_decision: bool = False,
                      db=None) -> list[Signal]:
    """Members below `floor` for the last `months` complete months of the range, each month with
    the minimum sample behind it."""
    # the default alert rule "win rate below 20% for three consecutive months in a segment"
    rule = replace(alerts.DEFAULT_RULES[0], dimension=dim, threshold=floor, consecutive=months,
                   min_sample=metrics.min_sample())
    out = []
    for b in alerts.test_rule(rule, db, filters, exclude_no_decision=exclude_no_decision):
        rates = ", ".join(f"{p} {v:.0%}" for p, v in zip(b.periods, b.values))
        out.append(Signal("falling_win_rate", b.member,
                          f"{dim.replace('_', ' ').capitalize()} {b.member}: win rate below "
                          f"{floor:.0%} for {len(b.periods)} consecutive months ({rates}).",
                          {"periods": b.periods, "win_rates": b.values, "closed": b.samples}))
    return out


def rising_competitors(filters: Filters, rise: float = PRESENCE_RISE, exclude_no_decision: bool = False,
                       db=None) -> list[Signal]:
    """Competitors whose share of our losses grew by `rise` or more, from the first quarter of the
    range with enough losses to the last complete one; the largest rise first."""
    rule = alerts.Rule("A competitor's share of our losses rising", "competitor_presence_in_losses",
                       "competitor", ">=", rise, threshold_kind="points_vs_first", grain="quarter",
                       min_sample=metrics.min_sample())
    out = []
    for b in alerts.test_rule(rule, db, filters, exclude_no_decision=exclude_no_decision):
        first, last, before, now = b.base_periods[-1], b.periods[-1], b.bases[-1], b.observed[-1]
        out.append(Signal("rising_competitor", b.member,
                          f"{b.member} is named in {now:.0%} of our losses in {last}, up "
                          f"from {before:.0%} in {first}.",
                          {"from_period": first, "to_period": last, "from": before, "to": now}))
    return sorted(out, key=lambda s: s.numbers["to"] - s.numbers["from"], reverse=True)


def win_loss_signals(filters: Filters, exclude_no_decision: bool = False, db=None) -> list[Signal]:
    return (falling_win_rates(filters, exclude_no_decision=exclude_no_decision, db=db)
            + rising_competitors(filters, exclude_no_decision=exclude_no_decision, db=db))
