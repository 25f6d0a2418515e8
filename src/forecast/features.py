"""Features of each round derived from the tables, using only what was known before the round started.

A round's own outcome is known at its ``date_end``; a feature of round t may use another round's outcome only
if that round ended before t started (``date_end < date_start``). Exchanges count if they happened before
``date_start``. The backtest relies on this: see ``tests/test_evaluate.py::test_no_leakage``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast import data

EXCHANGE_LOOKBACK_DAYS = 90
"""Window for ``exchanges_prev_90d``: exchange events in the 90 days before a round starts."""

OUTCOMES = ("swap_agreed", "ceasefire_agreed", "next_round_agreed")
"""Yes/no outcomes the suite forecasts. ``ceasefire_agreed`` is ``ceasefire_progress >= 2``."""


def round_features(rounds: pd.DataFrame | None = None, exchanges: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per round (time order) with outcomes and pre-round features.

    Added columns: ``year``; ``ru_ua_at_table`` (Russia and Ukraine both at the table: RU-UA or US-RU-UA);
    ``us_at_table``; ``level_rank`` (0 technical ... 3 leaders); ``primary_mediator`` (first listed);
    ``ceasefire_agreed`` (progress >= 2, missing if progress unknown); ``days_since_previous_round``
    (days from the previous round's end, any parties; missing for the first); ``previous_swap_agreed`` (outcome
    of the latest round that ended before this one started, among rounds with Russia and Ukraine at the
    table); ``exchanges_prev_90d`` (exchange events in the 90 days before ``date_start``).
    """
    rounds = data.load_rounds() if rounds is None else rounds
    exchanges = data.load_exchanges() if exchanges is None else exchanges
    frame = rounds.sort_values(["date_start", "round_id"], kind="stable").reset_index(drop=True).copy()

    frame["year"] = frame["date_start"].dt.year
    frame["ru_ua_at_table"] = frame["parties"].isin(["RU-UA", "US-RU-UA"])
    frame["us_at_table"] = frame["parties"].astype(str).str.startswith("US")
    frame["level_rank"] = frame["level"].cat.codes.astype("Int64").where(frame["level"].notna())
    frame["primary_mediator"] = frame["mediator"].astype("string").str.split(data.LIST_SEPARATOR).str[0]
    progress = frame["ceasefire_progress"]
    frame["ceasefire_agreed"] = (progress >= 2).astype("boolean").where(progress.notna())

    starts = frame["date_start"].to_numpy()
    ends = frame["date_end"].to_numpy()
    days_since, previous_swap = [], []
    direct = frame["ru_ua_at_table"].to_numpy()
    swap = frame["swap_agreed"]
    for position, start in enumerate(starts):
        ended_before = ends < start
        days_since.append((start - ends[ended_before].max()) / np.timedelta64(1, "D") if ended_before.any() else np.nan)
        earlier_direct = np.flatnonzero(ended_before & direct)
        previous_swap.append(swap.iloc[earlier_direct[-1]] if len(earlier_direct) else pd.NA)
    frame["days_since_previous_round"] = pd.array(days_since, dtype="Float64")
    frame["previous_swap_agreed"] = pd.array(previous_swap, dtype="boolean")

    exchange_days = np.sort(exchanges["date"].to_numpy())
    window = np.timedelta64(EXCHANGE_LOOKBACK_DAYS, "D")
    frame["exchanges_prev_90d"] = (np.searchsorted(exchange_days, starts, side="left")
                                   - np.searchsorted(exchange_days, starts - window, side="left"))
    return frame


def hypothetical_round(date: str | pd.Timestamp, parties: str, level: str | None = None, mediator: str = "none",
                       venue: str = "", rounds: pd.DataFrame | None = None,
                       exchanges: pd.DataFrame | None = None) -> pd.DataFrame:
    """Features of a described future round (one row), computed against the tables as of ``date``.

    Unknown parties, level or mediator raise ValueError naming the accepted values. Only rounds that ended
    before ``date`` and exchanges before it are used.
    """
    rounds = data.load_rounds() if rounds is None else rounds
    exchanges = data.load_exchanges() if exchanges is None else exchanges
    try:
        day = pd.Timestamp(date)
    except (ValueError, TypeError):
        raise ValueError(f"date {date!r} is not a date; expected YYYY-MM-DD") from None
    if parties not in data.PARTIES:
        raise ValueError(f"unknown parties {parties!r}; expected one of {', '.join(data.PARTIES)}")
    if level is not None and level not in data.LEVELS:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(data.LEVELS)}")
    for name in mediator.split(data.LIST_SEPARATOR):
        if name not in data.MEDIATORS:
            raise ValueError(f"unknown mediator {name!r}; expected one of {', '.join(data.MEDIATORS)}")
    new = {field.name: pd.NA for field in data.ROUND_FIELDS}
    new.update(round_id=f"{day:%Y-%m-%d}-scenario", date_start=day, date_end=day, city=venue or "unspecified",
               parties=parties, level=level, mediator=mediator, format="in_person")
    earlier = rounds[rounds["date_end"] < day]
    combined = pd.concat([earlier, pd.DataFrame([new]).astype({c: rounds[c].dtype for c in rounds.columns})],
                         ignore_index=True)
    return round_features(combined, exchanges[exchanges["date"] < day]).iloc[[-1]].reset_index(drop=True)
