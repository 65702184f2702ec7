"""Sankey pictures of routes: a standalone SVG/HTML that shows the routes' values honestly."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tests.flows.flowdata import generated_rows, load
from transship.cli.app import app
from transship.report.sankey import render_html, render_svg
from transship.store import connect

SVG = "{http://www.w3.org/2000/svg}"
runner = CliRunner()


def _data(simulated: bool) -> dict[str, Any]:
    # SRB -> BGR -> UKR (300), SRB -> CZE -> UKR (100), SRB -> CZE -> POL -> UKR (50)
    nodes = [
        {"id": "SRB", "name": "SRB", "role": "origin", "hop": 0},
        {"id": "BGR@1", "name": "BGR", "role": "intermediary", "hop": 1},
        {"id": "UKR", "name": "UKR", "role": "destination", "hop": 2},
        {"id": "CZE@1", "name": "CZE", "role": "intermediary", "hop": 1},
        {"id": "POL@2", "name": "POL", "role": "intermediary", "hop": 2},
    ]

    def link(s: int, t: int, v: float, routes: list[int]) -> dict[str, Any]:
        return {"source": s, "target": t, "value": v, "routes": routes, "record_ids": [f"r{s}{t}"]}

    links = [
        link(0, 1, 300.0, [0]),
        link(1, 2, 300.0, [0]),
        link(0, 3, 150.0, [1, 2]),
        link(3, 2, 100.0, [1]),
        link(3, 4, 50.0, [2]),
        link(4, 2, 50.0, [2]),
    ]
    routes = [
        {
            "path": ["SRB", "BGR", "UKR"],
            "product": "9306",
            "value_usd": 300.0,
            "share": 0.3,
            "score": 0.8,
        },
        {
            "path": ["SRB", "CZE", "UKR"],
            "product": "9306",
            "value_usd": 100.0,
            "share": 0.1,
            "score": 0.6,
        },
        {
            "path": ["SRB", "CZE", "POL", "UKR"],
            "product": "9306",
            "value_usd": 50.0,
            "share": 0.05,
            "score": 0.4,
        },
    ]
    return {"simulated": simulated, "unit": "USD", "nodes": nodes, "links": links, "routes": routes}


def _tip(element: ET.Element) -> str:
    title = element.find(f"{SVG}title")
    return title.text or "" if title is not None else ""


def test_svg_draws_every_node_and_band_in_proportion() -> None:
    root = ET.fromstring(render_svg(_data(simulated=False), "SRB to UKR"))
    boxes = {_tip(r).split(" ")[0]: r for r in root.iter(f"{SVG}rect") if _tip(r)}
    assert set(boxes) == {"SRB", "BGR", "UKR", "CZE", "POL"}
    x = {k: float(v.get("x", 0)) for k, v in boxes.items()}
    # Origin first, the hop-2 intermediary before the destination, which is last.
    assert x["SRB"] < x["BGR"] == x["CZE"] < x["POL"] < x["UKR"]
    widths = sorted(float(p.get("stroke-width", 0)) for p in root.iter(f"{SVG}path"))
    assert len(widths) == 6
    # Band width is proportional to value (to the 0.1 px the SVG is written with).
    assert abs(widths[-1] / widths[0] - 300.0 / 50.0) < 0.02
    tips = [_tip(p) for p in root.iter(f"{SVG}path")]
    assert any("SRB -> BGR: $300" in t and "1 evidence rows" in t for t in tips)
    assert "SIMULATED" not in ET.tostring(root, encoding="unicode")


def test_simulated_says_so_in_the_picture_and_page() -> None:
    data = _data(simulated=True)
    assert "SIMULATED DATA" in render_svg(data)
    page = render_html(data, "SRB to UKR")
    assert page.count("SIMULATED DATA") == 2 and "SRB → CZE → POL → UKR" in page
    assert "<script" not in page and "http" not in page.replace("http://www.w3.org/2000/svg", "")


def test_empty_routes_still_draw() -> None:
    root = ET.fromstring(render_svg({"nodes": [], "links": [], "routes": []}))
    assert "No routes found." in ET.tostring(root, encoding="unicode")


def test_cli_writes_svg_html_or_json(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with connect(db) as store:
        load(store, generated_rows())
    args = ["routes", "--origin", "SRB", "--product", "9306", "--db", str(db), "--limit", "5"]
    for name in ("r.svg", "r.html", "r.json"):
        res = runner.invoke(app, [*args, "--sankey", str(tmp_path / name)])
        assert res.exit_code == 0, res.output
    ET.fromstring((tmp_path / "r.svg").read_text(encoding="utf-8"))  # well-formed
    assert "<svg" in (tmp_path / "r.html").read_text(encoding="utf-8")
    assert {"nodes", "links"} <= json.loads((tmp_path / "r.json").read_text()).keys()
    res = runner.invoke(app, [*args, "--sankey", str(tmp_path / "missing" / "r.svg")])
    assert res.exit_code == 1 and "cannot write" in res.output


def test_a_band_names_its_evidence_rows_not_only_their_number() -> None:
    """The complaint of issue 12: the hover said "12 evidence rows", not the rows."""
    data = _data(simulated=False)
    data["links"][0]["record_ids"] = [f"{i:016x}:{i + 2}" for i in range(8)]
    tips = [_tip(p) for p in ET.fromstring(render_svg(data)).iter(f"{SVG}path")]
    tip = next(t for t in tips if "8 evidence rows" in t)
    # without a store behind it: the record ids (file sha256 prefix and line), five of them
    assert "record 0000000000000000:2" in tip and "record 0000000000000004:6" in tip
    assert "0000000000000005:7" not in tip and "… and 3 more evidence rows" in tip
    # with the rows looked up (the report, the web UI): year, sides, value, file and line
    data["links"][0]["evidence_preview"] = [
        {
            "record_id": "0000000000000000:2",
            "year": 2022,
            "reporter": "BGR",
            "flow": "M",
            "partner": "SRB",
            "value_usd": 1.5e6,
            "file_name": "comtrade_2022.csv",
            "line": 2,
        }
    ]
    tips = [_tip(p) for p in ET.fromstring(render_svg(data)).iter(f"{SVG}path")]
    tip = next(t for t in tips if "8 evidence rows" in t)
    assert "2022 BGR reports import from SRB $1.5 m: comtrade_2022.csv, line 2" in tip
    assert "… and 7 more evidence rows" in tip
