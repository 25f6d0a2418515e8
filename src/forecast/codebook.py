"""The codebook check: data/README.md documents exactly the columns of each table in ``forecast.data``, with the
same types, and the CSV headers match both (``tests/test_codebook.py`` holds the project to it)."""

from __future__ import annotations

import re
from pathlib import Path

from forecast import paths
from forecast.data import TABLES
from forecast.schema import read_text_table

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
        header = read_text_table(directory / table).columns.tolist()
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


