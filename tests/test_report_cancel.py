"""Ctrl-C or SIGTERM during `forecast report`: out within 2 s, one line on stderr, exit 130 or 143, no kernel,
no connection file, no temporary or staging file left, and the previous reports byte-identical.

The real command as a subprocess, cancelled a second after its first kernel is up (about 5 s per signal).
"""

import os
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest

PREVIOUS_REPORTS = {
    "01-data-overview.html": b"<p>the previous build's data overview</p>\n",
    "01-data-overview.pdf": b"%PDF-1.7 previous\n",
    "05-next-round--old-0123abcd.html": b"<p>an earlier scenario</p>\n",
    "index.html": b"<ul><li>previous index</li></ul>\n",
}
"""What DIR holds before the cancelled build: a report the build would replace, a scenario it would keep."""

CANCEL_DEADLINE_SECONDS = 2.0
"""The issue's promise: the command is gone this long after the signal."""


def files_in(folder):
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def processes_mentioning(text):
    """PIDs whose command line contains ``text`` (kernels carry their connection file's path in theirs)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as stream:
                    if text.encode() in stream.read():
                        found.append(int(entry))
            except OSError:  # the process ended while we looked
                continue
    return found


def lines_of(stream):
    """A queue receiving the stream's lines from a reader thread (so that waiting for one can time out)."""
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in stream], daemon=True).start()
    return lines


def wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="looks for left-over kernels in /proc")
@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_a_signal_cancels_the_build_cleanly(tmp_path, signum, code):
    out_dir, runtime, scratch = tmp_path / "reports", tmp_path / "runtime", tmp_path / "tmp"
    for folder in (out_dir, runtime, scratch):
        folder.mkdir()
    for name, content in PREVIOUS_REPORTS.items():
        (out_dir / name).write_bytes(content)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime), "TMPDIR": str(scratch)}
    env.pop("PYTHONUNBUFFERED", None)  # progress must reach a pipe by itself

    process = subprocess.Popen([sys.executable, "-m", "forecast", "report", "--out", str(out_dir)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout = lines_of(process.stdout)
        seen = []
        while not any(line.startswith("  running ") for line in seen):
            seen.append(stdout.get(timeout=60))
        wait_for(lambda: list(runtime.glob("kernel-*.json")), 30, "a kernel's connection file")
        time.sleep(1)  # the kernel is up and executing its notebook
        assert process.poll() is None, "the build ended before the signal"

        process.send_signal(signum)
        signalled = time.monotonic()
        returncode = process.wait(timeout=30)
        seconds = time.monotonic() - signalled
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    leftover = processes_mentioning(str(runtime))  # at once: kernels exit by themselves a second after us
    stderr = process.stderr.read()

    assert seconds < CANCEL_DEADLINE_SECONDS, f"exited {seconds:.2f}s after the signal"
    assert returncode == code, stderr
    assert "Traceback" not in stderr
    assert stderr.splitlines() == [f"forecast report: cancelled ({signal.Signals(signum).name}); "
                                   "the previous reports are unchanged"]
    assert leftover == [], "a kernel is still running"
    assert list(runtime.glob("kernel-*.json")) == []
    assert list(scratch.iterdir()) == []
    assert sorted(path.name for path in tmp_path.iterdir()) == ["reports", "runtime", "tmp"], "no staging folder"
    assert files_in(out_dir) == PREVIOUS_REPORTS
