"""transship's own formats: licences, shipments (customs records), end-user certificates, claims.

Each format is one JSON Schema (``transship/data/schemas/<name>.schema.json``, draft 2020-12)
and is accepted as CSV with a header, a JSON list of objects, a JSON object wrapping a list
(``{"simulated": true, "records": [...]}``) or JSON lines. The file's content decides which
format and which syntax (never its name): a CSV header or first JSON record must carry the
format's key (``licence_id``, ``shipment_id``, ``certificate_id``; ``id`` + ``claim`` for
claims).

Every record goes through the same steps, so CSV and JSON fail the same way:

1. CSV cells are typed from the schema (numbers, booleans, ``;``-separated lists); empty
   cells and JSON nulls count as absent;
2. the record is validated against the JSON Schema: a missing required field, a wrong type or
   an unknown key rejects the record (``Reject`` with the line, the field's JSON path as the
   column, and every schema error in the reason);
3. values are normalised: countries to rigour codes, ML categories to ``ML4``, HS codes to
   zero-padded digits, dates to ISO prefixes, money converted to EUR/USD with the ECB annual
   mean of the record's year. A value the normalisers cannot read rejects the record, naming
   the field; an exchange rate we do not have only leaves ``value_eur``/``value_usd`` empty
   (a licence must not vanish because a currency is exotic).

A file is simulated when its first line is ``# SIMULATED`` (CSV) or a record or the wrapper
says ``"simulated": true``; such rows are stored with ``simulated = true``.
Provenance columns that ``transship export`` writes (record_id, dataset, source_sha256, run_id,
line) and ``*_orig`` columns are ignored on input, so an export reads back.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, cast

import jsonschema
import pyarrow as pa

from transship.exc import SourceFormatError, TransshipError
from transship.ingest import checks
from transship.ingest.base import SIMULATED_MARKER, ReadContext, Reader, Reject, Rows
from transship.ingest.textio import batched
from transship.normalise import commodities, dates, military, money, quantities, territories

log = logging.getLogger(__name__)

#: Columns ``transship export`` adds that a reader ignores on input.
PROVENANCE_KEYS = frozenset({"record_id", "dataset", "source_sha256", "run_id", "line"})
#: Keys of a JSON object that wraps the records.
WRAPPER_KEYS = ("records", "data")
_KEY_RE = re.compile(r'"([A-Za-z_][A-Za-z0-9_]*)"\s*:')
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


class FieldError(Exception):
    """A value a normaliser cannot read; becomes a ``Reject`` naming the field."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


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


# -- value normalisation -------------------------------------------------------------------


def _territory(value: str) -> str:
    return territories.lookup(value).code  # remembered by normalise, misses included


# Customs and licence files repeat the same few codes, dates and units on every row: the
# normalisers are pure, so each distinct text is worked out once (errors are not cached).
_ml_category = lru_cache(maxsize=4096)(military.ml_category)
_hs_code = lru_cache(maxsize=8192)(commodities.hs_code)
_partial_date = lru_cache(maxsize=16384)(dates.partial_date)
_unit = lru_cache(maxsize=1024)(quantities.unit)
_parse_amount = lru_cache(maxsize=16384)(money.parse_amount)


def country(record: dict[str, Any], column: str) -> str | None:
    value = record.get(column)
    if value is None:
        return None
    try:
        return _territory(str(value).strip())
    except TransshipError as exc:
        raise FieldError(column, f"unknown country {value!r}") from exc


def country_list(record: dict[str, Any], column: str) -> list[str] | None:
    values = record.get(column)
    if values is None:
        return None
    out: list[str] = []
    for i, value in enumerate(values):
        try:
            out.append(_territory(str(value).strip()))
        except TransshipError as exc:
            raise FieldError(f"{column}[{i}]", f"unknown country {value!r}") from exc
    return out


def ml(record: dict[str, Any], column: str = "ml_category") -> str | None:
    value = record.get(column)
    if value is None:
        return None
    try:
        return _ml_category(str(value))
    except TransshipError as exc:
        raise FieldError(column, f"not an ML category: {value!r} (ML1..ML22)") from exc


def hs(record: dict[str, Any], column: str = "hs_code") -> str | None:
    value = record.get(column)
    if value is None:
        return None
    try:
        return _hs_code(str(value))
    except TransshipError as exc:
        raise FieldError(column, f"not an HS code: {value!r} (2 to 10 digits)") from exc


def date(record: dict[str, Any], column: str, dated: bool = False) -> str | None:
    """An ISO date prefix; ``dated``: the day the record happened (issued, declared), so its
    year cannot be after next year nor before 1900 (``checks.FIRST_YEAR["own"]``)."""
    value = record.get(column)
    if value is None:
        return None
    try:
        parsed = _partial_date(str(value).strip())
    except TransshipError as exc:
        raise FieldError(
            column, f"not a date: {value!r} (use 2021, 2021-03 or 2021-03-04)"
        ) from exc
    if parsed is None:
        raise FieldError(column, f"not a date: {value!r} (use 2021, 2021-03 or 2021-03-04)")
    if dated:
        problem = checks.year_problem(int(parsed[:4]), "own", column)
        if problem is not None:
            raise FieldError(column, problem)
    return parsed


def unit(record: dict[str, Any], column: str = "unit") -> str | None:
    """Canonical unit; a unit the table lacks is kept as written (lowercased), not rejected."""
    value = record.get(column)
    if value is None:
        return None
    try:
        return _unit(str(value))
    except TransshipError:
        return str(value).strip().lower()


def currency(record: dict[str, Any], column: str = "currency") -> str | None:
    value = record.get(column)
    return None if value is None else str(value).strip().upper()


_warned_currencies: set[str] = set()


def convert(
    amount: float | None, cur: str | None, year: int | None, to: Callable[[float, str, int], float]
) -> float | None:
    """Money conversion that leaves the value empty (and says so once) when we have no rate."""
    if amount is None or cur is None or year is None:
        return None
    try:
        return float(to(amount, cur, year))
    except TransshipError as exc:
        key = f"{cur}:{year}"
        if key not in _warned_currencies:
            _warned_currencies.add(key)
            log.warning(
                "no exchange rate for %s in %d (%s): converted value left empty",
                cur,
                year,
                exc.message,
            )
        return None


def _year(iso: str | None) -> int | None:
    return int(iso[:4]) if iso and iso[:4].isdigit() else None


def _text(record: dict[str, Any], column: str) -> str | None:
    value = record.get(column)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _num(record: dict[str, Any], column: str) -> float | None:
    """A quantity, weight or amount of money: finite, not negative, below
    ``checks.MAX_AMOUNT``. JSON's ``NaN``/``Infinity`` (which Python reads) and ``1e400``
    (read as infinity) pass the schema's ``minimum`` check, so they are refused here."""
    value = record.get(column)
    if value is None:
        return None
    number = float(value)
    problem = checks.amount_problem(number, column, str(value))
    if problem is not None:
        raise FieldError(column, problem)
    return number


# -- readers -----------------------------------------------------------------------------


class OwnFormatReader(Reader):
    """Shared reading of the own formats; subclasses give the schema, key and row builder."""

    #: JSON Schema name (``transship/data/schemas/<schema_name>.schema.json``).
    schema_name: ClassVar[str]
    #: Key field: a file is this format when its header / first record has it.
    key: ClassVar[str]
    #: Further fields that must be present for sniffing (claims: ``claim``).
    sniff_also: ClassVar[tuple[str, ...]] = ()
    #: Output columns (store columns minus provenance) and their Arrow types.
    columns: ClassVar[pa.Schema]

    def build(self, record: dict[str, Any]) -> dict[str, Any]:
        """Normalise one valid record into a store row (raise ``FieldError``)."""
        raise NotImplementedError

    # -- sniffing --------------------------------------------------------------------------
    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        text = head.lstrip()
        if not text:
            return 0
        if text[0] in "[{":
            names = _KEY_RE.findall(text[:16_384])
            if '"schema"' in text[:2000] and '"properties"' in text[:2000]:
                return 0  # FollowTheMoney entities
        else:
            lines = [ln for ln in text.splitlines() if ln.strip()]
            if lines and lines[0].lstrip().startswith("#"):
                lines = lines[1:]
            if not lines:
                return 0
            names = _header_names(lines[0])
        return cls._score(names)

    @classmethod
    def _score(cls, names: list[str]) -> int:
        lowered = [n.strip().lower() for n in names]
        if cls.key not in lowered or any(f not in lowered for f in cls.sniff_also):
            return 0
        distinct = set(lowered) - PROVENANCE_KEYS
        known = set(field_kinds(cls.schema_name))
        fraction = len(distinct & known) / max(len(distinct), 1)
        bonus = 4 if lowered and lowered[0] == cls.key else 0
        return min(99, int(60 + 30 * fraction) + bonus)

    # -- reading ---------------------------------------------------------------------------
    def read(self, ctx: ReadContext) -> Iterator[Rows | Reject]:
        buffered = io.BufferedReader(cast(io.RawIOBase, ctx.open()))
        first = _peek_char(buffered)
        text = io.TextIOWrapper(buffered, encoding="utf-8-sig", newline="")
        records: Iterator[tuple[int, dict[str, Any] | Reject, str | None, bool]]
        if first in "[{":
            records = self._json_records(ctx, text)
        else:
            records = self._csv_records(ctx, text)
        rows = (
            rec if isinstance(rec, Reject) else self._row(ctx, rec, line, raw, from_csv)
            for line, rec, raw, from_csv in records
        )
        yield from batched(rows, self.tables[0], self.columns, ctx.batch_rows)

    def _row(
        self, ctx: ReadContext, rec: dict[str, Any], line: int, raw: str | None, from_csv: bool
    ) -> dict[str, Any] | Reject:
        record = {
            k: v
            for k, v in rec.items()
            if k not in PROVENANCE_KEYS
            and not k.endswith("_orig")
            and v is not None
            and not (isinstance(v, str) and not v.strip())
        }
        if from_csv:
            typed = _type_cells(record, field_kinds(self.schema_name))
            if isinstance(typed, FieldError):
                return Reject(line, typed.column, typed.reason, raw)
            record = typed
        bad = schema_rejects(self.schema_name, record, line, raw)
        if bad is not None:
            return bad
        simulated = record.pop("simulated", False) is True
        if simulated:
            ctx.simulated = True
        try:
            row = self.build(record)
        except FieldError as exc:
            return Reject(line, exc.column, exc.reason, raw)
        row["line"] = line
        row["simulated"] = simulated or ctx.simulated
        return row

    def _csv_records(
        self, ctx: ReadContext, text: io.TextIOWrapper
    ) -> Iterator[tuple[int, dict[str, Any] | Reject, str | None, bool]]:
        offset = 0
        header_text = text.readline()
        if header_text.lstrip().startswith("#"):
            if header_text.lstrip("# \t").upper().startswith(SIMULATED_MARKER):
                ctx.simulated = True
            offset = 1
            header_text = text.readline()
        if not header_text.strip():
            raise SourceFormatError(ctx.path, "no CSV header", line=offset + 1)
        delimiter = max((",", ";", "\t"), key=header_text.count)
        header_line = offset + 1
        limit = checks.csv_field_limit()
        try:
            names = next(csv.reader([header_text], delimiter=delimiter))
        except csv.Error as exc:
            raise SourceFormatError(
                ctx.path, f"unreadable CSV header: {exc}", line=header_line
            ) from exc
        header = [h.strip().lower() for h in names]
        if self.key not in header:
            raise SourceFormatError(
                ctx.path,
                f"missing key column {self.key!r} (a {self.name} file needs it)",
                line=header_line,
            )
        known = set(field_kinds(self.schema_name)) | PROVENANCE_KEYS
        unknown = [h for h in header if h not in known and not h.endswith("_orig")]
        if unknown:
            raise SourceFormatError(
                ctx.path,
                f"unknown columns: {', '.join(unknown)} "
                f"(the {self.name} format is in docs/formats.md)",
                line=header_line,
            )
        dupes = sorted({h for h in header if header.count(h) > 1})
        if dupes:
            raise SourceFormatError(
                ctx.path, f"duplicate columns: {', '.join(dupes)}", line=header_line
            )
        reader = csv.reader(text, delimiter=delimiter)
        consumed = header_line
        while True:
            line = consumed + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                # A field over TRANSSHIP_MAX_FIELD_BYTES: the csv module stops in the middle
                # of its line and reads on from the next one. One record, one reject.
                consumed = header_line + reader.line_num
                if not checks.is_field_limit_error(exc):
                    raise SourceFormatError(ctx.path, f"unreadable CSV: {exc}", line=line) from exc
                reason = checks.field_too_long_reason(limit)
                yield line, Reject(line, None, reason, None), None, True
                continue
            consumed = header_line + reader.line_num
            if not cells or all(not c.strip() for c in cells):
                continue
            raw = delimiter.join(cells)
            if len(cells) > len(header):
                yield (
                    line,
                    Reject(line, None, f"{len(cells)} cells for {len(header)} columns", raw),
                    raw,
                    True,
                )
                continue
            yield line, dict(zip(header, cells, strict=False)), raw, True

    def _json_records(
        self, ctx: ReadContext, text: io.TextIOWrapper
    ) -> Iterator[tuple[int, dict[str, Any] | Reject, str | None, bool]]:
        first_line = text.readline()
        if first_line.lstrip().startswith("{"):
            try:
                first = checks.loads(first_line)
            except checks.JsonTooDeep:
                # JSON lines when the (too deep) value ends on its line: one reject, go on.
                end = checks.json_value_end(first_line, 0)
                first = {} if end is not None and not first_line[end:].strip() else None
            except json.JSONDecodeError:
                first = None
            if isinstance(first, dict) and not _is_wrapper(first):
                yield from self._json_lines(first_line, text)
                return
        whole = first_line + text.read()
        try:
            doc = json.loads(whole)
        except RecursionError:
            # Too deep for the decoder somewhere: find the records without decoding it
            # whole; the deep record becomes a reject (``_array_items``).
            doc = _deep_document(ctx.path, whole)
        except json.JSONDecodeError as exc:
            raise SourceFormatError(
                ctx.path, f"not valid JSON: {exc.msg}", line=exc.lineno
            ) from exc
        if isinstance(doc, _Deep):
            ctx.simulated = ctx.simulated or doc.simulated
            start = doc.start
        elif isinstance(doc, dict) and _is_wrapper(doc):
            if doc.get("simulated") is True:
                ctx.simulated = True
            key = next(k for k in WRAPPER_KEYS if isinstance(doc.get(k), list))
            match = re.search(rf'"{key}"\s*:\s*\[', whole)
            assert match is not None
            start = match.end() - 1
        elif isinstance(doc, list):
            start = whole.index("[")
        elif isinstance(doc, dict):
            yield 1, doc, None, False
            return
        else:
            raise SourceFormatError(
                ctx.path, "JSON must be an object, a list of objects or JSON lines"
            )
        for line, item in _array_items(ctx.path, whole, start):
            if isinstance(item, Reject):
                yield line, item, None, False
                continue
            try:
                checks.check_depth(item)
            except checks.JsonTooDeep as exc:
                yield line, Reject(line, None, str(exc), None), None, False
                continue
            if not isinstance(item, dict):
                yield (
                    line,
                    Reject(line, None, "not a JSON object", json.dumps(item)[:2000]),
                    None,
                    False,
                )
                continue
            yield line, item, json.dumps(item, ensure_ascii=False), False

    @staticmethod
    def _json_lines(
        first_line: str, text: io.TextIOWrapper
    ) -> Iterator[tuple[int, dict[str, Any] | Reject, str | None, bool]]:
        def lines() -> Iterator[str]:
            yield first_line
            yield from text

        for line_no, line in enumerate(lines(), 1):
            stripped = line.strip()
            if not stripped:
                continue
            try:
                item = checks.loads(stripped)
            except checks.JsonTooDeep as exc:
                yield line_no, Reject(line_no, None, str(exc), stripped[:2000]), stripped, False
                continue
            except json.JSONDecodeError as exc:
                yield (
                    line_no,
                    Reject(line_no, None, f"not valid JSON: {exc.msg}", stripped),
                    stripped,
                    False,
                )
                continue
            if not isinstance(item, dict):
                yield line_no, Reject(line_no, None, "not a JSON object", stripped), stripped, False
                continue
            yield line_no, item, stripped, False


def _is_wrapper(doc: dict[str, Any]) -> bool:
    return any(isinstance(doc.get(k), list) for k in WRAPPER_KEYS)


def _peek_char(stream: io.BufferedReader[io.RawIOBase]) -> str:
    """First non-blank character, without consuming anything (decides JSON or CSV)."""
    head = stream.peek(4096)[:4096]
    decoded = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    return decoded[:1]


def _header_names(line: str) -> list[str]:
    delimiter = max((",", ";", "\t"), key=line.count)
    return next(csv.reader([line], delimiter=delimiter))


@dataclass(frozen=True, slots=True)
class _Deep:
    """A JSON document too deep to decode whole: where its records start, and whether it
    says it is simulated (both found in the text)."""

    start: int
    simulated: bool


_WRAPPED = re.compile(r'"(?:' + "|".join(WRAPPER_KEYS) + r')"\s*:\s*\[')
_SIMULATED = re.compile(r'"simulated"\s*:\s*true')


def _deep_document(path: Path, whole: str) -> _Deep:
    """The records' array of a document the decoder refused for its depth: a list, or an
    object wrapping one (``"records"``/``"data"``); else a ``SourceFormatError``."""
    text = whole.lstrip("\ufeff \t\r\n")
    offset = len(whole) - len(text)
    end = checks.json_value_end(whole, offset)
    if end is None or whole[end:].strip():
        line = whole.count("\n", 0, end) + 1 if end is not None else 1
        raise SourceFormatError(path, "not valid JSON: one value expected", line=line)
    if text.startswith("["):
        return _Deep(offset, False)
    match = _WRAPPED.search(whole) if text.startswith("{") else None
    if match is None:
        raise SourceFormatError(path, checks.too_deep_reason(), line=1)
    return _Deep(match.end() - 1, bool(_SIMULATED.search(whole, 0, match.start())))


def _array_items(path: Path, text: str, start: int) -> Iterator[tuple[int, Any]]:
    """Items of the JSON array opening at ``text[start]``, each with its 1-based line. An
    item too deep for the decoder is stepped over and given as a ``Reject``."""
    decoder = json.JSONDecoder()
    pos = start + 1
    line = text.count("\n", 0, pos) + 1
    counted = pos
    n = len(text)
    while True:
        while pos < n and text[pos] in " \t\r\n":
            pos += 1
        if pos >= n or text[pos] == "]":
            return
        line += text.count("\n", counted, pos)
        counted = pos
        try:
            item, pos = decoder.raw_decode(text, pos)
        except RecursionError:
            end = checks.json_value_end(text, pos)
            if end is None:
                raise SourceFormatError(path, checks.too_deep_reason(), line=line) from None
            yield line, Reject(line, None, checks.too_deep_reason(), text[pos : pos + 2000])
            pos = end
        except json.JSONDecodeError as exc:
            raise SourceFormatError(path, f"not valid JSON: {exc.msg}", line=exc.lineno) from exc
        else:
            yield line, item
        while pos < n and text[pos] in " \t\r\n":
            pos += 1
        if pos < n and text[pos] == ",":
            pos += 1


def _type_cells(record: dict[str, Any], kinds: dict[str, str]) -> dict[str, Any] | FieldError:
    """Type CSV cells from the schema so CSV and JSON meet the same validation."""
    out: dict[str, Any] = {}
    for key, cell in record.items():
        kind = kinds.get(key, "string")
        text = str(cell).strip()
        try:
            if kind == "number":
                out[key] = _parse_amount(text)
            elif kind == "integer":
                out[key] = int(text)
            elif kind == "boolean":
                low = text.lower()
                if low in _TRUE:
                    out[key] = True
                elif low in _FALSE:
                    out[key] = False
                else:
                    return FieldError(key, f"not true/false: {text!r}")
            elif kind == "array":
                out[key] = [part.strip() for part in text.split(";") if part.strip()]
            else:
                out[key] = text
        except (ValueError, TransshipError):
            what = "a number" if kind == "number" else "an integer"
            return FieldError(key, f"not {what}: {text!r}")
    return out


# -- the formats ---------------------------------------------------------------------------


def _schema(fields: list[tuple[str, pa.DataType]]) -> pa.Schema:
    return pa.schema([("line", pa.int64()), ("simulated", pa.bool_()), *fields])


S, F, B, L = pa.string(), pa.float64(), pa.bool_(), pa.list_(pa.string())


class LicenceReader(OwnFormatReader):
    """Individual licence decisions (transship licence format)."""

    name: ClassVar[str] = "licences"
    dataset: ClassVar[str] = "licences"
    description: ClassVar[str] = (
        "transship licence format (CSV/JSON): export, brokering, transit licences and refusals"
    )
    tables: ClassVar[tuple[str, ...]] = ("licences",)
    natural_key: ClassVar[dict[str, tuple[str, ...]]] = {"licences": ("licence_id",)}
    schema_name: ClassVar[str] = "licence"
    key: ClassVar[str] = "licence_id"
    columns: ClassVar[pa.Schema] = _schema(
        [
            ("licence_id", S), ("authority_country", S), ("licence_type", S), ("status", S),
            ("exporter", S), ("exporter_id", S), ("consignee", S), ("consignee_country", S),
            ("end_user", S), ("end_user_country", S), ("destination", S), ("destination_orig", S),
            ("ml_category", S), ("ml_orig", S), ("hs_code", S), ("goods_description", S),
            ("calibre", S), ("quantity", F), ("unit", S), ("value", F), ("currency", S),
            ("value_eur", F), ("value_usd", F), ("issued_date", S), ("valid_until", S),
            ("certificate_id", S), ("denial_criteria", S),
        ]
    )  # fmt: skip

    def build(self, r: dict[str, Any]) -> dict[str, Any]:
        issued = date(r, "issued_date", dated=True)
        year = _year(issued)
        value = _num(r, "value")
        cur = currency(r)
        value_eur = _num(r, "value_eur")
        value_usd = _num(r, "value_usd")
        if value_eur is None:
            value_eur = convert(value, cur, year, money.to_eur)
        if value_usd is None:
            value_usd = convert(value, cur, year, money.to_usd)
        return {
            "licence_id": _text(r, "licence_id"),
            "authority_country": country(r, "authority_country"),
            "licence_type": r.get("licence_type") or "export",
            "status": r.get("status") or "issued",
            "exporter": _text(r, "exporter"),
            "exporter_id": _text(r, "exporter_id"),
            "consignee": _text(r, "consignee"),
            "consignee_country": country(r, "consignee_country"),
            "end_user": _text(r, "end_user"),
            "end_user_country": country(r, "end_user_country"),
            "destination": country(r, "destination"),
            "destination_orig": _text(r, "destination"),
            "ml_category": ml(r),
            "ml_orig": _text(r, "ml_category"),
            "hs_code": hs(r),
            "goods_description": _text(r, "goods_description"),
            "calibre": _text(r, "calibre"),
            "quantity": _num(r, "quantity"),
            "unit": unit(r),
            "value": value,
            "currency": cur,
            "value_eur": value_eur,
            "value_usd": value_usd,
            "issued_date": issued,
            "valid_until": date(r, "valid_until"),
            "certificate_id": _text(r, "certificate_id"),
            "denial_criteria": _text(r, "denial_criteria"),
        }


class ShipmentReader(OwnFormatReader):
    """Customs records (transship shipment format; FtM EconomicActivity compatible)."""

    name: ClassVar[str] = "shipments"
    dataset: ClassVar[str] = "customs"
    description: ClassVar[str] = (
        "transship shipment format (CSV/JSON): customs declarations, "
        "FtM EconomicActivity compatible"
    )
    tables: ClassVar[tuple[str, ...]] = ("shipments",)
    natural_key: ClassVar[dict[str, tuple[str, ...]]] = {"shipments": ("shipment_id",)}
    schema_name: ClassVar[str] = "shipment"
    key: ClassVar[str] = "shipment_id"
    columns: ClassVar[pa.Schema] = _schema(
        [
            ("shipment_id", S), ("ccd_number", S), ("direction", S), ("date", S),
            ("year", pa.int32()), ("declarant", S), ("sender", S), ("sender_country", S),
            ("receiver", S), ("receiver_country", S), ("origin_country", S),
            ("departure_country", S), ("destination_country", S), ("trading_country", S),
            ("transit_countries", L), ("hs_code", S), ("hs_orig", S), ("ml_category", S),
            ("goods_description", S), ("calibre", S), ("quantity", F), ("unit", S),
            ("net_weight_kg", F), ("value", F), ("currency", S), ("value_usd", F),
            ("licence_id", S), ("certificate_id", S), ("transport", S),
        ]
    )  # fmt: skip

    def build(self, r: dict[str, Any]) -> dict[str, Any]:
        when = date(r, "date", dated=True)
        year = _year(when)
        given_year = r.get("year")
        if given_year is not None and year is not None and int(given_year) != year:
            raise FieldError("year", f"year {given_year} disagrees with date {when}")
        year = year if year is not None else (int(given_year) if given_year is not None else None)
        if year is not None and (problem := checks.year_problem(year, "own")) is not None:
            raise FieldError("year", problem)
        value = _num(r, "value")
        cur = currency(r)
        value_usd = _num(r, "value_usd")
        if value_usd is None:
            value_usd = convert(value, cur, year, money.to_usd)
        return {
            "shipment_id": _text(r, "shipment_id"),
            "ccd_number": _text(r, "ccd_number"),
            "direction": r.get("direction"),
            "date": when,
            "year": year,
            "declarant": _text(r, "declarant"),
            "sender": _text(r, "sender"),
            "sender_country": country(r, "sender_country"),
            "receiver": _text(r, "receiver"),
            "receiver_country": country(r, "receiver_country"),
            "origin_country": country(r, "origin_country"),
            "departure_country": country(r, "departure_country"),
            "destination_country": country(r, "destination_country"),
            "trading_country": country(r, "trading_country"),
            "transit_countries": country_list(r, "transit_countries"),
            "hs_code": hs(r),
            "hs_orig": _text(r, "hs_code"),
            "ml_category": ml(r),
            "goods_description": _text(r, "goods_description"),
            "calibre": _text(r, "calibre"),
            "quantity": _num(r, "quantity"),
            "unit": unit(r),
            "net_weight_kg": _num(r, "net_weight_kg"),
            "value": value,
            "currency": cur,
            "value_usd": value_usd,
            "licence_id": _text(r, "licence_id"),
            "certificate_id": _text(r, "certificate_id"),
            "transport": _text(r, "transport"),
        }


class CertificateReader(OwnFormatReader):
    """End-user certificates (transship certificate format; Wassenaar essential elements)."""

    name: ClassVar[str] = "certificates"
    dataset: ClassVar[str] = "certificates"
    description: ClassVar[str] = (
        "transship end-user certificate format (CSV/JSON): Wassenaar/EU essential elements"
    )
    tables: ClassVar[tuple[str, ...]] = ("certificates",)
    natural_key: ClassVar[dict[str, tuple[str, ...]]] = {"certificates": ("certificate_id",)}
    schema_name: ClassVar[str] = "certificate"
    key: ClassVar[str] = "certificate_id"
    columns: ClassVar[pa.Schema] = _schema(
        [
            ("certificate_id", S), ("exporter", S), ("exporter_country", S), ("consignee", S),
            ("consignee_country", S), ("end_user", S), ("end_user_country", S),
            ("final_destination", S), ("goods_description", S), ("hs_code", S),
            ("ml_category", S), ("calibre", S), ("quantity", F), ("unit", S), ("end_use", S),
            ("non_reexport_clause", B), ("issuing_authority", S), ("signatory", S),
            ("issue_date", S), ("valid_until", S), ("delivery_verification", S),
            ("licence_id", S),
        ]
    )  # fmt: skip

    def build(self, r: dict[str, Any]) -> dict[str, Any]:
        clause = r.get("non_reexport_clause")
        return {
            "certificate_id": _text(r, "certificate_id"),
            "exporter": _text(r, "exporter"),
            "exporter_country": country(r, "exporter_country"),
            "consignee": _text(r, "consignee"),
            "consignee_country": country(r, "consignee_country"),
            "end_user": _text(r, "end_user"),
            "end_user_country": country(r, "end_user_country"),
            "final_destination": country(r, "final_destination"),
            "goods_description": _text(r, "goods_description"),
            "hs_code": hs(r),
            "ml_category": ml(r),
            "calibre": _text(r, "calibre"),
            "quantity": _num(r, "quantity"),
            "unit": unit(r),
            "end_use": _text(r, "end_use"),
            "non_reexport_clause": clause if isinstance(clause, bool) else None,
            "issuing_authority": _text(r, "issuing_authority"),
            "signatory": _text(r, "signatory"),
            "issue_date": date(r, "issue_date", dated=True),
            "valid_until": date(r, "valid_until"),
            "delivery_verification": _text(r, "delivery_verification"),
            "licence_id": _text(r, "licence_id"),
        }


class ClaimReader(OwnFormatReader):
    """Claims read from reports and press (the press-claims layout), for grading against data."""

    name: ClassVar[str] = "claims"
    dataset: ClassVar[str] = "claims"
    description: ClassVar[str] = (
        "transship claims format (JSON lines/CSV): paraphrased claims with quantity, period, "
        "origin, intermediaries, destination, sources"
    )
    tables: ClassVar[tuple[str, ...]] = ("claims",)
    natural_key: ClassVar[dict[str, tuple[str, ...]]] = {"claims": ("claim_id",)}
    schema_name: ClassVar[str] = "claim"
    key: ClassVar[str] = "id"
    sniff_also: ClassVar[tuple[str, ...]] = ("claim",)
    columns: ClassVar[pa.Schema] = _schema(
        [
            ("claim_id", S), ("document_id", S), ("text", S), ("quantity", F), ("unit", S),
            ("period", S), ("origin", S), ("intermediaries", L), ("destination", S),
            ("attributed_to", S), ("urls", L), ("reliability", S), ("credibility", S),
            ("testable_with", S),
        ]
    )  # fmt: skip

    def build(self, r: dict[str, Any]) -> dict[str, Any]:
        cur = currency(r)
        credibility = r.get("credibility")
        urls = r.get("urls")
        return {
            "claim_id": _text(r, "id"),
            "document_id": _text(r, "document_id"),
            "text": _text(r, "claim"),
            "quantity": _num(r, "quantity"),
            "unit": cur if cur is not None else unit(r),
            "period": _text(r, "period"),
            "origin": country(r, "origin"),
            "intermediaries": country_list(r, "intermediaries"),
            "destination": country(r, "destination"),
            "attributed_to": _text(r, "original_source"),
            "urls": [str(u).strip() for u in urls] if urls is not None else None,
            "reliability": r.get("reliability"),
            "credibility": None if credibility is None else str(credibility),
            "testable_with": _text(r, "testable_with"),
        }
