"""``itvalue inspect FILE --input KIND`` and ``itvalue describe``: the columns of a file, the profile that fits, and
the map parameters of every input."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from helpers.paths import PROJECT_ROOT

SAMPLE = PROJECT_ROOT / "data" / "sample"


def _itvalue(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "helpers.running.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=900)


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


def test_inspect_names_the_profile_that_fits(servicenow_tickets):
    done = _itvalue("inspect", servicenow_tickets, "--input", "tickets")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "incidents.csv: CSV, ',' separated, 7 columns, 13,153 rows"
    assert "Fits: the servicenow profile (ServiceNow incident list (CSV export)); every required column is there and " \
           "every rule holds." in lines
    assert "  reopened  <- reopen_count > 0" in lines
    assert "Use it with: tickets_profile: servicenow" in lines


def test_inspect_says_what_each_unmapped_column_breaks(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("id,created,closed\nA1,29/2/2016 01:16,2016-03-01 10:00\nA2,2016-03-01 09:00,\n")
    done = _itvalue("inspect", path, "--input", "tickets")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "No profile finds every required column" in out
    assert "'opened' (timestamp; When the ticket was opened; ISO 8601; naive = the analysis time zone) is not mapped." in out
    assert ("  created: column 'created' (mapped to 'opened') must be an ISO 8601 timestamp such as 2025-03-01 14:30 or "
            "2025-03-01T14:30:00+01:00; 1 row breaks this (row 1: '29/2/2016 01:16').") in out
    assert "  closed: fits" in out
    assert "  tickets_columns: {ticket_id: id, resolved: closed}" in out
    assert "No column fits 'opened' as it is" in out


def test_inspect_refuses_an_unknown_input_kind(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a\n1\n")
    done = _itvalue("inspect", path, "--input", "ticket")
    assert done.returncode == 2
    assert done.stderr.startswith("itvalue: --input: Unknown input kind 'ticket'; did you mean 'tickets'?")


def test_describe_lists_the_map_and_profile_of_every_input():
    done = _itvalue("describe", "feature_adoption")
    assert done.returncode == 0, done.stderr
    assert "  usage_columns: a mapping of column names to your column names or SQL expressions (or empty)" in done.stdout
    assert "feature usage profiles: amplitude, mixpanel, segment" in done.stdout
