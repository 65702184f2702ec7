"""Mirror gaps: what exporters say they sent against what importers say they received,
scored, as a sortable, filterable table with each column explained and a chart per
territory."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from transship.report.views.flows import mirror_view
from transship.serve.web.common import cached, page, render, twin

router = APIRouter()

Text = Annotated[str | None, Query(max_length=64)]


@twin(router, "/mirror")
@page
async def mirror(
    request: Request,
    product: Text = "93",
    years: Text = None,
    reporter: Text = None,
    partner: Text = None,
    dataset: Text = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 100,
) -> Response:
    key = ("mirror", product, years, reporter, partner, dataset, limit)
    data: dict[str, Any] = await cached(
        request,
        key,
        lambda store: mirror_view(
            store,
            product=product,
            years=years,
            reporter=reporter,
            partner=partner,
            dataset=dataset,
            limit=limit,
        ),
    )
    return render(
        request, "mirror.html", data, title="Mirror gaps", embed={"series": data["series"]}
    )
