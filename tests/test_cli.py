"""The `forecast` command as a user runs it: subprocesses, exit codes, one-line errors, JSON = Python API."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from forecast import base_rates, data, features, predict


def run(*args, cwd=None, env=None):
    """Run `python -m forecast ARGS`; returns the completed process (text)."""
    return subprocess.run([sys.executable, "-m", "forecast", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def assert_clean_failure(process, code, *fragments):
    assert process.returncode == code, process.stderr
    assert "Traceback" not in process.stderr and "Traceback" not in process.stdout
    for fragment in fragments:
        assert fragment in process.stderr, process.stderr


def test_help_lists_every_subcommand_with_examples():
    process = run("--help")
    assert process.returncode == 0
    for command in ("validate", "base-rate", "predict", "backtest", "report", "log", "resolve", "score"):
        assert command in process.stdout
        assert run(command, "--help").returncode == 0
    assert "examples:" in process.stdout


def test_validate_real_data_prints_summary():
    process = run("validate")
    assert process.returncode == 0, process.stderr
    assert "rounds.csv: 57 rows, valid" in process.stdout or "rows, valid" in process.stdout
    assert f"Dataset version {data.dataset_version()}" in process.stdout


def test_validate_a_broken_copy_lists_every_problem(data_copy):
    rounds = data_copy / "rounds.csv"
    frame = pd.read_csv(rounds, dtype=str, keep_default_na=False)
    frame.loc[0, "date_start"] = "2025-13-01"
    frame.loc[1, "parties"] = "RU-XX"
    frame.to_csv(rounds, index=False)
    process = run("validate", str(rounds), str(data_copy / "exchanges.csv"))
    assert_clean_failure(process, 1, f"{rounds}:2: column 'date_start': got '2025-13-01'",
                         f"{rounds}:3: column 'parties': got 'RU-XX'", "2 problem(s) found")
    assert "exchanges.csv" in process.stdout  # the valid copy is still reported


def test_validate_missing_file(tmp_path):
    assert_clean_failure(run("validate", str(tmp_path / "rounds.csv")), 1, "rounds.csv: file not found")


def test_base_rate_json_matches_python_api():
    process = run("base-rate", "--outcome", "swap_agreed", "--by", "parties", "--json")
    assert process.returncode == 0, process.stderr
    printed = pd.DataFrame(json.loads(process.stdout))
    expected = base_rates.rates_by(features.round_features(), "swap_agreed", by="parties")
    assert printed["group"].tolist() == expected["group"].tolist()
    assert np.allclose(printed["mean"], expected["mean"], atol=1e-6)
    assert np.allclose(printed["upper"], expected["upper"], atol=1e-6)


def test_predict_json_matches_python_api():
    args = ["--date", "2026-03-20", "--parties", "US-RU-UA", "--mediator", "United Arab Emirates",
            "--level", "senior_officials", "--seed", "7"]
    process = run("predict", *args, "--json")
    assert process.returncode == 0, process.stderr
    printed = pd.DataFrame(json.loads(process.stdout)["forecasts"])
    history = features.round_features()
    row = features.hypothetical_round("2026-03-20", "US-RU-UA", "senior_officials", "United Arab Emirates")
    expected = predict.attach_backtest_skill(predict.predict_round(row, history), np.random.default_rng(7), history)
    assert printed[["outcome", "method"]].values.tolist() == expected[["outcome", "method"]].values.tolist()
    assert np.allclose(printed["p"], expected["p"], atol=1e-6)
    assert np.allclose(printed["skill_lower"], expected["skill_lower"], atol=1e-6, equal_nan=True)


def test_predict_table_for_people():
    process = run("predict", "--date", "2026-03-20", "--parties", "RU-UA", "--level", "ministers")
    assert process.returncode == 0, process.stderr
    assert "swap_agreed" in process.stdout and "reference_class" in process.stdout
    assert "Trust a step only if its backtest skill interval" in process.stdout


def test_backtest_scores_table():
    process = run("backtest", "--outcome", "swap_agreed", "--bootstrap", "200", "--json")
    assert process.returncode == 0, process.stderr
    scores = pd.DataFrame(json.loads(process.stdout)).set_index("method")
    assert scores.loc["base_rate", "brier_skill_vs_base_rate"] == 0
    assert set(scores.index) == {"base_rate", "reference_class", "persistence", "logistic", "coin"}


@pytest.mark.parametrize("args, fragments", [
    (["frobnicate"], ["invalid choice: 'frobnicate'"]),
    (["predict", "--date", "2026-02-30", "--parties", "US-RU"], ["'2026-02-30' is not a date; expected YYYY-MM-DD"]),
    (["predict", "--date", "2026-03-01", "--parties", "US-RU", "--mediator", "Atlantis"],
     ["invalid choice: 'Atlantis'", "'United Arab Emirates'"]),
    (["predict", "--date", "2026-03-01", "--parties", "RU-BY"], ["invalid choice: 'RU-BY'"]),
    (["base-rate", "--outcome", "peace"], ["invalid choice: 'peace'"]),
    (["base-rate", "--outcome", "swap_agreed", "--by", "colour"], ["unknown --by column 'colour'"]),
    (["log", "--question", "q", "--outcome", "swap_agreed", "--target", "x", "--probability", "1.5",
      "--method", "m"], ["1.5 is outside [0, 1]"]),
    (["log", "--question", "q", "--outcome", "swap_agreed", "--target", "x", "--probability", "high",
      "--method", "m"], ["'high' is not a number"]),
    (["resolve", "F0001", "--outcome", "maybe"], ["invalid choice: 'maybe'"]),
])
def test_usage_mistakes_exit_2_with_one_line(args, fragments):
    process = run(*args)
    assert_clean_failure(process, 2, *fragments)
    assert len(process.stderr.strip().splitlines()) == 1


def test_debug_shows_the_traceback(tmp_path):
    args = ["resolve", "F0042", "--outcome", "yes", "--ledger", str(tmp_path / "f.csv")]
    quiet = run(*args)
    assert_clean_failure(quiet, 1, "no forecast with id 'F0042'")
    loud = run(*args, "--debug")
    assert loud.returncode != 0 and "Traceback" in loud.stderr and "LedgerError" in loud.stderr


def test_report_with_params_renders_a_scenario(tmp_path):
    params = tmp_path / "quick.yml"
    params.write_text('round_date: "2026-04-01"\nparties: "RU-UA"\nmediator: "Turkey"\nlevel: "ministers"\n')
    process = run("report", "--params", str(params), "--out", str(tmp_path / "out"))
    assert process.returncode == 0, process.stderr
    assert "finished 05-next-round--quick-" in process.stdout
    assert len(list((tmp_path / "out").glob("05-next-round--quick-*.pdf"))) == 1
    bad = tmp_path / "bad.yml"
    bad.write_text("parites: RU-UA\n")
    assert_clean_failure(run("report", "--params", str(bad)), 1, "unknown parameter(s) parites")
