"""The own formats' JSON Schemas: loading, the input fields' kinds, and validation.

Each format is one JSON Schema (``transship/data/schemas/<name>.schema.json``, draft 2020-12).
:func:`schema_rejects` turns a record's schema errors into one ``Reject``; a compiled check
(:func:`fast_check`) recognises the valid records first, because ``jsonschema`` itself is too
slow for customs files (see below). Moved out of ``ingest.own`` unchanged.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any, cast

import jsonschema

from transship.ingest.base import Reject

log = logging.getLogger(__name__)

#: Columns ``transship export`` adds that a reader ignores on input.
PROVENANCE_KEYS = frozenset({"record_id", "dataset", "source_sha256", "run_id", "line"})


# -- schemas -----------------------------------------------------------------------------


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The shipped JSON Schema ``transship/data/schemas/<name>.schema.json``."""
    path = resources.files("transship.data").joinpath("schemas", f"{name}.schema.json")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@cache
def validator(name: str) -> jsonschema.protocols.Validator:
    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    v: jsonschema.protocols.Validator = cls(schema)
    return v


@cache
def field_kinds(name: str) -> dict[str, str]:
    """Input fields of a format and their kind: string, number, integer, boolean, array."""
    schema = load_schema(name)
    kinds: dict[str, str] = {}
    for field, spec in schema["properties"].items():
        if field in PROVENANCE_KEYS:
            continue
        types = spec.get("type", "string")
        if isinstance(types, str):
            types = [types]
        kind = next((t for t in types if t != "null"), "string")
        kinds[field] = kind
    return kinds


def _json_path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def schema_rejects(
    name: str, record: dict[str, Any], line: int | None, raw: str | None
) -> Reject | None:
    """Validate one record; all its errors in one ``Reject`` whose column is the first field.

    A valid record (almost all of them) is recognised by the fast check; ``jsonschema`` runs
    only on the others, to word the errors.
    """
    fast = fast_check(name)
    if fast is not None and fast(record):
        return None
    errors = sorted(validator(name).iter_errors(record), key=lambda e: (list(e.path), e.message))
    if not errors:
        return None
    described: list[tuple[str | None, str]] = [_describe(name, e) for e in errors]
    column = described[0][0]
    reason = "; ".join(f"{col}: {msg}" if col else msg for col, msg in described)
    return Reject(line, column, reason, raw)


# -- a fast validity check for the subset of JSON Schema the formats use -----------------------
#
# jsonschema takes ~5 ms per record here (it re-resolves every $ref); customs files have
# hundreds of thousands of rows. The check below compiles the schema once into plain Python
# and answers only "valid or not"; it supports exactly the keywords our schemas use and refuses
# (returns None: jsonschema for everything) a schema with any other keyword. A property test
# checks it agrees with jsonschema.

_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$defs", "title", "description", "readOnly", "x-transship-key"}
)
_SUPPORTED = _ANNOTATIONS | {
    "type", "enum", "required", "properties", "patternProperties", "additionalProperties",
    "anyOf", "not", "dependentRequired", "minLength", "minimum", "maximum", "pattern",
    "items", "$ref",
}  # fmt: skip
Check = Callable[[Any], bool]


class _Unsupported(Exception):
    pass


def _is_type(value: Any, name: str) -> bool:
    """jsonschema's type semantics: booleans are not numbers; 1.0 is an integer."""
    if name == "null":
        return value is None
    if name == "boolean":
        return isinstance(value, bool)
    if name == "string":
        return isinstance(value, str)
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, dict)
    if isinstance(value, bool):
        return False
    if name == "number":
        return isinstance(value, int | float)
    if name == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    raise _Unsupported(name)


_PY_TYPES: dict[str, type] = {
    "null": type(None), "boolean": bool, "string": str, "array": list, "object": dict,
}  # fmt: skip


def _type_check(types: list[str]) -> Check:
    for t in types:
        _is_type(None, t)  # raises for a type we do not know
    if "number" in types or "integer" in types:
        return lambda v: any(_is_type(v, t) for t in types)
    plain = tuple(_PY_TYPES[t] for t in types)
    if bool in plain:
        return lambda v: isinstance(v, plain)
    return lambda v: isinstance(v, plain) and not isinstance(v, bool)


def _all(checks: list[Check]) -> Check:
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda v: first(v) and second(v)
    group = tuple(checks)
    return lambda v: all(c(v) for c in group)


def _compile(schema: Any, root: dict[str, Any]) -> Check:
    if schema is True or schema == {}:
        return lambda value: True
    if not isinstance(schema, dict) or set(schema) - _SUPPORTED:
        raise _Unsupported(str(schema)[:80])
    checks: list[Check] = []
    if "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/$defs/"):
            raise _Unsupported(ref)
        checks.append(_compile(root["$defs"][ref.removeprefix("#/$defs/")], root))
    if "type" in schema:
        t = schema["type"]
        checks.append(_type_check([t] if isinstance(t, str) else list(t)))
    if "enum" in schema:
        allowed = list(schema["enum"])

        def in_enum(v: Any) -> bool:
            for x in allowed:
                if v == x and (
                    type(v) is type(x) or (_is_type(v, "number") and _is_type(x, "number"))
                ):
                    return True
            return False

        checks.append(in_enum)
    if "minLength" in schema:
        n = schema["minLength"]
        checks.append(lambda v: not isinstance(v, str) or len(v) >= n)
    if "pattern" in schema:
        rx = re.compile(schema["pattern"])
        checks.append(lambda v: not isinstance(v, str) or rx.search(v) is not None)
    if "minimum" in schema:
        low = schema["minimum"]
        checks.append(lambda v: not _is_type(v, "number") or v >= low)
    if "maximum" in schema:
        high = schema["maximum"]
        checks.append(lambda v: not _is_type(v, "number") or v <= high)
    if "items" in schema:
        item = _compile(schema["items"], root)
        checks.append(lambda v: not isinstance(v, list) or all(item(x) for x in v))
    if "required" in schema:
        req = tuple(schema["required"])
        checks.append(lambda v: not isinstance(v, dict) or all(k in v for k in req))
    if "dependentRequired" in schema:
        deps = {k: tuple(v) for k, v in schema["dependentRequired"].items()}
        checks.append(
            lambda v: (
                not isinstance(v, dict)
                or all(all(x in v for x in need) for k, need in deps.items() if k in v)
            )
        )
    props = {k: _compile(p, root) for k, p in schema.get("properties", {}).items()}
    patterns = [
        (re.compile(k), _compile(p, root)) for k, p in schema.get("patternProperties", {}).items()
    ]
    extra = schema.get("additionalProperties", True)
    if extra not in (True, False):
        raise _Unsupported("additionalProperties schema")
    if props or patterns or extra is False:
        # Which checks apply to a key depends only on the key: work it out once per key.
        per_key: dict[str, tuple[Check, ...] | None] = {}

        def key_checks(key: str) -> tuple[Check, ...] | None:
            found = per_key.get(key, ())
            if found == ():
                subs = [props[key]] if key in props else []
                subs += [sub for rx, sub in patterns if rx.search(key)]
                found = tuple(subs) if subs or extra is not False else None
                per_key[key] = found
            return found

        def check_props(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            for key, value in v.items():
                subs = key_checks(key)
                if subs is None:
                    return False
                for sub in subs:
                    if not sub(value):
                        return False
            return True

        checks.append(check_props)
    if "anyOf" in schema:
        options = [_compile(s, root) for s in schema["anyOf"]]
        checks.append(lambda v: any(c(v) for c in options))
    if "not" in schema:
        negated = _compile(schema["not"], root)
        checks.append(lambda v: not negated(v))
    return _all(checks)


@cache
def fast_check(name: str) -> Check | None:
    """A compiled validity check for a format's schema (None when it uses other keywords)."""
    schema = load_schema(name)
    try:
        return _compile(schema, schema)
    except _Unsupported as exc:  # pragma: no cover - our schemas use the subset
        log.warning("schema %s uses %s: validating with jsonschema only", name, exc)
        return None


def _describe(name: str, error: jsonschema.ValidationError) -> tuple[str | None, str]:
    """(field path, readable message) for one schema error."""
    path = _json_path(error.absolute_path)
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        field = missing[0] if missing else None
        return (
            _json_path([*error.absolute_path, field]) if field else path or None
        ), "required field missing"
    if error.validator == "dependentRequired":
        missing = re.findall(r"'([^']+)' is a dependency of '([^']+)'", error.message)
        if missing:
            return missing[0][0], f"required when {missing[0][1]} is given"
    if error.validator == "additionalProperties":
        extra = re.findall(r"'([^']+)'", error.message.split("(")[-1])
        return (
            extra[0] if extra else None
        ), f"unknown field (see the {name} format in docs/formats.md)"
    if error.validator == "anyOf" and not error.absolute_path:
        subschemas: list[Any] = list(cast(list[Any], error.validator_value))
        options = ["|".join(s.get("required", [])) for s in subschemas if isinstance(s, dict)]
        return "|".join(options), f"one of {', '.join(options)} is required"
    if error.validator == "not" and not error.absolute_path:
        return "unit", "give currency or unit, not both"
    if error.validator == "enum":
        allowed = ", ".join(str(v) for v in cast(list[Any], error.validator_value) if v is not None)
        return path or None, f"{error.instance!r} is not one of {allowed}"
    return path or None, error.message
