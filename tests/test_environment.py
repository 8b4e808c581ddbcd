"""One list of dependencies: environment.yml (conda-forge) names the same packages as pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

import yaml

from helpers.paths import PROJECT_ROOT

# conda-forge's names where they differ from PyPI's, each checked on anaconda.org/conda-forge:
# python-duckdb is DuckDB's Python package; ibis-duckdb is Ibis with its DuckDB backend
# (ibis-framework-core + python-duckdb), what `ibis-framework[duckdb]` is on PyPI; jupyter_client keeps its underscore.
CONDA_FORGE_NAMES = {"duckdb": "python-duckdb", "ibis-framework": "ibis-duckdb", "jupyter-client": "jupyter_client"}
# The module each of those conda-forge packages provides: the test checks PyPI's side against the installed packages.
CONDA_FORGE_IMPORTS = {"python-duckdb": "duckdb", "ibis-duckdb": "ibis", "jupyter_client": "jupyter_client"}


def _name_and_bound(requirement: str) -> tuple[str, str]:
    match = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(.*)$", requirement.strip())
    return match.group(1).lower(), match.group(2).replace(" ", "")


def _pyproject_requirements() -> list[str]:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    return project["dependencies"] + project["optional-dependencies"]["lab"]


def _conda_requirements() -> dict[str, str]:
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    names = [item for item in env["dependencies"] if isinstance(item, str)]
    return dict(_name_and_bound(item) for item in names if not re.match(r"^(python|pip)\b(?!-)", item))


def test_environment_yml_names_the_pyproject_dependencies_with_the_same_floors():
    wanted = {CONDA_FORGE_NAMES.get(name, name): bound for name, bound in map(_name_and_bound, _pyproject_requirements())}
    assert _conda_requirements() == wanted


def test_each_renamed_conda_package_provides_the_module_of_its_pypi_package():
    provided_by = metadata.packages_distributions()
    for pypi_name, conda_name in CONDA_FORGE_NAMES.items():
        module = CONDA_FORGE_IMPORTS[conda_name]
        providers = [re.sub(r"[-_.]+", "-", dist).lower() for dist in provided_by.get(module, [])]
        assert pypi_name in providers, f"{pypi_name} provides {module}"
    assert set(CONDA_FORGE_NAMES) <= {name for name, _ in map(_name_and_bound, _pyproject_requirements())}, "no stale names"


def test_environment_yml_ends_with_the_kit_itself():
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    assert env["dependencies"][-1] == {"pip": ["-e ."]}, "environment.yml ends with pip: [-e .]"


def test_environment_yml_names_the_optional_engines():
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    text = (PROJECT_ROOT / "environment.yml").read_text()
    for extra in ("spark", "postgres"):
        for requirement in pyproject["project"]["optional-dependencies"][extra]:
            name, bound = _name_and_bound(requirement)
            if name != "ibis-framework":  # its backends add only these packages to conda-forge's ibis-duckdb
                assert f"  # - {name}{bound}\n" in text, f"environment.yml names {name}{bound} (extra [{extra}])"


def test_readme_opens_with_the_two_commands():
    lines = [line.strip() for line in (PROJECT_ROOT / "README.md").read_text().splitlines()]
    commands = [line for line in lines[:40] if line.startswith("make ")]
    assert commands[:2] == ["make reports", "make test"]


def test_ci_runs_the_readme_test_command():
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text()
