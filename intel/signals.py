"""Signals a win-loss review should not have to hunt for, drawn from the metric functions.

- a member (segment by default) whose monthly win rate stayed below the threshold for three
  or more consecutive months, the run ending in the range's last three months;
- a competitor whose presence in our losses rose markedly between the first and the last
  full quarter of the range.
Each comes with the numbers behind it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from intel import metrics, periods
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
    """Members below `floor` for `months`+ consecutive months, the run ending near the range's end."""
    grid = metrics.win_rate_by_period(dim, filters, "month", exclude_no_decision, db)
    last = periods.label(filters.date_to, "month")
    recent = {periods.shift(last, -k) for k in range(months)}   # the range's last `months` months
    out = []
    for member, rows in grid.groupby("member", sort=True):
        run: list = []
        best: list = []
        for row in rows.itertuples():
            below = not row.small_sample and row.win_rate < floor
            consecutive = run and periods.shift(run[-1].period, 1) == row.period
            run = (run + [row] if consecutive else [row]) if below else []
            if len(run) >= months and run[-1].period in recent:
                best = list(run)
        if best:
            rates = ", ".join(f"{r.period} {r.win_rate:.0%}" for r in best)
            out.append(Signal("falling_win_rate", member,
                              f"{dim.replace('_', ' ').capitalize()} {member}: win rate below "
                              f"{floor:.0%} for {len(best)} consecutive months ({rates}).",
                              {"periods": [r.period for r in best],
                               "win_rates": [float(r.win_rate) for r in best],
                               "closed": [int(r.closed) for r in best]}))
    return out


def rising_competitors(filters: Filters, rise: float = PRESENCE_RISE, exclude_no_decision: bool = False,
                       db=None) -> list[Signal]:
    """Competitors whose share of our losses grew by `rise` or more, first vs last quarter."""
    presence = metrics.competitor_presence_in_losses(filters, "quarter", exclude_no_decision, db)
    if presence.empty:
        return []
    quarters = presence.drop_duplicates("period")["period"].tolist()
    full = [q for q in quarters if presence[presence["period"] == q]["losses"].iloc[0] >= metrics.min_sample()]
    if len(full) < 2:
        return []
    first, last = full[0], full[-1]
    # The last quarter of the range may be partial; it still counts when it has enough losses.
    pivot = presence.pivot(index="competitor", columns="period", values="presence")
    out = []
    for competitor, row in pivot.iterrows():
        delta = row[last] - row[first]
        if delta >= rise:
            out.append(Signal("rising_competitor", competitor,
                              f"{competitor} is named in {row[last]:.0%} of our losses in {last}, up "
                              f"from {row[first]:.0%} in {first}.",
                              {"from_period": first, "to_period": last, "from": float(row[first]),
                               "to": float(row[last])}))
    return sorted(out, key=lambda s: s.numbers["to"] - s.numbers["from"], reverse=True)


def win_loss_signals(filters: Filters, exclude_no_decision: bool = False, db=None) -> list[Signal]:
    return (falling_win_rates(filters, exclude_no_decision=exclude_no_decision, db=db)
            + rising_competitors(filters, exclude_no_decision=exclude_no_decision, db=db))
