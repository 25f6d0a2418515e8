"""Loading and validating the curated tables: types on good input, one clear DataError on bad input."""

import re

import pandas as pd
import pytest

from forecast import data
from forecast.data import DataError


def load_copy(directory):
    """Load rounds and exchanges of a data folder copy, checking sources against its own sources.csv."""
    sources = directory / "sources.csv"
    conflicts = directory / "conflicts.csv"
    rounds = data.load_rounds(directory / "rounds.csv", sources_path=sources, conflicts_path=conflicts, conflict=None)
    exchanges = data.load_exchanges(directory / "exchanges.csv", rounds_path=directory / "rounds.csv",
                                    sources_path=sources, conflicts_path=conflicts, conflict=None)
    return rounds, exchanges


def rewrite_cell(path, line, column, value):
    """Set one cell of a CSV (line as a spreadsheet counts it) without touching the rest."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[line - 2, column] = value
    frame.to_csv(path, index=False)


def test_real_tables_load_with_their_types():
    rounds, exchanges = data.load_rounds(), data.load_exchanges()
    assert len(rounds) > 0 and len(exchanges) > 0
    assert rounds["date_start"].dtype.kind == "M" and exchanges["date"].dtype.kind == "M"
    assert str(rounds["swap_to_side_a"].dtype) == "Int64" and str(exchanges["to_side_b"].dtype) == "Int64"
    assert str(rounds["swap_agreed"].dtype) == "boolean" and str(rounds["side_a_at_table"].dtype) == "boolean"
    assert isinstance(rounds["format"].dtype, pd.CategoricalDtype)
    assert set(rounds["conflict"]) == {data.DEFAULT_CONFLICT} and set(exchanges["conflict"]) == {data.DEFAULT_CONFLICT}
    assert rounds["level"].cat.ordered and list(rounds["level"].cat.categories) == list(data.LEVELS)
    assert rounds["round_id"].is_unique and exchanges["exchange_id"].is_unique
    assert (rounds["date_end"] >= rounds["date_start"]).all()
    assert rounds["date_start"].is_monotonic_increasing and exchanges["date"].is_monotonic_increasing


def all_tables():
    return data.load_conflicts(), data.load_rounds(conflict=None), data.load_exchanges(conflict=None), data.load_crowd()


def test_every_row_cites_a_described_source():
    described = set(data.load_sources()["url"])
    for table in all_tables():
        for cell in table["sources"]:
            urls = cell.split(data.URL_SEPARATOR)
            assert urls and all(re.fullmatch(r"https?://\S+", url) and url in described for url in urls)


def test_every_described_source_is_cited():
    cited = {url for table in all_tables() for column in data.CITING_COLUMNS if column in table
             for cell in table[column].dropna() for url in cell.split(data.URL_SEPARATOR) if url.startswith("http")}
    assert set(data.load_sources()["url"]) == cited


def test_exchanges_link_only_to_known_rounds():
    exchanges, rounds = data.load_exchanges(conflict=None), data.load_rounds(conflict=None)
    linked = exchanges.dropna(subset=["round_id"]).merge(rounds[["round_id", "conflict"]], on="round_id",
                                                          suffixes=("", "_of_round"))
    assert len(linked) == exchanges["round_id"].notna().sum() and (linked["conflict"] == linked["conflict_of_round"]).all()


def test_dataset_version_and_provenance_line():
    assert re.fullmatch(r"\d+\.\d+\.\d+", data.dataset_version())
    line = data.provenance().line()
    assert line.startswith(f"Dataset version {data.dataset_version()}:")
    assert re.search(r"from \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}", line)


# --- acceptance 4: each kind of bad input raises DataError naming file, line and column -------------------

def test_missing_column(data_copy):
    rounds = data_copy / "rounds.csv"
    pd.read_csv(rounds, dtype=str, keep_default_na=False).drop(columns="level").to_csv(rounds, index=False)
    with pytest.raises(DataError) as caught:
        load_copy(data_copy)
    assert str(caught.value) == f"{rounds}:1: column 'level' is missing (the codebook requires it)"


def test_impossible_date(data_copy):
    rounds = data_copy / "rounds.csv"
    rewrite_cell(rounds, 2, "date_start", "2025-13-01")
    with pytest.raises(DataError) as caught:
        load_copy(data_copy)
    assert str(caught.value) == (f"{rounds}:2: column 'date_start': got '2025-13-01'; "
                                 "expected an ISO date YYYY-MM-DD")


def test_duplicate_round_id(data_copy):
    rounds = data_copy / "rounds.csv"
    frame = pd.read_csv(rounds, dtype=str, keep_default_na=False)
    duplicate_of = frame.loc[0, "round_id"]
    pd.concat([frame, frame.iloc[[0]]]).to_csv(rounds, index=False)
    line = len(frame) + 2
    with pytest.raises(DataError) as caught:
        load_copy(data_copy)
    assert str(caught.value) == (f"{rounds}:{line}: column 'round_id': duplicate value "
                                 f"'{duplicate_of}' (expected unique)")


def test_row_without_source(data_copy):
    rounds = data_copy / "rounds.csv"
    rewrite_cell(rounds, 2, "sources", "")
    with pytest.raises(DataError) as caught:
        load_copy(data_copy)
    message = str(caught.value)
    assert message.startswith(f"{rounds}:2: column 'sources': got ''; expected a value, not empty")
    assert "http(s) URLs" in message


def test_exchange_pointing_to_unknown_round(data_copy):
    exchanges = data_copy / "exchanges.csv"
    rewrite_cell(exchanges, 2, "round_id", "2030-01-01-atlantis")
    with pytest.raises(DataError) as caught:
        load_copy(data_copy)
    assert str(caught.value) == (f"{exchanges}:2: column 'round_id': got '2030-01-01-atlantis'; "
                                 "expected empty or a round_id of rounds.csv of the same conflict")


# --- further bad input -----------------------------------------------------------------------------------

def test_several_problems_are_reported_together_in_line_order(data_copy):
    rounds = data_copy / "rounds.csv"
    rewrite_cell(rounds, 2, "parties", "RU-XX")
    rewrite_cell(rounds, 2, "swap_agreed", "yes")
    rewrite_cell(rounds, 2, "swap_to_side_a", "-5")
    rewrite_cell(rounds, 2, "date_end", "1999-01-01")
    with pytest.raises(DataError) as caught:
        load_copy(data_copy)
    problems = caught.value.problems
    assert len(problems) == 4 and str(caught.value).startswith("4 problems in the data:")
    assert any("column 'parties': got 'RU-XX'; expected codes of the conflict's sides" in p for p in problems)
    assert any("column 'side_b_at_table': got 'yes'; expected yes exactly when parties lists one of the "
               "conflict's side B codes" in p for p in problems)
    assert any("column 'swap_to_side_a': got '-5'; expected a whole number >= 0" in p for p in problems)
    assert any("column 'date_end': got '1999-01-01'; expected empty or a date on or after date_start" in p for p in problems)


def test_ragged_row_names_its_line(data_copy):
    rounds = data_copy / "rounds.csv"
    with rounds.open("a") as handle:
        handle.write("\n\n2026-01-01-x,2026-01-01\n")  # blank lines are skipped but still counted
    line = len(rounds.read_text().splitlines())
    with pytest.raises(DataError) as caught:
        load_copy(data_copy)
    assert re.fullmatch(rf"{re.escape(str(rounds))}:{line}: expected \d+ fields as in the header, found 2",
                        str(caught.value))


def test_unknown_mediator_and_unlisted_source(data_copy):
    rounds = data_copy / "rounds.csv"
    rewrite_cell(rounds, 2, "mediator", "Turkey; Atlantis")
    rewrite_cell(rounds, 2, "sources", "https://example.org/not-described")
    with pytest.raises(DataError) as caught:
        load_copy(data_copy)
    problems = caught.value.problems
    assert any("column 'mediator': got 'Turkey; Atlantis'" in p for p in problems)
    assert any("'https://example.org/not-described' is not described in sources.csv" in p for p in problems)


def test_missing_file_and_non_utf8(tmp_path):
    with pytest.raises(DataError, match="rounds.csv: file not found"):
        data.load_rounds(tmp_path / "rounds.csv", sources_path=None)
    latin1 = tmp_path / "latin.csv"
    latin1.write_bytes("round_id\nk\xf6ln\n".encode("latin-1"))
    with pytest.raises(DataError, match="latin.csv: not UTF-8 text"):
        data.load_rounds(latin1, sources_path=None)


def test_unknown_extra_column(data_copy):
    rounds = data_copy / "rounds.csv"
    frame = pd.read_csv(rounds, dtype=str, keep_default_na=False)
    frame["venue_rating"] = "5"
    frame.to_csv(rounds, index=False)
    with pytest.raises(DataError, match=r"rounds.csv:1: column 'venue_rating' is not in the codebook"):
        load_copy(data_copy)


def test_data_error_is_a_value_error_with_problem_list():
    error = DataError(["a.csv:2: column 'x': got 'y'; expected z"])
    assert isinstance(error, ValueError) and error.problems == ["a.csv:2: column 'x': got 'y'; expected z"]
