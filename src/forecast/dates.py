"""Day parsing shared by the light modules (ledger) and the data modules (events)."""

from __future__ import annotations

import datetime as dt


def as_day(text: str) -> dt.date | None:
    """The day an ISO ``YYYY-MM-DD`` string names, or None when it names none (e.g. a round id)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None
