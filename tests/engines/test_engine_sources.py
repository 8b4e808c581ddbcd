"""What an engine source string means, and what the runner does with it, without any server."""

from __future__ import annotations

import pytest

from helpers.exceptions import InputDataError, ParameterError
from helpers.inputs import loading
from helpers.inputs.sources import parse_source, redacted
from helpers.nps_trends import Parameters
from helpers.running.runner import _portable_source, parameter_set_name


def test_a_database_url_names_a_table_and_keeps_no_query_for_the_backend():
    source = parse_source("postgres://reporting@db.internal:5432/itsm?table=tickets&sslmode=require")
    assert (source.table, source.location, source.name) == ("tickets", "postgres://reporting@db.internal:5432/itsm?sslmode=require", "tickets")
    assert source.is_engine and not source.in_spark and source.paths == ()


def test_spark_sources_are_for_the_spark_engine_only():
    table = parse_source("spark:sales_db.orders")
    files = parse_source("s3a://lake/sales/2025-*.parquet")
    assert table.in_spark and table.table == "sales_db.orders"
    assert files.in_spark and files.format == "parquet" and files.table is None


def test_a_database_url_without_a_table_is_one_sentence():
    with pytest.raises(ParameterError, match=r"^Parameter 'responses_path': input postgres://u@h/db: a database source needs '\?table=NAME'\.$"):
        Parameters.validate_values({"responses_path": "postgres://u@h/db"})


def test_a_password_never_reaches_messages():
    spec = "postgres://u:hunter2@h/db?table=t"
    assert redacted(spec) == "postgres://u:***@h/db?table=t"
    with pytest.raises(FileNotFoundError) as error:
        parse_source(spec)
    assert "hunter2" not in str(error.value)


def test_an_unknown_scheme_or_a_missing_backend_is_one_sentence():
    with pytest.raises(InputDataError, match=r"^nosuchdb://h/db\?table=t: no Ibis backend connects to 'nosuchdb://' URLs\.$"):
        loading.check_input("nosuchdb://h/db?table=t", "responses")
    with pytest.raises(InputDataError, match=r"^mysql://u@h/db\?table=t: reading mysql tables needs its Ibis backend; "
                       r"install it with pip install 'ibis-framework\[mysql\]'\.$"):
        loading.check_input("mysql://u@h/db?table=t", "responses")


def test_the_runner_passes_tables_through_and_the_engine_keeps_the_set():
    url = "postgres://reporting@db.internal:5432/itsm?table=tickets"
    assert _portable_source(url) == url
    assert parameter_set_name("params/nps_trends/default.yml", {"engine": "pyspark"}) == "default"
    assert parameter_set_name("params/nps_trends/default.yml", {"engine": "pyspark", "min_n": 5}) == "default-custom"


def test_a_duckdb_url_is_read_as_the_duckdb_source_form(tmp_path):
    # duckdb:///PATH is a local database file: the sandboxed DuckDB reader's rows and row numbers, not an engine.
    import duckdb

    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as db:
        db.execute("CREATE TABLE responses AS SELECT * FROM read_csv('data/sample/responses.csv')")
        db.execute("CREATE TABLE responses_bad AS SELECT * FROM responses")
        db.execute("UPDATE responses_bad SET score = 12 WHERE response_id = 'R00000005'")
    con = loading.connect()
    table = loading.open_input(f"duckdb://{database}?table=responses", "responses", con=con)
    local = loading.load_input("data/sample/responses.csv", "responses")
    assert table.get_backend() is con
    assert (table.count().execute(), table.ticket_id.notnull().sum().execute()) == (len(local), local["ticket_id"].notna().sum())
    with pytest.raises(InputDataError) as error:
        loading.check_input(f"duckdb://{database}?table=responses_bad", "responses")
    assert str(error.value) == (
        "warehouse.duckdb:responses_bad: column 'score' must be an integer from 0 to 10; 1 row breaks this (row 5: 12)."
    )


def test_the_engine_parameter_and_connect_engine_name_the_same_engines():
    import typing

    from helpers.analysis.parameters import Engine

    assert typing.get_args(Engine) == loading.ENGINES
    with pytest.raises(ParameterError, match=r"^Parameter 'engine' must be one of 'duckdb', 'pyspark'; got 'polars'\.$"):
        loading.connect_engine("polars")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u@[::1/itsm?table=x", "is not a valid URL (Invalid IPv6 URL)"),
        ("postgres://?table=x", "names no database server: give the host"),
    ],
)
def test_a_malformed_database_url_is_one_sentence(url, expected, tmp_path, capsys, monkeypatch):
    from helpers.running import cli

    for name in ("PGHOST", "PGSERVICE", "PGHOSTADDR"):
        monkeypatch.delenv(name, raising=False)
    status = cli.main(["run", "nps_trends", "--out", str(tmp_path / "reports"), "--quiet", "-p", f"responses_path={url}"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("itvalue: Parameter 'responses_path': ") and expected in err
    assert "No such file or directory" not in err
    assert not (tmp_path / "reports").exists()
