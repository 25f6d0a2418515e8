"""Notebooks and reports: every notebook executes, every export carries figures and the provenance line, no
error outputs, HTML works offline, scenario renders never overwrite each other, a failing cell names itself, a
failed build leaves the previous reports as they were, progress lines tell the truth. Cancelling a build with a
signal: test_report_cancel.py."""

import ast
import datetime as dt
import html
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser

import nbformat
import pypdf
import pandas as pd
import pytest

from forecast import data, paths, report
from forecast import scenario as forecast_scenario

NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.glob("[0-9][0-9]-*.ipynb"))


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """All reports, built once per test session into a temporary folder, after measuring the floor (about 35 s)."""
    out_dir = tmp_path_factory.mktemp("reports")
    messages = []
    results = report.build(out_dir=out_dir, progress=messages.append, floor=True)
    return out_dir, results, messages


VOID_TAGS = {"img", "br", "hr", "meta", "input", "link", "col", "source"}


class Page(HTMLParser):
    """What a reader of a report page sees: the text outside the hidden code (``div.input``), ``<style>``,
    ``<script>`` and ``<title>``; the first element or text after the ``<h1>`` (wrapper divs skipped); and each
    table's rows of cell texts."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.text: list[str] = []
        self.seen_title = False
        self.after_title: tuple[str, dict] | None = None
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.feed(page)

    def hidden(self) -> bool:
        return any(hidden for _, hidden in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        hidden = self.hidden() or tag in ("style", "script", "title") or (tag == "div" and "input" in classes)
        if self.seen_title and self.after_title is None and not hidden and (tag != "div" or "headline" in classes):
            self.after_title = ("div.headline" if tag == "div" else tag, attrs)
        if tag == "table" and not hidden:
            self.tables.append([])
        if tag == "tr" and not hidden and self.tables:
            self._row = []
        if tag in ("td", "th") and self._row is not None:
            self._cell = []
        if tag not in VOID_TAGS:
            self.stack.append((tag, hidden))

    def handle_endtag(self, tag):
        for position in range(len(self.stack) - 1, -1, -1):
            if self.stack[position][0] == tag:
                del self.stack[position:]
                break
        if tag == "h1" and not self.hidden():
            self.seen_title = True
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self.hidden():
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self.seen_title and self.after_title is None and data.strip():
            self.after_title = ("text", {"text": data.strip()})


def visible_text(page: str) -> str:
    return " ".join(Page(page).text)


def test_there_are_five_numbered_notebooks():
    assert [nb.stem[:2] for nb in NOTEBOOKS] == ["01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_hygiene(notebook):
    book = nbformat.read(notebook, as_version=4)
    tagged = [cell for cell in book.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged parameters"
    for statement in ast.parse(tagged[0].source).body:  # literals only: papermill injects after this cell
        assert isinstance(statement, ast.Assign)
        ast.literal_eval(statement.value)
    assert all(not cell.get("outputs") and cell.get("execution_count") is None
               for cell in book.cells if cell.cell_type == "code"), "committed without outputs"
    source = "\n".join(cell.source for cell in book.cells if cell.cell_type == "code")
    assert "sys.path" not in source and "../data" not in source
    assert not [node for cell in book.cells if cell.cell_type == "code"
                for node in ast.walk(ast.parse(cell.source)) if isinstance(node, ast.ClassDef)], "models live in the package"
    assert book.cells[0].cell_type == "markdown" and re.fullmatch(r"# .+", book.cells[0].source.strip()), (
        "the first cell is the title alone: the headline box comes right under it")
    first_code = next(cell for cell in book.cells[2:] if cell.cell_type == "code")
    assert "notebook.setup()" in first_code.source and "headlines." in first_code.source, (
        "the first code cell after the parameters sets up and shows the headline")
    assert book.cells[-1].source == "display(notebook.versions())", "one versions footer, from the package"
    assert any("What this shows" in cell.source for cell in book.cells if cell.cell_type == "markdown")
    assert "pd.set_option" not in source and "plots.use_style" not in source, "setup lives in forecast.notebook"


def test_build_reports_progress_and_index(built):
    out_dir, results, messages = built
    assert [item.name for item in results] == [nb.stem for nb in NOTEBOOKS]
    assert any(message.startswith(f"Building {len(NOTEBOOKS)} report(s)") for message in messages)
    assert [message.split()[1:] for message in messages if message.split()[0] == "queued"] == [
        [f"{nb.stem}," for nb in NOTEBOOKS[:-1]] + [NOTEBOOKS[-1].stem]]
    for item in results:
        assert messages.count(f"  running  {item.name}") == 1
        assert messages.count(f"  finished {item.name} in {item.seconds:.1f}s -> {item.name}.html, {item.name}.pdf") == 1
        assert item.html == out_dir / f"{item.name}.html" and item.html.is_file()
    assert not list(out_dir.parent.glob(f".{out_dir.name}.staging-*")), "the staging folder is gone"
    index = (out_dir / "index.html").read_text()
    assert f"Dataset version {data.dataset_version()}" in index
    for item in results:
        assert f'href="{item.html.name}"' in index and f'href="{item.pdf.name}"' in index
    for item in results:  # each report is listed by its title and its headline, read from the executed notebook
        executed = nbformat.read(item.executed, as_version=4)
        headline = report.headline_of(executed)
        assert re.search(r"\d", headline["summary"]), f"{item.name}: the headline names a number"
        assert html.escape(headline["summary"]) in index and html.escape(report.title_of(executed)) in index
    assert 'id="show-code"' not in index
    assert "days before this build" in index


@pytest.mark.parametrize("stem", [nb.stem for nb in NOTEBOOKS])
def test_each_export_has_figures_provenance_and_no_errors(built, stem):
    out_dir, _, _ = built
    executed = nbformat.read(out_dir / f"{stem}.ipynb", as_version=4)
    outputs = [output for cell in executed.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"], "no error outputs"
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"
                and "Traceback" in o.text]

    assert not [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})], (
        "report kernels run with FORECAST_REPORT_BUILD=1: the explorer shows its static view, no widget")

    html = (out_dir / f"{stem}.html").read_text()
    assert "Dataset version" in html and "Provenance." in html
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', html)) >= 1
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=\"https?://|cdn\.", html), "works offline"
    assert "Traceback" not in html
    assert '<div class="input">' in html and "#show-code:checked ~ main div.input" in html, "code hidden, can be shown"
    assert ">setup<" in html  # the code is there (highlighted), behind the toggle

    pdf = pypdf.PdfReader(out_dir / f"{stem}.pdf")
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Dataset version" in text and "What this shows" in text
    assert sum(len(page.images) for page in pdf.pages) >= 1, "figures in the PDF"


def test_summaries_are_computed_not_typed(built):
    out_dir, _, _ = built
    backtest = nbformat.read(out_dir / "04-backtest.ipynb", as_version=4)
    summary = backtest.cells[-2].outputs[0]["data"]["text/markdown"]
    assert "swap_agreed" in summary and "ceasefire_agreed" in summary and "2025-07-23-istanbul" in summary
    source = "\n".join(cell.source for notebook in NOTEBOOKS
                       for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "code")
    assert "all with Russia and Ukraine at the table" not in source and "continued through every year" not in source


def scenario(tmp_path, name, **values):
    path = tmp_path / f"{name}.yml"
    path.write_text("\n".join(f"{key}: {json.dumps(value)}" for key, value in values.items()) + "\n")
    return path


def test_next_round_scenarios_render_side_by_side(tmp_path):
    out_dir = tmp_path / "out"
    first = report.scenario_job(scenario(tmp_path, "direct", round_date="2026-04-10", parties="RU-UA",
                                         mediator="Turkey", venue="Istanbul", level="ministers"))
    second = report.scenario_job(scenario(tmp_path, "us-russia", round_date="2026-04-10", parties="US-RU",
                                          mediator="none", venue="Moscow", level="leaders"))
    assert first.name != second.name and first.name.startswith("05-next-round--direct-")
    report.build([first], out_dir=out_dir, progress=lambda message: None)
    first_html = (out_dir / f"{first.name}.html").read_bytes()
    report.build([second], out_dir=out_dir, progress=lambda message: None)
    assert (out_dir / f"{first.name}.html").read_bytes() == first_html, "the second render left the first alone"
    second_html = (out_dir / f"{second.name}.html").read_text()
    assert "with RU-UA at the table on 2026-04-10 in Istanbul, mediator Turkey, level ministers" in first_html.decode()
    assert "with US-RU at the table on 2026-04-10 in Moscow, no third-party mediator, level leaders" in second_html
    for page in (first_html.decode(), second_html):  # their own words, not the default scenario's
        seen = visible_text(page)
        assert "Abu Dhabi" not in seen and "United Arab Emirates" not in seen and "default scenario" not in seen
    index = (out_dir / "index.html").read_text()
    assert first.name in index and second.name in index
    assert "Scenario: a round of the Russia–Ukraine war with RU-UA at the table on 2026-04-10 in Istanbul" in index


def test_scenario_file_errors_are_clear(tmp_path):
    with pytest.raises(report.ReportError, match="unknown parameter\\(s\\) parites"):
        report.scenario_job(scenario(tmp_path, "typo", parites="RU-UA"))
    with pytest.raises(report.ReportError, match="missing.yml: parameter file not found"):
        report.scenario_job(tmp_path / "missing.yml")


def tiny_notebook(path, code):
    """A two-cell notebook (parameters, then ``code``) at ``path``; about 2 s to build."""
    book = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(code),
    ])
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(book, path)
    return report.Job(source=path, name=path.stem)


def test_a_failing_cell_fails_the_build_naming_notebook_and_cell(tmp_path):
    broken = tiny_notebook(tmp_path / "99-broken.ipynb", "raise ValueError('boom in the data')")
    before = os.getcwd()
    with pytest.raises(report.ReportError, match=r"99-broken.ipynb: cell 2 \(index \d\) failed: ValueError: boom"):
        report.build([broken], out_dir=tmp_path / "out", progress=lambda message: None)
    assert os.getcwd() == before


def test_a_failed_build_leaves_the_previous_reports_as_they_were(tmp_path, monkeypatch):
    runtime = tmp_path / "runtime"
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(runtime))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    previous = {"98-fine.html": b"<p>the previous 98-fine</p>\n", "98-fine.pdf": b"%PDF previous\n",
                "index.html": b"<ul><li>previous index</li></ul>\n"}
    for name, content in previous.items():
        (out_dir / name).write_bytes(content)
    jobs = [tiny_notebook(tmp_path / "notebooks" / "98-fine.ipynb", "y = x + 1"),
            tiny_notebook(tmp_path / "notebooks" / "99-broken.ipynb", "raise ValueError('boom in the data')")]
    with pytest.raises(report.ReportError, match="99-broken.ipynb: cell 2"):
        report.build(jobs, out_dir=out_dir, progress=lambda message: None)
    assert {path.name: path.read_bytes() for path in out_dir.iterdir()} == previous, "98-fine is not published"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notebooks", "out", "runtime"], "no staging folder"
    assert list(runtime.iterdir()) == [], "the kernels' connection files are gone"


def test_progress_says_running_only_when_a_worker_starts_the_job(tmp_path, monkeypatch):
    said = []
    execute = report.execute

    def recording_execute(job, *args, **kwargs):
        executed = execute(job, *args, **kwargs)
        said.append(f"(built {job.name})")
        return executed

    monkeypatch.setattr(report, "execute", recording_execute)
    jobs = [tiny_notebook(tmp_path / "notebooks" / f"{name}.ipynb", "y = x + 1") for name in ("97-first", "98-second")]
    report.build(jobs, out_dir=tmp_path / "out", progress=said.append, workers=1)
    assert [line for line in said if "queued" in line] == ["  queued   97-first, 98-second"]
    for name in ("97-first", "98-second"):
        assert said.count(f"  running  {name}") == 1
        assert sum(line.startswith(f"  finished {name} in ") and line.endswith(f"-> {name}.html, {name}.pdf")
                   for line in said) == 1
    assert said.index("  running  97-first") < said.index("(built 97-first)") < said.index("  running  98-second"), (
        "with one worker, the second job runs only once the first is executed (its export overlaps the second)")
    assert said[-1].startswith("Done in ")


@pytest.mark.parametrize("stem", [nb.stem for nb in NOTEBOOKS])
def test_reports_never_show_nan(built, stem):
    out_dir, _, _ = built
    text = re.sub(r'data:image/[^"]+"', '"', (out_dir / f"{stem}.html").read_text())
    for shown in ("NaN", "nan", "&lt;NA&gt;", "<NA>", "NaT", "nan%", "None"):
        assert not re.search(rf"(?<![\w]){re.escape(shown)}(?![\w])", visible_text(text)), f"{stem} shows {shown}"


def test_the_page_parser_sees_what_a_reader_sees():
    page = Page('<h1>T</h1><div class="input"><p>None</p></div><div><div class="headline"><p>9%</p></div></div>'
                '<table><tr><th>a</th></tr><tr><td>0</td></tr></table><style>p {}</style>')
    assert page.after_title[0] == "div.headline" and "None" not in " ".join(page.text)
    assert page.tables == [[["a"], ["0"]]]
    assert Page("<h1>T</h1><p>first</p><div class='headline'></div>").after_title[0] == "p"


@pytest.mark.parametrize("stem", [nb.stem for nb in NOTEBOOKS])
def test_each_report_opens_with_its_headline_box(built, stem):
    out_dir, _, _ = built
    page_html = (out_dir / f"{stem}.html").read_text()
    page = Page(page_html)
    assert page.after_title is not None and page.after_title[0] == "div.headline", (
        f"{stem}: the first thing under the title is {page.after_title}")
    box = re.search(r'<div class="headline".*?</div>', page_html, flags=re.DOTALL).group(0)
    question = re.search(r'<p class="question">(.*?)</p>', box).group(1)
    answer = re.search(r'<p class="answer"><strong>(.*?)</strong></p>', box).group(1)
    assert question.endswith("?") and len(question) > 30, "the question in plain words"
    assert re.search(r"\d+(\.\d+)?%|\d", answer), "a probability or a finding with a number"
    assert re.search(r'<p class="record">[^<]*(skill [+-]\d\.\d\d|\d+ of \d+)', box), "the track record in one figure"
    age = re.search(r'<p class="data-age">Data as of (\d{4}-\d{2}-\d{2}) \((\d+) days? before this build, '
                    r'(\d{4}-\d{2}-\d{2})\)\.</p>', box)
    assert age, "the data-age line"
    last, days, build_day = age.groups()
    assert (dt.date.fromisoformat(build_day) - dt.date.fromisoformat(last)).days == int(days)


@pytest.mark.parametrize("stem", [nb.stem for nb in NOTEBOOKS])
def test_tables_have_no_bare_index_and_read_as_words(built, stem):
    out_dir, _, _ = built
    page = Page((out_dir / f"{stem}.html").read_text())
    assert page.tables, f"{stem} shows tables"
    for rows in page.tables:
        body = [row for row in rows[1:] if row]
        if len(body) >= 2:
            assert [row[0] for row in body] != [str(i) for i in range(len(body))], f"{stem}: a 0..N index column"
        for row in body:
            for cell in row:
                assert not re.fullmatch(r"-?\d+\.0+", cell), f"{stem}: a whole number with decimals: {cell}"
                assert not re.search(r"\d{2}:\d{2}:\d{2}", cell), f"{stem}: a date with a time of day: {cell}"
                assert not re.search(r"\['|'\]", cell), f"{stem}: a Python list: {cell}"
                assert "…" not in cell and "..." not in cell, f"{stem}: a cut cell: {cell}"


def test_the_rounds_table_links_every_source(built):
    out_dir, _, _ = built
    page_html = (out_dir / "01-data-overview.html").read_text()
    rounds = data.load_rounds()
    table = re.search(r"<table[^>]*>(?:(?!</table>).)*?<th[^>]*>dates</th>.*?</table>", page_html, flags=re.DOTALL)
    assert table, "a table of rounds with their dates"
    links = re.findall(r'<a href="([^"]+)"', table.group(0))
    cited = [url for cell in rounds["sources"] for url in cell.split(data.URL_SEPARATOR)]
    assert sorted(html.unescape(link) for link in links) == sorted(cited), "every cited URL, clickable"
    assert table.group(0).count("<tr>") == len(rounds) + 1


@pytest.mark.parametrize("stem", [nb.stem for nb in NOTEBOOKS])
def test_pdfs_are_a4_with_embedded_fonts(built, stem):
    out_dir, _, _ = built
    path = out_dir / f"{stem}.pdf"
    pdf = pypdf.PdfReader(path)
    for page in pdf.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - 595.28) < 1 and abs(height - 841.89) < 1, f"{stem}: page {width} x {height} pt, not A4"
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            descriptor = (font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font).get(
                "/FontDescriptor")
            assert descriptor is not None and any(key in descriptor.get_object() for key in
                                                  ("/FontFile", "/FontFile2", "/FontFile3")), f"{stem}: font not embedded"
    assert report.SUSPECTS_FLAG not in path.read_bytes()
    lefts = []
    text = pdf.pages[0].extract_text(visitor_text=lambda shown, cm, tm, font, size: lefts.append(
        tm[4] * cm[0] + cm[4]) if shown.strip() else None)
    assert report.PDF_MARGIN == "1.8cm" and abs(min(lefts) - 1.8 / 2.54 * 72) < 1, "text starts at the left margin"
    assert "Data as of" in text, "the headline box opens the PDF too"
    if shutil.which("pdfinfo"):
        checked = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True)
        assert checked.returncode == 0 and checked.stderr == "" and "(A4)" in checked.stdout, checked.stderr


def test_the_build_prints_its_time_against_the_floor(built):
    _, _, messages = built
    floor = next(line for line in messages if line.startswith("Floor: "))
    assert f"{len(NOTEBOOKS)} kernel(s) running only `{report.FLOOR_CODE}`, 2 at a time" in floor
    done = re.fullmatch(r"Done in (\d+\.\d)s \((\d+\.\d\d) x the floor of (\d+\.\d)s\): .+", messages[-1])
    assert done, messages[-1]
    seconds, ratio, floor_seconds = map(float, done.groups())
    assert abs(ratio - seconds / floor_seconds) < 0.05


def test_a_rebuild_costs_little_more_than_starting_its_kernels(built, tmp_path):
    """The issue's target is 1.5 x the floor (the closing note gives the measured ratios); this guard, at 2.0,
    fails when a report starts redoing uncached work on every build."""
    messages = []
    report.build(out_dir=tmp_path / "again", progress=messages.append, floor=True)
    ratio = float(re.search(r"\((\d+\.\d\d) x the floor", messages[-1]).group(1))
    assert ratio <= 2.0, messages[-1]


def test_a_scenario_file_leaves_out_what_it_does_not_give(tmp_path):
    job = report.scenario_job(scenario(tmp_path, "bare", parties="RU-UA", level="senior_officials"))
    assert {name: job.parameters[name] for name in report.SCENARIO_NOT_GIVEN} == {"round_date": "", "mediator": "",
                                                                                  "venue": ""}
    assert job.parameters["described_as"] == "the scenario in bare.yml"
    chosen = forecast_scenario.from_parameters(conflict="russia-ukraine", round_date="", parties="RU-UA", mediator="",
                                               venue="", level="senior_officials", today=dt.date(2026, 4, 10))
    rounds = data.load_rounds()
    direct = rounds[rounds["parties"] == "RU-UA"]["mediator"].value_counts()
    assert chosen.mediator == direct.index[0] and chosen.day == pd.Timestamp("2026-04-10")
    assert chosen.assumed == (
        "date not given: assumed the build day, 2026-04-10",
        f"mediator not given: assumed {direct.index[0]}, the commonest mediator of the {direct.sum()} earlier RU-UA "
        f"rounds ({direct.iloc[0]} of them)",
        "venue not given (no method uses it)")
    assert chosen.describe() == (f"a round of the Russia–Ukraine war with RU-UA at the table on 2026-04-10 (venue not "
                                 f"given), mediator {direct.index[0]}, level senior officials")
