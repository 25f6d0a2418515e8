"""The `forecast` command as a user runs it: exit codes, one-line errors, JSON = Python API.

Most tests call ``cli.main`` in-process (fast); a few run the real entry point as a subprocess where that is
the point (``python -m forecast``, ``--debug`` tracebacks, the scenario report).
"""

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from forecast import base_rates, cli, data, features, predict


def run_subprocess(*args):
    """Run `python -m forecast ARGS` as a real process (text)."""
    return subprocess.run([sys.executable, "-m", "forecast", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def snapshot(folder):
    """Every file below a folder with its bytes, to prove a command changed nothing."""
    return {path: path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def assert_clean_failure(process, code, *fragments):
    assert process.returncode == code, process.stderr
    assert "Traceback" not in process.stderr and "Traceback" not in process.stdout
    for fragment in fragments:
        assert fragment in process.stderr, process.stderr


def test_help_lists_every_subcommand_with_examples(capsys):
    process = run_subprocess("--help")
    assert process.returncode == 0
    for command in ("validate", "base-rate", "predict", "backtest", "report", "log", "resolve", "score"):
        assert re.search(rf"^    {command}\b", process.stdout, flags=re.MULTILINE), command
        with pytest.raises(SystemExit) as exited:
            cli.main([command, "--help"])
        assert exited.value.code == 0 and "usage: forecast " + command in capsys.readouterr().out
    assert "examples:" in process.stdout


def test_outcome_choices_are_the_features_outcomes():
    from forecast import evaluate

    assert cli.OUTCOMES == features.OUTCOMES
    assert cli.QUESTIONS_WITH_RECORDS == tuple(evaluate.QUESTION_KINDS)


def test_validate_real_data_prints_each_table_with_its_row_count(run_cli):
    process = run_cli("validate")
    assert process.returncode == 0, process.stderr
    conflicts, sources = data.load_conflicts(), data.load_sources()
    rounds, exchanges = data.load_rounds(conflict=None), data.load_exchanges(conflict=None)
    for path, table in ((data.paths.conflicts_csv(), conflicts), (data.paths.rounds_csv(), rounds),
                        (data.paths.exchanges_csv(), exchanges), (data.paths.sources_csv(), sources)):
        assert f"{path}: {len(table)} rows, valid" in process.stdout
    assert data.provenance().line() in process.stdout


def test_validate_counts_follow_the_file(data_copy, monkeypatch, run_cli):
    rounds = data_copy / "rounds.csv"
    lines = rounds.read_text().splitlines()
    rounds.write_text("\n".join(lines[:-1]) + "\n")  # one round fewer (no exchange links to the last round)
    process = run_cli("validate", rounds)
    assert process.returncode == 0, process.stderr
    assert process.stdout.strip() == f"{rounds}: {len(lines) - 2} rows, valid"


def test_validate_a_broken_copy_lists_every_problem(data_copy, run_cli):
    rounds = data_copy / "rounds.csv"
    frame = pd.read_csv(rounds, dtype=str, keep_default_na=False)
    frame.loc[0, "date_start"] = "2025-13-01"
    frame.loc[1, "format"] = "by_pigeon"
    frame.to_csv(rounds, index=False)
    before = snapshot(data_copy)
    process = run_cli("validate", str(rounds), str(data_copy / "exchanges.csv"))
    assert snapshot(data_copy) == before
    assert_clean_failure(process, 1, f"{rounds}:2: column 'date_start': got '2025-13-01'",
                         f"{rounds}:3: column 'format': got 'by_pigeon'", "2 problem(s) found")
    assert "exchanges.csv" in process.stdout  # the valid copy is still reported


def test_validate_missing_file(tmp_path, run_cli):
    assert_clean_failure(run_cli("validate", str(tmp_path / "rounds.csv")), 1, "rounds.csv: file not found")


def test_base_rate_json_matches_python_api(run_cli):
    process = run_cli("base-rate", "--outcome", "swap_agreed", "--by", "parties", "--json")
    assert process.returncode == 0, process.stderr
    printed = pd.DataFrame(json.loads(process.stdout))
    expected = base_rates.rates_by(features.round_features(), "swap_agreed", by="parties")
    assert printed["group"].tolist() == expected["group"].tolist()
    assert np.allclose(printed["mean"], expected["mean"], atol=1e-6)
    assert np.allclose(printed["upper"], expected["upper"], atol=1e-6)


def test_predict_json_matches_python_api(run_cli):
    args = ["--date", "2026-03-20", "--parties", "US-RU-UA", "--mediator", "United Arab Emirates",
            "--level", "senior_officials", "--seed", "7", "--bootstrap", "200"]
    process = run_cli("predict", *args, "--json")
    assert process.returncode == 0, process.stderr
    printed_all = json.loads(process.stdout)
    assert printed_all["warnings"] == []
    printed = pd.DataFrame(printed_all["forecasts"])
    history = features.round_features()
    row = features.hypothetical_round("2026-03-20", "US-RU-UA", "senior_officials", "United Arab Emirates")
    scores, _ = predict.track_record_for(row, np.random.default_rng(7), history, n_bootstrap=200)
    expected = predict.attach_track_record(predict.predict_round(row, history), row, scores)
    assert printed[["question", "method"]].values.tolist() == expected[["question", "method"]].values.tolist()
    assert np.allclose(printed["p"], expected["p"], atol=1e-12)
    assert np.allclose(printed["skill_lower"], expected["skill_lower"], atol=1e-12, equal_nan=True)
    headline = printed[printed["method"] == "headline"].set_index("question")
    steps = printed[~printed["method"].isin(["headline"])].groupby("question")["p"].mean()
    assert np.allclose(headline["p"], steps.reindex(headline.index), atol=1e-12), "the headline is the steps' mean"
    assert (printed.groupby("question")["step"].first() == 0).all(), "the headline comes first"


def test_predict_table_for_people(run_cli):
    process = run_cli("predict", "--date", "2026-03-20", "--parties", "RU-UA", "--level", "ministers",
                      "--bootstrap", "200")
    assert process.returncode == 0, process.stderr
    lines = process.stdout.splitlines()
    assert lines[2].startswith("  Will the round agree a prisoner exchange? ") and "track record vs base_rate" in lines[2]
    assert "both_sides_at_table=yes: skill" in lines[2]
    assert "trust a step only if its interval lies above 0" in process.stdout
    assert "nan" not in process.stdout.lower()


def test_backtest_json_recomputes_from_its_forecasts(run_cli):
    process = run_cli("backtest", "--bootstrap", "200", "--json")
    assert process.returncode == 0, process.stderr
    printed = json.loads(process.stdout)
    scores = pd.DataFrame(printed["scores"])
    forecasts = pd.DataFrame(printed["forecasts"])
    assert set(scores["question"]) == set(cli.QUESTIONS_WITH_RECORDS)
    overall = scores[scores["class"] == "all"].set_index(["question", "method"])
    for (question, method), group in forecasts.groupby(["question", "method"]):
        row = overall.loc[(question, method)]
        assert row["n"] == len(group)
        if question == "ceasefire_progress":
            probabilities = group[["p0", "p1", "p2", "p3"]].to_numpy()
            cumulative = np.cumsum(probabilities, axis=1)[:, :-1]
            observed = (np.arange(3)[None, :] >= group["outcome"].to_numpy()[:, None]).astype(float)
            assert row["rps"] == pytest.approx(np.mean((cumulative - observed) ** 2), abs=1e-12)
        else:
            assert row["brier"] == pytest.approx(np.mean((group["p"] - group["outcome"]) ** 2), abs=1e-12)
            clipped = np.clip(group["p"], 1e-6, 1 - 1e-6)
            loss = -np.mean(group["outcome"] * np.log(clipped) + (1 - group["outcome"]) * np.log(1 - clipped))
            assert row["log_loss"] == pytest.approx(loss, abs=1e-12)
    for question, part in overall.groupby(level="question"):
        part = part.droplevel("question")
        reference = part.loc[part["reference"].iloc[0]]
        main = "rps" if question == "ceasefire_progress" else "brier"
        assert part.loc["headline", "skill"] == pytest.approx(1 - part.loc["headline", main] / reference[main])
        assert reference["skill"] == 0
    assert {"headline", "base_rate", "climatology"} <= set(scores["method"])


@pytest.mark.parametrize("args, fragments", [
    (["frobnicate"], ["invalid choice: 'frobnicate'"]),
    (["predict", "--date", "2026-02-30", "--parties", "US-RU"], ["'2026-02-30' is not a date; expected YYYY-MM-DD"]),
    (["predict", "--date", "2026-03-01", "--parties", "US-RU", "--mediator", "Atlantis", "--level", "ministers"],
     ["unknown mediator 'Atlantis'", "United Arab Emirates"]),
    (["predict", "--date", "2026-03-01", "--parties", "RU-BY", "--level", "ministers"], ["unknown parties 'RU-BY'"]),
    (["base-rate", "--outcome", "peace"], ["invalid choice: 'peace'"]),
    (["base-rate", "--outcome", "swap_agreed", "--by", "colour"], ["unknown --by column 'colour'"]),
    (["log", "--question", "q", "--outcome", "swap_agreed", "--target", "x", "--probability", "1.5",
      "--method", "m"], ["1.5 is outside [0, 1]"]),
    (["log", "--question", "q", "--outcome", "swap_agreed", "--target", "x", "--probability", "high",
      "--method", "m"], ["'high' is not a number"]),
    (["resolve", "F0001", "--outcome", "maybe"], ["invalid choice: 'maybe'"]),
])
def test_usage_mistakes_exit_2_with_one_line(args, fragments, run_cli):
    process = run_cli(*args)
    assert_clean_failure(process, 2, *fragments)
    assert len(process.stderr.strip().splitlines()) == 1


def test_debug_shows_the_traceback(tmp_path):
    from forecast import ledger

    path = tmp_path / "f.csv"
    ledger.log("q", "o", "2099-01-01", 0.5, "m", path=path, base_rate=0.5)
    args = ["resolve", "F0042", "--outcome", "yes", "--ledger", str(path)]
    quiet = run_subprocess(*args)
    assert_clean_failure(quiet, 1, "no forecast with id 'F0042'")
    loud = run_subprocess(*args, "--debug")
    assert loud.returncode != 0 and "Traceback" in loud.stderr and "LedgerError" in loud.stderr


def test_report_with_params_renders_a_scenario(tmp_path, run_cli):
    params = tmp_path / "quick.yml"
    params.write_text("round_date: 2026-04-01\nparties: RU-UA\nmediator: Turkey\nlevel: ministers\n")  # unquoted date
    process = run_subprocess("report", "--params", str(params), "--out", str(tmp_path / "out"))
    assert process.returncode == 0, process.stderr
    assert "finished 05-next-round--quick-" in process.stdout
    assert len(list((tmp_path / "out").glob("05-next-round--quick-*.pdf"))) == 1
    page = next((tmp_path / "out").glob("05-next-round--quick-*.html")).read_text()
    assert "2026-04-01" in page and "nan%" not in page
    quoted = tmp_path / "quoted.yml"
    quoted.write_text('round_date: "2026-04-01"\nparties: "RU-UA"\nmediator: "Turkey"\nlevel: "ministers"\n')
    from forecast import report

    def values(job):  # the same scenario; only the file named in described_as differs
        return {name: value for name, value in job.parameters.items() if name != "described_as"}

    assert values(report.scenario_job(quoted)) == values(report.scenario_job(params))
    before = {path.name: path.read_bytes() for path in (tmp_path / "out").iterdir()}
    old = tmp_path / "old.yml"
    old.write_text("round_date: 1990-01-01\nparties: RU-UA\nlevel: ministers\n")
    refused = run_subprocess("report", "--params", str(old), "--out", str(tmp_path / "out"))
    assert_clean_failure(refused, 1, "RefusedForecast: a round on 1990-01-01 comes before any round in the data")
    assert {path.name: path.read_bytes() for path in (tmp_path / "out").iterdir()} == before, "nothing published"
    bad = tmp_path / "bad.yml"
    bad.write_text("parites: RU-UA\n")
    assert_clean_failure(run_cli("report", "--params", str(bad)), 1, "unknown parameter(s) parites")


def test_backtest_table_shows_the_split_and_every_yes_outcome(run_cli):
    process = run_cli("backtest", "--question", "swap_agreed", "--bootstrap", "100")
    assert process.returncode == 0, process.stderr
    assert "headline by class: both_sides_at_table=yes: skill" in process.stdout
    rounds = features.round_features()
    scored = rounds.iloc[5:]
    yes = int(scored["swap_agreed"].fillna(False).sum())
    assert f"every yes outcome ({yes}) and what the methods said before it" in process.stdout
    assert "2025-07-23-istanbul" in process.stdout and "nan" not in process.stdout.lower()
