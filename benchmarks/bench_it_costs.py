"""IT costs on 100 million FOCUS charges, beside plain pandas.

Usage: ``python benchmarks/bench_it_costs.py [--scale N] [--pandas-scale P] [--repeat R] [--seed S]``.

Generates the sample's FOCUS export at ``--scale`` (845: 100.1M genuinely distinct charges
of three providers over a year, one Parquet file of about 1.3 GB) into a cache folder keyed by
scale and seed (reused by later runs: generation takes several minutes), and runs the analysis on
it with the bundled sample's ledger, allocation rules, volumes, rates, licences and expenses, in a
fresh Python process so its peak memory is the analysis's own: open and validate every input,
sum in DuckDB, allocate, publish the results. The target: under 60 s and 2 GB.

The same data step written in plain pandas (read the columns the allocation looks at, month of
each charge, tag values from the JSON, float sums per month, currency, provider, service,
sub-account and tag) runs in a fresh process on an export generated at ``--pandas-scale`` (84:
about 10M charges; plain pandas holds every charge in memory, and 100M do not fit here beside
the other sessions). The kit runs again on that same export, the two take turns ``--repeat``
times and the fastest of each is compared; their cloud totals must agree to the cent (pandas adds
float64s, so it is checked to the cent, not exactly). Prints lines ``name: value unit`` (the
format ``benchmarks/run.py`` collects).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"

# Runs in the fresh process: everything the notebook does short of drawing.
_KIT = """
import json, resource, sys, time
clock = time.perf_counter()
from helpers import it_costs
cloud, sample = sys.argv[1], sys.argv[2]
imported = time.perf_counter()
usage = resource.getrusage(resource.RUSAGE_SELF)
cpu_at_import = usage.ru_utime + usage.ru_stime
import_rss = usage.ru_maxrss / 1024
names = {"ledger_path": "ledger.csv", "allocation_path": "allocation.csv", "volumes_path": "volumes.csv",
         "licences_path": "licences.csv", "last_active_path": "last_active.csv", "users_path": "users.csv",
         "expenses_path": "expenses.csv", "rates_path": "rates.csv"}
params = it_costs.Parameters.validate_values({"cloud_costs_path": cloud, **{k: f"{sample}/{v}" for k, v in names.items()}})
data = it_costs.load_inputs(params)
loaded = time.perf_counter()
result = it_costs.analyse(data, params)
published = it_costs.results(result)
done = time.perf_counter()
usage = resource.getrusage(resource.RUSAGE_SELF)
rows = int(result.allocated.loc[result.allocated["source"] == "cloud", "rows"].sum())
print(json.dumps({
    "cpu_seconds": usage.ru_utime + usage.ru_stime - cpu_at_import,
    "load_seconds": loaded - imported,
    "analyse_seconds": done - loaded,
    "total_seconds": done - imported,
    "peak_rss_mb": usage.ru_maxrss / 1024,
    "import_rss_mb": import_rss,
    "rows": rows,
    "cloud_cost": str(sum(result.allocated.loc[result.allocated["source"] == "cloud", "cost"])),
    "period": published["report_period"],
    "total_cost": published["total_cost"],
}))
"""

# The same data step as a user would write it in plain pandas, in its own process.
_PANDAS = """
import json, resource, sys, time
import pandas as pd
cloud, sample = sys.argv[1], sys.argv[2]
clock = time.perf_counter()
columns = ["EffectiveCost", "BillingCurrency", "ChargePeriodStart", "ChargeCategory", "ProviderName", "ServiceName",
           "ServiceCategory", "SubAccountName", "Tags"]
frame = pd.read_parquet(cloud, columns=columns)
loaded = time.perf_counter()
tags = frame["Tags"].dropna().unique()
app = {t: (json.loads(t) or {}).get("app") for t in tags}
frame["app"] = frame["Tags"].map(app)
frame["month"] = frame["ChargePeriodStart"].dt.to_period("M")
sums = frame.groupby(["month", "BillingCurrency", "ChargeCategory", "ProviderName", "ServiceName", "ServiceCategory",
                      "SubAccountName", "app"], dropna=False, observed=True)["EffectiveCost"].sum().reset_index()
rates = pd.read_csv(f"{sample}/rates.csv", parse_dates=["month"])
rates["month"] = rates["month"].dt.to_period("M")
sums = sums.merge(rates.rename(columns={"currency": "BillingCurrency"}), on=["month", "BillingCurrency"], how="left")
sums["eur"] = sums["EffectiveCost"] * sums["rate"].fillna(1.0)
done = time.perf_counter()
print(json.dumps({
    "total_seconds": done - clock, "load_seconds": loaded - clock,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "rows": len(frame), "groups": len(sums), "cloud_cost": float(sums["eur"].sum()),
}))
"""

# Generation runs in its own process too (Linux keeps a process's peak RSS across exec).
_GENERATE = """
import json, resource, sys, time
from helpers.it_costs import sample as costs
folder, scale, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
clock = time.perf_counter()
rows = costs.generate_cloud(folder, scale=scale, seed=seed)
print(json.dumps({"seconds": time.perf_counter() - clock, "rows": rows,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _run(script: str, *args: object) -> dict:
    done = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _generated(scale: int, seed: int) -> Path:
    """The cached FOCUS export for these parameters, generated on first use."""
    folder = Path(tempfile.gettempdir()) / "itvalue-bench" / f"focus-scale{scale}-seed{seed}"
    path = folder / "cloud_costs.parquet"
    if not (folder / "done.json").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        figures = _run(_GENERATE, folder, scale, seed)
        (folder / "done.json").write_text(json.dumps(figures))
        print(f"generate_seconds: {figures['seconds']:.1f} s ({figures['rows']:,} rows, scale {scale}; cached for later runs)")
        print(f"generate_peak_rss: {figures['peak_rss_mb']:.0f} MB")
    return path


def _seconds(runs: list[dict]) -> str:
    return ", ".join(f"{r['total_seconds']:.1f}" for r in runs)


def _compare(cloud: Path, repeat: int) -> int:
    kits, plains = [], []
    for _ in range(repeat):
        kits.append(_run(_KIT, cloud, SAMPLE))
        plains.append(_run(_PANDAS, cloud, SAMPLE))
    kit = min(kits, key=lambda r: r["total_seconds"])
    plain = min(plains, key=lambda r: r["total_seconds"])
    print(f"pandas_rows: {plain['rows']:,} charges (plain pandas holds every charge in memory)")
    print(f"pandas_seconds: {plain['total_seconds']:.1f} s ({plain['load_seconds']:.1f} s reading; fastest of {repeat}: "
          f"{_seconds(plains)})")
    print(f"pandas_peak_rss: {plain['peak_rss_mb']:.0f} MB")
    print(f"kit_same_rows_seconds: {kit['total_seconds']:.1f} s (validation included; fastest of {repeat}: {_seconds(kits)})")
    print(f"kit_same_rows_peak_rss: {kit['peak_rss_mb']:.0f} MB")
    print(f"kit_vs_pandas: {kit['total_seconds'] / plain['total_seconds']:.2f} x time, "
          f"{kit['peak_rss_mb'] / plain['peak_rss_mb']:.2f} x peak memory ({plain['rows']:,} charges)")
    difference = abs(float(kit["cloud_cost"]) - plain["cloud_cost"])
    print(f"pandas_float_sum_off_by: {difference:.6f} EUR over the year's cloud cost (the kit's sum is exact)")
    if difference >= 0.01:
        print(f"the kit and plain pandas disagree: {kit['cloud_cost']} vs {plain['cloud_cost']}", file=sys.stderr)
        return 1
    print("pandas_agrees: yes (to the cent)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=845, help="FOCUS export scale (845: 100.1M charges)")
    parser.add_argument("--pandas-scale", type=int, default=84, help="export scale for plain pandas (84: about 10M)")
    parser.add_argument("--repeat", type=int, default=3, help="turns the kit and plain pandas take on that export")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    cloud = _generated(args.scale, args.seed)
    figures = _run(_KIT, cloud, SAMPLE)
    print(f"cloud_rows: {figures['rows']:,} FOCUS charges ({cloud.stat().st_size / 1e9:.2f} GB Parquet)")
    print(f"kit_load_seconds: {figures['load_seconds']:.1f} s (open and validate every input)")
    print(f"kit_analyse_seconds: {figures['analyse_seconds']:.1f} s (sum, allocate, unit costs, seats, expenses, results)")
    print(f"kit_seconds: {figures['total_seconds']:.1f} s (target: under 60)")
    print(f"kit_cpu_seconds: {figures['cpu_seconds']:.1f} s (all threads; load average {os.getloadavg()[0]:.1f})")
    print(f"kit_peak_rss: {figures['peak_rss_mb']:.0f} MB ({figures['import_rss_mb']:.0f} MB after imports; target: under 2,000)")
    print(f"report: {figures['period']}, total {figures['total_cost']:,.2f} EUR")
    worst = 0 if figures["total_seconds"] < 60 and figures["peak_rss_mb"] < 2000 else 1
    return max(worst, _compare(_generated(args.pandas_scale, args.seed), args.repeat))


if __name__ == "__main__":
    sys.exit(main())
