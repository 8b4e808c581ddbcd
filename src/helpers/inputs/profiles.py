"""Profiles: ready column maps, with their parsing rules, for the exports of common tools, stored as data.

A profile is a YAML file named ``<input kind>/<name>.yml``: the kit ships its own in
``helpers/inputs/profiles/`` (ServiceNow incidents, Jira Service Management, survey exports,
Shopify orders, PagerDuty, Statuspage, Amplitude, Mixpanel, Segment, ServiceNow's transaction log),
and a project adds or overrides one in its own ``profiles/`` folder, without code. A parameter
names it: ``tickets_profile: servicenow``. ``data/README.md`` documents each, with the export steps.

A file holds::

    title: ServiceNow incident list (CSV export)
    documentation: [https://...]          # where the column names come from
    export: |                             # the steps in the tool
      ...
    columns:                              # the kit's column -> the export's
      ticket_id: number                   #   a column name, or an SQL expression (helpers.inputs.expressions)
      opened: opened_at
      reopened: reopen_count > 0
      service: [business_service, cmdb_ci]   # the first of these the file has
      score: {choice: score_column}       # the user names it (X_profile: {name: ..., score_column: Q3})
      response_id: [ResponseId, {record_number: true}]   # else the record's number in its file
    choices:
      score_column:                       # found when not given: exactly one column must match
        help: ...
        paired_with: _NPS_GROUP           # a column C beside a column C_NPS_GROUP (Qualtrics)
        find: ["(?i)recommend"]           # else a column whose name matches
    missing: ["?", "NULL"]                # cells that mean empty
    timestamps: {formats: ["%d/%m/%Y %H:%M"], zone: UTC}   # besides ISO 8601; naive times are in zone
    header_rows: 2                        # extra rows after the header ("auto": see maps.py)
    one_row_per: {key: number, order: sys_mod_count}   # the row with the highest order (no order: the first)
    keep_rows_where: "url LIKE '%cmdb_ci%'"   # rows of the export that are not this input's, left out

The model below checks a file when it is read, so a mistake in a project's own profile is one
sentence naming the file and the key.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from helpers.exceptions import ParameterError
from helpers.paths import find_project_root

__all__ = ["KIT_PROFILES", "Profile", "available", "load_profile", "profile_folders"]

#: The profiles shipped with the kit.
KIT_PROFILES = Path(__file__).with_name("profiles")
_NAME = re.compile(r"[a-z0-9][a-z0-9_]{0,63}")
_CACHE: dict[tuple[str, int, int], Profile] = {}


class Choice(BaseModel):
    """A column the user names when choosing the profile (a survey's score question)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    help: str = Field(min_length=1)
    #: A suffix: the column C for which a column C + suffix exists (Qualtrics writes Q3 beside Q3_NPS_GROUP).
    paired_with: str | None = None
    #: Regular expressions (Python syntax) a column name is searched with when the choice is not given.
    find: tuple[str, ...] = ()

    @field_validator("find")
    @classmethod
    def _compiles(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            re.compile(pattern)
        return patterns


class FromChoice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    choice: str


class RecordNumber(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    record_number: Literal[True]


class Timestamps(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    #: ``strptime`` formats tried in order after ISO 8601.
    formats: tuple[str, ...] = ()
    #: The IANA zone naive timestamps are written in; None = the analysis time zone.
    zone: str | None = None

    @field_validator("zone")
    @classmethod
    def _known_zone(cls, zone: str | None) -> str | None:
        import zoneinfo

        if zone is not None:
            try:
                zoneinfo.ZoneInfo(zone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {zone!r}") from None
        return zone


class OneRowPer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    #: The column that names what one row stands for (an incident's number, an order's name).
    key: str
    #: The row with the highest value of this column is kept; without one, the first row in the file.
    order: str | None = None


ColumnEntry = str | tuple[str | RecordNumber, ...] | FromChoice | RecordNumber


class Profile(BaseModel):
    """A profile file, checked (see the module docstring for each key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1)
    documentation: tuple[str, ...] = ()
    export: str = ""
    columns: dict[str, ColumnEntry]
    choices: dict[str, Choice] = {}
    missing: tuple[str, ...] = ()
    timestamps: Timestamps = Timestamps()
    header_rows: int | Literal["auto"] = 0
    one_row_per: OneRowPer | None = None
    keep_rows_where: str | None = None
    # Set by the loader, never by the file:
    name: str = ""
    kind: str = ""
    path: str = ""
    sha256: str = ""

    def reads(self) -> str:
        """What the profile reads, in one paragraph (``data/README.md`` shows it; a test keeps the two equal)."""
        parts = []
        for column, entry in self.columns.items():
            parts.append(f"`{column}` ← {_entry_words(entry, self)}")
        text = "Reads " + ", ".join(parts) + "."
        rules = []
        if self.timestamps.formats:
            rules.append("dates also written " + ", ".join(f"`{f}`" for f in self.timestamps.formats))
        if self.timestamps.zone:
            rules.append(f"naive times are {self.timestamps.zone}")
        if self.missing:
            rules.append(" and ".join(f"`{m}`" for m in self.missing) + " means empty")
        if self.header_rows == "auto":
            rules.append("extra header rows (up to 3) are skipped")
        elif self.header_rows:
            rules.append(f"{self.header_rows} extra header rows are skipped")
        if self.one_row_per is not None:
            which = f"the highest `{self.one_row_per.order}`" if self.one_row_per.order else "the first in the file"
            rules.append(f"one row per `{self.one_row_per.key}` ({which})")
        if self.keep_rows_where:
            rules.append(f"only rows where `{self.keep_rows_where}`")
        return text + (" " + "; ".join(rules)[:1].upper() + "; ".join(rules)[1:] + "." if rules else "")

    def record(self) -> dict[str, Any]:
        """What ``run.json`` records of the profile: its name, file and the file's sha256."""
        return {"profile": self.name, "profile_file": self.path, "profile_sha256": self.sha256}


def _entry_words(entry: Any, profile: Profile) -> str:
    if isinstance(entry, str):
        return f"`{entry}`"
    if isinstance(entry, RecordNumber):
        return "the record's number in its file"
    if isinstance(entry, FromChoice):
        return f"the column you choose as `{entry.choice}` ({profile.choices[entry.choice].help})"
    return "the first there of " + ", ".join(_entry_words(e, profile) for e in entry)


def profile_folders() -> list[Path]:
    """Where profiles are looked up, first match wins: the project's ``profiles/``, then the kit's."""
    root = find_project_root()
    own = [root / "profiles"] if root is not None and (root / "profiles").is_dir() else []
    return own + [KIT_PROFILES]


def available(kind: str) -> dict[str, Path]:
    """The profiles of an input kind by name (a project's own shadowing the kit's of the same name), sorted."""
    found: dict[str, Path] = {}
    for folder in reversed(profile_folders()):
        for path in sorted((folder / kind).glob("*.yml")):
            if _NAME.fullmatch(path.stem):
                found[path.stem] = path
    return dict(sorted(found.items()))


def load_profile(kind: str, name: str) -> Profile:
    """The profile ``name`` of ``kind``; ParameterError naming the profiles there are otherwise."""
    profiles = available(kind)
    if name not in profiles:
        raise ParameterError(_unknown(kind, name, profiles))
    path = profiles[name]
    status = path.stat()
    key = (str(path), status.st_size, status.st_mtime_ns)
    if key not in _CACHE:
        _CACHE[key] = _read(path, kind, name)
    return _CACHE[key]


def _read(path: Path, kind: str, name: str) -> Profile:
    shown = _shown(path)
    text = path.read_bytes()
    try:
        data = yaml.safe_load(text.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise ParameterError(f"Profile {shown} is not readable YAML ({first}).") from None
    if not isinstance(data, dict):
        raise ParameterError(f"Profile {shown} must be a mapping with title, columns and the parsing rules.")
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in error["loc"] if not str(part).startswith(("function-", "tuple[", "str")))
        raise ParameterError(f"Profile {shown}: '{where}' {_reason(error)}.") from None
    from helpers.analysis.registry import get_schema

    known = {column.name for column in get_schema(kind).columns}
    unknown = [column for column in profile.columns if column not in known]
    if unknown:
        raise ParameterError(
            f"Profile {shown} maps '{unknown[0]}', which is not a column of {kind} (its columns: {', '.join(sorted(known))})."
        )
    for column, entry in profile.columns.items():
        if isinstance(entry, FromChoice) and entry.choice not in profile.choices:
            raise ParameterError(
                f"Profile {shown}: '{column}' takes the choice '{entry.choice}', which 'choices' does not declare."
            )
    if isinstance(profile.header_rows, int) and not 0 <= profile.header_rows <= 20:
        raise ParameterError(f"Profile {shown}: 'header_rows' must be a number from 0 to 20, or auto.")
    if profile.keep_rows_where is not None:
        from helpers.inputs.expressions import ExpressionError, parse_expression

        try:
            parse_expression(profile.keep_rows_where)
        except ExpressionError as exc:
            raise ParameterError(f"Profile {shown}: 'keep_rows_where' is not an expression the kit accepts: {exc}.") from None
    return profile.model_copy(
        update={"name": name, "kind": kind, "path": shown, "sha256": hashlib.sha256(text).hexdigest()}
    )


def _reason(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "is missing"
    if kind == "extra_forbidden":
        return ("is not a key a profile has (title, documentation, export, columns, choices, missing, timestamps, "
                "header_rows, one_row_per, keep_rows_where)")
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    return f"is not valid: {message[:1].lower()}{message[1:]}"


def _shown(path: Path) -> str:
    """The file as messages name it: relative to the project or to the kit's package."""
    for base in filter(None, (find_project_root(), KIT_PROFILES.parent.parent.parent)):
        if path.is_relative_to(base):
            return str(path.relative_to(base))
    return str(path)


def _unknown(kind: str, name: str, profiles: dict[str, Path]) -> str:
    close = difflib.get_close_matches(str(name), list(profiles), n=1)
    elsewhere = sorted({
        folder.name
        for base in profile_folders() if base.is_dir()
        for folder in base.iterdir()
        if folder.is_dir() and folder.name != kind and (folder / f"{name}.yml").is_file()
    }) if _NAME.fullmatch(str(name)) else []
    hint = (
        f"did you mean '{close[0]}'? " if close
        else f"'{name}' is a profile of {' and '.join(elsewhere)} data; " if elsewhere
        else ""
    )
    names = ", ".join(profiles) if profiles else "none"
    return (
        f"There is no {kind.replace('_', ' ')} profile '{str(name)[:60]}'; {hint}{kind.replace('_', ' ')} profiles: {names} "
        f"(add your own as profiles/{kind}/NAME.yml in the project)."
    )
