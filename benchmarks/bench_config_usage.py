"""The configuration-data usage audit on 100 million access-log events, beside plain pandas.

Usage: ``python benchmarks/bench_config_usage.py [--scale N] [--seed S] [--data DIR]
[--events N] [--pandas-copies K]``.

Generates the CMDB sample at ``--scale`` (100: 5.9M events, 3.9M inventory rows) into a
cache folder keyed by scale and seed (reused by later runs; or ``--data``), then points
a glob of links to its access log, as many as make ``--events`` (100M: 17 files), and
runs the audit on it (load and validate the inputs, count in DuckDB, build the results)
in a fresh Python process, so its peak memory is the audit's alone.

The same audit written in plain pandas (read the files, map CIs to classes, count reads
per attribute, distinct consumers and CIs) runs in a fresh process too, on
``--pandas-copies`` links of the log: plain pandas holds the whole log in memory (about
0.5 GB per million events), so 100M events do not fit in this machine's memory. The
kit runs again on that same glob, so the ratio compares like with like, and the two
must agree on every figure. Prints lines ``name: value unit`` (the format
``benchmarks/run.py`` collects).
"""

from __future__ import annotations

import argparse
import json
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
print(json.dumps({
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
folder, scale, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
clock = time.perf_counter()
truth = cmdb.generate(folder, scale=scale, seed=seed)
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


def _generate(folder: Path, scale: int, seed: int) -> dict:
    figures = _run(_GENERATE, folder, scale, seed)
    print(f"generate_seconds: {figures['seconds']:.1f} s")
    print(f"generate_peak_rss: {figures['peak_rss_mb']:.0f} MB")
    return json.loads((folder / "cmdb_truth.json").read_text())


def _cache(scale: int, seed: int) -> Path:
    """Where generated data is kept between runs: generation takes longer than the audit."""
    return Path(tempfile.gettempdir()) / "itvalue-bench" / f"cmdb-scale{scale}-seed{seed}"


def _log_glob(folder: Path, copies: int) -> str:
    """A glob of ``copies`` links to the generated log (one file name per copy), relative to ``folder``."""
    name = f"access_log_x{copies}"
    (folder / name).mkdir(exist_ok=True)
    for k in range(copies):
        link = folder / name / f"part{k:03d}.parquet"
        if not link.exists():
            link.symlink_to(folder / "access_log.parquet")
    return f"{name}/part*.parquet"


def _compare(folder: Path, inventory: str, copies: int, rows: int) -> int:
    """The kit and plain pandas on the same ``copies`` of the log, each in its own process."""
    log = _log_glob(folder, copies)
    kit = _run(_AUDIT, folder, inventory, log)
    plain = _run(_PANDAS, folder, inventory, log)
    events = f"{plain['events']:,} events"
    note = "" if copies * rows >= 100_000_000 else " (the largest that fits in memory here: plain pandas holds the log)"
    print(f"pandas_events: {events}{note}")
    print(f"pandas_seconds: {plain['total_seconds']:.1f} s ({plain['load_seconds']:.1f} s reading)")
    print(f"pandas_peak_rss: {plain['peak_rss_mb']:.0f} MB")
    print(f"audit_same_events_seconds: {kit['total_seconds']:.1f} s")
    print(f"audit_same_events_peak_rss: {kit['peak_rss_mb']:.0f} MB")
    print(f"audit_vs_pandas: {kit['total_seconds'] / plain['total_seconds']:.2f} x time, "
          f"{kit['peak_rss_mb'] / plain['peak_rss_mb']:.2f} x peak memory ({events})")
    if kit["figures"] != plain["figures"]:
        print(f"the kit and plain pandas disagree: {kit['figures']} vs {plain['figures']}", file=sys.stderr)
        return 1
    print(f"pandas_agrees: yes ({plain['figures']})")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", type=Path, help="a folder generated before (with cmdb_truth.json)")
    parser.add_argument("--events", type=int, default=100_000_000, help="access-log events to audit, at least")
    parser.add_argument("--pandas-copies", type=int, default=2, help="copies of the log for plain pandas")
    args = parser.parse_args()

    folder = args.data or _cache(args.scale, args.seed)
    if (folder / "cmdb_truth.json").is_file():
        truth = json.loads((folder / "cmdb_truth.json").read_text())
    else:
        folder.mkdir(parents=True, exist_ok=True)
        truth = _generate(folder, args.scale, args.seed)
    rows = truth["access_log_rows"]
    copies = max(1, -(-args.events // rows))
    print(f"scale: {truth['scale']}")
    print(f"access_log_rows: {rows * copies:,} rows ({copies} links to one file of {rows:,})")
    print(f"inventory_rows: {truth['inventory_rows']:,} rows")
    figures = _run(_AUDIT, folder, truth["files"]["inventory"], _log_glob(folder, copies))
    print(f"audit_load_seconds: {figures['load_seconds']:.1f} s (open and validate both inputs)")
    print(f"audit_count_seconds: {figures['audit_seconds']:.1f} s (count, judge, results)")
    print(f"audit_seconds: {figures['total_seconds']:.1f} s")
    print(f"audit_peak_rss: {figures['peak_rss_mb']:.0f} MB ({figures['import_rss_mb']:.0f} MB after imports)")
    print(f"attributes: {figures['attributes']} ({figures['attributes_unused']} unused)")
    planted = truth["totals"]
    if (figures["attributes"], figures["attributes_unused"]) != (planted["attributes"], planted["attributes_unused"]):
        print("audit disagrees with the planted truth", file=sys.stderr)
        return 1
    return _compare(folder, truth["files"]["inventory"], args.pandas_copies, rows)


if __name__ == "__main__":
    sys.exit(main())
