"""Shared fixtures: the fixture notebooks, a CLI runner, and an isolated reports folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).parent
FIXTURES = TESTS_DIR / "fixtures"
FIXTURE_NOTEBOOKS = FIXTURES / "notebooks"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture
def fixture_env(monkeypatch):
    """Make tests/fixtures importable here and in kernels (fixture notebooks declare parameters there)."""
    monkeypatch.syspath_prepend(str(FIXTURES))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(FIXTURES), os.environ.get("PYTHONPATH")])))
    return FIXTURES


@pytest.fixture
def itvalue(fixture_env):
    """Run the ``itvalue`` command as a user would; returns the CompletedProcess."""

    def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "helpers.running.cli", *map(str, args)],
            capture_output=True,
            text=True,
            cwd=cwd,
            timeout=600,
        )

    return run
