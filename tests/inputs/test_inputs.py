"""Validation messages, loading rules and quality notes of helpers.inputs."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers.analysis.registry import get_schema, schemas
from helpers.exceptions import InputDataError, ParameterError
from helpers.inputs import loading as inputs
from helpers.paths import PROJECT_ROOT


@pytest.fixture
def write(tmp_path):
    """Write a text file (UTF-8, given newlines) into tmp_path and return its path as a string."""

    def write_file(name: str, text: str, *, encoding: str = "utf-8") -> str:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return str(path)

    return write_file


def error_of(source: str, kind: str, **kwargs) -> str:
    with pytest.raises(InputDataError) as caught:
        inputs.check_input(source, kind, **kwargs)
    return str(caught.value)


# --- one sentence per failure ---------------------------------------------------------------------

RESPONSES_HEADER = "response_id,timestamp,score\n"


def test_score_out_of_range_and_not_an_integer(write):
    path = write(
        "responses.csv",
        RESPONSES_HEADER
        + "r1,2025-01-01 10:00,7\nr2,2025-01-01 11:00,8\nr3,2025-01-01 12:00,9\n"
        + "r4,2025-01-02 10:00,11\nr5,2025-01-02 10:00,0\nr6,2025-01-02 10:00,10\n"
        + "r7,2025-01-02 10:00,3\nr8,2025-01-02 10:00,3\nr9,2025-01-03 10:00,ten\n",
    )
    assert error_of(path, "responses") == (
        "responses.csv: column 'score' must be an integer from 0 to 10; 2 rows break this (row 4: 11, row 9: 'ten')."
    )


def test_fractional_negative_and_empty_scores_are_quoted_as_written(write):
    path = write("responses.csv", RESPONSES_HEADER + "r1,2025-01-01,7.5\nr2,2025-01-01,-1\nr3,2025-01-01,\nr4,2025-01-01,7.0\n")
    assert error_of(path, "responses") == (
        "responses.csv: column 'score' must be an integer from 0 to 10; 3 rows break this "
        "(row 1: 7.5, row 2: -1, row 3: empty)."
    )


def test_row_numbers_count_records_not_lines(write):
    # Row 2's comment spans three physical lines; the bad score is on data row 3.
    path = write(
        "responses.csv",
        "response_id,timestamp,score,comment\n"
        'r1,2025-01-01,7,fine\nr2,2025-01-01,8,"line one\nline two, still ""row 2""\nline three"\nr3,2025-01-01,12,bad\n',
    )
    assert "(row 3: 12)" in error_of(path, "responses")


def test_end_must_be_after_start(write):
    path = write(
        "outages.csv",
        "incident_id,start,end,service\n"
        "INC-1,2025-01-01 00:00,2025-01-01 01:00,web\n"
        "INC-2,2025-01-01 03:00,2025-01-01 03:00,web\n"
        "INC-3,2025-01-02 00:00,2025-01-01 00:00,web\n",
    )
    assert error_of(path, "outages") == (
        "outages.csv: 'end' must be after 'start'; 2 rows break this "
        "(row 2: start 2025-01-01 03:00, end 2025-01-01 03:00, row 3: start 2025-01-02 00:00, end 2025-01-01 00:00)."
    )


def test_resolved_before_opened(write):
    path = write(
        "tickets.csv",
        "ticket_id,opened,resolved\nT1,2025-01-01 09:00,2025-01-01 09:00\nT2,2025-01-01 09:00,\n"
        "T3,2025-01-05 09:00,2025-01-04 17:30:15\n",
    )
    assert error_of(path, "tickets") == (
        "tickets.csv: 'resolved' must not be before 'opened'; 1 row breaks this "
        "(row 3: opened 2025-01-05 09:00, resolved 2025-01-04 17:30:15)."
    )


def test_missing_required_column_lists_the_columns_found(write):
    path = write("sales.csv", "timestamp,amount,channel\n2025-01-01,10,web\n")
    assert error_of(path, "sales") == (
        "sales.csv: missing required column 'revenue' (columns found: timestamp, amount, channel)."
    )


def test_missing_columns_hint_at_a_case_mismatch(write):
    path = write("sales.csv", "Timestamp,Revenue\n2025-01-01,10\n")
    message = error_of(path, "sales")
    assert message.startswith("sales.csv: missing required columns 'timestamp', 'revenue' (columns found: Timestamp, Revenue)")
    assert "names are exact: rename 'Timestamp', 'Revenue'" in message


def test_duplicate_ids(write):
    path = write(
        "outages.csv",
        "incident_id,start,end,service\n"
        "INC-1,2025-01-01 00:00,2025-01-01 01:00,web\nINC-2,2025-01-02 00:00,2025-01-02 01:00,web\n"
        "INC-1,2025-01-03 00:00,2025-01-03 01:00,web\nINC-1,2025-01-04 00:00,2025-01-04 01:00,web\n",
    )
    assert error_of(path, "outages") == (
        "outages.csv: column 'incident_id' must be unique; 2 rows repeat an earlier value "
        "(row 3: 'INC-1' as in row 1, row 4: 'INC-1' as in row 1)."
    )


def test_duplicate_keys_over_two_columns(write):
    path = write("cost.csv", "ci_class,attribute,hours_per_month\nserver,os,1\nserver,*,2\nserver,os,3\n")
    assert error_of(path, "collection_cost") == (
        "cost.csv: columns 'ci_class' and 'attribute' must be unique together; 1 row repeats an earlier combination "
        "(row 3: 'server', 'os' as in row 1)."
    )


def test_unparsable_timestamps(write):
    path = write(
        "responses.csv",
        RESPONSES_HEADER + "r1,2025-01-01 10:00,7\nr2,01/02/2025,7\nr3,2025-02-30,7\nr4,yesterday,7\n",
    )
    message = error_of(path, "responses")
    assert message.startswith("responses.csv: column 'timestamp' must be an ISO 8601 timestamp")
    assert message.endswith("3 rows break this (row 2: '01/02/2025', row 3: '2025-02-30', row 4: 'yesterday').")


def test_mixed_naive_and_aware_timestamps(write):
    path = write(
        "responses.csv",
        RESPONSES_HEADER + "r1,2025-01-01T10:00:00Z,7\nr2,2025-01-01T11:00:00+01:00,7\nr3,2025-01-01 12:00,7\n",
    )
    assert error_of(path, "responses") == (
        "responses.csv: timestamps must all have a UTC offset or all have none (naive ones are read as UTC), "
        "but column 'timestamp' mixes them; 1 row has no offset while 2 have one (row 3: '2025-01-01 12:00')."
    )


def test_mixed_offsets_across_two_columns_of_one_file(write):
    path = write(
        "outages.csv",
        "incident_id,start,end,service\nINC-1,2025-01-01T00:00:00Z,2025-01-01 01:00,web\n"
        "INC-2,2025-01-02T00:00:00Z,2025-01-02T01:00:00Z,web\n",
    )
    assert "columns 'start' and 'end' mix them; 1 row has no offset while 2 have one (row 1: end '2025-01-01 01:00')" in (
        error_of(path, "outages")
    )


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("sales", "timestamp,revenue,orders\n2025-01-01,-5.5,1\n2025-01-01,10,-2\n",
         "sales.csv: column 'orders' must be an integer >= 0; 1 row breaks this (row 2: -2)."),
        ("campaigns", "campaign_id,name,start,end,spend\nC1,Spring,2025-03-01,2025-03-10,-100\n",
         "campaigns.csv: column 'spend' must be a number >= 0; 1 row breaks this (row 1: -100)."),
        ("collection_cost", "ci_class,attribute,hours_per_month\nserver,os,-0.5\nserver,ram,abc\n",
         "collection_cost.csv: column 'hours_per_month' must be a number >= 0; 2 rows break this (row 1: -0.5, row 2: 'abc')."),
        ("access_log", "timestamp,ci_id,attribute,consumer,process,action\n2025-01-01,CI1,,ann,incident,delete\n",
         "access_log.csv: column 'action' must be one of 'read', 'write'; 1 row breaks this (row 1: 'delete')."),
        ("tickets", "ticket_id,opened,resolved,reopened\nT1,2025-01-01,,maybe\n",
         "tickets.csv: column 'reopened' must be true or false; 1 row breaks this (row 1: 'maybe')."),
        ("outages", "incident_id,start,end,service\nINC-1,2025-01-01,2025-01-02,\n",
         "outages.csv: column 'service' must not be empty; 1 row breaks this (row 1: empty)."),
    ],
)
def test_value_rules(write, kind, text, expected):
    # Negative revenue (a refund) is legal; the other values are not.
    assert error_of(write(f"{kind}.csv", text), kind) == expected


def test_every_problem_gets_its_own_sentence(write):
    path = write("responses.csv", RESPONSES_HEADER + "r1,2025-01-01,11\nr1,someday,5\n")
    lines = error_of(path, "responses").splitlines()
    assert [line.split(";")[0] for line in lines] == [
        "responses.csv: column 'timestamp' must be an ISO 8601 timestamp such as 2025-03-01 14:30 or 2025-03-01T14:30:00+01:00",
        "responses.csv: column 'score' must be an integer from 0 to 10",
        "responses.csv: column 'response_id' must be unique",
    ]


def test_a_missing_file(tmp_path):
    assert error_of(str(tmp_path / "nope.csv"), "sales") == f"sales input: file not found: {tmp_path / 'nope.csv'}."


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("report.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "report.csv is not a CSV or Parquet file; it looks like a PDF document."),
        ("sales.xlsx", b"PK\x03\x04\x14\x00\x06\x00", "sales.xlsx is not a CSV or Parquet file; it looks like a ZIP archive or an Excel workbook (.xlsx)."),
        ("blob.csv", bytes(range(256)) * 4, "blob.csv is not a CSV or Parquet file; it holds binary data."),
        ("sales.parquet", b"timestamp,revenue\n2025-01-01,1\n", "sales.parquet is not a Parquet file (it does not start with the Parquet signature)."),
        ("latin1.csv", "timestamp,revenue,channel\n2025-01-01,1,caf\xe9\n".encode("latin-1"), "latin1.csv is not UTF-8 text; save it as 'CSV UTF-8'."),
        ("zero.csv", b"", "zero.csv is empty: it has no header row."),
    ],
)
def test_files_that_are_not_csv_or_parquet(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    assert error_of(str(path), "sales") == expected


def test_a_truncated_parquet_file(tmp_path):
    path = tmp_path / "sales.parquet"
    pq.write_table(pa.table({"timestamp": [dt.datetime(2025, 1, 1)], "revenue": [1.0]}), path)
    path.write_bytes(path.read_bytes()[:40])
    assert error_of(str(path), "sales").startswith("sales.parquet is not a readable Parquet file: ")


def test_a_row_with_too_many_fields(write):
    path = write("sales.csv", "timestamp,revenue\n" + "2025-01-01,1\n" * 5 + "2025-01-02,1,2\n")
    assert error_of(path, "sales") == (
        "sales.csv: row 6 has 3 fields but the header has 2 (fields are separated by ','); is a quote missing?"
    )


def test_a_bad_row_beyond_the_sniffer_sample(write):
    path = write("sales.csv", "timestamp,revenue\n" + "2025-01-01,1\n" * 30000 + '2025-01-02,"1\n')
    assert error_of(path, "sales") == (
        "sales.csv is not a readable CSV file: line 30002 (2025-01-02,\"1): value with unterminated quote found."
    )


def _long_comment_file(write, row: int, size: int) -> tuple[str, str]:
    """Responses whose data row ``row`` holds a quoted comment of ``size`` characters (quotes and commas inside)."""
    comment = ('a pasted "log", line after line; ' * (size // 33 + 1))[:size]
    quoted = '"' + comment.replace('"', '""') + '"'
    rows = [f"r{n},2025-01-0{1 + n % 5} 10:00,{n % 11},{quoted if n == row else 'fine'}" for n in range(1, 9)]
    return write("responses.csv", "response_id,timestamp,score,comment\n" + "\n".join(rows) + "\n"), comment


def test_a_comment_of_a_few_megabytes_is_read_whole(write):
    # DuckDB's default line limit (2 MB) refused a 3 MB quoted comment.
    path, comment = _long_comment_file(write, row=5, size=3_000_000)
    frame = inputs.load_input(path, "responses")
    assert len(frame) == 8 and frame.loc[frame["response_id"] == "r5", "comment"].item() == comment


def test_a_record_longer_than_the_limit_is_named_by_its_row(write, monkeypatch):
    # Reported as "line 1" (DuckDB's line within its buffer) although it was the fifth record.
    from helpers.inputs import reading

    monkeypatch.setattr(reading, "_MAX_RECORD_BYTES", 1 << 20, raising=False)
    path, _comment = _long_comment_file(write, row=5, size=3_000_000)
    assert error_of(path, "responses") == (
        "responses.csv: row 5 is 2.9 MB long, more than the 1 MB a record may hold; shorten its longest field."
    )


def test_header_without_rows(write):
    assert error_of(write("responses.csv", RESPONSES_HEADER), "responses") == (
        "responses.csv has a header but no rows; a responses input needs at least one row."
    )


def test_campaigns_may_be_empty(write):
    frame = inputs.load_input(write("campaigns.csv", "campaign_id,name,start,end\n"), "campaigns")
    assert frame.empty
    assert list(frame.columns) == ["campaign_id", "name", "start", "end", "channel", "spend"]
    assert frame["start"].dtype == "datetime64[us]"


def test_check_input_returns_the_columns_of_valid_data(write):
    columns = inputs.check_input(write("responses.csv", RESPONSES_HEADER + "r1,2025-01-01,7\n"), "responses")
    # The optional columns are there too, as every loaded input has them.
    assert columns[:3] == ["response_id", "timestamp", "score"] and "comment" in columns


# --- loading rules --------------------------------------------------------------------------------

def test_optional_columns_are_present_with_their_defaults(write):
    sales = inputs.load_input(write("sales.csv", "timestamp,revenue\n2025-01-01 10:00,12.5\n"), "sales")
    assert list(sales.columns) == ["timestamp", "revenue", "orders", "channel"]
    assert sales["channel"].tolist() == ["all"]
    assert sales["orders"].dtype == "Int64" and sales["orders"].isna().all()
    tickets = inputs.load_input(write("tickets.csv", "ticket_id,opened,resolved\nT1,2025-01-01,\n"), "tickets")
    assert tickets["reopened"].tolist() == [False] and tickets["reopened"].dtype == bool
    assert tickets[["channel", "service"]].isna().all().all()
    assert pd.isna(tickets.loc[0, "resolved"])


def test_empty_cells_of_filled_columns_take_the_default(write):
    log = inputs.load_input(
        write(
            "access_log.csv",
            "timestamp,ci_id,attribute,consumer,process,action\n"
            "2025-01-01,CI1,,ann,incident,\n2025-01-01,CI1, ,bob,change,write\n2025-01-01,CI2,os,bob,audit,read\n",
        ),
        "access_log",
    )
    assert log["action"].tolist() == ["read", "write", "read"]
    assert log["attribute"].isna().tolist() == [True, True, False]


def test_types_ids_stay_text_and_extra_columns_are_kept(write):
    frame = inputs.load_input(
        write(
            "responses.csv",
            "region,response_id,timestamp,score,ticket_id,visits\nEU,007,2025-01-01,7,00042,3\nUS,008,2025-01-02,9.0,,4\n",
        ),
        "responses",
    )
    assert list(frame.columns) == ["response_id", "timestamp", "score", "comment", "ticket_id", "region", "visits"]
    assert frame["response_id"].tolist() == ["007", "008"]
    assert frame.loc[0, "ticket_id"] == "00042"
    assert frame["score"].dtype == "int64" and frame["score"].tolist() == [7, 9]
    assert frame["visits"].tolist() == [3, 4]
    assert frame["region"].tolist() == ["EU", "US"]


def test_extra_column_whose_type_changes_after_the_sample(write):
    rows = "".join(f"r{i},2025-01-01,7,{i}\n" for i in range(25000)) + "r25000,2025-01-01,7,n/a\n"
    frame = inputs.load_input(write("responses.csv", "response_id,timestamp,score,visits\n" + rows), "responses")
    assert len(frame) == 25001 and frame["visits"].iloc[-1] == "n/a"


def test_semicolon_csv_with_decimal_comma(write):
    frame = inputs.load_input(
        write("sales.csv", "\ufefftimestamp;revenue;channel\n2025-01-01 10:00;12,50;web\n2025-01-01 11:00;-3;store\n"),
        "sales",
    )
    assert frame["revenue"].tolist() == [12.5, -3.0]


def test_excel_style_file_with_crlf_and_spaces_around_header_names(write):
    text = (
        "\ufeff ticket_id ;opened;resolved;reopened;note\r\n"
        '007;2025-01-01 10:00;2025-01-02 10:00;1;"first\r\nsecond"\r\n'
        "008;2025-01-01 10:00;;0;x\r\n"
        "009;2025-01-03 10:00;2025-01-01 10:00;yes;y\r\n"
    )
    path = write("tickets.csv", text)
    assert error_of(path, "tickets").endswith("1 row breaks this (row 3: opened 2025-01-03 10:00, resolved 2025-01-01 10:00).")
    frame = inputs.load_input(write("tickets.csv", text.replace("2025-01-03", "2024-12-31")), "tickets")
    assert frame["ticket_id"].tolist() == ["007", "008", "009"]
    assert frame["reopened"].tolist() == [True, False, True]
    assert frame["note"].tolist() == ["first\r\nsecond", "x", "y"]


def test_tab_separated(write):
    frame = inputs.load_input(write("sales.tsv", "timestamp\trevenue\n2025-01-01 10:00\t12.5\n"), "sales")
    assert frame["revenue"].tolist() == [12.5]


def test_timestamps_become_naive_wall_clock_in_the_timezone(write):
    text = (
        RESPONSES_HEADER
        + "r1,2025-01-15T09:00:00Z,7\nr2,2025-07-15T09:00:00Z,7\nr3,2025-07-15T11:00:00+02:00,7\n"
        + "r4,2025-03-30T01:30:00+0000,7\nr5,2025-10-26T00:30:00+00,7\nr6,2025-01-15T09:00:00.250Z,7\n"
    )
    frame = inputs.load_input(write("responses.csv", text), "responses", timezone="Europe/Paris")
    assert frame["timestamp"].dtype == "datetime64[us]"
    assert frame["timestamp"].dt.tz is None
    assert [str(t) for t in frame["timestamp"]] == [
        "2025-01-15 10:00:00",  # CET, UTC+1
        "2025-07-15 11:00:00",  # CEST, UTC+2
        "2025-07-15 11:00:00",
        "2025-03-30 03:30:00",  # just after the spring-forward jump
        "2025-10-26 02:30:00",  # first 02:30 of the autumn fall-back
        "2025-01-15 10:00:00.250000",
    ]


def test_naive_timestamps_are_taken_as_already_in_the_timezone(write):
    text = RESPONSES_HEADER + "r1,2025-07-15 09:00,7\nr2,2025-07-15,7\n"
    frame = inputs.load_input(write("responses.csv", text), "responses", timezone="America/New_York")
    assert [str(t) for t in frame["timestamp"]] == ["2025-07-15 09:00:00", "2025-07-15 00:00:00"]


def test_the_timezone_defaults_to_the_connections(write):
    path = write("responses.csv", RESPONSES_HEADER + "r1,2025-07-15T09:00:00Z,7\n")
    con = inputs.connect("Europe/Paris")
    paris = inputs.open_input(path, "responses", con=con).timestamp.max().execute()
    utc = inputs.open_input(path, "responses", con=con, timezone="UTC").timestamp.max().execute()
    assert (str(paris), str(utc)) == ("2025-07-15 11:00:00", "2025-07-15 09:00:00")


def test_parquet_timestamps_with_a_zone_are_converted(tmp_path):
    path = tmp_path / "sales.parquet"
    stamps = pd.to_datetime(["2025-01-15 09:00", "2025-07-15 09:00"]).tz_localize("UTC")
    pq.write_table(pa.table({"timestamp": stamps, "revenue": [1.0, 2.0]}), path)
    frame = inputs.load_input(str(path), "sales", timezone="Asia/Kolkata")
    assert [str(t) for t in frame["timestamp"]] == ["2025-01-15 14:30:00", "2025-07-15 14:30:00"]


def test_empty_parquet_timestamps_with_a_zone_are_reported(tmp_path):
    path = tmp_path / "sales.parquet"
    stamps = pd.to_datetime(["2025-01-15 09:00", None]).tz_localize("UTC")
    pq.write_table(pa.table({"timestamp": stamps, "revenue": [1.0, float("inf")]}), path)
    message = error_of(str(path), "sales")
    assert message.splitlines() == [
        "sales.parquet: column 'timestamp' must be an ISO 8601 timestamp such as 2025-03-01 14:30 or "
        "2025-03-01T14:30:00+01:00; 1 row breaks this (row 2: empty).",
        "sales.parquet: column 'revenue' must be a number; 1 row breaks this (row 2: 'inf').",
    ]


def test_duckdb_has_icu_time_zones():
    con = inputs.connect("Australia/Adelaide")
    assert con.raw_sql("SELECT current_setting('TimeZone')").fetchall() == [("Australia/Adelaide",)]
    converted = con.raw_sql(
        "SELECT CAST(timezone('Australia/Adelaide', TIMESTAMPTZ '2025-01-01 00:00:00+00') AS VARCHAR)"
    ).fetchall()
    assert converted == [("2025-01-01 10:30:00",)]


def test_unknown_timezone_is_a_parameter_error():
    with pytest.raises(ParameterError, match="Unknown time zone 'Europe/Pariss'; did you mean 'Europe/Paris'"):
        inputs.connect("Europe/Pariss")


def test_open_input_twice_on_one_connection(write):
    con = inputs.connect()
    path = write("responses.csv", RESPONSES_HEADER + "r1,2025-01-01,7\n")
    first = inputs.open_input(path, "responses", con=con)
    second = inputs.open_input(path, "responses", con=con)
    assert first.get_name() != second.get_name()
    assert first.count().execute() == second.count().execute() == 1


def test_parquet_input_is_a_view_not_a_copy(tmp_path):
    path = tmp_path / "sales.parquet"
    pq.write_table(pa.table({"timestamp": [dt.datetime(2025, 1, 1)], "revenue": [1.0]}), path)
    con = inputs.connect()
    table = inputs.open_input(str(path), "sales", con=con)
    views = [row[0] for row in con.raw_sql("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()]
    assert table.get_name() in views
    assert con.raw_sql("SELECT count(*) FROM duckdb_tables()").fetchall() == [(0,)]


def test_unknown_kind():
    with pytest.raises(ValueError, match="Unknown input kind 'sale'; did you mean 'sales'\\? valid kinds: access_log, "):
        get_schema("sale")


# --- quality notes --------------------------------------------------------------------------------

@pytest.fixture
def sales_table(write):
    con = inputs.connect()
    path = write(
        "sales.csv",
        "timestamp,revenue,channel\n"
        "2025-02-01 00:00,1,web\n2025-02-01 12:00,1,store\n2025-02-03 00:00,1,web\n"
        "2025-02-03 06:00,1,store\n2025-02-10 00:00,1,web\n",
    )
    return con, inputs.open_input(path, "sales", con=con)


def test_time_gaps(sales_table):
    _, sales = sales_table
    note = inputs.time_gaps(sales, longer_than="1D", input="sales")
    assert note == inputs.QualityNote(
        input="sales",
        issue="gaps longer than a day in 'timestamp'",
        rows=2,
        examples="2025-02-03 06:00 .. 2025-02-10 00:00; 2025-02-01 12:00 .. 2025-02-03 00:00",
        unit="gaps",
    )
    by_channel = inputs.time_gaps(sales, longer_than="36h", input="sales", by="channel")
    assert by_channel.rows == 3 and by_channel.issue == "gaps longer than 36 hours in 'timestamp'"
    assert by_channel.examples == (
        "web: 2025-02-03 00:00 .. 2025-02-10 00:00; web: 2025-02-01 00:00 .. 2025-02-03 00:00; "
        "store: 2025-02-01 12:00 .. 2025-02-03 06:00"
    )
    assert inputs.time_gaps(sales, longer_than="8D", input="sales") is None


def test_unmatched_ids(write):
    con = inputs.connect()
    inventory = inputs.open_input(
        write("inventory.csv", "ci_id,ci_class,attribute,last_updated\nCI1,server,os,2025-01-01\nCI2,server,os,2025-01-01\n"),
        "inventory", con=con,
    )
    log = inputs.open_input(
        write(
            "access_log.csv",
            "timestamp,ci_id,attribute,consumer,process\n" + "2025-01-02,CI1,os,ann,incident\n"
            + "2025-01-02,CI9,os,ann,incident\n" * 3 + "2025-01-02,CI7,,ann,audit\n",
        ),
        "access_log", con=con,
    )
    note = inputs.unmatched_ids(log, "ci_id", inventory, input="access_log", issue="ci_id not in the inventory")
    assert note == inputs.QualityNote("access_log", "ci_id not in the inventory", 4, "'CI9' (3 rows), 'CI7' (1 row)")
    never_read = inputs.unmatched_ids(inventory, "ci_id", log, input="inventory")
    assert (never_read.rows, never_read.examples) == (1, "'CI2' (1 row)")
    assert inputs.unmatched_ids(log.filter(log.ci_id == "CI1"), "ci_id", inventory, input="access_log") is None


def test_outside_window(sales_table):
    _, sales = sales_table
    note = inputs.outside_window(sales, "timestamp", start=dt.date(2025, 2, 1), end="2025-02-05", input="sales")
    assert note == inputs.QualityNote("sales", "'timestamp' outside the analysis window", 1,
                                      "1 from 2025-02-05 on (latest 2025-02-10)")
    assert inputs.outside_window(sales, "timestamp", start="2025-01-01", input="sales") is None


# --- the schemas and their documentation agree ----------------------------------------------------

def test_readme_documents_every_schema_column():
    readme = (PROJECT_ROOT / "data" / "README.md").read_text(encoding="utf-8")
    sections = re.split(r"^### ", readme, flags=re.MULTILINE)
    documented = {section.split("\n", 1)[0].strip("` \n"): section for section in sections[1:]}
    assert set(schemas()) <= set(documented), "data/README.md needs a '### kind' section per input kind"
    for kind, schema in schemas().items():
        table_rows = [line for line in documented[kind].splitlines() if line.startswith("| `")]
        names = [row.split("`")[1] for row in table_rows]
        assert names == [c.name for c in schema.columns], kind
        for row, column in zip(table_rows, schema.columns, strict=True):
            cells = [cell.strip() for cell in row.strip("|").split("|")]
            assert cells[1] == ("required" if column.required else "optional"), (kind, column.name)
            assert cells[2] == column.type, (kind, column.name)


def test_readme_example_rows_load(tmp_path):
    """Each schema's example row in data/README.md is a valid one-row CSV file."""
    readme = (PROJECT_ROOT / "data" / "README.md").read_text(encoding="utf-8")
    for kind in schemas():
        block = re.search(rf"^### `{kind}`.*?```csv\n(.*?)```", readme, flags=re.MULTILINE | re.DOTALL)
        assert block, f"no example for {kind}"
        path = tmp_path / f"{kind}.csv"
        path.write_text(block.group(1), encoding="utf-8")
        frame = inputs.load_input(str(path), kind)
        assert len(frame) == 1 and list(frame.columns)[: len(schemas()[kind].columns)] == [
            c.name for c in schemas()[kind].columns
        ]



def test_a_header_naming_a_column_twice(write):
    path = write("responses.csv", "response_id,timestamp,score,score\nr1,2025-01-01,7,8\n")
    with pytest.raises(InputDataError) as caught:
        inputs.check_input(path, "responses")
    assert str(caught.value) == "responses.csv: the header names column 'score' more than once; each column needs its own name."


def test_utf16_text_is_named_as_such(tmp_path):
    path = tmp_path / "responses.csv"
    path.write_bytes("response_id,timestamp,score\nr1,2025-01-01,7\n".encode("utf-16"))
    with pytest.raises(InputDataError, match=r"^responses.csv is UTF-16 text, not UTF-8; save it as 'CSV UTF-8'.$"):
        inputs.check_input(path, "responses")


# --- ITSM exports: '?' as empty, day-first dates ------------------------------------------------


def test_an_itsm_export_reads_question_marks_as_empty_and_day_first_dates(write):
    path = write(
        "incidents.csv",
        "number,opened_at,resolved_at,caller_id,reopen_count,made_sla,cmdb_ci\n"
        "INC1,29/2/2016 01:16,5/3/2016 12:00,Caller 2403,?,true,?\n"
        "INC2,1-3-2016 9:05:30,?,?,2,?,cmdb_ci 7\n"
        "INC3,2016-03-02 10:00,02.03.2016 11:30,Caller 9,0,false,?\n",
    )
    frame = inputs.load_input(path, "incidents")
    assert list(frame["opened_at"]) == [pd.Timestamp("2016-02-29 01:16"), pd.Timestamp("2016-03-01 09:05:30"),
                                        pd.Timestamp("2016-03-02 10:00")]
    assert frame["resolved_at"].isna().tolist() == [False, True, False]
    assert frame["caller_id"].isna().tolist() == [False, True, False]
    assert frame["reopen_count"].tolist() == [0, 2, 0], "'?' in a filled column takes the default"
    assert frame["cmdb_ci"].isna().tolist() == [True, False, True]
    assert frame["made_sla"].isna().tolist() == [False, True, False]


def test_month_first_dates_are_refused_not_guessed(write):
    path = write("incidents.csv", "number,opened_at,resolved_at,caller_id\nINC1,2/29/2016 01:16,,c\n")
    assert error_of(path, "incidents") == (
        "incidents.csv: column 'opened_at' must be an ISO 8601 timestamp such as 2025-03-01 14:30, or one written as "
        "29/02/2016 01:16:09 (%d/%m/%Y %H:%M:%S), %d/%m/%Y %H:%M, %d/%m/%Y, %d-%m-%Y %H:%M:%S, %d-%m-%Y %H:%M, "
        "%d-%m-%Y, %d.%m.%Y %H:%M:%S, %d.%m.%Y %H:%M, %d.%m.%Y; 1 row breaks this (row 1: '2/29/2016 01:16')."
    )


def test_day_first_dates_are_only_for_itsm_exports(write):
    path = write("responses.csv", "response_id,timestamp,score\nr1,29/2/2016 01:16,7\n")
    assert "column 'timestamp' must be an ISO 8601 timestamp" in error_of(path, "responses")
    path = write("responses.csv", "response_id,timestamp,score\nr1,2016-02-29,?\n")
    assert "column 'score' must be an integer from 0 to 10; 1 row breaks this (row 1: '?')" in error_of(path, "responses")


def test_day_first_dates_count_as_naive_beside_offsets(write):
    path = write("incidents.csv", "number,opened_at,resolved_at,caller_id\nINC1,29/2/2016 01:16,,c\nINC2,2016-03-01T10:00:00Z,,c\n")
    assert "timestamps must all have a UTC offset or all have none" in error_of(path, "incidents")
