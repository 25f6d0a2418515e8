"""Shared fixtures: temporary copies of the data folder, so tests can break files without touching data/."""

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from forecast import cli, paths


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of data/ (tables, codebook, changelog) in a temporary folder."""
    target = tmp_path / "data"
    shutil.copytree(paths.data_dir(), target, ignore=shutil.ignore_patterns("forecasts.csv"))
    return target


@pytest.fixture
def run_cli(capsys):
    """Run `forecast ARGS` in-process (fast); returns an object like a finished process: returncode, stdout,
    stderr."""

    def run(*args):
        code = cli.main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=captured.out, stderr=captured.err)

    return run
