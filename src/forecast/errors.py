"""Errors every layer raises, in a module light enough for the fast commands (no pandas import)."""

from __future__ import annotations

import re
from collections import Counter

SHOWN_PROBLEMS = 20
"""Problems printed in full before the rest are summarised as "... and N more" (grouped by kind)."""


class DataError(ValueError):
    """A data file does not meet its codebook. ``problems`` holds one message per problem (all of them)."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the data:"
        shown = summarise(self.problems)
        super().__init__("\n".join([head, *shown]) if count > 1 else self.problems[0])


class RefusedForecast(ValueError):
    """A forecast the suite will not give because nothing backs it (e.g. a round dated before the data begin);
    the command line exits 2 with this one-line message."""


def problem_kind(problem: str) -> str:
    """What kind of problem a message describes, without the file, line and value: e.g.
    ``column 'date_start': expected an ISO date YYYY-MM-DD``."""
    text = re.sub(r"^\S+?:\d+:\s*", "", problem)
    text = re.sub(r"got '(?:[^'\\]|\\.)*'; ", "", text)
    text = re.sub(r"got \"(?:[^\"\\]|\\.)*\"; ", "", text)
    text = re.sub(r"duplicate value .*? \(", "duplicate value (", text)
    return text


def summarise(problems: list[str], limit: int = SHOWN_PROBLEMS) -> list[str]:
    """The first ``limit`` problems, then one line ``... and N more`` with the rest counted by kind."""
    if len(problems) <= limit:
        return list(problems)
    rest = Counter(problem_kind(problem) for problem in problems[limit:])
    kinds = "; ".join(f"{count} x {kind}" for kind, count in rest.most_common(5))
    others = len(rest) - 5
    if others > 0:
        kinds += f"; {others} other kind{'s' if others != 1 else ''}"
    return [*problems[:limit], f"... and {len(problems) - limit} more ({kinds})"]
