"""Forecasts for a described round: one headline per question, the steps behind it, and each method's track record.

The steps are the methods the backtest scores (``forecast.methods``), computed by the same code: for each yes/no
outcome the base rate, the reference classes (shrunk toward the base rate), the logistic model, and the headline
(their equal-weight mean); for "an exchange within k days" the four timing candidates and their mean. Each row
carries its method's skill against the naive reference, over all backtested rounds and over the class the round
belongs to (both sides at the table or not), computed from rounds before the forecast's date only.

No number without backing: a round dated before the first round in the tables is refused
(``RefusedForecast``); a step with nothing to stand on (an empty class, a model without its predictor) shows its
parent's rate and says so in ``warning``; a round dated after the data's last day gets a warning saying how
stale the data are, and the exchange windows are counted from the data's last day, not from months without data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast import cache, defaults, evaluate, features, methods
from forecast.errors import RefusedForecast

QUESTIONS = {
    "swap_agreed": "Will the round agree a prisoner exchange?",
    "ceasefire_agreed": "Will the round agree a partial or general ceasefire (progress >= 2)?",
    "next_round_agreed": "Will the participants agree to meet again?",
    **{methods.exchange_question(k): f"At least one prisoner exchange within {k} days after the round's start?"
       for k in defaults.EXCHANGE_HORIZONS_DAYS},
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


def _shown(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    return str(value)


def predict_round(round_row: pd.DataFrame, history: pd.DataFrame | None = None,
                  exchanges: pd.DataFrame | None = None, level: float = defaults.INTERVAL_LEVEL) -> pd.DataFrame:
    """One row per question and method: ``question`` (the outcome), ``text``, ``step`` (0 for the headline, then
    1, 2, ... for its reasoning), ``method``, ``p``, ``lower``, ``upper``, ``reference_class``, ``n``, ``note``,
    ``warning`` (empty, or why the step shows its parent's rate).

    ``round_row``: a one-row frame from ``features.hypothetical_round``. ``history``: the conflict's feature frame
    (default: the default conflict); only rounds that ended before the round's start count. ``exchanges``: the
    conflict's exchanges (default: loaded). A round dated before the first round raises RefusedForecast.
    """
    from forecast import data, events

    history = features.round_features() if history is None else history
    target = round_row.iloc[0]
    conflict = str(target["conflict"])
    exchanges = data.load_exchanges(conflict=conflict) if exchanges is None else exchanges
    date_warnings(target["date_start"], history)
    earlier = history[history["date_end"] < target["date_start"]]
    frame = pd.concat([earlier, round_row], ignore_index=True)
    rows = []
    for outcome in methods.BINARY_QUESTIONS:
        if earlier[outcome].notna().sum() == 0:
            raise RefusedForecast(f"no earlier round has a known {outcome}; there is nothing to forecast from")
        steps = methods.round_steps(frame, str(target["round_id"]), outcome, level)
        rows += _numbered(outcome, steps)
    day = pd.Timestamp(target["date_start"])
    last_day = max(history["date_end"].max(), exchanges["date"].max()) if len(exchanges) else history["date_end"].max()
    origin = min(day, last_day)
    first_day = data.load_conflicts().set_index("conflict_id").loc[conflict, "period_start"]
    days = events.prisoner_exchange_days(exchanges[exchanges["date"] <= origin])
    for horizon in defaults.EXCHANGE_HORIZONS_DAYS:
        steps = methods.exchange_steps(days, first_day, origin, horizon, level)
        for step in steps:
            step.update(n=len(days), note=f"window from {origin:%Y-%m-%d}", warning="")
        rows += _numbered(methods.exchange_question(horizon), steps)
    return pd.DataFrame(rows)


def _numbered(question: str, steps: list[dict]) -> list[dict]:
    """The headline first (step 0), then the candidates it combines (steps 1, 2, ...)."""
    headline = [dict(step, step=0) for step in steps if step["method"] == "headline"]
    others = [dict(step, step=number) for number, step in enumerate((s for s in steps if s["method"] != "headline"), 1)]
    return [dict(row, question=question, text=QUESTIONS[question]) for row in [*headline, *others]]


def forecast_warnings(predictions: pd.DataFrame, round_row: pd.DataFrame, history: pd.DataFrame,
                      last_day: pd.Timestamp | None = None) -> list[str]:
    """Every warning a user must see beside these forecasts: stale data, then each step shown as a fallback."""
    found = date_warnings(round_row.iloc[0]["date_start"], history, last_day)
    flagged = predictions[predictions["warning"] != ""]
    found += [f"{row.question}, step {row.step} ({row.method}): {row.warning}" for row in flagged.itertuples()]
    return found


def track_record_for(round_row: pd.DataFrame, rng: np.random.Generator, history: pd.DataFrame | None = None,
                     exchanges: pd.DataFrame | None = None, n_bootstrap: int = defaults.N_BOOTSTRAP):
    """(scores, forecasts) of the backtest a forecast for this round may show: targets before its date only."""
    target = round_row.iloc[0]

    def build():
        return evaluate.track_record(history, exchanges, rng, n_bootstrap, as_of=target["date_start"],
                                     conflict=str(target["conflict"]))

    if history is not None or exchanges is not None:  # tables given by the caller: nothing to key a cache on
        return build()
    state = rng.bit_generator.state  # the generator's state, so that a cached record equals a fresh one
    return cache.from_tables("record", (str(target["conflict"]), str(target["date_start"]), n_bootstrap, repr(state)),
                             build)


def attach_track_record(predictions: pd.DataFrame, round_row: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Add each method's backtest record for each question (``scores`` from ``track_record_for``): ``skill``
    (vs the naive reference) with ``skill_lower``/``skill_upper`` and ``backtest_n`` over all targets, and
    ``class_skill`` with its interval for the class the round belongs to (``both_sides_at_table``)."""
    target = round_row.iloc[0]
    overall = scores[scores["class"] == "all"].set_index(["question", "method"])
    label = f"both_sides_at_table={_shown(bool(target['both_sides_at_table']))}"
    within = scores[scores["class"] == label].set_index(["question", "method"])
    keys = list(zip(predictions["question"], predictions["method"]))
    table = predictions.copy()
    for column in ("skill", "skill_lower", "skill_upper"):
        table[column] = [overall[column].get(key, np.nan) for key in keys]
        table[f"class_{column}"] = [within[column].get(key, np.nan) for key in keys]
    table["backtest_n"] = [overall["n"].get(key, np.nan) for key in keys]
    table["class_n"] = [within["n"].get(key, np.nan) for key in keys]
    table["class"] = label
    table["reference"] = [evaluate.REFERENCES[evaluate.QUESTION_KINDS[q]] for q in table["question"]]
    return table
