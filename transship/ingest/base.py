"""What every reader is: sniff a file, then stream canonical rows and rejects.

A reader turns one file into ``Rows`` (an Arrow table of canonical columns for one store
table, each row with the ``line`` it came from) and ``Reject`` (a bad row: line, column,
reason, raw text). It never talks to the store: ``ingest.pipeline`` adds the provenance
columns (dataset, source_sha256, run_id, record_id, simulated) and writes everything in one
transaction. Readers raise ``SourceFormatError`` for a file they cannot read at all.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, ClassVar

import pyarrow as pa

from transship.exc import SourceFormatError
from transship.ingest.archive import HEAD_BYTES, CountingReader, Source

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
    """What a reader may know about the run; ``simulated`` may be set by the reader.

    ``path`` names the unit in messages and rejects (``archive.zip/member`` for a zip member);
    ``source`` is where its bytes are. Read them only through :meth:`open`, :meth:`head` and
    :meth:`tail`: they unpack ``.gz``/``.zip`` and transcode UTF-16 (``ingest.archive``), so a
    reader only ever sees UTF-8 text whatever the file on disk is.
    """

    path: Path
    sha256: str
    run_id: int
    strict: bool = False
    batch_rows: int = 262_144
    simulated: bool = False
    dataset: str | None = None
    on_progress: Callable[[int], None] | None = None
    #: Set by the pipeline (docs/store.md, "Rejected share"): a reader that holds many rejects
    #: before it can yield them (Arrow's CSV parser skips wrong-width lines until a block has
    #: a row) asks with them whether to go on; a reason means stop, the file fails with it.
    stop_reading: Callable[[list[Reject]], str | None] | None = None
    source: Source | None = None
    _opened: list[BinaryIO] = field(default_factory=list)
    _head: str | None = None

    def __post_init__(self) -> None:
        if self.source is None:
            self.source = Source(self.path)

    @property
    def unit(self) -> Source:
        """The source, never None (set in ``__post_init__``)."""
        assert self.source is not None
        return self.source

    @property
    def name(self) -> str:
        """The unit's own file name, unpacked (``x.csv`` for ``x.csv.gz`` or ``a.zip/x.csv``):
        what name-based rules (BACI's edition in the name) look at."""
        return self.unit.name

    def open(self) -> BinaryIO:
        """The content as UTF-8 bytes (unpacked, transcoded, BOM dropped), for binary reading;
        reading it advances the progress bar. Closed by the pipeline."""
        stream = self.unit.open(self.on_progress)
        self._opened.append(stream)
        return stream

    def head(self) -> str:
        """The first 64 KiB of :meth:`open` as text (bad bytes replaced), read once."""
        if self._head is None:
            self._head = self.unit.head(HEAD_BYTES).decode("utf-8", errors="replace")
        return self._head

    def tail(self, size: int = HEAD_BYTES) -> str:
        """The last ``size`` bytes of :meth:`open` as text (bad bytes replaced)."""
        return self.unit.tail(size).decode("utf-8", errors="replace")

    def close(self) -> None:
        for f in self._opened:
            f.close()
        self._opened.clear()


#: Kept under its old name: the progress-counting file now lives in ``ingest.archive``.
_CountingReader = CountingReader


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
    #: A row whose revision unit (below) is entirely empty has no key (never a duplicate,
    #: never superseded).
    natural_key: ClassVar[dict[str, tuple[str, ...]]] = {}
    #: Per store table, when a later file replaces more than the rows with its keys: the
    #: columns of the unit it replaces as a whole (SIPRI register: the deal, all its delivery
    #: years; COARM brokering: a member state's year, which has no finer key). Default: the key;
    #: ``()``: nothing is superseded (FtM: the ``entities_current`` view shows the latest run).
    revision_unit: ClassVar[dict[str, tuple[str, ...]]] = {}

    @classmethod
    @abstractmethod
    def sniff(cls, path: Path, head: str) -> int:
        """Confidence 0-100 that the file is this format. ``head`` is the first 64 KiB,
        decoded as UTF-8 (BOM removed) with undecodable bytes replaced. ``path`` is the unit
        as if unpacked (``x.csv`` for ``x.csv.gz``, ``a.zip/x.csv`` for a zip member)."""

    @classmethod
    def companion(cls, path: Path, head: str) -> str | None:
        """A note when the file is one this format only reads *beside* its data files (BACI's
        country and product code tables), else None. A zip member that is a companion is
        skipped with the note: the data members read it themselves."""
        return None

    @abstractmethod
    def read(self, ctx: ReadContext) -> Iterator[Rows | Reject]:
        """Stream the file as canonical rows and rejects, in batches of ``ctx.batch_rows``."""


def require_columns(path: Path, header: list[str], needed: list[str], line: int = 1) -> None:
    """Raise a one-line error naming the missing columns."""
    missing = [c for c in needed if c not in header]
    if missing:
        raise SourceFormatError(path, f"missing columns: {', '.join(missing)}", line=line)
