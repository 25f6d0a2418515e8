"""Forecasts for a described next round: each question, each step of the reasoning, with intervals.

The steps are the ones the backtest scores: the base rate over all earlier rounds, the reference class
(same parties), and the logistic model on ``evaluate.DEFAULT_PREDICTORS``. Each row also carries that
method's backtest Brier skill against the base rate, so a user sees how far to trust it.

No number without backing: a round dated before the first round in the tables is refused
(``RefusedForecast``); a step that has nothing to stand on (an empty reference class, a model that cannot be
fitted or lacks a predictor) shows the base rate instead, as the backtest does, and says so in ``warning``;
a round dated after the data's last day gets a warning saying how stale the data are (``date_warnings``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from forecast import base_rates, evaluate, features
from forecast.errors import RefusedForecast
from forecast.models import SeparationWarning, fit_logit

QUESTIONS = {
    "swap_agreed": "Will the round agree a prisoner exchange?",
    "ceasefire_agreed": "Will the round agree a partial or general ceasefire (progress >= 2)?",
    "next_round_agreed": "Will the participants agree to meet again?",
}

STALE_AFTER_DAYS = 30
"""A forecast dated more than this many days after the data's last event warns that the data may be stale."""


def date_warnings(day: pd.Timestamp, history: pd.DataFrame, last_day: pd.Timestamp | None = None) -> list[str]:
    """Refuse a round dated before the first round (RefusedForecast); warn when it lies after the data's last
    day (``last_day``: the last event in the tables, default the last round's end)."""
    day = pd.Timestamp(day)
    first = history["date_start"].min()
    if pd.isna(first) or day <= first:
        raise RefusedForecast(f"a round on {day:%Y-%m-%d} comes before any round in the data (the first began "
                              f"{first:%Y-%m-%d}); there is no history to forecast it from")
    last_day = history["date_end"].max() if last_day is None else pd.Timestamp(last_day)
    stale = (day - last_day).days
    if stale > STALE_AFTER_DAYS:
        return [f"the data end on {last_day:%Y-%m-%d}, {stale} days before this round: anything that happened "
                "since (rounds, exchanges) is not in these forecasts"]
    return []


def predict_round(round_row: pd.DataFrame, history: pd.DataFrame | None = None,
                  level: float = base_rates.DEFAULT_LEVEL) -> pd.DataFrame:
    """One row per question and method: ``question``, ``outcome``, ``step``, ``method``, ``p``, ``lower``,
    ``upper``, ``reference_class``, ``n`` (rounds behind it), ``note``, ``warning`` (empty, or why the step
    shows the base rate instead of its own estimate).

    ``round_row``: a one-row frame from ``features.hypothetical_round``. ``history``: the feature frame
    (default: all rounds); only rounds that ended before the round's start are used. A round dated before the
    first round raises RefusedForecast.
    """
    history = features.round_features() if history is None else history
    target = round_row.iloc[0]
    date_warnings(target["date_start"], history)
    earlier = history[history["date_end"] < target["date_start"]]
    terms = [term.strip() for term in evaluate.DEFAULT_PREDICTORS.split("+")]
    rows = []
    for outcome, question in QUESTIONS.items():
        known = earlier[earlier[outcome].notna()]
        if known.empty:
            raise RefusedForecast(f"no earlier round has a known {outcome}; there is nothing to forecast from")
        pooled = base_rates.beta_rate(int(known[outcome].astype(bool).sum()), len(known), level=level)
        base = dict(question=question, outcome=outcome, p=pooled.mean, lower=pooled.lower, upper=pooled.upper)
        rows.append(dict(base, step=1, method="base_rate", reference_class="all earlier rounds", n=len(known),
                         note=f"{pooled.successes} of {pooled.trials} rounds", warning=""))
        same = known[known["parties"] == target["parties"]]
        step2 = dict(question=question, outcome=outcome, step=2, method="reference_class",
                     reference_class=f"parties = {target['parties']}", n=len(same))
        if same.empty:
            rows.append(dict(base, **step2, note="no earlier rounds in this class",
                             warning=f"no earlier {target['parties']} round has a known {outcome}: "
                                     "showing the all-rounds base rate"))
        else:
            klass = base_rates.beta_rate(int(same[outcome].astype(bool).sum()), len(same), level=level)
            rows.append(dict(step2, p=klass.mean, lower=klass.lower, upper=klass.upper,
                             note=f"{klass.successes} of {klass.trials} rounds", warning=""))
        step3 = dict(question=question, outcome=outcome, step=3, method="logistic",
                     reference_class=f"model: {evaluate.DEFAULT_PREDICTORS}")
        missing = [term for term in terms if pd.isna(target[term])]
        if missing:
            rows.append(dict(base, **step3, n=len(known), note="not fitted",
                             warning=f"the logistic model needs {', '.join(missing)}, which the round lacks: "
                                     "showing the base rate (as the backtest does)"))
            continue
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", SeparationWarning)
                fit = fit_logit(f"{outcome} ~ {evaluate.DEFAULT_PREDICTORS}", known, level=level)
            predicted = fit.predict(round_row).iloc[0]
        except ValueError as error:
            rows.append(dict(base, **step3, n=len(known), note="not fitted",
                             warning=f"the logistic model could not be fitted ({error}): showing the base rate "
                                     "(as the backtest does)"))
            continue
        note = f"{fit.method} fit on {fit.nobs} rounds"
        if any(issubclass(w.category, SeparationWarning) for w in caught):
            note += f"; separation along {', '.join(fit.separated_terms)}"
        rows.append(dict(step3, p=predicted["p"], lower=predicted["lower"], upper=predicted["upper"], n=fit.nobs,
                         note=note, warning=""))
    return pd.DataFrame(rows)


def forecast_warnings(predictions: pd.DataFrame, round_row: pd.DataFrame, history: pd.DataFrame,
                      last_day: pd.Timestamp | None = None) -> list[str]:
    """Every warning a user must see beside these forecasts: stale data, then each step shown as a fallback."""
    found = date_warnings(round_row.iloc[0]["date_start"], history, last_day)
    flagged = predictions[predictions["warning"] != ""]
    found += [f"{row.outcome}, step {row.step} ({row.method}): {row.warning}" for row in flagged.itertuples()]
    return found


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
