"""Schema machinery for the curated tables: field kinds, their pandera checks, reading CSV files as text, and
turning pandera's failure cases into one line per problem (file:line, column, value, expected).

Files are read as text, validated as a whole (every problem is collected, not just the first) and only then
converted to typed columns: dates become ``datetime64``, counts nullable ``Int64``, yes/no nullable ``boolean``,
closed vocabularies ``category``. The tables themselves are defined in ``forecast.data``.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from pathlib import Path

import pandas as pd

from forecast.codes import LIST_SEPARATOR, URL_SEPARATOR

if TYPE_CHECKING:
    import pandera.pandas as pa
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


# --- element checks (each takes one stripped text cell, returns True when it is acceptable) ---------------

def is_iso_date(text: str) -> bool:
    try:
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text)) and dt.date.fromisoformat(text) is not None
    except ValueError:
        return False


def is_count(text: str) -> bool:
    return bool(re.fullmatch(r"\d+", text))


def is_urls(text: str) -> bool:
    """One or more http(s) URLs joined by URL_SEPARATOR (a pipe glued to the next URL is not a URL)."""
    return all(re.fullmatch(r"https?://\S+", url) and not re.search(r"\|https?://", url)
               for url in text.split(URL_SEPARATOR))


def expectation(field: Field) -> str:
    """What a cell of ``field`` must hold, in words (used in error messages and the codebook test)."""
    allowed = ", ".join(str(value) for value in field.allowed)
    return {
        "id": f"a unique identifier matching {field.pattern}" if field.pattern else "a unique identifier",
        "date": "an ISO date YYYY-MM-DD",
        "text": f"text matching {field.pattern}" if field.pattern else "text",
        "category": f"one of: {allowed}",
        "categories": f"one or more of: {allowed} (joined by '{LIST_SEPARATOR}')",
        "ordered": f"one of: {allowed}",
        "yesno": "yes or no",
        "count": "a whole number >= 0",
        "ordinal": f"one of: {allowed}",
        "urls": f"one or more http(s) URLs joined by '{URL_SEPARATOR}'",
    }[field.kind]


def element_check(field: Field):
    kind = field.kind
    if kind == "date":
        return is_iso_date
    if kind == "count":
        return is_count
    if kind == "yesno":
        return lambda text: text in ("yes", "no")
    if kind in ("category", "ordered"):
        return lambda text: text in field.allowed
    if kind == "ordinal":
        return lambda text: text in {str(value) for value in field.allowed}
    if kind == "categories":
        return lambda text: all(part in field.allowed for part in text.split(LIST_SEPARATOR))
    if kind == "urls":
        return is_urls
    if kind in ("id", "text") and field.pattern:
        return lambda text: re.fullmatch(field.pattern, text) is not None
    return None


def column_schema(field: Field) -> pa.Column:
    import pandera.pandas as pa  # imported on first validation only: loading from the cache does not need it

    checks = []
    if field.required:
        checks.append(pa.Check(lambda s: s != "", error=f"a value, not empty ({expectation(field)})"))
    accepts = element_check(field)
    if accepts is not None:
        checks.append(
            pa.Check(lambda text, f=accepts: text == "" or f(text), element_wise=True,
                     error=expectation(field))
        )
    return pa.Column(str, checks=checks, unique=field.kind == "id", report_duplicates="exclude_first")


WIDE_MARK = " :: "


def wide_check(column: str, expected: str, rule) -> pa.Check:
    """A check across columns; its failures are reported once per row, against ``column``. A rule whose
    columns are missing passes (the missing column is reported on its own)."""
    def check(frame: pd.DataFrame) -> pd.Series:
        try:
            return rule(frame)
        except KeyError:
            return pd.Series(True, index=frame.index)

    import pandera.pandas as pa

    return pa.Check(check, error=f"{column}{WIDE_MARK}{expected}")


def table_schema(fields: tuple[Field, ...], wide_checks=(), name: str = "") -> pa.DataFrameSchema:
    import pandera.pandas as pa

    return pa.DataFrameSchema(
        {field.name: column_schema(field) for field in fields},
        checks=list(wide_checks), strict=True, ordered=True, name=name,
    )


def empty_or_zero(column: pd.Series) -> pd.Series:
    return column.isin(["", "0"])


def id_starts_with_date(id_column: str, date_column: str):
    """Rule: an id begins with its row's date (``2025-05-16-istanbul`` for a round starting 16 May 2025)."""
    return wide_check(id_column, f"an id that begins with its {date_column}",
                       lambda f: ~f[date_column].map(is_iso_date) | (f[id_column].str.slice(0, 10) == f[date_column]))


def read_text_table(path: Path) -> pd.DataFrame:
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


def separator_hint(value) -> str:
    """A hint when several values seem joined without the codebook's spaced separators (``a|b``, ``a;b``)."""
    text = str(value)
    if "|" in text and text.count("|") != text.count(URL_SEPARATOR):
        return f" (hint: separate URLs with {URL_SEPARATOR!r}, a space on each side of the pipe)"
    if ";" in text and text.count(";") != text.count(LIST_SEPARATOR):
        return f" (hint: separate values with {LIST_SEPARATOR!r}, a semicolon and a space)"
    return ""


def describe_failures(path: Path, error: pa.errors.SchemaErrors, fields: tuple[Field, ...]) -> list[str]:
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
        elif case.schema_context == "DataFrameSchema" and WIDE_MARK in check:
            column, expected = check.split(WIDE_MARK, 1)
            if case.column == column:
                problems.append((line, f"{path}:{line}: column '{column}': got {case.failure_case!r}; "
                                       f"expected {expected}"))
        else:
            problems.append((line, f"{path}:{line}: column '{case.column}': got {case.failure_case!r}; "
                                   f"expected {check}{separator_hint(case.failure_case)}"))
    return [message for _, message in sorted(problems, key=lambda item: item[0])]


def validate(path: Path, frame: pd.DataFrame, schema: pa.DataFrameSchema, fields) -> list[str]:
    import pandera.pandas as pa

    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as error:
        return describe_failures(path, error, fields)
    return []


def typed(frame: pd.DataFrame, fields: tuple[Field, ...]) -> pd.DataFrame:
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


def line_of(problem: str) -> tuple[str, int]:
    """(file, line) of a ``file:line: ...`` message, for sorting (file-level messages count as line 1)."""
    match = re.match(r"^(.*?):(\d+):", problem)
    return (match.group(1), int(match.group(2))) if match else (problem.split(":")[0], 1)


def finish(problems: list[str]) -> None:
    """Raise every problem found, sorted by file and line."""
    if problems:
        raise DataError(sorted(problems, key=line_of))
