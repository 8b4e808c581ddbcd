"""Deterministic sample data for every installed analysis, with the truth that was planted.

``itvalue sample-data [--out DIR] [--scale N] [--seed S]`` calls :func:`generate`, which runs the
sample generator of each registered analysis (its :attr:`~helpers.analysis.contract.Analysis.sample`), in
name order. The kit's own generators are modules of this package, each with
``generate(out_dir: Path, *, scale: int, seed: int) -> dict``:

- ``sales`` (downtime_sales): ``sales.parquet`` (order-level), ``outages.csv``, ``campaigns.csv``;
- ``nps`` (nps_trends): ``responses`` and ``tickets`` (CSV; Parquet above scale 1);
- ``cmdb`` (config_usage_audit): ``inventory`` (CSV; Parquet above scale 1), ``access_log.parquet``,
  ``collection_cost.csv``;
- ``adoption`` (feature_adoption): ``features.csv``, ``users.csv``, ``feature_usage.parquet``;
- ``outcomes`` (service_outcomes): ``incidents`` and ``incident_responses`` (CSV; Parquet above scale 1),
  ``incident_events.parquet`` (audit shape), ``incident_log.parquet`` (event-log shape; its generator checks
  it and ``incident_responses``, which are not named after their kinds).

An analysis may keep its generator in its own package instead (``helpers.it_costs.sample``, which
reads the ``users.csv`` feature_adoption's sample wrote before it: the samples run in name order).

Each returns its planted truth, written to ``truth.json`` under its analysis's name. Every file of
every input kind an analysis declares is then validated through :mod:`helpers.inputs`, so the sample
always loads. Generators stream large files with :func:`helpers.sample_data._parquet.write_parquet_chunks`.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from helpers.analysis import registry
from helpers.report.results import to_jsonable

__all__ = ["check_sample", "generate"]


def generate(out_dir: str | Path, *, scale: int = 1, seed: int = 42, check: bool = True) -> dict[str, Any]:
    """Write the sample inputs of every domain and ``truth.json``; return the truth.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into (created if missing); existing sample files are replaced.
    scale : int
        About ``scale`` times the default rows (1 = the few-MB set committed in
        ``data/sample/``); large files are streamed to Parquet in chunks.
    seed : int
        Seed of every random generator: the same seed gives the same files.
    check : bool
        Validate every written file through :func:`helpers.inputs.loading.check_input`.

    Returns
    -------
    dict
        ``{"config_usage_audit": ..., "downtime_sales": ..., ...}``: what each analysis planted.

    Raises
    ------
    ValueError
        If ``scale`` is not a whole number >= 1.
    RuntimeError
        If a generator did not write one of its files.
    helpers.exceptions.InputDataError
        If a written file breaks its schema (a bug in that generator).
    """
    if isinstance(scale, bool) or int(scale) != scale or scale < 1:
        raise ValueError(f"scale must be a whole number >= 1, got {scale!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # Build the set beside the target and move it in only when it is complete and valid:
    # a failed run leaves the last good sample (which reports and tests rely on) as it was.
    with tempfile.TemporaryDirectory(prefix=".sample-", dir=out_dir.parent) as tmp:
        staging = Path(tmp)
        truth: dict[str, Any] = {}
        for name, analysis in registry.analyses().items():
            if analysis.sample is not None:
                truth[name] = analysis.sample(staging, scale=int(scale), seed=int(seed))
        if check:
            check_sample(staging)
        (staging / "truth.json").write_text(
            json.dumps(to_jsonable(truth), indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        for file in sorted(staging.iterdir(), key=lambda p: p.name == "truth.json"):
            os.replace(file, out_dir / file.name)  # truth.json last: it vouches for the rest
    return truth


def check_sample(out_dir: str | Path) -> None:
    """Validate every sample input in ``out_dir``; RuntimeError naming any that is missing."""
    from helpers.inputs.loading import check_input  # DuckDB is only needed once files exist

    out_dir = Path(out_dir)
    missing = []
    # A sample file is named after its input kind (responses.csv, sales.parquet).
    kinds = [schema.kind for analysis in registry.analyses().values() if analysis.sample for schema in analysis.schemas]
    for kind in kinds:
        files = [out_dir / f"{kind}.{ext}" for ext in ("csv", "parquet") if (out_dir / f"{kind}.{ext}").is_file()]
        if not files:
            missing.append(kind)
        for file in files:
            check_input(str(file), kind)
    if missing:
        raise RuntimeError(f"sample data in {out_dir} lacks {', '.join(missing)} (no .csv or .parquet file)")
