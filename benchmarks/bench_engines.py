"""The engines side by side: the usage audit on DuckDB and on PySpark, NPS from CSV and from PostgreSQL.

Usage: ``python benchmarks/bench_engines.py [--scale N] [--seed S] [--data DIR] [--skip-postgres]``.

- The configuration-data usage audit on the ``--scale 100`` CMDB sample (generated into a
  temporary folder, or reused from ``--data``), once with ``engine: duckdb`` and once with
  ``engine: pyspark`` (the session the kit starts, local on two cores), each in a fresh
  process. On one machine Spark is slower; the point is that it runs and gives the same figures.
- The NPS analysis on the sample responses and tickets from the CSV files and from a
  PostgreSQL server started for the benchmark (Debian's ``postgresql``, as the tests start it).

Prints lines ``name: value unit`` (the format ``benchmarks/run.py`` collects) and exits 1 if
an engine's results differ from DuckDB's (floats within 1e-9 relative).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from shared import differences

ROOT = Path(__file__).resolve().parents[1]

# Runs in a fresh process: load, analyse and results of one analysis on one engine.
_ANALYSIS = """
import json, resource, sys, time
clock = time.perf_counter()
import importlib
name, engine, values = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
analysis = importlib.import_module(f"helpers.{name}")
from helpers.report.results import to_jsonable
con = None
if engine == "pyspark":
    # The session the kit starts (its shuffle settings included), on two local cores (PYSPARK_SUBMIT_ARGS).
    from helpers.inputs import loading
    con = loading.connect_engine("pyspark")
started = time.perf_counter()
params = analysis.Parameters.validate_values(values | {"engine": engine})
data = analysis.load_inputs(params, con=con)
loaded = time.perf_counter()
results = to_jsonable(analysis.results(analysis.analyse(data, params)))
done = time.perf_counter()
print(json.dumps({
    "startup_seconds": started - clock,
    "load_seconds": loaded - started,
    "analyse_seconds": done - loaded,
    "seconds": done - started,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "results": results,
}))
"""


#: Local Spark on two cores, configured as a user would (the kit's session settings apply).
_SPARK_ENV = {"PYSPARK_SUBMIT_ARGS": "--master local[2] --conf spark.ui.enabled=false pyspark-shell"}


def _run(name: str, engine: str, values: dict, env: dict | None = None) -> dict:
    if engine == "pyspark":
        env = (env or dict(os.environ)) | _SPARK_ENV
    done = subprocess.run(
        [sys.executable, "-c", _ANALYSIS, name, engine, json.dumps(values)],
        capture_output=True, text=True, cwd=ROOT, env=env,
    )
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])




def _report(label: str, figures: dict) -> None:
    print(
        f"{label}_seconds: {figures['seconds']:.1f} s (load {figures['load_seconds']:.1f} s, "
        f"analyse {figures['analyse_seconds']:.1f} s; start-up {figures['startup_seconds']:.1f} s)"
    )
    print(f"{label}_peak_rss: {figures['peak_rss_mb']:.0f} MB (the Python process; Spark's JVM not counted)")


def _audit(scale: int, seed: int, data: Path | None) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="bench_engines_") as tmp:
        folder = data or Path(tmp)
        if not (folder / "cmdb_truth.json").is_file():
            subprocess.run(
                [sys.executable, "-c",
                 "import json, sys; from helpers.sample_data import cmdb; "
                 "json.dump(cmdb.generate(sys.argv[1], scale=int(sys.argv[2]), seed=int(sys.argv[3])), "
                 "open(sys.argv[1] + '/cmdb_truth.json', 'w'))",
                 str(folder), str(scale), str(seed)],
                check=True, cwd=ROOT,
            )
        truth = json.loads((folder / "cmdb_truth.json").read_text())
        print(f"audit_access_log_rows: {truth['access_log_rows']:,} rows (scale {truth['scale']})")
        values = {
            "inventory_path": str(folder / truth["files"]["inventory"]),
            "access_log_path": str(folder / "access_log.parquet"),
            "cost_path": str(folder / "collection_cost.csv"),
        }
        duckdb = _run("config_usage_audit", "duckdb", values)
        _report("audit_duckdb", duckdb)
        spark = _run("config_usage_audit", "pyspark", values)
        _report("audit_pyspark", spark)
    # The one intended difference: the engine parameter itself, which results.json echoes.
    spark["results"].get("parameters", {}).pop("engine", None)
    duckdb["results"].get("parameters", {}).pop("engine", None)
    found = differences(duckdb["results"], spark["results"])
    print(f"audit_same_results: {'yes' if not found else 'NO: ' + found[0]}")
    return found


def _nps_from_postgres() -> list[str]:
    if not shutil.which("runuser") or not list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")):
        print("nps_postgres: skipped (no PostgreSQL server binaries; make engines installs Debian's postgresql)")
        return []
    sys.path.insert(0, str(ROOT / "tests" / "engines"))
    from engines_support import load_tables, running_postgres

    from helpers.inputs import loading

    values = {"events": [{"date": "2025-02-03", "label": "New support desk live"}]}
    from_csv = _run("nps_trends", "duckdb", values)
    _report("nps_csv", from_csv)
    with running_postgres() as server:
        frames = {kind: loading.load_input(ROOT / "data" / "sample" / f"{kind}.csv", kind) for kind in ("responses", "tickets")}
        load_tables(server, frames)
        env = os.environ | {"PGPASSWORD": server.password}
        tables = values | {"responses_path": server.url("responses"), "tickets_path": server.url("tickets")}
        from_postgres = _run("nps_trends", "duckdb", tables, env=env)
        _report("nps_postgres", from_postgres)
    found = differences(from_csv["results"], from_postgres["results"])
    print(f"nps_same_results: {'yes' if not found else 'NO: ' + found[0]}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", type=Path, help="reuse a CMDB folder generated before (with cmdb_truth.json)")
    parser.add_argument("--skip-postgres", action="store_true", help="only the audit on DuckDB and PySpark")
    args = parser.parse_args()
    if shutil.which("java") is None:
        print("skipped: no Java runtime for Spark (make engines installs Debian's default-jre-headless)")
        return 0
    found = _audit(args.scale, args.seed, args.data)
    if not args.skip_postgres:
        found += _nps_from_postgres()
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
