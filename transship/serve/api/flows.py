"""Mirror gaps and transshipment hubs: `transship mirror` and `transship hubs` over HTTP.

Same library calls, same parameter names, same checks. An analysis costs seconds (it fits the
whole product/years scope), so its result is computed once per query and kept (see
:class:`transship.serve.state.ResultCache`); pages of it are slices. The library's own
``limit`` (rows best first) is set from the page asked for: the first pages share one
computation of the top :data:`FIRST_FETCH` rows, a page beyond asks for more.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from transship.serve.deps import (
    DatasetParam,
    Format,
    Offset,
    ProductParam,
    Server,
    YearsParam,
    limit_param,
    territory_code,
)
from transship.serve.models import PAGE_RESPONSES, HubItem, MirrorItem, Page
from transship.serve.responses import sliced_page
from transship.store import Store

router = APIRouter(tags=["flows"])
Kind = Literal["conduit", "entrepot"]

#: Rows the first analysis of a query keeps (pages within it cost nothing more).
FIRST_FETCH = 200


def fetch_size(offset: int, limit: int) -> int:
    """Rows to ask the library for so that this page and the fact of a next one are known:
    :data:`FIRST_FETCH`, doubled until it covers ``offset + limit + 1``."""
    need, size = offset + limit + 1, FIRST_FETCH
    while size < need:
        size *= 2
    return size


def require_trade_flows(store: Store, dataset: str | None) -> None:
    """404 when the store holds no trade flows (of ``dataset``): the CLI's rule."""
    from transship.exc import NotFound

    where, params = ("WHERE dataset = ?", [dataset]) if dataset else ("", [])
    if store.fetchall(f"SELECT 1 FROM trade_flows {where} LIMIT 1", params):
        return
    of = f" of dataset {dataset!r}" if dataset else ""
    raise NotFound(f"no trade flows{of} in the store (ingest Comtrade or BACI files first)")


def mirror_rows(
    store: Store,
    product: str | None,
    years: str | None,
    reporter: str | None,
    partner: str | None,
    dataset: str | None,
    limit: int | None,
    min_usd: float | None = None,
) -> list[dict[str, Any]]:
    """`transship mirror --json` rows (the library's columns, record ids in ``evidence``)."""
    from transship.flows.chains import parse_years
    from transship.flows.mirror import mirror_gaps
    from transship.store.engine import open_engine

    span = parse_years(years)
    require_trade_flows(store, dataset)
    engine = open_engine("duckdb", store)
    try:
        table = mirror_gaps(
            engine,
            product=product,
            years=span,
            reporter=reporter,
            partner=partner,
            dataset=dataset,
            limit=limit,
            min_usd=min_usd,
        )
    finally:
        engine.close()
    return table.to_pylist()  # type: ignore[no-any-return]


def hub_rows(
    store: Store,
    product: str | None,
    years: str | None,
    break_year: int | None,
    no_reexports: bool,
    dataset: str | None,
    limit: int | None,
    kind: str = "conduit",
    min_usd: float | None = None,
) -> list[dict[str, Any]]:
    """`transship hubs --json` rows: score, indicators with weights, details, record ids."""
    from transship.flows.chains import parse_years
    from transship.flows.hubs import hub_scores
    from transship.store.engine import open_engine

    span = parse_years(years)
    require_trade_flows(store, dataset)
    engine = open_engine("duckdb", store)
    try:
        found = hub_scores(
            engine,
            product=product,
            years=span,
            dataset=dataset,
            break_year=break_year,
            use_reexports=not no_reexports,
            limit=limit,
            kind=kind,
            min_usd=min_usd,
        )
    finally:
        engine.close()
    return [h.to_dict() for h in found]


@router.get(
    "/api/mirror",
    response_model=Page[MirrorItem],
    responses=PAGE_RESPONSES,
    summary="Mirror gaps",
)
async def mirror(
    request: Request,
    server: Server,
    product: ProductParam = None,
    years: YearsParam = None,
    reporter: Annotated[
        str | None,
        Query(
            max_length=64,
            description="Only pairs with this territory on one side (ISO3, ISO2 or name).",
        ),
    ] = None,
    partner: Annotated[
        str | None, Query(max_length=64, description="... and this one on the other side.")
    ] = None,
    min_usd: Annotated[
        float | None,
        Query(
            ge=0,
            le=1e15,
            description="Only pairs whose larger reported value is at least this many USD.",
        ),
    ] = None,
    dataset: DatasetParam = None,
    offset: Offset = 0,
    fmt: Format = "json",
    limit: int = limit_param(50),
) -> Response:
    """Exporter-reported against importer-reported trade, scored (`transship mirror`): both
    values, the expected CIF/FOB margin, each side's reporting bias and dispersion, z (how
    unusual the gap is) and unexplained_usd (the gap beyond margin, biases and the pair's
    usual scatter; a phantom flow's whole value). Largest unexplained amount first; every
    row lists the trade_flows record ids behind it."""

    async def build() -> Response:
        rep = territory_code(reporter, "reporter")
        par = territory_code(partner, "partner")
        if par is not None and rep is None:
            rep, par = par, None
        size = fetch_size(offset, limit)
        key = ("mirror", product, years, rep, par, dataset, size, min_usd)
        rows = await server.cached_read(
            key, lambda s: mirror_rows(s, product, years, rep, par, dataset, size, min_usd)
        )
        return sliced_page(
            request.url,
            rows,
            limit=limit,
            offset=offset,
            fmt=fmt,
            filename="mirror",
            model=MirrorItem,
            complete=len(rows) < size,
        )

    return await server.respond_cached(request, build)


@router.get(
    "/api/hubs",
    response_model=Page[HubItem],
    responses=PAGE_RESPONSES,
    summary="Transshipment hubs",
)
async def hubs(
    request: Request,
    server: Server,
    product: ProductParam = None,
    years: YearsParam = None,
    break_year: Annotated[
        int | None,
        Query(
            alias="break",
            ge=1900,
            le=2200,
            description="Break year for the surge indicator (e.g. 2022); default: earlier years.",
        ),
    ] = None,
    no_reexports: Annotated[
        bool, Query(description="Ignore reported re-exports (RX rows).")
    ] = False,
    kind: Annotated[
        Kind,
        Query(
            description="Which question the score answers: conduit (opened as a route after a "
            "break) or entrepot (exports mostly someone else's goods)."
        ),
    ] = "conduit",
    min_usd: Annotated[
        float | None,
        Query(
            ge=0,
            le=1e15,
            description="Only territory-years exporting at least this many USD of the product.",
        ),
    ] = None,
    dataset: DatasetParam = None,
    offset: Offset = 0,
    fmt: Format = "json",
    limit: int = limit_param(30),
) -> Response:
    """A hub score in [0, 1] per territory, product and year (`transship hubs`), of the
    kind asked for (conduit or entrepot; every kind's score is in `scores`): the weighted
    mean of indicators, each with its value, weight, detail and the record ids it was
    computed from."""

    async def build() -> Response:
        size = fetch_size(offset, limit)
        key = ("hubs", product, years, break_year, no_reexports, dataset, size, kind, min_usd)
        rows = await server.cached_read(
            key,
            lambda s: hub_rows(
                s, product, years, break_year, no_reexports, dataset, size, kind, min_usd
            ),
        )
        return sliced_page(
            request.url,
            rows,
            limit=limit,
            offset=offset,
            fmt=fmt,
            filename="hubs",
            model=HubItem,
            complete=len(rows) < size,
        )

    return await server.respond_cached(request, build)
