"""Feature adoption as published (issue 24): counts and life tables with the cell-key method's noise, intervals
that still cover, and runs a day apart that no longer give a day's adopters away."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.duration.survfunc import SurvfuncRight

from helpers import cell_key
from helpers import feature_adoption as adoption
from helpers.feature_adoption import analysis, survival
from helpers.feature_adoption.window import as_frame, select_features, usage_span

#: Six consecutive days to run ``as_of`` on, after the sample's last release (so every run has the same features).
DAYS = [f"2025-12-{day}" for day in range(26, 32)]


def _exact(patch: pytest.MonkeyPatch) -> None:
    patch.setattr(cell_key, "perturb", lambda counts, key_sums: np.asarray(counts, dtype="int64"))


@pytest.fixture(scope="module")
def runs():
    """The sample measured at each of :data:`DAYS`, exact and published, and each day's new adopters per feature."""
    data = adoption.load_inputs(adoption.Parameters.validate_values({}))

    def measure() -> list[adoption.Result]:
        return [adoption.analyse(data, adoption.Parameters.validate_values({"as_of": day})) for day in DAYS]

    with pytest.MonkeyPatch.context() as patch:
        _exact(patch)
        exact = measure()
    return exact, measure(), _new_adopters(data)


def _new_adopters(data) -> pd.DataFrame:
    """First uses per feature (columns) and day of :data:`DAYS` (rows), from the per-user rows of the last day."""
    params = adoption.Parameters.validate_values({"as_of": DAYS[-1]})
    log_start, as_of = usage_span(data, params)
    features, _ = select_features(as_frame(data.features, ["released"]), params, (log_start, as_of), "features")
    per_user, _ = analysis._per_user(data, (features, as_frame(data.users, ["active_from", "active_to"])),
                                     params, as_of)
    day = per_user["first_use"].dt.strftime("%Y-%m-%d")
    counts = per_user[per_user["adopted"]].groupby([day, "feature_id"]).size().unstack(fill_value=0)
    return counts.reindex(index=DAYS, columns=sorted(features["feature_id"]), fill_value=0)


def _adopters(result: adoption.Result) -> pd.Series:
    return result.features.set_index("feature_id")["adopters"].sort_index()


def _curve_ends(result: adoption.Result) -> pd.Series:
    """Each feature's adoption at its horizon times its eligible users: a count an attacker can read off a curve."""
    features = result.features.set_index("feature_id")
    ends = result.curves.groupby("feature_id")["adoption"].last()
    return (ends * features["eligible_users"]).round(6).sort_index()


def _days_recovered(results: list[adoption.Result], truth: pd.DataFrame) -> int:
    """Days whose new adopters, for every feature, are the difference of two consecutive runs' adopters."""
    return sum(
        (_adopters(results[k]) - _adopters(results[k - 1])).equals(truth.loc[DAYS[k]].rename("adopters").astype("int64"))
        for k in range(1, len(DAYS))
    )


def test_runs_a_day_apart_no_longer_give_a_days_adopters(runs):
    exact, published, truth = runs
    assert truth.iloc[1:].to_numpy().sum() > 0, "people adopted features on these days"
    assert _days_recovered(exact, truth) == len(DAYS) - 1, "without the noise every day is recovered"
    assert _days_recovered(published, truth) == 0
    # Nor do the curves' steps: without the noise they are exact counts of users, with it they are not.
    steps = [_curve_ends(result) for result in published]
    exact_steps = [_curve_ends(result) for result in exact]
    assert all(not steps[k].equals(exact_steps[k]) for k in range(len(DAYS)))


def test_published_counts_are_within_two_of_the_truth_and_parts_stay_under_wholes(runs):
    exact, published, _ = runs
    truth, shown = exact[-1].features.set_index("feature_id"), published[-1].features.set_index("feature_id")
    counts = ["eligible_users", "adopters", "habit_base", "old_way_users"]
    differences = (shown[counts] - truth[counts]).abs()
    assert (differences.fillna(0) <= 2).all(axis=None)
    assert differences.fillna(0).to_numpy().sum() > 0, "the counts carry noise"
    assert (shown["adopters"] <= shown["eligible_users"]).all()
    assert (shown["habit_base"] <= shown["adopters"]).all()
    replacing = shown[shown["old_way_users"].notna()]
    assert (replacing["old_way_users"] <= replacing["eligible_users"]).all()
    min_n = published[-1].params.min_n
    assert (shown["eligible_users"] >= min_n).all(), "noise never makes a shown feature look too small"
    assert ((shown["adopters"] == 0) == shown["never_used"]).all()
    departments = published[-1].departments.merge(exact[-1].departments, on=["feature_id", "department"],
                                                  suffixes=("", "_exact"))
    assert len(departments) == len(published[-1].departments), "the same departments are shown"
    assert ((departments["eligible_users"] - departments["eligible_users_exact"]).abs() <= 2).all()
    assert (departments["eligible_users"] >= min_n).all()
    for result in published:
        curve = result.curves
        steps = curve[curve["days"] > 0].groupby("feature_id")["days"]
        assert all((np.floor(days.iloc[:-1]) == days.iloc[:-1]).all() for _, days in steps), "steps at whole days"


def test_a_count_stays_on_its_side_of_min_n_and_above_zero():
    def published(count: int, noise: int) -> int:
        # One record's key picks the noise: key / MODULUS falls in the band of that noise.
        band = {-2: 0.05, -1: 0.2, 0: 0.5, 1: 0.75, 2: 0.95}[noise]
        keys = [int(band * cell_key.MODULUS)] + [0] * (count - 1)
        return analysis._published(pd.DataFrame({"record_key": keys}), 10)

    assert published(9, 2) == 9, "a hidden base never looks as large as min_n"
    assert published(10, -2) == 10, "a shown group never looks smaller than min_n"
    assert published(1, -2) == 1, "someone stays someone"
    assert published(12, -2) == 10 and published(30, 2) == 32 and published(5, -1) == 4


def _simulate(rng: np.random.Generator, n: int, draws: int, planted: float):
    """``draws`` features of ``n`` users: adoption by day 90 planted, about a third censored by joining late or leaving."""
    rate = -np.log(1 - planted) / 90
    first_use = rng.exponential(1 / rate, (draws, n))
    follow_up = np.where(rng.random((draws, n)) < 0.35, rng.uniform(5, 150, (draws, n)), 200.0)
    adopted = first_use <= follow_up
    return np.where(adopted, first_use, follow_up), adopted


@pytest.mark.parametrize("n", [30, 200])
def test_the_interval_of_a_perturbed_life_table_covers_the_planted_adoption(n):
    rng = np.random.default_rng(24 + n)
    planted, draws = 0.4, 800
    days, adopted = _simulate(rng, n, draws, planted)
    keys = rng.integers(0, cell_key.MODULUS, (draws, n))
    covered = []
    for row in range(draws):
        table = survival.life_table(days[row], adopted[row], horizon=90, keys=keys[row])
        share = survival.adoption_at(table, 90, noise_variance=cell_key.VARIANCE)
        covered.append(share.low <= planted <= share.high)
    coverage = float(np.mean(covered))
    print(f"coverage of the 95% interval, {n} users, perturbed life table: {coverage:.1%}")
    # 800 draws: a true 95% lands in 93.5%-96.5% with 95% probability; .93-.97 allows that and a little more,
    # for a known small bias: a cell of one user is published as 1.1 on average (0 stays 0, noise never goes
    # below 0), which moves adoption up by about 0.008 at these sizes (measured on 3,000 draws: coverage 93-94%).
    assert 0.93 <= coverage <= 0.97


def test_the_noise_term_is_the_delta_method_and_greenwood_is_statsmodels():
    rng = np.random.default_rng(7)
    days, adopted = _simulate(rng, 120, 1, 0.5)
    table = survival.life_table(days[0], adopted[0], horizon=60)
    exact_greenwood = survival.log_survival_variance(table)
    plain = SurvfuncRight(np.where(days[0] >= 60, 60.0, np.floor(days[0])), (adopted[0] & (days[0] < 60)))
    assert exact_greenwood[-1] == pytest.approx((plain.surv_prob_se[-1] / plain.surv_prob[-1]) ** 2)

    def log_survival(cells: np.ndarray, row: int) -> float:
        """log S just after the table's ``row``-th day, of (events, censored) counts that may be fractional."""
        at_risk = np.cumsum(cells.sum(axis=0)[::-1])[::-1]
        return float(np.sum(np.log(1 - cells[0] / at_risk)[: row + 1]))

    cells = table[["events", "censored"]].to_numpy(float).T
    noise_terms = survival.log_survival_variance(table, noise_variance=1.0) - exact_greenwood
    for row in (len(table) // 3, len(table) - 1):
        gradient = []
        for kind, cell in zip(*np.nonzero(cells > 0)):
            up, down = cells.copy(), cells.copy()
            up[kind, cell] += 1e-6
            down[kind, cell] -= 1e-6
            gradient.append((log_survival(up, row) - log_survival(down, row)) / 2e-6)
        assert noise_terms[row] == pytest.approx(np.sum(np.square(gradient)), rel=1e-5), row


def test_runs_a_day_apart_no_longer_give_a_days_usage_rows(runs):
    """The data-quality note "usage after as_of" of two runs a day apart gave that day's usage rows exactly."""
    from helpers.paths import SAMPLE_DATA_DIR

    exact, published, _ = runs
    stamps = pd.read_parquet(SAMPLE_DATA_DIR / "feature_usage.parquet", columns=["timestamp"])["timestamp"]

    def after(result: adoption.Result) -> int:
        return next((note.rows for note in result.quality_notes if note.issue.startswith("usage after as_of")), 0)

    def recovered(results: list[adoption.Result]) -> int:
        return sum(
            after(results[k - 1]) - after(results[k])
            == int(stamps.between(pd.Timestamp(DAYS[k]), pd.Timestamp(DAYS[k]) + pd.Timedelta(days=1),
                                  inclusive="left").sum())  # as_of is the end of the day given
            for k in range(1, len(DAYS))
        )

    assert recovered(exact) == len(DAYS) - 1, "without the noise every day's usage rows are recovered"
    # One count a day: two independent noises agree about a quarter of the time (sum of p**2 = 0.26), so some
    # differences match by chance (3 of 5 here); which ones, nothing in the reports says.
    assert recovered(published) < len(DAYS) - 1
