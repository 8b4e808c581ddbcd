"""Spark Connect, as most managed clusters are reached: a server started by the test, found through SPARK_REMOTE.

The server is the installed PySpark's own (``spark-submit --class ...SparkConnectServer`` with the
spark-connect jar PySpark 4 ships), in local mode. Every analysis's default set gives DuckDB's
results through it, a notebook run with ``SPARK_REMOTE`` set works as installed by
``itvalue[spark]``, and a wrong ``SPARK_REMOTE`` is one sentence, exit 2, in seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from engines_support import assert_same_results, free_port
from spark_daemons import connect_server, needs_spark

from helpers.analysis import registry
from helpers.paths import PARAMS_DIR, PROJECT_ROOT

# One worker for the engine tests: the Connect server is started once for this module.
pytestmark = pytest.mark.xdist_group("engines")

DEFAULT_SETS = sorted(name for name in registry.analyses() if (PARAMS_DIR / name / "default.yml").exists())

# Each analysis's default set, on DuckDB and on the Connect server, in one process (one Connect session).
_BOTH = """
import importlib, json, sys, yaml
from helpers.inputs import loading
from helpers.paths import PROJECT_ROOT
from helpers.report.results import to_jsonable

con = loading.connect_engine("pyspark")
assert type(con._session).__module__.startswith("pyspark.sql.connect"), type(con._session)
both = {}
for name in sys.argv[1:]:
    analysis = importlib.import_module(f"helpers.{name}")
    values = yaml.safe_load((PROJECT_ROOT / "params" / name / "default.yml").read_text()) or {}
    params = analysis.Parameters.validate_values(values)
    figures = []
    for engine in (None, con):
        result = analysis.analyse(analysis.load_inputs(params, con=engine), params)
        figures.append(json.loads(json.dumps(to_jsonable(analysis.results(result)), allow_nan=False)))
    both[name] = figures
print(json.dumps(both))
"""


def _env(**values: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("SPARK_REMOTE", "PYSPARK_SUBMIT_ARGS")} | values


@pytest.fixture(scope="module")
def connect(tmp_path_factory):
    needs_spark()
    pytest.importorskip("grpc", reason="Spark Connect's client is not installed: pip install -e '.[spark]'")
    with connect_server(tmp_path_factory.mktemp("connect")) as url:
        yield url


def test_every_analysis_on_spark_connect_gives_duckdbs_results(connect, tmp_path):
    done = subprocess.run([sys.executable, "-c", _BOTH, *DEFAULT_SETS], capture_output=True, text=True, timeout=1800,
                          cwd=PROJECT_ROOT, env=_env(SPARK_REMOTE=connect, ITVALUE_SPARK_STAGING=str(tmp_path / "staging")))
    assert done.returncode == 0, done.stderr[-3000:]
    both = json.loads(done.stdout.splitlines()[-1])
    assert sorted(both) == DEFAULT_SETS
    for name, (on_duckdb, on_connect) in both.items():
        assert on_duckdb, f"{name}: the analysis returned results"
        assert_same_results(on_duckdb, on_connect, f"{name}.results")


@pytest.mark.notebook
def test_itvalue_run_with_spark_remote_runs_the_notebook_on_the_connect_server(connect, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "helpers.running.cli", "run", "feature_adoption", "--engine", "pyspark",
         "--out", str(tmp_path / "reports"), "--quiet", "--timeout", "900"],
        capture_output=True, text=True, timeout=1200, cwd=PROJECT_ROOT,
        env=_env(SPARK_REMOTE=connect, ITVALUE_SPARK_STAGING=str(tmp_path / "staging")),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    set_dir = tmp_path / "reports" / "feature_adoption" / "default"
    assert json.loads((set_dir / "run.json").read_text())["parameters"]["engine"] == "pyspark"
    assert (set_dir / "results.json").is_file()


@pytest.mark.parametrize(("remote", "sentence"), [
    ("sc://127.0.0.1:{port}", "SPARK_REMOTE (sc://127.0.0.1:{port}): no Spark Connect server reached at 127.0.0.1:{port} "
                              "(connection refused)."),
    ("http://127.0.0.1:{port}", "SPARK_REMOTE (http://127.0.0.1:{port}) is not a Spark Connect URL such as "
                                "sc://spark.example.com:15002."),
])
def test_a_wrong_spark_remote_is_one_sentence_before_any_kernel(tmp_path, remote, sentence):
    needs_spark()
    pytest.importorskip("grpc", reason="Spark Connect's client is not installed: pip install -e '.[spark]'")
    port = free_port()  # nothing listens there
    clock = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "helpers.running.cli", "run", "nps_trends", "--engine", "pyspark",
         "--out", str(tmp_path / "reports"), "--quiet"],
        capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT, env=_env(SPARK_REMOTE=remote.format(port=port)),
    )
    assert done.returncode == 2, done.stderr[-3000:]
    assert done.stderr.strip() == "itvalue: " + sentence.format(port=port)
    assert time.monotonic() - clock < 60
    assert not (tmp_path / "reports").exists()


def test_a_connect_server_gone_is_one_sentence_in_the_kernel_too(tmp_path):
    # The server stopped between the runner's check and the notebook's session: connect_engine says so at once.
    needs_spark()
    pytest.importorskip("grpc", reason="Spark Connect's client is not installed: pip install -e '.[spark]'")
    port = free_port()
    code = (
        "from helpers.exceptions import ParameterError\nfrom helpers.inputs import loading\n"
        "try:\n    loading.connect_engine('pyspark')\nexcept ParameterError as exc:\n    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          env=_env(SPARK_REMOTE=f"sc://127.0.0.1:{port}"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout == (
        f"SPARK_REMOTE (sc://127.0.0.1:{port}): no Spark Connect server reached at 127.0.0.1:{port} (connection refused).\n"
    )
