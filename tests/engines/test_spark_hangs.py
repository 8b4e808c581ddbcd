"""Spark that would wait until --timeout is one sentence, exit 2, within a bounded time.

Executors larger than any worker: a standalone cluster (two daemons) whose worker has 512 MB and one
core, asked for 2 GB executors or 4-core executors, starts none ("Initial job has not accepted any
resources", for ever); the session the kit starts says so after ``ITVALUE_SPARK_EXECUTOR_WAIT``
seconds, naming what was asked and what the worker has. A Spark Connect server killed in the middle
of a run: the client's retries are bounded by ``ITVALUE_SPARK_CONNECT_WAIT`` and end in one sentence.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from spark_daemons import connect_server_process, needs_spark, standalone_cluster

from helpers.paths import PROJECT_ROOT

pytestmark = pytest.mark.xdist_group("engines")

_CONNECT = (
    "from helpers.exceptions import ParameterError\nfrom helpers.inputs import loading\n"
    "try:\n    loading.connect_engine('pyspark')\nexcept ParameterError as exc:\n    print(exc)\n"
)


@pytest.fixture(scope="module")
def small_cluster(tmp_path_factory):
    needs_spark()
    with standalone_cluster(tmp_path_factory.mktemp("small"), cores=1, memory="512m") as running:
        yield running


def _conf(cluster, folder: Path, **settings: str) -> Path:
    """The cluster's spark-defaults.conf with ``settings`` added (and the master's UI port, so the kit can ask it)."""
    conf = folder / "conf"
    shutil.copytree(cluster.conf_dir, conf)
    lines = {"spark.master.ui.port": str(urlsplit(cluster.ui).port), **settings}
    with (conf / "spark-defaults.conf").open("a") as out:
        out.writelines(f"{key} {value}\n" for key, value in lines.items())
    return conf


def _sentence(cluster, asked: str) -> str:
    return (
        f"Spark's cluster ({cluster.master}) started no executor for this run within 10 s: each executor asks for "
        f"{asked}, while the largest worker has 512 MB and 1 core (512 MB and 1 core free); ask for less in "
        "spark-defaults.conf, or free the workers' cores (ITVALUE_SPARK_EXECUTOR_WAIT sets the wait in seconds)."
    )


def _env(**values: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("SPARK_REMOTE", "PYSPARK_SUBMIT_ARGS", "SPARK_CONF_DIR")} | {
        "SPARK_LOCAL_IP": "127.0.0.1", **values}


@pytest.mark.parametrize(("setting", "value", "asked"), [
    ("spark.executor.memory", "2g", "2g of memory (spark.executor.memory) and 1 core or more"),
    ("spark.executor.cores", "4", "1g of memory (spark.executor.memory) and 4 cores (spark.executor.cores)"),
    ("dynamic", "2g", "2g of memory (spark.executor.memory) and 1 core or more"),
])
def test_executors_larger_than_any_worker_are_one_sentence_in_bounded_time(small_cluster, tmp_path, setting, value, asked):
    # "dynamic": dynamic allocation from zero executors, which asks for one only when a job has tasks.
    settings = {setting: value} if setting != "dynamic" else {
        "spark.executor.memory": value, "spark.dynamicAllocation.enabled": "true",
        "spark.dynamicAllocation.shuffleTracking.enabled": "true"}
    conf = _conf(small_cluster, tmp_path, **settings)
    clock = time.monotonic()
    done = subprocess.run([sys.executable, "-c", _CONNECT], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env=_env(SPARK_CONF_DIR=str(conf), ITVALUE_SPARK_EXECUTOR_WAIT="10"))
    took = time.monotonic() - clock
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout == _sentence(small_cluster, asked) + "\n"
    assert took < 120, took
    # The session was stopped: the master holds no application of this run any more.
    assert not small_cluster.status().get("activeapps"), small_cluster.status()["activeapps"]


@pytest.mark.notebook
def test_itvalue_run_with_executors_larger_than_any_worker_ends_with_exit_2(small_cluster, tmp_path):
    conf = _conf(small_cluster, tmp_path, **{"spark.executor.memory": "2g"})
    clock = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "helpers.running.cli", "run", "nps_trends", "--engine", "pyspark",
         "--out", str(tmp_path / "reports"), "--quiet", "--timeout", "900"],
        capture_output=True, text=True, timeout=600, cwd=PROJECT_ROOT,
        env=_env(SPARK_CONF_DIR=str(conf), ITVALUE_SPARK_EXECUTOR_WAIT="10",
                 ITVALUE_SPARK_STAGING=str(tmp_path / "staging")),
    )
    took = time.monotonic() - clock
    assert done.returncode == 2, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stderr.strip() == "itvalue: " + _sentence(small_cluster, "2g of memory (spark.executor.memory) and 1 core or more")
    assert took < 300, took


# A session on the Connect server, then a query long enough to be running when the server is killed.
_LONG_QUERY = """
import sys, time
from helpers.exceptions import ParameterError
from helpers.inputs import loading
session = loading.connect_engine("pyspark")._session
print(session.range(10).count(), flush=True)
try:
    session.range(0, 10**12, 1, 2).selectExpr("sum(id % 7)").collect()
except ParameterError as exc:
    print(exc, flush=True)
    print(time.monotonic(), flush=True)
"""


def test_a_connect_server_killed_mid_run_is_one_sentence_in_bounded_time(tmp_path):
    needs_spark()
    pytest.importorskip("grpc", reason="Spark Connect's client is not installed: pip install -e '.[spark]'")
    with connect_server_process(tmp_path / "connect") as (url, server):
        client = subprocess.Popen([sys.executable, "-c", _LONG_QUERY], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, cwd=tmp_path, env=_env(SPARK_REMOTE=url, ITVALUE_SPARK_CONNECT_WAIT="10"))
        try:
            assert client.stdout.readline() == "10\n", client.stderr.read()[-3000:] if client.poll() is not None else ""
            time.sleep(3)  # the long query is running on the server
            os.killpg(server.pid, signal.SIGKILL)
            killed = time.monotonic()
            out, err = client.communicate(timeout=240)
        finally:
            if client.poll() is None:
                client.kill()
                client.wait()
    assert client.returncode == 0, err[-3000:]
    sentence, ended = out.splitlines()
    assert sentence == (
        f"The Spark Connect server at {url} (SPARK_REMOTE) stopped answering: no answer for 10 s "
        "(ITVALUE_SPARK_CONNECT_WAIT sets the wait in seconds)."
    )
    assert float(ended) - killed < 60, float(ended) - killed


@pytest.mark.notebook
def test_itvalue_run_whose_connect_server_is_killed_ends_with_exit_2(tmp_path):
    needs_spark()
    pytest.importorskip("grpc", reason="Spark Connect's client is not installed: pip install -e '.[spark]'")
    log = tmp_path / "connect" / "connect.log"
    with connect_server_process(tmp_path / "connect") as (url, server):
        run = subprocess.Popen(
            [sys.executable, "-m", "helpers.running.cli", "run", "feature_adoption", "--engine", "pyspark",
             "--out", str(tmp_path / "reports"), "--quiet", "--timeout", "900"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=PROJECT_ROOT,
            env=_env(SPARK_REMOTE=url, ITVALUE_SPARK_CONNECT_WAIT="10", ITVALUE_SPARK_STAGING=str(tmp_path / "staging")),
        )
        try:
            deadline = time.monotonic() + 300
            while "ExecuteHolder" not in log.read_text(errors="replace"):  # the kernel's session runs its first query
                assert run.poll() is None and time.monotonic() < deadline, run.communicate()[1][-3000:]
                time.sleep(0.2)
            os.killpg(server.pid, signal.SIGKILL)
            killed = time.monotonic()
            out, err = run.communicate(timeout=600)
            took = time.monotonic() - killed
        finally:
            if run.poll() is None:
                run.kill()
                run.wait()
    assert run.returncode == 2, out[-3000:] + err[-3000:]
    assert err.strip() == (
        f"itvalue: The Spark Connect server at {url} (SPARK_REMOTE) stopped answering: no answer for 10 s "
        "(ITVALUE_SPARK_CONNECT_WAIT sets the wait in seconds)."
    )
    assert took < 90, took


@pytest.mark.parametrize("variable", ["ITVALUE_SPARK_EXECUTOR_WAIT", "ITVALUE_SPARK_CONNECT_WAIT"])
def test_a_bad_wait_is_one_sentence_before_any_kernel(tmp_path, variable):
    pytest.importorskip("pyspark", reason="PySpark is not installed: pip install -e '.[spark]'")
    done = subprocess.run(
        [sys.executable, "-m", "helpers.running.cli", "run", "nps_trends", "--engine", "pyspark",
         "--out", str(tmp_path / "reports"), "--quiet"],
        capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT, env=_env(**{variable: "soon"}),
    )
    assert done.returncode == 2, done.stderr[-3000:]
    assert done.stderr.strip() == f"itvalue: {variable} (soon) must be a number of seconds greater than 0."
    assert not (tmp_path / "reports").exists()


def test_dynamic_allocation_from_zero_gets_its_first_executor(small_cluster, tmp_path):
    conf = _conf(small_cluster, tmp_path, **{"spark.executor.memory": "480m", "spark.dynamicAllocation.enabled": "true",
                                             "spark.dynamicAllocation.shuffleTracking.enabled": "true"})
    code = ("from helpers.inputs import loading\nsession = loading.connect_engine('pyspark')._session\n"
            "print(session.range(100).selectExpr('sum(id)').collect()[0][0])\nsession.stop()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env=_env(SPARK_CONF_DIR=str(conf), ITVALUE_SPARK_EXECUTOR_WAIT="60"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout == "4950\n"
