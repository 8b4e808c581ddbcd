"""Scheduled runs that never fail for the kit's own reasons, and that say what to do when they do fail.

Kernels here are real, started from kernel specs this module writes: one that takes seconds to start (as
any kernel does on a busy machine), one that dies at start with a message, one whose first start fails.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from conftest import FIXTURE_NOTEBOOKS

from helpers.running import kernels

CHART = FIXTURE_NOTEBOOKS / "chart.ipynb"

pytestmark = pytest.mark.notebook


def _kernel_spec(root: Path, name: str, prelude: str) -> None:
    """A kernel spec ``name`` under ``root`` that runs ``prelude`` before starting ipykernel."""
    code = prelude + "\nfrom ipykernel import kernelapp\nkernelapp.launch_new_instance()\n"
    folder = root / "kernels" / name
    folder.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-c", code, "-f", "{connection_file}"], "display_name": name, "language": "python"}
    (folder / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")


@pytest.fixture
def kernel_specs(tmp_path, monkeypatch):
    """Kernel specs for slow, dead and flaky kernels, on JUPYTER_PATH (here and in the runner's subprocesses)."""
    root = tmp_path / "jupyter"
    _kernel_spec(root, "slow-start", "import time\ntime.sleep(4)")
    _kernel_spec(root, "dies-at-start", "import sys\nsys.stderr.write('libexample.so.3: cannot open shared object file\\n')\nsys.exit(3)")
    flag = tmp_path / "first-start-done"
    _kernel_spec(
        root, "fails-once",
        f"import pathlib, sys\nflag = pathlib.Path({str(flag)!r})\nif not flag.exists():\n    flag.touch()\n"
        "    sys.stderr.write('first start fails\\n')\n    sys.exit(1)",
    )
    monkeypatch.setenv("JUPYTER_PATH", os.pathsep.join(filter(None, [str(root), os.environ.get("JUPYTER_PATH")])))
    return root


def test_a_kernel_that_takes_seconds_to_start_is_waited_for(itvalue, tmp_path, kernel_specs):
    """On a loaded machine a kernel can take seconds before its first heartbeat; the run waits for its reply.

    Before: the warm-up judged the kernel by a heartbeat client's first second, and killed it
    ("RuntimeError: Kernel died before replying to kernel_info").
    """
    done = itvalue("run", CHART, "--out", tmp_path / "out", "--quiet", "--kernel", "slow-start")
    assert done.returncode == 0, done.stderr
    assert "Kernel died" not in done.stderr


def test_a_kernel_that_dies_at_start_is_reported_with_its_last_words_and_kept(itvalue, tmp_path, kernel_specs):
    out = tmp_path / "out"
    done = itvalue("run", CHART, "--out", out, "--quiet", "--kernel", "dies-at-start")
    assert done.returncode == 1
    assert "The Jupyter kernel did not start" in done.stderr
    assert "exit status 3" in done.stderr and "libexample.so.3: cannot open shared object file" in done.stderr
    assert "Run it again: itvalue run" in done.stderr and "--kernel dies-at-start" in done.stderr
    (run_dir,) = (out / "chart" / "custom" / "history").iterdir()
    record = json.loads((run_dir / "run.json").read_text())
    assert record["status"] == "failed" and record["error"]["cause"] == "kernel-start"
    assert "libexample.so.3" in (run_dir / "kernel.log").read_text()
    summary = json.loads((out / "index.json").read_text())
    (entry,) = summary["sets"]
    assert entry["cause"] == "kernel-start" and "jupyter kernelspec list" in entry["sentence"]
    assert entry["failed_report"] == f"chart/custom/history/{run_dir.name}/report.html"
    assert "--kernel dies-at-start" in entry["rerun"]
    index = (out / "index.html").read_text()
    assert f"chart/custom/history/{run_dir.name}/report.html" in index, "a set that never succeeded links its failed report"


def test_a_spare_kernel_that_failed_to_start_is_replaced(fixture_env, kernel_specs):
    from helpers.running.kernels import prepare, take

    prepare("fails-once", str(FIXTURE_NOTEBOOKS), imports=())
    kernel = take("fails-once", str(FIXTURE_NOTEBOOKS))
    try:
        assert kernel.is_alive()
    finally:
        kernel.shutdown()


def test_a_kernel_killed_during_the_run_says_so(tmp_path, fixture_env):
    from helpers.running.catalog import find_notebook
    from helpers.running.runner import run_notebook

    notebook = tmp_path / "suicide.ipynb"
    nb = json.loads(CHART.read_text())
    nb["cells"].insert(3, {
        "cell_type": "code", "execution_count": None, "id": "kill", "metadata": {}, "outputs": [],
        "source": "import os, signal, sys\nsys.stderr.write('about to be killed\\n')\nsys.stderr.flush()\n"
                  "os.kill(os.getpid(), signal.SIGKILL)",
    })
    notebook.write_text(json.dumps(nb), encoding="utf-8")
    outcome = run_notebook(find_notebook(str(notebook)), out_dir=tmp_path / "out", quiet=True)
    record = json.loads((outcome.run_dir / "run.json").read_text())
    assert outcome.status == "failed" and record["error"]["cause"] == "kernel-died"
    assert "out of memory" in record["error"]["advice"]


def test_kernel_log_quotes_the_last_lines(tmp_path):
    log = tmp_path / "kernel.log"
    log.write_text("\n".join(f"line {n}" for n in range(20)) + "\n\n")
    assert kernels.last_lines(log, 3) == "line 17 | line 18 | line 19"
    assert kernels.last_lines(tmp_path / "missing.log") == ""


# --- the same figures however a run is started -------------------------------------------------------

@pytest.fixture(scope="module")
def one_set_project(tmp_path_factory):
    """A project made by ``itvalue init`` holding one parameter set: the downtime analysis's default."""
    import subprocess

    root = tmp_path_factory.mktemp("project") / "demo"
    subprocess.run([sys.executable, "-m", "helpers.running.cli", "init", str(root)], check=True, capture_output=True)
    for params in (root / "params").glob("*/*.yml"):
        if params.parent.name != "downtime_sales" or params.stem != "default":
            params.unlink()
    return root


def test_one_set_gives_byte_identical_results_under_j1_j2_and_plain_papermill(one_set_project, tmp_path):
    """Pool (one BLAS thread per kernel), single run (one per core) and plain papermill with two BLAS threads."""
    import subprocess

    import papermill

    from helpers.running.files import write_json
    from helpers.running.runner import extract_results

    itvalue = [sys.executable, "-m", "helpers.running.cli"]
    results = {}
    for jobs in ("1", "2"):
        out = tmp_path / f"j{jobs}"
        done = subprocess.run([*itvalue, "run", "--all", "-j", jobs, "--out", str(out), "--quiet"],
                              cwd=one_set_project, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
        results[f"-j {jobs}"] = (out / "downtime_sales" / "default" / "results.json").read_bytes()
    executed = tmp_path / "papermill.ipynb"
    environment = dict(os.environ, OPENBLAS_NUM_THREADS="2")
    previous = os.environ.copy()
    os.environ.update(environment)
    try:
        nb = papermill.execute_notebook(
            str(one_set_project / "notebooks" / "downtime_sales.ipynb"), str(executed), kernel_name="python3",
            cwd=str(one_set_project / "notebooks"), progress_bar=False,
            parameters=_yaml(one_set_project / "params" / "downtime_sales" / "default.yml"),
        )
    finally:
        os.environ.clear()
        os.environ.update(previous)
    write_json(tmp_path / "papermill-results.json", extract_results(nb))
    results["papermill"] = (tmp_path / "papermill-results.json").read_bytes()
    assert results["-j 1"] == results["-j 2"] == results["papermill"]


def _yaml(path: Path) -> dict:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_analyses_compute_with_one_blas_thread_whatever_the_environment():
    from threadpoolctl import threadpool_info

    from helpers.analysis.reproducible import one_blas_thread

    seen = one_blas_thread(lambda: [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"])()
    assert seen and set(seen) == {1}


# --- failures that say what to do, the default set, retention ----------------------------------------

def test_run_with_nothing_else_publishes_the_default_set(itvalue, one_set_project, tmp_path):
    done = itvalue("run", "downtime_sales", "--out", tmp_path / "out", "--quiet", cwd=one_set_project)
    assert done.returncode == 0, done.stderr
    assert [p.name for p in (tmp_path / "out" / "downtime_sales").iterdir()] == ["default"]
    record = json.loads((tmp_path / "out" / "downtime_sales" / "default" / "run.json").read_text())
    assert record["params_file"].endswith("params/downtime_sales/default.yml")


def test_all_refused_sets_reach_the_index_with_their_sentence_until_they_run(itvalue, tmp_path):
    project = tmp_path / "p"
    (project / "notebooks").mkdir(parents=True)
    (project / "params" / "chart").mkdir(parents=True)
    (project / "notebooks" / "chart.ipynb").write_text(CHART.read_text(), encoding="utf-8")
    params = project / "params" / "chart" / "weekly.yml"
    params.write_text("points: 1\n", encoding="utf-8")
    done = itvalue("run", "--all", "--quiet", cwd=project)
    assert done.returncode == 2
    summary = json.loads((project / "reports" / "index.json").read_text())
    (entry,) = summary["sets"]
    assert entry["status"] == "bad-input" and entry["cause"] == "bad-input"
    assert "Parameter 'points' must be an integer >= 2" in entry["sentence"]
    assert entry["rerun"] == "itvalue run chart -f params/chart/weekly.yml"
    assert "Parameter &#x27;points&#x27;" in (project / "reports" / "index.html").read_text()
    assert not (project / "reports" / "chart").exists(), "a refused set writes nothing into its folder"
    params.write_text("points: 5\n", encoding="utf-8")
    assert itvalue("run", "--all", "--quiet", cwd=project).returncode == 0
    (entry,) = json.loads((project / "reports" / "index.json").read_text())["sets"]
    assert entry["status"] == "ok" and entry["sentence"] is None


def test_quiet_all_prints_one_line_per_set_and_a_summary(itvalue, tmp_path):
    project = tmp_path / "p"
    (project / "notebooks").mkdir(parents=True)
    (project / "params" / "chart").mkdir(parents=True)
    (project / "notebooks" / "chart.ipynb").write_text(CHART.read_text(), encoding="utf-8")
    (project / "params" / "chart" / "a.yml").write_text("points: 3\n", encoding="utf-8")
    (project / "params" / "chart" / "b.yml").write_text("fail: true\n", encoding="utf-8")
    done = itvalue("run", "--all", "--quiet", "-j", "2", cwd=project)
    assert done.returncode == 1
    lines = [line.partition(" ")[2] for line in done.stdout.splitlines()]
    assert len(lines) == 4 and lines[0].startswith("Running 2 parameter sets")
    assert not any("started" in line for line in lines)
    failed = next(line for line in lines if "FAILED chart/b" in line)
    assert "A step of the analysis raised an error (cell" in failed
    assert "Run it again: itvalue run chart -f params/chart/b.yml" in failed
    assert lines[-1].startswith("2 runs in ") and "1 ok, 1 failed, 0 bad input" in lines[-1]


def test_keep_prunes_history_to_the_newest_runs_and_the_last_good_one(itvalue, tmp_path):
    out = tmp_path / "out"
    for args in (["-p", "points=3"], ["-p", "fail=true"], ["-p", "fail=true"], ["-p", "fail=true"]):
        itvalue("run", CHART, "--name", "s", "--out", out, "--quiet", "--keep", "2", *args)
    history = out / "chart" / "s" / "history"
    runs = [json.loads((run / "run.json").read_text()) for run in history.iterdir()]
    assert sorted(r["status"] for r in runs) == ["failed", "failed", "ok"], "newest two, and the last good run"
    assert json.loads((out / "chart" / "s" / "run.json").read_text())["status"] == "ok"
    assert not [p for p in history.iterdir() if p.name.startswith(".")]
    assert "history (3)" in (out / "index.html").read_text()


def test_keep_comes_from_the_project_settings(itvalue, tmp_path):
    project = tmp_path / "p"
    (project / "notebooks").mkdir(parents=True)
    (project / "params" / "chart").mkdir(parents=True)
    (project / "notebooks" / "chart.ipynb").write_text(CHART.read_text(), encoding="utf-8")
    (project / "itvalue.toml").write_text("[run]\nkeep = 1\n", encoding="utf-8")
    for _ in range(3):
        assert itvalue("run", "chart", "-p", "points=3", "--quiet", cwd=project).returncode == 0
    assert len(list((project / "reports" / "chart" / "custom" / "history").iterdir())) == 1
    (project / "itvalue.toml").write_text("[run]\nkeep = 0\n", encoding="utf-8")
    bad = itvalue("run", "chart", "--quiet", cwd=project)
    assert bad.returncode == 2 and "keep must be a whole number of runs, at least 1" in bad.stderr


def test_prune_never_removes_the_run_latest_names(tmp_path):
    from helpers.running import publishing

    set_dir = tmp_path / "set"
    for sequence, status in enumerate(["ok", "failed", "ok", "failed", "failed"], start=1):
        run = set_dir / "history" / f"run{sequence}"
        run.mkdir(parents=True)
        for name in publishing.RUN_FILES:
            (run / name).write_text("{}")
        (run / "run.json").write_text(json.dumps({"sequence": sequence, "status": status}))
    publishing.publish(set_dir / "history" / "run1", set_dir)  # latest names an older good run (a rollback)
    removed = publishing.prune(set_dir, 1)
    assert sorted(p.name for p in (set_dir / "history").iterdir()) == ["run1", "run3", "run5"]
    assert sorted(removed) == ["run2", "run4"]
    assert publishing.latest_run(set_dir) == (set_dir / "history" / "run1").resolve()


def test_failure_sentences_name_cause_advice_and_rerun():
    from helpers.running.failures import explain, rerun_command

    command = rerun_command("nps_trends", params_file="params/nps_trends/weekly.yml", overrides={"segments": ["region", "tier"]})
    assert command == "itvalue run nps_trends -f params/nps_trends/weekly.yml -p 'segments=[region, tier]'"
    timeout = {"where": "the run was stopped", "error": "it took longer than 60 s (--timeout) and was stopped", "cause": "timeout"}
    assert explain(timeout, rerun=command) == (
        "The run took longer than its time limit: it took longer than 60 s (--timeout) and was stopped. What to do: give "
        "it more time with --timeout SECONDS, or a smaller window of data. Run it again: " + command
    )
    old = {"where": "cell 3 of 9 raised an error", "error": "ValueError: no sales"}  # a record from before causes
    assert explain(old).startswith("A step of the analysis raised an error (cell 3 of 9): ValueError: no sales.")


def test_cron_and_airflow_examples_in_the_readme_work_as_written(tmp_path, smtp_sink):
    """The README's scheduling examples, run from a project made by ``itvalue init`` (paths substituted)."""
    import re
    import subprocess

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    (cron,) = re.findall(r"```cron\n(.*?)\n```", readme, re.DOTALL)
    (airflow,) = re.findall(r'bash_command=\(\s*"(.*?)"\s*"(.*?)"\s*\)', readme, re.DOTALL)
    project, venv_bin = tmp_path / "project", Path(sys.executable).parent
    subprocess.run([str(venv_bin / "itvalue"), "init", str(project)], check=True, capture_output=True)
    for params in (project / "params").glob("*/*.yml"):  # the line as written, on a smaller project
        if params.parent.name not in ("nps_trends", "downtime_sales") or params.stem not in ("default", "last_30_days"):
            params.unlink()
    log = tmp_path / "itvalue.log"

    def as_here(command: str) -> str:
        return (command.replace("/srv/itvalue-project", str(project)).replace("/opt/itvalue/bin/", f"{venv_bin}/")
                .replace("/var/log/itvalue.log", str(log)))

    schedule, command = cron.split(None, 5)[:5], cron.split(None, 5)[5]
    assert schedule == ["0", "6", "*", "*", "1"]
    environment = {**os.environ, "ITVALUE_SMTP_HOST": "127.0.0.1", "ITVALUE_SMTP_PORT": str(smtp_sink.port)}
    done = subprocess.run(["sh", "-c", as_here(command)], env=environment, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, log.read_text()
    lines = log.read_text().splitlines()
    assert lines and all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d ", line) for line in lines)
    assert (project / "reports" / "index.html").is_file()
    done = subprocess.run(["sh", "-c", as_here("".join(airflow))], env=environment, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    assert (project / "reports" / "downtime_sales" / "last_30_days" / "report.html").is_file()


# --- notifications ---------------------------------------------------------------------------------

def test_notifications_on_failure_and_on_recovery_by_webhook_and_mail(itvalue, tmp_path, webhook, smtp_sink, monkeypatch):
    monkeypatch.setenv("ITVALUE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ITVALUE_SMTP_PORT", str(smtp_sink.port))
    out = tmp_path / "out"
    targets = ["--notify", webhook.url, "--notify", "mailto:ops@example.com,cio@example.com"]
    base = ["run", CHART, "--name", "weekly", "--out", out, "--quiet", *targets]
    assert itvalue(*base, "-p", "points=3").returncode == 0
    assert webhook.received == [] and smtp_sink.messages == [], "a good run after nothing is no news"
    assert itvalue(*base, "-p", "fail=true").returncode == 1
    (event,) = webhook.received
    assert event["set"] == "chart/weekly" and event["status"] == "failed" and event["cause"] == "cell"
    assert event["text"].startswith("itvalue: chart/weekly failed. A step of the analysis raised an error")
    assert event["content"] == event["text"] and event["report"].endswith("report.html")
    assert "-p fail=true" in event["rerun"]
    (mail,) = smtp_sink.messages
    assert mail["To"] == "ops@example.com, cio@example.com" and mail["Subject"] == "itvalue: chart/weekly failed"
    assert "Run it again: itvalue run" in mail.get_content()
    assert itvalue(*base, "-p", "points=4").returncode == 0
    assert [e["status"] for e in webhook.received] == ["failed", "recovered"]
    assert itvalue(*base, "-p", "points=5").returncode == 0
    assert len(webhook.received) == 2 and len(smtp_sink.messages) == 2


def test_a_notification_that_cannot_be_sent_never_fails_the_run(itvalue, tmp_path):
    from conftest import free_port

    done = itvalue("run", CHART, "--out", tmp_path, "--quiet", "-p", "fail=true", "--notify",
                   f"http://127.0.0.1:{free_port()}/hook/SECRET")
    assert done.returncode == 1, "the run's own status"
    assert "itvalue: could not notify http://127.0.0.1/… of chart/custom" in done.stderr
    assert "SECRET" not in done.stderr, "a webhook's path is its secret"


@pytest.mark.parametrize(
    "target, message",
    [
        ("ftp://example.com", "--notify takes a webhook address (https://...) or mailto:address; got 'ftp://example.com'."),
        ("mailto:ops@example.com", "--notify mailto:ops@example.com sends e-mail, but ITVALUE_SMTP_HOST names no mail server"),
    ],
)
def test_unusable_notification_targets_are_refused_before_the_run(itvalue, tmp_path, monkeypatch, target, message):
    monkeypatch.delenv("ITVALUE_SMTP_HOST", raising=False)
    done = itvalue("run", CHART, "--out", tmp_path / "out", "--notify", target)
    assert done.returncode == 2 and message in done.stderr
    assert not (tmp_path / "out").exists()
