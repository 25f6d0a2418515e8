"""Base rates against closed forms and scipy."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecast import base_rates
from forecast.base_rates import beta_rate, event_rate, rates_by


@pytest.mark.parametrize("k, n, prior, a, b", [(3, 3, "jeffreys", 0.5, 0.5), (0, 7, "uniform", 1, 1),
                                               (4, 11, (2.0, 3.0), 2, 3), (0, 0, "jeffreys", 0.5, 0.5)])
def test_beta_rate_matches_closed_form_and_scipy(k, n, prior, a, b):
    rate = beta_rate(k, n, prior=prior, level=0.9)
    assert rate.mean == pytest.approx((k + a) / (n + a + b), abs=1e-12)
    assert rate.lower == pytest.approx(stats.beta.ppf(0.05, k + a, n - k + b), abs=1e-12)
    assert rate.upper == pytest.approx(stats.beta.ppf(0.95, k + a, n - k + b), abs=1e-12)
    assert rate.lower < rate.mean < rate.upper


def test_beta_rate_interval_widens_with_level():
    narrow, wide = beta_rate(5, 10, level=0.5), beta_rate(5, 10, level=0.95)
    assert wide.lower < narrow.lower and wide.upper > narrow.upper


@pytest.mark.parametrize("args, message", [((5, 3), "successes <= trials"), ((-1, 3), "successes <= trials")])
def test_beta_rate_rejects_impossible_counts(args, message):
    with pytest.raises(ValueError, match=message):
        beta_rate(*args)


def test_beta_rate_rejects_bad_prior_and_level():
    with pytest.raises(ValueError, match="unknown prior 'haldane'"):
        beta_rate(1, 2, prior="haldane")
    with pytest.raises(ValueError, match="a > 0 and b > 0"):
        beta_rate(1, 2, prior=(0, 1))
    with pytest.raises(ValueError, match="level must be between 0 and 1"):
        beta_rate(1, 2, level=1.5)


def test_rates_by_groups_and_pools():
    frame = pd.DataFrame({"parties": ["RU-UA"] * 4 + ["US-RU"] * 3,
                          "swap_agreed": pd.array([True, True, False, None, False, False, False], dtype="boolean")})
    table = rates_by(frame, "swap_agreed", by="parties").set_index("group")
    assert list(table.index) == ["RU-UA", "US-RU", "all"]
    assert table.loc["RU-UA", ["successes", "trials", "unknown"]].tolist() == [2, 3, 1]
    assert table.loc["all", "trials"] == 6
    assert table.loc["US-RU", "mean"] == pytest.approx(0.5 / 4)
    assert table.loc["all", "mean"] == pytest.approx(beta_rate(2, 6).mean)


def test_rates_by_where_and_callable_grouping():
    frame = pd.DataFrame({"year": [2022, 2022, 2025, 2025], "x": [True, False, True, True]})
    table = rates_by(frame, "x", by=lambda f: f["year"] * 1, where="year > 2022")
    assert table["group"].tolist() == ["2025", "all"] and table["trials"].tolist() == [2, 2]
    with pytest.raises(ValueError, match="unknown outcome column 'y'"):
        rates_by(frame, "y")


def test_event_rate_closed_form():
    dates = pd.to_datetime(["2025-01-10", "2025-02-01", "2025-03-01", "2024-12-01"])
    rate = event_rate(dates, "2025-01-01", "2025-04-01", prior=(0.5, 0.0))
    window = (pd.Timestamp("2025-04-01") - pd.Timestamp("2025-01-01")).days  # 90 days
    assert rate.events == 3 and rate.exposure_days == window
    mean30, low30, high30 = rate.per(30)
    assert mean30 == pytest.approx(30 * 3.5 / window)
    assert low30 == pytest.approx(30 * stats.gamma.ppf(0.05, 3.5, scale=1 / window))
    p, low, high = rate.prob_at_least_one(30)
    assert p == pytest.approx(1 - (window / (window + 30)) ** 3.5)  # negative binomial predictive
    assert low == pytest.approx(1 - math.exp(-low30)) and high == pytest.approx(1 - math.exp(-high30))
    assert rate.prob_at_least_one(0)[0] == 0


def test_event_rate_recency_weighting_halves_an_old_event():
    rate = event_rate(pd.to_datetime(["2025-01-01", "2025-03-02"]), "2025-01-01", "2025-03-02",
                      prior=(0.5, 0.0), half_life_days=60)
    assert rate.events == pytest.approx(1.5)  # the old event is one half-life back
    assert rate.exposure_days == pytest.approx(60 / math.log(2) * 0.5)


def test_event_rate_rejects_empty_window():
    with pytest.raises(ValueError, match="must end after it starts"):
        event_rate([], "2025-01-02", "2025-01-01")


def test_recency_weights_without_half_life_are_ones():
    assert np.all(base_rates.recency_weights(pd.Series(pd.to_datetime(["2020-01-01"])), "2025-01-01", None) == 1)
