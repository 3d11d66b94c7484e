"""The metric catalogue and the functions pages, the command line and alerts call.

Each metric's SQL is intel/sql/<name>.sql with its definition (from shared/METRICS.md) in a
comment on top; the functions here only bind parameters and run it. A dimension name is
checked against BREAKDOWNS before it reaches SQL, and even then it is a bound value.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from intel import config, models, store
from intel.filters import Filters
from intel.periods import GRAINS, fiscal_year_start

BREAKDOWNS = ("region", "segment", "owner", "team", "manager", "industry", "country", "product",
              "product_family", "competitor", "lead_source", "deal_size_band")
BREAKDOWN_LABELS = {"region": "Region", "segment": "Segment", "owner": "Owner", "team": "Team",
                    "manager": "Manager", "industry": "Industry", "country": "Country",
                    "product": "Product", "product_family": "Product family",
                    "competitor": "Competitor", "lead_source": "Lead source",
                    "deal_size_band": "Deal size band"}


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    format: str         # percent | count | money | days
    description: str
    sql: str            # intel/sql/<sql>.sql


CATALOGUE = {m.name: m for m in [
    Metric("win_rate", "Win rate", "percent",
           "Won ÷ (won + lost) over deals closed in the period; 'No decision' left out when excluded.",
           "win_rate_trend"),
    Metric("win_rate_by", "Win rate by member", "percent",
           "Win rate of each member of a dimension over the range, with its Wilson interval.",
           "win_rate_by"),
    Metric("win_rate_by_period", "Win rate by member and period", "percent",
           "Win rate of each member of a dimension in each period.", "win_rate_by_period"),
    Metric("win_rate_by_value", "Win rate by value", "percent",
           "Won amount ÷ (won + lost amount) over deals closed in the period.", "win_rate_trend"),
    Metric("loss_reasons", "Loss reasons", "count",
           "Losses per reason, ranked, with share and cumulative share (Pareto).", "loss_reasons"),
    Metric("competitor_presence_in_losses", "Competitor presence in losses", "percent",
           "Losses naming the competitor ÷ all losses, per period.", "competitor_presence_in_losses"),
    Metric("head_to_head", "Head-to-head win rate", "percent",
           "Win rate over the deals naming that competitor.", "head_to_head"),
    Metric("sales_cycle", "Sales cycle", "days",
           "Median days from created to close date of deals won (and, beside them, lost).",
           "sales_cycle"),
]}


def _check_dim(dim: str) -> str:
    if dim not in BREAKDOWNS:
        raise ValueError(f"Unknown breakdown {dim!r}: use one of {', '.join(BREAKDOWNS)}.")
    return dim


def _check_grain(grain: str) -> str:
    if grain not in GRAINS:
        raise ValueError(f"Unknown period {grain!r}: use month or quarter.")
    return grain


def min_sample() -> int:
    try:
        return max(int(config.get("min_sample")), 1)
    except ValueError:
        return 10


def run(sql_name: str, filters: Filters, exclude_no_decision: bool = False, db=None,
        **extra) -> pd.DataFrame:
    """Run a metric's SQL on fresh models with the filters and settings bound."""
    models.refresh(db)
    params = {**filters.params(), "exclude_nd": bool(exclude_no_decision),
              "min_sample": min_sample(), "fy_start": fiscal_year_start(), "grain": "month",
              "dim": None, **extra}
    return store.query(sql_name, params, db=db)


def win_rate_trend(filters: Filters, grain: str = "month", exclude_no_decision: bool = False,
                   db=None) -> pd.DataFrame:
    """Per period: won, lost, closed, win rate with its 95% interval, win rate by value."""
    return run("win_rate_trend", filters, exclude_no_decision, db, grain=_check_grain(grain))


def win_rate_by(dim: str, filters: Filters, exclude_no_decision: bool = False, db=None) -> pd.DataFrame:
    """Per member of `dim`: won, lost, win rate with its interval, win rate by value, small_sample."""
    return run("win_rate_by", filters, exclude_no_decision, db, dim=_check_dim(dim))


def win_rate_by_period(dim: str, filters: Filters, grain: str = "month",
                       exclude_no_decision: bool = False, db=None) -> pd.DataFrame:
    """Per member of `dim` and period: win rate with its interval."""
    return run("win_rate_by_period", filters, exclude_no_decision, db, dim=_check_dim(dim),
               grain=_check_grain(grain))


def loss_reasons(filters: Filters, exclude_no_decision: bool = False, db=None) -> pd.DataFrame:
    """Loss reasons ranked, with share and cumulative share."""
    return run("loss_reasons", filters, exclude_no_decision, db)


def competitor_presence_in_losses(filters: Filters, grain: str = "month",
                                  exclude_no_decision: bool = False, db=None) -> pd.DataFrame:
    """Per period and competitor: losses naming it, all losses, presence."""
    return run("competitor_presence_in_losses", filters, exclude_no_decision, db,
               grain=_check_grain(grain))


def head_to_head(filters: Filters, exclude_no_decision: bool = False, db=None) -> pd.DataFrame:
    """Per competitor: win rate where it is named, its interval, and its presence in our losses."""
    return run("head_to_head", filters, exclude_no_decision, db)


def sales_cycle(filters: Filters, exclude_no_decision: bool = False, db=None) -> pd.DataFrame:
    """Won vs lost: median, quartiles and mean days from created to close."""
    return run("sales_cycle", filters, exclude_no_decision, db)


def closed_deals(filters: Filters, exclude_no_decision: bool = False, db=None, *,
                 dim: str | None = None, member: str | None = None,
                 period_start: dt.date | None = None, grain: str = "month",
                 reason: str | None = None, competitor: str | None = None,
                 limit: int | None = None) -> pd.DataFrame:
    """The deals behind a number, newest first: closed in scope, optionally one member, period,
    reason or competitor; at most `limit` of them."""
    return run("closed_deals", filters, exclude_no_decision, db,
               dim=_check_dim(dim) if dim else None, member=member if dim else None,
               period_start=period_start, grain=_check_grain(grain), reason=reason,
               competitor=competitor, limit=int(limit) if limit else 2**62)
