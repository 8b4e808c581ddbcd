"""The runner's overhead: ``itvalue run`` against plain ``papermill`` + ``jupyter nbconvert`` on one notebook,
and ``itvalue list`` / ``describe`` against ``python -c "import pandas"`` (what any pandas tool pays to start).

Usage: ``python benchmarks/bench_runner.py [NOTEBOOK] [--repeat N]`` (default: nps_trends, 3 repeats).
Prints the best wall time of each (the single runs taken in turns), in seconds, and each ratio
measured in the same run.
"""

from __future__ import annotations

import argparse
import json
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
    parser.add_argument("--repeat", type=int, default=3)
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
        executed = tmp / "plain.ipynb"
        commands = {
            "itvalue": [str(BIN / "itvalue"), "run", args.notebook, "-f", str(params), "--out", str(tmp / "reports"),
                        "--quiet"],
            "papermill": [str(BIN / "papermill"), str(notebook), str(executed), "-f", str(params), "--cwd",
                          str(ROOT / "notebooks"), "--no-progress-bar"],
            "nbconvert": [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed),
                          "--output-dir", str(tmp)],
        }
        # Taken in turns, so a change in the machine's load (other jobs on its 2 cores) hits all three alike.
        best = {name: float("inf") for name in commands}
        for _ in range(args.repeat):
            for name, command in commands.items():
                best[name] = min(best[name], _best(command, 1, ROOT))
        itvalue, papermill, nbconvert = best["itvalue"], best["papermill"], best["nbconvert"]
        cells = _cell_seconds(tmp / "reports" / args.notebook / "default" / "notebook.ipynb")
    print(f"itvalue_run_{args.notebook}: {itvalue:.1f} s (validation, execution, report, history, index)")
    print(f"papermill_{args.notebook}: {papermill:.1f} s")
    print(f"nbconvert_html_{args.notebook}: {nbconvert:.1f} s")
    print(f"plain_total_{args.notebook}: {papermill + nbconvert:.1f} s")
    print(f"itvalue_vs_plain_{args.notebook}: {itvalue / (papermill + nbconvert):.2f}x")
    print(f"cells_{args.notebook}: {cells:.1f} s (the notebook's own cells in the last itvalue run: "
          f"{cells / (papermill + nbconvert):.2f}x the plain pair)")
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
        cells = sum(_cell_seconds(executed) for executed in (tmp / "reports").glob("*/*/notebook.ipynb"))
    print(f"naive_papermill_nbconvert_all_{len(sets)}_sets: {naive:.1f} s")
    print(f"itvalue_run_all_j2_{len(sets)}_sets: {pooled:.1f} s ({pooled / naive:.2f}x the naive sequence)")
    # The notebooks' own cells, as timed in the itvalue run: no runner can finish the sets on 2 workers in
    # less than half of that, whatever it does around them.
    print(f"cells_all_{len(sets)}_sets: {cells:.1f} s (half of it, the floor on 2 workers: {cells / 2 / naive:.2f}x the naive sequence)")


def _cell_seconds(executed: Path) -> float:
    """Seconds the kernel spent in the notebook's cells (papermill records each cell's duration)."""
    notebook = json.loads(executed.read_text(encoding="utf-8"))
    return sum(cell["metadata"].get("papermill", {}).get("duration") or 0.0 for cell in notebook["cells"])


if __name__ == "__main__":
    main()
