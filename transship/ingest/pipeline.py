"""Run a reader over a file and write what it yields into the store, all or nothing.

* Atomic per file: everything happens in one DuckDB transaction; a failure or a killed
  process leaves the store as it was (a failed run is then logged on its own).
* Idempotent: a file whose content (sha256) was already loaded is skipped.
* Lenient by default: bad rows go to ``rejects``; ``strict`` stops at the first one.
* Streaming: readers yield bounded batches, so memory stays flat as files grow.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from transship import settings
from transship.exc import InvalidInput, SourceFormatError, TransshipError
from transship.ingest import archive
from transship.ingest.archive import Source, content_sha256, locate
from transship.ingest.base import ReadContext, Reader, Reject, Rows
from transship.ingest.registry import get_reader, read_head, sniff
from transship.ingest.revisions import KeyOrder, revise
from transship.store import Store
from transship.store.db import now

log = logging.getLogger(__name__)
REJECT_FLUSH = 10_000
#: The rejected-share rule is docs/store.md, "Rejected share" (every file, however small).
#: Stop reading early once this many rows were read and the rejects exceed the limit even if
#: one more whole batch of rows were good: 200 MB of garbage fails after a few MB.
SHARE_EARLY_ROWS = 100_000
#: Rejects quoted in the message of a file that failed the rule.
SHARE_QUOTE = 3
#: File name endings a folder walk picks up (anything else in a folder is ignored).
DATA_SUFFIXES = (".csv", ".tsv", ".json", ".jsonl", ".ndjson", ".txt")


@dataclass(slots=True)
class IngestResult:
    """One file's outcome; the keys are the ``transship ingest --json`` interface."""

    file: str
    format: str | None
    sha256: str | None
    run_id: int | None
    rows_loaded: int
    rows_rejected: int
    status: str  # ok | skipped | failed
    message: str | None = None
    #: Rows of earlier runs of the same dataset this file replaced, and those runs.
    rows_superseded: int = 0
    supersedes: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def file_sha256(path: Path) -> str:
    """sha256 of a file on disk (``archive.file_sha256``: computed once per unchanged file)."""
    return archive.file_sha256(path)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; folders walked (sorted) for data files, ``.zip`` archives and gzipped
    data files (``x.csv.gz``). A zip archive, named or found, stands for its members, each
    as ``archive.zip/member`` (``ingest.archive``): one ingest unit, one run each."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for q in sorted(p.rglob("*")):
                if q.is_file() and archive.walk_suffix_ok(q, DATA_SUFFIXES):
                    out.extend(archive.expand(q))
        else:
            out.extend(archive.expand(p))
    return out


def _member_skip(source: Source, format: str | None) -> str | None:
    """Why a zip member is skipped (a README, a picture, a BACI code table the data members
    read themselves), or None: it is data.

    An archive is a bundle: what is not data in it is skipped with a note rather than failed,
    as a folder walk does. With ``format`` given, every member with a data suffix is read."""
    suffixes = [s.lower() for s in source.logical.suffixes]
    if not suffixes or suffixes[-1] not in DATA_SUFFIXES:
        kind = suffixes[-1] if suffixes else "no suffix"
        return f"not a data file ({kind})"
    if format:
        return None
    try:
        head = read_head(source)
    except SourceFormatError:
        return None  # damaged or too big: not skipped, it fails as a file would
    try:
        cls = sniff(source)
    except SourceFormatError as exc:
        return f"not data: {exc.reason}"
    return cls.companion(source.logical, head)


def ingest_paths(
    store: Store,
    paths: Iterable[str | Path],
    format: str | None = None,
    strict: bool = False,
    dataset: str | None = None,
    progress: Callable[[Path, int], Callable[[int], None]] | None = None,
    as_new: bool = False,
    max_reject_share: float | None = None,
) -> list[IngestResult]:
    """Ingest each file; a failure of one file does not stop the others (unless strict).

    A file found by walking a folder that no reader recognises is skipped (status
    ``skipped``, message :data:`NO_KNOWN_FORMAT`): data folders hold READMEs, notes and test
    files beside the data, and one of them must not fail the folder. A file named on its
    own is meant to be read, so there the same is a failure (recorded in ``ingest_runs``).
    """
    reject_share_limit(max_reject_share)  # a bad limit is the caller's error, not a file's
    results = []
    for path, walked in _walk(paths):
        if walked and format is None and _unknown_format(path):
            log.debug("%s: skipped, %s", path, NO_KNOWN_FORMAT)
            results.append(
                IngestResult(str(path), None, None, None, 0, 0, "skipped", NO_KNOWN_FORMAT)
            )
            continue
        try:
            results.append(
                ingest_file(
                    store,
                    path,
                    format=format,
                    strict=strict,
                    dataset=dataset,
                    progress=progress,
                    as_new=as_new,
                    max_reject_share=max_reject_share,
                )
            )
        except TransshipError as exc:
            results.append(IngestResult(str(path), format, None, None, 0, 0, "failed", exc.message))
            if strict:
                break
    return results


#: Why a file found in a folder was skipped when no reader recognises it.
NO_KNOWN_FORMAT = "no known format"


def _walk(paths: Iterable[str | Path]) -> Iterator[tuple[Path, bool]]:
    """Each file to read, and whether it was found by walking a folder (not named itself)."""
    for given in paths:
        walked = Path(given).is_dir()
        for path in expand_paths([given]):
            yield path, walked


def _unknown_format(path: Path) -> bool:
    """True when ``path`` can be read but no reader recognises it (an unreadable file is a
    failure, not a skip: it is probably data the user cannot reach)."""
    if not isinstance(path, Path) or not path.is_file():
        return False
    try:
        with open(path, "rb") as f:
            f.read(1)
    except OSError:
        return False
    try:
        sniff(path)
    except SourceFormatError:
        return True
    return False


def ingest_file(
    store: Store,
    path: str | Path,
    format: str | None = None,
    strict: bool = False,
    dataset: str | None = None,
    progress: Callable[[Path, int], Callable[[int], None]] | None = None,
    as_new: bool = False,
    max_reject_share: float | None = None,
) -> IngestResult:
    """Read one file into the store. Raises ``SourceFormatError`` for an unreadable file.

    Rows whose natural key an earlier run of the same dataset stored supersede them (the
    earlier rows move to ``<table>_superseded``); ``as_new`` keeps both. A file with more
    than ``max_reject_share`` (default: setting ``TRANSSHIP_MAX_REJECT_SHARE``) of its rows
    rejected fails and stores nothing (docs/store.md)."""
    share = reject_share_limit(max_reject_share)
    path = Path(path)
    source = locate(path)  # a file, or a zip member named archive.zip/member
    if source.member is not None:
        note = _member_skip(source, format)
        if note is not None:
            log.debug("%s: skipped, %s", path, note)
            return IngestResult(str(path), None, None, None, 0, 0, "skipped", note)
    try:
        reader_cls: type[Reader] = get_reader(format) if format else sniff(source)
        sha = content_sha256(source)
    except SourceFormatError as exc:  # failed before a run began: record it all the same
        _log_unread(store, path, format, dataset, exc.message)
        raise
    previous = store.source_run(sha)
    if previous is not None:
        log.debug("%s: already loaded by run %d, skipped", path, previous[0])
        return IngestResult(
            str(path),
            reader_cls.name,
            sha,
            previous[0],
            0,
            0,
            "skipped",
            f"same content as run {previous[0]}",
        )
    run_id = store.next_run_id()
    on_progress = progress(path, source.packed_size) if progress else None
    ctx = ReadContext(
        path=path,
        sha256=sha,
        run_id=run_id,
        strict=strict,
        batch_rows=settings.batch_rows(),
        dataset=dataset,
        on_progress=on_progress,
        source=source,
    )
    started = now()
    reader = reader_cls()
    loaded = rejected = 0
    try:
        with store.transaction():
            with store.single_thread():
                tally = _load(store, reader, ctx, share)
            revision = revise(store, reader, ctx, as_new=as_new, ordered=tally.ordered)
            loaded = tally.loaded - revision.removed
            rejected = tally.rejected + revision.duplicates
            merged = sorted([*tally.first, *revision.sample], key=lambda r: r.line or 0)
            tally.first = merged[:SHARE_QUOTE]
            _check_share(ctx, loaded, rejected, share, tally.first)
            row = _run_row(run_id, path, sha, reader, ctx, started, loaded, rejected)
            row = row.append_column(
                "supersedes", pa.array([revision.supersedes or None], pa.list_(pa.int64()))
            )
            row = row.append_column(
                "rows_superseded", pa.array([revision.rows_superseded], pa.int64())
            )
            row = row.append_column("as_new", pa.array([as_new], pa.bool_()))
            store.append("ingest_runs", row)
            if not store.fetchall("SELECT 1 FROM sources WHERE sha256 = ?", [sha]):
                store.execute(
                    "INSERT INTO sources (sha256, path, format, dataset, size_bytes, simulated, "
                    "first_seen, attribution, archive_sha256, member, encoding) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        sha,
                        str(path),
                        reader.name,
                        ctx.dataset or reader.dataset,
                        source.size,
                        ctx.simulated,
                        now(),
                        reader.attribution,
                        source.archive_sha256(),
                        source.member,
                        source.encoding,
                    ],
                )
    except (UnicodeDecodeError, pa.ArrowInvalid, ValueError) as exc:
        err = SourceFormatError(path, _short(exc))
        _log_failed(store, run_id, path, sha, reader, ctx, started, err.message)
        raise err from exc
    except TransshipError as exc:
        _log_failed(store, run_id, path, sha, reader, ctx, started, exc.message)
        raise
    finally:
        ctx.close()
    if rejected:
        log.debug(  # debug: the caller (the CLI) says it, once per file
            "%s: %d rows loaded, %d rejected (see `transship rejects --run %d`)",
            path,
            loaded,
            rejected,
            run_id,
        )
    else:
        log.debug("%s: %d rows loaded", path, loaded)
    if revision.rows_superseded:
        log.debug(
            "%s: %d rows of runs %s superseded",
            path,
            revision.rows_superseded,
            ", ".join(map(str, revision.supersedes)),
        )
    return IngestResult(
        str(path),
        reader.name,
        sha,
        run_id,
        loaded,
        rejected,
        "ok",
        rows_superseded=revision.rows_superseded,
        supersedes=revision.supersedes,
    )


_RUN_SCHEMA = pa.schema(
    [
        ("run_id", pa.int64()),
        ("file", pa.string()),
        ("sha256", pa.string()),
        ("format", pa.string()),
        ("dataset", pa.string()),
        ("started", pa.timestamp("us")),
        ("finished", pa.timestamp("us")),
        ("rows_loaded", pa.int64()),
        ("rows_rejected", pa.int64()),
        ("status", pa.string()),
        ("message", pa.string()),
    ]
)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, UnicodeDecodeError):
        return f"bad encoding: {exc.reason} at byte {exc.start} (expected {exc.encoding})"
    return text[:300]


def _log_unread(
    store: Store, path: Path, format: str | None, dataset: str | None, message: str
) -> None:
    """Record a file that failed before its run began (no reader recognises it, it cannot be
    read), so `transship runs` lists every file that failed, not only those failing mid-load."""
    try:
        sha = file_sha256(path)
    except SourceFormatError:
        sha = ""  # unreadable: the run row still names the file and why
    started = now()
    try:
        with store.transaction():
            row = {
                "run_id": [store.next_run_id()],
                "file": [str(path)],
                "sha256": [sha],
                "format": [format],
                "dataset": [dataset],
                "started": [started],
                "finished": [now()],
                "rows_loaded": [0],
                "rows_rejected": [0],
                "status": ["failed"],
                "message": [message],
            }
            store.append("ingest_runs", pa.table(row, schema=_RUN_SCHEMA))
    except TransshipError:  # pragma: no cover - the original error matters more
        log.exception("could not log failed run")


def _log_failed(
    store: Store,
    run_id: int,
    path: Path,
    sha: str,
    reader: Reader,
    ctx: ReadContext,
    started: Any,
    message: str,
) -> None:
    """Record a failed run after the rollback, so `transship runs` shows it."""
    try:
        with store.transaction():
            store.append(
                "ingest_runs",
                _run_row(run_id, path, sha, reader, ctx, started, 0, 0, "failed", message),
            )
    except TransshipError:  # pragma: no cover - the original error matters more
        log.exception("could not log failed run")


def _run_row(
    run_id: int,
    path: Path,
    sha: str,
    reader: Reader,
    ctx: ReadContext,
    started: Any,
    loaded: int,
    rejected: int,
    status: str = "ok",
    message: str | None = None,
) -> pa.Table:
    """One ``ingest_runs`` row."""
    return pa.table(
        {
            "run_id": [run_id],
            "file": [str(path)],
            "sha256": [sha],
            "format": [reader.name],
            "dataset": [ctx.dataset or reader.dataset],
            "started": [started],
            "finished": [now()],
            "rows_loaded": [loaded],
            "rows_rejected": [rejected],
            "status": [status],
            "message": [message],
        },
        schema=_RUN_SCHEMA,
    )


class _Prefetch:
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
class _Tally:
    """Counts of one file's load, and its first rejects (quoted when the file fails)."""

    loaded: int = 0
    rejected: int = 0
    first: list[Reject] = field(default_factory=list)
    #: Keyed tables whose rows came in strictly increasing key order (``revisions.KeyOrder``).
    ordered: frozenset[str] = frozenset()
    #: Fact rows and rejects the reader yielded (counted in its thread, ahead of the store).
    yielded_rows: int = 0
    yielded_rejects: int = 0


def _load(store: Store, reader: Reader, ctx: ReadContext, share: float = 1.0) -> _Tally:
    tally = _Tally()
    ctx.stop_reading = _stopper(ctx, tally, share)
    with _Prefetch(_counted(reader.read(ctx), tally)) as items:
        return _load_items(store, reader, ctx, items, share, tally)


def _counted(items: Iterator[Rows | Reject], tally: _Tally) -> Iterator[Rows | Reject]:
    """Count what the reader yields, in its own thread (for :func:`_stopper`)."""
    for item in items:
        if isinstance(item, Reject):
            tally.yielded_rejects += 1
        elif item.facts:
            tally.yielded_rows += item.data.num_rows
        yield item


def _stopper(ctx: ReadContext, tally: _Tally, share: float) -> Callable[[list[Reject]], str | None]:
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
    tally: _Tally | None = None,
) -> _Tally:
    tally = tally if tally is not None else _Tally()
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
                _check_share(ctx, tally.loaded, tally.rejected, share, tally.first, early=True)
        else:
            order.see(item.table, item.data)
            stored = _append_rows(store, reader, ctx, item)
            tally.loaded += stored if item.facts else 0
    _flush_rejects(store, ctx, pending)
    tally.ordered = order.ordered
    return tally


def _check_share(
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


def iter_lines_numbered(lines: Iterable[str], start: int = 1) -> Iterator[tuple[int, str]]:
    """(line number, text) pairs, 1-based, for readers that go line by line."""
    return enumerate(lines, start)
