"""The configuration-data usage audit on 100 million access-log events, beside plain pandas.

Usage: ``python benchmarks/bench_config_usage.py [--scale N] [--log-scale L] [--seed S]
[--pandas-log-scale P]``.

Generates the CMDB sample with its inventory at ``--scale`` (100: 3.9M inventory rows)
and its access log at ``--log-scale`` (1700: 100M genuinely distinct events, not copies
of a smaller log, which would flatter any aggregation) into a cache folder keyed by
those parameters (reused by later runs: generation takes longer than the audit), and
runs the audit on it (load and validate the inputs, count in DuckDB, build the results)
in a fresh Python process, so its peak memory is the audit's alone. The first run spends
about six minutes and 3 GB generating the 100M events (a 0.7 GB Parquet file).

The same audit written in plain pandas (read the files, map CIs to classes, count reads
per attribute, distinct consumers and CIs) runs in a fresh process too, on a log
generated at ``--pandas-log-scale`` (200: 11.8M events) with the same inventory: plain
pandas holds the whole log in memory (about 0.26 GB per million events), so 100M events
do not fit in this machine's memory. The kit runs again on that same log, so the ratio
compares like with like (the fastest of ``--repeat`` turns each), and the two must agree
on every figure. Prints lines
``name: value unit`` (the format ``benchmarks/run.py`` collects).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

# Runs in the fresh process: everything the notebook does short of drawing.
_AUDIT = """
import json, resource, sys, time
clock = time.perf_counter()
from helpers import config_usage_audit as config_usage
folder, inventory, log = sys.argv[1], sys.argv[2], sys.argv[3]
imported = time.perf_counter()
usage = resource.getrusage(resource.RUSAGE_SELF)
cpu_at_import = usage.ru_utime + usage.ru_stime
import_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
params = config_usage.Parameters.validate_values({
    "inventory_path": f"{folder}/{inventory}",
    "access_log_path": f"{folder}/{log}",
    "cost_path": f"{folder}/collection_cost.csv",
})
data = config_usage.load_inputs(params)
loaded = time.perf_counter()
audit = config_usage.analyse(data, params)
results = config_usage.results(audit)
done = time.perf_counter()
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "cpu_seconds": usage.ru_utime + usage.ru_stime - cpu_at_import,
    "import_seconds": imported - clock,
    "load_seconds": loaded - imported,
    "audit_seconds": done - loaded,
    "total_seconds": done - imported,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "import_rss_mb": import_rss,
    "attributes": results["totals"]["attributes"],
    "attributes_unused": results["totals"]["attributes_unused"],
    "figures": {"attributes_unused": int((~audit.attributes["used"]).sum()),
                "reads": int(audit.attributes["reads"].sum()),
                "consumers": int(audit.attributes["consumers"].sum()),
                "cis_read": int(audit.classes["cis_read"].sum())},
}))
"""

# The same audit as a user would write it in plain pandas (default parameters), in its own process.
_PANDAS = """
import glob, json, resource, sys, time
import pandas as pd
folder, inventory, log = sys.argv[1], sys.argv[2], sys.argv[3]
clock = time.perf_counter()
start, end = pd.Timestamp("2025-04-02"), pd.Timestamp("2025-07-01")  # the 90 days up to 2025-06-30
inv = pd.read_parquet(f"{folder}/{inventory}", columns=["ci_id", "ci_class", "attribute"])
classes = inv.groupby("ci_id")["ci_class"].min()
pairs = inv[["ci_class", "attribute"]].drop_duplicates()
events = pd.concat([pd.read_parquet(f) for f in sorted(glob.glob(f"{folder}/{log}"))], ignore_index=True)
loaded = time.perf_counter()
action = events["action"].fillna("read").str.strip().str.lower()
reads = events[(action == "read") & (events["timestamp"] >= start) & (events["timestamp"] < end)]
reads = reads.assign(ci_class=reads["ci_id"].map(classes)).dropna(subset=["ci_class"])
counted = reads[~reads["process"].str.strip().str.lower().isin(["discovery", "audit"])]
on_attribute = counted[counted["attribute"].fillna("") != ""]
per_attribute = on_attribute.groupby(["ci_class", "attribute"]).agg(
    reads=("ci_id", "size"), consumers=("consumer", "nunique")).reset_index()
attributes = pairs.merge(per_attribute, on=["ci_class", "attribute"], how="left").fillna({"reads": 0, "consumers": 0})
done = time.perf_counter()
print(json.dumps({
    "total_seconds": done - clock, "load_seconds": loaded - clock,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "events": len(events),
    "figures": {"attributes_unused": int((attributes["reads"] < 1).sum()),
                "reads": int(attributes["reads"].sum()),
                "consumers": int(attributes["consumers"].sum()),
                "cis_read": int(counted.groupby("ci_class")["ci_id"].nunique().sum())},
}))
"""


# Runs in its own process too: Linux keeps a process's peak RSS across exec, so the
# parent must stay small for the audit's figure to be the audit's own.
_GENERATE = """
import json, resource, sys, time
from helpers.sample_data import cmdb
folder, scale, log_scale, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
clock = time.perf_counter()
truth = cmdb.generate(folder, scale=scale, seed=seed, log_scale=log_scale)
seconds = time.perf_counter() - clock
with open(f"{folder}/cmdb_truth.json", "w") as out:
    json.dump(truth, out)
print(json.dumps({"seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _run(script: str, *args: object) -> dict:
    done = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _generated(scale: int, log_scale: int, seed: int) -> tuple[Path, dict]:
    """The folder generated for these parameters and its planted truth, generating it on first use.

    Kept between runs under the temporary folder ($TMPDIR): generating 100M events
    takes longer than auditing them.
    """
    folder = Path(tempfile.gettempdir()) / "itvalue-bench" / f"cmdb-scale{scale}-log{log_scale}-seed{seed}"
    if not (folder / "cmdb_truth.json").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        figures = _run(_GENERATE, folder, scale, log_scale, seed)
        print(f"generate_seconds: {figures['seconds']:.1f} s (log scale {log_scale}, cached for later runs)")
        print(f"generate_peak_rss: {figures['peak_rss_mb']:.0f} MB")
    return folder, json.loads((folder / "cmdb_truth.json").read_text())


def _audit(folder: Path, truth: dict) -> dict:
    """The audit on one generated folder; it must find the planted verdicts."""
    figures = _run(_AUDIT, folder, truth["files"]["inventory"], truth["files"]["access_log"])
    planted = truth["totals"]
    if (figures["attributes"], figures["attributes_unused"]) != (planted["attributes"], planted["attributes_unused"]):
        sys.exit(f"audit disagrees with the planted truth in {folder}")
    return figures


def _seconds(runs: list[dict]) -> str:
    return ", ".join(f"{figures['total_seconds']:.1f}" for figures in runs)


def _compare(folder: Path, truth: dict, repeat: int) -> int:
    """The kit and plain pandas on the same log, each in its own process, taking turns ``repeat`` times.

    The fastest run of each is compared: on a shared machine a run is slowed by whatever
    else runs at that moment, never sped up, and taking turns exposes both to the same load.
    """
    kits, plains = [], []
    for _ in range(repeat):
        kits.append(_audit(folder, truth))
        plains.append(_run(_PANDAS, folder, truth["files"]["inventory"], truth["files"]["access_log"]))
    kit = min(kits, key=lambda figures: figures["total_seconds"])
    plain = min(plains, key=lambda figures: figures["total_seconds"])
    events = f"{plain['events']:,} events"
    print(f"pandas_events: {events} (the largest that fits in memory here: plain pandas holds the log)")
    print(f"pandas_seconds: {plain['total_seconds']:.1f} s ({plain['load_seconds']:.1f} s reading; fastest of {repeat}: "
          f"{_seconds(plains)})")
    print(f"pandas_peak_rss: {plain['peak_rss_mb']:.0f} MB")
    print(f"audit_same_events_seconds: {kit['total_seconds']:.1f} s (fastest of {repeat}: "
          f"{_seconds(kits)})")
    print(f"audit_same_events_peak_rss: {kit['peak_rss_mb']:.0f} MB")
    print(f"audit_vs_pandas: {kit['total_seconds'] / plain['total_seconds']:.2f} x time, "
          f"{kit['peak_rss_mb'] / plain['peak_rss_mb']:.2f} x peak memory ({events})")
    if any(k["figures"] != plain["figures"] for k in kits):
        print(f"the kit and plain pandas disagree: {kit['figures']} vs {plain['figures']}", file=sys.stderr)
        return 1
    print(f"pandas_agrees: yes ({plain['figures']})")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100, help="inventory scale (100: 3.9M rows)")
    parser.add_argument("--log-scale", type=int, default=1700, help="access-log scale (1700: 100M events)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--pandas-log-scale", type=int, default=200, help="access-log scale for plain pandas")
    parser.add_argument("--repeat", type=int, default=3, help="turns the kit and plain pandas take on that log")
    args = parser.parse_args()

    folder, truth = _generated(args.scale, args.log_scale, args.seed)
    print(f"scale: {truth['scale']} (inventory), {args.log_scale} (access log)")
    print(f"access_log_rows: {truth['access_log_rows']:,} rows (distinct events, one file)")
    print(f"inventory_rows: {truth['inventory_rows']:,} rows")
    figures = _audit(folder, truth)
    print(f"audit_load_seconds: {figures['load_seconds']:.1f} s (open and validate both inputs)")
    print(f"audit_count_seconds: {figures['audit_seconds']:.1f} s (count, judge, results)")
    print(f"audit_seconds: {figures['total_seconds']:.1f} s")
    # on a shared machine the wall time follows the load; the CPU time much less so
    print(f"audit_cpu_seconds: {figures['cpu_seconds']:.1f} s (all threads; load average {os.getloadavg()[0]:.1f})")
    print(f"audit_peak_rss: {figures['peak_rss_mb']:.0f} MB ({figures['import_rss_mb']:.0f} MB after imports)")
    print(f"attributes: {figures['attributes']} ({figures['attributes_unused']} unused)")
    return _compare(*_generated(args.scale, args.pandas_log_scale, args.seed), args.repeat)


if __name__ == "__main__":
    sys.exit(main())
