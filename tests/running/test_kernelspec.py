"""``itvalue kernel install`` and ``itvalue init``: the kernel the notebooks name starts this environment's Python."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.running.kernelspec import install_kernel


@pytest.fixture
def jupyter_dirs(tmp_path, monkeypatch):
    """Jupyter's user folder and this environment's prefix, both in tmp_path (sys.prefix is patched in-process)."""
    user, prefix = tmp_path / "user", tmp_path / "env"
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(user))
    monkeypatch.setenv("JUPYTER_PATH", "")
    monkeypatch.setattr(sys, "prefix", str(prefix))
    return user, prefix


def _spec(folder: Path) -> dict:
    return json.loads((folder / "kernel.json").read_text(encoding="utf-8"))


def test_the_default_registers_it_in_this_environment(jupyter_dirs):
    user, prefix = jupyter_dirs
    installed = install_kernel()
    assert installed.path == prefix / "share" / "jupyter" / "kernels" / "itvalue"
    spec = _spec(installed.path)
    assert spec["argv"][0] == sys.executable and "ipykernel_launcher" in spec["argv"]
    assert spec["display_name"] == "Python (itvalue)"
    assert not user.exists()
    assert installed.sentence == f"Jupyter kernel 'Python (itvalue)' ({sys.executable}) registered in this environment: {installed.path}."


def test_user_registers_it_for_every_jupyterlab_of_the_user(jupyter_dirs):
    user, _prefix = jupyter_dirs
    installed = install_kernel(user=True)
    assert installed.path == user / "kernels" / "itvalue" and installed.user
    assert installed.shadowed_by is None


def test_a_kernel_of_another_python_that_jupyter_finds_first_is_named(jupyter_dirs, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "first"))  # searched before every other folder
    other = tmp_path / "first" / "kernels" / "itvalue"
    other.mkdir(parents=True)
    (other / "kernel.json").write_text(json.dumps(
        {"argv": ["/opt/other/bin/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
         "display_name": "Python (itvalue)", "language": "python"}), encoding="utf-8")
    installed = install_kernel()
    assert installed.shadowed_by == other
    assert f"but Jupyter finds the kernel 'itvalue' in {other} first" in installed.sentence
    assert installed.sentence.endswith("run 'itvalue kernel install --user' to make this environment's the one.")


def test_an_environment_that_cannot_be_written_is_one_sentence(jupyter_dirs, tmp_path, monkeypatch):
    # A prefix below a plain file: no folder can be made there, whoever runs the test (root included).
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "a-file" / "env"))
    from helpers.exceptions import KitError

    with pytest.raises(KitError, match=r"^The kernel could not be registered in .*a-file/env/share/jupyter \(.*\); use --user\.$"):
        install_kernel(user=False)
    assert install_kernel(user=None).user, "itvalue init falls back to the user's folder"


def test_itvalue_init_registers_the_kernel_and_kernel_install_too(tmp_path):
    env = {**os.environ, "JUPYTER_DATA_DIR": str(tmp_path / "user"), "JUPYTER_PATH": ""}
    done = subprocess.run([sys.executable, "-m", "helpers.running.cli", "init", str(tmp_path / "project")],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "Jupyter kernel 'Python (itvalue)'" in done.stdout and "registered in this environment" in done.stdout
    listed = subprocess.run([sys.executable, "-m", "jupyter", "kernelspec", "list", "--json"],
                            capture_output=True, text=True, env=env, check=True)
    spec = json.loads(listed.stdout)["kernelspecs"]["itvalue"]["spec"]
    assert spec["argv"][0] == sys.executable
    done = subprocess.run([sys.executable, "-m", "helpers.running.cli", "kernel", "install", "--user"],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0 and "registered for this user" in done.stdout
    assert (tmp_path / "user" / "kernels" / "itvalue" / "kernel.json").is_file()
    done = subprocess.run([sys.executable, "-m", "helpers.running.cli", "init", str(tmp_path / "server"), "--no-kernel"],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0 and "kernel" not in done.stdout.lower()
