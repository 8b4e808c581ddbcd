"""The same data as CSV, semicolon CSV with BOM, Parquet, a glob and a DuckDB table loads identically.

Also: DuckDB sources, glob messages, and the sample-data plumbing (the orchestrator and
the Parquet chunk writer).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers.analysis import registry
from helpers.exceptions import InputDataError
from helpers.inputs import loading as inputs
from helpers.sample_data import _parquet, check_sample, generate

SALES = pd.DataFrame(
    {
        "timestamp": pd.to_datetime(
            ["2025-03-01 09:15:00", "2025-03-01 09:45:30", "2025-03-01 10:05:00", "2025-03-01 10:59:59.500",
             "2025-03-02 00:00:00", "2025-03-02 23:30:00"],
            format="ISO8601",
        ).as_unit("us"),
        "revenue": [59.9, 12.5, -12.5, 1234.25, 0.0, 80.0],
        "orders": pd.array([1, 1, 1, 3, 0, 2], dtype="Int64"),
        "channel": ["web", "store", "web", "web", "store", "store"],
        "region": ["EU", "EU", "US", None, "US", "EU"],
    }
)
RESPONSES = pd.DataFrame(
    {
        "response_id": ["007", "R-2", "R-3", "R-4"],
        "timestamp": pd.to_datetime(
            ["2025-01-31 23:59", "2025-02-01 00:00", "2025-02-14 12:00", "2025-03-01 08:00"]
        ).as_unit("us"),
        "score": [10, 0, 7, 9],
        "comment": ['Great; "fast", thanks\nsecond line', None, "<script>alert('x')</script>", "ok, fine"],
        "ticket_id": [None, "T-1", "T-2", None],
        "tier": ["gold", "silver", "gold", "bronze"],
    }
)


def _csv(frame: pd.DataFrame, path, *, sep=",", encoding="utf-8") -> str:
    frame.to_csv(path, index=False, sep=sep, encoding=encoding, date_format="%Y-%m-%d %H:%M:%S.%f")
    return str(path)


def _parquet_file(frame: pd.DataFrame, path) -> str:
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    return str(path)


def _duckdb_table(frame: pd.DataFrame, path, table: str) -> str:
    with duckdb.connect(str(path)) as con:
        con.register("frame", frame)
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM frame")
    return f"duckdb:{path}?table={table}"


@pytest.fixture
def sales_sources(tmp_path):
    """The SALES rows in every source form."""
    half = len(SALES) // 2
    (tmp_path / "monthly").mkdir()
    _parquet_file(SALES.iloc[:half], tmp_path / "monthly" / "2025-03a.parquet")
    _parquet_file(SALES.iloc[half:], tmp_path / "monthly" / "2025-03b.parquet")
    (tmp_path / "csvs").mkdir()
    _csv(SALES.iloc[:half], tmp_path / "csvs" / "2025-03a.csv")
    _csv(SALES.iloc[half:], tmp_path / "csvs" / "2025-03b.csv", sep=";", encoding="utf-8-sig")
    return {
        "csv": _csv(SALES, tmp_path / "sales.csv"),
        "semicolon csv with BOM": _csv(SALES, tmp_path / "sales_excel.csv", sep=";", encoding="utf-8-sig"),
        "parquet": _parquet_file(SALES, tmp_path / "sales.parquet"),
        "duckdb": _duckdb_table(SALES, tmp_path / "warehouse.duckdb", "sales"),
        "parquet glob": str(tmp_path / "monthly" / "2025-03*.parquet"),
        "csv glob": str(tmp_path / "csvs" / "*.csv"),
    }


def test_sales_load_identically_from_every_source_form(sales_sources):
    expected = SALES[["timestamp", "revenue", "orders", "channel", "region"]]
    for form, source in sales_sources.items():
        loaded = inputs.load_input(source, "sales")
        pd.testing.assert_frame_equal(loaded, expected, obj=form)


def test_sales_aggregate_identically_from_every_source_form(sales_sources):
    con = inputs.connect()
    results = {}
    for form, source in sales_sources.items():
        sales = inputs.open_input(source, "sales", con=con)
        hourly = (
            sales.group_by(hour=sales.timestamp.truncate("h"), channel=sales.channel)
            .aggregate(revenue=sales.revenue.sum(), orders=sales.orders.sum(), rows=sales.count())
            .order_by(["hour", "channel"])
            .to_pandas()
        )
        results[form] = hourly
    first = results.pop("csv")
    assert first["revenue"].sum() == pytest.approx(SALES["revenue"].sum())
    assert first["rows"].tolist() == [1, 1, 2, 1, 1]
    for form, hourly in results.items():
        pd.testing.assert_frame_equal(hourly, first, obj=form)


def test_responses_with_quoted_newlines_and_segments_load_identically(tmp_path):
    sources = {
        "csv": _csv(RESPONSES, tmp_path / "responses.csv"),
        "semicolon csv with BOM": _csv(RESPONSES, tmp_path / "r_excel.csv", sep=";", encoding="utf-8-sig"),
        "parquet": _parquet_file(RESPONSES, tmp_path / "responses.parquet"),
        "duckdb": _duckdb_table(RESPONSES, tmp_path / "nps.duckdb", "responses"),
    }
    expected = RESPONSES[["response_id", "timestamp", "score", "comment", "ticket_id", "tier"]]
    con = inputs.connect()
    monthly = {}
    for form, source in sources.items():
        pd.testing.assert_frame_equal(inputs.load_input(source, "responses"), expected, obj=form)
        table = inputs.open_input(source, "responses", con=con)
        monthly[form] = (
            table.group_by(month=table.timestamp.truncate("M"))
            .aggregate(n=table.count(), promoters=(table.score >= 9).sum())
            .order_by("month")
            .to_pandas()
        )
    assert monthly["csv"]["n"].tolist() == [1, 2, 1]
    for form, frame in monthly.items():
        pd.testing.assert_frame_equal(frame, monthly["csv"], obj=form)


def test_a_parquet_file_named_csv_is_read_as_parquet(tmp_path):
    path = _parquet_file(RESPONSES, tmp_path / "export.csv")
    assert len(inputs.load_input(path, "responses")) == len(RESPONSES)


def test_glob_messages_name_the_file_and_its_own_row_numbers(tmp_path):
    (tmp_path / "a.csv").write_text("response_id,timestamp,score\nr1,2025-01-01,7\nr2,2025-01-01,8\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text("response_id,timestamp,score\nr3,2025-01-01,7\nr4,2025-01-01,12\n", encoding="utf-8")
    (tmp_path / "c.csv").write_text("response_id,timestamp,score\nr1,2025-01-01,7\n", encoding="utf-8")
    with pytest.raises(InputDataError) as caught:
        inputs.check_input(str(tmp_path / "*.csv"), "responses")
    pattern = str(tmp_path / "*.csv")
    assert str(caught.value).splitlines() == [
        f"{pattern}: column 'score' must be an integer from 0 to 10; 1 row breaks this (b.csv row 2: 12).",
        f"{pattern}: column 'response_id' must be unique; 1 row repeats an earlier value (c.csv row 1: 'r1' as in a.csv row 1).",
    ]


def test_parquet_glob_row_numbers(tmp_path):
    _parquet_file(RESPONSES.iloc[:2], tmp_path / "a.parquet")
    bad = RESPONSES.iloc[2:].assign(score=[7, 11])
    _parquet_file(bad, tmp_path / "b.parquet")
    with pytest.raises(InputDataError, match=r"1 row breaks this \(b.parquet row 2: 11\)\.$"):
        inputs.check_input(str(tmp_path / "*.parquet"), "responses")


def test_files_of_a_glob_may_differ_in_offsets_and_columns(tmp_path):
    (tmp_path / "2024.csv").write_text("response_id,timestamp,score\nr1,2024-12-31 23:00,7\n", encoding="utf-8")
    (tmp_path / "2025.csv").write_text(
        "response_id,timestamp,score,tier\nr2,2025-01-01T00:00:00+01:00,8,gold\n", encoding="utf-8"
    )
    frame = inputs.load_input(str(tmp_path / "20*.csv"), "responses", timezone="Europe/Paris")
    assert [str(t) for t in frame["timestamp"]] == ["2024-12-31 23:00:00", "2025-01-01 00:00:00"]
    assert frame["tier"].isna().tolist() == [True, False]


def test_files_of_a_glob_may_use_different_delimiters(tmp_path):
    (tmp_path / "jan.csv").write_text("timestamp,revenue\n2025-01-01,1.5\n", encoding="utf-8")
    (tmp_path / "feb.csv").write_text("timestamp;revenue\n2025-02-01;2,5\n", encoding="utf-8-sig")
    frame = inputs.load_input(str(tmp_path / "*.csv"), "sales")
    assert frame["revenue"].tolist() == [2.5, 1.5]  # feb.csv sorts first


def test_a_glob_mixing_formats_is_refused(tmp_path):
    _csv(RESPONSES, tmp_path / "a.csv")
    _parquet_file(RESPONSES, tmp_path / "b.parquet")
    with pytest.raises(InputDataError, match="mixes CSV and Parquet files; use one format per input"):
        inputs.check_input(str(tmp_path / "*"), "responses")


def test_a_glob_matching_nothing(tmp_path):
    with pytest.raises(InputDataError, match=r"^responses input: no file matches .*\*\.csv\.$"):
        inputs.check_input(str(tmp_path / "*.csv"), "responses")


# --- DuckDB sources ---------------------------------------------------------------------------------

def test_duckdb_source_is_read_only_and_attached_once(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _duckdb_table(SALES, db, "sales")
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA nps")
        con.register("frame", RESPONSES)
        con.execute("CREATE TABLE nps.responses AS SELECT * FROM frame")
    con = inputs.connect()
    sales = inputs.open_input(f"duckdb:{db}?table=sales", "sales", con=con)
    responses = inputs.open_input(f"duckdb:{db}?table=nps.responses", "responses", con=con)
    assert (sales.count().execute(), responses.count().execute()) == (len(SALES), len(RESPONSES))
    attached = con.raw_sql("SELECT readonly FROM duckdb_databases() WHERE path IS NOT NULL").fetchall()
    assert attached == [(True,)]


def test_duckdb_source_missing_table_lists_the_tables(tmp_path):
    source = _duckdb_table(SALES, tmp_path / "warehouse.duckdb", "sales")
    with pytest.raises(InputDataError, match=r"^warehouse.duckdb has no table 'orders' \(tables found: sales\)\.$"):
        inputs.check_input(source.replace("table=sales", "table=orders"), "sales")


def test_duckdb_source_that_is_not_a_database(tmp_path):
    path = tmp_path / "notes.duckdb"
    path.write_text("hello", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"^notes.duckdb is not a readable DuckDB database\.$"):
        inputs.check_input(f"duckdb:{path}?table=sales", "sales")


def test_duckdb_source_without_a_table(tmp_path):
    source = _duckdb_table(SALES, tmp_path / "warehouse.duckdb", "sales")
    with pytest.raises(InputDataError, match=r"needs '\?table=NAME'"):
        inputs.check_input(source.split("?")[0], "sales")


def test_a_duckdb_file_given_as_a_plain_path(tmp_path):
    _duckdb_table(SALES, tmp_path / "warehouse.duckdb", "sales")
    with pytest.raises(InputDataError, match=r"is a DuckDB database, not a CSV or Parquet file; name a table as duckdb:"):
        inputs.check_input(str(tmp_path / "warehouse.duckdb"), "sales")


def test_duckdb_table_rules_use_row_positions(tmp_path):
    source = _duckdb_table(RESPONSES.assign(score=[7, 7, -3, 7]), tmp_path / "nps.duckdb", "responses")
    with pytest.raises(InputDataError, match=r"^nps.duckdb:responses: column 'score' .* \(row 3: -3\)\.$"):
        inputs.check_input(source, "responses")


def test_relative_sources_resolve_from_the_working_directory(tmp_path, monkeypatch):
    _csv(RESPONSES, tmp_path / "responses.csv")
    monkeypatch.chdir(tmp_path)
    assert len(inputs.load_input("responses.csv", "responses")) == len(RESPONSES)


# --- sample data plumbing ---------------------------------------------------------------------------

def test_write_parquet_chunks_streams_and_unifies_types(tmp_path):
    path = tmp_path / "orders.parquet"

    def chunks():
        yield pd.DataFrame({"timestamp": pd.to_datetime(["2025-01-01"]).as_unit("us"), "orders": [1], "note": ["a"]})
        yield pa.table({"note": pa.array([None, None], pa.string()), "orders": [2, 3],
                        "timestamp": pd.to_datetime(["2025-01-02", "2025-01-03"]).as_unit("us")})
        yield pa.RecordBatch.from_pydict({"timestamp": pd.to_datetime(["2025-01-04"]).as_unit("us"), "orders": [4], "note": ["d"]})

    assert _parquet.write_parquet_chunks(path, chunks(), row_group_size=2) == 4
    written = pq.ParquetFile(path)
    assert written.metadata.num_rows == 4 and written.metadata.num_row_groups == 3
    assert written.schema_arrow.names == ["timestamp", "orders", "note"]
    assert pq.read_table(path)["orders"].to_pylist() == [1, 2, 3, 4]
    assert not list(tmp_path.glob("*.partial"))


def test_write_parquet_chunks_leaves_no_file_when_a_chunk_fails(tmp_path):
    path = tmp_path / "orders.parquet"

    def chunks():
        yield pd.DataFrame({"orders": [1]})
        raise RuntimeError("generator broke")

    with pytest.raises(RuntimeError, match="generator broke"):
        _parquet.write_parquet_chunks(path, chunks())
    assert list(tmp_path.iterdir()) == []


def test_write_parquet_chunks_refuses_chunks_with_other_columns(tmp_path):
    chunks = [pd.DataFrame({"orders": [1]}), pd.DataFrame({"order_count": [2]})]
    with pytest.raises(ValueError, match="chunk columns"):
        _parquet.write_parquet_chunks(tmp_path / "x.parquet", chunks)


def test_write_parquet_chunks_with_no_chunks_needs_a_schema(tmp_path):
    schema = pa.schema({"orders": pa.int64()})
    assert _parquet.write_parquet_chunks(tmp_path / "empty.parquet", [], schema=schema) == 0
    assert pq.read_table(tmp_path / "empty.parquet").schema == schema
    with pytest.raises(ValueError, match="nothing to write"):
        _parquet.write_parquet_chunks(tmp_path / "none.parquet", [])


@pytest.fixture(scope="module")
def real_sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    return out, generate(out, scale=1, seed=5)  # generate() validates every file it writes


def test_check_sample_reports_a_file_that_breaks_its_schema(real_sample, tmp_path):
    out, _ = real_sample
    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    responses = broken / "responses.csv"
    lines = responses.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    row = lines[1].rstrip("\n").split(",")
    row[header.index("score")] = "70"
    responses.write_text(lines[0] + ",".join(row) + "\n" + "".join(lines[2:]), encoding="utf-8")
    with pytest.raises(InputDataError, match=r"responses.csv: column 'score' must be an integer from 0 to 10"):
        check_sample(broken)


def test_check_sample_reports_missing_files_and_generate_a_bad_scale(real_sample, tmp_path):
    out, _ = real_sample
    partial = tmp_path / "partial"
    shutil.copytree(out, partial)
    (partial / "outages.csv").unlink()
    with pytest.raises(RuntimeError, match="lacks outages"):
        check_sample(partial)
    with pytest.raises(ValueError, match="scale must be a whole number >= 1"):
        generate(tmp_path / "never", scale=0)
    assert not (tmp_path / "never").exists()


def test_a_failed_generation_leaves_the_folder_as_it_was(tmp_path, monkeypatch):
    # The real generators write their files; then the check fails, as it would on a generator bug.
    import helpers.sample_data as sample_data

    def failing_check(folder):
        assert any(Path(folder).iterdir()), "the generators wrote their files before the check"
        raise InputDataError("responses.csv: planted failure.")

    monkeypatch.setattr(sample_data, "check_sample", failing_check)
    out = tmp_path / "sample"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(InputDataError, match="planted failure"):
        generate(out, scale=1, seed=3)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["sample"], "no staging folder left behind"


def test_the_real_generators_are_deterministic_and_their_files_load(real_sample, tmp_path):
    first, truth = real_sample
    generate(tmp_path / "b", scale=1, seed=5)
    (tmp_path / "a").symlink_to(first)
    assert set(truth) == {name for name, analysis in registry.analyses().items() if analysis.sample is not None}
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    assert {n.split(".")[0] for n in names} >= {"truth", "sales", "outages", "campaigns", "responses", "tickets",
                                                 "inventory", "access_log", "collection_cost", "features",
                                                 "feature_usage", "users", "incidents", "incident_events",
                                                 "incident_log", "incident_responses"}
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_connect_returns_an_ibis_duckdb_backend():
    con = inputs.connect()
    assert isinstance(con, ibis.backends.duckdb.Backend)
