"""The runner's overhead: ``itvalue run`` against plain ``papermill`` + ``jupyter nbconvert`` on one notebook,
and ``itvalue list`` / ``describe`` against ``python -c "import pandas"`` (what any pandas tool pays to start).

Usage: ``python benchmarks/bench_runner.py [NOTEBOOK] [--repeat N]`` (default: nps_trends, 2 repeats).
Prints the best wall time of each, in seconds, and each ratio measured in the same run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _best(command: list[str], repeat: int, cwd: Path) -> float:
    times = []
    for _ in range(repeat):
        clock = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=cwd)
        times.append(time.perf_counter() - clock)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("notebook", nargs="?", default="nps_trends")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--skip-all", action="store_true", help="skip --all against the naive sequence (minutes)")
    args = parser.parse_args()
    params = ROOT / "params" / args.notebook / "default.yml"
    notebook = ROOT / "notebooks" / f"{args.notebook}.ipynb"
    starts = max(args.repeat, 5)
    listing = _best([str(BIN / "itvalue"), "list"], starts, ROOT)
    describing = _best([str(BIN / "itvalue"), "describe", args.notebook], starts, ROOT)
    pandas = _best([sys.executable, "-c", "import pandas"], starts, ROOT)
    print(f"itvalue_list: {listing:.2f} s ({listing / pandas:.2f}x python -c 'import pandas', {pandas:.2f} s)")
    print(f"itvalue_describe_{args.notebook}: {describing:.2f} s ({describing / pandas:.2f}x python -c 'import pandas')")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        itvalue = _best(
            [str(BIN / "itvalue"), "run", args.notebook, "-f", str(params), "--out", str(tmp / "reports"), "--quiet"],
            args.repeat, ROOT,
        )
        executed = tmp / "plain.ipynb"
        papermill = _best(
            [str(BIN / "papermill"), str(notebook), str(executed), "-f", str(params), "--cwd", str(ROOT / "notebooks"),
             "--no-progress-bar"],
            args.repeat, ROOT,
        )
        nbconvert = _best(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed), "--output-dir", str(tmp)],
            args.repeat, ROOT,
        )
    print(f"itvalue_run_{args.notebook}: {itvalue:.1f} s (validation, execution, report, history, index)")
    print(f"papermill_{args.notebook}: {papermill:.1f} s")
    print(f"nbconvert_html_{args.notebook}: {nbconvert:.1f} s")
    print(f"plain_total_{args.notebook}: {papermill + nbconvert:.1f} s")
    print(f"itvalue_vs_plain_{args.notebook}: {itvalue / (papermill + nbconvert):.2f}x")
    if not args.skip_all:
        _all_against_naive()


def _all_against_naive() -> None:
    """``itvalue run --all -j 2`` against what a scheduler would otherwise run: for each parameter
    set, ``papermill`` then ``jupyter nbconvert --to html --no-input``, one after another."""
    sets = sorted((ROOT / "params").glob("*/*.yml"))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        clock = time.perf_counter()
        for params in sets:
            notebook = ROOT / "notebooks" / f"{params.parent.name}.ipynb"
            executed = tmp / f"{params.parent.name}-{params.stem}.ipynb"
            subprocess.run(
                [str(BIN / "papermill"), str(notebook), str(executed), "-f", str(params), "--cwd",
                 str(ROOT / "notebooks"), "--no-progress-bar"], check=True, capture_output=True, cwd=ROOT,
            )
            subprocess.run(
                [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed), "--output-dir", str(tmp)],
                check=True, capture_output=True, cwd=ROOT,
            )
        naive = time.perf_counter() - clock
        clock = time.perf_counter()
        subprocess.run([str(BIN / "itvalue"), "run", "--all", "-j", "2", "--out", str(tmp / "reports")],
                       check=True, capture_output=True, cwd=ROOT)
        pooled = time.perf_counter() - clock
    print(f"naive_papermill_nbconvert_all_{len(sets)}_sets: {naive:.1f} s")
    print(f"itvalue_run_all_j2_{len(sets)}_sets: {pooled:.1f} s ({pooled / naive:.2f}x the naive sequence)")


if __name__ == "__main__":
    main()
