"""`transship outlook dependencies`: what a target depends on, each value a graded claim or a
row of data in the store.

``dependencies.yaml`` in a case lists the target and its dependencies (energy by supplier,
ownership of key firms, arms imports by supplier, export markets): each with a supplier,
an item, and values (``share``, ``volume``) that cite a claim (``{claim: SO01, value: 0.8}``)
or a read-only SQL query on the store (``{sql: "SELECT ..."}``, first column of the first
row; the CLI's read-only rules apply). The result is a table and a graph (nodes: the target
and its suppliers; edges: dependencies, labelled with the value and its grade).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transship.exc import TransshipError
from transship.outlook import evidence
from transship.outlook.files import fail, need, number
from transship.outlook.scenario import read
from transship.store import Store

KINDS = ("energy", "ownership", "arms_imports", "export_market", "finance", "diplomacy")


@dataclass(slots=True)
class Value:
    name: str
    value: float | None
    unit: str | None
    claim: evidence.Cited | None
    sql: str | None
    note: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "unit": self.unit,
            "claim": self.claim.to_dict() if self.claim else None,
            "sql": self.sql,
            "note": self.note,
        }

    def label(self) -> str:
        if self.value is None:
            return f"{self.name}: {self.note or 'no value'}"
        unit = f" {self.unit}" if self.unit else ""
        src = f" [{self.claim.id}, {self.claim.grade}]" if self.claim else " [store]"
        return f"{self.name} {self.value:g}{unit}{src}"


@dataclass(slots=True)
class Dependency:
    kind: str
    item: str
    supplier: str
    values: list[Value]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "item": self.item,
            "supplier": self.supplier,
            "values": [v.to_dict() for v in self.values],
        }


@dataclass(slots=True)
class Dependencies:
    target: str
    dependencies: list[Dependency]

    def graph(self) -> dict[str, Any]:
        nodes = [{"id": self.target, "role": "target"}]
        for d in self.dependencies:
            if d.supplier not in {n["id"] for n in nodes}:
                nodes.append({"id": d.supplier, "role": "supplier"})
        edges = [
            {
                "source": d.supplier,
                "target": self.target,
                "kind": d.kind,
                "item": d.item,
                "label": "; ".join(v.label() for v in d.values),
            }
            for d in self.dependencies
        ]
        return {"nodes": nodes, "edges": edges}

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "dependencies": [d.to_dict() for d in self.dependencies],
            "graph": self.graph(),
        }


def _value(
    file: str, name: str, node: Any, claims: dict[str, evidence.Cited], store: Store | None
) -> Value:
    if not isinstance(node, dict):
        raise fail(file, {}, name, "expected {claim: ID, value: x} or {sql: ...}")
    unit = node.get("unit")
    if "claim" in node:
        cid = str(node["claim"])
        if cid not in claims:
            raise fail(file, node, "claim", f"no claim {cid!r} in the case's claims files")
        return Value(name, number(file, node, "value"), unit, claims[cid], None, None)
    sql = node.get("sql")
    if not isinstance(sql, str):
        raise fail(file, node, name, "a value cites a claim or a read-only SQL query on the store")
    if store is None:
        return Value(name, None, unit, None, sql, "needs a store (--db)")
    try:
        rows = store.query_readonly(sql).to_pylist()
    except TransshipError as exc:
        raise fail(file, node, "sql", exc.message) from None
    first = next(iter(rows[0].values()), None) if rows else None
    if first is None:
        return Value(name, None, unit, None, sql, "no rows in the store")
    return Value(name, float(first), unit, None, sql, None)


def run(path: str | Path, store: Store | None = None) -> Dependencies:
    data, claims, _ = read(path, store)
    file = str(path)
    target = str(need(file, data, "target", str))
    out = []
    for node in need(file, data, "dependencies", list):
        kind = str(need(file, node, "kind", str))
        if kind not in KINDS:
            raise fail(file, node, "kind", f"one of {', '.join(KINDS)}, not {kind!r}")
        values = [
            _value(file, name, node[name], claims, store)
            for name in ("share", "volume", "value", "revenue")
            if name in node
        ]
        if not values:
            raise fail(
                file,
                node,
                "share",
                "a dependency needs at least one of share, volume, value, revenue",
            )
        out.append(
            Dependency(
                kind,
                str(need(file, node, "item", str)),
                str(need(file, node, "supplier", str)),
                values,
            )
        )
    return Dependencies(target, out)


def case_file(case: str | Path, name: str) -> Path:
    """``CASE`` may be the case folder or the file itself."""
    p = Path(case)
    return p / name if p.is_dir() else p
