"""The home page: what the store holds (datasets, years, products, simulated or real), each
dataset with its source and licence line, and where to start."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from transship.report.views.holdings import holdings
from transship.serve.web.common import cached, page, render, twin
from transship.store import Store

router = APIRouter()


def _home(store: Store) -> dict[str, Any]:
    data = holdings(store)
    data["suggestions"] = suggestions(store)
    return data


def suggestions(store: Store) -> list[dict[str, Any]]:
    """Route queries worth a click: the routes the store's case files allege (claims with an
    origin and a destination), for the chapter-93 heading traded most."""
    tables = set(store.tables())
    product = None
    if "trade_flows" in tables:
        got = store.fetchall(
            "SELECT substr(hs_code, 1, 4) FROM trade_flows WHERE hs_code LIKE '93%' "
            "GROUP BY 1 ORDER BY sum(value_usd) DESC NULLS LAST LIMIT 1"
        )
        product = str(got[0][0]) if got else None
    out: list[dict[str, Any]] = []
    if "claims" in tables:
        from transship.report.views.common import place

        pairs = store.fetchall(
            "SELECT DISTINCT origin, destination FROM claims "
            "WHERE origin IS NOT NULL AND destination IS NOT NULL ORDER BY 1, 2 LIMIT 5"
        )
        for origin, destination in pairs:
            o, d = place(str(origin)), place(str(destination))
            out.append(
                {
                    "origin": o.iso3,
                    "destination": d.iso3,
                    "product": product,
                    "label": f"{o.label} → {d.label}",
                    "why": "alleged in the case's claims",
                }
            )
    return out


@twin(router, "/")
@page
async def home(request: Request) -> Response:
    data = await cached(request, "home", _home)
    return render(request, "home.html", data, title="What the store holds")
