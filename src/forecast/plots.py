"""Figures. Each function draws on the ``ax`` it is given and returns it; none calls ``plt.show()``.

Titles that state a finding are computed by the caller (notebooks) and passed as ``title``.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd

from forecast import data

PARTY_COLOURS = {"RU-UA": "#1f77b4", "US-RU": "#d62728", "US-UA": "#2ca02c", "US-RU-UA": "#9467bd"}
"""One colour per set of parties at the table, used by every figure."""

METHOD_COLOURS = {"base_rate": "#444444", "reference_class": "#1f77b4", "persistence": "#ff7f0e",
                  "logistic": "#2ca02c", "coin": "#aaaaaa"}

STYLE = {"figure.figsize": (8, 3.6), "figure.dpi": 110, "axes.spines.top": False, "axes.spines.right": False,
         "axes.grid": True, "grid.alpha": 0.3, "axes.titlesize": 11, "axes.titleweight": "bold",
         "axes.labelsize": 9, "xtick.labelsize": 8, "ytick.labelsize": 8, "legend.fontsize": 8,
         "legend.frameon": False, "savefig.bbox": "tight"}
"""The suite's figure style (readable when a report is printed to PDF)."""


def use_style() -> None:
    """Apply the suite's matplotlib style (call once at the top of a notebook)."""
    mpl.rcParams.update(STYLE)


def rounds_timeline(ax, rounds: pd.DataFrame, title: str | None = None):
    """Rounds over time, one row per set of parties; filled markers where a swap was agreed."""
    present = rounds["parties"].astype(str)
    order = [p for p in data.PARTIES if p in set(present)] + sorted(set(present) - set(data.PARTIES))
    spare = iter(mpl.colormaps["tab10"].colors)
    for row_number, parties in enumerate(order):
        part = rounds[present == parties]
        swap = part["swap_agreed"].fillna(False).astype(bool).to_numpy()
        colour = PARTY_COLOURS.get(parties) or next(spare)
        ax.scatter(part["date_start"][swap], np.full(swap.sum(), row_number), s=46, color=colour,
                   label=f"{parties}: swap agreed" if swap.any() else None, zorder=3)
        ax.scatter(part["date_start"][~swap], np.full((~swap).sum(), row_number), s=46, facecolors="white",
                   edgecolors=colour, label=f"{parties}: no swap / unknown", zorder=3)
    ax.set_yticks(range(len(order)), order)
    ax.set_ylim(-0.6, len(order) - 0.4)
    ax.set_xlabel("date of round (start)")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ax.legend(loc="upper left", ncols=2, fontsize=7)
    ax.set_title(title or "Rounds of talks by parties at the table")
    return ax


def exchanges_per_month(ax, exchanges: pd.DataFrame, sides: "data.Sides", title: str | None = None):
    """People returned per calendar month to each side (each side's own figures), labelled from ``sides``."""
    monthly = (exchanges.set_index("date")[["to_side_b", "to_side_a"]].astype(float)
               .resample("MS").sum(min_count=1).fillna(0))
    width = 12
    ax.bar(monthly.index - pd.Timedelta(days=width / 2), monthly["to_side_b"], width=width, color="#1f77b4",
           label=sides.returned_to("b"), align="edge")
    ax.bar(monthly.index + pd.Timedelta(days=width / 2), monthly["to_side_a"], width=width, color="#d62728",
           label=sides.returned_to("a"), align="edge")
    ax.set_ylabel("people returned per month")
    ax.set_xlabel("month")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ax.legend(loc="upper left")
    ax.set_title(title or "Prisoner exchanges: people returned per month")
    return ax


def rate_intervals(ax, rates: pd.DataFrame, title: str | None = None, xlabel: str = "rate (posterior mean and interval)"):
    """Rates by reference class (a ``base_rates.rates_by`` table) as points with interval bars and counts."""
    rates = rates.reset_index(drop=True)
    y = np.arange(len(rates))[::-1]
    colours = ["#444444" if group == "all" else PARTY_COLOURS.get(group, "#1f77b4") for group in rates["group"]]
    ax.hlines(y, rates["lower"], rates["upper"], colors=colours, linewidth=2)
    ax.scatter(rates["mean"], y, color=colours, zorder=3)
    labels = [f"{g}  ({s}/{n})" for g, s, n in zip(rates["group"], rates["successes"], rates["trials"])]
    ax.set_yticks(y, labels)
    ax.set_xlim(0, 1)
    ax.set_xlabel(xlabel)
    ax.set_title(title or "Rates by reference class")
    return ax


def coefficients(ax, table: pd.DataFrame, title: str | None = None):
    """Logit coefficients with intervals (a ``LogitFit.coefficients()`` table); separating terms in red."""
    table = table[table["term"] != "Intercept"].reset_index(drop=True)
    y = np.arange(len(table))[::-1]
    colours = np.where(table["separating"], "#d62728", "#1f77b4")
    ax.hlines(y, table["lower"], table["upper"], colors=colours, linewidth=2)
    ax.scatter(table["estimate"], y, color=colours, zorder=3)
    ax.axvline(0, color="#444444", linewidth=0.8)
    ax.set_yticks(y, table["term"])
    ax.set_xlabel("coefficient (log odds; red = term involved in separation)")
    ax.set_title(title or "Logistic coefficients")
    return ax


def reliability(ax, calibration: pd.DataFrame, title: str | None = None):
    """Reliability diagram from a ``calibration_table``: observed frequency against mean forecast, with counts."""
    filled = calibration[calibration["count"] > 0]
    ax.plot([0, 1], [0, 1], color="#aaaaaa", linestyle="--", linewidth=1, label="perfect calibration")
    # Jeffreys intervals need not contain the observed share (at 0 of n the lower end is above 0): draw them
    # as segments rather than error bars.
    ax.vlines(filled["mean_forecast"], filled["observed_lower"], filled["observed_upper"], color="#1f77b4",
              linewidth=2, alpha=0.5, label="interval (Jeffreys)")
    ax.scatter(filled["mean_forecast"], filled["observed"], color="#1f77b4", zorder=3, label="observed frequency")
    for _, row in filled.iterrows():
        ax.annotate(f"n={row['count']}", (row["mean_forecast"], row["observed"]), textcoords="offset points",
                    xytext=(6, -10), fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("forecast probability (bin mean)")
    ax.set_ylabel("observed frequency")
    ax.legend(loc="upper left")
    ax.set_title(title or "Reliability of backtest forecasts")
    return ax


HISTORY_GAP_DAYS = 120
"""Two consecutive targets further apart than this (days) are not joined by a line: a line across the 2022-2025
pause in talks would draw forecasts that were never made."""


def _broken_at_gaps(dates: pd.Series, values: pd.Series, gap_days: int = HISTORY_GAP_DAYS):
    """Dates and values with a NaN inserted wherever consecutive dates are more than ``gap_days`` apart, so that
    matplotlib breaks the line there."""
    order = np.argsort(dates.to_numpy())
    dates, values = dates.to_numpy()[order], values.to_numpy(float)[order]
    gaps = np.flatnonzero(np.diff(dates) > np.timedelta64(gap_days, "D")) + 1
    return np.insert(dates, gaps, dates[gaps - 1]), np.insert(values, gaps, np.nan)


def forecast_history(ax, forecasts: pd.DataFrame, methods: list[str] | None = None, title: str | None = None,
                     gap_days: int = HISTORY_GAP_DAYS):
    """Backtest forecasts over time for some methods, with the outcomes as ticks at 0 and 1; lines break where
    targets are more than ``gap_days`` apart."""
    methods = methods or list(forecasts["method"].unique())
    for method in methods:
        part = forecasts[forecasts["method"] == method]
        dates, values = _broken_at_gaps(part["date"], part["p"], gap_days)
        ax.plot(dates, values, marker=".", linewidth=1, color=METHOD_COLOURS.get(method), label=method)
    outcomes = forecasts.drop_duplicates("round_id")
    ax.scatter(outcomes["date"], outcomes["outcome"], marker="|", s=120, color="black", label="outcome (0/1)")
    ax.set_ylim(-0.05, 1.05)
    ax.set_ylabel("forecast probability")
    ax.set_xlabel("date of round")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ax.legend(loc="center left", bbox_to_anchor=(1, 0.5))
    ax.set_title(title or "Backtest forecasts against outcomes")
    return ax


def scenario_intervals(ax, grid: pd.DataFrame, level: str, title: str | None = None,
                       ylabel: str = "P(swap agreed)"):
    """One scenario grid's (``scenario.grid``) headline and interval per set of parties at ``level``."""
    part = grid[grid["level"] == level]
    ax.errorbar(part["parties"], part["p"], yerr=[part["p"] - part["lower"], part["upper"] - part["p"]],
                fmt="o", capsize=4)
    ax.set_ylim(0, 1)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("parties at the table")
    ax.set_title(title or f"{ylabel} by parties at level {level.replace('_', ' ')}")
    return ax


def at_least_one_curve(ax, event_rate, max_days: int = 120, title: str | None = None):
    """P(at least one event within d days) for d up to ``max_days``, with its interval band."""
    days = np.arange(0, max_days + 1)
    values = np.array([event_rate.prob_at_least_one(d) for d in days])
    ax.fill_between(days, values[:, 1], values[:, 2], color="#1f77b4", alpha=0.2, label="interval")
    ax.plot(days, values[:, 0], color="#1f77b4", label="posterior predictive")
    for mark in (30, 60, 90):
        if mark <= max_days:
            ax.axvline(mark, color="#aaaaaa", linewidth=0.8, linestyle=":")
    ax.set_ylim(0, 1)
    ax.set_xlabel("days from the end of the data")
    ax.set_ylabel("P(at least one exchange)")
    ax.legend(loc="lower right")
    ax.set_title(title or "Chance of at least one exchange")
    return ax


def estimate_moves(ax, moves: pd.DataFrame, title: str | None = None):
    """How a rate moves across reference classes (``pooling.estimate_moves``): one row per conflict, the four
    steps as points with their intervals, left to right from the conflict's own rounds to a new conflict."""
    conflicts = list(dict.fromkeys(moves["conflict"]))
    offsets = {1: -0.27, 2: -0.09, 3: 0.09, 4: 0.27}
    colours = {1: "#444444", 2: "#1f77b4", 3: "#2ca02c", 4: "#aaaaaa"}
    for step, part in moves.groupby("step"):
        y = [conflicts.index(c) + offsets[step] for c in part["conflict"]]
        ax.errorbar(part["mean"], y, xerr=[part["mean"] - part["lower"], part["upper"] - part["mean"]], fmt="o",
                    color=colours[step], capsize=2, markersize=4, label=part["reference_class"].iloc[0])
    ax.set_yticks(range(len(conflicts)), conflicts)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("rate (posterior mean and interval)")
    ax.legend(loc="center right", fontsize=7)
    ax.set_title(title or "How the estimate moves across reference classes")
    return ax


def crowd_vs_suite(ax, rows: pd.DataFrame, question: str, title: str | None = None):
    """Each platform's probability for ``question`` over time (one line per deadline, broken where forecasts are
    more than ``HISTORY_GAP_DAYS`` apart) beside the suite's forecast for the same question and day
    (``compare.head_to_head`` rows)."""
    part = rows[rows["question"] == question].sort_values("as_of")
    spare = iter(mpl.colormaps["tab10"].colors)
    colours = {platform: next(spare) for platform in sorted(part["platform"].unique())}
    for (platform, deadline), group in part.groupby(["platform", "deadline"], sort=True):
        ax.plot(*_broken_at_gaps(group["as_of"], group["crowd_p"]), "o-", color=colours[platform], markersize=4,
                linewidth=1, label=f"{platform}, by {deadline:%Y-%m-%d}")
        ax.plot(*_broken_at_gaps(group["as_of"], group["suite_p"]), "x--", color=colours[platform], markersize=6,
                linewidth=0.8, alpha=0.7)
    ax.set_ylim(0, 1)
    ax.set_ylabel("probability (o crowd, x suite)")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ax.legend(loc="upper left", fontsize=6, ncols=2)
    ax.set_title(title or f"{question}: crowd and suite")
    return ax
