"""Shared by the engine tests: real engines (one local Spark session, one PostgreSQL server per test session),
the comparison of results and the test server's secrets.

Spark runs in local mode on two cores with two shuffle partitions (the defaults of 200
partitions make small data slow). PostgreSQL is Debian's server started with ``initdb`` and
``pg_ctl`` in a temporary directory, listening on 127.0.0.1 on a free port, with a password
login (scram-sha-256), and stopped afterwards. ``make test`` installs both (``default-jre-headless``,
``postgresql``); without them the tests that need them skip and say why. Each fixture is
imported by the one test module that uses it (a conftest.py here would shadow ``tests/conftest.py``).
"""

from __future__ import annotations

import contextlib
import glob
import math
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_USER = "itvalue"
PG_PASSWORD = "s3cret-Pw-42"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assert_same_results(expected, actual, path="results"):
    """Equal JSON results, floats within 1e-9 relative (the parameters, which name the sources, aside)."""
    if path == "results" and isinstance(expected, dict) and isinstance(actual, dict):
        expected, actual = ({k: v for k, v in r.items() if k != "parameters"} for r in (expected, actual))
    if isinstance(expected, float) or isinstance(actual, float):
        assert expected is not None and actual is not None, f"{path}: {expected!r} != {actual!r}"
        if math.isnan(expected):
            assert math.isnan(actual), path
        else:
            assert math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-12), f"{path}: {expected!r} != {actual!r}"
    elif isinstance(expected, dict):
        assert isinstance(actual, dict) and expected.keys() == actual.keys(), f"{path}: keys differ"
        for key in expected:
            assert_same_results(expected[key], actual[key], f"{path}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(expected) == len(actual), f"{path}: lengths differ"
        for n, (a, b) in enumerate(zip(expected, actual)):
            assert_same_results(a, b, f"{path}[{n}]")
    else:
        assert expected == actual, f"{path}: {expected!r} != {actual!r}"



@pytest.fixture(scope="session", name="spark")
def spark_backend():
    """An Ibis PySpark backend on a local two-core session (shared by every test of the session)."""
    pytest.importorskip("pyspark", reason="PySpark is not installed: pip install -e '.[spark]'")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("no Java runtime for Spark: `make test` installs Debian's default-jre-headless")
    import ibis
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("itvalue-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield ibis.pyspark.connect(session)
    session.stop()


@dataclass(frozen=True)
class Postgres:
    host: str
    port: int
    user: str
    password: str

    def url(self, table: str, *, database: str = "postgres", port: int | None = None) -> str:
        return f"postgres://{self.user}@{self.host}:{port or self.port}/{database}?table={table}"


@pytest.fixture(scope="session", name="postgres")
def postgres_server():
    """A PostgreSQL server of Debian's ``postgresql`` package, on 127.0.0.1, for this test session."""
    if not glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"):
        pytest.skip("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin): `make test` installs Debian's postgresql")
    pytest.importorskip("psycopg", reason="the Ibis postgres backend is not installed: pip install -e '.[postgres]'")
    # The password reaches every connection (the runner's checks, kernels) as users give it: by the environment,
    # set once for the session, so no module's fixture can take it away from another's tests.
    with running_postgres() as server, _environment(PGPASSWORD=server.password):
        yield server


@contextlib.contextmanager
def _environment(**values: str):
    before = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def running_postgres():
    """Start a throw-away PostgreSQL server (initdb + pg_ctl in a temporary folder); stop and remove it after."""
    bin_dir = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="itvalue-pg-"))
    as_owner: list[str] = []
    if os.geteuid() == 0:
        # initdb refuses to run as root: the server runs as Debian's postgres user.
        shutil.chown(root, "postgres", "postgres")
        as_owner = ["runuser", "-u", "postgres", "--"]
    data = root / "data"
    password_file = root / "password"
    password_file.write_text(PG_PASSWORD)
    if as_owner:
        shutil.chown(password_file, "postgres", "postgres")
    port = free_port()
    run = {"check": True, "capture_output": True, "text": True, "timeout": 120}
    try:
        subprocess.run(
            [*as_owner, str(bin_dir / "initdb"), "-D", str(data), "-U", PG_USER, "--auth=scram-sha-256",
             f"--pwfile={password_file}", "--encoding=UTF8", "--locale=C"],
            **run,
        )
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [*as_owner, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"], **run
        )
        try:
            yield Postgres("127.0.0.1", port, PG_USER, PG_PASSWORD)
        finally:
            subprocess.run([*as_owner, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], **run)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def load_tables(server: Postgres, frames) -> None:
    """Tables of the validated frames, typed as a ticketing system would type them, filled with COPY."""
    import pandas as pd
    import psycopg

    def pg_type(dtype):
        kind = pd.api.types
        if kind.is_bool_dtype(dtype):
            return "boolean"
        if kind.is_integer_dtype(dtype):
            return "bigint"
        if kind.is_float_dtype(dtype):
            return "double precision"
        if kind.is_datetime64_any_dtype(dtype):
            return "timestamp"
        return "text"

    with psycopg.connect(host=server.host, port=server.port, user=server.user, password=server.password, dbname="postgres") as db:
        for name, frame in frames.items():
            columns = ", ".join(f'"{c}" {pg_type(frame[c].dtype)}' for c in frame.columns)
            db.execute(f'DROP TABLE IF EXISTS "{name}"')
            db.execute(f'CREATE TABLE "{name}" ({columns})')
            with db.cursor().copy(f'COPY "{name}" FROM STDIN') as copy:
                for row in frame.astype(object).itertuples(index=False):
                    copy.write_row([None if pd.isna(v) else v for v in row])
