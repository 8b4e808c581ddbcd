"""Feature adoption on large generated data (``--scale 40`` by default: 100,000 users, 10 million usage rows).

Usage: ``python benchmarks/bench_adoption.py [--scale N] [--seed S] [--data DIR]``.

Generates the adoption sample at that scale into a temporary folder (or reuses ``--data``), then
runs the analysis (load and validate the three inputs, count in DuckDB, survival statistics, the
results) in a fresh Python process, so its peak memory is the analysis's alone. Prints lines
``name: value unit`` (the format ``benchmarks/run.py`` collects). The generator scales users, so
the rows reaching pandas grow with the scale too (one per user and feature used).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

# Runs in the fresh process: everything the notebook does short of drawing.
_ANALYSE = """
import json, resource, sys, time
clock = time.perf_counter()
from helpers import feature_adoption as adoption
from helpers.feature_adoption import analysis  # the statistics stack, imported before the clock
folder = sys.argv[1]
imported = time.perf_counter()
import_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
params = adoption.Parameters.validate_values({
    "features_path": f"{folder}/features.csv",
    "usage_path": f"{folder}/feature_usage.parquet",
    "users_path": f"{folder}/users.csv",
})
data = adoption.load_inputs(params)
loaded = time.perf_counter()
result = adoption.analyse(data, params)
results = adoption.results(result)
done = time.perf_counter()
print(json.dumps({
    "load_seconds": loaded - imported,
    "analyse_seconds": done - loaded,
    "total_seconds": done - imported,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "import_rss_mb": import_rss,
    "rows_in_pandas": result.rows_in_pandas,
    "never_used": sorted(f["feature_id"] for f in results["features"] if f["adopters"] == 0),
}))
"""

_GENERATE = """
import json, resource, sys, time
from helpers.sample_data import adoption
folder, scale, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
clock = time.perf_counter()
truth = adoption.generate(folder, scale=scale, seed=seed)
seconds = time.perf_counter() - clock
with open(f"{folder}/adoption_truth.json", "w") as out:
    json.dump(truth, out, default=str)
print(json.dumps({"seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _run(script: str, *args: object) -> dict:
    done = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=40)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", type=Path, help="reuse a folder generated before (with adoption_truth.json)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_adoption_") as tmp:
        folder = args.data or Path(tmp)
        if not (folder / "adoption_truth.json").is_file():
            figures = _run(_GENERATE, folder, args.scale, args.seed)
            print(f"generate_seconds: {figures['seconds']:.1f} s")
            print(f"generate_peak_rss: {figures['peak_rss_mb']:.0f} MB")
        truth = json.loads((folder / "adoption_truth.json").read_text())
        size = sum(f.stat().st_size for f in folder.glob("*.*") if f.suffix in (".csv", ".parquet"))
        print(f"usage_rows: {truth['usage_rows']:,} rows")
        print(f"input_size: {size / 1e6:.0f} MB")
        figures = _run(_ANALYSE, folder)
        print(f"adoption_load_seconds: {figures['load_seconds']:.1f} s (open and validate the three inputs)")
        print(f"adoption_analyse_seconds: {figures['analyse_seconds']:.1f} s (count, survival, results)")
        print(f"adoption_seconds: {figures['total_seconds']:.1f} s")
        print(f"adoption_peak_rss: {figures['peak_rss_mb']:.0f} MB ({figures['import_rss_mb']:.0f} MB after imports)")
        print(f"rows_in_pandas: {figures['rows_in_pandas']:,} rows")
        if figures["never_used"] != truth["never_used"]:
            print(f"never-used features {figures['never_used']} differ from the planted {truth['never_used']}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
