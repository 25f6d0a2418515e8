"""The forecasting methods, each defined once and used by the backtest, ``predict``, the notebooks and the CLI.

A method forecasts targets from the history known before each target: for a round, the rounds of its conflict
that ended before it started (``date_end < date_start``) with a known outcome; for an exchange origin, the
exchanges up to that day. Every method here computes all targets of a frame at once with cumulative counts
(``*_forecasts``), and ``loop_forecasts`` computes the same numbers the plain way, one target at a time, as the
reference the fast path is tested against.

Questions and their candidates (the headline is their equal-weight mean, see ``HEADLINE_CARDS``):
- per-round yes/no outcomes (``swap_agreed``, ``ceasefire_agreed``, ``next_round_agreed``): ``base_rate``
  (Jeffreys), ``class:<column>`` for each ``defaults.CLASS_COLUMNS`` (shrunk toward the base rate with
  ``PRIOR_STRENGTH``), ``logistic`` (Firth-penalised, on ``PREDICTORS``, level clipped to the levels seen);
- ``ceasefire_progress`` as a distribution over 0-3: ``climatology`` and ``class:both_sides_at_table``;
- ``exchange_within_<k>d``: ``climatology`` (share of past k-day windows with an exchange), ``poisson_365d``,
  ``poisson_half_life``, ``episodes``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from forecast import defaults
from forecast.firth import firth_fit

BINARY_QUESTIONS = ("swap_agreed", "ceasefire_agreed", "next_round_agreed")
PROGRESS_QUESTION = "ceasefire_progress"


def exchange_question(days: int) -> str:
    return f"exchange_within_{days}d"


@dataclass(frozen=True)
class MethodCard:
    """What a headline method is, so that a forecast can say where it came from."""

    name: str
    version: str
    question_kind: str
    candidates: tuple[str, ...]
    rule: str

    def text(self) -> str:
        return (f"{self.name} {self.version}: {self.rule} Candidates ({len(self.candidates)}): "
                f"{', '.join(self.candidates)}.")


def binary_candidates() -> tuple[str, ...]:
    return ("base_rate", *(f"class:{column}" for column in defaults.CLASS_COLUMNS), "logistic")


def exchange_candidates() -> tuple[str, ...]:
    return ("climatology", "poisson_365d", "poisson_half_life", "episodes")


PROGRESS_CANDIDATES = ("climatology", "class:both_sides_at_table")

HEADLINE_RULE = ("the equal-weight mean of the candidates' forecasts (a forecast combination with fixed weights: "
                 "no weight is estimated from the data, so nothing is tuned on the rounds it is scored on).")

HEADLINE_CARDS = {
    "binary": MethodCard("headline", "1.0", "per-round yes/no", binary_candidates(), HEADLINE_RULE),
    "progress": MethodCard("headline", "1.0", "ceasefire progress 0-3", PROGRESS_CANDIDATES, HEADLINE_RULE),
    "exchange": MethodCard("headline", "1.0", "exchange within k days", exchange_candidates(), HEADLINE_RULE),
}
"""The headline method of each kind of question. Three headline rules were tried on the Russia-Ukraine backtest
(see the issue's closing note): picking the candidate with the best record so far (``select_best``, still shown
in every backtest), Bayesian model averaging by past log loss, and this equal-weight mean; the equal-weight mean
is the headline, and ``select_best`` stays in the track record so that the choice can be checked."""

# --- per-round yes/no questions ----------------------------------------------------------------------------

def _history_order(frame: pd.DataFrame, outcome: str) -> tuple[np.ndarray, np.ndarray]:
    """(positions of rounds with a known outcome sorted by date_end, their date_end as int64 days)."""
    known = np.flatnonzero(frame[outcome].notna().to_numpy())
    ends = frame["date_end"].to_numpy()[known]
    order = np.argsort(ends, kind="stable")
    return known[order], ends[order]


def _n_before(frame: pd.DataFrame, sorted_ends: np.ndarray) -> np.ndarray:
    """For each round, how many known rounds ended before it started."""
    return np.searchsorted(sorted_ends, frame["date_start"].to_numpy(), side="left")


def _prefix(values: np.ndarray) -> np.ndarray:
    """Cumulative sums with a leading 0, so that ``prefix[n]`` is the sum of the first n values."""
    return np.concatenate([[0.0], np.cumsum(values, dtype=float)])


def beta_mean(successes, trials, a: float = 0.5, b: float = 0.5):
    """Posterior mean of a Beta(a, b) prior after ``successes`` in ``trials`` (Jeffreys by default)."""
    return (np.asarray(successes, dtype=float) + a) / (np.asarray(trials, dtype=float) + a + b)


def pooled_mean(class_successes, class_trials, parent, strength: float = defaults.PRIOR_STRENGTH):
    """A class's rate shrunk toward its parent's: (k + m * parent) / (n + m); the parent's rate when n = 0."""
    return (np.asarray(class_successes, dtype=float) + strength * np.asarray(parent, dtype=float)) / (
        np.asarray(class_trials, dtype=float) + strength)


def _class_codes(frame: pd.DataFrame, column: str) -> np.ndarray:
    values = frame[column].astype("string").fillna("<missing>")
    return pd.factorize(values)[0]


def binary_forecasts(frame: pd.DataFrame, outcome: str, only: np.ndarray | None = None) -> pd.DataFrame:
    """Every candidate's P(outcome) for every round of ``frame`` (time order), from the rounds before it.

    Returns one row per round: ``round_id``, ``n_history`` and one column per candidate (``binary_candidates``).
    Rows with no history get the prior (0.5); the backtest skips them (``MIN_HISTORY``). ``only``: positions of the
    rounds whose logistic forecast is needed (the others get the base rate there), to spare refits.
    """
    result, positions, y, n = rate_forecasts(frame, outcome)
    result["logistic"] = _logistic_forecasts(frame, positions, y, n, result["base_rate"], only)
    return pd.DataFrame(result)


def rate_forecasts(frame: pd.DataFrame, outcome: str) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    """The rate candidates of ``binary_forecasts`` (base rate and pooled classes) as a dict of columns, with the
    history order, outcomes and history sizes the logistic candidate reuses."""
    positions, ends = _history_order(frame, outcome)
    y = frame[outcome].to_numpy(dtype=float, na_value=np.nan)[positions]
    n = _n_before(frame, ends)
    k = _prefix(y)[n]
    base = beta_mean(k, n)
    result = {"round_id": frame["round_id"].to_numpy(), "n_history": n, "base_rate": base}
    for column in defaults.CLASS_COLUMNS:
        codes = _class_codes(frame, column)
        own = codes[positions]
        class_n = np.zeros(len(frame))
        class_k = np.zeros(len(frame))
        for code in np.unique(codes):
            mine = codes == code
            inside = (own == code).astype(float)
            class_n[mine] = _prefix(inside)[n[mine]]
            class_k[mine] = _prefix(inside * y)[n[mine]]
        if column == "level":  # an unknown level is no class: the parent's rate
            missing = frame["level"].isna().to_numpy()
            class_n[missing] = 0
            class_k[missing] = 0
        result[f"class:{column}"] = pooled_mean(class_k, class_n, base)
    return result, positions, y, n


def _logistic_forecasts(frame, positions, y, n, base, only: np.ndarray | None = None) -> np.ndarray:
    """Firth logistic on PREDICTORS, refitted for each round on the rounds before it, from grouped counts per
    design cell (both sides 0/1 x level 0-3), each fit started from zero as the plain loop does. Falls back to the base
    rate when the round lacks a predictor or its history has fewer than MIN_HISTORY usable rounds."""
    both = frame["both_sides_at_table"].to_numpy(dtype=float)
    level = frame["level_rank"].to_numpy(dtype=float, na_value=np.nan)
    cell = np.where(np.isnan(level), -1, both * 4 + np.nan_to_num(level)).astype(int)
    own = cell[positions]
    cell_n = np.stack([_prefix((own == c).astype(float)) for c in range(8)])    # 8 x (N + 1)
    cell_k = np.stack([_prefix((own == c) * y) for c in range(8)])
    design_both = np.repeat([0.0, 1.0], 4)
    design_level = np.tile(np.arange(4.0), 2)
    result = base.copy()
    for index in (np.argsort(frame["date_start"].to_numpy(), kind="stable") if only is None else only):
        if cell[index] < 0:
            continue
        trials = cell_n[:, n[index]]
        if trials.sum() < defaults.MIN_HISTORY:
            continue
        successes = cell_k[:, n[index]]
        used = trials > 0
        columns = [np.ones(8)]
        target = [1.0]
        if np.ptp(design_both[used]) > 0:
            columns.append(design_both)
            target.append(both[index])
        if np.ptp(design_level[used]) > 0:
            columns.append(design_level)
            seen = design_level[used]
            target.append(float(np.clip(level[index], seen.min(), seen.max())))  # no extrapolation
        design = np.column_stack(columns)
        beta = firth_grouped(design[used], successes[used], trials[used])
        result[index] = 1 / (1 + np.exp(-float(np.dot(target, beta))))
    return result


def firth_grouped(design: np.ndarray, successes: np.ndarray, trials: np.ndarray) -> np.ndarray:
    """Coefficients of Firth's logistic fit on grouped binomial data (rows = design cells; ``forecast.firth``);
    equal to the ungrouped fit on the same rounds."""
    return firth_fit(design, successes, trials, tol=FIRTH_TOLERANCE).params


FIRTH_TOLERANCE = 1e-9
"""Largest coefficient step at which a fit has converged (logit units)."""


def select_in_real_time(losses: np.ndarray, known_at: np.ndarray, asked_at: np.ndarray, candidates: tuple[str, ...],
                        default: str) -> np.ndarray:
    """Index of the candidate each target uses: the lowest mean loss over targets whose outcome was known
    (``known_at`` <= this target's ``asked_at``, strictly before), at least HEADLINE_MIN_SCORED of them; else
    ``default``. ``losses``: targets x candidates."""
    order = np.argsort(known_at, kind="stable")
    cumulative = np.vstack([np.zeros(losses.shape[1]), np.cumsum(losses[order], axis=0)])
    count = np.searchsorted(known_at[order], asked_at, side="left")
    chosen = np.full(len(asked_at), candidates.index(default))
    enough = count >= defaults.HEADLINE_MIN_SCORED
    means = cumulative[count[enough]] / count[enough][:, None]
    chosen[enough] = np.argmin(means, axis=1)  # ties: the earlier candidate (base rate / climatology first)
    return chosen


def brier_loss(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (p - y) ** 2


def log_loss_values(p: np.ndarray, y: np.ndarray, eps: float = defaults.LOG_LOSS_EPS) -> np.ndarray:
    clipped = np.clip(p, eps, 1 - eps)
    return -(y * np.log(clipped) + (1 - y) * np.log(1 - clipped))


def binary_backtest(frame: pd.DataFrame, outcome: str, min_history: int = defaults.MIN_HISTORY) -> pd.DataFrame:
    """Rolling-origin forecasts of ``outcome`` for every round with a known outcome and at least ``min_history``
    known earlier rounds: one row per round and method (candidates, then ``headline``), with ``p`` and
    ``outcome`` (0/1), ``n_history``, the round's ``date``, ``parties`` and ``both_sides_at_table``."""
    wide = binary_forecasts(frame, outcome)
    y = frame[outcome].to_numpy(dtype=float, na_value=np.nan)
    scored = (~np.isnan(y)) & (wide["n_history"].to_numpy() >= min_history)
    candidates = binary_candidates()
    forecasts = wide.loc[scored, list(candidates)].to_numpy()
    losses = brier_loss(forecasts, y[scored][:, None])
    chosen = select_in_real_time(losses, frame["date_end"].to_numpy()[scored], frame["date_start"].to_numpy()[scored],
                                 candidates, "base_rate")
    select_best = forecasts[np.arange(len(chosen)), chosen]
    headline = forecasts.mean(axis=1)
    rounds = frame.loc[scored]
    rows = []
    for name, values in [*((c, forecasts[:, i]) for i, c in enumerate(candidates)), ("select_best", select_best),
                         ("headline", headline)]:
        rows.append(pd.DataFrame({
            "question": outcome, "target": rounds["round_id"].to_numpy(), "date": rounds["date_start"].to_numpy(),
            "method": name, "p": values, "outcome": y[scored].astype(int),
            "n_history": wide["n_history"].to_numpy()[scored],
            "parties": rounds["parties"].astype(str).to_numpy(),
            "both_sides_at_table": rounds["both_sides_at_table"].to_numpy(),
            "chosen": [candidates[i] for i in chosen] if name == "select_best" else name,
        }))
    return pd.concat(rows, ignore_index=True)


# --- ceasefire progress as a distribution over 0-3 ------------------------------------------------------------

def progress_forecasts(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each candidate's distribution over ceasefire_progress 0-3 for every round (rounds x 4), from the rounds
    before it: ``climatology`` (Dirichlet with PROGRESS_PRIOR per level) and ``class:both_sides_at_table``
    (the class's counts shrunk toward climatology with PRIOR_STRENGTH). No level ever gets probability 0."""
    positions, ends = _history_order(frame, PROGRESS_QUESTION)
    levels = frame[PROGRESS_QUESTION].to_numpy(dtype=float, na_value=np.nan)[positions]
    n = _n_before(frame, ends)
    counts = np.stack([_prefix(levels == level)[n] for level in defaults.PROGRESS_LEVELS], axis=1)
    prior = defaults.PROGRESS_PRIOR
    climatology = (counts + prior) / (n[:, None] + prior * len(defaults.PROGRESS_LEVELS))
    both = frame["both_sides_at_table"].to_numpy()
    own = both[positions]
    class_counts = np.zeros_like(counts)
    for value in (False, True):
        mine = both == value
        class_counts[mine] = np.stack([_prefix((levels == level) & (own == value))[n[mine]]
                                       for level in defaults.PROGRESS_LEVELS], axis=1)
    strength = defaults.PRIOR_STRENGTH
    pooled = (class_counts + strength * climatology) / (class_counts.sum(axis=1, keepdims=True) + strength)
    return {"climatology": climatology, "class:both_sides_at_table": pooled, "n_history": n}


def ranked_probability_score(probabilities: np.ndarray, level: np.ndarray) -> np.ndarray:
    """RPS of distributions over ordered levels (rows) against the observed level: the mean over the K-1 cut
    points of (forecast cumulative - observed cumulative)^2 (0 best, 1 worst)."""
    cumulative = np.cumsum(probabilities, axis=1)[:, :-1]
    observed = (np.arange(probabilities.shape[1])[None, :-1] >= np.asarray(level)[:, None]).astype(float)
    return np.mean((cumulative - observed) ** 2, axis=1)


def progress_backtest(frame: pd.DataFrame, min_history: int = defaults.MIN_HISTORY) -> pd.DataFrame:
    """Rolling-origin distributions over progress 0-3: one row per round and method with ``p0``..``p3``,
    ``outcome`` (the level) and ``rps``."""
    forecasts = progress_forecasts(frame)
    y = frame[PROGRESS_QUESTION].to_numpy(dtype=float, na_value=np.nan)
    scored = (~np.isnan(y)) & (forecasts["n_history"] >= min_history)
    levels = y[scored].astype(int)
    candidates = PROGRESS_CANDIDATES
    losses = np.column_stack([ranked_probability_score(forecasts[c][scored], levels) for c in candidates])
    chosen = select_in_real_time(losses, frame["date_end"].to_numpy()[scored], frame["date_start"].to_numpy()[scored],
                                 candidates, "climatology")
    stacked = np.stack([forecasts[c][scored] for c in candidates])  # candidates x targets x 4
    select_best = stacked[chosen, np.arange(len(chosen))]
    headline = stacked.mean(axis=0)
    rows = []
    rounds = frame.loc[scored]
    for name, probabilities in [*((c, forecasts[c][scored]) for c in candidates), ("select_best", select_best),
                                ("headline", headline)]:
        part = pd.DataFrame({"question": PROGRESS_QUESTION, "target": rounds["round_id"].to_numpy(),
                             "date": rounds["date_start"].to_numpy(), "method": name, "outcome": levels,
                             "parties": rounds["parties"].astype(str).to_numpy(),
                             "both_sides_at_table": rounds["both_sides_at_table"].to_numpy()})
        for level in defaults.PROGRESS_LEVELS:
            part[f"p{level}"] = probabilities[:, level]
        part["rps"] = ranked_probability_score(probabilities, levels)
        rows.append(part)
    return pd.concat(rows, ignore_index=True)


# --- at least one prisoner exchange within k days ---------------------------------------------------------------

def _episode_starts(days: np.ndarray, gap: int = defaults.EPISODE_GAP_DAYS) -> np.ndarray:
    """First day of each episode: exchange days at most ``gap`` days after the previous one join its episode."""
    if len(days) == 0:
        return days
    new = np.concatenate([[True], np.diff(days) > gap])
    return days[new]


def _gamma_poisson_at_least_one(events: np.ndarray, exposure: np.ndarray, horizon: int,
                                prior: tuple[float, float] = (0.5, 0.0)) -> np.ndarray:
    """Posterior predictive P(at least one event in ``horizon`` days) under a Gamma(shape, rate) posterior:
    1 - (rate / (rate + horizon)) ** shape (a negative binomial's P(0) complement)."""
    shape = prior[0] + events
    rate = prior[1] + exposure
    return 1 - (rate / (rate + horizon)) ** shape


def exchange_forecasts(exchange_days: pd.Series, origins: pd.DatetimeIndex, horizon: int,
                       first_day: pd.Timestamp) -> dict[str, np.ndarray]:
    """Each candidate's P(at least one prisoner exchange in (origin, origin + horizon]) from the exchanges up to
    each origin (days after ``first_day``, the start of the conflict's period):

    - ``climatology``: the share of past ``horizon``-day windows (one starting each day from ``first_day`` and
      ending by the origin) that held an exchange, smoothed (w + 1/2) / (W + 1);
    - ``poisson_365d``: Gamma-Poisson rate over the last EXCHANGE_HISTORY_DAYS days (Jeffreys prior);
    - ``poisson_half_life``: the same with each exchange weighted 0.5 ** (age / HALF_LIFE_DAYS) and the exposure
      weighted alike;
    - ``episodes``: the Poisson rate of episodes (EPISODE_GAP_DAYS) over the last EXCHANGE_HISTORY_DAYS days.
    """
    day0 = pd.Timestamp(first_day)
    days = np.unique(((pd.to_datetime(exchange_days) - day0).dt.days).to_numpy())
    days = days[days >= 0]
    at = ((origins - day0).days).to_numpy()
    span = int(max(at.max(initial=0), days.max(initial=0))) + horizon + 2
    daily = np.zeros(span)
    daily[days] = 1
    cum = _prefix(daily)                        # cum[d] = exchange days before day d
    # window starting at s covers days s+1 .. s+horizon: has an exchange if cum[s+horizon+1] - cum[s+1] > 0
    starts = np.arange(span - horizon - 1)
    window_has = (cum[starts + horizon + 1] - cum[starts + 1]) > 0
    window_cum = _prefix(window_has)
    ended = np.clip(at - horizon + 1, 0, len(starts))   # windows s with s + horizon <= origin
    climatology = (window_cum[ended] + 0.5) / (ended + 1.0)
    history = defaults.EXCHANGE_HISTORY_DAYS
    lower = np.maximum(at - history, 0)
    count = cum[at + 1] - cum[lower + 1]                 # exchange days in (origin - 365, origin]
    exposure = (at - lower).astype(float)
    poisson = _gamma_poisson_at_least_one(count, exposure, horizon)
    half_life = defaults.HALF_LIFE_DAYS
    weighted = np.array([np.sum(0.5 ** ((origin - days[(days <= origin) & (days > origin - history)]) / half_life))
                         for origin in at])
    weighted_exposure = half_life / np.log(2) * (1 - 0.5 ** ((at - lower) / half_life))
    recency = _gamma_poisson_at_least_one(weighted, weighted_exposure, horizon)
    episodes = _episode_starts(days)
    episode_count = np.array([np.sum((episodes <= origin) & (episodes > origin - history)) for origin in at])
    episode = _gamma_poisson_at_least_one(episode_count.astype(float), exposure, horizon)
    return {"climatology": climatology, "poisson_365d": poisson, "poisson_half_life": recency, "episodes": episode}


def exchange_outcomes(exchange_days: pd.Series, origins: pd.DatetimeIndex, horizon: int) -> np.ndarray:
    """1 where a prisoner exchange fell in (origin, origin + horizon], else 0."""
    days = np.sort(pd.to_datetime(exchange_days).to_numpy())
    after = np.searchsorted(days, origins.to_numpy(), side="right")
    by_end = np.searchsorted(days, (origins + pd.Timedelta(days=horizon)).to_numpy(), side="right")
    return (by_end > after).astype(int)


def exchange_origins(last_day: pd.Timestamp, horizon: int, start: str = defaults.EXCHANGE_ORIGINS_FROM,
                     step: int = defaults.EXCHANGE_ORIGIN_STEP_DAYS) -> pd.DatetimeIndex:
    """Weekly origins from ``start`` whose ``horizon`` days had passed by the data's ``last_day``."""
    end = pd.Timestamp(last_day) - pd.Timedelta(days=horizon)
    if end < pd.Timestamp(start):
        return pd.DatetimeIndex([])
    return pd.date_range(start, end, freq=f"{step}D")


def exchange_backtest(exchange_days: pd.Series, first_day: pd.Timestamp, last_day: pd.Timestamp,
                      horizon: int, question: str | None = None, start: str = defaults.EXCHANGE_ORIGINS_FROM,
                      step: int = defaults.EXCHANGE_ORIGIN_STEP_DAYS) -> pd.DataFrame:
    """Rolling-origin forecasts of "an event within ``horizon`` days" (default: a prisoner exchange, weekly
    origins; ``forecast.deadlines`` passes other events and monthly origins): one row per origin and method
    (candidates, then ``headline``), ``p`` and ``outcome``."""
    origins = exchange_origins(last_day, horizon, start, step)
    question = question or exchange_question(horizon)
    if len(origins) == 0:
        return pd.DataFrame(columns=["question", "target", "date", "method", "p", "outcome", "chosen"])
    forecasts = exchange_forecasts(exchange_days, origins, horizon, first_day)
    y = exchange_outcomes(exchange_days, origins, horizon)
    candidates = exchange_candidates()
    matrix = np.column_stack([forecasts[c] for c in candidates])
    losses = log_loss_values(matrix, y[:, None].astype(float))
    known_at = (origins + pd.Timedelta(days=horizon)).to_numpy()
    chosen = select_in_real_time(losses, known_at, origins.to_numpy() + np.timedelta64(1, "D"), candidates,
                                 "climatology")
    select_best = matrix[np.arange(len(chosen)), chosen]
    headline = matrix.mean(axis=1)
    rows = []
    for name, values in [*((c, matrix[:, i]) for i, c in enumerate(candidates)), ("select_best", select_best),
                         ("headline", headline)]:
        rows.append(pd.DataFrame({"question": question, "target": origins.strftime("%Y-%m-%d"), "date": origins,
                                  "method": name, "p": values, "outcome": y,
                                  "chosen": [candidates[i] for i in chosen] if name == "select_best" else name}))
    return pd.concat(rows, ignore_index=True)


# --- the plain loop: the reference the fast path is tested against ------------------------------------------

def loop_binary_forecasts(frame: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """``binary_forecasts`` computed one round at a time by filtering the history (slow; for tests)."""
    rows = []
    for _, target in frame.iterrows():
        history = frame[(frame["date_end"] < target["date_start"]) & frame[outcome].notna()]
        y = history[outcome].astype(float).to_numpy()
        base = float(beta_mean(y.sum(), len(y)))
        row = {"round_id": target["round_id"], "n_history": len(history), "base_rate": base}
        for column in defaults.CLASS_COLUMNS:
            if column == "level" and pd.isna(target["level"]):
                row[f"class:{column}"] = base
                continue
            same = history[history[column].astype("string").fillna("<missing>")
                           == ("<missing>" if pd.isna(target[column]) else str(target[column]))]
            row[f"class:{column}"] = float(pooled_mean(same[outcome].astype(float).sum(), len(same), base))
        row["logistic"] = _loop_logistic(history, target, outcome, base)
        rows.append(row)
    return pd.DataFrame(rows)


def _logistic_cells(history: pd.DataFrame, target: pd.Series, outcome: str):
    """(design, successes, trials, target's design row) of the Firth logistic for ``target`` from its history,
    grouped by design cell, or None when the backtest would give the base rate (no level, or fewer than
    MIN_HISTORY rounds with one). A predictor with no variation is dropped; the level is clipped to those seen."""
    if pd.isna(target["level_rank"]):
        return None
    usable = history[history["level_rank"].notna()]
    if len(usable) < defaults.MIN_HISTORY:
        return None
    cells = pd.DataFrame({"both": usable["both_sides_at_table"].astype(float).to_numpy(),
                          "level": usable["level_rank"].astype(float).to_numpy(),
                          "y": usable[outcome].astype(float).to_numpy()}).groupby(["both", "level"])["y"].agg(["sum", "count"])
    both_cells = cells.index.get_level_values("both").to_numpy(dtype=float)
    level_cells = cells.index.get_level_values("level").to_numpy(dtype=float)
    columns, point = [np.ones(len(cells))], [1.0]
    if np.ptp(both_cells) > 0:
        columns.append(both_cells)
        point.append(float(target["both_sides_at_table"]))
    if np.ptp(level_cells) > 0:
        columns.append(level_cells)
        point.append(float(np.clip(target["level_rank"], level_cells.min(), level_cells.max())))
    return np.column_stack(columns), cells["sum"].to_numpy(float), cells["count"].to_numpy(float), np.asarray(point)


def _loop_logistic(history: pd.DataFrame, target: pd.Series, outcome: str, base: float) -> float:
    cells = _logistic_cells(history, target, outcome)
    if cells is None:
        return base
    design, successes, trials, point = cells
    return float(1 / (1 + np.exp(-np.dot(point, firth_grouped(design, successes, trials)))))


# --- intervals for a single forecast ------------------------------------------------------------------------

def beta_interval(successes: float, trials: float, a: float = 0.5, b: float = 0.5,
                  level: float = defaults.INTERVAL_LEVEL) -> tuple[float, float]:
    """Equal-tailed interval of the Beta(a + k, b + n - k) posterior."""
    tail = (1 - level) / 2
    post_a, post_b = a + successes, b + trials - successes
    return float(special.betaincinv(post_a, post_b, tail)), float(special.betaincinv(post_a, post_b, 1 - tail))


# --- one forecast with its reasoning ------------------------------------------------------------------------

def _logit_normal_cdf(grid: np.ndarray, mean: float, sd: float) -> np.ndarray:
    inside = np.clip(grid, 1e-12, 1 - 1e-12)
    return special.ndtr((np.log(inside / (1 - inside)) - mean) / max(sd, 1e-9))


def _mixture_interval(cdfs: list[np.ndarray], grid: np.ndarray, level: float) -> tuple[float, float]:
    """Equal-tailed interval of the equal-weight mixture of distributions given by their CDFs on ``grid``."""
    mixture = np.mean(cdfs, axis=0)
    tail = (1 - level) / 2
    return float(np.interp(tail, mixture, grid)), float(np.interp(1 - tail, mixture, grid))


def round_steps(frame: pd.DataFrame, target_id: str, outcome: str, level: float = defaults.INTERVAL_LEVEL) -> list[dict]:
    """The forecast of ``outcome`` for round ``target_id`` of ``frame`` (its outcome may be unknown), step by step:
    each candidate with its interval and the rounds behind it, then the headline (their equal-weight mean, with
    the interval of the equal-weight mixture of their posteriors). The probabilities are those of
    ``binary_forecasts``, so the backtest scores exactly these methods."""
    position = np.flatnonzero(frame["round_id"].to_numpy() == target_id)
    wide = binary_forecasts(frame, outcome, only=position).set_index("round_id")
    row = frame.set_index("round_id").loc[target_id]
    history = frame[(frame["date_end"] < row["date_start"]) & frame[outcome].notna()]
    y = history[outcome].astype(float)
    k, n = float(y.sum()), len(y)
    base = float(beta_mean(k, n))
    grid = np.linspace(0, 1, 4001)
    steps, cdfs = [], []

    def add(method, p, a, b, reference_class, size, note, warning=""):
        lower, upper = float(special.betaincinv(a, b, (1 - level) / 2)), float(special.betaincinv(a, b, (1 + level) / 2))
        cdfs.append(special.betainc(a, b, grid))
        steps.append(dict(method=method, p=float(p), lower=lower, upper=upper, reference_class=reference_class,
                          n=size, note=note, warning=warning))

    add("base_rate", wide.loc[target_id, "base_rate"], k + 0.5, n - k + 0.5, "all earlier rounds", n,
        f"{k:g} of {n} rounds (Jeffreys prior)")
    strength = defaults.PRIOR_STRENGTH
    for column in defaults.CLASS_COLUMNS:
        value = row[column]
        same = history[history[column].astype("string") == str(value)] if not pd.isna(value) else history.iloc[0:0]
        k_c, n_c = float(same[outcome].astype(float).sum()), len(same)
        shown = ("yes" if value else "no") if isinstance(value, (bool, np.bool_)) else value
        warning = "" if n_c else (f"no earlier round with {column} = {shown}: the step shows the all-rounds rate "
                                  "(its parent)")
        add(f"class:{column}", wide.loc[target_id, f"class:{column}"], k_c + strength * base,
            n_c - k_c + strength * (1 - base), f"{column} = {shown}", n_c,
            f"{k_c:g} of {n_c} rounds, shrunk toward {base:.0%} with the weight of {strength:g} rounds", warning)
    p_logistic = float(wide.loc[target_id, "logistic"])
    fitted = _logistic_fit(history, row, outcome)
    if fitted is None:
        add("logistic", p_logistic, k + 0.5, n - k + 0.5, "model: " + " + ".join(defaults.PREDICTORS), n,
            "not fitted", "the logistic model needs the round's level and 5 earlier rounds with one: showing the "
            "base rate (as the backtest does)")
    else:
        mean, sd, used = fitted
        tail = float(special.ndtri((1 + level) / 2))
        cdfs.append(_logit_normal_cdf(grid, mean, sd))
        steps.append(dict(method="logistic", p=p_logistic, lower=float(1 / (1 + np.exp(-(mean - tail * sd)))),
                          upper=float(1 / (1 + np.exp(-(mean + tail * sd)))),
                          reference_class="model: " + " + ".join(defaults.PREDICTORS), n=used,
                          note=f"Firth logistic on {used} rounds (level clipped to the levels seen)", warning=""))
    headline = float(np.mean([step["p"] for step in steps]))
    lower, upper = _mixture_interval(cdfs, grid, level)
    steps.append(dict(method="headline", p=headline, lower=min(lower, headline), upper=max(upper, headline),
                      reference_class=f"equal-weight mean of {len(steps)} candidates", n=n,
                      note=HEADLINE_CARDS["binary"].text(), warning=""))
    return steps


def _logistic_fit(history: pd.DataFrame, target: pd.Series, outcome: str) -> tuple[float, float, int] | None:
    """(linear predictor, its standard error, rounds used) of the Firth logistic for ``target``, or None when the
    backtest would fall back to the base rate."""
    cells = _logistic_cells(history, target, outcome)
    if cells is None:
        return None
    design, successes, trials, point = cells
    fit = firth_fit(design, successes, trials, tol=FIRTH_TOLERANCE)
    return float(point @ fit.params), float(np.sqrt(point @ fit.cov @ point)), int(trials.sum())


def exchange_steps(exchange_days: pd.Series, first_day: pd.Timestamp, origin: pd.Timestamp, horizon: int,
                   level: float = defaults.INTERVAL_LEVEL) -> list[dict]:
    """P(at least one prisoner exchange in the ``horizon`` days after ``origin``), each candidate and the headline
    (their mean), from the exchanges up to ``origin``, each with an interval: for the Poisson candidates
    1 - exp(-horizon * rate) at the rate's Gamma posterior quantiles; for climatology the Jeffreys interval of the
    share of windows, counting the overlapping windows as one per ``horizon`` days; for the headline the
    equal-weight mixture of those distributions."""
    origins = pd.DatetimeIndex([origin])
    forecasts = exchange_forecasts(exchange_days, origins, horizon, first_day)
    counts = _exchange_counts(exchange_days, origin, horizon, first_day)
    tail = (1 - level) / 2
    grid = np.linspace(0, 1, 4001)
    steps, cdfs = [], []
    a, b = counts["windows_with"] / horizon + 0.5, (counts["windows"] - counts["windows_with"]) / horizon + 0.5
    steps.append(dict(method="climatology", p=float(forecasts["climatology"][0]),
                      lower=float(special.betaincinv(a, b, tail)), upper=float(special.betaincinv(a, b, 1 - tail)),
                      reference_class=f"{int(counts['windows'])} past {horizon}-day windows, {int(counts['windows_with'])} "
                                      "with the event"))
    cdfs.append(special.betainc(a, b, grid))
    for name, events, exposure in (("poisson_365d", counts["events"], counts["exposure"]),
                                   ("poisson_half_life", counts["weighted"], counts["weighted_exposure"]),
                                   ("episodes", counts["episodes"], counts["exposure"])):
        shape = 0.5 + events
        low, high = (float(special.gammaincinv(shape, q)) / exposure for q in (tail, 1 - tail))
        steps.append(dict(method=name, p=float(forecasts[name][0]), lower=float(1 - np.exp(-horizon * low)),
                          upper=float(1 - np.exp(-horizon * high)),
                          reference_class=f"{events:.3g} {'episodes' if name == 'episodes' else 'event days'} in "
                                          f"{exposure:.0f} days of exposure"))
        # P(at least one) <= x  <=>  rate <= -log(1 - x) / horizon
        rates = -np.log(np.clip(1 - grid, 1e-300, 1)) / horizon
        cdfs.append(special.gammainc(shape, rates * exposure))
    headline = float(np.mean([step["p"] for step in steps]))
    lower, upper = _mixture_interval(cdfs, grid, level)
    steps.append(dict(method="headline", p=headline, lower=min(lower, headline), upper=max(upper, headline),
                      reference_class=f"equal-weight mean of {len(cdfs)} candidates"))
    return steps


def _exchange_counts(exchange_days: pd.Series, origin: pd.Timestamp, horizon: int, first_day: pd.Timestamp) -> dict:
    """The counts behind ``exchange_forecasts`` at one origin (for the intervals of ``exchange_steps``)."""
    day0 = pd.Timestamp(first_day)
    days = np.unique(((pd.to_datetime(exchange_days) - day0).dt.days).to_numpy())
    days = days[days >= 0]
    at = int((pd.Timestamp(origin) - day0).days)
    history = defaults.EXCHANGE_HISTORY_DAYS
    lower = max(at - history, 0)
    recent = days[(days <= at) & (days > lower)]
    starts = np.arange(0, max(at - horizon + 1, 0))
    windows_with = sum(bool(((days > s) & (days <= s + horizon)).any()) for s in starts)
    half_life = defaults.HALF_LIFE_DAYS
    episodes = _episode_starts(days)
    return {"windows": len(starts), "windows_with": windows_with, "events": float(len(recent)),
            "exposure": float(at - lower), "weighted": float(np.sum(0.5 ** ((at - recent) / half_life))),
            "weighted_exposure": float(half_life / np.log(2) * (1 - 0.5 ** ((at - lower) / half_life))),
            "episodes": float(np.sum((episodes <= at) & (episodes > lower)))}
