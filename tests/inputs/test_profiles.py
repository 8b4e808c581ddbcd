"""Profiles: each tool's export, in the exact shape the tool writes it (tool_exports.py says where each column
list comes from), runs its analysis end to end with the same figures as the same data in the kit's own column
names."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
import tool_exports as tools

from helpers import config_usage_audit, downtime_sales, feature_adoption, nps_trends
from helpers.analysis.registry import get_schema
from helpers.exceptions import InputDataError, ParameterError
from helpers.inputs import loading
from helpers.inputs.profiles import KIT_PROFILES, available, load_profile
from helpers.paths import PROJECT_ROOT
from helpers.report.results import to_jsonable

SAMPLE = PROJECT_ROOT / "data" / "sample"
UCI = PROJECT_ROOT / "tests" / "inputs" / "reference" / "servicenow_incident_event_log.csv"

#: Every profile the kit ships, by input kind: the issue's list.
SHIPPED = {
    "tickets": ["jira_service_management", "servicenow"],
    "responses": ["survey_export"],
    "sales": ["shopify_orders"],
    "outages": ["pagerduty_incidents", "statuspage"],
    "feature_usage": ["amplitude", "mixpanel", "segment"],
    "access_log": ["servicenow_transactions"],
}


def figures(analysis, **values) -> dict:
    """results.json of an analysis run in this process, without the parameters (the paths and maps differ)."""
    params = analysis.Parameters.validate_values(values)
    result = analysis.analyse(analysis.load_inputs(params), params)
    out = json.loads(json.dumps(to_jsonable(analysis.results(result))))
    out.pop("parameters", None)
    return out | {"quality_notes": [[n.issue, n.rows, n.examples] for n in result.quality_notes]}


def assert_same(expected, actual, path="results"):
    if isinstance(expected, float) or isinstance(actual, float):
        assert expected is not None and actual is not None, f"{path}: {expected!r} != {actual!r}"
        assert math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(expected) and math.isnan(actual)), (
            f"{path}: {expected!r} != {actual!r}"
        )
    elif isinstance(expected, dict):
        assert isinstance(actual, dict) and expected.keys() == actual.keys(), f"{path}: keys differ"
        for key in expected:
            assert_same(expected[key], actual[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(expected) == len(actual), f"{path}: lengths differ"
        for n, (a, b) in enumerate(zip(expected, actual)):
            assert_same(a, b, f"{path}[{n}]")
    else:
        assert expected == actual, f"{path}: {expected!r} != {actual!r}"


def kit_csv(frame: pd.DataFrame, path, timestamps=()) -> str:
    """The same data in the kit's own column names (timestamps ISO 8601)."""
    out = frame.copy()
    for column in timestamps:
        out[column] = pd.to_datetime(out[column]).dt.strftime("%Y-%m-%dT%H:%M:%S").where(out[column].notna(), "")
    out.to_csv(path, index=False)
    return str(path)


def test_every_profile_the_issue_lists_is_shipped_and_reads():
    for kind, names in SHIPPED.items():
        assert list(available(kind)) == names
        for name in names:
            profile = load_profile(kind, name)
            assert profile.documentation and profile.export.strip(), f"{kind}/{name} says where its columns come from"
            required = {c.name for c in get_schema(kind).columns if c.required}
            assert required <= set(profile.columns), f"{kind}/{name} maps every required column"
    assert sorted(p.parent.name for p in KIT_PROFILES.glob("*/*.yml")) == sorted(k for k, v in SHIPPED.items() for _ in v)


# --- tickets and responses: NPS trends ------------------------------------------------------------

@pytest.fixture(scope="module")
def nps_data():
    responses = loading.load_input(str(SAMPLE / "responses.csv"), "responses")
    tickets = loading.load_input(str(SAMPLE / "tickets.csv"), "tickets")
    return responses, tickets


def _by_minute(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    out = frame.copy()
    for column in columns:
        out[column] = pd.to_datetime(out[column]).dt.floor("min")
    return out


def test_servicenow_tickets_and_a_qualtrics_survey_give_the_kits_figures(nps_data, tmp_path):
    responses, tickets = nps_data
    (tmp_path / "kit").mkdir(), (tmp_path / "tools").mkdir()
    expected = figures(
        nps_trends,
        responses_path=kit_csv(responses, tmp_path / "kit" / "responses.csv", ["timestamp"]),
        tickets_path=kit_csv(tickets, tmp_path / "kit" / "tickets.csv", ["opened", "resolved"]),
    )
    actual = figures(
        nps_trends,
        responses_path=str(tools.qualtrics(responses, tmp_path / "tools" / "responses.csv")),
        responses_profile={"name": "survey_export", "comment_column": "Q2"},
        tickets_path=str(tools.servicenow_incidents(tickets, tmp_path / "tools" / "tickets.csv")),
        tickets_profile="servicenow",
    )
    assert expected["tickets"]["linked_responses"] > 1000
    assert_same(expected, actual)


def test_jira_service_management_and_a_surveymonkey_survey_give_the_kits_figures(nps_data, tmp_path):
    responses, tickets = nps_data
    # Jira writes minutes, not seconds, and has no reopen count: the same data, as Jira can say it.
    tickets = _by_minute(tickets, "opened", "resolved").drop(columns="reopened")
    (tmp_path / "kit").mkdir(), (tmp_path / "tools").mkdir()
    expected = figures(
        nps_trends,
        responses_path=kit_csv(responses, tmp_path / "kit" / "responses.csv", ["timestamp"]),
        tickets_path=kit_csv(tickets, tmp_path / "kit" / "tickets.csv", ["opened", "resolved"]),
    )
    actual = figures(
        nps_trends,
        responses_path=str(tools.surveymonkey(responses, tmp_path / "tools" / "responses.csv")),
        responses_profile="survey_export",
        tickets_path=str(tools.jira_issues(tickets.assign(reopened=False), tmp_path / "tools" / "tickets.csv")),
        tickets_profile="jira_service_management",
    )
    assert_same(expected, actual)


@pytest.mark.parametrize("tool", [tools.typeform, tools.google_forms], ids=["typeform", "google_forms"])
def test_typeform_and_google_forms_surveys_give_the_kits_figures(nps_data, tmp_path, tool):
    responses, tickets = nps_data
    (tmp_path / "kit").mkdir(), (tmp_path / "tools").mkdir()
    tickets_path = kit_csv(tickets, tmp_path / "kit" / "tickets.csv", ["opened", "resolved"])
    expected = figures(
        nps_trends, responses_path=kit_csv(responses, tmp_path / "kit" / "responses.csv", ["timestamp"]),
        tickets_path=tickets_path,
    )
    actual = figures(
        nps_trends, responses_path=str(tool(responses, tmp_path / "tools" / "responses.csv")),
        responses_profile="survey_export", tickets_path=tickets_path,
    )
    assert_same(expected, actual)


def test_the_servicenow_profile_reads_the_uci_export_of_a_real_instance():
    # The event log repeats an incident once per update; the profile keeps its latest row.
    params = nps_trends.Parameters.validate_values({"tickets_path": str(UCI), "tickets_profile": "servicenow"})
    tickets = loading.load_input(params.tickets_path, "tickets")
    raw = pd.read_csv(UCI, dtype=str, keep_default_na=False)
    last = raw.assign(n=raw["sys_mod_count"].astype(int)).sort_values("n").groupby("number").tail(1).set_index("number")
    assert len(tickets) == raw["number"].nunique() == 67
    rows = last.loc[tickets["ticket_id"]]
    assert (tickets["reopened"].to_numpy() == rows["reopen_count"].astype(int).gt(0).to_numpy()).all()
    assert tickets["resolved"].isna().sum() == (rows["resolved_at"] == "?").sum()
    opened = pd.to_datetime(rows["opened_at"], format="%d/%m/%Y %H:%M")
    assert (tickets["opened"].to_numpy() == opened.to_numpy()).all()
    assert tickets.loc[tickets["ticket_id"] == "INC0000332", "opened"].iloc[0] == pd.Timestamp("2016-02-29 14:53")


# --- sales and outages: campaign downtime-to-sales -------------------------------------------------

@pytest.fixture(scope="module")
def downtime_data():
    sales = loading.load_input(str(SAMPLE / "sales.parquet"), "sales")
    sales = sales[sales["timestamp"] >= pd.Timestamp("2024-09-01")].reset_index(drop=True)
    sales["channel"] = sales["channel"].replace({"store": "pos"})  # Shopify's name for the shop's tills
    outages = loading.load_input(str(SAMPLE / "outages.csv"), "outages")
    outages = outages[outages["start"] >= pd.Timestamp("2024-09-01")].drop(columns="channels").reset_index(drop=True)
    return sales, outages


@pytest.fixture(scope="module")
def downtime_expected(downtime_data, tmp_path_factory):
    sales, outages = downtime_data
    kit = tmp_path_factory.mktemp("kit")
    sales[["timestamp", "revenue", "orders", "channel"]].to_parquet(kit / "sales.parquet")
    return figures(
        downtime_sales, sales_path=str(kit / "sales.parquet"),
        outages_path=kit_csv(outages, kit / "outages.csv", ["start", "end"]), campaigns_path="",
    )


@pytest.mark.parametrize("outages_tool, profile", [
    (tools.pagerduty_incidents, "pagerduty_incidents"), (tools.statuspage_incidents, "statuspage"),
], ids=["pagerduty", "statuspage"])
def test_shopify_orders_with_pagerduty_or_statuspage_give_the_kits_figures(
    downtime_data, downtime_expected, tmp_path, outages_tool, profile
):
    sales, outages = downtime_data
    actual = figures(
        downtime_sales,
        sales_path=str(tools.shopify_orders(sales, tmp_path / "sales.csv")), sales_profile="shopify_orders",
        outages_path=str(outages_tool(outages, tmp_path / "outages.csv")), outages_profile=profile, campaigns_path="",
    )
    assert len(downtime_expected["incidents"]) == len(outages) > 5
    assert_same(downtime_expected, actual)


# --- feature usage: adoption ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def adoption_expected(tmp_path_factory):
    usage = loading.load_input(str(SAMPLE / "feature_usage.parquet"), "feature_usage")
    events = tools._events(usage)[["timestamp", "user_id", "feature_id"]]
    kit = tmp_path_factory.mktemp("kit")
    events.to_parquet(kit / "feature_usage.parquet")
    return usage, figures(feature_adoption, usage_path=str(kit / "feature_usage.parquet"))


@pytest.mark.parametrize("tool, profile", [
    (tools.amplitude_events, "amplitude"), (tools.mixpanel_events, "mixpanel"),
    (lambda usage, path: tools.segment_tracks(usage).to_parquet(path) or path, "segment"),
], ids=["amplitude", "mixpanel", "segment"])
def test_product_analytics_exports_give_the_kits_adoption_figures(adoption_expected, tmp_path, tool, profile):
    usage, expected = adoption_expected
    actual = figures(feature_adoption, usage_path=str(tool(usage, tmp_path / "feature_usage.parquet")),
                     usage_profile=profile)
    assert_same(expected, actual)


# --- the CMDB's transaction log: configuration-data usage audit ------------------------------------

def test_servicenow_transaction_log_gives_the_kits_audit_figures(tmp_path):
    access = loading.load_input(str(SAMPLE / "access_log.parquet"), "access_log")
    inventory = loading.load_input(str(SAMPLE / "inventory.csv"), "inventory")
    inventory["ci_id"] = inventory["ci_id"].map(tools.sys_id)
    (tmp_path / "kit").mkdir(), (tmp_path / "tools").mkdir()
    inventory_path = kit_csv(inventory, tmp_path / "inventory.csv", ["last_updated"])
    # What a transaction says of a read: the whole record, and the process its type tells.
    said = access.assign(
        ci_id=access["ci_id"].map(tools.sys_id), attribute=None,
        process=access["process"].map({"integration": "integration", "reporting": "reporting",
                                       "discovery": "scheduled job"}).fillna("user interface"),
    )
    expected = figures(
        config_usage_audit, inventory_path=inventory_path,
        access_log_path=kit_csv(said, tmp_path / "kit" / "access_log.csv", ["timestamp"]),
    )
    actual = figures(
        config_usage_audit, inventory_path=inventory_path,
        access_log_path=str(tools.servicenow_transactions(access, tmp_path / "tools" / "access_log.csv")),
        access_log_profile="servicenow_transactions",
    )
    assert expected["reads"]["rows"] if "reads" in expected else True
    assert_same(expected, actual)


# --- what a profile refuses --------------------------------------------------------------------------

def test_a_survey_with_two_recommend_questions_asks_which_one(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text(
        "#,How likely are you to recommend us?,How likely are you to recommend our app?,Submit Date (UTC)\n"
        "a1,9,8,2025-03-01 10:00:00\n"
    )
    params = nps_trends.Parameters.validate_values({"responses_path": str(path), "responses_profile": "survey_export",
                                                    "tickets_path": ""})
    with pytest.raises(InputDataError) as caught:
        loading.check_input(params.responses_path, "responses")
    assert str(caught.value) == (
        "survey.csv: say which column holds 'score' (the 0-10 question, e.g. Q3 or \"How likely are you to recommend us "
        "to a friend or colleague?\"); the columns that look like it: 'How likely are you to recommend us?' and "
        "'How likely are you to recommend our app?'; choose with responses_profile: {name: survey_export, "
        "score_column: YOUR_COLUMN}."
    )
    chosen = nps_trends.Parameters.validate_values({
        "responses_path": str(path), "tickets_path": "",
        "responses_profile": {"name": "survey_export", "score_column": "How likely are you to recommend our app?"},
    })
    assert loading.load_input(chosen.responses_path, "responses")["score"].tolist() == [8]


def test_a_project_profile_adds_a_tool_without_code(tmp_path, monkeypatch):
    (tmp_path / "notebooks").mkdir(), (tmp_path / "params").mkdir()
    (tmp_path / "profiles" / "tickets").mkdir(parents=True)
    (tmp_path / "profiles" / "tickets" / "freshservice.yml").write_text(
        "title: Freshservice tickets\ncolumns:\n  ticket_id: Ticket Id\n  opened: Created Time\n"
        "  resolved: Resolved Time\ntimestamps:\n  formats: ['%d-%m-%Y %H:%M']\nmissing: ['-']\n"
    )
    export = tmp_path / "tickets.csv"
    export.write_text("Ticket Id,Subject,Created Time,Resolved Time\nSR-1,Mail,01-03-2025 09:00,-\nSR-2,VPN,02-03-2025 10:00,"
                      "02-03-2025 12:30\n")
    monkeypatch.chdir(tmp_path)
    assert "freshservice" in available("tickets")
    params = nps_trends.Parameters.validate_values({"tickets_path": str(export), "tickets_profile": "freshservice",
                                                    "responses_path": str(SAMPLE / "responses.csv")})
    tickets = loading.load_input(params.tickets_path, "tickets")
    assert tickets["resolved"].tolist()[1] == pd.Timestamp("2025-03-02 12:30") and pd.isna(tickets["resolved"][0])
    (tmp_path / "profiles" / "tickets" / "broken.yml").write_text("title: x\ncolumns:\n  opend: Created\n")
    with pytest.raises(ParameterError, match=r"Profile profiles/tickets/broken.yml maps 'opend', which is not a column"):
        nps_trends.Parameters.validate_values({"tickets_path": str(export), "tickets_profile": "broken",
                                               "responses_path": str(SAMPLE / "responses.csv")})


def test_the_data_readme_shows_each_profile_with_its_export_steps_and_what_it_reads():
    import re

    readme = (PROJECT_ROOT / "data" / "README.md").read_text(encoding="utf-8")
    sections = {s.split("\n", 1)[0].strip("` \n"): s for s in re.split(r"^### ", readme, flags=re.MULTILINE)[1:]}
    for kind, names in SHIPPED.items():
        section = " ".join(sections[kind].replace("```sh", "").replace("```", "").split())
        for name in names:
            profile = load_profile(kind, name)
            assert f"_profile: {name}`**: {profile.title}." in section, (kind, name)
            assert " ".join(profile.export.split()) in section, f"data/README.md: {kind}/{name}'s export steps"
            assert " ".join(profile.reads().split()) in section, f"data/README.md: what {kind}/{name} reads"
    assert "`itvalue inspect FILE --input KIND`" in readme


def test_the_readme_shows_itvalue_inspect_in_your_own_data():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    own_data = readme.split("## Your own data", 1)[1].split("\n## ", 1)[0]
    assert "itvalue inspect exports/incidents.csv --input tickets" in own_data
    assert "_profile" in own_data and "_columns" in own_data
