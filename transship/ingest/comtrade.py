"""UN Comtrade readers: legacy bulk CSV, Comtrade+ CSV and Comtrade+ API JSON.

All three write ``trade_flows``: one row per reporter x partner x flow x period x commodity,
with the reporter's own code, flow, commodity and value text kept beside the normalised
columns (``*_orig``).

* ``comtrade-legacy`` reads the legacy bulk/API CSV (``Classification,Year,Period,...,Trade
  Value (US$),Flag``). Flow codes 1/2/3/4 become M/X/RX/RM. Imports are CIF and exports FOB,
  so ``value_basis`` follows the flow. Partner 0 (World) is kept, flagged
  ``partner_is_world``: it is an aggregate, never a bilateral flow. Comtrade writes 0 for
  "no quantity", so a 0 or empty ``Qty``/``Netweight (kg)`` is stored as NULL.
* ``comtrade-plus-csv`` / ``comtrade-plus-json`` read Comtrade+ records with the API's field
  names (CONVENTIONS 4.3). The JSON is the API response ``{"elapsedTime":..., "count": N,
  "data": [...], "error": ""}`` or a bare list, streamed record by record.

Double counting. A Comtrade+ answer may carry breakdowns beside their total: by second
partner (``partner2Code`` != 0), customs procedure (``customsCode`` != ``C00``), mode of
transport (``motCode`` != 0) and, in ``plus`` mode, sub-flows (DX, FM, MIP, MOP, XIP, XOP)
that are parts of X and M. Only the totals are kept; the breakdowns are dropped, not
rejected (they are valid rows, just not new trade), and their number is logged. A missing
breakdown column counts as "total". ``cmdCode`` ``TOTAL`` (all commodities) is rejected:
it is not an HS code and would double count every chapter row beside it.

Speed. Files of millions of rows are common (a year of HS6 for all reporters), so nothing
here loops over rows in Python: the CSV is streamed with ``pyarrow.csv.open_csv`` in blocks
of about ``ctx.batch_rows`` rows, every column read as text, codes are resolved once per
distinct value and spread back with ``take``, and checks are Arrow masks, so a ``Reject``
is built only for a bad row. The helpers that do this are shared with ``ingest.baci``.

Line numbers are the cumulative record count of the Arrow reader plus the lines before the
first record. That equals the physical line number because these formats never put a
newline inside a quoted value (Comtrade's commodity texts are quoted for their commas only).
Rows Arrow skips for a wrong number of fields are reported with their own record number
(known because the reader runs single-threaded) and later lines are shifted past them.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import functools
import io
import json
import logging
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from transship.exc import InvalidInput, SourceFormatError, UnknownCode
from transship.ingest import checks as plausible
from transship.ingest.base import (
    SIMULATED_MARKER,
    ReadContext,
    Reader,
    Reject,
    Rows,
    require_columns,
)
from transship.normalise import commodities, quantities, territories

log = logging.getLogger(__name__)

TABLE = "trade_flows"
#: The natural key of a Comtrade figure (normalised codes, so a legacy and a Comtrade+ file of
#: the same dataset revise each other). Only totals are stored (breakdowns by customs
#: procedure, transport mode and second partner are dropped), so those keys are always the
#: total and add nothing here.
COMTRADE_KEY = ("classification", "period", "reporter", "partner", "flow", "hs_code")
HEAD_BYTES = 65_536
#: Arrow's CSV reader reads up to 32 blocks ahead on its I/O thread, whatever the consumer
#: does: with blocks of ~9 MB (a 262k-row batch of BACI) that held ~280 MB of raw text, so the
#: peak grew with the file up to that size. Blocks of 1 MiB bound it to ~32 MiB; the blocks
#: are then gathered into batches of ``batch_rows`` (docs/performance.md).
PARSE_BLOCK = 1 << 20
#: JSON records are Python dicts until they become columns: keep their batches smaller.
JSON_BATCH_ROWS = 50_000
#: A single JSON record larger than this is not a Comtrade record.
MAX_JSON_RECORD = 16 << 20
#: Texts that mean "no value" in these files (BACI's padded ``NA`` is handled on its own).
NULL_TEXTS = ["", "NA", "N/A", "NULL", "null"]

#: Column types of what the trade readers yield (the ``trade_flows`` columns they fill).
TRADE_SCHEMA = pa.schema(
    [
        ("line", pa.int64()),
        ("reporter", pa.string()),
        ("reporter_iso3", pa.string()),
        ("reporter_m49", pa.string()),
        ("reporter_orig", pa.string()),
        ("partner", pa.string()),
        ("partner_iso3", pa.string()),
        ("partner_m49", pa.string()),
        ("partner_orig", pa.string()),
        ("partner_is_world", pa.bool_()),
        ("partner_is_area", pa.bool_()),
        ("flow", pa.string()),
        ("flow_orig", pa.string()),
        ("year", pa.int32()),
        ("period", pa.string()),
        ("classification", pa.string()),
        ("hs_code", pa.string()),
        ("hs_orig", pa.string()),
        ("value_usd", pa.float64()),
        ("value_orig", pa.string()),
        ("value_basis", pa.string()),
        ("qty", pa.float64()),
        ("qty_unit", pa.string()),
        ("net_weight_kg", pa.float64()),
        ("flag", pa.string()),
        ("sub", pa.int64()),  # several rows from one line (JSON); the pipeline drops it
    ]
)

_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_PERIOD = re.compile(r"^(\d{4})(?:-?(\d{2}))?$")
MIN_YEAR, MAX_YEAR = 1900, 2100


# ============================================================================================
# Shared tabular machinery (used by ingest.baci too)
# ============================================================================================
@dataclass(slots=True)
class CsvHead:
    """What the first 64 KiB say: simulated marker, delimiter, header and row width."""

    simulated: bool
    delimiter: str
    header: list[str]
    header_line: int  # 1-based physical line of the header
    bytes_per_row: float


def read_head(path: Path) -> str:
    """First 64 KiB as text (BOM removed, bad bytes replaced)."""
    try:
        with open(path, "rb") as f:
            raw = f.read(HEAD_BYTES)
    except OSError as exc:
        raise SourceFormatError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[3:]
    return raw.decode("utf-8", errors="replace")


def is_simulated_line(line: str) -> bool:
    return line.lstrip().startswith("#") and SIMULATED_MARKER in line.upper()


def header_fields(head: str) -> list[str]:
    """Field names of the first line that is not the ``# SIMULATED`` marker (for sniffing)."""
    lines = head.splitlines()
    if lines and is_simulated_line(lines[0]):
        lines = lines[1:]
    if not lines:
        return []
    first = lines[0]
    delimiter = _delimiter(first)
    return [f.strip().lstrip("\ufeff") for f in next(csv.reader([first], delimiter=delimiter))]


def _delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def csv_head(path: Path, head: str | None = None) -> CsvHead:
    """Parse the start of a CSV: marker line, header (1-based line) and average row width.

    ``head``: the first 64 KiB as the reader sees them (``ReadContext.head()``: unpacked and
    transcoded); read from ``path`` when not given."""
    head = read_head(path) if head is None else head
    lines = head.splitlines(keepends=True)
    simulated = bool(lines) and is_simulated_line(lines[0])
    skip = 1 if simulated else 0
    if len(lines) <= skip or not lines[skip].strip():
        raise SourceFormatError(path, "no header line", line=skip + 1)
    header_text = lines[skip].rstrip("\r\n")
    delimiter = _delimiter(header_text)
    header = [f.strip() for f in next(csv.reader([header_text], delimiter=delimiter))]
    sample = lines[skip + 1 : -1] or lines[skip:]
    width = sum(len(s.encode("utf-8")) for s in sample) / max(len(sample), 1)
    return CsvHead(simulated, delimiter, header, skip + 1, max(width, 8.0))


@dataclass(slots=True)
class _Skipped:
    """Rows Arrow skipped (wrong field count), by physical line, until their batch is done.

    Arrow numbers rows from the start of the stream it reads; ``offset`` is the physical
    line before that start (0 for the whole file, more for a stream resumed after a line too
    long for Arrow's blocks)."""

    pending: list[int] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    offset: int = 0
    #: ``ReadContext.stop_reading``, asked every few thousand rejects; its reason, once given.
    stop: Callable[[list[Reject]], str | None] | None = None
    stopped: str | None = None

    def handler(self, row: Any) -> str:
        number = row.number + self.offset if row.number is not None and row.number > 0 else None
        if number is not None:
            self.pending.append(number)
        text = row.text or ""
        if text.strip():
            reason = f"expected {row.expected_columns} fields, found {row.actual_columns}"
            self.rejects.append(Reject(number, None, reason, text))
            if self.stop is not None and len(self.rejects) % 8192 == 0:
                self.stopped = self.stop(self.rejects)
                if self.stopped is not None:
                    return "error"  # Arrow stops; _parse_blocks raises the reason
        return "skip"


@dataclass(slots=True)
class CsvBatch:
    """One block of text columns, each row's physical line, and the rows Arrow skipped."""

    lines: np.ndarray
    batch: pa.RecordBatch
    rejects: list[Reject]


def stream_csv(
    ctx: ReadContext,
    head: CsvHead,
    columns: Sequence[str],
    batch_rows: int | None = None,
) -> Iterator[CsvBatch]:
    """Stream ``columns`` (all as text, empty/NA as null) in batches of about ``batch_rows``,
    each with the physical line number of every row; wrong-width rows come as rejects."""
    rows = batch_rows or ctx.batch_rows
    dupes = sorted({c for c in columns if head.header.count(c) > 1})
    if dupes:  # which of the two would be the value? Neither: the file is refused
        raise SourceFormatError(
            ctx.path, f"duplicate columns: {', '.join(dupes)}", line=head.header_line
        )
    parts: list[CsvBatch] = []
    size = 0
    for part in _parse_blocks(ctx, head, columns):
        parts.append(part)
        size += part.batch.num_rows
        if size >= rows:
            yield _gather(parts)
            parts, size = [], 0
    if parts:
        yield _gather(parts)


def _gather(parts: list[CsvBatch]) -> CsvBatch:
    """Blocks of one stream as one batch (their lines and rejects in order)."""
    if len(parts) == 1:
        return parts[0]
    batches = [p.batch for p in parts if p.batch.num_rows]
    if batches:
        batch = pa.Table.from_batches(batches).combine_chunks().to_batches()[0]
    else:
        batch = parts[0].batch
    lines = np.concatenate([p.lines for p in parts])
    rejects = [r for p in parts for r in p.rejects]
    return CsvBatch(lines, batch, rejects)


def _unraisable(args: Any) -> None:
    """Arrow decodes a row of the wrong width as UTF-8 before handing it to the reader's
    ``invalid_row_handler``; for bytes that are not UTF-8 that fails inside Arrow, which
    prints the ``UnicodeDecodeError`` as "Exception ignored" (a traceback on the user's
    terminal) and then fails the block. The block is read again line by line, where that
    line becomes a reject: so this one message is dropped; every other goes on as before."""
    if args.exc_type is UnicodeDecodeError and isinstance(
        getattr(args.object, "__self__", None), _Skipped
    ):
        return
    _previous_unraisable(args)


_previous_unraisable = sys.unraisablehook
sys.unraisablehook = _unraisable


def _csv_options(
    head: CsvHead, columns: Sequence[str], skipped: _Skipped, resumed: bool, block: int
) -> dict[str, Any]:
    """``open_csv``/``read_csv`` options: every column as text, empty/NA as null.

    Arrow never reads the header itself: it gets the names ``csv_head`` read (trimmed, the
    names the readers select by) and skips the header line, or starts after it on a resumed
    stream. Reading it again could disagree (a name with a stray tab) and fail the file."""
    read = pacsv.ReadOptions(
        column_names=list(head.header),
        skip_rows=0 if resumed else head.header_line,
        block_size=block,
        use_threads=False,
    )
    return {
        "read_options": read,
        "parse_options": pacsv.ParseOptions(
            delimiter=head.delimiter, ignore_empty_lines=False, invalid_row_handler=skipped.handler
        ),
        "convert_options": pacsv.ConvertOptions(
            include_columns=list(columns),
            column_types={c: pa.string() for c in columns},
            null_values=NULL_TEXTS,
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    }


def _parse_blocks(ctx: ReadContext, head: CsvHead, columns: Sequence[str]) -> Iterator[CsvBatch]:
    """Arrow's streaming reader over the file, in blocks of ``PARSE_BLOCK``.

    Arrow fails the whole stream for one bad line: a line longer than a block ("straddling
    object straddles two block boundaries"), bytes that are not UTF-8. Then, and only then,
    the lines from the first one not yet delivered are read one by one (:func:`_long_lines`):
    a line over ``TRANSSHIP_MAX_FIELD_BYTES`` or not UTF-8 is one reject, the others are
    parsed, and Arrow's reader resumes on the rest of the stream. The fast path is
    untouched; one bad line is one reject.
    """
    skipped = _Skipped(stop=ctx.stop_reading)
    next_line = head.header_line + 1
    stream: BinaryIO = ctx.open()
    resumed = False
    schema: pa.Schema | None = None
    while True:
        skipped.offset = next_line - 1 if resumed else 0
        try:
            reader = pacsv.open_csv(
                stream, **_csv_options(head, columns, skipped, resumed, PARSE_BLOCK)
            )
        except pa.ArrowInvalid:
            reader = None  # the first block already failed: read it line by line
        if reader is not None:
            schema = reader.schema
            try:
                while True:
                    try:
                        batch = reader.read_next_batch()
                    except StopIteration:
                        break
                    lines = np.arange(next_line, next_line + batch.num_rows, dtype=np.int64)
                    _shift_past_skipped(lines, skipped)
                    if lines.size:
                        next_line = int(lines[-1]) + 1
                    rejects = sorted(skipped.rejects, key=lambda r: r.line or 0)
                    skipped.rejects.clear()
                    yield CsvBatch(lines, batch, rejects)
                break
            except pa.ArrowInvalid:
                pass  # a line Arrow cannot read at or after ``next_line``
        if skipped.stopped is not None:  # mostly rejects: the pipeline said stop
            raise SourceFormatError(ctx.path, skipped.stopped)
        # Read on line by line from ``next_line``. What Arrow noted about the failed block
        # (rows of the wrong width) is dropped: those lines are read again.
        skipped.pending.clear()
        skipped.rejects.clear()
        part, next_line, rest = _long_lines(ctx, head, columns, skipped, next_line)
        if part is not None:
            schema = schema or part.batch.schema
            yield part
        if rest is None:
            break
        stream, resumed = rest, True
    if skipped.rejects:
        empty = pa.RecordBatch.from_pylist(
            [], schema=schema or pa.schema([(c, pa.string()) for c in columns])
        )
        yield CsvBatch(np.zeros(0, dtype=np.int64), empty, list(skipped.rejects))


def _shift_past_skipped(lines: np.ndarray, skipped: _Skipped) -> None:
    """Move ``lines`` (a batch's consecutive line numbers) past the lines Arrow skipped."""
    if not skipped.pending:
        return
    skipped.pending.sort()
    while skipped.pending and lines.size and skipped.pending[0] <= lines[-1]:
        gap = skipped.pending.pop(0)
        if gap >= lines[0]:
            lines[np.searchsorted(lines, gap) :] += 1


def line_limit() -> int:
    """The longest line the Arrow readers accept: ``TRANSSHIP_MAX_FIELD_BYTES``, and never
    less than two parse blocks. Arrow itself reads a line of up to two blocks when it starts
    late in one, so a smaller limit would accept or refuse a line by where it happens to
    fall; a line longer than two blocks always takes the line-by-line path."""
    return max(plausible.max_field(), 2 * PARSE_BLOCK)


def _long_lines(
    ctx: ReadContext, head: CsvHead, columns: Sequence[str], skipped: _Skipped, first: int
) -> tuple[CsvBatch | None, int, BinaryIO | None]:
    """From physical line ``first`` on, read lines one by one until the line longer than an
    Arrow block is behind: lines over ``TRANSSHIP_MAX_FIELD_BYTES`` become rejects, the
    others one parsed batch. Returns that batch, the next line's number and the rest of the
    stream to resume Arrow on (None at the end of the file).

    The stream is opened again (``ctx.open``: unpacked, transcoded) because Arrow has read
    ahead an unknown amount of the old one; it is then read forward only."""
    limit = line_limit()
    stream = io.BufferedReader(cast(io.RawIOBase, ctx.open()), buffer_size=1 << 16)
    for _ in range(first - 1):
        if not _skip_line(stream):
            return None, first, None
    kept: list[bytes] = []
    kept_lines: list[int] = []
    rejects: list[Reject] = []
    line = first
    budget = 2 * PARSE_BLOCK + limit
    found_long = False
    eof = False
    while not found_long and budget > 0:
        text = stream.readline(limit + 1)
        if not text:
            eof = True
            break
        if len(text) > limit and not text.endswith(b"\n"):
            raw = text[:2000].decode("utf-8", errors="replace")
            _skip_line(stream)
            rejects.append(Reject(line, None, plausible.line_too_long_reason(limit), raw))
            found_long = True
        elif not _is_utf8(text):
            raw = text[:2000].decode("utf-8", errors="replace").rstrip("\r\n")
            rejects.append(Reject(line, None, "not UTF-8 text", raw))
            budget -= len(text)
        else:
            kept.append(text if text.endswith(b"\n") else text + b"\n")
            kept_lines.append(line)
            found_long = len(text) > PARSE_BLOCK // 2
            budget -= len(text)
        line += 1
    part = _parse_kept(ctx, head, columns, skipped, kept, kept_lines, rejects)
    if eof or not stream.peek(1):
        return part, line, None
    return part, line, cast(BinaryIO, stream)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _skip_line(stream: io.BufferedReader[io.RawIOBase]) -> bool:
    """Consume one line (of any length, in pieces); False at the end of the stream."""
    while True:
        piece = stream.readline(1 << 20)
        if not piece:
            return False
        if piece.endswith(b"\n"):
            return True


def _parse_kept(
    ctx: ReadContext,
    head: CsvHead,
    columns: Sequence[str],
    skipped: _Skipped,
    kept: list[bytes],
    kept_lines: list[int],
    rejects: list[Reject],
) -> CsvBatch | None:
    """The lines read one by one as one Arrow batch, with their physical lines; rows of the
    wrong width are rejects as on the fast path (Arrow numbers them within ``kept``)."""
    batch: pa.RecordBatch | None = None
    lines = np.zeros(0, dtype=np.int64)
    if kept:
        local = _Skipped()
        block = max(PARSE_BLOCK, 2 * max(len(k) for k in kept))
        try:
            table = pacsv.read_csv(
                io.BytesIO(b"".join(kept)), **_csv_options(head, columns, local, True, block)
            )
        except pa.ArrowInvalid as exc:
            raise SourceFormatError(ctx.path, _arrow_reason(exc), line=kept_lines[0]) from exc
        gone = {n for n in local.pending if 0 < n <= len(kept_lines)}
        lines = np.array(
            [ln for i, ln in enumerate(kept_lines, 1) if i not in gone], dtype=np.int64
        )
        for r in local.rejects:
            r.line = kept_lines[r.line - 1] if r.line and 0 < r.line <= len(kept_lines) else None
        rejects = [*rejects, *local.rejects]
        if table.num_rows:
            batch = table.combine_chunks().to_batches()[0]
    rejects = sorted([*rejects, *skipped.rejects], key=lambda r: r.line or 0)
    skipped.rejects.clear()
    if batch is None:
        if not rejects:
            return None
        batch = pa.RecordBatch.from_pylist(
            [], schema=pa.schema([(c, pa.string()) for c in columns])
        )
    return CsvBatch(lines, batch, rejects)


def _arrow_reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"cannot parse CSV: {text[:200]}"


class Checks:
    """Bad rows of one batch: the first problem of each row, in check order."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.bad = np.zeros(n, dtype=bool)
        self.found: list[tuple[int, str, str]] = []  # (row index, column, reason)

    def add(
        self,
        mask: pa.Array | np.ndarray | None,
        column: str,
        reason: Callable[[Any], str] | str,
        values: pa.Array | None = None,
    ) -> None:
        """Mark rows where ``mask`` is true; ``reason`` may format the row's value."""
        if mask is None:
            return
        arr = mask if isinstance(mask, np.ndarray) else _np_bool(mask)
        new = arr & ~self.bad
        if not new.any():
            return
        idx = np.flatnonzero(new)
        self.bad |= new
        texts: list[Any] = (
            values.take(pa.array(idx)).to_pylist() if values is not None else [None] * idx.size
        )
        for i, value in zip(idx.tolist(), texts, strict=True):
            self.found.append((i, column, reason(value) if callable(reason) else reason))

    def rejects(self, lines: np.ndarray, raw: Callable[[np.ndarray], list[str]]) -> list[Reject]:
        if not self.found:
            return []
        self.found.sort()
        idx = np.array([f[0] for f in self.found], dtype=np.int64)
        texts = raw(idx)
        return [
            Reject(int(lines[i]), column, reason, text)
            for (i, column, reason), text in zip(self.found, texts, strict=True)
        ]


def _np_bool(mask: pa.Array | pa.ChunkedArray) -> np.ndarray:
    if isinstance(mask, pa.ChunkedArray):
        mask = mask.combine_chunks()
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def csv_raw(batch: pa.RecordBatch, delimiter: str = ",") -> Callable[[np.ndarray], list[str]]:
    """The fields read from each bad row, joined as in the file (for ``Reject.raw``)."""

    def raw(idx: np.ndarray) -> list[str]:
        picked = batch.take(pa.array(idx))
        cols = [c.to_pylist() for c in picked.columns]
        return [
            delimiter.join("" if v is None else v for v in row) for row in zip(*cols, strict=True)
        ]

    return raw


def missing_mask(col: pa.Array) -> np.ndarray:
    """True where a required field is null or blank."""
    blank = pc.or_kleene(pc.is_null(col), pc.equal(pc.utf8_trim_whitespace(col), ""))
    return _np_bool(pc.fill_null(blank, True))


#: Per-file memo of a lookup: source text -> (answer, refused).
Cache = dict[str | None, tuple[Any, bool]]


def _remember(fn: Callable[[str], Any], value: str | None, cache: Cache) -> tuple[Any, bool]:
    if value is None or not value.strip():
        result: tuple[Any, bool] = (None, False)
    else:
        try:
            result = (fn(value), False)
        except (InvalidInput, UnknownCode, ValueError):
            result = (None, True)
    cache[value] = result
    return result


class Coded:
    """A text column of codes as its distinct values and their positions.

    Codes repeat (240 countries, 5,000 HS6 codes in millions of rows), so every lookup runs
    once per distinct value and the answers are spread back with one ``take`` each.
    """

    __slots__ = ("col", "indices", "positions", "values")

    def __init__(self, col: pa.Array) -> None:
        encoded = pc.dictionary_encode(col)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        self.col = col
        self.values: list[str | None] = encoded.dictionary.to_pylist()
        self.indices = encoded.indices  # null where the cell is null
        # numpy positions; nulls point one past the end (a slot each mask fills itself)
        self.positions = np.asarray(
            pc.fill_null(self.indices, len(self.values)).to_numpy(zero_copy_only=False)
        )

    def spread(self, items: Sequence[Any], kind: pa.DataType) -> pa.Array:
        return pa.array(items, kind).take(self.indices)

    def flags(self, items: Sequence[bool], for_null: bool) -> np.ndarray:
        table: np.ndarray = np.append(np.asarray(items, dtype=bool), for_null)
        out: np.ndarray = table[self.positions]
        return out

    def missing(self) -> np.ndarray:
        """Null or blank cells."""
        return self.flags([v is None or not v.strip() for v in self.values], True)

    def map(
        self,
        fn: Callable[[str], Any],
        cache: dict[str | None, Any],
        kind: pa.DataType = pa.string(),
    ) -> tuple[pa.Array, np.ndarray]:
        """``fn`` once per distinct value (remembered in ``cache`` across batches): the mapped
        column, and a mask of the values ``fn`` refused (InvalidInput, UnknownCode,
        ValueError). Null and blank cells map to null and are not "refused"."""
        get = cache.get
        pairs = [get(v) or _remember(fn, v, cache) for v in self.values]
        return (
            self.spread([p[0] for p in pairs], kind),
            self.flags([p[1] for p in pairs], False),
        )

    def territories(
        self, resolve: Callable[[str], territories.Territory], prefix: str
    ) -> tuple[dict[str, pa.Array], np.ndarray]:
        """``<prefix>``, ``<prefix>_iso3``, ``<prefix>_m49`` (and for partners the world and
        area flags) through the shared territory table, and the mask of unknown codes."""
        arrays = territories.territory_arrays(pa.array(self.values, pa.string()), resolve)
        out = {
            prefix: arrays["code"].take(self.indices),
            f"{prefix}_iso3": arrays["iso3"].take(self.indices),
            f"{prefix}_m49": arrays["m49"].take(self.indices),
        }
        if prefix == "partner":
            for key in ("is_world", "is_area"):
                out[f"partner_{key}"] = pc.fill_null(arrays[key].take(self.indices), False)
        unknown = arrays["unknown"].to_pylist()
        return out, self.flags(unknown, False)


def parse_numbers(col: pa.Array) -> tuple[pa.Array, np.ndarray | None]:
    """Text -> float64 (null where missing) and a mask of values that are not numbers.

    Fast path: one Arrow cast for a clean column; then one for a column whose only blemish
    is BACI's padded ``NA``. Otherwise trim, treat NA/empty as missing and cast only what
    matches a number, so one bad cell rejects one row, not the file.
    """
    values = _cast_float(col)
    if values is None and pc.any(pc.match_substring(col, "NA")).as_py():
        values = _cast_float(
            pc.if_else(pc.match_substring(col, "NA"), pa.scalar(None, pa.string()), col)
        )
    if values is not None:
        return values, None
    text = pc.utf8_trim_whitespace(col)
    upper = pc.utf8_upper(text)
    # ``nan`` is not one of the "no value" texts: no source writes it for a missing
    # figure, so it is refused like any other text that is not a number.
    missing = pc.or_kleene(pc.is_null(text), pc.is_in(upper, value_set=pa.array(NULL_TEXTS)))
    missing = pc.fill_null(missing, True)
    ok = pc.and_(pc.invert(missing), pc.fill_null(pc.match_substring_regex(text, _NUMBER), False))
    bad = pc.and_(pc.invert(missing), pc.invert(ok))
    values = pc.cast(pc.if_else(ok, text, pa.scalar(None, pa.string())), pa.float64())
    return values, _np_bool(bad)


def _cast_float(col: pa.Array) -> pa.Array | None:
    """The column as float64 if every value is a finite number (or null), else None."""
    try:
        values = pc.cast(col, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    finite = pc.is_finite(values)
    if finite.null_count != len(values) and not pc.all(finite).as_py():
        return None
    return values


def zero_to_null(values: pa.Array) -> pa.Array:
    """Comtrade writes 0 for "not reported" quantities and weights."""
    return pc.if_else(pc.equal(values, 0.0), pa.scalar(None, pa.float64()), values)


def check_amounts(
    checks: Checks,
    values: pa.Array,
    texts: pa.Array,
    column: str,
    what: str,
    scale: float = 1.0,
) -> None:
    """Refuse parsed numbers no source can mean: infinite (``1e400``), negative, or beyond
    ``checks.MAX_AMOUNT`` (``scale``: the column's unit in USD or kg, 1000 for BACI)."""
    for mask, kind in plausible.amount_masks(values, scale):
        checks.add(mask, column, functools.partial(_amount_reason, kind, what), texts)


def _amount_reason(kind: str, what: str, text: Any) -> str:
    return plausible.amount_reason(kind, what, repr(text))


def check_years(checks: Checks, years: pa.Array, texts: pa.Array, column: str, source: str) -> None:
    """Refuse years outside the source's coverage (``checks.FIRST_YEAR`` to next year)."""
    mask = plausible.year_mask(years, source)
    if mask is not None:
        checks.add(
            mask,
            column,
            lambda v: plausible.year_problem(int(str(v).strip()[:4]), source) or f"bad year {v!r}",
            texts,
        )


def year_of(text: str) -> int:
    value = int(text.strip())
    if not MIN_YEAR <= value <= MAX_YEAR or len(text.strip()) != 4:
        raise ValueError(text)
    return value


def period_of(text: str) -> str:
    """``2022`` -> ``2022``; ``202205`` or ``2022-05`` -> ``2022-05``."""
    m = _PERIOD.match(text.strip())
    if not m:
        raise ValueError(text)
    year_of(m.group(1))
    if m.group(2) is None:
        return m.group(1)
    if not 1 <= int(m.group(2)) <= 12:
        raise ValueError(text)
    return f"{m.group(1)}-{m.group(2)}"


def constant(value: Any, n: int, kind: pa.DataType = pa.string()) -> pa.Array:
    return pa.repeat(pa.scalar(value, kind), n)


def trade_table(n: int, cols: dict[str, pa.Array], schema: pa.Schema = TRADE_SCHEMA) -> pa.Table:
    """Arrange columns in ``schema`` order with its types; absent columns are left out."""
    arrays = []
    fields = []
    for f in schema:
        if f.name in cols:
            arr = cols[f.name]
            if arr.type != f.type:
                arr = pc.cast(arr, f.type)
            arrays.append(arr)
            fields.append(f)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def finish(
    checks: Checks,
    lines: np.ndarray,
    cols: dict[str, pa.Array],
    raw: Callable[[np.ndarray], list[str]],
    skipped: Sequence[Reject] = (),
    table_name: str = TABLE,
    schema: pa.Schema = TRADE_SCHEMA,
) -> Iterator[Reject | Rows]:
    """Rejects first, in line order (so ``--strict`` stops at the earliest bad line), then
    the good rows (as ``table_name`` rows in ``schema``). ``skipped``: rows of this batch the
    CSV parser already refused."""
    rejects = checks.rejects(lines, raw)
    if skipped:
        rejects = sorted([*rejects, *skipped], key=lambda r: r.line or 0)
    yield from rejects
    good = ~checks.bad
    cols = {"line": pa.array(lines, pa.int64()), **cols}
    table = trade_table(checks.n, cols, schema)
    if not good.all():
        table = table.filter(pa.array(good))
    if table.num_rows:
        yield Rows(table_name, table)


# ============================================================================================
# Comtrade specifics
# ============================================================================================
LEGACY_FLOWS = {"1": "M", "2": "X", "3": "RX", "4": "RM"}
PLUS_FLOWS = {"M": "M", "X": "X", "RX": "RX", "RM": "RM"}
#: Comtrade+ sub-flows (plus mode): parts of M and X, dropped like other breakdowns.
SUB_FLOWS = frozenset({"DX", "FM", "MIP", "MOP", "XIP", "XOP"})
BASIS = {"M": "cif", "RM": "cif", "X": "fob", "RX": "fob"}


def _flow(mapping: dict[str, str]) -> Callable[[str], str]:
    def fn(text: str) -> str:
        key = text.strip().upper()
        if key.endswith(".0"):
            key = key[:-2]
        if key not in mapping:
            raise ValueError(text)
        return mapping[key]

    return fn


def _hs(text: str) -> str:
    if text.strip().upper() == "TOTAL":
        raise ValueError(text)
    return commodities.hs_code(text)


def _edition(text: str) -> str | None:
    try:
        return commodities.hs_edition(text)
    except (UnknownCode, InvalidInput):
        return None  # "HS" = as reported, SITC...: stored as NULL, not a reason to reject


def _qty_unit(text: str) -> str | None:
    try:
        return quantities.comtrade_qty_unit(text)
    except (UnknownCode, InvalidInput, ValueError):
        return None


def _qty_factor(text: str) -> float:
    try:
        return quantities.comtrade_qty_factor(text)
    except (UnknownCode, InvalidInput, ValueError):
        return 1.0


def _unit_abbr(text: str) -> str | None:
    try:
        return quantities.unit(text)
    except (UnknownCode, InvalidInput, ValueError):
        return None


def _hs_reason(value: Any) -> str:
    if isinstance(value, str) and value.strip().upper() == "TOTAL":
        return "commodity code TOTAL (all commodities) is not an HS code"
    return f"bad HS code {value!r}"


@dataclass(slots=True)
class _Caches:
    """Per-file caches: each distinct code is resolved once per file, not once per batch."""

    flow: Cache = field(default_factory=dict)
    hs: Cache = field(default_factory=dict)
    year: Cache = field(default_factory=dict)
    period: Cache = field(default_factory=dict)
    edition: Cache = field(default_factory=dict)
    unit: Cache = field(default_factory=dict)
    abbr: Cache = field(default_factory=dict)
    factor: Cache = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Fields:
    """Source column names for the common Comtrade transformation."""

    reporter: str
    partner: str
    flow: str
    hs: str
    value: str
    year: str | None
    period: str | None
    classification: str | None
    qty: str | None
    qty_unit: str | None
    qty_abbr: str | None
    net_weight: str | None
    flag: str | None
    cif: str | None = None
    fob: str | None = None


def _col(batch: pa.RecordBatch | pa.Table, name: str | None) -> pa.Array | None:
    if name is None or name not in batch.schema.names:
        return None
    col = batch.column(name)
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


def comtrade_rows(
    batch: pa.RecordBatch | pa.Table,
    lines: np.ndarray,
    names: _Fields,
    flows: dict[str, str],
    caches: _Caches,
    raw: Callable[[np.ndarray], list[str]],
    keep: np.ndarray | None = None,
    extra: dict[str, pa.Array] | None = None,
    skipped: Sequence[Reject] = (),
) -> Iterator[Reject | Rows]:
    """One batch of Comtrade text columns -> trade_flows rows + rejects (vectorised)."""
    n = batch.num_rows
    checks = Checks(n)
    dropped = np.zeros(n, dtype=bool) if keep is None else ~keep
    checks.bad |= dropped  # breakdowns and blank lines: neither stored nor rejected

    def text(name: str | None) -> pa.Array | None:
        return _col(batch, name)

    reporter, partner = text(names.reporter), text(names.partner)
    flow, hs, value_text = text(names.flow), text(names.hs), text(names.value)
    assert reporter is not None and partner is not None and flow is not None
    assert hs is not None and value_text is not None
    year_col = names.year or names.period or "year"

    # Year and period ("2022" or "202205"); the year column wins for the year.
    year_text, period_text = text(names.year), text(names.period)
    period: pa.Array
    if period_text is not None:
        periods = Coded(period_text)
        period, bad_period = periods.map(period_of, caches.period)
        if year_text is not None:
            period = pc.coalesce(period, pc.utf8_trim_whitespace(year_text))
        checks.add(bad_period, names.period or "period", lambda v: f"bad period {v!r}", period_text)
    else:
        assert year_text is not None
        period = pc.utf8_trim_whitespace(year_text)
    years = Coded(year_text if year_text is not None else pc.utf8_slice_codeunits(period, 0, 4))
    year, bad_year = years.map(year_of, caches.year, pa.int32())
    checks.add(years.missing(), year_col, "missing year")
    checks.add(bad_year, year_col, lambda v: f"bad year {v!r}", years.col)
    check_years(checks, year, years.col, year_col, "comtrade")

    flows_coded = Coded(flow)
    flow_code, bad_flow = flows_coded.map(_flow(flows), caches.flow)
    checks.add(flows_coded.missing(), names.flow, "missing flow code")
    checks.add(bad_flow, names.flow, lambda v: f"unknown flow code {v!r}", flow)

    reporters, partners = Coded(reporter), Coded(partner)
    rep, bad_rep = reporters.territories(territories.from_comtrade, "reporter")
    par, bad_par = partners.territories(territories.from_comtrade, "partner")
    checks.add(reporters.missing(), names.reporter, "missing reporter code")
    checks.add(bad_rep, names.reporter, lambda v: f"unknown country code {v!r}", reporter)
    checks.add(partners.missing(), names.partner, "missing partner code")
    checks.add(bad_par, names.partner, lambda v: f"unknown country code {v!r}", partner)

    commodities_coded = Coded(hs)
    hs_code, bad_hs = commodities_coded.map(_hs, caches.hs)
    checks.add(commodities_coded.missing(), names.hs, "missing commodity code")
    checks.add(bad_hs, names.hs, _hs_reason, hs)

    # Value: the primary value, else the CIF (imports) or FOB (exports) value.
    cif, fob = text(names.cif), text(names.fob)
    basis = _basis(flow_code, cif, fob)
    if cif is not None or fob is not None:
        value_text = pc.coalesce(value_text, _implied_value(flow_code, cif, fob))
    value, bad_value = parse_numbers(value_text)
    checks.add(bad_value, names.value, lambda v: f"value is not a number: {v!r}", value_text)
    check_amounts(checks, value, value_text, names.value, "value")

    cols: dict[str, pa.Array] = {**rep, "reporter_orig": reporter, **par, "partner_orig": partner}
    cols.update(flow=flow_code, flow_orig=flow, year=year, period=period)
    if (classification := text(names.classification)) is not None:
        cols["classification"], _ = Coded(classification).map(_edition, caches.edition)
    cols.update(hs_code=hs_code, hs_orig=hs, value_usd=value, value_orig=value_text)
    cols["value_basis"] = basis

    # Quantities: 0 means "not reported"; the unit code may scale (9 = thousands of items).
    qty: pa.Array | None = None
    if (qty_text := text(names.qty)) is not None:
        qty, bad_qty = parse_numbers(qty_text)
        reason = "quantity is not a number: {!r}".format
        checks.add(bad_qty, names.qty or "qty", reason, qty_text)
        check_amounts(checks, qty, qty_text, names.qty or "qty", "quantity")
        qty = zero_to_null(qty)
    if (net_text := text(names.net_weight)) is not None:
        net, bad_net = parse_numbers(net_text)
        reason = "net weight is not a number: {!r}".format
        checks.add(bad_net, names.net_weight or "netWgt", reason, net_text)
        check_amounts(checks, net, net_text, names.net_weight or "netWgt", "net weight")
        cols["net_weight_kg"] = zero_to_null(net)
    unit: pa.Array | None = None
    if (unit_text := text(names.qty_unit)) is not None:
        units = Coded(unit_text)
        unit, _ = units.map(_qty_unit, caches.unit)
        if qty is not None:
            factor, _ = units.map(_qty_factor, caches.factor, pa.float64())
            qty = pc.multiply(qty, pc.fill_null(factor, 1.0))
    if (abbr := text(names.qty_abbr)) is not None:
        by_abbr, _ = Coded(abbr).map(_unit_abbr, caches.abbr)
        unit = by_abbr if unit is None else pc.coalesce(unit, by_abbr)
    if qty is not None:
        cols["qty"] = qty
    if unit is not None:
        cols["qty_unit"] = unit
    if (flag := text(names.flag)) is not None:
        cols["flag"] = flag
    cols.update(extra or {})
    # Problems of dropped rows do not matter: they are not stored, so not rejected either.
    checks.found = [f for f in checks.found if not dropped[f[0]]]
    yield from finish(checks, lines, cols, raw, skipped)


_IMPORTS = pa.array(["M", "RM"])


def _basis(flow: pa.Array, cif: pa.Array | None, fob: pa.Array | None) -> pa.Array:
    """CIF for imports, FOB for exports; the other basis when only that value is given."""
    is_import = _np_bool(pc.is_in(flow, value_set=_IMPORTS))
    known = _np_bool(pc.is_valid(flow))
    if cif is not None and fob is not None:
        has_cif, has_fob = ~missing_mask(cif), ~missing_mask(fob)
        is_import = np.where(is_import & ~has_cif & has_fob, False, is_import)
        is_import = np.where(~is_import & has_cif & ~has_fob, True, is_import)
    basis = np.where(is_import, "cif", "fob").astype(object)
    basis[~known] = None
    return pa.array(basis, pa.string())


def _implied_value(flow: pa.Array, cif: pa.Array | None, fob: pa.Array | None) -> pa.Array:
    """The CIF value for imports, FOB for exports (whichever exists as fallback)."""
    nulls = pa.nulls(len(flow), pa.string())
    cif = cif if cif is not None else nulls
    fob = fob if fob is not None else nulls
    is_import = pc.fill_null(pc.is_in(flow, value_set=_IMPORTS), False)
    return pc.if_else(is_import, pc.coalesce(cif, fob), pc.coalesce(fob, cif))


# ============================================================================================
# Readers
# ============================================================================================
LEGACY = _Fields(
    reporter="Reporter Code",
    partner="Partner Code",
    flow="Trade Flow Code",
    hs="Commodity Code",
    value="Trade Value (US$)",
    year="Year",
    period="Period",
    classification="Classification",
    qty="Qty",
    qty_unit="Qty Unit Code",
    qty_abbr=None,
    net_weight="Netweight (kg)",
    flag="Flag",
)
LEGACY_REQUIRED = [
    "Year",
    "Trade Flow Code",
    "Reporter Code",
    "Partner Code",
    "Commodity Code",
    "Trade Value (US$)",
]
LEGACY_OPTIONAL = ["Classification", "Period", "Qty Unit Code", "Qty", "Netweight (kg)", "Flag"]


class ComtradeLegacyReader(Reader):
    """UN Comtrade legacy bulk/API CSV (``Classification,Year,...,Trade Value (US$),Flag``)."""

    name: ClassVar[str] = "comtrade-legacy"
    dataset: ClassVar[str] = "comtrade"
    description: ClassVar[str] = (
        "UN Comtrade legacy CSV (Trade Flow Code 1-4, Reporter/Partner Code, Trade Value (US$))"
    )
    tables: ClassVar[tuple[str, ...]] = (TABLE,)
    natural_key: ClassVar[dict[str, tuple[str, ...]]] = {TABLE: COMTRADE_KEY}
    attribution: ClassVar[str | None] = "Source: UN Comtrade, United Nations Statistics Division"

    @classmethod
    def sniff(cls, path: Path, head: str) -> int:
        fields = set(header_fields(head))
        need = {"Trade Flow Code", "Reporter Code", "Partner Code", "Commodity Code"}
        if need <= fields:
            return 95 if "Trade Value (US$)" in fields else 60
        return 0

    def read(self, ctx: ReadContext) -> Iterator[Rows | Reject]:
        head = csv_head(ctx.path, ctx.head())
        ctx.simulated = ctx.simulated or head.simulated
        require_columns(ctx.path, head.header, LEGACY_REQUIRED, line=head.header_line)
        columns = [c for c in head.header if c in LEGACY_REQUIRED + LEGACY_OPTIONAL]
        names = _present(LEGACY, head.header)
        caches = _Caches()
        for part in stream_csv(ctx, head, columns):
            batch = part.batch
            if not batch.num_rows:
                yield from part.rejects
                continue
            raw = csv_raw(batch, head.delimiter)
            keep = _not_blank(batch)
            yield from comtrade_rows(
                batch, part.lines, names, LEGACY_FLOWS, caches, raw, keep, None, part.rejects
            )


PLUS = _Fields(
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


def _present(names: _Fields, header: Sequence[str]) -> _Fields:
    """The same field names, with optional ones absent from this file set to None."""
    have = set(header)

    def keep(name: str | None) -> str | None:
        return name if name in have else None

    return dataclasses.replace(
        names,
        year=keep(names.year),
        period=keep(names.period),
        classification=keep(names.classification),
        qty=keep(names.qty),
        qty_unit=keep(names.qty_unit),
        qty_abbr=keep(names.qty_abbr),
        net_weight=keep(names.net_weight),
        flag=keep(names.flag),
        cif=keep(names.cif),
        fob=keep(names.fob),
    )


def _not_blank(batch: pa.RecordBatch | pa.Table) -> np.ndarray:
    """Rows with at least one field (blank lines become all-null rows: skip them quietly)."""
    if batch.num_rows == 0 or batch.num_columns == 0:
        return np.ones(batch.num_rows, dtype=bool)
    any_value = pc.is_valid(batch.column(0))
    for col in batch.columns[1:]:
        any_value = pc.or_(any_value, pc.is_valid(col))
    return _np_bool(any_value)


def _plus_keep(batch: pa.RecordBatch | pa.Table) -> tuple[np.ndarray, int]:
    """Totals only: partner2Code 0, customsCode C00, motCode 0, no sub-flows; blank lines out.
    Returns the mask and how many breakdown rows were dropped."""
    keep = _not_blank(batch)
    blank = int((~keep).sum())
    for name, totals in _TOTALS.items():
        col = _col(batch, name)
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
        keep &= _np_bool(pc.fill_null(total, True))
    flow = _col(batch, "flowCode")
    if flow is not None:
        sub = pc.is_in(
            pc.utf8_upper(pc.utf8_trim_whitespace(flow)), value_set=pa.array(sorted(SUB_FLOWS))
        )
        keep &= ~_np_bool(sub)
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
        names = _present(PLUS, head.header)
        caches = _Caches()
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
        caches = _Caches()
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
