"""Deterministic sample data for the five analyses, with the truth that was planted.

``itvalue sample-data [--out DIR] [--scale N] [--seed S]`` calls :func:`generate`, which
runs one generator per domain, each a module of this package with
``generate(out_dir: Path, *, scale: int, seed: int) -> dict``:

- ``sales``: ``sales.parquet`` (order-level), ``outages.csv``, ``campaigns.csv``;
- ``nps``: ``responses`` and ``tickets`` (CSV; Parquet above scale 1);
- ``cmdb``: ``inventory`` (CSV; Parquet above scale 1), ``access_log.parquet``,
  ``collection_cost.csv``;
- ``adoption``: ``features.csv``, ``users.csv``, ``feature_usage.parquet``;
- ``outcomes``: ``incidents`` and ``incident_responses`` (CSV; Parquet above scale 1),
  ``incident_events.parquet`` (audit shape), ``incident_log.parquet`` (event-log shape).

Each returns its planted truth, written to ``truth.json`` under its domain's key. Every
file is then validated through :mod:`helpers.inputs`, so the sample always loads.
Generators stream large files with :func:`helpers.sample_data._parquet.write_parquet_chunks`.
"""

from __future__ import annotations

import importlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from helpers.report.results import to_jsonable

__all__ = ["generate", "DOMAINS", "SAMPLE_FILES"]

#: The domains, in the order they are generated; each is a module of this package.
DOMAINS: tuple[str, ...] = ("sales", "nps", "cmdb", "adoption", "outcomes")

#: The input files of a sample set (without extension: CSV or Parquet) and their kinds.
SAMPLE_FILES: dict[str, str] = {
    "sales": "sales",
    "outages": "outages",
    "campaigns": "campaigns",
    "responses": "responses",
    "tickets": "tickets",
    "inventory": "inventory",
    "access_log": "access_log",
    "collection_cost": "collection_cost",
    "features": "features",
    "feature_usage": "feature_usage",
    "users": "users",
    "incidents": "incidents",
    "incident_events": "incident_events",
    "incident_log": "incident_events",
    "incident_responses": "responses",
}


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
        Validate every written file through :func:`helpers.inputs.check_input`.

    Returns
    -------
    dict
        ``{"sales": ..., "nps": ..., "cmdb": ..., "adoption": ..., "outcomes": ...}``: what each domain planted.

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
        for domain in DOMAINS:
            # Imported here: each generator is its own module, and importing this package
            # (e.g. for the CLI's help) must not need them all.
            module = importlib.import_module(f"{__name__}.{domain}")
            truth[domain] = module.generate(staging, scale=int(scale), seed=int(seed))
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
    for stem, kind in SAMPLE_FILES.items():
        files = [out_dir / f"{stem}.{ext}" for ext in ("csv", "parquet") if (out_dir / f"{stem}.{ext}").is_file()]
        if not files:
            missing.append(stem)
        for file in files:
            check_input(str(file), kind)
    if missing:
        raise RuntimeError(f"sample data in {out_dir} lacks {', '.join(missing)} (no .csv or .parquet file)")
