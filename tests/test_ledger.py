"""The forecast ledger: append-only, atomic, refusals leave the file byte for byte, scores by hand."""

import os
import subprocess
import sys

import numpy as np
import pytest

from forecast import atomic, ledger
from forecast.data import DataError
from forecast.ledger import LedgerError


def cli(*args):
    return subprocess.run([sys.executable, "-m", "forecast", *args], capture_output=True, text=True, timeout=300)


def test_round_trip_log_resolve_score_equals_hand_computation(tmp_path):
    path = tmp_path / "forecasts.csv"
    issued = [("F0001", 0.8, 0.5, "yes"), ("F0002", 0.3, 0.5, "no"), ("F0003", 0.6, 0.2, "no")]
    for forecast_id, probability, base, _ in issued:
        process = cli("log", "--ledger", str(path), "--question", f"question {forecast_id}", "--outcome",
                      "swap_agreed", "--target", "2026-04-01", "--probability", str(probability),
                      "--method", "logistic", "--base-rate", str(base))
        assert process.returncode == 0 and f"logged {forecast_id}" in process.stdout, process.stderr
    for forecast_id, _, _, outcome in issued:
        assert cli("resolve", forecast_id, "--outcome", outcome, "--ledger", str(path)).returncode == 0
    process = cli("score", "--ledger", str(path), "--json")
    assert process.returncode == 0, process.stderr
    import json
    overall = next(row for row in json.loads(process.stdout)["scores"] if row["method"] == "all")
    # By hand: Brier = ((0.8-1)^2 + 0.3^2 + 0.6^2) / 3 = (0.04 + 0.09 + 0.36) / 3
    brier = (0.04 + 0.09 + 0.36) / 3
    reference = ((0.5 - 1) ** 2 + 0.5 ** 2 + 0.2 ** 2) / 3
    log_loss = -(np.log(0.8) + np.log(0.7) + np.log(0.4)) / 3
    assert overall["n"] == 3
    assert overall["brier"] == pytest.approx(brier, abs=1e-9)
    assert overall["log_loss"] == pytest.approx(log_loss, abs=1e-9)
    assert overall["brier_skill_vs_base_rate"] == pytest.approx(1 - brier / reference, abs=1e-9)
    table = cli("score", "--ledger", str(path))
    assert table.returncode == 0 and "Calibration" in table.stdout


@pytest.fixture
def three(tmp_path):
    path = tmp_path / "forecasts.csv"
    for number in range(3):
        ledger.log("q", "swap_agreed", "r", 0.1 * (number + 1), "m", path=path, base_rate=0.2)
    return path


def test_duplicate_id_is_refused_and_file_unchanged(three):
    before = three.read_bytes()
    process = cli("log", "--ledger", str(three), "--id", "F0002", "--question", "q", "--outcome", "o",
                  "--target", "t", "--probability", "0.5", "--method", "m", "--base-rate", "0.5")
    assert process.returncode == 1 and "already exists" in process.stderr and "Traceback" not in process.stderr
    assert three.read_bytes() == before


def test_resolution_is_written_once_and_probability_never_rewritten(three):
    ledger.resolve("F0001", "yes", path=three)
    before = three.read_bytes()
    process = cli("resolve", "F0001", "--outcome", "no", "--ledger", str(three))
    assert process.returncode == 1 and "already resolved as 'yes'" in process.stderr
    assert three.read_bytes() == before
    process = cli("resolve", "F0999", "--outcome", "no", "--ledger", str(three))
    assert process.returncode == 1 and "no forecast with id 'F0999'" in process.stderr
    assert three.read_bytes() == before
    frame = ledger.read(three)
    assert frame["probability"].tolist() == ["0.1", "0.2", "0.3"]


def test_hand_edited_bad_ledger_is_reported_by_line_and_column(three):
    text = three.read_text().splitlines()
    text[2] = text[2].replace(",0.2,", ",1.7,", 1)
    three.write_text("\n".join(text) + "\n")
    before = three.read_bytes()
    with pytest.raises(DataError, match=r"forecasts.csv:3: column 'probability'.*outside \[0, 1\]"):
        ledger.read(three)
    process = cli("log", "--ledger", str(three), "--question", "q", "--outcome", "o", "--target", "t",
                  "--probability", "0.5", "--method", "m", "--base-rate", "0.5")
    assert process.returncode == 1 and "forecasts.csv:3: column 'probability'" in process.stderr
    assert "Traceback" not in process.stderr and three.read_bytes() == before


def test_interrupted_write_leaves_the_old_file_intact(three, monkeypatch):
    before = three.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("simulated crash before the rename")

    monkeypatch.setattr(atomic.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        ledger.log("q", "o", "t", 0.5, "m", path=three, base_rate=0.5)
    assert three.read_bytes() == before
    assert [p.name for p in three.parent.iterdir()] == ["forecasts.csv"], "no temp file left behind"


def test_process_killed_mid_write_leaves_the_old_file_intact(three):
    before = three.read_bytes()
    script = (
        "import os, sys\n"
        "from forecast import atomic, ledger\n"
        "real_fsync = os.fsync\n"
        "def die(fd):\n"
        "    os._exit(9)  # the process dies after writing the temp file, before the rename\n"
        "atomic.os.fsync = die\n"
        f"ledger.log('q', 'o', 't', 0.5, 'm', path={str(three)!r}, base_rate=0.5)\n"
    )
    process = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert process.returncode == 9
    assert three.read_bytes() == before
    assert len(ledger.read(three)) == 3


def test_probability_parsing():
    assert ledger.parse_probability("0.25") == 0.25
    for bad, message in (("-0.1", "outside"), ("nan", "outside"), ("x", "not a number")):
        with pytest.raises(ValueError, match=message):
            ledger.parse_probability(bad)


def test_default_base_rate_is_the_outcomes_jeffreys_rate(tmp_path):
    row = ledger.log("q", "swap_agreed", "r", 0.5, "m", path=tmp_path / "f.csv")
    assert 0 < float(row["base_rate"]) < 0.5
    assert ledger.log("q", "custom_question", "r", 0.5, "m", path=tmp_path / "f.csv")["base_rate"] == ""


def test_new_files_get_normal_permissions(tmp_path):
    path = atomic.write_text(tmp_path / "a.txt", "x")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
