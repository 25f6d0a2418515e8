"""Notebooks and reports: every notebook executes, every export carries figures and the provenance line, no
error outputs, HTML works offline, scenario renders never overwrite each other, a failing cell names itself."""

import ast
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
    assert [nb.stem[:2] for nb in NOTEBOOKS] == ["01", "02", "03", "04", "05"]


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
    assert any(message.startswith("Building 5 report(s)") for message in messages)
    assert sum("finished" in message for message in messages) == 5
    index = (out_dir / "index.html").read_text()
    assert f"Dataset version {data.dataset_version()}" in index
    for item in results:
        assert f'href="{item.html.name}"' in index and f'href="{item.pdf.name}"' in index
    assert "does any method beat the base rate?" in index  # each report's question is listed
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


def test_a_failing_cell_fails_the_build_naming_notebook_and_cell(tmp_path):
    book = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("raise ValueError('boom in the data')"),
    ])
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    source = tmp_path / "99-broken.ipynb"
    nbformat.write(book, source)
    before = os.getcwd()
    with pytest.raises(report.ReportError, match=r"99-broken.ipynb: cell 2 \(index \d\) failed: ValueError: boom"):
        report.build([report.Job(source=source, name="99-broken")], out_dir=tmp_path / "out",
                     progress=lambda message: None)
    assert os.getcwd() == before
