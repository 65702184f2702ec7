"""The reading the own formats share: syntax (CSV, JSON list or wrapper, JSON lines) decided
by the file's content, CSV cells typed from the schema, each record validated and normalised
into a row or a ``Reject``. The formats themselves are in ``ingest.own``. Moved out of
``ingest.own`` unchanged.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, cast

import pyarrow as pa

from transship.exc import SourceFormatError, TransshipError
from transship.ingest import checks
from transship.ingest.base import SIMULATED_MARKER, ReadContext, Reader, Reject, Rows
from transship.ingest.own_schema import PROVENANCE_KEYS, field_kinds, schema_rejects
from transship.ingest.own_values import FieldError, parse_amount
from transship.ingest.textio import batched

log = logging.getLogger(__name__)

#: Keys of a JSON object that wraps the records.
WRAPPER_KEYS = ("records", "data")
_KEY_RE = re.compile(r'"([A-Za-z_][A-Za-z0-9_]*)"\s*:')
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


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
                out[key] = parse_amount(text)
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
