"""The open alerts as the Alerts page lists them (alerts.listing): one row each, high first."""
from __future__ import annotations

import datetime as dt

from intel import alerts
from intel.access import LOCAL_ADMIN as ADMIN
from intel.ingest import import_file
from tests.intel.test_alerts import fixture_csv, only, win_rate_rule


def test_each_open_alert_is_one_row_with_what_whose_since_and_status(db):
    only(win_rate_rule())                                        # high: Three under 30% Feb to Apr
    alerts.save_rule(win_rate_rule(name="Win rate below 80%", threshold=0.8, consecutive=1, severity="low"), by=ADMIN)
    assert import_file(fixture_csv(), "winrates.csv", as_of="2026-05-01", by=ADMIN).status == "loaded"
    alerts.evaluate(by=ADMIN)
    rules = {r.id: r for r in alerts.list_rules()}
    listed = alerts.listing(alerts.open_alerts(), rules)
    # April: Three, Two and Drop each won 1 of 4 (25%), Small 0 of 2 (under the minimum sample of 4).
    # The low rule (one month under 80%) fires for Drop, Three and Two (alphabetical, as evaluated);
    # the high one (three months under 30%) for Three alone, and high comes first
    assert listed["severity"].tolist() == ["high", "low", "low", "low"]
    assert listed["headline"].iloc[0] == "Three's win rate below 30% for 3 months running (2026-02 to 2026-04)"
    assert listed["scope"].tolist() == ["Segment: Three", "Segment: Drop", "Segment: Three", "Segment: Two"]
    assert (listed["since"] == dt.date.today()).all() and (listed["status"] == "open").all()
    first = int(listed["alert"].iloc[0])
    alerts.acknowledge(first, "Dana Reyes", by=ADMIN)
    again = alerts.listing(alerts.open_alerts(), rules)
    assert again.loc[again["alert"] == first, "status"].tolist() == ["acknowledged, Dana Reyes follows up"]
