"""Column maps: the user's own column names and expressions, validated and worded in the user's words."""

from __future__ import annotations

import pytest

from helpers import nps_trends as nps
from helpers.analysis.registry import analyses
from helpers.exceptions import InputDataError, ParameterError
from helpers.inputs import loading
from helpers.inputs.expressions import ExpressionError, parse_expression
from helpers.inputs.maps import MappedSource, option_names
from helpers.inputs.quality import QualityNote

SERVICENOW_MAP = {"ticket_id": "number", "opened": "opened_at", "resolved": "resolved_at", "reopened": "reopen_count > 0"}


@pytest.fixture
def incidents(tmp_path):
    """A small incident export with ServiceNow's column names (one reopened ticket, one still open)."""
    path = tmp_path / "incidents.csv"
    path.write_text(
        "number,opened_at,resolved_at,reopen_count,contact_type,priority\n"
        "INC001,2025-02-01 09:00,2025-02-01 10:30,0,Phone,3 - Moderate\n"
        "INC002,2025-02-02 09:00,2025-02-03 11:00,2,Email,1 - Critical\n"
        "INC003,2025-02-04 09:00,,0,Self-service,4 - Low\n"
    )
    return str(path)


def _tickets(path, **options):
    params = nps.Parameters.validate_values({"tickets_path": path, **options})
    return params, params.tickets_path


def _error(source, kind="tickets"):
    with pytest.raises(InputDataError) as caught:
        loading.check_input(source, kind)
    return str(caught.value)


# --- the parameters -------------------------------------------------------------------------------

def test_every_input_of_every_analysis_has_a_map_and_a_profile_parameter():
    # One mechanism: declared once in the vocabulary, no analysis declares its own.
    for analysis in analyses().values():
        options = analysis.Parameters.input_options()
        for parameter in analysis.Parameters.input_fields():
            columns, profile = option_names(parameter)
            assert options[columns] == (parameter, "columns") and options[profile] == (parameter, "profile")
            assert columns not in analysis.Parameters.model_fields, "no analysis declares the map itself"
    assert option_names("usage_path") == ("usage_columns", "usage_profile")


def test_a_map_is_carried_by_the_input_parameter_and_injected_with_the_others(incidents):
    params, source = _tickets(incidents, tickets_columns=SERVICENOW_MAP)
    assert isinstance(source, MappedSource) and source == incidents
    assert source.column_map.columns == SERVICENOW_MAP
    assert params.as_dict()["tickets_columns"] == SERVICENOW_MAP
    assert "responses_columns" not in params.as_dict(), "only the maps given are injected"
    again = nps.Parameters.from_notebook(params.as_dict())
    assert again.tickets_path.column_map.columns == SERVICENOW_MAP


@pytest.mark.parametrize(
    "options, message",
    [
        ({"tickets_columns": {"opend": "opened_at"}},
         "Parameter 'tickets_columns': 'opend' is not a column of tickets data; did you mean 'opened'? "
         "its columns: ticket_id, opened, resolved, reopened, channel, service."),
        ({"tickets_columns": ["number"]},
         "Parameter 'tickets_columns' must be a mapping of tickets columns to your columns; got ['number']. "
         "Write it as: tickets_columns: {ticket_id: your_column}."),
        ({"tickets_columns": {"ticket_id": ""}},
         "Parameter 'tickets_columns': 'ticket_id' must name a column or hold an SQL expression; got ''."),
        ({"ticket_columns": {}}, "Unknown parameter 'ticket_columns'; did you mean 'tickets_columns'?"),
        ({"tickets_profile": "servicenw"}, "did you mean 'servicenow'?"),
        ({"tickets_profile": "shopify_orders"}, "'shopify_orders' is a profile of sales data"),
        ({"tickets_profile": {"name": "servicenow", "score_column": "Q3"}},
         "Parameter 'tickets_profile': 'score_column' is not a choice of the servicenow profile (its choices: none)."),
    ],
)
def test_a_wrong_map_or_profile_is_one_sentence_naming_the_parameter(incidents, options, message):
    with pytest.raises(ParameterError) as caught:
        _tickets(incidents, **options)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


# --- reading through a map -------------------------------------------------------------------------

def test_a_map_reads_the_users_columns_and_keeps_the_others(incidents):
    _, source = _tickets(incidents, tickets_columns=SERVICENOW_MAP | {"channel": "contact_type"})
    tickets = loading.load_input(source, "tickets")
    assert list(tickets.columns) == [
        "ticket_id", "opened", "resolved", "reopened", "channel", "service", "reopen_count", "priority",
    ]
    assert tickets["ticket_id"].tolist() == ["INC001", "INC002", "INC003"]
    assert tickets["reopened"].tolist() == [False, True, False]
    assert tickets["channel"].tolist() == ["Phone", "Email", "Self-service"]
    assert tickets["resolved"].isna().tolist() == [False, False, True]


def test_a_constant_fills_a_column(incidents):
    _, source = _tickets(incidents, tickets_columns=SERVICENOW_MAP | {"channel": "'web'", "service": "'Service desk'"})
    tickets = loading.load_input(source, "tickets")
    assert set(tickets["channel"]) == {"web"} and set(tickets["service"]) == {"Service desk"}


def test_a_mapped_column_missing_from_the_file_lists_the_files_columns(incidents):
    _, source = _tickets(incidents, tickets_columns=SERVICENOW_MAP | {"opened": "opened_on", "resolved": "closed_at"})
    assert _error(source) == (
        "incidents.csv: columns 'opened_on' (mapped to 'opened') and 'closed_at' (mapped to 'resolved') are not in the "
        "file (its columns: number, opened_at, resolved_at, reopen_count, contact_type, priority)."
    )


def test_an_expression_reading_a_missing_column_says_which(incidents):
    _, source = _tickets(incidents, tickets_columns=SERVICENOW_MAP | {"reopened": "reopens > 0"})
    assert _error(source) == (
        "incidents.csv: column 'reopens' (in the expression for 'reopened') is not in the file "
        "(its columns: number, opened_at, resolved_at, reopen_count, contact_type, priority)."
    )


def test_rules_speak_of_the_users_columns(tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_text(
        "number,opened_at,resolved_at,reopen_count\n"
        "INC001,2025-02-01 09:00,2025-01-31 10:30,0\n"
        "INC001,2025-02-02 09:00,2025-02-03 11:00,x\n"
        "INC003,yesterday,,0\n"
    )
    _, source = _tickets(str(path), tickets_columns=SERVICENOW_MAP | {"reopened": "TRY_CAST(reopen_count AS INTEGER) > 0"})
    assert _error(source).splitlines() == [
        "incidents.csv: column 'opened_at' (mapped to 'opened') must be an ISO 8601 timestamp such as 2025-03-01 14:30 "
        "or 2025-03-01T14:30:00+01:00; 1 row breaks this (row 3: 'yesterday').",
        "incidents.csv: 'resolved_at' (mapped to 'resolved') must not be before 'opened_at' (mapped to 'opened'); 1 row "
        "breaks this (row 1: opened_at 2025-02-01 09:00, resolved_at 2025-01-31 10:30).",
        "incidents.csv: column 'number' (mapped to 'ticket_id') must be unique; 1 row repeats an earlier value "
        "(row 2: 'INC001' as in row 1).",
    ]


def test_an_expression_that_fails_on_a_row_is_named(incidents, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(open(incidents).read().replace("0,Phone", "none,Phone"))
    _, source = _tickets(str(path), tickets_columns=SERVICENOW_MAP | {"reopened": "CAST(reopen_count AS INTEGER) > 0"})
    message = _error(source)
    assert message.startswith(
        "bad.csv: expression \"CAST(reopen_count AS INTEGER) > 0\" (mapped to 'reopened') fails on a row of the file ("
    )
    assert "'none'" in message and message.endswith("TRY_CAST(x AS type) gives an empty cell instead of an error.")


def test_an_expression_of_the_wrong_type_for_its_columns_says_how_to_cast(incidents):
    _, source = _tickets(incidents, tickets_columns=SERVICENOW_MAP | {"reopened": "contact_type > 0"})
    message = _error(source)
    assert message.startswith("incidents.csv: expression \"contact_type > 0\" (mapped to 'reopened') cannot be evaluated: ")
    assert "CAST or TRY_CAST them" in message


def test_quality_notes_name_the_users_columns(incidents):
    _, source = _tickets(incidents, tickets_columns=SERVICENOW_MAP)
    loading.load_input(source, "tickets")
    note = QualityNote(input="incidents.csv", issue="'opened' outside the analysis window, and 'ticket_id' repeats", rows=2)
    assert note.issue == (
        "'opened_at' (mapped to 'opened') outside the analysis window, and 'number' (mapped to 'ticket_id') repeats"
    )
    assert QualityNote(input="other.csv", issue="'opened' late", rows=1).issue == "'opened' late"


def test_the_checks_the_runner_trusts_include_the_map(incidents):
    from helpers.inputs import trust
    from helpers.inputs.sources import parse_source

    _, mapped = _tickets(incidents, tickets_columns=SERVICENOW_MAP)
    _, other = _tickets(incidents, tickets_columns=SERVICENOW_MAP | {"channel": "contact_type"})
    first, second = (trust.checked_entry(parse_source(s), "tickets", "UTC") for s in (mapped, other))
    assert first["map"] == {"columns": SERVICENOW_MAP} and first != second


# --- user text stays text ---------------------------------------------------------------------------

HOSTILE = [
    "read_csv('{secret}')",
    "read_text('{secret}')",
    "read_blob('{secret}')",
    "read_parquet('{secret}')",
    "(SELECT content FROM read_text('{secret}'))",
    "number IN (SELECT content FROM read_text('{secret}'))",
    "EXISTS (SELECT 1)",
    "getenv('HOME')",
    "current_setting('home_directory')",
    "read_csv('https://example.com/x.csv')",
    "1; COPY (SELECT 1) TO '{secret}.out'",
    "1; ATTACH '{secret}.db' AS x",
    "1; INSTALL httpfs",
    "1; PRAGMA version",
    "number\" FROM read_text('{secret}') --",
    "number /* */ || (SELECT 1)",
    "glob('*')",
    "duckdb_settings()",
    "x.number",
    "count(*)",
    "row_number() OVER ()",
    "list_transform([1], x -> x)",
    "$1",
    "?",
    "CAST(number AS BLOB)",
    "sql_auto_complete('SELECT')",
    "query('SELECT 1')",
]


@pytest.mark.parametrize("attempt", HOSTILE)
def test_an_expression_that_is_not_a_scalar_over_the_files_columns_is_refused(incidents, tmp_path, attempt):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE\n")
    text = attempt.format(secret=secret)
    _, source = _tickets(incidents, tickets_columns=SERVICENOW_MAP | {"channel": text})
    message = _error(source)
    assert "TOP-SECRET-VALUE" not in message
    assert message.startswith("incidents.csv: ")
    assert "nor an expression the kit accepts" in message or "is not in the file" in message
    assert not (tmp_path / "secret.txt.out").exists() and not (tmp_path / "secret.txt.db").exists()


@pytest.mark.parametrize("attempt", HOSTILE)
def test_the_expression_checker_refuses_each_attempt_on_its_own(attempt):
    text = attempt.format(secret="/etc/passwd")
    if text in ("x.number",):
        with pytest.raises(ExpressionError, match="names a table"):
            parse_expression(text)
        return
    with pytest.raises(ExpressionError):
        parse_expression(text)


def test_the_sql_that_runs_is_written_from_the_checked_tree():
    expression = parse_expression("lower(\"Created at\") || '-' -- a comment\n")
    assert expression.sql("duckdb") == "LOWER(\"Created at\") || '-'"
    assert expression.sql("spark") == "LOWER(`Created at`) || '-'"
    assert expression.columns == ("Created at",)


# --- one expression, two evaluations: DuckDB SQL over files, Ibis over engine tables -----------------

EVERY_FUNCTION = {
    "abs": "abs(n - 5)", "ceil": "ceil(x)", "coalesce": "coalesce(t, 'none')", "concat": "concat(t, '-', n)",
    "contains": "contains(t, 'b')", "floor": "floor(x)", "greatest": "greatest(n, 3)",
    "least": "least(n, 3)", "left": "left(t, 2)", "length": "length(t)", "lower": "lower(t)",
    "nullif": "nullif(t, 'abc')", "regexp_extract": "regexp_extract(t, '^(.)(.)', 2)",
    "regexp_matches": "regexp_matches(t, 'b+')", "regexp_replace": "regexp_replace(t, 'b+', 'X')",
    "replace": "replace(t, 'b', 'B')", "right": "right(t, 2)", "round": "round(x, 1)", "split_part": None,
    "starts_with": "starts_with(t, 'ab')", "strptime": "strptime(d, '%d/%m/%Y')", "substring": "substring(t, 2, 2)",
    "to_timestamp": "to_timestamp(s)", "trim": "trim(p)", "upper": "upper(t)",
}
OPERATORS = [
    "n + 1", "n * 2 - 1", "x / 2", "n % 2", "floor(n / 2)", "-n", "n > 2 AND NOT (n = 4)", "n < 2 OR n >= 4", "t || '!'",
    "t IS NULL", "t IS NOT NULL", "t LIKE 'a%'", "t ILIKE 'A%'", "t NOT LIKE '%c'", "n IN (1, 3)", "n BETWEEN 2 AND 3",
    "CASE WHEN n > 2 THEN 'big' ELSE 'small' END", "CASE t WHEN 'abc' THEN 1 WHEN 'bbb' THEN 2 END",
    "CAST(n AS VARCHAR)", "TRY_CAST(t AS INTEGER)", "CAST(x AS DECIMAL(10, 2))", "CAST(n AS DOUBLE) / 4", "'web'", "1",
    "to_timestamp(ms / 1000)",
]


@pytest.mark.parametrize("text", [v for v in EVERY_FUNCTION.values() if v] + OPERATORS)
def test_an_expression_gives_the_same_values_as_duckdb_sql_and_as_an_ibis_expression(text):
    import ibis
    import pyarrow as pa

    from helpers.inputs.mapping import to_ibis

    rows = pa.table({
        "n": pa.array([1, 2, 3, 4, None], pa.int64()), "x": pa.array([1.25, -2.5, 3.75, 0.0, None], pa.float64()),
        "t": ["abc", "bbb", "ab", None, "cab"], "d": ["29/02/2016", "01/03/2016", "1/1/2000", None, "31/12/2024"],
        "s": pa.array([0, 86400, 1_700_000_000, None, 1], pa.int64()),
        "ms": pa.array([0, 1500, 86_400_000, None, 1], pa.int64()), "p": ["  a ", "b", " ", None, "c "],
    })
    con = ibis.duckdb.connect()
    table = con.create_table("t", ibis.memtable(rows))
    expression = parse_expression(text)
    by_sql = con.con.execute(f"SELECT ({expression.sql('duckdb')}) AS v FROM t").fetchall()
    by_ibis = table.select(v=to_ibis(expression.tree, table)).to_pyarrow().column("v").to_pylist()
    assert [row[0] for row in by_sql] == by_ibis, text


def test_every_allowed_function_is_tried_both_ways_or_said_to_work_on_files_only():
    from helpers.inputs.expressions import FUNCTIONS

    assert set(EVERY_FUNCTION) == set(FUNCTIONS)
    import ibis

    from helpers.inputs.mapping import to_ibis

    table = ibis.table({"t": "string"}, name="t")
    with pytest.raises(ExpressionError, match="the function split_part works on files"):
        to_ibis(parse_expression("split_part(t, ' ', 1)").tree, table)
