"""The ``ingest_runs`` rows: one per run of a file, ``ok`` or ``failed``, so that
`transship runs` lists every file that was tried. A failure is recorded after the file's
transaction rolled back, in a transaction of its own (``transship.ingest.pipeline``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pyarrow as pa

from transship.exc import SourceFormatError, TransshipError
from transship.ingest.archive import file_sha256
from transship.ingest.base import ReadContext, Reader
from transship.store import Store
from transship.store.db import now

log = logging.getLogger("transship.ingest.pipeline")  # split from it; same logger


RUN_SCHEMA = pa.schema(
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


def log_unread(
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
            store.append("ingest_runs", pa.table(row, schema=RUN_SCHEMA))
    except TransshipError:  # pragma: no cover - the original error matters more
        log.exception("could not log failed run")


def log_failed(
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
                run_row(run_id, path, sha, reader, ctx, started, 0, 0, "failed", message),
            )
    except TransshipError:  # pragma: no cover - the original error matters more
        log.exception("could not log failed run")


def run_row(
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
        schema=RUN_SCHEMA,
    )
