"""No number without backing: the command line refuses in one line (exit 2) or warns; it never prints NaN,
"nan%" or a silent 0.5. Numeric options are checked when parsed, echoing the value as typed."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from forecast import base_rates, features, predict
from forecast.errors import RefusedForecast


def assert_one_line_refusal(process, code, *fragments):
    assert process.returncode == code, (process.stdout, process.stderr)
    assert "Traceback" not in process.stderr and process.stdout == ""
    assert len(process.stderr.strip().splitlines()) == 1, process.stderr
    for fragment in fragments:
        assert fragment in process.stderr, process.stderr


def assert_no_nan(text):
    lowered = text.lower()
    assert "nan" not in lowered.replace("nanny", "") and "<na>" not in lowered and "nat" not in lowered.split()


@pytest.mark.parametrize("args, fragments", [
    (["backtest", "--bootstrap", "0"], ["argument --bootstrap: '0' is not allowed; expected a whole number from 100"]),
    (["backtest", "--bootstrap", "ten"], ["argument --bootstrap: 'ten' is not a whole number"]),
    (["backtest", "--as-of", "2026-13-01"], ["argument --as-of: '2026-13-01' is not a date; expected YYYY-MM-DD"]),
    (["predict", "--date", "2026-06-01", "--parties", "RU-UA", "--level", "ministers", "--bootstrap", "5"],
     ["argument --bootstrap: '5' is not allowed; expected a whole number from 100"]),
    (["score", "--bins", "0"], ["argument --bins: '0' is not allowed; expected a whole number from 1 to 50"]),
    (["score", "--bins", "2.5"], ["argument --bins: '2.5' is not a whole number"]),
    (["base-rate", "--outcome", "swap_agreed", "--interval", "1"],
     ["argument --interval: '1' is not allowed; expected a number strictly between 0 and 1"]),
    (["base-rate", "--outcome", "swap_agreed", "--interval", "-inf"], ["argument --interval: '-inf' is not allowed"]),
    (["base-rate", "--outcome", "swap_agreed", "--interval", "nan"], ["argument --interval: 'nan' is not allowed"]),
    (["log", "--question", "q", "--outcome", "o", "--target", "2099-01-01", "--method", "m", "--probability", "-inf"],
     ["argument --probability: probability -inf is outside [0, 1]"]),
    (["log", "--question", "q", "--outcome", "o", "--target", "2099-01-01", "--method", "m", "--probability", "1e3"],
     ["argument --probability: probability 1e3 is outside [0, 1]"]),
    (["log", "--question", "q", "--outcome", "o", "--target", "2099-01-01", "--method", "m", "--probability",
      "0.5", "--base-rate", "NaN"], ["argument --base-rate: probability NaN is outside [0, 1]"]),
    (["predict", "--date", "2026-06-01", "--parties", "RU-UA"], ["the following arguments are required: --level"]),
])
def test_numeric_and_required_options_are_checked_when_parsed(args, fragments, run_cli, tmp_path):
    process = run_cli(*args, *(["--ledger", tmp_path / "l.csv"] if args[0] == "log" else []))
    assert_one_line_refusal(process, 2, *fragments)
    assert not (tmp_path / "l.csv").exists()


def test_a_round_before_the_first_round_is_refused(run_cli):
    process = run_cli("predict", "--date", "1990-01-01", "--parties", "RU-UA", "--level", "ministers")
    assert_one_line_refusal(process, 2, "a round on 1990-01-01 comes before any round in the data",
                            "the first began 2022-02-28")
    with pytest.raises(RefusedForecast):
        predict.predict_round(features.hypothetical_round("2022-02-28", "RU-UA", "ministers"))


def test_a_round_after_the_data_warns_how_stale_they_are(run_cli):
    process = run_cli("predict", "--date", "2026-12-01", "--parties", "RU-UA", "--level", "ministers", "--json",
                      "--bootstrap", "100")
    assert process.returncode == 0, process.stderr
    printed = json.loads(process.stdout)
    assert len(printed["warnings"]) == 1
    assert printed["warnings"][0].startswith("the data end on 2026-05-15, 200 days before this round")
    assert all(row["p"] is not None and 0 < row["p"] < 1 for row in printed["forecasts"])
    table = run_cli("predict", "--date", "2026-12-01", "--parties", "RU-UA", "--level", "ministers", "--bootstrap", "100")
    assert "Warning: the data end on 2026-05-15, 200 days before this round" in table.stdout
    assert_no_nan(table.stdout)


def test_an_empty_reference_class_shows_the_base_rate_with_a_warning(run_cli):
    # On 2022-04-01 only RU-UA rounds had happened: the US-RU class is empty.
    process = run_cli("predict", "--date", "2022-04-01", "--parties", "US-RU", "--level", "ministers", "--json",
                      "--bootstrap", "100")
    assert process.returncode == 0, process.stderr
    printed = json.loads(process.stdout)
    rows = pd.DataFrame(printed["forecasts"]).set_index(["question", "method"])
    for outcome in ("swap_agreed", "ceasefire_agreed", "next_round_agreed"):
        assert rows.loc[(outcome, "class:parties"), "n"] == 0
        assert rows.loc[(outcome, "class:parties"), "p"] == pytest.approx(rows.loc[(outcome, "base_rate"), "p"])
        assert rows.loc[(outcome, "class:parties"), "p"] != 0.5
        assert any(line.startswith(f"{outcome}, step 3 (class:parties): no earlier round with parties = US-RU")
                   for line in printed["warnings"])
    exchange_rows = [row for row in printed["forecasts"] if row["question"].startswith("exchange_within")]
    assert exchange_rows and all(row["skill"] is None for row in exchange_rows), "no exchange origin before 2023"
    swap = rows.loc[("swap_agreed", "headline")]
    assert 0 < swap["backtest_n"] <= 5, "the record shown is of the rounds before 2022-04-01 only"


def test_a_round_without_a_level_falls_back_like_the_backtest_with_a_warning():
    history = features.round_features()
    row = features.hypothetical_round("2026-05-01", "RU-UA", None)
    table = predict.predict_round(row, history)
    binary = table[table["question"].isin(["swap_agreed", "ceasefire_agreed", "next_round_agreed"])]
    logistic = binary[binary["method"] == "logistic"].set_index("question")
    base = binary[binary["method"] == "base_rate"].set_index("question")
    assert logistic["p"].notna().all() and np.allclose(logistic["p"], base["p"])
    assert logistic["warning"].str.contains("needs the round's level").all()
    warnings = predict.forecast_warnings(table, row, history)
    assert sum("(logistic)" in line for line in warnings) == 3


def test_no_step_is_ever_nan_across_every_party_and_level():
    history = features.round_features()
    for parties in ("RU-UA", "US-RU", "US-UA", "US-RU-UA"):
        for level in ("technical", "senior_officials", "ministers", "leaders"):
            table = predict.predict_round(features.hypothetical_round("2026-05-01", parties, level), history)
            assert table["p"].notna().all(), (parties, level)
            shown = table[table["lower"].notna()]
            assert ((shown["lower"] <= shown["p"]) & (shown["p"] <= shown["upper"])).all()
            assert table.groupby("question")["lower"].apply(lambda s: s.notna().any()).all()


def test_base_rate_on_no_matching_rounds_is_refused(run_cli):
    process = run_cli("base-rate", "--outcome", "swap_agreed", "--where", "year < 2000")
    assert_one_line_refusal(process, 2, "no round matching --where 'year < 2000' has a known swap_agreed")


def test_base_rate_leaves_out_classes_without_known_outcomes_and_says_so(run_cli):
    process = run_cli("base-rate", "--outcome", "swap_agreed", "--by", "year", "--where", "year >= 2025", "--json")
    assert process.returncode == 0
    groups = [row["group"] for row in json.loads(process.stdout)]
    assert groups == ["2025", "2026", "all"] and process.stderr == ""


def test_score_prints_no_nan_for_empty_bins_or_undefined_skill(tmp_path, run_cli):
    from forecast import ledger

    path = tmp_path / "forecasts.csv"
    ledger.log("q", "custom", "2099-01-01", 0.7, "m", path=path)  # no base rate: skill undefined
    ledger.resolve("F0001", "no", path=path)
    process = run_cli("score", "--ledger", path)
    assert process.returncode == 0, process.stderr
    assert_no_nan(process.stdout)
    assert "n/a: no stored base rate" in process.stdout
    calibration_line = next(line for line in process.stdout.splitlines() if line.strip().startswith("[0.60, 0.80)"))
    assert calibration_line.split()[-2:] == ["0.000", "0.771"], "the interval contains its point 0"
    printed = json.loads(run_cli("score", "--ledger", path, "--json").stdout)
    assert printed["scores"][0]["brier_skill_vs_base_rate"] is None


def test_calibration_interval_contains_its_observed_frequency():
    from statsmodels.stats.proportion import proportion_confint

    from forecast import evaluate

    p = [0.1, 0.15, 0.3, 0.35, 0.32, 0.9, 0.95]
    y = [0, 0, 1, 0, 1, 1, 1]
    table = evaluate.calibration_table(p, y, bins=[0, 0.2, 0.5, 0.8, 1.0])
    inner = table.iloc[1]  # 2 of 3: Jeffreys, as statsmodels computes it
    low, high = proportion_confint(2, 3, alpha=0.1, method="jeffreys")
    assert inner["observed_lower"] == pytest.approx(low, abs=1e-12)
    assert inner["observed_upper"] == pytest.approx(high, abs=1e-12)
    none_happened, all_happened = table.iloc[0], table.iloc[3]
    assert none_happened["observed"] == 0 and none_happened["observed_lower"] == 0
    assert none_happened["observed_upper"] == pytest.approx(proportion_confint(0, 2, alpha=0.1, method="jeffreys")[1])
    assert all_happened["observed"] == 1 and all_happened["observed_upper"] == 1
    filled = table[table["count"] > 0]
    assert ((filled["observed_lower"] <= filled["observed"]) & (filled["observed"] <= filled["observed_upper"])).all()
    assert math.isnan(table.iloc[2]["observed"]) and table.iloc[2]["count"] == 0


def test_beta_rate_interval_matches_statsmodels_jeffreys():
    from statsmodels.stats.proportion import proportion_confint

    for k, n in ((1, 7), (3, 57), (10, 20), (4, 17)):
        rate = base_rates.beta_rate(k, n, level=0.9)
        low, high = proportion_confint(k, n, alpha=0.1, method="jeffreys")
        assert (rate.lower, rate.upper) == pytest.approx((low, high), abs=1e-12)


def test_exchange_predictive_matches_scipy_negative_binomial():
    from scipy import stats

    dates = pd.to_datetime(["2025-01-10", "2025-02-01", "2025-03-01"])
    rate = base_rates.event_rate(dates, "2025-01-01", "2025-04-01", prior=(0.5, 0.0))
    for days in (30, 60, 90):
        # Gamma(shape, rate) mixed Poisson over `days` days = negative binomial(n=shape, p=rate/(rate+days))
        zero = stats.nbinom.pmf(0, rate.shape, rate.rate / (rate.rate + days))
        assert rate.prob_at_least_one(days)[0] == pytest.approx(1 - zero, abs=1e-12)
