"""Reading the outlook's YAML files (dependencies, scenarios, hypotheses) with line numbers.

Every mapping read carries the line it starts on, so a bad value is reported as
``file, line N, field 'x': reason`` (:class:`SourceFormatError`), the one-line error every
transship reader gives.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from transship.exc import NotFound, SourceFormatError

LINE = "__line__"


class _Loader(yaml.SafeLoader):
    """SafeLoader whose mappings remember their first line (as ``__line__``)."""


def _mapping(loader: _Loader, node: yaml.MappingNode) -> dict[str, Any]:
    value: dict[Any, Any] = loader.construct_mapping(node, deep=True)
    value[LINE] = node.start_mark.line + 1
    return value


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load(path: str | Path) -> dict[str, Any]:
    """A YAML mapping with line numbers; a one-line error for a missing or broken file."""
    p = Path(path)
    if not p.exists():
        raise NotFound(f"no file {p}")
    try:
        data = yaml.load(p.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise SourceFormatError(p, f"not valid YAML: {exc.problem}", line=line) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SourceFormatError(p, f"not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise SourceFormatError(p, "expected a mapping at the top", line=1)
    data["__file__"] = str(p)
    return data


def fail(path: str | Path, node: Any, field: str, reason: str) -> SourceFormatError:
    """The error for ``field`` of ``node`` (a mapping read by :func:`load`)."""
    line = node.get(LINE) if isinstance(node, dict) else None
    return SourceFormatError(path, reason, line=line, column=field)


def need(path: str | Path, node: Any, field: str, kind: type | tuple[type, ...] = object) -> Any:
    """``node[field]``, which must exist and be of ``kind``."""
    if not isinstance(node, dict) or field not in node or node[field] is None:
        raise fail(path, node, field, "missing")
    value = node[field]
    if not isinstance(value, kind) or (
        isinstance(value, bool) and kind in (int, float, (int, float))
    ):
        raise fail(
            path, node, field, f"expected {getattr(kind, '__name__', 'a number')}, got {value!r}"
        )
    return value


def number(path: str | Path, node: Any, field: str) -> float:
    """``node[field]`` as a number. YAML 1.1 reads ``1.2e9`` (no sign in the exponent) as a
    string; such a string is taken as the number it spells."""
    if not isinstance(node, dict) or node.get(field) is None:
        raise fail(path, node, field, "missing")
    v = node[field]
    if isinstance(v, bool):
        raise fail(path, node, field, f"expected a number, got {v!r}")
    if isinstance(v, int | float):
        return float(v)
    try:
        return float(str(v).replace("_", ""))
    except ValueError:
        raise fail(path, node, field, f"expected a number, got {v!r}") from None


def plain(node: Any) -> Any:
    """``node`` without the line markers (for output)."""
    if isinstance(node, dict):
        return {k: plain(v) for k, v in node.items() if k not in (LINE, "__file__")}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node
