"""Leads: how far marketing's leads went, and lead conversion per lead source or campaign.

A leads import (Salesforce Lead.csv or a Lead report; HubSpot contacts with their lifecycle
stage) keeps each lead's dates and flags as exported, and the furthest stage they say it reached
(`stage_reached`, set at load by `stage_reached_sql`). The rules, the furthest one met winning:

- customer:    a customer date ("Became a Customer Date"), or a status / lifecycle stage reading
               customer or evangelist (a HubSpot lifecycle stage names the furthest stage);
- opportunity: an opportunity date ("Became an Opportunity Date"), Salesforce IsConverted, a
               converted date or a converted opportunity (deal) id, or a status reading
               opportunity or converted ("Closed - Converted");
- sql:         an SQL date ("Became a Sales Qualified Lead Date"), or a status reading SQL, SAL,
               sales qualified or sales accepted;
- mql:         an MQL date ("Became a Marketing Qualified Lead Date"), or a status reading MQL or
               marketing qualified;
- lead:        anything else.

A status with "not" or "non" in it ("Closed - Not Converted", "Not Sales Qualified") says
nothing. A stage reached implies the ones before it: a customer was an MQL, an SQL and an
opportunity. The same rules are written in intel/migrations/021_leads.sql.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:   # the ingest imports this module: it stays light
    import pandas as pd

    from intel.filters import Filters

STAGES = ("lead", "mql", "sql", "opportunity", "customer")
STAGE_LABELS = {"lead": "Lead", "mql": "MQL", "sql": "SQL", "opportunity": "Opportunity",
                "customer": "Customer"}
# What lead conversion may be cut by (the catalogue's funnel_by), with its label.
FUNNEL_BY = {"lead_source": "Lead source", "campaign": "Campaign"}

# A status read as words: lower case, accents and punctuation gone, padded with spaces, so
# ' sales qualified ' matches 'Sales Qualified - Meeting set' and not 'Unqualified'.
NEGATION = r" (not|non) "
STATUS_WORDS = {
    "customer": r" (customer|evangelist) ",
    "opportunity": r" (opportunity|converted) ",
    "sql": r" (sql|sal|salesqualifiedlead|sales qualified|sales qualified lead|sales accepted|salesaccepted) ",
    "mql": r" (mql|marketingqualifiedlead|marketing qualified|marketing qualified lead) ",
}
# The columns that say a stage was reached, besides the status.
STAGE_COLUMNS = {
    "customer": ("customer_date",),
    "opportunity": ("opportunity_date", "is_converted", "converted_date", "converted_opportunity_id"),
    "sql": ("sql_date",),
    "mql": ("mql_date",),
}


def stage_reached_sql(present: set[str]) -> str:
    """SQL giving a staged lead row's stage_reached (lead|mql|sql|opportunity|customer) from the
    columns the file has (`present`: canonical names; the others are taken as empty). The text is
    built from this module's constants and canonical column names only."""
    words = ("' ' || regexp_replace(lower(strip_accents(coalesce(status, ''))), '[^a-z0-9]+', ' ', 'g') || ' '"
             if "status" in present else "''")
    said = f"NOT regexp_matches({words}, '{NEGATION}')"
    whens = []
    for stage in ("customer", "opportunity", "sql", "mql"):
        signs = [(f"coalesce({c}, false)" if c == "is_converted" else f"{c} IS NOT NULL")
                 for c in STAGE_COLUMNS[stage] if c in present]
        if "status" in present:
            signs.append(f"({said} AND regexp_matches({words}, '{STATUS_WORDS[stage]}'))")
        if signs:
            whens.append(f"WHEN {' OR '.join(signs)} THEN '{stage}'")
    return f"CASE {' '.join(whens)} ELSE 'lead' END" if whens else "'lead'"


def conversion_params(values: dict, filters: Filters, db=None) -> dict:
    """The catalogue's prepare hook for lead_conversion: funnel_by must be one of FUNNEL_BY (it
    picks a column in the SQL, so it is checked here before it gets there)."""
    by = values.get("funnel_by") or "lead_source"
    if by not in FUNNEL_BY:
        raise ValueError(f"Lead conversion is cut by {' or '.join(FUNNEL_BY)}, not {by!r}.")
    return {**values, "funnel_by": by}


def lead_conversion(filters: Filters, by: str = "lead_source", grain: str = "all", db=None) -> pd.DataFrame:
    """Per lead source (or campaign, `by`) and period of the leads' created date: leads, how many
    reached MQL, SQL and opportunity, how many were won, the rate of each step, lead to won, and
    the median days from created to MQL and from MQL to SQL (metric lead_conversion)."""
    from intel import metrics   # the catalogue reads this module's hooks

    return metrics.run("lead_conversion", filters, db=db, grain=grain, funnel_by=by)
