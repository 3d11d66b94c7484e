"""Pipeline metrics against answers worked out by hand on three weekly snapshots.

tests/fixtures/pipeline-2026-10-05.csv (S0), -10-12 (S1), -10-19 (S2); target period 2026-Q4:
  A 100  open in Q4 at S0 -> Closed Won at S1                         won
  B 200  open in Q4 -> Closed Lost                                     lost
  C 300  open, Dec -> Jan 2027 and 350 at S1 (amount changed, pushed)  pushed_out (at its S0 300)
  D 400 -> 450                                                         grew +50
  E 500 -> 420                                                         shrank -80
  F 600 unchanged (close 2026-10-10: overdue from S1 on)               unchanged
  G 700  Feb 2027 at S0 -> Dec 2026 at S1                              pulled_in +700
  H 800  in S0, gone from S1                                           lost (dropped from the export)
  I 900  first seen at S1, open in Q4                                  new +900
  J 1000 first seen at S1, already Closed Won                          created_and_closed (apart)
  K, L   never in Q4's pipeline
start 2900 - 100 - 1000 - 300 + 50 - 80 + 900 + 700 = end 3070
"""
from __future__ import annotations

import datetime as dt
import math
import statistics

import pytest

from intel import pipeline
from intel.filters import Filters
from intel.ingest import import_file
from intel.access import LOCAL_ADMIN as ADMIN
from tests.conftest import FIXTURES

S0, S1, S2 = dt.date(2026, 10, 5), dt.date(2026, 10, 12), dt.date(2026, 10, 19)
WIDE = Filters(dt.date(2026, 1, 1), dt.date(2026, 12, 31))


@pytest.fixture
def snapshots(db):
    for day in (S0, S1, S2):
        assert import_file(FIXTURES / f"pipeline-{day}.csv", by=ADMIN).status == "loaded"
    assert import_file(FIXTURES / "pipeline_targets.csv", by=ADMIN).status == "loaded"
    return db


def totals(table):
    return {r.category: (r.deals, r.amount) for r in table.itertuples()}


def test_movement_every_category_and_the_identity(snapshots):
    moved = totals(pipeline.movement("2026-Q4", WIDE, S0, S1))
    assert moved["start"] == (7, 2900)
    assert moved["won"] == (1, 100) and moved["lost"] == (2, 1000)
    assert moved["pushed_out"] == (1, 300) and moved["grew"] == (1, 50) and moved["shrank"] == (1, 80)
    assert moved["new"] == (1, 900) and moved["pulled_in"] == (1, 700)
    assert moved["end"] == (5, 3070)
    assert moved["created_and_closed"] == (1, 1000)
    a = {k: v[1] for k, v in moved.items()}
    assert (a["start"] - a["won"] - a["lost"] - a["pushed_out"] + a["grew"] - a["shrank"]
            + a["new"] + a["pulled_in"]) == a["end"]


def test_movement_deals_name_the_deals_behind_each_bar(snapshots):
    deals = pipeline.movement_deals("2026-Q4", WIDE, S0, S1)
    by_category = deals.groupby("category")["id"].apply(set).to_dict()
    assert by_category == {"won": {"A"}, "lost": {"B", "H"}, "pushed_out": {"C"}, "grew": {"D"},
                           "shrank": {"E"}, "unchanged": {"F"}, "pulled_in": {"G"}, "new": {"I"},
                           "created_and_closed": {"J"}}
    c = deals.set_index("id").loc["C"]
    assert (c["amount_0"], c["amount_1"], str(c["close_1"])[:10]) == (300, 350, "2027-01-15")
    assert set(pipeline.movement_deals("2026-Q4", WIDE, S0, S1, category="lost")["id"]) == {"B", "H"}


def test_movement_defaults_to_the_last_two_snapshots_and_filters_apply(snapshots):
    last_two = pipeline.movement("2026-Q4", WIDE)
    assert (last_two.attrs["s0"], last_two.attrs["s1"]) == (S1, S2)
    moved = totals(last_two)
    assert moved["pushed_out"] == (0, 0)            # C was already outside Q4 at S1
    apac = totals(pipeline.movement("2026-Q4", WIDE.with_(region=("APAC",)), S0, S1))
    assert apac["start"] == (3, 1700) and apac["end"] == (3, 1770)   # D E H / D E I
    with pytest.raises(ValueError, match="before"):
        pipeline.movement("2026-Q4", WIDE, S2, S1)


def test_pipeline_by_stage_at_a_snapshot(snapshots):
    stages = pipeline.pipeline_by_stage(WIDE, S1).set_index("stage")
    assert stages.loc["Prospecting", "deals"] == 4 and stages.loc["Prospecting", "amount"] == 350 + 700 + 900 + 111
    assert stages["deals"].sum() == 7                # C D E F G I K open at S1


def test_a_snapshot_date_uploaded_twice_reads_the_later_upload(db):
    """The snapshot queries read the import standing for the date (the later upload of it; the
    earlier again once the later is undone), not every row of that date."""
    from intel.ingest import undo_import
    first = import_file(FIXTURES / "pipeline-2026-10-05.csv", as_of=S1, by=ADMIN)
    later = import_file(FIXTURES / "pipeline-2026-10-12.csv", as_of=S1, by=ADMIN)
    assert first.status == later.status == "loaded"
    def open_deals():
        stages = pipeline.pipeline_by_stage(WIDE, S1)
        return int(stages["deals"].sum()), float(stages["amount"].sum())
    def coverage_pipeline():
        return float(pipeline.coverage(WIDE, "quarter", S1).set_index("period").loc["2026-Q4", "pipeline"])
    def qualified():
        return int(pipeline.velocity_by("total", WIDE, S1)["open_qualified"].iloc[0])
    # the 10-12 export: C D E F G I K open (C 350 and K 111 outside Q4); D E F past the first stage
    assert open_deals() == (7, 350 + 450 + 420 + 600 + 700 + 900 + 111)
    assert coverage_pipeline() == 450 + 420 + 600 + 700 + 900
    assert qualified() == 3
    undo_import(later.import_id, by=ADMIN)
    # the 10-05 export: A B C D E F G H K open (G and K close in 2027-Q1); A B D E F H qualified
    assert open_deals() == (9, 100 + 200 + 300 + 400 + 500 + 600 + 700 + 800 + 111)
    assert coverage_pipeline() == 100 + 200 + 300 + 400 + 500 + 600 + 800
    assert qualified() == 6


def test_slipped_overdue_and_stale(snapshots):
    watch = pipeline.watchlist(WIDE, S2, stale_snapshots=2).set_index("id")
    assert watch.loc["C", "pushes"] == 2 and watch.loc["C", "slipped"]   # Dec -> Jan -> Feb
    assert "G" not in watch.index and "D" not in watch.index             # pulled in / grew at S1
    assert watch.loc["F", "overdue"] and watch.loc["F", "days_overdue"] == 9
    assert watch.loc["F", "stale"] and watch.loc["F", "unchanged_snapshots"] == 2


def test_velocity_and_its_decomposition(snapshots):
    v2 = pipeline.velocity_by("total", WIDE, S2).iloc[0]
    # open past the first stage at S2: D, E, F; closed in the 6 calendar months up to S2
    # (2026-04-20 .. 2026-10-19): A, J, L won, B lost
    assert (v2["open_qualified"], v2["won"], v2["closed"]) == (3, 3, 4)
    assert v2["avg_won_deal"] == pytest.approx((100 + 1000 + 250) / 3)
    assert v2["cycle_days"] == statistics.median([37, 1, 90])
    assert v2["velocity"] == pytest.approx(3 * 0.75 * 450 / 37)
    change = pipeline.velocity_change("total", WIDE, S0, S2).iloc[0]
    # at S0: A B D E F H past the first stage; only L closed (won, 250, 90 days)
    terms = {"open_qualified": math.log(3 / 6), "win_rate": math.log(0.75 / 1),
             "avg_won_deal": math.log(450 / 250), "cycle_days": -math.log(37 / 90)}
    total = sum(terms.values())
    assert change["change_pct"] == pytest.approx(math.exp(total) - 1)
    for factor, term in terms.items():
        assert change[f"share_{factor}"] == pytest.approx(term / total)
    assert sum(change[f"share_{f}"] for f in terms) == pytest.approx(1)
    # each factor before and after, and its effect in $/day: its share of v2 − v0, signed
    v0 = 6 * 1.0 * 250 / 90
    assert (change["open_qualified_0"], change["open_qualified_1"]) == (6, 3)
    assert (change["cycle_days_0"], change["cycle_days_1"]) == (90, 37)
    assert change["velocity_0"] == pytest.approx(v0)
    for factor, term in terms.items():
        assert change[f"effect_{factor}"] == pytest.approx(term / total * (v2["velocity"] - v0))
    assert change["effect_open_qualified"] < 0 < change["effect_cycle_days"]   # fewer deals; a shorter cycle
    assert sum(change[f"effect_{f}"] for f in terms) == pytest.approx(v2["velocity"] - v0)


def test_coverage_of_the_remaining_target(snapshots):
    cov = pipeline.coverage(WIDE, "quarter", S2).set_index("period").loc["2026-Q4"]
    assert cov["pipeline"] == 450 + 420 + 600 + 700 + 900      # open at S2 closing in Q4
    assert cov["actual_to_date"] == 100 + 1000                 # A and J won in Q4 by S2
    assert cov["coverage"] == pytest.approx(3070 / (5000 - 1100))
    assert cov["coverage_needed"] == pytest.approx(1 / 0.75)


def test_stage_conversion_from_history_with_backward_moves(snapshots):
    assert import_file(FIXTURES / "stage_history_backward.csv", by=ADMIN).status == "loaded"
    conv = pipeline.stage_conversion(WIDE).set_index("stage")
    assert conv["source"].iloc[0] == "stage history"
    assert (conv.loc["Prospecting", "entered"], conv.loc["Prospecting", "moved_on"]) == (3, 2)  # X Z / Y lost
    assert (conv.loc["Qualification", "entered"], conv.loc["Qualification", "moved_on"]) == (2, 1)
    assert conv.loc["Proposal/Price Quote", "conversion"] == 1.0
    assert conv.loc["Prospecting", "median_days_in_stage"] == statistics.median([10, 5, 20, 20])
    assert conv.loc["Qualification", "median_days_in_stage"] == statistics.median([4, 11])


def test_each_stage_entry_says_when_the_deal_last_entered_that_stage(snapshots):
    from intel import models
    from tests.conftest import rows
    assert import_file(FIXTURES / "stage_history_backward.csv", by=ADMIN).status == "loaded"
    models.refresh()
    got = {(stage, f"{entered:%Y-%m-%d}"): prev and f"{prev:%Y-%m-%d}"
           for stage, entered, prev in rows("SELECT stage, entered_at, prev_entered_at FROM stage_events WHERE id = 'X'")}
    assert got == {("Prospecting", "2026-09-01"): None, ("Qualification", "2026-09-11"): None,
                   ("Prospecting", "2026-09-15"): "2026-09-01", ("Qualification", "2026-09-20"): "2026-09-11",
                   ("Proposal/Price Quote", "2026-10-01"): None, ("Closed Won", "2026-10-10"): None}


@pytest.mark.parametrize("since, until, expected", [
    # X entered Prospecting 09-01 and 09-15, Qualification 09-11 and 09-20, then Proposal and won;
    # Y Prospecting 09-01 then lost; Z Prospecting 09-05, Qualification 09-25
    ("2026-09-12", "2026-12-31", {"Prospecting": (1, 1), "Qualification": (2, 1), "Proposal/Price Quote": (1, 1)}),
    ("2026-09-01", "2026-09-14", {"Prospecting": (3, 2), "Qualification": (1, 1)}),
    ("2026-09-10", "2026-09-16", {"Prospecting": (1, 1), "Qualification": (1, 1)}),
    ("2026-09-16", "2026-09-19", {}),
])
def test_stage_conversion_counts_a_deal_once_by_its_first_entry_in_the_range(snapshots, since, until, expected):
    """A deal back in a stage it entered before the range counts in the range once (its earlier
    entry lies outside it); twice in the range, once: the same as grouping the entries by deal."""
    from intel import metrics
    assert import_file(FIXTURES / "stage_history_backward.csv", by=ADMIN).status == "loaded"
    scope = Filters(dt.date.fromisoformat(since), dt.date.fromisoformat(until))
    conv = pipeline.stage_conversion(scope).set_index("stage")
    assert {s: (r.entered, r.moved_on) for s, r in conv.iterrows()} == expected
    check = metrics.check("stage_conversion", scope).set_index("stage")
    assert {s: (r.entered, r.moved_on) for s, r in check.iterrows()} == expected


def test_stage_conversion_from_snapshots_when_no_history(snapshots):
    conv = pipeline.stage_conversion(WIDE).set_index("stage")
    assert conv["source"].iloc[0] == "snapshots"
    # Proposal/Price Quote was entered by A and E (seen there at S0); A then won, E stayed
    assert (conv.loc["Proposal/Price Quote", "entered"], conv.loc["Proposal/Price Quote", "moved_on"]) == (2, 1)


def test_stage_conversion_follows_the_filters(snapshots):
    # Proposal/Price Quote: A (EMEA, then won) and E (APAC, stayed)
    emea = pipeline.stage_conversion(WIDE.with_(region=("EMEA",))).set_index("stage")
    apac = pipeline.stage_conversion(WIDE.with_(region=("APAC",))).set_index("stage")
    assert (emea.loc["Proposal/Price Quote", "entered"], emea.loc["Proposal/Price Quote", "moved_on"]) == (1, 1)
    assert (apac.loc["Proposal/Price Quote", "entered"], apac.loc["Proposal/Price Quote", "moved_on"]) == (1, 0)
    assert "Negotiation/Review" not in emea.index and "Negotiation/Review" in apac.index   # D is APAC's
    assert import_file(FIXTURES / "stage_history_backward.csv", by=ADMIN).status == "loaded"
    assert pipeline.stage_conversion(WIDE.with_(region=("EMEA",))).empty   # X, Y, Z: in no snapshot, no region


def test_one_snapshot_says_a_second_upload_unlocks_movement(db):
    import_file(FIXTURES / "pipeline-2026-10-05.csv", by=ADMIN)
    with pytest.raises(ValueError, match="second upload unlocks movement"):
        pipeline.movement("2026-Q4", WIDE)
    assert not pipeline.pipeline_by_stage(WIDE).empty


def test_window_text_names_the_trailing_two_quarters_to_the_snapshot():
    # the 6 calendar months ending on the snapshot: from the day after the same day 6 months before
    assert pipeline.window_text(S2) == ("closed 2026-04-20 to 2026-10-19, the trailing two quarters to "
                                        "the 2026-10-19 snapshot")
    # a snapshot on a month's last day: six whole months (METRICS.md, periods.trailing_window)
    assert pipeline.window_text("2026-08-31", 1) == ("closed 2026-06-01 to 2026-08-31, the trailing one quarter "
                                                     "to the 2026-08-31 snapshot")


def test_segment_velocities_that_do_not_add_up_say_why(snapshots):
    """At S2, by region: EMEA has F open past the first stage and closed A (won 100, 37 days), B (lost),
    L (won 250, 90 days): 1 × 2/3 × 175 ÷ 63.5 = 1.84/day. APAC has D and E open and closed J (won
    1000, 1 day): 2 × 1 × 1000 ÷ 1 = 2,000/day. The total pools them: 3 open, 3 won of 4, 450 average,
    median cycle 37 days: 3 × 0.75 × 450 ÷ 37 = 27.4/day, far from 2,001.8."""
    by_region = pipeline.velocity_by("region", WIDE, S2).set_index("member")
    assert by_region.loc["EMEA", "velocity"] == pytest.approx(1 * (2 / 3) * 175 / 63.5)
    assert by_region.loc["APAC", "velocity"] == pytest.approx(2 * 1 * 1000 / 1)
    total = pipeline.velocity_by("total", WIDE, S2)
    note = pipeline.velocity_sum_note(by_region.reset_index(), total, "region")
    assert note.startswith("The regions' velocities add up to $2,002/day, not the total's $27/day:")
    assert "pooled" in note and "not the sum" in note
    # by segment, Enterprise (D, E open) has no deal closed in the window: no velocity, left out and said
    # so; SMB alone: 1 (F) × 0.75 × 450 ÷ 37 = 9/day
    by_segment = pipeline.velocity_by("segment", WIDE, S2)
    note = pipeline.velocity_sum_note(by_segment, total, "segment")
    assert note.startswith("The segments' velocities add up to $9/day, not the total's $27/day "
                           "(1 segment without a velocity left out of the sum):")


def test_velocity_sum_note_is_silent_when_the_members_add_up(snapshots):
    emea = WIDE.with_(region=("EMEA",))   # one member: its velocity is the total's
    total = pipeline.velocity_by("total", emea, S2)
    assert pipeline.velocity_sum_note(pipeline.velocity_by("region", emea, S2), total, "region") is None
    assert pipeline.velocity_sum_note(total, total, "total") is None
