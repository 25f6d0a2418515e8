"""The crowd table under its codebook, and the head-to-head recomputable from its rows."""

import numpy as np
import pandas as pd
import pytest

from forecast import compare, data


def test_the_crowd_table_loads_with_its_types_and_sources():
    crowd = data.load_crowd()
    assert len(crowd) == 56 and crowd["probability"].between(0, 1).all()
    assert crowd["as_of"].dtype.kind == "M" and set(crowd["resolution"]) <= {"yes", "no", "open"}
    comparable = crowd[crowd["comparable"].astype(bool)]
    assert comparable["suite_question"].notna().all() and comparable["deadline"].notna().all()
    assert (comparable["deadline"] >= comparable["as_of"]).all()


@pytest.mark.parametrize("changes, fragment", [
    ({"comparable": "yes", "suite_question": ""}, "column 'suite_question': got ''; expected a question and a deadline"),
    ({"resolution": "open"}, "column 'resolved_on': got '2026-01-01'; expected a date exactly when resolution is yes or no"),
    ({"probability": "53%"}, "column 'probability': got '53%'; expected text matching"),
])
def test_crowd_rules_name_line_and_column(data_copy, changes, fragment):
    path = data_copy / "crowd_forecasts.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column, value in changes.items():
        frame.loc[0, column] = value
    frame.to_csv(path, index=False)
    with pytest.raises(data.DataError) as caught:
        data.load_crowd(path, data_copy / "sources.csv", data_copy / "conflicts.csv")
    assert any(problem.startswith(f"{path}:2: {fragment}") for problem in caught.value.problems), caught.value.problems


def test_compare_scores_recompute_from_its_rows(run_cli):
    rows = compare.head_to_head()
    assert len(rows) == int(data.load_crowd()["comparable"].astype(bool).sum())
    assert rows["suite_p"].between(0, 1).all()
    table = compare.scores(rows, np.random.default_rng(1), 200).set_index("platform")
    resolved = rows[rows["outcome"].notna()]
    overall = table.loc["all platforms"]
    assert overall["n"] == len(resolved)
    assert overall["crowd_brier"] == pytest.approx(np.mean((resolved["crowd_p"] - resolved["outcome"]) ** 2))
    assert overall["suite_brier"] == pytest.approx(np.mean((resolved["suite_p"] - resolved["outcome"]) ** 2))
    assert overall["difference_lower"] <= overall["suite_minus_crowd"] <= overall["difference_upper"]
    process = run_cli("compare", "--bootstrap", "100")
    assert process.returncode == 0 and "Caveats:" in process.stdout and "nan" not in process.stdout.lower()
