"""The configuration-data usage audit on large generated data (``--scale 100`` by default).

Usage: ``python benchmarks/bench_config_usage.py [--scale N] [--seed S] [--data DIR]``.

Generates the CMDB sample at that scale into a temporary folder (or reuses ``--data``),
then runs the audit (load and validate the inputs, count in DuckDB, build the results)
in a fresh Python process, so its peak memory is the audit's alone. Prints lines
``name: value unit`` (the format ``benchmarks/run.py`` collects).
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
folder, inventory = sys.argv[1], sys.argv[2]
imported = time.perf_counter()
import_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
params = config_usage.Parameters.validate_values({
    "inventory_path": f"{folder}/{inventory}",
    "access_log_path": f"{folder}/access_log.parquet",
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", type=Path, help="reuse a folder generated before (with cmdb_truth.json)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_config_usage_") as tmp:
        folder = args.data or Path(tmp)
        if args.data and (folder / "cmdb_truth.json").is_file():
            truth = json.loads((folder / "cmdb_truth.json").read_text())
        else:
            truth = _generate(folder, args.scale, args.seed)
        size = sum(f.stat().st_size for f in folder.glob("*.*") if f.suffix in (".csv", ".parquet"))
        print(f"scale: {truth['scale']}")
        print(f"access_log_rows: {truth['access_log_rows']:,} rows")
        print(f"inventory_rows: {truth['inventory_rows']:,} rows")
        print(f"input_size: {size / 1e6:.0f} MB")
        figures = _run(_AUDIT, folder, truth["files"]["inventory"])
        print(f"audit_load_seconds: {figures['load_seconds']:.1f} s (open and validate both inputs)")
        print(f"audit_count_seconds: {figures['audit_seconds']:.1f} s (count, judge, results)")
        print(f"audit_seconds: {figures['total_seconds']:.1f} s")
        print(f"audit_peak_rss: {figures['peak_rss_mb']:.0f} MB ({figures['import_rss_mb']:.0f} MB after imports)")
        print(f"attributes: {figures['attributes']} ({figures['attributes_unused']} unused)")
        planted = truth["totals"]
        if (figures["attributes"], figures["attributes_unused"]) != (planted["attributes"], planted["attributes_unused"]):
            print("audit disagrees with the planted truth", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
