"""Run every benchmark script in this folder and print its figures (``make bench``).

Each ``bench_*.py`` is a standalone script that prints lines ``name: value unit[, ...]``.
Run them one at a time so that they do not compete for the two cores.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent


def main(argv: list[str]) -> int:
    selected = argv or sorted(p.stem for p in HERE.glob("bench_*.py"))
    worst = 0
    for name in selected:
        script = HERE / f"{name.removesuffix('.py')}.py"
        print(f"# {script.name}", flush=True)
        clock = time.perf_counter()
        done = subprocess.run([sys.executable, str(script)], text=True)
        print(f"# {script.name} finished in {time.perf_counter() - clock:.0f} s (exit {done.returncode})", flush=True)
        worst = max(worst, done.returncode)
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
