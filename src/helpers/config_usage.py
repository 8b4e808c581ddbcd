"""Configuration-data usage audit: which CMDB data is read, by whom, and what the unread part costs.

The logic of ``notebooks/config_usage_audit.ipynb``::

    from helpers import config_usage
    params = config_usage.ConfigUsageParameters.from_notebook(globals())
    data = config_usage.load_inputs(params)          # Ibis tables; nothing is read yet
    audit = config_usage.run_audit(data, params)     # counted in DuckDB, small frames back
    config_usage.headline_sentences(audit)
    config_usage.results(audit)                      # -> results.json

The counting is in :mod:`helpers.config_usage_counts` (Ibis), the verdicts and costs in
:mod:`helpers.config_usage_verdicts`, the report's tables and sentences in
:mod:`helpers.config_usage_summary` and the charts in :mod:`helpers.config_usage_plots`;
this module re-exports what a notebook needs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

import ibis
import pandas as pd
from pydantic import Field, field_validator

from . import inputs
from . import config_usage_counts as counts
from .config_usage_plots import (
    process_class_heatmap,
    usage_quadrant_plot,
    usage_trend_plot,
)
from .config_usage_summary import (
    class_table,
    column_formats,
    headline_sentences,
    recommendation_summary,
    recommendations_table,
    results,
    risk_table,
    waste_table,
)
from .config_usage_verdicts import (
    QUADRANTS,
    apportion_costs,
    attribute_verdicts,
    recommendations,
)
from .exceptions import InputDataError, ParameterError
from .parameters import (
    InputPath,
    NotebookParameters,
    OptionalInputPath,
    TimeZone,
    TypeName,
)

__all__ = [
    "QUADRANTS",
    "ConfigUsageAudit",
    "ConfigUsageInputs",
    "ConfigUsageParameters",
    "class_table",
    "column_formats",
    "headline_sentences",
    "load_inputs",
    "process_class_heatmap",
    "recommendation_summary",
    "recommendations_table",
    "results",
    "risk_table",
    "run_audit",
    "usage_quadrant_plot",
    "usage_trend_plot",
    "waste_table",
]


class ConfigUsageParameters(NotebookParameters):
    """Parameters of notebooks/config_usage_audit.ipynb."""

    inventory_path: InputPath("inventory") = Field(
        "data/sample/inventory.csv", description="CMDB inventory: one row per populated attribute of a CI"
    )
    access_log_path: InputPath("access_log") = Field(
        "data/sample/access_log.parquet", description="Who read or wrote which configuration data, and when"
    )
    cost_path: OptionalInputPath("collection_cost") = Field(
        "data/sample/collection_cost.csv",
        description="Maintenance hours a month per attribute or class (empty = no cost figures)",
    )
    as_of: dt.date | None = Field(
        None, description="Last day of the window; value ages are measured here (empty = last day in the access log)"
    )
    window_days: int = Field(90, ge=1, description="Days of reads that count as use, ending with the as_of day")
    stale_after_days: int = Field(
        60, ge=0, description="A value is stale when its attribute's median age exceeds this many days"
    )
    stale_after_days_by_class: Annotated[
        dict[str, Annotated[int, Field(ge=0)]],
        TypeName("a mapping of class names to whole days >= 0"),
    ] = Field({}, description="Staleness limit in days for particular classes, e.g. {laptop: 30}")
    excluded_processes: list[str] = Field(
        ["discovery", "audit"], description="Processes whose reads are upkeep, not use (case-insensitive)"
    )
    min_reads: int = Field(1, ge=1, description="Fewest reads in the window for an attribute to count as used")
    timezone: TimeZone = Field("UTC", description="Time zone of naive timestamps in the inputs")

    @field_validator("as_of", mode="before")
    @classmethod
    def _empty_as_of_means_default(cls, value: Any) -> Any:
        # "as_of: ''" in a params file or `-p as_of ""` on the command line means "not given"
        return None if isinstance(value, str) and not value.strip() else value


@dataclass(frozen=True)
class ConfigUsageInputs:
    """The audit's inputs: the inventory and access log as Ibis tables, the costs as a small frame.

    Attributes
    ----------
    inventory, access_log : ibis.Table
        Validated inputs (see :func:`helpers.inputs.open_input`); nothing is loaded into Python.
    costs : DataFrame or None
        ``ci_class, attribute, hours_per_month`` (hours a month), or None when no cost file was given.
    """

    inventory: ibis.Table
    access_log: ibis.Table
    costs: pd.DataFrame | None


@dataclass(frozen=True)
class ConfigUsageAudit:
    """The audit's findings: small frames ready for tables, charts and results.json.

    Attributes
    ----------
    attributes : DataFrame
        One row per class x attribute of the inventory: ``ci_class, attribute, populated, cis,
        fill_rate`` (0-1), ``reads, consumers, processes`` (counted, in the window), ``last_read``,
        ``excluded_reads``, ``median_age_days`` (days at as_of), ``stale_after_days``, ``used,
        stale, quadrant``, ``hours_per_month`` (NaN when unknown).
    classes : DataFrame
        One row per class: ``ci_class, cis, cis_read, cis_read_pct`` (0-100), ``reads,
        whole_record_reads`` (counted, in the window), ``attributes, attributes_used,
        hours_per_month, hours_on_unused``.
    process_reads : DataFrame
        Reads in the window per class x process, excluded processes too: ``ci_class, process,
        counted, reads``.
    trend : DataFrame
        Reads per calendar month and process over the log: ``month, process, counted, reads,
        partial`` (the month is only partly covered by the log or cut by the window's end).
    monthly_attributes : DataFrame
        Distinct class x attribute pairs read by counted work per month: ``month, attributes_read``.
    recommendations : DataFrame
        From :func:`helpers.config_usage_verdicts.recommendations`.
    quality_notes : list of QualityNote
        Legal but suspicious findings, for the report's data-quality section.
    window : UsageWindow
        The window the reads were counted in.
    log_span : (Timestamp, Timestamp) or (None, None)
        The first and last access-log rows (any action), for saying what the log covers.
    parameters : ConfigUsageParameters
        The parameters used (``as_of`` may have been empty: see ``window.as_of``).
    has_costs : bool
        A cost file was given.
    """

    attributes: pd.DataFrame
    classes: pd.DataFrame
    process_reads: pd.DataFrame
    trend: pd.DataFrame
    monthly_attributes: pd.DataFrame
    recommendations: pd.DataFrame
    quality_notes: list
    window: counts.UsageWindow
    log_span: tuple
    parameters: ConfigUsageParameters
    has_costs: bool


def load_inputs(params: ConfigUsageParameters, *, con: Any = None) -> ConfigUsageInputs:
    """Open the inventory and access log in DuckDB (validated), and load the small cost table.

    Parameters
    ----------
    params : ConfigUsageParameters
        The run's parameters (input paths as the user wrote them, and the time zone).
    con : ibis backend, optional
        A connection from :func:`helpers.inputs.connect`; a new one by default.
    """

    con = con if con is not None else inputs.connect(timezone=params.timezone)
    inventory = inputs.open_input(params.inventory_path, "inventory", con=con, timezone=params.timezone)
    access_log = inputs.open_input(params.access_log_path, "access_log", con=con, timezone=params.timezone)
    costs = (
        inputs.load_input(params.cost_path, "collection_cost", timezone=params.timezone)
        if params.cost_path
        else None
    )
    return ConfigUsageInputs(inventory=inventory, access_log=access_log, costs=costs)


def run_audit(data: ConfigUsageInputs, params: ConfigUsageParameters) -> ConfigUsageAudit:
    """Count reads per class, attribute and process in the query engine, then judge each attribute.

    Raises
    ------
    InputDataError
        When ``as_of`` is empty and the access log has no rows to take it from.
    ParameterError
        When ``as_of`` is before every access-log row and every inventory value: there is
        nothing to audit at that date.
    """
    log_span = inputs.time_span(data.access_log, "timestamp")
    if params.as_of is None and log_span[1] is None:
        raise InputDataError(f"{params.access_log_path}: the access log has no rows, so as_of cannot default to its last day.")
    as_of = params.as_of or log_span[1].date()
    _check_as_of(as_of, log_span, inputs.time_span(data.inventory, "last_updated"))
    window = counts.usage_window(as_of, params.window_days)

    classes = counts.materialise(counts.ci_classes(data.inventory), "ci_classes")
    inventory = counts.attribute_inventory(data.inventory, as_of)
    sizes = counts.class_sizes(classes)
    reads = counts.counted_reads(
        data.access_log, classes, excluded_processes=params.excluded_processes, before=window.end
    )
    tally = counts.materialise(counts.read_tally(reads, window), "read_tally")
    attribute_reads = counts.attribute_reads(tally, reads, window)
    attributes = attribute_verdicts(
        inventory,
        sizes,
        attribute_reads,
        counts.attribute_processes(tally),
        min_reads=params.min_reads,
        stale_after_days=params.stale_after_days,
        stale_after_days_by_class=params.stale_after_days_by_class,
    )
    hours, unmatched_costs = apportion_costs(attributes, data.costs)
    attributes = attributes.assign(hours_per_month=hours)

    process_reads = counts.class_process_reads(tally)
    class_summary = _class_summary(sizes, counts.class_reads(tally, reads, window), attributes)
    trend = _mark_partial_months(counts.monthly_reads(tally), log_span[0], window)
    notes = _quality_notes(data, params, window, classes, inventory, attributes, attribute_reads, unmatched_costs)
    return ConfigUsageAudit(
        attributes=attributes,
        classes=class_summary,
        process_reads=process_reads.sort_values(["ci_class", "process"], ignore_index=True),
        trend=trend,
        monthly_attributes=counts.monthly_attributes_read(tally),
        recommendations=recommendations(
            attributes, window_start=pd.Timestamp(window.start), min_reads=params.min_reads
        ),
        quality_notes=notes,
        window=window,
        log_span=log_span,
        parameters=params,
        has_costs=data.costs is not None,
    )


def _check_as_of(as_of: dt.date, log_span: tuple, inventory_span: tuple) -> None:
    """Refuse an ``as_of`` before all the data: no read could count and every value would be from its future."""
    dates = [t.date() for t in (*log_span, *inventory_span) if t is not None]
    if not dates or as_of >= min(dates):
        return
    log = (f"the access log runs from {log_span[0]:%Y-%m-%d} to {log_span[1]:%Y-%m-%d}"
           if log_span[0] is not None else "the access log is empty")
    inventory = (f"inventory values were updated from {inventory_span[0]:%Y-%m-%d} to {inventory_span[1]:%Y-%m-%d}"
                 if inventory_span[0] is not None else "the inventory has no update dates")
    raise ParameterError(
        f"Parameter 'as_of' ({as_of:%Y-%m-%d}) is before all the data: {log} and {inventory}, "
        "so choose an as_of within those dates (or leave it empty for the log's last day)."
    )


def _class_summary(sizes: pd.DataFrame, class_reads: pd.DataFrame, attributes: pd.DataFrame) -> pd.DataFrame:
    frame = sizes.merge(class_reads, on="ci_class", how="left")
    for column in ("cis_read", "reads", "whole_record_reads"):
        frame[column] = frame[column].fillna(0).astype("int64")
    frame["cis_read_pct"] = 100.0 * frame["cis_read"] / frame["cis"]
    unused_hours = attributes["hours_per_month"].where(~attributes["used"])
    per_class = attributes.assign(unused_hours=unused_hours).groupby("ci_class").agg(
        attributes=("attribute", "size"),
        attributes_used=("used", "sum"),
        hours_per_month=("hours_per_month", lambda s: s.sum(min_count=1)),
        hours_on_unused=("unused_hours", lambda s: s.sum(min_count=1)),
    )
    frame = frame.merge(per_class.reset_index(), on="ci_class", how="left")
    columns = ["ci_class", "cis", "cis_read", "cis_read_pct", "reads", "whole_record_reads", "attributes",
               "attributes_used", "hours_per_month", "hours_on_unused"]
    return frame[columns].sort_values("ci_class", ignore_index=True)


def _mark_partial_months(trend: pd.DataFrame, first: pd.Timestamp | None, window: counts.UsageWindow) -> pd.DataFrame:
    first = first if first is not None else pd.Timestamp(window.start)
    month_end = trend["month"] + pd.offsets.MonthBegin(1)
    # the log's first month is partial when the log starts after its first day;
    # the window's last month is partial unless as_of is a month's last day
    partial = (trend["month"] < first.normalize()) | (month_end > pd.Timestamp(window.end))
    return trend.assign(partial=partial.to_numpy())


def _quality_notes(data, params, window, classes, inventory, attributes, attribute_reads, unmatched_costs) -> list:

    notes = []
    unknown_rows, top = counts.unknown_ci_rows(data.access_log, classes)
    if unknown_rows:
        notes.append(inputs.QualityNote(
            input="access_log",
            issue="rows whose ci_id is not in the inventory (not counted)",
            rows=unknown_rows,
            examples=", ".join(f"{row.ci_id!r} ({row.rows:,} rows)" for row in top.itertuples()),
            unit="rows",
        ))
    held = attribute_reads.merge(attributes[["ci_class", "attribute"]], how="left", indicator=True)
    stray = attribute_reads[(held["_merge"] == "left_only").to_numpy()]
    stray = stray[stray["reads"] + stray["excluded_reads"] > 0]
    if len(stray):
        stray = stray.sort_values("reads", ascending=False)
        notes.append(inputs.QualityNote(
            input="access_log",
            issue="reads in the window of attributes the inventory does not hold for that class "
                  "(counted for the class, not as an attribute)",
            rows=int(stray["reads"].sum() + stray["excluded_reads"].sum()),
            examples=", ".join(f"{r.ci_class}.{r.attribute} ({r.reads + r.excluded_reads:,} reads)"
                               for r in stray.head(3).itertuples()),
            unit="reads",
        ))
    future = int(inventory["updated_after_as_of"].sum())
    if future:
        notes.append(inputs.QualityNote(
            input="inventory",
            issue=f"values (CI x attribute) updated after as_of ({window.as_of:%Y-%m-%d}); "
                  "their age is taken as 0 days",
            rows=future,
            examples="",
            unit="values",
        ))
    no_cost = attributes["hours_per_month"].isna()
    if data.costs is not None and no_cost.any():
        notes.append(inputs.QualityNote(
            input="collection_cost",
            issue="attributes with no cost row and no class-level (*) row; their hours are unknown, not zero",
            rows=int(no_cost.sum()),
            examples=", ".join(f"{c}.{a}" for c, a in attributes.loc[no_cost, ["ci_class", "attribute"]].head(3).itertuples(index=False)),
            unit="attributes",
        ))
    for kind, frame in unmatched_costs.items():
        if len(frame):
            issue = ("attributes with a cost row that the inventory does not hold for that class"
                     if kind == "attributes" else "classes with a class-level (*) cost row that are not in the inventory")
            notes.append(inputs.QualityNote(
                input="collection_cost",
                issue=f"{issue} (left out of the totals)",
                rows=len(frame),
                examples=", ".join(f"{r.ci_class}.{r.attribute}" if kind == "attributes" else str(r.ci_class)
                                   for r in frame.head(3).itertuples()),
                unit=kind,
            ))
    unknown_overrides = sorted(set(params.stale_after_days_by_class) - set(attributes["ci_class"]))
    if unknown_overrides:
        notes.append(inputs.QualityNote(
            input="parameters",
            issue="stale_after_days_by_class names classes not in the inventory",
            rows=len(unknown_overrides),
            examples=", ".join(unknown_overrides[:3]),
            unit="classes",
        ))
    return notes
