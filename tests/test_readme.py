"""The README's examples work as printed and leave the repository's tracked and data files as they were."""

import re
import shlex

from forecast import paths


def readme_commands(prefix: str) -> list[list[str]]:
    """Commands of the README's shell blocks that start with ``prefix`` (continuation lines joined, comments cut)."""
    text = (paths.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith(prefix):
                commands.append(shlex.split(line)[1:])
    return commands


def tracked_state():
    return {path: path.read_bytes() for path in sorted(paths.data_dir().rglob("*")) if path.is_file()}


def test_readme_ledger_examples_run_and_touch_no_project_file(tmp_path, run_cli):
    ledger_commands = [args for args in readme_commands("forecast") if args and args[0] in ("log", "resolve", "score")]
    assert [args[0] for args in ledger_commands] == ["log", "resolve", "resolve", "score"]
    before = tracked_state()
    default_ledger_before = paths.ledger_csv().read_bytes() if paths.ledger_csv().exists() else None
    scratch = tmp_path / "try-ledger.csv"
    for args in ledger_commands:
        assert "--ledger" in args and args[args.index("--ledger") + 1].startswith("/tmp/"), args
        args = [str(scratch) if value == "/tmp/try-ledger.csv" else value for value in args]
        process = run_cli(*args)
        assert process.returncode == 0, (args, process.stderr)
    assert tracked_state() == before
    assert scratch.exists(), "the examples wrote to the scratch ledger"
    after = paths.ledger_csv().read_bytes() if paths.ledger_csv().exists() else None
    assert after == default_ledger_before, "the examples left the default ledger alone"


def test_readme_scenario_example_writes_outside_the_repository():
    text = (paths.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "cat > /tmp/scenario.yml" in text and "--params /tmp/scenario.yml" in text
