"""Closed vocabularies and separators of the curated tables (the codebook, data/README.md, lists them).

Kept apart from ``forecast.data`` so that the command line can build its options without importing pandas.
"""

from __future__ import annotations

URL_SEPARATOR = " | "
"""Separates several URLs in one ``sources`` cell."""

LIST_SEPARATOR = "; "
"""Separates several values in a multi-valued category cell (e.g. two mediators)."""

DEFAULT_CONFLICT = "russia-ukraine"
"""The conflict every command, notebook and function uses unless told otherwise (a ``conflict_id``)."""

MEDIATORS = (
    "Belarus", "Turkey", "UN", "Saudi Arabia", "United Arab Emirates", "Qatar", "Vatican", "Switzerland",
    "Germany", "France", "United Kingdom", "United States", "ICRC", "Egypt", "Oman", "Jordan", "Sweden", "OSCE",
    "Russia", "European Union", "Malaysia", "ASEAN", "China", "Georgia", "Kazakhstan", "Hungary", "none",
)
"""Third-party hosts or mediators (``none``: the host is a party, or no third party was involved)."""

THIRD_PARTY_CODES = ("US", "RU", "EU", "FR", "DE", "CN", "MY", "ASEAN", "OSCE")
"""Codes of third delegations that may appear in ``parties`` beside a conflict's side codes (conflicts.csv):
the United States, Russia (as a mediator outside its own wars), the European Union, France, Germany, China,
Malaysia, ASEAN and the OSCE."""

FORMATS = ("in_person", "video", "indirect")
"""How delegations met: in one room, by video, or in one city with a mediator passing messages between them."""

CONFLICT_TYPES = ("interstate", "intrastate", "internationalised_intrastate")
"""UCDP's types of armed conflict."""

LEVELS = ("technical", "senior_officials", "ministers", "leaders")
"""Ordinal level of a round: the highest rank at the table (see data/README.md)."""

PARTIES = ("RU-UA", "US-RU", "US-UA", "US-RU-UA")
"""Which delegations sat at the table in rounds of the Russia-Ukraine war (other conflicts use their own codes;
``parties`` is any set of delegation codes joined by ``-``)."""

DEADLINE_QUESTIONS = ("exchange_by", "round_by", "leaders_meet_by", "any_ceasefire_by", "general_ceasefire_by")
"""Names of the "will this happen by date D?" questions (``forecast.events.DEADLINE_QUESTIONS`` says what counts)."""
