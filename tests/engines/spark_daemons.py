"""Spark daemons the engine tests start from the installed PySpark: a standalone cluster, a Spark Connect server.

Each runs as its own process, started as an administrator would (``spark-class`` for a master and a
worker, ``spark-submit`` for the Connect server), with every log, work and warehouse folder under the
test's temporary folder, and is stopped (its process group) when the test is done.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from engines_support import free_port

__all__ = ["Cluster", "standalone_cluster", "connect_server", "connect_server_process", "spark_home", "needs_spark"]


def spark_home() -> Path:
    """The installed PySpark's own Spark distribution (bin/, jars/)."""
    import pyspark

    return Path(pyspark.__file__).parent


def needs_spark() -> None:
    """Skip, saying why, when PySpark or Java is missing."""
    pytest.importorskip("pyspark", reason="PySpark is not installed: pip install -e '.[spark]'")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("no Java runtime for Spark: `make test` installs Debian's default-jre-headless")


def _daemon_env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SPARK_REMOTE", "PYSPARK_SUBMIT_ARGS", "SPARK_CONF_DIR")}
    return env | {
        "SPARK_HOME": str(spark_home()),
        "SPARK_LOG_DIR": str(folder / "logs"),
        "SPARK_LOCAL_DIRS": str(folder / "local"),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_WORKER_DIR": str(folder / "work"),
        # Derby's log and metastore, if anything opens a catalog, land here and not in the repository.
        "SPARK_DAEMON_JAVA_OPTS": f"-Dderby.system.home={folder / 'derby'}",
    }


def _start(command: list[str], folder: Path, name: str) -> subprocess.Popen:
    log = (folder / f"{name}.log").open("wb")
    return subprocess.Popen(command, cwd=folder, env=_daemon_env(folder), stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def _stop(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the daemon stopped: {log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.5)
    raise RuntimeError(f"nothing listened on port {port} after {seconds:g} s: {log.read_text(errors='replace')[-3000:]}")


@dataclass
class Cluster:
    """A running standalone cluster: its master URL, the master's web UI and the SPARK_CONF_DIR naming it."""

    master: str
    ui: str
    conf_dir: Path
    event_log: Path

    def status(self) -> dict:
        """The master's own account of its workers and applications (its JSON UI)."""
        with urllib.request.urlopen(f"{self.ui}/json/", timeout=10) as answer:
            return json.load(answer)

    def applications(self) -> list[dict]:
        """Every application the master has seen, running or finished."""
        status = self.status()
        return status.get("activeapps", []) + status.get("completedapps", [])

    def events(self, app_id: str) -> list[dict]:
        """An application's event log (Spark's listener events, one JSON object a line)."""
        (log,) = [path for path in self.event_log.iterdir() if path.name.startswith(app_id)]
        return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def _alive_workers(cluster: Cluster) -> list[dict]:
    """The workers the master counts as alive; none while its web UI is still starting.

    Jetty listens before the master attaches its ``/json/`` page, which answers 404 until then (seen on a
    loaded machine), so an error here means "not yet", not a failure.
    """
    try:
        status = cluster.status()
    except (urllib.error.URLError, ConnectionError):
        return []
    return [w for w in status.get("workers", []) if w.get("state") == "ALIVE"]


@contextlib.contextmanager
def standalone_cluster(folder: Path, *, cores: int = 2, memory: str = "1g") -> Iterator[Cluster]:
    """A master and one worker as two daemons, and a ``spark-defaults.conf`` naming the master, nothing more.

    No ``spark.cores.max``: an application takes every core the worker has, as on a default cluster.
    """
    folder.mkdir(parents=True, exist_ok=True)
    spark_class = str(spark_home() / "bin" / "spark-class")
    port, ui_port, worker_ui = free_port(), free_port(), free_port()
    master_url = f"spark://127.0.0.1:{port}"
    master = _start([spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
                     "--webui-port", str(ui_port)], folder, "master")
    worker = None
    try:
        _wait_for_port(port, master, folder / "master.log")
        _wait_for_port(ui_port, master, folder / "master.log")
        worker = _start([spark_class, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", str(cores),
                         "--memory", memory, "--webui-port", str(worker_ui), "--work-dir", str(folder / "work"), master_url],
                        folder, "worker")
        cluster = Cluster(master_url, f"http://127.0.0.1:{ui_port}", folder / "conf", folder / "events")
        deadline = time.monotonic() + 120
        while not _alive_workers(cluster):
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not register: {(folder / 'worker.log').read_text()[-3000:]}")
            time.sleep(0.5)
        cluster.conf_dir.mkdir()
        cluster.event_log.mkdir()
        (cluster.conf_dir / "spark-defaults.conf").write_text(
            f"spark.master                     {master_url}\n"
            "spark.eventLog.enabled           true\n"
            "spark.eventLog.compress          false\n"
            "spark.eventLog.rolling.enabled   false\n"
            f"spark.eventLog.dir               file://{cluster.event_log}\n"
            f"spark.sql.warehouse.dir          {folder / 'warehouse'}\n"
            f"spark.driver.extraJavaOptions    -Dderby.system.home={folder / 'derby'}\n"
            "spark.ui.enabled                 false\n"
        )
        yield cluster
    finally:
        if worker is not None:
            _stop(worker)
        _stop(master)


@contextlib.contextmanager
def connect_server(folder: Path) -> Iterator[str]:
    """A Spark Connect server (local mode, two cores) started with spark-submit; yields its ``sc://`` URL."""
    with connect_server_process(folder) as (url, _):
        yield url


@contextlib.contextmanager
def connect_server_process(folder: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """:func:`connect_server`, with the server's process too (a test that kills it); yields ``(url, process)``."""
    folder.mkdir(parents=True, exist_ok=True)
    jars = list((spark_home() / "jars").glob("spark-connect_*.jar"))
    if not jars:
        pytest.skip("the installed PySpark ships no spark-connect jar: no Connect server to start")
    port = free_port()
    server = _start([str(spark_home() / "bin" / "spark-submit"), "--master", "local[2]",
                     "--class", "org.apache.spark.sql.connect.service.SparkConnectServer",
                     "--conf", f"spark.connect.grpc.binding.port={port}",
                     "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
                     "--conf", "spark.ui.enabled=false",
                     "--conf", "spark.sql.shuffle.partitions=2",
                     "--conf", f"spark.sql.warehouse.dir={folder / 'warehouse'}",
                     "--conf", f"spark.driver.extraJavaOptions=-Dderby.system.home={folder / 'derby'}",
                     str(jars[0])], folder, "connect")
    try:
        _wait_for_port(port, server, folder / "connect.log", seconds=180)
        yield f"sc://127.0.0.1:{port}", server
    finally:
        _stop(server)
