"""Line and CSV helpers the text-file readers share (SIPRI, CAAT's COARM files).

Line-by-line decoding with a Latin-1 fallback, the ``# SIMULATED`` first-line marker, CSV
records that know the physical line they start on, and bounded Arrow batches. They live in
one place so that every text reader counts lines, spots simulated files and batches rows the
same way.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from transship.exc import SourceFormatError
from transship.ingest import checks
from transship.ingest.base import SIMULATED_MARKER, ReadContext, Reject, Rows


def decode_line(raw: bytes) -> str:
    """One physical line as text: UTF-8 when it is valid UTF-8, else Latin-1.

    SIPRI's classic exports are Latin-1 and CAAT's files are UTF-8; deciding per line keeps
    streaming possible and still reads a file whose first Latin-1 byte sits on line 20,000.
    Latin-1 text almost never happens to be valid UTF-8 (it would need a lead byte followed
    by continuation bytes), so the order of the attempts decides nothing in practice.
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def text_lines(ctx: ReadContext) -> tuple[int, Iterator[str]]:
    """The file's lines, decoded, and the line number of the first one returned.

    A first line starting with ``# SIMULATED`` is consumed and sets ``ctx.simulated``; it
    still counts as line 1, so the data then starts on line 2. A UTF-8 BOM is dropped.
    """
    stream = io.BufferedReader(ctx.open())  # type: ignore[type-var]
    lines = (decode_line(raw) for raw in stream)
    first = next(lines, None)
    if first is None:
        return 1, iter(())
    first = first.removeprefix("\ufeff")
    if is_simulated_marker(first):
        ctx.simulated = True
        return 2, lines
    return 1, _chain_one(first, lines)


def is_simulated_marker(line: str) -> bool:
    return line.lstrip().startswith("#") and line.lstrip("# \t").startswith(SIMULATED_MARKER)


def _chain_one(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def head_lines(head: str, skip_marker: bool = True) -> list[str]:
    """The sniffing head as lines, without the simulated marker line and a cut-off last line."""
    lines = head.splitlines()
    if len(head) >= 60_000 and lines:
        lines = lines[:-1]  # probably cut in the middle
    if skip_marker and lines and is_simulated_marker(lines[0]):
        lines = lines[1:]
    return lines


class _LineTracker:
    """An iterator over lines that counts them and remembers those of the current record."""

    __slots__ = ("_lines", "number", "buffer")

    def __init__(self, lines: Iterable[str], first_line: int) -> None:
        self._lines = iter(lines)
        self.number = first_line - 1
        self.buffer: list[str] = []

    def __iter__(self) -> _LineTracker:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.number += 1
        self.buffer.append(line)
        return line


@dataclass(slots=True)
class Record:
    """A CSV record: the physical line it starts on, its fields, its raw text."""

    line: int
    fields: list[str]
    raw: str


def csv_records(
    path: Path, lines: Iterable[str], first_line: int, **fmt: Any
) -> Iterator[Record | Reject]:
    """CSV records with the physical line each one *starts* on.

    Quoted fields may hold newlines (CAAT's mission.csv does), so counting records is not
    counting lines: the csv module reads from a counting iterator instead.

    A field longer than ``TRANSSHIP_MAX_FIELD_BYTES`` (the csv module's field limit, set
    here) comes as a ``Reject`` of its record, and reading goes on with the next line: one
    hostile field is one reject, not a failed file. Readers pass such rejects on.
    """
    limit = checks.csv_field_limit()
    tracker = _LineTracker(lines, first_line)
    reader = csv.reader(tracker, **fmt)
    while True:
        start = tracker.number + 1
        tracker.buffer.clear()
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if not checks.is_field_limit_error(exc):
                raise SourceFormatError(path, f"unreadable CSV: {exc}", line=start) from exc
            raw = "".join(tracker.buffer)[:2000]
            tracker.buffer.clear()
            yield Reject(start, None, checks.field_too_long_reason(limit), raw)
            continue
        raw = "".join(tracker.buffer).rstrip("\r\n")
        yield Record(start, fields, raw)


class RowBatch:
    """Rows for one table, handed out as ``Rows`` every ``size`` rows."""

    def __init__(self, table: str, schema: pa.Schema, size: int) -> None:
        self.table = table
        self.schema = schema
        self.size = max(1, size)
        self._cols: dict[str, list[Any]] = {name: [] for name in schema.names}
        self._n = 0

    def add(self, row: dict[str, Any]) -> Rows | None:
        for name, values in self._cols.items():
            values.append(row.get(name))
        self._n += 1
        return self.flush() if self._n >= self.size else None

    def flush(self) -> Rows | None:
        if not self._n:
            return None
        data = pa.table(
            {
                name: pa.array(values, self.schema.field(name).type)
                for name, values in self._cols.items()
            },
            schema=self.schema,
        )
        for values in self._cols.values():
            values.clear()
        self._n = 0
        return Rows(self.table, data)


def batched(
    items: Iterable[dict[str, Any] | Reject], table: str, schema: pa.Schema, size: int
) -> Iterator[Rows | Reject]:
    """Row dicts gathered into ``Rows`` of ``size`` rows; rejects passed on as they come.

    Every reader's loop ended with the same add / yield-when-full / flush steps: a reader
    now yields plain row dicts and rejects, and this does the batching.
    """
    batch = RowBatch(table, schema, size)
    for item in items:
        if isinstance(item, Reject):
            yield item
            continue
        out = batch.add(item)
        if out is not None:
            yield out
    out = batch.flush()
    if out is not None:
        yield out
