"""A disk cache for results that are pure functions of the data files, the code and a few parameters (validated
tables, track records), so that a command asked twice does not redo the work. Keys hash the files' bytes, the
package's source files named, and the parameters; entries live in ``paths.cache_dir()`` and are safe to delete."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Callable

from forecast import paths

CACHE_FORMAT = "1"
"""Bump to invalidate every cached entry."""

PACKAGE_DIR = Path(__file__).parent


def key(files: list[Path | None], code: tuple[str, ...], parameters: tuple = ()) -> str:
    """SHA-256 of the files (their paths and bytes), the package modules named in ``code`` and ``parameters``."""
    digest = hashlib.sha256(CACHE_FORMAT.encode())
    for path in [*files, *(PACKAGE_DIR / name for name in code)]:
        digest.update(str(path).encode() if path is not None else b"-")
        digest.update(Path(path).read_bytes() if path is not None and Path(path).is_file() else b"missing")
    digest.update(repr(parameters).encode())
    return digest.hexdigest()[:32]


def cached(kind: str, entry_key: str, build: Callable[[], object]):
    """The stored result for ``entry_key``, or ``build()`` stored under it. A build that raises stores nothing;
    an unreadable entry is rebuilt; an unwritable cache folder only costs the time."""
    target = paths.cache_dir() / f"{kind}-{entry_key}.pkl"
    if target.is_file():
        try:
            with target.open("rb") as handle:
                return pickle.load(handle)
        except Exception:  # written by another version of a library, or cut short: rebuild it
            pass
    result = build()
    try:
        from forecast import atomic

        atomic.write_bytes(target, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass
    return result


RESULT_CODE = ("data.py", "schema.py", "codes.py", "features.py", "events.py", "methods.py", "evaluate.py",
               "defaults.py", "base_rates.py", "firth.py", "pooling.py", "predict.py", "scenario.py", "deadlines.py",
               "compare.py")
"""Modules whose source is part of the key of every result computed from the tables (``from_tables``): a change
to any of them recomputes."""


def from_tables(kind: str, parameters: tuple, build: Callable[[], object]):
    """``build()``'s result for these curated tables (``paths.table_files``), the ``RESULT_CODE`` modules and
    ``parameters``, from the cache when it is there."""
    return cached(kind, key(paths.table_files(), RESULT_CODE, parameters), build)
