"""Every analysis on a real standalone Spark cluster: a master and a worker as two daemons, named only by spark-defaults.conf.

The configuration is what a new user writes (the master's URL, an event log), with no
``spark.cores.max``: an application takes every core of the worker, so a second application in
the same run (the runner's own, before the kernel's) would wait for executors that never come.
Each run must therefore be one application, finish, run its tasks on the worker's executors
(the event log says where each task ran) and give the results DuckDB gives. Local input files
reach the cluster staged as Parquet (``ITVALUE_SPARK_STAGING``), read by the executors, not
shipped through the driver as a ``LocalTableScan``.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from engines_support import assert_same_results
from spark_daemons import needs_spark, standalone_cluster

from helpers.analysis import registry
from helpers.paths import PARAMS_DIR, PROJECT_ROOT
from helpers.report.results import to_jsonable

# One worker for the engine tests; these start notebooks on real kernels.
pytestmark = [pytest.mark.xdist_group("engines"), pytest.mark.notebook]

#: Run one at a time; service outcomes runs with --all (its two sets), which covers --engine with --all.
SINGLE = sorted(name for name in registry.analyses()
                if (PARAMS_DIR / name / "default.yml").exists() and name != "service_outcomes")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    needs_spark()
    with standalone_cluster(tmp_path_factory.mktemp("cluster")) as running:
        yield running


def _on_duckdb(name: str, param_set: str) -> dict:
    analysis = importlib.import_module(f"helpers.{name}")
    values = yaml.safe_load((PROJECT_ROOT / "params" / name / f"{param_set}.yml").read_text()) or {}
    params = analysis.Parameters.validate_values(values)
    result = analysis.analyse(analysis.load_inputs(params), params)
    return json.loads(json.dumps(to_jsonable(analysis.results(result)), allow_nan=False))


def _run(cluster, tmp_path: Path, *arguments: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """``itvalue run ... --engine pyspark`` with the cluster's SPARK_CONF_DIR; the applications it started."""
    before = {app["id"] for app in cluster.applications()}
    env = {k: v for k, v in os.environ.items() if k not in ("SPARK_REMOTE", "PYSPARK_SUBMIT_ARGS")} | {
        "SPARK_CONF_DIR": str(cluster.conf_dir),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "ITVALUE_SPARK_STAGING": str(tmp_path / "staging"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "helpers.running.cli", "run", *arguments, "--engine", "pyspark",
         "--out", str(tmp_path / "reports"), "--quiet", "--timeout", "900"],
        capture_output=True, text=True, timeout=1800, cwd=PROJECT_ROOT, env=env,
    )
    started = sorted(app["id"] for app in cluster.applications() if app["id"] not in before)
    return done, started


def _assert_ran_on_the_worker(cluster, app_id: str, staging: Path) -> None:
    events = cluster.events(app_id)
    added = [e for e in events if e["Event"] == "SparkListenerExecutorAdded"]
    assert added, "no executor was added: the application never got the worker's cores"
    tasks = [e["Task Info"]["Executor ID"] for e in events if e["Event"] == "SparkListenerTaskEnd"]
    assert tasks and all(executor != "driver" for executor in tasks), "tasks ran outside the worker's executors"
    plans = [e.get("physicalPlanDescription", "") for e in events
             if e["Event"].endswith("SparkListenerSQLExecutionStart")]
    assert any(str(staging) in plan for plan in plans), "the staged Parquet copy was not what Spark read"
    assert not any("LocalTableScan" in plan for plan in plans), "rows went through the driver (LocalTableScan)"


@pytest.mark.parametrize("name", SINGLE)
def test_each_analysis_on_a_standalone_cluster_gives_duckdbs_results(cluster, tmp_path, name):
    done, started = _run(cluster, tmp_path, name)
    assert done.returncode == 0, done.stderr[-3000:]
    # One application per run (the kernel's): none for the runner's checks, which would hold every core.
    assert len(started) == 1, started
    _assert_ran_on_the_worker(cluster, started[0], tmp_path / "staging")
    on_spark = json.loads((tmp_path / "reports" / name / "default" / "results.json").read_text())
    assert_same_results(_on_duckdb(name, "default"), on_spark)


def test_engine_with_all_runs_every_set_on_the_cluster(cluster, tmp_path):
    sets = sorted(path.stem for path in (PARAMS_DIR / "service_outcomes").glob("*.yml"))
    done, started = _run(cluster, tmp_path, "service_outcomes", "--all")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert len(started) == len(sets), started
    for param_set in sets:
        run = json.loads((tmp_path / "reports" / "service_outcomes" / param_set / "run.json").read_text())
        assert run["parameters"]["engine"] == "pyspark"
        on_spark = json.loads((tmp_path / "reports" / "service_outcomes" / param_set / "results.json").read_text())
        assert_same_results(_on_duckdb("service_outcomes", param_set), on_spark)
