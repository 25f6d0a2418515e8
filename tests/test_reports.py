"""Notebooks and reports: every notebook executes, every export carries figures and the provenance line, no
error outputs, HTML works offline, scenario renders never overwrite each other, a failing cell names itself, a
failed build leaves the previous reports as they were, progress lines tell the truth. Cancelling a build with a
signal: test_report_cancel.py."""

import ast
import html
import json
import os
import re

import nbformat
import pypdf
import pytest

from forecast import data, paths, report

NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.glob("[0-9][0-9]-*.ipynb"))


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """All reports, built once per test session into a temporary folder (about 20 s)."""
    out_dir = tmp_path_factory.mktemp("reports")
    messages = []
    results = report.build(out_dir=out_dir, progress=messages.append)
    return out_dir, results, messages


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
    assert book.cells[0].cell_type == "markdown" and "**Question:**" in book.cells[0].source
    assert any("What this shows" in cell.source for cell in book.cells if cell.cell_type == "markdown")


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
    for notebook in NOTEBOOKS:  # each report's question is listed
        question = report.question_of(notebook)
        assert question and html.escape(question) in index, notebook.name
    assert 'id="show-code"' not in index


@pytest.mark.parametrize("stem", [nb.stem for nb in NOTEBOOKS])
def test_each_export_has_figures_provenance_and_no_errors(built, stem):
    out_dir, _, _ = built
    executed = nbformat.read(out_dir / f"{stem}.ipynb", as_version=4)
    outputs = [output for cell in executed.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"], "no error outputs"
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"
                and "Traceback" in o.text]

    html = (out_dir / f"{stem}.html").read_text()
    assert "Dataset version" in html and "Provenance." in html
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', html)) >= 1
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=\"https?://|cdn\.", html), "works offline"
    assert "Traceback" not in html
    assert '<div class="input">' in html and "#show-code:checked ~ main div.input" in html, "code hidden, can be shown"
    assert ">use_style<" in html  # the code is there (highlighted), behind the toggle

    pdf = pypdf.PdfReader(out_dir / f"{stem}.pdf")
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Dataset version" in text and "What this shows" in text
    assert sum(len(page.images) for page in pdf.pages) >= 1, "figures in the PDF"


def test_summaries_are_computed_not_typed(built):
    out_dir, _, _ = built
    backtest = nbformat.read(out_dir / "04-backtest.ipynb", as_version=4)
    summary = backtest.cells[-2].outputs[0]["data"]["text/markdown"]
    assert "swap_agreed" in summary and "ceasefire_agreed" in summary and "third Istanbul round" in summary


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
    assert "'RU-UA'" in first_html.decode() and "'US-RU'" in second_html
    assert first_html.decode() != second_html
    index = (out_dir / "index.html").read_text()
    assert first.name in index and second.name in index


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
    build_one = report.build_one

    def recording_build_one(job, *args, **kwargs):
        built = build_one(job, *args, **kwargs)
        said.append(f"(built {job.name})")
        return built

    monkeypatch.setattr(report, "build_one", recording_build_one)
    jobs = [tiny_notebook(tmp_path / "notebooks" / f"{name}.ipynb", "y = x + 1") for name in ("97-first", "98-second")]
    report.build(jobs, out_dir=tmp_path / "out", progress=said.append, workers=1)
    assert [line for line in said if "queued" in line] == ["  queued   97-first, 98-second"]
    for name in ("97-first", "98-second"):
        assert said.count(f"  running  {name}") == 1
        assert sum(line.startswith(f"  finished {name} in ") and line.endswith(f"-> {name}.html, {name}.pdf")
                   for line in said) == 1
    assert said.index("  running  97-first") < said.index("(built 97-first)") < said.index("  running  98-second"), (
        "with one worker, the second job runs only once the first is built")
    assert said[-1].startswith("Done in ")


@pytest.mark.parametrize("stem", [nb.stem for nb in NOTEBOOKS])
def test_reports_never_show_nan(built, stem):
    out_dir, _, _ = built
    text = re.sub(r'data:image/[^"]+"', '"', (out_dir / f"{stem}.html").read_text())
    for shown in ("NaN", "&lt;NA&gt;", "NaT", "nan%"):
        assert not re.search(rf"(?<![\w]){re.escape(shown)}(?![\w])", text), f"{stem} shows {shown}"
