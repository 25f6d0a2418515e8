"""Time the rolling-origin backtest on synthetic tables of growing size (not part of the test suite).

Usage: .venv/bin/python benchmarks/backtest_speed.py [--sizes 100 1000 10000] [--seed 1]
Prints, per size and method set, the seconds, rounds forecast per second and the growth exponent between
sizes (time ~ size ** exponent). The backtest refits each model on every prefix, so expect about 2 for
fitted models; the cheap methods pay the per-round pandas overhead.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from forecast import evaluate, features
from forecast.synthetic import synthetic_tables

METHOD_SETS = {
    "rates (base_rate, reference_class, persistence, coin)": lambda: {
        name: method for name, method in evaluate.default_methods().items() if name != "logistic"},
    "logistic only": lambda: {"logistic": evaluate.logistic_method()},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"{'methods':55} {'rounds':>7} {'seconds':>9} {'rounds/s':>9} {'growth':>7}")
    for label, make_methods in METHOD_SETS.items():
        previous = None
        for size in args.sizes:
            rounds, exchanges = synthetic_tables(size, np.random.default_rng(args.seed))
            frame = features.round_features(rounds, exchanges)
            started = time.perf_counter()
            forecasts = evaluate.backtest("swap_agreed", frame, methods=make_methods())
            seconds = time.perf_counter() - started
            forecast_rounds = forecasts["round_id"].nunique()
            growth = (f"{math.log(seconds / previous[1]) / math.log(size / previous[0]):.2f}"
                      if previous else "")
            print(f"{label:55} {size:>7} {seconds:>9.2f} {forecast_rounds / seconds:>9.0f} {growth:>7}", flush=True)
            previous = (size, seconds)


if __name__ == "__main__":
    main()
