"""A territory's page as data: ``/api/territories/{iso3}``.

Flows in and out by year and product (as the territory reported them and as its partners
did), its main partners, its hub scores and mirror record, and the source files that speak
of it. Codes are looked up as the CLI does (ISO3, ISO2, a Comtrade number or a name); every
value goes into the SQL as a parameter.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from transship.exc import InvalidInput, NotFound, UnknownCode
from transship.serve.api.flows import hub_rows, mirror_rows
from transship.serve.deps import (
    DatasetParam,
    Format,
    Offset,
    ProductParam,
    Server,
    YearsParam,
    limit_param,
)
from transship.serve.models import PAGE_RESPONSES, READ_RESPONSES, Page, TerritoryOut
from transship.serve.responses import json_response, sliced_page
from transship.serve.state import ServerState
from transship.store import Store

router = APIRouter(tags=["territories"])

#: Most (year, product, direction, side) rows a page lists; the rest is cut and says so.
MAX_FLOW_ROWS = 2000
#: Partners listed per direction.
TOP_PARTNERS = 15
#: Mirror rows (most unusual first) on a territory page.
MIRROR_ROWS = 25
#: Columns holding territory codes, per table: where a source "speaks of" a territory.
TERRITORY_COLUMNS: dict[str, tuple[str, ...]] = {
    "trade_flows": ("reporter", "partner"),
    "arms_transfers": ("supplier", "recipient"),
    "arms_tiv": ("supplier", "recipient"),
    "licences": ("authority_country", "consignee_country", "end_user_country", "destination"),
    "licence_stats": ("source_country", "destination", "origin_country"),
    "shipments": ("sender_country", "receiver_country", "origin_country", "destination_country"),
    "certificates": (
        "exporter_country",
        "consignee_country",
        "end_user_country",
        "final_destination",
    ),
}


def _filters(product: str | None, years: str | None, dataset: str | None) -> tuple[str, list[Any]]:
    from transship.flows.chains import check_dataset, check_product, parse_years

    sql = ""
    params: list[Any] = []
    p = check_product(product)
    if p is not None:
        sql += " AND starts_with(hs_code, ?)"
        params.append(p)
    span = parse_years(years)
    if span is not None:
        sql += " AND year BETWEEN ? AND ?"
        params += [span[0], span[1]]
    d = check_dataset(dataset)
    if d is not None:
        sql += " AND dataset = ?"
        params.append(d)
    return sql, params


def flows(
    store: Store, code: str, product: str | None, years: str | None, dataset: str | None
) -> list[dict[str, Any]]:
    """Value and record count per year, product, direction (in/out of the territory) and
    side (``reporter``: the territory's own figures; ``partner``: what its partners
    reported), World totals left out."""
    where, params = _filters(product, years, dataset)
    return store.query(  # type: ignore[no-any-return]
        "SELECT year, hs_code AS product, "
        "CASE WHEN (reporter = ?) = (flow IN ('X', 'RX')) THEN 'out' ELSE 'in' END AS direction, "
        "CASE WHEN reporter = ? THEN 'reporter' ELSE 'partner' END AS reported_by, "
        "list_sort(list(DISTINCT flow)) AS flows, count(*) AS records, "
        "sum(value_usd) AS value_usd, bool_or(simulated) AS simulated, "
        "list_sort(list(DISTINCT dataset)) AS datasets "
        "FROM trade_flows WHERE (reporter = ? OR partner = ?) AND NOT partner_is_world"
        f"{where} GROUP BY ALL ORDER BY year, product, direction, reported_by LIMIT ?",
        [code, code, code, code, *params, MAX_FLOW_ROWS + 1],
    ).to_pylist()


def partners(
    store: Store, code: str, product: str | None, years: str | None, dataset: str | None
) -> list[dict[str, Any]]:
    """The largest partners each way, over the years and products asked for."""
    where, params = _filters(product, years, dataset)
    return store.query(  # type: ignore[no-any-return]
        "WITH f AS (SELECT CASE WHEN reporter = ? THEN partner ELSE reporter END AS partner, "
        "CASE WHEN reporter = ? THEN partner_iso3 ELSE reporter_iso3 END AS partner_iso3, "
        "CASE WHEN (reporter = ?) = (flow IN ('X', 'RX')) THEN 'out' ELSE 'in' END AS direction, "
        "value_usd, simulated FROM trade_flows "
        f"WHERE (reporter = ? OR partner = ?) AND NOT partner_is_world AND NOT partner_is_area{where}), "
        "g AS (SELECT partner, partner_iso3, direction, sum(value_usd) AS value_usd, "
        "count(*) AS records, bool_or(simulated) AS simulated FROM f GROUP BY ALL), "
        "r AS (SELECT *, row_number() OVER (PARTITION BY direction ORDER BY value_usd DESC NULLS LAST, partner) AS rank FROM g) "
        "SELECT direction, rank, partner, partner_iso3, value_usd, records, simulated FROM r "
        "WHERE rank <= ? ORDER BY direction, rank",
        [code, code, code, code, code, *params, TOP_PARTNERS],
    ).to_pylist()


def sources(store: Store, code: str) -> list[dict[str, Any]]:
    """Source files with rows that name the territory, and how many rows each."""
    present = set(store.tables())
    parts, params = [], []
    for table, columns in TERRITORY_COLUMNS.items():
        if table not in present:
            continue
        have = [c for c in columns if c in store.columns(table)]
        if not have:
            continue
        cond = " OR ".join(f'"{c}" = ?' for c in have)
        parts.append(
            f"SELECT source_sha256, '{table}' AS tbl, count(*) AS n FROM \"{table}\" "
            f"WHERE {cond} GROUP BY ALL"
        )
        params += [code] * len(have)
    if not parts:
        return []
    return store.query(  # type: ignore[no-any-return]
        "WITH hits AS (" + " UNION ALL ".join(parts) + ") "
        "SELECT s.sha256, s.path, s.format, s.dataset, s.simulated, s.attribution, "
        "list_sort(list(DISTINCT h.tbl)) AS tables, sum(h.n) AS rows "
        "FROM hits h JOIN sources s ON s.sha256 = h.source_sha256 "
        "GROUP BY ALL ORDER BY rows DESC, s.path",
        params,
    ).to_pylist()


def territory(
    store: Store,
    value: str,
    product: str | None,
    years: str | None,
    dataset: str | None,
    analyses: bool = True,
) -> dict[str, Any]:
    """Everything the store says about one territory (see the module docstring); without
    ``analyses`` the hub scores and mirror gaps are left out (milliseconds instead of the
    seconds an analysis of the whole scope costs on its first call)."""
    from transship.normalise.territories import lookup

    try:
        t = lookup(value)
    except (UnknownCode, InvalidInput):
        raise NotFound(f"no territory {value!r} (use ISO3, ISO2 or a name)") from None
    code = str(t.code)
    flow_rows = flows(store, code, product, years, dataset)
    hubs: list[dict[str, Any]] = []
    mirror: list[dict[str, Any]] = []
    if flow_rows and analyses:
        every = hub_rows(store, product, years, None, False, dataset, None)
        hubs = [h for h in every if h["code"] == code]
        mirror = mirror_rows(store, product, years, code, None, dataset, MIRROR_ROWS)
    src = sources(store, code)
    return {
        "code": code,
        "iso3": t.iso3,
        "name": t.name,
        "flows": flow_rows[:MAX_FLOW_ROWS],
        "flows_truncated": len(flow_rows) > MAX_FLOW_ROWS,
        "partners": partners(store, code, product, years, dataset) if flow_rows else [],
        "hubs": hubs,
        "mirror": mirror,
        "sources": src,
        "simulated": any(r.get("simulated") for r in flow_rows) or any(s["simulated"] for s in src),
    }


#: The lists of a territory page that are paged: the page holds the first ``limit`` rows of
#: each, with ``<list>_total`` and ``<list>_next`` (the list's own endpoint, next page).
PAGED = ("flows", "hubs", "sources")


async def whole_page(
    server: ServerState,
    iso3: str,
    product: str | None,
    years: str | None,
    dataset: str | None,
    with_hubs: bool,
) -> dict[str, Any]:
    """The territory page with every row of every list (computed once per query, cached)."""
    page = await server.cached_read(
        ("territory", iso3, product, years, dataset),
        lambda s: territory(s, iso3, product, years, dataset, analyses=False),
    )
    if with_hubs and page["flows"]:
        code = page["code"]
        by_code = await server.cached_read(
            ("hubs-by-territory", product, years, dataset),
            lambda s: _by_code(hub_rows(s, product, years, None, False, dataset, None)),
        )
        mirror = await server.cached_read(
            ("mirror", product, years, code, None, dataset, MIRROR_ROWS),
            lambda s: mirror_rows(s, product, years, code, None, dataset, MIRROR_ROWS),
        )
        page = {**page, "hubs": by_code.get(code, []), "mirror": mirror}
    return page


def brief_evidence(value: Any) -> Any:
    """A hub row for the page: every ``evidence`` list of record ids (thousands on a large
    territory: 20-70 KB a row) becomes ``evidence_count``; the rows with their record ids
    are the hubs list (``hubs_next``, ``/api/territories/{iso3}/hubs``)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k == "evidence" and isinstance(v, list):
                out["evidence_count"] = len(v)
            else:
                out[k] = brief_evidence(v)
        return out
    if isinstance(value, list):
        return [brief_evidence(v) for v in value]
    return value


def _list_url(request: Request, part: str, limit: int) -> str:
    """Path and query of the second page of ``part`` (its own endpoint)."""
    url = request.url.replace(path=request.url.path.rstrip("/") + "/" + part)
    url = url.remove_query_params(["with_hubs", "format"]).include_query_params(
        offset=limit, limit=limit
    )
    return url.path + "?" + url.query


@router.get(
    "/api/territories/{iso3}",
    response_model=TerritoryOut,
    responses=READ_RESPONSES,
    summary="A territory",
)
async def get_territory(
    request: Request,
    server: Server,
    iso3: Annotated[str, Path(max_length=64, description="ISO3 (SRB), ISO2 or a name.")],
    product: ProductParam = None,
    years: YearsParam = None,
    dataset: DatasetParam = None,
    with_hubs: Annotated[
        bool, Query(description="Include hub scores (an analysis of the whole scope, cached).")
    ] = True,
    limit: int = limit_param(50, "Rows of each long list (flows, hubs, sources) on the page"),
) -> Response:
    """A territory's flows in and out by year and product (its own figures and its
    partners'), its largest partners, its hub scores (highest first) and most unusual mirror
    gaps, and the source files that speak of it, each with its attribution line.
    `simulated` is true when any of it comes from simulated data. The long lists (flows,
    hubs, sources) hold their first `limit` rows; `<list>_total` counts them all and
    `<list>_next` links to the rest (`/api/territories/{iso3}/<list>`, pages with CSV). The
    page's hub rows give each indicator's `evidence_count`; their record ids are in the
    hubs list."""

    async def build() -> Response:
        page = await whole_page(server, iso3, product, years, dataset, with_hubs)
        out = dict(page)
        for part in PAGED:
            every = page[part]
            out[part] = (
                every[:limit] if part != "hubs" else [brief_evidence(h) for h in every[:limit]]
            )
            out[f"{part}_total"] = len(every)
            out[f"{part}_next"] = _list_url(request, part, limit) if len(every) > limit else None
        return json_response(out)

    return await server.respond_cached(request, build)


@router.get(
    "/api/territories/{iso3}/{part}",
    response_model=Page[dict[str, Any]],
    responses=PAGE_RESPONSES,
    summary="A territory's flows, hub scores or sources",
)
async def territory_list(
    request: Request,
    server: Server,
    iso3: Annotated[str, Path(max_length=64, description="ISO3 (SRB), ISO2 or a name.")],
    part: Annotated[str, Path(max_length=64, description="flows, hubs or sources")],
    product: ProductParam = None,
    years: YearsParam = None,
    dataset: DatasetParam = None,
    offset: Offset = 0,
    fmt: Format = "json",
    limit: int = limit_param(50),
) -> Response:
    """One of a territory page's long lists, as pages (`next` link, `format=csv`): its flows
    by year, product, direction and side; its hub scores; the source files that speak of it."""

    if part not in PAGED:  # a path that names no list is not found, like any other
        raise NotFound(f"no list {part!r} on a territory page (flows, hubs or sources)")

    async def build() -> Response:
        page = await whole_page(server, iso3, product, years, dataset, part == "hubs")
        return sliced_page(
            request.url,
            page[part],
            limit=limit,
            offset=offset,
            fmt=fmt,
            filename=f"territory-{page['code']}-{part}",
        )

    return await server.respond_cached(request, build)


def _by_code(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(str(row["code"]), []).append(row)
    return out
