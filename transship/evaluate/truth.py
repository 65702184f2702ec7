"""The answer key of a simulation folder (``truth.jsonl``), read by evaluation code only.

Detectors never import this module: they see what the simulation published under
``data/``. The evaluation and the demo read the truth to score and to mark what they show.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from transship.exc import InvalidInput, NotFound

TRUTH = "truth.jsonl"

Route = tuple[tuple[str, ...], str]  # (path ISO3 origin first, HS6)
Hub = tuple[str, str, int]  # (territory ISO3, HS6, year)


def read_truth(sim_dir: str | Path) -> list[dict[str, Any]]:
    """Every record of ``sim_dir/truth.jsonl`` (a bad line is an error naming it)."""
    path = Path(sim_dir) / TRUTH
    if not path.exists():
        raise NotFound(f"{sim_dir} holds no {TRUTH}: not a folder written by `transship simulate`")
    rows = []
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"{path}, line {n}: not JSON ({exc.msg})") from exc
    return rows


def planted_routes(truth: list[dict[str, Any]]) -> set[Route]:
    """The schemes' paths and products."""
    return {(tuple(t["path"]), str(t["product"])) for t in truth if t.get("kind") == "route"}


def planted_hubs(truth: list[dict[str, Any]]) -> set[Hub]:
    """The schemes' intermediaries, per product and year the scheme ran."""
    return {
        (str(t["territory"]), str(t["product"]), int(t["year"]))
        for t in truth
        if t.get("kind") == "hub"
    }


def background(truth: list[dict[str, Any]]) -> tuple[set[Route], set[Hub]]:
    """Routes and hubs that exist in the simulated world but that the case does not allege
    (the request population's re-exports, kind reexport): neither credited nor charged, so
    the route and hub rows leave them out of every ranking (docs/validation.md)."""
    rows = [t for t in truth if t.get("kind") == "reexport"]
    routes = {(tuple(t["path"]), str(t["product"])) for t in rows}
    hubs = {(str(t["territory"]), str(t["product"]), int(t["year"])) for t in rows}
    return routes - planted_routes(truth), hubs - planted_hubs(truth)


def diverted_consignments(truth: list[dict[str, Any]]) -> dict[str, str]:
    """Shipment id -> consignment id of every diverted customs record."""
    return {
        str(t["id"]): str(t["consignment"])
        for t in truth
        if t.get("kind") == "shipment" and t.get("diverted")
    }


def shipment_records(truth: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [t for t in truth if t.get("kind") == "shipment"]


def certificate_records(truth: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [t for t in truth if t.get("kind") == "certificate"]
