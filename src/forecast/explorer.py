"""The scenario explorer of the next-round notebook: in JupyterLab, widgets for date, conflict, parties, mediator
and level that recompute the headline forecast, its steps and its track record as they change; in an exported
report (or without ipywidgets, which the ``lab`` extra installs) the static forecast for the notebook's
parameters. Both call ``scenario.forecast``, the function the report itself uses."""

from __future__ import annotations

import datetime as dt
import os

from IPython.display import Markdown, display

from forecast import data, defaults, headlines, paths, present, scenario
from forecast.codes import LEVELS

COMMONEST = "(commonest earlier mediator)"
"""The mediator choice that leaves the mediator to ``scenario.default_mediator``."""


def interactive() -> bool:
    """Widgets can work here: not in a report build, and ipywidgets is installed."""
    if os.environ.get(paths.REPORT_BUILD_ENV) == "1":
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def show(result: scenario.Forecast, described_as: str) -> None:
    """The explorer's view of one forecast: the headline box, every question's headline with its record, and
    the steps behind the swap headline."""
    display(headlines.next_round(result.scenario, result.prediction, result.warnings, result.last_day, described_as))
    display(present.table(scenario.summary_table(result.prediction)))
    swap = result.prediction[result.prediction["question"] == "swap_agreed"]
    display(present.table(swap[["step", "method", "p", "lower", "upper", "n", "skill", "skill_lower", "skill_upper"]],
                          caption="Steps behind the swap headline"))


def explore(result: scenario.Forecast, seed: int = defaults.SEED, n_bootstrap: int = defaults.N_BOOTSTRAP,
            described_as: str = "the notebook's parameters"):
    """Widgets in JupyterLab starting from ``result`` (the notebook's own forecast), the static summary table of
    ``result`` elsewhere. Returns the widget box (or None)."""
    if not interactive():
        display(present.table(scenario.summary_table(result.prediction)))
        return None
    chosen = result.scenario
    import ipywidgets as widgets

    conflicts = list(data.load_conflicts()["conflict_id"])
    conflict = widgets.Dropdown(options=conflicts, value=chosen.conflict, description="conflict")
    day = widgets.DatePicker(value=chosen.day.date(), description="date")
    parties = widgets.Dropdown(options=scenario.parties_options(chosen.conflict), value=chosen.parties,
                               description="parties")
    mediators = [COMMONEST, *scenario.mediator_options(chosen.conflict)]
    mediator = widgets.Dropdown(options=mediators if chosen.mediator in mediators else [*mediators, chosen.mediator],
                                value=chosen.mediator, description="mediator")
    level = widgets.Dropdown(options=list(LEVELS), value=chosen.level, description="level")
    output = widgets.Output()
    holding = []  # non-empty while the conflict's options are being swapped in (one refresh, not three)

    def refresh(_change=None) -> None:
        if holding:
            return
        with output:
            output.clear_output(wait=True)
            display(Markdown("*computing the forecast and its track record...*"))
            try:
                picked = scenario.from_parameters(
                    conflict=conflict.value, round_date=(day.value or dt.date.today()).isoformat(),
                    parties=parties.value, mediator=scenario.NOT_GIVEN if mediator.value == COMMONEST else mediator.value,
                    venue=chosen.venue if conflict.value == chosen.conflict else scenario.NOT_GIVEN, level=level.value)
                result = scenario.forecast(picked, seed, n_bootstrap)
            except (ValueError, LookupError) as error:  # RefusedForecast and bad combinations: one line
                output.clear_output(wait=True)
                display(Markdown(f"**No forecast:** {error}"))
                return
            output.clear_output(wait=True)
            show(result, "chosen in the explorer")

    def conflict_changed(change) -> None:
        holding.append(True)
        try:
            parties.options = scenario.parties_options(change["new"])
            mediator.options = [COMMONEST, *scenario.mediator_options(change["new"])]
            mediator.value = COMMONEST
        finally:
            holding.clear()
        refresh()

    conflict.observe(conflict_changed, names="value")
    for control in (day, parties, mediator, level):
        control.observe(refresh, names="value")
    box = widgets.VBox([widgets.HBox([conflict, day]), widgets.HBox([parties, mediator, level]), output])
    display(box)
    with output:  # the notebook's own forecast first; a change of any widget recomputes
        show(result, described_as)
    return box
