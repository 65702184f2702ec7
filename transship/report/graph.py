"""Routes and territory trade graphs as GEXF 1.3 and GraphML, for Gephi, i2 and Maltego.

A route graph has one node per territory on the routes and one directed edge per leg, with
the leg's value, the value the routes attribute to it, the routes it lies on and the
trade_flows record ids behind it. A territory graph is the territory and its trade
partners, one directed edge per exporter -> importer pair with each side's reported value.

The XML is written with :mod:`xml.etree.ElementTree` (which escapes markup characters);
characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates) are replaced by
U+FFFD so that a hostile value cannot make the file unreadable. networkx is not a
dependency: both formats are a few elements, and writing them directly keeps attribute
types explicit (GEXF and GraphML readers disagree on what networkx infers).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from transship.exc import InvalidInput, NotFound
from transship.report.views.common import (
    SIMULATED,
    clean,
    flows_source,
    has_table,
    place,
    product_label,
    rows,
    years_text,
)
from transship.store import Store

GEXF_NS = "http://gexf.net/1.3"
GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"
#: Record ids listed per edge at most (the count is always given).
MAX_IDS = 500
#: Characters XML 1.0 forbids (C0 controls but tab, LF, CR; surrogates; U+FFFE/FFFF).
_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: Attribute types: python type name -> (GEXF type, GraphML type).
_TYPES = {
    "string": ("string", "string"),
    "double": ("double", "double"),
    "integer": ("integer", "int"),
    "boolean": ("boolean", "boolean"),
}


@dataclass(slots=True)
class Graph:
    """A directed graph with typed attributes, and what it is about (``description``,
    including its source line; ``simulated`` when made from simulated data)."""

    name: str
    description: str
    simulated: bool
    node_attrs: dict[str, str]
    edge_attrs: dict[str, str]
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "simulated": self.simulated,
            "nodes": [{"id": k, **v} for k, v in self.nodes.items()],
            "edges": self.edges,
        }


def xml_text(value: Any) -> str:
    """A value as XML-safe text (booleans lower case, forbidden characters replaced)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return " ".join(xml_text(v) for v in value)
    return _BAD_XML.sub("\ufffd", str(value))


# -- building ------------------------------------------------------------------------------
def routes_graph(store: Store, routes: Sequence[Any], query: dict[str, Any] | None = None) -> Graph:
    """Territories on ``routes`` (``Route`` objects or their dicts) and their legs."""
    dicts = [clean(r.to_dict()) if hasattr(r, "to_dict") else clean(r) for r in routes]
    years = {int(y) for d in dicts for y in d.get("years") or ()}
    dataset = (query or {}).get("dataset")
    line, simulated = flows_source(store, dataset, years or None)
    simulated = simulated or any(d.get("simulated") for d in dicts)
    origin = dicts[0]["path"][0] if dicts else (query or {}).get("origin", "?")
    products = sorted({str(d.get("product")) for d in dicts})
    title = f"Routes from {place(origin).label}" + (
        f", {'; '.join(product_label(p) for p in products)}" if products else ""
    )
    graph = Graph(
        name=title,
        description=_describe(title, line, simulated),
        simulated=simulated,
        node_attrs={"iso3": "string", "name": "string", "role": "string", "simulated": "boolean"},
        edge_attrs={
            "leg_value_usd": "double",
            "attributed_usd": "double",
            "exporter_reported_usd": "double",
            "importer_reported_usd": "double",
            "basis": "string",
            "routes": "string",
            "product": "string",
            "years": "string",
            "record_count": "integer",
            "record_ids": "string",
            "simulated": "boolean",
        },
    )
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    for rank, d in enumerate(dicts, start=1):
        path = [str(c) for c in d.get("path", [])]
        for h, code in enumerate(path):
            role = "origin" if h == 0 else "destination" if h == len(path) - 1 else "intermediary"
            node = graph.nodes.setdefault(code, _node(code, role, simulated))
            if role == "intermediary":
                node["role"] = role
        for leg in d.get("legs", []):
            key = (str(leg["from"]), str(leg["to"]))
            edge = edges.setdefault(
                key,
                {
                    "source": key[0],
                    "target": key[1],
                    "weight": float(leg.get("value_usd") or 0.0),
                    "leg_value_usd": leg.get("value_usd"),
                    "attributed_usd": 0.0,
                    "exporter_reported_usd": leg.get("exporter_reported_usd"),
                    "importer_reported_usd": leg.get("importer_reported_usd"),
                    "basis": leg.get("basis"),
                    "routes": [],
                    "product": d.get("product"),
                    "years": years_text(d.get("years") or []),
                    "ids": set(),
                    "simulated": simulated,
                },
            )
            edge["attributed_usd"] += float(d.get("value_usd") or 0.0)
            edge["routes"].append(str(rank))
            edge["ids"].update(str(i) for i in leg.get("record_ids", []))
    for edge in edges.values():
        ids = sorted(edge.pop("ids"))
        edge["record_count"] = len(ids)
        edge["record_ids"] = " ".join(ids[:MAX_IDS])
        edge["routes"] = ",".join(edge["routes"])
        graph.edges.append(edge)
    return graph


def territory_graph(
    store: Store, iso3: str, product: str | None = None, dataset: str | None = None
) -> Graph:
    """A territory and its trade partners: one edge per exporter -> importer pair with the
    value each side reported (and reconciled rows apart), summed over the years."""
    from transship.flows.chains import check_dataset, check_product

    p = place(iso3)
    if p.code is None:
        raise NotFound(f"unknown territory {iso3!r}")
    product = check_product(product)
    dataset = check_dataset(dataset)
    found: list[dict[str, Any]] = []
    if has_table(store, "trade_flows"):
        extra, params = "", []
        if product:
            extra += " AND hs_code LIKE ?"
            params.append(product + "%")
        if dataset:
            extra += " AND dataset = ?"
            params.append(dataset)
        found = rows(
            store,
            "SELECT CASE WHEN flow IN ('X', 'RX') THEN coalesce(reporter_iso3, upper(reporter)) "
            "ELSE coalesce(partner_iso3, upper(partner)) END AS exporter, "
            "CASE WHEN flow IN ('X', 'RX') THEN coalesce(partner_iso3, upper(partner)) "
            "ELSE coalesce(reporter_iso3, upper(reporter)) END AS importer, "
            "sum(value_usd) FILTER (WHERE flow IN ('X', 'RX') AND coalesce(value_basis, '') <> 'reconciled') AS exporter_reported_usd, "
            "sum(value_usd) FILTER (WHERE flow IN ('M', 'RM')) AS importer_reported_usd, "
            "sum(value_usd) FILTER (WHERE value_basis = 'reconciled') AS reconciled_usd, "
            "count(*) AS rows, min(year) AS first_year, max(year) AS last_year, "
            "bool_or(simulated) AS simulated "
            "FROM trade_flows WHERE (reporter = ? OR partner = ?) AND NOT partner_is_world "
            f"AND NOT partner_is_area{extra} GROUP BY 1, 2 ORDER BY 1, 2",
            [p.code, p.code, *params],
        )
    years = [int(y) for r in found for y in (r["first_year"], r["last_year"]) if y is not None]
    line, simulated = flows_source(store, dataset, years or None)
    title = f"Trade of {p.label}" + (f", {product_label(product)}" if product else "")
    graph = Graph(
        name=title,
        description=_describe(title, line, simulated),
        simulated=simulated,
        node_attrs={"iso3": "string", "name": "string", "role": "string", "simulated": "boolean"},
        edge_attrs={
            "exporter_reported_usd": "double",
            "importer_reported_usd": "double",
            "reconciled_usd": "double",
            "rows": "integer",
            "years": "string",
            "product": "string",
            "simulated": "boolean",
        },
    )
    graph.nodes[p.iso3] = _node(p.iso3, "focus", simulated)
    for r in found:
        for code in (r["exporter"], r["importer"]):
            if code and code not in graph.nodes:
                graph.nodes[str(code)] = _node(str(code), "partner", simulated)
        values = [
            v
            for v in (r["exporter_reported_usd"], r["importer_reported_usd"], r["reconciled_usd"])
            if v is not None
        ]
        graph.edges.append(
            {
                "source": str(r["exporter"]),
                "target": str(r["importer"]),
                "weight": max(values) if values else 0.0,
                "exporter_reported_usd": r["exporter_reported_usd"],
                "importer_reported_usd": r["importer_reported_usd"],
                "reconciled_usd": r["reconciled_usd"],
                "rows": r["rows"],
                "years": years_text([r["first_year"], r["last_year"]]),
                "product": product or "all",
                "simulated": bool(r["simulated"]),
            }
        )
    return graph


def _node(code: str, role: str, simulated: bool) -> dict[str, Any]:
    p = place(code)
    return {"label": p.label, "iso3": p.iso3, "name": p.name, "role": role, "simulated": simulated}


def _describe(title: str, line: str, simulated: bool) -> str:
    prefix = f"{SIMULATED} DATA: not a statement about real transfers. " if simulated else ""
    return f"{prefix}{title}. {line}. Written by transship."


# -- writing -------------------------------------------------------------------------------
def _attr_value(value: Any, kind: str) -> str | None:
    if value is None:
        return None
    if kind == "double":
        return repr(float(value))
    if kind == "integer":
        return str(int(value))
    return xml_text(value)


def gexf(graph: Graph) -> bytes:
    """GEXF 1.3 (Gephi's own format): node and edge attributes declared with their types."""
    ET.register_namespace("", GEXF_NS)
    root = ET.Element(f"{{{GEXF_NS}}}gexf", {"version": "1.3"})
    meta = ET.SubElement(
        root,
        f"{{{GEXF_NS}}}meta",
        {"lastmodifieddate": datetime.now(UTC).date().isoformat()},
    )
    ET.SubElement(meta, f"{{{GEXF_NS}}}creator").text = "transship"
    ET.SubElement(meta, f"{{{GEXF_NS}}}title").text = xml_text(graph.name)
    ET.SubElement(meta, f"{{{GEXF_NS}}}description").text = xml_text(graph.description)
    g = ET.SubElement(
        root, f"{{{GEXF_NS}}}graph", {"defaultedgetype": "directed", "mode": "static"}
    )
    ids: dict[tuple[str, str], str] = {}
    for cls, attrs in (("node", graph.node_attrs), ("edge", graph.edge_attrs)):
        block = ET.SubElement(g, f"{{{GEXF_NS}}}attributes", {"class": cls})
        for i, (name, kind) in enumerate(attrs.items()):
            ids[(cls, name)] = str(i)
            ET.SubElement(
                block,
                f"{{{GEXF_NS}}}attribute",
                {"id": str(i), "title": name, "type": _TYPES[kind][0]},
            )
    nodes = ET.SubElement(g, f"{{{GEXF_NS}}}nodes")
    for node_id, attrs in graph.nodes.items():
        n = ET.SubElement(
            nodes,
            f"{{{GEXF_NS}}}node",
            {"id": xml_text(node_id), "label": xml_text(attrs.get("label", node_id))},
        )
        _gexf_values(n, attrs, graph.node_attrs, ids, "node")
    edges = ET.SubElement(g, f"{{{GEXF_NS}}}edges")
    for i, attrs in enumerate(graph.edges):
        e = ET.SubElement(
            edges,
            f"{{{GEXF_NS}}}edge",
            {
                "id": str(i),
                "source": xml_text(attrs["source"]),
                "target": xml_text(attrs["target"]),
                "weight": repr(float(attrs.get("weight") or 0.0)),
            },
        )
        _gexf_values(e, attrs, graph.edge_attrs, ids, "edge")
    return _bytes(root)


def _gexf_values(
    parent: ET.Element,
    values: dict[str, Any],
    declared: dict[str, str],
    ids: dict[tuple[str, str], str],
    cls: str,
) -> None:
    block = ET.SubElement(parent, f"{{{GEXF_NS}}}attvalues")
    for name, kind in declared.items():
        text = _attr_value(values.get(name), kind)
        if text is not None:
            ET.SubElement(block, f"{{{GEXF_NS}}}attvalue", {"for": ids[(cls, name)], "value": text})


def graphml(graph: Graph) -> bytes:
    """GraphML (yEd, Gephi, i2 and Maltego import it): keys declared with their types."""
    ET.register_namespace("", GRAPHML_NS)
    root = ET.Element(f"{{{GRAPHML_NS}}}graphml")
    keys: dict[tuple[str, str], str] = {}
    declared = [("graph", {"description": "string", "simulated": "boolean"})]
    declared += [("node", {"label": "string", **graph.node_attrs})]
    declared += [("edge", {"weight": "double", **graph.edge_attrs})]
    for cls, attrs in declared:
        for name, kind in attrs.items():
            key = f"{cls[0]}_{name}"
            keys[(cls, name)] = key
            ET.SubElement(
                root,
                f"{{{GRAPHML_NS}}}key",
                {"id": key, "for": cls, "attr.name": name, "attr.type": _TYPES[kind][1]},
            )
    g = ET.SubElement(root, f"{{{GRAPHML_NS}}}graph", {"id": "G", "edgedefault": "directed"})
    _graphml_data(
        g,
        {"description": graph.description, "simulated": graph.simulated},
        declared[0][1],
        keys,
        "graph",
    )
    for node_id, attrs in graph.nodes.items():
        n = ET.SubElement(g, f"{{{GRAPHML_NS}}}node", {"id": xml_text(node_id)})
        _graphml_data(n, attrs, declared[1][1], keys, "node")
    for i, attrs in enumerate(graph.edges):
        e = ET.SubElement(
            g,
            f"{{{GRAPHML_NS}}}edge",
            {
                "id": f"e{i}",
                "source": xml_text(attrs["source"]),
                "target": xml_text(attrs["target"]),
            },
        )
        _graphml_data(e, attrs, declared[2][1], keys, "edge")
    return _bytes(root)


def _graphml_data(
    parent: ET.Element,
    values: dict[str, Any],
    declared: dict[str, str],
    keys: dict[tuple[str, str], str],
    cls: str,
) -> None:
    for name, kind in declared.items():
        text = _attr_value(values.get(name), kind)
        if text is not None:
            ET.SubElement(parent, f"{{{GRAPHML_NS}}}data", {"key": keys[(cls, name)]}).text = text


def _bytes(root: ET.Element) -> bytes:
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def write(graph: Graph, path: Path, fmt: str | None = None) -> Path:
    """Write ``graph`` to ``path`` as ``fmt`` ('gexf' or 'graphml'; default: GEXF for a
    ``.gexf`` name, GraphML otherwise)."""
    target = Path(path)
    kind = fmt or ("gexf" if target.suffix.lower() == ".gexf" else "graphml")
    if kind not in ("gexf", "graphml"):
        raise InvalidInput(f"graph format must be gexf or graphml, not {kind!r}")
    body = gexf(graph) if kind == "gexf" else graphml(graph)
    try:
        target.write_bytes(body)
    except OSError as exc:
        raise InvalidInput(f"cannot write {target}: {exc.strerror or exc}") from exc
    return target


__all__ = ["Graph", "gexf", "graphml", "routes_graph", "territory_graph", "write", "xml_text"]
