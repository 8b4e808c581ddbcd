"""A project of one's own: ``itvalue init``, the root found from the working directory, the shipped template."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from helpers import paths
from helpers.paths import find_project_root
from helpers.running.project import PROJECT_PARTS, template_root

REPO = Path(__file__).resolve().parents[2]
NOT_IN_PROJECT = "is not inside an itvalue project"


def _setuptools_table() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_the_listed_packages_are_every_package_under_src_plus_the_template():
    listed = set(_setuptools_table()["packages"])
    under_src = {".".join(init.parent.relative_to(REPO / "src").parts) for init in (REPO / "src").rglob("__init__.py")}
    assert listed == under_src | {"helpers.project_template"}


def test_the_wheel_ships_every_notebook_parameter_set_and_sample_file():
    globs = _setuptools_table()["package-data"]["helpers.project_template"]
    shipped = {path for pattern in globs for path in REPO.glob(pattern)}
    wanted = {path for part in PROJECT_PARTS for path in ([REPO / part] if (REPO / part).is_file() else (REPO / part).rglob("*"))}
    wanted = {path for path in wanted if path.is_file() and ".ipynb_checkpoints" not in path.parts}
    assert wanted - shipped == set(), "pyproject's package-data leaves these out of the wheel"


def test_the_root_is_found_from_any_folder_inside_it(monkeypatch):
    monkeypatch.delenv("ITVALUE_PROJECT", raising=False)
    assert find_project_root(REPO / "notebooks") == REPO
    assert find_project_root(REPO / "src" / "helpers") == REPO
    monkeypatch.chdir(REPO / "params")
    assert paths.PROJECT_ROOT == REPO and paths.REPORTS_DIR == REPO / "reports"


def test_outside_a_project_the_paths_say_so(tmp_path, monkeypatch):
    monkeypatch.delenv("ITVALUE_PROJECT", raising=False)
    monkeypatch.chdir(tmp_path)
    assert find_project_root() is None
    with pytest.raises(paths.NotInProject, match=NOT_IN_PROJECT):
        paths.NOTEBOOKS_DIR  # noqa: B018 - reading it is the test


def test_the_template_holds_this_repositorys_notebooks_and_parameter_sets():
    # An editable install reads them here; an installed wheel carries the copy packaging made of them.
    template = template_root()
    for part in ("notebooks", "params"):
        ours = {p.relative_to(REPO): p.read_bytes() for p in (REPO / part).rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts}
        shipped = {p.relative_to(template): p.read_bytes() for p in (template / part).rglob("*") if p.is_file()}
        assert shipped == ours, f"{part}/ differs between the repository and {template}"


@pytest.mark.parametrize("command", [["list"], ["describe", "nps_trends"], ["run", "--all"], ["run", "nps_trends"]])
def test_outside_a_project_each_command_says_so_with_exit_2(itvalue, tmp_path, command):
    done = itvalue(*command, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and NOT_IN_PROJECT in done.stderr


def test_init_lays_out_a_project_that_list_and_describe_find_from_below(itvalue, tmp_path):
    done = itvalue("init", tmp_path / "demo")
    assert done.returncode == 0, done.stderr
    demo = tmp_path / "demo"
    for part in ("notebooks/nps_trends.ipynb", "params/nps_trends/default.yml", "data/sample/sales.parquet", "itvalue.toml"):
        assert (demo / part).is_file(), part
    assert (demo / "reports").is_dir() and "reports/" in (demo / ".gitignore").read_text()

    listed = itvalue("list", cwd=demo / "params")
    assert listed.returncode == 0, listed.stderr
    assert "nps_trends" in listed.stdout and "spring_campaign" in listed.stdout
    described = itvalue("describe", "downtime_sales", cwd=demo / "data")
    assert described.returncode == 0 and "sales_path" in described.stdout


def test_init_will_not_write_into_a_folder_in_use(itvalue, tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    done = itvalue("init", tmp_path)
    assert done.returncode == 2
    assert "already exists and is not an empty folder" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


def _full_disk_after(monkeypatch, files: int) -> None:
    """Make the copy fail with ENOSPC after ``files`` files, as copytree meets a full disk part way."""
    import errno
    import shutil

    copied = 0
    real_copyfile = shutil.copyfile

    def copyfile(src, dst, *args, **kwargs):  # copytree's copy2 calls it for each file
        nonlocal copied
        copied += 1
        if copied > files:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
        return real_copyfile(src, dst, *args, **kwargs)

    monkeypatch.setattr(shutil, "copyfile", copyfile)


def _assert_one_sentence_and_nothing_left(status, err, parent, target):
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("itvalue: Cannot create the project in "), err
    assert "No space left on device" in err and "[(" not in err and len(err) < 300, err
    assert list(parent.iterdir()) == [], "a half-copied project (or its staging folder) was left behind"
    assert not target.exists()


def test_init_on_a_full_disk_is_one_sentence_exit_2_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    from helpers.running import cli

    parent = tmp_path / "projects"
    parent.mkdir()
    _full_disk_after(monkeypatch, files=5)
    status = cli.main(["init", str(parent / "demo"), "--no-kernel"])
    _assert_one_sentence_and_nothing_left(status, capsys.readouterr().err, parent, parent / "demo")

    monkeypatch.undo()  # room again: the same command now succeeds
    assert cli.main(["init", str(parent / "demo"), "--no-kernel"]) == 0
    assert (parent / "demo" / "itvalue.toml").is_file() and (parent / "demo" / "data" / "sample").is_dir()
    assert [p.name for p in parent.iterdir()] == ["demo"]


def test_init_on_a_real_full_disk_leaves_nothing(tmp_path, capsys):
    # A 1 MB tmpfs, smaller than the sample data: the disk fills for real part way through the copy.
    import shutil
    import subprocess

    from helpers.running import cli

    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("this machine does not allow mounting a tmpfs here (a container without CAP_SYS_ADMIN)")
    try:
        status = cli.main(["init", str(disk / "demo"), "--no-kernel"])
        _assert_one_sentence_and_nothing_left(status, capsys.readouterr().err, disk, disk / "demo")
    finally:
        subprocess.run(["umount", str(disk)], check=True)
