"""Pooling across conflicts: the grid hierarchical model against closed forms, no leakage, and leaving a
conflict out really leaves it out."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecast import features, pooling


@pytest.fixture(scope="module")
def frame():
    return features.round_features(conflict=None)


def test_grid_posterior_is_a_distribution_and_a_new_conflict_gets_its_mean():
    weights = pooling.grid_posterior([3, 5, 1], [20, 30, 10])
    assert weights.sum() == pytest.approx(1) and (weights >= 0).all()
    new = pooling.pooled_rate(0, 0, weights)
    assert new.mean == pytest.approx(np.sum(weights * pooling.MU))
    assert pooling.pooled_mean(0, 0, weights) == pytest.approx(new.mean)
    assert new.lower < new.mean < new.upper


def test_one_grid_point_reduces_to_a_beta_posterior(monkeypatch):
    """With all the hyperprior's mass on one (mu, kappa), a conflict's pooled rate is the Beta posterior
    Beta(k + mu kappa, n - k + (1 - mu) kappa), mean and quantiles."""
    weights = np.zeros_like(pooling.MU)
    point = np.argmin(np.abs(pooling.MU - 0.2) + np.abs(np.log(pooling.KAPPA) - np.log(10)))
    weights[point] = 1
    mu, kappa = pooling.MU[point], pooling.KAPPA[point]
    rate = pooling.pooled_rate(4, 17, weights, level=0.9)
    posterior = stats.beta(4 + mu * kappa, 13 + (1 - mu) * kappa)
    assert rate.mean == pytest.approx(posterior.mean(), abs=1e-12)
    assert rate.lower == pytest.approx(posterior.ppf(0.05), abs=2e-3)  # interpolated on an 801-point grid
    assert rate.upper == pytest.approx(posterior.ppf(0.95), abs=2e-3)


def test_pooled_rate_lies_between_the_conflicts_own_rate_and_the_others(frame):
    moves = pooling.estimate_moves("swap_agreed", frame).set_index(["conflict", "step"])
    for conflict in moves.index.get_level_values("conflict").unique():
        own, pooled, new = (moves.loc[(conflict, step), "mean"] for step in (2, 3, 4))
        assert min(own, new) - 1e-9 <= pooled <= max(own, new) + 1e-9, conflict
    assert (moves["lower"] <= moves["mean"]).all() and (moves["mean"] <= moves["upper"]).all()


def test_no_leakage_and_leaving_a_conflict_out_ignores_it(frame):
    forecasts = pooling.pooled_forecasts(frame, "swap_agreed")
    cut = pd.Timestamp("2025-01-01")
    changed = frame.copy()
    later = changed["date_start"] >= cut
    changed.loc[later, "swap_agreed"] = ~changed.loc[later, "swap_agreed"].astype("boolean")
    again = pooling.pooled_forecasts(changed, "swap_agreed")
    keys = ["target", "method", "scheme"]
    earlier = forecasts[forecasts["date"] < cut].merge(again, on=keys, suffixes=("", "_again"))
    assert len(earlier) > 0 and np.array_equal(earlier["p"].to_numpy(), earlier["p_again"].to_numpy())
    # flipping every Yemen outcome leaves every leave-one-out forecast for Yemen's rounds unchanged
    flipped = frame.copy()
    yemen = flipped["conflict"] == "yemen"
    flipped.loc[yemen, "swap_agreed"] = ~flipped.loc[yemen, "swap_agreed"].astype("boolean")
    loo = lambda f: f[(f["scheme"] == "leave_one_conflict_out") & (f["conflict"] == "yemen")].set_index(["target", "method"])["p"]
    before, after = loo(forecasts), loo(pooling.pooled_forecasts(flipped, "swap_agreed"))
    assert len(before) > 0
    pd.testing.assert_series_equal(before.sort_index(), after.sort_index())


def test_pooling_scores_recompute_from_the_forecasts(frame):
    forecasts = pooling.pooled_forecasts(frame, "ceasefire_agreed")
    scores = pooling.pooling_scores(forecasts, np.random.default_rng(1), 200)
    overall = scores[scores["conflict"] == "all conflicts"].set_index(["scheme", "method"])
    for (scheme, method), group in forecasts.groupby(["scheme", "method"]):
        assert overall.loc[(scheme, method), "brier"] == pytest.approx(np.mean((group["p"] - group["outcome"]) ** 2))
    assert overall.loc[("within", "base_rate"), "skill"] == 0
    assert overall.loc[("leave_one_conflict_out", "no_history"), "brier"] == pytest.approx(0.25)
