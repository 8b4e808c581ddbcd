"""Run a command beside a load, as a busy machine would have it: CPU-bound processes and a memory-hungry one.

``python tools/load.py [--cpu 2] [--memory-gb 3] -- COMMAND ...`` starts the load, runs COMMAND, stops the
load and exits with COMMAND's status. CI runs ``make test`` and the scheduled batch this way (issue 20:
kernels that started slowly on a loaded machine were declared dead). Standard library only: the load
must not depend on the environment under test.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import subprocess
import sys
import time

__all__ = ["Load"]


def _spin() -> None:
    """One core's worth of pure-Python arithmetic, for ever."""
    value = 1
    while True:
        value = (value * 1103515245 + 12345) % 2**31


def _hog(gigabytes: float) -> None:
    """Hold ``gigabytes`` of memory and keep writing through it (so it stays resident and loads the memory bus)."""
    size = int(gigabytes * 2**30)
    block = bytearray(size)
    page = 4096
    while True:
        for offset in range(0, size, page * 64):
            block[offset] = (block[offset] + 1) % 256
        time.sleep(0.05)


class Load:
    """The load as a context manager: ``with Load(cpu=2, memory_gb=3): ...``."""

    def __init__(self, *, cpu: int = 2, memory_gb: float = 3.0) -> None:
        self.cpu, self.memory_gb = cpu, memory_gb
        self.processes: list[multiprocessing.Process] = []

    def __enter__(self) -> Load:
        context = multiprocessing.get_context("spawn")
        self.processes = [context.Process(target=_spin, daemon=True) for _ in range(self.cpu)]
        if self.memory_gb > 0:
            self.processes.append(context.Process(target=_hog, args=(self.memory_gb,), daemon=True))
        for process in self.processes:
            process.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            if process.is_alive():
                os.kill(process.pid, signal.SIGKILL)
            process.join()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", type=int, default=2, help="CPU-bound processes (default 2)")
    parser.add_argument("--memory-gb", type=float, default=3.0, help="memory held and written by one process (default 3)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND ...")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give a command after --")
    with Load(cpu=args.cpu, memory_gb=args.memory_gb):
        print(f"load: {args.cpu} CPU-bound processes and {args.memory_gb:g} GB held beside: {' '.join(command)}", flush=True)
        return subprocess.run(command).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
