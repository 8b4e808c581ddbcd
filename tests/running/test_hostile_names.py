"""Issue 24's findings on the runner's side: names from files stay plain names, one broken notebook stops nothing,
parameter files and -p values that would crash or mislead are one sentence, abandoned runs are cleared."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import FIXTURE_NOTEBOOKS

from helpers.paths import PROJECT_ROOT

CHART = FIXTURE_NOTEBOOKS / "chart.ipynb"


@pytest.mark.parametrize("file_name", ["..ipynb", "...ipynb", ".hidden.ipynb"])
def test_a_notebook_whose_name_is_not_a_plain_folder_name_is_refused(itvalue, tmp_path, file_name):
    """Before: '...ipynb' (stem '..') wrote its reports to <out>/../custom, outside --out."""
    notebook = tmp_path / "nb" / file_name
    notebook.parent.mkdir()
    shutil.copyfile(CHART, notebook)
    done = itvalue("run", notebook, "--out", tmp_path / "out" / "reports", "--quiet")
    assert done.returncode == 2 and "cannot name a report folder" in done.stderr
    assert not (tmp_path / "out").exists()


def _project(tmp_path, notebooks: dict[str, str]) -> object:
    project = tmp_path / "p"
    (project / "notebooks").mkdir(parents=True)
    for name, text in notebooks.items():
        (project / "notebooks" / f"{name}.ipynb").write_text(text, encoding="utf-8")
        (project / "params" / name).mkdir(parents=True)
        (project / "params" / name / "weekly.yml").write_text("points: 3\n", encoding="utf-8")
    return project


@pytest.mark.notebook
def test_one_broken_notebook_is_skipped_with_a_sentence_while_the_others_run(itvalue, tmp_path):
    """Before: 'itvalue list' and 'run --all' stopped with exit 2 and ran nothing."""
    project = _project(tmp_path, {"chart": CHART.read_text(), "broken": '{"cells": [ not json'})
    listed = itvalue("list", cwd=project)
    assert listed.returncode == 2 and "chart" in listed.stdout
    assert "itvalue: skipped" in listed.stderr and "broken.ipynb: not a Jupyter notebook" in listed.stderr
    done = itvalue("run", "--all", "--quiet", cwd=project)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "SKIPPED broken.ipynb" in done.stdout and "1 ok" in done.stdout and "1 notebook skipped" in done.stdout
    summary = json.loads((project / "reports" / "index.json").read_text())
    states = {s["notebook"]: s["status"] for s in summary["sets"]}
    assert states == {"chart": "ok", "broken": "bad-input"}


@pytest.mark.parametrize(
    "content, message",
    [
        ("points: " + "[" * 5000 + "]" * 5000 + "\n", "nested more deeply than any parameter needs"),
        ("points: 3\ntitle: a\npoints: 4\n", "'points' appears twice (line 3); keep one of them"),
    ],
)
def test_parameter_files_that_would_crash_or_mislead_are_one_sentence(itvalue, tmp_path, content, message):
    params = tmp_path / "set.yml"
    params.write_text(content, encoding="utf-8")
    done = itvalue("run", CHART, "-f", params, "--out", tmp_path / "out")
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_deeply_nested_p_value_is_one_sentence(itvalue, tmp_path):
    done = itvalue("run", CHART, "-p", "labels=" + "[" * 5000 + "]" * 5000, "--out", tmp_path / "out")
    assert done.returncode == 2 and "nested" in done.stderr and "Traceback" not in done.stderr


def test_a_mistyped_option_is_one_sentence_not_a_usage_block(itvalue, tmp_path):
    done = itvalue("run", CHART, "--engine", "spork", "--out", tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "usage:" not in done.stderr
    assert "itvalue: Argument --engine: invalid choice: 'spork'" in done.stderr


@pytest.mark.notebook
def test_a_partial_run_left_by_a_killed_runner_is_cleared_by_the_next_run(itvalue, tmp_path):
    out = tmp_path / "out"
    history = out / "chart" / "s" / "history"
    history.mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    killed = history / ".20250101T000000000000Z-dead00.partial"
    killed.mkdir()
    (killed / "notebook.ipynb").write_text("{}")
    (killed / ".owner").write_text(f"{os.uname().nodename} {dead.stdout.strip()}")
    done = itvalue("run", CHART, "--name", "s", "--out", out, "--quiet")
    assert done.returncode == 0, done.stderr
    assert not killed.exists()
    (run,) = history.iterdir()
    assert not (run / ".owner").exists(), "a finished run holds only its own files"


@pytest.mark.notebook
def test_a_notebook_outside_the_project_reads_the_projects_inputs(itvalue, tmp_path):
    """Before: validation passed (paths resolved from the project) and the kernel, in the notebook's folder, failed."""
    elsewhere = tmp_path / "elsewhere" / "nps_copy.ipynb"
    elsewhere.parent.mkdir()
    shutil.copyfile(PROJECT_ROOT / "notebooks" / "nps_trends.ipynb", elsewhere)
    done = itvalue("run", elsewhere, "-f", PROJECT_ROOT / "params" / "nps_trends" / "default.yml",
                   "--out", tmp_path / "out", "--quiet", cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stderr
    record = json.loads((tmp_path / "out" / "nps_copy" / "default" / "run.json").read_text())
    assert os.path.isabs(record["parameters"]["responses_path"])
