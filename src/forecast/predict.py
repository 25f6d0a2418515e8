"""Forecasts for a described next round: each question, each step of the reasoning, with intervals.

The steps are the ones the backtest scores: the base rate over all earlier rounds, the reference class
(same parties), and the logistic model on ``evaluate.DEFAULT_PREDICTORS``. Each row also carries that
method's backtest Brier skill against the base rate, so a user sees how far to trust it.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from forecast import base_rates, evaluate, features
from forecast.models import SeparationWarning, fit_logit

QUESTIONS = {
    "swap_agreed": "Will the round agree a prisoner exchange?",
    "ceasefire_agreed": "Will the round agree a partial or general ceasefire (progress >= 2)?",
    "next_round_agreed": "Will the participants agree to meet again?",
}


def predict_round(round_row: pd.DataFrame, history: pd.DataFrame | None = None,
                  level: float = base_rates.DEFAULT_LEVEL) -> pd.DataFrame:
    """One row per question and method: ``question``, ``outcome``, ``step``, ``method``, ``p``, ``lower``,
    ``upper``, ``reference_class``, ``n`` (rounds behind it), ``note``.

    ``round_row``: a one-row frame from ``features.hypothetical_round``. ``history``: the feature frame
    (default: all rounds); only rounds that ended before the round's start are used.
    """
    history = features.round_features() if history is None else history
    target = round_row.iloc[0]
    earlier = history[history["date_end"] < target["date_start"]]
    rows = []
    for outcome, question in QUESTIONS.items():
        known = earlier[earlier[outcome].notna()]
        pooled = base_rates.beta_rate(int(known[outcome].astype(bool).sum()), len(known), level=level)
        rows.append(dict(question=question, outcome=outcome, step=1, method="base_rate", p=pooled.mean,
                         lower=pooled.lower, upper=pooled.upper, reference_class="all earlier rounds",
                         n=len(known), note=f"{pooled.successes} of {pooled.trials} rounds"))
        same = known[known["parties"] == target["parties"]]
        klass = base_rates.beta_rate(int(same[outcome].astype(bool).sum()), len(same), level=level)
        rows.append(dict(question=question, outcome=outcome, step=2, method="reference_class", p=klass.mean,
                         lower=klass.lower, upper=klass.upper, reference_class=f"parties = {target['parties']}",
                         n=len(same), note=f"{klass.successes} of {klass.trials} rounds"))
        formula = f"{outcome} ~ {evaluate.DEFAULT_PREDICTORS}"
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", SeparationWarning)
                fit = fit_logit(formula, known, level=level)
            predicted = fit.predict(round_row).iloc[0]
            note = f"{fit.method} fit on {fit.nobs} rounds"
            if any(issubclass(w.category, SeparationWarning) for w in caught):
                note += f"; separation along {', '.join(fit.separated_terms)}"
            rows.append(dict(question=question, outcome=outcome, step=3, method="logistic", p=predicted["p"],
                             lower=predicted["lower"], upper=predicted["upper"],
                             reference_class=f"model: {evaluate.DEFAULT_PREDICTORS}", n=fit.nobs, note=note))
        except ValueError as error:
            rows.append(dict(question=question, outcome=outcome, step=3, method="logistic", p=np.nan,
                             lower=np.nan, upper=np.nan, reference_class=f"model: {evaluate.DEFAULT_PREDICTORS}",
                             n=len(known), note=f"not fitted: {error}"))
    return pd.DataFrame(rows)


def attach_backtest_skill(predictions: pd.DataFrame, rng: np.random.Generator,
                          history: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add each method's backtest Brier skill vs the base rate (and its interval) for each outcome."""
    history = features.round_features() if history is None else history
    scored = []
    for outcome in predictions["outcome"].unique():
        forecasts = evaluate.backtest(outcome, history)
        if forecasts.empty:
            continue
        scores = evaluate.score_backtest(forecasts, rng)
        scored.append(scores.assign(outcome=outcome)[["outcome", "method", "n", "brier", "brier_skill_vs_base_rate",
                                                      "skill_lower", "skill_upper"]])
    if not scored:
        return predictions
    skill = pd.concat(scored).rename(columns={"n": "backtest_n", "brier": "backtest_brier"})
    return predictions.merge(skill, on=["outcome", "method"], how="left")
