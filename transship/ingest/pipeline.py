"""Run a reader over a file and write what it yields into the store, all or nothing.

* Atomic per file: everything happens in one DuckDB transaction; a failure or a killed
  process leaves the store as it was (a failed run is then logged on its own).
* Idempotent: a file whose content (sha256) was already loaded is skipped.
* Lenient by default: bad rows go to ``rejects``; ``strict`` stops at the first one.
* Streaming: readers yield bounded batches, so memory stays flat as files grow.

The loop between reader and store is ``transship.ingest.loading``; the ``ingest_runs`` rows
are ``transship.ingest.runlog``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from transship import settings
from transship.exc import SourceFormatError, TransshipError
from transship.ingest import archive
from transship.ingest.archive import Source, content_sha256, locate
from transship.ingest.base import ReadContext, Reader
from transship.ingest.loading import SHARE_EARLY_ROWS as SHARE_EARLY_ROWS  # re-exported
from transship.ingest.loading import SHARE_QUOTE, check_share, load, reject_share_limit
from transship.ingest.registry import get_reader, read_head, sniff
from transship.ingest.revisions import revise
from transship.ingest.runlog import log_failed, log_unread, run_row
from transship.store import Store
from transship.store.db import now

log = logging.getLogger(__name__)
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
        log_unread(store, path, format, dataset, exc.message)
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
                tally = load(store, reader, ctx, share)
            revision = revise(store, reader, ctx, as_new=as_new, ordered=tally.ordered)
            loaded = tally.loaded - revision.removed
            rejected = tally.rejected + revision.duplicates
            merged = sorted([*tally.first, *revision.sample], key=lambda r: r.line or 0)
            tally.first = merged[:SHARE_QUOTE]
            check_share(ctx, loaded, rejected, share, tally.first)
            row = run_row(run_id, path, sha, reader, ctx, started, loaded, rejected)
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
        log_failed(store, run_id, path, sha, reader, ctx, started, err.message)
        raise err from exc
    except TransshipError as exc:
        log_failed(store, run_id, path, sha, reader, ctx, started, exc.message)
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


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, UnicodeDecodeError):
        return f"bad encoding: {exc.reason} at byte {exc.start} (expected {exc.encoding})"
    return text[:300]


def iter_lines_numbered(lines: Iterable[str], start: int = 1) -> Iterator[tuple[int, str]]:
    """(line number, text) pairs, 1-based, for readers that go line by line."""
    return enumerate(lines, start)
