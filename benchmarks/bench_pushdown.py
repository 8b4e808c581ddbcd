"""NPS from a PostgreSQL table: queried where it is (push-down) against today's copy into DuckDB.

Usage: ``python benchmarks/bench_pushdown.py [--responses N] [--seed S] [--data DIR]``.

Generates the NPS sample at the scale that gives at least ``N`` responses (default 10 million,
as ``make bench`` runs it; ``--responses 1000000`` for a quicker look), cached in a folder keyed by size
and seed as ``bench_nps.py`` does, and loads the responses and tickets into a PostgreSQL server
started for the benchmark (Debian's ``postgresql``, as the tests start it). Then, each in a fresh
Python process (so its peak memory is the analysis' alone), the whole analysis a kernel runs
(open and check the inputs, periods, daily counts, trend, event, a segment, the ticket join, comment
words, results):

- ``copy``: the tables copied whole into the local DuckDB and counted there (``push_down`` off:
  the behaviour before push-down);
- ``pushdown``: filters, buckets and counts run in PostgreSQL; only aggregates come back, and the
  comments with their scores for the word counts.

Rows transferred are the rows psycopg handed to Python. Prints lines ``name: value unit`` (the
format ``benchmarks/run.py`` collects), each push-down figure beside the copy's as a ratio measured
in the same run, and exits 1 if the two runs' results differ.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from shared import differences, measure, nps_data

ROOT = Path(__file__).resolve().parents[1]

# Runs in the fresh process: argv is mode, the parameters (JSON).
_ANALYSIS = """
import json, resource, sys, time
clock = time.perf_counter()
import psycopg
from helpers import nps_trends as nps
from helpers.inputs import loading
from helpers.report.results import to_jsonable
mode, values = sys.argv[1], json.loads(sys.argv[2])
rows = [0]
def counting(fetch):
    def counted(self, *args, **kwargs):
        batch = fetch(self, *args, **kwargs)
        rows[0] += len(batch)
        return batch
    return counted
for cls in (psycopg.Cursor, psycopg.ServerCursor):
    for name in ("fetchall", "fetchmany"):
        setattr(cls, name, counting(getattr(cls, name)))
if mode == "copy":
    opened = loading.open_input
    loading.open_input = lambda *args, push_down=False, **kwargs: opened(*args, **kwargs)
started = time.perf_counter()
params = nps.Parameters.validate_values(values)
data = nps.load_inputs(params)
loaded = time.perf_counter()
results = to_jsonable(nps.results(nps.analyse(data, params)))
done = time.perf_counter()
print(json.dumps({
    "startup_seconds": started - clock, "load_seconds": loaded - started, "analyse_seconds": done - loaded,
    "seconds": done - started, "rows": rows[0],
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "results": results,
}))
"""

_PG_TYPES = {"BOOLEAN": "boolean", "BIGINT": "bigint", "INTEGER": "bigint", "DOUBLE": "double precision",
             "TIMESTAMP": "timestamp", "TIMESTAMP_NS": "timestamp", "TIMESTAMP WITH TIME ZONE": "timestamptz",
             "DATE": "date"}




def _load(server, folder: Path, names: tuple[str, ...]) -> None:
    """Each Parquet file into a table of its name, through a CSV that DuckDB writes and PostgreSQL's COPY reads."""
    import duckdb
    import psycopg

    local = duckdb.connect()
    with psycopg.connect(host=server.host, port=server.port, user=server.user, password=server.password,
                         dbname="postgres") as db:
        for name in names:
            parquet = folder / f"{name}.parquet"
            described = local.execute(f"DESCRIBE SELECT * FROM read_parquet('{parquet}')").fetchall()
            columns = ", ".join(f'"{c}" {_PG_TYPES.get(t, "text")}' for c, t, *_ in described)
            db.execute(f'CREATE TABLE "{name}" ({columns})')
            with tempfile.TemporaryDirectory(prefix="bench_pushdown_") as scratch:
                csv = Path(scratch) / f"{name}.csv"
                local.execute(f"COPY (SELECT * FROM read_parquet('{parquet}')) TO '{csv}' (HEADER false)")
                with db.cursor().copy(f'COPY "{name}" FROM STDIN (FORMAT csv)') as copy, csv.open("rb") as rows:
                    while chunk := rows.read(1 << 20):
                        copy.write(chunk)
            db.execute(f'ANALYZE "{name}"')
    local.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=10_000_000, help="responses to generate, at least")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", type=Path, help="reuse a folder generated before (with nps_truth.json)")
    args = parser.parse_args()
    if not shutil.which("runuser") or not list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")):
        print("skipped: no PostgreSQL server binaries (make engines installs Debian's postgresql)")
        return 0
    sys.path.insert(0, str(ROOT / "tests" / "engines"))
    from engines_support import running_postgres

    folder, truth = nps_data(args.responses, args.seed, args.data)
    print(f"responses_rows: {truth['rows']['responses']:,} rows; tickets_rows: {truth['rows']['tickets']:,} rows", flush=True)
    with running_postgres() as server:
        clock = time.perf_counter()
        _load(server, folder, ("responses", "tickets"))
        print(f"postgres_load_seconds: {time.perf_counter() - clock:.0f} s (not part of the figures below)", flush=True)
        env = os.environ | {"PGPASSWORD": server.password}
        values = {"responses_path": server.url("responses"), "tickets_path": server.url("tickets"),
                  "segments": ["region"], "events": [{"date": "2025-02-03", "label": "New support desk live"}]}
        copy = measure(_ANALYSIS, "copy", json.dumps(values), env=env, cwd=ROOT)
        pushed = measure(_ANALYSIS, "pushdown", json.dumps(values), env=env, cwd=ROOT)
    for label, figures in (("copy", copy), ("pushdown", pushed)):
        print(f"{label}_rows_transferred: {figures['rows']:,} rows")
        print(f"{label}_peak_rss: {figures['peak_rss_mb']:,.0f} MB (the analysing Python process)")
        print(f"{label}_seconds: {figures['seconds']:.1f} s (load and check {figures['load_seconds']:.1f} s, "
              f"analyse {figures['analyse_seconds']:.1f} s)")
    print(f"pushdown_rows_vs_copy: {pushed['rows'] / copy['rows']:.2f} x "
          "(what still comes over: the comments and their scores, for the word counts, and the counts)")
    print(f"pushdown_peak_rss_vs_copy: {pushed['peak_rss_mb'] / copy['peak_rss_mb']:.2f} x")
    print(f"pushdown_seconds_vs_copy: {pushed['seconds'] / copy['seconds']:.2f} x")
    found = differences(copy["results"], pushed["results"])
    print(f"pushdown_same_results: {'yes' if not found else 'NO: ' + found[0]}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
