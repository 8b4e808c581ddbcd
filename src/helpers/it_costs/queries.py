"""The cost analysis's heavy lifting, in the query engine: monthly exact sums of the cost inputs.

Each function takes Ibis tables (as :func:`helpers.inputs.loading.open_input` returns them)
and returns a small pandas frame: one row per month and combination of the columns the
allocation rules look at, never one per charge. Each amount is turned into a whole number of
10^-12 (:func:`exact_units`) before it is added, so every sum is exact and the same in any
order; :func:`from_units` makes a Decimal of it in Python (see :mod:`.money`).

A FOCUS export is scanned once: its rows are grouped on the raw column values (no string is
lowered, trimmed or parsed per row); tag values are taken out of the ``Tags`` JSON only for
the distinct tag texts of that first grouping, which are far fewer than the rows, in Python
(exact JSON semantics, the same on every engine).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from decimal import Decimal

import ibis
import ibis.expr.datatypes as dt
import pandas as pd
from ibis import _

__all__ = [
    "CLOUD_BREAKDOWN",
    "PLACES",
    "cloud_by_month",
    "exact_units",
    "expenses_by_month",
    "from_units",
    "ledger_by_month",
    "product_use",
    "null_costs",
]

#: The decimal places an amount keeps (FOCUS exports write up to eleven).
PLACES = 12
#: Whole numbers of 10^-12, as the engine adds them (128-bit integers).
UNITS_TYPE = dt.Decimal(38, 0)
#: Significant digits a float64 holds without fail (DBL_DIG): any decimal of up to 15 digits survives it.
_DIGITS = 15

#: FOCUS columns every cloud aggregate keeps, for the breakdowns and the data-quality notes.
CLOUD_BREAKDOWN = ("BillingCurrency", "ChargeCategory", "ProviderName", "ServiceName", "ServiceCategory")

TAG_PREFIX = "Tags."


def exact_units(value: ibis.Value) -> ibis.Value:
    """An amount (float64) as the whole number of 10^-12 the file wrote: exact to add in any order.

    A float64 holds the decimal a file wrote (``0.1``, ``1234567.890123``) only approximately; a plain
    cast to a decimal type carries that approximation into the digits (``1234567.890122999808``). The
    amount is rounded to 15 significant digits instead (at most 12 decimal places), which gives back
    exactly what the file said for any amount of up to 15 digits. Below 1,000 (nearly every charge)
    that is one multiplication and a 64-bit integer; larger amounts are scaled by their own magnitude.
    """
    size = value.abs()
    small = (value * 10.0**PLACES).round().cast("int64").cast(UNITS_TYPE)
    digits = size.log10().ceil()
    head = (value * (ibis.literal(10.0) ** (_DIGITS - digits))).round().cast("int64").cast(UNITS_TYPE)
    large = head * (ibis.literal(10.0) ** (digits - (_DIGITS - PLACES))).cast(UNITS_TYPE)
    return ibis.cases((size < 10.0 ** (_DIGITS - PLACES), small), else_=large)


def from_units(column: pd.Series) -> list:
    """Sums of :func:`exact_units` (whole numbers of 10^-12) as exact Decimals; None stays None."""
    return [None if v is None or (isinstance(v, float) and pd.isna(v)) else Decimal(int(v)).scaleb(-PLACES) for v in column]


def cloud_by_month(cloud: ibis.Table, *, cost_column: str, match_columns: Sequence[str]) -> pd.DataFrame:
    """Cost per month and combination of the breakdown and matched columns of a FOCUS export.

    Parameters
    ----------
    cloud : ibis.Table
        The validated ``cloud_costs`` input.
    cost_column : str
        ``EffectiveCost``, ``BilledCost``, ``ListCost`` or ``ContractedCost``.
    match_columns : sequence of str
        Columns the allocation rules match on: names of ``cloud``'s columns or ``Tags.<key>``.

    Returns
    -------
    DataFrame
        ``month`` (first day, a date), :data:`CLOUD_BREAKDOWN`, each of ``match_columns``, ``cost``
        (Decimal, in BillingCurrency), ``rows``, ``first_start`` and ``last_end`` (the earliest
        ChargePeriodStart and latest ChargePeriodEnd of the group).
    """
    tag_keys = sorted({c[len(TAG_PREFIX):] for c in match_columns if c.startswith(TAG_PREFIX)})
    plain = [c for c in dict.fromkeys(match_columns) if not c.startswith(TAG_PREFIX) and c not in CLOUD_BREAKDOWN]
    keys = [*CLOUD_BREAKDOWN, *plain] + (["Tags"] if tag_keys else [])
    grouped = cloud.group_by(month=cloud.ChargePeriodStart.truncate("M"), **{k: cloud[k] for k in keys}).agg(
        cost=exact_units(cloud[cost_column]).sum(),
        rows=_.count(),
        first_start=cloud.ChargePeriodStart.min(),
        last_end=cloud.ChargePeriodEnd.max(),
    )
    if tag_keys:
        grouped = _tag_values(_materialise(grouped, "cloud_by_tags"), tag_keys)
    frame = grouped.to_pandas()
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    frame["cost"] = from_units(frame["cost"])
    return frame


def _materialise(table: ibis.Table, name: str) -> ibis.Table:
    """Compute a small intermediate once, on its engine (a temporary table, or Spark's cache)."""
    try:
        return table.get_backend().create_table(f"{name}_{uuid.uuid4().hex[:12]}", table, temp=True)
    except NotImplementedError:
        return table.cache()


def tag_value(text: str | None, key: str) -> str | None:
    """The value of ``key`` in a FOCUS ``Tags`` JSON object, as text (None: no such key, or not a JSON object).

    Numbers and booleans are given as JSON writes them (``42``, ``true``); nested values count as absent.
    """
    if text is None:
        return None
    try:
        tags = json.loads(text)
    except ValueError:
        return None
    value = tags.get(key) if isinstance(tags, dict) else None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, (str, int, float)) else None


def _tag_values(grouped: ibis.Table, keys: Sequence[str]) -> ibis.Table:
    """Replace ``Tags`` by a column per key (``Tags.<key>``) and add up again.

    The JSON is parsed in Python, once per distinct tag text of the grouping (a few thousand,
    whatever the export's length), with exact JSON semantics on every engine.
    """
    texts = grouped.filter(grouped.Tags.notnull()).select("Tags").distinct().to_pandas()["Tags"].tolist()
    mapping = pd.DataFrame({"Tags": pd.Series(texts, dtype=object),
                            **{f"{TAG_PREFIX}{k}": pd.Series([tag_value(t, k) for t in texts], dtype=object) for k in keys}})
    schema = ibis.schema({name: "string" for name in mapping.columns})
    tagged = grouped.left_join(ibis.memtable(mapping, schema=schema), "Tags").drop("Tags")
    regroup = [c for c in tagged.columns if c not in ("cost", "rows", "first_start", "last_end")]
    return tagged.group_by(regroup).agg(
        cost=_.cost.sum(), rows=_.rows.sum(), first_start=_.first_start.min(), last_end=_.last_end.max()
    )


def null_costs(cloud: ibis.Table, cost_column: str) -> int:
    """Charges whose ``cost_column`` is empty (an optional FOCUS column the export lacks or leaves empty)."""
    return int(cloud.filter(cloud[cost_column].isnull()).count().to_pandas())


def ledger_by_month(ledger: ibis.Table, *, match_columns: Sequence[str]) -> pd.DataFrame:
    """Ledger amounts per month, currency and combination of the matched columns.

    Returns
    -------
    DataFrame
        ``month`` (first day, a date), ``currency``, each of ``match_columns``, ``cost``
        (Decimal, in currency) and ``rows``.
    """
    keys = [c for c in dict.fromkeys(match_columns) if c != "currency"]
    grouped = ledger.group_by(month=ledger.period.truncate("M"), currency=ledger.currency, **{k: ledger[k] for k in keys})
    frame = grouped.agg(cost=exact_units(ledger.amount).sum(), rows=_.count()).to_pandas()
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    frame["cost"] = from_units(frame["cost"])
    return frame


def _words_pattern(words: Sequence[str]) -> str:
    """An RE2 pattern matching any of ``words`` (lowercase) as whole words; group 2 is the word found."""
    escaped = sorted({_re2_escape(w.strip().lower()) for w in words if w.strip()}, key=len, reverse=True)
    return r"(^|[^a-z0-9])(" + "|".join(escaped) + r")($|[^a-z0-9])"


def _re2_escape(text: str) -> str:
    return "".join(f"\\{c}" if not c.isalnum() and c != " " else c for c in text)


def expenses_by_month(
    expenses: ibis.Table, *, mccs: Sequence[str], keywords: Sequence[str], sanctioned: Sequence[str]
) -> pd.DataFrame:
    """Expense lines at software merchants, per month, currency, cost center and what marked them.

    A line is software when its merchant category code is one of ``mccs`` or a keyword is a
    whole word of its merchant (case ignored); it is *sanctioned* when a licensed product or
    vendor (``sanctioned``) is a whole word of it. Memos are not read: a meal whose note says
    "software" is a meal.

    Returns
    -------
    DataFrame
        ``month``, ``currency``, ``cost_center`` (None when empty), ``keyword`` (the keyword
        found, lowercase; None when only the code matched), ``mcc``, ``sanctioned``, ``amount``
        (Decimal, in currency) and ``lines``; only software lines.
    """
    text = expenses.merchant.lower()
    code = expenses.mcc.strip()
    by_code = code.isin([str(c).strip() for c in mccs]) if mccs else ibis.literal(False)
    keyword_pattern = _words_pattern(keywords) if any(str(k).strip() for k in keywords) else None
    found = text.re_extract(keyword_pattern, 2).nullif("") if keyword_pattern else ibis.null(dt.string)
    software = expenses.mutate(keyword=found, code=code, text=text).filter(by_code.fill_null(False) | found.notnull())
    sanctioned_pattern = _words_pattern(sanctioned) if any(str(s).strip() for s in sanctioned) else None
    is_sanctioned = software.text.re_search(sanctioned_pattern) if sanctioned_pattern else ibis.literal(False)
    grouped = software.group_by(
        month=software.date.truncate("M"),
        currency=software.currency,
        cost_center=software.cost_center,
        keyword=software.keyword,
        mcc=software.code,
        sanctioned=is_sanctioned,
    ).agg(amount=exact_units(software.amount).sum(), lines=_.count())
    frame = grouped.to_pandas()
    frame["month"] = pd.to_datetime(frame["month"]).dt.date
    frame["amount"] = from_units(frame["amount"])
    return frame


def product_use(features: ibis.Table, usage: ibis.Table) -> pd.DataFrame:
    """Each user's last use of each application's features: ``user_id, product, last_active``.

    The feature-adoption inputs as seat use: a feature's ``application`` is the product.
    Returns one row per user and application used (a few per user, whatever the usage log's length).
    """
    joined = usage.inner_join(features.select("feature_id", "application"), "feature_id")
    per_user = joined.group_by(user_id=joined.user_id, product=joined.application).agg(last_active=joined.timestamp.max())
    return per_user.to_pandas()
