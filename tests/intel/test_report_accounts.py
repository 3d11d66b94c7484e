"""The QBR pack's Accounts section: the stance counts, the accounts to fire, defend and attack with
their rules and the managers' decisions, the lead sources and discount governance, and what it
says when the export has no account or no discount column.

The fixture is a Salesforce opportunity report (its spelling and date format; blank optional
cells) and an accounts file giving Quartz Labs an annual value of 1,000,000. Its last closed deal
(no account) closes 2026-09-30: the stance windows are the 12 months to then ("recent") and the 12
before ("prior"). The pack is for 2026-Q3; its trailing window is 2025-Q4 to 2026-Q3.

  account          prior (won)          recent                                     amount  discount
  Summit Holdings  5 won 2025-03-15     3 won 2026-03-15 naming Fabrikam, 2 lost   20,000  —
  Quartz Labs      1 won 2025-05-01     2 won 2026-03-31                           30,000  —
  Echo Foods       1 won 2025-06-01     1 won 2026-08-01, 4 lost 2026-02-15         5,000  30% on the wins
                   (212 days)           (243 days)
  Acme Corp        2 won 2025-07-01     2 won 2026-07-15, 1 lost                   40,000  10% on the wins
  Beta LLC         2 won 2025-03-03     2 won 2026-03-03, 1 lost                   10,000  —

Every account has 3+ closed deals (judged). Overall win rate: 21 won of 29 closed = 72.4%.
Customers' bookings of the last 12 months: 60k, 60k, 5k, 80k, 20k: median 60k.
- Echo Foods, fire: bookings 5k ≤ 60k; median won cycle 227.5 days ≥ 164.1 (30,30,30,69,227.5 at
  90%), win rate 2/6 = 33.3% ≤ 52.0% (33.3%,80,80,80,100 at 10%). Its 30% discount is not judged:
  only two customers carry a discount, and a worst share is drawn over five customers or more.
- Summit Holdings, defend: bookings 100k → 60k (−40%, past −25%) and Fabrikam in 3 of its last 5
  deals, in none of the 5 before: two signals.
- Quartz Labs, attack: 60k is 6% of its 1M annual value (under 10%), win rate 3/3 = 100% ≥ 72.4%,
  bookings 30k → 60k (+100%).
- Acme Corp and Beta LLC: no rule (bookings flat): maintain; a manager then decides Acme is to
  defend. In force: fire 1, defend 2 (Acme 80k, then Summit 60k), attack 1, maintain 1.
"""
from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from intel import accounts, metrics, report, store
from intel.access import LOCAL_ADMIN as ADMIN
from intel.filters import Filters
from intel.ingest import import_file

HEADER = ('"Opportunity Owner","Account Name","Opportunity Name","Stage","Amount","Close Date","Created Date",'
          '"Opportunity ID","Discount (%)","Lead Source","Primary Competitor","Segment"')
DEALS = [   # account, name prefix, count, stage, amount, created, close, discount, lead source, competitor
    ("Summit Holdings", "Summit - Prior", 5, "Closed Won", 20000, "01/05/2025", "03/15/2025", "", "", ""),
    ("Summit Holdings", "Summit - Renewal", 3, "Closed Won", 20000, "01/05/2026", "03/15/2026", "", "Referral",
     "Fabrikam"),
    ("Summit Holdings", "Summit - Upsell", 2, "Closed Lost", 20000, "01/06/2026", "04/15/2026", "", "Referral", ""),
    ("Quartz Labs", "Quartz - Pilot", 1, "Closed Won", 30000, "04/01/2025", "05/01/2025", "", "", ""),
    ("Quartz Labs", "Quartz - Rollout", 2, "Closed Won", 30000, "03/01/2026", "03/31/2026", "", "", ""),
    ("Echo Foods", "Echo - Prior", 1, "Closed Won", 5000, "11/01/2024", "06/01/2025", "30%", "", ""),
    ("Echo Foods", "Echo - Renewal", 1, "Closed Won", 5000, "12/01/2025", "08/01/2026", "30%", "Web", ""),
    ("Echo Foods", "Echo - Lost", 4, "Closed Lost", 5000, "01/01/2026", "02/15/2026", "", "Web", ""),
    ("Acme Corp", "Acme - Prior", 2, "Closed Won", 40000, "06/01/2025", "07/01/2025", "10%", "", ""),
    ("Acme Corp", "Acme - Renewal", 2, "Closed Won", 40000, "06/15/2026", "07/15/2026", "10%", "", ""),
    ("Acme Corp", "Acme - Lost", 1, "Closed Lost", 40000, "06/15/2026", "07/20/2026", "", "", ""),
    ("Beta LLC", "Beta - Prior", 2, "Closed Won", 10000, "02/01/2025", "03/03/2025", "", "", ""),
    ("Beta LLC", "Beta - Renewal", 2, "Closed Won", 10000, "02/01/2026", "03/03/2026", "", "", ""),
    ("Beta LLC", "Beta - Lost", 1, "Closed Lost", 10000, "02/01/2026", "03/10/2026", "", "", ""),
    ("", "No account", 1, "Closed Lost", 10000, "09/01/2026", "09/30/2026", "", "", ""),
]
REASON = "Lost the renewal champion <b>to</b> Fabrikam"


def deals_csv() -> bytes:
    lines, n = [HEADER], 0
    for account, name, count, stage, amount, created, close, discount, source, competitor in DEALS:
        for i in range(1, count + 1):
            n += 1
            lines.append(f'"Ann Lee","{account}","{name} {i}","{stage}","USD {amount:,}.00","{close}","{created}",'
                         f'"006A{n:04d}","{discount}","{source}","{competitor}",""')
    return ("\n".join(lines) + "\n").encode()


ACCOUNTS_CSV = b'"Account Name","Industry","Annual Revenue"\n"Quartz Labs","Software","USD 1,000,000.00"\n' \
               b'"Beta LLC","",""\n'


@pytest.fixture
def store_with_accounts(db):
    assert import_file(deals_csv(), "report.csv", as_of="2026-10-01", by=ADMIN).status == "loaded"
    assert import_file(ACCOUNTS_CSV, "Account.csv", kind="accounts", by=ADMIN).status == "loaded"
    accounts.set_stance("Acme Corp", "defend", REASON, 0, proposed="maintain", by=ADMIN)
    return db


def section(blocks: list[tuple]) -> list[tuple]:
    """The pack's Accounts section: from its heading to the next one of its level."""
    start = next(i for i, b in enumerate(blocks) if b[:2] == ("h2", "Accounts"))
    end = next(i for i, b in enumerate(blocks) if i > start and b[0] == "h2")
    return blocks[start:end]


def table_after(blocks: list[tuple], heading: str) -> dict[str, dict[str, str]]:
    """The first table after the h3 starting with `heading`, as {first cell: {header: cell}}."""
    start = next(i for i, b in enumerate(blocks) if b[0] == "h3" and b[1].startswith(heading))
    _, header, rows, _ = next(b for b in blocks[start:] if b[0] == "table")
    return {row[0]: dict(zip(header, row)) for row in rows}


def texts(blocks: list[tuple]) -> list[str]:
    return [b[1] for b in blocks if b[0] == "p"]


def test_the_accounts_section_counts_each_stance_and_names_the_accounts(store_with_accounts):
    said = []
    blocks = report.qbr_blocks("2026-Q3", Filters(dt.date(2025, 10, 1), dt.date(2026, 9, 30)),
                               progress=lambda fraction, text: said.append(text))
    assert said.index("Pipeline") < said.index("Accounts") < said.index("Alerts and strategy notes")
    part = section(blocks)
    assert part[0] == ("h2", "Accounts", "Company-wide · now: the 12 months to 2026-09-30 against the 12 before")
    assert part[1] == ("kpis", [("Fire", "1"), ("Defend", "2"), ("Attack", "1"), ("Maintain", "1"),
                                ("Decided by a manager", "1")])
    assert "5 accounts in this scope" in texts(part)[0] and "1 decided, 1 of them against the proposal" in texts(part)[0]

    fire = table_after(part, "Fire: 1 account")
    assert list(fire) == ["Echo Foods"]
    assert fire["Echo Foods"]["Why (rules met)"].startswith("Median won cycle 228 days (worst 10% of customers: "
                                                            "≥ 164 days)")
    assert "discount" not in fire["Echo Foods"]["Why (rules met)"].lower()
    assert "Win rate 33.3% (worst 10% of customers: ≤ 52.0%)" in fire["Echo Foods"]["Why (rules met)"]
    assert fire["Echo Foods"]["Bookings, last 12 months"] == "$5,000"

    defend = table_after(part, "Defend: 2 accounts")
    assert list(defend) == ["Acme Corp", "Summit Holdings"]          # by bookings of the last 12 months
    summit = defend["Summit Holdings"]
    assert summit["Why (rules met)"].startswith("Bookings -40% on the 12 months before")
    assert "Fabrikam in 3 of its last 5 deals (0% of the 5 before)" in summit["Why (rules met)"]
    assert (summit["Bookings, last 12 months"], summit["Bookings change"], summit["Win rate"]) == (
        "$60,000", "-40.0%", "80.0%")                                  # 8 won of 10 closed
    assert summit["Manager's decision"] == "—"
    acme = defend["Acme Corp"]["Manager's decision"]
    assert acme.startswith("Defend, by local on ") and acme.endswith(f"(proposed: maintain): {REASON}")

    attack = table_after(part, "Attack: 1 account")
    assert list(attack) == ["Quartz Labs"]
    assert attack["Quartz Labs"]["Why (rules met)"] == ("Share of wallet 6.0% of $1M a year; win rate 100.0% "
                                                        "(overall 72.4%); bookings +100%")
    rules = table_after(part, "The stance rules in force")
    assert list(rules) == ["Fire", "Defend", "Attack", "Maintain"]
    assert "one competitor in 3 or more of its latest 5 deals" in rules["Defend"]["Rule"]


def test_lead_sources_and_discount_governance_over_the_pack_windows(store_with_accounts):
    part = section(report.qbr_blocks("2026-Q3", Filters(dt.date(2025, 10, 1), dt.date(2026, 9, 30))))
    # created 2025-10-01 to 2026-09-30: Referral 5 (Summit's, 100k), Web 5 (Echo's, 25k), no source 9 (220k)
    sources = table_after(part, "Lead sources")
    assert list(sources) == ["Referral", "Web"]
    assert [sources["Referral"][c] for c in ("Opportunities created", "Share of pipeline created", "Won",
                                             "Win rate")] == ["5", "29.0%", "3", "60.0%"]      # 100k of 345k
    assert [sources["Web"][c] for c in ("Opportunities created", "Share of pipeline created", "Won",
                                        "Win rate")] == ["5", "7.2%", "1", "20.0%"]
    assert "9 opportunities carry no lead source (63.8% of the pipeline created)." in texts(part)
    # closed in the window: Acme's 2 wins at 10%, Echo's win at 30%; 16 closed deals carry no discount
    bands = table_after(part, "Discounts: win rate")
    assert {band: (row["Deals closed"], row["Win rate"], row["Average won deal"]) for band, row in bands.items()} \
        == {"0–10%": ("2", "100.0%", "$40,000"), "20–30%": ("1", "100.0%", "$5,000")}
    assert "16 closed deals carry no discount: in no band." in texts(part)
    # won in 2026-Q3 with a discount: Echo's 5,000 deal (size band 1, 25% without approval) at 30%, and
    # Acme's two 40,000 deals (band 4, 10%) at 10%, which is not above it
    approvals = table_after(part, "Discount approvals")
    assert [(row["Deals"], row["Above threshold"], row["Approval threshold"]) for row in approvals.values()] == [
        ("1", "1", "25.0%"), ("2", "0", "10.0%")]
    deals = next(b for b in part if b[0] == "table" and b[1][0] == "Name")   # the deals above, after the bands
    assert [row[0] for row in deals[2]] == ["Echo - Renewal 1"]
    assert any(t.startswith("No owner's average discount rose by 2 points") for t in texts(part))


def test_the_html_pack_shows_the_section_with_the_reason_as_text(store_with_accounts):
    pack = report.qbr_pack("2026-Q3", Filters(dt.date(2025, 10, 1), dt.date(2026, 9, 30)))
    accounts_at, alerts_at = pack.index("<h2>Accounts"), pack.index("<h2>Open alerts")
    assert pack.index("<h2>Pipeline") < accounts_at < alerts_at
    shown = pack[accounts_at:alerts_at]
    assert "Lost the renewal champion &lt;b&gt;to&lt;/b&gt; Fabrikam" in shown and "<b>to</b>" not in shown
    assert re.search(r"<td>Summit Holdings</td>", shown) and "Echo Foods" in shown and "Quartz Labs" in shown


def test_without_an_account_or_a_discount_column_the_section_says_what_is_missing(db):
    csv = ('"Opportunity Owner","Opportunity Name","Stage","Amount","Close Date","Created Date","Opportunity ID"\n'
           '"Ann Lee","Deal 1","Closed Won","USD 1,000.00","08/01/2026","07/01/2026","X1"\n'
           '"Ann Lee","Deal 2","Closed Lost","USD 2,000.00","08/15/2026","07/01/2026","X2"\n'
           '"Ann Lee","Deal 3","Prospecting","","12/15/2026","09/01/2026","X3"\n').encode()
    assert import_file(csv, "bare.csv", as_of="2026-10-01", by=ADMIN).status == "loaded"
    part = section(report.qbr_blocks("2026-Q3", Filters(dt.date(2025, 10, 1), dt.date(2026, 9, 30))))
    said = texts(part)
    assert said[0].startswith("No deal in this scope names an account: attack, defend or fire needs the account")
    assert "None of the 3 opportunities created in the window carries a lead source" in " ".join(said)
    assert any(t.startswith("None of the 2 deals closed in the window carries a discount: add a Discount column")
               for t in said)
    assert not [b for b in part if b[0] == "table"]


# ---- lead conversion: the leads export's metric (branch leads) stood in for, to test the wiring ----

CONVERSION = pd.DataFrame({"member": ["(none)", "Referral", "Web"], "period": [None] * 3, "leads": [1, 3, 5],
                           "mql": [0, 3, 3], "sql": [0, 3, 2], "opportunities": [0, 2, 2], "won": [0, 2, 1],
                           "mql_rate": [0.0, 1.0, 0.6], "sql_rate": [None, 1.0, 2 / 3], "lead_to_won": [0.0, 2 / 3, 0.2]})
ASKED: list[tuple] = []


def conversion_standin(filters, bound, db=None) -> pd.DataFrame:
    ASKED.append((filters.date_from, filters.date_to, bound["funnel_by"], bound["grain"]))
    return CONVERSION


def test_lead_conversion_says_what_to_upload_then_shows_once_leads_are_loaded(store_with_accounts, monkeypatch):
    monkeypatch.setitem(metrics.CATALOGUE, "lead_conversion", metrics.Metric(
        "lead_conversion", "Lead conversion", "percent", "stand-in", None, "lead_to_won", "leads",
        grains=("all", "quarter", "month"), params=("funnel_by",),
        compute="tests.intel.test_report_accounts:conversion_standin"))
    for column, shown in {"leads": ("Leads", "count"), "mql": ("MQLs", "count"), "sql": ("SQLs", "count"),
                          "opportunities": ("Opportunities", "count"), "mql_rate": ("Lead to MQL", "percent"),
                          "sql_rate": ("MQL to SQL", "percent"), "lead_to_won": ("Lead to won", "percent")}.items():
        monkeypatch.setitem(metrics.COLUMNS, column, metrics.COLUMNS.get(column, shown))   # the leads branch's labels
    frame = report.Frame.of("2026-Q3", Filters(dt.date(2025, 10, 1), dt.date(2026, 9, 30), region=("EMEA",)))
    before = report._alignment(frame, None)
    assert before[-1] == ("p", "MQL → SQL → won conversion per lead source needs a leads export: upload a Salesforce "
                               "Lead export or HubSpot contacts with their lifecycle stage.")
    cur = store.cursor()
    try:   # one lead in the leads import's table (created here where the leads migration is not merged yet)
        cur.execute("CREATE TABLE IF NOT EXISTS leads (import_id INTEGER NOT NULL, id VARCHAR, stage_reached VARCHAR)")
        cur.execute("INSERT INTO leads (import_id, id, stage_reached) VALUES (0, '00Q1', 'lead')")
    finally:
        cur.close()
    after = report._alignment(frame, None)
    heading = next(i for i, b in enumerate(after) if b[0] == "h3" and b[1] == "Leads: MQL → SQL → won")
    assert after[heading][2] == "Company-wide (leads carry no region) · leads created in the trailing four quarters"
    _, header, rows, _ = after[heading + 1]
    assert header == ["Lead source", "Leads", "MQLs", "SQLs", "Opportunities", "Won", "Lead to MQL", "MQL to SQL",
                      "Lead to won"]
    assert [r[0] for r in rows] == ["Web", "Referral", "(none)"]           # most leads first, none last
    assert rows[1][-1] == "66.7%"
    assert ASKED[-1] == (dt.date(2025, 10, 1), dt.date(2026, 9, 30), "lead_source", "all")   # the trailing window
