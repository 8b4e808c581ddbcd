"""The project's notebooks and parameter sets: what ``itvalue list`` and ``describe`` show.

A notebook names the analysis it tells the story of in its metadata (``metadata.itvalue.analysis =
"nps_trends"``), a name looked up in the registry of installed analyses
(:mod:`helpers.analysis.registry`), never a module to import. Any other notebook with a
``parameters`` cell still runs: its parameters and their types are read from that cell by
papermill's inspector.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from helpers import paths
from helpers.analysis import registry
from helpers.analysis.parameters import NotebookParameters, ParameterInfo, show_value, unknown_parameter_message
from helpers.exceptions import KitError, ParameterError
from helpers.inputs.sources import require_file

if TYPE_CHECKING:
    from helpers.analysis.contract import Analysis

__all__ = ["Notebook", "find_notebook", "list_notebooks", "read_params_file"]

#: A plain folder name: no separators, not "." or "..", not hidden (".lock", ".partial" are the kit's). Notebook
#: and parameter-set names become report folders, so they must be such names.
SAFE_NAME = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9_.\-]{0,99}")
#: How notebooks of earlier kit versions named their declaration: only a registered analysis's is honoured.
_LEGACY_DECLARATION = re.compile(r"helpers\.([a-z_][a-z0-9_]*):Parameters")


@dataclass
class Notebook:
    """A runnable notebook: its path, title, and the analysis it tells the story of (None for a plain notebook)."""

    name: str
    path: Path
    title: str
    analysis: Analysis | None
    inspected: dict[str, Any] = field(default_factory=dict)
    #: The kernelspec the notebook asks for (papermill's choice too).
    kernel_name: str = "python3"

    @property
    def parameters_class(self) -> type[NotebookParameters] | None:
        """The analysis's parameter declaration (None for a plain notebook)."""
        return self.analysis.Parameters if self.analysis is not None else None

    @property
    def headline_fields(self) -> list[dict[str, Any]]:
        """The index's figures for a run of this notebook, as ``run.json`` records them."""
        return [f.as_dict() for f in self.analysis.headline_fields] if self.analysis is not None else []

    @classmethod
    def load(cls, path: Path) -> Notebook:
        # Plain JSON, not nbformat: its schema validator pulls in jsonschema and a URI grammar
        # (about a second), and listing notebooks needs only their metadata and tags. The
        # runner's papermill reads the notebook in full, with validation, before executing it.
        if not SAFE_NAME.fullmatch(path.stem):
            raise ParameterError(
                f"The notebook's name {path.stem[:100]!r} cannot name a report folder (letters, digits, '.', '_' and '-', "
                "not starting with '.'); rename the file."
            )
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
            raise ParameterError(f"{path}: not a Jupyter notebook ({reason}).") from None
        if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list) or not isinstance(nb.get("metadata"), dict):
            raise ParameterError(f"{path}: not a Jupyter notebook (no list of cells and metadata).")
        cells = [cell for cell in nb["cells"] if isinstance(cell, dict)]
        if not any("parameters" in (cell.get("metadata") or {}).get("tags", []) for cell in cells):
            raise ParameterError(f"{path}: the notebook has no cell tagged 'parameters'.")
        meta = nb["metadata"].get("itvalue", {})
        meta = meta if isinstance(meta, dict) else {}
        analysis = _analysis(meta, path)
        inspected = {}
        if analysis is None:
            import papermill

            inspected = papermill.inspect_notebook(str(path))
        title = analysis.title if analysis is not None else meta.get("title")
        kernelspec = nb["metadata"].get("kernelspec")
        return cls(
            name=path.stem,
            path=path,
            title=str(title) if isinstance(title, str) and title else path.stem.replace("_", " ").capitalize(),
            analysis=analysis,
            inspected=inspected,
            kernel_name=(kernelspec.get("name") if isinstance(kernelspec, dict) else None) or "python3",
        )

    @property
    def reference(self) -> str:
        """How a command line names this notebook: its name when it is the project's, else its path."""
        root = paths.find_project_root()
        if root is not None and self.path.resolve() == (root / "notebooks" / f"{self.name}.ipynb").resolve():
            return self.name
        return str(self.path)

    @property
    def params_dir(self) -> Path:
        return paths.project_root() / "params" / self.name

    def param_sets(self) -> list[Path]:
        """The parameter files under ``params/<notebook>/``, sorted by name."""
        return sorted(self.params_dir.glob("*.yml")) + sorted(self.params_dir.glob("*.yaml"))

    def describe(self) -> list[ParameterInfo]:
        """Each parameter with type, default and help."""
        if self.parameters_class is not None:
            return self.parameters_class.describe()
        return [
            ParameterInfo(
                name=name, type=_inferred_type(info), default=_literal(info.get("default")), help=info.get("help") or ""
            )
            for name, info in self.inspected.items()
        ]

    def validate(self, values: dict[str, Any]) -> dict[str, Any]:
        """Validate parameter values; return what papermill should inject (JSON types).

        Raises
        ------
        ParameterError
            One sentence: unknown key (with the closest valid name), wrong type, missing input file.
        """
        if self.parameters_class is not None:
            return self.parameters_class.validate_values(values).as_dict()
        # A notebook without a declaration: check names, and types against the inferred ones.
        for key, value in values.items():
            if key not in self.inspected:
                raise ParameterError(unknown_parameter_message(key, list(self.inspected)))
            expected = _inferred_type(self.inspected[key])
            python_type = {"int": int, "float": (int, float), "str": str, "bool": bool, "list": list, "dict": dict}.get(
                expected
            )
            if python_type and value is not None and (
                not isinstance(value, python_type) or (expected in ("int", "float") and isinstance(value, bool))
            ):
                raise ParameterError(f"Parameter '{key}' must be of type {expected}; got {show_value(value)}.")
        return dict(values)

    def parse_override(self, key: str, raw: str) -> Any:
        """The value of ``-p key=raw``: read as YAML, except for text parameters, which keep the text.

        YAML would turn ``-p currency=no`` into ``False`` and ``-p label=2025`` into a number.
        """
        field = self.parameters_class.model_fields.get(key) if self.parameters_class is not None else None
        if field is not None and _is_text(field.annotation):
            return raw
        if not raw.strip():
            return ""
        try:
            value = yaml.safe_load(raw)
        except RecursionError:
            raise ParameterError(f"-p {key}: the value is nested more deeply than any parameter needs.") from None
        except (yaml.YAMLError, ValueError):
            return raw  # not YAML (or an impossible date): validation names the type it wanted
        if not _fits(value, _MAX_VALUES):
            raise ParameterError(f"-p {key}: the value holds more than {_MAX_VALUES:,} values or is nested too deeply.")
        return value

    def inputs(self, values: dict[str, Any]) -> dict[str, tuple[str, str]]:
        """``{parameter: (kind, source)}`` for the input sources a validated run names."""
        if self.parameters_class is None:
            return {}
        return self.parameters_class.model_validate(values).inputs()


def _is_text(annotation: Any) -> bool:
    """``str`` or ``str | None`` (input paths included), not a Literal or a list."""
    import types
    import typing

    if annotation is str:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return all(a is str or a is type(None) for a in typing.get_args(annotation))
    return False


def _literal(text: Any) -> Any:
    try:
        return ast.literal_eval(text) if isinstance(text, str) else text
    except (ValueError, SyntaxError):
        return text


def _inferred_type(info: dict[str, Any]) -> str:
    """The type papermill read from an annotation, else the type of the literal default."""
    named = (info.get("inferred_type_name") or "").strip()
    if named and named != "None":
        return named
    default = _literal(info.get("default"))
    return type(default).__name__ if default is not None else "any"


def _analysis(meta: dict[str, Any], path: Path) -> Analysis | None:
    """The registered analysis a notebook's metadata names (``analysis``, or an earlier kit's declaration)."""
    name = meta.get("analysis")
    legacy = _LEGACY_DECLARATION.fullmatch(str(meta.get("parameters", "")))
    if name is None and legacy is not None:
        name = legacy.group(1)
    if name is None:
        if meta.get("parameters") is not None:
            raise ParameterError(
                f"{path.name}: its metadata names a parameter declaration ({str(meta['parameters'])[:100]!r}) instead of "
                "an installed analysis; set metadata.itvalue.analysis to one of: " + ", ".join(registry.analyses()) + "."
            )
        return None
    if not isinstance(name, str):
        raise ParameterError(f"{path.name}: metadata.itvalue.analysis must be an analysis name.")
    try:
        return registry.get(name)
    except KitError as exc:
        raise ParameterError(f"{path.name}: {exc}") from None


def list_notebooks(problems: dict[Path, str] | None = None) -> list[Notebook]:
    """Every notebook under ``notebooks/`` (checkpoints left out), sorted by name.

    A notebook that cannot be loaded (not JSON, no ``parameters`` cell, an analysis not installed) is
    left out and its one sentence put in ``problems`` under its path, so one broken file never stops the
    others; with ``problems`` None it is raised instead.
    """
    found = []
    for path in sorted(paths.NOTEBOOKS_DIR.glob("*.ipynb")):
        try:
            found.append(Notebook.load(path))
        except KitError as exc:
            if problems is None:
                raise
            problems[path] = str(exc)
    return found


def find_notebook(name_or_path: str) -> Notebook:
    """A notebook by its name under ``notebooks/`` (``nps_trends``) or by a path to any ``.ipynb``."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".ipynb" and candidate.is_file():
        return Notebook.load(candidate.resolve())
    notebooks_dir = paths.NOTEBOOKS_DIR
    by_name = notebooks_dir / f"{candidate.stem}.ipynb"
    if by_name.is_file():
        return Notebook.load(by_name)
    known = [p.stem for p in sorted(notebooks_dir.glob("*.ipynb"))]
    import difflib

    close = difflib.get_close_matches(name_or_path, known, n=1)
    hint = f"did you mean '{close[0]}'?" if close else "known notebooks: " + (", ".join(known) or "none") + "."
    raise ParameterError(f"No notebook '{name_or_path}'; {hint}")


_MAX_PARAMS_FILE_BYTES = 1 << 20
#: A parameter file names a few values; more aliases than this is a "billion laughs" file.
_MAX_ALIASES = 100
_MAX_VALUES = 10_000


class _AliasLimitError(yaml.YAMLError):
    pass


class _DuplicateKeyError(yaml.YAMLError):
    pass


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing files that use more than a few aliases (``*name``) or repeat a key.

    Aliases share one object when loaded, but every message, ``run.json`` and report that
    shows the value expands them: 9 nested aliases in 366 bytes become gigabytes of text.
    A key written twice would silently take the last value; the user meant one of them.
    """

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, (str, int, float, bool)) and key in seen:
                raise _DuplicateKeyError(f"'{key}' appears twice (line {key_node.start_mark.line + 1})")
            seen.add(key if isinstance(key, (str, int, float, bool)) else id(key))
        return super().construct_mapping(node, deep=deep)

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases = getattr(self, "_aliases", 0) + 1
            if self._aliases > _MAX_ALIASES:
                raise _AliasLimitError(f"more than {_MAX_ALIASES} aliases")
        return super().compose_node(parent, index)


def read_params_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML parameter file into a mapping; one-sentence errors for a missing or malformed file."""
    path = Path(path)
    try:
        require_file(path, str(path))
    except FileNotFoundError as exc:
        said = str(exc)
        raise ParameterError(f"Parameter {said}." if said.startswith("file not found") else f"Parameter file: {said}.") from None
    if path.stat().st_size > _MAX_PARAMS_FILE_BYTES:
        raise ParameterError(f"{path.name}: a parameter file of {path.stat().st_size:,} bytes is too large (at most 1 MB).")
    try:
        values = yaml.load(path.read_text(encoding="utf-8"), Loader=_BoundedLoader)  # noqa: S506 - a SafeLoader
    except _AliasLimitError:
        raise ParameterError(f"{path.name}: uses more than {_MAX_ALIASES} YAML aliases (*name); write the values out.") from None
    except RecursionError:
        raise ParameterError(f"{path.name}: values are nested more deeply than any parameter needs.") from None
    except _DuplicateKeyError as exc:
        raise ParameterError(f"{path.name}: {exc}; keep one of them.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ParameterError(f"{path.name}: not valid YAML{where}.") from None
    except UnicodeDecodeError:
        raise ParameterError(f"{path.name}: not UTF-8 text; save it as UTF-8.") from None
    except ValueError as exc:
        # PyYAML reads 2025-13-01 as a date and fails with a bare ValueError.
        raise ParameterError(f"{path.name}: a value is not valid ({exc}).") from None
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ParameterError(f"{path.name}: must be a mapping of parameter names to values.")
    if not _fits(values, _MAX_VALUES):
        raise ParameterError(
            f"{path.name}: holds more than {_MAX_VALUES:,} values once its aliases are written out, or is nested too deeply."
        )
    return values


def _fits(value: Any, limit: int, depth: int = 32) -> bool:
    """Whether ``value``, with shared (aliased) parts counted each time they appear, has at most ``limit`` items
    and is nested at most ``depth`` levels (the deepest parameter, a list of events, has three)."""
    count, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        count += 1
        if count > limit or level > depth:
            return False
        if isinstance(item, dict):
            stack.extend((key, level + 1) for key in item.keys())
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)
    return True
