"""Feature adoption (issue 14): planted truth recovered, censoring handled, the one-sentence errors.

Statistics are checked on fast seeded simulations straight into :mod:`helpers.feature_adoption.survival`;
the whole pipeline (DuckDB counts, eligibility, reporting) on the bundled sample and on tiny files.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from helpers import feature_adoption as adoption
from helpers.exceptions import InputDataError, ParameterError
from helpers.feature_adoption import reporting, survival
from helpers.paths import SAMPLE_DATA_DIR
from helpers.report.results import to_jsonable
from helpers.sample_data import adoption as sample_adoption

#: The fields issue 14 names for each entry of results.json's ``features``, and for ``totals``.
ISSUE_FEATURE_FIELDS = [
    "feature_id", "eligible_users", "adopters", "adoption", "adoption_low", "adoption_high", "horizon_days",
    "median_days_to_first_use", "median_days_low", "median_days_high", "habitual_share", "habitual_share_low",
    "habitual_share_high", "replaced_feature_id", "switched_share", "still_using_old_share",
]
ISSUE_TOTALS = {"features", "features_never_used", "features_below_10pct"}


# --- statistics on simulated features ---------------------------------------------------------


def _simulate(rng: np.random.Generator, *, late_share: float = 0.25, leave_share: float = 0.15, longest: float = 300):
    """One feature: eligible users with planted 90-day adoption ``p``, censored by joining late and leaving."""
    n = int(rng.integers(150, 600))
    eventual, mean_days = rng.uniform(0.05, 0.95), rng.uniform(5, 120)
    planted = eventual * (1 - np.exp(-90 / mean_days))
    first_use = np.where(rng.random(n) < eventual, rng.exponential(mean_days, n), np.inf)
    kind = rng.random(n)
    follow_up = np.where(kind < late_share, rng.uniform(10, longest, n),
                         np.where(kind < late_share + leave_share, rng.uniform(5, longest, n), 365.0))
    adopted = first_use <= follow_up
    return np.where(adopted, first_use, follow_up), adopted, planted


def test_the_90_day_adoption_interval_covers_the_planted_share_in_about_95_percent_of_features():
    rng = np.random.default_rng(14)
    covered = []
    for _ in range(600):
        days, adopted, planted = _simulate(rng)
        share = survival.adoption_at(survival.life_table(days, adopted, horizon=90), 90, confidence=0.95)
        covered.append(share.low <= planted <= share.high)
    coverage = float(np.mean(covered))
    print(f"coverage of the 95% interval over 600 simulated features: {coverage:.1%}")
    # 600 features: a true 95% lands in 93.2%-96.8% with 95% probability.
    assert 0.93 <= coverage <= 0.97


def test_censoring_does_not_bias_adoption_down():
    rng = np.random.default_rng(15)
    errors, naive_errors = [], []
    for _ in range(400):
        days, adopted, planted = _simulate(rng, late_share=0.45, leave_share=0.25, longest=120)
        table = survival.life_table(days, adopted, horizon=90)
        errors.append(survival.adoption_at(table, 90).value - planted)
        naive_errors.append(survival.naive_share(table, 90) - planted)
    bias, naive_bias = float(np.mean(errors)), float(np.mean(naive_errors))
    print(f"mean error of 90-day adoption: Kaplan-Meier {bias:+.4f}, censored counted as non-adopters {naive_bias:+.4f}")
    assert abs(bias) < 0.01
    assert naive_bias < -0.04


def test_a_feature_nobody_used_still_gets_an_upper_bound():
    share = survival.adoption_at(survival.life_table(np.full(500, 120.0), np.zeros(500, dtype=bool), horizon=90), 90)
    assert share.value == 0 and share.low == 0
    assert 0.005 < share.high < 0.01  # Wilson upper bound of 0 out of 500


def test_median_not_reached_when_fewer_than_half_adopt():
    days = np.r_[np.full(30, 10.0), np.full(70, 200.0)]
    adopted = np.r_[np.ones(30, dtype=bool), np.zeros(70, dtype=bool)]
    assert np.isnan(survival.median_days(survival.life_table(days, adopted, horizon=365)).value)
    reached = survival.median_days(survival.life_table(np.r_[np.full(60, 10.0), np.full(40, 200.0)],
                                                       np.r_[np.ones(60, bool), np.zeros(40, bool)], horizon=365))
    assert reached.value == 10.0


# --- the bundled sample -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    truth = json.loads((SAMPLE_DATA_DIR / "truth.json").read_text())["feature_adoption"]
    params = adoption.Parameters.validate_values({})
    result = adoption.analyse(adoption.load_inputs(params), params)
    return result, truth


def test_planted_adoption_is_recovered_on_the_sample(sample):
    result, _ = sample
    planted = {f.feature_id: f for f in sample_adoption.FEATURES}
    features = result.features.set_index("feature_id")
    assert sorted(features.index) == sorted(planted)
    missed = []
    for feature_id, row in features.iterrows():
        # A release too recent for 90 days is measured at its latest horizon (whole days, from release to as_of).
        horizon = 90 if row["horizon_reached"] else (result.as_of - row["released"]) / pd.Timedelta(days=1)
        expected = sample_adoption.planted_adoption(planted[feature_id], horizon)
        if not row["adoption_low"] <= expected <= row["adoption_high"]:
            missed.append(feature_id)
    # Twelve 95% intervals: all but at most one should cover the planted share.
    assert len(missed) <= 1, missed


def test_never_used_and_below_10pct_are_exact_on_the_sample(sample):
    result, truth = sample
    features = result.features
    assert sorted(features.loc[features["never_used"], "feature_id"]) == truth["never_used"]
    assert sorted(features.loc[features["below_10pct"], "feature_id"]) == truth["below_10pct"]
    assert result.totals == {"features": 12, "features_never_used": 2, "features_below_10pct": 4, "features_suppressed": 0}
    assert (features.loc[features["never_used"], "adopters"] == 0).all()


def test_habit_and_recent_releases_on_the_sample(sample):
    result, truth = sample
    planted = {f["feature_id"]: f for f in truth["features"]}
    for row in result.features.itertuples():
        assert row.horizon_reached == planted[row.feature_id]["horizon_reached"]
        if row.habit_base >= 50:
            expected = planted[row.feature_id]["habitual_share"]
            assert row.habitual_share_low - 0.03 <= expected <= row.habitual_share_high + 0.03, row.feature_id
    recent = result.features[~result.features["horizon_reached"]]
    assert list(recent["horizon_days"]) == [44, 44]


def test_the_old_way_on_the_sample(sample):
    result, truth = sample
    planted = {f["feature_id"]: f for f in truth["features"]}
    replacing = result.features[result.features["replaced_feature_id"].notna()]
    assert list(replacing["replaced_feature_id"]) == ["O-01", "O-02", "O-03"]
    for row in replacing.itertuples():
        # Old-way users who used the new feature dropped the old one with the planted probability.
        expected_still = 1 - row.switched_share * planted[row.feature_id]["drop_old_probability"]
        assert abs(row.still_using_old_share - expected_still) < 0.06, row.feature_id
        assert row.switched_share_low <= row.switched_share <= row.switched_share_high


def test_small_departments_are_counted_not_named(sample):
    result, truth = sample
    assert truth["small_department"] not in set(result.departments["department"])
    assert result.departments_suppressed > 0
    assert (result.departments["eligible_users"] >= result.params.min_n).all()
    lagging = result.departments[result.departments["lagging"]]
    overall = result.features.set_index("feature_id")["adoption"]
    assert all(row.adoption_high < overall[row.feature_id] for row in lagging.itertuples())
    assert truth["small_department"] not in " ".join(adoption.headline(result) + [reporting.department_note(result)])


def test_planted_data_quality_notes(sample):
    result, truth = sample
    notes = {note.issue: note.rows for note in result.quality_notes}
    unknown_users = next(issue for issue in notes if issue.startswith("usage by users not in users.csv, left out"))
    assert notes[unknown_users] == truth["usage_rows_unknown_user"]
    assert unknown_users.endswith("ids, not shown: they name people)"), unknown_users
    assert notes["usage of features not in features.csv, left out"] == truth["usage_rows_unknown_feature"]
    # Counts of usage rows carry the cell-key method's noise (within 2); unknown ids are counted exactly.
    assert abs(notes["usage before the feature's release, left out"] - truth["usage_rows_before_release"]) <= 2
    assert any(issue.startswith("features released over 90 days before the first usage row") for issue in notes)


def test_no_unknown_user_id_reaches_the_data_quality_notes(sample):
    """Usage by users missing from users.csv is counted; their ids (people's, e-mail addresses) are never shown."""
    result, _ = sample
    usage = pd.read_parquet(SAMPLE_DATA_DIR / "feature_usage.parquet", columns=["user_id"])
    known = set(pd.read_csv(SAMPLE_DATA_DIR / "users.csv")["user_id"].astype(str))
    unknown = set(usage["user_id"].astype(str)) - known
    assert unknown, "the sample plants usage by unknown users"
    text = " ".join(f"{note.issue} {note.examples}" for note in result.quality_notes)
    assert not [user for user in unknown if user in text]
    assert f"({len(unknown):,} ids, not shown: they name people)" in text


def test_results_json_fields_are_as_the_issue_lists(sample):
    result, _ = sample
    payload = to_jsonable(adoption.results(result))
    json.dumps(payload, allow_nan=False)
    assert list(payload) == ["analysis", "parameters", "period", "units", "features", "totals", "by_department",
                             "departments_suppressed", "counted_until"]
    assert payload["period"] == {"start": "2025-02-10", "end": result.as_of.date().isoformat()}
    assert payload["units"] == reporting.UNITS
    assert set(payload["totals"]) == ISSUE_TOTALS | {"features_suppressed"}
    for entry in payload["features"]:
        assert list(entry)[: len(ISSUE_FEATURE_FIELDS)] == ISSUE_FEATURE_FIELDS
        assert list(entry) == list(reporting.FEATURE_FIELDS)
    first = payload["features"][0]
    assert first["adoption_low"] <= first["adoption"] <= first["adoption_high"]
    never = next(e for e in payload["features"] if e["feature_id"] == "F-104")
    assert never["adopters"] == 0 and never["median_days_to_first_use"] is None and never["median_reached"] is False
    plain = next(e for e in payload["features"] if e["feature_id"] == "F-102")
    assert plain["replaced_feature_id"] is None and plain["switched_share"] is None
    headline = " ".join(adoption.headline(result))
    assert headline.startswith("Of 12 features released from 2025-02-10 to 2025-11-17, 4 were used by fewer than 10%")


def test_a_release_window(sample):
    params = adoption.Parameters.validate_values({"release": ["2025-02-01", "2025-02-28"]})
    result = adoption.analyse(adoption.load_inputs(params), params)
    assert list(result.features["feature_id"]) == ["F-101", "F-102", "F-103", "F-104"]
    assert adoption.headline(result)[0].startswith("Of 4 features released from 2025-02-01 to 2025-02-28,")


# --- tiny files -----------------------------------------------------------------------------


@pytest.fixture
def write(tmp_path, monkeypatch):
    """Write tiny inputs; the statistics on a handful of users are tested with ``min_n`` 1 (the floor lifted)."""
    from helpers import privacy

    monkeypatch.setattr(privacy, "MIN_N_FLOOR", 1)

    def write_files(features: str, users: str, usage: str, **values):
        for name, text in (("features", features), ("users", users), ("usage", usage)):
            (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
        return adoption.Parameters.validate_values({
            "features_path": str(tmp_path / "features.csv"), "users_path": str(tmp_path / "users.csv"),
            "usage_path": str(tmp_path / "usage.csv"), "min_n": 1, **values,
        })

    return write_files


FEATURES = "feature_id,name,application,released,replaces,audience\nF-1,Search,App,2025-01-01,,\nF-2,Ledger,App,2025-01-01,,Nobody\n"


def test_leavers_are_censored_not_counted_as_non_adopters(write, exact_result):
    users = "user_id,department,active_from,active_to\nu1,A,,\nu2,A,,\nu3,A,,2025-01-06\nu4,A,,2025-01-06\n"
    usage = "timestamp,user_id,feature_id\n2025-01-11,u1,F-1\n2025-01-11,u2,F-1\n2025-06-30,u1,F-1\n"
    params = write(FEATURES, users, usage, departments=False)
    result = adoption.analyse(adoption.load_inputs(params), params)
    row = result.features.set_index("feature_id").loc["F-1"]
    assert row["eligible_users"] == 4 and row["adopters"] == 2
    assert row["adoption"] == pytest.approx(1.0)  # both users followed past day 10 used it
    assert row["naive_adoption"] == pytest.approx(0.5)  # what counting leavers as non-adopters would say
    assert row["median_days_to_first_use"] == pytest.approx(10.0)


def test_a_feature_with_no_eligible_user(write):
    users = "user_id,department\nu1,A\nu2,B\n"
    usage = "timestamp,user_id,feature_id,uses\n2025-01-02,u1,F-1,\n2025-03-02,u2,F-1,3\n"
    # two people in two departments: a breakdown would name them, so it is off (the audience still applies)
    params = write(FEATURES, users, usage, departments=False)
    result = adoption.analyse(adoption.load_inputs(params), params)
    row = result.features.set_index("feature_id").loc["F-2"]
    assert row["eligible_users"] == 0 and not row["never_used"] and not row["below_10pct"]
    entry = next(e for e in to_jsonable(adoption.results(result))["features"] if e["feature_id"] == "F-2")
    assert entry["adoption"] is None and entry["median_reached"] is None
    assert any(n.issue.startswith("features no user could use") and n.rows == 1 for n in result.quality_notes)
    assert reporting.feature_table(result).data.iloc[1]["Adoption (95% interval)"] == "no eligible user"


def test_an_empty_release_window_is_one_sentence(write):
    params = write(FEATURES, "user_id\nu1\n", "timestamp,user_id,feature_id\n2025-01-02,u1,F-1\n",
                   release=["2024-03-01", "2024-03-31"])
    with pytest.raises(ParameterError) as caught:
        adoption.analyse(adoption.load_inputs(params), params)
    assert str(caught.value) == (
        "No feature was released from 2024-03-01 to 2024-03-31 by 2025-01-02 (parameters 'release' and 'as_of'); "
        "features.csv has releases from 2025-01-01 to 2025-01-01."
    )


def test_empty_usage_needs_as_of_and_then_every_feature_is_never_used(write):
    params = write(FEATURES, "user_id\nu1\nu2\n", "timestamp,user_id,feature_id\n")
    with pytest.raises(ParameterError, match=r"^usage.csv has no usage rows, so 'as_of' has no default; set parameter"):
        adoption.analyse(adoption.load_inputs(params), params)
    params = write(FEATURES, "user_id\nu1\nu2\n", "timestamp,user_id,feature_id\n", as_of="2025-03-31")
    result = adoption.analyse(adoption.load_inputs(params), params)
    assert list(result.features["never_used"]) == [True, False]


def test_usage_after_as_of_is_left_out_with_a_note(write, exact_result):
    # Exact counts: the note's usage rows carry the cell-key noise (tests/feature_adoption/test_adoption_published.py).
    usage = "timestamp,user_id,feature_id\n2025-01-11,u1,F-1\n2025-05-11,u2,F-1\n"
    params = write(FEATURES, "user_id\nu1\nu2\n", usage, as_of="2025-03-31")
    result = adoption.analyse(adoption.load_inputs(params), params)
    assert result.features.set_index("feature_id").loc["F-1", "adopters"] == 1
    assert [n.rows for n in result.quality_notes if n.issue.startswith("usage after as_of (2025-03-31)")] == [1]


@pytest.mark.parametrize(
    "values, message",
    [
        ({"release": ["2025-01-01"]},
         "Parameter 'release' must be two dates, [first day, last day], or empty; got 1 dates (2025-01-01)."),
        ({"release": ["2025-03-01", "2025-01-01"]},
         "Parameter 'release': the last day (2025-01-01) must not be before the first (2025-03-01)."),
        ({"horizon_days": 0}, "Parameter 'horizon_days' must be an integer >= 1; got 0."),
        ({"habit_weeks": "four"}, "Parameter 'habit_weeks' must be an integer >= 2; got 'four'."),
    ],
)
def test_parameter_errors_are_one_sentence(values, message):
    with pytest.raises(ParameterError) as caught:
        adoption.Parameters.validate_values(values)
    assert str(caught.value) == message


def test_bad_inputs_are_one_sentence_input_errors(write):
    with pytest.raises(InputDataError, match=r"^usage.csv: column 'uses' must be an integer >= 1"):
        params = write(FEATURES, "user_id\nu1\n", "timestamp,user_id,feature_id,uses\n2025-01-02,u1,F-1,0\n")
        adoption.load_inputs(params)
    duplicated = FEATURES + "F-1,Search again,App,2025-02-01,,\n"
    with pytest.raises(InputDataError, match=r"^features.csv: .*'feature_id'"):
        adoption.load_inputs(write(duplicated, "user_id\nu1\n", "timestamp,user_id,feature_id\n2025-01-02,u1,F-1\n"))


def test_no_user_id_reaches_the_results_headline_or_tables():
    import json

    import pandas as pd

    from helpers import feature_adoption
    from helpers.paths import SAMPLE_DATA_DIR
    from helpers.report.display import Table

    params = feature_adoption.Parameters.validate_values({})
    result = feature_adoption.analyse(feature_adoption.load_inputs(params), params)
    shown = [json.dumps(feature_adoption.results(result), default=str), " ".join(feature_adoption.headline(result))]
    reporting = feature_adoption.reporting
    for name in dir(reporting):
        builder = getattr(reporting, name)
        if name.endswith("_table") and callable(builder):
            try:
                table = builder(result)
            except TypeError:
                continue
            if isinstance(table, Table):
                shown.append(table.data.to_csv())
    text = "\n".join(shown)
    user_ids = pd.read_csv(SAMPLE_DATA_DIR / "users.csv")["user_id"].astype(str)
    assert not [u for u in user_ids if u in text]
    assert "Legal" not in text, "a department under min_n (14 people) is counted, never named"
    assert len(shown) > 2, "at least one table was checked"


def test_the_summary_box_holds_at_most_five_sentences(sample):
    params = adoption.Parameters.validate_values({})
    result = adoption.analyse(adoption.load_inputs(params), params)
    sentences = adoption.headline(result)
    assert 1 <= len(sentences) <= 5
    assert any("moved to the new one" in s and "%" in s for s in sentences), "the old way is summed up with intervals"


# --- privacy: departments group people, they never name them -------------------------------------

def test_a_department_column_that_names_people_is_refused_when_loading(write):
    users = "user_id,department\n" + "".join(f"u{i},person{i}@example.org\n" for i in range(40))
    params = write(FEATURES, users, "timestamp,user_id,feature_id\n2025-01-02,u1,F-1\n")
    with pytest.raises(ParameterError) as caught:
        adoption.load_inputs(params)
    assert str(caught.value).startswith("Parameter 'departments': column 'department' of users.csv holds e-mail")
    adoption.load_inputs(write(FEATURES, users, "timestamp,user_id,feature_id\n2025-01-02,u1,F-1\n", departments=False))


def test_the_department_breakdown_is_a_declared_grouping_of_min_n_users():
    params = adoption.Parameters.validate_values({"min_n": 12})
    assert params.grouping_columns() == {"users_path": ("departments", ["department"], ("user_id",))}
    assert params.smallest_group() == 12
    assert adoption.Parameters.validate_values({"departments": False}).grouping_columns()["users_path"][1] == []


def test_a_small_department_is_hidden_with_the_next_smallest_so_no_total_gives_it_away(sample):
    # The sample's Legal (13 people) is under min_n for 11 features; each feature's total is published.
    result, _ = sample
    shown = result.departments.groupby("feature_id")["eligible_users"].sum()
    for feature in result.features.itertuples():
        hidden = feature.eligible_users - shown.get(feature.feature_id, 0)
        assert hidden == 0 or hidden >= result.params.min_n, (feature.feature_id, hidden)
    assert "Legal" not in set(result.departments["department"])
    assert result.departments_suppressed == 22, "Legal and the next smallest department, for 11 features"
    assert "22 feature-department pairs are not shown" in reporting.department_note(result)


def test_a_feature_whose_audience_is_a_department_under_min_n_is_counted_not_shown(tmp_path):
    # 4 people in Legal, 40 in Sales; F-L is for Legal only, F-S for Sales only, F-A for everyone.
    users = "user_id,department\n" + "".join(f"l{i},Legal\n" for i in range(4)) + "".join(f"s{i},Sales\n" for i in range(40))
    features = ("feature_id,name,application,released,replaces,audience\nF-A,Search,App,2025-01-01,,\n"
                "F-L,Contracts,App,2025-01-01,,Legal\nF-S,Pipeline,App,2025-01-01,,Sales\n")
    usage = "timestamp,user_id,feature_id\n" + "".join(
        f"2025-01-0{2 + i % 5},{who},{feature}\n" for i, (who, feature) in enumerate(
            [(f"l{i}", "F-L") for i in range(3)] + [(f"s{i}", "F-S") for i in range(20)]
            + [(f"s{i}", "F-A") for i in range(30)] + [("l0", "F-A")]))
    for name, text in (("features", features), ("users", users), ("usage", usage)):
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    params = adoption.Parameters.validate_values({
        "features_path": str(tmp_path / "features.csv"), "users_path": str(tmp_path / "users.csv"),
        "usage_path": str(tmp_path / "usage.csv"), "as_of": "2025-03-31", "min_n": 10,
    })
    result = adoption.analyse(adoption.load_inputs(params), params)

    assert list(result.features["feature_id"]) == ["F-A", "F-S"]
    assert "F-L" not in set(result.curves["feature_id"]) and "F-L" not in set(result.departments["feature_id"])
    assert result.totals["features_suppressed"] == 1
    payload = to_jsonable(adoption.results(result))
    assert [e["feature_id"] for e in payload["features"]] == ["F-A", "F-S"]
    assert payload["totals"]["features_suppressed"] == 1
    assert payload["period"]["start"] == "2025-01-01"
    text = json.dumps(payload) + " ".join(adoption.headline(result)) + reporting.feature_table(result).data.to_string()
    assert "F-L" not in text and "Contracts" not in text
    assert "1 more feature could be used by fewer than 10 people" in " ".join(adoption.headline(result))
    # Legal (4 people) is hidden in the everyone-feature's breakdown, with Sales as its complement.
    assert "Legal" not in set(result.departments["department"])


def test_when_every_feature_has_too_small_an_audience_the_report_still_reads(tmp_path):
    users = "user_id,department\n" + "".join(f"l{i},Legal\n" for i in range(4))
    features = "feature_id,name,application,released,replaces,audience\nF-L,Contracts,App,2025-01-01,,Legal\n"
    usage = "timestamp,user_id,feature_id\n2025-01-02,l0,F-L\n"
    for name, text in (("features", features), ("users", users), ("usage", usage)):
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    params = adoption.Parameters.validate_values({
        "features_path": str(tmp_path / "features.csv"), "users_path": str(tmp_path / "users.csv"),
        "usage_path": str(tmp_path / "usage.csv"), "as_of": "2025-03-31",
    })
    result = adoption.analyse(adoption.load_inputs(params), params)
    assert result.features.empty and result.curves.empty and result.totals["features_suppressed"] == 1
    headline = " ".join(adoption.headline(result))
    assert headline.startswith("Of 0 features released from 2025-01-01 to 2025-01-01")
    assert json.dumps(to_jsonable(adoption.results(result)), allow_nan=False)
    adoption.plots.adoption_plot(result.features)
    adoption.plots.adoption_curves_plot(result.curves)
    reporting.feature_table(result)
    reporting.department_note(result)


def test_switching_and_habit_shares_over_fewer_than_min_n_people_are_not_shown(tmp_path, exact_result):
    # 40 users. Five used the old feature in the 90 days before the new one replaced it: a share of them who
    # switched would show those five. Five adopted F-FEW: its habit share would show those five's habits.
    users = "user_id,department\n" + "".join(f"u{i},A\n" for i in range(40))
    features = ("feature_id,name,application,released,replaces,audience\nF-OLD,Old,App,2024-06-01,,\n"
                "F-NEW,New,App,2025-01-01,F-OLD,\nF-FEW,Few,App,2025-01-01,,\n")
    habits = [(i, "F-NEW") for i in range(20)] + [(i, "F-FEW") for i in range(5)]
    usage = ("timestamp,user_id,feature_id\n" + "".join(f"2024-12-01,u{i},F-OLD\n" for i in range(5))
             + "".join(f"2025-01-05,u{i},{feature}\n" for i, feature in habits)
             + "".join(f"2025-03-{10 + w * 5},u{i},{feature}\n" for i, feature in habits for w in range(4)))
    for name, text in (("features", features), ("users", users), ("usage", usage)):
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    params = adoption.Parameters.validate_values({
        "features_path": str(tmp_path / "features.csv"), "users_path": str(tmp_path / "users.csv"),
        "usage_path": str(tmp_path / "usage.csv"), "as_of": "2025-03-31", "min_n": 10, "departments": False,
        "release": ["2025-01-01", "2025-01-31"],
    })
    result = adoption.analyse(adoption.load_inputs(params), params)
    rows = result.features.set_index("feature_id")

    assert rows.loc["F-NEW", "old_way_users"] == 5 and rows.loc["F-NEW", "switching_hidden"]
    assert rows.loc[["F-NEW"], ["switched_share", "switched_share_low", "still_using_old_share_high"]].isna().all(axis=None)
    assert rows.loc["F-FEW", "habit_base"] == 5 and rows.loc["F-FEW", "habit_hidden"]
    assert pd.isna(rows.loc["F-FEW", "habitual_share"]) and pd.isna(rows.loc["F-FEW", "habitual_share_high"])
    assert rows.loc["F-NEW", "habit_base"] == 20 and not rows.loc["F-NEW", "habit_hidden"]
    assert pd.notna(rows.loc["F-NEW", "habitual_share"])

    old_way = reporting.old_way_table(result).data.iloc[0]
    assert old_way["Used the new feature (95% interval)"] == "not shown: fewer than 10 users"
    table = reporting.feature_table(result).data.set_index("Feature")
    assert table.loc["F-FEW Few", "Habitual adopters (95% interval)"] == "not shown: 5 adopters, fewer than 10"
    assert "moved to the new one" not in " ".join(adoption.headline(result))
    entry = next(e for e in to_jsonable(adoption.results(result))["features"] if e["feature_id"] == "F-NEW")
    assert entry["switched_share"] is None and entry["still_using_old_share"] is None
