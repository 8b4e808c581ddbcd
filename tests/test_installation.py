"""The environment check: a dependency below its floor, missing or failing beside another is one sentence, anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata

import nbformat
import pytest
from nbclient import NotebookClient

from helpers import installation
from helpers.installation import DependencyError, check_dependencies, dependency_problems
from helpers.jupyter import CHECK_CELL


def _old_distribution(folder, name: str, version: str) -> str:
    """A folder whose metadata says ``name`` is at ``version``: first on sys.path, it is what importlib.metadata finds."""
    info = folder / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
    return str(folder)


def test_the_floors_come_from_the_installed_metadata():
    declared = metadata.requires("itvalue")
    assert any(r.startswith("pandas>=") for r in declared)
    assert dependency_problems() == [], "this environment satisfies every floor"


def test_a_package_below_its_floor_and_a_missing_one_are_one_sentence(monkeypatch):
    requires = metadata.requires("itvalue")
    monkeypatch.setattr(
        installation.metadata, "requires",
        lambda name: [*requires, "pandas>=999", "no-such-package-itvalue>=1.0", 'jupyterlab>=999; extra == "lab"'],
    )
    problems = dependency_problems()
    assert [(p.name, p.wanted) for p in problems] == [
        ("pandas", "pandas>=999"), ("no-such-package-itvalue", "no-such-package-itvalue>=1.0"),
    ], "an extra's floor is not checked"
    with pytest.raises(DependencyError) as caught:
        check_dependencies()
    sentence = str(caught.value)
    found = metadata.version("pandas")
    assert f"has pandas {found} but the kit needs pandas>=999 and no no-such-package-itvalue but the kit needs " in sentence
    assert sentence.endswith("-m pip install 'pandas>=999' 'no-such-package-itvalue>=1.0'")
    assert "\n" not in sentence and caught.value.exit_status == 2


def test_a_release_that_fails_beside_another_is_one_sentence_with_what_works(monkeypatch):
    # pyarrow 26 refuses NumPy 1 at import without declaring it; pip installs it beside numpy 1.26.
    versions = {"pyarrow": "26.0.1", "numpy": "1.26.4"}
    real = installation.metadata.version
    monkeypatch.setattr(installation.metadata, "version", lambda name: versions.get(name) or real(name))
    assert dependency_problems() == [("pyarrow", "26.0.1", "pyarrow<26", "numpy 1.26.4")]
    with pytest.raises(DependencyError) as caught:
        check_dependencies()
    assert str(caught.value).endswith("has pyarrow 26.0.1 but beside numpy 1.26.4 the kit needs pyarrow<26; fix it with: "
                                      f"{sys.executable} -m pip install 'pyarrow<26'")
    for fine in ({"pyarrow": "25.0.0", "numpy": "1.26.4"}, {"pyarrow": "26.0.1", "numpy": "2.0.2"}):
        versions.update(fine)
        assert dependency_problems() == [], fine


def test_itvalue_refuses_to_start_below_a_floor(tmp_path):
    env = {**os.environ, "PYTHONPATH": _old_distribution(tmp_path / "old", "pandas", "1.5.3")}
    done = subprocess.run([sys.executable, "-m", "helpers.running.cli", "list"], capture_output=True, text=True, env=env)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"itvalue: This environment ({sys.prefix}) has pandas 1.5.3 but the kit needs pandas>=")
    assert len(done.stderr.strip().splitlines()) == 1, "one sentence, no traceback"


def test_version_works_even_below_a_floor(tmp_path):
    env = {**os.environ, "PYTHONPATH": _old_distribution(tmp_path / "old", "numpy", "1.20.0")}
    done = subprocess.run([sys.executable, "-m", "helpers.running.cli", "--version"], capture_output=True, text=True, env=env)
    assert done.returncode == 0 and done.stdout.strip() == f"itvalue {metadata.version('itvalue')}"


@pytest.mark.notebook
def test_a_notebook_below_a_floor_stops_at_its_first_cell_with_the_sentence(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", _old_distribution(tmp_path / "old", "numpy", "1.20.0"))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CHECK_CELL), nbformat.v4.new_code_cell("print('ran')")])
    client = NotebookClient(nb, kernel_name="python3", timeout=180, resources={"metadata": {"path": str(tmp_path)}})
    with pytest.raises(Exception):  # noqa: B017 - nbclient's CellExecutionError; the outputs are what matter
        client.execute()
    (error, details), rest = nb.cells[0].outputs, nb.cells[1].outputs
    assert error.output_type == "error" and error.ename == "DependencyError"
    assert error.evalue.startswith("This environment") and "has numpy 1.20.0 but the kit needs numpy>=" in error.evalue
    assert len(error.traceback) == 1, "the sentence, not a traceback"
    assert details.output_type == "display_data" and "<details" in details.data["text/html"]
    assert rest == [], "nothing after the check runs"
