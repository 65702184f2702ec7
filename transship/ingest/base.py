"""What every reader is: sniff a file, then stream canonical rows and rejects.

A reader turns one file into ``Rows`` (an Arrow table of canonical columns for one store
table, each row with the ``line`` it came from) and ``Reject`` (a bad row: line, column,
reason, raw text). It never talks to the store: ``ingest.pipeline`` adds the provenance
columns (dataset, source_sha256, run_id, record_id, simulated) and writes everything in one
transaction. Readers raise ``SourceFormatError`` for a file they cannot read at all.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, ClassVar

import pyarrow as pa

from transship.exc import SourceFormatError

#: Text marker simulated files carry (first line, field or header comment).
SIMULATED_MARKER = "SIMULATED"


@dataclass(slots=True)
class Rows:
    """Canonical rows for one table. ``data`` must have a ``line`` column (int64);
    it may have ``sub`` (int) when one line makes several rows, and ``dataset``."""

    table: str
    data: pa.Table
    #: False for side tables written with the facts (e.g. the codes a BACI file used): they
    #: are stored in the same transaction but not counted as loaded rows.
    facts: bool = True


@dataclass(slots=True)
class Reject:
    line: int | None
    column: str | None
    reason: str
    raw: str | None = None


@dataclass
class ReadContext:
    """What a reader may know about the run; ``simulated`` may be set by the reader."""

    path: Path
    sha256: str
    run_id: int
    strict: bool = False
    batch_rows: int = 262_144
    simulated: bool = False
    dataset: str | None = None
    on_progress: Callable[[int], None] | None = None
    _opened: list[BinaryIO] = field(default_factory=list)

    def open(self) -> BinaryIO:
        """Open the file for binary reading; reading it advances the progress bar."""
        raw = open(self.path, "rb")  # noqa: SIM115 - closed by the pipeline
        stream: BinaryIO = _CountingReader(raw, self.on_progress)  # type: ignore[assignment]
        self._opened.append(stream)
        return stream

    def close(self) -> None:
        for f in self._opened:
            f.close()
        self._opened.clear()


class _CountingReader(io.RawIOBase):
    def __init__(self, raw: BinaryIO, on_progress: Callable[[int], None] | None) -> None:
        self._raw = raw
        self._on_progress = on_progress
        self.pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        n = self._raw.readinto(b)  # type: ignore[attr-defined]
        if n:
            self.pos += n
            if self._on_progress is not None:
                self._on_progress(n)
        return int(n or 0)

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        if data:
            self.pos += len(data)
            if self._on_progress is not None:
                self._on_progress(len(data))
        return data

    def close(self) -> None:
        self._raw.close()
        super().close()


class Reader(ABC):
    """One source format. Subclasses set the class attributes and implement both methods."""

    #: Name used by ``--format`` and stored in ingest_runs.format.
    name: ClassVar[str]
    #: Default dataset name written on every row (e.g. "comtrade", "sipri").
    dataset: ClassVar[str]
    #: One line for ``transship formats`` and the docs.
    description: ClassVar[str]
    #: Store tables this reader writes.
    tables: ClassVar[tuple[str, ...]]
    #: Attribution printed with any output built on this source (SIPRI, CAAT...).
    attribution: ClassVar[str | None] = None
    #: Per store table: the columns that identify one fact of the source within a dataset (the
    #: natural key). A key repeated within one file is a reject ("duplicate key"); a later file
    #: of the same dataset supersedes the stored rows with its keys (docs/store.md, Revisions).
    #: A row whose key columns are all empty has no key (never a duplicate, never superseded).
    natural_key: ClassVar[dict[str, tuple[str, ...]]] = {}
    #: Per store table, when a later file replaces more than the rows with its keys: the
    #: columns of the unit it replaces as a whole (SIPRI register: the deal, all its delivery
    #: years; COARM brokering: a member state's year, which has no finer key). Default: the key.
    revision_unit: ClassVar[dict[str, tuple[str, ...]]] = {}

    @classmethod
    @abstractmethod
    def sniff(cls, path: Path, head: str) -> int:
        """Confidence 0-100 that the file is this format. ``head`` is the first 64 KiB,
        decoded as UTF-8 (BOM removed) with undecodable bytes replaced."""

    @abstractmethod
    def read(self, ctx: ReadContext) -> Iterator[Rows | Reject]:
        """Stream the file as canonical rows and rejects, in batches of ``ctx.batch_rows``."""


def require_columns(path: Path, header: list[str], needed: list[str], line: int = 1) -> None:
    """Raise a one-line error naming the missing columns."""
    missing = [c for c in needed if c not in header]
    if missing:
        raise SourceFormatError(path, f"missing columns: {', '.join(missing)}", line=line)
