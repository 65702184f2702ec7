"""Ingest what `transship fetch` downloaded, and record where each file came from.

The fetch stage writes files and a manifest and never touches the store; this module runs the
ordinary pipeline over those files (same readers, revisions and rejects as `transship
ingest`) and adds one ``fetches`` row per file (migration 0012), keyed by the sha256
``sources`` carries, so `transship sources` and a record's provenance name the URL or API
call behind it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from transship.fetch.manifest import Entry
from transship.ingest.pipeline import IngestResult, ingest_paths
from transship.store import Store


def record(store: Store, folder: Path, entries: Sequence[Entry]) -> int:
    """Add (or refresh) the ``fetches`` rows of ``entries``; returns how many."""
    if not entries:
        return 0
    rows = pa.table(
        {
            "sha256": [e.sha256 for e in entries],
            "source": [e.source for e in entries],
            "file": [str((folder / e.file).resolve()) for e in entries],
            "url": [e.url for e in entries],
            "params": [json.dumps(e.params, sort_keys=True) for e in entries],
            "fetched_at": [datetime.strptime(e.fetched_at, "%Y-%m-%dT%H:%M:%SZ") for e in entries],
            "size_bytes": pa.array([e.size_bytes for e in entries], pa.int64()),
            "rows": pa.array([e.rows for e in entries], pa.int64()),
            "licence": [e.licence for e in entries],
        }
    )
    with store.transaction():
        for e in entries:
            store.execute(
                "DELETE FROM fetches WHERE sha256 = ? AND file = ?",
                [e.sha256, str((folder / e.file).resolve())],
            )
        store.append("fetches", rows)
    return len(entries)


def retire_missing(store: Store, dataset: str, run_id: int) -> int:
    """A fetched list is a snapshot: entities of ``dataset`` that earlier runs stored and the
    new version (run ``run_id``) no longer lists are moved to ``entities_superseded`` (with
    ``superseded_by``), so `entities_current`, screening and party pages stop showing a
    delisted entity; their statements stay as the history. Returns the rows moved."""
    cols = ", ".join(f'"{c}"' for c in store.columns("entities"))
    where = (
        "dataset = ? AND run_id <> ? AND id NOT IN "
        "(SELECT id FROM entities WHERE dataset = ? AND run_id = ?)"
    )
    params = [dataset, run_id, dataset, run_id]
    with store.transaction():
        [(n,)] = store.fetchall(f"SELECT count(*) FROM entities WHERE {where}", params)
        if n:
            store.execute(
                f"INSERT INTO entities_superseded ({cols}, superseded_by) "
                f"SELECT {cols}, {int(run_id)} FROM entities WHERE {where}",
                params,
            )
            store.execute(f"DELETE FROM entities WHERE {where}", params)
    return int(n)


def ingest_fetched(
    store: Store,
    folder: Path,
    entries: Sequence[Entry],
    format: str | None = None,
    dataset: str | None = None,
    progress: Callable[[Path, int], Callable[[int], None]] | None = None,
) -> list[IngestResult]:
    """Record ``entries`` and ingest their files (those with rows; an empty answer is kept
    in the folder and the manifest but has nothing to load)."""
    record(store, folder, entries)
    files = [folder / e.file for e in entries if e.rows is None or e.rows > 0]
    if not files:
        return []
    results = ingest_paths(store, files, format=format, dataset=dataset, progress=progress)
    if format == "ftm" and dataset:
        for r in results:
            if r.status == "ok" and r.run_id is not None:
                r.rows_superseded += retire_missing(store, dataset, r.run_id)
    return results


def fetched_sources(store: Store) -> list[dict[str, Any]]:
    """`transship sources`: every source file in the store, with where it was fetched from
    (NULL for a file a user ingested by hand)."""
    table = store.query(
        """
        SELECT s.path, s.format, s.dataset, s.sha256, s.size_bytes, s.first_seen,
               s.simulated, s.attribution, f.source AS fetched_by, f.url, f.params,
               f.fetched_at, f.licence
        FROM sources s
        LEFT JOIN fetches f ON f.sha256 = coalesce(s.archive_sha256, s.sha256)
        ORDER BY s.first_seen, s.path
        """
    )
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


__all__ = ["fetched_sources", "ingest_fetched", "record", "retire_missing"]
