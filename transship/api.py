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


def records(
    store: Store,
    cls: type[R],
    where: str = "true",
    params: list[object] | None = None,
    limit: int = 10_000,
) -> list[R]:
    """Typed records from ``cls.TABLE`` (e.g. ``records(store, TradeFlow, "reporter_iso3 = ?", ["SRB"])``)."""
    table = store.query(f'SELECT * FROM "{cls.TABLE}" WHERE {where} LIMIT {int(limit)}', params)
    return [cls.from_row(row) for row in table.to_pylist()]
