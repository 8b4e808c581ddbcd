"""One sandbox for every database input (issue 24): ``duckdb:``, ``duckdb://`` and ``sqlite://`` sources are read
read-only with no access outside their file, and nothing creates a file at an input path."""

from __future__ import annotations

import sqlite3

import duckdb
import pytest
from conftest import FIXTURE_NOTEBOOKS

from helpers.exceptions import InputDataError
from helpers.inputs import loading
from helpers.running import cli

CHART = str(FIXTURE_NOTEBOOKS / "chart.ipynb")
CAMPAIGNS = [("c1", "Spring sale", "2025-03-01 00:00:00", "2025-03-02 00:00:00"),
             ("c2", "Summer sale", "2025-06-01 00:00:00", "2025-06-03 00:00:00")]


def _run(tmp_path, capsys, source):
    status = cli.main(["run", CHART, "--out", str(tmp_path / "reports"), "--quiet", "-p", f"campaigns_path={source}"])
    return status, capsys.readouterr().err


@pytest.fixture
def leaky(tmp_path):
    """A DuckDB file with a good table and a view reading a file outside it."""
    path = tmp_path / "evil.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE campaigns (campaign_id VARCHAR, name VARCHAR, start TIMESTAMP, \"end\" TIMESTAMP)")
        con.executemany("INSERT INTO campaigns VALUES (?, ?, ?, ?)", CAMPAIGNS)
        con.execute("CREATE VIEW v_campaigns AS SELECT column0 AS campaign_id, column0 AS name, "
                    "TIMESTAMP '2025-03-01' AS start, TIMESTAMP '2025-03-02' AS \"end\" "
                    "FROM read_csv('/etc/passwd', header = false, delim = '\\x1f')")
    return path


@pytest.mark.parametrize("form", ["duckdb:{path}?table=v_campaigns", "duckdb://{path}?table=v_campaigns",
                                  "duckdb://{path}?table=v_campaigns&read_only=true"])
def test_a_view_reading_outside_its_database_is_refused_whatever_the_form(form, leaky, tmp_path, capsys, fixture_env):
    status, err = _run(tmp_path, capsys, form.format(path=leaky))
    assert status == 2
    assert err.count("\n") == 1 and "evil.duckdb: 'v_campaigns' is a view that reads outside the database" in err
    assert "root:" not in err
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize("form", ["duckdb:{path}?table=campaigns", "duckdb://{path}?table=campaigns"])
def test_every_duckdb_form_reads_the_same_rows_read_only(form, leaky):
    before = leaky.stat().st_mtime_ns, leaky.read_bytes()
    frame = loading.load_input(form.format(path=leaky), "campaigns")
    assert list(frame["campaign_id"]) == ["c1", "c2"]
    assert (leaky.stat().st_mtime_ns, leaky.read_bytes()) == before


def test_a_sqlite_table_is_read_read_only(tmp_path):
    path = tmp_path / "campaigns.sqlite"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE campaigns (campaign_id TEXT, name TEXT, start TEXT, \"end\" TEXT)")
        con.executemany("INSERT INTO campaigns VALUES (?, ?, ?, ?)", CAMPAIGNS)
    con.close()
    before = sorted(p.name for p in tmp_path.iterdir()), path.read_bytes()
    frame = loading.load_input(f"sqlite://{path}?table=campaigns", "campaigns")
    assert list(frame["name"]) == ["Spring sale", "Summer sale"]
    assert (sorted(p.name for p in tmp_path.iterdir()), path.read_bytes()) == before


@pytest.mark.parametrize("form", ["duckdb:{path}?table=x", "duckdb://{path}?table=x", "sqlite://{path}?table=x"])
def test_a_missing_database_file_is_one_sentence_and_stays_missing(form, tmp_path, capsys, fixture_env):
    path = tmp_path / "nothing" / "new.db"
    path.parent.mkdir()
    status, err = _run(tmp_path, capsys, form.format(path=path))
    assert status == 2
    assert err.count("\n") == 1 and f"database file not found: {path}" in err
    assert list(path.parent.iterdir()) == [], "nothing is created at an input path"
    assert not (tmp_path / "reports").exists()


def test_a_file_that_is_not_a_sqlite_database_is_one_sentence(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_text("hello", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"^notes.sqlite is not a readable SQLite database\.$"):
        loading.check_input(f"sqlite://{path}?table=campaigns", "campaigns")


def test_duckdb_and_sqlite_urls_are_local_files_not_engines(tmp_path):
    from helpers.inputs.sources import parse_source

    for url in (f"duckdb://{tmp_path}/a.duckdb?table=t", f"sqlite://{tmp_path}/a.sqlite?table=t"):
        (tmp_path / url.split("/")[-1].split("?")[0]).write_bytes(b"")
        source = parse_source(url)
        assert not source.is_engine and source.table == "t" and source.paths == (tmp_path / url.split("/")[-1].split("?")[0],)
