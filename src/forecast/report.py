"""Build the reports: execute each notebook with papermill, export it to offline HTML and to PDF, write an index.

HTML: nbconvert's ``basic`` template (no MathJax, no require.js, no CDN) inside a page of our own with inline
CSS; figures are embedded as data URIs; code cells are hidden until the reader ticks "show code".
PDF: the same notebook exported without code, converted by pandoc (``pypandoc-binary``) to Typst and compiled
by the ``typst`` package: no LaTeX, no browser.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import hashlib
import html
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat
import yaml

from forecast import __version__, atomic, data, paths

NEXT_ROUND_NOTEBOOK = "05-next-round.ipynb"
"""The parameterised notebook that ``forecast report --params FILE`` renders for other scenarios."""

PARALLEL_NOTEBOOKS = 2
"""Notebooks executed at once (one kernel per core on the 2-core machines this project targets)."""


KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=CRITICAL"]
"""Quiet kernels: ipykernel 7 warns on every start that local TCP is unencrypted and may log an interrupt at
shutdown; cell errors still reach the executed notebook and fail the build, and a kernel that dies fails it too."""


class ReportError(RuntimeError):
    """A notebook failed to execute or export; the message names the notebook and the cell."""


# --- what notebooks show at the top ----------------------------------------------------------------------

def header(parameters: dict) -> "IPython.display.Markdown":  # noqa: F821
    """Markdown block with the provenance line, the parameters and the package version (first output of
    every notebook; the report tests look for it)."""
    from IPython.display import Markdown

    shown = ", ".join(f"`{name}` = `{value!r}`" for name, value in parameters.items()) or "none"
    return Markdown(f"**Provenance.** {data.provenance().line()}  \n"
                    f"**Parameters:** {shown}  \n"
                    f"**Package:** talks-forecast {__version__}; built {dt.datetime.now():%Y-%m-%d %H:%M}.")


# --- jobs ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Job:
    """One notebook to execute: its source, the name of its outputs (no extension) and its parameters."""

    source: Path
    name: str
    parameters: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Built:
    name: str
    html: Path
    pdf: Path
    seconds: float


def default_jobs() -> list[Job]:
    """Every notebook in notebooks/, in order, with its own default parameters."""
    notebooks = sorted(paths.NOTEBOOKS_DIR.glob("[0-9][0-9]-*.ipynb"))
    return [Job(source=notebook, name=notebook.stem) for notebook in notebooks]


def scenario_job(params_file: str | Path) -> Job:
    """The next-round notebook with parameters from a YAML file, under a name that no other scenario takes:
    ``05-next-round--<file stem>-<8 hex digits of the parameters' hash>``."""
    params_file = Path(params_file)
    if not params_file.is_file():
        raise ReportError(f"{params_file}: parameter file not found")
    try:
        parameters = yaml.safe_load(params_file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ReportError(f"{params_file}: not valid YAML ({str(error).splitlines()[0]})") from None
    if not isinstance(parameters, dict):
        raise ReportError(f"{params_file}: expected a mapping of parameter names to values")
    source = paths.NOTEBOOKS_DIR / NEXT_ROUND_NOTEBOOK
    allowed = notebook_parameters(source)
    unknown = sorted(set(parameters) - set(allowed))
    if unknown:
        raise ReportError(f"{params_file}: unknown parameter(s) {', '.join(unknown)}; "
                          f"the notebook takes {', '.join(allowed)}")
    digest = hashlib.sha256(yaml.safe_dump(parameters, sort_keys=True).encode()).hexdigest()[:8]
    slug = re.sub(r"[^a-z0-9]+", "-", params_file.stem.lower()).strip("-") or "scenario"
    return Job(source=source, name=f"{source.stem}--{slug}-{digest}", parameters=parameters)


def notebook_parameters(notebook: Path) -> list[str]:
    """Names assigned in the notebook's cell tagged ``parameters``."""
    cells = [cell for cell in nbformat.read(notebook, as_version=4).cells
             if "parameters" in cell.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ReportError(f"{notebook.name}: expected exactly one cell tagged 'parameters', found {len(cells)}")
    return re.findall(r"^([A-Za-z_]\w*)\s*=", cells[0].source, flags=re.MULTILINE)


# --- execution and export --------------------------------------------------------------------------------

def execute(job: Job, output: Path) -> nbformat.NotebookNode:
    """Run the notebook with papermill; a failing cell raises ReportError naming notebook and cell."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    with tempfile.TemporaryDirectory() as scratch:
        executed = Path(scratch) / output.name
        try:
            papermill.execute_notebook(str(job.source), str(executed), parameters=job.parameters,
                                       kernel_name="python3", progress_bar=False, log_output=False,
                                       extra_arguments=KERNEL_ARGUMENTS)
            # No cwd=: papermill would chdir the whole process, which races between the build's threads.
            # The notebooks find files through forecast.paths, not the working directory.
        except PapermillExecutionError as error:
            raise ReportError(f"{job.source.name}: cell {error.exec_count} (index {error.cell_index}) failed: "
                              f"{error.ename}: {error.evalue}") from None
        atomic.write_bytes(output, executed.read_bytes())
    return nbformat.read(output, as_version=4)


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; color: #222; line-height: 1.45; }}
img {{ max-width: 100%; height: auto; }}
table {{ border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 0.2rem 0.5rem; text-align: right; }}
th {{ background: #f4f4f4; }}
pre {{ background: #f6f6f6; padding: 0.5rem; overflow-x: auto; font-size: 0.8rem; }}
div.input {{ display: none; }}
#show-code:checked ~ main div.input {{ display: block; }}
.toggle {{ font-size: 0.85rem; color: #555; }}
nav {{ font-size: 0.85rem; margin-bottom: 1rem; }}
</style></head>
<body>
{controls}
<main>
{body}
</main>
</body></html>
"""


def export_html(notebook: nbformat.NotebookNode, title: str) -> str:
    """Self-contained HTML (figures inline, no external scripts), code hidden until asked for."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="basic", exclude_input_prompt=True, exclude_output_prompt=True,
                            anchor_link_text="")
    body, _ = exporter.from_notebook_node(notebook)
    return PAGE.format(title=html.escape(title), body=body, controls=REPORT_CONTROLS)


REPORT_CONTROLS = """<nav><a href="index.html">All reports</a></nav>
<input type="checkbox" id="show-code"><label for="show-code" class="toggle"> show code</label>"""


def question_of(notebook: Path) -> str:
    """The question a notebook answers: its first markdown cell's ``**Question:**`` sentence, as plain text."""
    first = next((cell.source for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "markdown"), "")
    match = re.search(r"\*\*Question:\*\*\s*(.+)", first, flags=re.DOTALL)
    return " ".join(match.group(1).split()) if match else ""


TYPST_PREAMBLE = """#set page(paper: "a4", margin: 1.8cm)
#set text(size: 9.5pt)
#set image(width: 100%)
#show table: set text(size: 7.5pt)
"""


def export_pdf(notebook: nbformat.NotebookNode, pdf: Path) -> Path:
    """PDF through pandoc (HTML without code -> Typst) and the typst compiler."""
    import pypandoc
    import typst
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, anchor_link_text="")
    body, _ = exporter.from_notebook_node(notebook)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        source = pypandoc.convert_text(body, "typst", format="html", extra_args=[
            "--standalone", f"--extract-media={scratch / 'media'}", "--columns=120"])
        source = source.replace(str(scratch) + "/", "")
        typ = scratch / "report.typ"
        typ.write_text(TYPST_PREAMBLE + source, encoding="utf-8")
        compiled = typst.compile(str(typ), root=str(scratch))
    return atomic.write_bytes(pdf, compiled)


def build_one(job: Job, out_dir: Path) -> Built:
    started = time.perf_counter()
    executed = execute(job, out_dir / f"{job.name}.ipynb")
    html_path = atomic.write_text(out_dir / f"{job.name}.html", export_html(executed, job.name))
    try:
        pdf_path = export_pdf(executed, out_dir / f"{job.name}.pdf")
    except Exception as error:  # pandoc/typst failures name the report, not a traceback
        raise ReportError(f"{job.source.name}: PDF export failed: {error}") from None
    return Built(job.name, html_path, pdf_path, time.perf_counter() - started)


def write_index(out_dir: Path) -> Path:
    """index.html listing every report in ``out_dir`` (including earlier scenario builds)."""
    items = []
    for html_file in sorted(out_dir.glob("*.html")):
        if html_file.name == "index.html":
            continue
        pdf_file = html_file.with_suffix(".pdf")
        pdf_link = f' &middot; <a href="{pdf_file.name}">PDF</a>' if pdf_file.exists() else ""
        source = paths.NOTEBOOKS_DIR / f"{html_file.stem.split('--')[0]}.ipynb"
        question = html.escape(question_of(source)) if source.exists() else ""
        scenario = " (scenario)" if "--" in html_file.stem else ""
        items.append(f'<li><a href="{html_file.name}">{html.escape(html_file.stem)}</a>{pdf_link}{scenario}'
                     f'<br><small>{question}</small></li>')
    body = (f"<h1>Talks forecast: reports</h1>"
            f"<p>{html.escape(data.provenance().line())}</p>"
            f"<p>Built {dt.datetime.now():%Y-%m-%d %H:%M:%S} with talks-forecast {__version__}.</p>"
            f"<ul>{''.join(items)}</ul>")
    return atomic.write_text(out_dir / "index.html",
                             PAGE.format(title="Talks forecast reports", body=body, controls=""))


def build(jobs: list[Job] | None = None, out_dir: Path | None = None,
          progress: Callable[[str], None] = print, workers: int = PARALLEL_NOTEBOOKS) -> list[Built]:
    """Execute and export every job (default: all notebooks) into ``out_dir`` (default: reports/)."""
    jobs = default_jobs() if jobs is None else jobs
    if not jobs:
        raise ReportError(f"no notebooks found in {paths.NOTEBOOKS_DIR}")
    out_dir = Path(out_dir or paths.reports_dir())
    out_dir.mkdir(parents=True, exist_ok=True)
    data.provenance()  # fail fast, with the data error, before starting kernels
    started = time.perf_counter()
    progress(f"Building {len(jobs)} report(s) into {out_dir} ({workers} at a time)")
    built: list[Built] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(build_one, job, out_dir): job for job in jobs}
        for job in jobs:
            progress(f"  started  {job.name}")
        for future in concurrent.futures.as_completed(futures):
            result = future.result()
            built.append(result)
            progress(f"  finished {result.name} in {result.seconds:.1f}s -> {result.html.name}, {result.pdf.name}")
    index = write_index(out_dir)
    progress(f"Done in {time.perf_counter() - started:.1f}s: {index}")
    return sorted(built, key=lambda item: item.name)

