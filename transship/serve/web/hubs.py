"""Hubs: which territories pass a product on, as a sortable, filterable table with each
indicator explained, a chart per territory, and a page per score with its evidence rows."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from transship.report.views.flows import hub_detail, hubs_view
from transship.serve.web.common import cached, page, render, strip_json, twin

router = APIRouter()

Text = Annotated[str | None, Query(max_length=64)]


@twin(router, "/hubs")
@page
async def hubs(
    request: Request,
    product: Text = "93",
    years: Text = None,
    dataset: Text = None,
    kind: Text = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 100,
) -> Response:
    key = ("hubs", product, years, dataset, kind, limit)
    data: dict[str, Any] = await cached(
        request,
        key,
        lambda store: hubs_view(
            store, product=product, years=years, dataset=dataset, kind=kind, limit=limit
        ),
    )
    embed = {"series": data["series"], "indicators": {k: {} for k in data["indicators"]}}
    return render(request, "hubs.html", data, title="Hubs", embed=embed)


@twin(router, "/hubs/{iso3}/{product}/{year}")
@page
async def hub(
    request: Request,
    iso3: str,
    product: str,
    year: str,
    dataset: Text = None,
) -> Response:
    from transship.exc import InvalidInput

    y = strip_json(year)
    if not y.isdigit():
        raise InvalidInput(f"not a year: {y!r}")
    key = ("hub", iso3, product, y, dataset)
    data: dict[str, Any] = await cached(
        request, key, lambda store: hub_detail(store, iso3, product, int(y), dataset)
    )
    label = data["hub"]["label"]
    return render(
        request, "hub.html", data, title=f"Hub score: {label}, {data['hub']['product']}, {y}"
    )
