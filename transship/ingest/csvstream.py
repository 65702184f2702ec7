"""Delimited text streamed into Arrow batches of text columns, each row with its physical line.

Shared by the trade readers (``ingest.comtrade_legacy``, ``ingest.comtrade_plus``,
``ingest.baci``); moved out of ``ingest.comtrade`` unchanged.

Speed. Files of millions of rows are common (a year of HS6 for all reporters), so nothing
loops over rows in Python: the CSV is streamed with ``pyarrow.csv.open_csv`` in blocks of
``PARSE_BLOCK`` bytes gathered into batches of about ``ctx.batch_rows`` rows, every column
read as text (``ingest.tabular`` turns them into checked columns).

Line numbers are the cumulative record count of the Arrow reader plus the lines before the
first record. That equals the physical line number because these formats never put a
newline inside a quoted value (Comtrade's commodity texts are quoted for their commas only).
Rows Arrow skips for a wrong number of fields are reported with their own record number
(known because the reader runs single-threaded) and later lines are shifted past them.
"""

from __future__ import annotations

import codecs
import csv
import io
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, cast

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from transship.exc import SourceFormatError
from transship.ingest import checks as plausible
from transship.ingest.base import (
    SIMULATED_MARKER,
    ReadContext,
    Reject,
)
from transship.ingest.tabular import NULL_TEXTS

HEAD_BYTES = 65_536
#: Arrow's CSV reader reads up to 32 blocks ahead on its I/O thread, whatever the consumer
#: does: with blocks of ~9 MB (a 262k-row batch of BACI) that held ~280 MB of raw text, so the
#: peak grew with the file up to that size. Blocks of 1 MiB bound it to ~32 MiB; the blocks
#: are then gathered into batches of ``batch_rows`` (docs/performance.md).
PARSE_BLOCK = 1 << 20


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
