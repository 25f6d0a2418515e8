"""Proper scores, calibration tables, and the track record of every question the suite answers.

The time split is defined once, in ``forecast.methods``: a round is forecast from the rounds of its conflict that
ended before it started (``date_end < date_start``), with at least ``min_history`` of them known; an exchange
question at an origin from the exchanges up to that day. This module scores those forecasts against a naive
reference (the base rate for per-round questions, climatology for the others) with bootstrap intervals that
respect the data's dependence: rounds that belong to one event (overlapping dates) are resampled together, and
exchange origins in moving blocks as long as the horizon.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast import base_rates, defaults, features, methods

LOG_LOSS_EPS = defaults.LOG_LOSS_EPS
"""Probabilities are clipped to [eps, 1 - eps] before log loss, so a confident miss costs ln(1e6) = 13.8
nats rather than infinity. Every clipping is reported (``ClippingWarning`` and the ``n_clipped`` column)."""

DEFAULT_MIN_HISTORY = defaults.MIN_HISTORY
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
    return float(methods.log_loss_values(p, y, eps).mean()), int(np.sum(clipped != p))


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


MIN_FILLED_BINS = 3
"""A reliability diagram needs at least this many bins with forecasts in them to show a relationship."""

MIN_BIN_COUNT = 5
"""... each holding at least this many forecasts; otherwise reports show the per-event table instead."""


def bins_are_sparse(calibration: pd.DataFrame) -> bool:
    """True when a ``calibration_table`` has fewer than ``MIN_FILLED_BINS`` bins of ``MIN_BIN_COUNT`` forecasts
    or more: a diagram of it would be two or three points, and the per-event table says more."""
    return int((calibration["count"] >= MIN_BIN_COUNT).sum()) < MIN_FILLED_BINS


# --- backtests ---------------------------------------------------------------------------------------------

def event_clusters(frame: pd.DataFrame) -> pd.Series:
    """An event id per round: rounds whose dates overlap or touch (start within a day of an earlier round's end, any
    parties) belong to one event, e.g. the 23 and 24 March 2025 Riyadh meetings. The bootstrap resamples events."""
    order = frame.sort_values(["date_start", "round_id"], kind="stable")
    event, latest_end, ids = -1, None, {}
    for round_id, start, end in zip(order["round_id"], order["date_start"], order["date_end"]):
        if latest_end is None or start > latest_end + pd.Timedelta(days=1):
            event += 1
            latest_end = end
        else:
            latest_end = max(latest_end, end)
        ids[round_id] = event
    return frame["round_id"].map(ids)


def backtest(outcome: str, frame: pd.DataFrame | None = None, min_history: int = DEFAULT_MIN_HISTORY) -> pd.DataFrame:
    """Rolling-origin backtest of yes/no ``outcome`` over the rounds in time order (``methods.binary_backtest``),
    plus ``coin`` (always 0.5, the floor any method must beat). One row per round and method: ``round_id``,
    ``date``, ``parties``, ``both_sides_at_table``, ``event``, ``method``, ``p``, ``outcome`` (0/1),
    ``n_history``, ``chosen``."""
    frame = features.round_features() if frame is None else frame
    if outcome not in methods.BINARY_QUESTIONS or outcome not in frame:
        raise ValueError(f"unknown outcome {outcome!r}; expected one of {', '.join(methods.BINARY_QUESTIONS)}")
    forecasts = methods.binary_backtest(frame, outcome, min_history)
    coin = forecasts[forecasts["method"] == "base_rate"].assign(method="coin", p=0.5, chosen="coin")
    forecasts = pd.concat([forecasts, coin], ignore_index=True).rename(columns={"target": "round_id"})
    return forecasts.assign(event=forecasts["round_id"].map(dict(zip(frame["round_id"], event_clusters(frame)))))


@dataclass(frozen=True)
class ScoreSettings:
    """Bootstrap settings for the skill intervals: resamples (paired across methods) and the interval mass."""

    n_bootstrap: int = defaults.N_BOOTSTRAP
    level: float = defaults.INTERVAL_LEVEL
    reference: str = "base_rate"


def resample_weights(groups: np.ndarray, rng: np.random.Generator, n_bootstrap: int, block: int = 1) -> np.ndarray:
    """Bootstrap resamples as weights (n_bootstrap x targets: how often each target is drawn). Whole groups
    (events) are drawn with replacement; with ``block`` > 1, moving blocks of ``block`` consecutive targets (for
    overlapping exchange windows), as many blocks as cover the targets."""
    n = len(groups)
    if block > 1:
        blocks = int(np.ceil(n / block))
        starts = rng.integers(0, max(n - block + 1, 1), size=(n_bootstrap, blocks))
        edges = np.zeros((n_bootstrap, n + 1))
        rows = np.repeat(np.arange(n_bootstrap), blocks)
        np.add.at(edges, (rows, starts.ravel()), 1)
        np.add.at(edges, (rows, np.minimum(starts.ravel() + block, n)), -1)
        return np.cumsum(edges, axis=1)[:, :n]
    labels, members = np.unique(groups, return_inverse=True)
    if len(labels) == 0:
        return np.zeros((n_bootstrap, 0))
    # drawing len(labels) groups with replacement = multinomial counts with equal cell probabilities
    counts = rng.multinomial(len(labels), np.full(len(labels), 1 / len(labels)), size=n_bootstrap)
    return counts[:, members].astype(float)


def _skill_interval(own: np.ndarray, reference: np.ndarray, weights: np.ndarray, level: float) -> tuple[float, float]:
    """Equal-tailed bootstrap interval of 1 - mean(own loss) / mean(reference loss) over paired resamples
    (``weights`` from ``resample_weights``); resamples where the reference scores 0 are left out."""
    denominator = weights @ reference
    usable = denominator > 0
    if not usable.any():
        return np.nan, np.nan
    numerator = weights @ own  # the same product as the denominator's, so the reference's skill is exactly 0
    skills = (denominator[usable] - numerator[usable]) / denominator[usable]
    tail = (1 - level) / 2
    return float(np.quantile(skills, tail)), float(np.quantile(skills, 1 - tail))


def score_backtest(forecasts: pd.DataFrame, rng: np.random.Generator, settings: ScoreSettings = ScoreSettings(),
                   eps: float = LOG_LOSS_EPS) -> pd.DataFrame:
    """Scores per method of a yes/no backtest: n, Brier, log loss (with clipped count), Brier skill against the
    reference method, and paired bootstrap intervals of the skill and of the Brier difference to the reference
    (negative = better than the base rate). Rounds are resampled by ``event`` when the column is there."""
    if forecasts.empty:
        raise ValueError("no backtest forecasts to score (too little history for this outcome?)")
    wide = forecasts.pivot(index="round_id", columns="method", values="p")
    first = forecasts.drop_duplicates("round_id").set_index("round_id").reindex(wide.index)
    if settings.reference not in wide:
        raise ValueError(f"the reference method {settings.reference!r} is not in the backtest")
    y = first["outcome"].to_numpy(dtype=float)
    groups = first["event"].to_numpy() if "event" in first else np.arange(len(y))
    samples = resample_weights(groups, rng, settings.n_bootstrap)
    reference = wide[settings.reference].to_numpy()
    reference_sq = (reference - y) ** 2
    reference_brier = float(reference_sq.mean())
    tail = (1 - settings.level) / 2
    rows = []
    for name in forecasts["method"].unique():
        p = wide[name].to_numpy()
        own_sq = (p - y) ** 2
        loss, n_clipped = clipped_log_loss(p, y, eps)
        low, high = _skill_interval(own_sq, reference_sq, samples, settings.level)
        differences = (samples @ (own_sq - reference_sq)) / samples.sum(axis=1)
        rows.append({
            "method": name, "n": len(y), "brier": float(own_sq.mean()), "log_loss": loss, "n_clipped": n_clipped,
            "brier_skill_vs_base_rate": 1 - own_sq.mean() / reference_brier if reference_brier else np.nan,
            "skill_lower": low, "skill_upper": high,
            "brier_minus_base_rate": float(own_sq.mean()) - reference_brier,
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
    start = frame.loc[frame["round_id"] == round_id, "date_start"].iloc[0]
    result = backtest(outcome, frame[frame["date_start"] <= start])
    return result[result["round_id"] == round_id].reset_index(drop=True)


# --- the track record of every question ------------------------------------------------------------------

QUESTION_KINDS = {**{q: "binary" for q in methods.BINARY_QUESTIONS}, methods.PROGRESS_QUESTION: "progress",
                  **{methods.exchange_question(k): "exchange" for k in defaults.EXCHANGE_HORIZONS_DAYS}}
"""Every question with a track record, and its kind (which candidates, score and reference it has)."""

REFERENCES = {"binary": "base_rate", "progress": "climatology", "exchange": "climatology"}
"""The naive reference each kind of question is scored against."""


def all_forecasts(frame: pd.DataFrame, exchanges: pd.DataFrame, first_day: pd.Timestamp, last_day: pd.Timestamp,
                  min_history: int = DEFAULT_MIN_HISTORY) -> pd.DataFrame:
    """The rolling-origin forecasts of every question (``QUESTION_KINDS``), one row per target and method:
    ``question``, ``target`` (round id or origin date), ``date``, ``method``, ``p`` (yes/no questions; for
    ``ceasefire_progress`` ``p0``..``p3``), ``outcome`` (0/1, or the progress level), ``event`` (rounds of one
    event) or ``block`` (exchange origins), ``parties`` and ``both_sides_at_table`` (rounds)."""
    from forecast import events

    parts = [backtest(q, frame, min_history).rename(columns={"round_id": "target"}).assign(question=q)
             for q in methods.BINARY_QUESTIONS]
    progress = methods.progress_backtest(frame, min_history)
    progress["event"] = progress["target"].map(dict(zip(frame["round_id"], event_clusters(frame))))
    parts.append(progress)
    days = events.prisoner_exchange_days(exchanges)
    for horizon in defaults.EXCHANGE_HORIZONS_DAYS:
        parts.append(methods.exchange_backtest(days, first_day, last_day, horizon))
    return pd.concat(parts, ignore_index=True)


def _losses(part: pd.DataFrame, kind: str) -> dict[str, np.ndarray]:
    if kind == "progress":
        return {"rps": part["rps"].to_numpy(float)}
    p, y = part["p"].to_numpy(float), part["outcome"].to_numpy(float)
    return {"brier": (p - y) ** 2, "log_loss": methods.log_loss_values(p, y)}


def score_all(forecasts: pd.DataFrame, rng: np.random.Generator, n_bootstrap: int = defaults.N_BOOTSTRAP,
              level: float = defaults.INTERVAL_LEVEL, splits: bool = True) -> pd.DataFrame:
    """Scores of ``all_forecasts``: one row per question, class and method with ``n``, ``brier``, ``log_loss``
    (yes/no questions) or ``rps`` (progress), ``skill`` (1 - score / reference score, on Brier or RPS) with a
    paired bootstrap interval (events resampled for rounds; moving blocks as long as the horizon for exchange
    origins), and ``reference``. ``class`` is ``all`` or, with ``splits``, ``both_sides_at_table=yes|no`` and
    ``parties=...`` for the per-round questions."""
    rows = []
    for question, part in forecasts.groupby("question", sort=False):
        kind = QUESTION_KINDS[question]
        reference = REFERENCES[kind]
        classes = [("all", part)]
        if splits and kind != "exchange":
            both = part["both_sides_at_table"].astype(bool)
            classes += [("both_sides_at_table=yes", part[both]), ("both_sides_at_table=no", part[~both])]
            classes += [(f"parties={parties}", group) for parties, group in part.groupby("parties", sort=True)]
        for label, rows_in_class in classes:
            if rows_in_class.empty:
                continue
            by_method = {name: group.sort_values("target", kind="stable") for name, group in rows_in_class.groupby("method")}
            ref_losses = _losses(by_method[reference], kind)
            main = "rps" if kind == "progress" else "brier"
            if kind == "exchange":
                horizon = int(question.split("_")[-1].rstrip("d"))
                samples = resample_weights(np.zeros(len(ref_losses[main])), rng, n_bootstrap,
                                           block=int(np.ceil(horizon / defaults.EXCHANGE_ORIGIN_STEP_DAYS)))
            else:
                samples = resample_weights(by_method[reference]["event"].to_numpy(), rng, n_bootstrap)
            for name, group in by_method.items():
                losses = _losses(group, kind)
                score = float(losses[main].mean())
                reference_score = float(ref_losses[main].mean())
                low, high = _skill_interval(losses[main], ref_losses[main], samples, level)
                rows.append({"question": question, "class": label, "method": name, "n": len(group),
                             "brier": float(losses["brier"].mean()) if "brier" in losses else np.nan,
                             "log_loss": float(losses["log_loss"].mean()) if "log_loss" in losses else np.nan,
                             "rps": score if kind == "progress" else np.nan,
                             "skill": (reference_score - score) / reference_score if reference_score > 0 else np.nan,
                             "skill_lower": low, "skill_upper": high, "reference": reference})
    return pd.DataFrame(rows)


def track_record(frame: pd.DataFrame | None = None, exchanges: pd.DataFrame | None = None,
                 rng: np.random.Generator | None = None, n_bootstrap: int = defaults.N_BOOTSTRAP,
                 as_of: pd.Timestamp | None = None, conflict: str | None = None,
                 splits: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(scores, forecasts) of every question for one conflict (default: the default conflict). ``as_of``: score
    only targets before that day (the record a forecast made then could have shown)."""
    from forecast import data

    conflict = conflict or data.DEFAULT_CONFLICT
    frame = features.round_features(conflict=conflict) if frame is None else frame
    exchanges = data.load_exchanges(conflict=conflict) if exchanges is None else exchanges
    conflicts = data.load_conflicts().set_index("conflict_id")
    first_day = conflicts.loc[conflict, "period_start"]
    last_day = max(frame["date_end"].max(), exchanges["date"].max()) if len(exchanges) else frame["date_end"].max()
    if as_of is not None:
        as_of = pd.Timestamp(as_of)
        frame = frame[frame["date_start"] < as_of]
        exchanges = exchanges[exchanges["date"] < as_of]
        last_day = min(last_day, as_of - pd.Timedelta(days=1))
    forecasts = all_forecasts(frame, exchanges, first_day, last_day)
    rng = np.random.default_rng(defaults.SEED) if rng is None else rng
    return score_all(forecasts, rng, n_bootstrap, splits=splits), forecasts


def per_event_table(forecasts: pd.DataFrame, question: str, methods_shown: tuple[str, ...] | None = None) -> pd.DataFrame:
    """For each round where ``question`` came true: its date and what each method said before it (one column
    per method). While yes outcomes are few, this says more than a reliability diagram."""
    part = forecasts[(forecasts["question"] == question) & (forecasts["outcome"] == 1)]
    table = part.pivot_table(index=["target", "date"], columns="method", values="p").reset_index()
    shown = [m for m in (methods_shown or table.columns) if m in table.columns and m not in ("target", "date")]
    return table[["target", "date", *shown]].sort_values("date").reset_index(drop=True)


def record_summary(scores: pd.DataFrame, method: str = "headline") -> pd.DataFrame:
    """One line per question: ``method``'s skill against its reference over all targets and for rounds with
    both sides at the table or not (skill and interval in one cell each), for reports."""
    def cell(row) -> str:
        if row is None or pd.isna(row["skill"]):
            return "no record"
        return f"{row['skill']:+.2f} ({row['skill_lower']:+.2f} to {row['skill_upper']:+.2f}), n={int(row['n'])}"

    chosen = scores[scores["method"] == method].set_index(["question", "class"])
    rows = []
    for question in dict.fromkeys(scores["question"]):
        def get(label):
            return chosen.loc[(question, label)] if (question, label) in chosen.index else None
        overall = get("all")
        split = get("both_sides_at_table=yes") is not None or get("both_sides_at_table=no") is not None

        def within(label):
            return cell(get(label)) if split else "not split (not about a round)"
        rows.append({"question": question, "reference": overall["reference"] if overall is not None else "",
                     "all targets": cell(overall), "both sides at the table": within("both_sides_at_table=yes"),
                     "one side only": within("both_sides_at_table=no")})
    return pd.DataFrame(rows)


def track_record_of(conflict: str | None = None, seed: int = defaults.SEED, n_bootstrap: int = defaults.N_BOOTSTRAP,
                    as_of: pd.Timestamp | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``track_record`` of one conflict's own tables with the bootstrap seeded by ``seed``, cached by the tables,
    the code and the arguments (what the reports show; the same numbers as a fresh run)."""
    from forecast import cache, data

    conflict = conflict or data.DEFAULT_CONFLICT
    return cache.from_tables("track-record", (conflict, seed, n_bootstrap, str(as_of)), lambda: track_record(
        rng=np.random.default_rng(seed), n_bootstrap=n_bootstrap, as_of=as_of, conflict=conflict))
