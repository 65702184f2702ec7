"""The report (``transship report``) of the served store, as one self-contained HTML file
to save or print: the same figures the pages show, drawn as inline SVG."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import HTMLResponse, Response

from transship.serve.web.common import HEADERS, cached, page
from transship.store import Store

router = APIRouter()

Text = Annotated[str | None, Query(max_length=64)]


@router.get("/report.html", include_in_schema=False)
@page
async def report(
    request: Request,
    origin: Text = None,
    destination: Text = None,
    product: Text = None,
    break_date: Annotated[str | None, Query(alias="break", max_length=16)] = None,
    dataset: Text = None,
) -> Response:
    from transship.report.html import render_report, report_data

    def build(store: Store) -> str:
        data = report_data(
            store,
            origin=origin,
            destination=destination,
            product=product,
            break_date=break_date,
            dataset=dataset,
        )
        return render_report(data)

    key = ("report", origin, destination, product, break_date, dataset)
    text: str = await cached(request, key, build)
    return HTMLResponse(
        text,
        headers={**HEADERS, "Content-Disposition": 'inline; filename="transship-report.html"'},
    )
