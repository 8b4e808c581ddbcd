"""What the usage audit says: the headline, the ranked tables and ``results.json``.

Tables return plain frames with column names in the reader's words; the notebook shows
them with :func:`helpers.report.table`, which escapes every cell (class and attribute
names are untrusted text).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from .report import to_jsonable

if TYPE_CHECKING:
    from .config_usage import ConfigUsageAudit

__all__ = [
    "RESULT_ATTRIBUTE_FIELDS",
    "headline_sentences",
    "results",
    "risk_table",
    "waste_table",
    "class_table",
    "recommendation_summary",
    "recommendations_table",
]

#: The fields of each ``attributes`` entry in results.json, in order.
RESULT_ATTRIBUTE_FIELDS = (
    "ci_class", "attribute", "populated", "fill_rate", "reads", "consumers", "processes",
    "last_read", "median_age_days", "used", "stale", "quadrant", "hours_per_month",
)


def headline_sentences(audit: ConfigUsageAudit) -> list[str]:
    """The report's first paragraph, e.g.

    "212 of 410 attributes (52%) were not read by any process in the last 90 days
    (discovery and audit reads aside); keeping them costs about 340 hours a month.
    18 attributes that incident and change work relies on are stale (median value age
    over the 60-day limit)."
    """
    attributes = audit.attributes
    params = audit.parameters
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
        first += f"; keeping them costs about {_about(hours)} hours a month."
    else:
        first += "."
    sentences = [first]

    risk = attributes[attributes["quadrant"] == "risk"]
    limit = _limit_phrase(params)
    if len(risk):
        work = _work_phrase(audit, risk)
        noun, verb = ("attribute", "is") if len(risk) == 1 else ("attributes", "are")
        sentences.append(
            f"{len(risk):,} {noun} that {work} work relies on {verb} stale "
            f"(median value age over {limit})."
        )
    elif total:
        sentences.append(f"No attribute that is read is stale (median value age over {limit}).")
    return sentences


def results(audit: ConfigUsageAudit) -> dict[str, Any]:
    """The run's key figures for ``results.json``.

    Returns
    -------
    dict
        ``attributes`` (one object per class x attribute with exactly
        :data:`RESULT_ATTRIBUTE_FIELDS`; ``fill_rate`` 0-1, ``median_age_days`` in days,
        ``hours_per_month`` in hours a month or null), ``classes``, ``totals`` and
        ``parameters`` (as given, with ``as_of`` resolved and the window's bounds).
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
        for key, digits in (("cis_read_pct", 1), ("hours_per_month", 2), ("hours_on_unused", 2)):
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
        "unused_pct": round(100.0 * len(unused) / total, 1) if total else None,
        "attributes_stale": int(attributes["stale"].sum()),
        "attributes_at_risk": int(quadrant_counts.get("risk", 0)),
        "quadrants": {q: int(quadrant_counts.get(q, 0)) for q in ("value", "risk", "waste", "retire")},
        "hours_per_month": _hours(attributes["hours_per_month"], audit.has_costs),
        "hours_on_unused": _hours(unused["hours_per_month"], audit.has_costs),
        "cis": int(audit.classes["cis"].sum()),
        "cis_read": int(audit.classes["cis_read"].sum()),
    }
    parameters = audit.parameters.as_dict()
    parameters["as_of"] = audit.window.as_of.isoformat()
    parameters["window_start"] = audit.window.start.isoformat()
    parameters["window_end"] = audit.window.end.isoformat()
    return {"attributes": attribute_rows, "classes": class_rows, "totals": totals, "parameters": parameters}


def risk_table(audit: ConfigUsageAudit) -> pd.DataFrame:
    """Used but stale attributes, most-read first: what people rely on that is out of date."""
    risk = audit.attributes[audit.attributes["quadrant"] == "risk"].sort_values(
        ["reads", "ci_class", "attribute"], ascending=[False, True, True]
    )
    return pd.DataFrame({
        "Class": risk["ci_class"],
        "Attribute": risk["attribute"],
        f"Reads ({audit.window.days} days)": risk["reads"],
        "Read by": [", ".join(p) for p in risk["processes"]],
        "Consumers": risk["consumers"],
        "Median age (days)": risk["median_age_days"],
        "Limit (days)": risk["stale_after_days"],
        "Fill rate (%)": 100 * risk["fill_rate"],
        "Hours a month": risk["hours_per_month"],
    }).reset_index(drop=True)


def waste_table(audit: ConfigUsageAudit) -> pd.DataFrame:
    """Unused attributes (waste and retire), costliest first: maintained but not read."""
    unused = audit.attributes[~audit.attributes["used"]].copy()
    unused["_cost"] = unused["hours_per_month"].fillna(-1)
    unused = unused.sort_values(["_cost", "populated", "ci_class", "attribute"], ascending=[False, False, True, True])
    last_read = unused["last_read"].dt.strftime("%Y-%m-%d")
    return pd.DataFrame({
        "Class": unused["ci_class"],
        "Attribute": unused["attribute"],
        "Quadrant": unused["quadrant"],
        "Hours a month": unused["hours_per_month"],
        "CIs populated": unused["populated"],
        "Median age (days)": unused["median_age_days"],
        "Reads by excluded processes": unused["excluded_reads"],
        "Last read": last_read.where(unused["last_read"].notna(), "never"),
    }).reset_index(drop=True)


def class_table(audit: ConfigUsageAudit) -> pd.DataFrame:
    """Per class: CIs, share read by counted work, reads, and the attributes used."""
    c = audit.classes
    return pd.DataFrame({
        "Class": c["ci_class"],
        "CIs": c["cis"],
        "CIs read (%)": c["cis_read_pct"],
        f"Reads ({audit.window.days} days)": c["reads"],
        "Whole-record reads": c["whole_record_reads"],
        "Attributes": c["attributes"],
        "Attributes used": c["attributes_used"],
        "Hours a month": c["hours_per_month"],
        "Hours on unused": c["hours_on_unused"],
    })


def recommendation_summary(audit: ConfigUsageAudit) -> pd.DataFrame:
    """One row per recommendation: attributes, hours saved a month, reads on stale data, top examples."""
    r = audit.recommendations
    rows = []
    for name in ("fix freshness", "stop collecting", "keep"):
        mine = r[r["recommendation"] == name]
        if mine.empty:
            continue
        examples = ", ".join(f"{c}.{a}" for c, a in zip(mine["ci_class"].head(3), mine["attribute"].head(3)))
        rows.append({
            "Recommendation": name,
            "Attributes": len(mine),
            "Hours saved a month": mine["hours_saved_per_month"].sum(min_count=1),
            "Reads on stale data removed": mine["stale_reads"].sum(min_count=1),
            "First in line": examples,
        })
    return pd.DataFrame(rows, columns=["Recommendation", "Attributes", "Hours saved a month",
                                       "Reads on stale data removed", "First in line"])


def recommendations_table(audit: ConfigUsageAudit, *, top: int | None = 15, include_keep: bool = False) -> pd.DataFrame:
    """Recommendations with reason, hours saved a month and stale reads removed.

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
    return pd.DataFrame({
        "Recommendation": r["recommendation"],
        "Class": r["ci_class"],
        "Attribute": r["attribute"],
        "Why": r["reason"],
        "Hours saved a month": r["hours_saved_per_month"],
        "Reads on stale data removed": r["stale_reads"],
    }).reset_index(drop=True)


# --- wording ------------------------------------------------------------------------------------

def _work_phrase(audit: ConfigUsageAudit, risk: pd.DataFrame) -> str:
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


def _limit_phrase(params) -> str:
    if params.stale_after_days_by_class:
        return f"the staleness limit: {params.stale_after_days} days, or the class's own"
    return f"the {params.stale_after_days}-day limit"


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "n/a"


def _about(hours: float) -> str:
    """A cost rounded the way people say it: 340, 45, 2.5."""
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


def _is_counted(frame: pd.DataFrame, process: str) -> bool:
    return bool(frame.loc[frame["process"] == process, "counted"].iloc[0])

