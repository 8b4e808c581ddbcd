"""Each analysis on PySpark (local mode) gives the results it gives on DuckDB; Spark inputs are checked in Spark."""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from engines_support import assert_same_results, spark_backend  # noqa: F401 - the 'spark' fixture

from helpers.analysis import registry
from helpers.exceptions import InputDataError
from helpers.inputs import loading
from helpers.paths import PARAMS_DIR, PROJECT_ROOT
from helpers.report.results import to_jsonable
from helpers.running import cli

# One worker for the engine tests: one Spark session, one server.
pytestmark = pytest.mark.xdist_group("engines")

# Every registered analysis's default set, and the sets that take another path through an engine: 15-minute
# buckets (downtime's spring_campaign) and an XES event log (service outcomes' weekly_event_log).
OTHER_PATHS = {("downtime_sales", "spring_campaign"), ("service_outcomes", "weekly_event_log")}
PARAM_SETS = sorted({(name, "default") for name in registry.analyses() if (PARAMS_DIR / name / "default.yml").exists()}
                    | OTHER_PATHS)


def _results(name: str, param_set: str, con=None) -> dict:
    analysis = importlib.import_module(f"helpers.{name}")
    values = yaml.safe_load((PROJECT_ROOT / "params" / name / f"{param_set}.yml").read_text()) or {}
    params = analysis.Parameters.validate_values(values)
    result = analysis.analyse(analysis.load_inputs(params, con=con), params)
    # through JSON, as the notebook hands them to results.json
    return json.loads(json.dumps(to_jsonable(analysis.results(result)), allow_nan=False))


@pytest.mark.parametrize(("name", "param_set"), PARAM_SETS, ids=[f"{n}-{p}" for n, p in PARAM_SETS])
def test_same_results_on_duckdb_and_spark(spark, name, param_set):
    on_duckdb = _results(name, param_set)
    on_spark = _results(name, param_set, con=spark)
    assert on_duckdb, "the analysis returned results"
    assert_same_results(on_duckdb, on_spark)


def test_a_bad_row_in_a_spark_table_is_named_by_its_key(spark):
    responses = loading.load_input("data/sample/responses.csv", "responses")
    bad = responses.head(50).copy()
    bad.loc[bad["response_id"] == "R00000007", "score"] = -1
    bad.loc[bad["response_id"] == "R00000009", "response_id"] = "R00000008"
    spark._session.createDataFrame(bad.astype({"timestamp": "datetime64[us]"})).createOrReplaceTempView("responses_bad")
    with pytest.raises(InputDataError) as error:
        loading.open_input("spark:responses_bad", "responses", con=spark)
    assert str(error.value).splitlines() == [
        "responses_bad: column 'score' must be an integer from 0 to 10; 1 row breaks this (response_id 'R00000007': -1).",
        "responses_bad: column 'response_id' must be unique; 1 row repeats an earlier value "
        "(response_id 'R00000008' appears 2 times).",
    ]


def test_a_spark_source_on_duckdb_says_which_engine_it_needs():
    with pytest.raises(InputDataError, match=r"^spark:sales_db\.orders: Spark tables .* need engine 'pyspark'\.$"):
        loading.open_input("spark:sales_db.orders", "sales", con=loading.connect())


def test_engine_pyspark_without_pyspark_stops_before_any_kernel(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if it were not installed
    status = cli.main(["run", "nps_trends", "--engine", "pyspark", "--out", str(tmp_path / "reports"), "--quiet"])
    assert status == 2
    assert capsys.readouterr().err.strip() == (
        "itvalue: Parameter 'engine' is 'pyspark' but PySpark is not installed; install it with "
        "pip install 'itvalue[spark]' (Spark also needs Java 17 or later)."
    )
    assert not (tmp_path / "reports").exists()


@pytest.mark.parametrize("java_home", ["/nonexistent", "empty"])
def test_a_java_home_without_java_is_one_sentence_before_any_kernel(tmp_path, capsys, monkeypatch, java_home):
    # Spark's launcher prefers JAVA_HOME's java to the one on PATH: a wrong one killed the gateway in the kernel.
    pytest.importorskip("pyspark", reason="PySpark is not installed: pip install -e '.[spark]'")
    if java_home == "empty":
        java_home = str(tmp_path / "jdk")
        (tmp_path / "jdk" / "bin").mkdir(parents=True)
    monkeypatch.setenv("JAVA_HOME", java_home)
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    status = cli.main(["run", "nps_trends", "--engine", "pyspark", "--out", str(tmp_path / "reports"), "--quiet"])
    assert status == 2
    assert capsys.readouterr().err.strip() == (
        f"itvalue: Parameter 'engine' is 'pyspark' but JAVA_HOME ({java_home}) holds no Java runtime (no bin/java "
        "there); set JAVA_HOME to a Java 17 or later installation, or unset it to use the java on PATH."
    )
    assert not (tmp_path / "reports").exists()


def test_a_java_that_does_not_start_is_one_sentence_in_the_kernel_too(tmp_path):
    # JAVA_HOME holds a java that exits at once (a broken or wrong install): the session the notebook opens
    # says so in the kit's sentence, not as PySpark's JAVA_GATEWAY_EXITED traceback.
    pytest.importorskip("pyspark", reason="PySpark is not installed: pip install -e '.[spark]'")
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text("#!/bin/sh\necho 'Error: could not create the Java Virtual Machine.' >&2\nexit 1\n")
    java.chmod(0o755)
    code = (
        "from helpers.exceptions import ParameterError\nfrom helpers.inputs import loading\n"
        "try:\n    loading.connect_engine('pyspark')\nexcept ParameterError as exc:\n    print(exc)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("SPARK_REMOTE", "PYSPARK_SUBMIT_ARGS")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env=env | {"JAVA_HOME": str(tmp_path / "jdk")})
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout == (
        f"Parameter 'engine' is 'pyspark' but Spark's Java process did not start with JAVA_HOME ({tmp_path / 'jdk'}); "
        "set JAVA_HOME to a Java 17 or later installation (or unset it to use the java on PATH).\n"
    )


_UNREACHABLE_SOURCE = """
import socket, sys, time
from helpers.exceptions import InputDataError
from helpers.inputs import loading

with socket.socket() as probe:  # a port nothing listens on
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
con = loading.connect_engine("pyspark")
# a job of a few seconds: long enough for Spark's console progress bar to show if it is on
con._session.sparkContext.parallelize(range(4), 2).map(lambda x: time.sleep(1.5) or x).count()
try:
    loading.open_input(f"hdfs://127.0.0.1:{port}/responses.csv", "responses", con=con)
except InputDataError as exc:
    print(exc)
"""


def test_a_spark_source_that_fails_says_why_and_spark_stays_off_the_console(tmp_path):
    # Spark said "An error occurred while calling o30.csv" for a refused connection, and printed its progress
    # bars and a WARN line with a 118-frame Java stack trace to the terminal of whoever started the session.
    pytest.importorskip("pyspark", reason="PySpark is not installed: pip install -e '.[spark]'")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("no Java runtime for Spark: `make test` installs Debian's default-jre-headless")
    env = os.environ | {
        "PYSPARK_SUBMIT_ARGS": "--master local[2] --conf spark.ui.enabled=false "
                               "--conf spark.hadoop.ipc.client.connect.max.retries=0 pyspark-shell",
    }
    done = subprocess.run([sys.executable, "-c", _UNREACHABLE_SOURCE], capture_output=True, text=True, timeout=600,
                          cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.fullmatch(r"hdfs://127\.0\.0\.1:\d+/responses\.csv could not be read: Connection refused\.\n", done.stdout)
    assert "[Stage " not in done.stderr, "Spark's progress bar reached the console"
    assert not re.search(r"^\s+at ", done.stderr, re.MULTILINE), "a Java stack trace reached the console"
    assert " WARN FileStreamSink" not in done.stderr


def test_files_spark_reads_itself_are_typed_and_checked_in_spark(spark, tmp_path):
    # What an s3a:// or hdfs:// CSV gets: read by Spark as text, typed and checked as Ibis expressions.
    from helpers.analysis.registry import get_schema
    from helpers.inputs.sources import Source
    from helpers.inputs.tables import open_engine_input

    csv = (PROJECT_ROOT / "data" / "sample" / "responses.csv").read_text().splitlines()
    good = tmp_path / "responses.csv"
    good.write_text("\n".join(csv[:201]) + "\n")
    remote = Source("s3a://lake/responses.csv", (), None, location=str(good))
    on_spark = open_engine_input(remote, get_schema("responses"), con=spark, timezone="UTC")
    local = loading.load_input(good, "responses")
    figures = on_spark.aggregate(n=on_spark.count(), score=on_spark.score.sum(), last=on_spark.timestamp.max()).to_pyarrow().to_pylist()[0]
    assert (figures["n"], figures["score"]) == (len(local), int(local["score"].sum()))
    assert figures["last"].replace(tzinfo=None) == local["timestamp"].max().to_pydatetime()

    header, first = csv[0].split(","), csv[1].split(",")
    first[header.index("score")] = "ten"
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([csv[0], ",".join(first), *csv[2:20]]) + "\n")
    with pytest.raises(InputDataError) as error:
        open_engine_input(Source("s3a://lake/bad.csv", (), None, location=str(bad)), get_schema("responses"), con=spark, timezone="UTC")
    assert str(error.value) == (
        f"s3a://lake/bad.csv: column 'score' must be an integer from 0 to 10; 1 row breaks this ({header[0]} '{first[0]}': 'ten')."
    )


@pytest.mark.notebook
def test_itvalue_run_engine_pyspark_runs_the_notebook_in_spark(tmp_path):
    # The whole path a user takes: --engine sets the notebook's parameter, the kernel opens a Spark
    # session as Spark's own configuration says (here PYSPARK_SUBMIT_ARGS: local, two cores).
    pytest.importorskip("pyspark", reason="PySpark is not installed: pip install -e '.[spark]'")
    env = os.environ | {
        "PYSPARK_SUBMIT_ARGS": "--master local[2] --conf spark.sql.shuffle.partitions=2 --conf spark.ui.enabled=false pyspark-shell"
    }
    done = subprocess.run(
        [sys.executable, "-m", "helpers.running.cli", "run", "nps_trends", "-f", "params/nps_trends/default.yml",
         "--engine", "pyspark", "--out", str(tmp_path), "--quiet"],
        capture_output=True, text=True, timeout=900, cwd=PROJECT_ROOT, env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    set_dir = tmp_path / "nps_trends" / "default"
    run = json.loads((set_dir / "run.json").read_text())
    assert run["parameters"]["engine"] == "pyspark" and "pyspark" in run["packages"]
    on_spark = json.loads((set_dir / "results.json").read_text())
    on_duckdb = _results("nps_trends", "default")
    on_duckdb.get("parameters", {}).pop("engine", None)
    on_spark.get("parameters", {}).pop("engine", None)
    assert_same_results(on_duckdb, on_spark)


def test_engine_combines_with_all_and_reaches_every_set(tmp_path, monkeypatch):
    # --all refused --engine; now each set runs with the engine given (the whole path: tests/engines/test_spark_cluster.py).
    from helpers.running import batch, runner

    seen = []

    def run_notebook(notebook, *, params_file, overrides=None, **_):
        seen.append((notebook.name, os.path.basename(params_file), overrides))
        raise InputDataError("stop here")

    monkeypatch.setattr(runner, "run_notebook", run_notebook)
    jobs = []
    monkeypatch.setattr(batch, "run_jobs", lambda given, **_: jobs.extend(given) or [])
    assert cli.main(["run", "nps_trends", "--all", "--engine", "pyspark", "--out", str(tmp_path), "--quiet"]) == 0
    assert {(job.notebook, job.engine) for job in jobs} == {("nps_trends", "pyspark")}
    assert len(jobs) == len(list((PARAMS_DIR / "nps_trends").glob("*.yml")))
    status, message, _ = batch._run_one(jobs[0], str(tmp_path), False, None, warm_next=False)
    assert (status, message) == (2, "stop here")
    assert seen == [("nps_trends", os.path.basename(jobs[0].params_file), {"engine": "pyspark"})]


_HIVE_TABLE = """
import sys
import pandas as pd
from pyspark.sql import SparkSession

session = SparkSession.builder.enableHiveSupport().getOrCreate()
responses = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
responses.loc[responses["response_id"] == "R00000042", "score"] = "11"
session.sql("CREATE DATABASE IF NOT EXISTS sales_db")
session.createDataFrame(responses).write.saveAsTable("sales_db.responses")
session.stop()
"""


@pytest.mark.notebook
def test_a_bad_row_in_a_derby_catalog_table_is_one_sentence(tmp_path):
    # Spark's embedded Hive catalog (Derby) admits one driver at a time: with a second application in the run
    # (the runner's check beside the kernel's), the kernel found "no table (tables found: none)".
    pytest.importorskip("pyspark", reason="PySpark is not installed: pip install -e '.[spark]'")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("no Java runtime for Spark: `make test` installs Debian's default-jre-headless")
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "spark-defaults.conf").write_text(
        "spark.master local[2]\nspark.ui.enabled false\nspark.sql.catalogImplementation hive\n"
        f"spark.sql.warehouse.dir {tmp_path / 'warehouse'}\n"
        f"spark.driver.extraJavaOptions -Dderby.system.home={tmp_path / 'derby'}\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("SPARK_REMOTE", "PYSPARK_SUBMIT_ARGS")} | {
        "SPARK_CONF_DIR": str(conf), "SPARK_LOCAL_IP": "127.0.0.1",
    }
    made = subprocess.run([sys.executable, "-c", _HIVE_TABLE, str(PROJECT_ROOT / "data" / "sample" / "responses.csv")],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path, env=env)
    assert made.returncode == 0, made.stderr[-3000:]
    done = subprocess.run(
        [sys.executable, "-m", "helpers.running.cli", "run", "nps_trends", "--engine", "pyspark",
         "-p", "responses_path=spark:sales_db.responses", "--out", str(tmp_path / "reports"), "--quiet", "--timeout", "900"],
        capture_output=True, text=True, timeout=1200, cwd=PROJECT_ROOT, env=env,
    )
    assert done.returncode == 2, done.stderr[-3000:]
    assert done.stderr.strip().splitlines() == [
        "itvalue: sales_db.responses: column 'score' must be an integer from 0 to 10; 1 row breaks this "
        "(response_id 'R00000042': 11)."
    ]


@pytest.mark.parametrize(("configured", "partitions"), [("", "8"), ("--conf spark.sql.shuffle.partitions=3 ", "3")])
def test_a_session_the_kit_starts_shuffles_into_few_partitions_unless_configured(tmp_path, configured, partitions):
    # Spark's 200 shuffle partitions made the usage audit about 5x slower on local Spark (127 s against 27 s).
    pytest.importorskip("pyspark", reason="PySpark is not installed: pip install -e '.[spark]'")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("no Java runtime for Spark: `make test` installs Debian's default-jre-headless")
    code = (
        "from helpers.inputs import loading\ncon = loading.connect_engine('pyspark')\n"
        "print(con._session.conf.get('spark.sql.shuffle.partitions'), con._session.conf.get('spark.sql.adaptive.enabled'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "SPARK_REMOTE"} | {
        "PYSPARK_SUBMIT_ARGS": f"--master local[2] --conf spark.ui.enabled=false {configured}pyspark-shell",
    }
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == [partitions, "true"]


def test_the_runners_checks_never_start_spark(tmp_path):
    # One Spark application per run, the kernel's: a session opened for the runner's checks took every core of a
    # standalone cluster and the kernel's application then waited for executors forever.
    pytest.importorskip("pyspark", reason="PySpark is not installed: pip install -e '.[spark]'")
    code = (
        "import sys\nfrom helpers.running.catalog import find_notebook\nfrom helpers.running.runner import prepare_run\n"
        "prepared = prepare_run(find_notebook('nps_trends'), params_file='params/nps_trends/default.yml',\n"
        "                       overrides={'engine': 'pyspark', 'responses_path': 'spark:sales_db.responses'})\n"
        "print(prepared.values['engine'], [m for m in sys.modules if m.split('.')[0] in ('pyspark', 'py4j')])\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("SPARK_REMOTE", "PYSPARK_SUBMIT_ARGS")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout == "pyspark []\n"
