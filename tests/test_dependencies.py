"""pyproject.toml and environment.yml declare the same packages with the same lower bounds."""

import re
import shutil
import tomllib
from pathlib import Path

import yaml

from forecast import paths

CONDA_ONLY = {"python", "pip"}  # the interpreter and installer, which pyproject does not list


def _requirement(text: str) -> tuple[str, str]:
    """('pandas', '>=2.2') from 'pandas>=2.2'; names normalised as PEP 503 does."""
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*", text)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower(), match.group(2).replace(" ", "")


def pyproject_requirements(path: Path) -> dict[str, str]:
    project = tomllib.loads(path.read_text())["project"]
    listed = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        listed += extra
    return dict(_requirement(item) for item in listed)


def environment_requirements(path: Path) -> dict[str, str]:
    listed = []
    for item in yaml.safe_load(path.read_text())["dependencies"]:
        if isinstance(item, dict):
            listed += [entry for entry in item.get("pip", []) if not entry.startswith("-e")]
        else:
            listed.append(item)
    pairs = dict(_requirement(item.replace("=", "==", 1) if re.fullmatch(r"[\w.-]+=[\d.]+", item) else item)
                 for item in listed)
    return {name: spec for name, spec in pairs.items() if name not in CONDA_ONLY}


def disagreements(pyproject: Path, environment: Path) -> list[str]:
    declared, mirrored = pyproject_requirements(pyproject), environment_requirements(environment)
    problems = [f"{name}{spec} is in pyproject.toml but not environment.yml"
                for name, spec in declared.items() if name not in mirrored]
    problems += [f"{name}{spec} is in environment.yml but not pyproject.toml"
                 for name, spec in mirrored.items() if name not in declared]
    problems += [f"{name}: pyproject.toml says '{spec}', environment.yml '{mirrored[name]}'"
                 for name, spec in declared.items() if name in mirrored and mirrored[name] != spec]
    return problems


def test_pyproject_and_environment_agree():
    assert disagreements(paths.PROJECT_ROOT / "pyproject.toml", paths.PROJECT_ROOT / "environment.yml") == []


def test_environment_pins_python_311_and_installs_the_project():
    environment = yaml.safe_load((paths.PROJECT_ROOT / "environment.yml").read_text())
    assert "conda-forge" in environment["channels"]
    assert "python=3.11" in environment["dependencies"]
    pip_section = next(item for item in environment["dependencies"] if isinstance(item, dict))["pip"]
    assert "-e ." in pip_section


def test_the_check_fails_when_one_side_drops_a_dependency(tmp_path):
    pyproject = shutil.copy(paths.PROJECT_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    environment = tmp_path / "environment.yml"
    text = (paths.PROJECT_ROOT / "environment.yml").read_text()
    environment.write_text(text.replace("  - statsmodels>=0.14\n", ""))
    assert disagreements(Path(pyproject), environment) == [
        "statsmodels>=0.14 is in pyproject.toml but not environment.yml"]

    environment.write_text(text)
    Path(pyproject).write_text(Path(pyproject).read_text().replace('  "pyyaml>=6.0",\n', ""))
    assert disagreements(Path(pyproject), environment) == ["pyyaml>=6.0 is in environment.yml but not pyproject.toml"]


def test_the_check_fails_when_bounds_differ(tmp_path):
    environment = tmp_path / "environment.yml"
    environment.write_text((paths.PROJECT_ROOT / "environment.yml").read_text().replace("pandas>=2.2", "pandas>=2.0"))
    assert disagreements(paths.PROJECT_ROOT / "pyproject.toml", environment) == [
        "pandas: pyproject.toml says '>=2.2', environment.yml '>=2.0'"]


def test_pinned_constraints_cover_every_declared_package():
    pinned = dict(_requirement(line.split("==")[0]) for line in
                  (paths.PROJECT_ROOT / "requirements" / "constraints.txt").read_text().splitlines()
                  if "==" in line)
    missing = set(pyproject_requirements(paths.PROJECT_ROOT / "pyproject.toml")) - set(pinned)
    assert missing == set()
