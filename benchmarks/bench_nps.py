"""NPS trends on 10 million survey responses: counts per period in the query engine.

Usage: ``python benchmarks/bench_nps.py [--responses N] [--seed S] [--data DIR]``.

Generates the NPS sample at the scale that gives at least ``N`` responses (default 10
million), streamed month by month to Parquet in a cache folder keyed by size and seed
(reused by later runs; or ``--data``).
Then, in a fresh Python process (so its peak memory is the analysis' alone):

1. the monthly counts straight from the Parquet file in DuckDB (no validation): the
   query-engine figure;
2. the same through the data layer (``inputs.open_input`` validates every row in DuckDB);
3. the whole analysis the notebook runs (periods, daily counts for the trend and event
   regressions, a segment, the ticket join, comment words), short of drawing.

Beside it, in its own fresh process, the counts a user would write in plain pandas
(read the Parquet file, count detractors, passives and promoters per month and per
region); both must agree, and ``*_vs_pandas`` lines give the ratios.

Prints lines ``name: value unit`` (the format ``benchmarks/run.py`` collects).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shared import measure, nps_data

# Runs in the fresh process.
_MEASURE = """
import json, resource, sys, time
clock = time.perf_counter()
from helpers import nps_trends as nps
from helpers.inputs import loading as inputs
from helpers.nps_trends import queries as nps_queries
folder = sys.argv[1]
imported = time.perf_counter()

con = inputs.connect()
raw = con.read_parquet(f"{folder}/responses.parquet")
started = time.perf_counter()
monthly = nps_queries.period_counts(raw, period="M")
raw_seconds = time.perf_counter() - started

params = nps.Parameters.validate_values({
    "responses_path": f"{folder}/responses.parquet",
    "tickets_path": f"{folder}/tickets.parquet",
    "segments": ["region"],
    "events": [{"date": "2025-02-03", "label": "New support desk live"}],
})
started = time.perf_counter()
data = nps.load_inputs(params)
load_seconds = time.perf_counter() - started
started = time.perf_counter()
checked_monthly = nps_queries.period_counts(data.responses, period="M")
checked_seconds = time.perf_counter() - started
started = time.perf_counter()
analysis = nps.analyse(data, params)
results = nps.results(analysis)
analysis_seconds = time.perf_counter() - started
print(json.dumps({
    "import_seconds": imported - clock,
    "raw_monthly_seconds": raw_seconds,
    "load_seconds": load_seconds,
    "monthly_seconds": checked_seconds,
    "analysis_seconds": analysis_seconds,
    "responses": int(monthly["n"].sum()),
    "monthly": {str(k.date()): [int(v) for v in row]
                for k, row in monthly.set_index("period_start")[["detractors", "passives", "promoters"]].iterrows()},
    "periods": len(monthly),
    "same_counts": bool((monthly.reset_index(drop=True) == checked_monthly.reset_index(drop=True)).all().all()),
    "level_change": results["event_changes"][0]["level_change"],
    "level_change_low": results["event_changes"][0]["level_change_low"],
    "level_change_high": results["event_changes"][0]["level_change_high"],
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""

# The counts as a user would write them in plain pandas, in their own fresh process.
_PANDAS = """
import json, resource, sys, time
import pandas as pd
clock = time.perf_counter()
responses = pd.read_parquet(f"{sys.argv[1]}/responses.parquet", columns=["timestamp", "score", "region"])
loaded = time.perf_counter()
kind = pd.cut(responses["score"], [-1, 6, 8, 10], labels=["detractors", "passives", "promoters"])
month = responses["timestamp"].dt.to_period("M").dt.start_time
monthly = pd.crosstab(month, kind)
by_region = pd.crosstab(responses["region"].fillna("(missing)"), kind)
nps = 100 * (monthly["promoters"] - monthly["detractors"]) / monthly.sum(axis=1)
done = time.perf_counter()
print(json.dumps({
    "seconds": done - clock, "load_seconds": loaded - clock,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "regions": len(by_region), "months_nps": len(nps),
    "monthly": {str(k.date()): [int(v) for v in row] for k, row in monthly.iterrows()},
}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=10_000_000, help="responses to generate, at least")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data", type=Path, help="reuse a folder generated before (with nps_truth.json)")
    args = parser.parse_args()

    folder, truth = nps_data(args.responses, args.seed, args.data)
    print(f"responses_rows: {truth['rows']['responses']:,} rows")
    print(f"tickets_rows: {truth['rows']['tickets']:,} rows")
    print(f"responses_file: {(folder / 'responses.parquet').stat().st_size / 1e6:.0f} MB")
    figures = measure(_MEASURE, str(folder))
    plain = measure(_PANDAS, str(folder))
    print(f"monthly_counts_seconds: {figures['raw_monthly_seconds']:.2f} s "
          f"({figures['responses']:,} responses into {figures['periods']} months, Parquet straight into DuckDB)")
    print(f"load_seconds: {figures['load_seconds']:.1f} s (open and validate responses and tickets)")
    print(f"validated_monthly_counts_seconds: {figures['monthly_seconds']:.2f} s")
    print(f"analysis_seconds: {figures['analysis_seconds']:.1f} s "
          "(periods, daily counts, trend, event, region, ticket join, comment words, results)")
    print(f"peak_rss: {figures['peak_rss_mb']:.0f} MB")
    print(f"level_change: {figures['level_change']:.1f} points "
          f"({figures['level_change_low']:.1f} to {figures['level_change_high']:.1f}; planted "
          f"{truth['event']['step_points']:.0f})")
    kit_counts = figures["load_seconds"] + figures["monthly_seconds"]
    print(f"pandas_seconds: {plain['seconds']:.1f} s (read {plain['load_seconds']:.1f} s; "
          "counts per month and per region)")
    print(f"pandas_peak_rss: {plain['peak_rss_mb']:.0f} MB")
    print(f"counts_vs_pandas: {kit_counts / plain['seconds']:.2f} x time "
          f"(validated load + monthly counts, {kit_counts:.1f} s)")
    # Only the counts are compared: they are the step that grows with the responses. The analysis
    # after them (intervals, trend, event and ticket regressions) runs on those small counts, and
    # plain pandas has no equivalent to time it against.
    print(f"counts_peak_rss_vs_pandas: {figures['peak_rss_mb'] / plain['peak_rss_mb']:.2f} x "
          "(the kit's peak covers the whole analysis, pandas' only the counts)")
    if plain["monthly"] != figures["monthly"]:
        print("the kit's monthly counts disagree with plain pandas", file=sys.stderr)
        return 1
    print("pandas_agrees: yes (detractors, passives, promoters in every month)")
    if figures["responses"] != truth["rows"]["responses"] or not figures["same_counts"]:
        print("the counts disagree with the rows generated", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
