"""The demo data: a deterministic generator of CRM and market exports, loaded like an upload.

Everything derives from one seed and one anchor date, so two runs write the same bytes.
The signals planted for the pages to find are listed in data/demo/README.md; the
constants below are where they come from.
"""
from __future__ import annotations

import csv
import datetime as dt
import math
import random
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from intel import config
from intel.access import Actor, require

SEED = 20261116
END = dt.date(2026, 11, 16)          # the latest snapshot (a Monday)
START = dt.date(2024, 9, 1)          # first created date: 26 months of history
SNAPSHOT_WEEKS = 53                  # weekly snapshots, the last year (the landing backtest replays them)
CLOSED_WINDOW_DAYS = 91              # weekly exports carry deals closed in the last quarter
DEMO_DIR = config.ROOT / "data" / "demo"

REGIONS = {
    "North America": ["Avery Brooks", "Priya Natarajan", "Marcus Lee", "Hannah Cole", "Diego Alvarez",
                      "Olivia Grant", "Ethan Park", "Chloe Bennett"],
    "EMEA": ["Lukas Weber", "Sophie Martin", "Giulia Rossi", "Oliver Hughes", "Ana Costa",
             "Jonas Nilsson", "Amira Haddad", "Pieter de Vries"],
    "APAC": ["Kenji Sato", "Mei Chen", "Arjun Mehta", "Grace Tan", "Liam O'Connor", "Yuna Kim",
             "Ravi Iyer", "Zoe Wright"],
    "LATAM": ["Camila Torres", "Mateo Silva", "Valentina Ruiz", "Gabriel Souza", "Lucia Fernandez",
              "Andres Castro", "Isabela Lima", "Tomas Herrera"],
}
SEGMENTS = {  # name: (share of deals, median amount, median cycle days, base win rate)
    "Enterprise": (0.18, 120_000, 120, 0.30),
    "Mid-Market": (0.27, 45_000, 75, 0.34),
    "SMB": (0.30, 12_000, 35, 0.36),
    "Public Sector": (0.10, 80_000, 140, 0.28),
    "Commercial": (0.15, 28_000, 60, 0.33),
}
PRODUCTS = ["Core Platform", "Analytics", "Cloud Connect", "Services", "Mobile"]
COMPETITORS = ["Fabrikam", "Contoso", "Northwind", "Tailspin", "Litware"]
LOSS_REASONS = ["Price", "No decision", "Lost to competitor", "Timing", "Missing features", "Budget"]
LEAD_SOURCES = ["Web", "Partner", "Outbound", "Event", "Referral"]
DEAL_TYPES = ["New Business", "Existing Business - Upgrade", "Renewal"]
OPEN_STAGES = [("Prospecting", 10), ("Qualification", 20), ("Needs Analysis", 40),
               ("Proposal/Price Quote", 60), ("Negotiation/Review", 80)]

# Planted signals (data/demo/README.md)
FALLING_SEGMENT = "SMB"                                   # win rate under 20% three months running
FALLING_MONTHS = [(2026, 8), (2026, 9), (2026, 10)]
FALLING_WIN_RATE = 0.13
RISING_COMPETITOR = "Fabrikam"                            # rising share of losses
OVER_FORECAST_REGION = "EMEA"                             # commits ~25% above actual
OVER_FORECAST_BIAS = 1.25
SANDBAGGER = "Priya Natarajan"                            # commits ~30% below actual
SANDBAG_BIAS = 0.70
SLIP_SHARE, REPEAT_SLIP_SHARE = 0.12, 0.04                # deals pushed once / three times or more
# Issue 17 (accounts, lead sources, discounts): applied after the deals are drawn, with their own
# random stream (SEED + 17), so the signals above and the landing barely move.
ATTACK_ACCOUNT = "Quartz Labs"                            # small share of a large wallet, won more and more
ATTACK_ANNUAL_REVENUE = 48_000_000                        # its accounts-table annual revenue
ATTACK_RECENT_WIN_RATE = 0.65                             # its deals closed in the last 12 months
DEFEND_ACCOUNT = "Summit Holdings"                        # a large customer slipping away
DEFEND_BOOKINGS_RATIO = 0.60                              # bookings of the last 12 months vs the 12 before
DEFEND_COMPETITOR_DEALS = 3                               # Fabrikam in 3 of its last 5 deals
DEFEND_CYCLE_FACTOR = 1.5                                 # median won cycle, last 12 months vs the 12 before
FIRE_ACCOUNT = "Echo Foods"                               # a small customer not worth its cost
FIRE_DISCOUNTS = (0.25, 0.30, 0.35)
FIRE_CYCLE_FACTOR = 2.0                                   # median won cycle vs its segment's
FIRE_WIN_RATE = 0.10
PLANTED_SEGMENT = {ATTACK_ACCOUNT: "Commercial", DEFEND_ACCOUNT: "Enterprise", FIRE_ACCOUNT: "Mid-Market"}
PLANTED_SIZE = {ATTACK_ACCOUNT: "5000+", DEFEND_ACCOUNT: "1001-5000", FIRE_ACCOUNT: "51-200"}   # employees
BEST_LEAD_SOURCE = "Referral"                             # won ~55% of the time, the others ~27%
BEST_LEAD_SOURCE_WIN_RATE = 0.55
DISCOUNTER = "Lukas Weber"                                # average discount +5 points a quarter, win rate flat
DISCOUNTER_LEVELS = {(2025, 4): 0.15, (2026, 1): 0.20, (2026, 2): 0.25, (2026, 3): 0.30, (2026, 4): 0.35}
CAMPAIGNS = {"Web": "{year} Webinar Series", "Event": "Trade Show - {season}",   # Outbound: no campaign
             "Partner": "Partner Co-marketing", "Referral": "Customer Referral Program", "Outbound": ""}


@dataclass
class Deal:
    id: str
    name: str
    account: str
    owner: str
    team: str
    region: str
    segment: str
    industry: str
    product: str
    amount: float
    created: dt.date
    close: dt.date                  # final close date (or expected, when still open)
    won: bool
    competitor: str
    loss_reason: str
    lead_source: str
    deal_type: str
    discount: float
    pushes: list[dt.date] = field(default_factory=list)   # when the close date was pushed 30 days
    early_amount: float | None = None                     # amount before mid-life, if it changed
    campaign: str = ""                                    # Salesforce "Primary Campaign Source"

    def close_at(self, day: dt.date) -> dt.date:
        return self.close - dt.timedelta(days=30 * sum(1 for p in self.pushes if p > day))

    def amount_at(self, day: dt.date) -> float:
        midpoint = self.created + (self.close - self.created) / 2
        return self.early_amount if self.early_amount and day < midpoint else self.amount

    def stage_at(self, day: dt.date) -> tuple[str, int]:
        if self.close <= day and self.close <= END:
            return ("Closed Won", 100) if self.won else ("Closed Lost", 0)
        span = max((self.close - self.created).days, 1)
        index = min(int(4.999 * max((day - self.created).days, 0) / span), 4)
        return OPEN_STAGES[index]


def _month_index(day: dt.date) -> int:
    return (day.year - START.year) * 12 + day.month - START.month


def _account_pools(accounts: list[str]) -> dict[str, list[str]]:
    """The accounts of each segment: an account buys in one segment, as its accounts-table row says
    (the planted accounts where PLANTED_SEGMENT puts them, the others shuffled by segment share)."""
    others = [a for a in accounts if a not in PLANTED_SEGMENT]
    random.Random(SEED + 17).shuffle(others)
    pools, taken = {}, 0
    for k, (segment, (share, *_)) in enumerate(SEGMENTS.items()):
        planted = [a for a, s in PLANTED_SEGMENT.items() if s == segment]
        n = len(others) - taken if k == len(SEGMENTS) - 1 else round(len(accounts) * share) - len(planted)
        pools[segment] = sorted(others[taken:taken + n] + planted)
        taken += n
    return pools


def generate_deals(rng: random.Random) -> list[Deal]:
    short = {"North America": "NA", "EMEA": "EMEA", "APAC": "APAC", "LATAM": "LATAM"}
    owners = [(region, owner, f"{short[region]} {'Team 1' if i < 4 else 'Team 2'}")
              for region, names in REGIONS.items() for i, owner in enumerate(names)]
    industries = ["Manufacturing", "Financial Services", "Healthcare", "Retail", "Technology",
                  "Energy", "Government"]
    accounts = [f"{a} {b}" for a in ["Apex", "Blue", "Cedar", "Delta", "Echo", "Fjord", "Granite",
                                      "Harbor", "Iron", "Juniper", "Keystone", "Lumen", "Maple",
                                      "Nova", "Orion", "Pioneer", "Quartz", "Ridge", "Summit", "Terra"]
                for b in ["Systems", "Holdings", "Group", "Labs", "Industries", "Partners", "Logistics",
                          "Health", "Foods", "Energy", "Bank", "Retail"]]
    pools = _account_pools(accounts)
    seg_names = list(SEGMENTS)
    seg_weights = [SEGMENTS[s][0] for s in seg_names]
    deals: list[Deal] = []
    days = (END - START).days + 60
    n = 24_000
    for i in range(n):
        created = START + dt.timedelta(days=rng.randrange(days))
        region, owner, team = owners[rng.randrange(len(owners))]
        segment = rng.choices(seg_names, seg_weights)[0]
        share, median_amount, median_cycle, base_win = SEGMENTS[segment]
        amount = round(median_amount * math.exp(rng.gauss(0, 0.55)), -2)
        cycle = max(7, int(median_cycle * math.exp(rng.gauss(0, 0.35))))
        close = created + dt.timedelta(days=cycle)
        # Fabrikam's share of competitive deals climbs from about 10% to about 45%.
        progress = min(max(_month_index(created) / 25, 0), 1)
        competitor = ""
        if rng.random() < 0.7:
            if rng.random() < 0.10 + 0.35 * progress ** 2:
                competitor = RISING_COMPETITOR
            else:
                competitor = rng.choice(COMPETITORS[1:])
        win = base_win
        if competitor == RISING_COMPETITOR:
            win *= 0.55
        if segment == FALLING_SEGMENT and (close.year, close.month) in FALLING_MONTHS:
            win = FALLING_WIN_RATE
        won = rng.random() < win
        loss_reason = ""
        if not won:
            if competitor and rng.random() < 0.5:
                loss_reason = "Lost to competitor"
            else:
                loss_reason = rng.choices(LOSS_REASONS, [25, 22, 0, 18, 15, 20])[0]
        # the same draw as when an account's deals spanned segments, read within the deal's segment
        account = pools[segment][rng.randrange(len(accounts)) * len(pools[segment]) // len(accounts)]
        deal = Deal(
            id=f"006{i:07d}DEMO", name="", account=account, owner=owner,
            team=team, region=region, segment=segment, industry=rng.choice(industries),
            product=rng.choices(PRODUCTS, [30, 22, 20, 15, 13])[0], amount=amount, created=created,
            close=close, won=won, competitor=competitor, loss_reason=loss_reason,
            lead_source=rng.choices(LEAD_SOURCES, [30, 20, 25, 15, 10])[0],
            deal_type=rng.choices(DEAL_TYPES, [55, 25, 20])[0],
            discount=round(rng.choice([0, 0, 0, 5, 10, 15, 20]) / 100, 2))
        deal.name = f"{deal.account} - {deal.product}"
        r = rng.random()
        pushes = 3 + rng.randrange(2) if r < REPEAT_SLIP_SHARE else (1 if r < SLIP_SHARE else 0)
        if pushes:
            deal.close = close + dt.timedelta(days=30 * pushes)
            # each push happens a few days before the close date then in force
            deal.pushes = [close + dt.timedelta(days=30 * k - rng.randrange(1, 6)) for k in range(pushes)]
        if rng.random() < 0.10:
            deal.early_amount = round(amount * rng.choice([0.8, 1.25]), -2)
        deals.append(deal)
    _plant_issue17(deals)
    return deals


YEAR_AGO = END.replace(year=END.year - 1)    # the accounts' windows: the 12 months to the data date
TWO_YEARS_AGO = END.replace(year=END.year - 2)  # and the 12 before


def _recent(deal: Deal) -> bool:
    return YEAR_AGO < deal.close <= END


def _prior(deal: Deal) -> bool:
    return TWO_YEARS_AGO < deal.close <= YEAR_AGO


def _quarter(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def _win(deal: Deal) -> None:
    deal.won, deal.loss_reason = True, ""


def _lose(deal: Deal, rng: random.Random) -> None:
    deal.won = False
    if deal.competitor and rng.random() < 0.5:
        deal.loss_reason = "Lost to competitor"
    else:
        deal.loss_reason = rng.choices(LOSS_REASONS, [25, 22, 0, 18, 15, 20])[0]


def _plant_best_lead_source(deals: list[Deal], rng: random.Random) -> None:
    """BEST_LEAD_SOURCE deals won about 55% of the time. Each loss turned into a win turns a win of
    another source, closing in the same region, segment and month at the nearest amount, into a loss:
    every region's and segment's monthly win rate stays as it was and their bookings barely move (the
    falling segment, the over-forecasting region, the landing)."""
    free = [d for d in deals if d.close <= END and d.owner != DISCOUNTER and d.account not in PLANTED_SEGMENT]
    best = [d for d in free if d.lead_source == BEST_LEAD_SOURCE]
    rate = sum(d.won for d in best) / len(best)
    flip = (BEST_LEAD_SOURCE_WIN_RATE - rate) / (1 - rate)
    partners: dict[tuple, list[Deal]] = {}
    for d in free:
        if d.won and d.lead_source != BEST_LEAD_SOURCE:
            partners.setdefault((d.region, d.segment, d.close.year, d.close.month), []).append(d)
    for d in best:
        pool = partners.get((d.region, d.segment, d.close.year, d.close.month))
        if d.won or rng.random() >= flip or not pool:
            continue
        partner = min(pool, key=lambda p: abs(p.amount - d.amount))
        pool.remove(partner)
        _win(d)
        _lose(partner, rng)


def _plant_attack(deals: list[Deal], rng: random.Random) -> None:
    """ATTACK_ACCOUNT wins most of what closed in the last 12 months: bookings up, win rate well above
    the company's; its annual revenue (write_demo) makes those bookings a small share of its wallet."""
    recent = [d for d in deals if d.account == ATTACK_ACCOUNT and _recent(d)]
    losses = [d for d in recent if not d.won]
    rng.shuffle(losses)
    for d in losses:
        if sum(x.won for x in recent) >= ATTACK_RECENT_WIN_RATE * len(recent):
            break
        _win(d)


def _plant_defend(deals: list[Deal], rng: random.Random) -> None:
    """DEFEND_ACCOUNT: bookings of the last 12 months near 60% of the 12 before, the deals closed in
    them longer in the making (median won cycle 1.5x the 12 months before's), and Fabrikam in 3 of its
    last 5 deals (by created date)."""
    mine = [d for d in deals if d.account == DEFEND_ACCOUNT]
    recent = [d for d in mine if _recent(d)]
    target = DEFEND_BOOKINGS_RATIO * sum(d.amount for d in mine if d.won and _prior(d))
    booked = sum(d.amount for d in recent if d.won)
    rng.shuffle(recent)
    for d in recent:   # lose wins (or win losses) until the bookings sit within 5% of the target
        if abs(booked - target) <= 0.05 * target:
            break
        if d.won and booked > target and booked - d.amount >= 0.9 * target:
            _lose(d, rng)
            booked -= d.amount
        elif not d.won and booked < target and booked + d.amount <= 1.1 * target:
            _win(d)
            booked += d.amount
    cycle = lambda ds: statistics.median((d.close - d.created).days for d in ds if d.won)
    stretch = max(1.0, DEFEND_CYCLE_FACTOR * cycle(d for d in mine if _prior(d)) / cycle(recent))
    for d in recent:
        d.created = d.close - dt.timedelta(days=math.ceil((d.close - d.created).days * stretch))
    last = sorted((d for d in mine if d.created <= END), key=lambda d: (d.created, d.id))[-5:]
    named = set(rng.sample(range(len(last)), DEFEND_COMPETITOR_DEALS))
    others = rng.sample(COMPETITORS[1:], len(last) - DEFEND_COMPETITOR_DEALS)   # each named once
    for k, d in enumerate(last):
        d.competitor = RISING_COMPETITOR if k in named else others.pop()


def _plant_fire(deals: list[Deal], rng: random.Random) -> None:
    """FIRE_ACCOUNT: quoted at 25-35% off; about one closed deal in ten won (the smallest, in each 12
    months alike); its deals twice as long in the making as its segment's (median won cycle)."""
    mine = [d for d in deals if d.account == FIRE_ACCOUNT]
    for d in mine:
        d.discount = rng.choice(FIRE_DISCOUNTS)
    for window in (_recent, _prior, lambda d: d.close <= TWO_YEARS_AGO):
        closed = [d for d in mine if window(d)]
        won = sorted((d for d in closed if d.won), key=lambda d: (d.amount, d.id))
        for d in won[max(1, round(FIRE_WIN_RATE * len(closed))):]:
            _lose(d, rng)
    cycle = lambda ds: statistics.median((d.close - d.created).days for d in ds
                                         if d.won and (_recent(d) or _prior(d)))
    segment = PLANTED_SEGMENT[FIRE_ACCOUNT]
    stretch = FIRE_CYCLE_FACTOR * cycle(d for d in deals if d.segment == segment) / cycle(mine)
    for d in mine:
        d.created = max(START, d.close - dt.timedelta(days=math.ceil((d.close - d.created).days * stretch)))


def _plant_discounter(deals: list[Deal], rng: random.Random) -> None:
    """DISCOUNTER quotes DISCOUNTER_LEVELS (give or take 2 points) in the quarters named there, his open
    deals at the last level, while his win rate holds: each of those quarters is won at no higher a rate
    than the one before, starting from his rate over the four quarters before them."""
    mine = [d for d in deals if d.owner == DISCOUNTER and d.account not in PLANTED_SEGMENT]
    quarters = sorted(DISCOUNTER_LEVELS)
    for d in mine:
        level = DISCOUNTER_LEVELS.get(_quarter(d.close)) if d.close <= END else DISCOUNTER_LEVELS[quarters[-1]]
        if level:
            d.discount = round(level + rng.choice([-0.02, 0.0, 0.02]), 2)
    year_before = (quarters[0][0] - 1, quarters[0][1])
    his = [d for d in deals if d.owner == DISCOUNTER and d.close <= END]   # the planted accounts' too
    before = [d for d in his if year_before <= _quarter(d.close) < quarters[0]]
    start = rate = sum(d.won for d in before) / len(before)
    for q in quarters:
        closed = [d for d in his if _quarter(d.close) == q]
        excess = sum(d.won for d in closed) - min(round(start * len(closed)), math.floor(rate * len(closed)))
        won = [d for d in closed if d.won and d.account not in PLANTED_SEGMENT]
        lost = [d for d in closed if not d.won and d.account not in PLANTED_SEGMENT]
        rng.shuffle(won)
        rng.shuffle(lost)
        for d in won[:max(excess, 0)]:
            _lose(d, rng)
        for d in lost[:max(-excess, 0)]:
            _win(d)
        rate = sum(d.won for d in closed) / len(closed)


def _campaign(deal: Deal) -> str:
    season = "Spring" if deal.created.month <= 6 else "Autumn"
    return CAMPAIGNS[deal.lead_source].format(year=deal.created.year, season=season)


def _plant_issue17(deals: list[Deal]) -> None:
    rng = random.Random(SEED + 17)
    _plant_best_lead_source(deals, rng)
    _plant_attack(deals, rng)
    _plant_defend(deals, rng)
    _plant_fire(deals, rng)
    _plant_discounter(deals, rng)
    for d in deals:
        d.campaign = _campaign(d)


def _closed(deal: Deal, day: dt.date) -> bool:
    return deal.close <= day and deal.close <= END


SF_HEADER = ["Opportunity ID", "Opportunity Name", "Account Name", "Opportunity Owner", "Owner Role",
             "Region", "Segment", "Industry", "Product", "Stage", "Amount", "Amount Currency",
             "Probability (%)", "Forecast Category", "Created Date", "Close Date",
             "Primary Competitor", "Loss Reason", "Lead Source", "Primary Campaign Source", "Type",
             "Discount (%)"]


def _forecast_category(stage: str, prob: int) -> str:
    if stage == "Closed Won":
        return "Closed"
    if stage == "Closed Lost":
        return "Omitted"
    return "Commit" if prob >= 80 else ("Best Case" if prob >= 60 else "Pipeline")


def _snapshot_rows(deals: list[Deal], day: dt.date, full: bool):
    for d in deals:
        if d.created > day:
            continue
        closed = _closed(d, day)
        if not full and closed and (day - d.close).days > CLOSED_WINDOW_DAYS:
            continue
        stage, prob = d.stage_at(day)
        close = d.close if closed else d.close_at(day)
        amount = d.amount if closed else d.amount_at(day)
        yield [d.id, d.name, d.account, d.owner, d.team, d.region, d.segment, d.industry, d.product,
               stage, f"USD {amount:,.2f}", "USD", f"{prob}%", _forecast_category(stage, prob),
               d.created.strftime("%m/%d/%Y"), close.strftime("%m/%d/%Y"), d.competitor,
               d.loss_reason if stage == "Closed Lost" else "", d.lead_source, d.campaign, d.deal_type,
               f"{d.discount * 100:.0f}%"]


SF_FOOTER = ['', '""', '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."',
             '"Confidential Information - Do Not Distribute"',
             '"Generated By:  Demo Analyst  {day}"', '"Sightline Demo Inc."']


def _write_csv(path: Path, header: list[str], rows, footer: list[str] | None = None) -> int:
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
        for line in footer or []:
            fh.write(line + "\r\n")
    return count


def _bookings(deals: list[Deal], to: dt.date | None = END) -> dict[tuple, float]:
    """Won amount per month, region, segment and owner, of the deals closing by `to` (None: every
    deal, those the exports will only show closing later included)."""
    out: dict[tuple, float] = {}
    for d in deals:
        if d.won and (to is None or d.close <= to):
            key = (d.close.year, d.close.month, d.region, d.segment, d.owner)
            out[key] = out.get(key, 0.0) + d.amount
    return out


def _months(first: dt.date, last: dt.date):
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        yield y, m
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def _targets_and_calls(deals: list[Deal], rng: random.Random):
    """Monthly targets, and weekly commit / best-case calls per region x segment x owner."""
    bookings = _bookings(deals)
    # reps call what they see coming: the months in progress at their eventual bookings
    eventual = _bookings(deals, to=None)
    owners = [(r, o) for r, names in REGIONS.items() for o in names]
    months_booked = len(list(_months(dt.date(2024, 11, 1), END)))
    average: dict[tuple, float] = {}
    for (y, m, region, segment, owner), amount in bookings.items():
        if (y, m) >= (2024, 11):
            average[(region, segment, owner)] = average.get((region, segment, owner), 0.0) + amount / months_booked
    targets, calls = [], []
    for y, m in _months(dt.date(2024, 11, 1), dt.date(2026, 12, 1)):
        # a month is called every Monday from its quarter's first day (the quarter's commit is
        # called whole from week 1), up to the month's end
        first = dt.date(y, (m - 1) // 3 * 3 + 1, 1)
        nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
        mondays = [first + dt.timedelta(days=k) for k in range((nxt - first).days)
                   if (first + dt.timedelta(days=k)).weekday() == 0]
        for region, owner in owners:
            for segment in SEGMENTS:
                actual = eventual.get((y, m, region, segment, owner), 0.0)
                typical = average.get((region, segment, owner), SEGMENTS[segment][1] * 0.3)
                # a quota near the usual run-rate, nudged up: attainment lands around 90-110%
                target = round(typical * (1.0 + 0.1 * rng.random()), -3)
                targets.append([f"{y}-{m:02d}", region, segment, owner, f"{target:.0f}"])
                bias = OVER_FORECAST_BIAS if region == OVER_FORECAST_REGION else 1.0
                if owner == SANDBAGGER:
                    bias = SANDBAG_BIAS
                for week, monday in enumerate(mondays):
                    if monday > END:
                        break
                    noise = rng.gauss(0, 0.12 * (len(mondays) - week) / len(mondays))
                    # a month that books nothing was mostly called at nothing, now and then at a little
                    expected = actual if actual else (typical * 0.2 if rng.random() < 0.2 else 0.0)
                    commit = max(0.0, expected * bias * (1 + noise))
                    best = commit * (1.15 + rng.random() * 0.15)
                    calls.append([f"{y}-{m:02d}", region, segment, owner, f"{commit:.2f}",
                                  f"{best:.2f}", monday.isoformat()])
    return targets, calls


def _annual_revenues(deals: list[Deal]) -> Callable[[str, int], float]:
    """The accounts table's annual revenue, read as what an account could spend with us (its wallet):
    2 to 8 times its average yearly bookings of the last two years (a draw in 50..4999 says where), so
    no account but ATTACK_ACCOUNT, whose wallet is far larger, holds a share under 10% while growing."""
    yearly: dict[str, float] = {}
    for d in deals:
        if d.won and TWO_YEARS_AGO < d.close <= END:
            yearly[d.account] = yearly.get(d.account, 0.0) + d.amount / 2
    return lambda account, draw: (ATTACK_ANNUAL_REVENUE if account == ATTACK_ACCOUNT else
                                  round(max(yearly.get(account, 0.0), 10_000) * (2 + 6 * (draw - 50) / 4950), -3))


def _market_rows(deals: list[Deal], rng: random.Random):
    growth = {"North America": 0.004, "EMEA": 0.003, "APAC": 0.016, "LATAM": 0.008}
    size0 = {"North America": 900.0, "EMEA": 700.0, "APAC": 500.0, "LATAM": 200.0}
    fx = {"North America": ("USD", 1.0), "EMEA": ("EUR", 1.08), "APAC": ("JPY", 0.0068),
          "LATAM": ("BRL", 0.19)}
    rows = []
    for k, (y, m) in enumerate(_months(dt.date(2024, 9, 1), dt.date(2026, 10, 1))):
        period = f"{y}-{m:02d}"
        for region in REGIONS:
            size = size0[region] * (1 + growth[region]) ** k
            rows.append([period, region, "Market size", f"{size:.1f}", "USD m", "Demo industry survey"])
            gdp = {"North America": 2.1, "EMEA": 1.2, "APAC": 4.0, "LATAM": 1.8}[region] + rng.gauss(0, 0.2)
            rows.append([period, region, "GDP growth", f"{gdp:.2f}", "% y/y", "Demo statistics office"])
            inflation = {"North America": 2.8, "EMEA": 2.4, "APAC": 1.9, "LATAM": 5.5}[region]
            if region == "LATAM" and (y, m) >= (2026, 6):
                inflation += 4.0 + 0.5 * (m - 6)  # an inflation spike (PESTEL: economic)
            rows.append([period, region, "Inflation", f"{inflation + rng.gauss(0, 0.15):.2f}", "% y/y",
                         "Demo statistics office"])
            code, rate = fx[region]
            drift = 1 - 0.02 * max(0, k - 18) if region == "LATAM" else 1 + rng.gauss(0, 0.01)
            rows.append([period, region, f"FX {code}/USD", f"{rate * drift:.4f}", "USD per unit",
                         "Demo central bank"])
    return rows


def write_demo(directory: Path = DEMO_DIR) -> list[Path]:
    """Write the demo exports (deterministic) and return their paths in import order."""
    rng = random.Random(SEED)
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.csv"):
        old.unlink()
    deals = generate_deals(rng)
    paths = []
    for w in range(SNAPSHOT_WEEKS):
        day = END - dt.timedelta(weeks=SNAPSHOT_WEEKS - 1 - w)
        full = day == END
        path = directory / f"salesforce-opportunities-{day.isoformat()}.csv"
        footer = [line.format(day=day.strftime("%m/%d/%Y") + " 9:00 AM") for line in SF_FOOTER]
        _write_csv(path, SF_HEADER, _snapshot_rows(deals, day, full), footer)
        paths.append(path)
    targets, calls = _targets_and_calls(deals, rng)
    path = directory / "targets-monthly.csv"
    _write_csv(path, ["Month", "Region", "Segment", "Owner", "Quota"], targets)
    paths.append(path)
    path = directory / "forecast-calls-weekly.csv"
    _write_csv(path, ["Period", "Region", "Segment", "Owner", "Commit", "Best Case", "Submitted At"],
               calls)
    paths.append(path)
    path = directory / "market-indicators.csv"
    _write_csv(path, ["Period", "Region", "Indicator", "Value", "Unit", "Source"], _market_rows(deals, rng))
    paths.append(path)
    accounts = sorted({(d.account, d.industry, d.region, d.segment) for d in deals})
    seen, account_rows, annual_revenue = set(), [], _annual_revenues(deals)
    for name, industry, region, segment in accounts:
        if name in seen:
            continue
        seen.add(name)
        size, draw = rng.choice(["1-50", "51-200", "201-1000", "1001-5000", "5000+"]), rng.randrange(50, 5000)
        account_rows.append([name, industry, region, segment, PLANTED_SIZE.get(name, size),
                             f"{annual_revenue(name, draw):.0f}"])
    path = directory / "hubspot-companies.csv"
    _write_csv(path, ["Company name", "Industry", "Region", "Segment", "Number of Employees",
                      "Annual Revenue"], account_rows)
    paths.append(path)
    path = directory / "salesforce-leads.csv"
    _write_csv(path, LEAD_HEADER, _lead_rows(deals, random.Random(SEED + 21)))   # its own stream
    paths.append(path)
    return paths


def _written_by_an_older_generator(directory: Path) -> bool:
    """Whether the latest snapshot there lacks today's header: files an older generator wrote are
    written again, not loaded without the columns and signals added since."""
    latest = directory / f"salesforce-opportunities-{END.isoformat()}.csv"
    if not latest.exists():
        return False
    with open(latest, encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh), None) != SF_HEADER


def demo_paths(directory: Path = DEMO_DIR) -> list[Path]:
    """The demo files in import order, writing them first when they are missing or out of date."""
    if _written_by_an_older_generator(directory):
        return write_demo(directory)
    snapshots = sorted(directory.glob("salesforce-opportunities-*.csv"))
    others = [directory / n for n in ("targets-monthly.csv", "forecast-calls-weekly.csv",
                                      "market-indicators.csv", "hubspot-companies.csv", "salesforce-leads.csv")]
    if len(snapshots) != SNAPSHOT_WEEKS or not all(p.exists() for p in others):
        return write_demo(directory)
    return snapshots + others


def load_demo(db=None, progress: Callable[[float, str], None] | None = None, replace: bool = True, *,
              by: Actor):
    """Load the demo exports, as `by` (an analyst or above), through the same import path an
    analyst uses.

    With replace, every earlier import is undone first (the history keeps them).
    Returns the ImportResults.
    """
    from intel.alerts import check_after_change
    from intel.ingest import import_file, undo_import
    from intel import store

    require(by, "import data")
    report = progress or (lambda f, t: None)
    if replace:
        cur = store.cursor(db)
        live = [i for (i,) in cur.execute(
            "SELECT id FROM imports WHERE undone_at IS NULL ORDER BY id DESC").fetchall()]
        cur.close()
        for import_id in live:
            undo_import(import_id, db=db, by=by)
    paths = demo_paths()
    results = []
    for k, path in enumerate(paths):
        report(k / len(paths), f"Loading {path.name}")
        results.append(import_file(path, db=db, allow_duplicate=True, by=by))
    report(0.97, "Checking the alert rules")
    for problem in check_after_change(db, by=by):   # once, on the whole demo
        results[-1].warnings.append(problem)
    report(1.0, "Demo data loaded")
    return results


# ---- the leads export (Salesforce Lead.csv) ----

LEAD_HEADER = ["Id", "Company", "LeadSource", "Status", "IsConverted", "ConvertedDate", "ConvertedOpportunityId",
               "CreatedDate", "MQL_Date__c", "SQL_Date__c", "Campaign__c"]
# Per lead source, the share of leads reaching MQL, of MQLs reaching SQL, of SQLs becoming an
# opportunity. Referral turns 60% of its MQLs into opportunities, the others 25% (about 4 leads
# stopped on the way per converted one).
LEAD_FUNNEL = {"Referral": (0.8, 0.75, 0.8)}
LEAD_FUNNEL_OTHERS = (0.8, 0.5, 0.5)
LEADS_STOPPED = {"lead": ("Open - Not Contacted", "Working - Contacted", "Closed - Not Converted"),
                 "mql": ("Marketing Qualified", "Closed - Not Converted"),   # the MQL date says it was one
                 "sql": ("Sales Qualified", "Closed - Not Converted")}


def _lead_rows(deals: list[Deal], rng: random.Random):
    """Lead.csv rows: each deal created by END came from a lead converted on the deal's created
    date (created 3 to 45 days before, MQL and SQL on the way), and beside it the leads of its
    source that stopped at lead, MQL or SQL, as many as the source's funnel (LEAD_FUNNEL) gives."""
    companies = sorted({d.account for d in deals})
    day = lambda d: min(d, END)
    stamp = lambda d: f"{d.isoformat()}T{rng.randrange(8, 18):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}.000Z"
    n = 0

    def poisson(mean: float) -> int:   # how many stopped beside one converted lead: varies around the mean
        count, p, floor = 0, rng.random(), math.exp(-mean)
        while p > floor:
            count, p = count + 1, p * rng.random()
        return count

    for deal in deals:
        if deal.created > END:
            continue
        to_mql, to_sql, to_opp = LEAD_FUNNEL.get(deal.lead_source, LEAD_FUNNEL_OTHERS)
        campaign = getattr(deal, "campaign", "")
        lead_days = rng.randrange(3, 46)
        created = deal.created - dt.timedelta(days=lead_days)
        mql = created + dt.timedelta(days=rng.randrange(lead_days // 3 + 1))
        sql = mql + dt.timedelta(days=rng.randrange((deal.created - mql).days + 1))
        n += 1
        yield [f"00Q{n:07d}DEMO", deal.account, deal.lead_source, "Closed - Converted", "true",
               deal.created.isoformat(), deal.id, stamp(created), mql.isoformat(), sql.isoformat(), campaign]
        stopped = {"sql": 1 / to_opp - 1, "mql": (1 / to_opp) * (1 / to_sql - 1),
                   "lead": (1 / (to_opp * to_sql)) * (1 / to_mql - 1)}   # per converted lead
        for stage, expected in stopped.items():
            for _ in range(poisson(expected)):
                came = day(created + dt.timedelta(days=rng.randrange(-30, 31)))
                mql = day(came + dt.timedelta(days=rng.randrange(15))) if stage != "lead" else None
                sql = day(mql + dt.timedelta(days=rng.randrange(1, 21))) if stage == "sql" else None
                n += 1
                yield [f"00Q{n:07d}DEMO", rng.choice(companies), deal.lead_source,
                       rng.choice(LEADS_STOPPED[stage]), "false", "", "", stamp(came),
                       mql.isoformat() if mql else "", sql.isoformat() if sql else "", campaign]
