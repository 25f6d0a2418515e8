"""Synthetic tables shaped like the curated ones, for tests and benchmarks (never for reports)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast import data


def synthetic_tables(n_rounds: int, rng: np.random.Generator, n_exchanges: int | None = None
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n_rounds`` rounds and exchanges with the loaders' columns and dtypes.

    Rounds start every 3-20 days from 2022-02-28 and last 1-3 days; a swap is likelier when Russia and
    Ukraine are both at the table and at higher levels (logit -2 + 2.5 * at_table + 0.4 * level).
    """
    gaps = rng.integers(3, 21, size=n_rounds)
    starts = pd.Timestamp("2022-02-28") + pd.to_timedelta(np.cumsum(gaps) - gaps[0], unit="D")
    ends = starts + pd.to_timedelta(rng.integers(0, 3, size=n_rounds), unit="D")
    parties = rng.choice(data.PARTIES, size=n_rounds)
    levels = rng.integers(0, len(data.LEVELS), size=n_rounds)
    at_table = np.isin(parties, ["RU-UA", "US-RU-UA"])
    swap = rng.random(n_rounds) < 1 / (1 + np.exp(-(-2 + 2.5 * at_table + 0.4 * levels)))
    progress = np.where(rng.random(n_rounds) < 0.2, 2, rng.integers(0, 2, size=n_rounds))
    columns = {field.name: pd.array([pd.NA] * n_rounds, dtype="string") for field in data.ROUND_FIELDS}
    rounds = pd.DataFrame(columns)
    rounds["conflict"] = data.DEFAULT_CONFLICT
    rounds["round_id"] = [f"{day:%Y-%m-%d}-r{i}" for i, day in enumerate(starts)]
    rounds["date_start"], rounds["date_end"] = starts, ends
    rounds["format"] = pd.Categorical(["in_person"] * n_rounds, categories=list(data.FORMATS))
    rounds["parties"] = pd.array(parties, dtype="string")
    rounds["side_a_at_table"] = pd.array(np.char.find(parties.astype(str), "RU") >= 0, dtype="boolean")
    rounds["side_b_at_table"] = pd.array(np.char.find(parties.astype(str), "UA") >= 0, dtype="boolean")
    rounds["mediator"] = pd.array(rng.choice(["Turkey", "Saudi Arabia", "none"], size=n_rounds), dtype="string")
    rounds["level"] = pd.Categorical.from_codes(levels, categories=list(data.LEVELS), ordered=True)
    rounds["swap_agreed"] = pd.array(swap, dtype="boolean")
    rounds["ceasefire_progress"] = pd.array(progress, dtype="Int64")
    rounds["next_round_agreed"] = pd.array(rng.random(n_rounds) < 0.6, dtype="boolean")
    for column in ("swap_to_side_a", "swap_to_side_b", "bodies_agreed"):
        rounds[column] = pd.array([pd.NA] * n_rounds, dtype="Int64")

    n_exchanges = n_rounds if n_exchanges is None else n_exchanges
    span_days = max((ends[-1] - starts[0]).days, 1)
    days = np.sort(rng.integers(0, span_days, size=n_exchanges))
    exchanges = pd.DataFrame({
        "exchange_id": [f"x{i}" for i in range(n_exchanges)],
        "conflict": data.DEFAULT_CONFLICT,
        "date": starts[0] + pd.to_timedelta(days, unit="D"),
        "kind": "prisoners",
        "to_side_a": pd.array(rng.integers(1, 300, size=n_exchanges), dtype="Int64"),
        "to_side_b": pd.array(rng.integers(1, 300, size=n_exchanges), dtype="Int64"),
    })
    return rounds, exchanges
