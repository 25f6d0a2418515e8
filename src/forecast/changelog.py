"""The dataset version, read from data/CHANGELOG.md (light: no pandas, so the ledger commands stay fast)."""

from __future__ import annotations

import re
from pathlib import Path

from forecast import paths
from forecast.errors import DataError


def dataset_version(changelog: str | Path | None = None) -> str:
    """The dataset version: the first ``## x.y.z`` heading of data/CHANGELOG.md."""
    path = Path(changelog or paths.changelog_md())
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^##\s+\[?(\d+\.\d+\.\d+)\]?", line)
        if match:
            return match.group(1)
    raise DataError([f"{path}: no version heading (expected a line like '## 1.0.0 - 2026-11-29')"])
