"""Search over territories, products, records' party and goods text and sources (later
stages add parties, claims and documents to :func:`transship.report.views.records.search`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from transship.report.views.records import search as search_store
from transship.serve.web.common import page, read, render, twin

router = APIRouter()


@twin(router, "/search")
@page
async def search(request: Request, q: Annotated[str, Query(max_length=200)] = "") -> Response:
    data: dict[str, Any] = await read(request, lambda store: search_store(store, q))
    return render(request, "search.html", data, title=f"Search: {q}" if q else "Search")
