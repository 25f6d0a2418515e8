"""Rates pooled across conflicts: a hierarchical beta-binomial model with its hyperprior computed on a grid.

Each conflict c has its own rate theta_c of an outcome; theta_c ~ Beta(mu * kappa, (1 - mu) * kappa) across
conflicts. Hyperprior: mu ~ Beta(1/2, 1/2) (Jeffreys) and log(kappa) uniform on [log 0.5, log 500] (from "the
conflicts are nothing alike" to "they are one conflict"), both on a grid (``GRID_POINTS`` each). The posterior
over the grid weights each (mu, kappa) by the beta-binomial likelihood of every conflict's counts; then:
- a conflict's pooled rate: the grid-weighted mixture of Beta(k_c + mu * kappa, n_c - k_c + (1 - mu) * kappa);
- a conflict with no history (a new one): the mixture of Beta(mu * kappa, (1 - mu) * kappa).
Nothing here is estimated from a round's own future: ``pooled_forecasts`` refits the grid for every target on
the rounds (of all conflicts) that ended before it started. Whether pooling helps is measured by the backtest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from forecast import defaults, evaluate, features, methods

GRID_POINTS = 40
"""Grid points for mu and for log(kappa) (40 x 40 = 1,600 hyperparameter pairs)."""

KAPPA_RANGE = (0.5, 500.0)
"""Range of the prior strength kappa (pseudo-rounds a conflict borrows from the others)."""


def _grid() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mu, kappa, log prior weight) over the grid, flattened."""
    edges = np.linspace(0, 1, GRID_POINTS + 1)
    mu = (edges[:-1] + edges[1:]) / 2
    kappa = np.exp(np.linspace(np.log(KAPPA_RANGE[0]), np.log(KAPPA_RANGE[1]), GRID_POINTS))
    m, k = np.meshgrid(mu, kappa, indexing="ij")
    log_prior = -0.5 * np.log(m) - 0.5 * np.log(1 - m)  # Jeffreys on mu; uniform in log kappa
    return m.ravel(), k.ravel(), log_prior.ravel()


MU, KAPPA, LOG_PRIOR = _grid()


def grid_posterior(successes: np.ndarray, trials: np.ndarray) -> np.ndarray:
    """Normalised posterior weights of the (mu, kappa) grid given each conflict's successes and trials."""
    a, b = MU * KAPPA, (1 - MU) * KAPPA
    log_like = np.zeros_like(MU)
    for k, n in zip(np.asarray(successes, float), np.asarray(trials, float)):
        if n > 0:
            log_like += special.betaln(k + a, n - k + b) - special.betaln(a, b)
    log_post = LOG_PRIOR + log_like
    weights = np.exp(log_post - log_post.max())
    return weights / weights.sum()


@dataclass(frozen=True)
class Pooled:
    """A rate from the hierarchical model: mean and equal-tailed interval of its mixture posterior."""

    mean: float
    lower: float
    upper: float


def _mixture(weights: np.ndarray, a: np.ndarray, b: np.ndarray, level: float) -> Pooled:
    mean = float(np.sum(weights * a / (a + b)))
    grid = np.linspace(0, 1, 801)
    keep = weights > 1e-5 * weights.max()  # for the interval only: each pair left out weighs under 1e-5 of the heaviest
    w, a, b = weights[keep] / weights[keep].sum(), a[keep], b[keep]
    cdf = (w[:, None] * special.betainc(a[:, None], b[:, None], grid[None, :])).sum(axis=0)
    tail = (1 - level) / 2
    return Pooled(mean, float(np.interp(tail, cdf, grid)), float(np.interp(1 - tail, cdf, grid)))


def pooled_rate(successes: float, trials: float, weights: np.ndarray, level: float = defaults.INTERVAL_LEVEL) -> Pooled:
    """A conflict's pooled rate given its own counts and the grid posterior (``trials`` = 0: a new conflict)."""
    return _mixture(weights, successes + MU * KAPPA, trials - successes + (1 - MU) * KAPPA, level)


def pooled_mean(successes: float, trials: float, weights: np.ndarray) -> float:
    """Posterior mean of a conflict's pooled rate (cheap: no interval)."""
    return float(np.sum(weights * (successes + MU * KAPPA) / (trials + KAPPA)))


def counts_by_conflict(frame: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Successes and trials of ``outcome`` per conflict (rounds with a known outcome)."""
    known = frame[frame[outcome].notna()]
    return known.groupby("conflict")[outcome].agg(successes=lambda s: float(s.astype(bool).sum()),
                                                   trials="count")


def pooled_forecasts(frame: pd.DataFrame, outcome: str, min_history: int = defaults.MIN_HISTORY) -> pd.DataFrame:
    """Rolling-origin forecasts of ``outcome`` for every round of every conflict in ``frame`` (features of all
    conflicts, ``conflict=None``): for each round, the rounds of all conflicts that ended before it started are the
    data. Methods: ``base_rate`` (the round's own conflict, Jeffreys), ``pooled`` (the hierarchical model's rate
    for the round's conflict), ``complete_pooling`` (every conflict's rounds as one, Jeffreys), and, leaving the
    round's own conflict out (as for a conflict never seen), ``new_conflict`` (the model's predictive for a new
    conflict from the other conflicts) against ``no_history`` (0.5, what the base rate says with no rounds).
    Rounds are scored when their own conflict has at least ``min_history`` earlier known rounds (leave-one-out
    rows: when the other conflicts have).
    """
    frame = frame.sort_values(["date_start", "round_id"], kind="stable").reset_index(drop=True)
    y = frame[outcome].to_numpy(dtype=float, na_value=np.nan)
    rows = []
    cache: dict = {}
    for index in range(len(frame)):
        if np.isnan(y[index]):
            continue
        target = frame.iloc[index]
        earlier = frame[(frame["date_end"] < target["date_start"]) & frame[outcome].notna()]
        counts = counts_by_conflict(earlier, outcome)
        own = counts.loc[target["conflict"]] if target["conflict"] in counts.index else pd.Series({"successes": 0.0, "trials": 0})
        others = counts.drop(index=target["conflict"], errors="ignore")
        key = tuple(map(tuple, counts.to_numpy()))
        if key not in cache:
            cache[key] = grid_posterior(counts["successes"], counts["trials"])
        weights = cache[key]
        base = dict(question=outcome, target=target["round_id"], date=target["date_start"], outcome=int(y[index]),
                    conflict=target["conflict"], parties=str(target["parties"]),
                    both_sides_at_table=bool(target["both_sides_at_table"]))
        if own["trials"] >= min_history:
            total_k, total_n = counts["successes"].sum(), counts["trials"].sum()
            for method, p in (("base_rate", (own["successes"] + 0.5) / (own["trials"] + 1)),
                              ("pooled", pooled_mean(own["successes"], own["trials"], weights)),
                              ("complete_pooling", (total_k + 0.5) / (total_n + 1))):
                rows.append(dict(base, method=method, p=float(p), scheme="within"))
        if others["trials"].sum() >= min_history and len(others) >= 2:
            other_key = ("loo", tuple(map(tuple, others.to_numpy())))
            if other_key not in cache:
                cache[other_key] = grid_posterior(others["successes"], others["trials"])
            for method, p in (("no_history", 0.5), ("new_conflict", pooled_mean(0, 0, cache[other_key]))):
                rows.append(dict(base, method=method, p=float(p), scheme="leave_one_conflict_out"))
    result = pd.DataFrame(rows)
    if len(result):
        events_of = dict(zip(frame["round_id"], evaluate.event_clusters(frame)))
        result["event"] = result["conflict"] + ":" + result["target"].map(events_of).astype(str)
    return result


def pooling_scores(forecasts: pd.DataFrame, rng: np.random.Generator, n_bootstrap: int = defaults.N_BOOTSTRAP,
                   level: float = defaults.INTERVAL_LEVEL) -> pd.DataFrame:
    """Brier and log loss of each pooling method, per conflict and overall, with Brier skill against the
    scheme's reference (``base_rate`` within conflicts, ``no_history`` leaving the conflict out) and a paired
    bootstrap interval over events."""
    rows = []
    for (scheme, question), part in forecasts.groupby(["scheme", "question"], sort=False):
        reference = "base_rate" if scheme == "within" else "no_history"
        for label, group in [("all conflicts", part), *part.groupby("conflict", sort=True)]:
            wide = group.pivot_table(index="target", columns="method", values="p")
            outcome = group.drop_duplicates("target").set_index("target")["outcome"].reindex(wide.index).to_numpy(float)
            events_ = group.drop_duplicates("target").set_index("target")["event"].reindex(wide.index).to_numpy()
            weights = evaluate.resample_weights(events_, rng, n_bootstrap)
            reference_loss = (wide[reference].to_numpy() - outcome) ** 2
            for method in wide.columns:
                p = wide[method].to_numpy()
                loss = (p - outcome) ** 2
                low, high = evaluate._skill_interval(loss, reference_loss, weights, level)
                ref = reference_loss.mean()
                rows.append({"scheme": scheme, "question": question, "conflict": label, "method": method,
                             "n": len(p), "brier": float(loss.mean()),
                             "log_loss": float(methods.log_loss_values(p, outcome).mean()),
                             "skill": (ref - loss.mean()) / ref if ref > 0 else np.nan,
                             "skill_lower": low, "skill_upper": high, "reference": reference})
    return pd.DataFrame(rows)


def estimate_moves(outcome: str = "swap_agreed", frame: pd.DataFrame | None = None,
                   level: float = defaults.INTERVAL_LEVEL) -> pd.DataFrame:
    """How the estimate for a round with both sides at the table moves across reference classes, per conflict:
    1 this conflict's rounds (Jeffreys) -> 2 its rounds with both sides at the table -> 3 pooled across conflicts
    (the hierarchical model on both-sides rounds of every conflict, this conflict's rate) -> 4 a new conflict (that
    model's predictive). One row per conflict and step: ``conflict``, ``step``, ``reference_class``, ``k``,
    ``n``, ``mean``, ``lower``, ``upper``."""
    frame = features.round_features(conflict=None) if frame is None else frame
    known = frame[frame[outcome].notna()]
    both = known[known["both_sides_at_table"]]
    counts = counts_by_conflict(both, outcome)
    weights = grid_posterior(counts["successes"], counts["trials"])
    rows = []
    for conflict in sorted(known["conflict"].unique()):
        mine, mine_both = known[known["conflict"] == conflict], both[both["conflict"] == conflict]
        k_all, n_all = float(mine[outcome].astype(bool).sum()), len(mine)
        k_both, n_both = float(mine_both[outcome].astype(bool).sum()), len(mine_both)
        for step, label, k, n, rate in (
            (1, "this conflict's rounds", k_all, n_all, _jeffreys(k_all, n_all, level)),
            (2, "its rounds with both sides at the table", k_both, n_both, _jeffreys(k_both, n_both, level)),
            (3, "pooled across conflicts (both sides at the table)", k_both, n_both,
             pooled_rate(k_both, n_both, weights, level)),
            (4, "a new conflict (both sides at the table)", 0.0, 0, pooled_rate(0, 0, weights, level)),
        ):
            rows.append({"conflict": conflict, "step": step, "reference_class": label, "k": int(k), "n": int(n),
                         "mean": rate.mean, "lower": rate.lower, "upper": rate.upper})
    return pd.DataFrame(rows)


def _jeffreys(k: float, n: float, level: float) -> Pooled:
    a, b = k + 0.5, n - k + 0.5
    tail = (1 - level) / 2
    return Pooled(a / (a + b), float(special.betaincinv(a, b, tail)), float(special.betaincinv(a, b, 1 - tail)))


def pooled_scores_for(questions: tuple[str, ...] = ("swap_agreed", "ceasefire_agreed"), seed: int = defaults.SEED,
                      n_bootstrap: int = defaults.N_BOOTSTRAP) -> pd.DataFrame:
    """``pooling_scores`` of ``pooled_forecasts`` for ``questions`` over every conflict's rounds, with the bootstrap
    seeded by ``seed``; cached by the data files, the code and the arguments (the grid refits take seconds)."""
    from forecast import cache

    def build() -> pd.DataFrame:
        frame = features.round_features(conflict=None)
        forecasts = pd.concat([pooled_forecasts(frame, question) for question in questions], ignore_index=True)
        return pooling_scores(forecasts, np.random.default_rng(seed), n_bootstrap)

    return cache.from_tables("pooling-scores", (tuple(questions), seed, n_bootstrap), build)


def moves_for(outcome: str = "swap_agreed", level: float = defaults.INTERVAL_LEVEL) -> pd.DataFrame:
    """``estimate_moves`` over every conflict's rounds, cached by the tables and the code (the grid fits take
    seconds)."""
    from forecast import cache

    return cache.from_tables("estimate-moves", (outcome, level),
                             lambda: estimate_moves(outcome, features.round_features(conflict=None), level=level))
