"""Each input is scanned for rule violations once per run: by the runner, not again in the kernel."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from helpers import nps_trends
from helpers.exceptions import ParameterError
from helpers.inputs import loading, trust
from helpers.paths import PARAMS_DIR, SAMPLE_DATA_DIR
from helpers.running.catalog import find_notebook
from helpers.running.runner import prepare_run

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def kernel_environment(monkeypatch, tmp_path):
    """Point the trust variable at a record, as a warm kernel's environment does."""

    def give(checked):
        record = tmp_path / "checked.json"
        trust.write_record(record, checked)
        monkeypatch.setenv(trust.ENVIRONMENT_VARIABLE, str(record))

    return give


@pytest.fixture
def scans(monkeypatch):
    """Count full rule scans by the input kind they checked."""
    seen: list[str] = []
    real = loading.find_problems

    def counting(db, schema, *args, **kwargs):
        seen.append(schema.kind if hasattr(schema, "kind") else str(schema))
        return real(db, schema, *args, **kwargs)

    monkeypatch.setattr(loading, "find_problems", counting)
    return seen


def _kernel_loads(prepared, give):
    """What the notebook's load cell does, in the environment the runner gives its kernel."""
    give(prepared.checked)
    params = nps_trends.Parameters.validate_values(prepared.values)
    return nps_trends.load_inputs(params)


def test_the_kernel_does_not_scan_what_the_runner_checked(scans, kernel_environment):
    assert trust.ENVIRONMENT_VARIABLE not in os.environ, "the runner's own process never trusts"
    prepared = prepare_run(find_notebook("nps_trends"), params_file=PARAMS_DIR / "nps_trends" / "default.yml")
    assert len(scans) == 2, "the runner scans responses and tickets once each"
    inputs = _kernel_loads(prepared, kernel_environment)
    assert len(scans) == 2, "the kernel trusted both"
    assert inputs.responses.count().execute() > 0


def test_a_file_changed_after_the_check_is_scanned_again(scans, kernel_environment, tmp_path):
    copy = tmp_path / "responses.csv"
    shutil.copyfile(SAMPLE_DATA_DIR / "responses.csv", copy)
    prepared = prepare_run(find_notebook("nps_trends"), overrides={"responses_path": str(copy), "tickets_path": ""})
    assert len(scans) == 1
    with copy.open("a", encoding="utf-8") as handle:
        handle.write("")  # same content...
    os.utime(copy, ns=(copy.stat().st_atime_ns, copy.stat().st_mtime_ns + 1_000_000))  # ...but rewritten
    _kernel_loads(prepared, kernel_environment)
    assert len(scans) == 2


def test_a_notebook_run_by_hand_still_validates(scans):
    params = nps_trends.Parameters.validate_values({"tickets_path": ""})
    nps_trends.load_inputs(params)
    assert len(scans) == 1


def test_trust_is_per_time_zone(scans, kernel_environment):
    prepared = prepare_run(find_notebook("nps_trends"), overrides={"tickets_path": ""})
    entry = prepared.checked[0]
    assert entry["timezone"] == "UTC" and entry["kind"] == "responses"
    kernel_environment(prepared.checked)
    params = nps_trends.Parameters.validate_values({**prepared.values, "timezone": "Europe/Paris"})
    nps_trends.load_inputs(params)
    assert len(scans) == 2, "naive timestamps read in another zone are checked again"


def _project(root, *groupings):
    """A project folder (notebooks/, params/) whose itvalue.toml declares ``groupings``."""
    (root / "notebooks").mkdir(parents=True)
    (root / "params").mkdir()
    listed = ", ".join(f'"{g}"' for g in groupings)
    (root / "itvalue.toml").write_text(f"[privacy]\ngroupings = [{listed}]\n", encoding="utf-8")
    return root


def _responses_with_desks(path):
    import pandas as pd

    n = 600
    pd.DataFrame({
        "response_id": [f"R{i}" for i in range(n)],
        "timestamp": "2025-01-06T10:00:00",
        "score": [i % 11 for i in range(n)],
        "desk": [["Desk A", "Desk B", "Desk C"][i % 3] for i in range(n)],
    }).to_csv(path, index=False)
    return path


@pytest.fixture
def profiles(monkeypatch):
    """Count grouping columns profiled (the scan a grouping check makes)."""
    from helpers import privacy

    seen: list[str] = []
    real = privacy.profile_grouping

    def counting(spec, kind, column, **kwargs):
        seen.append(column)
        return real(spec, kind, column, **kwargs)

    monkeypatch.setattr(privacy, "profile_grouping", counting)
    return seen


def test_the_runner_and_the_kernel_judge_groupings_by_the_same_project_declaration(
    tmp_path, monkeypatch, profiles, kernel_environment
):
    declaring = _project(tmp_path / "declaring", "desk")
    monkeypatch.setenv("ITVALUE_PROJECT", str(declaring))
    overrides = {"responses_path": str(_responses_with_desks(tmp_path / "responses.csv")), "tickets_path": "",
                 "segments": ["desk"]}
    prepared = prepare_run(find_notebook(str(PROJECT_ROOT / "notebooks" / "nps_trends.ipynb")), overrides=overrides)
    assert profiles == ["desk"], "the runner accepted the column its project declares"
    entry = next(e for e in prepared.checked if "groupings" in e)
    assert entry["declared"] == ["desk"]

    # The kernel reads the same declaration: it trusts the runner's check, with no second scan.
    _kernel_loads(prepared, kernel_environment)
    assert profiles == ["desk"]

    # A kernel that reads another declaration (another project, the file edited since) judges by its own.
    monkeypatch.setenv("ITVALUE_PROJECT", str(_project(tmp_path / "other")))
    with pytest.raises(ParameterError, match="column 'desk' of responses.csv is not declared a grouping"):
        _kernel_loads(prepared, kernel_environment)
