"""Shared fixtures: the fixture notebooks, a CLI runner, and an isolated reports folder."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

TESTS_DIR = Path(__file__).parent
FIXTURES = TESTS_DIR / "fixtures"
FIXTURE_NOTEBOOKS = FIXTURES / "notebooks"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="module")
def exact_result():
    """Publish counts and hours without the cell-key noise (:mod:`helpers.cell_key`), for tests that compare exact
    figures.

    Module-scoped, so module-scoped analyses can use it; the noise itself is tested in
    ``tests/test_cell_key.py``.
    """
    import numpy as np

    from helpers import cell_key

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cell_key, "perturb", lambda counts, key_sums: np.asarray(counts, dtype="int64"))
        patch.setattr(cell_key, "perturb_amounts",
                      lambda amounts, key_sums, largest: np.asarray(amounts, dtype="float64"))
        yield


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


def sample_parameters(name: str, folder: Path) -> list[str]:
    """``-p`` options reading every input of analysis ``name`` that its sample wrote into ``folder``."""
    from helpers.analysis import registry

    analysis = registry.analyses()[name]
    defaults = analysis.Parameters.validate_values({}, check_inputs=False)
    options = []
    for field in analysis.Parameters.input_fields():
        default = getattr(defaults, field)
        if default and (folder / Path(default).name).is_file():
            options += ["-p", f"{field}={folder / Path(default).name}"]
    return options


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the moment of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def webhook():
    """A webhook receiver on 127.0.0.1: ``url``, and ``received``, the JSON bodies POSTed to it."""
    received: list[dict] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the standard library's handler name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append(json.loads(body))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}/hooks/T000/B000/XYZ", received=received)
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp_sink():
    """An SMTP server on 127.0.0.1 that keeps what it is sent: ``port``, and ``messages`` (EmailMessage)."""
    from email import message_from_bytes
    from email.policy import default

    from aiosmtpd.controller import Controller

    messages: list = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler name
            messages.append(message_from_bytes(envelope.original_content, policy=default))
            return "250 Message accepted for delivery"

    controller = Controller(Keep(), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield SimpleNamespace(port=controller.port, messages=messages)
    controller.stop()
