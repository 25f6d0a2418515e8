"""The ``forecast`` command line: the suite's jobs without a notebook.

Exit codes: 0 success; 1 a data or ledger problem (bad file, refused write, failed build); 2 a usage mistake
(unknown subcommand or value, malformed date or probability). Errors are one line per problem on stderr; pass
``--debug`` for a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from forecast import __version__, data, paths
from forecast.features import OUTCOMES

EXAMPLES = """examples:
  forecast validate
  forecast base-rate --outcome swap_agreed --by parties
  forecast predict --date 2026-03-20 --parties US-RU-UA --mediator "United Arab Emirates" --level senior_officials
  forecast backtest --outcome ceasefire_agreed
  forecast log --question "Swap at the next trilateral round?" --outcome swap_agreed --target 2026-03-20 \\
               --probability 0.3 --method logistic
  forecast resolve F0001 --outcome yes
  forecast score
  forecast report --params scenario.yml
"""



class UsageError(Exception):
    """A mistake in how the command was called (exit code 2)."""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit code 2."""

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


def _emit(frame: pd.DataFrame, as_json: bool, title: str | None = None) -> None:
    if as_json:
        print(frame.to_json(orient="records", date_format="iso", double_precision=15))
        return
    if title:
        print(title)
    with pd.option_context("display.width", 160, "display.max_columns", 30, "display.max_colwidth", 60,
                           "display.float_format", "{:.3f}".format):
        print(frame.to_string(index=False))


# --- subcommands -----------------------------------------------------------------------------------------

def cmd_validate(args) -> int:
    """Validate the tables (or the given copies); every problem is printed, exit 1 if any."""
    targets = [Path(p) for p in args.paths] or [paths.rounds_csv(), paths.exchanges_csv(), paths.sources_csv()]
    problems: list[str] = []
    for target in targets:
        folder = target.parent
        sibling = {name: folder / name if (folder / name).exists() else default
                   for name, default in (("rounds.csv", paths.rounds_csv()), ("sources.csv", paths.sources_csv()))}
        kind = next((k for k in ("rounds", "exchanges", "sources") if k in target.name), None)
        try:
            if kind == "rounds":
                frame = data.load_rounds(target, sources_path=sibling["sources.csv"])
            elif kind == "exchanges":
                frame = data.load_exchanges(target, rounds_path=sibling["rounds.csv"],
                                            sources_path=sibling["sources.csv"])
            elif kind == "sources":
                frame = data.load_sources(target)
            else:
                raise UsageError(f"forecast validate: cannot tell which table {target} is; "
                                 "expected a file name containing rounds, exchanges or sources")
            print(f"{target}: {len(frame)} rows, valid")
        except data.DataError as error:
            problems += error.problems
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"forecast validate: {len(problems)} problem(s) found", file=sys.stderr)
        return 1
    if not args.paths:
        print(data.provenance().line())
    return 0


def cmd_base_rate(args) -> int:
    from forecast import base_rates, features

    frame = features.round_features()
    if args.by and args.by not in frame:
        raise UsageError(f"forecast base-rate: unknown --by column {args.by!r}; try parties, year, level, "
                         "format, primary_mediator, ru_ua_at_table")
    try:
        table = base_rates.rates_by(frame, args.outcome, by=args.by or None, where=args.where,
                                    prior=args.prior, level=args.interval)
    except (SyntaxError, KeyError, NameError, pd.errors.UndefinedVariableError) as error:
        raise UsageError(f"forecast base-rate: --where {args.where!r} is not a valid condition ({error}); "
                         "example: --where \"year >= 2025\"") from None
    _emit(table, args.json, f"P({args.outcome}) by {args.by or 'all rounds'}, {args.interval:.0%} intervals, "
                            f"{args.prior} prior ({data.provenance().line()})")
    return 0


def cmd_predict(args) -> int:
    from forecast import features, predict

    round_row = features.hypothetical_round(args.date, args.parties, args.level, args.mediator, args.venue or "")
    history = features.round_features()
    table = predict.attach_backtest_skill(predict.predict_round(round_row, history),
                                          np.random.default_rng(args.seed), history)
    if args.json:
        print(json.dumps({"round": {"date": args.date, "parties": args.parties, "mediator": args.mediator,
                                    "venue": args.venue, "level": args.level},
                          "dataset_version": data.dataset_version(),
                          "forecasts": json.loads(table.to_json(orient="records", double_precision=15))}))
        return 0
    print(f"Forecast for a {args.parties} round on {args.date}"
          f"{' in ' + args.venue if args.venue else ''}, mediator {args.mediator}, level {args.level or 'unknown'}")
    print(data.provenance().line())
    columns = ["outcome", "step", "method", "p", "lower", "upper", "reference_class", "n",
               "brier_skill_vs_base_rate", "skill_lower", "skill_upper"]
    _emit(table[[c for c in columns if c in table]], False)
    print("Steps: 1 base rate, 2 same parties, 3 logistic. Trust a step only if its backtest skill interval "
          "(skill_lower to skill_upper) lies above 0.")
    return 0


def cmd_backtest(args) -> int:
    from forecast import evaluate, features

    frame = features.round_features()
    tables = []
    for outcome in args.outcome:
        forecasts = evaluate.backtest(outcome, frame, min_history=args.min_history)
        scores = evaluate.score_backtest(forecasts, np.random.default_rng(args.seed),
                                         evaluate.ScoreSettings(n_bootstrap=args.bootstrap))
        tables.append(scores.assign(outcome=outcome))
    table = pd.concat(tables, ignore_index=True)
    _emit(table[["outcome", *[c for c in table if c != "outcome"]]], args.json,
          f"Rolling-origin backtest (min history {args.min_history} rounds; skill vs base rate with "
          f"{args.bootstrap}-resample bootstrap interval)")
    return 0


def cmd_report(args) -> int:
    from forecast import report

    jobs = [report.scenario_job(args.params)] if args.params else None
    built = report.build(jobs, out_dir=args.out)
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
    _emit(calibration, False, "\nCalibration")
    return 0


# --- parser ----------------------------------------------------------------------------------------------

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

    command = add("validate", cmd_validate, "check the data tables against the codebook",
                  "Validate rounds.csv, exchanges.csv and sources.csv (or copies: files whose names contain "
                  "rounds, exchanges or sources; cross-references use sibling files when present). Prints a "
                  "summary and exits 0, or every problem as file:line, column, value, expected, and exits 1.")
    command.add_argument("paths", nargs="*", metavar="PATH", help="CSV files to check (default: data/)")

    command = add("base-rate", cmd_base_rate, "rates of an outcome with intervals, by reference class")
    command.add_argument("--outcome", required=True, choices=OUTCOMES, help="yes/no outcome of a round")
    command.add_argument("--by", help="group by this column (e.g. parties, year, level, ru_ua_at_table)")
    command.add_argument("--where", help='restrict rounds first, pandas query syntax, e.g. "year >= 2025"')
    command.add_argument("--prior", default="jeffreys", choices=["jeffreys", "uniform"], help="Beta prior")
    command.add_argument("--interval", type=probability, default=0.9, help="interval mass (default 0.9)")
    command.add_argument("--json", action="store_true", help="machine-readable output")

    command = add("predict", cmd_predict, "probability of each outcome for a described round",
                  "Forecast swap agreed, ceasefire agreed (progress >= 2) and next round agreed for a round you "
                  "describe, step by step (base rate, same parties, logistic model), each with its interval and "
                  "the method's backtest skill against the base rate.")
    command.add_argument("--date", required=True, type=iso_date, help="first day of the round, YYYY-MM-DD")
    command.add_argument("--parties", required=True, choices=data.PARTIES, help="delegations at the table")
    command.add_argument("--mediator", default="none", choices=data.MEDIATORS, help="third-party host or mediator")
    command.add_argument("--venue", help="city (recorded, not used by the models)")
    command.add_argument("--level", choices=data.LEVELS, help="highest rank at the table")
    command.add_argument("--seed", type=int, default=20261129, help="seed of the bootstrap for skill intervals")
    command.add_argument("--json", action="store_true", help="machine-readable output")

    command = add("backtest", cmd_backtest, "out-of-sample scores of every method against the base rate")
    command.add_argument("--outcome", nargs="+", default=["swap_agreed", "ceasefire_agreed"], choices=OUTCOMES)
    command.add_argument("--min-history", type=int, default=5, help="earlier rounds needed before forecasting")
    command.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples for skill intervals")
    command.add_argument("--seed", type=int, default=20261129, help="seed of the bootstrap")
    command.add_argument("--json", action="store_true", help="machine-readable output")

    command = add("report", cmd_report, "execute the notebooks and write HTML and PDF reports",
                  "Execute every notebook into reports/ (HTML, PDF, index.html). With --params FILE.yml, render "
                  "only the next-round notebook with those parameters, under a name of its own.")
    command.add_argument("--params", help="YAML file of next-round parameters (round_date, parties, ...)")
    command.add_argument("--out", type=Path, help="output folder (default: reports/)")

    ledger_help = "ledger CSV (default: data/forecasts.csv)"
    command = add("log", cmd_log, "record an issued forecast in the ledger")
    command.add_argument("--question", required=True, help="the question in words")
    command.add_argument("--outcome", required=True, help="outcome column or short name (e.g. swap_agreed)")
    command.add_argument("--target", required=True, help="round id or deadline date the question is about")
    command.add_argument("--probability", required=True, type=probability, help="P(yes), between 0 and 1")
    command.add_argument("--method", required=True, help="how the probability was made (e.g. logistic)")
    command.add_argument("--base-rate", type=probability, help="reference probability for skill "
                         "(default: the outcome's current base rate, if it is a round outcome)")
    command.add_argument("--id", help="forecast id (default: next F0001-style number)")
    command.add_argument("--ledger", type=Path, help=ledger_help)

    command = add("resolve", cmd_resolve, "record how a logged forecast resolved (once)")
    command.add_argument("forecast_id", help="id of the logged forecast")
    command.add_argument("--outcome", required=True, choices=["yes", "no"], help="what happened")
    command.add_argument("--ledger", type=Path, help=ledger_help)

    command = add("score", cmd_score, "Brier, log loss, skill and calibration of resolved forecasts")
    command.add_argument("--bins", type=int, default=5, help="calibration bins (default 5)")
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
    except UsageError as error:
        if debug:
            raise
        print(error, file=sys.stderr)
        return 2
    except data.DataError as error:  # one line per problem, each naming file, line and column
        if debug:
            raise
        print("\n".join(error.problems), file=sys.stderr)
        return 1
    except (ValueError, OSError, RuntimeError) as error:  # LedgerError, ReportError, missing files, ...
        if debug:
            raise
        print(f"forecast: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
