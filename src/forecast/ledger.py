"""The forecast ledger: issued forecasts and their resolutions, scored into a track record.

One CSV row per forecast. Issuing appends a row; resolving fills the blank ``resolution`` and ``resolved_at``
of that row once. Nothing else is ever rewritten: an issued probability, its time and its method stay as
issued. Every write replaces the whole file atomically (``forecast.atomic``), after validating what is there,
so an interrupted write leaves the previous file byte for byte.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from forecast import atomic, base_rates, data, evaluate, paths
from forecast.data import DataError, Field

LEDGER_FIELDS: tuple[Field, ...] = (
    Field("forecast_id", "id", True, pattern=r"[A-Za-z0-9][A-Za-z0-9_.-]*"),
    Field("issued_at", "text", True),
    Field("question", "text", True),
    Field("outcome", "text", True),
    Field("target", "text", True),
    Field("probability", "text", True),
    Field("method", "text", True),
    Field("base_rate", "text", False),
    Field("dataset_version", "text", True),
    Field("resolution", "yesno", False),
    Field("resolved_at", "text", False),
)
"""Columns of forecasts.csv. ``target``: the round id or the deadline (YYYY-MM-DD) the question is about;
``base_rate``: the reference probability the forecast is scored against (the outcome's base rate when issued)."""

COLUMNS = [field.name for field in LEDGER_FIELDS]


class LedgerError(ValueError):
    """A refused ledger operation (duplicate id, unknown id, already resolved, bad value)."""


def parse_probability(text: str | float, what: str = "probability") -> float:
    """A probability in [0, 1] from text such as ``0.3``; anything else raises ValueError saying so."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ValueError(f"{what} {text!r} is not a number; expected a probability between 0 and 1") from None
    if not (0 <= value <= 1) or math.isnan(value):
        raise ValueError(f"{what} {value:g} is outside [0, 1]; expected a probability between 0 and 1")
    return value


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def read(path: str | Path | None = None) -> pd.DataFrame:
    """The ledger as text columns (an empty frame if the file does not exist yet). A file edited into a bad
    state raises DataError naming file, line and column."""
    path = Path(path or paths.ledger_csv())
    if not path.exists():
        return pd.DataFrame(columns=COLUMNS, dtype=str)
    frame, problems = data.read_validated(path, LEDGER_FIELDS, "ledger")
    for line, row in frame.iterrows() if not problems else []:
        for column in ("probability", "base_rate"):
            if column == "base_rate" and row[column] == "":
                continue
            try:
                parse_probability(row[column], column)
            except ValueError as error:
                problems.append(f"{path}:{line}: column '{column}': {error}")
        for column in ("issued_at", "resolved_at"):
            if row[column] and not _is_timestamp(row[column]):
                problems.append(f"{path}:{line}: column '{column}': got {row[column]!r}; expected an ISO 8601 time")
        if bool(row["resolution"]) != bool(row["resolved_at"]):
            problems.append(f"{path}:{line}: columns 'resolution' and 'resolved_at' must be filled together")
    if problems:
        raise DataError(problems)
    return frame.reset_index(drop=True)


def _is_timestamp(text: str) -> bool:
    try:
        dt.datetime.fromisoformat(text)
        return True
    except ValueError:
        return False


def _write(path: Path, frame: pd.DataFrame) -> None:
    buffer = io.StringIO()
    frame[COLUMNS].to_csv(buffer, index=False, lineterminator="\n")
    atomic.write_text(path, buffer.getvalue())


def next_id(frame: pd.DataFrame) -> str:
    numbers = [int(match.group(1)) for value in frame["forecast_id"]
               if (match := re.fullmatch(r"F(\d+)", value))]
    return f"F{max(numbers, default=0) + 1:04d}"


def default_base_rate(outcome: str) -> float | None:
    """Jeffreys base rate of a round outcome over the current table (None for other questions)."""
    from forecast import features

    frame = features.round_features()
    if outcome not in frame:
        return None
    known = frame[outcome].dropna().astype(bool)
    return base_rates.beta_rate(int(known.sum()), len(known)).mean


def log(question: str, outcome: str, target: str, probability: float | str, method: str,
        path: str | Path | None = None, forecast_id: str | None = None, base_rate: float | str | None = None,
        issued_at: str | None = None) -> dict:
    """Append one forecast; returns the row written. Refuses a duplicate ``forecast_id``."""
    path = Path(path or paths.ledger_csv())
    frame = read(path)
    probability = parse_probability(probability)
    if base_rate is None:
        base_rate = default_base_rate(outcome)
    base_rate = None if base_rate is None else parse_probability(base_rate, "base rate")
    forecast_id = forecast_id or next_id(frame)
    if forecast_id in set(frame["forecast_id"]):
        raise LedgerError(f"{path}: a forecast with id {forecast_id!r} already exists; ids are never reused")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", forecast_id):
        raise LedgerError(f"forecast id {forecast_id!r} is not allowed; use letters, digits, '_', '.', '-'")
    for name, value in (("question", question), ("outcome", outcome), ("target", target), ("method", method)):
        if not str(value).strip():
            raise LedgerError(f"{name} is empty; every forecast needs a {name}")
    row = {"forecast_id": forecast_id, "issued_at": issued_at or _now(), "question": question.strip(),
           "outcome": outcome.strip(), "target": target.strip(), "probability": f"{probability:.6g}",
           "method": method.strip(), "base_rate": "" if base_rate is None else f"{base_rate:.6g}",
           "dataset_version": data.dataset_version(), "resolution": "", "resolved_at": ""}
    _write(path, pd.concat([frame, pd.DataFrame([row])], ignore_index=True))
    return row


def resolve(forecast_id: str, outcome: str, path: str | Path | None = None, resolved_at: str | None = None) -> dict:
    """Record the result (``yes`` or ``no``) of an issued forecast, once."""
    path = Path(path or paths.ledger_csv())
    if outcome not in ("yes", "no"):
        raise LedgerError(f"outcome {outcome!r} is not allowed; expected yes or no")
    frame = read(path)
    matches = frame.index[frame["forecast_id"] == forecast_id]
    if len(matches) == 0:
        known = ", ".join(frame["forecast_id"].tolist()[-5:]) or "none yet"
        raise LedgerError(f"{path}: no forecast with id {forecast_id!r} (latest ids: {known})")
    index = matches[0]
    if frame.loc[index, "resolution"]:
        raise LedgerError(f"{path}: forecast {forecast_id!r} was already resolved as "
                          f"{frame.loc[index, 'resolution']!r} at {frame.loc[index, 'resolved_at']}; "
                          "resolutions are never rewritten")
    frame.loc[index, "resolution"] = outcome
    frame.loc[index, "resolved_at"] = resolved_at or _now()
    _write(path, frame)
    return frame.loc[index].to_dict()


def score(path: str | Path | None = None, bins: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scores over resolved forecasts: (summary by method and overall, calibration table)."""
    path = Path(path or paths.ledger_csv())
    frame = read(path)
    resolved = frame[frame["resolution"] != ""]
    if resolved.empty:
        raise LedgerError(f"{path}: no resolved forecasts to score yet")
    rows = []
    for method, part in [("all", resolved), *resolved.groupby("method", sort=True)]:
        p = part["probability"].astype(float).to_numpy()
        y = (part["resolution"] == "yes").astype(int).to_numpy()
        with_reference = part["base_rate"] != ""
        reference = part.loc[with_reference, "base_rate"].astype(float).to_numpy()
        skill = np.nan
        if with_reference.any():
            try:
                skill = evaluate.brier_skill_score(p[with_reference.to_numpy()], y[with_reference.to_numpy()],
                                                   reference)
            except ValueError:
                skill = np.nan
        loss, n_clipped = evaluate.clipped_log_loss(p, y)
        rows.append({"method": method, "n": len(part), "brier": evaluate.brier_score(p, y),
                     "log_loss": loss, "n_clipped": n_clipped, "brier_skill_vs_base_rate": skill,
                     "n_with_base_rate": int(with_reference.sum())})
    calibration = evaluate.calibration_table(resolved["probability"].astype(float),
                                             (resolved["resolution"] == "yes").astype(int), bins=bins)
    return pd.DataFrame(rows), calibration
