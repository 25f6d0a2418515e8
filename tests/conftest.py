"""Shared fixtures: temporary copies of the data folder, so tests can break files without touching data/."""

import shutil
from pathlib import Path

import pytest

from forecast import paths


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of data/ (tables, codebook, changelog) in a temporary folder."""
    target = tmp_path / "data"
    shutil.copytree(paths.data_dir(), target, ignore=shutil.ignore_patterns("forecasts.csv"))
    return target
