"""The parameters of ``notebooks/it_costs.ipynb``: types, defaults and help, declared once.

Imports pydantic and the standard library only, so ``itvalue list`` and ``describe`` stay fast.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, Literal, Self

from pydantic import Field, field_validator

from helpers.analysis.parameters import (
    ENGINE_HELP,
    CurrencyCode,
    Engine,
    InputPath,
    NotebookParameters,
    OptionalInputPath,
    TimeZone,
)
from helpers.exceptions import ParameterError

__all__ = ["Parameters", "PERIOD_FORMATS", "DEFAULT_SOFTWARE_MARKERS"]

#: How a period is written, by its length: a pattern and an example.
PERIOD_FORMATS = {
    "M": (re.compile(r"\d{4}-(0[1-9]|1[0-2])"), "2025-06"),
    "Q": (re.compile(r"\d{4}-Q[1-4]"), "2025-Q2"),
    "Y": (re.compile(r"\d{4}"), "2025"),
}
_MCC = re.compile(r"\d{4}")

#: What marks an expense line as software: merchant category codes (ISO 18245) of software and
#: online services, common SaaS vendors and two generic words (whole words of the merchant, case ignored).
DEFAULT_SOFTWARE_MARKERS = [
    "4816", "5734", "5817", "5818", "7372",
    "Adobe", "Airtable", "Asana", "Atlassian", "Calendly", "Canva", "ChatGPT", "DocuSign", "Dropbox", "Figma",
    "GitHub", "HubSpot", "Mailchimp", "Miro", "Monday.com", "Notion", "OpenAI", "Slack", "SurveyMonkey", "Trello",
    "Typeform", "Zapier", "Zoom", "software", "SaaS",
]


class Parameters(NotebookParameters):
    """Parameters of ``notebooks/it_costs.ipynb``."""

    cloud_costs_path: InputPath("cloud_costs") = Field(  # type: ignore[valid-type]
        "data/sample/cloud_costs.parquet", description="FOCUS 1.0-1.2 cost and usage export of the cloud providers"
    )
    ledger_path: OptionalInputPath("ledger") = Field(  # type: ignore[valid-type]
        "data/sample/ledger.csv", description="IT postings of the general ledger (empty = cloud costs only)"
    )
    allocation_path: OptionalInputPath("allocation") = Field(  # type: ignore[valid-type]
        "data/sample/allocation.csv",
        description="Rules mapping costs to cost pools, towers and services; first match wins (empty = all unallocated)",
    )
    volumes_path: OptionalInputPath("volumes") = Field(  # type: ignore[valid-type]
        "data/sample/volumes.csv", description="Orders, active users, transactions per service and month (empty = no unit costs)"
    )
    licences_path: OptionalInputPath("licences") = Field(  # type: ignore[valid-type]
        "data/sample/licences.csv", description="Licence contracts: product, seats, unit price (empty = no shelfware)"
    )
    last_active_path: OptionalInputPath("last_active") = Field(  # type: ignore[valid-type]
        "data/sample/last_active.csv",
        description="Seat holders and when they last used each product (empty = use features_path and feature_usage_path)",
    )
    users_path: OptionalInputPath("users") = Field(  # type: ignore[valid-type]
        "data/sample/users.csv", description="People: department and leaving date, for leavers' seats and departments"
    )
    features_path: OptionalInputPath("features") = Field(  # type: ignore[valid-type]
        "", description="Features and the application each belongs to (the product), when usage comes from feature_usage_path"
    )
    feature_usage_path: OptionalInputPath("feature_usage") = Field(  # type: ignore[valid-type]
        "", description="Feature use per user, as the feature-adoption analysis reads it (instead of last_active_path)"
    )
    expenses_path: OptionalInputPath("expenses") = Field(  # type: ignore[valid-type]
        "data/sample/expenses.csv", description="Expense-report and card lines, for software bought outside IT (empty = none)"
    )
    rates_path: OptionalInputPath("rates") = Field(  # type: ignore[valid-type]
        "data/sample/rates.csv",
        description="Exchange rates into currency; without them costs in other currencies are refused",
    )
    currency: CurrencyCode = Field("EUR", description="The reporting currency")
    cost_column: Literal["EffectiveCost", "BilledCost", "ListCost", "ContractedCost"] = Field(
        "EffectiveCost",
        description=(
            "The FOCUS cost column: EffectiveCost spreads commitments over the usage they cover; BilledCost is the invoice"
        ),
    )
    period: str = Field(
        "Q",
        description="The period reported on: M, Q or Y for the latest month, quarter or year the cost data covers in full, "
                    "or one such as 2025-06, 2025-Q2 or 2025",
        examples=["Q", "2025-Q2"],
    )
    inactive_days: int = Field(90, ge=1, description="A seat is unused when its holder has not used it for this many days")
    software_markers: list[str] = Field(
        DEFAULT_SOFTWARE_MARKERS,
        description="What marks an expense as software: merchant category codes (four digits) and words of the merchant's "
                    "name, case ignored (extend the list)",
        examples=["[5734, 5817, Canva, Notion, software]"],
    )
    min_n: int = Field(30, ge=1, description="Fewest people for a department to be named")
    min_lines: int = Field(3, ge=1, description="Fewest expense lines for a cost center's purchases from a merchant to be shown")
    timezone: TimeZone = Field("UTC", description="Time zone of naive timestamps and of month boundaries")
    engine: Engine = Field("duckdb", description=ENGINE_HELP)

    #: The parameter that bounds the costs analysed (a period with no costs is a ParameterError).
    window: ClassVar[tuple[str, ...]] = ("period",)
    smallest_group_parameter: ClassVar[str | None] = "min_n"

    @field_validator("period", mode="before")
    @classmethod
    def _year_as_text(cls, value: Any) -> Any:
        # YAML reads "period: 2025" as a number
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("software_markers", mode="before")
    @classmethod
    def _codes_as_text(cls, value: Any) -> Any:
        # YAML reads 5734 as a number; a merchant category code is text (0742 keeps its zero)
        if isinstance(value, list):
            return [f"{v:04d}" if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
        return value

    @classmethod
    def validate_values(cls, values: Mapping[str, Any], *, check_inputs: bool = True) -> Self:
        """Validate as the base class does, then the period's spelling and the source of seat use."""
        params = super().validate_values(values, check_inputs=check_inputs)
        text = params.period.strip()
        if text not in PERIOD_FORMATS and not any(pattern.fullmatch(text) for pattern, _ in PERIOD_FORMATS.values()):
            raise ParameterError(
                "Parameter 'period' must be M, Q or Y (the latest complete month, quarter or year) or a period written like "
                f"2025-06, 2025-Q2 or 2025; got {params.period!r}."
            )
        if bool(params.features_path) != bool(params.feature_usage_path):
            given, missing = (
                ("features_path", "feature_usage_path") if params.features_path else ("feature_usage_path", "features_path")
            )
            raise ParameterError(
                f"Parameter '{given}' is given but '{missing}' is empty; feature use counts as product use only with both."
            )
        return params

    @property
    def freq(self) -> str:
        """The length of the periods: ``M``, ``Q`` or ``Y``."""
        text = self.period.strip()
        return text if text in PERIOD_FORMATS else next(f for f, (p, _) in PERIOD_FORMATS.items() if p.fullmatch(text))

    @property
    def report_period(self) -> str | None:
        """The period asked for (``2025-Q2``), or None for the latest complete one."""
        text = self.period.strip()
        return None if text in PERIOD_FORMATS else text

    @property
    def software_mccs(self) -> list[str]:
        """The merchant category codes among :attr:`software_markers`."""
        return [m.strip() for m in self.software_markers if _MCC.fullmatch(m.strip())]

    @property
    def software_keywords(self) -> list[str]:
        """The words among :attr:`software_markers`."""
        return [m.strip() for m in self.software_markers if m.strip() and not _MCC.fullmatch(m.strip())]

    @property
    def usage_source(self) -> str | None:
        """Where seat use comes from: ``"last_active"``, ``"feature_usage"`` or None (no shelfware)."""
        if not self.licences_path:
            return None
        if self.last_active_path:
            return "last_active"
        if self.feature_usage_path:
            return "feature_usage"
        return None
