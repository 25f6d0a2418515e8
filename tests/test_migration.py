"""Dataset 2.0.0 moved the Russia-Ukraine tables to the side-neutral multi-conflict schema. Every value of 1.1.0
(frozen in tests/fixtures/russia-ukraine-1.1.0) survives, except the re-codes that CHANGELOG.md lists, and the
figures the suite prints for Russia-Ukraine are unchanged where the data are."""

import csv

import pytest

from forecast import data, features, paths

FIXTURE = paths.PROJECT_ROOT / "tests" / "fixtures" / "russia-ukraine-1.1.0"

ROUND_COLUMNS = {  # 1.1.0 column -> 2.0.0 column (side A = Russia, side B = Ukraine)
    "round_id": "round_id", "date_start": "date_start", "date_end": "date_end", "city": "city", "country": "country",
    "format": "format", "parties": "parties", "mediator": "mediator", "ru_lead": "side_a_lead",
    "ua_lead": "side_b_lead", "us_lead": "other_lead", "level": "level", "swap_agreed": "swap_agreed",
    "swap_size": "swap_to_side_a", "bodies_agreed": "bodies_agreed", "ceasefire_progress": "ceasefire_progress",
    "next_round_agreed": "next_round_agreed",
}
EXCHANGE_COLUMNS = {
    "exchange_id": "exchange_id", "date": "date", "kind": "kind", "to_ukraine": "to_side_b", "to_russia": "to_side_a",
    "bodies_to_ukraine": "bodies_to_side_b", "bodies_to_russia": "bodies_to_side_a", "mediator": "mediator",
    "round_id": "round_id", "sources": "sources", "notes": "notes",
}

RECODED = {  # (round_id, 2.0.0 column): (1.1.0 value, 2.0.0 value); see CHANGELOG.md, 2.0.0
    ("2022-03-14-video", "next_round_agreed"): ("yes", "no"),
    ("2022-03-21-video", "next_round_agreed"): ("", "no"),
    ("2025-02-14-munich", "next_round_agreed"): ("no", "yes"),
    ("2025-03-23-riyadh", "other_lead"): ("", "Andrew Peek (Senior Director, National Security Council); Michael Anton (Director of Policy Planning, State Department)"),
    ("2025-03-24-riyadh", "other_lead"): ("", "Andrew Peek (Senior Director, National Security Council); Michael Anton (Director of Policy Planning, State Department)"),
    ("2025-03-24-riyadh", "next_round_agreed"): ("yes", "no"),
    ("2025-04-17-paris", "next_round_agreed"): ("", "yes"),
    ("2025-04-23-london", "next_round_agreed"): ("yes", "no"),
    ("2025-04-25-moscow", "next_round_agreed"): ("yes", "no"),
    ("2025-05-16-istanbul-2", "side_b_lead"): ("", "Rustem Umerov (Defence Minister)"),
    ("2025-06-02-istanbul", "next_round_agreed"): ("no", "yes"),
    ("2025-07-23-istanbul", "next_round_agreed"): ("no", "yes"),
    ("2025-08-15-anchorage", "next_round_agreed"): ("no", "yes"),
    ("2025-11-24-abu-dhabi", "next_round_agreed"): ("", "yes"),
    ("2025-12-02-moscow", "next_round_agreed"): ("yes", "no"),
    ("2025-12-14-berlin", "next_round_agreed"): ("", "yes"),
    ("2025-12-19-miami", "next_round_agreed"): ("yes", "no"),
    ("2025-12-20-miami", "next_round_agreed"): ("yes", "no"),
    ("2026-01-07-paris", "next_round_agreed"): ("no", ""),
    ("2026-01-31-miami", "next_round_agreed"): ("no", "yes"),
    ("2026-02-26-geneva", "next_round_agreed"): ("", "yes"),
    ("2026-03-21-miami", "next_round_agreed"): ("", "no"),
}


def rows(path, key, conflict=None):
    with open(path, newline="", encoding="utf-8") as handle:
        return {row[key]: row for row in csv.DictReader(handle) if conflict is None or row["conflict"] == conflict}


@pytest.fixture(scope="module")
def old_and_new():
    return (rows(FIXTURE / "rounds.csv", "round_id"), rows(paths.rounds_csv(), "round_id", "russia-ukraine"),
            rows(FIXTURE / "exchanges.csv", "exchange_id"),
            rows(paths.exchanges_csv(), "exchange_id", "russia-ukraine"))


def test_every_round_value_survives_the_migration(old_and_new):
    old_rounds, new_rounds, _, _ = old_and_new
    assert set(old_rounds) == set(new_rounds)
    changed = {}
    for round_id, old in old_rounds.items():
        new = new_rounds[round_id]
        for old_column, new_column in ROUND_COLUMNS.items():
            if old[old_column] != new[new_column]:
                changed[(round_id, new_column)] = (old[old_column], new[new_column])
        assert new["swap_to_side_b"] == new["swap_to_side_a"], "every 1.1.0 swap was N for N"
        assert new["side_a_at_table"] == ("yes" if "RU" in old["parties"].split("-") else "no")
        assert new["side_b_at_table"] == ("yes" if "UA" in old["parties"].split("-") else "no")
        assert new["notes"].startswith(old["notes"]), "notes are only ever added to"
        assert new["sources"].startswith(old["sources"]), "sources are only ever added to"
    assert changed == RECODED


def test_every_exchange_value_survives_the_migration(old_and_new):
    _, _, old_exchanges, new_exchanges = old_and_new
    assert set(old_exchanges) <= set(new_exchanges)
    assert set(new_exchanges) - set(old_exchanges) == {"2026-05-15-p"}  # the one exchange added in 2.0.0
    for exchange_id, old in old_exchanges.items():
        new = new_exchanges[exchange_id]
        assert {new_column: new[new_column] for new_column in EXCHANGE_COLUMNS.values()} == \
               {new_column: old[old_column] for old_column, new_column in EXCHANGE_COLUMNS.items()}, exchange_id


def test_russia_ukraine_features_are_unchanged_where_the_data_are(old_and_new):
    """The features and outcomes the methods use: both sides at the table as 'Russia and Ukraine at the table' was
    (RU-UA or US-RU-UA), the same swaps and ceasefire codes."""
    old_rounds = old_and_new[0]
    frame = features.round_features().set_index("round_id")
    for round_id, old in old_rounds.items():
        assert bool(frame.loc[round_id, "both_sides_at_table"]) == (old["parties"] in ("RU-UA", "US-RU-UA"))
        swap = frame.loc[round_id, "swap_agreed"]
        assert ("" if swap is None or str(swap) == "<NA>" else ("yes" if swap else "no")) == old["swap_agreed"]
    assert len(frame) == 61 and int(frame["both_sides_at_table"].sum()) == 17
    assert data.sides().returned_to("b") == "returned to Ukraine" and data.sides().returned_to("a") == "returned to Russia"
