"""Build the reports: execute each notebook with papermill, export it to offline HTML and to PDF, write an index.

HTML: the nbconvert template ``report`` (templates/report, extending ``basic``: no MathJax, no require.js, no CDN)
puts the cells inside a page of our own with inline CSS; figures are embedded as data URIs; code cells are hidden
until the reader ticks "show code". The index lists each report's headline box (read from its executed notebook).
PDF: the same notebook exported without code, converted by pandoc (``pypandoc-binary``) to Typst and compiled
by the ``typst`` package, A4 with its own embedded fonts: no LaTeX, no browser.
Exports run on one thread beside the kernels; ``measure_floor`` times bare kernels for comparison.
A build works in a hidden staging folder beside the output folder and moves its files in only when every
notebook has succeeded; a failure, SIGINT or SIGTERM leaves the earlier reports as they were.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import html
import logging
import os
import queue
import re
import shutil
import signal
import tempfile
import threading
import time
import uuid
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


CANCEL_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""Signals that cancel a build; the command line then exits with 128 + the signal number (130, 143)."""

CANCEL_GRACE_SECONDS = 0.5
"""Seconds a cancelled build waits for its worker threads once their kernels are killed, before it removes the
staging folder a second time. nbclient notices a dead kernel only at its next once-a-second check, and the
command line exits without waiting for the stragglers, so a cancel takes well under 2 s."""


class ReportError(RuntimeError):
    """A notebook failed to execute or export; the message names the notebook and the cell."""


class Cancelled(BaseException):
    """SIGINT or SIGTERM stopped the build; its kernels, staging folder and part-written files are gone.
    A BaseException, like KeyboardInterrupt, so that ``except Exception`` does not swallow it."""

    def __init__(self, signum: int):
        self.signum = int(signum)
        self.exit_code = 128 + self.signum
        super().__init__(f"cancelled ({signal.Signals(signum).name}); the previous reports are unchanged")


# --- jobs ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Job:
    """One notebook to execute: its source, the name of its outputs (no extension) and its parameters."""

    source: Path
    name: str
    parameters: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Built:
    """One job's outputs (executed notebook, HTML, PDF) and the seconds it took."""

    name: str
    html: Path
    pdf: Path
    seconds: float
    executed: Path


def default_jobs() -> list[Job]:
    """Every notebook in notebooks/, in order, with its own default parameters."""
    notebooks = sorted(paths.NOTEBOOKS_DIR.glob("[0-9][0-9]-*.ipynb"))
    return [Job(source=notebook, name=notebook.stem) for notebook in notebooks]


SCENARIO_NOT_GIVEN = ("round_date", "mediator", "venue")
"""Next-round parameters a scenario file may leave out; they are passed as empty, never the notebook's defaults."""


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
    # YAML reads an unquoted 2026-06-01 as a date; the notebooks take dates as ISO text, quoted or not.
    parameters = {name: value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value
                  for name, value in parameters.items()}
    source = paths.NOTEBOOKS_DIR / NEXT_ROUND_NOTEBOOK
    allowed = notebook_parameters(source)
    unknown = sorted(set(parameters) - set(allowed))
    if unknown:
        raise ReportError(f"{params_file}: unknown parameter(s) {', '.join(unknown)}; "
                          f"the notebook takes {', '.join(allowed)}")
    # What the file leaves out the notebook must not take from its own default scenario (an RU-UA round would
    # read "in Abu Dhabi, mediator United Arab Emirates"): date, mediator and venue not given stay empty, and the
    # notebook states the default it uses instead (forecast.scenario.from_parameters).
    parameters = {**{name: "" for name in SCENARIO_NOT_GIVEN if name in allowed}, **parameters}
    parameters.setdefault("described_as", f"the scenario in {params_file.name}")
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


# --- kernels a build can kill ----------------------------------------------------------------------------

class KernelRegistry:
    """The kernels one build has started (process id, process group, connection file), so that a cancel or a
    failure kills them all at once. Once closed, it kills any kernel that starts afterwards."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kernels: dict[int, tuple[int | None, int | None, str]] = {}  # id(manager) -> pid, pgid, file
        self._closed = False
        self.manager_class = _registered_kernel_manager(self)

    def add(self, key: int, pid: int | None, pgid: int | None, connection_file: str) -> None:
        with self._lock:
            if not self._closed:
                self._kernels[key] = (pid, pgid, connection_file)
                return
        _kill_kernel(pid, pgid, connection_file)
        raise ReportError("the build was stopped while this kernel started")

    def discard(self, key: int) -> None:
        with self._lock:
            self._kernels.pop(key, None)

    def kill_all(self) -> None:
        """Kill every registered kernel, remove its connection file and close the registry."""
        with self._lock:
            self._closed = True
            kernels, self._kernels = list(self._kernels.values()), {}
        for kernel in kernels:
            _kill_kernel(*kernel)


def _registered_kernel_manager(registry: KernelRegistry) -> type:
    """nbclient's kernel manager (jupyter_client's AsyncKernelManager) reporting each kernel to ``registry``:
    its connection file as soon as it is written, its process once launched; gone again at cleanup. The
    connection file is ``kernel-<id>.json`` in Jupyter's runtime folder, as Jupyter names it, not a ``tmp*.json``
    in the temporary folder (jupyter_client's default for a lone kernel manager)."""
    from jupyter_client import AsyncKernelManager
    from jupyter_core.paths import jupyter_runtime_dir

    class RegisteredKernelManager(AsyncKernelManager):
        async def _async_pre_start_kernel(self, **kw):
            kw["env"] = {**kw.get("env", os.environ), paths.REPORT_BUILD_ENV: "1"}
            if not self.connection_file:
                self.kernel_id = self.kernel_id or kw.pop("kernel_id", None) or str(uuid.uuid4())
                runtime = Path(jupyter_runtime_dir())
                runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
                self.connection_file = str(runtime / f"kernel-{self.kernel_id}.json")
            command, kw = await super()._async_pre_start_kernel(**kw)
            registry.add(id(self), None, None, self.connection_file)
            return command, kw

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            await super()._async_launch_kernel(kernel_cmd, **kw)
            registry.add(id(self), getattr(self.provisioner, "pid", None), getattr(self.provisioner, "pgid", None),
                         self.connection_file)

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            if not restart:
                registry.discard(id(self))

        cleanup_resources = _async_cleanup_resources  # AsyncKernelManager binds the base function by name

    return RegisteredKernelManager


def _kill_kernel(pid: int | None, pgid: int | None, connection_file: str) -> None:
    """SIGKILL a kernel's process group and remove its connection file. jupyter_client starts each kernel in a
    session of its own, so a terminal's Ctrl-C never reaches it: we must."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if pgid is not None and pgid != os.getpgrp():
            os.killpg(pgid, signal.SIGKILL)
        elif pid is not None:
            os.kill(pid, signal.SIGKILL)
    Path(connection_file).unlink(missing_ok=True)


def _kill_child_processes() -> None:
    """SIGKILL this process's children (pandoc in the middle of a PDF), as listed by Linux in
    /proc/self/task/*/children (elsewhere none are found). Called only when a signal ends the build."""
    for listing in Path("/proc/self/task").glob("*/children"):
        with contextlib.suppress(OSError):
            for pid in listing.read_text().split():
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(int(pid), signal.SIGKILL)


# --- execution and export --------------------------------------------------------------------------------

def execute(job: Job, output: Path, kernels: KernelRegistry | None = None) -> nbformat.NotebookNode:
    """Run the notebook with papermill into ``output`` (saved when the run ends, not after every cell; ``output``
    belongs in a staging folder); a failing cell raises ReportError naming notebook and cell."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    kernels = kernels or KernelRegistry()
    try:
        papermill.execute_notebook(str(job.source), str(output), parameters=job.parameters,
                                   request_save_on_cell_execute=False,
                                   kernel_name="python3", progress_bar=False, log_output=False,
                                   extra_arguments=KERNEL_ARGUMENTS, kernel_manager_class=kernels.manager_class)
        # No cwd=: papermill would chdir the whole process, which races between the build's threads.
        # The notebooks find files through forecast.paths, not the working directory.
    except PapermillExecutionError as error:
        raise ReportError(f"{job.source.name}: cell {error.exec_count} (index {error.cell_index}) failed: "
                          f"{error.ename}: {error.evalue}") from None
    return nbformat.read(output, as_version=4)


TEMPLATES_DIR = Path(__file__).parent / "templates"
"""The nbconvert template ``report`` (extends ``basic``: the cells inside a page of our own, inline CSS, no scripts)
and the index page's template, which share ``report/report.css``."""

PDF_PAPER = "a4"
PDF_MARGIN = "1.8cm"
PDF_FONT_SIZE = "9.5pt"
"""Page size, margin (all four sides) and body text size of the PDFs (pandoc's Typst template variables)."""

TYPST_RULES = """#set par(justify: false)
#set image(width: 100%)
#show table: set text(size: 7.5pt)
#show figure: set block(breakable: true)
#show <headline>: it => block(fill: rgb("#f3f7fb"), stroke: (left: 3pt + rgb("#1f77b4")), inset: 8pt, width: 100%, it)
"""
"""Typst rules put right after pandoc's template line (so that they win over its own): ragged-right text (the
template justifies, which stretches the long lines of names), figures as wide as the text, tables in a smaller
size and free to break across pages (pandoc puts each in a figure, which otherwise runs off the page), and the
headline box (the div with id ``headline``, which pandoc labels ``<headline>``) shaded as in the HTML."""

TEMPLATE_END = "\n  doc,\n)\n"
"""How pandoc's Typst template line ``#show: doc => conf(...)`` ends."""


def with_rules(source: str) -> str:
    """pandoc's Typst ``source`` with ``TYPST_RULES`` right after its template line (at the top if it has none)."""
    start = source.find("#show: doc => conf(")
    end = source.find(TEMPLATE_END, start) if start >= 0 else -1
    if end < 0:
        return TYPST_RULES + source
    end += len(TEMPLATE_END)
    return source[:end] + TYPST_RULES + source[end:]


@functools.lru_cache(maxsize=None)
def _exporter(exclude_input: bool = False):
    """One HTML exporter per kind (with or without code), built once: loading its templates takes a tenth of a
    second. Exports run on one thread at a time (the build's exporter thread)."""
    from nbconvert import HTMLExporter

    options = {"exclude_input": True, "template_file": "basic/index.html.j2"} if exclude_input else {}
    return HTMLExporter(template_name="report", extra_template_basedirs=[str(TEMPLATES_DIR)],
                        exclude_input_prompt=True, exclude_output_prompt=True, anchor_link_text="", **options)


def export_html(notebook: nbformat.NotebookNode, title: str) -> str:
    """Self-contained HTML (figures inline, no external scripts), code hidden until asked for."""
    body, _ = _exporter().from_notebook_node(notebook, resources={"metadata": {"name": title}})
    return body


def title_of(notebook: nbformat.NotebookNode) -> str:
    """A notebook's title: the first ``# heading`` of its first markdown cell."""
    first = next((cell.source for cell in notebook.cells if cell.cell_type == "markdown"), "")
    match = re.search(r"^#\s+(.+)$", first, flags=re.MULTILINE)
    return match.group(1).strip() if match else ""


def headline_of(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """The headline box an executed notebook displayed: its ``summary`` (one line for the index), the round a
    scenario report ``describes`` and the ``question``; empty strings where a notebook has none."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            shown = output.get("data", {}).get("text/html", "")
            shown = "".join(shown) if isinstance(shown, list) else shown
            if 'class="headline"' in shown:
                found = {name: html.unescape(match.group(1)) if (match := re.search(pattern, shown)) else ""
                         for name, pattern in (("summary", r'data-summary="([^"]*)"'),
                                               ("describes", r'data-describes="([^"]*)"'),
                                               ("question", r'<p class="question">(.*?)</p>'))}
                return found
    return {"summary": "", "describes": "", "question": ""}


def typst_source(body: str, scratch: Path) -> str:
    """The Typst document pandoc makes of a report's HTML ``body`` (A4, ``PDF_MARGIN``, ``PDF_FONT_SIZE``, with
    ``TYPST_RULES``); its figures are extracted into ``scratch/media`` and referred to relative to ``scratch``."""
    import pypandoc

    source = pypandoc.convert_text(body, "typst", format="html", verify_format=False, extra_args=[
        "--standalone", f"--extract-media={scratch / 'media'}", "--columns=120",
        "-V", f"papersize={PDF_PAPER}", "-V", f"fontsize={PDF_FONT_SIZE}",
        f'--variable-json=margin:{{"x": "{PDF_MARGIN}", "y": "{PDF_MARGIN}"}}'])  # a map: -V cannot make one
    return with_rules(source.replace(str(scratch) + "/", ""))


def export_pdf(notebook: nbformat.NotebookNode, pdf: Path) -> Path:
    """PDF through pandoc (HTML without code -> Typst, A4 with ``PDF_MARGIN``) and the typst compiler (which
    embeds its fonts), written to ``pdf`` with its scratch files beside it (a build writes into its staging
    folder)."""
    import typst

    body, _ = _exporter(exclude_input=True).from_notebook_node(notebook)
    with tempfile.TemporaryDirectory(prefix=".pdf-", dir=pdf.parent) as scratch:
        scratch = Path(scratch)
        typ = scratch / "report.typ"
        typ.write_text(typst_source(body, scratch), encoding="utf-8")
        # Only the fonts typst carries (Libertinus Serif, New Computer Modern, DejaVu Sans Mono): the same PDF on
        # every machine, and no scan of the system's fonts on every export.
        compiled = typst.compile(str(typ), root=str(scratch), ignore_system_fonts=True)
    pdf.write_bytes(without_suspects_flag(compiled))
    return pdf


SUSPECTS_FLAG = b"/Suspects false"
"""Typst writes ``/MarkInfo <</Marked true/Suspects false>>``; poppler 22 (Debian 12's pdfinfo, pdftoppm) reads the
key as the wrong type and prints "Syntax Error: Suspects object is wrong type" for every PDF."""


def without_suspects_flag(pdf: bytes) -> bytes:
    """The PDF with ``SUSPECTS_FLAG`` blanked out by spaces of the same length, so that every byte offset (the
    cross-reference table) stays valid; false is the default, so nothing a reader sees changes."""
    return pdf.replace(b"/MarkInfo<</Marked true" + SUSPECTS_FLAG + b">>",
                       b"/MarkInfo<</Marked true" + b" " * len(SUSPECTS_FLAG) + b">>")


def export_one(job: Job, executed: nbformat.NotebookNode, executed_path: Path, folder: Path,
               started: float) -> Built:
    """Export an executed job to HTML and PDF in ``folder``; ``started``: when its execution began (perf_counter)."""
    html_path = folder / f"{job.name}.html"
    html_path.write_text(export_html(executed, job.name), encoding="utf-8")
    try:
        pdf_path = export_pdf(executed, folder / f"{job.name}.pdf")
    except Exception as error:  # pandoc/typst failures name the report, not a traceback
        raise ReportError(f"{job.source.name}: PDF export failed: {error}") from None
    return Built(job.name, html_path, pdf_path, time.perf_counter() - started, executed_path)


def build_one(job: Job, folder: Path, kernels: KernelRegistry | None = None) -> Built:
    """Execute and export one job into ``folder``. Plain writes, not atomic ones: a build's staging folder is
    read by no one until the build publishes it, and a write must fail, not recreate it, once it is removed."""
    started = time.perf_counter()
    executed_path = folder / f"{job.name}.ipynb"
    executed = execute(job, executed_path, kernels)
    return export_one(job, executed, executed_path, folder, started)


def write_index(out_dir: Path) -> Path:
    """index.html: each report's title and headline (from the executed notebook beside it), then the scenario
    reports (including earlier scenario builds) by the round they describe."""
    import jinja2

    reports, scenarios = [], []
    for html_file in sorted(out_dir.glob("*.html")):
        if html_file.name == "index.html":
            continue
        executed = html_file.with_suffix(".ipynb")
        notebook = nbformat.read(executed, as_version=4) if executed.is_file() else None
        headline = headline_of(notebook) if notebook is not None else {"summary": "", "describes": "", "question": ""}
        pdf_file = html_file.with_suffix(".pdf")
        item = {"name": html_file.stem, "html": html_file.name, "pdf": pdf_file.name if pdf_file.exists() else "",
                "title": (title_of(notebook) if notebook is not None else "") or html_file.stem,
                "summary": headline["summary"], "question": headline["question"]}
        if "--" in html_file.stem:
            item["title"] = f"Scenario: {headline['describes'] or html_file.stem}"
            scenarios.append(item)
        else:
            reports.append(item)
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR / "report"), autoescape=False)
    provenance = data.provenance()
    from forecast import present

    page = environment.get_template("reports-index.html.j2").render(
        reports=reports, scenarios=scenarios, provenance=provenance.line(),
        data_age=present.data_age(provenance.last_date), built=f"{dt.datetime.now():%Y-%m-%d %H:%M:%S}",
        version=__version__)
    return atomic.write_text(out_dir / "index.html", page)


# --- a whole build: staging, progress, signals ------------------------------------------------------------

def print_flushed(message: str) -> None:
    """Progress on stdout at once, also through a pipe (CI logs, ``| tee``)."""
    print(message, flush=True)


@contextlib.contextmanager
def _signals_queued(events: queue.SimpleQueue):
    """While the block runs, SIGINT and SIGTERM only put their number on ``events`` (SimpleQueue.put is safe in
    a signal handler), for the main thread to act on between steps: an exception raised in the middle of any
    statement could cut a cleanup or a publish in half. Outside the main thread, signals are left alone."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, lambda signum, frame: events.put(signum)) for signum in CANCEL_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)


def _raise_if_signalled(events: queue.SimpleQueue) -> None:
    """Raise Cancelled if a signal is waiting on ``events``; other events are dropped (the build is ending)."""
    while True:
        try:
            event = events.get_nowait()
        except queue.Empty:
            return
        if not isinstance(event, concurrent.futures.Future):
            raise Cancelled(event)


QUIET_WHEN_STOPPED = ("papermill", "pypandoc")
"""Loggers silenced once a build is stopping: the kernels and the pandoc we kill make nbclient (through
papermill's logger) log 'Kernel died' and pypandoc log a traceback, which are our doing, not news."""


class _QuietWhen(logging.Filter):
    """Drop log records once ``event`` is set."""

    def __init__(self, event: threading.Event):
        super().__init__()
        self.event = event

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.event.is_set()


def _run_jobs(jobs: list[Job], staging: Path, events: queue.SimpleQueue, say: Callable[[str], None],
              workers: int) -> list[Built]:
    """Build every job into ``staging``, ``workers`` at a time. On a failure or a signal (from ``events``) kill the
    kernels and drop the queued jobs, then raise ReportError or Cancelled; a cancel also removes ``staging``."""
    _raise_if_signalled(events)
    kernels = KernelRegistry()
    stopping = threading.Event()
    quiet = _QuietWhen(stopping)
    for name in QUIET_WHEN_STOPPED:
        logging.getLogger(name).addFilter(quiet)

    # A worker executes a notebook, hands its export to the exporter thread and takes the next notebook, so
    # that exports overlap with kernels instead of keeping a kernel slot idle.
    exporter = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="export")
    futures: list[concurrent.futures.Future] = []

    def finish(job: Job, executed: nbformat.NotebookNode, executed_path: Path, started: float) -> Built | None:
        if stopping.is_set():
            return None
        result = export_one(job, executed, executed_path, staging, started)
        if not stopping.is_set():
            say(f"  finished {result.name} in {result.seconds:.1f}s -> {result.html.name}, {result.pdf.name}")
        return result

    def run(job: Job) -> None:
        if stopping.is_set():
            return
        say(f"  running  {job.name}")
        started = time.perf_counter()
        executed_path = staging / f"{job.name}.ipynb"
        executed = execute(job, executed_path, kernels)
        if stopping.is_set():
            return
        export = exporter.submit(finish, job, executed, executed_path, started)
        futures.append(export)
        export.add_done_callback(events.put)

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="report")
    runs = [pool.submit(run, job) for job in jobs]
    futures += runs
    for future in runs:
        future.add_done_callback(events.put)
    built: list[Built] = []
    try:
        while len(built) < len(jobs):
            event = events.get()
            if not isinstance(event, concurrent.futures.Future):
                raise Cancelled(event)
            if event.exception() is not None:
                _raise_if_signalled(events)  # Ctrl-C also kills pandoc: report the cancel, not the export error
            result = event.result()  # raises the job's error
            if isinstance(result, Built):
                built.append(result)
        _raise_if_signalled(events)  # a signal before publishing still cancels
        return built
    except Cancelled:
        stopping.set()
        pool.shutdown(wait=False, cancel_futures=True)
        exporter.shutdown(wait=False, cancel_futures=True)
        kernels.kill_all()
        _kill_child_processes()
        shutil.rmtree(staging, ignore_errors=True)
        concurrent.futures.wait(futures, timeout=CANCEL_GRACE_SECONDS)
        _kill_child_processes()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    except BaseException:
        stopping.set()
        kernels.kill_all()
        pool.shutdown(wait=True, cancel_futures=True)
        exporter.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        exporter.shutdown(wait=False, cancel_futures=True)
        if all(future.done() for future in futures):  # else stragglers of a cancel may still log; the CLI exits
            for name in QUIET_WHEN_STOPPED:
                logging.getLogger(name).removeFilter(quiet)


def _staging_folder(out_dir: Path) -> Path:
    """A new hidden folder beside ``out_dir`` (same file system, so that publishing is one rename per file)."""
    target = out_dir.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))


def _publish(item: Built, out_dir: Path) -> Built:
    """Move one job's files from staging into ``out_dir`` (os.replace, replacing earlier versions)."""
    moved = {}
    for key in ("executed", "html", "pdf"):
        source = getattr(item, key)
        moved[key] = out_dir / source.name
        os.replace(source, moved[key])
    return dataclasses.replace(item, **moved)


FLOOR_CODE = "import forecast.notebook"
"""What each kernel of the floor runs: the import every report notebook starts with (it imports every module
the notebooks use), and nothing else."""


def floor_jobs(count: int, folder: Path) -> list[Job]:
    """``count`` one-cell notebooks running ``FLOOR_CODE``, written into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    jobs = []
    for number in range(count):
        book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(FLOOR_CODE)])
        book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        source = folder / f"floor-{number}.ipynb"
        nbformat.write(book, source)
        jobs.append(Job(source=source, name=source.stem))
    return jobs


def measure_floor(count: int, folder: Path, workers: int = PARALLEL_NOTEBOOKS) -> float:
    """Seconds to execute ``count`` floor notebooks ``workers`` at a time, started the way a build starts its
    kernels (``execute``, the same kernel manager and arguments): the least a build of ``count`` reports costs."""
    kernels = KernelRegistry()
    jobs = floor_jobs(count, folder)
    started = time.perf_counter()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="floor") as pool:
            list(pool.map(lambda job: execute(job, folder / f"{job.name}-executed.ipynb", kernels), jobs))
    finally:
        kernels.kill_all()
    return time.perf_counter() - started


def build(jobs: list[Job] | None = None, out_dir: Path | None = None,
          progress: Callable[[str], None] = print_flushed, workers: int = PARALLEL_NOTEBOOKS,
          floor: bool = False) -> list[Built]:
    """Execute and export every job (default: all notebooks) in a staging folder beside ``out_dir`` (default:
    reports/); when all have succeeded, move the files into ``out_dir`` and rewrite its index.html. Files there
    that this build does not make (earlier scenarios) stay. A failure raises ReportError; SIGINT or SIGTERM
    (when called from the main thread) raises Cancelled. Either way ``out_dir`` is left as it was and the
    staging folder, the kernels and their connection files are gone. Progress lines: queued (once), running
    (when a worker picks the job up), finished (seconds, outputs); ``progress`` is called from worker threads,
    one call at a time. ``floor``: first measure the floor (``measure_floor``, as many kernels as jobs) and
    print the build's time against it."""
    jobs = default_jobs() if jobs is None else jobs
    if not jobs:
        raise ReportError(f"no notebooks found in {paths.NOTEBOOKS_DIR}")
    out_dir = Path(out_dir or paths.reports_dir())
    lock = threading.Lock()

    def say(message: str) -> None:
        with lock:
            progress(message)

    events: queue.SimpleQueue = queue.SimpleQueue()
    with _signals_queued(events):
        data.provenance()  # fail fast, with the data error, before starting kernels
        floor_seconds = None
        if floor:
            with tempfile.TemporaryDirectory(prefix=".floor-") as scratch:
                floor_seconds = measure_floor(len(jobs), Path(scratch), workers)
            say(f"Floor: {len(jobs)} kernel(s) running only `{FLOOR_CODE}`, {workers} at a time: {floor_seconds:.1f}s")
            _raise_if_signalled(events)
        started = time.perf_counter()
        say(f"Building {len(jobs)} report(s) into {out_dir} ({workers} at a time)")
        say(f"  queued   {', '.join(job.name for job in jobs)}")
        staging = _staging_folder(out_dir)
        try:
            built = _run_jobs(jobs, staging, events, say, workers)
            out_dir.mkdir(parents=True, exist_ok=True)
            built = [_publish(item, out_dir) for item in built]
            index = write_index(out_dir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    seconds = time.perf_counter() - started
    against = f" ({seconds / floor_seconds:.2f} x the floor of {floor_seconds:.1f}s)" if floor_seconds else ""
    say(f"Done in {seconds:.1f}s{against}: {index}")
    return sorted(built, key=lambda item: item.name)
