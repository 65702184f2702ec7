"""Territories: the list of territories in the store's flows, and a page per territory
(flows in and out by year and product, partners, hub and mirror record, sources)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from transship.report.views.common import has_table, place, rows
from transship.report.views.territory import territory_view
from transship.serve.api.territories import brief_evidence
from transship.serve.responses import attachment
from transship.serve.web.common import HEADERS, cached, page, read, render, strip_json, twin
from transship.store import Store

router = APIRouter()

Text = Annotated[str | None, Query(max_length=64)]


def _index(store: Store) -> dict[str, Any]:
    if not has_table(store, "trade_flows"):
        return {"territories": [], "simulated": False}
    found = rows(
        store,
        "SELECT code, sum(n) AS rows, bool_or(sim) AS simulated FROM ("
        "SELECT reporter AS code, count(*) AS n, bool_or(simulated) AS sim FROM trade_flows "
        "GROUP BY 1 UNION ALL SELECT partner, count(*), bool_or(simulated) FROM trade_flows "
        "WHERE NOT partner_is_world AND NOT partner_is_area GROUP BY 1) "
        "WHERE code IS NOT NULL GROUP BY 1 ORDER BY 2 DESC",
    )
    for r in found:
        r.update(place(str(r["code"])).to_dict())
    found.sort(key=lambda r: str(r["name"]))
    return {"territories": found, "simulated": any(r["simulated"] for r in found)}


@twin(router, "/territories")
@page
async def territories(request: Request) -> Response:
    data = await cached(request, "territories", _index)
    return render(request, "territories.html", data, title="Territories")


# The exports first: the page's path parameter would take ``SRB.gexf`` whole.
@router.get("/territories/{iso3}.gexf", include_in_schema=False)
@router.get("/territories/{iso3}.graphml", include_in_schema=False)
@page
async def territory_export(
    request: Request, iso3: str, product: Text = None, dataset: Text = None
) -> Response:
    from transship.report.graph import gexf, graphml, territory_graph

    fmt = "gexf" if request.url.path.endswith(".gexf") else "graphml"
    graph = await read(request, lambda store: territory_graph(store, iso3, product, dataset))
    body = gexf(graph) if fmt == "gexf" else graphml(graph)
    return attachment(body, "application/xml", f"territory-{place(iso3).iso3}.{fmt}", **HEADERS)


def _view(store: Store, code: str, product: str | None, dataset: str | None) -> dict[str, Any]:
    """The territory's view, its hub rows counting their evidence instead of listing it (the
    page links each to its hub page, which lists the record ids; the list made the page's
    JSON twin megabytes: 2.4 MB for the United States on the demo store)."""
    data = territory_view(store, code, product, dataset)
    return {**data, "hubs": brief_evidence(data["hubs"])}


@twin(router, "/territories/{iso3}")
@page
async def territory(
    request: Request, iso3: str, product: Text = None, dataset: Text = None
) -> Response:
    code = strip_json(iso3)
    key = ("territory", code.upper(), product, dataset)
    data: dict[str, Any] = await cached(
        request, key, lambda store: _view(store, code, product, dataset)
    )
    embed = {
        "by_year": data["by_year"],
        "hubs": [{k: h.get(k) for k in ("year", "product", "score")} for h in data["hubs"]],
    }
    return render(request, "territory.html", data, title=data["territory"]["label"], embed=embed)
