"""Routes, hubs and mirror gaps as page data: the library's results with names, source
lines, explanations and links down to the evidence rows.

Adapters read the library's public records (``Route.to_dict()``, ``HubScore``, the mirror
table) and keep every field they carry, so a field a newer version adds (a leg's
``basis``, ``interval_level``, a hub's ``scores`` per kind) reaches the page and its JSON
twin without a change here. Nothing is caught: a library error reaches the caller.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

from transship.exc import InvalidInput, NotFound
from transship.flows.chains import parse_years
from transship.report import geo
from transship.report.views.common import (
    as_float,
    clean,
    flows_source,
    place,
    product_label,
    years_text,
)
from transship.store import Store
from transship.store.engine import DuckDBEngine, Engine

#: What each mirror column means (the table's header tooltips and the page's legend).
MIRROR_COLUMNS: dict[str, str] = {
    "kind": "matched (both sides reported), phantom_export / phantom_import (one side "
    "reported a flow the other, although it reported that year, did not), or "
    "unreported_* (the other side reported nothing that year: no score)",
    "export_value_usd": "what the exporter reported sending (FOB, USD)",
    "import_value_usd": "what the importer reported receiving (CIF, USD)",
    "log_gap": "ln(import value / export value): 0 when both agree",
    "expected_log_gap": "the gap expected from the CIF/FOB margin of the chapter and each "
    "side's usual reporting bias",
    "residual": "log_gap minus expected_log_gap: the unexplained part",
    "z": "the residual in units of the two reporters' usual scatter: how unusual this gap "
    "is given who reported it (|z| > 3 is rare for careful reporters)",
    "exporter_sigma": "the exporter's scatter against its partners (reliability: larger = "
    "less reliable)",
    "importer_sigma": "the importer's scatter against its partners",
}
ROUTE_INDICATORS: dict[str, str] = {
    "attribution": "the share of the origin's exports of the product that ends at the "
    "destination along exactly this path (absorbing Markov chain per product and year)",
    "co_movement": "lagged correlation of each intermediary's imports from the previous "
    "territory with its exports to the next: a hub passes on what it receives",
    "surge": "difference-in-differences of each leg around the break date against control "
    "destinations and products (the leg's weakest z)",
    "reported_reexport": "where an intermediary reports re-exports (Comtrade flow RX) to the "
    "next territory, their share of its exports there",
}


@contextmanager
def engine(store: Store) -> Iterator[Engine]:
    """The DuckDB engine over ``store`` (the web UI and the report never start Spark)."""
    eng = DuckDBEngine(store)
    try:
        yield eng
    finally:
        close = getattr(eng, "close", None)
        if callable(close):
            close()


def _accepts(fn: Callable[..., Any], name: str) -> bool:
    return name in inspect.signature(fn).parameters


# -- routes --------------------------------------------------------------------------------
def route_query(
    origin: str | None,
    destination: str | None = None,
    product: str | None = None,
    years: str | None = None,
    break_date: str | None = None,
    dataset: str | None = None,
    max_hops: int = 3,
    limit: int = 20,
) -> dict[str, Any]:
    """The CLI's parameters, normalised (empty text is None), as page links repeat them."""

    def opt(v: str | None) -> str | None:
        return v.strip() if v and v.strip() else None

    if not 1 <= int(max_hops) <= 6:
        raise InvalidInput("max_hops must be from 1 to 6")
    if not 1 <= int(limit) <= 200:
        raise InvalidInput("limit must be from 1 to 200")
    if years:
        parse_years(years)  # a malformed range is an InvalidInput here, not in the library
    return {
        "origin": opt(origin),
        "destination": opt(destination),
        "product": opt(product),
        "years": opt(years),
        "break": opt(break_date),
        "dataset": opt(dataset),
        "max_hops": int(max_hops),
        "limit": int(limit),
    }


def query_string(query: dict[str, Any], **extra: Any) -> str:
    """The query's URL parameters (None left out), plus ``extra``."""
    merged = {**query, **extra}
    return urlencode({k: v for k, v in merged.items() if v is not None})


def compute_routes(store: Store, query: dict[str, Any], resamples: int = 200) -> list[Any]:
    """``find_routes`` with the query's parameters (Route objects, best first)."""
    from transship.flows.routes import find_routes

    if not query.get("origin"):
        raise InvalidInput("origin is required (ISO3, ISO2 or a name, e.g. SRB)")
    with engine(store) as eng:
        return list(
            find_routes(
                eng,
                query["origin"],
                query.get("destination"),
                product=query.get("product"),
                years=query.get("years"),
                break_date=query.get("break"),
                max_hops=int(query.get("max_hops", 3)),
                resamples=resamples,
                dataset=query.get("dataset"),
            )
        )


def routes_view(
    store: Store, query: dict[str, Any], found: list[Any], base: str = "/routes"
) -> dict[str, Any]:
    """Routes, Sankey and map data for a query, each leg with its evidence link."""
    from transship.flows.routes import sankey

    shown = found[: int(query.get("limit", 20))]
    years: set[int] = set()
    routes: list[dict[str, Any]] = []
    for rank, route in enumerate(shown, start=1):
        d = clean(route.to_dict())
        years.update(int(y) for y in d.get("years") or ())
        d["rank"] = rank
        d["path_labels"] = [place(c).label for c in d.get("path", [])]
        d["product_label"] = product_label(d.get("product"))
        for leg in d.get("legs", []):
            _leg_names(leg)
            leg["evidence_url"] = f"{base}/leg?" + query_string(
                query, **{"from": leg["from"], "to": leg["to"]}
            )
        for ind in d.get("indicators", []):
            ind["explanation"] = ROUTE_INDICATORS.get(str(ind.get("name")), "")
        routes.append(d)
    source, simulated = flows_source(store, query.get("dataset"), years or None)
    simulated = simulated or any(r.get("simulated") for r in routes)
    level = next((r["interval_level"] for r in routes if r.get("interval_level") is not None), None)
    diagram = clean(sankey(shown)) if shown else {"nodes": [], "links": [], "routes": []}
    for node in diagram.get("nodes", []):
        node["label"] = place(node.get("name")).label
    for link in diagram.get("links", []):
        src = diagram["nodes"][link["source"]]["name"]
        dst = diagram["nodes"][link["target"]]["name"]
        link["from"], link["to"] = src, dst
        link["evidence_url"] = f"{base}/leg?" + query_string(query, **{"from": src, "to": dst})
        link["record_count"] = len(link.get("record_ids", []))
    route_lines = route_map(routes)
    add_evidence_previews(store, diagram.get("links", []), route_lines["links"], routes)
    return {
        "query": query,
        "simulated": simulated,
        "source": source,
        "years": years_text(years),
        "interval_level": level,
        "total": len(found),
        "routes": routes,
        "sankey": diagram,
        "map": route_lines,
        "indicators": ROUTE_INDICATORS,
    }


#: Evidence rows a band's or a map line's hover lists (its largest by value; the leg page
#: has them all).
PREVIEW_ROWS = 5


def add_evidence_previews(
    store: Store,
    sankey_links: list[dict[str, Any]],
    map_links: list[dict[str, Any]],
    routes: list[dict[str, Any]],
) -> None:
    """Give each Sankey band and map line ``evidence_preview``: its :data:`PREVIEW_ROWS`
    largest evidence rows (year, reporter, partner, flow, value, file name and line), so
    that hovering a band shows the rows a figure comes from, not only their number. One
    query for the whole diagram (the ids of every leg of the shown routes)."""
    from transship.report.views.records import evidence_rows

    ids_by_leg: dict[tuple[str, str], set[str]] = {}
    for r in routes:
        for leg in r.get("legs", []):
            key = (str(leg.get("from")), str(leg.get("to")))
            ids_by_leg.setdefault(key, set()).update(str(i) for i in leg.get("record_ids", []))
    for link in sankey_links:
        key = (str(link.get("from")), str(link.get("to")))
        ids_by_leg.setdefault(key, set()).update(str(i) for i in link.get("record_ids", []))
    every = sorted(set().union(*ids_by_leg.values())) if ids_by_leg else []
    found = {str(e["record_id"]): e for e in evidence_rows(store, every) if not e.get("missing")}

    def preview(ids: set[str]) -> list[dict[str, Any]]:
        rows = [found[i] for i in ids if i in found]
        rows.sort(key=lambda e: (-(as_float(e.get("value_usd")) or 0.0), str(e["record_id"])))
        return [
            {
                "record_id": e["record_id"],
                "year": e.get("year"),
                "reporter": e.get("reporter_iso3") or e.get("reporter"),
                "partner": e.get("partner_iso3") or e.get("partner"),
                "flow": e.get("flow"),
                "value_usd": e.get("value_usd"),
                "file_name": e.get("file_name"),
                "line": e.get("line"),
            }
            for e in rows[:PREVIEW_ROWS]
        ]

    for link in [*sankey_links, *map_links]:
        ids = set(ids_by_leg.get((str(link.get("from")), str(link.get("to"))), set()))
        ids.update(str(i) for i in link.get("record_ids", []))
        link["evidence_preview"] = preview(ids)


def _leg_names(leg: dict[str, Any]) -> None:
    leg["from_label"] = place(leg.get("from")).label
    leg["to_label"] = place(leg.get("to")).label


def route_map(routes: list[dict[str, Any]]) -> dict[str, Any]:
    """Nodes at country centroids and one line per leg (value summed over routes)."""
    nodes: dict[str, dict[str, Any]] = {}
    links: dict[tuple[str, str], dict[str, Any]] = {}
    for r in routes:
        path = r.get("path", [])
        for h, code in enumerate(path):
            role = "origin" if h == 0 else "destination" if h == len(path) - 1 else "intermediary"
            point = geo.centroid(code)
            node = nodes.setdefault(
                code,
                {
                    "iso3": code,
                    "label": place(code).label,
                    "role": role,
                    "lon": point[0] if point else None,
                    "lat": point[1] if point else None,
                },
            )
            if role == "intermediary" and node["role"] == "destination":
                node["role"] = role
        for leg in r.get("legs", []):
            key = (str(leg["from"]), str(leg["to"]))
            link = links.setdefault(
                key,
                {
                    "from": key[0],
                    "to": key[1],
                    "value_usd": 0.0,
                    "routes": [],
                    "evidence_url": leg.get("evidence_url"),
                    "record_count": len(leg.get("record_ids", [])),
                },
            )
            link["value_usd"] += as_float(r.get("value_usd")) or 0.0
            link["routes"].append(r["rank"])
    shapes = geo.shapes()
    return {
        "nodes": list(nodes.values()),
        "links": list(links.values()),
        "m49": {
            (s.m49 if s.m49 is not None else s.name): s.iso3 for c in nodes if (s := shapes.get(c))
        },
    }


def leg_view(
    store: Store, query: dict[str, Any], found: list[Any], source: str, target: str
) -> dict[str, Any]:
    """One leg of the query's routes: its values and every evidence row with file and line."""
    from transship.report.views.records import evidence_rows

    src, dst = source.strip().upper(), target.strip().upper()
    legs: list[dict[str, Any]] = []
    on: list[dict[str, Any]] = []
    for rank, route in enumerate(found, start=1):
        d = clean(route.to_dict())
        for leg in d.get("legs", []):
            if str(leg.get("from")).upper() == src and str(leg.get("to")).upper() == dst:
                legs.append(leg)
                on.append({"rank": rank, "path": d.get("path"), "value_usd": d.get("value_usd")})
    if not legs:
        raise NotFound(f"no leg {src} -> {dst} in the routes of this query")
    leg = legs[0]
    _leg_names(leg)
    ids = sorted({i for g in legs for i in g.get("record_ids", [])})
    evidence = evidence_rows(store, ids)
    years = {int(e["year"]) for e in evidence if e.get("year") is not None}
    line, simulated = flows_source(store, query.get("dataset"), years or None)
    return {
        "query": query,
        "back_url": "/routes?" + query_string(query),
        "leg": leg,
        "routes": on,
        "evidence": evidence,
        "source": line,
        "simulated": simulated or any(e.get("simulated") for e in evidence),
    }


# -- hubs ----------------------------------------------------------------------------------
def hub_explanations() -> dict[str, dict[str, Any]]:
    """Each hub indicator's weight and its documentation (the function's docstring)."""
    from transship.flows import hubs

    out: dict[str, dict[str, Any]] = {}
    for name, (fn, weight) in hubs.HUB_INDICATORS.items():
        out[name] = {"weight": weight, "explanation": inspect.getdoc(fn) or ""}
    return out


def hubs_view(
    store: Store,
    product: str | None = None,
    years: str | None = None,
    dataset: str | None = None,
    kind: str | None = None,
    break_year: int | None = None,
    limit: int = 100,
    territory: str | None = None,
) -> dict[str, Any]:
    """Hub scores, highest first, each indicator with its value, weight and explanation;
    per territory the scores by year for its chart."""
    from transship.flows.hubs import hub_scores

    if not 1 <= int(limit) <= 2000:
        raise InvalidInput("limit must be from 1 to 2000")
    span = parse_years(years)
    kwargs: dict[str, Any] = {
        "product": product or None,
        "years": span,
        "dataset": dataset or None,
        "break_year": break_year,
    }
    if kind:
        if not _accepts(hub_scores, "kind"):
            raise InvalidInput("this version of transship scores one kind of hub only")
        kwargs["kind"] = kind
    with engine(store) as eng:
        scores = hub_scores(eng, **kwargs)
    code = place(territory).code if territory else None
    out: list[dict[str, Any]] = []
    for h in scores:
        d = clean(h.to_dict())
        if code is not None and d.get("code") != code:
            continue
        d["label"] = place(d.get("territory")).label
        d["product_label"] = product_label(d.get("product"))
        out.append(d)
    top = out[: int(limit)]
    series: dict[str, list[dict[str, Any]]] = {}
    for d in out:
        series.setdefault(str(d["territory"]), []).append(
            {
                "year": d["year"],
                "product": d["product"],
                "score": d["score"],
                **{str(i["name"]): i.get("value") for i in d.get("indicators", [])},
            }
        )
    shown = {str(d["territory"]) for d in top}
    years_seen = {int(d["year"]) for d in out}
    source, simulated = flows_source(store, dataset or None, years_seen or None)
    return {
        "query": {
            "product": product or None,
            "years": years or None,
            "dataset": dataset or None,
            "kind": kind or None,
            "limit": int(limit),
        },
        "simulated": simulated or any(d.get("simulated") for d in top),
        "source": source,
        "years": years_text(years_seen),
        "total": len(out),
        "hubs": top,
        "series": {
            k: sorted(v, key=lambda r: (r["product"], r["year"]))
            for k, v in series.items()
            if k in shown
        },
        "indicators": hub_explanations(),
    }


def hub_detail(
    store: Store, iso3: str, product: str, year: int, dataset: str | None = None
) -> dict[str, Any]:
    """One territory's hub score for a product and year: each indicator explained, with
    the evidence rows (file and line) it was computed from."""
    from transship.report.views.records import evidence_rows

    view = hubs_view(
        store, product=product, years=str(year), dataset=dataset, territory=iso3, limit=2000
    )
    match = [h for h in view["hubs"] if str(h.get("product")) == product]
    if not match:
        raise NotFound(f"no hub score for {iso3} in {product}, {year}")
    hub = match[0]
    explanations = view["indicators"]
    for ind in hub.get("indicators", []):
        ind["explanation"] = explanations.get(str(ind.get("name")), {}).get("explanation", "")
        ind["rows"] = evidence_rows(store, list(ind.get("evidence", []))[:500])
    return {
        "hub": hub,
        "simulated": view["simulated"],
        "source": view["source"],
        "query": {**view["query"], "territory": iso3, "year": year},
    }


# -- mirror --------------------------------------------------------------------------------
def mirror_view(
    store: Store,
    product: str | None = None,
    years: str | None = None,
    reporter: str | None = None,
    partner: str | None = None,
    dataset: str | None = None,
    limit: int = 100,
    min_usd: float | None = None,
) -> dict[str, Any]:
    """Mirror gaps, most anomalous first, each with names and evidence links; per
    territory (exporter side) the gaps by year for its chart."""
    from transship.flows.mirror import mirror_gaps

    if not 1 <= int(limit) <= 2000:
        raise InvalidInput("limit must be from 1 to 2000")
    kwargs: dict[str, Any] = {
        "product": product or None,
        "years": parse_years(years),
        "reporter": place(reporter).code if reporter else None,
        "partner": place(partner).code if partner else None,
        "dataset": dataset or None,
        "limit": int(limit),
    }
    if reporter and kwargs["reporter"] is None:
        raise InvalidInput(f"unknown territory {reporter!r}")
    if partner and kwargs["partner"] is None:
        raise InvalidInput(f"unknown territory {partner!r}")
    if min_usd is not None:
        if not _accepts(mirror_gaps, "min_usd"):
            raise InvalidInput("this version of transship has no --min-usd for mirror gaps")
        kwargs["min_usd"] = float(min_usd)
    with engine(store) as eng:
        table = mirror_gaps(eng, **kwargs)
    gaps: list[dict[str, Any]] = []
    for r in table.to_pylist():
        d = clean(r)
        d["exporter_label"] = place(d.get("exporter_iso3") or d.get("exporter")).label
        d["importer_label"] = place(d.get("importer_iso3") or d.get("importer")).label
        d["product_label"] = product_label(d.get("product"))
        d["record_count"] = len(d.get("evidence") or [])
        gaps.append(d)
    years_seen = {int(g["year"]) for g in gaps if g.get("year") is not None}
    series: dict[str, list[dict[str, Any]]] = {}
    for g in gaps:
        for side in ("exporter_iso3", "importer_iso3"):
            key = str(g.get(side) or "")
            if key:
                series.setdefault(key, []).append(
                    {
                        "year": g["year"],
                        "pair": f"{g.get('exporter_iso3')}>{g.get('importer_iso3')}",
                        "product": g.get("product"),
                        "log_gap": g.get("log_gap"),
                        "z": g.get("z"),
                    }
                )
    source, simulated = flows_source(store, dataset or None, years_seen or None)
    return {
        "query": {
            "product": product or None,
            "years": years or None,
            "reporter": reporter or None,
            "partner": partner or None,
            "dataset": dataset or None,
            "limit": int(limit),
        },
        "simulated": simulated or any(g.get("simulated") for g in gaps),
        "source": source,
        "years": years_text(years_seen),
        "gaps": gaps,
        "series": {k: sorted(v, key=lambda r: (r["year"], r["pair"])) for k, v in series.items()},
        "columns": MIRROR_COLUMNS,
    }


__all__ = [
    "MIRROR_COLUMNS",
    "compute_routes",
    "engine",
    "hub_detail",
    "hub_explanations",
    "hubs_view",
    "leg_view",
    "mirror_view",
    "query_string",
    "route_map",
    "route_query",
    "routes_view",
]
