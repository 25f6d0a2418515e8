"""How reports show things to a reader: one formatting helper for tables, the headline box, and the words for
probabilities, intervals, dates and lists. Every notebook uses these, so a rule (a percentage's decimals, what a
missing value looks like) is written once.

Rules (``table``): no 0..N index column; missing values blank (never NaN, <NA> or NaT); dates as YYYY-MM-DD;
yes/no for booleans; whole numbers without decimals; probabilities as percentages, a value beside its
``_lower``/``_upper`` columns (or ``p``/``mean`` beside ``lower``/``upper``) shown as one cell "12% (5% to 25%)";
skills signed; lists as words; long text wrapped, never cut; URLs as links labelled by their publisher.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from urllib.parse import urlparse

import numpy as np
import pandas as pd

from forecast.codes import URL_SEPARATOR

PROBABILITY_COLUMNS = ("p", "mean", "crowd_p", "suite_p", "observed", "mean_forecast", "base_rate", "headline",
                       "logistic", "select_best", "climatology", "poisson_365d", "poisson_half_life", "episodes", "level")
"""Columns that hold probabilities (shown as percentages) wherever they appear; ``table(percent_columns=...)`` adds
more, and columns named ``P(...)`` or after a method (``class:...``) count too."""

MERGED_HEADINGS = {"mean": "rate (interval)", "p": "probability (interval)", "rate": "rate (interval)",
                   "estimate": "estimate (interval)"}
"""The heading of a value shown with its interval in one cell (others: "<name> (interval)")."""

LINK_SEPARATOR = " · "
"""Between two source links in one cell (a PDF shows the labels without their underlines)."""

WRAP_AFTER_CHARACTERS = 60
"""A text cell longer than this is set in a wrapping column (CSS class ``text long``), never cut."""


# --- words for numbers, dates and lists --------------------------------------------------------------------

def is_missing(value) -> bool:
    """True for None, NaN, pd.NA and NaT (and not for empty lists or strings)."""
    if isinstance(value, (list, tuple, set, np.ndarray)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def percent(p) -> str:
    """A probability as a percentage: whole percents, one decimal below 1% (``0.4%``), blank when missing."""
    if is_missing(p):
        return ""
    p = float(p)
    if 0 < p < 0.001:
        return "<0.1%"
    if 0.999 < p < 1:
        return ">99.9%"
    if 0 < p < 0.01 or 0.99 < p < 1:
        return f"{p:.1%}"
    return f"{p:.0%}"


def signed(value, digits: int = 2) -> str:
    """A skill or difference with its sign (``+0.08``), blank when missing."""
    return "" if is_missing(value) else f"{float(value):+.{digits}f}"


def with_interval(value, lower, upper, shown=percent) -> str:
    """``value (lower to upper)``, each shown by ``shown``; the value alone when the interval is missing."""
    if is_missing(value):
        return ""
    if is_missing(lower) or is_missing(upper):
        return shown(value)
    return f"{shown(value)} ({shown(lower)} to {shown(upper)})"


def day(value) -> str:
    """A date as YYYY-MM-DD (no time of day), blank when missing."""
    return "" if is_missing(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


def words(items, conjunction: str = "and") -> str:
    """A list in words: ``a``, ``a and b``, ``a, b and c``."""
    items = [str(item) for item in items]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def whole(value) -> str:
    """A count without decimals, thousands separated (``1,234``)."""
    return "" if is_missing(value) else f"{int(round(float(value))):,}"


def data_age(last_day, built: dt.date | None = None) -> str:
    """"Data as of D (N days before this build)": the last event in the tables against the build day."""
    built = built or dt.date.today()
    last = pd.Timestamp(last_day).date()
    days = (built - last).days
    return f"Data as of {last:%Y-%m-%d} ({days} day{'s' if days != 1 else ''} before this build, {built:%Y-%m-%d})."


# --- tables -------------------------------------------------------------------------------------------------

def _is_probability(name: str, extra: tuple[str, ...]) -> bool:
    return name in PROBABILITY_COLUMNS or name in extra or name.startswith(("P(", "class:"))


def _is_signed(name: str) -> bool:
    return "skill" in name or "minus" in name or name.startswith("difference")


def _merged_intervals(frame: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(value, lower, upper) column triples to show as one cell each."""
    triples = [(name, f"{name}_lower", f"{name}_upper") for name in frame.columns
               if f"{name}_lower" in frame and f"{name}_upper" in frame]
    if "lower" in frame and "upper" in frame:
        value = next((name for name in ("p", "mean", "rate", "estimate") if name in frame), None)
        if value:
            triples.append((value, "lower", "upper"))
    return triples


def _link(url: str, labels: dict[str, str]) -> str:
    label = labels.get(url) or urlparse(url).netloc.removeprefix("www.") or url
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(label)}</a>'


@dataclass
class Table:
    """A table formatted for reading: ``cells`` (strings, already HTML-safe), per-column ``kinds`` (``number``,
    ``text``, ``long``, ``links``). Displays as HTML in notebooks and reports, as plain text elsewhere."""

    cells: pd.DataFrame
    kinds: dict[str, str] = field(default_factory=dict)
    caption: str = ""
    widths: dict[str, int] = field(default_factory=dict)
    """Share of the width (percent) per column, where the even split would squeeze one (the PDF reads them)."""

    def _repr_html_(self) -> str:
        # Classes for the reports' style sheet; an inline alignment too, since JupyterLab right-aligns every cell.
        def opening(tag: str, column) -> str:
            kind = self.kinds.get(column, "text")
            align = "right" if kind == "number" else "left"
            return f'<{tag} class="{kind}" style="text-align: {align}">'

        head = "".join(f'{opening("th", c)}{html.escape(str(c))}</th>' for c in self.cells.columns)
        body = "".join("<tr>" + "".join(f'{opening("td", c)}{value}</td>' for c, value in zip(self.cells.columns, row))
                       + "</tr>" for row in self.cells.itertuples(index=False))
        caption = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        if self.widths:
            caption += "<colgroup>" + "".join(f'<col width="{self.widths.get(c, 0)}%">' for c in self.cells.columns) + \
                       "</colgroup>"
        return (f'<div class="table-wrap"><table class="report-table">{caption}<thead><tr>{head}</tr></thead>'
                f'<tbody>{body}</tbody></table></div>')

    def __repr__(self) -> str:
        import re
        plain = self.cells.map(lambda cell: html.unescape(re.sub(r"<[^>]+>", "", cell)))
        return plain.to_string(index=False)


def _column_cells(name: str, column: pd.Series, percent_columns: tuple[str, ...], precision: int,
                  link_labels: dict[str, str], links: tuple[str, ...]) -> tuple[list[str], str]:
    """One column's cells as HTML-safe strings, and its kind."""
    values = list(column)
    present = [v for v in values if not is_missing(v)]
    if name in links:
        return ([LINK_SEPARATOR.join(_link(url, link_labels) for url in str(v).split(URL_SEPARATOR)) if not is_missing(v) else ""
                 for v in values], "links")
    if pd.api.types.is_datetime64_any_dtype(column) or (present and all(isinstance(v, (pd.Timestamp, dt.date))
                                                                        for v in present)):
        return [day(v) for v in values], "date"
    if pd.api.types.is_bool_dtype(column) or (present and all(isinstance(v, (bool, np.bool_)) for v in present)):
        return ["" if is_missing(v) else ("yes" if v else "no") for v in values], "text"
    numeric = present and all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                              for v in present)
    if numeric:
        if _is_probability(name, percent_columns):
            return [percent(v) for v in values], "number"
        if _is_signed(name):
            return [signed(v) for v in values], "number"
        if all(float(v).is_integer() for v in present):
            return [whole(v) for v in values], "number"
        return ["" if is_missing(v) else f"{float(v):.{precision}f}" for v in values], "number"
    cells = []
    for v in values:
        if is_missing(v):
            cells.append("")
        elif isinstance(v, (list, tuple, set, np.ndarray)):
            cells.append(html.escape(words(list(v))))
        else:
            cells.append(html.escape(str(v)))
    long = any(len(cell) > WRAP_AFTER_CHARACTERS for cell in cells)
    return cells, "text long" if long else "text"


def table(frame, index: bool | None = None, percent_columns: tuple[str, ...] = (), links: tuple[str, ...] = (),
          link_labels: dict[str, str] | None = None, precision: int = 3, caption: str = "",
          rename: dict[str, str] | None = None, intervals: dict[str, tuple[str, str]] | None = None):
    """``frame`` formatted for a reader (the rules in this module's docstring) as a ``Table``.

    ``index``: keep the index as leading columns (default: only when it is named, so never a bare 0..N);
    ``percent_columns``: more probability columns; ``links``: columns of URLs (``' | '``-separated) shown as links
    labelled by ``link_labels`` (URL -> publisher) or the site's name; ``rename``: column headings to show;
    ``intervals``: more value -> (lower, upper) column pairs to show as one cell.
    A Series is shown as a one-column frame; anything else is returned as it is.
    """
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    if not isinstance(frame, pd.DataFrame):
        return frame
    keep_index = index if index is not None else any(name is not None for name in frame.index.names)
    shown = frame.reset_index() if keep_index else frame.reset_index(drop=True)
    if isinstance(shown.columns, pd.MultiIndex):
        shown.columns = [" ".join(str(part) for part in name if str(part)) for name in shown.columns]
    shown.columns = [str(name) for name in shown.columns]
    cells, kinds, merged_away = {}, {}, set()
    triples = _merged_intervals(shown) + [(value, lower, upper) for value, (lower, upper) in (intervals or {}).items()]
    for value, lower, upper in triples:
        if _is_probability(value, tuple(percent_columns)):
            shown_by = percent
        elif _is_signed(value) or value == "estimate":
            shown_by = signed
        else:
            shown_by = lambda v: f"{float(v):.{precision}f}"  # noqa: E731
        cells[value] = [html.escape(with_interval(v, lo, hi, shown_by))
                        for v, lo, hi in zip(shown[value], shown[lower], shown[upper])]
        kinds[value] = "number"
        merged_away |= {lower, upper}
    for name in shown.columns:
        if name in cells or name in merged_away:
            continue
        cells[name], kinds[name] = _column_cells(name, shown[name], tuple(percent_columns), precision, link_labels or {},
                                                 tuple(links))
    order = [name for name in shown.columns if name not in merged_away]
    result = pd.DataFrame({name: cells[name] for name in order}, columns=order)
    merged = {value for value, _, _ in triples}
    headings = {name: (rename or {}).get(name) or (MERGED_HEADINGS.get(name, f"{name} (interval)") if name in merged
                                                   else name) for name in order}
    result = result.rename(columns=headings)
    return Table(result, {headings[name]: kind for name, kind in kinds.items() if name in headings}, caption)


# --- the headline box -----------------------------------------------------------------------------------------

HEADLINE_STYLE = "border-left: 0.35rem solid #1f77b4; background: #f3f7fb; padding: 0.4rem 1rem; margin: 0.8rem 0"
"""The box's look inline, so that it also shows as a box in JupyterLab (the reports' style sheet adds the rest)."""


@dataclass
class Headline:
    """The box every report opens with, under its title: the question in plain words, the answer (a probability
    with its interval, or the main finding), one sentence on where it comes from, the method's track record in
    one figure, and how old the data are. ``summary``: one line for the index page; ``describes``: for a
    scenario report, the round it describes (date, conflict, parties, venue)."""

    question: str
    answer: str
    basis: str
    record: str
    data_as_of: str
    summary: str = ""
    describes: str = ""
    warnings: list[str] = field(default_factory=list)

    def _repr_html_(self) -> str:
        attributes = f' data-summary="{html.escape(self.summary or self.answer, quote=True)}"'
        if self.describes:
            attributes += f' data-describes="{html.escape(self.describes, quote=True)}"'
        warned = "".join(f'<p class="warning">Warning: {html.escape(text)}</p>' for text in self.warnings)
        return (f'<div class="headline" id="headline"{attributes} style="{HEADLINE_STYLE}">'
                f'<p class="question">{html.escape(self.question)}</p>'
                f'<p class="answer"><strong>{html.escape(self.answer)}</strong></p>'
                f'<p class="basis">{html.escape(self.basis)}</p>'
                f'<p class="record">{html.escape(self.record)}</p>'
                f'{warned}<p class="data-age">{html.escape(self.data_as_of)}</p></div>')

    def __repr__(self) -> str:
        return "\n".join([self.question, self.answer, self.basis, self.record,
                          *[f"Warning: {text}" for text in self.warnings], self.data_as_of])


PROGRESS_WORDS = {0: "none", 1: "proposals discussed", 2: "partial ceasefire agreed", 3: "general ceasefire agreed"}
"""``ceasefire_progress`` 0-3 in words (the codebook, data/README.md, defines each level)."""


def rounds_table(rounds: pd.DataFrame, sources: pd.DataFrame | None = None) -> Table:
    """The rounds as a reader wants them: dates, place, parties, level, mediator, outcomes in words, and the
    sources as links labelled by publisher (``sources``: the sources table, for the labels)."""
    def dates(start, end) -> str:
        if is_missing(end) or day(end) == day(start):
            return day(start)
        return f"{day(start)} to {day(end)[5:] if day(end)[:4] == day(start)[:4] else day(end)}"

    def swap(agreed, to_a, to_b) -> str:
        if is_missing(agreed):
            return ""
        if not agreed:
            return "no"
        sizes = [whole(size) for size in (to_a, to_b) if not is_missing(size)]
        return "yes" + (f" ({' for '.join(sizes)})" if sizes else "")

    def yes_no(value) -> str:
        return "" if is_missing(value) else ("yes" if value else "no")

    shown = pd.DataFrame({
        "dates": [dates(s, e) for s, e in zip(rounds["date_start"], rounds["date_end"])],
        "where": [", ".join(str(part) for part in (city, country) if not is_missing(part) and str(part))
                  for city, country in zip(rounds["city"], rounds["country"])],
        "parties": rounds["parties"].astype(str).to_numpy(),
        "level": [("" if is_missing(v) else str(v).replace("_", " ")) for v in rounds["level"]],
        "mediator": [("" if is_missing(v) else str(v)) for v in rounds["mediator"]],
        "swap agreed": [swap(a, x, y) for a, x, y in
                        zip(rounds["swap_agreed"], rounds["swap_to_side_a"], rounds["swap_to_side_b"])],
        "ceasefire progress": [("" if is_missing(v) else PROGRESS_WORDS[int(v)]) for v in rounds["ceasefire_progress"]],
        "next round agreed": [yes_no(v) for v in rounds["next_round_agreed"]],
        "sources": rounds["sources"].to_numpy(),
    })
    labels = {} if sources is None else dict(zip(sources["url"], sources["publisher"].astype(str)))
    shown_table = table(shown, links=("sources",), link_labels=labels)
    shown_table.kinds["dates"] = "date"
    shown_table.widths = ROUNDS_TABLE_WIDTHS
    return shown_table


ROUNDS_TABLE_WIDTHS = {"dates": 11, "where": 11, "parties": 8, "level": 8, "mediator": 9, "swap agreed": 8,
                       "ceasefire progress": 9, "next round agreed": 6, "sources": 30}
"""Column widths (percent) of the rounds table: room for the sources' links."""
