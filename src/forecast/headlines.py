"""The headline box of each report, computed from its results (``present.Headline``): the question in plain
words, the answer with its interval or the main finding, where it comes from, the track record in one figure,
and how old the data are. Notebooks call one function each; nothing in a headline is typed by hand."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from forecast import data, present
from forecast.scenario import Scenario, conflict_name

OUTCOME_WORDS = {
    "swap_agreed": "agree a prisoner exchange",
    "ceasefire_agreed": "agree a partial or general ceasefire",
    "next_round_agreed": "agree to meet again",
    "ceasefire_progress": "make ceasefire progress",
}
"""What each per-round outcome is, as the end of a question ("Will the round ...?")."""

FIT_WORDS = {"firth": "Firth's penalised logistic regression",
             "mle": "Maximum-likelihood logistic regression"}
"""How ``models.fit_logit`` fitted, in words."""


def question_words(question: str) -> str:
    """A question id in words: ``swap_agreed`` -> "swap agreed", ``exchange_within_30d`` -> "exchange within 30 days"."""
    return re.sub(r"(\d+)d$", r"\1 days", question).replace("_", " ")


def skill_words(row) -> str:
    """"skill +0.08 (+0.05 to +0.16) against the base rate over 52 targets" from a ``track_record`` score row."""
    if row is None or present.is_missing(row.get("skill")):
        return "no track record yet (too few earlier targets)"
    reference = str(row["reference"]).replace("_", " ")
    return (f"skill {present.with_interval(row['skill'], row['skill_lower'], row['skill_upper'], present.signed)} "
            f"against the {reference} over {present.whole(row['n'])} earlier targets")


def score_row(scores: pd.DataFrame, question: str, method: str = "headline", label: str = "all"):
    """The score row of ``method`` on ``question`` for class ``label`` (None when absent)."""
    part = scores[(scores["question"] == question) & (scores["method"] == method) & (scores["class"] == label)]
    return None if part.empty else part.iloc[0]


def verdict(row) -> str:
    """Whether a skill's interval lies above 0, below it, or across it."""
    if row is None or present.is_missing(row.get("skill_lower")):
        return "has no track record"
    if row["skill_lower"] > 0:
        return "beats"
    if row["skill_upper"] < 0:
        return "is worse than"
    return "cannot be told apart from"


def data_overview(rounds: pd.DataFrame, exchanges: pd.DataFrame, conflict: str) -> present.Headline:
    """Report 01: what the tables hold and how well they are sourced."""
    provenance = data.provenance(rounds, exchanges, conflict=conflict)
    per_row = pd.concat([rounds["sources"], exchanges["sources"]]).str.split(data.URL_SEPARATOR, regex=False).str.len()
    swaps = int(rounds["swap_agreed"].fillna(False).astype(bool).sum())
    answer = (f"{len(rounds)} rounds ({present.day(rounds['date_start'].min())} to "
              f"{present.day(rounds['date_start'].max())}) and {len(exchanges)} exchanges; {swaps} rounds agreed "
              f"a prisoner swap.")
    return present.Headline(
        question=f"What do the curated tables hold for the {conflict_name(conflict)}, and how well is each row sourced?",
        answer=answer,
        basis=(f"Rows curated by hand from news reports and official statements (dataset {provenance.version}); "
               f"every row cites at least one source, {provenance.n_sources} in all."),
        record=(f"Sourcing: {int((per_row == 1).sum())} of {len(per_row)} rows rest on a single source; "
                f"the median row cites {present.whole(per_row.median())}."),
        data_as_of=present.data_age(provenance.last_date),
        summary=answer)


def base_rates(frame: pd.DataFrame, scores: pd.DataFrame, conflict: str, rate_row, last_day) -> present.Headline:
    """Report 02: the swap rate at rounds with both sides at the table (``rate_row``: a ``rates_by`` row), with
    the track record of that reference class as a forecast."""
    answer = (f"{present.with_interval(rate_row['mean'], rate_row['lower'], rate_row['upper'])}: "
              f"{rate_row['successes']} of {rate_row['trials']} rounds with both sides at the table agreed a swap.")
    record = score_row(scores, "swap_agreed", "class:both_sides_at_table")
    return present.Headline(
        question=(f"How often did a round of the {conflict_name(conflict)} with both warring sides at the table "
                  f"agree a prisoner swap?"),
        answer=answer,
        basis=(f"A Beta-binomial rate (Jeffreys prior, 90% interval) over those rounds, "
               f"{present.day(frame['date_start'].min())} to {present.day(frame['date_start'].max())}."),
        record=f"Track record of this class as a forecast, each round from those before it: {skill_words(record)}.",
        data_as_of=present.data_age(last_day),
        summary=f"P(swap | both sides at the table) = {answer}")


def models(fit, outcome: str, scores: pd.DataFrame, conflict: str, last_day) -> present.Headline:
    """Report 03: the strongest term of the logistic model, with its out-of-sample record."""
    table = fit.coefficients()
    terms = table[table["term"] != "Intercept"]
    strongest = terms.loc[terms["estimate"].abs().idxmax()]
    odds = [float(np.exp(strongest[name])) for name in ("estimate", "lower", "upper")]
    answer = (f"{strongest['term']}: odds ratio {odds[0]:.1f} (90% interval {odds[1]:.1f} to {odds[2]:.1f}), "
              f"the strongest of {len(terms)} terms.")
    record = score_row(scores, outcome, "logistic")
    return present.Headline(
        question=(f"Which feature of a round of the {conflict_name(conflict)} goes with whether it will "
                  f"{OUTCOME_WORDS.get(outcome, outcome)}, and how sure can we be?"),
        answer=answer,
        basis=f"{FIT_WORDS.get(fit.method, fit.method)} of {fit.formula} on {fit.nobs} rounds.",
        record=f"Out of sample, the logistic model as a forecast: {skill_words(record)}.",
        data_as_of=present.data_age(last_day),
        summary=answer)


def backtest(scores: pd.DataFrame, conflict: str, last_day, n_bootstrap: int) -> present.Headline:
    """Report 04: on how many questions the headline beats its naive reference."""
    overall = scores[(scores["class"] == "all") & (scores["method"] == "headline")]
    beating = overall[overall["skill_lower"] > 0]
    worse = overall[overall["skill_upper"] < 0]
    best = overall.sort_values("skill", ascending=False).iloc[0]
    answer = (f"The headline beats the naive reference on {len(beating)} of {len(overall)} questions"
              + (f" ({present.words([question_words(q) for q in beating['question']])})" if len(beating) else "")
              + f"; it is worse on {len(worse)}"
              + (f" ({present.words([question_words(q) for q in worse['question']])})" if len(worse) else "")
              + " and cannot be told apart on the rest.")
    return present.Headline(
        question=(f"Had the suite forecast each past round of the {conflict_name(conflict)} (and each week's "
                  f"exchange windows) in real time, would its headline have beaten the naive reference?"),
        answer=answer,
        basis=(f"Rolling-origin backtest: each forecast made only from what came before its target; skill = 1 - "
               f"score / the reference's score, with a 90% interval from {n_bootstrap:,} cluster-bootstrap resamples."),
        record=f"Best question: {question_words(best['question'])}, {skill_words(best)}.",
        data_as_of=present.data_age(last_day),
        summary=answer)


def next_round(chosen: Scenario, prediction: pd.DataFrame, warnings: list[str], last_day,
               described_as: str) -> present.Headline:
    """Report 05: the headline probability of a swap at the described round, with its record."""
    headline = prediction[(prediction["question"] == "swap_agreed") & (prediction["method"] == "headline")].iloc[0]
    candidates = prediction[(prediction["question"] == "swap_agreed") & (prediction["method"] != "headline")]
    answer = f"{present.with_interval(headline['p'], headline['lower'], headline['upper'])} chance of a swap agreed"
    overall = (f"skill {present.with_interval(headline['skill'], headline['skill_lower'], headline['skill_upper'], present.signed)}"
               f" against the base rate over {present.whole(headline['backtest_n'])} earlier rounds"
               if not present.is_missing(headline["skill"]) else "no track record yet")
    within = ("" if present.is_missing(headline["class_skill"]) else
              f"; for rounds like this one ({headline['class'].replace('_', ' ').replace('=', ': ')}) "
              f"{present.with_interval(headline['class_skill'], headline['class_skill_lower'], headline['class_skill_upper'], present.signed)}"
              f" over {present.whole(headline['class_n'])}")
    described = chosen.describe()
    return present.Headline(
        question=f"Will {described} agree a prisoner exchange?",
        answer=answer + " (90% interval).",
        basis=(f"The equal-weight mean of {len(candidates)} methods ({present.words(candidates['method'])}), each "
               f"from the {present.whole(headline['n'])} earlier rounds of the {conflict_name(chosen.conflict)}; "
               f"{described_as}" + (f"; {'; '.join(chosen.assumed)}" if chosen.assumed else "") + "."),
        record=f"Track record of this headline: {overall}{within}.",
        data_as_of=present.data_age(last_day),
        warnings=list(warnings),
        summary=f"{answer}.",
        describes=described)


def crowd(table: pd.DataFrame, rows: pd.DataFrame, n_crowd: int) -> present.Headline:
    """Report 06: the suite's Brier score against the crowd's on the resolved comparable forecasts (the data age
    is that of the last event in any conflict)."""
    rounds, exchanges = data.load_rounds(conflict=None), data.load_exchanges(conflict=None)
    last_day = max(rounds["date_end"].max(), exchanges["date"].max())
    overall = table.set_index("platform").loc["all platforms"]
    verdict_words = ("did better than" if overall["difference_upper"] < 0 else
                     "did worse than" if overall["difference_lower"] > 0 else "cannot be told apart from")
    resolved = rows[rows["outcome"].notna()]
    wins = int(((resolved["suite_p"] - resolved["outcome"]) ** 2 < (resolved["crowd_p"] - resolved["outcome"]) ** 2).sum())
    answer = (f"The suite {verdict_words} the crowd: Brier {overall['suite_brier']:.3f} against "
              f"{overall['crowd_brier']:.3f} on {int(overall['n'])} resolved forecasts (difference "
              f"{present.with_interval(overall['suite_minus_crowd'], overall['difference_lower'], overall['difference_upper'], lambda v: f'{v:+.3f}')}).")
    return present.Headline(
        question=("On the questions forecasting platforms and markets asked (a ceasefire, a leaders' meeting, an "
                  "exchange by a date), did the suite forecast better or worse than the crowd?"),
        answer=answer,
        basis=(f"{n_crowd} crowd forecasts are in the table and {len(rows)} map onto a suite question; the suite's "
               f"forecast for each is made from the data before the crowd's day, by its deadline method."),
        record=f"Forecast by forecast, the suite was closer to the outcome on {wins} of {len(resolved)}.",
        data_as_of=present.data_age(last_day),
        summary=answer)

