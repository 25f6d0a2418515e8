"""The UCDP Peace Agreement loader and its conditional rates, against the shared v22.1 copy (CI keeps it beside
the clone, read-only): counts by hand with the csv module, intervals from statsmodels, broken copies."""

import csv
import warnings
from pathlib import Path

import pytest
from statsmodels.stats.proportion import proportion_confint

from forecast import paths, ucdp
from forecast.errors import DataError

SHARED_CSV = paths.PROJECT_ROOT.parent / "shared" / "data" / "ucdp-peace-agreements" / "ucdp-peace-agreements-221.csv"
LEVEL = 0.9


@pytest.fixture(scope="module")
def shared_csv() -> Path:
    if not SHARED_CSV.is_file():
        pytest.skip(f"the shared UCDP copy is not at {SHARED_CSV} (it lives beside the clone, outside the project)")
    return SHARED_CSV


@pytest.fixture(scope="module")
def agreements(shared_csv):
    return ucdp.load_agreements(shared_csv)


@pytest.fixture(scope="module")
def raw_records(shared_csv) -> tuple[list[str], list[list[str]], list[int]]:
    """Header, records and each record's last physical line, read with the csv module only."""
    with shared_csv.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        records, last_lines = [], []
        for record in reader:
            records.append(record)
            last_lines.append(reader.line_num)
    return header, records, last_lines


def write_copy(path: Path, header: list[str], records: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *records])
    return path


def test_the_shared_copy_is_v22_1_with_374_agreements(shared_csv, agreements):
    assert ucdp.checksum(shared_csv) == ucdp.EXPECTED_SHA256
    assert len(agreements) == 374
    assert agreements["paid"].is_unique
    assert agreements["pa_date"].min().year == 1975 and agreements["pa_date"].max().year == 2021


def test_the_two_ukraine_agreements_are_the_minsk_texts(agreements):
    ukraine = agreements[agreements["conflict_name"].str.startswith("Ukraine")].sort_values("pa_date")
    assert ukraine["paid"].tolist() == [1536, 1537]
    assert ukraine["pa_date"].dt.strftime("%Y-%m-%d").tolist() == ["2014-09-05", "2015-02-12"]
    assert "Trilateral Contact Group" in ukraine["pa_name"].iloc[0]  # the Minsk Protocol
    assert ukraine["pa_name"].iloc[1] == "Package of measures for the Implementation of the Minsk agreements"  # Minsk II
    assert ukraine["cease"].all() and ukraine["pris"].all()
    assert ukraine["gwno"].tolist() == ["369", "369"]
    assert ukraine["incompatibility"].tolist() == ["1", "1"]


def test_flags_and_dates_are_typed(agreements):
    assert agreements["cease"].dtype == bool and agreements["pris"].dtype == bool
    assert agreements["ref"].dtype == bool and agreements["return"].dtype == bool  # 'ref ' and 'return ' in the header
    assert str(agreements["pa_date"].dtype).startswith("datetime64")
    assert set(agreements["incompatibility"]) == {"1", "2", "3", "1, 2"}


def hand_counts(records: list[dict], group=lambda row: "all") -> dict[tuple[str, str], tuple[int, int]]:
    """(group, 'yes'/'no' ceasefire) -> (agreements with a prisoner release, agreements), by plain counting."""
    counts: dict[tuple[str, str], list[int]] = {}
    for row in records:
        key = (group(row), "yes" if row["cease"] == "1" else "no")
        tally = counts.setdefault(key, [0, 0])
        tally[0] += row["pris"] == "1"
        tally[1] += 1
    return {key: tuple(value) for key, value in counts.items()}


def test_p_pris_given_cease_against_hand_counts_and_statsmodels(shared_csv, agreements):
    with shared_csv.open(newline="", encoding="utf-8") as handle:
        records = list(csv.DictReader(handle))
    expected = hand_counts(records)
    assert expected == {("all", "yes"): (82, 176), ("all", "no"): (18, 198)}
    table = ucdp.conditional_rates(agreements, given="cease", outcome="pris", level=LEVEL)
    assert table.columns.tolist() == ["group", "given", "successes", "trials", "mean", "lower", "upper", "prior",
                                      "level"]
    assert len(table) == 2
    for row in table.itertuples():
        successes, trials = expected[(row.group, row.given)]
        assert (row.successes, row.trials) == (successes, trials)
        assert row.mean == pytest.approx((successes + 0.5) / (trials + 1), abs=1e-12)
        lower, upper = proportion_confint(successes, trials, alpha=1 - LEVEL, method="jeffreys")
        assert (row.lower, row.upper) == (pytest.approx(lower, abs=1e-9), pytest.approx(upper, abs=1e-9))
        assert (row.prior, row.level) == ("jeffreys", LEVEL)
    yes = table.set_index("given").loc["yes"]
    assert (round(yes["mean"], 3), round(yes["lower"], 3), round(yes["upper"], 3)) == (0.466, 0.405, 0.528)
    no = table.set_index("given").loc["no"]
    assert (round(no["mean"], 3), round(no["lower"], 3), round(no["upper"], 3)) == (0.093, 0.062, 0.129)


def test_p_pris_given_cease_by_incompatibility(shared_csv, agreements):
    with shared_csv.open(newline="", encoding="utf-8") as handle:
        records = list(csv.DictReader(handle))
    codes = lambda row: ", ".join(sorted(set(row["incompatibility"].split(", "))))  # "2, 1" and "1, 2" alike
    expected = hand_counts(records, codes) | hand_counts(records)
    assert expected == {("1", "yes"): (20, 44), ("1", "no"): (8, 57), ("1, 2", "yes"): (2, 3),
                        ("1, 2", "no"): (0, 1), ("2", "yes"): (60, 126), ("2", "no"): (10, 129),
                        ("3", "yes"): (0, 3), ("3", "no"): (0, 11), ("all", "yes"): (82, 176),
                        ("all", "no"): (18, 198)}
    table = ucdp.conditional_rates(agreements, by="incompatibility", level=LEVEL)
    order = [(group, side) for group in ("1", "1, 2", "2", "3", "all") for side in ("yes", "no")]
    assert list(zip(table["group"], table["given"])) == order  # groups sorted, "all" last, yes before no
    for row in table.itertuples():
        successes, trials = expected[(row.group, row.given)]
        assert (row.successes, row.trials) == (successes, trials)
        lower, upper = proportion_confint(successes, trials, alpha=1 - LEVEL, method="jeffreys")
        assert (row.lower, row.upper) == (pytest.approx(lower, abs=1e-9), pytest.approx(upper, abs=1e-9))


def test_conditional_rates_refuses_a_column_that_is_not_a_flag(agreements):
    with pytest.raises(ValueError, match="not a provision flag"):
        ucdp.conditional_rates(agreements, outcome="pa_name")
    with pytest.raises(ValueError, match="unknown grouping column"):
        ucdp.conditional_rates(agreements, by="no_such_column")


def test_a_broken_copy_names_file_line_and_column(tmp_path, raw_records):
    header, records, last_lines = raw_records
    cease, pris = header.index("cease"), header.index("pris")
    row = 4  # a record spanning many lines: its flags sit on its last line, not its first
    records = [list(record) for record in records]
    records[row][cease] = "7"
    broken = write_copy(tmp_path / "broken.csv", [name for i, name in enumerate(header) if i != pris],
                        [[cell for i, cell in enumerate(record) if i != pris] for record in records])
    assert f",7,{records[row][cease + 1]}," in broken.read_text().splitlines()[last_lines[row] - 1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ucdp.ChecksumWarning)
        with pytest.raises(DataError) as raised:
            ucdp.load_agreements(broken)
    assert raised.value.problems == [
        f"{broken}:1: column 'pris' is missing (expected the UCDP Peace Agreement Dataset v22.1 header)",
        f"{broken}:{last_lines[row]}: column 'cease': got '7'; expected 0 or 1",
    ]
    assert str(raised.value).splitlines()[0] == "2 problems in the data:"


def test_a_missing_file_says_where_to_download_it_and_where_to_put_it(tmp_path, monkeypatch):
    missing = tmp_path / "external" / "ucdp-peace-agreements-221.csv"
    monkeypatch.setenv("FORECAST_UCDP_CSV", str(missing))
    assert paths.ucdp_peace_agreements_csv() == missing
    with pytest.raises(DataError) as raised:
        ucdp.load_agreements()
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{missing}: file not found;")
    assert "https://ucdp.uu.se/downloads/" in message and "FORECAST_UCDP_CSV" in message


def test_the_default_location_is_external_in_the_project(monkeypatch):
    monkeypatch.delenv("FORECAST_UCDP_CSV", raising=False)
    assert paths.ucdp_peace_agreements_csv() == paths.PROJECT_ROOT / "external" / "ucdp-peace-agreements-221.csv"


def test_one_changed_byte_warns_with_the_expected_version(tmp_path, shared_csv):
    data = bytearray(shared_csv.read_bytes())
    at = data.index(b"Peshawar Accord")
    data[at] = ord("p")  # a name, so the copy still loads
    edited = tmp_path / "edited.csv"
    edited.write_bytes(bytes(data))
    with pytest.warns(ucdp.ChecksumWarning, match=r"v22\.1 CSV \(ucdp-peace-agreements-221\.csv, sha256 d512c104"):
        assert len(ucdp.load_agreements(edited)) == 374


def test_the_shared_copy_loads_without_a_warning(shared_csv):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ucdp.load_agreements(shared_csv)
