"""UN Comtrade+ records as CSV/TSV (``comtrade-plus-csv``) and API JSON (``comtrade-plus-json``).

Field names are the API's (CONVENTIONS 4.3). The JSON is the API response ``{"elapsedTime":...,
"count": N, "data": [...], "error": ""}`` or a bare list, streamed record by record.

Double counting. A Comtrade+ answer may carry breakdowns beside their total: by second
partner (``partner2Code`` != 0), customs procedure (``customsCode`` != ``C00``), mode of
transport (``motCode`` != 0) and, in ``plus`` mode, sub-flows (DX, FM, MIP, MOP, XIP, XOP)
that are parts of X and M. Only the totals are kept; the breakdowns are dropped, not
rejected (they are valid rows, just not new trade), and their number is logged. A missing
breakdown column counts as "total". ``cmdCode`` ``TOTAL`` (all commodities) is rejected:
it is not an HS code and would double count every chapter row beside it.
"""

from __future__ import annotations

import codecs
import json
import logging
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from transship.exc import SourceFormatError
from transship.ingest import checks as plausible
from transship.ingest.base import (
    ReadContext,
    Reader,
    Reject,
    Rows,
    require_columns,
)
from transship.ingest.comtrade import (
    COMTRADE_KEY,
    PLUS_FLOWS,
    SUB_FLOWS,
    ComtradeCaches,
    ComtradeFields,
    column_of,
    comtrade_rows,
    not_blank,
    present_fields,
)
from transship.ingest.csvstream import HEAD_BYTES, csv_head, header_fields, stream_csv
from transship.ingest.tabular import TABLE, csv_raw, np_bool

log = logging.getLogger(__name__)

#: JSON records are Python dicts until they become columns: keep their batches smaller.
JSON_BATCH_ROWS = 50_000
#: A single JSON record larger than this is not a Comtrade record.
MAX_JSON_RECORD = 16 << 20

PLUS = ComtradeFields(
    reporter="reporterCode",
    partner="partnerCode",
    flow="flowCode",
    hs="cmdCode",
    value="primaryValue",
    year="refYear",
    period="period",
    classification="classificationCode",
    qty="qty",
    qty_unit="qtyUnitCode",
    qty_abbr="qtyUnitAbbr",
    net_weight="netWgt",
    flag="legacyEstimationFlag",
    cif="cifvalue",
    fob="fobvalue",
)
PLUS_REQUIRED = ["reporterCode", "partnerCode", "flowCode", "cmdCode", "primaryValue"]
PLUS_BREAKDOWNS = ["partner2Code", "customsCode", "motCode"]
PLUS_OPTIONAL = [
    "period",
    "refYear",
    "classificationCode",
    "cifvalue",
    "fobvalue",
    "qty",
    "qtyUnitCode",
    "qtyUnitAbbr",
    "netWgt",
    "legacyEstimationFlag",
    *PLUS_BREAKDOWNS,
]
_TOTALS = {"partner2Code": {"0"}, "customsCode": {"C00"}, "motCode": {"0"}}


def _plus_keep(batch: pa.RecordBatch | pa.Table) -> tuple[np.ndarray, int]:
    """Totals only: partner2Code 0, customsCode C00, motCode 0, no sub-flows; blank lines out.
    Returns the mask and how many breakdown rows were dropped."""
    keep = not_blank(batch)
    blank = int((~keep).sum())
    for name, totals in _TOTALS.items():
        col = column_of(batch, name)
        if col is None:
            continue
        text = pc.utf8_trim_whitespace(col)
        text = pc.if_else(
            pc.match_substring_regex(text, r"^\d+\.0$"), pc.utf8_slice_codeunits(text, 0, -2), text
        )
        total = pc.or_kleene(
            pc.or_kleene(pc.is_null(text), pc.equal(text, "")),
            pc.is_in(text, value_set=pa.array(sorted(totals))),
        )
        keep &= np_bool(pc.fill_null(total, True))
    flow = column_of(batch, "flowCode")
    if flow is not None:
        sub = pc.is_in(
            pc.utf8_upper(pc.utf8_trim_whitespace(flow)), value_set=pa.array(sorted(SUB_FLOWS))
        )
        keep &= ~np_bool(sub)
    return keep, int((~keep).sum()) - blank


def _plus_columns(header: Sequence[str], path: Path, line: int) -> list[str]:
    require_columns(path, list(header), PLUS_REQUIRED, line=line)
    if "period" not in header and "refYear" not in header:
        raise SourceFormatError(path, "missing columns: period (or refYear)", line=line)
    return [c for c in header if c in PLUS_REQUIRED + PLUS_OPTIONAL]


class ComtradePlusCsvReader(Reader):
    """Comtrade+ records as CSV (API ``format_output`` CSV or tab-separated bulk files)."""

    name: ClassVar[str] = "comtrade-plus-csv"
    dataset: ClassVar[str] = "comtrade"
    description: ClassVar[str] = (
        "UN Comtrade+ CSV/TSV with the API's field names "
        "(reporterCode, flowCode X/M, cmdCode, primaryValue)"
    )
    tables: ClassVar[tuple[str, ...]] = (TABLE,)
    natural_key: ClassVar[dict[str, tuple[str, ...]]] = {TABLE: COMTRADE_KEY}
    attribution: ClassVar[str | None] = "Source: UN Comtrade, United Nations Statistics Division"

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        stripped = head.lstrip()
        if stripped.startswith(("{", "[")):
            return 0
        fields = set(header_fields(head))
        if {"reporterCode", "partnerCode", "flowCode", "cmdCode"} <= fields:
            return 95 if "primaryValue" in fields else 60
        return 0

    def read(self, ctx: ReadContext) -> Iterator[Rows | Reject]:
        head = csv_head(ctx.path, ctx.head())
        ctx.simulated = ctx.simulated or head.simulated
        columns = _plus_columns(head.header, ctx.path, head.header_line)
        names = present_fields(PLUS, head.header)
        caches = ComtradeCaches()
        dropped = 0
        for part in stream_csv(ctx, head, columns):
            batch = part.batch
            if not batch.num_rows:
                yield from part.rejects
                continue
            keep, n_dropped = _plus_keep(batch)
            dropped += n_dropped
            raw = csv_raw(batch, head.delimiter)
            yield from comtrade_rows(
                batch, part.lines, names, PLUS_FLOWS, caches, raw, keep, None, part.rejects
            )
        _log_dropped(ctx.path, dropped)


def _log_dropped(path: Path, dropped: int) -> None:
    if dropped:
        log.info(
            "%s: %d breakdown rows (partner2/customs/transport mode/sub-flow) not stored: "
            "their totals are in the file",
            path,
            dropped,
        )


class ComtradePlusJsonReader(Reader):
    """Comtrade+ API JSON: ``{"elapsedTime":..., "count": N, "data": [...], "error": ""}``."""

    name: ClassVar[str] = "comtrade-plus-json"
    dataset: ClassVar[str] = "comtrade"
    description: ClassVar[str] = (
        'UN Comtrade+ API JSON ({"count": N, "data": [records]} or a bare list), streamed'
    )
    tables: ClassVar[tuple[str, ...]] = (TABLE,)
    natural_key: ClassVar[dict[str, tuple[str, ...]]] = {TABLE: COMTRADE_KEY}
    attribution: ClassVar[str | None] = "Source: UN Comtrade, United Nations Statistics Division"

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        stripped = head.lstrip()
        if not stripped.startswith(("{", "[")):
            return 0
        keys = ('"reporterCode"', '"partnerCode"', '"flowCode"', '"cmdCode"')
        if all(k in head for k in keys):
            return 95
        if '"data"' in head and '"elapsedTime"' in head:
            return 60  # an API answer; its records may start after the first 64 KiB
        return 0

    def read(self, ctx: ReadContext) -> Iterator[Rows | Reject]:
        caches = ComtradeCaches()
        stream = JsonRecords(ctx)
        batch_rows = min(ctx.batch_rows, JSON_BATCH_ROWS)
        header: list[str] | None = None
        names = PLUS  # every optional field is read (missing keys are empty)
        dropped = 0
        pending: list[tuple[int, int, dict[str, Any]]] = []

        def flush() -> Iterator[Rows | Reject]:
            nonlocal dropped
            assert header is not None
            table = _records_table(pending, header)
            if table is None:
                # A record holds arrays or objects (the fast conversion refused it): one
                # nested deeper than the bound is a reject, the others are read as text.
                yield from _deep_records(pending)
                if not pending:
                    return
                table = _records_text(pending, header)
            lines = np.array([p[0] for p in pending], dtype=np.int64)
            subs = np.array([p[1] for p in pending], dtype=np.int64)
            keep, n_dropped = _plus_keep(table)
            dropped += n_dropped
            records = [p[2] for p in pending]

            def raw(idx: np.ndarray) -> list[str]:
                return [
                    json.dumps({k: records[i].get(k) for k in header or [] if k in records[i]})
                    for i in idx.tolist()
                ]

            # ``sub``: the record's position among records starting on its line, so a
            # minified one-line answer still gets distinct record ids.
            extra = {"sub": pa.array(subs, pa.int64())}
            yield from comtrade_rows(table, lines, names, PLUS_FLOWS, caches, raw, keep, extra)
            pending.clear()

        for line, sub, record in stream:
            ctx.simulated = ctx.simulated or stream.simulated
            if record is TOO_DEEP:
                yield Reject(line, None, plausible.too_deep_reason(), None)
                continue
            if not isinstance(record, dict):
                try:
                    plausible.check_depth(record)
                except plausible.JsonTooDeep as exc:
                    yield Reject(line, None, str(exc), None)
                    continue
                yield Reject(line, None, "record is not a JSON object", json.dumps(record)[:2000])
                continue
            if header is None:
                # The first record must have the required fields; later records may omit
                # any optional one (it reads as empty).
                _plus_columns(list(record), ctx.path, line)
                header = PLUS_REQUIRED + PLUS_OPTIONAL
            pending.append((line, sub, record))
            if len(pending) >= batch_rows:
                yield from flush()
        if pending:
            yield from flush()
        ctx.simulated = ctx.simulated or stream.simulated
        if stream.count is not None and stream.count != stream.records:
            log.warning(
                "%s: API said count=%s but held %d records", ctx.path, stream.count, stream.records
            )
        _log_dropped(ctx.path, dropped)


def _records_table(
    pending: list[tuple[int, int, dict[str, Any]]], header: list[str]
) -> pa.Table | None:
    """Record dicts -> text columns (numbers keep their JSON spelling, see JsonRecords), in
    C++; None when a value is not a string or null (then see ``_records_text``)."""
    records = [rec for _, _, rec in pending]
    try:  # the usual case: strings (numbers arrive as their text) and nulls
        return pa.Table.from_pylist(records, schema=pa.schema([(f, pa.string()) for f in header]))
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return None


def _records_text(pending: list[tuple[int, int, dict[str, Any]]], header: list[str]) -> pa.Table:
    """Record dicts -> text columns, any value as its text (booleans, arrays, objects)."""
    records = [rec for _, _, rec in pending]
    cols = {f: pa.array([_text(rec.get(f)) for rec in records], pa.string()) for f in header}
    return pa.table(cols)


def _deep_records(pending: list[tuple[int, int, dict[str, Any]]]) -> Iterator[Reject]:
    """Rejects for the records nested deeper than ``TRANSSHIP_MAX_JSON_DEPTH``, removed from
    ``pending`` (their text would not even print: ``repr`` recurses too)."""
    limit = plausible.max_json_depth()
    deep = [i for i, (_, _, rec) in enumerate(pending) if plausible.json_depth(rec) > limit]
    for i in deep:
        yield Reject(pending[i][0], None, plausible.too_deep_reason(limit), None)
    for i in reversed(deep):
        del pending[i]


#: What ``JsonRecords`` yields for a record too deep for the decoder (stepped over).
TOO_DEEP = object()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return None if value.strip() == "" else value
    return str(value)


# ============================================================================================
# Streaming JSON (stdlib only)
# ============================================================================================
class JsonRecords:
    """Iterate ``(line, sub, record)`` over a Comtrade+ answer without loading it whole.

    Why not ``json.load``: an answer of 250k records is hundreds of MB as Python objects. Why
    not ijson: the stdlib's C decoder, fed one record at a time with ``raw_decode``, is as
    fast and adds no dependency. Memory is bounded by one read chunk plus one record
    (records over 16 MiB are refused). Numbers are decoded as their source text, so
    ``value_orig`` is exactly what the file says.

    ``simulated`` is true when the top-level object says ``"simulated": true``: before the
    records (seen as read) or after them (found by a look at the file's tail before reading,
    so no row is ever stored unlabelled).
    """

    CHUNK = 1 << 20

    def __init__(self, ctx: ReadContext) -> None:
        self.ctx = ctx
        self.simulated = _tail_says_simulated(ctx)
        self.count: int | None = None
        self.records = 0
        self._decoder = json.JSONDecoder(parse_float=str, parse_int=str)
        self._stream = ctx.open()
        self._text = codecs.getincrementaldecoder("utf-8-sig")()
        self._buf = ""
        self._pos = 0
        self._line = 1  # physical line at self._pos
        self._eof = False
        self._last_line = 0
        self._sub = 0

    # -- buffer --------------------------------------------------------------------------------
    def _more(self) -> bool:
        if self._eof:
            return False
        chunk = self._stream.read(self.CHUNK)
        if not chunk:
            self._eof = True
            self._buf += self._text.decode(b"", final=True)
            return False
        self._buf = self._buf[self._pos :] + self._text.decode(chunk)
        self._pos = 0
        return True

    def _advance(self, end: int) -> None:
        self._line += self._buf.count("\n", self._pos, end)
        self._pos = end

    def _skip_ws(self) -> str:
        """Next non-blank character (not consumed); '' at end of file."""
        while True:
            if self._pos < len(self._buf):
                c = self._buf[self._pos]
                if c not in " \t\r\n":  # the usual case: no blank at all
                    return c
                m = _WS.match(self._buf, self._pos)
                assert m is not None
                self._advance(m.end())
                if self._pos < len(self._buf):
                    return self._buf[self._pos]
            if not self._more():
                return ""

    def _expect(self, chars: str) -> str:
        c = self._skip_ws()
        if not c or c not in chars:
            self._fail(
                f"expected {' or '.join(repr(x) for x in chars)}, found {c or 'end of file'!r}"
            )
        self._advance(self._pos + 1)
        return c

    def _value(self) -> Any:
        self._skip_ws()
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buf, self._pos)
            except RecursionError:
                return self._step_over()
            except json.JSONDecodeError as exc:
                if len(self._buf) - self._pos > MAX_JSON_RECORD:
                    self._fail(f"bad JSON ({exc.msg}) or a record over {MAX_JSON_RECORD >> 20} MiB")
                if self._more():
                    continue
                self._fail(f"bad JSON: {exc.msg}")
            else:
                # A number at the very end of the buffer may continue in the next chunk.
                if end >= len(self._buf) and not self._eof and self._more():
                    continue
                self._advance(end)
                return value

    def _step_over(self) -> object:
        """Skip a value the decoder refused for its depth (matching brackets, outside
        strings; reading on as needed) and return ``TOO_DEEP``: one record, one reject."""
        while True:
            end = plausible.json_value_end(self._buf, self._pos)
            if end is not None:
                self._advance(end)
                return TOO_DEEP
            if len(self._buf) - self._pos > MAX_JSON_RECORD or not self._more():
                self._fail(plausible.too_deep_reason())

    def _fail(self, reason: str) -> None:
        raise SourceFormatError(self.ctx.path, reason, line=self._line)

    # -- structure -----------------------------------------------------------------------------
    def __iter__(self) -> Iterator[tuple[int, int, Any]]:
        c = self._expect("{[")
        if c == "[":
            yield from self._array()
        else:
            yield from self._object()
        if self._skip_ws():
            self._fail("unexpected text after the JSON value")

    def _object(self) -> Iterator[tuple[int, int, Any]]:
        if self._skip_ws() == "}":
            self._advance(self._pos + 1)
            return
        while True:
            key = self._value()
            if not isinstance(key, str):
                self._fail("expected a key")
            self._expect(":")
            if key == "data" and self._skip_ws() == "[":
                self._advance(self._pos + 1)
                yield from self._array()
            else:
                value = self._value()
                self._top_level(key, value)
            if self._expect(",}") == "}":
                return

    def _top_level(self, key: str, value: Any) -> None:
        if key.lower() == "simulated" and value is True:
            self.simulated = True
        elif key == "count" and isinstance(value, str) and _COUNT.fullmatch(value):
            self.count = int(value)
        elif key == "error" and isinstance(value, str) and value.strip():
            self._fail(f"Comtrade API error: {value.strip()[:200]}")

    def _array(self) -> Iterator[tuple[int, int, Any]]:
        if self._skip_ws() == "]":
            self._advance(self._pos + 1)
            return
        while True:
            self._skip_ws()
            line = self._line
            if line == self._last_line:
                self._sub += 1
            else:
                self._last_line, self._sub = line, 0
            record = self._value()
            self.records += 1
            if isinstance(record, dict) and record.get("simulated") is True:
                self.simulated = True
            yield line, self._sub, record
            if self._expect(",]") == "]":
                return


_WS = re.compile(r"[ \t\r\n]*")
_COUNT = re.compile(r"[0-9]{1,18}")  # ASCII digits int() reads (isdigit() accepts '²')
_TAIL_SIMULATED = re.compile(r'"simulated"\s*:\s*true')


def _tail_says_simulated(ctx: ReadContext) -> bool:
    """``"simulated": true`` after the last ``]`` (top level, after the records). The tail
    of what the reader reads (``ReadContext.tail``: of a ``.gz`` too, after one pass)."""
    try:
        tail = ctx.tail(HEAD_BYTES)
    except (OSError, SourceFormatError):
        return False
    end = tail.rfind("]")
    return bool(end >= 0 and _TAIL_SIMULATED.search(tail, end))
