"""Forecast versus actual against answers worked out by hand.

tests/fixtures/forecast_deals.csv (won deals; D4 is lost and never counts):
  Jan  D1 100 Ann (EMEA/SMB), D2 300 Bob (EMEA/Enterprise)      -> actual 400
  Feb  D3 200 Ann                                                -> actual 200
  Mar  nothing                                                   -> actual 0
  Q2   D5 50 + D6 150 Ann (SMB), D7 400 Cy (APAC/Mid-Market), D8 600 Bob (Enterprise)
tests/fixtures/forecast_targets.csv:
  quotas  Jan Ann 200, Jan Bob 250, Feb Ann 200, Mar Ann 100
  calls   Jan Ann 150 (01-05), 120 (01-26), 999 (02-02: after January ended, never counts)
          Jan Bob 200 (01-12); Feb Ann 100 (02-23); Mar Ann 140 (03-02)
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from intel import forecast, periods
from intel.filters import Filters
from intel.ingest import import_file
from intel.access import LOCAL_ADMIN as ADMIN
from tests.conftest import FIXTURES

Q1 = Filters(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
H1 = Filters(dt.date(2026, 1, 1), dt.date(2026, 6, 30))


@pytest.fixture
def loaded(db):
    assert import_file(FIXTURES / "forecast_deals.csv", as_of="2026-06-30", by=ADMIN).status == "loaded"
    assert import_file(FIXTURES / "forecast_targets.csv", by=ADMIN).status == "loaded"
    return db


def rows_by(df, key="period"):
    return df.set_index(key).to_dict("index")


def test_variance_and_attainment_per_month(loaded):
    t = rows_by(forecast.forecast_vs_actual("total", Q1, "month"))
    jan, feb, mar = t["2026-01"], t["2026-02"], t["2026-03"]
    assert (jan["target"], jan["forecast"], jan["best_case"], jan["actual"]) == (450, 320, 480, 400)
    assert jan["variance"] == 80 and jan["variance_pct"] == pytest.approx(80 / 320)
    assert jan["attainment"] == pytest.approx(400 / 450)
    assert (feb["forecast"], feb["actual"], feb["variance_pct"], feb["attainment"]) == (100, 200, 1.0, 1.0)
    assert (mar["actual"], mar["variance"], mar["attainment"]) == (0, -140, 0)


def test_variance_by_owner(loaded):
    t = forecast.forecast_vs_actual("owner", Q1, "month")
    jan = rows_by(t[t["period"] == "2026-01"], "member")
    assert (jan["Ann"]["forecast"], jan["Ann"]["actual"], jan["Ann"]["variance"]) == (120, 100, -20)
    assert jan["Ann"]["attainment"] == 0.5
    assert (jan["Bob"]["variance"], jan["Bob"]["attainment"]) == (100, pytest.approx(1.2))


def test_quarter_rolls_up_months_and_late_calls_never_count(loaded):
    q = rows_by(forecast.forecast_vs_actual("total", Q1, "quarter"))["2026-Q1"]
    assert (q["target"], q["forecast"], q["actual"]) == (750, 560, 600)   # 120 + 200 + 100 + 140


@pytest.mark.parametrize("week, ann, bob", [(1, 150, None), (3, 150, 200), (4, 120, 200)])
def test_forecast_as_of_week_n_takes_the_call_standing_then(loaded, week, ann, bob):
    t = forecast.forecast_vs_actual("owner", Q1, "month", as_of_week=week)
    jan = rows_by(t[t["period"] == "2026-01"], "member")
    assert jan["Ann"]["forecast"] == ann
    got_bob = jan["Bob"]["forecast"]
    assert (got_bob != got_bob if bob is None else got_bob == bob)   # NaN: no call yet



@pytest.mark.parametrize("week", [None, 2, 13])
def test_two_calls_made_at_the_same_time_read_the_later_row_every_time(db, tmp_path, week):
    """A calls file giving one owner's January commit twice at the same moment: the later row of the
    file stands (the earlier row first, so a pick of the first one met fails), on every read."""
    calls = tmp_path / "calls.csv"
    calls.write_text("Period,Region,Segment,Owner,Commit,Best Case,Submitted At\n"
                     "2026-01,EMEA,SMB,Ann,170,210,2026-01-05\n"
                     "2026-01,EMEA,Enterprise,Bob,200,300,2026-01-05\n"
                     "2026-01,EMEA,SMB,Ann,130,190,2026-01-05\n", encoding="utf-8")
    assert import_file(FIXTURES / "forecast_deals.csv", as_of="2026-06-30", by=ADMIN).status == "loaded"
    result = import_file(calls, by=ADMIN)
    assert result.status == "loaded" and result.rows_loaded == 3
    assert ("Rows 1 and 3 give forecast calls for the same month starting 2026-01-01 (region EMEA, segment SMB, "
            "owner Ann) made at the same time (2026-01-05 00:00): the later row, 3, is read as the call standing "
            "then.") in result.warnings
    for _ in range(3):
        t = forecast.forecast_vs_actual("owner", Q1, "month", as_of_week=week)
        jan = rows_by(t[t["period"] == "2026-01"], "member")
        assert (jan["Ann"]["forecast"], jan["Ann"]["best_case"], jan["Bob"]["forecast"]) == (130, 190, 200)

def test_bias_sign_mape_with_a_zero_actual_period_and_wape(loaded):
    acc = rows_by(forecast.forecast_accuracy("owner", Q1, "month"), "member")
    ann, bob = acc["Ann"], acc["Bob"]
    # Ann: (f, a) = (120, 100), (100, 200), (140, 0)
    assert ann["periods"] == 3 and ann["periods_zero_actual"] == 1
    assert ann["bias"] == pytest.approx((20 - 100 + 140) / 300)           # +0.2: over-calls
    assert ann["mape"] == pytest.approx((20 / 100 + 100 / 200) / 2)       # March left out
    assert ann["wape"] == pytest.approx((20 + 100 + 140) / 300)
    assert ann["verdict"] == "over-calls"
    assert bob["bias"] == pytest.approx(-100 / 300) and bob["verdict"] == "sandbags"
    assert bob["periods"] == 1


def test_bookings_bridge_effects_add_up_and_a_new_member_is_handled(loaded):
    steps, members = forecast.bookings_bridge("2026-Q1", "2026-Q2", "segment", H1)
    amounts = dict(zip(steps["step"], steps["amount"]))
    assert amounts["2026-Q1 bookings"] == 600 and amounts["2026-Q2 bookings"] == 1200
    assert amounts["Deal count"] == pytest.approx(200)    # (4 - 3) x 200
    assert amounts["Mix"] == pytest.approx(200)           # 4 x (-25 - 25 + 100)
    assert amounts["Deal size"] == pytest.approx(200)     # 2 x (100 - 150) + 1 x (600 - 300) + 0
    assert amounts["Deal count"] + amounts["Mix"] + amounts["Deal size"] == pytest.approx(1200 - 600)
    mm = rows_by(members, "member")["Mid-Market"]         # absent in Q1: a0 = a1, no size effect
    assert (mm["deals_0"], mm["avg_0"], mm["size_effect"]) == (0, 400, 0)


def test_bridge_identity_holds_on_the_demo(use_demo_db):
    f = Filters(dt.date(2025, 1, 1), dt.date(2026, 11, 30))
    for dim in ("segment", "region", "owner", "product"):
        steps, _ = forecast.bookings_bridge("2026-Q2", "2026-Q3", dim, f)
        a = steps["amount"].tolist()
        assert a[0] + a[1] + a[2] + a[3] == pytest.approx(a[4], rel=1e-9)


def test_demo_over_forecasting_region_and_sandbagging_owner_are_named(use_demo_db):
    f = Filters(dt.date(2025, 6, 1), dt.date(2026, 11, 30))
    regions = rows_by(forecast.forecast_accuracy("region", f, "month"), "member")
    assert [r for r, v in regions.items() if v["verdict"] != "on target"] == ["EMEA"]
    assert regions["EMEA"]["verdict"] == "over-calls"
    owners = forecast.forecast_accuracy("owner", f, "month")
    assert owners[owners["verdict"] == "sandbags"]["member"].tolist() == ["Priya Natarajan"]


def test_period_notation(monkeypatch):
    assert periods.parse("2026-11") == (dt.date(2026, 11, 1), "month")
    assert periods.parse("2026-Q3") == (dt.date(2026, 7, 1), "quarter")
    monkeypatch.setenv("SIGHTLINE_FISCAL_YEAR_START", "4")
    assert periods.parse("2026-Q1") == (dt.date(2026, 4, 1), "quarter")
    assert periods.parse("2026-Q4") == (dt.date(2027, 1, 1), "quarter")
    assert periods.previous("2026-Q1") == "2025-Q4"
    with pytest.raises(ValueError, match="not a period"):
        periods.parse("Q5")


def test_missing_targets_are_reported(db):
    import_file(FIXTURES / "forecast_deals.csv", as_of="2026-06-30", by=ADMIN)
    assert forecast.forecast_inputs(Q1) == {"targets": 0, "forecasts": 0, "dimensions": []}
    t = rows_by(forecast.forecast_vs_actual("total", Q1, "month"))
    assert t["2026-01"]["actual"] == 400 and t["2026-01"]["target"] != t["2026-01"]["target"]


# ---- pacing of the period in progress ----
# tests/fixtures/pacing_deals.csv, loaded as the export of 2026-05-15 (the data date), and
# pacing_targets.csv. 2026-Q2 (Apr 1 - Jun 30, 91 days) is in progress: 2026-05-15 is day 45.
#   target 2026-Q2     Ann 300 (Apr) + 300 (May), Bob 310 (Jun)          -> 910 (March's 5000 is Q1's)
#   actual to date     E8 200 Ann (04-10) + E9 70 Bob (05-15, the day itself counts) -> 270
#                      (E10 is lost, E11 is won with a close date after the data date, E12 is open)
#   linear pace        910 x 45 / 91 = 450            -> 270 / 450 = 60%
#   the 4 quarters before, share won by their own day 45 (close date before first day + 45 days):
#     2025-Q2  E1 100 (05-15, day 45) of E1 + E2 400 (E2 05-16 is day 46)  -> 0.25
#     2025-Q3  E3 200 (08-14, day 45) of 400                               -> 0.50
#     2025-Q4  E5 300 (10-01) of 400                                       -> 0.75
#     2026-Q1  E7 500 on 03-31 (day 90) of 500                             -> 0
#     (2025-Q1, E0 on day 32, is five quarters back and never counts)
#   historical share   (0.25 + 0.5 + 0.75 + 0) / 4 = 0.375
#   historical pace    910 x 0.375 = 341.25           -> 270 / 341.25 = 79.1%
# By owner: Ann target 600, actual 200, shares 1 (E1 alone in 2025-Q2), 0.5, 0.75, 0 -> 0.5625,
#   linear 600 x 45 / 91, historical 337.5; Bob target 310, actual 70, one quarter of history
#   (2025-Q2: E2 after day 45, share 0) -> historical pace 0, no ratio against it.
# By month, 2026-05 (31 days) on day 15: target 300, actual 70 (E9); the 4 months before with
#   bookings: 2026-03 (E7 on day 31: 0) and 2026-04 (E8 on day 10: 1) -> 0.5, pace 150, 70/150.

@pytest.fixture
def paced(db):
    assert import_file(FIXTURES / "pacing_deals.csv", as_of="2026-05-15", by=ADMIN).status == "loaded"
    assert import_file(FIXTURES / "pacing_targets.csv", by=ADMIN).status == "loaded"
    return db


EVERYTHING = Filters(dt.date(2025, 1, 1), dt.date(2026, 6, 30))


def test_pacing_against_the_linear_and_the_historical_pace(paced):
    assert forecast.in_progress("quarter") == ("2026-Q2", dt.date(2026, 5, 15))
    row = forecast.pacing(EVERYTHING).iloc[0]
    assert (row["period"], row["member"], row["elapsed_days"], row["period_days"]) == ("2026-Q2", "All", 45, 91)
    assert (row["target"], row["actual_to_date"], row["deals_won"]) == (910, 270, 2)
    assert row["linear_pace"] == pytest.approx(450) and row["to_linear_pace"] == pytest.approx(0.6)
    assert row["historical_share"] == pytest.approx(0.375) and row["periods_averaged"] == 4
    assert row["historical_pace"] == pytest.approx(341.25)
    assert row["to_historical_pace"] == pytest.approx(270 / 341.25)
    assert forecast.pacing_sentence(row) == "$270 booked by day 45 of 91: linear pace $450 (60%), historical pace $341 (79%)"


def test_pacing_by_owner_and_a_historical_pace_of_zero(paced):
    by = rows_by(forecast.pacing(EVERYTHING, dim="owner"), "member")
    ann, bob = by["Ann"], by["Bob"]
    assert (ann["target"], ann["actual_to_date"]) == (600, 200)
    assert ann["linear_pace"] == pytest.approx(600 * 45 / 91)
    assert ann["historical_share"] == pytest.approx(0.5625) and ann["historical_pace"] == pytest.approx(337.5)
    assert (bob["target"], bob["actual_to_date"], bob["periods_averaged"]) == (310, 70, 1)
    assert bob["historical_pace"] == 0 and pd.isna(bob["to_historical_pace"])


def test_pacing_by_month_and_of_a_period_asked_for(paced):
    month = forecast.pacing(EVERYTHING, period="2026-05").iloc[0]
    assert (month["elapsed_days"], month["period_days"], month["target"], month["actual_to_date"]) == (15, 31, 300, 70)
    assert month["linear_pace"] == pytest.approx(300 * 15 / 31)
    assert (month["historical_share"], month["periods_averaged"]) == (pytest.approx(0.5), 2)
    assert month["to_historical_pace"] == pytest.approx(70 / 150)
    done = forecast.pacing(EVERYTHING, period="2026-Q1").iloc[0]   # over: read on its last day
    assert (done["elapsed_days"], done["period_days"], done["target"], done["actual_to_date"]) == (90, 90, 5000, 500)
    assert done["to_linear_pace"] == pytest.approx(0.1)
    with pytest.raises(ValueError, match="2026-Q3 starts after 2026-05-15"):
        forecast.pacing(EVERYTHING, period="2026-Q3")


@pytest.mark.parametrize("dim, grain, params", [
    ("total", "quarter", {}), ("owner", "quarter", {}), ("total", "month", {}), ("segment", "month", {}),
    ("total", "quarter", {"pace_period": "2026-Q1"}), ("owner", "quarter", {"as_of": "2026-04-30"}),
])
def test_pacing_equals_its_independent_check(paced, dim, grain, params):
    from tests.intel.test_catalogue import run_and_check

    run_and_check("pacing", EVERYTHING, paced, dim, grain, **params)


def test_pacing_on_the_demo_equals_its_check_at_an_earlier_day(use_demo_db, demo_db):
    from tests.intel.test_catalogue import run_and_check

    f = Filters(dt.date(2025, 6, 1), dt.date(2026, 11, 30))
    run_and_check("pacing", f, demo_db, "region", "quarter", pace_period="2026-Q3", as_of="2026-08-20")
    row = forecast.pacing(f, period="2026-Q4").iloc[0]   # the demo's data date, 2026-11-16: day 47 of 92
    assert (row["elapsed_days"], row["period_days"]) == (47, 92)
    assert row["linear_pace"] == pytest.approx(row["target"] * 47 / 92)


def test_accuracy_leaves_out_the_quarter_in_progress(demo_db):
    # The demo's data date is 2026-11-16: 2026-Q4 is running, its commit call stands against half
    # its bookings. The league must rest on the finished quarters only: bias = Σ(f − a) ÷ Σa over
    # the rows of forecast_variance whose quarter ended by then.
    import datetime as dt

    from intel import metrics
    from intel.filters import Filters

    scope = Filters(dt.date(2025, 6, 1), dt.date(2026, 11, 30))
    rows = metrics.run("forecast_variance", scope, db=demo_db, dim="total", grain="quarter")
    finished = rows[rows["forecast"].notna() & (rows["period"] != "2026-Q4")]
    league = metrics.run("forecast_accuracy", scope, db=demo_db, dim="total", grain="quarter").iloc[0]
    assert league["periods"] == len(finished) == 6
    expected = (finished["forecast"] - finished["actual"]).sum() / finished["actual"].sum()
    assert league["bias"] == pytest.approx(expected)
