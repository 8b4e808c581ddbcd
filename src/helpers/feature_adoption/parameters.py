"""The parameters of ``notebooks/feature_adoption.ipynb``: types, defaults and help, declared once.

Imports pydantic and the standard library only, so ``itvalue list`` and ``describe`` stay fast.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any, Self

from pydantic import Field, field_validator

from helpers.analysis.parameters import ENGINE_HELP, Engine, InputPath, NotebookParameters, TimeZone
from helpers.exceptions import ParameterError

__all__ = ["Parameters", "HABIT_SHARE_OF_WEEKS"]

#: An adopter is habitual when they used the feature in at least this share of their last
#: ``habit_weeks`` weeks (3 of 4 by default), rounded up.
HABIT_SHARE_OF_WEEKS = 0.75


class Parameters(NotebookParameters):
    """Parameters of ``notebooks/feature_adoption.ipynb``."""

    features_path: InputPath("features") = Field(  # type: ignore[valid-type]
        "data/sample/features.csv", description="The features: id, name, application, release date, what they replace"
    )
    usage_path: InputPath("feature_usage") = Field(  # type: ignore[valid-type]
        "data/sample/feature_usage.parquet", description="Who used which feature when (one row per use or user-day)"
    )
    users_path: InputPath("users") = Field(  # type: ignore[valid-type]
        "data/sample/users.csv", description="The people who could use the features: department, active from/to"
    )
    as_of: dt.date | None = Field(
        None, description="Last day of usage counted; eligibility ends here (empty = day of the last usage row)"
    )
    release: list[dt.date] = Field(
        [], description="Only features released in this window, [first day, last day] (empty = every feature)"
    )
    horizon_days: int = Field(90, ge=1, description="Adoption is measured this many days after a user became eligible")
    habit_weeks: int = Field(
        4, ge=2, description="An adopter is habitual if they used the feature in 3 of their last 4 weeks (75%, rounded up)"
    )
    departments: bool = Field(True, description="Break adoption down by department")
    min_n: int = Field(30, ge=1, description="Fewest eligible users for a department to be shown")
    confidence: float = Field(0.95, gt=0.5, lt=1, description="Confidence level of every interval")
    timezone: TimeZone = Field("UTC", description="Time zone of naive timestamps and of day boundaries")
    engine: Engine = Field("duckdb", description=ENGINE_HELP)

    @field_validator("as_of", mode="before")
    @classmethod
    def _empty_as_of_means_default(cls, value: Any) -> Any:
        # "as_of: ''" in a params file or `-p as_of ""` on the command line means "not given"
        return None if isinstance(value, str) and not value.strip() else value

    @classmethod
    def validate_values(cls, values: Mapping[str, Any], *, check_inputs: bool = True) -> Self:
        """Validate as the base class does, then the release window (one sentence each)."""
        params = super().validate_values(values, check_inputs=check_inputs)
        if params.release and len(params.release) != 2:
            raise ParameterError(
                f"Parameter 'release' must be two dates, [first day, last day], or empty; got {len(params.release)} "
                f"dates ({', '.join(d.isoformat() for d in params.release)})."
            )
        if params.release and params.release[1] < params.release[0]:
            raise ParameterError(
                f"Parameter 'release': the last day ({params.release[1]}) must not be before the first ({params.release[0]})."
            )
        return params

    @property
    def habit_min_weeks(self) -> int:
        """Weeks of use, out of the last ``habit_weeks``, that make an adopter habitual (3 of 4)."""
        return math.ceil(HABIT_SHARE_OF_WEEKS * self.habit_weeks)
