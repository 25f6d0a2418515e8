"""The forecast ledger: issued forecasts and their resolutions, scored into a track record.

One CSV row per forecast, readable as a table. Issuing appends a row; resolving fills the blank ``resolution``
and ``resolved_at`` of that row once. Nothing else is ever rewritten.

Integrity:
- Every read-modify-write happens under an exclusive lock (``filelock``, a ``.lock`` file beside the ledger);
  a writer that cannot get it within ``LOCK_TIMEOUT_SECONDS`` fails with one line and writes nothing.
- Every write replaces the whole file atomically (``forecast.atomic``: temporary file, fsync, rename, folder
  fsync), so an interrupted write leaves the previous file byte for byte.
- Tamper evidence: each row's ``digest`` is a SHA-256 over the previous row's digest and the row's issued fields,
  so editing, deleting or reordering issued rows breaks the chain at a named row; ``resolution_digest`` seals a
  resolution to its row. An anchor file beside the ledger (``<ledger>.anchor``, JSON) records the number of
  issued rows, the last digest, the highest automatic id and every recorded resolution, so deleting the last rows
  or clearing a resolution is detected too, and ids are never reused. ``forecast score`` and ``forecast
  validate`` report every such problem with the row named; writes are refused on a ledger that fails the check.

This module imports neither pandas nor pandera at import time, so ``forecast log`` starts fast.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import math
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from forecast import atomic, paths
from forecast.changelog import dataset_version
from forecast.dates import as_day
from forecast.errors import DataError

ISSUED_COLUMNS = ("forecast_id", "issued_at", "question", "outcome", "target", "probability", "method",
                  "base_rate", "dataset_version")
"""Columns fixed when a forecast is issued; the chained ``digest`` covers exactly these."""

COLUMNS = (*ISSUED_COLUMNS, "resolution", "resolved_at", "digest", "resolution_digest")
"""Columns of the ledger CSV, in file order. ``target``: the round id or the deadline (YYYY-MM-DD) the question
is about; ``base_rate``: the reference probability the forecast is scored against (the outcome's base rate when
issued); ``digest``/``resolution_digest``: the tamper-evidence seals described in the module docstring."""

REQUIRED = ("forecast_id", "issued_at", "question", "outcome", "target", "probability", "method",
            "dataset_version", "digest")

ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
AUTO_ID = r"F(\d+)"
"""Automatic ids are F0001, F0002, ...; a number once given is never given again."""

LOCK_TIMEOUT_SECONDS = 5.0
"""How long a writer waits for another writer to finish before it gives up (seconds)."""

DIGEST_HEX_DIGITS = 24
"""Digest length shown in the CSV (96 bits of SHA-256: enough to make an accidental match impossible)."""

CHAIN_START = "talks-forecast ledger v1"
"""What the first row's digest chains from."""


class LedgerError(ValueError):
    """A refused ledger operation (duplicate id, unknown id, already resolved, locked, bad value)."""


def parse_probability(text: str | float, what: str = "probability") -> float:
    """A probability in [0, 1] from text such as ``0.3``; anything else raises ValueError echoing the value."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"{what} {text!r} is not a number; expected a probability between 0 and 1") from None
    if math.isnan(value) or not 0 <= value <= 1:
        shown = text if isinstance(text, str) else f"{value:g}"
        raise ValueError(f"{what} {shown} is outside [0, 1]; expected a probability between 0 and 1")
    return value


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _is_timestamp(text: str) -> bool:
    try:
        dt.datetime.fromisoformat(text)
        return True
    except ValueError:
        return False



def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:DIGEST_HEX_DIGITS]


def row_digest(previous_digest: str, row: dict) -> str:
    """The chained seal of a row: SHA-256 of the previous row's digest and this row's issued fields."""
    return _hash(previous_digest, *(row[column] for column in ISSUED_COLUMNS))


def resolution_digest(row: dict) -> str:
    """The seal of a resolution: SHA-256 of the row's digest, the resolution and its time."""
    return _hash(row["digest"], row["resolution"], row["resolved_at"])


# --- files -----------------------------------------------------------------------------------------------

def anchor_path(path: Path) -> Path:
    return path.with_name(path.name + ".anchor")


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


@dataclass
class Anchor:
    """What the ledger held after its last write (see the module docstring)."""

    rows: int = 0
    head: str = CHAIN_START
    last_number: int = 0
    resolutions: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> "Anchor | None":
        target = anchor_path(path)
        if not target.exists():
            return None
        try:
            content = json.loads(target.read_text(encoding="utf-8"))
            return cls(rows=int(content["rows"]), head=str(content["head"]),
                       last_number=int(content["last_number"]), resolutions=dict(content["resolutions"]))
        except (ValueError, KeyError, TypeError):
            raise DataError([f"{target}: not a ledger anchor (expected JSON with rows, head, last_number, "
                             "resolutions); restore it from a backup"]) from None

    @classmethod
    def of(cls, rows: list[dict], last_number: int) -> "Anchor":
        return cls(rows=len(rows), head=rows[-1]["digest"] if rows else CHAIN_START,
                   last_number=max(last_number, _highest_auto_number(rows)),
                   resolutions={row["forecast_id"]: row["resolution_digest"] for row in rows if row["resolution"]})

    def text(self) -> str:
        return json.dumps({"rows": self.rows, "head": self.head, "last_number": self.last_number,
                           "resolutions": self.resolutions}, indent=1, sort_keys=True) + "\n"


def _highest_auto_number(rows: list[dict]) -> int:
    return max((int(match.group(1)) for row in rows if (match := re.fullmatch(AUTO_ID, row["forecast_id"]))),
               default=0)


@dataclass
class Rows:
    """The ledger's rows as text (each with its line number), and its anchor."""

    path: Path
    rows: list[dict]
    lines: list[int]
    anchor: Anchor | None


def _read_rows(path: Path) -> Rows:
    """Rows as text cells, checked for format (columns, ids, probabilities, times); DataError names line and
    column. A missing file is an empty ledger."""
    if not path.exists():
        return Rows(path, [], [], Anchor.read(path))
    problems: list[str] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, strict=True)
            header = [cell.strip() for cell in next(reader, [])]
            records = [(reader.line_num, record) for record in reader if any(cell.strip() for cell in record)]
    except UnicodeDecodeError as error:
        raise DataError([f"{path}: not UTF-8 text ({error.reason} at byte {error.start})"]) from None
    except csv.Error as error:
        raise DataError([f"{path}: malformed CSV ({error})"]) from None
    if header != list(COLUMNS):
        missing = [column for column in COLUMNS if column not in header]
        extra = [column for column in header if column not in COLUMNS]
        detail = "; ".join(filter(None, [missing and f"missing {', '.join(missing)}",
                                         extra and f"unexpected {', '.join(extra)}"])) or "columns out of order"
        raise DataError([f"{path}:1: not a forecast ledger header ({detail}); expected {','.join(COLUMNS)}"])
    rows, lines, seen = [], [], set()
    for line, record in records:
        if len(record) != len(COLUMNS):
            problems.append(f"{path}:{line}: expected {len(COLUMNS)} fields as in the header, found {len(record)}")
            continue
        row = dict(zip(COLUMNS, record))
        problems += _row_format_problems(path, line, row, seen)
        seen.add(row["forecast_id"])
        rows.append(row)
        lines.append(line)
    if problems:
        raise DataError(problems)
    return Rows(path, rows, lines, Anchor.read(path))


def _row_format_problems(path: Path, line: int, row: dict, seen: set[str]) -> list[str]:
    problems = []
    where = f"{path}:{line}"
    for column in REQUIRED:
        if not row[column].strip():
            problems.append(f"{where}: column '{column}': empty; expected a value")
    if row["forecast_id"] and not re.fullmatch(ID_PATTERN, row["forecast_id"]):
        problems.append(f"{where}: column 'forecast_id': got {row['forecast_id']!r}; expected letters, digits, "
                        "'_', '.', '-'")
    if row["forecast_id"] in seen:
        problems.append(f"{where}: column 'forecast_id': duplicate value {row['forecast_id']!r} (expected unique)")
    for column in ("probability", "base_rate"):
        if row[column] or column == "probability":
            try:
                parse_probability(row[column], column)
            except ValueError as error:
                problems.append(f"{where}: column '{column}': {error}")
    for column in ("issued_at", "resolved_at"):
        if row[column] and not _is_timestamp(row[column]):
            problems.append(f"{where}: column '{column}': got {row[column]!r}; expected an ISO 8601 time")
    if row["resolution"] not in ("", "yes", "no"):
        problems.append(f"{where}: column 'resolution': got {row['resolution']!r}; expected yes, no or empty")
    if bool(row["resolution"]) != bool(row["resolved_at"]):
        problems.append(f"{where}: columns 'resolution' and 'resolved_at' must be filled together")
    if bool(row["resolution"]) != bool(row["resolution_digest"]):
        problems.append(f"{where}: columns 'resolution' and 'resolution_digest' must be filled together "
                        "(a resolution was added or cleared by hand)")
    return problems


def integrity_problems(ledger: Rows) -> tuple[list[str], list[str]]:
    """(problems, warnings) of the tamper-evidence check; each problem names the ledger row."""
    path, rows, lines, anchor = ledger.path, ledger.rows, ledger.lines, ledger.anchor
    problems: list[str] = []
    warnings: list[str] = []
    previous = CHAIN_START
    digests = {CHAIN_START} | {row["digest"] for row in rows}
    for row, line in zip(rows, lines):
        name = f"{path}:{line}: forecast {row['forecast_id']}"
        if row_digest(previous, row) != row["digest"]:
            if any(row_digest(other, row) == row["digest"] for other in digests):
                problems.append(f"{name}: does not follow the row before it; rows were moved or inserted "
                                "before this one")
            else:
                problems.append(f"{name}: its issued fields were edited after issue, or the row before it was "
                                "deleted (its seal does not match)")
        if row["resolution"] and resolution_digest(row) != row["resolution_digest"]:
            problems.append(f"{name}: its resolution or resolution time was edited after it was recorded")
        previous = row["digest"]
    if anchor is None:
        if rows:
            warnings.append(f"{anchor_path(path)}: missing, so deleted last rows and cleared resolutions cannot "
                            "be detected; the next write recreates it")
        return problems, warnings
    if len(rows) < anchor.rows:
        where = ""
        if not problems:  # the chain holds, so the missing rows were the last ones
            where = f", the last {anchor.rows - len(rows)} (after {rows[-1]['forecast_id'] if rows else 'none'})"
        remain = f"{len(rows)} row remains" if len(rows) == 1 else f"{len(rows)} rows remain"
        problems.append(f"{path}: {anchor.rows} forecasts were issued but {remain}: "
                        f"{anchor.rows - len(rows)} row(s) were deleted{where}")
    elif anchor.rows and rows[anchor.rows - 1]["digest"] != anchor.head:
        line = lines[anchor.rows - 1]
        problems.append(f"{path}:{line}: forecast {rows[anchor.rows - 1]['forecast_id']}: not the row issued "
                        f"as number {anchor.rows}; rows were deleted, inserted or moved")
    by_id = {row["forecast_id"]: (row, line) for row, line in zip(rows, lines)}
    for forecast_id, sealed in sorted(anchor.resolutions.items()):
        if forecast_id not in by_id:
            continue  # reported above as a deleted or edited row
        row, line = by_id[forecast_id]
        if not row["resolution"]:
            problems.append(f"{path}:{line}: forecast {forecast_id}: its recorded resolution was cleared")
        elif row["resolution_digest"] != sealed:
            problems.append(f"{path}:{line}: forecast {forecast_id}: its resolution differs from the one recorded")
    return problems, warnings


def check(path: str | Path | None = None) -> tuple[Rows, list[str]]:
    """The ledger's rows after the format and tamper checks (DataError listing every problem); also returns
    warnings (e.g. a missing anchor)."""
    ledger = _read_rows(Path(path or paths.ledger_csv()))
    problems, warnings = integrity_problems(ledger)
    if problems:
        raise DataError(problems)
    return ledger, warnings


@contextmanager
def _locked(path: Path):
    """Hold the ledger's exclusive lock, or fail with one line after LOCK_TIMEOUT_SECONDS."""
    import filelock

    path.parent.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(lock_path(path)), timeout=LOCK_TIMEOUT_SECONDS)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise LedgerError(f"{path}: another process has held the ledger's lock for {LOCK_TIMEOUT_SECONDS:g} s; "
                          "nothing was written, try again") from None
    try:
        yield
    finally:
        lock.release()


def _write(path: Path, rows: list[dict], anchor: Anchor) -> None:
    """Replace the ledger and then its anchor, each atomically (a crash between the two leaves a ledger one
    write ahead of its anchor, which the check accepts because the chain still verifies)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([row[column] for column in COLUMNS] for row in rows)
    atomic.write_text(path, buffer.getvalue())
    atomic.write_text(anchor_path(path), anchor.text())


def _next_number(ledger: Rows) -> int:
    anchored = ledger.anchor.last_number if ledger.anchor else 0
    return max(anchored, _highest_auto_number(ledger.rows)) + 1


# --- operations ------------------------------------------------------------------------------------------

def read(path: str | Path | None = None):
    """The ledger as a pandas frame of text columns (empty if the file does not exist yet). A file edited into
    a bad format raises DataError naming file, line and column (tampering is reported by ``check``)."""
    import pandas as pd

    ledger = _read_rows(Path(path or paths.ledger_csv()))
    return pd.DataFrame(ledger.rows, columns=list(COLUMNS), dtype=str)


def default_base_rate(outcome: str) -> float | None:
    """Jeffreys base rate of a round outcome over the current table (None for other questions)."""
    from forecast import base_rates, features

    frame = features.round_features()
    if outcome not in frame:
        return None
    known = frame[outcome].dropna().astype(bool)
    return base_rates.beta_rate(int(known.sum()), len(known)).mean


def log(question: str, outcome: str, target: str, probability: float | str, method: str,
        path: str | Path | None = None, forecast_id: str | None = None, base_rate: float | str | None = None,
        issued_at: str | None = None) -> dict:
    """Append one forecast under the lock; returns the row written. Refuses a duplicate ``forecast_id`` and a
    ledger that fails its integrity check."""
    path = Path(path or paths.ledger_csv())
    probability = parse_probability(probability)
    for name, value in (("question", question), ("outcome", outcome), ("target", target), ("method", method)):
        if not str(value).strip():
            raise LedgerError(f"{name} is empty; every forecast needs a {name}")
    if forecast_id is not None and not re.fullmatch(ID_PATTERN, forecast_id):
        raise LedgerError(f"forecast id {forecast_id!r} is not allowed; use letters, digits, '_', '.', '-'")
    if base_rate is None:
        base_rate = default_base_rate(outcome.strip())
    base_rate = None if base_rate is None else parse_probability(base_rate, "base rate")
    issued_at = issued_at or _now()
    deadline = as_day(target.strip())
    if deadline is not None and deadline < dt.datetime.fromisoformat(issued_at).date():
        raise LedgerError(f"target {target.strip()} is a deadline before the issue day "
                          f"{dt.datetime.fromisoformat(issued_at).date()}; a forecast is about the future")
    version = dataset_version()
    with _locked(path):
        ledger, _ = check(path)
        number = _next_number(ledger)
        if forecast_id is None:
            forecast_id = f"F{number:04d}"
        if forecast_id in {row["forecast_id"] for row in ledger.rows}:
            raise LedgerError(f"{path}: a forecast with id {forecast_id!r} already exists; ids are never reused")
        row = {"forecast_id": forecast_id, "issued_at": issued_at, "question": question.strip(),
               "outcome": outcome.strip(), "target": target.strip(), "probability": f"{probability:.6g}",
               "method": method.strip(), "base_rate": "" if base_rate is None else f"{base_rate:.6g}",
               "dataset_version": version, "resolution": "", "resolved_at": "", "resolution_digest": ""}
        row["digest"] = row_digest(ledger.rows[-1]["digest"] if ledger.rows else CHAIN_START, row)
        rows = [*ledger.rows, row]
        used = int(match.group(1)) if (match := re.fullmatch(AUTO_ID, forecast_id)) else 0
        _write(path, rows, Anchor.of(rows, max(number - 1, used)))
    return row


def _resolve_rows(ledger: Rows, resolutions: dict[str, tuple[str, str]]) -> list[dict]:
    """Rows with the given {id: (yes/no, time)} resolutions filled in and sealed."""
    rows = []
    for row in ledger.rows:
        row = dict(row)
        if row["forecast_id"] in resolutions:
            row["resolution"], row["resolved_at"] = resolutions[row["forecast_id"]]
            row["resolution_digest"] = resolution_digest(row)
        rows.append(row)
    return rows


def resolve(forecast_id: str, outcome: str, path: str | Path | None = None, resolved_at: str | None = None) -> dict:
    """Record the result (``yes`` or ``no``) of an issued forecast, once."""
    path = Path(path or paths.ledger_csv())
    if outcome not in ("yes", "no"):
        raise LedgerError(f"outcome {outcome!r} is not allowed; expected yes or no")
    if not path.exists():
        raise LedgerError(f"{path}: no ledger there (nothing has been logged to it yet)")
    with _locked(path):
        ledger, _ = check(path)
        matches = [row for row in ledger.rows if row["forecast_id"] == forecast_id]
        if not matches:
            known = ", ".join(row["forecast_id"] for row in ledger.rows[-5:]) or "none yet"
            raise LedgerError(f"{path}: no forecast with id {forecast_id!r} (latest ids: {known})")
        if matches[0]["resolution"]:
            raise LedgerError(f"{path}: forecast {forecast_id!r} was already resolved as "
                              f"{matches[0]['resolution']!r} at {matches[0]['resolved_at']}; "
                              "resolutions are never rewritten")
        rows = _resolve_rows(ledger, {forecast_id: (outcome, resolved_at or _now())})
        _write(path, rows, Anchor.of(rows, _next_number(ledger) - 1))
    return next(row for row in rows if row["forecast_id"] == forecast_id)


@dataclass(frozen=True)
class Settled:
    """What ``resolve_from_data`` did with one open forecast: ``resolution`` yes/no, or None (left open)."""

    forecast_id: str
    resolution: str | None
    reason: str


def resolve_from_data(path: str | Path | None = None, rounds=None, exchanges=None,
                      conflict: str | None = None) -> list[Settled]:
    """Resolve every open forecast that the curated tables of ``conflict`` (default: the default conflict) now
    settle (see ``forecast.events.settle``); never touches a resolved row. Returns one entry per open forecast,
    settled or not, with the reason."""
    from forecast import events
    from forecast.codes import DEFAULT_CONFLICT

    path = Path(path or paths.ledger_csv())
    if not path.exists():
        raise LedgerError(f"{path}: no ledger there (nothing has been logged to it yet)")
    tables = events.Tables.load(rounds, exchanges, conflict=conflict or DEFAULT_CONFLICT)
    with _locked(path):
        ledger, _ = check(path)
        report, resolutions = [], {}
        now = _now()
        for row in ledger.rows:
            if row["resolution"]:
                continue
            issued = dt.datetime.fromisoformat(row["issued_at"]).date()
            resolution, reason = events.settle(row["outcome"], row["target"], issued, tables)
            report.append(Settled(row["forecast_id"], resolution, reason))
            if resolution is not None:
                resolutions[row["forecast_id"]] = (resolution, now)
        if resolutions:
            rows = _resolve_rows(ledger, resolutions)
            _write(path, rows, Anchor.of(rows, _next_number(ledger) - 1))
    return report


def score(path: str | Path | None = None, bins: int = 5):
    """Scores over resolved forecasts: (summary by method and overall, calibration table). Refuses a ledger
    that is missing, has nothing resolved, or fails its integrity check."""
    import numpy as np
    import pandas as pd

    from forecast import evaluate

    path = Path(path or paths.ledger_csv())
    if not path.exists():
        raise LedgerError(f"{path}: no ledger there (nothing has been logged to it yet)")
    ledger, _ = check(path)
    frame = pd.DataFrame(ledger.rows, columns=list(COLUMNS), dtype=str)
    resolved = frame[frame["resolution"] != ""]
    if resolved.empty:
        raise LedgerError(f"{path}: no resolved forecasts to score yet")
    rows = []
    for method, part in [("all", resolved), *resolved.groupby("method", sort=True)]:
        p = part["probability"].astype(float).to_numpy()
        y = (part["resolution"] == "yes").astype(int).to_numpy()
        with_reference = (part["base_rate"] != "").to_numpy()
        skill = None
        if with_reference.any():
            reference = part.loc[with_reference, "base_rate"].astype(float).to_numpy()
            try:
                skill = evaluate.brier_skill_score(p[with_reference], y[with_reference], reference)
            except ValueError:
                skill = None  # the stored base rates were perfect on these rows: skill is undefined
        loss, n_clipped = evaluate.clipped_log_loss(p, y)
        rows.append({"method": method, "n": len(part), "brier": evaluate.brier_score(p, y),
                     "log_loss": loss, "n_clipped": n_clipped,
                     "brier_skill_vs_base_rate": np.nan if skill is None else skill,
                     "n_with_base_rate": int(with_reference.sum())})
    calibration = evaluate.calibration_table(resolved["probability"].astype(float),
                                             (resolved["resolution"] == "yes").astype(int), bins=bins)
    return pd.DataFrame(rows), calibration
