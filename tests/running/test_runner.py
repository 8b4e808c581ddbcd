"""The runner, end to end on fixture notebooks and a real kernel: errors, exit codes, outputs, history, index."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import FIXTURE_NOTEBOOKS

CHART = FIXTURE_NOTEBOOKS / "chart.ipynb"
BROKEN = FIXTURE_NOTEBOOKS / "broken.ipynb"
UNTYPED = FIXTURE_NOTEBOOKS / "untyped.ipynb"

pytestmark = pytest.mark.notebook


# --- bad parameters: one sentence, exit 2, nothing written -----------------------------------

@pytest.mark.parametrize(
    "args, message",
    [
        (["-p", "pionts=3"], "itvalue: Unknown parameter 'pionts'; did you mean 'points'?"),
        (["-p", "points=abc"], "itvalue: Parameter 'points' must be an integer >= 2; got 'abc'."),
        (["-p", "shape=pie"], "itvalue: Parameter 'shape' must be one of 'line', 'bar'; got 'pie'."),
        (["-p", "campaigns_path=nowhere.csv"], "itvalue: Parameter 'campaigns_path': input file not found: nowhere.csv."),
        (["-f", "no-such-params.yml"], "itvalue: Parameter file not found: no-such-params.yml."),
    ],
)
def test_bad_parameters_stop_before_any_kernel(itvalue, tmp_path, args, message):
    done = itvalue("run", CHART, "--out", tmp_path / "out", *args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == message
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists(), "a rejected run must write nothing"


def test_untyped_notebook_checks_types_from_its_defaults(itvalue, tmp_path):
    done = itvalue("run", UNTYPED, "--out", tmp_path, "-p", "count=x")
    assert done.returncode == 2
    assert done.stderr.strip() == "itvalue: Parameter 'count' must be of type int; got 'x'."


def test_bad_input_data_is_exit_2_with_the_data_message(itvalue, tmp_path):
    bad = tmp_path / "campaigns.csv"
    bad.write_text("campaign_id,name,start,end\nc1,Spring,2025-03-10,2025-03-01\n", encoding="utf-8")
    done = itvalue("run", CHART, "--out", tmp_path / "out", "-p", f"campaigns_path={bad}")
    assert done.returncode == 2
    assert done.stderr.startswith("itvalue: campaigns.csv:")
    assert "end" in done.stderr and "start" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_unknown_notebook_suggests_the_closest(itvalue):
    done = itvalue("describe", "nps_trend")
    assert done.returncode == 2
    assert "did you mean 'nps_trends'?" in done.stderr


# --- a good run --------------------------------------------------------------------------------

def test_run_writes_report_notebook_results_and_run_record(itvalue, tmp_path):
    params = tmp_path / "weekly.yml"
    params.write_text("points: 12\nshape: bar\nlabels: [north, '<b>south</b>']\n", encoding="utf-8")
    done = itvalue("run", CHART, "-f", params, "--out", tmp_path / "out", "--quiet")
    assert done.returncode == 0, done.stderr
    set_dir = tmp_path / "out" / "chart" / "weekly"
    for name in ("report.html", "notebook.ipynb", "results.json", "run.json", "history.html"):
        assert (set_dir / name).is_file(), name

    results = json.loads((set_dir / "results.json").read_text())
    assert results["points"] == 12
    run = json.loads((set_dir / "run.json").read_text())
    assert run["status"] == "ok"
    assert run["parameters"]["shape"] == "bar" and run["parameters"]["points"] == 12
    assert run["duration_seconds"] > 0 and run["started"] < run["finished"]
    assert run["kit_version"] and "pandas" in run["packages"]

    html = (set_dir / "report.html").read_text()
    assert "Run parameters" in html
    assert "&lt;b&gt;south&lt;/b&gt;" in html and "<b>south</b>" not in html
    assert "def " not in html and "import " not in html, "code is hidden by default"
    assert "injected-parameters" not in html
    assert "<script src" not in html, "nothing is fetched from a CDN"
    assert "results published" not in html

    index = (tmp_path / "out" / "index.html").read_text()
    assert "chart/weekly/report.html" in index and "points: 12" in index


def test_show_code_keeps_code(itvalue, tmp_path):
    done = itvalue("run", CHART, "--out", tmp_path, "--show-code", "--quiet")
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "chart" / "custom" / "report.html").read_text()
    assert "FixtureParameters" in html


def test_run_records_input_fingerprints(itvalue, tmp_path):
    campaigns = tmp_path / "campaigns.csv"
    campaigns.write_text("campaign_id,name,start,end\nc1,Spring,2025-03-01,2025-03-10\n", encoding="utf-8")
    done = itvalue("run", CHART, "--out", tmp_path / "out", "-p", f"campaigns_path={campaigns}", "--quiet")
    assert done.returncode == 0, done.stderr
    run = json.loads((tmp_path / "out" / "chart" / "custom" / "run.json").read_text())
    files = run["inputs"]["campaigns_path"]["files"]
    assert files[0]["bytes"] == campaigns.stat().st_size and len(files[0]["sha256"]) == 64


# --- failure -------------------------------------------------------------------------------------

def test_failed_cell_is_exit_1_with_banner_and_keeps_last_good_report(itvalue, tmp_path):
    out = tmp_path / "out"
    assert itvalue("run", CHART, "--out", out, "--quiet").returncode == 0
    good_report = (out / "chart" / "custom" / "report.html").read_text()

    done = itvalue("run", CHART, "--out", out, "-p", "fail=true", "--quiet")
    assert done.returncode == 1
    assert "cell 6 of 7" in done.stderr and "planted failure" in done.stderr

    set_dir = out / "chart" / "custom"
    assert (set_dir / "report.html").read_text() == good_report, "a failed run must not replace the good report"
    runs = sorted((set_dir / "history").iterdir())
    assert len(runs) == 2
    failed = next(r for r in runs if json.loads((r / "run.json").read_text())["status"] == "failed")
    html = (failed / "report.html").read_text()
    assert 'id="itvalue-failure"' in html and "cell 6 of 7 raised an error" in html
    assert "RuntimeError: planted failure &lt;b&gt;bold&lt;/b&gt;" in html
    assert (failed / "notebook.ipynb").is_file()

    index = (out / "index.html").read_text()
    assert "class='failed'" in index and "failed report" in index
    assert "chart/custom/report.html" in index, "the index still links the last good report"


def test_broken_notebook_without_declaration(itvalue, tmp_path):
    done = itvalue("run", BROKEN, "--out", tmp_path, "--quiet")
    assert done.returncode == 1
    assert "ZeroDivisionError" in done.stderr
    run_dirs = list((tmp_path / "broken" / "custom" / "history").iterdir())
    assert json.loads((run_dirs[0] / "run.json").read_text())["status"] == "failed"
    assert not (tmp_path / "broken" / "custom" / "report.html").exists(), "no good run yet, so no top-level report"


# --- concurrency ---------------------------------------------------------------------------------

def test_two_runs_at_once_into_one_folder(fixture_env, tmp_path):
    def run(points: int) -> int:
        return subprocess.run(
            [sys.executable, "-m", "helpers.running.cli", "run", str(CHART), "--out", str(tmp_path), "-p", f"points={points}", "--quiet"],
            capture_output=True, text=True, timeout=300,
        ).returncode

    with ThreadPoolExecutor(2) as pool:
        codes = list(pool.map(run, [5, 9]))
    assert codes == [0, 0]
    set_dir = tmp_path / "chart" / "custom"
    runs = [json.loads((d / "run.json").read_text()) for d in (set_dir / "history").iterdir()]
    assert sorted(r["parameters"]["points"] for r in runs) == [5, 9]
    # The promoted files all come from one run, never a mix of the two.
    top = json.loads((set_dir / "run.json").read_text())
    assert json.loads((set_dir / "results.json").read_text())["points"] == top["parameters"]["points"]
    assert not list(set_dir.glob("history/.*")), "no partial run folders left behind"


# --- list / describe -----------------------------------------------------------------------------

def test_describe_shows_type_default_and_help(itvalue):
    done = itvalue("describe", CHART)
    assert done.returncode == 0
    assert "points: an integer >= 2" in done.stdout
    assert "default: 20" in done.stdout
    assert "How many points to plot" in done.stdout


def test_list_names_every_kit_notebook_and_its_sets(itvalue):
    from helpers.running.catalog import list_notebooks

    done = itvalue("list")
    assert done.returncode == 0
    for notebook in list_notebooks():
        assert notebook.name in done.stdout
        for params in notebook.param_sets():
            assert params.stem in done.stdout


# --- more ways in which users get things wrong ----------------------------------------------------

def test_a_file_that_is_not_a_notebook(itvalue, tmp_path):
    fake = tmp_path / "notes.ipynb"
    fake.write_text("this is not JSON", encoding="utf-8")
    done = itvalue("run", fake, "--out", tmp_path / "out")
    assert done.returncode == 2
    assert done.stderr.startswith(f"itvalue: {fake}: not a Jupyter notebook")
    assert "Traceback" not in done.stderr


def test_impossible_date_in_a_params_file(itvalue, tmp_path):
    params = tmp_path / "odd.yml"
    params.write_text("title: 2025-13-01\n", encoding="utf-8")
    done = itvalue("run", CHART, "-f", params, "--out", tmp_path / "out")
    assert done.returncode == 2
    assert done.stderr.startswith("itvalue: odd.yml: a value is not valid")


def test_text_parameters_keep_the_text_typed(itvalue, tmp_path):
    # YAML would read "no" as false and "2025" as a number; a text parameter keeps what was typed.
    done = itvalue("run", CHART, "-p", "title=no", "-p", "points=2025-13-01", "--out", tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == "itvalue: Parameter 'points' must be an integer >= 2; got '2025-13-01'."
    done = itvalue("run", CHART, "-p", "title=no", "--out", tmp_path, "--quiet")
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "chart" / "custom" / "results.json").read_text())["title"] == "no"


def test_output_folder_that_is_a_file(itvalue, tmp_path):
    blocker = tmp_path / "reports"
    blocker.write_text("", encoding="utf-8")
    done = itvalue("run", CHART, "--out", blocker, "--quiet")
    assert done.returncode == 2
    assert done.stderr.startswith("itvalue: ") and "Not a directory" in done.stderr
    assert "Traceback" not in done.stderr


def test_parameters_the_notebook_itself_rejects_are_exit_2_and_leave_no_record(itvalue, tmp_path):
    assert itvalue("run", CHART, "--name", "set", "--out", tmp_path, "--quiet").returncode == 0
    set_dir = tmp_path / "chart" / "set"
    before = {name: (set_dir / name).read_bytes() for name in ("report.html", "run.json", "history.html")}
    index = (tmp_path / "index.html").read_bytes()
    done = itvalue("run", CHART, "-p", "reject=true", "--name", "set", "--out", tmp_path, "--quiet")
    assert done.returncode == 2
    assert done.stderr == "itvalue: Parameter 'reject' asks the notebook to refuse its parameters.\n"
    assert {name: (set_dir / name).read_bytes() for name in before} == before
    assert (tmp_path / "index.html").read_bytes() == index
    assert len(list((set_dir / "history").iterdir())) == 1, "the rejected run left nothing in history"


def test_overrides_of_a_params_file_get_their_own_folder(itvalue, tmp_path):
    params = tmp_path / "weekly.yml"
    params.write_text("points: 12\n", encoding="utf-8")
    assert itvalue("run", CHART, "-f", params, "--out", tmp_path / "out", "--quiet").returncode == 0
    assert itvalue("run", CHART, "-f", params, "-p", "points=3", "--out", tmp_path / "out", "--quiet").returncode == 0
    assert itvalue("run", CHART, "-p", "points=4", "--name", "adhoc", "--out", tmp_path / "out", "--quiet").returncode == 0
    sets = {p.name for p in (tmp_path / "out" / "chart").iterdir()}
    assert sets == {"weekly", "weekly-custom", "adhoc"}
    assert json.loads((tmp_path / "out" / "chart" / "weekly" / "results.json").read_text())["points"] == 12
    bad = itvalue("run", CHART, "--name", "../escape", "--out", tmp_path / "out")
    assert bad.returncode == 2 and "--name must be letters" in bad.stderr


def test_all_runs_one_notebooks_sets_in_a_pool_and_writes_the_index_once(itvalue, tmp_path):
    done = itvalue("run", "--all", "nps_trends", "-j", "2", "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    # Every line of --all starts with the time, for a cron log.
    stamps, _, lines = zip(*(line.partition(" ") for line in done.stdout.splitlines()))
    assert all(dt.datetime.fromisoformat(stamp).tzinfo is not None for stamp in stamps)
    assert lines[0] == f"Running 3 parameter sets, 2 at a time, into {tmp_path}"
    for number in (1, 2, 3):
        assert any(line.startswith(f"[{number}/3] started nps_trends/") for line in lines)
        assert any(line.startswith(f"[{number}/3] ok nps_trends/") and " s -> " in line for line in lines)
    assert lines[-1].startswith("3 runs in ") and lines[-1].endswith(f"3 ok, 0 failed, 0 bad input. Index: {tmp_path / 'index.html'}")
    for name in ("by_region", "default", "weekly"):
        record = json.loads((tmp_path / "nps_trends" / name / "run.json").read_text())
        assert record["status"] == "ok"
    index = (tmp_path / "index.html").read_text()
    assert all(name in index for name in ("by_region", "default", "weekly"))


def test_all_reports_the_worst_status(itvalue, tmp_path, monkeypatch):
    from helpers.running.batch import Job, run_jobs

    said = []
    bad = tmp_path / "bad.yml"
    bad.write_text("min_n: -1\n")
    outcomes = run_jobs(
        [Job("nps_trends", str(bad)), Job("no_such_notebook", str(bad))], out_dir=tmp_path / "out", workers=1, say=said.append
    )
    assert [o.exit_status for o in outcomes] == [2, 2]
    assert "Parameter 'min_n'" in outcomes[0].message and "No notebook 'no_such_notebook'" in outcomes[1].message
    assert said[0] == "[1/2] started nps_trends/bad" and said[1].startswith("[1/2] BAD INPUT nps_trends/bad in ")
    assert not (tmp_path / "out").exists(), "bad input writes nothing"


def test_warm_kernels_never_carry_state_from_one_run_to_the_next(fixture_env, tmp_path):
    """Two runs in one process, the second on the kernel that warmed up during the first."""
    from helpers.running import kernels
    from helpers.running.catalog import find_notebook
    from helpers.running.runner import run_notebook

    leak = find_notebook(str(FIXTURE_NOTEBOOKS / "leak.ipynb"))
    kernels.keep_warm(True)
    try:
        first = run_notebook(leak, overrides={"mark": "one"}, out_dir=tmp_path, name="first", quiet=True)
        second = run_notebook(leak, overrides={"mark": "two"}, out_dir=tmp_path, name="second", quiet=True)
    finally:
        kernels.keep_warm(False)
    seen = [json.loads((outcome.run_dir / "results.json").read_text()) for outcome in (first, second)]
    assert first.status == second.status == "ok"
    for run in seen:
        assert run["builtins"] is None and run["environment"] is None and run["module"] is None and run["names"] == []
        assert run["preloaded"], "the kernel came warm, with the analytical stack imported"
    assert seen[0]["pid"] != seen[1]["pid"], "each run has a kernel of its own"


# --- the kernel: this environment's own unless --kernel names another ----------------------------

def test_a_notebook_saved_with_a_kernel_not_installed_here_runs_on_this_environment(itvalue, tmp_path):
    nb = json.loads(CHART.read_text())
    nb["metadata"]["kernelspec"] = {"name": "not-installed-here", "display_name": "elsewhere", "language": "python"}
    elsewhere = tmp_path / "chart.ipynb"
    elsewhere.write_text(json.dumps(nb), encoding="utf-8")
    done = itvalue("run", elsewhere, "--out", tmp_path / "out", "--quiet")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "chart" / "custom" / "report.html").is_file()


def test_kernel_option_names_the_kernel(itvalue, tmp_path):
    done = itvalue("run", CHART, "--out", tmp_path, "--quiet", "--kernel", "no-such-kernel")
    assert done.returncode == 1
    assert "No such kernel named no-such-kernel" in done.stderr
