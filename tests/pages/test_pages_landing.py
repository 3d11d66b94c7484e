"""The landing on the pages (AppTest): the Forecast page's Landing section and the Overview's tile show
what intel.landing computes for the same scope; the what-if moves the P50 by what intel says; who may
save a scenario; empty stores get sentences."""
from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from intel import landing, metrics, scenarios, share
from intel.access import LOCAL_ADMIN as ADMIN
from intel.filters import Filters, default_range
from tests.conftest import FIXTURES, ROOT
from tests.pages.test_pages import TIMEOUT, app, texts

FORECAST = "pages/forecast.py"


def money(value) -> str:
    return metrics.format_value(value, "money", compact=True)


def pct(value) -> str:
    return metrics.format_value(value, "percent")


def tiles(at) -> dict:
    return {m.label: m for m in at.metric}


def unescaped(text) -> str:
    return str(text or "").replace("\\", "")


def forecast_page(**query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params.update(query)
    at.run()
    at.switch_page(FORECAST).run()
    assert not at.exception, at.exception
    return at


def opened(at: AppTest, *keys: str) -> AppTest:
    """The Landing section's expanders a reader opens (computed only when open): lp_maths,
    lp_war_game, lp_track."""
    for key in keys:
        at.session_state[key] = True
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_landing_tiles_show_the_projection_of_the_quarter_in_progress(use_demo_db):
    at = app(FORECAST)
    expected = landing.project(Filters(*default_range()))
    assert (expected.period, expected.day, expected.days) == ("2026-Q4", 47, 92)   # the demo's data date
    shown = tiles(at)
    assert shown["Landing P50"].value == money(expected.p50)
    assert unescaped(shown["Landing P50"].delta) == f"P10–P90 {money(expected.p10)} to {money(expected.p90)}"
    assert shown["Chance of target"].value == pct(expected.chance_of_target)
    assert unescaped(shown["Chance of target"].delta) == f"of {money(expected.target)}"
    assert shown["Expected landing"].value == money(expected.mean)
    assert shown["Won to date"].value == money(expected.won_to_date)
    assert shown["Commit call"].value == money(expected.commit)
    assert shown["Stage-weighted pipeline"].value == money(expected.weighted_pipeline)
    # each tile says its window: scope, period and how far into it, how fresh
    for label in ("Landing P50", "Chance of target", "Expected landing", "Stage-weighted pipeline"):
        assert ("All regions, segments, owners and products · 2026-Q4, day 47 of 92 · data as of 2026-11-16"
                in unescaped(shown[label].help)), label
    assert any(h.value == "Landing: where the period will land" for h in at.subheader)
    said = unescaped(texts(at))
    assert f"a {pct(expected.chance_of_target)} chance of reaching the {money(expected.target)} target" in said


def test_the_landing_follows_the_filter_bar_and_the_month_picker(use_demo_db):
    at = forecast_page(region="EMEA")
    emea = Filters(*default_range(), region=("EMEA",))
    quarter = landing.project(emea)
    assert tiles(at)["Landing P50"].value == money(quarter.p50)
    assert tiles(at)["Chance of target"].value == pct(quarter.chance_of_target)
    picker = at.selectbox(key="url_fc_landing")
    assert picker.options == ["2026-Q4 (this quarter)", "2026-11 (this month)"]
    picker.set_value("2026-11").run()
    assert not at.exception, at.exception
    month = landing.project(emea, period="2026-11")
    assert (month.day, month.days) == (16, 30)
    assert tiles(at)["Landing P50"].value == money(month.p50) != money(quarter.p50)
    assert "Region: EMEA · 2026-11, day 16 of 30" in unescaped(tiles(at)["Landing P50"].help)
    assert at.query_params["fc_landing"] == "2026-11"   # the link keeps it


def test_a_fresh_server_shows_the_kept_landing_without_projecting_until_the_maths_open(use_demo_db, monkeypatch):
    """What the alert check or the warm-up kept (the Outline) is what a freshly started server's Forecast
    page shows: the tiles and the chart read it, and nothing is projected until the maths are opened."""
    expected = landing.project(Filters(*default_range()))
    landing.outline(Filters(*default_range()), expected.period, expected.as_of)   # kept, as the check after an import does
    landing._SHARED.clear()   # a new process: no projection in memory
    calls = []
    real = landing.Projector.project
    monkeypatch.setattr(landing.Projector, "project", lambda *a, **k: calls.append(a[2:4]) or real(*a, **k))
    at = app(FORECAST)
    assert calls == []
    assert tiles(at)["Landing P50"].value == money(expected.p50)
    assert tiles(at)["Expected landing"].value == money(expected.mean)
    assert any(c.proto.id and "lp_distribution" in c.proto.id for c in at.get("plotly_chart"))
    opened(at, "lp_maths")
    assert ("2026-Q4", expected.as_of) in calls   # the deals, for the maths
    grid = next(d.value for d in at.dataframe if "spread_share" in getattr(d.value, "columns", ()))
    assert grid["name"].tolist() == expected.top_deals()["name"].tolist()


def test_the_maths_lists_the_deals_that_move_the_landing_most_with_a_download(use_demo_db):
    at = app(FORECAST)
    assert not [d for d in at.dataframe if "spread_share" in getattr(d.value, "columns", ())]   # closed: not run
    opened(at, "lp_maths")
    expected = landing.project(Filters(*default_range()))
    top = expected.top_deals()
    grid = next(d.value for d in at.dataframe if "spread_share" in getattr(d.value, "columns", ()))
    assert grid["name"].tolist() == top["name"].tolist()
    assert grid["chance"].tolist() == pytest.approx(top["chance"].tolist())
    why = top["why"].iloc[0]
    assert "like it won in their period" in why
    assert f"1. **{top['name'].iloc[0]}**: {why}" in unescaped(texts(at))   # each deal's why, as a sentence
    made_of = next(d.value for d in at.dataframe if {"input", "expected"} <= set(getattr(d.value, "columns", ())))
    assert made_of["expected"].sum() == pytest.approx(expected.mean)   # the parts add up to the expected landing
    # what moved it since the snapshot before (2026-11-09): the parts' changes add up to the move of
    # the expected landing between the two projections
    before = landing.project(Filters(*default_range()), as_of=dt.date(2026, 11, 9))
    moved = next(d.value for d in at.dataframe if {"input", "change"} <= set(getattr(d.value, "columns", ())))
    assert moved["change"].sum() == pytest.approx(expected.mean - before.mean)
    assert moved.set_index("input").loc["Won to date", "change"] == pytest.approx(
        expected.won_to_date - before.won_to_date)
    assert "What moved it since the 2026-11-09 snapshot" in unescaped(texts(at))
    assert "Learnt from" in texts(at) and expected.model.describe() in unescaped(texts(at))
    keys = [d.proto.id for d in at.get("download_button")]
    assert any("lp_top_dl_csv" in k for k in keys) and any("lp_top_dl_xlsx" in k for k in keys)


def test_a_named_deal_won_moves_the_p50_by_what_the_projection_says(use_demo_db):
    at = opened(app(FORECAST), "lp_war_game")
    scope = Filters(*default_range())
    plain = landing.project(scope)
    deal = plain.top_deals(1)["id"].iloc[0]
    played = landing.project(scope, shocks=(landing.Shock("win", deals=(deal,)),))
    assert played.p50 > plain.p50 and played.chance_of_target > plain.chance_of_target   # a win can only help
    at.multiselect(key="lp_win").set_value([deal])
    at.button(key="lp_play").click().run()
    assert not at.exception, at.exception
    shown = tiles(at)
    assert shown["P50, what-if"].value == money(played.p50) != money(plain.p50)
    assert shown["P50, what-if"].delta == metrics.format_value(played.p50 - plain.p50, "money",
                                                                        signed=True, compact=True)
    assert shown["Chance of target, what-if"].value == pct(played.chance_of_target)
    assert shown["Chance of target, what-if"].delta == \
        f"{(played.chance_of_target - plain.chance_of_target) * 100:+.1f} points"
    assert shown["Landing P50"].value == money(plain.p50)   # the plain landing stays beside it
    name = plain.deals.set_index("id").loc[deal, "name"]
    assert f"**What-if:** {name} won" in unescaped(texts(at))   # what was played, in words


def test_a_segment_win_rate_down_lowers_the_landing_and_a_manager_saves_it(use_demo_db):
    at = opened(app(FORECAST), "lp_war_game")
    scope = Filters(*default_range())
    at.selectbox(key="lp_wr_who").set_value(("segment", "SMB"))
    at.slider(key="lp_wr_points").set_value(-10)
    at.button(key="lp_play").click().run()
    assert not at.exception, at.exception
    shock = landing.Shock("win_rate", -10.0, "segment", "SMB")
    played, plain = landing.project(scope, shocks=(shock,)), landing.project(scope)
    assert played.p50 < plain.p50
    assert tiles(at)["P50, what-if"].value == money(played.p50)
    at.text_input(key="lp_save_name").input("Fabrikam price cut in SMB")
    at.button(key="lp_save").click().run()
    assert not at.exception, at.exception
    saved = scenarios.saved("2026-Q4")
    assert saved["name"].tolist() == ["Fabrikam price cut in SMB"] and saved["author"].tolist() == [ADMIN.name]
    assert scenarios.shocks_of(saved["shocks"].iloc[0]) == (shock,)
    listed = next(d.value for d in at.dataframe if "scenario" in getattr(d.value, "columns", ()))
    row = listed.iloc[0]
    assert row["scenario"] == "Fabrikam price cut in SMB" and row["shocks"] == "SMB: win rate moves by -10 points"
    assert (row["p50_0"], row["p50_1"]) == pytest.approx((plain.p50, played.p50))
    assert row["chance_of_target_1"] == pytest.approx(played.chance_of_target)
    at.selectbox(key="lp_delete_id").set_value(int(saved["scenario_id"].iloc[0]))
    at.button(key="lp_delete").click().run()
    assert not at.exception, at.exception
    assert scenarios.saved("2026-Q4").empty                                   # gone from the list,
    assert scenarios.history(int(saved["scenario_id"].iloc[0]))["deleted"].tolist() == [False, True]   # kept
    assert "Saved scenarios for 2026-Q4** (0)" in texts(at)


def test_a_shared_link_sees_the_saved_scenarios_but_no_what_if_form(use_demo_db):
    scope = Filters(*default_range())
    shocks = (landing.Shock("slip", 4.0),)
    scenarios.save("Everything slips a month", "2026-Q4", shocks, scope, by=ADMIN)
    token = share.create_link("forecast", {}, by=ADMIN)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["share"] = token
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Forecast vs actual"
    assert [e.label for e in at.expander if e.label == "Saved scenarios"]   # named for what it holds there
    opened(at, "lp_war_game")
    keys = {getattr(w, "key", None) for w in list(at.button) + list(at.multiselect) + list(at.text_input)}
    assert not keys & {"lp_play", "lp_win", "lp_lose", "lp_save", "lp_save_name", "lp_delete"}
    listed = next(d.value for d in at.dataframe if "scenario" in getattr(d.value, "columns", ()))
    assert listed["scenario"].tolist() == ["Everything slips a month"]
    assert listed["p50_1"].iloc[0] == pytest.approx(landing.project(scope, shocks=shocks).p50)


def test_a_signed_in_viewer_plays_a_what_if_but_cannot_save_it(use_demo_db, monkeypatch):
    from intel import users
    from tests.pages.test_pages_access import ADMIN as ROOT_ADMIN, PASSWORD, sign_in, started

    monkeypatch.setenv("SIGHTLINE_AUTH", "password")
    users.add_user("vic", "viewer", PASSWORD, by=ROOT_ADMIN)
    at = sign_in(started(), "vic", PASSWORD)
    at.switch_page(FORECAST).run()
    assert not at.exception, at.exception
    opened(at, "lp_war_game")
    at.slider(key="lp_cycle_pct").set_value(50)
    at.button(key="lp_play").click().run()
    assert not at.exception, at.exception
    assert "P50, what-if" in tiles(at)
    assert not [b for b in at.button if b.key in ("lp_save", "lp_delete")]
    assert not [t for t in at.text_input if t.key == "lp_save_name"]


def test_the_track_record_replays_when_opened_and_says_what_it_shows(use_demo_db):
    at = app(FORECAST)
    assert not [d for d in at.dataframe if "p50_error" in getattr(d.value, "columns", ())]   # closed: not run
    at.session_state["lp_track"] = True
    at.run()
    assert not at.exception, at.exception
    record = landing.backtest(Filters(*default_range()))
    said = unescaped(texts(at))
    assert unescaped(record.sentence()) in said
    coverage = record.summary().iloc[-1]["held"]
    assert f"the actual fell outside P10–P90 {1 - coverage:.0%} of the time" in said
    summary = next(d.value for d in at.dataframe if "p50_error" in getattr(d.value, "columns", ()))
    assert summary["week"].tolist() == ["week 2", "week 4", "week 8", "all weeks"]
    assert summary["share"].tolist() == pytest.approx(record.summary()["held"].tolist())
    assert summary["commit_error"].tolist() == pytest.approx(record.summary()["commit_error"].tolist())


def test_the_overview_tile_shows_the_p50_and_the_chance_of_target_and_links_to_the_maths(use_demo_db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["segment"] = "SMB"
    at.run()
    assert not at.exception, at.exception
    expected = landing.project(Filters(*default_range(), segment=("SMB",)))
    tile = tiles(at)["Landing 2026-Q4"]
    assert tile.value == money(expected.p50)
    assert tile.delta == f"{pct(expected.chance_of_target)} chance of target"
    help_text = unescaped(tile.help)
    assert f"between {money(expected.p10)} and {money(expected.p90)} (P10–P90)" in help_text
    assert "Segment: SMB · 2026-Q4, day 47 of 92 · data as of 2026-11-16" in help_text
    link = tile.help[tile.help.index("](/forecast?") + 2:].rstrip(".").rstrip(")")
    assert link.endswith("#landing") and "segment=SMB" in link
    assert "fc_period=2026-Q3" in link and "fc_landing=2026-Q4" in link   # the Overview's quarter, the landing's


def test_without_a_target_the_chance_tile_says_none_is_loaded(db):
    from intel.ingest import import_file

    import_file(FIXTURES / "pacing_deals.csv", as_of="2026-05-15", by=ADMIN)
    at = app(FORECAST)
    chance = tiles(at)["Chance of target"]
    assert chance.value == "—"
    assert "No target is loaded for 2026-Q2" in unescaped(chance.help)
    expected = landing.project(Filters(*default_range()))
    assert tiles(at)["Landing P50"].value == money(expected.p50)
    assert "No target is loaded, so there is no chance of reaching it to give." in unescaped(texts(at))


def test_an_empty_store_says_what_the_landing_needs(db):
    at = app(FORECAST)
    assert "The landing needs deals: upload an opportunities export" in unescaped(texts(at))
    assert not [m for m in at.metric if m.label.startswith("Landing")]
