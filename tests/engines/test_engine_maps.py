"""Column maps and profiles on the engines the kit supports: a ServiceNow incident table in PostgreSQL and in
Spark, Segment's tracks table in PostgreSQL, give the figures the same data gives from files; what an engine
cannot evaluate is one sentence."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from engines_support import assert_same_results, load_tables, postgres_server, spark_backend  # noqa: F401 - the fixtures

from helpers import feature_adoption, nps_trends
from helpers.exceptions import InputDataError
from helpers.inputs import loading, tables
from helpers.report.results import to_jsonable

# One worker for the engine tests: one Spark session, one server.
pytestmark = pytest.mark.xdist_group("engines")

USERS = 400


def _servicenow(tickets: pd.DataFrame) -> pd.DataFrame:
    """The sample tickets under ServiceNow's incident field names, typed as a database holds them."""
    return pd.DataFrame({
        "number": tickets["ticket_id"], "opened_at": tickets["opened"], "resolved_at": tickets["resolved"],
        "reopen_count": tickets["reopened"].astype("int64"), "contact_type": tickets["channel"],
        "business_service": tickets["service"], "short_description": "Issue",
    })


def _tracks(usage: pd.DataFrame) -> pd.DataFrame:
    """Segment's tracks table of the same uses (one call per use, a timestamp with time zone)."""
    events = usage.loc[usage.index.repeat(usage["uses"].fillna(1).astype(int))].reset_index(drop=True)
    return pd.DataFrame({
        "id": [f"ajs-{n}" for n in range(len(events))], "anonymous_id": "anon", "user_id": events["user_id"],
        "event": events["feature_id"], "timestamp": pd.to_datetime(events["timestamp"]).dt.tz_localize("UTC"),
    })


@pytest.fixture(scope="module")
def usage():
    frame = loading.load_input("data/sample/feature_usage.parquet", "feature_usage")
    return frame[frame["user_id"] <= f"U-{USERS:05d}"].reset_index(drop=True)


@pytest.fixture(scope="module")
def pg(postgres, usage):
    tickets = loading.load_input("data/sample/tickets.csv", "tickets")
    tracks = _tracks(usage)
    load_tables(postgres, {"incident": _servicenow(tickets), "tracks": tracks.assign(timestamp=tracks["timestamp"].dt.tz_localize(None))})
    tables._BACKENDS.clear()
    yield postgres
    tables._BACKENDS.clear()


def _results(analysis, con=None, **values):
    params = analysis.Parameters.validate_values(values)
    out = json.loads(json.dumps(to_jsonable(analysis.results(analysis.analyse(analysis.load_inputs(params, con=con), params)))))
    out.pop("parameters", None)
    return out


def test_servicenow_incidents_in_postgres_give_the_figures_of_the_files(pg):
    from_files = _results(nps_trends)
    from_table = _results(nps_trends, tickets_path=pg.url("incident"), tickets_profile="servicenow")
    assert from_files["tickets"]["linked_responses"] > 1000
    assert_same_results(from_files, from_table)


def test_segment_tracks_in_postgres_give_the_adoption_figures_of_the_files(pg, usage, tmp_path):
    events = usage.loc[usage.index.repeat(usage["uses"].fillna(1).astype(int)), ["timestamp", "user_id", "feature_id"]]
    events.to_parquet(tmp_path / "usage.parquet")
    from_files = _results(feature_adoption, usage_path=str(tmp_path / "usage.parquet"))
    from_table = _results(feature_adoption, usage_path=pg.url("tracks"), usage_profile="segment")
    assert_same_results(from_files, from_table)


def test_an_expression_evaluates_in_postgres_as_in_duckdb_or_is_refused_with_a_sentence(pg, tmp_path):
    # The same map on the same rows, in PostgreSQL and from a file: the same values.
    columns = {"channel": "upper(regexp_extract(contact_type, '^(..)', 1)) || '-' || CAST(reopen_count + 1 AS VARCHAR)"}
    in_table = nps_trends.Parameters.validate_values({
        "tickets_path": pg.url("incident"), "tickets_profile": "servicenow", "tickets_columns": columns})
    _servicenow(loading.load_input("data/sample/tickets.csv", "tickets")).to_csv(tmp_path / "incident.csv", index=False)
    in_file = nps_trends.Parameters.validate_values({
        "tickets_path": str(tmp_path / "incident.csv"), "tickets_profile": "servicenow", "tickets_columns": columns})
    from_table = loading.load_input(in_table.tickets_path, "tickets").set_index("ticket_id")["channel"]
    from_file = loading.load_input(in_file.tickets_path, "tickets").set_index("ticket_id")["channel"]
    assert from_file.iloc[0][:2].isupper() and from_file.iloc[0][-2:] in ("-1", "-2")
    assert from_table.sort_index().tolist() == from_file.sort_index().tolist()

    refused = nps_trends.Parameters.validate_values({
        "tickets_path": pg.url("incident"), "tickets_profile": "servicenow",
        "tickets_columns": {"channel": "split_part(contact_type, ' ', 1)"},
    })
    with pytest.raises(InputDataError) as caught:
        loading.check_input(refused.tickets_path, "tickets")
    assert str(caught.value) == (
        "incident: expression \"split_part(contact_type, ' ', 1)\" (mapped to 'channel') cannot be evaluated on postgres: "
        "the function split_part works on files (DuckDB) only."
    )


def test_a_profile_reading_dates_from_text_is_refused_on_a_table_with_a_sentence(pg, postgres):
    tickets = loading.load_input("data/sample/tickets.csv", "tickets").head(20)
    text = _servicenow(tickets).assign(opened_at=tickets["opened"].dt.strftime("%d/%m/%Y %H:%M"))
    load_tables(postgres, {"incident_text": text})
    params = nps_trends.Parameters.validate_values({"tickets_path": pg.url("incident_text"), "tickets_profile": "servicenow"})
    with pytest.raises(InputDataError) as caught:
        loading.check_input(params.tickets_path, "tickets")
    assert str(caught.value) == (
        "incident_text: column 'opened_at' (mapped to 'opened') holds text, and the profile's date formats and time zone "
        "are read from files only; in a database give it as a timestamp column (a view can convert it)."
    )


def test_servicenow_incidents_in_spark_give_the_figures_of_the_files(spark):
    tickets = loading.load_input("data/sample/tickets.csv", "tickets")
    frame = _servicenow(tickets).astype({"opened_at": "datetime64[us]", "resolved_at": "datetime64[us]"})
    spark._session.createDataFrame(frame).createOrReplaceTempView("incident")
    from_files = _results(nps_trends)
    from_spark = _results(nps_trends, con=spark, tickets_path="spark:incident", tickets_profile="servicenow",
                          engine="pyspark")
    assert_same_results(from_files, from_spark)


def test_a_servicenow_export_file_read_for_spark_gives_the_figures_of_the_files(spark, tmp_path):
    # A local file for engine pyspark: read and checked by the DuckDB reader through its profile, then handed to Spark.
    tickets = loading.load_input("data/sample/tickets.csv", "tickets")
    _servicenow(tickets).to_csv(tmp_path / "incident.csv", index=False)
    from_files = _results(nps_trends)
    from_spark = _results(nps_trends, con=spark, tickets_path=str(tmp_path / "incident.csv"), tickets_profile="servicenow",
                          engine="pyspark")
    assert_same_results(from_files, from_spark)
