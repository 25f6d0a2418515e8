"""The formatting rules of reports (forecast.present), the headline boxes (forecast.headlines), the chart helpers
that keep gaps and sparse bins honest, and the scenario explorer's static and interactive modes."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from forecast import evaluate, explorer, headlines, paths, plots, present, scenario


def test_percentages_dates_words_and_counts():
    assert [present.percent(p) for p in (0.0, 0.0004, 0.004, 0.1234, 0.995, 0.9996, 1.0)] == [
        "0%", "<0.1%", "0.4%", "12%", "99.5%", ">99.9%", "100%"]
    assert present.with_interval(0.25, 0.1, 0.43) == "25% (10% to 43%)"
    assert present.with_interval(0.08, 0.05, 0.16, present.signed) == "+0.08 (+0.05 to +0.16)"
    assert present.with_interval(0.25, np.nan, 0.4) == "25%" and present.with_interval(pd.NA, 0.1, 0.2) == ""
    assert present.day(pd.Timestamp("2026-05-15 00:00:00")) == "2026-05-15" and present.day(pd.NaT) == ""
    assert [present.words(x) for x in ([], ["a"], ["a", "b"], ["a", "b", "c"])] == ["", "a", "a and b", "a, b and c"]
    assert present.whole(1234.0) == "1,234" and present.whole(np.nan) == ""
    assert present.data_age("2026-05-15", dt.date(2026, 12, 1)) == (
        "Data as of 2026-05-15 (200 days before this build, 2026-12-01).")
    assert present.data_age("2026-11-30", dt.date(2026, 12, 1)).startswith("Data as of 2026-11-30 (1 day before")


def test_a_table_for_readers():
    frame = pd.DataFrame({
        "group": ["a", "b"], "trials": [3.0, 4.0], "mean": [0.1234, 0.5], "lower": [0.01, 0.3], "upper": [0.5, 0.7],
        "when": pd.to_datetime(["2026-01-01", None]), "parties": [["RU-UA", "US-RU"], None],
        "skill": [0.1, -0.2], "skill_lower": [0.0, -0.3], "skill_upper": [0.3, -0.1], "agreed": [True, False],
        "brier": [0.07312, np.nan], "notes": ["x" * 300, pd.NA]})
    shown = present.table(frame)
    assert list(shown.cells.columns) == ["group", "trials", "rate (interval)", "when", "parties", "skill (interval)",
                                         "agreed", "brier", "notes"], "no index column, value and interval merged"
    assert shown.cells.iloc[0].tolist() == ["a", "3", "12% (1% to 50%)", "2026-01-01", "RU-UA and US-RU",
                                            "+0.10 (+0.00 to +0.30)", "yes", "0.073", "x" * 300]
    assert shown.cells.iloc[1].tolist() == ["b", "4", "50% (30% to 70%)", "", "", "-0.20 (-0.30 to -0.10)", "no", "",
                                            ""]
    assert shown.kinds["notes"] == "text long", "long text wraps, never cut"
    page = shown._repr_html_()
    assert "x" * 300 in page and "NaN" not in page and "<NA>" not in page and "NaT" not in page
    assert present.table(frame.set_index("group")).cells.columns[0] == "group", "a named index is kept"
    assert present.table(frame.iloc[[1, 0]]).cells.columns[0] == "group", "an unnamed shuffled index is not"
    renamed = present.table(frame[["mean", "lower", "upper"]], rename={"mean": "P(swap)"})
    assert list(renamed.cells.columns) == ["P(swap)"]
    coefficients = pd.DataFrame({"term": ["x"], "estimate": [1.5], "lower": [-0.25], "upper": [3.0]})
    assert present.table(coefficients).cells.iloc[0].tolist() == ["x", "+1.50 (-0.25 to +3.00)"], "log odds stay log odds"


def test_links_are_escaped_and_labelled_by_publisher():
    frame = pd.DataFrame({"sources": ['https://a.example/x?q=1&r="2" | https://www.b.example/y']})
    cell = present.table(frame, links=("sources",), link_labels={"https://www.b.example/y": "B <News>"}).cells.iloc[0, 0]
    assert cell == ('<a href="https://a.example/x?q=1&amp;r=&quot;2&quot;">a.example</a> · '
                    '<a href="https://www.b.example/y">B &lt;News&gt;</a>')


def test_the_headline_box_escapes_and_carries_the_index_line():
    box = present.Headline(question="Will <it> happen?", answer="12% (5% to 25%)", basis="b", record="r",
                           data_as_of="Data as of 2026-05-15.", summary='12% "soon"', describes="a round",
                           warnings=["stale"])
    page = box._repr_html_()
    assert page.startswith('<div class="headline" id="headline" data-summary="12% &quot;soon&quot;" '
                           f'data-describes="a round" style="{present.HEADLINE_STYLE}">')
    assert "Will &lt;it&gt; happen?" in page and '<p class="warning">Warning: stale</p>' in page
    assert repr(box).splitlines()[0] == "Will <it> happen?"


def test_headline_verdicts_and_words():
    assert headlines.verdict({"skill_lower": 0.01, "skill_upper": 0.2}) == "beats"
    assert headlines.verdict({"skill_lower": -0.3, "skill_upper": -0.01}) == "is worse than"
    assert headlines.verdict({"skill_lower": -0.1, "skill_upper": 0.1}) == "cannot be told apart from"
    assert headlines.verdict(None) == "has no track record"
    assert headlines.question_words("exchange_within_30d") == "exchange within 30 days"
    row = {"skill": 0.08, "skill_lower": 0.05, "skill_upper": 0.16, "reference": "base_rate", "n": 52}
    assert headlines.skill_words(row) == "skill +0.08 (+0.05 to +0.16) against the base rate over 52 earlier targets"


def test_the_backtest_headline_counts_what_beats_the_reference():
    scores = pd.DataFrame({"question": ["swap_agreed", "ceasefire_agreed", "exchange_within_90d"],
                           "method": "headline", "class": "all", "n": [52, 53, 163],
                           "skill": [0.08, 0.04, -0.04], "skill_lower": [0.05, -0.03, -0.13],
                           "skill_upper": [0.16, 0.25, -0.001], "reference": ["base_rate", "base_rate", "climatology"]})
    box = headlines.backtest(scores, "russia-ukraine", "2026-05-15", 2000)
    assert box.answer == ("The headline beats the naive reference on 1 of 3 questions (swap agreed); it is worse on 1 "
                          "(exchange within 90 days) and cannot be told apart on the rest.")


def test_history_lines_break_at_gaps():
    dates = pd.Series(pd.to_datetime(["2022-03-01", "2022-03-29", "2025-02-18", "2025-03-11"]))
    shown_dates, values = plots._broken_at_gaps(dates, pd.Series([0.1, 0.2, 0.3, 0.4]), gap_days=120)
    assert np.isnan(values).tolist() == [False, False, True, False, False], "one break, in the 2022-2025 gap"
    _, unbroken = plots._broken_at_gaps(dates[:2], pd.Series([0.1, 0.2]), gap_days=120)
    assert not np.isnan(unbroken).any()


def test_sparse_bins_give_way_to_the_per_event_table():
    few = evaluate.calibration_table(np.r_[np.full(40, 0.05), np.full(12, 0.3)], np.r_[np.zeros(40), np.ones(12)])
    assert evaluate.bins_are_sparse(few), "two filled bins"
    rng = np.random.default_rng(1)
    p = rng.uniform(size=200)
    assert not evaluate.bins_are_sparse(evaluate.calibration_table(p, rng.uniform(size=200) < p))


def test_the_explorer_is_static_in_a_report_build(monkeypatch):
    monkeypatch.setenv(paths.REPORT_BUILD_ENV, "1")
    assert not explorer.interactive()
    monkeypatch.delenv(paths.REPORT_BUILD_ENV)
    pytest.importorskip("ipywidgets")
    assert explorer.interactive()


def test_the_explorer_recomputes_when_a_widget_changes(monkeypatch):
    """In JupyterLab: changing the level, then the conflict, recomputes the forecast for the new round."""
    pytest.importorskip("ipywidgets")
    monkeypatch.delenv(paths.REPORT_BUILD_ENV, raising=False)
    computed = []
    real = scenario.forecast

    def recording(chosen, *args, **kwargs):
        computed.append(chosen)
        return real(chosen, *args, **kwargs)

    monkeypatch.setattr(scenario, "forecast", recording)
    monkeypatch.setattr(explorer, "display", lambda *objects: None)
    start = scenario.from_parameters(round_date="2026-03-01", parties="RU-UA", mediator="Turkey", venue="Istanbul",
                                     level="ministers")
    box = explorer.explore(real(start, n_bootstrap=200), n_bootstrap=200)
    conflict, day = box.children[0].children
    parties, mediator, level = box.children[1].children
    level.value = "leaders"
    assert computed[-1].level == "leaders" and computed[-1].parties == "RU-UA" and computed[-1].mediator == "Turkey"
    before = len(computed)
    conflict.value = "yemen"
    assert len(computed) == before + 1, "one recomputation for a new conflict, not one per widget it resets"
    assert computed[-1].conflict == "yemen" and computed[-1].parties == parties.options[0]
    assert mediator.value == explorer.COMMONEST and computed[-1].assumed[0].startswith("mediator not given")


def test_the_pdf_source_asks_for_a4_and_the_margins(tmp_path):
    from forecast import report

    source = report.typst_source('<h1>T</h1><div class="headline" id="headline"><p>9%</p></div><p>text</p>', tmp_path)
    assert f'paper: "{report.PDF_PAPER}"' in source and report.PDF_PAPER == "a4"
    assert f"margin: (x: {report.PDF_MARGIN},y: {report.PDF_MARGIN},)" in source
    template_line = source.index("#show: doc => conf(")
    assert template_line < source.index("#set par(justify: false)"), "the rules come after the template's own"
    assert "] <headline>" in source and "#show <headline>:" in source


def test_cached_results_equal_fresh_ones(monkeypatch, tmp_path):
    """What the reports read from the cache (a new, empty one here, then the stored entry) is what a fresh
    computation gives."""
    from forecast import compare, data, features, predict

    monkeypatch.setenv("FORECAST_CACHE_DIR", str(tmp_path))
    fresh_rows = compare.head_to_head(data.load_crowd())
    for _ in range(2):  # the first call computes and stores, the second reads the entry
        pd.testing.assert_frame_equal(compare.head_to_head(), fresh_rows)
    scores, record = evaluate.track_record(rng=np.random.default_rng(7), n_bootstrap=100, conflict="yemen")
    for _ in range(2):
        cached_scores, cached_record = evaluate.track_record_of("yemen", seed=7, n_bootstrap=100)
        pd.testing.assert_frame_equal(cached_scores, scores)
        pd.testing.assert_frame_equal(cached_record, record)
    chosen = scenario.from_parameters(round_date="2026-03-01", parties="RU-UA", mediator="Turkey", venue="Istanbul",
                                      level="ministers")
    grid = scenario.grid(chosen)
    assert set(grid["parties"]) == {"RU-UA", "US-RU", "US-UA", "US-RU-UA"} and len(grid) == 12
    steps = predict.predict_round(chosen.round_row(), features.round_features())
    headline = steps[(steps["question"] == "swap_agreed") & (steps["method"] == "headline")].iloc[0]
    cell = grid[(grid["parties"] == "RU-UA") & (grid["level"] == "ministers")].iloc[0]
    assert (cell["p"], cell["lower"], cell["upper"]) == (headline["p"], headline["lower"], headline["upper"])
    assert scenario.grid_table(grid).loc["RU-UA", "ministers"] == present.with_interval(cell["p"], cell["lower"],
                                                                                         cell["upper"])
