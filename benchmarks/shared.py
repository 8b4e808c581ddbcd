"""What several benchmark scripts share: comparing two runs' results, and the cached NPS data set.

Not a benchmark itself (``run.py`` runs only ``bench_*.py``). The scripts run as ``python
benchmarks/bench_x.py``, so this folder is first on ``sys.path`` and ``import shared`` finds it.
"""

from __future__ import annotations

import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Responses the NPS sample generator writes at scale 1 (the scale is chosen to reach a requested size).
RESPONSES_AT_SCALE_1 = 22_000


def measure(script: str, *args: str, env: dict | None = None, cwd: Path | None = None) -> dict:
    """Run ``script`` in a fresh Python process and return the JSON object its last line prints.

    A fresh process per figure, so each peak memory is that work's alone; a failure ends the benchmark with
    the script's own error.
    """
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=cwd, env=env)
    if done.returncode:
        sys.exit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def differences(expected, actual, path: str = "results") -> list[str]:
    """Where two results documents differ: floats within 1e-9 relative, everything else exactly."""
    if isinstance(expected, float) or isinstance(actual, float):
        if expected is None or actual is None or not math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-12):
            return [f"{path}: {expected!r} != {actual!r}"]
        return []
    if isinstance(expected, dict) and isinstance(actual, dict) and expected.keys() == actual.keys():
        return [d for key in expected for d in differences(expected[key], actual[key], f"{path}.{key}")]
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [d for n, (a, b) in enumerate(zip(expected, actual)) for d in differences(a, b, f"{path}[{n}]")]
    return [] if expected == actual else [f"{path}: {expected!r} != {actual!r}"]


def nps_data(responses: int, seed: int, data: Path | None = None) -> tuple[Path, dict]:
    """A folder of at least ``responses`` NPS responses and their tickets, and the truth planted in them.

    Generating takes longer than analysing: the folder is kept between runs in the temporary
    directory, keyed by size and seed, unless ``data`` names one generated before.
    """
    folder = data or Path(tempfile.gettempdir()) / "itvalue-bench" / f"nps-{responses}-seed{seed}"
    if (folder / "nps_truth.json").is_file():
        return folder, json.loads((folder / "nps_truth.json").read_text())
    from helpers.sample_data import nps

    folder.mkdir(parents=True, exist_ok=True)
    scale = max(2, math.ceil(responses / RESPONSES_AT_SCALE_1))
    clock = time.perf_counter()
    truth = nps.generate(folder, scale=scale, seed=seed)
    print(f"generate_seconds: {time.perf_counter() - clock:.1f} s (scale {scale})", flush=True)
    print(f"generate_peak_rss: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB", flush=True)
    (folder / "nps_truth.json").write_text(json.dumps(truth))
    return folder, truth
