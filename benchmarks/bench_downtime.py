"""Benchmark of the downtime analysis: the estimator on R's reference cases, and the whole report's work.

Usage::

    .venv/bin/python benchmarks/bench_downtime.py [--scale 100] [--repeat 3] [--skip-scale]

1. ``estimate_impact`` on each reference case in ``tests/downtime_sales/reference/causalimpact`` (the
   five R CausalImpact scenarios and the arma, google and comparison cases): the median
   wall time of ``--repeat`` runs (1,000 posterior draws each), with the effect found.
2. The sample sales at ``--scale`` (default 220 = about 50 million order rows over 13 months)
   are generated once into a cache folder ($TMPDIR/itvalue-bench), then, in a fresh process, the notebook's work
   runs on them: ``load_inputs`` (validation and aggregation to hourly buckets in
   DuckDB) and ``analyse`` (baselines, counterfactual draws, every figure). Each step
   prints its wall time and the process's peak resident memory
   (``getrusage(RUSAGE_SELF).ru_maxrss``). The driver imports only the standard library
   and runs every step in a child process, because Linux carries ``ru_maxrss`` over
   ``fork``: each measuring process starts from the driver's few MB.
3. Beside it, in its own fresh process, the aggregation a user would write in plain
   pandas (read the Parquet file, revenue and rows per hour and channel); the two must
   agree on the rows and revenue bucketed, and ``load_vs_pandas`` gives the ratio.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "downtime_sales" / "reference" / "causalimpact"


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- 1. the estimator ----------------------------------------------------------------------------

def _cases() -> dict:
    import pandas as pd

    cases = {}
    for scenario in ["basic", "covariates", "strong_effect", "no_effect", "seasonal"]:
        case = json.loads((REFERENCE / f"r_reference_{scenario}.json").read_text())
        controls = pd.DataFrame(case["data"]["x"]) if case["data"]["x"] else None
        cases[scenario] = (pd.Series(case["data"]["y"], dtype=float), (0, case["n_pre"] - 1),
                           (case["n_pre"], case["n"] - 1), controls, case["model_args"].get("nseasons"),
                           case["r_output"]["point_effect_mean"])
    arma = pd.read_csv(REFERENCE / "arma_data.csv")
    cases["arma"] = (arma["y"], (0, 69), (70, 99), arma[["X"]], None, 0.89)
    google = pd.read_csv(REFERENCE / "google_data.csv", index_col="date", parse_dates=True)
    cases["google"] = (google["y"], ("2020-01-01", "2020-03-01"), ("2020-03-02", "2020-03-31"),
                       google[["x1", "x2"]], None, 27.0)
    comparison = pd.read_csv(REFERENCE / "comparison_data.csv", index_col="DATE", parse_dates=True)
    cases["comparison"] = (comparison["CHANGED"], ("2019-04-16", "2019-07-14"), ("2019-07-15", "2019-08-01"),
                           comparison[["NOT_CHANGED_1", "NOT_CHANGED_2", "NOT_CHANGED_3"]], None, -657.0)
    return cases


def bench_estimator(repeat: int) -> None:
    import statistics

    from helpers.downtime_sales.impact import estimate_impact

    print(f"estimate_impact, 1,000 draws, median of {repeat} runs")
    print(f"  {'case':<14} {'seconds':>8} {'effect':>10} {'R effect':>10}")
    for name, (y, pre, post, controls, season, r_effect) in _cases().items():
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            result = estimate_impact(y, pre, post, controls=controls, season_length=season)
            times.append(time.perf_counter() - start)
        print(f"  {name:<14} {statistics.median(times):>8.2f} {result.average_effect:>10.3f} {r_effect:>10.3f}")


# --- 2. the analysis at scale (child processes) ----------------------------------------------------

def _generate(folder: str, scale: int) -> None:
    start = time.perf_counter()
    from helpers.sample_data import sales

    truth = sales.generate(Path(folder), scale=scale, seed=42)
    print(json.dumps({"step": "generate", "seconds": time.perf_counter() - start, "peak_mb": _peak_mb(),
                      "orders": truth["orders"], "net_lost_truth": truth["totals"]["net_lost_revenue"]}))


def _analyse(folder: str) -> None:
    start = time.perf_counter()
    from helpers import downtime_sales as downtime

    imported = time.perf_counter()
    print(json.dumps({"step": "import", "seconds": imported - start, "peak_mb": _peak_mb()}), flush=True)
    params = downtime.Parameters.validate_values(
        {"sales_path": f"{folder}/sales.parquet", "outages_path": f"{folder}/outages.csv",
         "campaigns_path": f"{folder}/campaigns.csv"}
    )
    data = downtime.load_inputs(params)
    loaded = time.perf_counter()
    print(json.dumps({"step": "load_inputs (validate + aggregate in DuckDB)", "seconds": loaded - imported,
                      "peak_mb": _peak_mb(), "buckets": len(data.buckets),
                      "rows": int(data.buckets["rows"].sum()), "revenue": float(data.buckets["revenue"].sum())}),
          flush=True)
    costs = downtime.analyse(data, params)
    done = time.perf_counter()
    print(json.dumps({"step": "analyse (baselines, draws, figures)", "seconds": done - loaded, "peak_mb": _peak_mb(),
                      "net_lost": costs.totals["net_lost_revenue"], "low": costs.totals["net_lost_revenue_low"],
                      "high": costs.totals["net_lost_revenue_high"]}), flush=True)


def _pandas(folder: str) -> None:
    """Revenue and rows per hour and channel, as a user would write it in plain pandas."""
    start = time.perf_counter()
    import pandas as pd

    sales = pd.read_parquet(f"{folder}/sales.parquet", columns=["timestamp", "channel", "revenue"])
    buckets = sales.groupby([sales["timestamp"].dt.floor("h"), "channel"], observed=True).agg(
        revenue=("revenue", "sum"), rows=("revenue", "size"))
    print(json.dumps({"step": "plain pandas (read, per hour and channel)", "seconds": time.perf_counter() - start,
                      "peak_mb": _peak_mb(), "buckets": len(buckets), "rows": int(buckets["rows"].sum()),
                      "revenue": float(buckets["revenue"].sum())}), flush=True)


def _child(*args: str) -> list[dict]:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True, cwd=ROOT)
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def bench_scale(scale: int) -> None:
    # generation takes longer than the analysis: keep it between runs, keyed by scale (seed 42)
    folder = Path(tempfile.gettempdir()) / "itvalue-bench" / f"sales-scale{scale}-seed42"
    stamp = folder / "generated.json"
    if stamp.is_file():
        rows = [json.loads(stamp.read_text())]
    else:
        folder.mkdir(parents=True, exist_ok=True)
        rows = _child("--child-generate", str(folder), str(scale))
        for name, size in sorted((p.name, p.stat().st_size) for p in folder.iterdir()):
            rows[0].setdefault("files", {})[name] = f"{size / 1e6:.1f} MB"
        stamp.write_text(json.dumps(rows[0]))
    steps = _child("--child-analyse", str(folder))
    plain = _child("--child-pandas", str(folder))[0]
    generated = rows[0]
    print(f"\nsample sales at scale {scale}: {generated['orders']:,} orders, generated in {generated['seconds']:.1f} s "
          f"(peak {generated['peak_mb']:.0f} MB); files {generated['files']}")
    print(f"  {'step':<48} {'seconds':>8} {'peak RSS':>10}")
    for step in steps:
        print(f"  {step['step']:<48} {step['seconds']:>8.1f} {step['peak_mb']:>7.0f} MB")
    print(f"  {plain['step']:<48} {plain['seconds']:>8.1f} {plain['peak_mb']:>7.0f} MB")
    loaded = steps[1]
    print(f"load_vs_pandas: {loaded['seconds'] / plain['seconds']:.2f} x time, "
          f"{loaded['peak_mb'] / plain['peak_mb']:.2f} x peak memory (load_inputs against the pandas aggregation)")
    # analyse runs on the buckets, whose number is set by the span and the frequency, not by the
    # order rows: with buckets built by pandas instead it would be the same code and the same time.
    whole = sum(step["seconds"] for step in steps[1:])
    print(f"analysis_seconds: {whole:.1f} s (load_inputs + analyse, {generated['orders']:,} order rows; "
          f"with pandas building the buckets: {plain['seconds'] + steps[2]['seconds']:.1f} s, "
          f"{whole / (plain['seconds'] + steps[2]['seconds']):.2f} x)")
    same = loaded["rows"] == plain["rows"] and abs(loaded["revenue"] - plain["revenue"]) <= 1e-6 * abs(plain["revenue"])
    print(f"pandas_agrees: {'yes' if same else 'NO'} (rows {loaded['rows']:,} vs {plain['rows']:,}, revenue "
          f"{loaded['revenue']:,.2f} vs {plain['revenue']:,.2f}; the kit buckets only its analysis span)")
    last = steps[-1]
    print(f"  net lost revenue {last['net_lost']:,.0f} ({last['low']:,.0f} to {last['high']:,.0f}); "
          f"planted {generated['net_lost_truth']:,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=220,
                        help="sample scale for the whole analysis (default 220: about 50 million order rows)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per reference case (default 3)")
    parser.add_argument("--skip-scale", action="store_true", help="only time the estimator")
    parser.add_argument("--child-generate", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--child-analyse", nargs=1, help=argparse.SUPPRESS)
    parser.add_argument("--child-pandas", nargs=1, help=argparse.SUPPRESS)
    parser.add_argument("--child-estimator", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_estimator:
        bench_estimator(args.child_estimator)
        return
    if args.child_generate:
        _generate(args.child_generate[0], int(args.child_generate[1]))
        return
    if args.child_pandas:
        _pandas(args.child_pandas[0])
        return
    if args.child_analyse:
        _analyse(args.child_analyse[0])
        return
    print(f"{platform.platform()}, Python {platform.python_version()}", flush=True)
    # In a child, like every measurement: the driver stays small (see the module docstring).
    subprocess.run([sys.executable, __file__, "--child-estimator", str(args.repeat)], check=True, cwd=ROOT)
    if not args.skip_scale:
        bench_scale(args.scale)


if __name__ == "__main__":
    main()
