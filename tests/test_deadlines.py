"""Questions with deadlines: closed forms, monotone in the deadline, only data before the as-of day, and the
command as the issue asks it."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecast import deadlines, events, methods


def test_gamma_poisson_predictive_closed_form_and_its_point_mass_limit():
    # Gamma(shape, rate) mixed Poisson: P(no event in h days) = (rate / (rate + h)) ** shape (negative binomial)
    p = methods._gamma_poisson_at_least_one(np.array([6.0]), np.array([300.0]), 45)
    assert p[0] == pytest.approx(1 - stats.nbinom.pmf(0, 6.5, 300 / 345), abs=1e-12)
    # a rate known exactly (huge exposure at rate lambda): 1 - exp(-lambda * days)
    rate, days = 0.02, 45
    exposure = np.array([1e9])
    limit = methods._gamma_poisson_at_least_one(rate * exposure - 0.5, exposure, days)
    assert limit[0] == pytest.approx(1 - np.exp(-rate * days), abs=1e-6)


def test_a_never_seen_event_gets_the_stated_jeffreys_prior():
    answer = deadlines.ask("general_ceasefire_by", "2026-12-31")
    steps = {step["method"]: step for step in answer.steps}
    exposure = 365.0  # no general ceasefire in the last year (or ever)
    assert steps["poisson_365d"]["p"] == pytest.approx(1 - (exposure / (exposure + answer.horizon_days)) ** 0.5)
    assert any("no such event" in line for line in answer.warnings)


@pytest.mark.parametrize("question", list(events.DEADLINE_QUESTIONS))
def test_probability_grows_with_the_deadline(question):
    ps = [deadlines.ask(question, deadline, "2025-06-01", n_bootstrap=100).p
          for deadline in ("2025-07-01", "2025-10-01", "2026-01-01", "2026-06-01")]
    assert all(later >= earlier - 1e-12 for earlier, later in zip(ps, ps[1:])), ps
    assert all(0 < p < 1 for p in ps)


def test_only_data_before_the_as_of_day_is_used(monkeypatch):
    before = deadlines.ask("any_ceasefire_by", "2026-01-01", "2025-05-08", n_bootstrap=100)
    real = events.Tables.load

    def without_later_ceasefires(*args, **kwargs):
        tables = real(*args, **kwargs)
        rounds = tables.rounds.copy()
        later = rounds["date_start"] >= pd.Timestamp("2025-05-08")
        rounds.loc[later, "ceasefire_progress"] = 3  # every later round a general ceasefire
        return events.Tables(rounds, tables.exchanges, tables.last_day)

    monkeypatch.setattr(events.Tables, "load", staticmethod(without_later_ceasefires))
    after = deadlines.ask("any_ceasefire_by", "2026-01-01", "2025-05-08", n_bootstrap=100)
    assert after.p == before.p and after.lower == before.lower and after.record == before.record
    moved = deadlines.ask("any_ceasefire_by", "2026-12-31", n_bootstrap=100)
    assert moved.p > 0.5, "the mutation was real: forecasts made after it see the ceasefires"


def test_forecast_ask_answers_as_the_issue_asks(run_cli):
    process = run_cli("ask", "any_ceasefire_by", "--by", "2026-01-01", "--as-of", "2025-05-08", "--bootstrap", "200")
    assert process.returncode == 0, process.stderr
    first, second = process.stdout.splitlines()[:2]
    assert first.startswith("P(a partial, local, temporary or general ceasefire agreed by both")
    assert "by 2026-01-01 | russia-ukraine data before 2025-05-08) = " in first and "% to " in first
    assert second.startswith("Track record (any_ceasefire_by_180d, ")
    printed = json.loads(run_cli("ask", "any_ceasefire_by", "--by", "2026-01-01", "--as-of", "2025-05-08",
                                 "--bootstrap", "200", "--json").stdout)
    assert printed["lower"] <= printed["p"] <= printed["upper"] and printed["horizon_days"] == 239
    steps = {step["method"]: step["p"] for step in printed["steps"]}
    assert printed["p"] == pytest.approx(np.mean([p for m, p in steps.items() if m != "headline"]))


def test_a_deadline_before_the_as_of_day_is_refused(run_cli):
    process = run_cli("ask", "round_by", "--by", "2025-01-01", "--as-of", "2025-05-08")
    assert process.returncode == 2 and "the deadline 2025-01-01 is before the as-of day 2025-05-08" in process.stderr


def test_deadline_backtest_scores_recompute(run_cli):
    forecasts = deadlines.backtest("round_by")
    table = deadlines.scores(forecasts, np.random.default_rng(1), 100).set_index(["question", "method"])
    for (question, method), group in forecasts.groupby(["question", "method"]):
        assert table.loc[(question, method), "brier"] == pytest.approx(np.mean((group["p"] - group["outcome"]) ** 2))
    assert set(forecasts["question"]) == {f"round_by_{h}d" for h in (30, 90, 180, 365)}


def test_one_list_of_deadline_questions():
    from forecast import codes, data

    assert tuple(events.DEADLINE_QUESTIONS) == codes.DEADLINE_QUESTIONS
    suite_field = next(f for f in data.CROWD_FIELDS if f.name == "suite_question")
    assert set(suite_field.allowed) == set(codes.DEADLINE_QUESTIONS)
