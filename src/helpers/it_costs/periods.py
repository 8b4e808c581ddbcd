"""Calendar periods (months, quarters, years) and the one a report is about.

Costs are added up per calendar month in the engine; a period is a run of whole months
(``2025-06``, ``2025-Q2``, ``2025``). A period is *complete* when the cloud cost data covers
every moment of it: its first charge starts no later than the period's first instant and
its last charge ends no earlier than the period's end. The report is about the latest
complete period unless the ``period`` parameter names another.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from helpers.exceptions import ParameterError

__all__ = ["Coverage", "Period", "period_of", "parse_period", "periods_covering", "choose_periods"]

_MONTHS_IN = {"M": 1, "Q": 3, "Y": 12}
_NAMES = {"M": "month", "Q": "quarter", "Y": "year"}


@dataclass(frozen=True)
class Period:
    """A run of whole calendar months.

    Attributes
    ----------
    label : str
        ``2025-06``, ``2025-Q2`` or ``2025``.
    freq : {"M", "Q", "Y"}
    start : date
        Its first day.
    end : date
        Its last day (inclusive).
    """

    label: str
    freq: str
    start: dt.date
    end: dt.date

    @property
    def months(self) -> list[dt.date]:
        """The first day of each of its months."""
        return [_add_months(self.start, k) for k in range(_MONTHS_IN[self.freq])]

    @property
    def noun(self) -> str:
        """``month``, ``quarter`` or ``year``."""
        return _NAMES[self.freq]

    def previous(self) -> Period:
        """The period just before."""
        return period_of(_add_months(self.start, -_MONTHS_IN[self.freq]), self.freq)

    def as_dict(self) -> dict[str, str]:
        """``{"label", "start", "end"}`` with ISO dates (``end`` is the last day)."""
        return {"label": self.label, "start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclass(frozen=True)
class Coverage:
    """What the cloud cost data covers: from its first charge's start to its last charge's end.

    Attributes
    ----------
    first, last : datetime
        ``min(ChargePeriodStart)`` and ``max(ChargePeriodEnd)`` (naive, the analysis time zone).
    months : frozenset of date
        The months (first days) holding at least one charge.
    """

    first: dt.datetime
    last: dt.datetime
    months: frozenset

    def is_complete(self, period: Period) -> bool:
        """Every moment of ``period`` is covered and each of its months holds charges."""
        after_end = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time())
        return (
            self.first <= dt.datetime.combine(period.start, dt.time())
            and self.last >= after_end
            and all(m in self.months for m in period.months)
        )


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_of(day: dt.date, freq: str) -> Period:
    """The period of ``freq`` that holds ``day``."""
    if freq == "M":
        start = dt.date(day.year, day.month, 1)
        label = f"{day.year}-{day.month:02d}"
    elif freq == "Q":
        quarter = (day.month - 1) // 3 + 1
        start = dt.date(day.year, 3 * quarter - 2, 1)
        label = f"{day.year}-Q{quarter}"
    elif freq == "Y":
        start = dt.date(day.year, 1, 1)
        label = f"{day.year}"
    else:
        raise ValueError(f"unknown period {freq!r}")
    end = _add_months(start, _MONTHS_IN[freq]) - dt.timedelta(days=1)
    return Period(label=label, freq=freq, start=start, end=end)


def parse_period(text: str, freq: str) -> Period:
    """The period a label names (``2025-Q2`` with ``Q``); the label is checked by the parameters."""
    text = text.strip()
    if freq == "M":
        year, month = text.split("-")
        return period_of(dt.date(int(year), int(month), 1), "M")
    if freq == "Q":
        year, quarter = text.split("-Q")
        return period_of(dt.date(int(year), 3 * int(quarter) - 2, 1), "Q")
    return period_of(dt.date(int(text), 1, 1), "Y")


def periods_covering(months: Iterable[dt.date], freq: str) -> list[Period]:
    """The periods holding any of ``months``, in time order (gaps between them included)."""
    months = sorted(set(months))
    if not months:
        return []
    periods = [period_of(months[0], freq)]
    last = period_of(months[-1], freq)
    while periods[-1].start < last.start:
        periods.append(period_of(_add_months(periods[-1].end, 1), freq))
    return periods


def choose_periods(coverage: Coverage, freq: str, requested: str | None) -> tuple[Period, Period | None]:
    """The period the report is about, and the one before it if the data holds it.

    Without ``requested``: the latest complete period, or the latest with any cost if none
    is complete (the report then says the period is partial).

    Raises
    ------
    ParameterError
        ``requested`` holds no cost.
    """
    periods = periods_covering(coverage.months, freq)
    if requested is not None:
        chosen = parse_period(requested, freq)
        if not any(m in coverage.months for m in chosen.months):
            raise ParameterError(
                f"Parameter 'period' ({requested}) holds no cloud cost: the cost data runs from "
                f"{coverage.first:%Y-%m-%d} to {coverage.last:%Y-%m-%d}, so choose a {_NAMES[freq]} from "
                f"{periods[0].label} to {periods[-1].label} (or {freq} for the latest complete one)."
            )
    else:
        complete = [p for p in periods if coverage.is_complete(p)]
        chosen = complete[-1] if complete else periods[-1]
    previous = chosen.previous()
    has_previous = any(m in coverage.months for m in previous.months)
    return chosen, previous if has_previous else None
