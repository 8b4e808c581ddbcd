"""Column maps through the runner and the command line: checked before any kernel, recorded in run.json,
``itvalue inspect`` and ``itvalue describe``."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from helpers.paths import PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "data" / "sample"


def _itvalue(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "helpers.running.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=900, cwd=cwd)


@pytest.fixture(scope="module")
def servicenow_tickets(tmp_path_factory):
    """The sample tickets as a ServiceNow incident list names them (field names, reopen_count a count)."""
    tickets = pd.read_csv(SAMPLE / "tickets.csv", dtype=str, keep_default_na=False)
    export = pd.DataFrame({
        "number": tickets["ticket_id"], "short_description": "Issue", "opened_at": tickets["opened"].str.replace("T", " "),
        "resolved_at": tickets["resolved"].str.replace("T", " "), "reopen_count": (tickets["reopened"] == "true").astype(int),
        "contact_type": tickets["channel"], "business_service": tickets["service"],
    })
    path = tmp_path_factory.mktemp("servicenow") / "incidents.csv"
    export.to_csv(path, index=False)
    return path


def test_a_map_naming_a_missing_column_stops_before_any_kernel(servicenow_tickets, tmp_path):
    done = _itvalue("run", "nps_trends", "-p", f"tickets_path={servicenow_tickets}",
                    "-p", "tickets_columns={ticket_id: number, opened: opened_on, resolved: resolved_at}", "--out", tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "itvalue: incidents.csv: column 'opened_on' (mapped to 'opened') is not in the file (its columns: number, "
        "short_description, opened_at, resolved_at, reopen_count, contact_type, business_service)."
    )
    assert "Traceback" not in done.stderr and not any(tmp_path.iterdir())


def test_a_refused_expression_stops_before_any_kernel(servicenow_tickets, tmp_path):
    done = _itvalue("run", "nps_trends", "-p", f"tickets_path={servicenow_tickets}", "-p", "tickets_profile=servicenow",
                    "-p", "tickets_columns={channel: \"read_text('/etc/passwd')\"}", "--out", tmp_path)
    assert done.returncode == 2
    assert "uses the function read_text, which a column map may not use" in done.stderr
    assert "root:" not in done.stderr and not any(tmp_path.iterdir())


@pytest.mark.notebook
def test_run_json_records_the_map_and_the_profile(servicenow_tickets, tmp_path):
    done = _itvalue("run", "nps_trends", "-p", f"tickets_path={servicenow_tickets}", "-p", "tickets_profile=servicenow",
                    "-p", "tickets_columns={service: business_service}", "--out", tmp_path, "--quiet")
    assert done.returncode == 0, done.stderr[-3000:]
    set_dir = tmp_path / "nps_trends" / "custom"
    record = json.loads((set_dir / "run.json").read_text())
    tickets = next(v for v in record["inputs"].values() if v["kind"] == "tickets") if "inputs" in record else None
    assert tickets is not None, sorted(record)
    assert tickets["profile"] == "servicenow"
    assert tickets["profile_file"] == "src/helpers/inputs/profiles/tickets/servicenow.yml"
    assert len(tickets["profile_sha256"]) == 64
    assert tickets["columns"] == {"service": "business_service"}
    results = json.loads((set_dir / "results.json").read_text())
    assert results["tickets"]["linked_responses"] > 1000, "the incidents were linked to the responses by their number"
