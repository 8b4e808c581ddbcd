"""One list of dependencies: environment.yml (conda-forge) names the same packages as pyproject.toml."""

from __future__ import annotations

import re
import tomllib

import yaml

from helpers.paths import PROJECT_ROOT

# conda-forge names for the PyPI packages whose names differ there.
CONDA_NAMES = {"duckdb": "python-duckdb", "ibis-framework[duckdb]": "ibis-framework-duckdb"}


def _name_and_bound(requirement: str) -> tuple[str, str]:
    match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*(.*)$", requirement.strip())
    return match.group(1).lower(), match.group(2).replace(" ", "")


def test_environment_yml_names_the_pyproject_dependencies():
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    wanted = {}
    for requirement in pyproject["project"]["dependencies"]:
        name, bound = _name_and_bound(requirement)
        wanted[CONDA_NAMES.get(name, name)] = bound

    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    conda = {}
    for item in env["dependencies"]:
        if isinstance(item, str) and not item.startswith(("python", "pip")):
            name, bound = _name_and_bound(item)
            conda[name] = bound
        elif isinstance(item, str) and item.startswith("python-"):
            name, bound = _name_and_bound(item)
            conda[name] = bound
    assert conda == wanted
    assert env["dependencies"][-1] == {"pip": ["-e ."]}, "environment.yml ends with pip: [-e .]"


def test_environment_yml_names_the_optional_engines():
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    text = (PROJECT_ROOT / "environment.yml").read_text()
    for extra in ("spark", "postgres"):
        for requirement in pyproject["project"]["optional-dependencies"][extra]:
            name, bound = _name_and_bound(requirement)
            if not name.startswith("ibis-framework["):  # its backends add only these packages to ibis-framework-duckdb
                assert f"  # - {name}{bound}\n" in text, f"environment.yml names {name}{bound} (extra [{extra}])"


def test_readme_opens_with_the_two_commands():
    lines = [line.strip() for line in (PROJECT_ROOT / "README.md").read_text().splitlines()]
    commands = [line for line in lines[:40] if line.startswith("make ")]
    assert commands[:2] == ["make reports", "make test"]


def test_ci_runs_the_readme_test_command():
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text()
