"""Scores against closed forms, calibration tables, and the rolling-origin backtest (no leakage)."""

import numpy as np
import pandas as pd
import pytest

from forecast import evaluate, features, methods
from forecast.evaluate import ClippingWarning, brier_score, brier_skill_score, calibration_table, log_loss
from forecast.synthetic import synthetic_tables


@pytest.mark.parametrize("p_rate, q", [(0.3, 0.3), (0.3, 0.5), (0.7, 0.1), (0.5, 0.9)])
def test_constant_forecast_brier_closed_form(p_rate, q):
    y = np.array([1] * int(p_rate * 10) + [0] * (10 - int(p_rate * 10)))
    assert brier_score(np.full(10, q), y) == pytest.approx(p_rate * (1 - q) ** 2 + (1 - p_rate) * q ** 2)


def test_brier_is_smallest_at_the_base_rate():
    y = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    grid = np.linspace(0, 1, 101)
    best = grid[np.argmin([brier_score(np.full(10, q), y) for q in grid])]
    assert best == pytest.approx(0.3)


def test_skill_of_reference_against_itself_is_zero_and_perfect_scores_zero():
    y = np.array([1, 0, 0, 1, 0])
    base = np.full(5, 0.4)
    assert brier_skill_score(base, y, base) == 0
    assert brier_score(y.astype(float), y) == 0
    assert brier_skill_score(y.astype(float), y, base) == 1


def test_log_loss_closed_form_and_reported_clipping():
    y = np.array([1, 0])
    assert log_loss([0.8, 0.4], y) == pytest.approx(-(np.log(0.8) + np.log(0.6)) / 2)
    with pytest.warns(ClippingWarning, match="clipped 2 of 2"):
        value = log_loss([1.0, 0.0], y, eps=1e-6)
    assert value == pytest.approx(-np.log(1 - 1e-6))


@pytest.mark.parametrize("p, y, message", [
    ([0.2, 1.3], [0, 1], "must lie in \\[0, 1\\]; got 1.3"),
    ([-0.1], [0], "must lie in \\[0, 1\\]; got -0.1"),
    ([0.2, 0.3], [0, 1, 1], "differ in length: 2 forecasts, 3 outcomes"),
    ([], [], "empty input"),
    ([0.2], [2], "outcomes must be 0/1"),
])
def test_bad_score_inputs_raise_clear_value_errors(p, y, message):
    with pytest.raises(ValueError, match=message):
        brier_score(p, y)


def test_calibration_table_counts_per_bin():
    p = np.array([0.05, 0.1, 0.3, 0.35, 0.9, 0.95, 1.0])
    y = np.array([0, 0, 1, 0, 1, 1, 1])
    table = calibration_table(p, y, bins=[0, 0.2, 0.5, 1.0])
    assert table["count"].tolist() == [2, 2, 3]
    assert table["observed"].tolist() == [0.0, 0.5, 1.0]
    assert table["mean_forecast"].iloc[2] == pytest.approx(0.95)
    assert calibration_table(p, y, bins=5)["count"].sum() == 7


def synthetic_frame(n=40, seed=3):
    rounds, exchanges = synthetic_tables(n, np.random.default_rng(seed))
    return features.round_features(rounds, exchanges)


def test_backtest_uses_only_earlier_rounds_and_scores_every_method():
    frame = synthetic_frame()
    forecasts = evaluate.backtest("swap_agreed", frame, min_history=5)
    assert set(forecasts["method"]) == {*methods.binary_candidates(), "select_best", "headline", "coin"}
    assert forecasts["p"].between(0, 1).all()
    first = forecasts.iloc[0]
    starts = frame.set_index("round_id")["date_start"]
    ended_before = (frame["date_end"] < starts[first["round_id"]]).sum()
    assert first["n_history"] == ended_before >= 5
    base = forecasts[forecasts["method"] == "base_rate"].reset_index(drop=True)
    for _, row in base.iterrows():  # the base rate equals the Jeffreys mean of exactly the earlier outcomes
        earlier = frame[frame["date_end"] < row["date"]]["swap_agreed"].astype(bool)
        assert row["p"] == pytest.approx((earlier.sum() + 0.5) / (len(earlier) + 1))


@pytest.mark.parametrize("cut", [8, 20, 38])
def test_no_leakage_changing_outcomes_at_or_after_t_leaves_forecast_for_t(cut):
    rounds, exchanges = synthetic_tables(40, np.random.default_rng(3))
    changed = rounds.copy()
    changed.loc[cut:, "swap_agreed"] = ~changed.loc[cut:, "swap_agreed"]
    changed.loc[cut:, "next_round_agreed"] = ~changed.loc[cut:, "next_round_agreed"]
    changed.loc[cut:, "ceasefire_progress"] = 3 - changed.loc[cut:, "ceasefire_progress"]
    before = evaluate.backtest("swap_agreed", features.round_features(rounds, exchanges))
    after = evaluate.backtest("swap_agreed", features.round_features(changed, exchanges))
    target = rounds["round_id"].iloc[cut]
    kept = before[before["round_id"] == target].set_index("method")["p"]
    again = after[after["round_id"] == target].set_index("method")["p"]
    pd.testing.assert_series_equal(kept, again)
    # The change was real: the outcome of t flipped and a later forecast moved, so this test could fail.
    assert (before.loc[before["round_id"] == target, "outcome"].iloc[0]
            != after.loc[after["round_id"] == target, "outcome"].iloc[0])
    later = before["date"] > before.loc[before["round_id"] == target, "date"].iloc[0]
    assert not np.allclose(before.loc[later, "p"].to_numpy(), after.loc[later, "p"].to_numpy())


def test_score_backtest_reference_skill_is_zero_and_interval_brackets():
    forecasts = evaluate.backtest("swap_agreed", synthetic_frame(60))
    scores = evaluate.score_backtest(forecasts, np.random.default_rng(1)).set_index("method")
    assert scores.loc["base_rate", "brier_skill_vs_base_rate"] == 0
    assert scores.loc["base_rate", ["skill_lower", "skill_upper"]].tolist() == [0, 0]
    coin = scores.loc["coin"]
    assert coin["brier"] == pytest.approx(0.25)
    assert coin["skill_lower"] <= coin["brier_skill_vs_base_rate"] <= coin["skill_upper"]
    # the bootstrap is reproducible from the generator it is given
    again = evaluate.score_backtest(forecasts, np.random.default_rng(1)).set_index("method")
    pd.testing.assert_frame_equal(scores, again)


def test_backtest_rejects_unknown_outcome():
    with pytest.raises(ValueError, match="unknown outcome 'peace'"):
        evaluate.backtest("peace", synthetic_frame())


def test_brier_difference_interval_is_paired_and_zero_for_the_reference():
    forecasts = evaluate.backtest("swap_agreed", synthetic_frame(60))
    scores = evaluate.score_backtest(forecasts, np.random.default_rng(2)).set_index("method")
    assert scores.loc["base_rate", ["brier_minus_base_rate", "difference_lower", "difference_upper"]].tolist() == [0, 0, 0]
    coin = scores.loc["coin"]
    assert coin["brier_minus_base_rate"] == pytest.approx(coin["brier"] - scores.loc["base_rate", "brier"])
    assert coin["difference_lower"] <= coin["brier_minus_base_rate"] <= coin["difference_upper"]


def test_named_example_third_istanbul_round_uses_only_earlier_rounds():
    frame = features.round_features()
    example = evaluate.forecast_for_round(evaluate.THIRD_ISTANBUL_ROUND, "swap_agreed", frame)
    assert set(example["method"]) == {*methods.binary_candidates(), "select_best", "headline", "coin"}
    assert (example["round_id"] == "2025-07-23-istanbul").all() and (example["outcome"] == 1).all()
    ended_before = frame[(frame["date_end"] < pd.Timestamp("2025-07-23")) & frame["swap_agreed"].notna()]
    assert (example["n_history"] == len(ended_before)).all()
    base = example.set_index("method").loc["base_rate", "p"]
    assert base == pytest.approx((ended_before["swap_agreed"].sum() + 0.5) / (len(ended_before) + 1))
