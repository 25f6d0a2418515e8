"""The curated dataset itself: coverage of the rounds the scope names, and summary figures pinned as literals
so that any change to the data shows up in this file's diff (update the literals with the data)."""

import pandas as pd
import pytest

from forecast import data

SCOPE_ROUNDS = [
    # 2022 direct rounds: Belarus, Antalya, video, Istanbul, grain-deal talks
    "2022-02-28-gomel", "2022-03-03-belovezhskaya-pushcha", "2022-03-07-belovezhskaya-pushcha",
    "2022-03-10-antalya", "2022-03-14-video", "2022-03-29-istanbul", "2022-07-13-istanbul", "2022-07-22-istanbul",
    # 2025 direct Istanbul rounds
    "2025-05-16-istanbul", "2025-06-02-istanbul", "2025-07-23-istanbul",
    # US-brokered process: Riyadh, Jeddah, Moscow, Anchorage, Geneva, Abu Dhabi, Miami, Berlin
    "2025-02-18-riyadh", "2025-03-11-jeddah", "2025-03-13-moscow", "2025-03-24-riyadh", "2025-08-15-anchorage",
    "2025-11-23-geneva", "2025-11-24-abu-dhabi", "2025-12-04-miami", "2025-12-14-berlin",
    # trilateral rounds of 2026
    "2026-01-23-abu-dhabi", "2026-02-04-abu-dhabi", "2026-02-17-geneva",
]


@pytest.fixture(scope="module")
def tables():
    return data.load_rounds(), data.load_exchanges()


def test_every_round_named_in_scope_is_present(tables):
    rounds, _ = tables
    assert set(SCOPE_ROUNDS) - set(rounds["round_id"]) == set()


def test_rounds_with_blank_outcomes_say_why(tables):
    rounds, _ = tables
    blank = rounds[rounds["swap_agreed"].isna() | rounds["ceasefire_progress"].isna()]
    assert blank["notes"].notna().all() and (blank["notes"].str.len() > 20).all()


def test_the_seed_article_facts(tables):
    rounds, exchanges = tables
    by_id = rounds.set_index("round_id")
    assert by_id.loc["2025-05-16-istanbul", "swap_to_side_a"] == by_id.loc["2025-05-16-istanbul", "swap_to_side_b"] == 1000
    assert by_id.loc["2025-06-02-istanbul", "bodies_agreed"] == 6000
    assert not by_id.loc[["2025-05-16-istanbul", "2025-06-02-istanbul", "2025-07-23-istanbul"],
                         "ceasefire_progress"].ge(2).any()  # none brought a ceasefire
    may_swap = exchanges[exchanges["round_id"] == "2025-05-16-istanbul"]
    assert may_swap["to_side_b"].sum() == 1000 and may_swap["to_side_a"].sum() == 1000  # Ukraine, Russia


def test_exchange_table_spans_2022_to_the_latest_report(tables):
    _, exchanges = tables
    assert exchanges["date"].min() <= pd.Timestamp("2022-03-31")
    assert exchanges["date"].max() >= pd.Timestamp("2026-05-15")


def test_summary_figures(tables):
    summary = data.summary_tables(*tables)
    for name, table in summary.items():
        print(f"\n{name}\n{table.to_string()}")
    assert summary["rounds_by_parties_year"].to_dict("index") == {
        "RU-UA": {2022: 11, 2025: 3, 2026: 0}, "US-RU": {2022: 0, 2025: 14, 2026: 5},
        "US-RU-UA": {2022: 0, 2025: 0, 2026: 3}, "US-UA": {2022: 0, 2025: 20, 2026: 5}}
    assert summary["swaps_agreed"].to_dict("index") == {
        "RU-UA": {"yes": 3, "no": 11, "unknown": 0}, "US-RU": {"yes": 0, "no": 17, "unknown": 2},
        "US-RU-UA": {"yes": 1, "no": 2, "unknown": 0}, "US-UA": {"yes": 0, "no": 23, "unknown": 2}}
    assert summary["ceasefire_progress"]["rounds"].to_dict() == {"0": 22, "1": 32, "2": 4, "3": 0, "unknown": 3}
    # Side A is Russia, side B Ukraine (conflicts.csv); 2026 gained the 15 May exchange (205 for 205) in 2.0.0.
    assert summary["exchanges_by_year"].astype(int).to_dict("index") == {
        2022: {"events": 45, "prisoner_events": 33, "to_side_b": 1569, "to_side_a": 917,
               "bodies_to_side_b": 719, "bodies_to_side_a": 210},
        2023: {"events": 27, "prisoner_events": 14, "to_side_b": 996, "to_side_a": 592,
               "bodies_to_side_b": 913, "bodies_to_side_a": 80},
        2024: {"events": 24, "prisoner_events": 13, "to_side_b": 1358, "to_side_a": 1312,
               "bodies_to_side_b": 3380, "bodies_to_side_a": 144},
        2025: {"events": 35, "prisoner_events": 20, "to_side_b": 2289, "to_side_a": 2259,
               "bodies_to_side_b": 16301, "bodies_to_side_a": 388},
        2026: {"events": 7, "prisoner_events": 5, "to_side_b": 1057, "to_side_a": 1058,
               "bodies_to_side_b": 2000, "bodies_to_side_a": 73},
    }


# Rows whose cited sources all lack a recorded headline or publication date (the stored copies the curators
# read did not show them). Publisher and URL are known for every one. The list may only shrink: a new row must
# cite at least one source described with publisher, title, date and URL.
ROWS_WITHOUT_FULLY_DESCRIBED_SOURCE = {"2022-06-10-p", "2022-07-26-b", "2024-12-20-b"}


def test_every_new_row_cites_a_fully_described_source(tables):
    sources = data.load_sources().set_index("url")
    described = set(sources.index[sources["title"].notna() & sources["published"].notna()])
    lacking = set()
    for table, key in zip(tables, ("round_id", "exchange_id")):
        for _, row in table.iterrows():
            if not set(row["sources"].split(data.URL_SEPARATOR)) & described:
                lacking.add(row[key])
    assert lacking <= ROWS_WITHOUT_FULLY_DESCRIBED_SOURCE, f"rows without a fully described source: {lacking - ROWS_WITHOUT_FULLY_DESCRIBED_SOURCE}"
    print(f"{len(lacking)} older rows still lack a source with both headline and date: {sorted(lacking)}")


def test_summary_tables_match_an_independent_recount_of_the_raw_csv(tables):
    """The literals above pin the data; this recount with the csv module (no pandas) pins the computation."""
    import csv
    from collections import Counter, defaultdict

    from forecast import paths

    with open(paths.rounds_csv(), newline="", encoding="utf-8") as handle:
        rounds = [row for row in csv.DictReader(handle) if row["conflict"] == data.DEFAULT_CONFLICT]
    with open(paths.exchanges_csv(), newline="", encoding="utf-8") as handle:
        exchanges = [row for row in csv.DictReader(handle) if row["conflict"] == data.DEFAULT_CONFLICT]
    summary = data.summary_tables(*tables)
    by_parties_year = Counter((row["parties"], int(row["date_start"][:4])) for row in rounds)
    table = summary["rounds_by_parties_year"]
    assert {(p, y): int(table.loc[p, y]) for p in table.index for y in table.columns if table.loc[p, y]} == dict(by_parties_year)
    swaps = Counter((row["parties"], row["swap_agreed"] or "unknown") for row in rounds)
    table = summary["swaps_agreed"]
    assert {(p, s): int(table.loc[p, s]) for p in table.index for s in table.columns if table.loc[p, s]} == dict(swaps)
    progress = Counter(row["ceasefire_progress"] or "unknown" for row in rounds)
    assert {k: v for k, v in summary["ceasefire_progress"]["rounds"].to_dict().items() if v} == dict(progress)
    per_year = defaultdict(Counter)
    for row in exchanges:
        year = int(row["date"][:4])
        per_year[year]["events"] += 1
        per_year[year]["prisoner_events"] += row["kind"] != "bodies"
        for column in ("to_side_a", "to_side_b", "bodies_to_side_a", "bodies_to_side_b"):
            per_year[year][column] += int(row[column] or 0)
    computed = summary["exchanges_by_year"].astype(int).to_dict("index")
    assert computed == {year: {column: counts[column] for column in computed[year]} for year, counts in per_year.items()}


def test_summary_tables_follow_a_changed_copy(data_copy):
    """Mutating a copy moves the summary by exactly the change (the summary reads the data, not typed text)."""
    import pandas as pd

    path = data_copy / "exchanges.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    row = frame.index[frame["exchange_id"] == "2026-04-24-p"][0]
    frame.loc[row, "to_side_b"] = str(int(frame.loc[row, "to_side_b"]) + 7)
    frame.to_csv(path, index=False)
    kwargs = dict(sources_path=data_copy / "sources.csv", conflicts_path=data_copy / "conflicts.csv")
    rounds = data.load_rounds(data_copy / "rounds.csv", **kwargs)
    exchanges = data.load_exchanges(path, rounds_path=data_copy / "rounds.csv", **kwargs)
    before = data.summary_tables()["exchanges_by_year"]
    after = data.summary_tables(rounds, exchanges)["exchanges_by_year"]
    assert int(after.loc[2026, "to_side_b"]) - int(before.loc[2026, "to_side_b"]) == 7
    assert after.drop(columns="to_side_b").equals(before.drop(columns="to_side_b"))
