"""The curated tables (conflicts, rounds, exchanges, sources): their column specifications, the codebook's
cross-column rules, and the loaders.

The column specifications below are the one definition of each table: the pandera schema, the typed
conversion and the codebook test (``forecast.codebook``) all read them. The schema machinery (field kinds, reading,
error messages) lives in ``forecast.schema``. Any problem raises :class:`DataError`, whose message has one line per
problem naming the file, the line as a spreadsheet shows it (header = line 1), the column, the bad value and what
was expected.

Several conflicts share one schema: each row names its ``conflict`` (a ``conflict_id`` of conflicts.csv), and the
columns are side-neutral (side A and side B as conflicts.csv defines them). Loaders validate the whole file and
return the rows of one conflict (default ``DEFAULT_CONFLICT``) or, with ``conflict=None``, of all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from forecast import cache, paths
from forecast.changelog import dataset_version  # noqa: F401  (re-exported as data.dataset_version)
from forecast.codes import (  # noqa: F401  (re-exported: data.LEVELS, ...)
    CONFLICT_TYPES, DEADLINE_QUESTIONS, DEFAULT_CONFLICT, FORMATS, LEVELS, LIST_SEPARATOR, MEDIATORS, PARTIES, THIRD_PARTY_CODES,
    URL_SEPARATOR,
)
from forecast.errors import DataError
if TYPE_CHECKING:
    import pandera.pandas as pa

from forecast.schema import (
    Field, empty_or_zero, finish, id_starts_with_date, is_iso_date, is_urls, read_text_table, table_schema, typed,
    validate, wide_check,
)

CONFLICT_FIELDS: tuple[Field, ...] = (
    Field("conflict_id", "id", True, pattern=r"[a-z]+(-[a-z]+)*"),
    Field("name", "text", True),
    Field("side_a", "text", True),
    Field("side_a_short", "text", True),
    Field("side_a_codes", "text", True, pattern=r"[A-Z]+(; [A-Z]+)*"),
    Field("side_b", "text", True),
    Field("side_b_short", "text", True),
    Field("side_b_codes", "text", True, pattern=r"[A-Z]+(; [A-Z]+)*"),
    Field("type", "category", True, CONFLICT_TYPES),
    Field("period_start", "date", True),
    Field("period_end", "date", True),
    Field("sources", "urls", True),
    Field("notes", "text", False),
)

ROUND_FIELDS: tuple[Field, ...] = (
    Field("round_id", "id", True, pattern=r"\d{4}-\d{2}-\d{2}-[a-z0-9]+(-[a-z0-9]+)*"),
    Field("conflict", "text", True),
    Field("date_start", "date", True),
    Field("date_end", "date", False),
    Field("city", "text", True),
    Field("country", "text", False),
    Field("format", "category", True, FORMATS),
    Field("parties", "text", True, pattern=r"[A-Z]+(-[A-Z]+)*"),
    Field("side_a_at_table", "yesno", True),
    Field("side_b_at_table", "yesno", True),
    Field("mediator", "categories", False, MEDIATORS),
    Field("side_a_lead", "text", False),
    Field("side_b_lead", "text", False),
    Field("other_lead", "text", False),
    Field("level", "ordered", False, LEVELS),
    Field("swap_agreed", "yesno", False),
    Field("swap_to_side_a", "count", False),
    Field("swap_to_side_b", "count", False),
    Field("bodies_agreed", "count", False),
    Field("ceasefire_progress", "ordinal", False, (0, 1, 2, 3)),
    Field("next_round_agreed", "yesno", False),
    Field("sources", "urls", True),
    Field("notes", "text", False),
)

EXCHANGE_FIELDS: tuple[Field, ...] = (
    Field("exchange_id", "id", True, pattern=r"\d{4}-\d{2}-\d{2}-([a-z]{2}-)?[pb](-\d+)?"),
    Field("conflict", "text", True),
    Field("date", "date", True),
    Field("kind", "category", True, ("prisoners", "bodies", "prisoners_and_bodies")),
    Field("to_side_a", "count", False),
    Field("to_side_b", "count", False),
    Field("bodies_to_side_a", "count", False),
    Field("bodies_to_side_b", "count", False),
    Field("mediator", "categories", False, MEDIATORS),
    Field("round_id", "text", False),
    Field("sources", "urls", True),
    Field("notes", "text", False),
)

CROWD_FIELDS: tuple[Field, ...] = (
    Field("crowd_id", "id", True, pattern=r"[a-z0-9]+(-[a-z0-9]+)*"),
    Field("conflict", "text", True),
    Field("platform", "text", True),
    Field("platform_question", "text", True),
    Field("question_url", "text", False),
    Field("criterion", "text", True),
    Field("as_of", "date", True),
    Field("probability", "text", True, pattern=r"0(\.\d+)?|1(\.0+)?"),
    Field("resolution", "category", True, ("yes", "no", "open")),
    Field("resolved_on", "date", False),
    Field("resolution_source", "urls", False),
    Field("suite_question", "category", False, DEADLINE_QUESTIONS),
    Field("deadline", "date", False),
    Field("comparable", "yesno", True),
    Field("not_comparable_reason", "text", False),
    Field("sources", "urls", True),
    Field("notes", "text", False),
)

SOURCE_FIELDS: tuple[Field, ...] = (
    Field("url", "id", True, pattern=r"https?://\S+"),
    Field("publisher", "text", True),
    Field("title", "text", False),
    Field("published", "date", False),
)

TABLES: dict[str, tuple[Field, ...]] = {
    "conflicts.csv": CONFLICT_FIELDS,
    "rounds.csv": ROUND_FIELDS,
    "exchanges.csv": EXCHANGE_FIELDS,
    "crowd_forecasts.csv": CROWD_FIELDS,
    "sources.csv": SOURCE_FIELDS,
}
"""Every curated table and its columns, in file order. The codebook documents exactly these."""


# --- cross-column rules ------------------------------------------------------------------------------------

def _side_codes(conflicts: pd.DataFrame) -> dict[str, tuple[set[str], set[str]]]:
    """{conflict_id: (codes that count as side A, codes that count as side B)} from conflicts.csv text."""
    return {row.conflict_id: (set(row.side_a_codes.split(LIST_SEPARATOR)), set(row.side_b_codes.split(LIST_SEPARATOR)))
            for row in conflicts.itertuples()}


def _per_pair(frame: pd.DataFrame, judge) -> pd.Series:
    """``judge(conflict, parties)`` for each row, computed once per distinct pair (tables repeat them)."""
    pairs = pd.MultiIndex.from_arrays([frame["conflict"], frame["parties"]])
    verdicts = {pair: judge(*pair) for pair in pairs.unique()}
    return pd.Series([verdicts[pair] for pair in pairs], index=frame.index)


def _at_table_matches_parties(side: str, codes: dict[str, tuple[set[str], set[str]]]) -> pa.Check:
    """Rule: ``side_X_at_table`` is yes exactly when ``parties`` lists one of side X's codes."""
    which = 0 if side == "a" else 1

    def rule(frame: pd.DataFrame) -> pd.Series:
        listed = _per_pair(frame, lambda conflict, parties: (
            "unknown" if conflict not in codes else "yes" if set(parties.split("-")) & codes[conflict][which] else "no"))
        coded = frame[f"side_{side}_at_table"]
        return (listed == "unknown") | ~coded.isin(["yes", "no"]) | (coded == listed)

    return wide_check(f"side_{side}_at_table", f"yes exactly when parties lists one of the conflict's side "
                      f"{side.upper()} codes (side_{side}_codes in conflicts.csv)", rule)


def _known_party_codes(codes: dict[str, tuple[set[str], set[str]]]) -> pa.Check:
    """Rule: every code in ``parties`` is one of the conflict's side codes or a known third party."""
    def rule(frame: pd.DataFrame) -> pd.Series:
        return _per_pair(frame, lambda conflict, parties: conflict not in codes or set(parties.split("-"))
                         <= codes[conflict][0] | codes[conflict][1] | set(THIRD_PARTY_CODES)).astype(bool)

    return wide_check("parties", "codes of the conflict's sides (conflicts.csv) or of a third party "
                      f"({', '.join(THIRD_PARTY_CODES)}), joined by '-'", rule)


def _lead_needs_side(side: str) -> pa.Check:
    """Rule: a delegation head is named only when that side was at the table."""
    return wide_check(f"side_{side}_lead", f"empty unless side_{side}_at_table is yes",
                      lambda f: (f[f"side_{side}_lead"] == "") | (f[f"side_{side}_at_table"] != "no"))


def _known_conflict(conflict_ids: set[str]) -> pa.Check:
    return wide_check("conflict", "a conflict_id of conflicts.csv", lambda f: f["conflict"].isin(conflict_ids))


def _conflicts_schema() -> pa.DataFrameSchema:
    ends_after_start = wide_check(
        "period_end", "a date on or after period_start",
        lambda f: ~f["period_start"].map(is_iso_date) | ~f["period_end"].map(is_iso_date)
        | (f["period_end"] >= f["period_start"]))
    return table_schema(CONFLICT_FIELDS, [ends_after_start], "conflicts")


def _rounds_schema(conflicts: pd.DataFrame) -> pa.DataFrameSchema:
    """Column rules plus the codebook's cross-column rules for rounds.csv."""
    codes = _side_codes(conflicts)
    ends_after_start = wide_check(
        "date_end", "empty or a date on or after date_start",
        lambda f: ~f["date_start"].map(is_iso_date) | ~f["date_end"].map(is_iso_date)
        | (f["date_end"] >= f["date_start"]))
    sizes_need_swap = [wide_check(f"swap_to_side_{side}", "empty unless swap_agreed is yes",
                                  lambda f, side=side: (f[f"swap_to_side_{side}"] == "") | (f["swap_agreed"] == "yes"))
                       for side in ("a", "b")]
    video_city = wide_check("city", "'video' exactly when format is video",
                            lambda f: (f["city"] == "video") == (f["format"] == "video"))
    video_country = wide_check("country", "empty for a video round",
                               lambda f: (f["format"] != "video") | (f["country"] == ""))
    a_warring_side = wide_check("side_a_at_table", "yes for side A or side B (a round has a warring side at the table)",
                                lambda f: (f["side_a_at_table"] == "yes") | (f["side_b_at_table"] == "yes"))
    return table_schema(ROUND_FIELDS, [
        _known_conflict(set(codes)), ends_after_start, *sizes_need_swap, video_city, video_country,
        id_starts_with_date("round_id", "date_start"), _lead_needs_side("a"), _lead_needs_side("b"),
        _known_party_codes(codes), _at_table_matches_parties("a", codes), _at_table_matches_parties("b", codes),
        a_warring_side,
    ], "rounds")


def _crowd_schema(conflict_ids: set[str]) -> pa.DataFrameSchema:
    """Column rules plus the codebook's cross-column rules for crowd_forecasts.csv."""
    resolved_has_day = wide_check("resolved_on", "a date exactly when resolution is yes or no",
                                  lambda f: (f["resolved_on"] != "") == (f["resolution"] != "open"))
    comparable_has_question = wide_check(
        "suite_question", "a question and a deadline when comparable is yes",
        lambda f: (f["comparable"] != "yes") | ((f["suite_question"] != "") & (f["deadline"] != "")))
    reason_when_not = wide_check("not_comparable_reason", "a reason when comparable is no",
                                 lambda f: (f["comparable"] != "no") | (f["not_comparable_reason"] != ""))
    deadline_after = wide_check("deadline", "empty or a date on or after as_of",
                                lambda f: ~f["deadline"].map(is_iso_date) | ~f["as_of"].map(is_iso_date)
                                | (f["deadline"] >= f["as_of"]))
    return table_schema(CROWD_FIELDS, [_known_conflict(conflict_ids), resolved_has_day, comparable_has_question,
                                       reason_when_not, deadline_after], "crowd_forecasts")


def _exchanges_schema(round_conflicts: dict[str, str], conflict_ids: set[str]) -> pa.DataFrameSchema:
    """Column rules plus the codebook's cross-column rules for exchanges.csv. ``round_conflicts``: {round_id:
    conflict} of rounds.csv."""
    links_known_round = wide_check(
        "round_id", "empty or a round_id of rounds.csv of the same conflict",
        lambda f: (f["round_id"] == "") | (f["round_id"].map(round_conflicts) == f["conflict"]))
    prisoners_without_bodies = wide_check(
        "kind", "prisoners_and_bodies (or no body counts) when bodies are counted",
        lambda f: (f["kind"] != "prisoners") | (empty_or_zero(f["bodies_to_side_a"]) & empty_or_zero(f["bodies_to_side_b"])))
    bodies_without_people = wide_check(
        "kind", "prisoners_and_bodies (or no people counts) when living people are counted",
        lambda f: (f["kind"] != "bodies") | (empty_or_zero(f["to_side_a"]) & empty_or_zero(f["to_side_b"])))
    letter_matches_kind = wide_check(
        "exchange_id", "a '-p' id for prisoners or prisoners_and_bodies and a '-b' id for bodies",
        lambda f: (f["exchange_id"].str.extract(r"-([pb])(?:-\d+)?$")[0] == "b") == (f["kind"] == "bodies"))
    return table_schema(EXCHANGE_FIELDS, [
        _known_conflict(conflict_ids), links_known_round, prisoners_without_bodies, bodies_without_people,
        letter_matches_kind, id_starts_with_date("exchange_id", "date"),
    ], "exchanges")


# --- loading -------------------------------------------------------------------------------------------------

SCHEMA_CODE = ("data.py", "schema.py", "codes.py")
"""The modules whose source is part of a cached table's key (a change to a rule re-validates every table)."""


def _cached(kind: str, files: list[Path | None], build) -> pd.DataFrame:
    """The validated, typed table from the cache when its files and the schema code are unchanged; otherwise
    ``build()`` (which validates, raising DataError on any problem; errors are never cached) and store it."""
    return cache.cached(kind, cache.key(files, SCHEMA_CODE), build)


CITING_COLUMNS = ("sources", "resolution_source", "question_url")
"""Columns whose URLs must be described in sources.csv."""


def _unlisted_sources(path: Path, frame: pd.DataFrame, listed_urls: set[str] | None) -> list[str]:
    """Every cited URL must be described (publisher, title, date) in sources.csv."""
    if listed_urls is None:
        return []
    problems = []
    for column in (c for c in CITING_COLUMNS if c in frame):
        for index, cell in frame[column].items():
            for url in filter(None, cell.split(URL_SEPARATOR)):
                if is_urls(url) and url not in listed_urls:
                    problems.append(f"{path}:{index}: column '{column}': {url!r} is not described in sources.csv "
                                    "(expected a url listed there with publisher, title and date)")
    return problems


def _source_urls(sources_path: Path | None) -> tuple[set[str] | None, list[str]]:
    if sources_path is None:
        return None, []
    sources_path = Path(sources_path)
    frame = read_text_table(sources_path)
    problems = validate(sources_path, frame, table_schema(SOURCE_FIELDS, name="sources"), SOURCE_FIELDS)
    return (set(frame["url"]) if "url" in frame else set()), problems


def _default(path, default):
    return default() if path == "default" else path


def _conflicts_text(conflicts_path: Path) -> pd.DataFrame:
    """conflicts.csv as text, or an empty frame with its columns when it has problems (reported elsewhere)."""
    try:
        frame = read_text_table(conflicts_path)
    except DataError:
        return pd.DataFrame(columns=[field.name for field in CONFLICT_FIELDS])
    needed = {"conflict_id", "side_a_codes", "side_b_codes"}
    return frame if needed <= set(frame.columns) else pd.DataFrame(columns=list(needed))


def _select(frame: pd.DataFrame, conflict: str | None, known: set[str]) -> pd.DataFrame:
    if conflict is None:
        return frame
    if conflict not in known:
        raise ValueError(f"unknown conflict {conflict!r}; the data have {', '.join(sorted(known))}")
    return frame[frame["conflict"] == conflict]


def load_conflicts(path: str | Path | None = None, sources_path: str | Path | None = "default") -> pd.DataFrame:
    """The conflicts the tables cover, one row each: the two warring sides (names, short names, the ``parties``
    codes that count as each side), type and period."""
    path = Path(path or paths.conflicts_csv())
    sources = _default(sources_path, paths.sources_csv)

    def build() -> pd.DataFrame:
        listed, problems = _source_urls(sources)
        frame = read_text_table(path)
        problems += validate(path, frame, _conflicts_schema(), CONFLICT_FIELDS)
        problems += _unlisted_sources(path, frame, listed)
        finish(problems)
        return typed(frame, CONFLICT_FIELDS).reset_index(drop=True)

    return _cached("conflicts", [path, sources], build)


def load_crowd(path: str | Path | None = None, sources_path: str | Path | None = "default",
               conflicts_path: str | Path | None = "default") -> pd.DataFrame:
    """Crowd and market forecasts (one row per platform, question and day), with ``probability`` as a float."""
    path = Path(path or paths.crowd_csv())
    sources = _default(sources_path, paths.sources_csv)
    conflicts_file = Path(_default(conflicts_path, paths.conflicts_csv) or paths.conflicts_csv())

    def build() -> pd.DataFrame:
        listed, problems = _source_urls(sources)
        frame = read_text_table(path)
        problems += validate(path, frame, _crowd_schema(set(_conflicts_text(conflicts_file)["conflict_id"])),
                             CROWD_FIELDS)
        problems += _unlisted_sources(path, frame, listed)
        finish(problems)
        crowd = typed(frame, CROWD_FIELDS).reset_index(drop=True)
        crowd["probability"] = crowd["probability"].astype(float)
        return crowd.sort_values(["as_of", "crowd_id"], kind="stable").reset_index(drop=True)

    return _cached("crowd", [path, sources, conflicts_file], build)


def load_sources(path: str | Path | None = None) -> pd.DataFrame:
    """Sources cited by the tables: url, publisher, title, published (date the item was published)."""
    path = Path(path or paths.sources_csv())

    def build() -> pd.DataFrame:
        frame = read_text_table(path)
        finish(validate(path, frame, table_schema(SOURCE_FIELDS, name="sources"), SOURCE_FIELDS))
        return typed(frame, SOURCE_FIELDS).reset_index(drop=True)

    return _cached("sources", [path], build)


def load_rounds(path: str | Path | None = None, sources_path: str | Path | None = "default",
                conflicts_path: str | Path | None = "default", conflict: str | None = DEFAULT_CONFLICT) -> pd.DataFrame:
    """Rounds of talks, one row per round, sorted by date_start (see data/README.md for each column).

    ``conflict``: the conflict whose rounds are returned (``None``: all). The whole file is validated either way.
    ``sources_path``/``conflicts_path``: the tables that cited URLs and conflict ids must appear in (default:
    those in data/; ``None`` skips the sources cross-check, e.g. for a stand-alone copy of the table).
    """
    path = Path(path or paths.rounds_csv())
    sources = _default(sources_path, paths.sources_csv)
    conflicts_file = Path(_default(conflicts_path, paths.conflicts_csv) or paths.conflicts_csv())

    def build() -> pd.DataFrame:
        listed, problems = _source_urls(sources)
        frame = read_text_table(path)
        problems += validate(path, frame, _rounds_schema(_conflicts_text(conflicts_file)), ROUND_FIELDS)
        problems += _unlisted_sources(path, frame, listed)
        finish(problems)
        return typed(frame, ROUND_FIELDS).sort_values(["date_start", "round_id"], kind="stable").reset_index(drop=True)

    rounds = _cached("rounds", [path, sources, conflicts_file], build)
    return _select(rounds, conflict, set(_conflicts_text(conflicts_file)["conflict_id"])).reset_index(drop=True)


def load_exchanges(path: str | Path | None = None, rounds_path: str | Path | None = None,
                   sources_path: str | Path | None = "default", conflicts_path: str | Path | None = "default",
                   conflict: str | None = DEFAULT_CONFLICT) -> pd.DataFrame:
    """Prisoner exchanges and body handovers, one row per event, sorted by date.

    Each ``round_id`` must name a round of ``rounds_path`` (default: ``data/rounds.csv``) of the same conflict.
    ``conflict``: as for ``load_rounds``.
    """
    path = Path(path or paths.exchanges_csv())
    rounds_file = Path(rounds_path or paths.rounds_csv())
    sources = _default(sources_path, paths.sources_csv)
    conflicts_file = Path(_default(conflicts_path, paths.conflicts_csv) or paths.conflicts_csv())

    def build() -> pd.DataFrame:
        listed, problems = _source_urls(sources)
        conflict_ids = set(_conflicts_text(conflicts_file)["conflict_id"])
        rounds_text = read_text_table(rounds_file)
        round_conflicts = dict(zip(rounds_text.get("round_id", []), rounds_text.get("conflict", [])))
        frame = read_text_table(path)
        problems += validate(path, frame, _exchanges_schema(round_conflicts, conflict_ids), EXCHANGE_FIELDS)
        problems += _unlisted_sources(path, frame, listed)
        finish(problems)
        return typed(frame, EXCHANGE_FIELDS).sort_values(["date", "exchange_id"], kind="stable").reset_index(drop=True)

    exchanges = _cached("exchanges", [path, rounds_file, sources, conflicts_file], build)
    return _select(exchanges, conflict, set(_conflicts_text(conflicts_file)["conflict_id"])).reset_index(drop=True)


# --- what reports say about the data ---------------------------------------------------------------------

@dataclass(frozen=True)
class Sides:
    """How a conflict's two warring sides are named in reports."""

    conflict: str
    name: str
    side_a: str
    side_b: str

    def returned_to(self, side: str) -> str:
        """``returned to Ukraine`` for side ``b`` of russia-ukraine."""
        return f"returned to {self.side_a if side == 'a' else self.side_b}"

    def column_labels(self) -> dict[str, str]:
        """Labels of the side-neutral exchange columns, for tables in reports."""
        return {"to_side_a": self.returned_to("a"), "to_side_b": self.returned_to("b"),
                "bodies_to_side_a": f"bodies to {self.side_a}", "bodies_to_side_b": f"bodies to {self.side_b}",
                "side_a_lead": f"{self.side_a} lead", "side_b_lead": f"{self.side_b} lead"}


def sides(conflict: str = DEFAULT_CONFLICT, conflicts: pd.DataFrame | None = None) -> Sides:
    """The names of a conflict's sides from conflicts.csv (short names, e.g. Russia and Ukraine)."""
    conflicts = load_conflicts() if conflicts is None else conflicts
    row = conflicts[conflicts["conflict_id"] == conflict]
    if row.empty:
        raise ValueError(f"unknown conflict {conflict!r}; the data have {', '.join(conflicts['conflict_id'])}")
    row = row.iloc[0]
    return Sides(conflict, str(row["name"]), str(row["side_a_short"]), str(row["side_b_short"]))


@dataclass(frozen=True)
class Provenance:
    """What a report says about its data: version, conflict and the period its tables cover."""

    version: str
    conflict: str
    conflict_name: str
    first_date: pd.Timestamp
    last_date: pd.Timestamp
    n_rounds: int
    n_exchanges: int
    n_sources: int

    def line(self) -> str:
        return (f"Dataset version {self.version}: {self.n_rounds} rounds and {self.n_exchanges} exchanges of the "
                f"{self.conflict_name} from {self.first_date:%Y-%m-%d} to {self.last_date:%Y-%m-%d}, citing "
                f"{self.n_sources} sources.")


def provenance(rounds: pd.DataFrame | None = None, exchanges: pd.DataFrame | None = None,
               conflict: str = DEFAULT_CONFLICT) -> Provenance:
    """Dataset version and date range of one conflict's (loaded or given) tables, and the sources they cite."""
    rounds = load_rounds(conflict=conflict) if rounds is None else rounds
    exchanges = load_exchanges(conflict=conflict) if exchanges is None else exchanges
    dates = pd.concat([rounds["date_start"], rounds["date_end"], exchanges["date"]]).dropna()
    cited = {url for cell in pd.concat([rounds["sources"], exchanges["sources"]]) for url in cell.split(URL_SEPARATOR)}
    return Provenance(version=dataset_version(), conflict=conflict, conflict_name=sides(conflict).name,
                      first_date=dates.min(), last_date=dates.max(),
                      n_rounds=len(rounds), n_exchanges=len(exchanges), n_sources=len(cited))


EXCHANGE_COUNTS = ("to_side_a", "to_side_b", "bodies_to_side_a", "bodies_to_side_b")
"""People and bodies returned to each side, per exchange event."""


def summary_tables(rounds: pd.DataFrame | None = None, exchanges: pd.DataFrame | None = None,
                   conflict: str = DEFAULT_CONFLICT) -> dict[str, pd.DataFrame]:
    """Headline counts of one conflict's tables (for the data overview and the data test).

    ``rounds_by_parties_year``: rounds per parties and year; ``swaps_agreed``: rounds with swap_agreed
    yes/no/unknown per parties; ``ceasefire_progress``: rounds per level 0-3 (and unknown);
    ``exchanges_by_year``: events, prisoner events and people/bodies returned to each side per year
    (side-neutral columns; ``Sides.column_labels`` names them).
    """
    from forecast.events import PRISONER_KINDS

    rounds = load_rounds(conflict=conflict) if rounds is None else rounds
    exchanges = load_exchanges(conflict=conflict) if exchanges is None else exchanges
    year = rounds["date_start"].dt.year.rename("year")
    by_parties_year = pd.crosstab(rounds["parties"].astype(str), year)
    swap = rounds["swap_agreed"].map({True: "yes", False: "no"}).fillna("unknown").astype(str)
    swaps = pd.crosstab(rounds["parties"].astype(str), swap).reindex(columns=["yes", "no", "unknown"], fill_value=0)
    progress = (rounds["ceasefire_progress"].astype("string").fillna("unknown").value_counts()
                .reindex(["0", "1", "2", "3", "unknown"], fill_value=0).rename("rounds").to_frame())
    counts = exchanges[list(EXCHANGE_COUNTS)].astype("Int64")
    exchange_year = exchanges["date"].dt.year.rename("year")
    per_year = counts.groupby(exchange_year).sum()
    per_year.insert(0, "events", exchanges.groupby(exchange_year).size())
    per_year.insert(1, "prisoner_events", exchanges["kind"].isin(PRISONER_KINDS).groupby(exchange_year).sum())
    return {"rounds_by_parties_year": by_parties_year, "swaps_agreed": swaps, "ceasefire_progress": progress,
            "exchanges_by_year": per_year}

