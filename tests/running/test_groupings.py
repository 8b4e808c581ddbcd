"""Groupings by declaration, not by guess (issue 24, High 4, and the group-count ceiling).

A column may break a report down only if its input's schema or the project's ``itvalue.toml``
(``[privacy] groupings``) declares it a grouping; even then its values must not name people (e-mail
addresses anywhere in the text, phone numbers, id-like values, one value per person). ``min_n`` has a
floor no parameter goes below, and a grouping has at most ``MAX_GROUPS`` values. Each refusal is one
sentence, before any kernel, naming the file, the column and the rule, and never quoting a value.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from conftest import TESTS_DIR

from helpers.analysis import registry
from helpers.exceptions import ParameterError
from helpers.privacy import MAX_GROUPS, MIN_N_FLOOR, check_groupings
from helpers.running import cli

PROJECT_ROOT = TESTS_DIR.parent
FIRST = ["Alice", "Bruno", "Chen", "Dana", "Emeka", "Fatima", "Goran", "Hana", "Ivan", "Julia"]
LAST = ["Smith", "Okafor", "Lindqvist", "Moreau", "Tanaka", "Novak", "Rossi", "Garcia", "Kowalski", "Haddad"]


def _responses(tmp_path, n: int = 3000, **columns) -> str:
    """A responses file of ``n`` rows with the given extra columns (each a function of the row number)."""
    frame = pd.DataFrame({
        "response_id": [f"R{i}" for i in range(n)],
        "timestamp": "2025-01-01T10:00:00",
        "score": [i % 11 for i in range(n)],
        "region": [["north", "south", "east"][i % 3] for i in range(n)],
    })
    for name, make in columns.items():
        frame[name] = [make(i) for i in range(n)]
    path = tmp_path / "responses.csv"
    frame.to_csv(path, index=False)
    return str(path)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project whose ``itvalue.toml`` declares ``groupings`` (the kit reads it from ITVALUE_PROJECT)."""

    def declare(*groupings: str):
        root = tmp_path / "project"
        root.mkdir(exist_ok=True)
        listed = ", ".join(f'"{g}"' for g in groupings)
        (root / "itvalue.toml").write_text(f"[privacy]\ngroupings = [{listed}]\n", encoding="utf-8")
        monkeypatch.setenv("ITVALUE_PROJECT", str(root))
        return root

    monkeypatch.delenv("ITVALUE_PROJECT", raising=False)
    monkeypatch.chdir(tmp_path)
    return declare


def _refused(path: str, column: str, *, kind: str = "responses", min_n: int = 30) -> str:
    with pytest.raises(ParameterError) as caught:
        check_groupings("segments", [column], spec=path, kind=kind, min_n=min_n)
    message = str(caught.value)
    assert "\n" not in message and f"column '{column}'" in message and "responses.csv" in message or kind != "responses"
    return message


# --- 1. declared, not guessed --------------------------------------------------------------------------------


# What the red team planted (issue 24, High 4): each was accepted as a segment.
UNDECLARED = {
    "full_name": lambda i: f"{FIRST[i % 10]} {LAST[i // 10 % 10]}",  # 100 people, 30 responses each
    "contact_no": lambda i: f"+44 20 7946 {i % 100:04d}",
    "customer_ref": lambda i: f"C{i % 100:03d}",
    "mailbox": lambda i: f"{FIRST[i % 10]} {LAST[i // 10 % 10]} <p{i % 100}@example.com>",
    "customer_id": lambda i: f"{i % 100}",
    "agent": lambda i: FIRST[i % 10],
}


@pytest.mark.parametrize("column", list(UNDECLARED))
def test_a_column_no_schema_or_project_declares_is_refused_as_a_grouping(tmp_path, project, column):
    path = _responses(tmp_path, **{column: UNDECLARED[column]})
    message = _refused(path, column)
    assert "not declared a grouping" in message and "[privacy] groupings" in message and "itvalue.toml" in message


def test_a_grouping_the_project_declares_is_accepted(tmp_path, project):
    path = _responses(tmp_path, desk=lambda i: ["Desk A", "Desk B", "Desk C"][i % 3])
    _refused(path, "desk")
    project("desk")
    check_groupings("segments", ["desk"], spec=path, kind="responses", min_n=30)


def test_every_schema_declares_its_groupings_and_no_identifier_is_one():
    declared = {schema.kind: set(schema.groupings) for schema in registry.schemas().values()}
    assert {"region", "tier", "channel"} <= declared["responses"]
    assert "department" in declared["users"]
    assert {"assignment_group", "contact_type", "business_service"} <= declared["incidents"]
    for schema in registry.schemas().values():
        assert not set(schema.groupings) & set(schema.unique), schema.kind
        assert schema.person is None or schema.person not in schema.groupings, schema.kind


def test_a_project_groupings_entry_that_is_not_a_list_of_names_is_one_sentence(tmp_path, project):
    root = project("desk")
    (root / "itvalue.toml").write_text("[privacy]\ngroupings = \"desk\"\nother = 1\n", encoding="utf-8")
    path = _responses(tmp_path)
    with pytest.raises(ParameterError) as caught:
        check_groupings("segments", ["region"], spec=path, kind="responses", min_n=30)
    assert str(caught.value).startswith(f"{root / 'itvalue.toml'}: [privacy] ")


def test_an_undeclared_segment_is_refused_by_the_cli_before_any_kernel(tmp_path):
    path = _responses(tmp_path, full_name=UNDECLARED["full_name"])
    env = {**os.environ, "ITVALUE_PROJECT": str(PROJECT_ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "helpers.running.cli", "run", "nps_trends", "-p", f"responses_path={path}",
         "-p", "tickets_path=", "-p", "segments=[region, full_name]", "--out", str(tmp_path / "out"), "--quiet"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "column 'full_name' of responses.csv is not declared a grouping" in lines[0], done.stderr
    assert not (tmp_path / "out").exists()
    assert not any(name in done.stderr for name in LAST)


# --- 2. people-like values, even in a declared column ----------------------------------------------------------


PEOPLE_LIKE = {
    "an address inside a name": (lambda i: f"Desk {i % 3} <desk{i % 3}@example.com>", "e-mail address"),
    "an address in a sentence": (lambda i: "ask bob@example.com" if i == 7 else "Desk A", "e-mail address"),
    "a phone number": (lambda i: f"Desk A, call +44 20 7946 {i % 3:04d}", "phone number"),
    "a phone number without a prefix": (lambda i: f"0171 234 56{i % 3:02d}", "phone number"),
    "employee numbers": (lambda i: f"EMP-{i % 300:05d}", "id-like"),
}


@pytest.mark.parametrize("case", list(PEOPLE_LIKE))
def test_a_declared_grouping_holding_people_like_values_is_refused(tmp_path, project, case):
    make, rule = PEOPLE_LIKE[case]
    project("desk")
    path = _responses(tmp_path, desk=make)
    message = _refused(path, "desk")
    assert rule in message
    assert "@" not in message and "7946" not in message and "EMP-" not in message, "no value is quoted"


def test_one_value_per_person_is_refused_where_a_person_key_exists(tmp_path):
    # 3,000 rows of 100 users (the users schema's person key); each user always has the same "department": a
    # department per person, though each holds 30 rows (more than min_n) and departments are far fewer than rows.
    n = 3000
    frame = pd.DataFrame({
        "user_id": [f"user{i % 100}" for i in range(n)],
        "department": [f"Dept {i % 100}" for i in range(n)],
        "team": [["Alpha", "Beta", "Gamma"][i % 3] for i in range(n)],
    })
    path = tmp_path / "users.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(ParameterError) as caught:
        check_groupings("departments", ["department"], spec=str(path), kind="users", min_n=10)
    assert "100 different values for 100 people (user_id)" in str(caught.value)


# --- 3. the floor of min_n -----------------------------------------------------------------------------------


def _with_a_smallest_group():
    found = []
    for name, analysis in registry.analyses().items():
        if analysis.Parameters.smallest_group_parameter is not None:
            found.append(pytest.param(analysis, id=name))
    return found


@pytest.mark.parametrize("analysis", _with_a_smallest_group())
def test_min_n_cannot_go_below_the_floor(analysis):
    parameter = analysis.Parameters.smallest_group_parameter
    with pytest.raises(ParameterError) as caught:
        analysis.Parameters.validate_values({parameter: MIN_N_FLOOR - 1}, check_inputs=False)
    assert str(caught.value) == (
        f"Parameter '{parameter}' is {MIN_N_FLOOR - 1}; no report shows a group of fewer than {MIN_N_FLOOR} people, "
        f"so it must be at least {MIN_N_FLOOR}."
    )
    assert analysis.Parameters.validate_values({parameter: MIN_N_FLOOR}, check_inputs=False).smallest_group() == MIN_N_FLOOR


@pytest.mark.parametrize("analysis", _with_a_smallest_group())
def test_describe_shows_min_n_with_its_floor(analysis, capsys):
    parameter = analysis.Parameters.smallest_group_parameter
    info = {i.name: i for i in analysis.Parameters.describe()}
    assert info[parameter].type == f"an integer >= {MIN_N_FLOOR}"
    with pytest.raises(ParameterError, match=rf"^Parameter '{parameter}' must be an integer >= {MIN_N_FLOOR}; got 'abc'\.$"):
        analysis.Parameters.validate_values({parameter: "abc"}, check_inputs=False)
    name = next(n for n, a in registry.analyses().items() if a is analysis)
    assert cli.main(["describe", name]) == 0
    shown = capsys.readouterr().out
    assert f"  {parameter}: an integer >= {MIN_N_FLOOR}\n" in shown


def test_a_small_min_n_on_the_command_line_is_refused_before_any_kernel(tmp_path):
    env = {**os.environ, "ITVALUE_PROJECT": str(PROJECT_ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "helpers.running.cli", "run", "nps_trends", "-p", "min_n=3", "-p", "segments=[region]",
         "--out", str(tmp_path / "out"), "--quiet"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"itvalue: Parameter 'min_n' is 3; no report shows a group of fewer than {MIN_N_FLOOR} people, "
        f"so it must be at least {MIN_N_FLOOR}."
    ]
    assert not (tmp_path / "out").exists()


# --- 4. the ceiling on groups ------------------------------------------------------------------------------------


def test_a_grouping_of_more_than_max_groups_values_is_refused(tmp_path, project):
    project("store")
    values = MAX_GROUPS + 200
    path = _responses(tmp_path, n=values * 12, store=lambda i: f"Store {i % values}")  # 12 responses each
    message = _refused(path, "store", min_n=10)
    assert f"{values:,} values" in message and f"at most {MAX_GROUPS:,}" in message
    few = _responses(tmp_path, n=MAX_GROUPS * 12, store=lambda i: f"Store {i % MAX_GROUPS}")
    check_groupings("segments", ["store"], spec=few, kind="responses", min_n=10)


def test_data_readme_lists_each_schemas_groupings_and_person_key():
    readme = (PROJECT_ROOT / "data" / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Groupings", 1)[1].split("\n## ", 1)[0]
    for kind, schema in registry.schemas().items():
        if schema.groupings or schema.person:
            groupings = ", ".join(f"`{c}`" for c in schema.groupings) or "none"
            person = f"`{schema.person}`" if schema.person else "none (rows are counted)"
            assert f"| `{kind}` | {groupings} | {person} |" in section, kind
    assert f"at most {MAX_GROUPS:,} values" in section and f"never below {MIN_N_FLOOR}" in section


# --- 5. phone numbers by their shapes --------------------------------------------------------------------------

PHONES = ["+44 20 7946 0958", "+442079460958", "+1 (555) 123-4567", "(555) 123-4567", "555.123.4567", "555-123-4567",
          "555 123 4567", "0171 234 5600", "020 7946 0958", "030/12345678", "Desk A, call +49 30 901820",
          "ring (020) 7946-0958 after 5"]
NOT_PHONES = ["2025-01-06", "06.01.2025", "06/01/2025", "2025-01-06T10:00:00", "2025-01-06 10:00:00.000", "10:00:00",
              "20250106", "1,234,567.89", "1 234 567,89", "12.345.678", "EUR 1234567.89", "+5.2%", "+1,000",
              "v10.2.3", "10.0.19045.2965", "1.2.3.4567", "Release 2024.10.1", "Desk A", "EMP-00417", "1234567"]


def _matches(values: list[str]) -> list[bool]:
    """What DuckDB (the profile's engine, RE2) says of each value, and Python's re, which must agree."""
    import re

    import duckdb

    from helpers.privacy import _PHONE

    con = duckdb.connect()
    try:
        found = [bool(con.execute("SELECT regexp_matches(?, ?)", [value, _PHONE]).fetchone()[0]) for value in values]
    finally:
        con.close()
    assert found == [bool(re.search(_PHONE, value)) for value in values]
    return found


def test_phone_numbers_are_found_in_their_shapes():
    assert dict(zip(PHONES, _matches(PHONES))) == dict.fromkeys(PHONES, True)


def test_dates_times_amounts_and_versions_are_not_phone_numbers():
    assert dict(zip(NOT_PHONES, _matches(NOT_PHONES))) == dict.fromkeys(NOT_PHONES, False)


def test_a_declared_grouping_of_dates_or_versions_is_not_refused_as_phone_numbers(tmp_path, project):
    project("release")
    path = _responses(tmp_path, release=lambda i: ["2025-01-06", "10.0.19045.2965", "Release 2024.10.1"][i % 3])
    check_groupings("segments", ["release"], spec=path, kind="responses", min_n=30)
    project("desk")
    path = _responses(tmp_path, desk=lambda i: f"Desk {i % 3}: (555) 123-45{i % 3:02d}")
    assert "phone numbers" in _refused(path, "desk")


# --- 5. one project from the command to the last cell -----------------------------------------------------------


def test_a_kernel_reads_the_groupings_of_the_project_the_runner_checked_them_in(tmp_path):
    """A real kernel in a project whose ``itvalue.toml`` declares a grouping, the notebook outside it.

    The runner finds its project from its working directory, the kernel would find one from the
    notebook's folder (this checkout, which declares no ``desk``): told the runner's project, the
    kernel breaks the report down by the declared column instead of refusing it.
    """
    root = tmp_path / "project"
    root.mkdir()
    (root / "itvalue.toml").write_text('[privacy]\ngroupings = ["desk"]\n', encoding="utf-8")
    path = _responses(root, desk=lambda i: ["alpha", "beta", "gamma"][i % 3])
    env = {key: value for key, value in os.environ.items() if key != "ITVALUE_PROJECT"}
    done = subprocess.run(
        [sys.executable, "-m", "helpers.running.cli", "run", str(PROJECT_ROOT / "notebooks" / "nps_trends.ipynb"),
         "-p", f"responses_path={path}", "-p", "tickets_path=", "-p", "segments=[desk]",
         "--out", str(tmp_path / "out"), "--quiet"],
        capture_output=True, text=True, timeout=600, cwd=root, env=env,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "out" / "nps_trends" / "custom" / "results.json").read_text(encoding="utf-8"))
    assert results["parameters"]["segments"] == ["desk"]
    assert {(row["segment"], row["value"]) for row in results["by_segment"]} == {("desk", v) for v in ("alpha", "beta", "gamma")}
