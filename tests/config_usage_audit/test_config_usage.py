"""Configuration-data usage audit: on generated data with planted usage, every verdict and read
count matches the truth, traps included; window boundaries, per-class limits and hostile names."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from helpers import config_usage_audit as config_usage
from helpers import report
from helpers.analysis.contract import RESULTS_MIMETYPE
from helpers.config_usage_audit import plots as usage_plots
from helpers.config_usage_audit import reporting as usage_reporting
from helpers.config_usage_audit.reporting import RESULT_ATTRIBUTE_FIELDS
from helpers.config_usage_audit.verdicts import apportion_costs
from helpers.exceptions import ParameterError
from helpers.paths import NOTEBOOKS_DIR
from helpers.report.plotting import plain_text
from helpers.sample_data import cmdb

# --- fixtures -------------------------------------------------------------------------------------

def _params(folder: Path, truth: dict | None = None, **values) -> config_usage.Parameters:
    inventory = (truth or {}).get("files", {}).get("inventory", "inventory.csv")
    base = {
        "inventory_path": str(folder / inventory),
        "access_log_path": str(folder / "access_log.parquet"),
        "cost_path": str(folder / "collection_cost.csv"),
    }
    base.update(values)
    return config_usage.Parameters.validate_values(base)


def _audit(params):
    return config_usage.analyse(config_usage.load_inputs(params), params)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cmdb")
    truth = cmdb.generate(folder, scale=1, seed=42)
    return folder, truth


@pytest.fixture(scope="module")
def audit(sample):
    folder, truth = sample
    return _audit(_params(folder, truth))


@pytest.fixture(scope="module")
def found(audit):
    return {(a["ci_class"], a["attribute"]): a for a in config_usage.results(audit)["attributes"]}


def _rendered(show) -> tuple[str, list]:
    """The HTML a report shows (as IPython renders it) and the outputs' MIME bundles."""
    InteractiveShell.instance()  # display() publishes to a shell; without one nothing is captured
    with capture_output() as captured:
        show()
    return "".join(o.data.get("text/html", "") for o in captured.outputs), [o.data for o in captured.outputs]


def _run_notebook_here(**values) -> tuple[str, list, list[str]]:
    """Run the notebook's cells in this process with ``values`` for its parameters.

    Returns the rendered HTML, the outputs' MIME bundles and the text drawn on every chart,
    so a test sees the report a reader would, without starting a kernel.
    """
    notebook = nbformat.read(NOTEBOOKS_DIR / "config_usage_audit.ipynb", as_version=4)
    namespace: dict = {}

    def run():
        for cell in notebook.cells:
            if cell.cell_type != "code":
                continue
            exec(compile(cell.source, "<config_usage_audit>", "exec"), namespace)  # noqa: S102 - our own notebook
            if "parameters" in cell.metadata.get("tags", []):
                namespace.update(values)

    plt.close("all")
    with matplotlib.rc_context():
        markup, outputs = _rendered(run)
    drawn = [t.get_text() for n in plt.get_fignums() for ax in plt.figure(n).axes
             for t in [*ax.texts, ax.title, ax.xaxis.label, ax.yaxis.label]]
    plt.close("all")
    return markup, outputs, drawn


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


# --- accuracy on planted usage ----------------------------------------------------------------

def test_every_attribute_of_the_inventory_is_judged_once(found, sample):
    _, truth = sample
    assert set(found) == {(a["ci_class"], a["attribute"]) for a in truth["attributes"]}
    assert len(found) == len(truth["attributes"]) > 350


def test_every_verdict_and_figure_matches_the_truth(found, sample):
    _, truth = sample
    for planted in truth["attributes"]:
        got = found[(planted["ci_class"], planted["attribute"])]
        where = f"{planted['ci_class']}.{planted['attribute']} ({planted['profile']})"
        for key in ("reads", "consumers", "populated", "used", "stale", "quadrant", "last_read"):
            assert got[key] == planted[key], f"{where}: {key} {got[key]!r} != {planted[key]!r}"
        assert sorted(got["processes"]) == planted["processes"], where
        for key in ("fill_rate", "median_age_days", "hours_per_month"):
            assert _close(got[key], planted[key]), f"{where}: {key} {got[key]!r} != {planted[key]!r}"


@pytest.mark.parametrize(
    "profile, quadrants",
    [
        ("used", {"value", "risk"}),
        ("keepers_only", {"waste", "retire"}),
        ("long_ago", {"waste", "retire"}),
        ("writes_only", {"waste", "retire"}),
        ("never", {"waste", "retire"}),
    ],
)
def test_each_kind_of_attribute_is_planted_and_judged(audit, sample, profile, quadrants):
    _, truth = sample
    planted = [a for a in truth["attributes"] if a["profile"] == profile]
    assert len(planted) >= 5, f"too few {profile} attributes planted"
    frame = audit.attributes.set_index(["ci_class", "attribute"])
    rows = frame.loc[[(a["ci_class"], a["attribute"]) for a in planted]]
    assert set(rows["quadrant"]) <= quadrants
    window_start = pd.Timestamp(truth["parameters"]["window_start"])
    if profile == "used":
        assert (rows["reads"] >= 1).all()
        return
    assert (rows["reads"] == 0).all() and (rows["consumers"] == 0).all()
    assert all(p == [] for p in rows["processes"])
    if profile == "keepers_only":
        # read plenty, but only by discovery and audit: the data's keepers, not its users
        assert (rows["excluded_reads"] > 0).all() and rows["last_read"].isna().all()
    if profile == "long_ago":
        assert (rows["last_read"] < window_start).all()
    if profile in ("writes_only", "never"):
        assert rows["last_read"].isna().all()


def test_writes_never_count_even_by_counted_processes(sample, found):
    folder, truth = sample
    log = pd.read_parquet(folder / "access_log.parquet")
    writes = log[(log["action"] == "write") & log["process"].isin(["integration", "change"])]
    written = {(a["ci_class"], a["attribute"]) for a in truth["attributes"] if a["profile"] == "writes_only"}
    names = {attribute for _, attribute in written}
    assert writes["attribute"].isin(names).sum() > 100
    assert all(found[key]["reads"] == 0 and not found[key]["used"] for key in written)


def test_class_figures_match_the_truth(audit, sample):
    _, truth = sample
    classes = {c["ci_class"]: c for c in config_usage.results(audit)["classes"]}
    for planted in truth["classes"]:
        got = classes[planted["ci_class"]]
        for key in ("cis", "cis_read", "reads", "whole_record_reads", "reads_by_process", "excluded_reads_by_process"):
            assert got[key] == planted[key], f"{planted['ci_class']}: {key}"
        assert 0 < got["cis_read_share"] < 1


def test_whole_record_reads_count_for_the_class_not_for_any_attribute(audit, sample):
    _, truth = sample
    unknown = truth["traps"]["unknown_attribute"]
    attribute_reads = audit.attributes.groupby("ci_class")["reads"].sum()
    for row in audit.classes.itertuples():
        assert row.whole_record_reads > 0
        extra = unknown["reads_in_window"] if row.ci_class == unknown["ci_class"] else 0
        assert row.reads == attribute_reads[row.ci_class] + row.whole_record_reads + extra


def test_monthly_trend_matches_the_truth(audit, sample):
    _, truth = sample
    counted = audit.trend[audit.trend["counted"]]
    by_month = counted.groupby(counted["month"].dt.strftime("%Y-%m"))["reads"].sum().to_dict()
    assert by_month == truth["monthly_counted_reads"]
    assert not audit.trend["partial"].any(), "the sample log covers whole months up to a month's end"
    assert len(audit.monthly_attributes) == len(by_month)


def test_totals_and_quality_notes(audit, sample):
    _, truth = sample
    totals = config_usage.results(audit)["totals"]
    for key in ("attributes", "attributes_used", "attributes_unused"):
        assert totals[key] == truth["totals"][key]
    assert totals["quadrants"] == truth["totals"]["quadrants"]
    assert totals["hours_on_unused"] == pytest.approx(truth["totals"]["hours_on_unused"], abs=0.01)
    notes = {n.issue: n for n in audit.quality_notes}
    unknown = next(n for issue, n in notes.items() if "ci_id is not in the inventory" in issue)
    assert unknown.rows == truth["unknown_ci_rows"]
    stray = next(n for issue, n in notes.items() if "does not hold" in issue and n.input == "access_log")
    assert stray.rows == truth["traps"]["unknown_attribute"]["reads_in_window"]
    assert "legacy_asset_tag" in stray.examples


def test_each_quality_note_says_what_it_counts(audit, tmp_path):
    units = {n.issue.split(" (")[0].split(";")[0]: n.unit for n in audit.quality_notes}
    assert units["rows whose ci_id is not in the inventory"] == "rows"
    assert units["reads in the window of attributes the inventory does not hold for that class"] == "reads"
    no_cost = [n for n in audit.quality_notes if "no cost row" in n.issue]
    assert all(n.unit == "attributes" for n in no_cost)
    # the unit shows in the report, after the count
    markup, _ = _rendered(lambda: report.data_quality(audit.quality_notes))
    assert f"({audit.quality_notes[0].rows:,} rows)" in markup
    assert "reads)" in markup
    attributes = pd.DataFrame({"ci_class": ["server"], "attribute": ["os"], "populated": [2]})
    costs = pd.DataFrame({"ci_class": ["server", "ghost"], "attribute": ["gone", "*"], "hours_per_month": [1.0, 2.0]})
    _, unmatched = apportion_costs(attributes, costs)
    assert {kind: len(frame) for kind, frame in unmatched.items()} == {"attributes": 1, "classes": 1}
    folder = _write_small(tmp_path, [("2025-06-01T08:00:00", "CI1", "os", "u1", "incident", "read")])
    early = _audit(_small_params(folder, as_of="2025-06-10"))
    future = next(n for n in early.quality_notes if n.input == "inventory")
    assert (future.rows, future.unit) == (4, "values")


def test_headline_gives_the_planted_figures(audit, sample):
    _, truth = sample
    t = truth["totals"]
    first, second, todo = config_usage.headline(audit)
    pct = round(100 * t["attributes_unused"] / t["attributes"])
    assert first.startswith(f"{t['attributes_unused']} of {t['attributes']} attributes ({pct}%) were not read")
    assert "in the last 90 days" in first and "discovery and audit reads aside" in first
    assert f"about {round(t['hours_on_unused'], -1):,.0f} hours a month" in first
    assert second.startswith(f"{t['quadrants']['risk']} attributes that ")
    assert "incident" in second and second.endswith("are stale (median value age over the 60-day limit).")
    # what to do, with the upkeep in money as well as hours (hourly_rate 75 EUR by default)
    assert todo.startswith(f"What to do: refresh {t['quadrants']['risk']} stale attributes that people read")
    assert "stop collecting the" in todo and " EUR) a month." in todo
    assert "at 75 EUR an hour" in first


def test_recommendations_cover_every_attribute_in_order(audit):
    recs = audit.recommendations
    assert len(recs) == len(audit.attributes)
    expected = {"risk": "fix freshness", "waste": "stop collecting", "retire": "stop collecting", "value": "keep"}
    assert (recs["quadrant"].map(expected) == recs["recommendation"]).all()
    assert list(recs["recommendation"].drop_duplicates()) == ["fix freshness", "stop collecting", "keep"]
    fix = recs[recs["recommendation"] == "fix freshness"]
    assert fix["stale_reads"].is_monotonic_decreasing and (fix["stale_reads"] >= 1).all()
    stop = recs[recs["recommendation"] == "stop collecting"]
    costs = audit.attributes.set_index(["ci_class", "attribute"])["hours_per_month"]
    saved = stop.set_index(["ci_class", "attribute"])["hours_saved_per_month"]
    pd.testing.assert_series_equal(saved, costs.loc[saved.index], check_names=False)
    assert saved.dropna().is_monotonic_decreasing
    assert stop["reason"].str.contains("only by excluded processes").any()
    assert stop["reason"].str.contains("before the window").any()
    assert stop["reason"].str.contains("not read at all").any()
    summary = usage_reporting.recommendation_summary(audit).data.set_index("Recommendation")
    assert summary.loc["stop collecting", "Hours saved a month"] == pytest.approx(stop["hours_saved_per_month"].sum())
    assert summary.loc["fix freshness", "Attributes"] == len(fix)
    shown = usage_reporting.recommendations_table(audit, top=5).data
    assert list(shown["Recommendation"].value_counts()) == [5, 5]


def test_every_number_in_the_tables_has_a_unit_and_a_format(audit):
    formats = usage_reporting.column_formats(audit)
    # a count of things carries its unit in its name (CIs, attributes); other figures say it in brackets
    counts_of_things = {"CIs", "CIs populated", "Attributes", "Attributes used"}
    units = ("(last 90 days)", "(days)", "(%)", "(hours a month)", "Hours saved a month", "(% of CIs, last 90 days)",
             "a month (EUR)")
    for table in (usage_reporting.risk_table, usage_reporting.waste_table, usage_reporting.class_table,
                  usage_reporting.recommendation_summary, usage_reporting.recommendations_table):
        shown = table(audit)
        frame = shown.data
        assert len(frame), table.__name__
        assert shown.caption, table.__name__
        for column in frame.select_dtypes("number").columns:
            assert column in formats and column in shown.formats, f"{table.__name__}: {column!r} has no format"
            assert column in counts_of_things or any(unit in column for unit in units), (
                f"{table.__name__}: {column!r} says no unit"
            )


def test_results_have_exactly_the_contract_fields(audit):
    results = config_usage.results(audit)
    assert list(results) == ["analysis", "parameters", "period", "units", "attributes", "classes", "totals"]
    assert all(tuple(a) == RESULT_ATTRIBUTE_FIELDS for a in results["attributes"])
    assert {"attributes_used", "attributes_unused", "hours_on_unused"} <= set(results["totals"])
    assert results["totals"]["unused_share"] == round(results["totals"]["attributes_unused"] / len(results["attributes"]), 3)
    # as given (empty: the log's last day), and the window: 90 days ending with the log's last day
    assert results["parameters"]["as_of"] is None
    assert results["period"] == {"start": "2025-04-02", "end": "2025-06-30"}
    assert results["units"] == {**usage_reporting.UNITS, "money_on_unused": "EUR"}
    json.dumps(report.to_jsonable(results), allow_nan=False)


# --- window boundaries ------------------------------------------------------------------------

def test_window_boundaries_on_the_planted_traps(found, sample):
    _, truth = sample
    traps = truth["traps"]
    end = found[(traps["as_of_end"]["ci_class"], traps["as_of_end"]["attribute"])]
    assert end["reads"] == 1 and end["used"] and end["last_read"] == "2025-06-30T23:59:59"
    start = found[(traps["window_start"]["ci_class"], traps["window_start"]["attribute"])]
    assert start["reads"] == 1 and start["used"] and start["last_read"] == "2025-04-02T00:00:00"
    before = found[(traps["before_window"]["ci_class"], traps["before_window"]["attribute"])]
    assert before["reads"] == 0 and not before["used"] and before["last_read"] == "2025-04-01T23:59:59"


def _write_small(folder: Path, reads: list[tuple], *, ci_class="server", attributes=("os", "owner")) -> Path:
    """A tiny inventory (two CIs) and access log (CSV) for hand-checked cases."""
    inventory = pd.DataFrame(
        [(ci, ci_class, attribute, "2025-06-20T10:00:00", "manual") for ci in ("CI1", "CI2") for attribute in attributes],
        columns=["ci_id", "ci_class", "attribute", "last_updated", "source"],
    )
    inventory.to_csv(folder / "inventory.csv", index=False)
    log = pd.DataFrame(reads, columns=["timestamp", "ci_id", "attribute", "consumer", "process", "action"])
    log.to_csv(folder / "access_log.csv", index=False)
    return folder


def _small_params(folder: Path, **values):
    base = {
        "inventory_path": str(folder / "inventory.csv"),
        "access_log_path": str(folder / "access_log.csv"),
        "cost_path": "",
    }
    base.update(values)
    return config_usage.Parameters.validate_values(base)


@pytest.mark.parametrize(
    "moment, counts",
    [
        ("2025-06-30T23:59:59", True),   # the last second of as_of
        ("2025-07-01T00:00:00", False),  # midnight after as_of: the next day
        ("2025-04-02T00:00:00", True),   # the window's first instant (90 days: 2 April .. 30 June)
        ("2025-04-01T23:59:59", False),  # one second before the window
    ],
)
def test_window_is_the_days_ending_with_the_end_of_as_of(tmp_path, moment, counts):
    folder = _write_small(tmp_path, [(moment, "CI1", "os", "u1", "incident", "read"),
                                     ("2025-07-05T09:00:00", "CI1", "owner", "u1", "incident", "read")])
    audit = _audit(_small_params(folder, as_of="2025-06-30"))
    assert (audit.window.start, audit.window.end) == (dt.datetime(2025, 4, 2), dt.datetime(2025, 7, 1))
    os_row = audit.attributes.set_index("attribute").loc["os"]
    assert os_row["reads"] == int(counts) and os_row["used"] == counts
    assert audit.attributes.set_index("attribute").loc["owner", "reads"] == 0  # after as_of


def test_as_of_defaults_to_the_last_day_in_the_log(tmp_path):
    folder = _write_small(tmp_path, [("2025-03-01T08:00:00", "CI1", "os", "u1", "incident", "read"),
                                     ("2025-05-17T23:59:59", "CI2", "", "u2", "change", "read")])
    for as_of in (None, ""):
        audit = _audit(_small_params(folder, as_of=as_of, window_days=1))
        assert audit.window.as_of == dt.date(2025, 5, 17)
        assert audit.classes.loc[0, "whole_record_reads"] == 1
        assert audit.classes.loc[0, "cis_read"] == 1
        assert audit.attributes["reads"].sum() == 0
    # value ages are measured at as_of: last_updated 2025-06-20 is after it, so 0 days old, and noted
    assert (audit.attributes["median_age_days"] == 0).all()
    assert any(n.input == "inventory" and n.rows == 4 for n in audit.quality_notes)


def test_excluded_processes_compare_without_case_or_spaces(tmp_path):
    folder = _write_small(tmp_path, [("2025-06-01T08:00:00", "CI1", "os", "bot", "Discovery ", "read"),
                                     ("2025-06-02T08:00:00", "CI1", "os", "aud", "AUDIT", "read"),
                                     ("2025-06-03T08:00:00", "CI2", "os", "ann", "Incident", "read")])
    audit = _audit(_small_params(folder, as_of="2025-06-30"))
    row = audit.attributes.set_index("attribute").loc["os"]
    assert row["reads"] == 1 and row["processes"] == ["Incident"] and row["excluded_reads"] == 2
    audit = _audit(_small_params(folder, as_of="2025-06-30", excluded_processes=[]))
    assert audit.attributes.set_index("attribute").loc["os", "reads"] == 3


def test_cis_read_count_counted_work_in_the_window_only(tmp_path):
    # the per-CI pass compares processes as written: every spelling of an excluded one is excluded
    folder = _write_small(tmp_path, [("2025-06-01T08:00:00", "CI1", "os", "bot", "Discovery ", "read"),
                                     ("2025-06-02T08:00:00", "CI1", "", "aud", "AUDIT", "read"),
                                     ("2025-06-03T08:00:00", "CI1", "os", "ann", "incident", "write"),
                                     ("2025-07-02T08:00:00", "CI1", "os", "ann", "incident", "read"),
                                     ("2025-06-04T08:00:00", "CI2", "owner", "ann", " Incident", "read"),
                                     ("2025-06-05T08:00:00", "CI404", "os", "ann", "incident", "read")])
    audit = _audit(_small_params(folder, as_of="2025-06-30"))
    assert audit.classes.loc[0, "cis_read"] == 1
    unknown = [note for note in audit.quality_notes if "not in the inventory" in note.issue]
    assert unknown[0].rows == 1 and "CI404" in unknown[0].examples
    everyone = _audit(_small_params(folder, as_of="2025-06-30", excluded_processes=[]))
    assert everyone.classes.loc[0, "cis_read"] == 2


def test_min_reads_raises_the_bar(audit, sample):
    folder, truth = sample
    stricter = _audit(_params(folder, truth, min_reads=2))
    assert (stricter.attributes["used"] == (stricter.attributes["reads"] >= 2)).all()
    traps = truth["traps"]
    row = stricter.attributes.set_index(["ci_class", "attribute"]).loc[
        (traps["as_of_end"]["ci_class"], traps["as_of_end"]["attribute"])
    ]
    assert not row["used"] and row["reads"] == 1
    assert stricter.attributes["used"].sum() < audit.attributes["used"].sum()


# --- windows with no reads, and an as_of before all the data ----------------------------------------

def test_as_of_before_all_the_data_is_a_one_sentence_parameter_error(tmp_path):
    folder = _write_small(tmp_path, [("2025-06-01T08:00:00", "CI1", "os", "u1", "incident", "read"),
                                     ("2025-06-29T08:00:00", "CI2", "owner", "u1", "change", "write")])
    with pytest.raises(ParameterError) as raised:
        _audit(_small_params(folder, as_of="1990-01-01"))
    message = str(raised.value)
    assert message.startswith("Parameter 'as_of' (1990-01-01) is before all the data")
    assert "access log runs from 2025-06-01 to 2025-06-29" in message
    assert "inventory values were updated from 2025-06-20 to 2025-06-20" in message
    assert message.count(". ") == 0 and message.endswith(".") and "\n" not in message


@pytest.mark.parametrize(
    "as_of, reads, trend_empty",
    [
        # after the log's end: nothing in the window, but earlier months in the trend
        ("2030-01-01", [("2025-06-01T08:00:00", "CI1", "os", "u1", "incident", "read")], False),
        # before the log starts, after the inventory's first value: no reads up to the window's end at all
        ("2025-06-25", [("2025-07-05T08:00:00", "CI1", "os", "u1", "incident", "read")], True),
        # only excluded processes read in the window
        ("2025-06-30", [("2025-06-10T08:00:00", "CI1", "os", "bot", "discovery", "read")], False),
    ],
)
def test_a_window_with_no_counted_reads_gives_a_readable_report(tmp_path, as_of, reads, trend_empty):
    folder = _write_small(tmp_path, reads)
    values = {key: value for key, value in _small_params(folder, as_of=as_of).as_dict().items()}
    markup, outputs, drawn = _run_notebook_here(**values)
    headline = markup.split('class="itvalue-headline"', 1)[1].split("</p>", 1)[0]
    assert "2 of 2 attributes (100%) were not read" in headline
    assert "No counted process read any configuration data in the window" in headline
    assert "the access log runs from" in headline
    assert "No attribute that is read is stale" not in headline
    assert ("No reads up to" in " ".join(drawn) or "No reads in the access log" in " ".join(drawn)) == trend_empty
    if not any(r[4] == "discovery" for r in reads):
        assert any(text.startswith("No reads in the last 90 days") for text in drawn), drawn
    published = next(o[RESULTS_MIMETYPE] for o in outputs if RESULTS_MIMETYPE in o)
    assert published["totals"]["attributes_used"] == 0 and published["parameters"]["as_of"] == as_of


def test_charts_say_so_when_there_is_nothing_to_draw(audit):
    heat = usage_plots.process_class_heatmap(audit.process_reads.iloc[:0], window_days=30)
    assert [t.get_text() for t in heat.texts] == ["No reads in the last 30 days, by any process"]
    assert heat.get_title().startswith("Who reads which classes")
    trend = usage_plots.usage_trend_plot(audit.trend.iloc[:0], window=(audit.window.start, audit.window.end))
    assert [t.get_text() for t in trend.texts] == ["No reads in the access log up to 30 June 2025, by any process"]
    assert trend.get_ylabel() == "Reads per month"
    quadrant = usage_plots.usage_quadrant_plot(audit.attributes.iloc[:0])
    assert [t.get_text() for t in quadrant.texts] == ["No attributes in the inventory"]
    for ax in (heat, trend, quadrant):
        ax.figure.savefig(io.BytesIO(), format="png")
    plt.close("all")


# --- staleness ----------------------------------------------------------------------------------

def test_per_class_staleness_limit_overrides_the_default(sample):
    folder, truth = sample
    overrides = {"laptop": 20, "server": 1000}
    audit = _audit(_params(folder, truth, stale_after_days_by_class=overrides))
    got = audit.attributes.set_index(["ci_class", "attribute"])
    flipped = 0
    for planted in truth["attributes"]:
        limit = overrides.get(planted["ci_class"], 60)
        row = got.loc[(planted["ci_class"], planted["attribute"])]
        assert row["stale_after_days"] == limit
        assert row["stale"] == (planted["median_age_days"] > limit)
        flipped += row["stale"] != planted["stale"]
    assert not got.loc["server", "stale"].any()
    laptop_fresh = [a for a in truth["attributes"] if a["ci_class"] == "laptop" and 20 < a["median_age_days"] <= 60]
    assert laptop_fresh, "the sample plants laptop values between 20 and 60 days old"
    assert flipped >= len(laptop_fresh) + 1


@pytest.mark.parametrize("overrides", [{"laptop": -5}, {"laptop": 1.5}, {"laptop": "soon"}])
def test_per_class_staleness_limits_are_whole_days_not_below_zero(tmp_path, overrides):
    folder = _write_small(tmp_path, [])
    with pytest.raises(ParameterError) as raised:
        _small_params(folder, stale_after_days_by_class=overrides)
    message = str(raised.value)
    assert message.startswith("Parameter 'stale_after_days_by_class' must be a mapping of class names to whole days >= 0;")
    assert "stale_after_days_by_class.laptop" in message and repr(overrides["laptop"]) in message
    assert message.endswith(".") and "\n" not in message
    assert _small_params(folder, stale_after_days_by_class={"laptop": 0}).stale_after_days_by_class == {"laptop": 0}


def test_unknown_class_in_overrides_is_noted(sample):
    folder, truth = sample
    audit = _audit(_params(folder, truth, stale_after_days_by_class={"mainframe": 10}))
    note = next(n for n in audit.quality_notes if n.input == "parameters")
    assert "mainframe" in note.examples and (note.rows, note.unit) == (1, "classes")


# --- costs --------------------------------------------------------------------------------------

def test_class_level_cost_is_shared_in_proportion_to_populated_values():
    attributes = pd.DataFrame({
        "ci_class": ["server", "server", "server", "router"],
        "attribute": ["os", "owner", "notes", "asn"],
        "populated": [300, 100, 0, 10],
    })
    costs = pd.DataFrame({
        "ci_class": ["server", "server", "router", "ghost", "server"],
        "attribute": ["*", "os", "bgp", "*", "gone"],
        "hours_per_month": [8.0, 1.5, 2.0, 5.0, 1.0],
    })
    hours, unmatched = apportion_costs(attributes, costs)
    assert hours.tolist()[:3] == pytest.approx([1.5 + 6.0, 2.0, 0.0])
    assert math.isnan(hours.iloc[3])  # no row of its own and no class row: unknown, not zero
    assert list(unmatched["classes"]["ci_class"]) == ["ghost"]
    assert set(unmatched["attributes"]["attribute"]) == {"bgp", "gone"}


def test_without_a_cost_file_hours_are_unknown(sample):
    folder, truth = sample
    audit = _audit(_params(folder, truth, cost_path=""))
    assert audit.attributes["hours_per_month"].isna().all()
    results = config_usage.results(audit)
    assert results["totals"]["hours_on_unused"] is None
    assert all(a["hours_per_month"] is None for a in results["attributes"])
    first = config_usage.headline(audit)[0]
    assert "hours" not in first and first.endswith("aside).")


# --- untrusted names ----------------------------------------------------------------------------

HOSTILE_CLASS = '<img src=x onerror=alert("class")>'
HOSTILE_ATTRIBUTES = ('</td><script>alert("attr")</script>', "cost $\\alpha$ & $x$", "a,b;\"c\"")


@pytest.fixture
def hostile_audit(tmp_path):
    reads = [("2025-06-01T08:00:00", "CI1", HOSTILE_ATTRIBUTES[0], "<b>eve</b>", "incident", "read"),
             ("2025-06-02T08:00:00", "CI2", HOSTILE_ATTRIBUTES[1], "mallory", "<i>change</i>", "read")]
    folder = _write_small(tmp_path, reads, ci_class=HOSTILE_CLASS, attributes=HOSTILE_ATTRIBUTES)
    return _audit(_small_params(folder, as_of="2025-06-30"))


def test_hostile_names_come_back_as_the_same_text(hostile_audit):
    results = config_usage.results(hostile_audit)
    assert {a["ci_class"] for a in results["attributes"]} == {HOSTILE_CLASS}
    assert {a["attribute"] for a in results["attributes"]} == set(HOSTILE_ATTRIBUTES)
    reads = {a["attribute"]: a["reads"] for a in results["attributes"]}
    assert reads == {HOSTILE_ATTRIBUTES[0]: 1, HOSTILE_ATTRIBUTES[1]: 1, HOSTILE_ATTRIBUTES[2]: 0}
    assert "<i>change</i>" in results["classes"][0]["reads_by_process"]


def test_hostile_names_are_escaped_in_report_tables(hostile_audit):
    def show():
        for table in (usage_reporting.risk_table, usage_reporting.waste_table, usage_reporting.class_table,
                      usage_reporting.recommendations_table, usage_reporting.recommendation_summary):
            report.table(table(hostile_audit), formats=usage_reporting.column_formats(hostile_audit))
        report.table(usage_reporting.recommendations_table(hostile_audit, include_keep=True).data)
        report.data_quality(hostile_audit.quality_notes)

    markup, _ = _rendered(show)
    assert markup.count("<table") == 6
    assert "<script>" not in markup and "<img" not in markup
    assert html.escape(HOSTILE_CLASS, quote=False) in markup
    assert html.escape(HOSTILE_ATTRIBUTES[0], quote=False) in markup


def test_hostile_names_stay_text_in_charts(hostile_audit):
    ax = usage_plots.usage_quadrant_plot(hostile_audit.attributes, label_top=5)
    ax.figure.savefig(io.BytesIO(), format="png")
    heat = usage_plots.process_class_heatmap(hostile_audit.process_reads)
    heat.figure.savefig(io.BytesIO(), format="png")
    assert [t.get_text() for t in heat.get_xticklabels()] == [plain_text(HOSTILE_CLASS)]
    assert plain_text("<i>change</i>") in [t.get_text() for t in heat.get_yticklabels()]
    trend = usage_plots.usage_trend_plot(hostile_audit.trend)
    trend.figure.savefig(io.BytesIO(), format="png")
    # "$" is escaped, so matplotlib draws the name instead of typesetting math
    assert plain_text(HOSTILE_ATTRIBUTES[1]) == "cost \\$\\\\alpha\\$ & \\$x\\$"
    plt.close("all")


# --- charts on the sample -----------------------------------------------------------------------

def test_charts_draw_the_sample(audit):
    ax = usage_plots.usage_quadrant_plot(audit.attributes, min_reads=1, stale_after_days=60, window_days=90)
    assert ax.get_title() and "days" in ax.get_xlabel() and "days" in ax.get_ylabel()
    assert sum(len(c.get_offsets()) for c in ax.collections) == len(audit.attributes)
    heat = usage_plots.process_class_heatmap(audit.process_reads, window_days=90)
    labels = [t.get_text() for t in heat.get_yticklabels()]
    assert set(labels[-2:]) == {"discovery (excluded)", "audit (excluded)"}, "excluded processes go last"
    trend = usage_plots.usage_trend_plot(audit.trend, window=(audit.window.start, audit.window.end))
    assert trend.get_ylabel() == "Reads per month"
    # the report theme turns math text off, so log-scale labels must be plain numbers, not "$10^{2}$"
    colourbar = heat.collections[0].colorbar.ax
    for axis in (ax.xaxis, colourbar.yaxis):
        axis.figure.canvas.draw()
        labels = [t.get_text() for t in axis.get_ticklabels(which="both") if t.get_text()]
        assert labels and not any("$" in label for label in labels), labels
    assert {"0", "1", "10", "100"} <= {t.get_text() for t in ax.get_xticklabels()}
    plt.close("all")


# --- parameters and generator --------------------------------------------------------------------

def test_parameter_defaults_are_the_issue_s():
    fields = config_usage.Parameters.model_fields
    assert fields["window_days"].default == 90
    assert fields["stale_after_days"].default == 60
    assert fields["excluded_processes"].default == ["discovery", "audit"]
    assert fields["min_reads"].default == 1
    assert fields["as_of"].default is None
    assert fields["stale_after_days_by_class"].default == {}
    assert set(config_usage.Parameters.input_fields()) == {"inventory_path", "access_log_path", "cost_path"}


def test_generator_is_deterministic_and_scales(tmp_path, sample):
    folder, truth = sample
    again = cmdb.generate(tmp_path / "again", scale=1, seed=42)
    assert again == truth
    for name in ("inventory.csv", "access_log.parquet", "collection_cost.csv"):
        assert (tmp_path / "again" / name).read_bytes() == (folder / name).read_bytes()
    other = cmdb.generate(tmp_path / "other", scale=1, seed=7)
    assert other["attributes"] != truth["attributes"]
    bigger = cmdb.generate(tmp_path / "x2", scale=2, seed=42)
    assert bigger["files"]["inventory"] == "inventory.parquet"
    assert 1.7 < bigger["access_log_rows"] / truth["access_log_rows"] < 2.3
    audit = _audit(_params(tmp_path / "x2", bigger))
    found = {(a["ci_class"], a["attribute"]): a for a in config_usage.results(audit)["attributes"]}
    for planted in bigger["attributes"]:
        got = found[(planted["ci_class"], planted["attribute"])]
        assert (got["reads"], got["quadrant"]) == (planted["reads"], planted["quadrant"])


def test_log_scale_grows_the_log_alone(tmp_path, sample):
    folder, truth = sample
    longer = cmdb.generate(tmp_path / "log2", scale=1, seed=42, log_scale=2)
    for name in ("inventory.csv", "collection_cost.csv"):
        assert (tmp_path / "log2" / name).read_bytes() == (folder / name).read_bytes()
    assert 1.8 < longer["access_log_rows"] / truth["access_log_rows"] < 2.2
    audit = _audit(_params(tmp_path / "log2", longer))
    found = {(a["ci_class"], a["attribute"]): a for a in config_usage.results(audit)["attributes"]}
    for planted in longer["attributes"]:
        got = found[(planted["ci_class"], planted["attribute"])]
        assert (got["reads"], got["consumers"], got["quadrant"]) == (planted["reads"], planted["consumers"], planted["quadrant"])
    assert audit.classes.set_index("ci_class")["cis_read"].to_dict() == {c["ci_class"]: c["cis_read"] for c in longer["classes"]}


def test_sample_stays_small(sample):
    folder, _ = sample
    total = sum(f.stat().st_size for f in folder.iterdir())
    assert total < 3.5e6, "the committed sample stays a few MB"
    costs = pd.read_csv(folder / "collection_cost.csv")
    assert (costs["attribute"] == "*").sum() >= 2 and (costs["hours_per_month"] >= 0).all()


# --- the currency is a code, not a label -------------------------------------------------------------

@pytest.mark.parametrize("currency", ["EURO", "Euros per hour " * 30, "€", "E", "12"])
def test_a_currency_is_a_three_letter_iso_4217_code_in_one_sentence(currency):
    # A long currency once widened the report index to 2,558 px; every analysis with money takes a code.
    with pytest.raises(ParameterError) as raised:
        config_usage.Parameters.validate_values({"currency": currency}, check_inputs=False)
    message = str(raised.value)
    assert message.startswith(
        "Parameter 'currency' must be a three-letter currency code (ISO 4217) such as 'EUR'; got "
    ), message
    assert "\n" not in message and len(message) < 200


def test_a_currency_code_is_kept_in_capitals():
    assert config_usage.Parameters.validate_values({"currency": " usd "}, check_inputs=False).currency == "USD"
