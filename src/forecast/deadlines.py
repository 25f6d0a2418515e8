"""Questions with deadlines: P(an event by date D | what was known on day t), for the events of
``forecast.events.DEADLINE_QUESTIONS`` (a general or any ceasefire agreed, a prisoner exchange, a round with both
sides, a leaders' meeting), in any conflict.

The forecast uses the same four event-timing candidates as "an exchange within k days" (``forecast.methods``:
climatology of past windows, a Gamma-Poisson rate over the last year, one with a 180-day half-life, and one over
episodes) on the days the event happened before t, and their equal-weight mean as the headline. For an event the
conflict never had, the Poisson candidates' Jeffreys prior Gamma(1/2, 0) gives P = 1 - (T / (T + h)) ** (1/2)
after T days without it: a stated prior that shrinks as the quiet lasts. The track record comes from monthly
origins at the horizons ``defaults.DEADLINE_HORIZONS_DAYS``, scored against climatology.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast import data, defaults, evaluate, events, methods


def question_name(question: str, horizon: int) -> str:
    """``any_ceasefire_by_90d`` for the 90-day horizon."""
    return f"{question}_{horizon}d"


def _tables(conflict: str, as_of: pd.Timestamp | None) -> tuple[events.Tables, pd.Timestamp]:
    tables = events.Tables.load(conflict=conflict)
    first_day = data.load_conflicts().set_index("conflict_id").loc[conflict, "period_start"]
    return tables, pd.Timestamp(first_day)


def event_days_before(question: str, tables: events.Tables, before: pd.Timestamp) -> pd.Series:
    found = events.event_days(question, tables)
    return found.loc[found["day"] < before, "day"]


def backtest(question: str, conflict: str = data.DEFAULT_CONFLICT, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """Rolling-origin forecasts of ``question`` at every horizon from monthly origins (only events and origins
    before ``as_of`` when given): rows as ``methods.exchange_backtest`` with ``question`` e.g. ``round_by_90d``."""
    if question not in events.DEADLINE_QUESTIONS:
        raise ValueError(f"unknown question {question!r}; expected one of {', '.join(events.DEADLINE_QUESTIONS)}")
    tables, first_day = _tables(conflict, as_of)
    last_day = pd.Timestamp(tables.last_day)
    if as_of is not None:
        last_day = min(last_day, pd.Timestamp(as_of) - pd.Timedelta(days=1))
    days = event_days_before(question, tables, last_day + pd.Timedelta(days=1))
    start = max(pd.Timestamp(defaults.EXCHANGE_ORIGINS_FROM),
                first_day + pd.Timedelta(days=defaults.DEADLINE_FIRST_ORIGIN_AFTER_DAYS))
    parts = [methods.exchange_backtest(days, first_day, last_day, horizon, question_name(question, horizon),
                                       start=f"{start:%Y-%m-%d}", step=defaults.DEADLINE_ORIGIN_STEP_DAYS)
             for horizon in defaults.DEADLINE_HORIZONS_DAYS]
    return pd.concat(parts, ignore_index=True)


def scores(forecasts: pd.DataFrame, rng: np.random.Generator, n_bootstrap: int = defaults.N_BOOTSTRAP,
           level: float = defaults.INTERVAL_LEVEL) -> pd.DataFrame:
    """Brier and log loss of each method per question and horizon, with Brier skill against climatology and a
    moving-block bootstrap interval (blocks as long as the horizon). Where every backtested window came out the
    same (the event never happened, or always did), skill is not defined and is left missing: compare Brier."""
    rows = []
    for question, part in forecasts.groupby("question", sort=False):
        horizon = int(question.rsplit("_", 1)[1].rstrip("d"))
        by_method = {name: group.sort_values("target") for name, group in part.groupby("method")}
        reference = by_method["climatology"]
        ref_loss = (reference["p"].to_numpy(float) - reference["outcome"].to_numpy(float)) ** 2
        weights = evaluate.resample_weights(np.zeros(len(ref_loss)), rng, n_bootstrap,
                                            block=int(np.ceil(horizon / defaults.DEADLINE_ORIGIN_STEP_DAYS)))
        for name, group in by_method.items():
            p, y = group["p"].to_numpy(float), group["outcome"].to_numpy(float)
            loss = (p - y) ** 2
            low, high = evaluate._skill_interval(loss, ref_loss, weights, level)
            ref = ref_loss.mean()
            one_sided = y.min() == y.max()  # every window came out the same: any skill is 0/0 in disguise
            rows.append({"question": question, "method": name, "n": len(p), "yes": int(y.sum()),
                         "brier": float(loss.mean()), "log_loss": float(methods.log_loss_values(p, y).mean()),
                         "skill": np.nan if one_sided or ref == 0 else (ref - loss.mean()) / ref,
                         "skill_lower": np.nan if one_sided else low, "skill_upper": np.nan if one_sided else high,
                         "reference": "climatology"})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Answer:
    """A deadline question answered: the headline, its steps, the record at the nearest horizon, warnings."""

    question: str
    conflict: str
    as_of: pd.Timestamp
    deadline: pd.Timestamp
    origin: pd.Timestamp
    horizon_days: int
    p: float
    lower: float
    upper: float
    steps: list[dict]
    record: dict | None
    warnings: list[str] = field(default_factory=list)


def ask(question: str, deadline, as_of=None, conflict: str = data.DEFAULT_CONFLICT,
        rng: np.random.Generator | None = None, n_bootstrap: int = defaults.N_BOOTSTRAP,
        with_record: bool = True) -> Answer:
    """P(``question``'s event by ``deadline`` | the data before ``as_of``) for ``conflict``. ``as_of`` defaults
    to the day after the data's last day. Events are counted from the data's last day when ``as_of`` lies after
    it (with a warning), so months without data are never counted as months without events."""
    from forecast.errors import RefusedForecast

    if question not in events.DEADLINE_QUESTIONS:
        raise ValueError(f"unknown question {question!r}; expected one of {', '.join(events.DEADLINE_QUESTIONS)}")
    tables, first_day = _tables(conflict, None)
    last_day = pd.Timestamp(tables.last_day)
    as_of = last_day + pd.Timedelta(days=1) if as_of is None else pd.Timestamp(as_of)
    deadline = pd.Timestamp(deadline)
    if deadline < as_of:
        raise RefusedForecast(f"the deadline {deadline:%Y-%m-%d} is before the as-of day {as_of:%Y-%m-%d}")
    if as_of <= first_day:
        raise RefusedForecast(f"{as_of:%Y-%m-%d} is before the data on {conflict} begin ({first_day:%Y-%m-%d})")
    found_warnings = []
    origin = min(as_of - pd.Timedelta(days=1), last_day)
    if as_of - pd.Timedelta(days=1) > last_day:
        found_warnings.append(f"the data end on {last_day:%Y-%m-%d}, {(as_of - last_day).days - 1} days before the "
                              "as-of day: the forecast counts from the data's last day, so events since then are "
                              "part of what it forecasts")
    horizon = max(int((deadline - origin).days), 1)
    days = event_days_before(question, tables, origin + pd.Timedelta(days=1))
    steps = methods.exchange_steps(days, first_day, origin, horizon)
    headline = next(step for step in steps if step["method"] == "headline")
    nearest = min(defaults.DEADLINE_HORIZONS_DAYS, key=lambda h: abs(h - horizon))
    name = question_name(question, nearest)
    record = None
    if with_record:
        forecasts = backtest(question, conflict, as_of)
        part = forecasts[forecasts["question"] == name]
        if len(part):
            table = scores(part, np.random.default_rng(defaults.SEED) if rng is None else rng, n_bootstrap)
            record = {**table[table["method"] == "headline"].iloc[0].to_dict(), "question": name}
        else:
            found_warnings.append(f"no track record yet: no {nearest}-day window before {as_of:%Y-%m-%d} had passed")
    if days.empty:
        found_warnings.append(f"{conflict} has had no such event in the data; the forecast rests on the Jeffreys "
                              "prior of the Poisson candidates and the share of windows without one")
    return Answer(question, conflict, as_of, deadline, origin, horizon, headline["p"], headline["lower"],
                  headline["upper"], steps, record, found_warnings)
