"""Time the backtest's methods on synthetic tables of growing size (not part of the tests).

    .venv/bin/python benchmarks/backtest_speed.py --sizes 1000 10000 --json

prints a JSON list of {"methods": "rates" | "logistic", "rounds": N, "seconds": S}: "rates" is the base rate and
the pooled reference classes for one outcome, "logistic" the Firth logistic refitted for every round.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from forecast import defaults, features, methods
from forecast.synthetic import synthetic_tables


def measure(n_rounds: int, seed: int = defaults.SEED) -> list[dict]:
    rounds, exchanges = synthetic_tables(n_rounds, np.random.default_rng(seed))
    frame = features.round_features(rounds, exchanges)
    started = time.perf_counter()
    result, positions, y, n = methods.rate_forecasts(frame, "swap_agreed")
    rates = time.perf_counter() - started
    started = time.perf_counter()
    methods._logistic_forecasts(frame, positions, y, n, result["base_rate"])
    logistic = time.perf_counter() - started
    return [{"methods": "rates", "rounds": n_rounds, "seconds": rates},
            {"methods": "logistic", "rounds": n_rounds, "seconds": logistic}]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=int, default=[100, 1000, 10000], help="numbers of rounds")
    parser.add_argument("--json", action="store_true", help="print the JSON list only")
    args = parser.parse_args()
    rows = [row for size in args.sizes for row in measure(size)]
    if args.json:
        print(json.dumps(rows))
        return
    for row in rows:
        print(f"{row['methods']:9s} {row['rounds']:>7,d} rounds {row['seconds']:8.3f} s "
              f"({row['rounds'] / row['seconds']:,.0f} rounds/s)")


if __name__ == "__main__":
    main()
