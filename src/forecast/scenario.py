"""A described next round (a scenario): its parameters, the defaults used where the user gave none (each said
in words), the sentence that describes it, and the grid of other parties and levels on the same date.

The next-round notebook, its scenario reports (``forecast report --params``) and the scenario explorer all build
their round here, so the words a report prints come from the parameters it ran with.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast import cache, data, defaults, features, predict, present
from forecast.codes import DEFAULT_CONFLICT, LEVELS, PARTIES

NOT_GIVEN = ""
"""The value of a scenario parameter the user left out (``forecast report --params`` fills it in for date,
mediator and venue): the notebook then uses the default this module states."""


@dataclass(frozen=True)
class Scenario:
    """One described round: ``conflict``, ``day``, ``parties`` (delegation codes), ``mediator``, ``venue`` (may be
    empty: no method uses it), ``level``; ``assumed``: one sentence per default used in place of a parameter."""

    conflict: str
    day: pd.Timestamp
    parties: str
    mediator: str
    venue: str
    level: str
    assumed: tuple[str, ...] = field(default_factory=tuple)

    def describe(self) -> str:
        """The round in words, e.g. "a round of the Russia–Ukraine war with RU-UA at the table on 2026-04-10 in
        Istanbul, mediator Turkey, level senior officials"."""
        where = f" in {self.venue}" if self.venue else " (venue not given)"
        mediator = "no third-party mediator" if self.mediator == "none" else f"mediator {self.mediator}"
        return (f"a round of the {conflict_name(self.conflict)} with {self.parties} at the table on "
                f"{self.day:%Y-%m-%d}{where}, {mediator}, level {self.level.replace('_', ' ')}")

    def round_row(self) -> pd.DataFrame:
        """The round's features against the tables before its date (``features.hypothetical_round``)."""
        return features.hypothetical_round(self.day, self.parties, self.level, self.mediator, self.venue,
                                           conflict=self.conflict)


def conflict_name(conflict: str) -> str:
    """The conflict's name without its bracketed period: "Russia–Ukraine war"."""
    return data.sides(conflict).name.split(" (")[0]


def parties_options(conflict: str) -> list[str]:
    """The sets of parties a scenario of ``conflict`` can name: those of its rounds (Russia–Ukraine: all four)."""
    if conflict == DEFAULT_CONFLICT:
        return list(PARTIES)
    rounds = data.load_rounds(conflict=conflict)
    return list(rounds["parties"].astype(str).value_counts().index)


def mediator_options(conflict: str) -> list[str]:
    """Mediator cells seen in ``conflict``'s rounds, commonest first, then ``none``."""
    seen = list(data.load_rounds(conflict=conflict)["mediator"].astype(str).value_counts().index)
    return seen + ([] if "none" in seen else ["none"])


def default_mediator(conflict: str, parties: str, before: pd.Timestamp) -> tuple[str, str]:
    """The commonest mediator of earlier rounds of ``conflict`` with the same parties (``none`` if there were
    none), and the sentence that says so."""
    rounds = data.load_rounds(conflict=conflict)
    earlier = rounds[(rounds["parties"].astype(str) == parties) & (rounds["date_start"] < before)]
    if earlier.empty:
        return "none", f"mediator not given and no earlier {parties} round: assumed none"
    counts = earlier["mediator"].astype(str).value_counts()
    return (str(counts.index[0]), f"mediator not given: assumed {counts.index[0]}, the commonest mediator of the "
                                  f"{len(earlier)} earlier {parties} rounds ({counts.iloc[0]} of them)")


def from_parameters(conflict: str = DEFAULT_CONFLICT, round_date: str = NOT_GIVEN, parties: str = "US-RU-UA",
                    mediator: str = NOT_GIVEN, venue: str = NOT_GIVEN, level: str = "senior_officials",
                    today: dt.date | None = None) -> Scenario:
    """The scenario the notebook's parameters describe; a date, mediator or venue not given (empty) gets the
    default this function states in ``assumed``: the build day, the commonest earlier mediator, no venue."""
    assumed = []
    if round_date == NOT_GIVEN:
        day = pd.Timestamp(today or dt.date.today())
        assumed.append(f"date not given: assumed the build day, {day:%Y-%m-%d}")
    else:
        try:
            day = pd.Timestamp(round_date)
        except (ValueError, TypeError):
            raise ValueError(f"round_date {round_date!r} is not a date; expected YYYY-MM-DD") from None
    if mediator == NOT_GIVEN:
        mediator, sentence = default_mediator(conflict, parties, day)
        assumed.append(sentence)
    if venue == NOT_GIVEN:
        assumed.append("venue not given (no method uses it)")
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    return Scenario(conflict, day, parties, mediator, venue, level, tuple(assumed))


def grid(chosen: Scenario, question: str = "swap_agreed", level: float = defaults.INTERVAL_LEVEL) -> pd.DataFrame:
    """The headline forecast of ``question`` for every set of parties the conflict has and every level above
    technical, on the scenario's date with its mediator: ``parties``, ``level``, ``p``, ``lower``, ``upper``.
    Cached by the data files, the code and the scenario."""
    def build() -> pd.DataFrame:
        history = features.round_features(conflict=chosen.conflict)
        rows = []
        for parties in parties_options(chosen.conflict):
            for round_level in LEVELS[1:]:
                try:
                    row = features.hypothetical_round(chosen.day, parties, round_level, chosen.mediator, chosen.venue,
                                                      conflict=chosen.conflict)
                except ValueError:
                    continue
                steps = predict.predict_round(row, history, level=level)
                step = steps[(steps["question"] == question) & (steps["method"] == "headline")].iloc[0]
                rows.append({"parties": parties, "level": round_level, "p": step["p"], "lower": step["lower"],
                             "upper": step["upper"]})
        return pd.DataFrame(rows, columns=["parties", "level", "p", "lower", "upper"])

    return cache.from_tables("scenario-grid", (chosen.conflict, str(chosen.day), chosen.mediator, question, level),
                             build)


def grid_table(table: pd.DataFrame) -> pd.DataFrame:
    """The grid as parties (rows) by level (columns), each cell "p (lower to upper)"."""
    cells = table.assign(cell=[present.with_interval(p, lo, hi) for p, lo, hi in
                               zip(table["p"], table["lower"], table["upper"])])
    wide = cells.pivot(index="parties", columns="level", values="cell")
    wide = wide.reindex(columns=[name for name in LEVELS[1:] if name in wide.columns])
    wide.columns = [name.replace("_", " ") for name in wide.columns]
    return wide.reindex([p for p in dict.fromkeys(table["parties"])]).rename_axis("parties")



@dataclass(frozen=True)
class Forecast:
    """Everything the next-round report and the explorer show for one scenario: the round's features, the steps
    with their track records (``predict.attach_track_record``), the warnings, the backtest behind the record
    (``scores``, ``record``), and the last day of the conflict's data."""

    scenario: Scenario
    history: pd.DataFrame
    round_row: pd.DataFrame
    prediction: pd.DataFrame
    warnings: list[str]
    scores: pd.DataFrame
    record: pd.DataFrame
    last_day: pd.Timestamp


def forecast(chosen: Scenario, seed: int = defaults.SEED, n_bootstrap: int = defaults.N_BOOTSTRAP) -> Forecast:
    """The forecast of every question for ``chosen``, each step with its track record from rounds before its date
    (the same functions as ``forecast predict``). A round before the first round raises RefusedForecast."""
    history = features.round_features(conflict=chosen.conflict)
    round_row = chosen.round_row()
    steps = predict.predict_round(round_row, history)
    last_day = data.provenance(conflict=chosen.conflict).last_date
    warnings = predict.forecast_warnings(steps, round_row, history, last_day)
    scores, record = predict.track_record_for(round_row, np.random.default_rng(seed), n_bootstrap=n_bootstrap)
    prediction = predict.attach_track_record(steps, round_row, scores)
    return Forecast(chosen, history, round_row, prediction, warnings, scores, record, last_day)


def summary_table(prediction: pd.DataFrame) -> pd.DataFrame:
    """One row per question: the question in words, the headline probability with its interval, and the
    headline's skill against its reference with its interval and the number of earlier targets."""
    headline = prediction[prediction["method"] == "headline"]
    return pd.DataFrame({
        "question": headline["text"].to_numpy(),
        "forecast": [present.with_interval(p, lo, hi) for p, lo, hi in
                     zip(headline["p"], headline["lower"], headline["upper"])],
        "skill of this headline": [present.with_interval(s, lo, hi, present.signed) or "no record yet"
                                   for s, lo, hi in zip(headline["skill"], headline["skill_lower"], headline["skill_upper"])],
        "against": [str(name).replace("_", " ") for name in headline["reference"]],
        "earlier targets": [present.whole(n) for n in headline["backtest_n"]],
    })
