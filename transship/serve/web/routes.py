"""Routes: a Sankey diagram and a map of the ranked paths, drill-down from a band or a leg
to the evidence rows behind it (file and line), and exports for Gephi (GEXF, GraphML)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from transship.exc import NotFound
from transship.report.views.flows import compute_routes, leg_view, route_query, routes_view
from transship.serve.responses import attachment
from transship.serve.web.common import HEADERS, cached, page, read, render, twin
from transship.store import Store

router = APIRouter()

Text = Annotated[str | None, Query(max_length=64)]


def _query(
    origin: str | None,
    destination: str | None,
    product: str | None,
    years: str | None,
    break_date: str | None,
    dataset: str | None,
    max_hops: int,
    limit: int,
) -> dict[str, Any]:
    return route_query(origin, destination, product, years, break_date, dataset, max_hops, limit)


async def _found(request: Request, query: dict[str, Any]) -> list[Any]:
    key = (
        "routes",
        *(
            query.get(k)
            for k in ("origin", "destination", "product", "years", "break", "dataset", "max_hops")
        ),
    )

    def compute(store: Store) -> list[Any]:
        return compute_routes(store, query)

    return await cached(request, key, compute)


@twin(router, "/routes")
@page
async def routes(
    request: Request,
    origin: Text = None,
    destination: Text = None,
    product: Text = None,
    years: Text = None,
    break_date: Annotated[str | None, Query(alias="break", max_length=16)] = None,
    dataset: Text = None,
    max_hops: Annotated[int, Query(ge=1, le=6)] = 3,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> Response:
    query = _query(origin, destination, product, years, break_date, dataset, max_hops, limit)
    if not query["origin"]:
        from transship.serve.web.home import suggestions

        data: dict[str, Any] = {
            "query": query,
            "routes": [],
            "suggestions": await cached(request, "suggestions", suggestions),
            "simulated": False,
        }
        return render(request, "routes.html", data, title="Routes")
    note: str | None = None
    try:
        found = await _found(request, query)
    except NotFound as exc:  # the origin exports nothing (of the product): nothing found
        found, note = [], exc.message
    data = await read(request, lambda store: routes_view(store, query, found))
    data["note"] = note
    title = f"Routes from {data['routes'][0]['path_labels'][0]}" if data["routes"] else "Routes"
    return render(request, "routes.html", data, title=title, embed=_embed(data))


def _embed(data: dict[str, Any]) -> dict[str, Any]:
    """The Sankey and map data without the record ids (the links carry evidence URLs)."""
    sankey = dict(data["sankey"])
    sankey["links"] = [
        {k: v for k, v in link.items() if k not in ("record_ids", "routes")}
        for link in sankey.get("links", [])
    ]
    return {"sankey": sankey, "map": data["map"]}


@twin(router, "/routes/leg")
@page
async def leg(
    request: Request,
    origin: Text = None,
    destination: Text = None,
    product: Text = None,
    years: Text = None,
    break_date: Annotated[str | None, Query(alias="break", max_length=16)] = None,
    dataset: Text = None,
    max_hops: Annotated[int, Query(ge=1, le=6)] = 3,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    source: Annotated[str, Query(alias="from", max_length=16)] = "",
    target: Annotated[str, Query(alias="to", max_length=16)] = "",
) -> Response:
    query = _query(origin, destination, product, years, break_date, dataset, max_hops, limit)
    found = await _found(request, query)
    data = await read(request, lambda store: leg_view(store, query, found, source, target))
    title = f"Leg {data['leg']['from_label']} → {data['leg']['to_label']}: evidence"
    return render(request, "leg.html", data, title=title)


async def _graph(request: Request, query: dict[str, Any], fmt: str) -> Response:
    from transship.report.graph import gexf, graphml, routes_graph

    found = await _found(request, query)
    graph = await read(request, lambda store: routes_graph(store, found[: query["limit"]], query))
    body = gexf(graph) if fmt == "gexf" else graphml(graph)
    return attachment(body, "application/xml", f"routes-{query['origin']}.{fmt}", **HEADERS)


@router.get("/routes.gexf", include_in_schema=False)
@router.get("/routes.graphml", include_in_schema=False)
@page
async def routes_export(
    request: Request,
    origin: Text = None,
    destination: Text = None,
    product: Text = None,
    years: Text = None,
    break_date: Annotated[str | None, Query(alias="break", max_length=16)] = None,
    dataset: Text = None,
    max_hops: Annotated[int, Query(ge=1, le=6)] = 3,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> Response:
    query = _query(origin, destination, product, years, break_date, dataset, max_hops, limit)
    fmt = "gexf" if request.url.path.endswith(".gexf") else "graphml"
    return await _graph(request, query, fmt)
