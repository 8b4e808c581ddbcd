"""NPS trend and event regressions fitted to published daily counts (issue 24, "Across runs").

Fitted to exact daily counts, two windows a day apart publish slopes and levels that are functions
of exact counts; fitted to the counts as published (each day's classes perturbed by their cell
keys, :mod:`helpers.cell_key`), they are functions of noisy ones. The robust covariance then
includes the noise: a weight's effect on the estimates is one response's influence, so the noise
adds ``VARIANCE x_i x_i' r_i**2`` per group to the sandwich's meat. Simulations with a planted
slope show the interval keeps its coverage where the unwidened one does not.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers import cell_key
from helpers import nps_trends as nps
from helpers.nps_trends import analysis, queries, stats
from helpers.paths import project_root

DAYS = 56
DRAWS = 2000


def _planted(rng: np.random.Generator, per_day: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Daily counts whose NPS rises linearly by 20 points over the window, exact and perturbed."""
    days = np.arange(DAYS) + 0.5
    share = days / DAYS  # 0 to 1 across the window
    promoters, detractors = 0.40 + 0.05 * share, 0.30 - 0.05 * share
    true_slope = 100 * 0.10 / (DAYS / stats.DAYS_PER_MONTH)  # points per month
    n = rng.poisson(per_day, DAYS)
    counts = np.array([rng.multinomial(k, [d, 1 - p - d, p]) for k, p, d in zip(n, promoters, detractors)])
    keys = rng.integers(0, cell_key.MODULUS, counts.shape)
    published = cell_key.perturb(counts.reshape(-1), keys.reshape(-1)).reshape(counts.shape)
    return days, counts, published, true_slope


@pytest.mark.parametrize("per_day", [5, 20])
def test_trend_intervals_on_published_daily_counts_keep_their_coverage(per_day):
    rng = np.random.default_rng(2026 + per_day)
    widened = plain = exact = 0
    for _ in range(DRAWS):
        days, counts, published, truth = _planted(rng, per_day)
        line = stats.linear_trend(days, published, noise_variance=cell_key.VARIANCE)
        widened += line.low <= truth <= line.high
        line = stats.linear_trend(days, published)
        plain += line.low <= truth <= line.high
        line = stats.linear_trend(days, counts)
        exact += line.low <= truth <= line.high
    # 2,000 draws: a coverage of .95 is measured within about +-.01 (two standard errors).
    assert 0.935 <= widened / DRAWS <= 0.965, widened / DRAWS
    assert abs(widened - exact) / DRAWS <= 0.02, (widened / DRAWS, exact / DRAWS)
    if per_day == 5:  # few responses a day: noise left out of the variance loses coverage
        assert plain / DRAWS < 0.92, plain / DRAWS


def test_the_noise_term_is_the_influence_of_each_weight():
    """The added covariance equals the spread of estimates over the noise itself (many draws of keys)."""
    rng = np.random.default_rng(5)
    days, counts, _, _ = _planted(rng, 6)
    months = np.repeat(days / stats.DAYS_PER_MONTH, 3)
    design = np.column_stack([np.ones_like(months), months])
    outcome = np.tile([-100.0, 0.0, 100.0], DAYS)
    weights = counts.reshape(-1).astype(float)
    _, without = stats.grouped_ols(design, outcome, weights, cov_type="HC0")
    _, with_noise = stats.grouped_ols(design, outcome, weights, cov_type="HC0", noise_variance=cell_key.VARIANCE)
    keep = weights > 0
    slopes = []
    for _ in range(4000):
        noisy = weights + np.where(keep, cell_key.noise(rng.integers(0, cell_key.MODULUS, weights.shape)), 0)
        slopes.append(stats.grouped_ols(design, outcome, np.maximum(noisy, 0), cov_type="HC0")[0][1])
    added = with_noise[1, 1] - without[1, 1]
    assert np.var(slopes) == pytest.approx(added, rel=0.15)


def _sample_run():
    """The bundled sample analysed monthly: its daily counts, their day numbers and the measured events' days."""
    root = project_root()
    params = nps.Parameters.validate_values({
        "responses_path": str(root / "data" / "sample" / "responses.csv"), "tickets_path": "", "period": "M",
    })
    data = nps.load_inputs(params)
    result = nps.analyse(data, params)
    daily = queries.daily_counts(data.responses)
    start = result.window_start
    days = (daily["day"] - np.datetime64(start)).dt.days.to_numpy() + 0.5
    event_days = [(e.date - start).days for e in params.events if start < e.date <= result.window_end]
    return result, daily, days, event_days


def test_with_the_noise_the_lines_are_the_fit_to_the_published_counts():
    result, daily, days, event_days = _sample_run()
    published = queries.counts_array(analysis.published_counts(daily))
    fit = stats.segmented_regression(days, published, event_days, noise_variance=cell_key.VARIANCE)
    exact = stats.segmented_regression(days, queries.counts_array(daily), event_days)
    measured = result.events.dropna(subset=["level_change"])
    assert measured["level_change"].tolist() == pytest.approx([e.value for e in fit.level_changes])
    assert measured["level_change_se"].tolist() == pytest.approx([e.se for e in fit.level_changes])
    assert measured["level_change"].tolist() != pytest.approx([e.value for e in exact.level_changes], abs=1e-9)
    assert all(noisy.se > plain.se for noisy, plain in zip(fit.level_changes, exact.level_changes))


def test_the_report_fits_its_lines_to_the_published_daily_counts(exact_result):
    """With the noise switched off the lines are the exact fit: the analysis fits the counts it publishes.

    Last in the module: ``exact_result`` switches the noise off for the rest of it.
    """
    result, daily, days, event_days = _sample_run()
    exact_fit = stats.segmented_regression(days, queries.counts_array(daily), event_days)
    assert result.events["level_change"].dropna().tolist() == pytest.approx(
        [estimate.value for estimate in exact_fit.level_changes])
