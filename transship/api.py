"""The small public Python API: open a store, ingest files, query as Arrow or pandas."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa

from transship.ingest.pipeline import IngestResult, ingest_paths
from transship.store import Store, connect


def open_store(path: str | Path | None = None, read_only: bool = False) -> Store:
    """Open (creating and migrating if needed) the DuckDB store at ``path``.

    ``path`` defaults to ``TRANSSHIP_DB`` or ``./transship.duckdb``; ``":memory:"`` works too.
    """
    return connect(path, read_only=read_only)


def ingest(
    store: Store,
    paths: Iterable[str | Path] | str | Path,
    format: str | None = None,
    strict: bool = False,
    dataset: str | None = None,
) -> list[IngestResult]:
    """Ingest files (or folders) into ``store``; one :class:`IngestResult` per file."""
    if isinstance(paths, str | Path):
        paths = [paths]
    return ingest_paths(store, paths, format=format, strict=strict, dataset=dataset)


def query(store: Store, sql: str) -> pa.Table:
    """Run SQL on the store and return an Arrow table (``.to_pandas()`` for a DataFrame)."""
    return store.query(sql)
