"""Base rates with uncertainty: Beta-binomial rates of yes/no outcomes, Gamma-Poisson rates of events in time.

Conventions: intervals are equal-tailed posterior intervals at ``level`` (default 0.9, i.e. 5th to 95th
percentile). Priors are stated in every result. Jeffreys' prior Beta(0.5, 0.5) is the default for proportions
(Jeffreys 1946; Brown, Cai and DasGupta 2001 recommend its interval for small n); Gamma(0.5, 0) is Jeffreys'
prior for a Poisson rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from scipy import special

PRIORS: dict[str, tuple[float, float]] = {"jeffreys": (0.5, 0.5), "uniform": (1.0, 1.0)}
"""Named Beta priors (a, b)."""

DEFAULT_LEVEL = 0.9
"""Default probability mass of every interval (equal-tailed)."""


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (exclusive), got {level}")


def _beta_prior(prior: str | tuple[float, float]) -> tuple[str, float, float]:
    if isinstance(prior, str):
        if prior not in PRIORS:
            raise ValueError(f"unknown prior {prior!r}; expected one of {', '.join(PRIORS)} or a pair (a, b)")
        return (prior, *PRIORS[prior])
    a, b = (float(value) for value in prior)
    if a <= 0 or b <= 0:
        raise ValueError(f"a Beta prior needs a > 0 and b > 0, got ({a}, {b})")
    return (f"beta({a:g}, {b:g})", a, b)


@dataclass(frozen=True)
class Rate:
    """Posterior of a proportion: Beta(a + successes, b + trials - successes)."""

    successes: float
    trials: float
    prior: str
    prior_a: float
    prior_b: float
    level: float
    mean: float
    lower: float
    upper: float

    def __str__(self) -> str:
        return (f"{self.mean:.1%} ({self.level:.0%} interval {self.lower:.1%} to {self.upper:.1%}; "
                f"{self.successes:g} of {self.trials:g}, {self.prior} prior)")


def beta_rate(successes: float, trials: float, prior: str | tuple[float, float] = "jeffreys",
              level: float = DEFAULT_LEVEL) -> Rate:
    """Rate of an outcome from ``successes`` in ``trials`` with an equal-tailed Beta posterior interval.

    Counts may be fractional (recency-weighted). ``prior``: ``"jeffreys"`` (0.5, 0.5), ``"uniform"`` (1, 1)
    or an explicit ``(a, b)``.
    """
    name, a, b = _beta_prior(prior)
    _check_level(level)
    if trials < 0 or successes < 0 or successes > trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes} of {trials}")
    post_a, post_b = a + successes, b + trials - successes  # Beta posterior; quantiles by the inverse
    tail = (1 - level) / 2                                   # regularised incomplete beta (scipy.special)
    return Rate(successes=successes, trials=trials, prior=name, prior_a=a, prior_b=b, level=level,
                mean=float(post_a / (post_a + post_b)), lower=float(special.betaincinv(post_a, post_b, tail)),
                upper=float(special.betaincinv(post_a, post_b, 1 - tail)))


def recency_weights(dates: pd.Series, as_of: pd.Timestamp, half_life_days: float | None) -> np.ndarray:
    """Weight 0.5 ** (age in days / half_life_days) for each date before ``as_of``; all ones if no half-life."""
    if half_life_days is None:
        return np.ones(len(dates))
    if half_life_days <= 0:
        raise ValueError(f"half_life_days must be positive, got {half_life_days}")
    age_days = (pd.Timestamp(as_of) - pd.to_datetime(dates)).dt.days.to_numpy(dtype=float)
    return 0.5 ** (age_days / half_life_days)


def rates_by(frame: pd.DataFrame, outcome: str, by: str | Callable[[pd.DataFrame], pd.Series] | None = None,
             where: str | pd.Series | None = None, prior: str | tuple[float, float] = "jeffreys",
             level: float = DEFAULT_LEVEL) -> pd.DataFrame:
    """Rates of a yes/no ``outcome`` column by reference class, with the pooled rate as the last row.

    ``by``: a column name, or a function of the frame returning one label per row (e.g. the year);
    ``where``: a pandas query string or boolean mask restricting the frame first. Rows with an unknown
    outcome are left out and counted in ``unknown``. Returns one row per class: ``group``, ``successes``,
    ``trials``, ``unknown``, ``mean``, ``lower``, ``upper``, ``prior``, ``level``.
    """
    if outcome not in frame:
        raise ValueError(f"unknown outcome column {outcome!r}; the frame has {', '.join(map(str, frame.columns))}")
    if where is not None:
        frame = frame.query(where) if isinstance(where, str) else frame[where]
    groups = (frame[by] if isinstance(by, str) else by(frame)) if by is not None else None
    if isinstance(by, str) and by not in frame:
        raise ValueError(f"unknown grouping column {by!r}")

    def row(label, part: pd.DataFrame) -> dict:
        known = part[outcome].dropna().astype(bool)
        rate = beta_rate(int(known.sum()), len(known), prior=prior, level=level)
        return {"group": str(label), "successes": int(known.sum()), "trials": len(known),
                "unknown": len(part) - len(known), "mean": rate.mean, "lower": rate.lower, "upper": rate.upper,
                "prior": rate.prior, "level": level}

    rows = []
    if groups is not None:
        for label, part in frame.groupby(pd.Series(groups, index=frame.index).astype(str), sort=True, observed=True):
            rows.append(row(label, part))
    rows.append(row("all", frame))
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class EventRate:
    """Posterior of a Poisson rate (events per day): Gamma(shape, rate), shape = a + events, rate = b + days."""

    events: float
    exposure_days: float
    shape: float
    rate: float
    half_life_days: float | None
    level: float

    def per(self, days: float = 30.0) -> tuple[float, float, float]:
        """Mean and interval of the expected number of events in ``days`` days."""
        tail = (1 - self.level) / 2  # Gamma(shape, rate) quantiles by the inverse regularised incomplete gamma
        low, high = (float(special.gammaincinv(self.shape, q)) / self.rate for q in (tail, 1 - tail))
        return (days * self.shape / self.rate, days * low, days * high)

    def prob_at_least_one(self, days: float) -> tuple[float, float, float]:
        """P(at least one event in the next ``days`` days): the posterior predictive, then the interval.

        Predictive: 1 - (rate / (rate + days)) ** shape (negative binomial). Interval: 1 - exp(-days * lambda)
        at the rate's posterior quantiles.
        """
        if days < 0:
            raise ValueError(f"days must be >= 0, got {days}")
        predictive = 1 - (self.rate / (self.rate + days)) ** self.shape
        _, low, high = self.per(days)
        return (float(predictive), 1 - math.exp(-low), 1 - math.exp(-high))


def event_rate(dates: pd.Series, start: pd.Timestamp, end: pd.Timestamp, prior: tuple[float, float] = (0.5, 0.0),
               half_life_days: float | None = None, level: float = DEFAULT_LEVEL) -> EventRate:
    """Gamma-Poisson rate of events (e.g. exchanges) in the window [start, end].

    ``prior`` = (shape, rate) of the Gamma prior, default Jeffreys (0.5, 0). With ``half_life_days``, an event
    of age t days at ``end`` counts 0.5 ** (t / half_life) and the exposure is the integral of the same weight
    over the window, so recent months dominate.
    """
    _check_level(level)
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if end <= start:
        raise ValueError(f"the window must end after it starts, got {start:%Y-%m-%d} to {end:%Y-%m-%d}")
    dates = pd.to_datetime(pd.Series(dates))
    inside = dates[(dates >= start) & (dates <= end)]
    window_days = (end - start).days
    weights = recency_weights(inside, end, half_life_days)
    if half_life_days is None:
        exposure = float(window_days)
    else:
        exposure = half_life_days / math.log(2) * (1 - 0.5 ** (window_days / half_life_days))
    shape, rate = prior[0] + float(weights.sum()), prior[1] + exposure
    return EventRate(events=float(weights.sum()), exposure_days=exposure, shape=shape, rate=rate,
                     half_life_days=half_life_days, level=level)


def narrowing(frame: pd.DataFrame, outcome: str, prior: str | tuple[float, float] = "jeffreys",
              level: float = DEFAULT_LEVEL, recent_years: int = 2) -> pd.DataFrame:
    """How the rate of ``outcome`` moves as the reference class narrows: all rounds; both warring sides at the
    table; both sides and no third delegation (two party codes); both sides in the last ``recent_years`` years
    of the data. One ``rates_by`` row per class, ``group`` naming it."""
    both = frame["both_sides_at_table"].astype(bool)
    direct = both & (frame["parties"].astype(str).str.count("-") == 1)
    recent = both & (frame["date_start"] >= frame["date_start"].max() - pd.DateOffset(years=recent_years))
    classes = {"all rounds": frame, "both sides at the table": frame[both],
               "both sides, no third delegation": frame[direct],
               f"both sides, last {recent_years} years of data": frame[recent]}
    return pd.concat([rates_by(part, outcome, prior=prior, level=level).iloc[[-1]].assign(group=name)
                      for name, part in classes.items()], ignore_index=True)


def horizon_table(rates: dict[str, EventRate], horizons_days: list[int] | tuple[int, ...]) -> pd.DataFrame:
    """P(at least one event within each horizon) for each labelled ``event_rate``: ``weighting``, ``events per
    30 days``, ``days``, ``p``, ``lower``, ``upper``."""
    rows = []
    for label, rate in rates.items():
        for days in horizons_days:
            p, lower, upper = rate.prob_at_least_one(days)
            rows.append({"weighting": label, "events per 30 days": rate.per(30)[0], "days": days,
                         "p": p, "lower": lower, "upper": upper})
    return pd.DataFrame(rows)
