"""The loop between a reader and the store: one file's rows, rejects and provenance.

The reader runs one step ahead in its own thread (:class:`Prefetch`); rejected rows go to
``rejects`` in batches and count against the rejected-share rule (docs/store.md, "Rejected
share"), early when the share is already out of reach; every stored row gets its provenance
columns and a deterministic record id (:func:`record_ids`). ``transship.ingest.pipeline``
runs :func:`load` inside the file's transaction.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from transship import settings
from transship.exc import InvalidInput, SourceFormatError, TransshipError
from transship.ingest.base import ReadContext, Reader, Reject, Rows
from transship.ingest.revisions import KeyOrder
from transship.store import Store

REJECT_FLUSH = 10_000
#: The rejected-share rule is docs/store.md, "Rejected share" (every file, however small).
#: Stop reading early once this many rows were read and the rejects exceed the limit even if
#: one more whole batch of rows were good: 200 MB of garbage fails after a few MB.
SHARE_EARLY_ROWS = 100_000
#: Rejects quoted in the message of a file that failed the rule.
SHARE_QUOTE = 3


class Prefetch:
    """Run a reader one step ahead in its own thread while the store inserts what it yielded.

    Parsing and checking a batch (Arrow, numpy: mostly outside the GIL) and inserting the
    previous one (DuckDB: outside the GIL) then overlap on two cores: a load takes about the
    longer of the two instead of their sum (docs/performance.md). At most ``depth`` batches
    wait, so memory stays bounded. The store is only touched by the caller's thread. An error
    in the reader is raised in the caller's thread, where it would have been raised anyway;
    leaving early (``--strict``, an error while inserting) stops the reader and waits for it.
    """

    _DONE = object()

    def __init__(self, items: Iterator[Rows | Reject], depth: int = 2) -> None:
        self._items = items
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="transship-reader", daemon=True)

    def _run(self) -> None:
        try:
            for item in self._items:
                if not self._put(item):
                    return
            self._put(self._DONE)
        except BaseException as exc:  # handed to the caller's thread, raised there
            self._put(exc)
        finally:
            close = getattr(self._items, "close", None)
            if close is not None:
                close()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __enter__(self) -> Iterator[Rows | Reject]:
        self._thread.start()
        return self._iter()

    def _iter(self) -> Iterator[Rows | Reject]:
        while True:
            item = self._queue.get()
            if item is self._DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def reject_share_limit(value: float | None = None) -> float:
    """The rejected share above which a file fails: ``value``, else the setting."""
    if value is None:
        text = settings.get("TRANSSHIP_MAX_REJECT_SHARE")
        try:
            value = float(text)
        except ValueError:
            raise InvalidInput(
                f"TRANSSHIP_MAX_REJECT_SHARE must be a number from 0 to 1, not {text!r}"
            ) from None
    if not 0.0 <= value <= 1.0:  # also refuses NaN
        raise InvalidInput(f"the maximum rejected share must be from 0 to 1, not {value}")
    return value


@dataclass(slots=True)
class Tally:
    """Counts of one file's load, and its first rejects (quoted when the file fails)."""

    loaded: int = 0
    rejected: int = 0
    first: list[Reject] = field(default_factory=list)
    #: Keyed tables whose rows came in strictly increasing key order (``revisions.KeyOrder``).
    ordered: frozenset[str] = frozenset()
    #: Fact rows and rejects the reader yielded (counted in its thread, ahead of the store).
    yielded_rows: int = 0
    yielded_rejects: int = 0


def load(store: Store, reader: Reader, ctx: ReadContext, share: float = 1.0) -> Tally:
    tally = Tally()
    ctx.stop_reading = _stopper(ctx, tally, share)
    with Prefetch(_counted(reader.read(ctx), tally)) as items:
        return _load_items(store, reader, ctx, items, share, tally)


def _counted(items: Iterator[Rows | Reject], tally: Tally) -> Iterator[Rows | Reject]:
    """Count what the reader yields, in its own thread (for :func:`_stopper`)."""
    for item in items:
        if isinstance(item, Reject):
            tally.yielded_rejects += 1
        elif item.facts:
            tally.yielded_rows += item.data.num_rows
        yield item


def _stopper(ctx: ReadContext, tally: Tally, share: float) -> Callable[[list[Reject]], str | None]:
    """The early-stop rule for rejects a reader still holds (asked from the reader's thread),
    with what it yielded so far; the batch it may be building is counted as good rows."""

    def stop(held: list[Reject]) -> str | None:
        rejected = tally.yielded_rejects + len(held)
        seen = tally.yielded_rows + rejected
        if seen < SHARE_EARLY_ROWS or rejected <= share * (seen + ctx.batch_rows):
            return None
        first = sorted([*tally.first, *held[:SHARE_QUOTE]], key=lambda r: r.line or 0)
        return _share_message(tally.yielded_rows, rejected, share, first, early=True)

    return stop


def _load_items(
    store: Store,
    reader: Reader,
    ctx: ReadContext,
    items: Iterator[Rows | Reject],
    share: float = 1.0,
    tally: Tally | None = None,
) -> Tally:
    tally = tally if tally is not None else Tally()
    order = KeyOrder(reader)
    pending: list[Reject] = []
    for item in items:
        if isinstance(item, Reject):
            if ctx.strict:
                raise SourceFormatError(ctx.path, item.reason, line=item.line, column=item.column)
            pending.append(item)
            tally.rejected += 1
            if len(tally.first) < SHARE_QUOTE:
                tally.first.append(item)
            if len(pending) >= REJECT_FLUSH:
                _flush_rejects(store, ctx, pending)
            seen = tally.loaded + tally.rejected
            # Early stop: even if the batch being read (not yet yielded) were all good.
            if seen >= SHARE_EARLY_ROWS and tally.rejected > share * (seen + ctx.batch_rows):
                check_share(ctx, tally.loaded, tally.rejected, share, tally.first, early=True)
        else:
            order.see(item.table, item.data)
            stored = _append_rows(store, reader, ctx, item)
            tally.loaded += stored if item.facts else 0
    _flush_rejects(store, ctx, pending)
    tally.ordered = order.ordered
    return tally


def check_share(
    ctx: ReadContext,
    loaded: int,
    rejected: int,
    share: float,
    first: list[Reject],
    early: bool = False,
) -> None:
    """Fail the file (the caller's transaction rolls back) when too many rows were rejected."""
    total = loaded + rejected
    if total == 0 or rejected <= share * total:
        return
    raise SourceFormatError(ctx.path, _share_message(loaded, rejected, share, first, early))


def _share_message(
    loaded: int, rejected: int, share: float, first: list[Reject], early: bool = False
) -> str:
    total = loaded + rejected
    quoted = "; ".join(_describe(r) for r in first[:SHARE_QUOTE])
    stopped = f"stopped after {total:,} rows: " if early else ""
    return (
        f"{stopped}{rejected:,} of {total:,} rows rejected "
        f"({100 * rejected / total:.0f} % > {100 * share:g} %), nothing stored: "
        f"{quoted}: first {min(len(first), SHARE_QUOTE)} "
        "(see --max-reject-share to load the good rows anyway)"
    )


def _describe(reject: Reject) -> str:
    where = f"line {reject.line}" if reject.line is not None else "no line"
    if reject.column:
        where += f", column {reject.column!r}"
    return f"{where}: {reject.reason}"


def _flush_rejects(store: Store, ctx: ReadContext, pending: list[Reject]) -> None:
    if not pending:
        return
    store.append(
        "rejects",
        pa.table(
            {
                "run_id": pa.array([ctx.run_id] * len(pending), pa.int64()),
                "file": pa.array([str(ctx.path)] * len(pending), pa.string()),
                "line": pa.array([r.line for r in pending], pa.int64()),
                "column": pa.array([r.column for r in pending], pa.string()),
                "reason": pa.array([r.reason for r in pending], pa.string()),
                "raw": pa.array(
                    [None if r.raw is None else r.raw[:2000] for r in pending], pa.string()
                ),
            }
        ),
    )
    pending.clear()


def _append_rows(store: Store, reader: Reader, ctx: ReadContext, rows: Rows) -> int:
    data = rows.data
    n = data.num_rows
    if n == 0:
        return 0
    if "line" not in data.schema.names:
        raise TransshipError(f"reader {reader.name} yielded rows without line numbers")
    cols = set(store.columns(rows.table))
    for name, value in _provenance(reader, ctx, data, cols).items():
        data = data.append_column(name, value)
    if "sub" in data.schema.names:
        data = data.drop_columns(["sub"])
    return store.append(rows.table, data)


def _provenance(
    reader: Reader, ctx: ReadContext, data: pa.Table, cols: set[str]
) -> dict[str, pa.Array]:
    n = data.num_rows
    have = set(data.schema.names)
    out: dict[str, pa.Array] = {}
    if "dataset" in cols and "dataset" not in have:
        out["dataset"] = pa.repeat(pa.scalar(ctx.dataset or reader.dataset, pa.string()), n)
    if "source_sha256" in cols and "source_sha256" not in have:
        out["source_sha256"] = pa.repeat(pa.scalar(ctx.sha256, pa.string()), n)
    if "run_id" in cols and "run_id" not in have:
        out["run_id"] = pa.repeat(pa.scalar(ctx.run_id, pa.int64()), n)
    if "simulated" in cols and "simulated" not in have:
        out["simulated"] = pa.repeat(pa.scalar(ctx.simulated, pa.bool_()), n)
    if "record_id" in cols and "record_id" not in have:
        out["record_id"] = record_ids(ctx.sha256, data)
    return out


def record_ids(sha256: str, data: pa.Table) -> pa.Array:
    """Deterministic ids: ``<sha256[:16]>:<line>`` (``:<sub>`` when a line makes several rows)."""
    line = pc.cast(data.column("line"), pa.string())
    parts: list[Any] = [pa.scalar(sha256[:16]), line]
    if "sub" in data.schema.names:
        parts.append(pc.cast(data.column("sub"), pa.string()))
    return pc.binary_join_element_wise(*parts, ":")
