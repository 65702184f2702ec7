"""Ingest runs and their rejected lines; the upload form (``POST /api/ingest`` with the
server's token; a read-only server says so instead)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from transship.report.views.records import rejects_view, runs_view
from transship.serve.web.common import page, read, render, server_mode, strip_json, twin

router = APIRouter()


@twin(router, "/runs")
@page
async def runs(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    data: dict[str, Any] = await read(request, lambda store: runs_view(store, limit, offset))
    data["server"] = server_mode(request)
    return render(request, "runs.html", data, title="Ingest runs")


@twin(router, "/runs/{run_id}/rejects")
@page
async def rejects(
    request: Request,
    run_id: str,
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    from transship.exc import InvalidInput

    rid = strip_json(run_id)
    if not rid.isdigit() or len(rid) > 18:
        raise InvalidInput(f"not a run id: {rid!r}")
    data: dict[str, Any] = await read(
        request, lambda store: rejects_view(store, int(rid), limit, offset)
    )
    return render(request, "rejects.html", data, title=f"Rejects of run {rid}")
