"""Logistic models: closed forms, the published Firth reference, separation handling, ordinal fits."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import special

from forecast import models, paths
from forecast.models import SeparationWarning, fit_logit

ENDOMETRIAL = paths.PROJECT_ROOT / "tests" / "fixtures" / "endometrial.csv"
# Heinze and Schemper (2002), Statistics in Medicine 21: 2409-2419, Firth estimates (also R logistf):
PUBLISHED_FIRTH = {"Intercept": 3.77456, "NV": 2.92927, "PI": -0.03475, "EH": -2.60416}


def test_intercept_only_logit_is_logit_of_the_mean():
    frame = pd.DataFrame({"y": [1, 0, 0, 1, 1, 1, 0, 1, 1, 0]})
    fit = fit_logit("y ~ 1", frame)
    assert fit.method == "mle"
    assert fit.params["Intercept"] == pytest.approx(special.logit(0.6), abs=1e-6)


def test_binary_predictor_slope_is_log_odds_ratio():
    # 2x2 table: x=1: 6 yes, 2 no; x=0: 3 yes, 5 no.
    frame = pd.DataFrame({"x": [1] * 8 + [0] * 8, "y": [1] * 6 + [0] * 2 + [1] * 3 + [0] * 5})
    fit = fit_logit("y ~ x", frame)
    assert fit.params["x"] == pytest.approx(np.log((6 / 2) / (3 / 5)), abs=1e-6)
    assert fit.bse["x"] == pytest.approx(np.sqrt(1 / 6 + 1 / 2 + 1 / 3 + 1 / 5), abs=1e-5)


def test_firth_matches_published_endometrial_estimates():
    frame = pd.read_csv(ENDOMETRIAL)
    with pytest.warns(SeparationWarning, match="along NV"):
        fit = fit_logit("HG ~ NV + PI + EH", frame)
    assert fit.method == "firth" and fit.separated_terms == ["NV"]
    for term, published in PUBLISHED_FIRTH.items():
        assert round(fit.params[term], 3) == round(published, 3)
        assert fit.params[term] == pytest.approx(published, abs=5e-4)


def test_plain_mle_on_endometrial_is_flagged_unstable():
    frame = pd.read_csv(ENDOMETRIAL)
    with pytest.raises(ValueError, match="unstable"):
        fit_logit("HG ~ NV + PI + EH", frame, method="mle")


def test_separated_toy_table_fits_with_warning_and_finite_estimates():
    frame = pd.DataFrame({"x": [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1], "y": [0, 0, 0, 1, 0, 0, 1, 1, 1, 1, 1, 1]})
    with pytest.warns(SeparationWarning, match="separation in 'y ~ x' along x"):
        fit = fit_logit("y ~ x", frame)
    assert fit.method == "firth" and np.all(np.isfinite(fit.params)) and fit.bse.max() < 10
    prediction = fit.predict(pd.DataFrame({"x": [1, 0]}))
    assert 0.5 < prediction["p"].iloc[0] < 1 and prediction["p"].iloc[1] < 0.5
    assert (prediction["lower"] < prediction["p"]).all() and (prediction["p"] < prediction["upper"]).all()


def test_firth_one_variable_closed_form():
    # Firth for a 2x2 table equals adding 1/2 to every cell (Firth 1993).
    frame = pd.DataFrame({"x": [1] * 5 + [0] * 7, "y": [1] * 5 + [1] * 2 + [0] * 5})
    fit = fit_logit("y ~ x", frame, method="firth")
    assert fit.params["x"] == pytest.approx(np.log((5.5 / 0.5) / (2.5 / 5.5)), abs=1e-6)


def test_separation_linear_programme():
    X = np.column_stack([np.ones(6), [0, 0, 0, 1, 1, 1], [0.3, 0.1, 0.5, 0.2, 0.4, 0.6]])
    assert models.separating_terms(X, np.array([0, 0, 0, 1, 1, 1]), ["const", "a", "b"]) != []
    assert models.separating_terms(X, np.array([0, 1, 0, 1, 0, 1]), ["const", "a", "b"]) == []


def test_one_class_and_empty_training_sets_raise():
    with pytest.raises(ValueError, match="one class only"):
        fit_logit("y ~ x", pd.DataFrame({"x": [0, 1, 2], "y": [1, 1, 1]}))
    with pytest.raises(ValueError, match="no rows with a known outcome"):
        fit_logit("y ~ x", pd.DataFrame({"x": [0.0, 1.0], "y": [np.nan, np.nan]}))


def test_unknown_category_in_prediction_is_a_clear_error():
    frame = pd.DataFrame({"g": list("aabbaabb"), "y": [0, 1, 1, 0, 1, 0, 0, 1]})
    fit = fit_logit("y ~ C(g)", frame)
    with pytest.raises(ValueError, match="cannot predict with 'y ~ C\\(g\\)'.*'zz'"):
        fit.predict(pd.DataFrame({"g": ["zz"]}))


def test_boolean_outcome_column_is_accepted():
    frame = pd.DataFrame({"x": [0, 1] * 6, "y": pd.array([True, False, False, True, True, True,
                                                          False, True, False, False, True, True], dtype="boolean")})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = fit_logit("y ~ x", frame)
    assert fit.nobs == 12


def test_ordinal_model_probabilities_sum_to_one_and_follow_the_predictor():
    rng = np.random.default_rng(7)
    x = rng.normal(size=200)
    latent = 1.5 * x + rng.logistic(size=200)
    frame = pd.DataFrame({"x": x, "progress": np.digitize(latent, [-1, 1, 2.5])})
    fit = models.fit_ordinal("progress ~ x", frame)
    assert fit.levels == [0, 1, 2, 3]
    assert fit.result.params["x"] == pytest.approx(1.5, abs=0.4)
    probabilities = fit.predict(pd.DataFrame({"x": [-2.0, 2.0]}))
    assert np.allclose(probabilities.sum(axis=1), 1)
    assert probabilities["p_0"].iloc[0] > probabilities["p_0"].iloc[1]
    with pytest.raises(ValueError, match="fewer than two levels"):
        models.fit_ordinal("progress ~ x", frame.assign(progress=1))


def test_prediction_of_a_row_with_a_missing_predictor_is_nan_not_misaligned():
    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "y": [0, 0, 1, 0, 1, 1]})
    fit = fit_logit("y ~ x", frame)
    new = pd.DataFrame({"x": [1.0, np.nan, 4.0]}, index=[10, 11, 12])
    predicted = fit.predict(new)
    assert list(predicted.index) == [10, 11, 12] and np.isnan(predicted.loc[11, "p"])
    assert predicted.loc[12, "p"] == pytest.approx(fit.predict(pd.DataFrame({"x": [4.0]}))["p"].iloc[0])
