"""`transship demo` builds a fresh store from the shipped case, labelled where simulated."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from transship.cli.app import app
from transship.store import connect

runner = CliRunner()


def test_demo_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    (out).mkdir()
    keep = out / "my-notes.txt"
    keep.write_text("not the demo's", encoding="utf-8")
    result = runner.invoke(app, ["demo", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert keep.exists(), "the demo must not delete files it did not write"
    tables = {t["table"]: t for t in report["tables"]}
    # The case's real parties and claims are in, and not marked simulated.
    assert tables["entities"]["rows"] > 0 and tables["entities"]["simulated"] == 0
    assert tables["claims"]["rows"] > 0
    # Simulated statistics are in, and every one of them is marked simulated.
    assert tables["trade_flows"]["rows"] > 0
    assert tables["trade_flows"]["simulated"] == tables["trade_flows"]["rows"]
    titles = [s["title"] for s in report["sections"]]
    assert any("SIMULATED" in t for t in titles)
    assert set(report["not_built"]) >= {"resolve", "outlook", "serve"}
    # The routes as a picture, labelled simulated in the picture itself.
    picture = (out / "routes.html").read_text(encoding="utf-8")
    assert "<svg" in picture and "SIMULATED DATA" in picture and "UKR" in picture
    with connect(Path(report["store"])) as s:
        assert s.count("ingest_runs") >= 3
        names = {r[0] for r in s.fetchall("SELECT caption FROM entities")}
        assert any("Kru" in n for n in names) and any("Yugoimport" in n for n in names)


def test_demo_twice_gives_fresh_store(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    first = runner.invoke(app, ["demo", "--out", str(out), "--json"])
    second = runner.invoke(app, ["demo", "--out", str(out), "--json"])
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    a = {t["table"]: t["rows"] for t in json.loads(first.stdout)["tables"]}
    b = {t["table"]: t["rows"] for t in json.loads(second.stdout)["tables"]}
    assert a == b
