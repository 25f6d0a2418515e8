"""The ``forecast`` command line: the suite's jobs without a notebook.

Exit codes: 0 success; 1 a data or ledger problem (bad file, refused write, failed build); 2 a usage mistake
(unknown subcommand or value, malformed date or number) or a forecast the suite refuses to give (nothing backs
it). Errors are one line per problem on stderr (the first 20, then a count by kind); pass ``--debug`` for a
traceback. Heavy libraries (pandas, statsmodels) are imported only by the commands that need them, so the
ledger commands start fast.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import re
import sys
import warnings
from pathlib import Path

from forecast import __version__, codes, defaults, paths
from forecast.errors import DataError, RefusedForecast, summarise

OUTCOMES = ("swap_agreed", "ceasefire_agreed", "next_round_agreed")
"""Round outcomes the commands offer; ``tests/test_cli.py`` holds this to ``forecast.features.OUTCOMES``."""

EXAMPLES = """examples:
  forecast validate
  forecast base-rate --outcome swap_agreed --by parties
  forecast predict --date 2026-03-20 --parties US-RU-UA --mediator "United Arab Emirates" --level senior_officials
  forecast backtest --outcome ceasefire_agreed
  forecast log --question "Swap at the next trilateral round?" --outcome swap_agreed --target 2026-03-20 \\
               --probability 0.3 --method logistic --ledger /tmp/try-ledger.csv
  forecast resolve F0001 --outcome yes --ledger /tmp/try-ledger.csv
  forecast resolve --from-data --ledger /tmp/try-ledger.csv
  forecast score --ledger /tmp/try-ledger.csv
  forecast ask any_ceasefire_by --by 2026-01-01 --as-of 2025-05-08
  forecast report --params scenario.yml
"""

QUESTIONS_WITH_RECORDS = (*OUTCOMES, "ceasefire_progress",
                          *(f"exchange_within_{days}d" for days in defaults.EXCHANGE_HORIZONS_DAYS))
"""Questions ``forecast backtest`` scores; ``tests/test_cli.py`` holds this to ``evaluate.QUESTION_KINDS``."""

NOT_AVAILABLE = "n/a"
"""What tables print where a value does not exist (an empty calibration bin, an undefined skill); JSON has null."""


class UsageError(Exception):
    """A mistake in how the command was called (exit code 2)."""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit code 2; ``-inf``, ``-1e3`` and the like are read as values."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-(\d+|\d*\.\d+|inf|infinity|nan)([eE][-+]?\d+)?$",
                                                   re.IGNORECASE)

    def error(self, message: str):
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def iso_date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; expected YYYY-MM-DD, e.g. 2026-03-20") from None


def probability(text: str) -> float:
    from forecast.ledger import parse_probability

    try:
        return parse_probability(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def interval_mass(text: str) -> float:
    """An interval's probability mass, strictly between 0 and 1 (0.9 for a 90% interval)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed; expected a number strictly between 0 and 1, "
                                         "e.g. 0.9 for 90% intervals")
    return value


def whole_number(low: int, high: int | None = None):
    """An argparse type: a whole number in [low, high], echoing the value as typed when it is not."""
    bounds = f">= {low}" if high is None else f"from {low} to {high}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; expected one {bounds}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{text!r} is not allowed; expected a whole number {bounds}")
        return value

    return parse


def _emit(frame, as_json: bool, title: str | None = None) -> None:
    """Print a frame as a table (missing values as NOT_AVAILABLE) or as JSON records (missing as null)."""
    import pandas as pd

    if as_json:
        print(frame.to_json(orient="records", date_format="iso", double_precision=15))
        return
    if title:
        print(title)
    with pd.option_context("display.width", 160, "display.max_columns", 30, "display.max_colwidth", 60):
        print(frame.to_string(index=False, na_rep=NOT_AVAILABLE, float_format="{:.3f}".format))


def _warn(lines: list[str]) -> None:
    for line in lines:
        print(f"warning: {line}", file=sys.stderr)


# --- subcommands -----------------------------------------------------------------------------------------

def _table_kind(target: Path) -> str | None:
    name = target.name
    if "forecast" in name or "ledger" in name:
        return "ledger"
    return next((kind for kind in ("conflicts", "rounds", "exchanges", "sources") if kind in name), None)


def _validate_ledger(target: Path) -> tuple[str, list[str]]:
    from forecast import ledger

    if not target.exists():
        raise DataError([f"{target}: no ledger there (nothing has been logged to it yet)"])
    rows, found_warnings = ledger.check(target)
    _warn(found_warnings)
    return f"{target}: {len(rows.rows)} forecasts, format valid and seals intact", []


def cmd_validate(args) -> int:
    """Validate the tables (or the given copies) and the ledger; every problem is printed, exit 1 if any."""
    from forecast import data

    targets = [(Path(p), _table_kind(Path(p))) for p in args.paths] or [
        (paths.conflicts_csv(), "conflicts"), (paths.rounds_csv(), "rounds"), (paths.exchanges_csv(), "exchanges"),
        (paths.sources_csv(), "sources")]
    ledger_file = args.ledger or (None if args.paths else paths.ledger_csv())
    if ledger_file is not None and (args.ledger or ledger_file.exists()):
        targets.append((ledger_file, "ledger"))
    problems: list[str] = []
    for target, kind in targets:
        folder = target.parent
        sibling = {name: folder / name if (folder / name).exists() else default
                   for name, default in (("rounds.csv", paths.rounds_csv()), ("sources.csv", paths.sources_csv()),
                                         ("conflicts.csv", paths.conflicts_csv()))}
        try:
            if kind == "rounds":
                frame = data.load_rounds(target, sources_path=sibling["sources.csv"],
                                         conflicts_path=sibling["conflicts.csv"], conflict=None)
            elif kind == "exchanges":
                frame = data.load_exchanges(target, rounds_path=sibling["rounds.csv"],
                                            sources_path=sibling["sources.csv"],
                                            conflicts_path=sibling["conflicts.csv"], conflict=None)
            elif kind == "sources":
                frame = data.load_sources(target)
            elif kind == "conflicts":
                frame = data.load_conflicts(target, sources_path=sibling["sources.csv"])
            elif kind == "ledger":
                print(_validate_ledger(target)[0])
                continue
            else:
                raise UsageError(f"forecast validate: cannot tell which table {target} is; expected a file name "
                                 "containing conflicts, rounds, exchanges, sources, or forecast/ledger for a ledger")
            print(f"{target}: {len(frame)} rows, valid")
        except DataError as error:
            problems += error.problems
    if problems:
        for problem in summarise(problems):
            print(problem, file=sys.stderr)
        print(f"forecast validate: {len(problems)} problem(s) found", file=sys.stderr)
        return 1
    if not args.paths:
        print(data.provenance().line())
    return 0


def cmd_base_rate(args) -> int:
    import pandas as pd

    from forecast import base_rates, data, features

    if args.across_conflicts:
        from forecast import pooling

        moves = pooling.estimate_moves(args.outcome, level=args.interval)
        _emit(moves, args.json, f"P({args.outcome}) for a round with both sides at the table, as the reference "
                                f"class widens ({args.interval:.0%} intervals; dataset {data.dataset_version()}): "
                                "1 the conflict's rounds, 2 its both-sides rounds, 3 pooled across conflicts "
                                "(hierarchical beta-binomial), 4 a new conflict")
        return 0
    frame = features.round_features(conflict=args.conflict)
    if args.by and args.by not in frame:
        raise UsageError(f"forecast base-rate: unknown --by column {args.by!r}; try parties, year, level, "
                         "format, primary_mediator, both_sides_at_table")
    try:
        chosen = frame.query(args.where) if args.where else frame
    except (SyntaxError, KeyError, NameError, ValueError, TypeError, pd.errors.UndefinedVariableError) as error:
        raise UsageError(f"forecast base-rate: --where {args.where!r} is not a valid condition ({error}); "
                         "example: --where \"year >= 2025\"") from None
    if chosen[args.outcome].notna().sum() == 0:
        raise RefusedForecast(f"forecast base-rate: no round{' matching --where ' + repr(args.where) if args.where else ''} "
                              f"has a known {args.outcome}; a rate from no rounds would only repeat the prior")
    table = base_rates.rates_by(chosen, args.outcome, by=args.by or None, prior=args.prior, level=args.interval)
    empty = table["trials"] == 0
    _warn([f"class {group!r}: no rounds with a known {args.outcome}, left out" for group in table.loc[empty, "group"]])
    _emit(table[~empty], args.json, f"P({args.outcome}) by {args.by or 'all rounds'}, {args.interval:.0%} intervals, "
                                    f"{args.prior} prior ({data.provenance(conflict=args.conflict).line()})")
    return 0


def _skill_text(row) -> str:
    """'skill +0.07 (0.03 to 0.13) over 52' for a scores row, or why there is none."""
    import math

    if row is None or (isinstance(row.get("skill"), float) and math.isnan(row["skill"])):
        return "no track record yet"
    return (f"skill {row['skill']:+.2f} ({row['skill_lower']:+.2f} to {row['skill_upper']:+.2f}) "
            f"over {int(row['n'])}")


def cmd_predict(args) -> int:
    import numpy as np

    from forecast import data, features, predict

    provenance = data.provenance(conflict=args.conflict)
    try:
        round_row = features.hypothetical_round(args.date, args.parties, args.level, args.mediator,
                                                args.venue or "", conflict=args.conflict, round_format=args.format)
    except ValueError as error:
        raise UsageError(f"forecast predict: {error}") from None
    history = features.round_features(conflict=args.conflict)
    table = predict.predict_round(round_row, history)
    found_warnings = predict.forecast_warnings(table, round_row, history, provenance.last_date)
    scores, _ = predict.track_record_for(round_row, np.random.default_rng(args.seed), n_bootstrap=args.bootstrap)
    table = predict.attach_track_record(table, round_row, scores)
    if args.json:
        print(json.dumps({"round": {"conflict": args.conflict, "date": args.date, "parties": args.parties,
                                    "mediator": args.mediator, "venue": args.venue, "level": args.level,
                                    "format": args.format},
                          "dataset_version": provenance.version, "warnings": found_warnings,
                          "forecasts": json.loads(table.to_json(orient="records", double_precision=15))}))
        return 0
    print(f"Forecast for a {args.parties} round ({args.conflict}) on {args.date}"
          f"{' in ' + args.venue if args.venue else ''}, mediator {args.mediator}, level {args.level}")
    print(provenance.line())
    headlines = table[table["method"] == "headline"]
    label = headlines["class"].iloc[0]
    for row in headlines.to_dict("records"):
        class_row = None if row["class_n"] != row["class_n"] else {"skill": row["class_skill"], "n": row["class_n"],
                                                                  "skill_lower": row["class_skill_lower"],
                                                                  "skill_upper": row["class_skill_upper"]}
        overall_row = {"skill": row["skill"], "skill_lower": row["skill_lower"], "skill_upper": row["skill_upper"],
                       "n": row["backtest_n"]}
        print(f"  {row['text']} {row['p']:.0%} ({row['lower']:.0%} to {row['upper']:.0%}); track record vs "
              f"{row['reference']}: {_skill_text(overall_row)}"
              + (f", {label}: {_skill_text(class_row)}" if class_row else ""))
    print("\nSteps behind each headline (its equal-weight mean), with each step's own track record:")
    columns = ["question", "step", "method", "p", "lower", "upper", "reference_class", "n", "skill", "skill_lower",
               "skill_upper"]
    _emit(table[columns], False)
    print("Skill: 1 - Brier / Brier of the reference, from backtests on targets before this date; trust a step "
          "only if its interval lies above 0.")
    for line in found_warnings:
        print(f"Warning: {line}")
    return 0


def cmd_backtest(args) -> int:
    import numpy as np
    import pandas as pd

    from forecast import evaluate, methods

    if args.pooling:
        from forecast import features, pooling

        frame = features.round_features(conflict=None)
        if args.as_of:
            frame = frame[frame["date_start"] < pd.Timestamp(args.as_of)]
        chosen = [q for q in (args.question or methods.BINARY_QUESTIONS) if q in methods.BINARY_QUESTIONS]
        forecasts = pd.concat([pooling.pooled_forecasts(frame, question) for question in chosen], ignore_index=True)
        scores = pooling.pooling_scores(forecasts, np.random.default_rng(args.seed), args.bootstrap)
        if args.json:
            print(json.dumps({"scores": json.loads(scores.to_json(orient="records", double_precision=15)),
                              "forecasts": json.loads(forecasts.drop(columns=["event"]).to_json(
                                  orient="records", date_format="iso", double_precision=15))}))
            return 0
        print("Pooling across conflicts, rolling origin: within each conflict (base_rate = the conflict's own "
              "rounds, pooled = hierarchical beta-binomial, complete_pooling = all conflicts as one) and leaving "
              "each conflict out (new_conflict = the model's predictive from the other conflicts, against "
              "no_history = 0.5). Skill is Brier skill against the scheme's reference.")
        _emit(scores[scores["conflict"] == "all conflicts"].drop(columns=["conflict"]), False)
        return 0
    scores, forecasts = evaluate.track_record(rng=np.random.default_rng(args.seed), n_bootstrap=args.bootstrap,
                                              as_of=pd.Timestamp(args.as_of) if args.as_of else None,
                                              conflict=args.conflict)
    chosen = args.question or list(evaluate.QUESTION_KINDS)
    scores = scores[scores["question"].isin(chosen)]
    forecasts = forecasts[forecasts["question"].isin(chosen)]
    if forecasts.empty:
        raise RefusedForecast(f"forecast backtest: no target of {', '.join(chosen)} has enough history "
                              f"({args.conflict}{', before ' + args.as_of if args.as_of else ''})")
    if args.json:
        shown = forecasts.drop(columns=[c for c in ("chosen", "n_history", "event") if c in forecasts])
        print(json.dumps({"scores": json.loads(scores.to_json(orient="records", double_precision=15)),
                          "forecasts": json.loads(shown.to_json(orient="records", date_format="iso",
                                                                double_precision=15))}))
        return 0
    print(f"Track record ({args.conflict}): rolling-origin backtests, each method scored against its naive "
          f"reference; skill = 1 - score / reference score with a {args.bootstrap}-resample bootstrap interval "
          "(rounds of one event resampled together; exchange origins in blocks).")
    for question in chosen:
        part = scores[(scores["question"] == question) & (scores["class"] == "all")].set_index("method")
        if part.empty:
            continue
        head = part.loc["headline"]
        kind = evaluate.QUESTION_KINDS[question]
        candidates = {"binary": methods.binary_candidates(), "progress": methods.PROGRESS_CANDIDATES,
                      "exchange": methods.exchange_candidates()}[kind]
        verdict = ("beats" if head["skill_lower"] > 0 else "does not beat" if head["skill_upper"] < 0
                   else "is not distinguishable from")
        print(f"\n{question}: the headline (mean of {len(candidates)} candidates) {verdict} {head['reference']}: "
              f"{_skill_text(head.to_dict())}.")
        best = part.drop(index=[head.name]).sort_values("skill", ascending=False)
        _emit(best.reset_index()[["method", "n", "brier", "log_loss", "rps", "skill", "skill_lower", "skill_upper"]]
              .dropna(axis=1, how="all"), False)
        split = scores[(scores["question"] == question) & (scores["method"] == "headline")
                       & scores["class"].str.startswith("both_sides")]
        if len(split):
            print("  headline by class: " + "; ".join(f"{row['class']}: {_skill_text(row)}"
                                                      for row in split.to_dict("records")))
        if kind == "binary":
            events_table = evaluate.per_event_table(forecasts, question, ("base_rate", "class:both_sides_at_table",
                                                                          "logistic", "headline"))
            print(f"  every yes outcome ({len(events_table)}) and what the methods said before it:")
            events_table["date"] = events_table["date"].dt.strftime("%Y-%m-%d")
            _emit(events_table, False)
    return 0


def cmd_ask(args) -> int:
    import numpy as np

    from forecast import deadlines, events

    answer = deadlines.ask(args.question, args.by, args.as_of, args.conflict, np.random.default_rng(args.seed),
                           args.bootstrap)
    record = answer.record
    if args.json:
        print(json.dumps({"question": answer.question, "conflict": answer.conflict, "by": args.by,
                          "as_of": f"{answer.as_of:%Y-%m-%d}", "counted_from": f"{answer.origin:%Y-%m-%d}",
                          "horizon_days": answer.horizon_days, "p": answer.p, "lower": answer.lower,
                          "upper": answer.upper, "steps": answer.steps, "track_record": record,
                          "warnings": answer.warnings}, default=float))
        return 0
    print(f"P({events.DEADLINE_QUESTIONS[answer.question]} by {args.by} | {answer.conflict} data before "
          f"{answer.as_of:%Y-%m-%d}) = {answer.p:.0%} ({answer.lower:.0%} to {answer.upper:.0%})")
    if record is None:
        print("Track record: none yet.")
    elif record["skill"] != record["skill"]:
        print(f"Track record ({record['question']}, {record['n']} monthly origins, {record['yes']} with the event): "
              f"Brier {record['brier']:.3f}; skill against climatology is not defined when every window came out "
              "the same.")
    else:
        print(f"Track record ({record['question']}, {record['n']} monthly origins, {record['yes']} with the event): "
              f"Brier skill vs climatology {record['skill']:+.2f} ({record['skill_lower']:+.2f} to "
              f"{record['skill_upper']:+.2f}).")
    _emit(_frame(answer.steps), False, f"Steps (counted over {answer.horizon_days} days from "
                                       f"{answer.origin:%Y-%m-%d}; the headline is their equal-weight mean):")
    for line in answer.warnings:
        print(f"Warning: {line}")
    return 0


def cmd_compare(args) -> int:
    import numpy as np

    from forecast import compare

    rows = compare.head_to_head()
    table = compare.scores(rows, np.random.default_rng(args.seed), args.bootstrap)
    if args.json:
        print(json.dumps({"rows": json.loads(rows.to_json(orient="records", date_format="iso", double_precision=15)),
                          "scores": json.loads(table.to_json(orient="records", double_precision=15))}))
        return 0
    shown = rows.assign(deadline=rows["deadline"].dt.strftime("%Y-%m-%d"), as_of=rows["as_of"].dt.strftime("%Y-%m-%d"))
    _emit(shown[["platform", "question", "deadline", "as_of", "crowd_p", "suite_p", "outcome"]], False,
          f"{len(rows)} comparable crowd forecasts and the suite's forecast for the same question, as of the same "
          "day, from the data before it (outcome n/a: still open)")
    _emit(table, False, "\nScores on the resolved rows (Brier; suite_minus_crowd < 0: the suite did better, with a "
                        "paired bootstrap interval)")
    print("Caveats: the resolved questions are few and mostly resolved no, so a forecaster that always says "
          "'unlikely' wins them; a platform's rows are often one question on several days; the suite's numbers come "
          "from its fixed method, not tuned to the crowd.")
    return 0


def _frame(rows):
    import pandas as pd

    return pd.DataFrame(rows)


def cmd_report(args) -> int:
    from forecast import report

    jobs = [report.scenario_job(args.params)] if args.params else None
    try:
        built = report.build(jobs, out_dir=args.out, floor=args.floor)
    except report.Cancelled as cancelled:
        import os

        # One line, no traceback. os._exit, not a return: a worker thread may still be unwinding from its killed
        # kernel and the interpreter would wait for it; build has already removed every kernel and file.
        sys.stdout.flush()
        print(f"forecast report: {cancelled}", file=sys.stderr, flush=True)
        os._exit(cancelled.exit_code)
    total = sum(item.seconds for item in built)
    print(f"{len(built)} report(s), {total:.1f}s of notebook time")
    return 0


def cmd_log(args) -> int:
    from forecast import ledger

    row = ledger.log(args.question, args.outcome, args.target, args.probability, args.method, path=args.ledger,
                     forecast_id=args.id, base_rate=args.base_rate)
    print(f"logged {row['forecast_id']}: P = {row['probability']} for {row['outcome']} at {row['target']} "
          f"(base rate {row['base_rate'] or 'none'}; dataset {row['dataset_version']})")
    return 0


def cmd_resolve(args) -> int:
    from forecast import ledger

    if args.from_data:
        if args.forecast_id or args.outcome:
            raise UsageError("forecast resolve: --from-data resolves every open forecast the tables settle; "
                             "give it without a forecast id or --outcome")
        report = ledger.resolve_from_data(args.ledger, conflict=args.conflict)
        for item in report:
            verb = f"resolved {item.forecast_id} as {item.resolution}" if item.resolution else f"left {item.forecast_id} open"
            print(f"{verb}: {item.reason}")
        settled = sum(item.resolution is not None for item in report)
        print(f"{settled} of {len(report)} open forecast(s) resolved from the data; resolved rows were not touched")
        return 0
    if not args.forecast_id or not args.outcome:
        raise UsageError("forecast resolve: give a forecast id and --outcome yes|no, or --from-data")
    row = ledger.resolve(args.forecast_id, args.outcome, path=args.ledger)
    print(f"resolved {row['forecast_id']} as {row['resolution']} at {row['resolved_at']}")
    return 0


def cmd_score(args) -> int:
    from forecast import ledger

    summary, calibration = ledger.score(args.ledger, bins=args.bins)
    if args.json:
        print(json.dumps({"scores": json.loads(summary.to_json(orient="records", double_precision=15)),
                          "calibration": json.loads(calibration.to_json(orient="records", double_precision=15))}))
        return 0
    _emit(summary, False, "Scores of resolved forecasts (Brier, log loss in nats, skill vs the stored base rate)")
    if summary["brier_skill_vs_base_rate"].isna().any():
        print(f"({NOT_AVAILABLE}: no stored base rate, or the base rates were perfect, so skill is undefined)")
    _emit(calibration, False, "\nCalibration")
    return 0


# --- parser ----------------------------------------------------------------------------------------------

def add_conflict_option(command, help_text: str | None = None) -> None:
    command.add_argument("--conflict", default=codes.DEFAULT_CONFLICT,
                         help=help_text or f"conflict id of conflicts.csv (default {codes.DEFAULT_CONFLICT})")


def add_bootstrap_options(command) -> None:
    """--bootstrap and --seed, as every command with a track record takes them."""
    command.add_argument("--bootstrap", type=whole_number(100, 1_000_000), default=defaults.N_BOOTSTRAP,
                         help=f"bootstrap resamples for the skill intervals, 100 or more (default {defaults.N_BOOTSTRAP})")
    command.add_argument("--seed", type=int, default=defaults.SEED, help="seed of the bootstrap")


def build_parser() -> Parser:
    parser = Parser(prog="forecast", description="Forecasts for rounds of Russia-Ukraine talks from the curated "
                    "tables: validate data, base rates, predictions, backtests, reports and a forecast ledger.",
                    epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"talks-forecast {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    def add(name, function, help_text, description=None):
        command = sub.add_parser(name, help=help_text, description=description or help_text,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
        command.set_defaults(function=function)
        command.add_argument("--debug", action="store_true", help="show tracebacks on errors")
        return command

    ledger_help = f"ledger CSV (default: {paths.ledger_csv()}, or $FORECAST_LEDGER)"
    command = add("validate", cmd_validate, "check the data tables (and the ledger) against the codebook",
                  "Validate rounds.csv, exchanges.csv and sources.csv (or copies: files whose names contain "
                  "rounds, exchanges or sources; cross-references use sibling files when present), and the forecast "
                  "ledger (its format and its tamper seals; the default ledger when it exists, or a file whose name "
                  "contains forecast or ledger). Prints a summary and exits 0, or every problem as file:line, "
                  "column, value, expected, and exits 1.")
    command.add_argument("paths", nargs="*", metavar="PATH", help="CSV files to check (default: data/)")
    command.add_argument("--ledger", type=Path, help=ledger_help)

    command = add("base-rate", cmd_base_rate, "rates of an outcome with intervals, by reference class")
    command.add_argument("--outcome", required=True, choices=OUTCOMES, help="yes/no outcome of a round")
    command.add_argument("--by", help="group by this column (e.g. parties, year, level, both_sides_at_table)")
    command.add_argument("--where", help='restrict rounds first, pandas query syntax, e.g. "year >= 2025"')
    command.add_argument("--prior", default="jeffreys", choices=["jeffreys", "uniform"], help="Beta prior")
    add_conflict_option(command)
    command.add_argument("--across-conflicts", action="store_true",
                         help="how the rate of a both-sides round moves from each conflict's own rounds to the rate "
                              "pooled across conflicts and to a new conflict's")
    command.add_argument("--interval", type=interval_mass, default=0.9,
                         help="interval mass, strictly between 0 and 1 (default 0.9)")
    command.add_argument("--json", action="store_true", help="machine-readable output")

    command = add("predict", cmd_predict, "the headline forecast of each question for a described round",
                  "Forecast, for a round you describe, whether it agrees a prisoner exchange, a ceasefire (progress "
                  ">= 2) and a next round, and whether an exchange follows within 30/60/90 days: one headline "
                  "probability per question with its interval and its track record (skill against the naive "
                  "reference over earlier rounds, overall and for rounds like this one), then the steps behind it. "
                  "A round dated before the first round in the data is refused (exit 2); one dated long after the "
                  "data's last day gets a warning.")
    command.add_argument("--date", required=True, type=iso_date, help="first day of the round, YYYY-MM-DD")
    add_conflict_option(command)
    command.add_argument("--parties", required=True,
                         help="delegation codes joined by '-' (Russia-Ukraine: " + ", ".join(codes.PARTIES) + ")")
    command.add_argument("--mediator", default="none",
                         help="third-party hosts or mediators joined by '; ' (default: none), from: "
                              + ", ".join(codes.MEDIATORS))
    command.add_argument("--format", default="in_person", choices=codes.FORMATS, help="how they meet (default in_person)")
    command.add_argument("--venue", help="city (recorded, not used by the models)")
    command.add_argument("--level", required=True, choices=codes.LEVELS,
                         help="highest rank at the table (the models need it)")
    add_bootstrap_options(command)
    command.add_argument("--json", action="store_true", help="machine-readable output (with a warnings list)")

    command = add("backtest", cmd_backtest, "the track record of every question the suite answers",
                  "Rolling-origin backtests of every question (swap, ceasefire and next round agreed per round; "
                  "ceasefire progress 0-3; an exchange within 30/60/90 days from weekly origins), each method "
                  "scored against its naive reference (base rate or climatology), overall and by class. --json "
                  "prints {scores, forecasts}, so that anyone can recompute the scores.")
    command.add_argument("--question", nargs="+", choices=list(QUESTIONS_WITH_RECORDS),
                         help="questions to show (default: all)")
    add_conflict_option(command)
    command.add_argument("--as-of", type=iso_date, help="score only targets before this day")
    command.add_argument("--pooling", action="store_true",
                         help="score pooling across conflicts (within each conflict and leaving each out) instead")
    add_bootstrap_options(command)
    command.add_argument("--json", action="store_true", help="machine-readable output")

    command = add("ask", cmd_ask, "P(an event by a deadline), as of any day, with its track record",
                  "Answer a question with a deadline, as forecasting platforms ask them: the probability that the "
                  "event happens by --by, from the data before --as-of (default: the day after the data end), with "
                  "an interval, the steps behind it and the method's record at the nearest backtested horizon.")
    command.add_argument("question", choices=codes.DEADLINE_QUESTIONS, help="the event")
    command.add_argument("--by", required=True, type=iso_date, help="the deadline, YYYY-MM-DD")
    command.add_argument("--as-of", type=iso_date, help="only data before this day (default: all)")
    add_conflict_option(command)
    add_bootstrap_options(command)
    command.add_argument("--json", action="store_true", help="machine-readable output")

    command = add("compare", cmd_compare, "the suite against crowds and markets on the same questions",
                  "For every comparable crowd or market forecast in data/crowd_forecasts.csv, the suite's forecast "
                  "for the same question as of the same day from the data before it; then Brier and log loss per "
                  "platform on the resolved questions, the suite on exactly those rows.")
    add_bootstrap_options(command)
    command.add_argument("--json", action="store_true", help="machine-readable output")

    command = add("report", cmd_report, "execute the notebooks and write HTML and PDF reports",
                  "Execute every notebook into reports/ (HTML, PDF, index.html). With --params FILE.yml, render "
                  "only the next-round notebook with those parameters, under a name of its own. The build writes "
                  "into a staging folder and replaces the previous reports only when it succeeds; Ctrl-C stops it "
                  "within 2 s and leaves the previous reports as they were.")
    command.add_argument("--params", help="YAML file of next-round parameters (round_date, parties, ...)")
    command.add_argument("--out", type=Path, help="output folder (default: reports/)")
    command.add_argument("--floor", action="store_true",
                         help="first time the floor (as many kernels as reports, started the same way, 2 at a "
                              "time, each only importing the package) and print the build's time against it")

    command = add("log", cmd_log, "record an issued forecast in the ledger",
                  "Append a forecast to the ledger (under a lock, atomically, sealed so that later edits show). "
                  "Ids are never reused.")
    command.add_argument("--question", required=True, help="the question in words")
    command.add_argument("--outcome", required=True,
                         help="what the question is about: a round outcome (swap_agreed, ceasefire_agreed, "
                              "next_round_agreed) or a deadline question (exchange_by, round_by, leaders_meet_by, "
                              "any_ceasefire_by, general_ceasefire_by); other names are kept but never resolved "
                              "from the data")
    command.add_argument("--target", required=True, help="round id, or deadline YYYY-MM-DD, the question is about")
    command.add_argument("--probability", required=True, type=probability, help="P(yes), between 0 and 1")
    command.add_argument("--method", required=True, help="how the probability was made (e.g. logistic)")
    command.add_argument("--base-rate", type=probability, help="reference probability for skill "
                         "(default: the outcome's current base rate, if it is a round outcome)")
    command.add_argument("--id", help="forecast id (default: the next F0001-style number)")
    command.add_argument("--ledger", type=Path, help=ledger_help)

    command = add("resolve", cmd_resolve, "record how logged forecasts resolved (once each)",
                  "Resolve one forecast by hand (ID --outcome yes|no), or with --from-data every open forecast the "
                  "curated tables now settle: a round id's coded outcome, or a deadline question whose event "
                  "happened (yes) or whose deadline the tables cover without it (no). Resolutions are never "
                  "rewritten.")
    command.add_argument("forecast_id", nargs="?", help="id of the logged forecast")
    command.add_argument("--outcome", choices=["yes", "no"], help="what happened")
    command.add_argument("--from-data", action="store_true", help="resolve what the tables settle, print each")
    add_conflict_option(command, f"with --from-data: the conflict whose tables settle the questions (default "
                                 f"{codes.DEFAULT_CONFLICT})")
    command.add_argument("--ledger", type=Path, help=ledger_help)

    command = add("score", cmd_score, "Brier, log loss, skill and calibration of resolved forecasts")
    command.add_argument("--bins", type=whole_number(1, 50), default=5, help="calibration bins, 1 to 50 (default 5)")
    command.add_argument("--ledger", type=Path, help=ledger_help)
    command.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "function", None):
            parser.print_help()
            return 2
        with warnings.catch_warnings():
            if not debug:
                warnings.simplefilter("ignore")
            return args.function(args)
    except (UsageError, RefusedForecast) as error:
        if debug:
            raise
        text = str(error)
        command = getattr(locals().get("args"), "command", None)
        print(text if text.startswith("forecast") or not command else f"forecast {command}: {text}", file=sys.stderr)
        return 2
    except DataError as error:  # one line per problem, each naming file, line and column
        if debug:
            raise
        print("\n".join(summarise(error.problems)), file=sys.stderr)
        return 1
    except (ValueError, OSError, RuntimeError) as error:  # LedgerError, ReportError, missing files, ...
        if debug:
            raise
        print(f"forecast: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
