"""Closed vocabularies and separators of the curated tables (the codebook, data/README.md, lists them).

Kept apart from ``forecast.data`` so that the command line can build its options without importing pandas.
"""

from __future__ import annotations

URL_SEPARATOR = " | "
"""Separates several URLs in one ``sources`` cell."""

LIST_SEPARATOR = "; "
"""Separates several values in a multi-valued category cell (e.g. two mediators)."""

MEDIATORS = (
    "Belarus", "Turkey", "UN", "Saudi Arabia", "United Arab Emirates", "Qatar", "Vatican", "Switzerland",
    "Germany", "France", "United Kingdom", "United States", "ICRC", "none",
)
"""Third-party hosts or mediators (``none``: the host is a party, or no third party was involved)."""

LEVELS = ("technical", "senior_officials", "ministers", "leaders")
"""Ordinal level of a round: the highest rank at the table (see data/README.md)."""

PARTIES = ("RU-UA", "US-RU", "US-UA", "US-RU-UA")
"""Which delegations sat at the table."""
