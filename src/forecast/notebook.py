"""What every notebook does first and last: the suite's figure style and display options, the "about this
report" block (provenance, parameters, package, build time) and the versions footer.

Importing this module imports every module the notebooks use, so a kernel that only runs
``import forecast.notebook`` is the floor a report build is measured against (``report.FLOOR_CODE``).
"""

from __future__ import annotations

import datetime as dt
import sys

import matplotlib
import matplotlib.pyplot as plt  # noqa: F401  (imported here so that the floor kernel pays for it too)
import pandas as pd
import statsmodels
from IPython.display import Markdown

from forecast import (__version__, base_rates, compare, data, evaluate, events, explorer, features,  # noqa: F401
                      headlines, methods, models, plots, pooling, predict, present, scenario)

def setup() -> None:
    """Style figures and tables the suite's way (first line of every notebook's first code cell)."""
    plots.use_style()
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.float_format", "{:.3f}".format)


def build_day() -> dt.date:
    """The day this notebook runs (the "build" of the data-age line)."""
    return dt.date.today()


def _shown(value) -> str:
    if isinstance(value, (list, tuple)):
        return present.words([str(item) for item in value])
    if value == "":
        return "(not given)"
    return str(value)


def about(parameters: dict, conflict: str | None = None) -> Markdown:
    """The provenance line, the parameters in words, the package version and the build time (shown right
    after the headline box; the report tests look for "Provenance.")."""
    conflict = conflict or parameters.get("conflict", data.DEFAULT_CONFLICT)
    shown = "; ".join(f"{name.replace('_', ' ')}: {_shown(value)}" for name, value in parameters.items()) or "none"
    return Markdown(f"**Provenance.** {data.provenance(conflict=conflict).line()}  \n"
                    f"**Parameters.** {shown}.  \n"
                    f"**Package.** talks-forecast {__version__}; built {dt.datetime.now():%Y-%m-%d %H:%M}.")


def versions() -> Markdown:
    """The footer: versions of Python and of the libraries the numbers depend on."""
    return Markdown(f"*Versions: Python {sys.version.split()[0]}, pandas {pd.__version__}, statsmodels "
                    f"{statsmodels.__version__}, matplotlib {matplotlib.__version__}, talks-forecast {__version__}.*")
