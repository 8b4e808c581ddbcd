"""The cell-key method (helpers.cell_key): keys, the noise table, consistency, coverage, and the differencing attacks.

The attacks are issue 24's: two parameter sets of the same data (``weekly`` and ``weekly`` ending on 12 August
2024) gave one suppressed response back exactly, and windows ending on consecutive days give each day's
counts back. Published counts carry consistent noise now; the attacks find nothing exact.
"""

from __future__ import annotations

import datetime as dt
import os

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats as scipy_stats

from helpers import cell_key
from helpers import nps_trends as nps
from helpers.inputs import loading as inputs
from helpers.nps_trends import analysis as nps_analysis
from helpers.nps_trends import queries as nps_queries
from helpers.nps_trends import stats as nps_stats
from helpers.paths import PARAMS_DIR, project_root
from helpers.service_outcomes import queries as outcome_queries
from helpers.service_outcomes import stats as outcome_stats

COUNTS = ["detractors", "passives", "promoters", "n"]


def _exact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cell_key, "perturb", lambda counts, key_sums: np.asarray(counts, dtype="int64"))


def _table(frame: pd.DataFrame, name: str):
    con = inputs.connect()
    con.con.register(name, frame)  # DuckDB's own registration (Ibis's memtable fails on DuckDB 2)
    return con.table(name)


def _responses(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    seconds = rng.integers(0, 600 * 86_400, rows)
    return pd.DataFrame({
        "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(seconds, unit="s"),
        "score": rng.integers(0, 11, rows),
    })


# --- keys -----------------------------------------------------------------------------------------------------


def _oracle(timestamp: pd.Timestamp, *more: int) -> int:
    day = timestamp.year * 512 + timestamp.month * 32 + timestamp.day
    second = timestamp.hour * 3600 + timestamp.minute * 60 + timestamp.second
    return cell_key.record_key_value(day, second, *more)


def test_the_engine_key_is_the_formula_and_cell_keys_are_sums_of_record_keys():
    rng = np.random.default_rng(24)
    frame = _responses(rng, 2_000)
    table = _table(frame, "responses_keys")
    keys = table.mutate(key=nps_queries.response_key(table)).to_pandas()
    expected = [_oracle(t, int(s)) for t, s in zip(keys["timestamp"], keys["score"])]
    assert keys["key"].tolist() == expected
    assert keys["key"].between(0, cell_key.MODULUS - 1).all()
    # A few keys repeat only where day, second and score all do.
    assert keys["key"].nunique() >= len(keys.drop_duplicates(["timestamp", "score"])) - 1

    counts = nps_queries.period_counts(table, period="M")
    frame = frame.assign(key=expected, month=frame["timestamp"].dt.to_period("M").dt.start_time)
    for row in counts.itertuples():
        month = frame[frame["month"] == row.period_start]
        assert row.promoters_key == int(month.loc[month["score"] >= 9, "key"].sum()) % cell_key.MODULUS
        assert row.detractors_key == int(month.loc[month["score"] <= 6, "key"].sum()) % cell_key.MODULUS


def test_a_tickets_key_is_the_formula_of_its_opening_moment():
    rng = np.random.default_rng(7)
    opened = _responses(rng, 300)["timestamp"]
    table = _table(pd.DataFrame({"opened_at": opened}), "tickets_keys")
    keys = table.mutate(key=outcome_queries.ticket_key(table)).to_pandas()
    assert keys["key"].tolist() == [_oracle(t) for t in keys["opened_at"]]


def test_keys_of_rows_built_in_pandas_are_fixed_and_spread_evenly():
    pairs = pd.DataFrame({"user_id": ["U-0001", "U-0002"], "feature_id": ["F-101", "F-101"], "days": [3.5, 1.0]})
    keys = cell_key.frame_record_keys(pairs, ["user_id", "feature_id"])
    # Fixed values: a key that changed between runs or machines would give a cell new noise.
    assert keys.tolist() == [546932814, 1083474649]
    shuffled = pairs.iloc[::-1].set_axis([10, 20]).drop(columns="days")
    assert cell_key.frame_record_keys(shuffled, ["user_id", "feature_id"]).tolist() == keys[::-1].tolist()
    many = pd.DataFrame({"user_id": [f"U-{i:05d}" for i in range(20_000)], "feature_id": "F-101"})
    spread = cell_key.frame_record_keys(many, ["user_id", "feature_id"])
    assert spread.dtype == np.int64 and spread.min() >= 0 and spread.max() < cell_key.MODULUS
    observed = np.bincount(spread * 20 // cell_key.MODULUS, minlength=20)
    assert scipy_stats.chisquare(observed).pvalue > 0.001, observed


# --- the noise --------------------------------------------------------------------------------------------


def test_the_noise_table_has_the_stated_distribution_mean_and_variance():
    assert cell_key.VARIANCE == pytest.approx(1.2)
    assert float(cell_key.PROBABILITIES @ cell_key.NOISE) == pytest.approx(0.0)
    rng = np.random.default_rng(2013)
    # Cell keys as the method makes them: sums of record keys of random sets of records.
    record_keys = np.array([cell_key.record_key_value(int(d), int(s), int(c)) for d, s, c in
                            zip(rng.integers(1_036_000, 1_037_000, 20_000), rng.integers(0, 86_400, 20_000),
                                rng.integers(0, 11, 20_000))], dtype="int64")
    members = rng.integers(1, 40, 20_000)
    cells = np.array([record_keys[rng.choice(len(record_keys), size)].sum() for size in members])
    noise = cell_key.noise(cells)
    observed = np.array([(noise == value).sum() for value in cell_key.NOISE])
    chi2 = scipy_stats.chisquare(observed, cell_key.PROBABILITIES * len(noise))
    assert chi2.pvalue > 0.001, (observed, chi2)
    assert noise.var() == pytest.approx(cell_key.VARIANCE, abs=0.05)


def test_zero_stays_zero_nothing_goes_negative_and_the_floor_holds():
    keys = np.arange(0, cell_key.MODULUS, cell_key.MODULUS // 1000)
    assert (cell_key.perturb(np.zeros_like(keys), keys) == 0).all()
    ones = cell_key.perturb(np.ones_like(keys), keys)
    assert ones.min() == 0 and ones.max() == 3
    thirties = cell_key.perturb(np.full_like(keys, 30), keys)
    assert set(np.unique(thirties - 30)) == {-2, -1, 0, 1, 2}
    frame = pd.DataFrame({"tickets": np.full(len(keys), 30), "tickets_key": keys})
    floored = cell_key.perturb_counts(frame, ["tickets"], floor=30)
    assert floored["tickets"].min() == 30 and floored["tickets"].max() == 32
    assert list(floored.columns) == ["tickets"], "key columns are dropped"


def test_the_same_records_get_the_same_noise_in_every_run():
    table = _table(_responses(np.random.default_rng(3), 5_000), "responses_runs")
    # Two windows that both hold all of March 2024 (and different other days).
    published = []
    for start, end in ((dt.date(2024, 2, 10), dt.date(2024, 3, 31)), (dt.date(2024, 3, 1), dt.date(2024, 5, 20))):
        counts = nps_queries.period_counts(nps_queries.in_window(table, start, end), period="M")
        published.append(nps_analysis.published_counts(counts).set_index("period_start"))
    march = pd.Timestamp("2024-03-01")
    assert published[0].loc[march, COUNTS].tolist() == published[1].loc[march, COUNTS].tolist()
    exact = nps_queries.period_counts(table, period="M").set_index("period_start")
    assert published[0].loc[march, COUNTS].tolist() != exact.loc[march, COUNTS].tolist(), "the counts carry noise"


# --- intervals keep their coverage -------------------------------------------------------------------------


def _noisy(rng: np.random.Generator, counts: np.ndarray) -> np.ndarray:
    return cell_key.perturb(counts, rng.integers(0, cell_key.MODULUS, counts.shape))


@pytest.mark.parametrize("n", [10, 30, 200])
@pytest.mark.parametrize("shares", [(0.27, 0.31, 0.42), (0.10, 0.30, 0.60), (0.40, 0.40, 0.20), (0.05, 0.10, 0.85)])
def test_nps_intervals_of_perturbed_counts_keep_their_coverage(n, shares):
    rng = np.random.default_rng(n)
    counts = _noisy(rng, rng.multinomial(n, shares, size=20_000))
    truth = 100 * (shares[2] - shares[0])
    widened = nps_stats.adjusted_wald_interval(counts, noise_variance=cell_key.VARIANCE)
    coverage = np.mean((widened.low <= truth) & (truth <= widened.high))
    assert coverage >= 0.935, coverage


@pytest.mark.parametrize("n", [10, 30, 200])
@pytest.mark.parametrize("share", [0.05, 0.3, 0.5, 0.8])
def test_share_intervals_of_perturbed_counts_keep_their_coverage(n, share):
    rng = np.random.default_rng(n + int(100 * share))
    successes = _noisy(rng, rng.binomial(n, share, 20_000))
    tickets = _noisy(rng, np.full(20_000, n))
    successes = np.minimum(successes, tickets)  # as published: a part never exceeds its whole
    exact = outcome_stats.wilson_interval(rng.binomial(n, share, 20_000), np.full(20_000, n))
    widened = outcome_stats.wilson_interval(successes, tickets, noise_variance=cell_key.VARIANCE)
    coverage = np.mean((widened.low <= share) & (share <= widened.high))
    # Wilson's own coverage swings with n at small n; the noise must not take it further down.
    assert coverage >= min(0.935, np.mean((exact.low <= share) & (share <= exact.high)) - 0.01), coverage


# --- the attacks of issue 24 --------------------------------------------------------------------------------


def _weekly(**values) -> nps.Result:
    root = project_root()
    base = yaml.safe_load((PARAMS_DIR / "nps_trends" / "weekly.yml").read_text())
    base |= {key: str(root / base[key]) for key in ("responses_path", "tickets_path")}
    params = nps.Parameters.validate_values(base | values)
    return nps.analyse(nps.load_inputs(params), params)


def _difference_attack() -> pd.Series:
    """The second run's overall counts minus the first run's weeks before 12 August 2024."""
    every_week, to_the_12th = _weekly(), _weekly(end="2024-08-12")
    before = every_week.periods[every_week.periods["period_start"] < pd.Timestamp("2024-08-12")]
    assert not before["suppressed"].any(), "every earlier week is shown: the attack's premise"
    overall = pd.Series({column: float(to_the_12th.overall[column]) for column in COUNTS})
    return overall - before[COUNTS].astype("float64").sum()


def test_two_parameter_sets_no_longer_give_the_suppressed_response_away(monkeypatch):
    with monkeypatch.context() as exact:
        _exact(exact)
        recovered = _difference_attack()
    # Without the noise: one promoter on 12 August 2024, exactly (the issue's finding).
    assert recovered.to_dict() == {"detractors": 0.0, "passives": 0.0, "promoters": 1.0, "n": 1.0}
    recovered = _difference_attack()
    assert recovered.to_dict() != {"detractors": 0.0, "passives": 0.0, "promoters": 1.0, "n": 1.0}, recovered


def test_windows_a_day_apart_no_longer_give_each_days_counts(monkeypatch):
    root = project_root()
    base = {"responses_path": str(root / "data" / "sample" / "responses.csv"), "tickets_path": "", "period": "M",
            "events": []}
    ends = [dt.date(2025, 3, 1) + dt.timedelta(days=k) for k in range(25)]
    daily = nps_queries.daily_counts(nps.load_inputs(nps.Parameters.validate_values(base)).responses)
    daily = daily.set_index("day")

    def days_recovered() -> tuple[int, int]:
        """Days whose counts the overall figures give exactly, and days whose responses the notes count exactly."""
        overall, outside = [], []
        for end in ends:
            params = nps.Parameters.validate_values(base | {"end": end.isoformat()})
            result = nps.analyse(nps.load_inputs(params), params)
            overall.append(np.array([result.overall[c] for c in COUNTS], dtype=float))
            outside.append(next(note.rows for note in result.quality_notes if "outside the analysis window" in note.issue))
        truth = [daily.loc[pd.Timestamp(end), COUNTS].to_numpy(dtype=float) for end in ends]
        by_counts = sum(np.array_equal(overall[k] - overall[k - 1], truth[k]) for k in range(1, len(ends)))
        by_notes = sum(outside[k - 1] - outside[k] == truth[k][-1] for k in range(1, len(ends)))
        return by_counts, by_notes

    with monkeypatch.context() as exact:
        _exact(exact)
        assert days_recovered() == (24, 24), "without the noise every day is recovered"
    by_counts, by_notes = days_recovered()
    # Each class's difference is exact with chance 0.26 (two independent draws agree), all three 0.018; the
    # note's one count 0.26, and nothing tells the attacker which days those are.
    assert by_counts <= 2 and by_notes <= 12, (by_counts, by_notes)


# --- the project's secret ------------------------------------------------------------------------------------


def _cells(rng: np.random.Generator, cells: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Record keys of ``cells`` cells of ``size`` records, and each cell's key."""
    records = rng.integers(0, cell_key.MODULUS, (cells, size))
    return records, records.sum(axis=1) % cell_key.MODULUS


def test_without_a_secret_anyone_who_knows_the_records_knows_the_noise_and_with_one_nobody(monkeypatch):
    """An attacker who knows every record of a cell (the keys are public arithmetic) predicts its noise.

    Knowing all records but one, they would try each value the last could have and keep those whose
    predicted noise matches the published count: with a secret the prediction agrees with the noise
    only as often as two independent draws from the table do.
    """
    monkeypatch.delenv(cell_key.SECRET_VARIABLE, raising=False)
    _, keys = _cells(np.random.default_rng(1), 5000, 40)
    published = cell_key.noise(keys)
    predicted = (keys / cell_key.MODULUS)  # the attacker's own computation of the public method
    predicted = cell_key.NOISE[np.minimum(np.searchsorted(np.cumsum(cell_key.PROBABILITIES), predicted, side="right"), 4)]
    assert np.mean(predicted == published) == 1.0
    monkeypatch.setenv(cell_key.SECRET_VARIABLE, "a long random project secret, kept out of git")
    salted = cell_key.noise(keys)
    # Chance: two independent draws from the table agree with probability sum(p**2) = 0.26.
    assert 0.23 < np.mean(predicted == salted) < 0.29
    assert np.array_equal(salted, cell_key.noise(keys)), "the same secret picks the same noise in every run"
    counts = np.bincount(salted + 2, minlength=5)
    assert scipy_stats.chisquare(counts, cell_key.PROBABILITIES * len(keys)).pvalue > 0.001
    amounts = cell_key.amount_noise(keys)  # amounts pick their noise through the secret too
    assert abs(amounts.mean()) < 0.05 and np.mean(amounts**2) == pytest.approx(cell_key.AMOUNT_VARIANCE, rel=0.05)
    assert abs(np.corrcoef(amounts, salted)[0, 1]) < 0.05, "an amount's noise is not its count's"
    monkeypatch.setenv(cell_key.SECRET_VARIABLE, "another long random project secret")
    assert np.mean(cell_key.noise(keys) == salted) < 0.29, "another secret, other noise"


def test_a_secret_changes_the_noise_not_the_method(monkeypatch):
    """Same counts within 2, same zero rule, and an NPS run gives the same figures twice under one secret."""
    monkeypatch.setenv(cell_key.SECRET_VARIABLE, "x" * cell_key.SECRET_MIN_LENGTH)
    counts = np.array([0, 1, 5, 40, 300])
    keys = np.array([17, 99, 12345, 2**30, 2**31 - 2])
    published = cell_key.perturb(counts, keys)
    assert published[0] == 0 and (published >= 0).all() and (np.abs(published - counts) <= 2).all()
    root = project_root()
    params = nps.Parameters.validate_values({"responses_path": str(root / "data" / "sample" / "responses.csv"),
                                             "tickets_path": "", "period": "M"})
    first, second = (nps.analyse(nps.load_inputs(params), params) for _ in range(2))
    pd.testing.assert_frame_equal(first.periods, second.periods)


def test_a_short_secret_is_one_sentence_before_any_kernel(tmp_path):
    import subprocess
    import sys

    env = {**os.environ, cell_key.SECRET_VARIABLE: "short", "ITVALUE_PROJECT": str(project_root())}
    done = subprocess.run([sys.executable, "-m", "helpers.running.cli", "run", "nps_trends", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and cell_key.SECRET_VARIABLE in lines[0] and "short" not in lines[0].split("is set")[0], lines
    assert "shorter than 16 characters" in lines[0]
    assert not (tmp_path / "out").exists()
# --- amounts (the cell-key method for magnitudes) -------------------------------------------------------------


def _cell_keys(rng: np.random.Generator, cells: int) -> np.ndarray:
    """Cell keys as the method makes them: sums of record keys of random sets of records."""
    record_keys = np.array([cell_key.record_key_value(int(d), int(s)) for d, s in
                            zip(rng.integers(1_036_000, 1_037_000, 5_000), rng.integers(0, 86_400, 5_000))],
                           dtype="int64")
    return np.array([record_keys[rng.choice(len(record_keys), size)].sum() for size in rng.integers(1, 40, cells)])


def test_amount_noise_has_the_stated_distribution_and_is_not_the_count_noise():
    keys = _cell_keys(np.random.default_rng(2019), 20_000)
    draws = cell_key.amount_noise(keys)
    low, high = cell_key.AMOUNT_NOISE
    assert ((np.abs(draws) >= low) & (np.abs(draws) <= high)).all(), "never almost no noise, never unbounded"
    assert scipy_stats.kstest(np.abs(draws), scipy_stats.uniform(low, high - low).cdf).pvalue > 0.001
    assert draws.mean() == pytest.approx(0.0, abs=0.03)
    assert np.mean(draws**2) == pytest.approx(cell_key.AMOUNT_VARIANCE, abs=0.03)
    assert abs(np.corrcoef(draws, cell_key.noise(keys))[0, 1]) < 0.05, "a second draw from the key, not the count's"
    # Published sums of 1,000 hours whose largest ticket took 40: noise of mean 0 and the stated size.
    noise = cell_key.perturb_amounts(np.full(len(keys), 1000.0), keys, np.full(len(keys), 40.0)) - 1000.0
    assert noise.mean() == pytest.approx(0.0, abs=0.03 * 40)
    expected = cell_key.AMOUNT_SHARE * np.sqrt(cell_key.AMOUNT_VARIANCE) * 40
    assert noise.std() == pytest.approx(expected, rel=0.03)
    assert expected == pytest.approx(0.52 * 40, rel=0.01), "the size the constants' documentation states"


def test_amounts_zero_stays_zero_nothing_goes_negative_and_the_same_cell_gets_the_same_noise():
    keys = _cell_keys(np.random.default_rng(2005), 2_000)
    amounts = np.tile([0.0, 1.0, 50.0, 300.0], 500)
    # A sum below its largest part cannot come from real tickets (noise is at most 0.75 of the largest): it
    # exercises the floor at 0 alone.
    largest = np.tile([0.0, 40.0, 40.0, 0.0], 500)
    published = cell_key.perturb_amounts(amounts, keys, largest)
    assert (published[amounts == 0] == 0).all(), "an empty cell stays empty"
    assert (published >= 0).all() and (published[amounts == 1.0] == 0).any(), "noise larger than the sum stops at 0"
    assert (published[(amounts > 0) & (largest == 0)] == amounts[(amounts > 0) & (largest == 0)]).all()
    assert (published[amounts == 50.0] != 50.0).all()
    again = cell_key.perturb_amounts(amounts.tolist(), keys.tolist(), largest.tolist())
    np.testing.assert_array_equal(again, published)
    # Keys are taken modulo the modulus: sums of keys added up in Python give the same noise.
    np.testing.assert_array_equal(cell_key.perturb_amounts(amounts, keys + cell_key.MODULUS, largest), published)
