"""Placebo windows: every whole-week shift of an incident that lands on clean buckets, and only those."""

import numpy as np
import pandas as pd

from helpers.downtime_sales.placebo import candidate_windows


def test_candidates_are_exactly_the_clean_whole_week_shifts():
    rng = np.random.default_rng(3)
    step = pd.Timedelta(hours=1)
    grid = pd.date_range("2024-01-01", periods=24 * 7 * 12, freq=step)
    clean = {"web": rng.random(len(grid)) > 0.03, "store": rng.random(len(grid)) > 0.02}
    windows = pd.DataFrame(
        {
            "incident_id": ["a", "b", "b"],
            "channel": ["web", "web", "store"],
            "start": pd.to_datetime(["2024-02-05 10:20", "2024-03-01 00:00", "2024-03-01 01:00"]),
            "end": pd.to_datetime(["2024-02-05 11:00", "2024-03-01 02:30", "2024-03-01 02:00"]),
            "recovery_end": pd.to_datetime(["2024-02-05 14:00", "2024-03-01 05:30", "2024-03-01 05:00"]),
        }
    )
    found = candidate_windows(windows, clean, grid, step)
    expected, inside_grid = [], 0
    for incident, channels, start, stop in [("a", ["web"], "2024-02-05 10:20", "2024-02-05 14:00"),
                                             ("b", ["store", "web"], "2024-03-01 00:00", "2024-03-01 05:30")]:
        for shift in range(-13, 14):
            s, r = pd.Timestamp(start) + pd.Timedelta(weeks=shift), pd.Timestamp(stop) + pd.Timedelta(weeks=shift)
            # The buckets a window touches: from the one holding its start to the last one starting before its end.
            positions = np.flatnonzero((grid + step > s) & (grid < r))
            inside = s >= grid[0] and r <= grid[-1] + step
            inside_grid += bool(shift and inside)
            if shift and inside and len(positions) and all(clean[c][positions].all() for c in channels):
                expected.append((incident, s, channels, positions))
    assert 10 < len(expected) < inside_grid  # some shifts land on unclean buckets: the test checks both ways
    assert [(i, s) for i, s, _, _ in expected] == list(zip(found["incident_id"], found["start"]))
    assert all(c == f for (_, _, c, _), f in zip(expected, found["channels"]))
    assert all(np.array_equal(p, f) for (_, _, _, p), f in zip(expected, found["positions"]))
