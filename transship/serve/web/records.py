"""A record page for any record id: the stored row, its statements, the file (name,
sha256, format, licence) and the line it came from."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from transship.report.views.records import record_view
from transship.serve.web.common import page, read, render, strip_json, twin

router = APIRouter()


@twin(router, "/records/{record_id}")
@page
async def record(request: Request, record_id: str) -> Response:
    rid = strip_json(record_id)
    data: dict[str, Any] = await read(request, lambda store: record_view(store, rid))
    return render(request, "record.html", data, title=f"Record {data['record_id']}")
