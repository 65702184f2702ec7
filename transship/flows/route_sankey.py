"""The Sankey data of a list of routes: nodes, links and the record ids behind each band.

Kept apart from the routes themselves so that ``transship.report.sankey`` (which draws it)
and the JSON writer of ``transship routes --sankey`` read one definition.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from transship.flows.routes import Route


def sankey(routes: Sequence[Route]) -> dict[str, Any]:
    """Nodes and links for a Sankey diagram (d3-sankey / Plotly: links index ``nodes``).

    The origin is one node, each destination one node, and an intermediary one node per hop
    position (``BGR@1``), so the diagram stays acyclic however the routes cross. Link values
    are the routes' attributed USD values summed; each link lists the routes it carries.
    """
    nodes: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    links: dict[tuple[int, int], dict[str, Any]] = {}

    def node(code: str, role: str, hop: int) -> int:
        key = code if role != "intermediary" else f"{code}@{hop}"
        if key not in index:
            index[key] = len(nodes)
            nodes.append({"id": key, "name": code, "role": role, "hop": hop})
        return index[key]

    for r_idx, route in enumerate(routes):
        last = len(route.path) - 1
        ids = [
            node(code, "origin" if h == 0 else "destination" if h == last else "intermediary", h)
            for h, code in enumerate(route.path)
        ]
        for h in range(last):
            key = (ids[h], ids[h + 1])
            link = links.setdefault(
                key,
                {
                    "source": key[0],
                    "target": key[1],
                    "source_id": nodes[key[0]]["id"],
                    "target_id": nodes[key[1]]["id"],
                    "value": 0.0,
                    "routes": [],
                    "record_ids": [],
                },
            )
            link["value"] += route.value_usd
            link["routes"].append(r_idx)
            link["record_ids"] = sorted(set(link["record_ids"]) | set(route.legs[h].record_ids))
    return {
        "simulated": any(r.simulated for r in routes),
        "unit": "USD (attributed value of the origin's exports along each route)",
        "nodes": nodes,
        "links": list(links.values()),
        "routes": [
            {
                "path": r.path,
                "product": r.product,
                "value_usd": r.value_usd,
                "share": r.share,
                "score": r.score,
            }
            for r in routes
        ],
    }
