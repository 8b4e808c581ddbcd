"""What the usage audit says: the headline, the ranked tables and ``results.json``.

Tables come back as :class:`helpers.report.Table` (rows with column names in the reader's
words, caption with units, number formats); :func:`helpers.report.table` escapes every cell
(class and attribute names are untrusted text).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from helpers.analysis.results import SHARE, results_layout
from helpers.config_usage_audit.verdicts import _join
from helpers.report.display import Table
from helpers.report.results import to_jsonable

if TYPE_CHECKING:
    from helpers.config_usage_audit.result import Result

__all__ = [
    "RESULT_ATTRIBUTE_FIELDS",
    "UNITS",
    "class_table",
    "column_formats",
    "headline",
    "recommendation_summary",
    "recommendations_table",
    "results",
    "risk_table",
    "waste_table",
]

#: The fields of each ``attributes`` entry in results.json, in order.
RESULT_ATTRIBUTE_FIELDS = (
    "ci_class", "attribute", "populated", "fill_rate", "reads", "consumers", "processes",
    "last_read", "median_age_days", "used", "stale", "quadrant", "hours_per_month",
)


def headline(audit: Result) -> list[str]:
    """The report's first paragraph, e.g.

    "212 of 410 attributes (52%) were not read by any process in the last 90 days
    (discovery and audit reads aside); keeping them costs about 340 hours a month.
    18 attributes that incident and change work relies on are stale (median value age
    over the 60-day limit)."
    """
    attributes = audit.attributes
    params = audit.params
    total = len(attributes)
    unused = attributes[~attributes["used"]]
    days = audit.window.days
    excluded = [str(p) for p in params.excluded_processes]
    aside = f" ({_join(excluded)} reads aside)" if excluded else ""
    first = (
        f"{len(unused):,} of {total:,} attributes ({_percent(len(unused), total)}) were not read by any process "
        f"in the last {days:,} days to {audit.window.as_of:%d %B %Y}{aside}"
    )
    hours = unused["hours_per_month"].sum(min_count=1)
    if audit.has_costs and not pd.isna(hours):
        first += f"; keeping them costs about {_about(hours)} hours a month{_money_phrase(hours, params)}."
    else:
        first += "."
    sentences = [first]
    if int(audit.classes["reads"].sum()) == 0:
        sentences.append(f"No counted process read any configuration data in the window ({_log_cover(audit)}).")

    risk = attributes[attributes["quadrant"] == "risk"]
    limit = _limit_phrase(params)
    if len(risk):
        work = _work_phrase(audit, risk)
        noun, verb = ("attribute", "is") if len(risk) == 1 else ("attributes", "are")
        sentences.append(
            f"{len(risk):,} {noun} that {work} work relies on {verb} stale "
            f"(median value age over {limit})."
        )
    elif attributes["used"].any():
        sentences.append(f"No attribute that is read is stale (median value age over {limit}).")
    todo = _what_to_do(audit)
    if todo:
        sentences.append(todo)
    return sentences


def _what_to_do(audit: Result) -> str:
    """The recommendations in one sentence: how many to fix, how many to stop, what stopping saves."""
    r = audit.recommendations
    fix, stop = r[r["recommendation"] == "fix freshness"], r[r["recommendation"] == "stop collecting"]
    parts = []
    if len(fix):
        parts.append(f"refresh {len(fix):,} stale attribute{'s' if len(fix) != 1 else ''} that people read")
    if len(stop):
        saved = stop["hours_saved_per_month"].sum(min_count=1)
        gain = ""
        rate = audit.params.hourly_rate
        if audit.has_costs and not pd.isna(saved):
            money = f" (about {_about(saved * rate)} {audit.params.currency})" if rate else ""
            gain = f", which saves about {_about(saved)} hours{money} a month"
        parts.append(f"stop collecting the {len(stop):,} nobody reads{gain}")
    if not parts:
        return ""
    return "What to do: " + ", and ".join(parts) + "."


#: The unit of each figure of ``results.json``, by key (see :mod:`helpers.analysis.results`); money is in ``currency``.
UNITS = {
    **dict.fromkeys(("populated", "cis", "cis_read"), "CIs"),
    **dict.fromkeys(("fill_rate", "cis_read_share", "unused_share"), SHARE),
    **dict.fromkeys(("reads", "whole_record_reads", "reads_by_process", "excluded_reads_by_process"), "reads"),
    "consumers": "consumers",
    "median_age_days": "days",
    **dict.fromkeys(("hours_per_month", "hours_on_unused"), "hours a month"),
    **dict.fromkeys(("attributes", "attributes_used", "attributes_unused", "attributes_stale", "attributes_at_risk",
                     "quadrants"), "attributes"),
}


def results(audit: Result) -> dict[str, Any]:
    """The run's key figures for ``results.json``, in the common layout.

    Returns
    -------
    dict
        ``analysis``, ``parameters`` (as given: an empty ``as_of`` stays empty), ``period`` (the
        window's first day and ``as_of``, its last), ``units``, then ``attributes`` (one object per
        class x attribute with exactly :data:`RESULT_ATTRIBUTE_FIELDS`; ``fill_rate`` a share,
        ``median_age_days`` in days, ``hours_per_month`` in hours a month or null), ``classes`` and
        ``totals`` (``money_on_unused`` in ``currency`` a month).
    """
    attributes = audit.attributes
    attribute_rows = [
        {name: to_jsonable(row[name]) for name in RESULT_ATTRIBUTE_FIELDS}
        for row in attributes.to_dict(orient="records")
    ]
    reads = audit.process_reads
    class_rows = []
    for row in audit.classes.to_dict(orient="records"):
        mine = reads[reads["ci_class"] == row["ci_class"]].sort_values(["reads", "process"], ascending=[False, True])
        entry = {key: to_jsonable(value) for key, value in row.items()}
        for key, digits in (("cis_read_share", 3), ("hours_per_month", 2), ("hours_on_unused", 2)):
            if entry[key] is not None:
                entry[key] = round(entry[key], digits)
        entry["reads_by_process"] = {str(p): int(n) for p, n in zip(mine["process"], mine["reads"]) if _is_counted(mine, p)}
        entry["excluded_reads_by_process"] = {
            str(p): int(n) for p, n in zip(mine["process"], mine["reads"]) if not _is_counted(mine, p)
        }
        class_rows.append(entry)
    unused = attributes[~attributes["used"]]
    total = len(attributes)
    quadrant_counts = attributes["quadrant"].value_counts()
    totals = {
        "attributes": total,
        "attributes_used": int(attributes["used"].sum()),
        "attributes_unused": len(unused),
        "unused_share": round(len(unused) / total, 3) if total else None,
        "attributes_stale": int(attributes["stale"].sum()),
        "attributes_at_risk": int(quadrant_counts.get("risk", 0)),
        "quadrants": {q: int(quadrant_counts.get(q, 0)) for q in ("value", "risk", "waste", "retire")},
        "hours_per_month": _hours(attributes["hours_per_month"], audit.has_costs),
        "hours_on_unused": _hours(unused["hours_per_month"], audit.has_costs),
        "money_on_unused": _money_total(unused["hours_per_month"], audit),
        "cis": int(audit.classes["cis"].sum()),
        "cis_read": int(audit.classes["cis_read"].sum()),
    }
    return results_layout(
        "config_usage_audit", audit.params, period=(audit.window.start, audit.window.as_of),
        units={**UNITS, "money_on_unused": audit.params.currency},
        figures={"attributes": attribute_rows, "classes": class_rows, "totals": totals},
    )


#: Column names shared by several tables, each with its unit.
HOURS = "Maintenance (hours a month)"
HOURS_SAVED = "Hours saved a month"
SAVED_MONEY = "Saved a month"
AGE = "Median value age (days)"


def _in_window(what: str, audit: Result) -> str:
    """A count's column name with its period, e.g. "Reads (last 90 days)"."""
    return f"{what} (last {audit.window.days:,} days)"


def _cis_read(audit: Result) -> str:
    return f"CIs read (% of CIs, last {audit.window.days:,} days)"


def column_formats(audit: Result) -> dict[str, str]:
    """How :func:`helpers.report.table` prints each number of the tables below.

    One mapping for every table (columns a table lacks are ignored), so no two tables can
    disagree on a column's format.
    """
    whole = "{:,.0f}"
    return {
        "CIs": whole,
        "CIs populated": whole,
        _cis_read(audit): "{:.0f}",
        "Fill rate (%)": "{:.0f}",
        _in_window("Reads", audit): whole,
        _in_window("Consumers", audit): whole,
        _in_window("Whole-record reads", audit): whole,
        _in_window("Reads by excluded processes", audit): whole,
        _in_window("Reads of stale data", audit): whole,
        AGE: whole,
        "Staleness limit (days)": whole,
        "Attributes": whole,
        "Attributes used": whole,
        HOURS: "{:,.1f}",
        "Maintenance of unused (hours a month)": "{:,.1f}",
        HOURS_SAVED: "{:,.1f}",
        f"Saved a month ({audit.params.currency})": "{:,.0f}",
        f"Upkeep a month ({audit.params.currency})": "{:,.0f}",
    }


def risk_table(audit: Result) -> Table:
    """Used but stale attributes, most-read first: what people rely on that is out of date."""
    risk = audit.attributes[audit.attributes["quadrant"] == "risk"].sort_values(
        ["reads", "ci_class", "attribute"], ascending=[False, True, True]
    )
    rows = pd.DataFrame({
        "Class": risk["ci_class"],
        "Attribute": risk["attribute"],
        _in_window("Reads", audit): risk["reads"],
        "Read by": [", ".join(p) for p in risk["processes"]],
        _in_window("Consumers", audit): risk["consumers"],
        AGE: risk["median_age_days"],
        "Staleness limit (days)": risk["stale_after_days"],
        "Fill rate (%)": 100 * risk["fill_rate"],
        HOURS: risk["hours_per_month"],
    }).reset_index(drop=True)
    caption = (
        "Used but stale attributes, most-read first (reads and consumers in the window; ages and limits in days; "
        "maintenance in hours a month)"
    )
    return Table(rows, caption=caption, formats=column_formats(audit))


def waste_table(audit: Result) -> Table:
    """Unused attributes (waste and retire), costliest first: maintained but not read."""
    unused = audit.attributes[~audit.attributes["used"]].copy()
    unused["_cost"] = unused["hours_per_month"].fillna(-1)
    unused = unused.sort_values(["_cost", "populated", "ci_class", "attribute"], ascending=[False, False, True, True])
    last_read = unused["last_read"].dt.strftime("%Y-%m-%d")
    rows = pd.DataFrame({
        "Class": unused["ci_class"],
        "Attribute": unused["attribute"],
        "Quadrant": unused["quadrant"],
        HOURS: unused["hours_per_month"],
        **({money_column(audit): _money(unused["hours_per_month"], audit)} if money_column(audit) else {}),
        "CIs populated": unused["populated"],
        AGE: unused["median_age_days"],
        _in_window("Reads by excluded processes", audit): unused["excluded_reads"],
        "Last counted read (date)": last_read.where(unused["last_read"].notna(), "never"),
    }).reset_index(drop=True)
    caption = "Unused attributes, costliest first (maintenance in hours a month; ages in days; reads in the window)"
    return Table(rows, caption=caption, formats=column_formats(audit))


def class_table(audit: Result) -> Table:
    """Per class: CIs, share read by counted work, reads, and the attributes used."""
    c = audit.classes
    rows = pd.DataFrame({
        "Class": c["ci_class"],
        "CIs": c["cis"],
        _cis_read(audit): 100 * c["cis_read_share"],
        _in_window("Reads", audit): c["reads"],
        _in_window("Whole-record reads", audit): c["whole_record_reads"],
        "Attributes": c["attributes"],
        "Attributes used": c["attributes_used"],
        HOURS: c["hours_per_month"],
        "Maintenance of unused (hours a month)": c["hours_on_unused"],
    })
    caption = "Per class: CIs, % of CIs and reads by counted processes in the window, maintenance in hours a month"
    return Table(rows, caption=caption, formats=column_formats(audit))


def recommendation_summary(audit: Result) -> Table:
    """One row per recommendation: attributes, hours saved a month, reads of stale data, top examples."""
    r = audit.recommendations
    stale_reads = _in_window("Reads of stale data", audit)
    rows = []
    for name in ("fix freshness", "stop collecting", "keep"):
        mine = r[r["recommendation"] == name]
        if mine.empty:
            continue
        examples = ", ".join(f"{c}.{a}" for c, a in zip(mine["ci_class"].head(3), mine["attribute"].head(3)))
        saved = mine["hours_saved_per_month"].sum(min_count=1)
        rows.append({
            "Recommendation": name,
            "Attributes": len(mine),
            HOURS_SAVED: saved,
            SAVED_MONEY: saved * audit.params.hourly_rate if audit.params.hourly_rate and not pd.isna(saved) else None,
            stale_reads: mine["stale_reads"].sum(min_count=1),
            "First in line": examples,
        })
    columns = ["Recommendation", "Attributes", HOURS_SAVED, SAVED_MONEY, stale_reads, "First in line"]
    rows = pd.DataFrame(rows, columns=columns)
    if not audit.params.hourly_rate:
        rows = rows.drop(columns=SAVED_MONEY)
    rows = rows.rename(columns={SAVED_MONEY: f"Saved a month ({audit.params.currency})"})
    caption = "Recommendations in brief: attributes, upkeep saved a month, reads of stale data in the window"
    return Table(rows, caption=caption, formats=column_formats(audit))


def recommendations_table(audit: Result, *, top: int | None = 15, include_keep: bool = False) -> Table:
    """Recommendations with reason, hours saved a month and the reads of stale data that fixing removes.

    Parameters
    ----------
    top : int or None
        The first ``top`` of each recommendation, in rank order (None = all).
    include_keep : bool
        Include the ``keep`` rows.
    """
    r = audit.recommendations
    if not include_keep:
        r = r[r["recommendation"] != "keep"]
    if top is not None:
        r = r.groupby("recommendation", sort=False).head(top)
    rows = pd.DataFrame({
        "Recommendation": r["recommendation"],
        "Class": r["ci_class"],
        "Attribute": r["attribute"],
        "Why": r["reason"],
        HOURS_SAVED: r["hours_saved_per_month"],
        _in_window("Reads of stale data", audit): r["stale_reads"],
    }).reset_index(drop=True)
    return Table(
        rows,
        caption=(f"The first {top} of each: " if top is not None else "Every recommendation: ")
        + "fix freshness (most-read first), then stop collecting (costliest first, hours a month)",
        formats=column_formats(audit),
    )


# --- wording ------------------------------------------------------------------------------------

def _work_phrase(audit: Result, risk: pd.DataFrame) -> str:
    """The counted processes that read the risk attributes most, e.g. "incident and change"."""
    reads = audit.process_reads
    risky_classes = set(risk["ci_class"])
    # rank the processes by how many risk attributes they read (then by class-level reads)
    counts: dict[str, int] = {}
    for processes in risk["processes"]:
        for process in processes:
            counts[str(process)] = counts.get(str(process), 0) + 1
    if not counts:
        return "counted"
    class_reads = reads[reads["ci_class"].isin(risky_classes)].groupby("process")["reads"].sum()
    ranked = sorted(counts, key=lambda p: (-counts[p], -int(class_reads.get(p, 0)), p))
    top = ranked[:2] if len(ranked) <= 2 or counts[ranked[2]] < counts[ranked[1]] / 2 else ranked[:3]
    return _join(top)


def _log_cover(audit: Result) -> str:
    first, last = audit.log_span
    if first is None:
        return "the access log is empty"
    return f"the access log runs from {first:%d %B %Y} to {last:%d %B %Y}"


def _limit_phrase(params) -> str:
    if params.stale_after_days_by_class:
        return f"the staleness limit: {params.stale_after_days} days, or the class's own"
    return f"the {params.stale_after_days}-day limit"


def _money_phrase(hours: float, params: Any) -> str:
    """`` (about 21,000 EUR a month at 75 EUR an hour)``, or nothing without an hourly rate."""
    rate = getattr(params, "hourly_rate", None)
    if rate is None or not rate:
        return ""
    return f" (about {_about(hours * rate)} {params.currency} a month at {rate:,g} {params.currency} an hour)"


def money_column(audit: Result) -> str | None:
    """The name of the money column (``Upkeep a month (EUR)``), or None without an hourly rate."""
    rate = getattr(audit.params, "hourly_rate", None)
    return f"Upkeep a month ({audit.params.currency})" if rate else None


def _money(hours: pd.Series, audit: Result) -> pd.Series:
    return hours * float(audit.params.hourly_rate)


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "n/a"


def _about(hours: float) -> str:
    """A cost rounded the way people say it: 340, 45, 2.5."""
    if hours >= 10_000:
        return f"{round(hours, -3):,.0f}"
    if hours >= 100:
        return f"{round(hours, -1):,.0f}"
    if hours >= 10:
        return f"{hours:,.0f}"
    return f"{hours:.1f}"


def _hours(values: pd.Series, has_costs: bool) -> float | None:
    if not has_costs:
        return None
    total = values.sum(min_count=1)
    return None if pd.isna(total) else round(float(total), 2)


def _money_total(hours: pd.Series, audit: Result) -> float | None:
    """Upkeep of ``hours`` a month in the ``currency`` (None without costs or an hourly rate)."""
    total = _hours(hours, audit.has_costs)
    rate = audit.params.hourly_rate
    return None if total is None or not rate else round(total * float(rate), 2)


def _is_counted(frame: pd.DataFrame, process: str) -> bool:
    return bool(frame.loc[frame["process"] == process, "counted"].iloc[0])

