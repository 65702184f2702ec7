"""Party pages: the actors resolved from every source, and one actor with its aliases,
sources, ownership graph, sanctions, screening explanations and records by role.

Both pages have JSON twins (``/parties.json``, ``/parties/{key}.json``) with the same data
as ``/api/parties``. Every value goes into the page escaped (Jinja autoescape); the ownership
graph is drawn by ``/static/js/parties.js`` from the page-data block, its labels as canvas
text and its tooltips escaped there.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from transship.serve.api.parties import actor_rows, party_for
from transship.serve.web.common import cached, page, render, server_mode, strip_json, twin

router = APIRouter()

#: Records shown per role on a party page (the JSON twin has every one).
PAGE_ROWS = 200


@twin(router, "/parties")
@page
async def parties(
    request: Request,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    rows: list[dict[str, Any]] = await cached(
        request,
        ("parties", q, limit, offset),
        lambda store: actor_rows(store, q, limit, offset),
    )
    more = len(rows) > limit
    data: dict[str, Any] = {
        "q": q or "",
        "actors": rows[:limit],
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if more else None,
        "prev_offset": max(0, offset - limit) if offset else None,
        "simulated": any(r.get("simulated") for r in rows[:limit]),
    }
    return render(request, "parties_list.html", data, title="Parties")


def graph(view: dict[str, Any]) -> dict[str, Any]:
    """The ownership chains as a graph (nodes with names, edges owner -> asset with the
    percentage), the actor's own entities marked."""
    nodes: dict[str, dict[str, Any]] = {}
    links: dict[tuple[str, str], dict[str, Any]] = {}
    own = {
        str(r["record_id"])
        for rows in view["records_by_role"].values()
        for r in rows
        if r.get("source_table") == "entities"
    }
    for chain in view["owners"]:
        ids, names, shares = chain["ids"], chain["path"], chain["percentages"]
        for i, name in zip(ids, names, strict=False):
            nodes.setdefault(i, {"id": i, "name": name, "self": i in own})
        for k in range(len(ids) - 1):
            share = shares[k] if k < len(shares) else None
            links.setdefault(
                (ids[k], ids[k + 1]),
                {"source": ids[k], "target": ids[k + 1], "percentage": share},
            )
    return {"nodes": list(nodes.values()), "links": list(links.values())}


@twin(router, "/parties/{key}")
@page
async def party(request: Request, key: str) -> Response:
    name = strip_json(key)
    server = request.app.state.server
    data = await party_for(server, name)
    embed = {"graph": graph(data)}
    return render(
        request,
        "parties_party.html",
        data,
        title=f"Party: {data['caption']}",
        embed=embed,
        page_rows=PAGE_ROWS,
        read_only=server_mode(request)["read_only"],
    )
