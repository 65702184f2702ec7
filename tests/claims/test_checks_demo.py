"""The demo section: the Serbia case's claims graded and checked against a store, the report
written beside it, SIMULATED data labelled."""

from __future__ import annotations

import json
from pathlib import Path

from transship.claims.demo import demo_section
from transship.ingest.pipeline import ingest_paths
from transship.store import Store


def test_demo_section(store: Store, fixtures: Path, tmp_path: Path) -> None:
    ingest_paths(store, [fixtures / "comtrade_plus_9306.csv"])
    out = demo_section(store, tmp_path / "demo")
    assert out["title"].startswith("Claims")
    lines = out["lines"]
    assert lines[0].startswith("22 claims from serbia-2025/claims.jsonl")
    assert any("attribution.unit [SR05]" in line for line in lines)
    assert any("1 independent origin(s): Financial Times" in line for line in lines)
    data = json.loads((tmp_path / "demo" / "claims.json").read_text(encoding="utf-8"))
    assert data["summary"]["claims"] == 22
    assert (tmp_path / "demo" / "claims.html").read_text(encoding="utf-8").count("SR05") >= 2
    if data["simulated"]:  # rows of simulated data were compared: the line says so
        assert any("SIMULATED" in line for line in lines)
