"""Hostile inputs and parameters: each is refused with one sentence before any kernel, nothing crashes.

Every case here is one a new user or an attacker tried (issue 11); none needs a kernel.
"""

from __future__ import annotations

import os

import duckdb
import pytest

from helpers.downtime_sales.parameters import Parameters as DowntimeParameters
from helpers.exceptions import InputDataError, KitError, ParameterError
from helpers.inputs.loading import check_input
from helpers.running.catalog import read_params_file
from helpers.running.runner import parameter_set_name

CAMPAIGNS_HEADER = "campaign_id,name,start,end\n"


def _one_sentence(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and "Traceback" not in text and len(text) < 400, text
    return text


# --- the validator reads anything without crashing ---------------------------------------------

def _long_field(folder):
    path = folder / "long_field.csv"
    path.write_text(CAMPAIGNS_HEADER + "c1," + "x" * 200_000 + ",2025-03-01,2025-03-02\n", encoding="utf-8")
    return path


def _long_header(folder):
    path = folder / "long_header.csv"
    path.write_text("campaign_id,name,start,end," + "y" * 200_000 + "\nc1,a,2025-03-01,2025-03-02,1\n", encoding="utf-8")
    return path


def test_fields_and_headers_longer_than_pythons_csv_limit_are_read(tmp_path):
    assert check_input(_long_field(tmp_path), "campaigns")[:4] == ["campaign_id", "name", "start", "end"]
    assert "campaign_id" in check_input(_long_header(tmp_path), "campaigns")


def test_a_ragged_row_after_a_long_field_is_explained_not_a_traceback(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text(CAMPAIGNS_HEADER + "c1," + "x" * 200_000 + ",2025-03-01,2025-03-02\nc2,a,b\n", encoding="utf-8")
    with pytest.raises(InputDataError) as caught:
        check_input(path, "campaigns")
    assert _one_sentence(caught.value).startswith("ragged.csv")


@pytest.mark.parametrize("where", [0, 70_000, 2_000_000])
def test_a_nul_byte_anywhere_is_refused_naming_the_file(tmp_path, where):
    rows = "".join(f"c{i},name {i},2025-03-01,2025-03-02\n" for i in range(80_000))
    data = (CAMPAIGNS_HEADER + rows).encode()
    at = len(CAMPAIGNS_HEADER) + 3 + min(where, len(data) - 40)
    path = tmp_path / "nul.csv"
    path.write_bytes(data[:at] + b"\x00" + data[at:])
    with pytest.raises(InputDataError) as caught:
        check_input(path, "campaigns")
    message = _one_sentence(caught.value)
    assert message.startswith("nul.csv") and ("NUL" in message or "binary" in message)


def _special_files(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    (tmp_path / "folder.csv").mkdir()
    return [(tmp_path / "folder.csv", "is a folder"), (fifo, "is a named pipe"), ("/dev/null", "special file")]


def test_a_folder_a_pipe_or_a_device_is_named_for_what_it_is(tmp_path):
    for path, said in _special_files(tmp_path):
        with pytest.raises(KitError) as caught:
            check_input(path, "campaigns")
        message = _one_sentence(caught.value)
        assert said in message and str(path) in message


def test_a_duckdb_view_cannot_read_other_files(tmp_path):
    database = tmp_path / "warehouse.duckdb"
    secret = tmp_path / "secret.txt"
    secret.write_text("the-secret-content", encoding="utf-8")
    con = duckdb.connect(str(database))
    con.execute("CREATE TABLE campaigns AS SELECT 'c1' AS campaign_id, 'Spring' AS name, "
                "TIMESTAMP '2025-03-01' AS start, TIMESTAMP '2025-03-02' AS \"end\"")
    con.execute(f"CREATE VIEW leak AS SELECT content AS campaign_id, content AS name, TIMESTAMP '2025-03-01' AS start, "
                f"TIMESTAMP '2025-03-02' AS \"end\" FROM read_text('{secret}')")
    con.execute("CREATE VIEW inside AS SELECT * FROM campaigns")
    con.close()
    with pytest.raises(InputDataError) as caught:
        check_input(f"duckdb:{database}?table=leak", "campaigns")
    assert "reads outside the database" in _one_sentence(caught.value)
    assert "the-secret-content" not in str(caught.value)
    assert check_input(f"duckdb:{database}?table=inside", "campaigns")[0] == "campaign_id"


# --- parameters: bounded sizes and plain names -------------------------------------------------

@pytest.mark.parametrize(
    "values, said",
    [
        ({"currency": "X" * 100_000}, "at most 500"),
        ({"currency": "ABCDEFGHIJKLM"}, "at most 12 characters"),
        ({"channels": ["web"] * 1001}, "at most 1,000"),
        ({"sales_path": ""}, "'sales_path' needs a path to sales data; it is empty"),
        ({"sales_path": "   "}, "it is empty"),
        ({"holidays": [["x" * 900]]}, "at most 500"),
    ],
)
def test_text_parameters_are_bounded(values, said):
    with pytest.raises(ParameterError) as caught:
        DowntimeParameters.validate_values(values, check_inputs=False)
    assert said in _one_sentence(caught.value)


@pytest.mark.parametrize("name", ["..", ".", "../escape", "a/b", ".hidden", "a\\b", "", "x" * 101])
def test_name_must_be_a_plain_folder_name(name):
    with pytest.raises(ParameterError) as caught:
        parameter_set_name(None, {}, name)
    assert _one_sentence(caught.value).startswith("--name must be")


def test_a_params_file_whose_name_is_no_folder_name_is_refused(tmp_path):
    with pytest.raises(ParameterError):
        parameter_set_name(tmp_path / ".yml", None)
    assert parameter_set_name(tmp_path / "q1.2025.yml", None) == "q1.2025"


def _alias_bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_yaml_aliases_are_not_expanded_beyond_a_small_size(tmp_path):
    bomb = tmp_path / "bomb.yml"
    bomb.write_text(_alias_bomb(9), encoding="utf-8")
    with pytest.raises(ParameterError) as caught:
        read_params_file(bomb)
    assert "aliases" in _one_sentence(caught.value)
    many = tmp_path / "many.yml"
    many.write_text("a: &a x\nb: [" + ", ".join(["*a"] * 150) + "]\n", encoding="utf-8")
    with pytest.raises(ParameterError):
        read_params_file(many)


def test_a_huge_value_is_shown_briefly_in_the_message():
    with pytest.raises(ParameterError) as caught:
        DowntimeParameters.validate_values({"channels": [[["x" * 400] * 6] * 6] * 6}, check_inputs=False)
    assert len(_one_sentence(caught.value)) < 250


@pytest.mark.parametrize("kind", ["folder", "pipe"])
def test_a_params_file_that_is_not_a_file_is_named(tmp_path, kind):
    path = tmp_path / "params.yml"
    if kind == "folder":
        path.mkdir()
    else:
        os.mkfifo(path)
    with pytest.raises(ParameterError) as caught:
        read_params_file(path)
    assert f"is a {'folder' if kind == 'folder' else 'named pipe'}" in _one_sentence(caught.value)


# --- values checked against the data before any kernel ------------------------------------------

def test_timestamps_outside_1900_to_2199_break_a_schema_rule(tmp_path):
    path = tmp_path / "years.csv"
    path.write_text(CAMPAIGNS_HEADER + "c1,a,0001-03-01,2025-03-02\nc2,b,2025-03-01,9999-12-31\n"
                    "c3,c,2025-01-01,2025-01-02\n", encoding="utf-8")
    with pytest.raises(InputDataError) as caught:
        check_input(path, "campaigns")
    lines = str(caught.value).splitlines()
    assert lines == [
        "years.csv: column 'start' must be a time between the years 1900 and 2199; 1 row breaks this "
        "(row 1: '0001-03-01').",
        "years.csv: column 'end' must be a time between the years 1900 and 2199; 1 row breaks this "
        "(row 2: '9999-12-31').",
    ]


def _prepare(notebook: str, overrides: dict):
    from helpers.running.catalog import find_notebook
    from helpers.running.runner import prepare_run

    return prepare_run(find_notebook(notebook), overrides=overrides)


@pytest.mark.parametrize(
    "overrides, said",
    [
        ({"channels": ["webshop"]}, "Parameter 'channels': no sales on 'webshop'; the sales have channels"),
        ({"start": "2031-01-01", "end": "2031-02-01"}, "Parameter 'start' (2031-01-01) is after the last sale"),
        ({"end": "1999-01-01", "start": "1998-01-01"}, "Parameter 'end' (1999-01-01) is before the first sale"),
        ({"sales_path": "ONE_ROW"}, "is too short to measure: channel 'web' has 1 bucket(s)"),
        ({"outages_path": ""}, "Parameter 'outages_path' needs a path to outages data; it is empty."),
    ],
)
def test_downtime_values_that_do_not_fit_the_data_stop_before_the_kernel(tmp_path, overrides, said):
    if overrides.get("sales_path") == "ONE_ROW":
        one_row = tmp_path / "one_row.csv"
        one_row.write_text("timestamp,revenue,channel\n2025-01-01T10:00:00,10.0,web\n", encoding="utf-8")
        overrides = {"sales_path": str(one_row), "campaigns_path": ""}
    with pytest.raises(KitError) as caught:
        _prepare("downtime_sales", overrides)
    assert said in _one_sentence(caught.value)


def test_an_nps_window_without_responses_stops_before_the_kernel():
    with pytest.raises(ParameterError) as caught:
        _prepare("nps_trends", {"start": "2030-01-01", "end": "2030-03-01"})
    assert _one_sentence(caught.value).startswith("No responses fall in the analysis window 2030-01-01 to 2030-03-01")


def test_timeout_must_be_a_number_of_seconds(itvalue, tmp_path):
    done = itvalue("run", "nps_trends", "--timeout", "-5", "--out", tmp_path / "out")
    assert done.returncode == 2
    assert done.stderr == "itvalue: --timeout must be a number of seconds (0 for none); got -5.\n"
    assert not (tmp_path / "out").exists()
