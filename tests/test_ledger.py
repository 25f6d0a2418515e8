"""The forecast ledger: locked, atomic, sealed; refusals leave the file byte for byte; scores by hand."""

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from forecast import atomic, cli, events, ledger, paths
from forecast.data import DataError

FUTURE = "2099-01-01"
"""A deadline no test outlives."""


def run_cli(capsys, *args):
    """Run `forecast ARGS` in-process; returns (exit code, stdout, stderr)."""
    code = cli.main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def subprocess_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "forecast", *map(str, args)], capture_output=True, text=True,
                          timeout=300, env=env)


def snapshot(folder):
    """Every file in a folder with its bytes (to prove a refusal changed nothing)."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.fixture
def three(tmp_path):
    path = tmp_path / "forecasts.csv"
    for number in range(3):
        ledger.log(f"q{number}", "swap_agreed", FUTURE, 0.1 * (number + 1), "m", path=path, base_rate=0.2)
    return path


def lines_of(path):
    return path.read_text().splitlines()


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n")


# --- the round trip, against a hand computation ------------------------------------------------------------

def test_round_trip_log_resolve_score_equals_hand_computation(tmp_path, capsys):
    path = tmp_path / "forecasts.csv"
    issued = [("F0001", 0.8, 0.5, "yes"), ("F0002", 0.3, 0.5, "no"), ("F0003", 0.6, 0.2, "no")]
    for forecast_id, probability, base, _ in issued:
        code, out, err = run_cli(capsys, "log", "--ledger", path, "--question", f"question {forecast_id}",
                                 "--outcome", "swap_agreed", "--target", FUTURE, "--probability", probability,
                                 "--method", "logistic", "--base-rate", base)
        assert code == 0 and out.startswith(f"logged {forecast_id}: P = {probability:g}"), err
    for forecast_id, _, _, outcome in issued:
        assert run_cli(capsys, "resolve", forecast_id, "--outcome", outcome, "--ledger", path)[0] == 0
    code, out, err = run_cli(capsys, "score", "--ledger", path, "--json")
    assert code == 0, err
    overall = next(row for row in json.loads(out)["scores"] if row["method"] == "all")
    brier = (0.2 ** 2 + 0.3 ** 2 + 0.6 ** 2) / 3  # (0.8 - 1)^2, (0.3 - 0)^2, (0.6 - 0)^2
    reference = ((0.5 - 1) ** 2 + 0.5 ** 2 + 0.2 ** 2) / 3
    assert overall["n"] == 3
    assert overall["brier"] == pytest.approx(brier, abs=1e-12)
    assert overall["log_loss"] == pytest.approx(-(np.log(0.8) + np.log(0.7) + np.log(0.4)) / 3, abs=1e-12)
    assert overall["brier_skill_vs_base_rate"] == pytest.approx(1 - brier / reference, abs=1e-12)
    code, out, _ = run_cli(capsys, "score", "--ledger", path)
    assert code == 0 and "Calibration" in out and "nan" not in out.lower()


# --- concurrency: every append survives, ids are distinct ----------------------------------------------------

def test_thirty_concurrent_writers_five_times_lose_nothing(tmp_path):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    for attempt in range(5):
        path = tmp_path / f"ledger-{attempt}.csv"
        processes = [subprocess.Popen([sys.executable, "-m", "forecast", "log", "--ledger", str(path),
                                       "--question", f"writer {number}", "--outcome", "exchange_by",
                                       "--target", FUTURE, "--probability", "0.5", "--method", "m",
                                       "--base-rate", "0.5"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                     for number in range(30)]
        results = [process.communicate(timeout=120) for process in processes]
        assert all(process.returncode == 0 for process in processes), [err for _, err in results if err][:3]
        rows = ledger.read(path)
        assert len(rows) == 30
        assert rows["forecast_id"].nunique() == 30
        assert sorted(rows["question"]) == sorted(f"writer {number}" for number in range(30))
        printed = {out.split()[1].rstrip(":") for out, _ in results}
        assert printed == set(rows["forecast_id"]), "each writer printed the id it really got"
        ledger.check(path)  # the chain verifies after concurrent appends


def test_a_writer_that_cannot_get_the_lock_fails_in_one_line_and_writes_nothing(three, monkeypatch, capsys):
    import filelock

    monkeypatch.setattr(ledger, "LOCK_TIMEOUT_SECONDS", 0.2)
    before = snapshot(three.parent)
    holder = filelock.FileLock(str(ledger.lock_path(three)))
    with holder:
        started = time.perf_counter()
        code, out, err = run_cli(capsys, "log", "--ledger", three, "--question", "q", "--outcome", "o",
                                 "--target", FUTURE, "--probability", "0.5", "--method", "m", "--base-rate", "0.5")
        waited = time.perf_counter() - started
    assert code == 1 and len(err.strip().splitlines()) == 1 and "held the ledger's lock" in err
    assert "nothing was written" in err and 0.2 <= waited < 2
    assert snapshot(three.parent) == before


# --- ids are never reused ----------------------------------------------------------------------------------

def test_ids_are_never_reused_after_the_last_row_is_deleted(three, capsys):
    original = lines_of(three)
    write_lines(three, original[:-1])  # delete F0003 by hand
    before = snapshot(three.parent)
    code, _, err = run_cli(capsys, "log", "--ledger", three, "--question", "q", "--outcome", "o", "--target",
                           FUTURE, "--probability", "0.5", "--method", "m", "--base-rate", "0.5")
    assert code == 1 and "3 forecasts were issued but 2 rows remain" in err and "(after F0002)" in err
    assert snapshot(three.parent) == before, "no id was handed out again"
    write_lines(three, original)  # the row restored, the ledger is whole again
    assert ledger.log("q", "o", FUTURE, 0.5, "m", path=three, base_rate=0.5)["forecast_id"] == "F0004"


def test_next_automatic_id_skips_every_number_ever_given(tmp_path):
    path = tmp_path / "forecasts.csv"
    ledger.log("q", "o", FUTURE, 0.5, "m", path=path, base_rate=0.5, forecast_id="F0007")
    assert ledger.log("q", "o", FUTURE, 0.5, "m", path=path, base_rate=0.5)["forecast_id"] == "F0008"
    assert ledger.log("q", "o", FUTURE, 0.5, "m", path=path, base_rate=0.5, forecast_id="mine")["forecast_id"] == "mine"
    assert ledger.log("q", "o", FUTURE, 0.5, "m", path=path, base_rate=0.5)["forecast_id"] == "F0009"


def test_with_the_anchor_gone_a_warning_says_tail_deletions_cannot_be_seen(three, capsys):
    ledger.anchor_path(three).unlink()
    code, out, err = run_cli(capsys, "validate", "--ledger", three)
    assert code == 0 and "3 forecasts" in out
    assert "warning:" in err and "deleted last rows and cleared resolutions cannot be detected" in err


# --- tamper evidence: each kind of hand edit is named ------------------------------------------------------

@pytest.mark.parametrize("edit, fragments", [
    ("delete_middle", ["forecasts.csv:3: forecast F0003", "or the row before it was deleted",
                       "3 forecasts were issued but 2 rows remain"]),
    ("delete_last", ["3 forecasts were issued but 2 rows remain", "the last 1 (after F0002)"]),
    ("edit_probability", ["forecasts.csv:3: forecast F0002", "issued fields were edited"]),
    ("edit_question", ["forecasts.csv:2: forecast F0001", "issued fields were edited"]),
    ("reorder", ["forecasts.csv:3: forecast F0003", "forecasts.csv:4: forecast F0002",
                 "rows were moved or inserted before this one"]),
    ("clear_resolution", ["forecasts.csv:2: forecast F0001", "recorded resolution was cleared"]),
    ("flip_resolution", ["forecasts.csv:2: forecast F0001", "resolution or resolution time was edited"]),
])
@pytest.mark.parametrize("command", ["score", "validate"])
def test_hand_edits_are_detected_with_the_row_named(three, capsys, edit, fragments, command):
    ledger.resolve("F0001", "yes", path=three)
    lines = lines_of(three)
    if edit == "delete_middle":
        del lines[2]
    elif edit == "delete_last":
        del lines[3]
    elif edit == "edit_probability":
        lines[2] = lines[2].replace(",0.2,m,", ",0.25,m,")
    elif edit == "edit_question":
        lines[1] = lines[1].replace(",q0,", ",q0 (clarified),")
    elif edit == "reorder":
        lines[2], lines[3] = lines[3], lines[2]
    elif edit == "clear_resolution":
        cells = lines[1].split(",")
        cells[9] = cells[10] = cells[12] = ""
        lines[1] = ",".join(cells)
    elif edit == "flip_resolution":
        lines[1] = lines[1].replace(",yes,", ",no,")
    write_lines(three, lines)
    before = snapshot(three.parent)
    code, out, err = run_cli(capsys, command, "--ledger", three)
    assert code == 1, out
    for fragment in fragments:
        assert fragment in err, err
    assert "Traceback" not in err
    assert snapshot(three.parent) == before
    # a tampered ledger refuses further writes rather than sealing the edit into the chain
    with pytest.raises(DataError):
        ledger.log("q", "o", FUTURE, 0.5, "m", path=three, base_rate=0.5)
    assert snapshot(three.parent) == before


def test_an_untouched_ledger_verifies(three, capsys):
    ledger.resolve("F0002", "no", path=three)
    code, out, err = run_cli(capsys, "validate", "--ledger", three)
    assert code == 0 and "3 forecasts, format valid and seals intact" in out and err == ""


# --- refusals leave the file byte for byte ------------------------------------------------------------------

def test_duplicate_id_is_refused_and_nothing_changes(three, capsys):
    before = snapshot(three.parent)
    code, _, err = run_cli(capsys, "log", "--ledger", three, "--id", "F0002", "--question", "q", "--outcome", "o",
                           "--target", FUTURE, "--probability", "0.5", "--method", "m", "--base-rate", "0.5")
    assert code == 1 and "a forecast with id 'F0002' already exists; ids are never reused" in err
    assert snapshot(three.parent) == before


def test_resolution_is_written_once_and_probability_never_rewritten(three, capsys):
    ledger.resolve("F0001", "yes", path=three)
    before = snapshot(three.parent)
    code, _, err = run_cli(capsys, "resolve", "F0001", "--outcome", "no", "--ledger", three)
    assert code == 1 and "already resolved as 'yes'" in err and "never rewritten" in err
    code, _, err = run_cli(capsys, "resolve", "F0999", "--outcome", "no", "--ledger", three)
    assert code == 1 and "no forecast with id 'F0999' (latest ids: F0001, F0002, F0003)" in err
    assert snapshot(three.parent) == before
    assert ledger.read(three)["probability"].tolist() == ["0.1", "0.2", "0.3"]


def test_hand_edited_bad_value_is_reported_by_line_and_column(three, capsys):
    lines = lines_of(three)
    lines[2] = lines[2].replace(",0.2,m,", ",1.7,m,")
    write_lines(three, lines)
    before = snapshot(three.parent)
    with pytest.raises(DataError, match=r"forecasts.csv:3: column 'probability': probability 1.7 is outside"):
        ledger.read(three)
    code, _, err = run_cli(capsys, "log", "--ledger", three, "--question", "q", "--outcome", "o", "--target",
                           FUTURE, "--probability", "0.5", "--method", "m", "--base-rate", "0.5")
    assert code == 1 and "forecasts.csv:3: column 'probability'" in err and "Traceback" not in err
    assert snapshot(three.parent) == before


def test_a_deadline_before_the_issue_day_is_refused(tmp_path, capsys):
    path = tmp_path / "forecasts.csv"
    code, _, err = run_cli(capsys, "log", "--ledger", path, "--question", "q", "--outcome", "exchange_by",
                           "--target", "2020-01-01", "--probability", "0.5", "--method", "m", "--base-rate", "0.5")
    assert code == 1 and "deadline before the issue day" in err and not path.exists()


@pytest.mark.parametrize("command", [["score"], ["resolve", "F0001", "--outcome", "yes"], ["resolve", "--from-data"]])
def test_commands_on_a_ledger_that_does_not_exist_say_so(tmp_path, capsys, command):
    missing = tmp_path / "nowhere.csv"
    code, _, err = run_cli(capsys, *command, "--ledger", missing)
    assert code == 1 and f"{missing}: no ledger there" in err and not missing.exists()


def test_bom_ledger_is_read(three):
    three.write_bytes(b"\xef\xbb\xbf" + three.read_bytes())
    assert len(ledger.read(three)) == 3


# --- atomic writes ------------------------------------------------------------------------------------------

def test_interrupted_write_leaves_the_old_file_intact(three, monkeypatch):
    before = snapshot(three.parent)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("simulated crash before the rename")

    monkeypatch.setattr(atomic.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        ledger.log("q", "o", FUTURE, 0.5, "m", path=three, base_rate=0.5)
    assert snapshot(three.parent) == before, "no temp file left behind, nothing changed"


def test_process_killed_mid_write_leaves_the_old_file_intact(three):
    before = three.read_bytes()
    script = (
        "import os\n"
        "from forecast import atomic, ledger\n"
        "def die(fd):\n"
        "    os._exit(9)  # the process dies after writing the temp file, before the rename\n"
        "atomic.os.fsync = die\n"
        f"ledger.log('q', 'o', {FUTURE!r}, 0.5, 'm', path={str(three)!r}, base_rate=0.5)\n"
    )
    process = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert process.returncode == 9
    assert three.read_bytes() == before
    ledger.check(three)


def test_the_folder_is_synced_after_the_rename(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def spy(descriptor):
        synced.append(os.path.isdir(f"/proc/self/fd/{descriptor}"))
        return real_fsync(descriptor)

    monkeypatch.setattr(atomic.os, "fsync", spy)
    atomic.write_text(tmp_path / "a.txt", "x")
    assert synced == [False, True], "the file, then its folder"


def test_new_files_get_normal_permissions(tmp_path):
    path = atomic.write_text(tmp_path / "a.txt", "x")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_probability_parsing_echoes_the_value():
    assert ledger.parse_probability("0.25") == 0.25
    for bad, message in (("-0.1", "-0.1 is outside"), ("nan", "nan is outside"), ("-inf", "-inf is outside"),
                         ("x", "'x' is not a number")):
        with pytest.raises(ValueError, match=message):
            ledger.parse_probability(bad)


# --- resolving from the curated tables -----------------------------------------------------------------------

def test_resolve_from_data_settles_what_the_tables_settle_and_never_re_resolves(tmp_path, capsys):
    path = tmp_path / "forecasts.csv"
    issued = "2025-01-01T00:00:00+00:00"
    ledger.log("swap at Abu Dhabi?", "swap_agreed", "2026-02-04-abu-dhabi", 0.3, "m", path=path, base_rate=0.1,
               issued_at=issued)                                                  # F0001: the round agreed one
    ledger.log("exchange by March 2025?", "exchange_by", "2025-03-31", 0.6, "m", path=path, base_rate=0.5,
               issued_at=issued)                                                  # F0002: yes, there was one
    ledger.log("leaders meet in Jan 2025?", "leaders_meet_by", "2025-01-31", 0.1, "m", path=path, base_rate=0.1,
               issued_at=issued)                                                  # F0003: no
    ledger.log("leaders by 2099?", "leaders_meet_by", FUTURE, 0.2, "m", path=path, base_rate=0.1,
               issued_at=issued)                                                  # F0004: open
    ledger.log("peace?", "peace_treaty_by", "2025-06-01", 0.1, "m", path=path, base_rate=0.1, issued_at=issued)  # open
    ledger.resolve("F0003", "yes", path=path)  # resolved by hand first: --from-data must not touch it
    tables = events.Tables.load()
    first_exchange = events.event_days("exchange_by", tables).query("day >= '2025-01-01'").iloc[0]
    code, out, err = run_cli(capsys, "resolve", "--from-data", "--ledger", path)
    assert code == 0, err
    assert "resolved F0001 as yes: round 2026-02-04-abu-dhabi: swap_agreed = yes" in out
    assert f"resolved F0002 as yes: {first_exchange['what']} on {first_exchange['day']:%Y-%m-%d}" in out
    assert f"left F0004 open: deadline {FUTURE} is after the tables' last day" in out
    assert "left F0005 open: unknown question 'peace_treaty_by'" in out
    assert "F0003" not in out and "2 of 4 open forecast(s) resolved" in out
    frame = ledger.read(path).set_index("forecast_id")
    assert frame["resolution"].to_dict() == {"F0001": "yes", "F0002": "yes", "F0003": "yes", "F0004": "", "F0005": ""}
    before = snapshot(path.parent)
    code, out, _ = run_cli(capsys, "resolve", "--from-data", "--ledger", path)
    assert code == 0 and "0 of 2 open forecast(s) resolved" in out and snapshot(path.parent) == before


def test_a_deadline_the_tables_cover_without_the_event_resolves_no():
    tables = events.Tables.load()
    import datetime as dt

    days = events.event_days("leaders_meet_by", tables)["day"]
    assert days.empty or not ((days >= "2025-01-01") & (days <= "2025-01-31")).any()
    assert events.settle("leaders_meet_by", "2025-01-31", dt.date(2025, 1, 1), tables)[0] == "no"
    assert events.settle("exchange_by", "2025-01-01", dt.date(2025, 2, 1), tables)[0] is None


def test_the_default_ledger_is_outside_data_and_ignored_by_git():
    default = paths.ledger_csv()
    assert paths.data_dir() not in default.parents
    ignored = subprocess.run(["git", "check-ignore", "-q", str(default)], cwd=paths.PROJECT_ROOT)
    assert ignored.returncode == 0, f"{default} is not ignored by git"


def test_resolve_from_data_uses_the_conflict_asked_for(tmp_path, run_cli):
    path = tmp_path / "forecasts.csv"
    ledger.log("Yemen exchange by mid-April 2023?", "exchange_by", "2023-04-20", 0.5, "m", path=path, base_rate=0.5,
               issued_at="2023-04-01T00:00:00+00:00")
    process = run_cli("resolve", "--from-data", "--conflict", "yemen", "--ledger", path)
    assert process.returncode == 0, process.stderr
    assert "resolved F0001 as yes: exchange 2023-04-08-ye-p on 2023-04-08" in process.stdout
