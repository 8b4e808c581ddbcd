"""``estimate_impact`` beside ``bsts-causalimpact`` on the same data and the same number of draws.

Usage::

    .venv/bin/python benchmarks/bench_impact.py [--repeat 3] [--draws 1000] [--long 2000] [--case seasonal ...]

Cases: the eight reference cases in ``tests/downtime_sales/reference/causalimpact`` (the
five R CausalImpact scenarios and the arma, google and comparison cases), then a
generated series of ``--long`` points (default 2,000; the last 10 % after the
intervention) with one control. For each case the median wall time of ``--repeat``
runs of each tool, measured alternately in this one process so that both see the
same load on the shared cores, and the ratio ours / peer (the target is at most 2).
``bsts-causalimpact`` (the ``bench`` extra: ``pip install -e .[bench]``) runs its
Rust Gibbs sampler with ``niter`` = ``--draws`` kept draws after its default warm-up.
When it is not installed, each line says so and only our time is printed.

Prints lines ``name: value unit[, ...]`` (the format ``benchmarks/run.py`` collects).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.downtime_sales import estimate_impact

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "downtime_sales" / "reference" / "causalimpact"


def _reference_cases() -> dict[str, dict]:
    """Each case as data (response first, then controls), periods as index labels, season, R's effect."""
    cases = {}
    for scenario in ["basic", "covariates", "strong_effect", "no_effect", "seasonal"]:
        case = json.loads((REFERENCE / f"r_reference_{scenario}.json").read_text())
        data = pd.DataFrame({"y": case["data"]["y"], **(case["data"]["x"] or {})}, dtype=float)
        cases[scenario] = {"data": data, "pre": (0, case["n_pre"] - 1), "post": (case["n_pre"], case["n"] - 1),
                           "season": case["model_args"].get("nseasons"), "r_effect": case["r_output"]["point_effect_mean"]}
    arma = pd.read_csv(REFERENCE / "arma_data.csv")[["y", "X"]]
    cases["arma"] = {"data": arma, "pre": (0, 69), "post": (70, 99), "season": None, "r_effect": 0.89}
    google = pd.read_csv(REFERENCE / "google_data.csv", index_col="date", parse_dates=True)[["y", "x1", "x2"]]
    cases["google"] = {"data": google, "pre": ("2020-01-01", "2020-03-01"), "post": ("2020-03-02", "2020-03-31"),
                       "season": None, "r_effect": 27.0}
    comparison = pd.read_csv(REFERENCE / "comparison_data.csv", index_col="DATE", parse_dates=True)
    comparison = comparison[["CHANGED", "NOT_CHANGED_1", "NOT_CHANGED_2", "NOT_CHANGED_3"]]
    cases["comparison"] = {"data": comparison, "pre": ("2019-04-16", "2019-07-14"), "post": ("2019-07-15", "2019-08-01"),
                           "season": None, "r_effect": -657.0}
    return cases


def _long_case(n: int) -> dict:
    """A local level plus 0.8 times a random-walk control, noise sd 1, effect +1.5 over the last 10 %."""
    rng = np.random.default_rng(13)
    control = 50 + np.cumsum(rng.normal(0, 1, n))
    y = 10 + 0.8 * control + np.cumsum(rng.normal(0, 0.01, n)) + rng.normal(0, 1, n)
    n_pre = n - n // 10
    y[n_pre:] += 1.5
    return {"data": pd.DataFrame({"y": y, "x": control}), "pre": (0, n_pre - 1), "post": (n_pre, n - 1),
            "season": None, "r_effect": 1.5}


def _ours(case: dict, draws: int) -> float:
    data = case["data"]
    controls = data.iloc[:, 1:] if data.shape[1] > 1 else None
    result = estimate_impact(data.iloc[:, 0], case["pre"], case["post"], controls=controls,
                             season_length=case["season"], draws=draws)
    return result.average_effect


def _peer(case: dict, draws: int) -> float:
    from causal_impact import CausalImpact

    model_args = {"niter": draws, "seed": 0}
    if case["season"]:
        model_args["nseasons"] = case["season"]
    impact = CausalImpact(case["data"], list(case["pre"]), list(case["post"]), model_args=model_args)
    return impact.summary_stats["point_effect_mean"]


def _timed(run, case: dict, draws: int) -> tuple[float, float]:
    start = time.perf_counter()
    effect = run(case, draws)
    return time.perf_counter() - start, effect


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case and tool (default 3)")
    parser.add_argument("--draws", type=int, default=1000, help="posterior draws, both tools (default 1000)")
    parser.add_argument("--long", type=int, default=2000, help="points in the generated long series (default 2000)")
    parser.add_argument("--case", action="append", help="run only this case (repeatable; default all)")
    args = parser.parse_args()
    try:
        import causal_impact  # noqa: F401
    except ImportError:
        peer = None
        print("bsts-causalimpact: not installed (pip install -e .[bench]); its times and the ratios are skipped")
    else:
        peer = _peer
    print(f"{platform.platform()}, Python {platform.python_version()}; {args.draws} draws, median of {args.repeat} runs")
    cases = {**_reference_cases(), f"long_{args.long}": _long_case(args.long)}
    if args.case:
        cases = {name: cases[name] for name in args.case}
    ratios = []
    for name, case in cases.items():
        _ours(case, 50)  # imports and first-call costs out of the timing
        if peer is not None:
            peer(case, 50)
        ours, theirs = [], []
        for _ in range(args.repeat):
            ours.append(_timed(_ours, case, args.draws))
            if peer is not None:
                theirs.append(_timed(peer, case, args.draws))
        seconds, effect = statistics.median(t for t, _ in ours), ours[-1][1]
        line = f"impact_{name}: {seconds:.3f} s, effect {effect:.3f} (R {case['r_effect']:.3f})"
        if peer is not None:
            peer_seconds = statistics.median(t for t, _ in theirs)
            ratios.append(seconds / peer_seconds)
            line += f", bsts-causalimpact {peer_seconds:.3f} s (effect {theirs[-1][1]:.3f}), ratio {ratios[-1]:.2f} x"
        print(line, flush=True)
    if ratios:
        print(f"impact_worst_ratio: {max(ratios):.2f} x (target <= 2)")


if __name__ == "__main__":
    main()
