"""Configuration-data usage audit: count reads per class, attribute and process in the query engine,
then judge each attribute (verdicts and costs in :mod:`.verdicts`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from helpers.config_usage_audit import counts
from helpers.config_usage_audit.loading import Inputs, load_inputs
from helpers.config_usage_audit.parameters import Parameters
from helpers.config_usage_audit.result import Result
from helpers.config_usage_audit.verdicts import apportion_costs, attribute_verdicts, recommendations
from helpers.exceptions import InputDataError, ParameterError
from helpers.inputs import loading as inputs

__all__ = ["analyse", "check_as_of"]


def analyse(data: Inputs, params: Parameters) -> Result:
    """Count reads per class, attribute and process in the query engine, then judge each attribute.

    Raises
    ------
    InputDataError
        When ``as_of`` is empty and the access log has no rows to take it from.
    ParameterError
        When ``as_of`` is before every access-log row and every inventory value: there is
        nothing to audit at that date.
    """
    as_of, log_span = _as_of(data, params)
    window = counts.usage_window(as_of, params.window_days)

    classes = counts.materialise(counts.ci_classes(data.inventory), "ci_classes")
    inventory = counts.attribute_inventory(data.inventory, as_of)
    sizes = counts.class_sizes(classes)
    by_class = counts.materialise(counts.log_by_class(data.access_log, classes, window), "log_by_class")
    reads = counts.counted_reads(by_class, excluded_processes=params.excluded_processes)
    read_actions, excluded_spellings = counts.read_values(by_class, excluded_processes=params.excluded_processes)
    per_ci = counts.reads_per_ci(data.access_log, classes, window, read_actions=read_actions,
                                 excluded_spellings=excluded_spellings)
    per_ci = counts.materialise(per_ci, "reads_per_ci")
    tally = counts.materialise(counts.read_tally(reads), "read_tally")
    attribute_reads = counts.attribute_reads(tally, reads)
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
    class_summary = _class_summary(sizes, counts.class_reads(tally, per_ci), attributes)
    trend = _mark_partial_months(counts.monthly_reads(tally), log_span[0], window)
    notes = _quality_notes(data, per_ci, params, window, inventory, attributes, attribute_reads, unmatched_costs)
    return Result(
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
        params=params,
        has_costs=data.costs is not None,
    )


def check_as_of(params: Parameters, *, con: Any = None) -> None:
    """Raise if ``as_of`` is before all the data or cannot default (the runner's check before the kernel)."""
    _as_of(load_inputs(params, con=con), params)


def _as_of(data: Inputs, params: Parameters) -> tuple[dt.date, tuple]:
    """The audit date (``as_of``, else the access log's last day) and the log's time span."""
    log_span = inputs.time_span(data.access_log, "timestamp")
    if params.as_of is None and log_span[1] is None:
        raise InputDataError(f"{params.access_log_path}: the access log has no rows, so as_of cannot default to its last day.")
    as_of = params.as_of or log_span[1].date()
    _check_as_of(as_of, log_span, inputs.time_span(data.inventory, "last_updated"))
    return as_of, log_span


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


def _quality_notes(data, per_ci, params, window, inventory, attributes, attribute_reads, unmatched_costs) -> list:

    notes = []
    unknown_rows, top = counts.unknown_ci_rows(per_ci)
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
            examples=", ".join(
                f"{c}.{a}" for c, a in attributes.loc[no_cost, ["ci_class", "attribute"]].head(3).itertuples(index=False)
            ),
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
