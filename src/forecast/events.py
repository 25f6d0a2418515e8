"""Events in time that questions ask about, each defined once: "a prisoner exchange", "a round with both
warring sides", "a ceasefire agreed" ... and how the curated tables settle a question about them.

An event's day: an exchange on its ``date``; a round on its ``date_start`` (it took place) or, for what a round
agreed, on its ``date_end`` (the outcome is known when the round ends).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from forecast import data, features
from forecast.dates import as_day

PRISONER_KINDS = ("prisoners", "prisoners_and_bodies")
"""Exchange kinds that count as "a prisoner exchange" (living people returned); body-only handovers do not."""

DEADLINE_QUESTIONS = {
    "exchange_by": "at least one prisoner exchange (living people returned)",
    "round_by": "a round of talks with both warring sides at the table",
    "leaders_meet_by": "a round at level leaders with both warring sides at the table",
    "any_ceasefire_by": "a partial, local, temporary or general ceasefire agreed by both (ceasefire_progress >= 2)",
    "general_ceasefire_by": "a general ceasefire agreed by both (ceasefire_progress 3)",
}
"""Questions of the form "will this happen by date D?", with what counts."""


def prisoner_exchange_days(exchanges: pd.DataFrame) -> pd.Series:
    """Days of prisoner exchanges (``PRISONER_KINDS``), sorted, one entry per exchange event."""
    return exchanges.loc[exchanges["kind"].isin(PRISONER_KINDS), "date"].sort_values().reset_index(drop=True)


@dataclass(frozen=True)
class Tables:
    """The curated tables a question is settled against, and the last day they cover."""

    rounds: pd.DataFrame
    exchanges: pd.DataFrame
    last_day: dt.date

    @classmethod
    def load(cls, rounds: pd.DataFrame | None = None, exchanges: pd.DataFrame | None = None,
             conflict: str = data.DEFAULT_CONFLICT) -> "Tables":
        """The tables of ``conflict`` (whose events deadline questions count)."""
        rounds = data.load_rounds(conflict=conflict) if rounds is None else rounds
        exchanges = data.load_exchanges(conflict=conflict) if exchanges is None else exchanges
        frame = features.round_features(rounds, exchanges, conflict=conflict)
        last = max(frame["date_end"].max(), exchanges["date"].max() if len(exchanges) else frame["date_end"].max())
        return cls(frame, exchanges, last.date())


def event_days(question: str, tables: Tables) -> pd.DataFrame:
    """The events a deadline question counts: columns ``day`` (datetime) and ``what`` (round or exchange id),
    in time order. ``question``: a key of ``DEADLINE_QUESTIONS`` or a round outcome of ``features.OUTCOMES``
    (then: a round whose outcome was yes)."""
    rounds = tables.rounds
    both = rounds["both_sides_at_table"].astype(bool)
    progress = rounds["ceasefire_progress"]
    if question == "exchange_by":
        chosen = tables.exchanges[tables.exchanges["kind"].isin(PRISONER_KINDS)]
        found = pd.DataFrame({"day": chosen["date"], "what": "exchange " + chosen["exchange_id"].astype(str)})
    elif question in ("round_by", "leaders_meet_by"):
        chosen = rounds[both & ((rounds["level"] == "leaders") if question == "leaders_meet_by" else True)]
        found = pd.DataFrame({"day": chosen["date_start"], "what": "round " + chosen["round_id"].astype(str)})
    elif question in ("any_ceasefire_by", "general_ceasefire_by"):
        threshold = 2 if question == "any_ceasefire_by" else 3
        chosen = rounds[(progress >= threshold).fillna(False).astype(bool)]
        found = pd.DataFrame({"day": chosen["date_end"], "what": "round " + chosen["round_id"].astype(str)})
    elif question in features.OUTCOMES:
        chosen = rounds[rounds[question].fillna(False).astype(bool)]
        found = pd.DataFrame({"day": chosen["date_end"], "what": "round " + chosen["round_id"].astype(str)})
    else:
        raise ValueError(f"unknown question {question!r}; expected one of "
                         f"{', '.join([*DEADLINE_QUESTIONS, *features.OUTCOMES])}")
    return found.sort_values("day", kind="stable").reset_index(drop=True)



def settle(outcome: str, target: str, issued: dt.date, tables: Tables) -> tuple[str | None, str]:
    """How the tables settle a ledger question: (``yes``/``no``, reason) or (None, why it stays open).

    - ``target`` a round id and ``outcome`` a round outcome: that round's coded outcome, once known.
    - ``target`` a deadline YYYY-MM-DD: ``yes`` as soon as an event of ``outcome`` (see ``event_days``) falls on
      a day from the issue day to the deadline; ``no`` once the tables cover the deadline with no such event.
    """
    rounds = tables.rounds
    if target in set(rounds["round_id"]):
        if outcome not in features.OUTCOMES:
            return None, f"outcome {outcome!r} is not a round outcome ({', '.join(features.OUTCOMES)})"
        value = rounds.loc[rounds["round_id"] == target, outcome].iloc[0]
        if pd.isna(value):
            return None, f"round {target}: {outcome} is not known in the tables"
        return ("yes" if bool(value) else "no"), f"round {target}: {outcome} = {'yes' if value else 'no'}"
    deadline = as_day(target)
    if deadline is None:
        return None, f"target {target!r} is neither a round id of the tables nor a deadline YYYY-MM-DD"
    if deadline < issued:
        return None, f"deadline {deadline} lies before the forecast was issued ({issued})"
    try:
        found = event_days(outcome, tables)
    except ValueError as error:
        return None, str(error)
    days = found["day"].dt.date
    inside = found[(days >= issued) & (days <= deadline)]
    if len(inside):
        first = inside.iloc[0]
        return "yes", f"{first['what']} on {first['day']:%Y-%m-%d}, by the deadline {deadline}"
    if tables.last_day >= deadline:
        return "no", f"no such event from {issued} to {deadline} (the tables run to {tables.last_day})"
    return None, f"deadline {deadline} is after the tables' last day {tables.last_day}"
