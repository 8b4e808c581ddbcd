"""The counterfactual estimator against R's CausalImpact and against planted truth.

Reference cases (data and R output) are in ``tests/downtime_sales/reference/causalimpact`` (see its
SOURCE.md). The agreement rules come from the issue: point effect within 5 % of R's
(within 15 % of R's interval width where R's interval contains zero, i.e. R's effect
is near zero), interval width 0.7 to 1.4 times R's, and the same verdict on whether
the interval excludes zero.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.downtime_sales import estimate_impact as estimate_impact_from_downtime
from helpers.downtime_sales.impact import ImpactResult, estimate_impact

REFERENCE = Path(__file__).parent / "reference" / "causalimpact"
SCENARIOS = ["basic", "covariates", "strong_effect", "no_effect", "seasonal"]


def _json_case(scenario: str) -> dict:
    case = json.loads((REFERENCE / f"r_reference_{scenario}.json").read_text())
    y = pd.Series(case["data"]["y"], dtype=float)
    controls = pd.DataFrame(case["data"]["x"]) if case["data"]["x"] else None
    r = case["r_output"]
    return {
        "y": y,
        "controls": controls,
        "pre": (0, case["n_pre"] - 1),
        "post": (case["n_pre"], case["n"] - 1),
        "season_length": case["model_args"].get("nseasons"),
        "r": (r["point_effect_mean"], r["ci_lower"], r["ci_upper"]),
        "r_cumulative": r["cumulative_effect_total"],
        "r_relative": r["relative_effect_mean"],
    }


def _csv_case(name: str) -> dict:
    # R numbers as printed in <name>_r_summary.txt (average column, absolute effect and 95% CI).
    if name == "arma":
        data = pd.read_csv(REFERENCE / "arma_data.csv")
        return {"y": data["y"], "controls": data[["X"]], "pre": (0, 69), "post": (70, 99),
                "season_length": None, "r": (0.89, 0.27, 1.5), "r_cumulative": 26.67}
    if name == "google":
        data = pd.read_csv(REFERENCE / "google_data.csv", index_col="date", parse_dates=True)
        return {"y": data["y"], "controls": data[["x1", "x2"]],
                "pre": ("2020-01-01", "2020-03-01"), "post": ("2020-03-02", "2020-03-31"),
                "season_length": None, "r": (27.0, 18.0, 36.0), "r_cumulative": 804.0}
    data = pd.read_csv(REFERENCE / "comparison_data.csv", index_col="DATE", parse_dates=True)
    return {"y": data["CHANGED"], "controls": data[["NOT_CHANGED_1", "NOT_CHANGED_2", "NOT_CHANGED_3"]],
            "pre": ("2019-04-16", "2019-07-14"), "post": ("2019-07-15", "2019-08-01"),
            "season_length": None, "r": (-657.0, -2076.0, 832.0), "r_cumulative": -11831.0}


CASES = {**{s: _json_case(s) for s in SCENARIOS}, **{c: _csv_case(c) for c in ["arma", "google", "comparison"]}}


@pytest.fixture(scope="module")
def results() -> dict[str, ImpactResult]:
    return {
        name: estimate_impact(c["y"], c["pre"], c["post"], controls=c["controls"], season_length=c["season_length"])
        for name, c in CASES.items()
    }


@pytest.mark.parametrize("name", list(CASES))
def test_point_effect_agrees_with_r(results, name):
    effect, low, high = CASES[name]["r"]
    ours = results[name].average_effect
    if low <= 0 <= high:  # R's effect is near zero: compare on the scale of its interval
        assert abs(ours - effect) <= 0.15 * (high - low), (ours, effect)
    else:
        assert abs(ours - effect) <= 0.05 * abs(effect), (ours, effect)


@pytest.mark.parametrize("name", list(CASES))
def test_interval_width_agrees_with_r(results, name):
    _, low, high = CASES[name]["r"]
    result = results[name]
    ratio = (result.average_effect_high - result.average_effect_low) / (high - low)
    assert 0.7 <= ratio <= 1.4, ratio


@pytest.mark.parametrize("name", list(CASES))
def test_verdict_agrees_with_r(results, name):
    _, low, high = CASES[name]["r"]
    assert results[name].excludes_zero == (low > 0 or high < 0)


@pytest.mark.parametrize("name", list(CASES))
def test_cumulative_effect_is_the_average_times_the_post_period(results, name):
    result, case = results[name], CASES[name]
    n_post = len(case["y"].loc[case["post"][0] : case["post"][1]])
    assert result.cumulative_effect == pytest.approx(result.average_effect * n_post)
    assert result.cumulative_effect_low == pytest.approx(result.average_effect_low * n_post)
    # R's cumulative effect agrees as the average does (the same rule, scaled by the period length).
    r_effect, r_low, r_high = case["r"]
    tolerance = 0.15 * (r_high - r_low) * n_post if r_low <= 0 <= r_high else 0.05 * abs(case["r_cumulative"])
    assert abs(result.cumulative_effect - case["r_cumulative"]) <= tolerance


def test_p_values_agree_with_r_in_verdict(results):
    # R: p = 0.0002 (basic ... seasonal), 0.003 (arma), 0.001 (google), 0.335 (no_effect), 0.20 (comparison).
    for name in ["basic", "covariates", "strong_effect", "seasonal", "arma", "google"]:
        assert results[name].p_value <= 0.01, name
    assert 0.2 <= results["no_effect"].p_value <= 0.5
    assert 0.08 <= results["comparison"].p_value <= 0.35


def test_relative_effect_matches_r_on_a_series_far_from_zero(results):
    # On the published cases the level of y is far from zero, so the ratio is stable.
    assert results["google"].relative_effect == pytest.approx(0.21, abs=0.01)
    assert results["arma"].relative_effect == pytest.approx(0.0074, abs=0.0004)


def test_series_covers_both_periods_with_ordered_bands(results):
    result, case = results["google"], CASES["google"]
    series = result.series
    assert list(series.columns) == ["actual", "predicted", "predicted_low", "predicted_high"]
    assert series.index[0] == pd.Timestamp(case["pre"][0]) and series.index[-1] == pd.Timestamp(case["post"][1])
    assert (series["predicted_low"] <= series["predicted"]).all()
    assert (series["predicted"] <= series["predicted_high"]).all()
    post = series.loc[case["post"][0] :]
    assert (post["actual"] - post["predicted"]).mean() == pytest.approx(result.average_effect)


def test_same_seed_same_result_and_reexported_from_downtime():
    case = CASES["basic"]
    first = estimate_impact(case["y"], case["pre"], case["post"], draws=200, seed=3)
    second = estimate_impact_from_downtime(case["y"], case["pre"], case["post"], draws=200, seed=3)
    assert first.average_effect == second.average_effect
    assert first.average_effect_low == second.average_effect_low


def test_gap_between_periods_is_left_out():
    case = CASES["basic"]
    result = estimate_impact(case["y"], (0, 59), (70, 99), draws=200)
    assert len(result.series) == 100
    assert result.excludes_zero and result.average_effect == pytest.approx(2.9, abs=0.4)


@pytest.mark.parametrize(
    ("pre", "post", "message"),
    [((0, 69), (60, 99), "start after"), ((0, 200), (201, 202), "not in the index"), ((69, 0), (70, 99), "ends before")],
)
def test_bad_periods_are_refused(pre, post, message):
    with pytest.raises(ValueError, match=message):
        estimate_impact(CASES["basic"]["y"], pre, post)


def test_missing_post_period_values_are_refused():
    y = CASES["basic"]["y"].copy()
    y.iloc[80] = np.nan
    with pytest.raises(ValueError, match="post-period"):
        estimate_impact(y, (0, 69), (70, 99))


def test_intervals_cover_planted_effects():
    """Planted truth: 100 simulated series from a local level + regression model, effect known.

    The level drifts about as slowly as R's default prior assumes (sd 1 % of the series'
    sd per step); with faster drift, R's prior, and so this estimator, under-covers.
    100 series make both bounds bite: at the nominal 95 % the binomial sd is 2.2 points,
    so 88 % and 99 % are about three sd away; and the intervals must stay informative (the
    noise alone gives the 15-point average an sd of 0.26, a 95 % width of about 1).
    """
    rng = np.random.default_rng(2024)
    covered, excluded_zero, widths = 0, 0, []
    n_series, n_pre, n_post = 100, 50, 15
    for _ in range(n_series):
        n = n_pre + n_post
        control = 50 + np.cumsum(rng.normal(0, 1, n))
        level = np.cumsum(rng.normal(0, 0.01, n))
        y = 10 + 0.8 * control + level + rng.normal(0, 1, n)
        effect = rng.choice([0.0, 1.5])
        y[n_pre:] += effect
        result = estimate_impact(
            pd.Series(y), (0, n_pre - 1), (n_pre, n - 1), controls=pd.DataFrame({"x": control}),
            draws=200, seed=int(rng.integers(1_000_000)),
        )
        covered += result.average_effect_low <= effect <= result.average_effect_high
        excluded_zero += result.excludes_zero and effect > 0
        widths.append(result.average_effect_high - result.average_effect_low)
    assert 0.88 <= covered / n_series <= 0.99, covered / n_series
    assert 1.0 <= np.median(widths) <= 2.0, np.median(widths)
    assert excluded_zero >= 30  # the 1.5-per-point effects are mostly detected


@pytest.mark.parametrize("draws", [1, 7, 1000])
def test_interval_quantiles_are_numpys_linear_quantiles(draws):
    from helpers.downtime_sales.impact import _quantiles

    rng = np.random.default_rng(draws)
    values = rng.normal(size=(draws, 13))
    for probabilities in ([0.025, 0.975], [0.05, 0.95], [0.0, 0.5, 1.0]):
        np.testing.assert_allclose(_quantiles(values, probabilities), np.quantile(values, probabilities, axis=0),
                                   rtol=0, atol=1e-12)
        np.testing.assert_allclose(_quantiles(values[:, 0], probabilities), np.quantile(values[:, 0], probabilities),
                                   rtol=0, atol=1e-12)
