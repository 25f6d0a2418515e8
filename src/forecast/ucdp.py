"""Agreement-level context from the UCDP Peace Agreement Dataset v22.1 (1975-2021, 374 agreements).

Unit: one peace agreement signed by at least two primary warring parties of an armed conflict, one row each,
with 0/1 flags for its provisions (``cease`` a ceasefire, ``pris`` a prisoner release, ...). Producer: Uppsala
Conflict Data Program, CC BY 4.0. Cite: Pettersson, Högbladh and Öberg (2019), "Organized violence, 1989-2018
and peace agreements", Journal of Peace Research 56(4); Harbom, Högbladh and Wallensteen (2006), Journal of
Peace Research 43(5).

The file is not part of the project: :func:`load_agreements` reads the user's download (where:
``paths.ucdp_peace_agreements_csv``) and never downloads anything. The rates here are context beside the
round-level estimates, never rows in the round likelihood. Agreements of one conflict are not independent
(some conflicts have dozens), so the intervals, which treat agreements as exchangeable, are too narrow.

``incompatibility`` keeps UCDP's numeric codes (1, 2, 3; several joined by ", " when an agreement covers several
conflicts): the dataset's codebook, which defines them, was not at hand, so no words are attached.

Error lines name the physical line of the bad cell (header = line 1), as a text editor shows it; cells of this
file span several lines, so a spreadsheet's row numbers differ.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from pathlib import Path

import pandas as pd

from forecast import paths
from forecast.base_rates import DEFAULT_LEVEL, beta_rate
from forecast.errors import DataError

VERSION = "22.1"
FILE_NAME = "ucdp-peace-agreements-221.csv"
EXPECTED_SHA256 = "d512c104ac085d9934646873df9bbd682f6d9a4c29201504ace6b3fc7b553c2e"
"""sha256 of UCDP's v22.1 CSV (912,372 bytes), from /work/shared/data/ucdp-peace-agreements/README.md."""
DOWNLOAD_PAGE = "https://ucdp.uu.se/downloads/"

ID, NAME, DATE = "paid", "pa_name", "pa_date"
CONFLICT, CONFLICT_NAME, LOCATION = "conflict_id", "conflict_name", "gwno"
"""UCDP conflict id(s), conflict name (e.g. "Ukraine: Donetsk") and Gleditsch-Ward country code(s) of the
location; multi-valued ids are joined by ", "."""
INCOMPATIBILITY = "incompatibility"
REQUIRED_FLAGS = ("cease", "pris")
"""Provision flags every copy must have: ceasefire and prisoner release."""
FLAGS = ("cease", "intarmy", "ddr", "withd", "mil_prov", "pp", "intgov", "intciv", "elections", "interim",
         "natalks", "shagov", "pol_prov", "aut", "fed", "ind", "ref", "shaloc", "regdev", "cul", "demarcation",
         "locgov", "terr_prov", "amn", "pris", "recon", "return", "justice_prov", "reaffirm", "outlin", "pko",
         "gender", "co_impl")
"""The 0/1 provision columns of the v22.1 header (``cease`` to ``co_impl``); checked and read as bool when
present, the two in REQUIRED_FLAGS always."""
REQUIRED = (ID, NAME, DATE, CONFLICT, CONFLICT_NAME, LOCATION, INCOMPATIBILITY, *REQUIRED_FLAGS)

_IDS = r"\d+(, ?\d+)*"
_CODES = r"[123](, ?[123])*"
_LINE_BREAK = r"\r\n|\r|\n"


class ChecksumWarning(UserWarning):
    """The file read is not byte-for-byte UCDP's v22.1 CSV (another version, or an edited copy)."""


def checksum(path: Path) -> str:
    """Hex sha256 of the file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_text(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All cells as text, header names stripped (v22.1 writes ``ref `` and ``return ``), the empty trailing
    column dropped; and a frame of the same shape giving each cell's physical line (header = line 1)."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError([f"{path}: not UTF-8 text ({error.reason} at byte {error.start})"]) from None
    except pd.errors.EmptyDataError:
        raise DataError([f"{path}: empty file (expected the UCDP header line)"]) from None
    except pd.errors.ParserError as error:
        raise DataError([f"{path}: malformed CSV ({error})"]) from None
    breaks = frame.apply(lambda column: column.str.count(_LINE_BREAK)).astype(int)
    header_lines = 1 + sum(len(re.findall(_LINE_BREAK, str(name))) for name in frame.columns)
    record_lines = 1 + breaks.sum(axis=1)
    first_line = header_lines + 1 + record_lines.cumsum().shift(fill_value=0)
    cell_lines = breaks.cumsum(axis=1).shift(axis=1, fill_value=0).add(first_line, axis=0)
    frame.columns = cell_lines.columns = [str(name).strip() for name in frame.columns]
    filled = (frame != "").any(axis=1)  # a blank line reads as a row of empty cells
    frame, cell_lines = frame[filled], cell_lines[filled]
    trailing = [name for name in frame.columns if re.fullmatch(r"Unnamed: \d+", name) and (frame[name] == "").all()]
    frame, cell_lines = frame.drop(columns=trailing), cell_lines.drop(columns=trailing)
    frame.index = cell_lines.index = pd.Index(first_line[filled], name="line")
    return frame, cell_lines


def _problems(path: Path, frame: pd.DataFrame, lines: pd.DataFrame) -> list[str]:
    """One message per bad cell or missing column: ``file:line: column 'c': got 'v'; expected ...``."""
    problems = [f"{path}:1: column '{name}' is missing (expected the UCDP Peace Agreement Dataset v{VERSION} "
                f"header)" for name in REQUIRED if name not in frame]

    def flag(name: str, bad: pd.Series, expected: str) -> None:
        for index in frame.index[bad.to_numpy()]:
            problems.append(f"{path}:{lines.at[index, name]}: column '{name}': got {frame.at[index, name]!r}; "
                            f"expected {expected}")

    rules = {ID: (r"\d+", "a whole number (the agreement id)"), CONFLICT: (_IDS, "UCDP conflict ids joined by ', '"),
             LOCATION: (_IDS, "Gleditsch-Ward country codes joined by ', '"),
             INCOMPATIBILITY: (_CODES, "codes 1, 2 or 3 joined by ', '"),
             **{name: (r"[01]", "0 or 1") for name in FLAGS}}
    for name, (pattern, expected) in rules.items():
        if name in frame:
            flag(name, ~frame[name].str.fullmatch(pattern), expected)
    for name in (NAME, CONFLICT_NAME):
        if name in frame:
            flag(name, frame[name].str.strip() == "", "a name, not empty")
    if DATE in frame:
        flag(DATE, pd.to_datetime(frame[DATE], format="%Y-%m-%d", errors="coerce").isna(), "an ISO date YYYY-MM-DD")
    if ID in frame:
        flag(ID, frame[ID].duplicated() & frame[ID].str.fullmatch(r"\d+"), "a unique agreement id")
    return sorted(problems, key=lambda text: int(re.match(r".*?:(\d+):", text).group(1)))


def one_order_of_codes(codes: str) -> str:
    """Correction: write a multi-valued code cell in one order (v22.1 has both "1, 2" and "2, 1" for agreements
    covering a territorial and a governmental conflict), so that one set of codes is one group."""
    return ", ".join(sorted({code.strip() for code in codes.split(",")}))


def load_agreements(path: Path | None = None) -> pd.DataFrame:
    """The agreements of the UCDP Peace Agreement Dataset CSV at ``path`` (default
    ``paths.ucdp_peace_agreements_csv()``), one row per agreement, indexed by the agreement's first line.

    Checked and typed: ``paid`` (int, unique), ``pa_name``, ``conflict_id``, ``conflict_name``, ``gwno``
    (string), ``pa_date`` (datetime64), ``incompatibility`` (string of codes, :func:`one_order_of_codes`) and the
    provision flags in FLAGS (bool). Other columns stay text. Problems raise DataError, one line each; a checksum
    other than v22.1's gives a ChecksumWarning.
    """
    path = Path(path) if path is not None else paths.ucdp_peace_agreements_csv()
    if not path.is_file():
        raise DataError([f"{path}: file not found; download the UCDP Peace Agreement Dataset v{VERSION} CSV "
                         f"({FILE_NAME}) from {DOWNLOAD_PAGE} and save it at this path, or set FORECAST_UCDP_CSV "
                         "to where you saved it"])
    found = checksum(path)
    if found != EXPECTED_SHA256:
        warnings.warn(f"{path}: sha256 {found} is not that of the UCDP Peace Agreement Dataset v{VERSION} CSV "
                      f"({FILE_NAME}, sha256 {EXPECTED_SHA256}); another version or an edited copy, so counts "
                      "may differ from the documented ones", ChecksumWarning, stacklevel=2)
    frame, cell_lines = _read_text(path)
    problems = _problems(path, frame, cell_lines)
    if problems:
        raise DataError(problems)
    frame = frame.copy()
    frame[ID] = frame[ID].astype("int64")
    for name in (NAME, CONFLICT, CONFLICT_NAME, LOCATION):
        frame[name] = frame[name].astype("string")
    frame[DATE] = pd.to_datetime(frame[DATE], format="%Y-%m-%d")
    frame[INCOMPATIBILITY] = frame[INCOMPATIBILITY].map(one_order_of_codes).astype("string")
    for name in FLAGS:
        if name in frame:
            frame[name] = frame[name] == "1"
    return frame


def conditional_rates(agreements: pd.DataFrame, given: str = "cease", outcome: str = "pris", by: str | None = None,
                      level: float = DEFAULT_LEVEL) -> pd.DataFrame:
    """P(``outcome`` provision | ``given`` provision) and P(``outcome`` | no ``given``), Jeffreys Beta intervals
    (``base_rates.beta_rate``) at ``level``, per group of ``by`` (e.g. ``"incompatibility"``) and pooled (group
    ``"all"``, last). Columns: group, given (yes/no), successes, trials, mean, lower, upper, prior, level.
    """
    for name in (given, outcome):
        if name not in agreements or agreements[name].dtype != bool:
            raise ValueError(f"{name!r} is not a provision flag of the agreements (expected one of "
                             f"{', '.join(flag for flag in FLAGS if flag in agreements)})")
    if by is not None and by not in agreements:
        raise ValueError(f"unknown grouping column {by!r}")
    groups = list(agreements.groupby(agreements[by].astype(str), sort=True)) if by is not None else []
    rows = []
    for label, part in [*groups, ("all", agreements)]:
        for side, chosen in (("yes", part[given]), ("no", ~part[given])):
            outcomes = part.loc[chosen, outcome]
            rate = beta_rate(int(outcomes.sum()), len(outcomes), prior="jeffreys", level=level)
            rows.append({"group": str(label), "given": side, "successes": int(outcomes.sum()),
                         "trials": len(outcomes), "mean": rate.mean, "lower": rate.lower, "upper": rate.upper,
                         "prior": rate.prior, "level": level})
    return pd.DataFrame(rows)
