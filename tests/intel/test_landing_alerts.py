"""The alert rule on the landing: the chance of reaching the target below X% from week N of the
period in progress, per member; its prompt names the gap and the deals that move the landing.

One pipeline export as of Monday 2026-11-16 (day 47 of 2026-Q4: week 7), every deal in SMB:
  2026-Q3, open at its day 47 (2026-08-16), read from the closed history (no snapshot then):
    EMEA  H1 won, H2 H3 H4 lost          APAC  H5 H6 lost
    -> the chance an open deal closes won in its quarter: pooled 1 of 6; EMEA's, shrunk towards
       it with the weight of 10 observations (the min_sample setting): (1 + 10 × 1/6) ÷ (4 + 10)
       = 19.05%. No deal was created after that day and won in 2026-Q3: no new deals expected.
  2026-Q4:
    EMEA   won W1 100 (2026-10-10); open Big Deal 1,000 and Small Deal 50; target 5,000
           -> at most 100 + 1,000 + 50 = 1,150: chance 0. Both open deals are lost together with
              chance (1 − 0.1905)² = 65.5% > 50%, so the P50 is the 100 won: gap 5,000 − 100 = 4,900.
              Trailing win rate (H1..H4, W1): 2 of 5 = 40%, coverage needed 2.5×: 4,900 × 2.5 = 12,250
              more pipeline. Big Deal holds 1,000² ÷ (1,000² + 50²) = 99.75% of the spread.
    APAC   won W2 900 (2026-10-20); open A1 300; target 800 -> already reached: chance 1
    LATAM  nothing won, nothing open; target 300 -> chance 0
    North America  open N1 500, no target -> not read
"""
from __future__ import annotations

import datetime as dt

import pytest

from intel import alerts
from intel.access import LOCAL_ADMIN as ADMIN
from intel.alerts import Rule
from intel.ingest import import_file
from intel.models import money

DEALS = """Opportunity ID,Opportunity Name,Stage,Amount,Created Date,Close Date,Region,Segment,Opportunity Owner
H1,History One,Closed Won,400,2026-07-01,2026-09-10,EMEA,SMB,Ann
H2,History Two,Closed Lost,400,2026-07-01,2026-09-11,EMEA,SMB,Ann
H3,History Three,Closed Lost,400,2026-07-01,2026-09-12,EMEA,SMB,Ann
H4,History Four,Closed Lost,400,2026-07-01,2026-09-14,EMEA,SMB,Ann
H5,History Five,Closed Lost,400,2026-07-01,2026-09-15,APAC,SMB,Cy
H6,History Six,Closed Lost,400,2026-07-01,2026-09-16,APAC,SMB,Cy
W1,Won Early,Closed Won,100,2026-09-20,2026-10-10,EMEA,SMB,Ann
B1,Big Deal,Proposal,1000,2026-10-01,2026-12-10,EMEA,SMB,Ann
S1,Small Deal,Proposal,50,2026-10-01,2026-12-15,EMEA,SMB,Ann
W2,Won Big,Closed Won,900,2026-09-20,2026-10-20,APAC,SMB,Cy
A1,Open In APAC,Proposal,300,2026-10-01,2026-12-10,APAC,SMB,Cy
N1,Open Without Target,Proposal,500,2026-10-01,2026-12-10,North America,SMB,Dee
"""
TARGETS = """Period,Region,Segment,Owner,Quota,Commit,Best Case,Submitted At
2026-Q4,EMEA,,,5000,,,
2026-Q4,APAC,,,800,,,
2026-Q4,LATAM,,,300,,,
"""
EMEA_CHANCE = (1 + 10 * 1 / 6) / (4 + 10)


@pytest.fixture
def quarter(db):
    assert import_file(DEALS.encode(), "pipeline.csv", as_of="2026-11-16", by=ADMIN).status == "loaded"
    assert import_file(TARGETS.encode(), "targets.csv", by=ADMIN).status == "loaded"
    return db


def landing_rule(week: int = 7, threshold: float = 0.30, **changes) -> Rule:
    base = dict(name="Chance of target below 30%", metric=alerts.LANDING, dimension="region", comparator="<",
                threshold=threshold, consecutive=week, grain="quarter", min_sample=0, severity="high")
    return Rule(**{**base, **changes})


def fired(rule: Rule) -> dict[str, tuple[list[str], list[float]]]:
    return {b.member: (b.periods, b.values) for b in alerts.test_rule(rule)}


def test_fires_where_the_target_is_out_of_reach_and_not_where_it_is_reached(quarter):
    rows = alerts.landing_rows(landing_rule())[0].set_index("member")
    # APAC won 900 of an 800 target: every run reaches it; North America has no target: not read
    assert rows.loc["APAC", "chance_of_target"] == 1.0 and rows.loc["APAC", "won_to_date"] == 900
    assert "North America" not in rows.index
    assert rows.loc["EMEA", "chance_of_target"] == 0.0 and rows.loc["EMEA", "p90"] <= 1150
    assert rows.loc["LATAM", "chance_of_target"] == 0.0 and rows.loc["LATAM", "open_deals"] == 0
    assert fired(landing_rule()) == {"EMEA": (["2026-Q4"], [0.0]), "LATAM": (["2026-Q4"], [0.0])}
    # a line below 0% holds nobody; one at 100% everybody short of certain
    assert fired(landing_rule(threshold=0.0)) == {}
    assert set(fired(landing_rule(comparator="<=", threshold=1.0))) == {"EMEA", "LATAM", "APAC"}


def test_the_alerts_figures_are_the_catalogue_landing_the_pages_show(quarter):
    # the same projection (runs, seed, scope): the alert and the Overview's or Forecast page's landing of
    # a region never disagree, and the page finds it already made
    from intel import landing, metrics
    from intel.filters import Filters, default_range

    rows = alerts.landing_rows(landing_rule())[0].set_index("member")
    shown = metrics.run("landing", Filters(*default_range()), dim="region").set_index("member")
    for member in ("EMEA", "APAC", "LATAM"):
        for figure in ("p10", "p50", "p90", "chance_of_target", "sims"):
            assert rows.loc[member, figure] == shown.loc[member, figure], (member, figure)
    assert rows.loc["EMEA", "sims"] == landing.SIMS   # the catalogue's default runs at this size

def test_a_fresh_servers_tile_narrowed_to_a_region_reads_what_the_check_kept(quarter, monkeypatch):
    from intel import landing, metrics
    from intel.filters import Filters, default_range

    rows = alerts.landing_rows(landing_rule())[0].set_index("member")
    landing._SHARED.clear()   # another process
    monkeypatch.setattr(landing.Projector, "project", lambda *a, **k: pytest.fail("projected again"))
    tile = metrics.run("landing", Filters(*default_range()).with_(region=("EMEA",)), dim="total")
    assert tile["p50"].iloc[0] == rows.loc["EMEA", "p50"]


def test_reads_nothing_before_week_n(quarter):
    assert alerts.landing_week(dt.date(2026, 11, 16), "2026-Q4") == 7          # day 47: days 43–49
    assert alerts.landing_week(dt.date(2026, 10, 7), "2026-Q4") == 1
    assert alerts.landing_week(dt.date(2026, 10, 8), "2026-Q4") == 2
    assert fired(landing_rule(week=8)) == {}
    rows, tested = alerts.landing_rows(landing_rule(week=8))
    assert rows.empty and tested == []
    assert set(fired(landing_rule(week=6))) == {"EMEA", "LATAM"}


def test_the_prompt_names_the_gap_what_it_takes_and_the_deals_that_move_it(quarter):
    from tests.intel.test_alerts import only

    only(landing_rule())
    alerts.evaluate(today=dt.date(2026, 11, 17), by=ADMIN)
    found = {r["member"]: r for r in alerts.open_alerts(today=dt.date(2026, 11, 17)).to_dict("records")}
    assert sorted(found) == ["EMEA", "LATAM"]
    rule = alerts.rule_by_id(found["EMEA"]["rule_id"])
    text = alerts.prompt(found["EMEA"], rule)
    gap, more = 5000 - 100, (5000 - 100) * 5 / 2          # P50 = the 100 won; coverage needed 1 ÷ (2 of 5)
    assert text["summary"] == (
        "EMEA: chance of reaching the target 0% in 2026-Q4 at week 7 (data as of 2026-11-16), below 30%: "
        f"P50 {money(100)} against its {money(5000)} target (P10–P90 {money(100)}–{money(1100)}; won to date "
        f"{money(100)}). The gap to close is {money(gap)} (target − P50); at the trailing win rate (2.50× coverage "
        f"needed) that takes about {money(more)} more pipeline closing in 2026-Q4.")
    assert money(gap) == "$4.9k" and money(more) == "$12.2k"
    chance = f"{EMEA_CHANCE:.0%}"                                             # 19%
    assert text["questions"][0] == ("Which of the deals that move the landing most can really close by the end "
                                    f"of 2026-Q4: Big Deal ($1k, {chance} chance, 100% of the spread), Small Deal "
                                    f"($50, {chance} chance, 0% of the spread)?")
    assert text["actions"][0].startswith("Review the deals that move it most with their owners in EMEA: Big Deal")
    assert any(f"Generate about {money(more)} of pipeline closing in 2026-Q4" in a for a in text["actions"])
    assert alerts.headline(found["EMEA"], rule) == ("High: EMEA's chance of reaching the target below 30% in "
                                                    "2026-Q4 · open")
    listed = alerts.behind(found["EMEA"], rule)
    assert listed.frame["name"].tolist() == ["Big Deal", "Small Deal"]
    assert listed.frame["chance"].round(4).tolist() == [round(EMEA_CHANCE, 4)] * 2
    assert listed.frame["spread_share"].round(4).tolist() == [round(1000**2 / (1000**2 + 50**2), 4),
                                                              round(50**2 / (1000**2 + 50**2), 4)]
    assert listed.view.page == "forecast" and listed.view.filters == {"region": ["EMEA"]}
    # LATAM has a target and nothing open: no deal to name, the gap is the whole target
    latam = alerts.prompt(found["LATAM"], rule)
    assert f"The gap to close is {money(300)}" in latam["summary"]
    assert latam["questions"][0] == ("LATAM has no open deal that moves the landing: where will "
                                     f"{money(300)} come from?")


def test_the_default_rule_set_watches_the_landing_per_region_from_week_6():
    (rule,) = [r for r in alerts.DEFAULT_RULES if r.is_landing]
    assert (rule.dimension, rule.week, rule.threshold, rule.grain, rule.enabled) == ("region", 6, 0.30, "quarter", True)
    assert rule.describe() == ("Chance of reaching the target < 30% per region from week 6 of the quarter in "
                               "progress (members without a target are not read)")
    (listed,) = alerts.rules_table([Rule(**{**rule.__dict__, "id": 9})]).to_dict("records")
    assert (listed["threshold"], listed["over"]) == ("< 30%", "the quarter in progress, from week 6")
    assert alerts.threshold_unit(rule) == "%" and alerts.threshold_from_typed(rule, 25) == 0.25
    with pytest.raises(ValueError, match="the chance itself"):
        landing_rule(threshold_kind="vs_previous").check()
    with pytest.raises(ValueError, match="0% to 100%"):
        landing_rule(threshold=30).check()
    with pytest.raises(ValueError, match="week 1 to 4"):
        landing_rule(grain="month", week=5).check()


def test_the_rule_editor_saves_a_landing_rule_from_week_n(quarter):
    """The Alerts page offers the landing: its threshold in %, 'From week' instead of consecutive
    periods, only 'the value itself'; the rule it saves fires as the one above."""
    from tests.conftest import rows
    from tests.pages.test_pages import app

    at = app("pages/alerts.py")
    next(s for s in at.selectbox if s.label == "Metric").set_value(alerts.LANDING).run()
    assert next(s for s in at.selectbox if s.label == "Threshold is").options == ["The value itself"]
    next(s for s in at.selectbox if s.label == "Per").set_value("region").run()
    next(t for t in at.text_input if t.label == "Name").set_value("Region unlikely to make it")
    next(n for n in at.number_input if n.label == "Threshold (%)").set_value(25)
    week = next(n for n in at.number_input if n.label == "From week")
    assert week.value == 6 and "Members without a target are not read" in week.help
    week.set_value(7)
    at.button[[b.label for b in at.button].index("Save rule")].click().run()
    assert not at.exception, at.exception
    assert rows("SELECT metric, dimension, threshold, consecutive, grain FROM alert_rules "
                "WHERE name = 'Region unlikely to make it'") == [("landing", "region", 0.25, 7, "quarter")]
    rule = next(r for r in alerts.list_rules() if r.name == "Region unlikely to make it")
    assert set(fired(rule)) == {"EMEA", "LATAM"}
