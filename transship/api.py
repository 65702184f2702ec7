"""The small public Python API: open a store, ingest files, query as Arrow or pandas."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

import pyarrow as pa

from transship.ingest.pipeline import IngestResult, ingest_paths
from transship.model.records import Record
from transship.store import Store, connect

R = TypeVar("R", bound=Record)


def open_store(path: str | Path | None = None, read_only: bool = False) -> Store:
    """Open the DuckDB store at ``path`` for this session, without locking it yet.

    ``path`` defaults to ``TRANSSHIP_DB`` or ``./transship.duckdb``; ``":memory:"`` works too.
    Nothing is opened until used: reads open the file read-only, the first write (``ingest``)
    creates or migrates it read-write, and the file is released again when idle, so an open
    notebook never stops an ingest in another process (docs/store.md, "Process model"). A path
    with no store is NotFound for reads; it becomes a store at the first write. Use
    ``with open_store(...) as store:`` to keep the file open across many calls.
    """
    return connect(path, read_only=read_only, lazy=True)


def ingest(
    store: Store,
    paths: Iterable[str | Path] | str | Path,
    format: str | None = None,
    strict: bool = False,
    dataset: str | None = None,
    as_new: bool = False,
    max_reject_share: float | None = None,
) -> list[IngestResult]:
    """Ingest files (or folders) into ``store``; one :class:`IngestResult` per file.

    A later file of the same dataset supersedes the stored rows with its natural keys
    (``as_new=True`` keeps both); a file with more than ``max_reject_share`` of its rows
    rejected (default: setting ``TRANSSHIP_MAX_REJECT_SHARE``) fails and stores nothing."""
    if isinstance(paths, str | Path):
        paths = [paths]
    # One write lock for the whole call: the reads that decide each file's run (already
    # loaded? which run id?) and its write see the same store.
    with store.writing():
        return ingest_paths(
            store,
            paths,
            format=format,
            strict=strict,
            dataset=dataset,
            as_new=as_new,
            max_reject_share=max_reject_share,
        )


def query(store: Store, sql: str) -> pa.Table:
    """Run one read-only SQL statement on the store and return an Arrow table
    (``.to_pandas()`` for a DataFrame).

    The statement may only read: it is checked with DuckDB's parser and run on a read-only
    connection with file access off (no COPY, ATTACH, read_csv...). Data changes only
    through the named functions (``ingest``...). Raises InvalidInput otherwise."""
    return store.query_readonly(sql)


def records(
    store: Store,
    cls: type[R],
    where: str = "true",
    params: list[object] | None = None,
    limit: int = 10_000,
) -> list[R]:
    """Typed records from ``cls.TABLE`` (e.g. ``records(store, TradeFlow, "reporter_iso3 = ?", ["SRB"])``)."""
    # ``where`` is the caller's text: run it through the same read-only path as ``query``.
    table = store.query_readonly(
        f'SELECT * FROM "{cls.TABLE}" WHERE {where} LIMIT {int(limit)}', params
    )
    return [cls.from_row(row) for row in table.to_pylist()]
