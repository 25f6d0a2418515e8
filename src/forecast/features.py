"""Features of each round derived from the tables, using only what was known before the round started.

A round's own outcome is known at its ``date_end``; a feature of round t may use another round's outcome only
if that round ended before t started (``date_end < date_start``). Exchanges count if they happened before
``date_start``. Features that look back (days since the previous round, the previous swap, exchanges in the last
90 days) look only at the round's own conflict. The backtest relies on this: see
``tests/test_evaluate.py::test_no_leakage``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast import data
from forecast.codes import DEFAULT_CONFLICT

EXCHANGE_LOOKBACK_DAYS = 90
"""Window for ``exchanges_prev_90d``: exchange events in the 90 days before a round starts."""

OUTCOMES = ("swap_agreed", "ceasefire_agreed", "next_round_agreed")
"""Yes/no outcomes the suite forecasts. ``ceasefire_agreed`` is ``ceasefire_progress >= 2``."""


def _lookback(frame: pd.DataFrame, exchanges: pd.DataFrame) -> pd.DataFrame:
    """days_since_previous_round, previous_swap_agreed, exchanges_prev_90d for the rounds of one conflict."""
    starts = frame["date_start"].to_numpy()
    ends = frame["date_end"].to_numpy()
    both = frame["both_sides_at_table"].to_numpy()
    swap = frame["swap_agreed"]
    days_since, previous_swap = [], []
    for start in starts:
        ended_before = ends < start
        days_since.append((start - ends[ended_before].max()) / np.timedelta64(1, "D") if ended_before.any() else np.nan)
        earlier_both = np.flatnonzero(ended_before & both)
        previous_swap.append(swap.iloc[earlier_both[-1]] if len(earlier_both) else pd.NA)
    exchange_days = np.sort(exchanges["date"].to_numpy())
    window = np.timedelta64(EXCHANGE_LOOKBACK_DAYS, "D")
    return pd.DataFrame({
        "days_since_previous_round": pd.array(days_since, dtype="Float64"),
        "previous_swap_agreed": pd.array(previous_swap, dtype="boolean"),
        "exchanges_prev_90d": (np.searchsorted(exchange_days, starts, side="left")
                               - np.searchsorted(exchange_days, starts - window, side="left")),
    }, index=frame.index)


def round_features(rounds: pd.DataFrame | None = None, exchanges: pd.DataFrame | None = None,
                   conflict: str | None = DEFAULT_CONFLICT) -> pd.DataFrame:
    """One row per round (time order) with outcomes and pre-round features, for one conflict (default
    ``DEFAULT_CONFLICT``) or, with ``conflict=None``, for all conflicts in the given tables.

    Added columns: ``year``; ``both_sides_at_table`` (both warring sides' delegations present, in the room or,
    for indirect talks, in the city); ``level_rank`` (0 technical ... 3 leaders); ``primary_mediator`` (first
    listed); ``ceasefire_agreed`` (progress >= 2, missing if progress unknown); ``date_end_known`` (False where
    the sources give no last day: ``date_end`` is then taken as ``date_start``); ``days_since_previous_round``
    (days from the previous round's end in the same conflict, any parties; missing for the first);
    ``previous_swap_agreed`` (outcome of the latest round of the conflict that ended before this one started,
    among rounds with both sides at the table); ``exchanges_prev_90d`` (exchange events of the conflict in the 90
    days before ``date_start``).
    """
    rounds = data.load_rounds(conflict=None) if rounds is None else rounds
    exchanges = data.load_exchanges(conflict=None) if exchanges is None else exchanges
    if conflict is not None:
        rounds = rounds[rounds["conflict"] == conflict]
        exchanges = exchanges[exchanges["conflict"] == conflict]
    frame = rounds.sort_values(["date_start", "round_id"], kind="stable").reset_index(drop=True).copy()

    frame["year"] = frame["date_start"].dt.year
    frame["date_end_known"] = frame["date_end"].notna()
    frame["date_end"] = frame["date_end"].fillna(frame["date_start"])
    frame["both_sides_at_table"] = (frame["side_a_at_table"].fillna(False) & frame["side_b_at_table"].fillna(False)
                                    ).astype(bool)
    frame["level_rank"] = frame["level"].cat.codes.astype("Int64").where(frame["level"].notna())
    frame["primary_mediator"] = frame["mediator"].astype("string").str.split(data.LIST_SEPARATOR).str[0]
    progress = frame["ceasefire_progress"]
    frame["ceasefire_agreed"] = (progress >= 2).astype("boolean").where(progress.notna())

    looked_back = [_lookback(part, exchanges[exchanges["conflict"] == name])
                   for name, part in frame.groupby("conflict", sort=False)]
    columns = ["days_since_previous_round", "previous_swap_agreed", "exchanges_prev_90d"]
    if looked_back:
        frame = frame.join(pd.concat(looked_back).sort_index())
    else:
        frame = frame.assign(**{column: pd.Series(dtype="Float64") for column in columns})
    return frame


def hypothetical_round(date: str | pd.Timestamp, parties: str, level: str | None = None, mediator: str = "none",
                       venue: str = "", rounds: pd.DataFrame | None = None, exchanges: pd.DataFrame | None = None,
                       conflict: str = DEFAULT_CONFLICT, round_format: str = "in_person") -> pd.DataFrame:
    """Features of a described future round (one row) of ``conflict``, computed against the tables as of ``date``.

    ``parties``: delegation codes joined by ``-`` (for Russia-Ukraine one of ``codes.PARTIES``); which warring
    sides are at the table follows from the conflict's side codes (conflicts.csv). Unknown parties, level,
    mediator or format raise ValueError naming the accepted values. Only rounds that ended before ``date`` and
    exchanges before it are used.
    """
    rounds = data.load_rounds(conflict=None) if rounds is None else rounds
    exchanges = data.load_exchanges(conflict=None) if exchanges is None else exchanges
    side_a_codes, side_b_codes = side_codes(conflict)
    try:
        day = pd.Timestamp(date)
    except (ValueError, TypeError):
        raise ValueError(f"date {date!r} is not a date; expected YYYY-MM-DD") from None
    codes = [code for code in str(parties).split("-") if code]
    if conflict == DEFAULT_CONFLICT and parties not in data.PARTIES:
        raise ValueError(f"unknown parties {parties!r}; expected one of {', '.join(data.PARTIES)}")
    if not codes or not set(codes) & (side_a_codes | side_b_codes):
        raise ValueError(f"parties {parties!r} names no warring side of {conflict}; its codes are "
                         f"{', '.join(sorted(side_a_codes))} (side A) and {', '.join(sorted(side_b_codes))} (side B)")
    if level is not None and level not in data.LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(data.LEVELS)}")
    if round_format not in data.FORMATS:
        raise ValueError(f"unknown format {round_format!r}; expected one of {', '.join(data.FORMATS)}")
    for name in mediator.split(data.LIST_SEPARATOR):
        if name not in data.MEDIATORS:
            raise ValueError(f"unknown mediator {name!r}; expected one of {', '.join(data.MEDIATORS)}")
    new = {field.name: pd.NA for field in data.ROUND_FIELDS}
    new.update(round_id=f"{day:%Y-%m-%d}-scenario", conflict=conflict, date_start=day, date_end=day,
               city=venue or "unspecified", parties=parties, level=level, mediator=mediator, format=round_format,
               side_a_at_table=bool(set(codes) & side_a_codes), side_b_at_table=bool(set(codes) & side_b_codes))
    own = rounds[rounds["conflict"] == conflict]
    earlier = own[own["date_end"].fillna(own["date_start"]) < day]
    combined = pd.concat([earlier, pd.DataFrame([new]).astype({c: rounds[c].dtype for c in rounds.columns})],
                         ignore_index=True)
    own_exchanges = exchanges[(exchanges["conflict"] == conflict) & (exchanges["date"] < day)]
    return round_features(combined, own_exchanges, conflict=conflict).iloc[[-1]].reset_index(drop=True)


def side_codes(conflict: str = DEFAULT_CONFLICT, conflicts: pd.DataFrame | None = None) -> tuple[set[str], set[str]]:
    """The ``parties`` codes that count as side A and as side B of ``conflict`` (conflicts.csv)."""
    conflicts = data.load_conflicts() if conflicts is None else conflicts
    row = conflicts[conflicts["conflict_id"] == conflict]
    if row.empty:
        raise ValueError(f"unknown conflict {conflict!r}; the data have {', '.join(conflicts['conflict_id'])}")
    row = row.iloc[0]
    return (set(str(row["side_a_codes"]).split(data.LIST_SEPARATOR)),
            set(str(row["side_b_codes"]).split(data.LIST_SEPARATOR)))
