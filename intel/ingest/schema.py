"""What each kind of import holds: canonical columns, their types and the headers they go by.

Synonyms are compared on a header's key: lower case, accents and punctuation removed, no
spaces ("Probability (%)" -> "probability", "Deal - Owner" -> "dealowner"). A second pass
drops a vendor prefix ("deal", "opportunity", "opp") so "Deal - Owner" also reads as "owner".
Earlier synonyms win; each source column is used once.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # id, text, stage, outcome, bool, amount, percent, date, timestamp, period, number, currency
    synonyms: tuple[str, ...]
    help: str = ""


def _c(name, type_, *synonyms, help=""):
    return Column(name, type_, tuple(synonyms), help)


OPPORTUNITY_COLUMNS = [
    _c("id", "id", "opportunityid", "dealid", "recordid", "donotmodifyopportunity", "opportunitynumber",
       "opportunityno", "dealnumber", "dealno", "opportunity", "id", "number",
       help="the deal's id; without it deals are matched across snapshots by name and account"),
    _c("name", "text", "opportunityname", "dealname", "dealtitle", "topic", "title", "name", "subject",
       "deal"),
    _c("account", "text", "accountname", "account", "associatedcompany", "company", "companyname",
       "organization", "organisation", "dealorganization", "potentialcustomer", "customer", "client",
       "accountid"),
    _c("owner", "text", "opportunityowner", "dealowner", "owner", "ownername", "salesagent", "salesrep",
       "rep", "accountexecutive", "ae", "salesperson", "assignedto", "ownerid"),
    _c("team", "text", "team", "salesteam", "ownerrole", "role", "manager", "salesmanager", "ownerteam"),
    _c("region", "text", "region", "salesregion", "territory", "geo", "geography", "billingregion",
       "market", "area"),
    _c("segment", "text", "segment", "customersegment", "marketsegment", "accountsegment", "tier"),
    _c("industry", "text", "industry", "vertical", "sector"),
    _c("product", "text", "product", "productname", "productfamily", "products", "productline",
       "productgroup", "productcategory", "series"),
    _c("stage", "stage", "stage", "stagename", "dealstage", "salesstage", "pipelinestage", "pipelinephase",
       "phase", "salesphase", help="the deal's stage; Closed Won / Closed Lost (any spelling) close it"),
    _c("status", "outcome", "status", "dealstatus", "outcome", "result", "statecode", "state",
       help="open / won / lost, where the export keeps the outcome apart from the stage"),
    _c("is_won", "bool", "iswon", "won", "closedwon"),
    _c("is_closed", "bool", "isclosed", "closed"),
    _c("amount", "amount", "amount", "dealvalue", "value", "estrevenue", "estimatedrevenue", "closevalue",
       "dealamount", "totalamount", "amountconverted", "revenue", "acv", "arr", "tcv",
       help="the deal's value"),
    _c("currency", "currency", "currency", "amountcurrency", "currencyisocode", "dealcurrency",
       "currencycode", "transactioncurrency"),
    _c("probability", "percent", "probability", "dealprobability", "winprobability", "probabilitypct"),
    _c("forecast_category", "text", "forecastcategory", "forecastcategoryname", "hubspotforecastcategory",
       "forecasttype", "forecast"),
    _c("created_date", "date", "createddate", "createdate", "createdon", "dealcreated", "engagedate",
       "created", "createdat", "opendate", "dateopened"),
    _c("close_date", "date", "closedate", "expectedclosedate", "estclosedate", "estimatedclosedate",
       "closingdate", "closedat", "actualclosedate", "wontime", "close",
       help="when the deal closes or closed; places it in a period"),
    _c("competitor", "text", "competitor", "primarycompetitor", "maincompetitor", "competitors",
       "competitorname", "competitortype"),
    _c("loss_reason", "text", "lossreason", "closedlostreason", "lostreason", "reasonlost",
       "statusreason", "reason"),
    _c("lead_source", "text", "leadsource", "source", "originalsource", "originalsourcetype",
       "dealsource", "channel", "routetomarket"),
    # Salesforce: the Opportunity's CampaignId, "Primary Campaign Source" in a report; HubSpot deals
    # keep no campaign, and their "Original Source Data 1" (the drill-down: a UTM campaign, a
    # referring site) is taken only where no campaign column exists.
    _c("campaign", "text", "primarycampaignsource", "campaignname", "campaign", "primarycampaign",
       "utmcampaign", "campaigntype", "campaignid", "originalsourcedrilldown1",
       "originaltrafficsourcedrilldown1", "originalsourcedata1",
       help="the campaign that sourced the deal; the lead-source funnel cuts by it"),
    _c("deal_type", "text", "type", "dealtype", "opportunitytype", "businesstype"),
    _c("discount_pct", "percent", "discount", "discountpct", "discountpercent", "discountrate"),
]

STAGE_HISTORY_COLUMNS = [
    _c("opportunity_id", "id", "opportunityid", "dealid", "recordid", "opportunity", "id"),
    _c("stage", "stage", "tostage", "stagename", "stage", "newstage", "dealstage", "newvalue"),
    _c("amount", "amount", "amount", "newamount", "value"),
    _c("close_date", "date", "closedate", "newclosedate", "expectedclosedate"),
    _c("changed_at", "timestamp", "changedat", "stagechangedate", "datechanged", "editdate",
       "lastmodified", "lastmodifieddate", "createddate", "modifiedon", "changedate", "date"),
]

TARGET_COLUMNS = [
    _c("period", "period", "period", "month", "quarter", "fiscalperiod", "periodstart", "date"),
    _c("region", "text", "region", "territory", "geo"),
    _c("segment", "text", "segment", "customersegment"),
    _c("owner", "text", "owner", "rep", "salesrep", "opportunityowner", "dealowner"),
    _c("product", "text", "product", "productfamily"),
    _c("target", "amount", "target", "quota", "plan", "budget", "targetamount", "quotaamount"),
    _c("forecast_commit", "amount", "commit", "forecastcommit", "commitforecast", "commitamount"),
    _c("forecast_best_case", "amount", "bestcase", "forecastbestcase", "bestcaseforecast", "upside"),
    _c("forecast_pipeline", "amount", "pipeline", "forecastpipeline", "pipelineforecast"),
    _c("bookings", "amount", "bookings", "actual", "actuals", "closedwon"),
    _c("currency", "currency", "currency", "currencyisocode"),
    _c("submitted_at", "timestamp", "submittedat", "submitted", "callweek", "forecastdate", "asof",
       "snapshotdate", "weekof"),
]

ACCOUNT_COLUMNS = [
    _c("account_id", "id", "accountid", "companyid", "recordid", "id",
       help="the export's account id, where the deals carry ids (Salesforce AccountId)"),
    _c("account", "text", "accountname", "account", "company", "companyname", "name"),
    _c("industry", "text", "industry", "vertical", "sector"),
    _c("region", "text", "region", "territory", "billingregion", "salesregion"),
    _c("segment", "text", "segment", "customersegment"),
    _c("country", "text", "country", "billingcountry", "officelocation", "location", "headquarters",
       "hqcountry", "countryregion"),
    _c("size", "text", "size", "employees", "numberofemployees", "companysize", "employeerange"),
    _c("annual_value", "amount", "annualvalue", "annualrevenue", "revenue", "arr", "acv"),
    _c("parent", "text", "parent", "parentaccount", "parentcompany", "subsidiaryof", "parentid",
       "ultimateparent"),
]

# A person who owns deals: a sales-teams sheet (sales_agent, manager, regional_office) or a
# Salesforce User.csv (Id, Name, Department, ManagerId, ...).
OWNER_COLUMNS = [
    _c("owner_id", "id", "userid", "ownerid", "employeeid", "repid", "salesagentid", "id",
       help="the export's user id, where the deals carry ids (Salesforce OwnerId)"),
    _c("owner", "text", "fullname", "name", "salesagent", "owner", "ownername", "salesrep", "rep",
       "accountexecutive", "salesperson", "employee", "dealowner", "opportunityowner", "user"),
    _c("team", "text", "team", "salesteam", "teamname", "department", "division"),
    _c("manager", "text", "manager", "managername", "salesmanager", "reportsto", "managerid"),
    _c("region", "text", "region", "regionaloffice", "salesregion", "territory", "office", "geo"),
]

PRODUCT_COLUMNS = [
    _c("product_id", "id", "productid", "productcode", "sku", "id"),
    _c("product", "text", "product", "productname", "name", "item"),
    _c("family", "text", "family", "productfamily", "series", "productline", "category",
       "productcategory", "productgroup"),
    _c("list_price", "amount", "listprice", "salesprice", "unitprice", "price", "msrp"),
]

MARKET_COLUMNS = [
    _c("period", "period", "period", "month", "quarter", "date", "year", "time"),
    _c("region", "text", "region", "countryname", "country", "geo"),
    _c("segment", "text", "segment"),
    _c("indicator", "text", "indicator", "metric", "measure", "series"),
    _c("value", "number", "value", "amount"),
    _c("unit", "text", "unit", "units"),
    _c("source", "text", "source"),
]

FX_COLUMNS = [
    _c("currency", "currency", "currency", "currencycode", "isocode", "currencyisocode"),
    _c("rate", "number", "rate", "fxrate", "exchangerate", "conversionrate", "rateto", "value"),
    _c("as_of", "date", "asof", "date", "startdate", "effectivedate", "validfrom"),
    _c("country", "text", "country", "countryname", "area",
       help="an exchange-rate series per country (open data): the country's currency is used"),
    _c("is_base", "bool", "iscorporate", "corporate", "isbase", "basecurrency",
       help="marks the currency the rates are quoted against (Salesforce CurrencyType.IsCorporate)"),
]

# A lead (Salesforce Lead.csv or a Lead report) or a contact (HubSpot contacts with their lifecycle
# stage): where it came from and how far it went. intel/leads.py says how stage_reached is read.
LEAD_COLUMNS = [
    _c("id", "id", "leadid", "recordid", "contactid", "id",
       help="the lead's (or contact's) id; a lead exported again later counts once, as last exported"),
    _c("created_date", "date", "createddate", "createdate", "leadcreateddate", "createdon", "created",
       "createdat", "becamealeaddate", help="when the lead came in; places it in a period"),
    _c("lead_source", "text", "leadsource", "originalsource", "originaltrafficsource", "originalsourcetype",
       "source", "channel"),
    _c("campaign", "text", "campaign", "campaignname", "primarycampaignsource", "primarycampaign",
       "firsttouchconvertingcampaign", "lasttouchconvertingcampaign", "utmcampaign",
       "originalsourcedrilldown1", "originaltrafficsourcedrilldown1", "originalsourcedata1"),
    _c("status", "text", "lifecyclestage", "leadstatus", "status",
       help="the lead status (Salesforce) or lifecycle stage (HubSpot) as exported"),
    _c("company", "text", "company", "companyaccount", "companyname", "associatedcompany", "account",
       "accountname", "organization", "organisation"),
    _c("owner", "text", "leadowner", "contactowner", "owner", "ownername", "hubspotowner", "ownerid"),
    _c("is_converted", "bool", "isconverted", "converted",
       help="converted into an opportunity (Salesforce IsConverted)"),
    _c("converted_date", "date", "converteddate", "conversiondate", "leadconversiondate"),
    _c("converted_opportunity_id", "id", "convertedopportunityid", "convertedopportunity",
       "associateddealids", "associateddealid", "associateddeals", "associateddeal",
       help="the deal the lead became (its won deals count as won); several ids split by ';'"),
    _c("mql_date", "date", "becameamarketingqualifiedleaddate", "mqldate", "marketingqualifieddate",
       "marketingqualifiedleaddate", "datebecamemql"),
    _c("sql_date", "date", "becameasalesqualifiedleaddate", "sqldate", "salesqualifieddate",
       "salesqualifiedleaddate", "salesaccepteddate", "saldate", "datebecamesql"),
    _c("opportunity_date", "date", "becameanopportunitydate", "becameopportunitydate", "opportunitydate"),
    _c("customer_date", "date", "becameacustomerdate", "becamecustomerdate", "customerdate"),
]

KINDS = {
    "opportunities": OPPORTUNITY_COLUMNS,
    "stage_history": STAGE_HISTORY_COLUMNS,
    "targets_forecasts": TARGET_COLUMNS,
    "accounts": ACCOUNT_COLUMNS,
    "owners": OWNER_COLUMNS,
    "products": PRODUCT_COLUMNS,
    "market": MARKET_COLUMNS,
    "fx_rates": FX_COLUMNS,
    "leads": LEAD_COLUMNS,
}

KIND_LABELS = {
    "opportunities": "Opportunities (pipeline snapshot)",
    "stage_history": "Stage history",
    "targets_forecasts": "Targets and forecast calls",
    "accounts": "Accounts",
    "owners": "Owners and sales teams",
    "products": "Products",
    "market": "Market indicators",
    "fx_rates": "Exchange rates",
    "leads": "Leads (marketing)",
}

# Canonical columns a user can map to but that the store keeps under another form.
HELPER_COLUMNS = {"status", "is_won", "is_closed", "is_base"}

# Lookup kinds: keyed by a column the deals carry (the key, its id twin) and joined in the models.
LOOKUPS = {"owners": ("owner", "owner_id"), "accounts": ("account", "account_id"),
           "products": ("product", "product_id")}


def columns_of(kind: str) -> list[Column]:
    return KINDS[kind]
