"""Load and validate the curated tables (rounds, exchanges, sources).

The column specifications below are the one definition of each table: the pandera schema, the typed
conversion and the codebook test (``tests/test_codebook.py``) all read them. Files are read as text, validated
as a whole (every problem is collected, not just the first) and only then converted to typed columns: dates
become ``datetime64``, counts nullable ``Int64``, yes/no nullable ``boolean``, closed vocabularies
``category``. Any problem raises :class:`DataError`, whose message has one line per problem naming the file,
the line as a spreadsheet shows it (header = line 1), the column, the bad value and what was expected.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from forecast import paths
from forecast.changelog import dataset_version  # noqa: F401  (re-exported as data.dataset_version)
from forecast.codes import LEVELS, LIST_SEPARATOR, MEDIATORS, PARTIES, URL_SEPARATOR  # noqa: F401
from forecast.errors import DataError


@dataclass(frozen=True)
class Field:
    """One column of a curated table.

    kind: ``id`` (unique slug), ``date`` (ISO 8601 day), ``text``, ``category`` (one of ``allowed``),
    ``categories`` (one or more of ``allowed`` joined by ``LIST_SEPARATOR``), ``ordered`` (ordered category,
    ``allowed`` from low to high), ``yesno``, ``count`` (whole number >= 0), ``ordinal`` (whole number in
    ``allowed``), ``urls`` (one or more http(s) URLs joined by ``URL_SEPARATOR``).
    """

    name: str
    kind: str
    required: bool
    allowed: tuple = ()
    pattern: str | None = None


ROUND_FIELDS: tuple[Field, ...] = (
    Field("round_id", "id", True, pattern=r"\d{4}-\d{2}-\d{2}-[a-z0-9]+(-[a-z0-9]+)*"),
    Field("date_start", "date", True),
    Field("date_end", "date", True),
    Field("city", "text", True),
    Field("country", "text", False),
    Field("format", "category", True, ("in_person", "video")),
    Field("parties", "category", True, PARTIES),
    Field("mediator", "categories", True, MEDIATORS),
    Field("ru_lead", "text", False),
    Field("ua_lead", "text", False),
    Field("us_lead", "text", False),
    Field("level", "ordered", False, LEVELS),
    Field("swap_agreed", "yesno", False),
    Field("swap_size", "count", False),
    Field("bodies_agreed", "count", False),
    Field("ceasefire_progress", "ordinal", False, (0, 1, 2, 3)),
    Field("next_round_agreed", "yesno", False),
    Field("sources", "urls", True),
    Field("notes", "text", False),
)

EXCHANGE_FIELDS: tuple[Field, ...] = (
    Field("exchange_id", "id", True, pattern=r"\d{4}-\d{2}-\d{2}-[pb](-\d+)?"),
    Field("date", "date", True),
    Field("kind", "category", True, ("prisoners", "bodies", "prisoners_and_bodies")),
    Field("to_ukraine", "count", False),
    Field("to_russia", "count", False),
    Field("bodies_to_ukraine", "count", False),
    Field("bodies_to_russia", "count", False),
    Field("mediator", "categories", False, MEDIATORS),
    Field("round_id", "text", False),
    Field("sources", "urls", True),
    Field("notes", "text", False),
)

SOURCE_FIELDS: tuple[Field, ...] = (
    Field("url", "id", True, pattern=r"https?://\S+"),
    Field("publisher", "text", True),
    Field("title", "text", False),
    Field("published", "date", False),
)

TABLES: dict[str, tuple[Field, ...]] = {
    "rounds.csv": ROUND_FIELDS,
    "exchanges.csv": EXCHANGE_FIELDS,
    "sources.csv": SOURCE_FIELDS,
}
"""Every curated table and its columns, in file order. The codebook documents exactly these."""


# --- element checks (each takes one stripped text cell, returns True when it is acceptable) ---------------

def _is_iso_date(text: str) -> bool:
    try:
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text)) and dt.date.fromisoformat(text) is not None
    except ValueError:
        return False


def _is_count(text: str) -> bool:
    return bool(re.fullmatch(r"\d+", text))


def _is_urls(text: str) -> bool:
    """One or more http(s) URLs joined by URL_SEPARATOR (a pipe glued to the next URL is not a URL)."""
    return all(re.fullmatch(r"https?://\S+", url) and not re.search(r"\|https?://", url)
               for url in text.split(URL_SEPARATOR))


def _expectation(field: Field) -> str:
    """What a cell of ``field`` must hold, in words (used in error messages and the codebook test)."""
    allowed = ", ".join(str(value) for value in field.allowed)
    return {
        "id": f"a unique identifier matching {field.pattern}" if field.pattern else "a unique identifier",
        "date": "an ISO date YYYY-MM-DD",
        "text": "text",
        "category": f"one of: {allowed}",
        "categories": f"one or more of: {allowed} (joined by '{LIST_SEPARATOR}')",
        "ordered": f"one of: {allowed}",
        "yesno": "yes or no",
        "count": "a whole number >= 0",
        "ordinal": f"one of: {allowed}",
        "urls": f"one or more http(s) URLs joined by '{URL_SEPARATOR}'",
    }[field.kind]


def _element_check(field: Field):
    kind = field.kind
    if kind == "date":
        return _is_iso_date
    if kind == "count":
        return _is_count
    if kind == "yesno":
        return lambda text: text in ("yes", "no")
    if kind in ("category", "ordered"):
        return lambda text: text in field.allowed
    if kind == "ordinal":
        return lambda text: text in {str(value) for value in field.allowed}
    if kind == "categories":
        return lambda text: all(part in field.allowed for part in text.split(LIST_SEPARATOR))
    if kind == "urls":
        return _is_urls
    if kind == "id" and field.pattern:
        return lambda text: re.fullmatch(field.pattern, text) is not None
    return None


def _column_schema(field: Field) -> pa.Column:
    checks = []
    if field.required:
        checks.append(pa.Check(lambda s: s != "", error=f"a value, not empty ({_expectation(field)})"))
    element_check = _element_check(field)
    if element_check is not None:
        checks.append(
            pa.Check(lambda text, f=element_check: text == "" or f(text), element_wise=True,
                     error=_expectation(field))
        )
    return pa.Column(str, checks=checks, unique=field.kind == "id", report_duplicates="exclude_first")


_WIDE_MARK = " :: "


def _wide_check(column: str, expectation: str, rule) -> pa.Check:
    """A check across columns; its failures are reported once per row, against ``column``. A rule whose
    columns are missing passes (the missing column is reported on its own)."""
    def check(frame: pd.DataFrame) -> pd.Series:
        try:
            return rule(frame)
        except KeyError:
            return pd.Series(True, index=frame.index)

    return pa.Check(check, error=f"{column}{_WIDE_MARK}{expectation}")


def _table_schema(fields: tuple[Field, ...], wide_checks=(), name: str = "") -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {field.name: _column_schema(field) for field in fields},
        checks=list(wide_checks), strict=True, ordered=True, name=name,
    )


def _empty_or_zero(column: pd.Series) -> pd.Series:
    return column.isin(["", "0"])


def _id_starts_with_date(id_column: str, date_column: str):
    """Rule: an id begins with its row's date (``2025-05-16-istanbul`` for a round starting 16 May 2025)."""
    return _wide_check(id_column, f"an id that begins with its {date_column}",
                       lambda f: ~f[date_column].map(_is_iso_date) | (f[id_column].str.slice(0, 10) == f[date_column]))


def _lead_needs_party(lead: str, code: str) -> pa.Check:
    """Rule: a delegation head is named only when that delegation is in ``parties``."""
    return _wide_check(lead, f"empty unless {code} is in parties",
                       lambda f: (f[lead] == "") | ~f["parties"].isin(PARTIES)
                       | f["parties"].str.split("-").map(lambda codes: code in codes))


def _rounds_schema() -> pa.DataFrameSchema:
    """Column rules plus the codebook's cross-column rules for rounds.csv."""
    ends_after_start = _wide_check(
        "date_end", "a date on or after date_start",
        lambda f: ~f["date_start"].map(_is_iso_date) | ~f["date_end"].map(_is_iso_date)
        | (f["date_end"] >= f["date_start"]),
    )
    size_needs_swap = _wide_check(
        "swap_size", "empty unless swap_agreed is yes",
        lambda f: (f["swap_size"] == "") | (f["swap_agreed"] == "yes"),
    )
    video_city = _wide_check(
        "city", "'video' exactly when format is video",
        lambda f: (f["city"] == "video") == (f["format"] == "video"),
    )
    video_country = _wide_check(
        "country", "empty for a video round",
        lambda f: (f["format"] != "video") | (f["country"] == ""),
    )
    return _table_schema(ROUND_FIELDS, [
        ends_after_start, size_needs_swap, video_city, video_country,
        _id_starts_with_date("round_id", "date_start"),
        _lead_needs_party("ru_lead", "RU"), _lead_needs_party("ua_lead", "UA"), _lead_needs_party("us_lead", "US"),
    ], "rounds")


def _exchanges_schema(known_round_ids: set[str]) -> pa.DataFrameSchema:
    """Column rules plus the codebook's cross-column rules for exchanges.csv."""
    links_known_round = _wide_check(
        "round_id", "empty or a round_id of rounds.csv",
        lambda f: (f["round_id"] == "") | f["round_id"].isin(known_round_ids),
    )
    prisoners_without_bodies = _wide_check(
        "kind", "prisoners_and_bodies (or no body counts) when bodies are counted",
        lambda f: (f["kind"] != "prisoners")
        | (_empty_or_zero(f["bodies_to_ukraine"]) & _empty_or_zero(f["bodies_to_russia"])),
    )
    bodies_without_people = _wide_check(
        "kind", "prisoners_and_bodies (or no people counts) when living people are counted",
        lambda f: (f["kind"] != "bodies") | (_empty_or_zero(f["to_ukraine"]) & _empty_or_zero(f["to_russia"])),
    )
    letter_matches_kind = _wide_check(
        "exchange_id", "a '-p' id for prisoners or prisoners_and_bodies and a '-b' id for bodies",
        lambda f: (f["exchange_id"].str.slice(10, 13) == "-b") == (f["kind"] == "bodies"),
    )
    return _table_schema(EXCHANGE_FIELDS, [
        links_known_round, prisoners_without_bodies, bodies_without_people, letter_matches_kind,
        _id_starts_with_date("exchange_id", "date"),
    ], "exchanges")


# --- reading ---------------------------------------------------------------------------------------------

def _read_text_table(path: Path) -> pd.DataFrame:
    """Read a CSV as stripped text cells indexed by line number (header = line 1); blank lines are skipped.

    Structural problems (ragged rows, bad quoting, not UTF-8, no rows) raise DataError naming the line. A UTF-8
    byte-order mark (as spreadsheets write) is accepted; a semicolon-delimited file gets a hint.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError([f"{path}: file not found"])
    lines, rows, problems = [], [], []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, strict=True)
            header = [cell.strip() for cell in next(reader, [])]
            if not header:
                raise DataError([f"{path}: empty file (expected a header line)"])
            if len(header) == 1 and ";" in header[0]:
                raise DataError([f"{path}:1: the header has no commas but {header[0].count(';')} semicolons; "
                                 "expected a comma-separated file (save it as CSV with ',' as the delimiter)"])
            for record in reader:
                if not any(cell.strip() for cell in record):
                    continue
                if len(record) != len(header):
                    problems.append(f"{path}:{reader.line_num}: expected {len(header)} fields as in the header, "
                                    f"found {len(record)}")
                lines.append(reader.line_num)
                rows.append([cell.strip() for cell in record])
    except UnicodeDecodeError as error:
        raise DataError([f"{path}: not UTF-8 text ({error.reason} at byte {error.start})"]) from None
    except csv.Error as error:
        raise DataError([f"{path}:{reader.line_num}: malformed CSV ({error})"]) from None
    if problems:
        raise DataError(problems)
    if not rows:
        raise DataError([f"{path}: no rows (only a header line; expected at least one record)"])
    return pd.DataFrame(rows, columns=header, index=pd.Index(lines, name="line"), dtype=object).astype(str)


def _separator_hint(value) -> str:
    """A hint when several values seem joined without the codebook's spaced separators (``a|b``, ``a;b``)."""
    text = str(value)
    if "|" in text and text.count("|") != text.count(URL_SEPARATOR):
        return f" (hint: separate URLs with {URL_SEPARATOR!r}, a space on each side of the pipe)"
    if ";" in text and text.count(";") != text.count(LIST_SEPARATOR):
        return f" (hint: separate values with {LIST_SEPARATOR!r}, a semicolon and a space)"
    return ""


def _describe_failures(path: Path, error: pa.errors.SchemaErrors, fields: tuple[Field, ...]) -> list[str]:
    """Turn pandera's failure cases into one line per problem: file:line, column, value, expected."""
    problems: list[tuple[int, str]] = []
    for case in error.failure_cases.itertuples(index=False):
        check = str(case.check)
        if case.index is None or pd.isna(case.index):
            if check == "column_in_dataframe":
                problems.append((1, f"{path}:1: column '{case.failure_case}' is missing (the codebook requires it)"))
            elif check == "column_in_schema":
                problems.append((1, f"{path}:1: column '{case.failure_case}' is not in the codebook"))
            elif check == "column_ordered":
                expected = ", ".join(field.name for field in fields)
                problems.append((1, f"{path}:1: columns out of order (expected {expected})"))
            else:
                problems.append((1, f"{path}: {check}: {case.failure_case}"))
            continue
        line = int(case.index)
        if check == "field_uniqueness":
            problems.append((line, f"{path}:{line}: column '{case.column}': duplicate value "
                                   f"{case.failure_case!r} (expected unique)"))
        elif case.schema_context == "DataFrameSchema" and _WIDE_MARK in check:
            column, expectation = check.split(_WIDE_MARK, 1)
            if case.column == column:
                problems.append((line, f"{path}:{line}: column '{column}': got {case.failure_case!r}; "
                                       f"expected {expectation}"))
        else:
            problems.append((line, f"{path}:{line}: column '{case.column}': got {case.failure_case!r}; "
                                   f"expected {check}{_separator_hint(case.failure_case)}"))
    return [message for _, message in sorted(problems, key=lambda item: item[0])]


def _validate(path: Path, frame: pd.DataFrame, schema: pa.DataFrameSchema, fields) -> list[str]:
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as error:
        return _describe_failures(path, error, fields)
    return []


def _unlisted_sources(path: Path, frame: pd.DataFrame, listed_urls: set[str] | None) -> list[str]:
    """Every cited URL must be described (publisher, title, date) in sources.csv."""
    if listed_urls is None or "sources" not in frame:
        return []
    problems = []
    for index, cell in frame["sources"].items():
        for url in filter(None, cell.split(URL_SEPARATOR)):
            if _is_urls(url) and url not in listed_urls:
                problems.append(f"{path}:{index}: column 'sources': {url!r} is not described in sources.csv "
                                "(expected a url listed there with publisher, title and date)")
    return problems


def _typed(frame: pd.DataFrame, fields: tuple[Field, ...]) -> pd.DataFrame:
    """Convert validated text columns to their types (empty cells become missing values)."""
    typed = pd.DataFrame(index=frame.index)
    for field in fields:
        text = frame[field.name].replace("", None)
        if field.kind == "date":
            typed[field.name] = pd.to_datetime(text, format="%Y-%m-%d")
        elif field.kind in ("count", "ordinal"):
            typed[field.name] = pd.to_numeric(text).astype("Int64")
        elif field.kind == "yesno":
            typed[field.name] = text.map({"yes": True, "no": False}).astype("boolean")
        elif field.kind in ("category", "ordered"):
            dtype = pd.CategoricalDtype(list(field.allowed), ordered=field.kind == "ordered")
            typed[field.name] = text.astype(dtype)
        else:
            typed[field.name] = text.astype("string")
    return typed


def _load_sources_text(path: Path) -> tuple[pd.DataFrame, list[str]]:
    frame = _read_text_table(path)
    return frame, _validate(path, frame, _table_schema(SOURCE_FIELDS, name="sources"), SOURCE_FIELDS)


def _source_urls(sources_path: Path | None) -> tuple[set[str] | None, list[str]]:
    if sources_path is None:
        return None, []
    frame, problems = _load_sources_text(Path(sources_path))
    return (set(frame["url"]) if "url" in frame else set()), problems


def _line_of(problem: str) -> tuple[str, int]:
    """(file, line) of a ``file:line: ...`` message, for sorting (file-level messages count as line 1)."""
    match = re.match(r"^(.*?):(\d+):", problem)
    return (match.group(1), int(match.group(2))) if match else (problem.split(":")[0], 1)


def _finish(problems: list[str]) -> None:
    """Raise every problem found, sorted by file and line."""
    if problems:
        raise DataError(sorted(problems, key=_line_of))


def load_sources(path: str | Path | None = None) -> pd.DataFrame:
    """Sources cited by the tables: url, publisher, title, published (date the item was published)."""
    path = Path(path or paths.sources_csv())
    frame, problems = _load_sources_text(path)
    _finish(problems)
    return _typed(frame, SOURCE_FIELDS).reset_index(drop=True)


def load_rounds(path: str | Path | None = None, sources_path: str | Path | None = "default") -> pd.DataFrame:
    """Rounds of talks, one row per round, sorted by date_start (see data/README.md for each column).

    ``sources_path``: the sources table every cited URL must appear in (default: ``data/sources.csv``;
    ``None`` skips that cross-check, e.g. for a stand-alone copy of the table).
    """
    path = Path(path or paths.rounds_csv())
    listed, problems = _source_urls(paths.sources_csv() if sources_path == "default" else sources_path)
    frame = _read_text_table(path)
    problems += _validate(path, frame, _rounds_schema(), ROUND_FIELDS)
    problems += _unlisted_sources(path, frame, listed)
    _finish(problems)
    return _typed(frame, ROUND_FIELDS).sort_values(["date_start", "round_id"], kind="stable").reset_index(drop=True)


def load_exchanges(path: str | Path | None = None, rounds_path: str | Path | None = None,
                   sources_path: str | Path | None = "default") -> pd.DataFrame:
    """Prisoner exchanges and body handovers, one row per event, sorted by date.

    Each ``round_id`` must name a round of ``rounds_path`` (default: ``data/rounds.csv``).
    """
    path = Path(path or paths.exchanges_csv())
    rounds_file = Path(rounds_path or paths.rounds_csv())
    listed, problems = _source_urls(paths.sources_csv() if sources_path == "default" else sources_path)
    round_ids = set(_read_text_table(rounds_file).get("round_id", pd.Series(dtype=str)))
    frame = _read_text_table(path)
    problems += _validate(path, frame, _exchanges_schema(round_ids), EXCHANGE_FIELDS)
    problems += _unlisted_sources(path, frame, listed)
    _finish(problems)
    return _typed(frame, EXCHANGE_FIELDS).sort_values(["date", "exchange_id"], kind="stable").reset_index(drop=True)


CODEBOOK_TYPES = {
    "id": "id", "date": "date", "text": "text", "category": "category", "categories": "categories",
    "ordered": "ordered category", "yesno": "yes/no", "count": "count", "ordinal": "ordinal", "urls": "urls",
}
"""How each field kind is named in the codebook's ``type`` column."""


def codebook_columns(codebook: str | Path | None = None) -> dict[str, list[tuple[str, str]]]:
    """Columns the codebook documents: {file name: [(column, type), ...]} from its ``## `file.csv` `` tables."""
    path = Path(codebook or paths.codebook_md())
    documented: dict[str, list[tuple[str, str]]] = {}
    table = None
    for line in path.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^##\s+`([^`]+\.csv)`", line)
        if heading:
            table = heading.group(1)
            documented[table] = []
            continue
        if line.startswith("## "):
            table = None
        row = re.match(r"^\|\s*`([a-z_]+)`\s*\|\s*([^|]*?)\s*\|", line)
        if table and row:
            documented[table].append((row.group(1), row.group(2)))
    return documented


def codebook_problems(directory: str | Path | None = None) -> list[str]:
    """Disagreements between the CSV headers, the codebook (README.md) and the column specs in this module."""
    directory = Path(directory or paths.data_dir())
    documented = codebook_columns(directory / "README.md")
    problems = []
    for table, fields in TABLES.items():
        spec = [field.name for field in fields]
        doc = [name for name, _ in documented.get(table, [])]
        header = _read_text_table(directory / table).columns.tolist()
        for name in spec:
            if name not in doc:
                problems.append(f"{table}: column '{name}' is not documented in README.md")
            if name not in header:
                problems.append(f"{table}: column '{name}' is documented but missing from the file")
        for name in set(doc) | set(header):
            if name not in spec:
                where = "README.md" if name in doc else table
                problems.append(f"{table}: column '{name}' (in {where}) is not in the schema")
        kinds = {field.name: CODEBOOK_TYPES[field.kind] for field in fields}
        for name, documented_type in documented.get(table, []):
            if name in kinds and documented_type != kinds[name]:
                problems.append(f"{table}: README.md gives '{name}' the type '{documented_type}', "
                                f"the schema '{kinds[name]}'")
    return problems


@dataclass(frozen=True)
class Provenance:
    """What a report says about its data: version and the period the tables cover."""

    version: str
    first_date: pd.Timestamp
    last_date: pd.Timestamp
    n_rounds: int
    n_exchanges: int
    n_sources: int

    def line(self) -> str:
        return (f"Dataset version {self.version}: {self.n_rounds} rounds and {self.n_exchanges} exchanges "
                f"from {self.first_date:%Y-%m-%d} to {self.last_date:%Y-%m-%d}, citing {self.n_sources} sources.")


def provenance(rounds: pd.DataFrame | None = None, exchanges: pd.DataFrame | None = None) -> Provenance:
    """Dataset version and date range of the (loaded or given) tables."""
    rounds = load_rounds() if rounds is None else rounds
    exchanges = load_exchanges() if exchanges is None else exchanges
    dates = pd.concat([rounds["date_start"], rounds["date_end"], exchanges["date"]])
    return Provenance(
        version=dataset_version(), first_date=dates.min(), last_date=dates.max(),
        n_rounds=len(rounds), n_exchanges=len(exchanges), n_sources=len(load_sources()),
    )


def summary_tables(rounds: pd.DataFrame | None = None, exchanges: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Headline counts of the tables (for the data overview and the data test).

    ``rounds_by_parties_year``: rounds per parties and year; ``swaps_agreed``: rounds with swap_agreed
    yes/no/unknown per parties; ``ceasefire_progress``: rounds per level 0-3 (and unknown);
    ``exchanges_by_year``: events, prisoner events and people/bodies returned to each side per year.
    """
    rounds = load_rounds() if rounds is None else rounds
    exchanges = load_exchanges() if exchanges is None else exchanges
    year = rounds["date_start"].dt.year.rename("year")
    by_parties_year = pd.crosstab(rounds["parties"].astype(str), year)
    swap = rounds["swap_agreed"].map({True: "yes", False: "no"}).fillna("unknown").astype(str)
    swaps = pd.crosstab(rounds["parties"].astype(str), swap).reindex(columns=["yes", "no", "unknown"], fill_value=0)
    progress = (rounds["ceasefire_progress"].astype("string").fillna("unknown").value_counts()
                .reindex(["0", "1", "2", "3", "unknown"], fill_value=0).rename("rounds").to_frame())
    counts = exchanges[["to_ukraine", "to_russia", "bodies_to_ukraine", "bodies_to_russia"]].astype("Int64")
    per_year = counts.groupby(exchanges["date"].dt.year.rename("year")).sum()
    per_year.insert(0, "events", exchanges.groupby(exchanges["date"].dt.year).size())
    per_year.insert(1, "prisoner_events",
                    exchanges["kind"].isin(["prisoners", "prisoners_and_bodies"]).groupby(exchanges["date"].dt.year).sum())
    return {"rounds_by_parties_year": by_parties_year, "swaps_agreed": swaps, "ceasefire_progress": progress,
            "exchanges_by_year": per_year}
