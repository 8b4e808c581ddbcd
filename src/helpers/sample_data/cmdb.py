"""CMDB sample data with planted usage: inventory, access log and collection cost.

Writes, in ``out_dir``:

- ``inventory.csv`` (``inventory.parquet`` when ``scale > 1``): one row per populated
  attribute of a configuration item (``ci_id, ci_class, attribute, last_updated, source``);
- ``access_log.parquet``: nine months of reads and writes (``timestamp, ci_id, attribute,
  consumer, process, action``), time-ordered, streamed one month at a time;
- ``collection_cost.csv``: maintenance hours a month per attribute, plus a few
  class-level ``*`` rows.

Every class x attribute is given a planted *profile*, so the audit's verdicts are known
in advance for the default parameters (``as_of`` 2025-06-30, a 90-day window, stale after
60 days, discovery and audit excluded, at least one read):

==================  =========================================================================
profile             what the log holds for it
==================  =========================================================================
``used``            reads by incident, change, problem, request, reporting or integration work
                    in the window and before it, plus discovery/audit reads and writes
``keepers_only``    reads only by discovery and audit (the data's keepers, not users)
``long_ago``        reads by counted processes only in the first months, before any window
``never``           nothing at all
``writes_only``     writes only, some by counted processes (integration, change)
``window_start``    one counted read at exactly the window's first instant (counts)
``as_of_end``       one counted read at 23:59:59 on ``as_of`` (counts)
``before_window``   one counted read one second before the window (does not count)
==================  =========================================================================

Values are planted fresh (median age at most 50 days) or stale (median age at least 75
days), well clear of the 60-day limit. Whole-record reads (empty ``attribute``), reads
of CIs missing from the inventory (including one hostile id) and reads of an attribute
the inventory does not hold are planted too. Two attribute names are hostile text
(HTML and a matplotlib ``$...$`` expression) to prove escaping.

The returned truth holds, per class x attribute, the planted verdicts and the exact
expected figures (reads, consumers, processes, last read, median age, hours), per class
the CIs read and reads by process, and the monthly trend of counted reads.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._parquet import write_parquet_chunks

__all__ = ["generate", "AS_OF", "WINDOW_DAYS", "STALE_AFTER_DAYS", "EXCLUDED_PROCESSES"]

#: The planted verdicts hold for these default audit parameters.
AS_OF = dt.date(2025, 6, 30)
WINDOW_DAYS = 90
STALE_AFTER_DAYS = 60
EXCLUDED_PROCESSES = ("discovery", "audit")
MIN_READS = 1

_LOG_START = dt.datetime(2024, 10, 1)
_WINDOW_END = dt.datetime.combine(AS_OF, dt.time()) + dt.timedelta(days=1)
_WINDOW_START = _WINDOW_END - dt.timedelta(days=WINDOW_DAYS)
_LONG_AGO_END = _LOG_START + dt.timedelta(days=75)
_EPOCH = dt.datetime(1970, 1, 1)

_COUNTED = ("incident", "change", "problem", "request", "reporting", "integration")
_PROCESSES = _COUNTED + EXCLUDED_PROCESSES

# CIs per class at scale 1 (a couple of thousand in all).
_CLASSES = {
    "server": 300,
    "virtual_machine": 420,
    "laptop": 480,
    "network_switch": 120,
    "router": 60,
    "database": 150,
    "application": 170,
    "storage_array": 40,
    "load_balancer": 30,
    "mobile_device": 230,
}
_CORE = ["name", "status", "owner", "support_group", "location", "environment",
         "manufacturer", "model", "serial_number", "install_date"]
_COMMON = [
    "cost_center", "business_service", "asset_tag", "warranty_end", "purchase_order", "vendor",
    "contract_number", "department", "managed_by", "criticality", "description", "comments",
    "last_discovered", "discovery_source", "lifecycle_stage", "operational_status",
    "maintenance_window", "change_freeze", "patch_group", "backup_policy", "monitoring_profile",
    "dr_tier", "compliance_scope", "data_classification", "decommission_date", "replacement_due",
    "purchase_cost", "depreciation_method", "depreciated_value", "invoice_number",
]
_SPECIFIC = {
    "server": ["os", "os_version", "ip_address", "fqdn", "cpu_count", "ram_gb", "disk_gb",
               "hypervisor", "rack_position", "kernel_version"],
    "virtual_machine": ["os", "os_version", "ip_address", "fqdn", "vcpu", "ram_gb",
                        "host_cluster", "image_template", "snapshot_policy"],
    "laptop": ["os", "os_version", "assigned_user", "mac_address", "encryption_status",
               "last_login", "docking_station"],
    "network_switch": ["ip_address", "firmware_version", "port_count", "vlan_list",
                       "stack_member", "uplink"],
    "router": ["ip_address", "firmware_version", "routing_protocol", "wan_circuit",
               "isp_contract", "bgp_asn"],
    "database": ["db_engine", "db_version", "instance_name", "port", "size_gb",
                 "backup_retention", "replication_mode", "ha_role"],
    "application": ["app_version", "url", "vendor_support_level", "licence_count", "sso_enabled",
                    "business_owner", '<script>alert("attr")</script>', "budget $ (USD) $x$"],
    "storage_array": ["capacity_tb", "used_tb", "raid_level", "firmware_version",
                      "replication_target"],
    "load_balancer": ["vip_list", "pool_members", "ssl_certificate_expiry", "firmware_version"],
    "mobile_device": ["imei", "phone_number", "carrier", "os_version", "mdm_enrolled",
                      "assigned_user"],
}
_SOURCES_DISCOVERED = {
    "server": "sccm", "virtual_machine": "vcenter", "laptop": "intune", "network_switch": "netdisco",
    "router": "netdisco", "database": "servicenow_discovery", "application": "servicenow_discovery",
    "storage_array": "snmp_scan", "load_balancer": "snmp_scan", "mobile_device": "intune",
}
# The boundary traps live in fixed places so tests can find them by name.
_BOUNDARY = {
    ("server", "os_version"): "as_of_end",
    ("database", "port"): "window_start",
    ("router", "bgp_asn"): "before_window",
}
_UNKNOWN_ATTRIBUTE = ("server", "legacy_asset_tag")  # read in the log, not held by the inventory
_HOSTILE_CI_ID = "<img src=x onerror=alert('ci')>"

_CONSUMERS = {
    "incident": [f"analyst{i:03d}" for i in range(120)],
    "change": [f"change-mgr{i:02d}" for i in range(30)],
    "problem": [f"problem-mgr{i:02d}" for i in range(12)],
    "request": [f"fulfiller{i:03d}" for i in range(60)],
    "reporting": ["svc-powerbi", "svc-tableau", "report-ops01", "report-ops02"],
    "integration": ["svc-monitoring", "svc-backup", "svc-itam-sync", "svc-siem", "svc-hr-feed"],
    "discovery": ["svc-discovery-eu", "svc-discovery-us", "svc-sccm", "svc-netdisco"],
    "audit": [f"auditor{i:02d}" for i in range(8)] + ["svc-compliance-scan"],
}


@dataclass
class _Attribute:
    index: int
    ci_class: str
    attribute: str
    profile: str
    stale: bool
    fill: float
    source: str
    hours: float | None = None
    # filled while the inventory is written
    populated: int = 0
    median_age_days: float = 0.0


@dataclass
class _Stream:
    """Events of one kind: who does what to which attribute of which CIs, over which period."""

    class_index: int
    attribute_index: int  # -1 = whole record; >= number of inventory attributes = unknown attribute
    action: int  # 0 read, 1 write
    processes: tuple[str, ...]
    weights: tuple[float, ...]
    start: int  # seconds since the epoch, inclusive
    end: int  # exclusive
    count: int
    popular_only: bool = True  # counted work reads the CIs in use; discovery scans all
    unknown_cis: bool = False
    month_counts: np.ndarray = field(default=None, repr=False)


def _seconds(moment: dt.datetime) -> int:
    return int((moment - _EPOCH).total_seconds())


def _months() -> list[tuple[int, int, str]]:
    months, start = [], _LOG_START
    while start < _WINDOW_END:
        end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        months.append((_seconds(start), _seconds(min(end, _WINDOW_END)), start.strftime("%Y-%m")))
        start = end
    return months


def generate(out_dir: Path, *, scale: int = 1, seed: int = 42, log_scale: int | None = None) -> dict[str, Any]:
    """Write the CMDB sample files and return the planted truth.

    Parameters
    ----------
    out_dir : Path
        Folder to write into (created if missing).
    scale : int
        About ``scale`` times the CIs, inventory rows and access-log events of the
        default (2,000 CIs, ~39,000 inventory rows, ~60,000 events). Above 1 the
        inventory is written as Parquet and everything is streamed in chunks.
    seed : int
        Seed of the random generator; the same seed gives the same files.
    log_scale : int, optional
        Multiplies the access log's events alone (default: ``scale``), so a benchmark can
        audit a log of a hundred million distinct events against an inventory of a few
        million rows. Every planted verdict still holds; ``scale=100, log_scale=1700``
        writes about 100M events.

    Returns
    -------
    dict
        The planted truth (JSON types), stored under ``"cmdb"`` in ``truth.json``.
    """
    if scale < 1 or (log_scale is not None and log_scale < 1):
        raise ValueError("scale and log_scale must be at least 1")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 5])

    classes = list(_CLASSES)
    ci_counts = np.array([_CLASSES[c] * scale for c in classes])
    ci_offsets = np.concatenate([[0], np.cumsum(ci_counts)])
    ci_ids = np.array([f"CI{i:07d}" for i in range(1, int(ci_offsets[-1]) + 1)], dtype=object)
    ci_class_of = np.repeat(np.arange(len(classes)), ci_counts)

    attributes = _plan_attributes(classes, rng)
    _plan_costs(attributes, rng)
    class_hours = _class_level_hours(classes, rng)
    # planned before anything whose random draws depend on the scale, so that a larger
    # scale multiplies the same plan
    streams, boundary_events = _plan_streams(attributes, classes, ci_counts, scale if log_scale is None else log_scale,
                                             scale, rng)

    inventory_file = _write_inventory(out_dir, scale, classes, attributes, ci_ids, ci_offsets, rng)
    cost_file = _write_costs(out_dir, attributes, class_hours)

    # CIs "in use" per class: counted work reads only these, so not every CI is read.
    in_use = [
        np.sort(rng.choice(n, size=max(1, int(round(n * rng.uniform(0.35, 0.9)))), replace=False))
        for n in ci_counts
    ]
    unknown_ids = np.array([f"CI9{i:06d}" for i in range(1, 21)] + [_HOSTILE_CI_ID], dtype=object)
    extra_attributes = [_UNKNOWN_ATTRIBUTE[1]]

    tallies = _write_access_log(
        out_dir,
        streams,
        boundary_events,
        attributes=attributes,
        extra_attributes=extra_attributes,
        classes=classes,
        ci_ids=ci_ids,
        ci_offsets=ci_offsets,
        ci_class_of=ci_class_of,
        in_use=in_use,
        unknown_ids=unknown_ids,
        rng=rng,
    )
    return _truth(
        attributes,
        classes,
        ci_counts,
        class_hours=class_hours,
        tallies=tallies,
        inventory_file=inventory_file,
        cost_file=cost_file,
        scale=scale,
        seed=seed,
    )


# --- planning -------------------------------------------------------------------------------


def _plan_attributes(classes: list[str], rng: np.random.Generator) -> list[_Attribute]:
    attributes: list[_Attribute] = []
    for ci_class in classes:
        specific = _SPECIFIC[ci_class]
        n_common = int(rng.integers(36, 45)) - len(_CORE) - len(specific)
        common = list(rng.choice(_COMMON, size=min(n_common, len(_COMMON)), replace=False))
        names = _CORE + specific + sorted(str(name) for name in common)
        # value 35%, risk 12%, waste 28%, retire 25% (before the boundary traps are placed)
        quadrants = rng.choice(["value", "risk", "waste", "retire"], size=len(names), p=[0.35, 0.12, 0.28, 0.25])
        for name, quadrant in zip(names, quadrants):
            used = quadrant in ("value", "risk")
            profile = (
                "used"
                if used
                else str(rng.choice(["never", "keepers_only", "long_ago", "writes_only"], p=[0.35, 0.3, 0.2, 0.15]))
            )
            profile = _BOUNDARY.get((ci_class, name), profile)
            if profile == "before_window":
                quadrant = "waste"
            elif profile in ("as_of_end", "window_start") and not used:
                quadrant = "value"
            core = name in _CORE
            fill = float(rng.uniform(0.9, 1.0)) if core else float(rng.beta(1.5, 3.0) * 0.95 + 0.03)
            manual = (not core) and rng.random() < 0.4
            attributes.append(
                _Attribute(
                    index=len(attributes),
                    ci_class=ci_class,
                    attribute=name,
                    profile=profile,
                    stale=quadrant in ("risk", "retire"),
                    fill=fill,
                    source="manual" if manual else _SOURCES_DISCOVERED[ci_class],
                )
            )
    return attributes


def _plan_costs(attributes: list[_Attribute], rng: np.random.Generator) -> None:
    for attribute in attributes:
        if rng.random() < 0.12:
            continue  # no cost row: the audit shows it as unknown (or the class share only)
        base = rng.lognormal(np.log(0.6), 0.8)
        if attribute.source == "manual":
            base *= 3  # kept by hand
        attribute.hours = round(float(base), 1)


def _class_level_hours(classes: list[str], rng: np.random.Generator) -> dict[str, float]:
    # Reconciliation and certification campaigns are costed per class, not per attribute.
    chosen = rng.choice(classes, size=4, replace=False)
    return {str(c): round(float(rng.uniform(6, 24)), 1) for c in sorted(chosen)}


def _plan_streams(
    attributes: list[_Attribute],
    classes: list[str],
    ci_counts: np.ndarray,
    scale: int,
    ci_scale: int,
    rng: np.random.Generator,
) -> tuple[list[_Stream], list[tuple[int, int, str, int]]]:
    # ``scale`` multiplies the events, ``ci_scale`` made ``ci_counts``; the event counts are
    # not drawn at random, so the same plan serves any multiplier and the default
    # (equal multipliers) keeps the committed sample's random stream
    log_start, window_start, window_end = _seconds(_LOG_START), _seconds(_WINDOW_START), _seconds(_WINDOW_END)
    long_ago_end = _seconds(_LONG_AGO_END)
    streams: list[_Stream] = []
    boundary_events: list[tuple[int, int, str, int]] = []  # (attribute index, second, process, action)

    def add(attribute_index, class_index, action, processes, start, end, count, **kwargs):
        if count <= 0:
            return
        weights = rng.dirichlet(np.ones(len(processes)) * 2.0) if len(processes) > 1 else np.ones(1)
        streams.append(
            _Stream(
                class_index, attribute_index, action, tuple(processes), tuple(weights), start, end, int(count), **kwargs
            )
        )

    for attribute in attributes:
        c = classes.index(attribute.ci_class)
        i = attribute.index
        profile = attribute.profile
        if profile == "used":
            # risk attributes are mostly incident and change work: people rely on them in a hurry
            pool = ["incident", "change", "problem"] if attribute.stale else list(_COUNTED)
            k = int(rng.integers(1, min(3, len(pool)) + 1))
            processes = list(rng.choice(pool, size=k, replace=False))
            window_reads = max(1, int(round(rng.lognormal(np.log(25), 1.2))))
            add(i, c, 0, processes, window_start, window_end, window_reads * scale)
            add(i, c, 0, processes, log_start, window_start, int(window_reads * rng.uniform(1.0, 3.0)) * scale)
        elif profile == "long_ago":
            processes = list(rng.choice(list(_COUNTED), size=int(rng.integers(1, 3)), replace=False))
            add(i, c, 0, processes, log_start, long_ago_end, int(rng.integers(3, 60)) * scale)
        elif profile == "keepers_only":
            add(
                i,
                c,
                0,
                ["discovery", "audit"],
                log_start,
                window_end,
                int(rng.integers(20, 200)) * scale,
                popular_only=False,
            )
        elif profile == "writes_only":
            add(
                i,
                c,
                1,
                ["integration", "change", "discovery"],
                log_start,
                window_end,
                int(rng.integers(20, 150)) * scale,
                popular_only=False,
            )
        elif profile in ("as_of_end", "window_start", "before_window"):
            second = {"as_of_end": window_end - 1, "window_start": window_start, "before_window": window_start - 1}[
                profile
            ]
            boundary_events.append((i, second, "incident", 0))
        # noise every kind except "never" may carry: discovery/audit reads and writes never count
        if profile not in ("never", "keepers_only") and rng.random() < 0.6:
            add(
                i,
                c,
                0,
                ["discovery", "audit"],
                log_start,
                window_end,
                int(rng.integers(5, 80)) * scale,
                popular_only=False,
            )
        if profile not in ("never", "writes_only") and rng.random() < 0.6:
            add(
                i,
                c,
                1,
                ["discovery", "integration", "change"],
                log_start,
                window_end,
                int(rng.integers(5, 60)) * scale,
                popular_only=False,
            )

    for c, n_ci in enumerate(ci_counts):
        base = int(n_ci) * scale // ci_scale  # whole-record opens scale with the CIs (and the log)
        add(-1, c, 0, ["incident", "change", "request"], window_start, window_end, base // 2)
        add(-1, c, 0, ["incident", "change", "request"], log_start, window_start, base)
        add(-1, c, 0, ["discovery"], log_start, window_end, base // 2, popular_only=False)

    n_attributes = len(attributes)
    server = classes.index(_UNKNOWN_ATTRIBUTE[0])
    add(n_attributes, server, 0, ["incident"], window_start, window_end, 12 * scale)
    # reads of CIs the inventory does not hold (retired, or mistyped ids)
    add(0, 0, 0, ["incident", "change"], log_start, window_end, 150 * scale, unknown_cis=True)
    return streams, boundary_events


# --- writing --------------------------------------------------------------------------------


def _write_inventory(out_dir, scale, classes, attributes, ci_ids, ci_offsets, rng) -> str:
    as_of_second = _seconds(dt.datetime.combine(AS_OF, dt.time()))
    schema = pa.schema(
        [
            ("ci_id", pa.string()),
            ("ci_class", pa.string()),
            ("attribute", pa.string()),
            ("last_updated", pa.timestamp("s")),
            ("source", pa.string()),
        ]
    )
    name = "inventory.csv" if scale == 1 else "inventory.parquet"
    (out_dir / ("inventory.parquet" if scale == 1 else "inventory.csv")).unlink(missing_ok=True)
    names = pa.array([a.attribute for a in attributes], pa.string())
    sources = pa.array([a.source for a in attributes], pa.string())

    def chunks():
        for c, ci_class in enumerate(classes):
            class_cis = np.arange(ci_offsets[c], ci_offsets[c + 1])
            parts = []
            for attribute in (a for a in attributes if a.ci_class == ci_class):
                populated = rng.random(len(class_cis)) < attribute.fill
                if not populated.any():
                    populated[rng.integers(len(class_cis))] = True
                ages = _ages(int(populated.sum()), attribute.stale, rng)
                attribute.populated = int(populated.sum())
                attribute.median_age_days = float(np.median(ages))
                seconds = as_of_second - ages * 86400 + rng.integers(0, 86400, size=len(ages))
                parts.append((class_cis[populated], np.full(len(ages), attribute.index), seconds))
            ci_index = np.concatenate([p[0] for p in parts])
            attr_index = np.concatenate([p[1] for p in parts])
            seconds = np.concatenate([p[2] for p in parts])
            order = np.lexsort((attr_index, ci_index))  # an export lists a CI's attributes together
            for chunk in np.array_split(order, max(1, len(order) // 500_000 + 1)):
                yield pa.table(
                    {
                        "ci_id": pa.array(ci_ids[ci_index[chunk]], pa.string()),
                        "ci_class": pa.array(np.full(len(chunk), ci_class, dtype=object), pa.string()),
                        "attribute": names.take(pa.array(attr_index[chunk])),
                        "last_updated": pa.array(seconds[chunk], pa.timestamp("s")),
                        "source": sources.take(pa.array(attr_index[chunk])),
                    },
                    schema=schema,
                )

    if scale > 1:
        write_parquet_chunks(out_dir / name, chunks(), schema=schema)
    else:
        with _CsvWriter(out_dir / name) as writer:
            for table in chunks():
                writer.write_table(table)
    return name


def _ages(n: int, stale: bool, rng: np.random.Generator) -> np.ndarray:
    """Value ages in whole days at as_of; the median is kept clear of the 60-day limit."""
    while True:
        if stale:
            typical = rng.uniform(100, 400)
            ages = rng.integers(int(typical * 0.3), int(typical * 1.7) + 1, size=n)
        else:
            typical = rng.uniform(3, 40)
            ages = rng.integers(0, int(typical * 2) + 1, size=n)
        # a few values of every attribute are refreshed, or forgotten, off the typical pace
        odd = rng.random(n) < 0.1
        ages[odd] = rng.integers(0, 500, size=int(odd.sum()))
        median = float(np.median(ages))
        if (stale and median >= 75) or (not stale and median <= 50):
            return ages.astype(np.int64)


def _write_costs(out_dir: Path, attributes: list[_Attribute], class_hours: dict[str, float]) -> str:
    rows = [(a.ci_class, a.attribute, a.hours) for a in attributes if a.hours is not None]
    rows += [(c, "*", h) for c, h in class_hours.items()]
    rows.sort(key=lambda r: (r[0], r[1] != "*", r[1]))
    table = pa.table(
        {
            "ci_class": [r[0] for r in rows],
            "attribute": [r[1] for r in rows],
            "hours_per_month": pa.array([r[2] for r in rows], pa.float64()),
        }
    )
    with _CsvWriter(out_dir / "collection_cost.csv") as writer:
        writer.write_table(table)
    return "collection_cost.csv"


class _CsvWriter:
    """Appends Arrow tables to a CSV file, quoting only fields that need it (as spreadsheets do)."""

    def __init__(self, path: Path):
        self._file = open(path, "w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._file, lineterminator="\n")
        self._header = False

    def write_table(self, table: pa.Table) -> None:
        if not self._header:
            self._writer.writerow(table.column_names)
            self._header = True
        columns = [
            pc.strftime(column, "%Y-%m-%dT%H:%M:%S").to_pylist()
            if pa.types.is_timestamp(column.type)
            else column.to_pylist()
            for column in table.columns
        ]
        self._writer.writerows(zip(*columns))

    def __enter__(self) -> _CsvWriter:
        return self

    def __exit__(self, *exc) -> None:
        self._file.close()


def _write_access_log(
    out_dir,
    streams,
    boundary_events,
    *,
    attributes,
    extra_attributes,
    classes,
    ci_ids,
    ci_offsets,
    ci_class_of,
    in_use,
    unknown_ids,
    rng,
) -> dict[str, Any]:
    months = _months()
    window_start, window_end = _seconds(_WINDOW_START), _seconds(_WINDOW_END)
    n_attributes = len(attributes)
    n_classes = len(classes)
    processes = list(_PROCESSES)
    excluded = np.array([p in EXCLUDED_PROCESSES for p in processes])
    consumers = [name for p in processes for name in _CONSUMERS[p]]
    consumer_offset = {}
    for p in processes:
        consumer_offset[p] = consumers.index(_CONSUMERS[p][0])

    # Split each stream's events over the months it spans, in proportion to the overlap.
    for stream in streams:
        overlap = np.array([max(0, min(stream.end, e) - max(stream.start, s)) for s, e, _ in months], float)
        stream.month_counts = rng.multinomial(stream.count, overlap / overlap.sum())

    all_ids = pa.array(np.concatenate([ci_ids, unknown_ids]), pa.string())
    attribute_names = pa.array([a.attribute for a in attributes] + extra_attributes, pa.string())
    process_names = pa.array(processes, pa.string())
    consumer_names = pa.array(consumers, pa.string())
    action_names = pa.array(["read", "write"], pa.string())
    n_known = len(ci_ids)
    attribute_class = np.array([classes.index(a.ci_class) for a in attributes])

    tallies = {
        "reads": np.zeros(n_attributes, np.int64),
        "consumers": np.zeros((n_attributes, len(consumers)), bool),
        "processes": np.zeros((n_attributes, len(processes)), bool),
        "last_read": np.full(n_attributes, -1, np.int64),
        "ci_read": np.zeros(n_known, bool),
        "class_reads": np.zeros((n_classes, len(processes)), np.int64),
        "whole_record_reads": np.zeros(n_classes, np.int64),
        "monthly_reads": np.zeros(len(months), np.int64),
        "unknown_ci_rows": 0,
        "unknown_attribute_reads": 0,
        "rows": 0,
        "months": [m[2] for m in months],
    }
    schema = pa.schema(
        [
            ("timestamp", pa.timestamp("s")),
            ("ci_id", pa.string()),
            ("attribute", pa.string()),
            ("consumer", pa.string()),
            ("process", pa.string()),
            ("action", pa.string()),
        ]
    )

    def months_of_events():
        for m, (month_start, month_end, _label) in enumerate(months):
            parts = []
            for stream in streams:
                n = int(stream.month_counts[m])
                if n == 0:
                    continue
                start, end = max(stream.start, month_start), min(stream.end, month_end)
                seconds = rng.integers(start, end, size=n)
                process_choice = rng.choice(len(stream.processes), size=n, p=stream.weights)
                process_index = np.array([processes.index(p) for p in stream.processes])[process_choice]
                consumer_index = np.empty(n, np.int64)
                for k, p in enumerate(stream.processes):
                    mask = process_choice == k
                    pool = len(_CONSUMERS[p])
                    weights = 1.0 / np.arange(1, pool + 1) ** 0.8  # a few people do most of the work
                    consumer_index[mask] = consumer_offset[p] + rng.choice(
                        pool, size=int(mask.sum()), p=weights / weights.sum()
                    )
                if stream.unknown_cis:
                    ci_index = n_known + rng.integers(0, len(unknown_ids), size=n)
                    attr_index = rng.integers(0, n_attributes, size=n)
                else:
                    c = stream.class_index
                    pool = in_use[c] if stream.popular_only else np.arange(ci_offsets[c + 1] - ci_offsets[c])
                    ci_index = ci_offsets[c] + pool[rng.integers(0, len(pool), size=n)]
                    attr_index = np.full(n, stream.attribute_index)
                parts.append((seconds, ci_index, attr_index, consumer_index, process_index, np.full(n, stream.action)))
            for attribute_index, second, process, action in boundary_events:
                if month_start <= second < month_end:
                    c = attribute_class[attribute_index]
                    parts.append(
                        (
                            np.array([second]),
                            np.array([ci_offsets[c] + in_use[c][0]]),
                            np.array([attribute_index]),
                            np.array([consumer_offset[process]]),
                            np.array([processes.index(process)]),
                            np.array([action]),
                        )
                    )
            seconds, ci_index, attr_index, consumer_index, process_index, action = (
                np.concatenate([p[k] for p in parts]) for k in range(6)
            )
            order = np.argsort(seconds, kind="stable")
            seconds, ci_index, attr_index, consumer_index, process_index, action = (
                a[order] for a in (seconds, ci_index, attr_index, consumer_index, process_index, action)
            )
            _tally(
                tallies,
                m,
                seconds=seconds,
                ci_index=ci_index,
                attr_index=attr_index,
                consumer_index=consumer_index,
                process_index=process_index,
                action=action,
                excluded=excluded,
                n_known=n_known,
                n_attributes=n_attributes,
                ci_class_of=ci_class_of,
                attribute_class=attribute_class,
                window_start=window_start,
                window_end=window_end,
            )
            whole = attr_index < 0
            table = pa.table(
                {
                    "timestamp": pa.array(seconds, pa.timestamp("s")),
                    "ci_id": all_ids.take(pa.array(ci_index)),
                    "attribute": attribute_names.take(pa.array(np.where(whole, 0, attr_index), mask=whole)),
                    "consumer": consumer_names.take(pa.array(consumer_index)),
                    "process": process_names.take(pa.array(process_index)),
                    "action": action_names.take(pa.array(action)),
                },
                schema=schema,
            )
            tallies["rows"] += len(seconds)
            yield table

    # one month in memory at a time; row groups of at most a million rows at any scale
    write_parquet_chunks(out_dir / "access_log.parquet", months_of_events(), schema=schema, row_group_size=1_000_000)
    return tallies


def _tally(
    t,
    month,
    *,
    seconds,
    ci_index,
    attr_index,
    consumer_index,
    process_index,
    action,
    excluded,
    n_known,
    n_attributes,
    ci_class_of,
    attribute_class,
    window_start,
    window_end,
) -> None:
    known = ci_index < n_known
    t["unknown_ci_rows"] += int((~known).sum())
    counted = known & (action == 0) & ~excluded[process_index]
    t["monthly_reads"][month] += int(counted.sum())
    in_window = (seconds >= window_start) & (seconds < window_end)
    ci_class = np.where(known, ci_class_of[np.minimum(ci_index, n_known - 1)], -1)
    on_attribute = counted & (attr_index >= 0) & (attr_index < n_attributes)
    # last read: latest counted read up to the window's end, even one before the window
    idx = attr_index[on_attribute]
    np.maximum.at(t["last_read"], idx, seconds[on_attribute])
    window_reads = counted & in_window
    t["unknown_attribute_reads"] += int((window_reads & (attr_index >= n_attributes)).sum())
    hit = window_reads & on_attribute
    assert (attribute_class[attr_index[hit]] == ci_class[hit]).all()
    np.add.at(t["reads"], attr_index[hit], 1)
    t["consumers"][attr_index[hit], consumer_index[hit]] = True
    t["processes"][attr_index[hit], process_index[hit]] = True
    t["ci_read"][ci_index[window_reads]] = True
    np.add.at(
        t["class_reads"],
        (ci_class[known & (action == 0) & in_window], process_index[known & (action == 0) & in_window]),
        1,
    )
    np.add.at(t["whole_record_reads"], ci_class[window_reads & (attr_index < 0)], 1)


# --- truth ----------------------------------------------------------------------------------


def _truth(attributes, classes, ci_counts, *, class_hours, tallies, inventory_file, cost_file, scale, seed):
    processes = list(_PROCESSES)
    populated_by_class = {c: sum(a.populated for a in attributes if a.ci_class == c) for c in classes}
    rows = []
    for a in attributes:
        reads = int(tallies["reads"][a.index])
        used = reads >= MIN_READS
        planted_used = a.profile in ("used", "as_of_end", "window_start")
        stale = a.median_age_days > STALE_AFTER_DAYS
        # the generator checks itself: the tallied log agrees with what was planted
        assert used == planted_used and stale == a.stale, (a.ci_class, a.attribute, a.profile, reads)
        share = (
            class_hours[a.ci_class] * a.populated / populated_by_class[a.ci_class]
            if a.ci_class in class_hours
            else None
        )
        hours = None if a.hours is None and share is None else (a.hours or 0.0) + (share or 0.0)
        last = int(tallies["last_read"][a.index])
        c = classes.index(a.ci_class)
        rows.append(
            {
                "ci_class": a.ci_class,
                "attribute": a.attribute,
                "profile": a.profile,
                "populated": a.populated,
                "fill_rate": a.populated / int(ci_counts[c]),
                "reads": reads,
                "consumers": int(tallies["consumers"][a.index].sum()),
                "processes": sorted(processes[k] for k in np.flatnonzero(tallies["processes"][a.index])),
                "last_read": (_EPOCH + dt.timedelta(seconds=last)).isoformat() if last >= 0 else None,
                "median_age_days": a.median_age_days,
                "used": used,
                "stale": stale,
                "quadrant": {
                    (True, False): "value",
                    (True, True): "risk",
                    (False, False): "waste",
                    (False, True): "retire",
                }[(used, stale)],
                "hours_per_month": hours,
            }
        )
    class_rows = []
    for c, ci_class in enumerate(classes):
        by_process = tallies["class_reads"][c]
        lo, hi = int(np.sum(ci_counts[:c])), int(np.sum(ci_counts[: c + 1]))
        class_rows.append(
            {
                "ci_class": ci_class,
                "cis": int(ci_counts[c]),
                "cis_read": int(tallies["ci_read"][lo:hi].sum()),
                "reads": int(sum(by_process[k] for k, p in enumerate(processes) if p not in EXCLUDED_PROCESSES)),
                "whole_record_reads": int(tallies["whole_record_reads"][c]),
                "reads_by_process": {
                    p: int(by_process[k])
                    for k, p in enumerate(processes)
                    if p not in EXCLUDED_PROCESSES and by_process[k]
                },
                "excluded_reads_by_process": {
                    p: int(by_process[k]) for k, p in enumerate(processes) if p in EXCLUDED_PROCESSES and by_process[k]
                },
                "class_hours_per_month": class_hours.get(ci_class),
            }
        )
    unused = [r for r in rows if not r["used"]]
    return {
        "files": {"inventory": inventory_file, "access_log": "access_log.parquet", "collection_cost": cost_file},
        "scale": scale,
        "seed": seed,
        "parameters": {
            "as_of": AS_OF.isoformat(),
            "window_days": WINDOW_DAYS,
            "stale_after_days": STALE_AFTER_DAYS,
            "excluded_processes": list(EXCLUDED_PROCESSES),
            "min_reads": MIN_READS,
            "window_start": _WINDOW_START.isoformat(),
            "window_end": _WINDOW_END.isoformat(),
        },
        "traps": {
            "as_of_end": {
                "ci_class": "server",
                "attribute": "os_version",
                "timestamp": (_WINDOW_END - dt.timedelta(seconds=1)).isoformat(),
            },
            "window_start": {"ci_class": "database", "attribute": "port", "timestamp": _WINDOW_START.isoformat()},
            "before_window": {
                "ci_class": "router",
                "attribute": "bgp_asn",
                "timestamp": (_WINDOW_START - dt.timedelta(seconds=1)).isoformat(),
            },
            "hostile_attributes": [a for a in _SPECIFIC["application"] if "<" in a or "$" in a],
            "hostile_ci_id": _HOSTILE_CI_ID,
            "unknown_attribute": {
                "ci_class": _UNKNOWN_ATTRIBUTE[0],
                "attribute": _UNKNOWN_ATTRIBUTE[1],
                "reads_in_window": int(tallies["unknown_attribute_reads"]),
            },
        },
        "attributes": rows,
        "classes": class_rows,
        "unknown_ci_rows": int(tallies["unknown_ci_rows"]),
        "access_log_rows": int(tallies["rows"]),
        "inventory_rows": int(sum(a.populated for a in attributes)),
        "monthly_counted_reads": dict(zip(tallies["months"], (int(x) for x in tallies["monthly_reads"]))),
        "totals": {
            "attributes": len(rows),
            "attributes_used": len(rows) - len(unused),
            "attributes_unused": len(unused),
            "hours_on_unused": sum(r["hours_per_month"] or 0.0 for r in unused),
            "quadrants": {q: sum(r["quadrant"] == q for r in rows) for q in ("value", "risk", "waste", "retire")},
        },
    }
