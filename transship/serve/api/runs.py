"""Ingest runs, their rejected rows, the source files and the store's tables.

The same queries as `transship runs`, `rejects` and `tables`, with pages; every value is a
query parameter, never SQL text.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from transship.exc import NotFound
from transship.serve.deps import Format, Offset, Server, limit_param
from transship.serve.models import Page, RejectItem, RunItem, SourceItem, TableItem, page_responses
from transship.serve.responses import counted_page, sliced_page
from transship.store import Store

router = APIRouter(tags=["runs"])

RUNS_SQL = (
    "SELECT run_id, file, sha256, format, dataset, started, finished, rows_loaded, rows_rejected, "
    "supersedes, rows_superseded, (SELECT list(l.run_id ORDER BY l.run_id) FROM ingest_runs l "
    "WHERE list_contains(l.supersedes, r.run_id)) AS superseded_by, status, message "
    "FROM ingest_runs r ORDER BY run_id LIMIT ? OFFSET ?"
)


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return table.to_pylist()  # type: ignore[no-any-return]


def _count(store: Store, sql: str, params: list[Any] | None = None) -> int:
    return int(store.fetchall(sql, params or [])[0][0])


@router.get(
    "/api/runs",
    response_model=Page[RunItem],
    responses=page_responses(422, 503),
    summary="Ingest runs",
)
async def runs(
    request: Request,
    server: Server,
    offset: Offset = 0,
    fmt: Format = "json",
    limit: int = limit_param(100),
) -> Response:
    """Every file ever read: sha256, format, dataset, rows loaded and rejected, status, and
    which runs a revised release superseded (`transship runs`)."""

    def read(store: Store) -> tuple[list[dict[str, Any]], int]:
        rows = _rows(store.query(RUNS_SQL, [limit, offset]))
        return rows, _count(store, "SELECT count(*) FROM ingest_runs")

    rows, total = await server.read(read)
    return counted_page(
        request.url,
        rows,
        limit=limit,
        offset=offset,
        total=total,
        fmt=fmt,
        filename="runs",
        model=RunItem,
    )


@router.get(
    "/api/runs/{run_id}/rejects",
    response_model=Page[RejectItem],
    responses=page_responses(404, 422, 503, described={404: "No such run."}),
    summary="Rejected rows of a run",
)
async def rejects(
    request: Request,
    server: Server,
    run_id: int = Path(ge=0, le=2**62, description="The run (see /api/runs)."),
    offset: Offset = 0,
    fmt: Format = "json",
    limit: int = limit_param(1000),
) -> Response:
    """Rejected rows of one run with file, line, column, reason and the raw text
    (`transship rejects --run`)."""

    def read(store: Store) -> tuple[list[dict[str, Any]], int]:
        if not store.fetchall("SELECT 1 FROM ingest_runs WHERE run_id = ?", [run_id]):
            raise NotFound(f"no run {run_id} (see /api/runs)")
        rows = _rows(
            store.query(
                'SELECT run_id, file, line, "column", reason, raw FROM rejects WHERE run_id = ? '
                "ORDER BY line NULLS FIRST LIMIT ? OFFSET ?",
                [run_id, limit, offset],
            )
        )
        return rows, _count(store, "SELECT count(*) FROM rejects WHERE run_id = ?", [run_id])

    rows, total = await server.read(read)
    return counted_page(
        request.url,
        rows,
        limit=limit,
        offset=offset,
        total=total,
        fmt=fmt,
        filename=f"rejects-run-{run_id}",
        model=RejectItem,
    )


@router.get(
    "/api/sources",
    response_model=Page[SourceItem],
    responses=page_responses(422, 503),
    summary="Source files",
)
async def sources(
    request: Request,
    server: Server,
    offset: Offset = 0,
    fmt: Format = "json",
    limit: int = limit_param(100),
) -> Response:
    """Every file the store holds rows of, by content hash: path, format, dataset, size,
    simulated or not, its attribution line, and the archive it was packed in."""

    def read(store: Store) -> tuple[list[dict[str, Any]], int]:
        rows = _rows(
            store.query(
                "SELECT s.sha256, s.path, s.format, s.dataset, s.size_bytes, s.simulated, "
                "s.first_seen, s.attribution, s.archive_sha256, s.member, s.encoding, "
                "(SELECT list(r.run_id ORDER BY r.run_id) FROM ingest_runs r "
                "WHERE r.sha256 = s.sha256 AND r.status = 'ok') AS runs "
                "FROM sources s ORDER BY s.first_seen, s.sha256 LIMIT ? OFFSET ?",
                [limit, offset],
            )
        )
        return rows, _count(store, "SELECT count(*) FROM sources")

    rows, total = await server.read(read)
    return counted_page(
        request.url,
        rows,
        limit=limit,
        offset=offset,
        total=total,
        fmt=fmt,
        filename="sources",
        model=SourceItem,
    )


@router.get(
    "/api/tables",
    response_model=Page[TableItem],
    responses=page_responses(422, 503),
    summary="Tables and row counts",
)
async def tables(
    request: Request,
    server: Server,
    offset: Offset = 0,
    fmt: Format = "json",
    limit: int = limit_param(1000),
) -> Response:
    """The store's tables and views with row counts, and how many rows are SIMULATED where
    the table says (`transship tables`; empty revision history left out)."""

    async def build() -> Response:

        def read(store: Store) -> list[dict[str, Any]]:
            out = []
            for name in store.tables():
                if name.startswith("_"):
                    continue
                n = store.count(name)
                if not n and "_superseded" in name:
                    continue
                simulated = None
                if "simulated" in store.columns(name) and n:
                    simulated = _count(store, f'SELECT count(*) FROM "{name}" WHERE simulated')
                out.append({"table": name, "rows": n, "simulated": simulated})
            return out

        every = await server.cached_read(("tables",), read)
        return sliced_page(
            request.url, every, limit=limit, offset=offset, fmt=fmt, filename="tables"
        )

    return await server.respond_cached(request, build)
