"""GEXF and GraphML exports: well-formed, every attribute declared with its type, every
edge between declared nodes, hostile text kept as text (or replaced where XML cannot carry
it), names in any script kept."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.serve.web.hostile import HOSTILE
from transship.ingest.pipeline import ingest_paths
from transship.report.graph import Graph, gexf, graphml, routes_graph, territory_graph, write
from transship.store import Store, connect

G = "{http://gexf.net/1.3}"
M = "{http://graphml.graphdrawing.org/xmlns}"
GEXF_TYPES = {"integer", "long", "double", "float", "boolean", "string"}
GRAPHML_TYPES = {"boolean", "int", "long", "float", "double", "string"}


def _route(path: list[str], value: float, ids: list[list[str]]) -> dict[str, Any]:
    return {
        "path": path,
        "product": "930690",
        "years": [2022, 2023],
        "value_usd": value,
        "simulated": True,
        "legs": [
            {
                "from": a,
                "to": b,
                "value_usd": value * 2,
                "exporter_reported_usd": value,
                "importer_reported_usd": None,
                "basis": "both",
                "record_ids": leg_ids,
            }
            for a, b, leg_ids in zip(path, path[1:], ids, strict=False)
        ],
    }


@pytest.fixture
def routes(store: Store) -> Graph:
    found = [
        _route(["SRB", "CZE", "UKR"], 100.0, [["aa:1", "aa:2"], ["bb:1"]]),
        _route(["SRB", "BGR", "UKR"], 50.0, [["aa:3"], ["bb:2"]]),
        _route(["SRB", "CZE", "POL", "UKR"], 10.0, [["aa:1"], ["cc:1"], ["dd:1"]]),
    ]
    return routes_graph(store, found, {"origin": "SRB", "dataset": None})


def test_gexf_declares_everything_it_uses(routes: Graph) -> None:
    root = ET.fromstring(gexf(routes))
    assert root.tag == f"{G}gexf" and root.get("version") == "1.3"
    assert "SIMULATED" in (root.findtext(f"{G}meta/{G}description") or "")
    graph = root.find(f"{G}graph")
    assert graph is not None and graph.get("defaultedgetype") == "directed"
    declared: dict[str, dict[str, str]] = {}
    for block in graph.findall(f"{G}attributes"):
        attrs = {a.get("id", ""): a.get("type", "") for a in block.findall(f"{G}attribute")}
        assert set(attrs.values()) <= GEXF_TYPES
        declared[block.get("class", "")] = attrs
    nodes = {n.get("id") for n in graph.iter(f"{G}node")}
    assert nodes == {"SRB", "CZE", "BGR", "POL", "UKR"}
    labels = {n.get("id"): n.get("label") for n in graph.iter(f"{G}node")}
    assert labels["SRB"] == "Serbia (SRB)"
    edges = list(graph.iter(f"{G}edge"))
    assert len(edges) == 6  # SRB>CZE is shared by two routes: one edge
    for e in edges:
        assert e.get("source") in nodes and e.get("target") in nodes
        assert float(e.get("weight", "x")) >= 0
        for v in e.iter(f"{G}attvalue"):
            assert v.get("for") in declared["edge"]
    for n in graph.iter(f"{G}node"):
        for v in n.iter(f"{G}attvalue"):
            assert v.get("for") in declared["node"]
    # the shared leg carries both routes' attributed values and the union of its rows
    edge = next(e for e in edges if e.get("source") == "SRB" and e.get("target") == "CZE")
    titles = {
        a.get("id"): a.get("title") for a in graph.find(f"{G}attributes[@class='edge']") or []
    }
    values = {titles[v.get("for")]: v.get("value") for v in edge.iter(f"{G}attvalue")}
    assert float(values["attributed_usd"] or "nan") == 110.0
    assert values["record_count"] == "2" and values["routes"] == "1,3"


def test_graphml_keys_types_and_edges(routes: Graph) -> None:
    root = ET.fromstring(graphml(routes))
    keys = {k.get("id"): k for k in root.findall(f"{M}key")}
    assert all(k.get("attr.type") in GRAPHML_TYPES for k in keys.values())
    graph = root.find(f"{M}graph")
    assert graph is not None and graph.get("edgedefault") == "directed"
    nodes = {n.get("id") for n in graph.findall(f"{M}node")}
    for element in graph.iter():
        if element.tag == f"{M}data":
            assert element.get("key") in keys
    for e in graph.findall(f"{M}edge"):
        assert e.get("source") in nodes and e.get("target") in nodes
        weight = e.find(f"{M}data[@key='e_weight']")
        assert weight is not None and float(weight.text or "x") > 0
    sim = graph.find(f"{M}data[@key='g_simulated']")
    assert sim is not None and sim.text == "true"


def test_hostile_and_cyrillic_names_survive_as_text(store: Store) -> None:
    graph = Graph("Крушик <test>", "d", False, {"name": "string"}, {"note": "string"})
    for i, text in enumerate(HOSTILE):
        graph.nodes[f"n{i}"] = {"label": text, "name": "Крушик " + text}
    graph.edges.append({"source": "n0", "target": "n1", "weight": 1.0, "note": HOSTILE[0]})
    for body in (gexf(graph), graphml(graph)):
        root = ET.fromstring(body)  # well-formed despite markup and control characters
        text = body.decode("utf-8")
        assert "<script>" not in text and "&lt;script&gt;" in text
        assert "Крушик" in text
        names = [e.get("label") or e.text or "" for e in root.iter()]
        assert any("\ufffd[31mred" in n for n in names)  # ESC cannot be in XML 1.0


def test_territory_graph_from_real_comtrade(shared_data: Path, tmp_path: Path) -> None:
    db = tmp_path / "wood.duckdb"
    src = shared_data / "comtrade-hs2-oil-wood-sample" / "comtrade_wood_hs44_2015.csv"
    with connect(db) as s:
        [result] = ingest_paths(s, [src])
        assert result.status == "ok"
    with connect(db, read_only=True) as s:
        graph = territory_graph(s, "DEU", product="44")
        rows = s.fetchall(
            "SELECT count(DISTINCT CASE WHEN reporter = 'de' THEN partner ELSE reporter END) "
            "FROM trade_flows WHERE (reporter = 'de' OR partner = 'de') AND NOT partner_is_world "
            "AND NOT partner_is_area"
        )[0][0]
    assert graph.nodes["DEU"]["role"] == "focus" and not graph.simulated
    assert len(graph.nodes) - 1 <= rows and len(graph.nodes) > 20
    assert all("DEU" in (e["source"], e["target"]) for e in graph.edges)
    assert "Source: UN Comtrade, reporter reports, 2015" in graph.description
    target = write(graph, tmp_path / "deu.xml", "graphml")
    assert ET.parse(target).getroot().tag == f"{M}graphml"
    assert ET.parse(write(graph, tmp_path / "deu.gexf")).getroot().tag == f"{G}gexf"
