"""The head-to-head with the crowd: for every comparable crowd or market forecast (``crowd_forecasts.csv``), the
suite's forecast for the same question, as of the same day, from the data before that day (``forecast.deadlines``),
then proper scores per platform on the resolved questions.

What it can show and what it cannot: the suite's number is fixed by its method, not tuned to the crowd; but the
resolved questions are few and mostly resolved no, so a forecaster that always says "unlikely" wins them, and one
platform's rows are often the same question on different days (not independent).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast import data, deadlines, defaults, evaluate, methods


def head_to_head(crowd: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per comparable crowd forecast: ``crowd_id``, ``platform``, ``conflict``, ``question``, ``deadline``,
    ``as_of``, ``crowd_p``, ``suite_p`` (the suite's headline as of that day), ``outcome`` (1, 0, or missing
    while open). ``crowd``: default the curated table (and the result is cached)."""
    if crowd is None:  # the curated table: cached by the tables and the code
        from forecast import cache

        return cache.from_tables("head-to-head", (), lambda: head_to_head(data.load_crowd()))
    comparable = crowd[crowd["comparable"].fillna(False).astype(bool)]
    rows = []
    for row in comparable.itertuples():
        answer = deadlines.ask(str(row.suite_question), row.deadline, row.as_of, str(row.conflict), with_record=False)
        rows.append({"crowd_id": row.crowd_id, "platform": row.platform, "conflict": row.conflict,
                     "question": str(row.suite_question), "deadline": row.deadline, "as_of": row.as_of,
                     "crowd_p": float(row.probability), "suite_p": answer.p,
                     "outcome": {"yes": 1.0, "no": 0.0}.get(str(row.resolution), np.nan)})
    return pd.DataFrame(rows)


def scores(rows: pd.DataFrame, rng: np.random.Generator, n_bootstrap: int = defaults.N_BOOTSTRAP,
           level: float = defaults.INTERVAL_LEVEL) -> pd.DataFrame:
    """Per platform (and all), on the resolved rows: n, yes, Brier and log loss of the crowd and of the suite on
    exactly those rows, and the suite's Brier minus the crowd's with a paired bootstrap interval over rows
    (negative: the suite did better)."""
    resolved = rows[rows["outcome"].notna()]
    out = []
    tail = (1 - level) / 2
    for platform, part in [("all platforms", resolved), *resolved.groupby("platform", sort=True)]:
        y = part["outcome"].to_numpy(float)
        crowd_loss = (part["crowd_p"].to_numpy(float) - y) ** 2
        suite_loss = (part["suite_p"].to_numpy(float) - y) ** 2
        weights = evaluate.resample_weights(np.arange(len(y)), rng, n_bootstrap)
        differences = (weights @ (suite_loss - crowd_loss)) / weights.sum(axis=1)
        out.append({"platform": platform, "n": len(y), "yes": int(y.sum()),
                    "crowd_brier": float(crowd_loss.mean()), "suite_brier": float(suite_loss.mean()),
                    "crowd_log_loss": float(methods.log_loss_values(part["crowd_p"].to_numpy(float), y).mean()),
                    "suite_log_loss": float(methods.log_loss_values(part["suite_p"].to_numpy(float), y).mean()),
                    "suite_minus_crowd": float(suite_loss.mean() - crowd_loss.mean()),
                    "difference_lower": float(np.quantile(differences, tail)),
                    "difference_upper": float(np.quantile(differences, 1 - tail))})
    return pd.DataFrame(out)
