"""Input as people make it: spreadsheet exports, header-only files, floods of errors, cross-column rules, and
separator slips. Each case asserts the message, the exit code and that no file changed."""

import csv

import pandas as pd
import pytest

from forecast import data
from forecast.data import DataError


def snapshot(folder):
    return {path: path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def set_cells(path, changes):
    """Apply {(line, column): value} to a CSV (line as a spreadsheet counts it), rewriting it with csv."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for (line, column), value in changes.items():
        frame.loc[line - 2, column] = value
    frame.to_csv(path, index=False)


def line_of(path, key_column, key):
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return int(frame.index[frame[key_column] == key][0]) + 2


def validate(run_cli, *paths):
    return run_cli("validate", *paths)


def test_a_utf8_bom_from_a_spreadsheet_is_accepted(data_copy, run_cli):
    for name in ("conflicts.csv", "rounds.csv", "exchanges.csv", "sources.csv"):
        path = data_copy / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    process = validate(run_cli, data_copy / "conflicts.csv", data_copy / "rounds.csv", data_copy / "exchanges.csv",
                       data_copy / "sources.csv")
    assert process.returncode == 0, process.stderr
    assert f"{data_copy / 'rounds.csv'}: {len(data.load_rounds(conflict=None))} rows, valid" in process.stdout
    assert f"{data_copy / 'conflicts.csv'}: {len(data.load_conflicts())} rows, valid" in process.stdout
    copy = data.load_rounds(data_copy / "rounds.csv", data_copy / "sources.csv", data_copy / "conflicts.csv")
    assert list(copy.columns)[0] == "round_id"


def test_a_header_only_file_says_no_rows(data_copy, run_cli):
    rounds = data_copy / "rounds.csv"
    rounds.write_text(rounds.read_text().splitlines()[0] + "\n")
    before = snapshot(data_copy)
    process = validate(run_cli, rounds)
    assert process.returncode == 1 and "Traceback" not in process.stderr
    assert f"{rounds}: no rows (only a header line; expected at least one record)" in process.stderr
    assert snapshot(data_copy) == before


def test_a_flood_of_errors_shows_twenty_then_a_count_by_kind(data_copy, run_cli):
    rounds = data_copy / "rounds.csv"
    frame = pd.read_csv(rounds, dtype=str, keep_default_na=False)
    pd.concat([frame] * 100, ignore_index=True).to_csv(rounds, index=False)  # every row duplicated 100 times
    process = validate(run_cli, rounds)
    lines = process.stderr.strip().splitlines()
    assert process.returncode == 1 and len(lines) == 22, lines[-3:]
    duplicates = len(frame) * 99
    assert lines[20].startswith(f"... and {duplicates - 20} more ({duplicates - 20} x column 'round_id': "
                                "duplicate value (expected unique)")
    assert lines[21] == f"forecast validate: {duplicates} problem(s) found"


@pytest.mark.parametrize("table, key_column, key, changes, fragment", [
    ("exchanges.csv", "exchange_id", "2023-12-22-b", {"to_side_b": "5"},
     "column 'kind': got 'bodies'; expected prisoners_and_bodies (or no people counts) when living people are counted"),
    ("exchanges.csv", "exchange_id", "2026-04-24-p", {"bodies_to_side_a": "12"},
     "column 'kind': got 'prisoners'; expected prisoners_and_bodies (or no body counts) when bodies are counted"),
    ("exchanges.csv", "exchange_id", "2026-04-24-p", {"kind": "bodies"},
     "column 'exchange_id': got '2026-04-24-p'; expected a '-p' id for prisoners or prisoners_and_bodies"),
    ("exchanges.csv", "exchange_id", "2026-04-24-p", {"date": "2026-04-25"},
     "column 'exchange_id': got '2026-04-24-p'; expected an id that begins with its date"),
    ("rounds.csv", "round_id", "2026-03-11-miami", {"swap_to_side_b": "50"},
     "column 'swap_to_side_b': got '50'; expected empty unless swap_agreed is yes"),
    ("rounds.csv", "round_id", "2026-03-11-miami", {"side_b_lead": "Rustem Umerov (NSDC Secretary)"},
     "column 'side_b_lead': got 'Rustem Umerov (NSDC Secretary)'; expected empty unless side_b_at_table is yes"),
    ("rounds.csv", "round_id", "2026-03-11-miami", {"side_b_at_table": "yes"},
     "column 'side_b_at_table': got 'yes'; expected yes exactly when parties lists one of the conflict's side B"),
    ("rounds.csv", "round_id", "2026-03-11-miami", {"parties": "US-RU-XX"},
     "column 'parties': got 'US-RU-XX'; expected codes of the conflict's sides"),
    ("rounds.csv", "round_id", "2026-03-11-miami", {"conflict": "atlantis"},
     "column 'conflict': got 'atlantis'; expected a conflict_id of conflicts.csv"),
    ("exchanges.csv", "exchange_id", "2026-03-05-p", {"conflict": "yemen"},
     "column 'round_id': got '2026-02-17-geneva'; expected empty or a round_id of rounds.csv of the same conflict"),
    ("rounds.csv", "round_id", "2026-03-11-miami", {"date_start": "2026-03-10"},
     "column 'round_id': got '2026-03-11-miami'; expected an id that begins with its date_start"),
    ("rounds.csv", "round_id", "2026-03-11-miami", {"format": "video"},
     "column 'city': got 'Miami'; expected 'video' exactly when format is video"),
    ("rounds.csv", "round_id", "2026-03-11-miami", {"date_end": "2026-03-01"},
     "column 'date_end': got '2026-03-01'; expected empty or a date on or after date_start"),
])
def test_cross_column_rules_of_the_codebook(data_copy, run_cli, table, key_column, key, changes, fragment):
    path = data_copy / table
    line = line_of(path, key_column, key)
    set_cells(path, {(line, column): value for column, value in changes.items()})
    before = snapshot(data_copy)
    process = validate(run_cli, path)
    assert process.returncode == 1 and "Traceback" not in process.stderr
    assert f"{path}:{line}: {fragment}" in process.stderr, process.stderr
    assert snapshot(data_copy) == before


def test_the_real_tables_meet_every_cross_column_rule():
    data.load_rounds()
    data.load_exchanges()


def test_a_semicolon_delimited_file_gets_a_hint(data_copy, run_cli):
    rounds = data_copy / "rounds.csv"
    frame = pd.read_csv(rounds, dtype=str, keep_default_na=False)
    frame.to_csv(rounds, index=False, sep=";", quoting=csv.QUOTE_MINIMAL)
    process = validate(run_cli, rounds)
    assert process.returncode == 1
    assert process.stderr.startswith(f"{rounds}:1: the header has no commas but {len(frame.columns) - 1} semicolons; "
                                     "expected a comma-separated file")


def test_sources_joined_by_a_bare_pipe_get_a_hint(data_copy, run_cli):
    rounds = data_copy / "rounds.csv"
    line = line_of(rounds, "round_id", "2026-03-11-miami")
    frame = pd.read_csv(rounds, dtype=str, keep_default_na=False)
    joined = frame.loc[line - 2, "sources"].replace(" | ", "|")
    assert "|" in joined
    set_cells(rounds, {(line, "sources"): joined})
    process = validate(run_cli, rounds)
    assert process.returncode == 1
    assert f"{rounds}:{line}: column 'sources': got {joined!r}" in process.stderr
    assert "(hint: separate URLs with ' | ', a space on each side of the pipe)" in process.stderr


def test_categories_joined_by_a_bare_semicolon_get_a_hint(data_copy, run_cli):
    exchanges = data_copy / "exchanges.csv"
    line = line_of(exchanges, "exchange_id", "2026-04-24-p")
    set_cells(exchanges, {(line, "mediator"): "United Arab Emirates;United States"})
    process = validate(run_cli, exchanges)
    assert process.returncode == 1
    assert "(hint: separate values with '; ', a semicolon and a space)" in process.stderr


def test_a_missing_column_does_not_break_the_cross_column_rules(data_copy):
    rounds = data_copy / "rounds.csv"
    pd.read_csv(rounds, dtype=str, keep_default_na=False).drop(columns=["side_b_lead"]).to_csv(rounds, index=False)
    with pytest.raises(DataError) as caught:
        data.load_rounds(rounds, sources_path=data_copy / "sources.csv", conflicts_path=data_copy / "conflicts.csv")
    assert caught.value.problems == [f"{rounds}:1: column 'side_b_lead' is missing (the codebook requires it)"]
