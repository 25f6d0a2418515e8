"""Every default of the forecasting methods, in one place. Notebooks' literal parameters are held to these by
``tests/test_notebooks.py``; the command line shows them in ``--help``.

None of these values was chosen by its score on the rounds it is then scored on: the interval level, seed,
bootstrap size and minimum history are conventions; the prior strength, half-life, history window and episode gap
are round numbers fixed before the backtest was run, and the headline methods choose among candidates in real time
(``forecast.methods``), so whatever a value does to the scores is measured, not tuned.
"""

INTERVAL_LEVEL = 0.9
"""Probability mass of every interval (equal-tailed: 5th to 95th percentile)."""

SEED = 20261129
"""Seed of every bootstrap (``numpy.random.default_rng(SEED)``)."""

N_BOOTSTRAP = 2000
"""Bootstrap resamples behind every skill interval."""

MIN_HISTORY = 5
"""Earlier rounds with a known outcome a round needs before it is forecast in a backtest."""

PRIOR_STRENGTH = 5.0
"""Pseudo-rounds a reference class borrows from its parent's rate (partial pooling): a class with n rounds and
k successes has rate (k + m * parent) / (n + m); an empty class has its parent's rate."""

PREDICTORS = ("both_sides_at_table", "level_rank")
"""Terms of the logistic candidate: both warring sides at the table, and the delegations' rank (0-3)."""

CLASS_COLUMNS = ("both_sides_at_table", "parties", "primary_mediator", "level")
"""Reference classes the suite offers as candidates and in its tables (each shrunk toward all earlier rounds)."""

HEADLINE_MIN_SCORED = 10
"""Scored earlier forecasts a headline method needs before it picks a candidate by its record (until then it
gives the base rate or climatology)."""

EXCHANGE_HORIZONS_DAYS = (30, 60, 90)
"""Horizons of "at least one prisoner exchange within k days"."""

EXCHANGE_ORIGIN_STEP_DAYS = 7
"""Backtest origins for the exchange questions are one week apart."""

EXCHANGE_ORIGINS_FROM = "2023-01-01"
"""First backtest origin of the exchange questions (the war's first year is history, not target)."""

EXCHANGE_HISTORY_DAYS = 365
"""Window of the Poisson rate candidates (days before the origin)."""

HALF_LIFE_DAYS = 180.0
"""Half-life of the recency-weighted Poisson candidate (days)."""

EPISODE_GAP_DAYS = 7
"""Exchange days at most this many days apart form one episode (the episodes candidate counts episodes)."""

LOG_LOSS_EPS = 1e-6
"""Probabilities are clipped to [eps, 1 - eps] before log loss (a confident miss costs ln(1e6) = 13.8 nats)."""

PROGRESS_LEVELS = (0, 1, 2, 3)
"""Levels of ``ceasefire_progress``."""

PROGRESS_PRIOR = 0.5
"""Dirichlet pseudo-count per progress level (Jeffreys-like), so no level ever gets probability 0."""

DEADLINE_HORIZONS_DAYS = (30, 90, 180, 365)
"""Horizons at which deadline questions ("will X happen by D?") are backtested."""

DEADLINE_ORIGIN_STEP_DAYS = 30
"""Deadline questions are backtested from monthly origins."""

DEADLINE_FIRST_ORIGIN_AFTER_DAYS = 365
"""The first backtest origin of a deadline question is a year into the conflict's period (and no earlier than
EXCHANGE_ORIGINS_FROM): the first year is history, not target."""
