"""Routes: `transship routes` over HTTP, ranked paths origin -> intermediaries -> destination.

The library ranks every path at once (the chains and the resampled intervals are the cost:
seconds on the demo store), so the whole ranking is computed once per query and kept; pages
are slices of it. Each route carries its legs, nodes, indicators and the record ids behind
each leg (follow them with ``/api/records/{record_id}``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from transship.exc import NotFound
from transship.serve.api.flows import require_trade_flows
from transship.serve.deps import (
    DatasetParam,
    Format,
    Offset,
    ProductParam,
    Server,
    YearsParam,
    limit_param,
)
from transship.serve.models import PAGE_RESPONSES, Page, RouteItem
from transship.serve.responses import sliced_page
from transship.store import Store

router = APIRouter(tags=["flows"])


def route_rows(
    store: Store,
    origin: str,
    destination: str | None,
    product: str | None,
    years: str | None,
    break_date: str | None,
    max_hops: int,
    resamples: int,
    seed: int,
    dataset: str | None,
) -> list[dict[str, Any]]:
    """`transship routes --json`, every route (best first); none when the origin exports
    nothing of the product (the CLI says "no routes" and succeeds)."""
    from transship.flows.routes import find_routes
    from transship.store.engine import open_engine

    require_trade_flows(store, dataset)
    engine = open_engine("duckdb", store)
    try:
        found = find_routes(
            engine,
            origin,
            destination,
            product=product,
            years=years,
            break_date=break_date,
            max_hops=max_hops,
            resamples=resamples,
            seed=seed,
            dataset=dataset,
        )
    except NotFound as exc:
        if "no trade flows from" in exc.message:
            return []
        raise
    finally:
        engine.close()
    return [r.to_dict() for r in found]


@router.get(
    "/api/routes",
    response_model=Page[RouteItem],
    responses=PAGE_RESPONSES,
    summary="Routes",
)
async def routes(
    request: Request,
    server: Server,
    origin: Annotated[
        str,
        Query(
            min_length=1,
            max_length=64,
            description="Exporting territory: ISO3, ISO2 or name (e.g. SRB).",
        ),
    ],
    destination: Annotated[
        str | None,
        Query(
            max_length=64,
            description="Only routes ending here (e.g. UKR); all destinations if omitted.",
        ),
    ] = None,
    product: ProductParam = None,
    years: YearsParam = None,
    break_date: Annotated[
        str | None,
        Query(
            alias="break",
            max_length=16,
            description="Break date (YYYY or YYYY-MM) for the surge test, e.g. 2022-02.",
        ),
    ] = None,
    max_hops: Annotated[int, Query(ge=1, le=6, description="Most legs per route (1-6).")] = 3,
    resamples: Annotated[
        int,
        Query(ge=0, le=2000, description="Resamples of the mirror alternatives for the intervals."),
    ] = 200,
    seed: Annotated[int, Query(ge=0, le=2**32 - 1, description="Seed of the resampling.")] = 0,
    dataset: DatasetParam = None,
    offset: Offset = 0,
    fmt: Format = "json",
    limit: int = limit_param(20, "Routes per page, best first"),
) -> Response:
    """Rank the paths origin -> intermediaries -> destination of a product (`transship
    routes`): each route's share of the origin's exports that ends at the destination along
    it, with its interval, USD value, score and indicators (attribution, co-movement, surge
    after `break`, re-exports), each citing the trade_flows record ids behind it."""

    async def build() -> Response:
        key = (
            "routes",
            origin,
            destination,
            product,
            years,
            break_date,
            max_hops,
            resamples,
            seed,
            dataset,
        )
        every = await server.cached_read(
            key,
            lambda s: route_rows(
                s,
                origin,
                destination,
                product,
                years,
                break_date,
                max_hops,
                resamples,
                seed,
                dataset,
            ),
        )
        return sliced_page(
            request.url,
            every,
            limit=limit,
            offset=offset,
            fmt=fmt,
            filename="routes",
            model=RouteItem,
        )

    return await server.respond_cached(request, build)
