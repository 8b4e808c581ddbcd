"""Service outcomes run as users run them: the itvalue command on a real kernel, its outputs read back."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pandas as pd
import pytest

from helpers.paths import PROJECT_ROOT
from helpers.sample_data import outcomes as sample


@pytest.fixture(scope="module")
def sample_set(tmp_path_factory):
    out = tmp_path_factory.mktemp("outcomes_sample")
    return out, sample.generate(out, scale=1, seed=42)


def test_bad_input_stops_the_cli_before_any_kernel_with_one_sentence(sample_set, tmp_path):
    out, _ = sample_set
    text = (out / "incidents.csv").read_text(encoding="utf-8").splitlines()
    header, first = text[0].split(","), text[1].split(",")
    first[header.index("opened_at")] = "2/29/2025 09:00"
    (tmp_path / "incidents.csv").write_text("\n".join([text[0], ",".join(first), *text[2:]]) + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "helpers.running.cli", "run", "service_outcomes", "-p",
         f"incidents_path={tmp_path / 'incidents.csv'}", "--out", str(tmp_path / "reports")],
        capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT,
    )
    assert done.returncode == 2
    assert done.stderr.strip().startswith("itvalue: incidents.csv: column 'opened_at' must be an ISO 8601 timestamp")
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "reports").exists()


# --- privacy ---------------------------------------------------------------------------------------


@pytest.mark.notebook
def test_a_caller_id_or_a_comment_appears_in_no_output_file(sample_set, tmp_path):
    out, _ = sample_set
    data = tmp_path / "data"
    shutil.copytree(out, data)
    incidents = pd.read_csv(data / "incidents.csv", dtype=str, keep_default_na=False)
    secret_caller = "USR-PLANTED-7f3a9c"
    incidents.loc[incidents["caller_id"] == incidents["caller_id"].iloc[5], "caller_id"] = secret_caller
    incidents.to_csv(data / "incidents.csv", index=False)
    responses = pd.read_csv(data / "incident_responses.csv", dtype=str, keep_default_na=False)
    secret_comment = "my manager Ada Planted-Lovelace saw it 4c1e"
    responses.loc[responses.index[:40], "comment"] = secret_comment
    responses.to_csv(data / "incident_responses.csv", index=False)
    done = subprocess.run(
        [sys.executable, "-m", "helpers.running.cli", "run", "service_outcomes",
         "-p", f"incidents_path={data / 'incidents.csv'}", "-p", f"incident_events_path={data / 'incident_events.parquet'}",
         "-p", f"responses_path={data / 'incident_responses.csv'}", "--out", str(tmp_path / "reports"), "--quiet"],
        capture_output=True, text=True, timeout=600, cwd=PROJECT_ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    written = [p for p in (tmp_path / "reports").rglob("*") if p.is_file()]
    assert any(p.name == "report.html" for p in written) and any(p.name == "results.json" for p in written)
    for path in written:
        content = path.read_bytes()
        for secret in (secret_caller, secret_comment, "USR-0", "Planted-Lovelace"):
            assert secret.encode() not in content, f"{secret!r} in {path.name}"
