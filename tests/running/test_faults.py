"""Fault injection: whatever fails, and whenever, the last good report stays whole and the index agrees.

Each test breaks a run at a chosen moment (a crash between two publishing steps, a full disk,
``kill -9`` of the runner or of the kernel, runs of one set at once, the clock set back, a run
over its time limit) and then checks the set with :func:`assert_whole`: ``latest`` names one
complete run, the four top-level files are that run's, and the index and history pages were
built from the runs on disk and show that run as the set's report.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FIXTURE_NOTEBOOKS

from helpers.exceptions import RunAborted
from helpers.running import publishing, runner
from helpers.running.catalog import find_notebook
from helpers.running.index import good_run, read_runs, write_index
from helpers.running.publishing import RUN_FILES

SLOW = FIXTURE_NOTEBOOKS / "slow.ipynb"
SET = "set"

pytestmark = pytest.mark.notebook


def assert_whole(out: Path, marker: str) -> Path:
    """The set's top-level files are one whole ok run with ``marker``; the index shows that run."""
    set_dir = out / "slow" / SET
    latest = publishing.latest_run(set_dir)
    if latest is None:  # the layout before latest/: four copies of one run's files
        latest = set_dir / "history" / json.loads((set_dir / "run.json").read_text(encoding="utf-8"))["run_id"]
        for name in RUN_FILES:
            assert (set_dir / name).read_bytes() == (latest / name).read_bytes(), f"{name} is another run's"
    for name in RUN_FILES:
        assert (set_dir / name).resolve() in (latest / name, set_dir / name), f"{name} is not the latest run's"
    record = json.loads((set_dir / "run.json").read_text(encoding="utf-8"))
    assert record["status"] == "ok" and record["parameters"]["marker"] == marker
    assert json.loads((set_dir / "results.json").read_text(encoding="utf-8")) == {"marker": marker}
    assert f"marker: {marker}" in (set_dir / "report.html").read_text(encoding="utf-8")
    assert f"marker: {marker}" in (set_dir / "notebook.ipynb").read_text(encoding="utf-8")
    runs = read_runs(out)[("slow", SET)]
    assert good_run(set_dir, runs).folder.resolve() == latest.resolve()
    assert not [p for p in set_dir.iterdir() if p.name.endswith(".tmp")], "a temporary file was left"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "slow/set/report.html" in index and f"history ({len(runs)})" in index
    return latest


def _run(out: Path, marker: str, **kwargs):
    return runner.run_notebook(
        find_notebook(str(SLOW)), overrides={"marker": marker, **kwargs.pop("overrides", {})}, out_dir=out,
        name=SET, quiet=True, **kwargs,
    )


def _cli(out: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "helpers.running.cli", "run", str(SLOW), "--name", SET, "--out", str(out), "--quiet",
         *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _wait_for(path: Path, seconds: float = 120) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.is_file() and path.read_text().strip():
            return int(path.read_text())
        time.sleep(0.1)
    raise AssertionError(f"{path} never appeared")


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """A reports folder whose set has one good run ("first"); tests copy it."""
    out = tmp_path_factory.mktemp("good") / "out"
    assert _run(out, "first").status == "ok"
    assert_whole(out, "first")
    return out


@pytest.fixture
def out(good, tmp_path):
    import shutil

    copy = tmp_path / "out"
    shutil.copytree(good, copy, symlinks=True)
    return copy


# --- publishing, step by step (no kernel) ---------------------------------------------------------

def _second_run(out: Path) -> Path:
    """A finished ok run "second" in history, not yet published (copied from the first, relabelled)."""
    set_dir = out / "slow" / SET
    (first,) = [p for p in (set_dir / "history").iterdir() if not p.name.startswith(".")]
    second = set_dir / "history" / "29990101T000000000000Z-abcdef"
    second.mkdir()
    for name in RUN_FILES:
        (second / name).write_text((first / name).read_text().replace("first", "second"), encoding="utf-8")
    return second


def _crash_after(monkeypatch, steps: int) -> None:
    """Make the ``steps``-th rename or link of publishing (counting from 0) raise, as a crash would stop it."""
    calls = {"n": 0}
    real_replace, real_symlink = os.replace, os.symlink

    def counted(real):
        def step(*args, **kwargs):
            if calls["n"] == steps:
                raise OSError(errno.EIO, "injected crash")
            calls["n"] += 1
            return real(*args, **kwargs)

        return step

    monkeypatch.setattr(publishing.os, "replace", counted(real_replace))
    monkeypatch.setattr(publishing.os, "symlink", counted(real_symlink))


def _copied_layout(out: Path) -> None:
    """The layout before ``latest``: four copied files at the top of the set."""
    set_dir = out / "slow" / SET
    for name in RUN_FILES:
        data = (set_dir / name).read_bytes()
        (set_dir / name).unlink()
        (set_dir / name).write_bytes(data)
    (set_dir / publishing.LATEST).unlink()


@pytest.mark.parametrize("layout", ["links", "copied files"])
def test_a_crash_between_any_two_publishing_steps_leaves_one_whole_run(out, monkeypatch, layout):
    if layout == "copied files":
        _copied_layout(out)
    set_dir = out / "slow" / SET
    second = _second_run(out)
    steps = 0
    while True:
        _crash_after(monkeypatch, steps)
        try:
            publishing.publish(second, set_dir)
        except OSError:
            monkeypatch.undo()
            write_index(out)
            shown = json.loads((set_dir / "run.json").read_text())["parameters"]["marker"]
            assert_whole(out, shown)
            steps += 1
            continue
        monkeypatch.undo()
        break
    write_index(out)
    assert_whole(out, "second")
    assert steps >= 2, "publishing has at least two steps to crash between"


# --- a full disk ------------------------------------------------------------------------------------

def test_a_full_disk_while_writing_a_run_ends_in_one_sentence_and_keeps_the_last_good_report(out, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(runner, "write_json", full)
    with pytest.raises(RunAborted) as caught:
        _run(out, "second")
    assert "No space left on device" in str(caught.value) and "\n" not in str(caught.value)
    assert caught.value.exit_status == 1
    monkeypatch.undo()
    history = out / "slow" / SET / "history"
    assert [p.name for p in history.iterdir() if p.name.startswith(".")] == [], "the partial run was left"
    assert len(list(history.iterdir())) == 1
    assert_whole(out, "first")


def test_a_full_disk_while_publishing_removes_the_unpublished_run(out, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(publishing, "_link", full)
    with pytest.raises(RunAborted):
        _run(out, "second")
    monkeypatch.undo()
    assert len(list((out / "slow" / SET / "history").iterdir())) == 1, "an ok run the set does not show was kept"
    assert_whole(out, "first")


# --- kill -9 --------------------------------------------------------------------------------------

def test_kill_9_of_the_runner_while_the_kernel_runs_keeps_the_last_good_report(out, tmp_path):
    pid_file = tmp_path / "kernel.pid"
    index = (out / "index.html").read_bytes()
    proc = _cli(out, "-p", "marker=second", "-p", "seconds=60", "-p", f"pid_file={pid_file}")
    kernel = _wait_for(pid_file)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    _kill(kernel)
    assert_whole(out, "first")
    assert (out / "index.html").read_bytes() == index
    # The next run cleans up nothing by hand and still publishes.
    assert _run(out, "third").status == "ok"
    assert_whole(out, "third")


def test_kill_9_of_the_kernel_is_a_failed_run_and_keeps_the_last_good_report(out, tmp_path):
    pid_file = tmp_path / "kernel.pid"
    proc = _cli(out, "-p", "marker=second", "-p", "seconds=60", "-p", f"pid_file={pid_file}")
    _kill(_wait_for(pid_file))
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1, stderr
    assert "Traceback" not in stderr
    assert_whole(out, "first")
    runs = read_runs(out)[("slow", SET)]
    assert runs[0].info["status"] == "failed" and len(runs) == 2


def test_a_run_over_its_time_limit_is_stopped_and_recorded_as_failed(out):
    clock = time.monotonic()
    outcome = _run(out, "second", overrides={"seconds": 120}, timeout=4)
    assert time.monotonic() - clock < 60
    assert outcome.status == "failed" and outcome.exit_status == 1
    assert "longer than 4 s (--timeout)" in outcome.message
    assert_whole(out, "first")


# --- runs at once, and the clock --------------------------------------------------------------------

def test_concurrent_runs_of_one_set_leave_one_whole_run_and_an_index_that_agrees(out):
    procs = {marker: _cli(out, "-p", f"marker={marker}") for marker in ("m1", "m2", "m3")}
    for proc in procs.values():
        _, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
    shown = json.loads((out / "slow" / SET / "run.json").read_text())["parameters"]["marker"]
    assert shown in procs
    assert_whole(out, shown)
    runs = read_runs(out)[("slow", SET)]
    assert len(runs) == 4
    assert sorted(r.info["sequence"] for r in runs) == [1, 2, 3, 4]
    assert runs[0].info["parameters"]["marker"] == shown, "the last run to finish is the one published"


def test_the_clock_set_back_does_not_make_the_newest_run_look_old(out, monkeypatch):
    class Past(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return dt.datetime(2001, 1, 1, tzinfo=tz)

    monkeypatch.setattr(runner.dt, "datetime", Past)
    assert _run(out, "second").status == "ok"
    monkeypatch.undo()
    assert_whole(out, "second")
    runs = read_runs(out)[("slow", SET)]
    assert runs[0].info["parameters"]["marker"] == "second" and runs[0].info["started"].startswith("2001")


@pytest.fixture
def tiny_disk(tmp_path):
    """A 3 MB tmpfs (where this machine lets the tests mount one); skipped elsewhere."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount_point)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here; the injected ENOSPC tests cover a full disk")
    yield mount_point
    subprocess.run(["umount", str(mount_point)], check=False)


def _leave_free(disk: Path, kilobytes: int) -> None:
    filler = disk / "filler"
    filler.unlink(missing_ok=True)
    stats = os.statvfs(disk)
    free = stats.f_bavail * stats.f_frsize // 1024
    with filler.open("wb") as handle:
        handle.write(b"\0" * max(0, free - kilobytes) * 1024)


def test_a_real_full_disk_at_any_point_keeps_a_whole_set(tiny_disk):
    out = tiny_disk / "out"
    proc = _cli(out, "-p", "marker=m0")
    assert proc.wait(timeout=300) == 0
    shown, outcomes = "m0", []
    for number, free in enumerate([8, 40, 120, 200, 260, 290, 2000], start=1):
        _leave_free(tiny_disk, free)
        proc = _cli(out, "-p", f"marker=m{number}")
        _, stderr = proc.communicate(timeout=300)
        outcomes.append(proc.returncode)
        if proc.returncode == 0:
            shown = f"m{number}"
        else:
            assert proc.returncode == 1, stderr
            assert stderr.startswith("itvalue: ") and len(stderr.strip().splitlines()) == 1, stderr
            assert "No space left on device" in stderr
        (tiny_disk / "filler").unlink()
        write_index(out)
        assert_whole(out, shown)
        assert not [p for p in (out / "slow" / SET / "history").iterdir() if p.name.startswith(".")]
    assert 1 in outcomes and 0 in outcomes, outcomes


def test_where_no_symbolic_links_can_be_made_the_files_are_copied(out, monkeypatch):
    def unsupported(*args, **kwargs):
        raise NotImplementedError("symlinks are not supported here")

    monkeypatch.setattr(publishing.os, "symlink", unsupported)
    set_dir = out / "slow" / SET
    for name in RUN_FILES:  # a set made where links did not work: plain copies
        data = (set_dir / name).read_bytes()
        (set_dir / name).unlink()
        (set_dir / name).write_bytes(data)
    (set_dir / publishing.LATEST).unlink()
    assert _run(out, "second").status == "ok"
    assert not any((set_dir / name).is_symlink() for name in RUN_FILES)
    assert json.loads((set_dir / "results.json").read_text()) == {"marker": "second"}
    assert "marker: second" in (set_dir / "report.html").read_text()
