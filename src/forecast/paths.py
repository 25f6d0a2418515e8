"""Where the project's files live. Every other module asks here; no path strings elsewhere.

The project root is found from this file's location (the package is installed in editable mode from
``src/forecast``). ``FORECAST_DATA_DIR`` and ``FORECAST_REPORTS_DIR`` override the data and report folders,
e.g. to run the suite on a copy of the tables; ``FORECAST_LEDGER`` overrides the default ledger file.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"


def data_dir() -> Path:
    """Folder holding rounds.csv, exchanges.csv, sources.csv, README.md (codebook) and CHANGELOG.md."""
    return Path(os.environ.get("FORECAST_DATA_DIR", PROJECT_ROOT / "data"))


def reports_dir() -> Path:
    """Folder the report build writes to (generated, never committed)."""
    return Path(os.environ.get("FORECAST_REPORTS_DIR", PROJECT_ROOT / "reports"))


def conflicts_csv() -> Path:
    return data_dir() / "conflicts.csv"


def rounds_csv() -> Path:
    return data_dir() / "rounds.csv"


def exchanges_csv() -> Path:
    return data_dir() / "exchanges.csv"


def crowd_csv() -> Path:
    return data_dir() / "crowd_forecasts.csv"


def sources_csv() -> Path:
    return data_dir() / "sources.csv"


def codebook_md() -> Path:
    return data_dir() / "README.md"


def changelog_md() -> Path:
    return data_dir() / "CHANGELOG.md"


def cache_dir() -> Path:
    """Validated tables, pickled by the hash of their files and of the schema code (``FORECAST_CACHE_DIR``
    overrides; ignored by git; safe to delete)."""
    return Path(os.environ.get("FORECAST_CACHE_DIR", PROJECT_ROOT / ".cache"))


def ledger_csv() -> Path:
    """Default forecast ledger (issued forecasts and their resolutions): ``ledger/forecasts.csv`` in the
    project, outside ``data/`` (the curated tables are the versioned source of truth) and ignored by git.
    ``make clean`` never removes it."""
    return Path(os.environ.get("FORECAST_LEDGER", PROJECT_ROOT / "ledger" / "forecasts.csv"))


def ucdp_peace_agreements_csv() -> Path:
    """The user's own copy of the UCDP Peace Agreement Dataset v22.1 CSV (from https://ucdp.uu.se/downloads/;
    the project never ships it): ``FORECAST_UCDP_CSV`` if set, else ``external/ucdp-peace-agreements-221.csv``
    in the project, a folder for downloaded inputs that git ignores (``external/`` in .gitignore)."""
    return Path(os.environ.get("FORECAST_UCDP_CSV", PROJECT_ROOT / "external" / "ucdp-peace-agreements-221.csv"))


REPORT_BUILD_ENV = "FORECAST_REPORT_BUILD"
"""Set to 1 in every kernel ``forecast report`` starts: the scenario explorer then shows its static view (an
exported page cannot run Python)."""


def table_files() -> list[Path]:
    """The curated tables a computed result depends on (part of every cache key of results computed from them)."""
    return [conflicts_csv(), rounds_csv(), exchanges_csv(), sources_csv(), crowd_csv()]
