"""The run lock: portable (filelock, no fcntl) and exclusive between processes."""

from __future__ import annotations

import subprocess
import sys

from helpers.running.files import locked

_TRY_LOCK = """
import sys
from filelock import FileLock, Timeout
try:
    with FileLock(sys.argv[1], timeout=0.2):
        print("acquired")
except Timeout:
    print("busy")
"""


def _other_process_tries(lock_path) -> str:
    return subprocess.run([sys.executable, "-c", _TRY_LOCK, str(lock_path)], capture_output=True, text=True, check=True).stdout.strip()


def test_a_held_lock_keeps_another_process_out_until_released(tmp_path):
    lock_path = tmp_path / "set" / ".lock"
    with locked(lock_path):
        assert _other_process_tries(lock_path) == "busy"
    assert _other_process_tries(lock_path) == "acquired"


def test_the_running_layer_does_not_use_fcntl():
    import helpers.running.files as files

    assert "fcntl" not in files.__dict__
