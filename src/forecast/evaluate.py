"""Proper scores, calibration tables and the time-ordered (rolling-origin) backtest.

The backtest is the one definition of a time split in the project: a round is forecast from the rounds that
ended before it started (``date_end < date_start``), with at least ``min_history`` of them known. Every
method sees only that training frame and the round's pre-round features (see ``forecast.features``).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from forecast import base_rates, features
from forecast.models import SeparationWarning, fit_logit

LOG_LOSS_EPS = 1e-6
"""Probabilities are clipped to [eps, 1 - eps] before log loss, so a confident miss costs ln(1e6) = 13.8
nats rather than infinity. Every clipping is reported (``ClippingWarning`` and the ``n_clipped`` column)."""

PERSISTENCE_CONFIDENCE = 0.9
"""The persistence method says 0.9 that the last comparable round's outcome repeats (not 1, to keep log loss
finite; the value is a convention, not an estimate)."""

DEFAULT_MIN_HISTORY = 5
"""Rounds that must have ended, with a known outcome, before the backtest forecasts a round."""


class ClippingWarning(UserWarning):
    """Some probabilities were clipped to [eps, 1 - eps] for log loss."""


def _as_arrays(p, y) -> tuple[np.ndarray, np.ndarray]:
    """Validate forecasts ``p`` in [0, 1] and outcomes ``y`` in {0, 1} of equal, non-zero length."""
    p = np.asarray(p, dtype=float).ravel()
    y_raw = np.asarray(pd.Series(y).astype("Float64").to_numpy(dtype=float, na_value=np.nan)).ravel()
    if p.shape != y_raw.shape:
        raise ValueError(f"forecasts and outcomes differ in length: {len(p)} forecasts, {len(y_raw)} outcomes")
    if len(p) == 0:
        raise ValueError("no forecasts to score (empty input)")
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        bad = p[np.isnan(p) | (p < 0) | (p > 1)][0]
        raise ValueError(f"forecast probabilities must lie in [0, 1]; got {bad}")
    if np.isnan(y_raw).any() or not np.isin(y_raw, (0.0, 1.0)).all():
        bad = y_raw[np.isnan(y_raw) | ~np.isin(y_raw, (0.0, 1.0))][0]
        raise ValueError(f"outcomes must be 0/1 (or False/True) with none missing; got {bad}")
    return p, y_raw


def brier_score(p, y) -> float:
    """Mean squared difference between forecast probability and outcome (0 best, 1 worst)."""
    p, y = _as_arrays(p, y)
    return float(np.mean((p - y) ** 2))


def clipped_log_loss(p, y, eps: float = LOG_LOSS_EPS) -> tuple[float, int]:
    """(mean negative log-likelihood in nats after clipping p to [eps, 1 - eps], number of forecasts clipped)."""
    p, y = _as_arrays(p, y)
    if not 0 < eps < 0.5:
        raise ValueError(f"eps must be in (0, 0.5), got {eps}")
    clipped = np.clip(p, eps, 1 - eps)
    return float(-np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped))), int(np.sum(clipped != p))


def log_loss(p, y, eps: float = LOG_LOSS_EPS) -> float:
    """Mean negative log-likelihood in nats, after clipping p to [eps, 1 - eps] (reported by a warning)."""
    value, n_clipped = clipped_log_loss(p, y, eps)
    if n_clipped:
        warnings.warn(f"log_loss clipped {n_clipped} of {len(np.ravel(p))} probabilities to "
                      f"[{eps:g}, {1 - eps:g}]", ClippingWarning, stacklevel=2)
    return value


def brier_skill_score(p, y, p_reference) -> float:
    """1 - Brier(p) / Brier(reference): 0 no better than the reference, 1 perfect, negative worse."""
    reference = brier_score(p_reference, y)
    if reference == 0:
        raise ValueError("the reference forecasts are perfect (Brier 0): skill is undefined")
    return 1 - brier_score(p, y) / reference


def calibration_table(p, y, bins: int | list[float] = 5, level: float = base_rates.DEFAULT_LEVEL) -> pd.DataFrame:
    """Forecasts grouped into probability bins: count, mean forecast, observed frequency with a Jeffreys interval.

    ``bins``: a number of equal-width bins on [0, 1] or explicit edges. Empty bins are kept with count 0 (their
    forecast, frequency and interval are missing, never invented). The interval is Jeffreys' equal-tailed one
    with Brown, Cai and DasGupta's (2001) boundary rule: lower bound 0 when nothing in the bin happened, upper
    bound 1 when everything did, so the interval always contains the observed frequency.
    """
    p, y = _as_arrays(p, y)
    edges = np.linspace(0, 1, bins + 1) if isinstance(bins, int) else np.asarray(bins, dtype=float)
    which = np.clip(np.digitize(p, edges[1:-1], right=False), 0, len(edges) - 2)
    rows = []
    for b in range(len(edges) - 1):
        inside = which == b
        count = int(inside.sum())
        happened = int(y[inside].sum())
        rate = base_rates.beta_rate(happened, count, level=level)
        rows.append({"bin": f"[{edges[b]:.2f}, {edges[b + 1]:.2f}{']' if b == len(edges) - 2 else ')'}",
                     "count": count, "mean_forecast": float(p[inside].mean()) if count else np.nan,
                     "observed": happened / count if count else np.nan,
                     "observed_lower": (0.0 if happened == 0 else rate.lower) if count else np.nan,
                     "observed_upper": (1.0 if happened == count else rate.upper) if count else np.nan})
    return pd.DataFrame(rows)


# --- forecasting methods ---------------------------------------------------------------------------------
# A method takes (history, round) and returns a probability: history holds the earlier rounds with a known
# outcome (time order), round is the pre-round feature row of the round to forecast.

Method = Callable[[pd.DataFrame, pd.Series, str], float]


def _jeffreys_mean(outcomes: pd.Series) -> float:
    """(k + 1/2) / (n + 1): the posterior mean of ``base_rates.beta_rate`` with its default prior, without
    building a scipy distribution (the backtest calls this hundreds of times)."""
    a, b = base_rates.PRIORS["jeffreys"]
    return (float(outcomes.astype(bool).sum()) + a) / (len(outcomes) + a + b)


def base_rate_method(history: pd.DataFrame, round_: pd.Series, outcome: str) -> float:
    """Jeffreys posterior mean of the outcome over all earlier rounds."""
    return _jeffreys_mean(history[outcome])


def reference_class_method(history: pd.DataFrame, round_: pd.Series, outcome: str) -> float:
    """Jeffreys posterior mean over earlier rounds with the same ``parties`` (prior only if none)."""
    return _jeffreys_mean(history.loc[history["parties"] == round_["parties"], outcome])


def persistence_method(history: pd.DataFrame, round_: pd.Series, outcome: str) -> float:
    """The last earlier round with the same parties repeats (probability PERSISTENCE_CONFIDENCE); the base
    rate when there is none."""
    same = history.loc[history["parties"] == round_["parties"], outcome]
    if same.empty:
        return base_rate_method(history, round_, outcome)
    return PERSISTENCE_CONFIDENCE if bool(same.iloc[-1]) else 1 - PERSISTENCE_CONFIDENCE


def coin_method(history: pd.DataFrame, round_: pd.Series, outcome: str) -> float:
    """Always 0.5: the floor any method must beat."""
    return 0.5


DEFAULT_PREDICTORS = "both_sides_at_table + level_rank"
"""Right-hand side of the default logistic model: are both warring sides at the table, and how senior
the delegations are. Chosen a priori (a swap needs both warring sides; rank signals commitment), not by
searching over the backtest."""


def logistic_method(predictors: str = DEFAULT_PREDICTORS) -> Method:
    """A method fitting ``outcome ~ predictors`` on the history (Firth under separation). Falls back to the
    base rate when the history has one outcome class only or the round lacks a predictor."""

    terms = [term.strip() for term in predictors.split("+")]

    def method(history: pd.DataFrame, round_: pd.Series, outcome: str) -> float:
        if any(pd.isna(round_[term]) for term in terms):
            return base_rate_method(history, round_, outcome)
        row = pd.DataFrame({term: [round_[term]] for term in terms})
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SeparationWarning)
                fit = fit_logit(f"{outcome} ~ {predictors}", history)
            return float(fit.predict(row)["p"].iloc[0])
        except ValueError:
            return base_rate_method(history, round_, outcome)

    method.__doc__ = f"Logistic regression on {predictors} (Firth when separated)."
    return method


def default_methods() -> dict[str, Method]:
    """The methods every backtest compares: the base rate first (the reference for skill)."""
    return {"base_rate": base_rate_method, "reference_class": reference_class_method,
            "persistence": persistence_method, "logistic": logistic_method(), "coin": coin_method}


# --- the backtest ----------------------------------------------------------------------------------------

def backtest(outcome: str, frame: pd.DataFrame | None = None, methods: dict[str, Method] | None = None,
             min_history: int = DEFAULT_MIN_HISTORY, progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Rolling-origin backtest of yes/no ``outcome`` over the rounds in time order.

    For each round with a known outcome and at least ``min_history`` earlier rounds (ended before it started,
    outcome known), every method forecasts it from those earlier rounds only. Returns one row per round and
    method: ``round_id``, ``date``, ``parties``, ``method``, ``p``, ``outcome`` (0/1), ``n_history``.
    """
    frame = features.round_features() if frame is None else frame
    if outcome not in frame:
        raise ValueError(f"unknown outcome {outcome!r}; expected one of {', '.join(features.OUTCOMES)}")
    methods = default_methods() if methods is None else methods
    frame = frame.sort_values(["date_start", "round_id"], kind="stable").reset_index(drop=True)
    known = frame[outcome].notna()
    rows = []
    started = time.perf_counter()
    for position in range(len(frame)):
        round_ = frame.iloc[position]
        if not known.iloc[position]:
            continue
        earlier = (frame["date_end"] < round_["date_start"]) & known
        history = frame.loc[earlier]
        if len(history) < min_history:
            continue
        for name, method in methods.items():
            probability = float(method(history, round_, outcome))
            if not 0 <= probability <= 1:
                raise ValueError(f"method {name!r} returned {probability} for {round_['round_id']}")
            rows.append({"round_id": round_["round_id"], "date": round_["date_start"],
                         "parties": str(round_["parties"]), "method": name, "p": probability,
                         "outcome": int(bool(round_[outcome])), "n_history": len(history)})
        if progress is not None:
            progress(f"{outcome}: forecast {round_['round_id']} ({time.perf_counter() - started:.1f}s)")
    return pd.DataFrame(rows, columns=["round_id", "date", "parties", "method", "p", "outcome", "n_history"])


@dataclass(frozen=True)
class ScoreSettings:
    """Bootstrap settings for the skill intervals: resamples of rounds (paired across methods)."""

    n_bootstrap: int = 2000
    level: float = base_rates.DEFAULT_LEVEL
    reference: str = "base_rate"


def score_backtest(forecasts: pd.DataFrame, rng: np.random.Generator, settings: ScoreSettings = ScoreSettings(),
                   eps: float = LOG_LOSS_EPS) -> pd.DataFrame:
    """Scores per method: n, Brier, log loss (with clipped count), Brier skill against the reference method,
    and paired bootstrap intervals (rounds resampled with replacement, ``rng`` given) of the skill and of the
    Brier difference to the reference (negative = better than the base rate)."""
    if forecasts.empty:
        raise ValueError("no backtest forecasts to score (too little history for this outcome?)")
    wide = forecasts.pivot(index="round_id", columns="method", values="p")
    outcomes = forecasts.drop_duplicates("round_id").set_index("round_id")["outcome"].reindex(wide.index)
    if settings.reference not in wide:
        raise ValueError(f"the reference method {settings.reference!r} is not in the backtest")
    y = outcomes.to_numpy(dtype=float)
    reference = wide[settings.reference].to_numpy()
    resamples = rng.integers(0, len(y), size=(settings.n_bootstrap, len(y)))
    tail = (1 - settings.level) / 2
    rows = []
    for name in forecasts["method"].unique():
        p = wide[name].to_numpy()
        loss, n_clipped = clipped_log_loss(p, y, eps)
        ref_sq = (reference[resamples] - y[resamples]) ** 2
        own_sq = (p[resamples] - y[resamples]) ** 2
        with np.errstate(divide="ignore", invalid="ignore"):
            skills = 1 - own_sq.mean(axis=1) / ref_sq.mean(axis=1)
        skills = skills[np.isfinite(skills)]
        differences = own_sq.mean(axis=1) - ref_sq.mean(axis=1)  # Brier(method) - Brier(base rate)
        reference_brier = brier_score(reference, y)
        rows.append({
            "method": name, "n": len(y), "brier": brier_score(p, y),
            "log_loss": loss, "n_clipped": n_clipped,
            "brier_skill_vs_base_rate": 1 - brier_score(p, y) / reference_brier if reference_brier else np.nan,
            "skill_lower": float(np.quantile(skills, tail)) if len(skills) else np.nan,
            "skill_upper": float(np.quantile(skills, 1 - tail)) if len(skills) else np.nan,
            "brier_minus_base_rate": brier_score(p, y) - reference_brier,
            "difference_lower": float(np.quantile(differences, tail)),
            "difference_upper": float(np.quantile(differences, 1 - tail)),
        })
    return pd.DataFrame(rows)


THIRD_ISTANBUL_ROUND = "2025-07-23-istanbul"
"""The named example: the third direct Istanbul round of 2025 (23 July 2025)."""


def forecast_for_round(round_id: str = THIRD_ISTANBUL_ROUND, outcome: str = "swap_agreed",
                       frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """What each method would have forecast for ``round_id`` from the data before it (a backtest slice)."""
    frame = features.round_features() if frame is None else frame
    if round_id not in set(frame["round_id"]):
        raise ValueError(f"unknown round {round_id!r}")
    result = backtest(outcome, frame[frame["date_start"] <= frame.loc[frame["round_id"] == round_id,
                                                                      "date_start"].iloc[0]])
    return result[result["round_id"] == round_id].reset_index(drop=True)
