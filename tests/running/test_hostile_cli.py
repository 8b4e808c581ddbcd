"""The issue's sweep, as a user types it: hostile files and values through ``itvalue run``.

Every case must end before any kernel with exit status 2, one line on stderr that starts
with ``itvalue:`` (no traceback), and nothing written to the output folder. The cases run
in-process through :func:`helpers.running.cli.main` (an exception escaping it is a traceback).
"""

from __future__ import annotations

import gzip
import os

import duckdb
import pytest
from conftest import FIXTURE_NOTEBOOKS

from helpers.running.cli import main

CHART = str(FIXTURE_NOTEBOOKS / "chart.ipynb")
UNTYPED = str(FIXTURE_NOTEBOOKS / "untyped.ipynb")
HEADER = b"campaign_id,name,start,end\n"
ROWS = b"".join(b"c%d,name %d,2025-03-01,2025-03-02\n" % (i, i) for i in range(60_000))


def _files(folder):
    """Bad inputs for a campaigns parameter: name -> path."""
    made = {}

    def put(name, data):
        path = folder / name
        path.write_bytes(data)
        made[name] = path

    put("nul_at_start.csv", b"\x00" + HEADER + ROWS)
    put("nul_after_2mb.csv", HEADER + ROWS + b"c-1,a\x00b,2025-03-01,2025-03-02\n")
    put("bad_utf8_after_2mb.csv", HEADER + ROWS + b"c-1,caf\xe9,2025-03-01,2025-03-02\n")
    put("empty.csv", b"")
    put("only_bom.csv", b"\xef\xbb\xbf")
    put("header_over_1mb.csv", b"campaign_id,name,start,end," + b"y" * (1 << 21) + b"\n")
    put("ragged_after_long_field.csv", HEADER + b"c1," + b"x" * 200_000 + b",2025-03-01,2025-03-02\nc2,a,b\n")
    put("gzip.csv", gzip.compress(HEADER + ROWS[:1000]))
    put("workbook.csv", b"PK\x03\x04" + b"\x00" * 100)
    put("garbage.parquet", b"not parquet at all")
    put("year_zero.csv", HEADER + b"c1,a,0000-03-01,2025-03-02\n")
    put("ten_thousand_columns.csv", b",".join(b"c%d" % i for i in range(10_000)) + b"\n" + b"1," * 9_999 + b"1\n")
    (folder / "a_folder.csv").mkdir()
    made["a_folder.csv"] = folder / "a_folder.csv"
    os.mkfifo(folder / "a_pipe.csv")
    made["a_pipe.csv"] = folder / "a_pipe.csv"
    made["a_device"] = "/dev/zero"
    loop = folder / "loop.csv"
    os.symlink(loop, loop)
    made["loop.csv"] = loop
    database = folder / "warehouse.duckdb"
    con = duckdb.connect(str(database))
    con.execute("CREATE VIEW leak AS SELECT content AS campaign_id, content AS name, TIMESTAMP '2025-03-01' AS start, "
                "TIMESTAMP '2025-03-02' AS \"end\" FROM read_text('/etc/hostname')")
    con.close()
    made["duckdb_view_reading_a_file"] = f"duckdb:{database}?table=leak"
    made["duckdb_missing_table"] = f"duckdb:{database}?table=nothing"
    return made


FILE_CASES = [
    "nul_at_start.csv", "nul_after_2mb.csv", "bad_utf8_after_2mb.csv", "empty.csv", "only_bom.csv",
    "header_over_1mb.csv", "ragged_after_long_field.csv", "gzip.csv", "workbook.csv", "garbage.parquet",
    "year_zero.csv", "ten_thousand_columns.csv", "a_folder.csv", "a_pipe.csv", "a_device", "loop.csv",
    "duckdb_view_reading_a_file", "duckdb_missing_table",
]


def _params_file(folder, name, text=None):
    path = folder / name
    if text is None:
        os.mkfifo(path)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def _bomb():
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, 9)]
    return "\n".join(lines) + "\n"


VALUE_CASES = {
    "currency of 100,000 characters": ["downtime_sales", "-p", "currency=" + "X" * 100_000],
    "currency of 13 characters": ["downtime_sales", "-p", "currency=ABCDEFGHIJKLM"],
    "1,001 channels": ["downtime_sales", "-p", "channels=[" + ",".join(["web"] * 1001) + "]"],
    "an unknown channel": ["downtime_sales", "-p", "channels=[webshop]"],
    "a window after the data": ["downtime_sales", "-p", "start=2031-01-01"],
    "a window before the data": ["downtime_sales", "-p", "end=1999-01-01"],
    "an empty required path": ["downtime_sales", "-p", "sales_path="],
    "an audit date before all the data": ["config_usage_audit", "-p", "as_of=1990-01-01"],
    "an NPS window without responses": ["nps_trends", "-p", "start=2030-01-01", "-p", "end=2030-02-01"],
    "the comment column as a segment": ["nps_trends", "-p", "segments=[comment]"],
    "the id column as a segment": ["nps_trends", "-p", "segments=[response_id]"],
    "--name ..": [CHART, "--name", ".."],
    "--name a/b": [CHART, "--name", "a/b"],
    "--name .hidden": [CHART, "--name", ".hidden"],
    "--timeout -1": [CHART, "--timeout", "-1"],
    "-p without =": [CHART, "-p", "points"],
    "a huge value for an untyped integer": [UNTYPED, "-p", "count=[" + ",".join(["1"] * 100_000) + "]"],
}


def _sweep(argv, out, capsys):
    code = main(["run", *argv, "--out", str(out), "--quiet"])
    captured = capsys.readouterr()
    return code, captured.err


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    return _files(tmp_path_factory.mktemp("bad"))


@pytest.mark.parametrize("case", FILE_CASES)
def test_a_bad_input_file_is_one_sentence_and_exit_2(fixture_env, bad_files, tmp_path, capsys, case):
    code, err = _sweep([CHART, "-p", f"campaigns_path={bad_files[case]}"], tmp_path / "out", capsys)
    assert code == 2, err
    assert err.startswith("itvalue: ") and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1 and len(err) < 600, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", list(VALUE_CASES))
def test_a_hostile_value_is_one_sentence_and_exit_2(fixture_env, tmp_path, capsys, case):
    code, err = _sweep(VALUE_CASES[case], tmp_path / "out", capsys)
    assert code == 2, err
    assert err.startswith("itvalue: ") and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1 and len(err) < 600, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", ["alias bomb", "150 aliases", "a folder", "a named pipe", "a 2 MB file"])
def test_a_hostile_params_file_is_one_sentence_and_exit_2(fixture_env, tmp_path, capsys, case):
    path = {
        "alias bomb": lambda: _params_file(tmp_path, "bomb.yml", _bomb()),
        "150 aliases": lambda: _params_file(tmp_path, "many.yml", "points: &p 3\nlabels: [" + ", ".join(["*p"] * 150) + "]\n"),
        "a folder": lambda: str((tmp_path / "folder.yml").mkdir() or tmp_path / "folder.yml"),
        "a named pipe": lambda: _params_file(tmp_path, "pipe.yml"),
        "a 2 MB file": lambda: _params_file(tmp_path, "big.yml", "title: " + "x" * (2 << 20) + "\n"),
    }[case]()
    code, err = _sweep([CHART, "-f", path], tmp_path / "out", capsys)
    assert code == 2, err
    assert err.startswith("itvalue: ") and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1 and len(err) < 600, err
    assert not (tmp_path / "out").exists()
