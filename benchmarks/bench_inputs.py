"""Benchmark of the input data layer: validate and aggregate large order-level inputs.

Usage::

    .venv/bin/python benchmarks/bench_inputs.py [--rows 10000000] [--threads N]

It writes, in chunks (never all rows in memory), a year of order-level sales and a
table of NPS responses, ``--rows`` rows each, as Parquet in a temporary folder. Then,
each in a fresh Python process (so generating the data does not count), it opens them
through :func:`helpers.inputs.loading.open_input`, which validates them inside DuckDB, and:

- ``sales_aggregate``: sums revenue and orders per hour and channel (Ibis on DuckDB);
- ``nps_count_by_month``: counts responses and promoters per month.

Each line gives the wall time (validation + query), the peak resident memory of the
process (``getrusage(RUSAGE_SELF).ru_maxrss``) and, for comparison, the memory right
after the imports. Linux carries ``ru_maxrss`` over ``fork`` and ``exec``, so this
driver process imports only the standard library and generates the data in a child
process too: a measuring process then starts from the driver's few MB, not from the
generator's peak. The same ``--rows`` always generates the same data (fixed seed), so
figures are comparable between commits on the same machine. A smaller run at a tenth
of the rows is printed first, to show that memory does not grow with the row count.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHUNK_ROWS = 1_000_000
YEAR_START_US = 1_735_689_600_000_000  # 2025-01-01 00:00 UTC, in microseconds since the epoch
SECONDS_IN_YEAR = 365 * 24 * 3600


def _label(rows: int) -> str:
    if rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}M"
    if rows % 1_000 == 0:
        return f"{rows // 1_000}k"
    return str(rows)


# --- data (parent process) ---------------------------------------------------------------------

def _sales_chunks(rows: int, seed: int):
    """Order-level sales in time order: one chunk covers its own slice of the year."""
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    starts = range(0, rows, CHUNK_ROWS)
    for start in starts:
        n = min(CHUNK_ROWS, rows - start)
        low = SECONDS_IN_YEAR * start // rows
        high = SECONDS_IN_YEAR * (start + n) // rows
        seconds = np.sort(rng.integers(low, max(high, low + 1), n))
        yield pa.table(
            {
                "timestamp": pa.array(YEAR_START_US + seconds * 1_000_000, pa.timestamp("us")),
                "revenue": np.round(rng.lognormal(3.5, 0.8, n) * np.where(rng.random(n) < 0.02, -1, 1), 2),
                "orders": np.ones(n, dtype=np.int64),
                "channel": pa.array(np.where(rng.random(n) < 0.6, "web", "store")),
            }
        )


def _response_chunks(rows: int, seed: int):
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(seed)
    for start in range(0, rows, CHUNK_ROWS):
        n = min(CHUNK_ROWS, rows - start)
        seconds = np.sort(rng.integers(0, 18 * 30 * 24 * 3600, n))
        ids = pc.binary_join_element_wise("R", pa.array(np.arange(start, start + n)).cast(pa.string()), "")
        yield pa.table(
            {
                "response_id": ids,
                "timestamp": pa.array(YEAR_START_US + seconds * 1_000_000, pa.timestamp("us")),
                "score": rng.choice(11, n, p=[0.03, 0.02, 0.03, 0.04, 0.05, 0.08, 0.1, 0.15, 0.2, 0.15, 0.15]),
                "region": pa.array(rng.choice(["EU", "US", "APAC"], n)),
            }
        )


def _files(folder: Path, rows: int) -> dict[str, Path]:
    return {"sales": folder / f"sales_{rows}.parquet", "responses": folder / f"responses_{rows}.parquet"}


def _generate(folder: str, rows: int) -> None:
    from helpers.sample_data._parquet import write_parquet_chunks

    files = _files(Path(folder), rows)
    write_parquet_chunks(files["sales"], _sales_chunks(rows, seed=1))
    write_parquet_chunks(files["responses"], _response_chunks(rows, seed=2))


# --- measurement (child process) ---------------------------------------------------------------

def _peak_rss_mb() -> float:
    import resource

    # Linux reports kilobytes (macOS bytes).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _measure(task: str, path: str, threads: int | None) -> dict:
    from helpers.inputs import loading as inputs

    after_imports = _peak_rss_mb()
    con = inputs.connect("UTC")
    if threads:
        con.raw_sql(f"SET threads = {int(threads)}")
    clock = time.perf_counter()
    if task == "sales_aggregate":
        sales = inputs.open_input(path, "sales", con=con)
        validated = time.perf_counter()
        hourly = (
            sales.group_by(hour=sales.timestamp.truncate("h"), channel=sales.channel)
            .aggregate(revenue=sales.revenue.sum(), orders=sales.orders.sum())
            .to_pandas()
        )
        result_rows, checksum = len(hourly), float(hourly["orders"].sum())
    else:
        responses = inputs.open_input(path, "responses", con=con)
        validated = time.perf_counter()
        monthly = (
            responses.group_by(month=responses.timestamp.truncate("M"))
            .aggregate(responses=responses.count(), promoters=(responses.score >= 9).sum())
            .to_pandas()
        )
        result_rows, checksum = len(monthly), float(monthly["responses"].sum())
    done = time.perf_counter()
    return {
        "validate_s": validated - clock,
        "query_s": done - validated,
        "peak_rss_mb": _peak_rss_mb(),
        "after_imports_mb": after_imports,
        "result_rows": result_rows,
        "checksum": checksum,
    }


def _run_child(task: str, path: Path, threads: int | None) -> dict:
    command = [sys.executable, __file__, "--measure", task, str(path)]
    if threads:
        command += ["--threads", str(threads)]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of each input (default 10,000,000)")
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: DuckDB's, = cores)")
    parser.add_argument("--measure", nargs=2, metavar=("TASK", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--generate", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(_measure(*args.measure, args.threads)))
        return 0
    if args.generate:
        _generate(args.generate, args.rows)
        return 0

    from importlib.metadata import version

    print(
        f"# {platform.python_implementation()} {platform.python_version()}, duckdb {version('duckdb')}, "
        f"ibis {version('ibis-framework')}, {os.cpu_count()} cores visible, DuckDB threads {args.threads or 'default'}"
    )
    with tempfile.TemporaryDirectory(prefix="bench_inputs_") as tmp:
        for rows in (args.rows // 10, args.rows):
            clock = time.perf_counter()
            subprocess.run([sys.executable, __file__, "--generate", tmp, "--rows", str(rows)], check=True)
            files = _files(Path(tmp), rows)
            size = sum(f.stat().st_size for f in files.values()) / 1e6
            print(f"# wrote {rows:,} sales + {rows:,} responses rows ({size:,.0f} MB Parquet) in {time.perf_counter() - clock:.1f} s")
            for task, path, unit in (
                ("sales_aggregate", files["sales"], "hourly rows"),
                ("nps_count_by_month", files["responses"], "months"),
            ):
                result = _run_child(task, path, args.threads)
                total = result["validate_s"] + result["query_s"]
                print(
                    f"{task}_{_label(rows)}: {total:.1f} s (validate {result['validate_s']:.1f} s + query "
                    f"{result['query_s']:.1f} s), peak RSS {result['peak_rss_mb']:.0f} MB "
                    f"(after imports {result['after_imports_mb']:.0f} MB), {result['result_rows']:,} {unit}",
                    flush=True,
                )
            for file in files.values():
                file.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
