"""NPS and service outcomes from a real PostgreSQL server: the same results as from the files, counted in the database, and one sentence for each bad input."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from engines_support import PG_PASSWORD, assert_same_results, free_port, load_tables, postgres_server, spark_backend  # noqa: F401 - the fixtures

from helpers import nps_trends as nps
from helpers.exceptions import InputDataError, ParameterError
from helpers.inputs import loading, tables
from helpers.report.results import to_jsonable
from helpers.running import cli, provenance

# One worker for the engine tests: one Spark session, one server.
pytestmark = pytest.mark.xdist_group("engines")

BAD_ID = "R00000042"


@pytest.fixture(scope="module")
def pg(postgres):
    """The server with the sample responses and tickets loaded, a copy with one bad row (PGPASSWORD is set for the session)."""
    responses = loading.load_input("data/sample/responses.csv", "responses")
    bad = responses.copy()
    bad.loc[bad["response_id"] == BAD_ID, "score"] = 11
    tickets = loading.load_input("data/sample/tickets.csv", "tickets")
    people = responses.assign(team="Desk " + responses["response_id"].str[-6:])  # one value per response: a person
    load_tables(postgres, {"responses": responses, "tickets": tickets, "responses_bad": bad, "responses_people": people})
    tables._BACKENDS.clear()
    yield postgres
    tables._BACKENDS.clear()


def _nps(con=None, **values):
    params = nps.Parameters.validate_values({"events": [{"date": "2025-02-03", "label": "New support desk live"}]} | values)
    return json.loads(json.dumps(to_jsonable(nps.results(nps.analyse(nps.load_inputs(params, con=con), params)))))


def test_nps_from_postgres_matches_the_files(pg):
    from_files = _nps()
    from_tables = _nps(responses_path=pg.url("responses"), tickets_path=pg.url("tickets"))
    assert from_files["tickets"]["linked_responses"] > 0, "the tickets were linked"
    assert_same_results(from_files, from_tables)


def test_nps_from_a_postgres_table_and_a_ticket_file_matches_the_files(pg):
    # The ticket file goes to a temporary table beside the responses: the join runs in PostgreSQL.
    from_files = _nps()
    from_tables = _nps(responses_path=pg.url("responses"), tickets_path="data/sample/tickets.csv")
    assert from_files["tickets"]["linked_responses"] > 0, "the tickets were linked"
    assert_same_results(from_files, from_tables)


def _count_fetched_rows(monkeypatch) -> dict[str, int]:
    """Count the rows psycopg hands to Python (every Ibis PostgreSQL read ends in one of these), and the queries."""
    import psycopg

    seen = {"rows": 0, "queries": 0, "grouped": 0}

    def counting(fetch):
        def counted(self, *args, **kwargs):
            rows = fetch(self, *args, **kwargs)
            seen["rows"] += len(rows)
            return rows
        return counted

    for cls in (psycopg.Cursor, psycopg.ServerCursor):
        for name in ("fetchall", "fetchmany"):
            monkeypatch.setattr(cls, name, counting(getattr(cls, name)))
    for cls in (psycopg.Cursor, psycopg.ServerCursor):
        def executed(self, query, *args, _execute=cls.execute, **kwargs):
            text = str(query)
            seen["queries"] += "SELECT" in text
            seen["grouped"] += "GROUP BY" in text
            return _execute(self, query, *args, **kwargs)
        monkeypatch.setattr(cls, "execute", executed)
    return seen


def test_nps_on_a_postgres_table_brings_back_counts_not_rows(pg, monkeypatch):
    responses = loading.load_input("data/sample/responses.csv", "responses")
    comments = int((responses["comment"].fillna("").str.len() > 0).sum())
    seen = _count_fetched_rows(monkeypatch)
    _nps(responses_path=pg.url("responses"), tickets_path=pg.url("tickets"), segments=["region"])
    # Counts per period, day, segment and ticket group are grouped in PostgreSQL; only the comments (and their
    # scores) come over whole, for the word counts. Copying the tables would fetch all 22,564 + 13,153 rows.
    assert seen["grouped"] >= 4, seen
    assert comments < seen["rows"] <= comments + 2_000 < len(responses), (seen, comments)


def test_nps_from_postgres_on_spark_matches_the_files(pg, spark):
    # The responses are checked and counted in PostgreSQL even on Spark (push-down); the same figures.
    from_files = _nps()
    from_tables = _nps(spark, responses_path=pg.url("responses"), tickets_path=pg.url("tickets"))
    assert from_files["tickets"]["responses_with_unknown_ticket"] == from_tables["tickets"]["responses_with_unknown_ticket"]
    assert_same_results(from_files, from_tables)


def test_a_bad_row_in_a_table_is_named_by_its_key(pg):
    with pytest.raises(InputDataError) as error:
        loading.check_input(pg.url("responses_bad"), "responses")
    assert str(error.value) == (
        f"responses_bad: column 'score' must be an integer from 0 to 10; 1 row breaks this (response_id '{BAD_ID}': 11)."
    )


def test_a_table_is_fingerprinted_by_rows_and_newest_timestamp(pg):
    facts = provenance.input_fingerprints({"responses_path": ("responses", pg.url("responses"))})["responses_path"]
    assert facts["source"] == pg.url("responses")
    assert facts["table"]["rows"] == 22564
    assert facts["table"]["newest_column"] == "timestamp"
    assert facts["table"]["newest"].startswith("2025-")
    assert "files" not in facts


def _run(tmp_path, capsys, *args):
    status = cli.main(["run", "nps_trends", "--out", str(tmp_path / "reports"), "--quiet", *args])
    message = capsys.readouterr().err.strip()
    assert message.startswith("itvalue: ")
    return status, message.removeprefix("itvalue: ")


def test_bad_table_input_stops_before_any_kernel(pg, tmp_path, capsys):
    status, message = _run(tmp_path, capsys, "-p", f"responses_path={pg.url('responses_bad')}")
    assert status == 2
    assert message == (
        f"responses_bad: column 'score' must be an integer from 0 to 10; 1 row breaks this (response_id '{BAD_ID}': 11)."
    )
    assert not (tmp_path / "reports").exists(), "nothing is written before the inputs are valid"


def test_a_missing_table_names_the_tables_there(pg, tmp_path, capsys):
    status, message = _run(tmp_path, capsys, "-p", f"responses_path={pg.url('respones')}")
    assert status == 2
    assert message.startswith(f"{pg.url('respones')}: the database has no table 'respones' (tables found: ")
    assert "responses" in message and message.count("\n") == 0


def test_an_unreachable_database_is_one_sentence(pg, tmp_path, capsys):
    closed = pg.url("responses", port=free_port())
    status, message = _run(tmp_path, capsys, "-p", f"responses_path={closed}")
    assert status == 2
    assert message.startswith(f"{closed}: cannot reach the database (")
    assert message.endswith("is it running, and are the host and port right?")


def test_a_wrong_password_is_refused_without_showing_it(pg, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PGPASSWORD", "wrong-Pw-7")
    tables._BACKENDS.clear()
    try:
        status, message = _run(tmp_path, capsys, "-p", f"responses_path={pg.url('responses')}")
    finally:
        tables._BACKENDS.clear()
    assert status == 2
    assert message.startswith(f"{pg.url('responses')}: the database refused the login (")
    assert "password authentication failed" in message
    assert "wrong-Pw-7" not in message and PG_PASSWORD not in message


def test_a_password_in_the_url_is_refused_and_never_shown(pg):
    with_password = f"postgres://{pg.user}:{PG_PASSWORD}@{pg.host}:{pg.port}/postgres?table=responses"
    with pytest.raises(ParameterError) as error:
        nps.Parameters.validate_values({"responses_path": with_password})
    assert PG_PASSWORD not in str(error.value)
    assert "must not hold a password" in str(error.value)
    assert json.dumps(str(error.value)).count("***") == 1


def test_timestamps_with_time_zone_load_as_wall_clock_times_in_the_analysis_zone(pg):
    import psycopg

    with psycopg.connect(host=pg.host, port=pg.port, user=pg.user, password=pg.password, dbname="postgres") as db:
        db.execute('DROP TABLE IF EXISTS outages_tz')
        db.execute('CREATE TABLE outages_tz (incident_id text, start timestamptz, "end" timestamptz, service text)')
        db.execute("INSERT INTO outages_tz VALUES ('INC-1', '2025-03-01 12:00+00', '2025-03-01 13:30+00', 'shop')")
    outages = loading.load_input(pg.url("outages_tz"), "outages", timezone="Europe/Paris")
    assert outages["start"].tolist() == [pd.Timestamp("2025-03-01 13:00")]
    assert outages["end"].tolist() == [pd.Timestamp("2025-03-01 14:30")]
    assert outages["channels"].isna().all() and list(outages.columns[:4]) == ["incident_id", "start", "end", "service"]


def test_nps_by_segment_from_postgres_matches_the_files(pg):
    from_files = _nps(segments=["region", "tier"])
    from_tables = _nps(responses_path=pg.url("responses"), tickets_path=pg.url("tickets"), segments=["region", "tier"])
    assert from_files["by_segment"], "the segments were reported"
    assert_same_results(from_files, from_tables)


def test_nps_by_segment_from_postgres_runs_through_the_cli(pg, tmp_path, capsys):
    status = cli.main(["run", "nps_trends", "--out", str(tmp_path / "reports"), "--quiet",
                       "-p", f"responses_path={pg.url('responses')}", "-p", "segments=region"])
    assert status == 0, capsys.readouterr().err
    results = json.loads(next((tmp_path / "reports").rglob("results.json")).read_text())
    assert results["by_segment"]


def test_a_segment_that_names_people_in_a_table_is_refused(pg, tmp_path, capsys):
    status, message = _run(tmp_path, capsys, "-p", f"responses_path={pg.url('responses_people')}", "-p", "segments=team")
    assert status == 2
    assert message == (
        "Parameter 'segments': column 'team' of responses_people has 22,564 different values in 22,564 rows, so it would "
        "name people rather than groups; choose a column that groups them, such as a region or a customer tier."
    )


def test_a_table_the_runner_checked_is_trusted_while_its_rows_and_newest_time_stay(pg, tmp_path, monkeypatch):
    import psycopg

    from helpers.inputs import trust
    from helpers.inputs.sources import parse_source

    with psycopg.connect(host=pg.host, port=pg.port, user=pg.user, password=pg.password, dbname="postgres") as db:
        db.execute("DROP TABLE IF EXISTS responses_trusted")
        db.execute("CREATE TABLE responses_trusted AS SELECT * FROM responses")
    spec = pg.url("responses_trusted")
    source = parse_source(spec)
    loading.check_input(spec, "responses")
    facts = tables.checked_facts(source, "responses", "UTC")
    assert facts["rows"] == 22564 and facts["newest"].startswith("2025-")
    assert tables.table_fingerprint(source, "responses") == facts, "run.json's fingerprint is the check's, no new scan"
    record = tmp_path / "checked.json"
    trust.write_record(record, [trust.checked_entry(source, "responses", "UTC", facts)])
    monkeypatch.setenv(trust.ENVIRONMENT_VARIABLE, str(record))
    scans = []
    check_table = tables.check_table
    monkeypatch.setattr(tables, "check_table", lambda *args, **kwargs: scans.append(1) or check_table(*args, **kwargs))
    loading.open_input(spec, "responses", push_down=True)
    assert scans == [], "the kernel counted the rows instead of scanning the rules again"
    with psycopg.connect(host=pg.host, port=pg.port, user=pg.user, password=pg.password, dbname="postgres") as db:
        db.execute("INSERT INTO responses_trusted (response_id, timestamp, score) VALUES ('R-new', '2025-01-05 10:00', 11)")
    with pytest.raises(InputDataError, match="R-new"):
        loading.open_input(spec, "responses", push_down=True)
    assert scans == [1], "a table that changed since the runner's check is checked again"


@pytest.fixture(scope="module")
def pg_incidents(postgres):
    """The service-outcome sample in the server: incidents, their audit events (its own columns only), responses."""
    events = "data/sample/incident_events.parquet"
    frames = {
        "incidents": loading.load_input("data/sample/incidents.csv", "incidents"),
        "incident_events": loading.load_input(events, "incident_events")[loading.source_columns(events, "incident_events")],
        "incident_responses": loading.load_input("data/sample/incident_responses.csv", "responses"),
    }
    load_tables(postgres, frames)
    yield postgres


def _service_outcomes(**values):
    from helpers import service_outcomes

    params = service_outcomes.Parameters.validate_values(values)
    analysed = service_outcomes.analyse(service_outcomes.load_inputs(params), params)
    return json.loads(json.dumps(to_jsonable(service_outcomes.results(analysed))))


def test_service_outcomes_from_postgres_are_queried_there_and_match_the_files(pg_incidents, monkeypatch):
    from_files = _service_outcomes()
    seen = _count_fetched_rows(monkeypatch)
    from_tables = _service_outcomes(incidents_path=pg_incidents.url("incidents"),
                                    incident_events_path=pg_incidents.url("incident_events"),
                                    responses_path=pg_incidents.url("incident_responses"))
    assert_same_results(from_files, from_tables)
    # Every ticket-level step ran in PostgreSQL: fewer rows came back than the 20,447 incidents alone.
    assert seen["grouped"] > 0 and seen["rows"] < 20_447, seen
    # Events and responses from files join the incidents from temporary tables beside them.
    assert_same_results(from_files, _service_outcomes(incidents_path=pg_incidents.url("incidents")))


def test_nps_results_json_from_postgres_is_the_files_one(pg, tmp_path, capsys):
    # The whole run: the runner checks the tables in PostgreSQL, the kernel trusts that check and counts there.
    runs = {}
    for label, overrides in (("files", []), ("tables", ["-p", f"responses_path={pg.url('responses')}",
                                                         "-p", f"tickets_path={pg.url('tickets')}"])):
        out = tmp_path / label
        status = cli.main(["run", "nps_trends", "--out", str(out), "--quiet", *overrides])
        assert status == 0, capsys.readouterr().err
        runs[label] = json.loads(next(out.rglob("results.json")).read_text())
    assert_same_results(runs["files"], runs["tables"])


def test_a_database_that_refuses_a_temporary_table_says_which_privilege(pg):
    import psycopg

    with psycopg.connect(host=pg.host, port=pg.port, user=pg.user, password=pg.password, dbname="postgres",
                         autocommit=True) as db:
        db.execute("DROP ROLE IF EXISTS reader")
        db.execute(f"CREATE ROLE reader LOGIN PASSWORD '{PG_PASSWORD}'")
        db.execute("GRANT SELECT ON responses TO reader")
        db.execute("REVOKE TEMPORARY ON DATABASE postgres FROM PUBLIC")
    try:
        reading = pg.url("responses").replace(f"{pg.user}@", "reader@")
        with pytest.raises(InputDataError) as error:
            _nps(responses_path=reading, tickets_path="data/sample/tickets.csv")
    finally:
        with psycopg.connect(host=pg.host, port=pg.port, user=pg.user, password=pg.password, dbname="postgres",
                             autocommit=True) as db:
            db.execute("GRANT TEMPORARY ON DATABASE postgres TO PUBLIC")
    assert str(error.value).startswith("The database refused a temporary table for joining a local input")
    assert "TEMPORARY privilege" in str(error.value) and "\n" not in str(error.value)
