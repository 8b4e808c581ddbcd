"""The scheduled batch under load: ``itvalue run --all -j 2`` over every sample set, several rounds, no failure allowed.

``python tools/stress.py --itvalue PATH [--rounds 3] [--cpu 2] [--memory-gb 3]``: makes a project with
``PATH init`` (so the kit under test is the installed one, e.g. a wheel in a venv outside the checkout),
then runs the whole batch ``--rounds`` times beside two CPU-bound processes and a memory-hungry one
(:mod:`load`). Prints each round's counts and the machine's load, and exits 1 if any set failed in any
round (``make stress``; CI runs it).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from load import Load  # noqa: E402 - a sibling script, not a package

_SUMMARY = re.compile(r"(\d+) runs in ([\d.]+) s: (\d+) ok, (\d+) failed, (\d+) bad input")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--itvalue", required=True, help="the itvalue command under test")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cpu", type=int, default=2)
    parser.add_argument("--memory-gb", type=float, default=3.0)
    args = parser.parse_args(argv)
    failed_sets = 0
    with tempfile.TemporaryDirectory(prefix="itvalue-stress-") as scratch:
        project = Path(scratch) / "project"
        subprocess.run([args.itvalue, "init", str(project)], check=True, stdout=subprocess.DEVNULL)
        with Load(cpu=args.cpu, memory_gb=args.memory_gb):
            for number in range(1, args.rounds + 1):
                clock = time.perf_counter()
                done = subprocess.run(
                    [args.itvalue, "run", "--all", "-j", str(args.jobs), "--quiet"],
                    cwd=project, capture_output=True, text=True,
                )
                seconds = time.perf_counter() - clock
                summary = _SUMMARY.search(done.stdout)
                failed = int(summary[4]) + int(summary[5]) if summary else -1
                died = done.stdout.count("Kernel died") + done.stderr.count("Kernel died")
                load = os.getloadavg()[0]
                print(
                    f"round {number}: exit {done.returncode}, {summary[3] if summary else '?'} ok, {failed} failed, "
                    f"'Kernel died' {died} times, {seconds:.0f} s, load {load:.1f} on {os.cpu_count()} cores",
                    flush=True,
                )
                if done.returncode != 0 or failed != 0:
                    failed_sets += max(failed, 1)
                    print(done.stdout[-4000:], done.stderr[-4000:], sep="\n", flush=True)
    print(f"stress: {args.rounds} rounds, {failed_sets} failed sets", flush=True)
    return 1 if failed_sets else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
