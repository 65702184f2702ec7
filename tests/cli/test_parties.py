"""`transship parties resolve|show|list|judge` on the command line.

Real data: the repository's licence, shipment and certificate fixtures, the Serbia case's
parties, and OpenSanctions' Zala fixture (read in place).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from transship.cli.app import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
ZALA = "opensanctions-ftm-fixtures/zala_entities.ftm.jsonl"


@pytest.fixture(scope="module")
def db_file(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    db = tmp_path_factory.mktemp("parties-cli") / "p.duckdb"
    fixtures = ROOT / "tests" / "fixtures"
    files = [fixtures / n for n in ("licences.csv", "shipments.csv", "certificates.csv")]
    for f in files:
        out = runner.invoke(app, ["ingest", str(f), "--db", str(db), "--max-reject-share", "1"])
        assert out.exit_code == 0, out.output
    for f, ds in (
        (ROOT / "cases" / "serbia-2025" / "parties.ftm.jsonl", "case"),
        (shared_data / ZALA, "zala"),
    ):
        out = runner.invoke(app, ["ingest", str(f), "--db", str(db), "--dataset", ds])
        assert out.exit_code == 0, out.output
    return db


@pytest.fixture
def db(db_file: Path, tmp_path: Path) -> Path:
    path = tmp_path / "copy.duckdb"
    shutil.copy(db_file, path)
    return path


def test_resolve_show_list_and_judge(db: Path) -> None:
    out = runner.invoke(app, ["parties", "resolve", "--db", str(db), "--json"])
    assert out.exit_code == 0, out.output
    run = json.loads(out.stdout)
    assert run["records"] > 40 and run["actors"] < run["records"]
    assert "score" in out.stderr  # progress on stderr, JSON alone on stdout

    out = runner.invoke(app, ["parties", "show", "Primer Arms d.o.o.", "--db", str(db), "--json"])
    assert out.exit_code == 0, out.output
    view = json.loads(out.stdout)
    assert {"exporter", "sender"} <= set(view["records_by_role"])
    assert {s["dataset"] for s in view["sources"]} == {"licences", "customs", "certificates"}
    lic = view["records_by_role"]["exporter"][0]["party_id"]
    ship = view["records_by_role"]["sender"][0]["party_id"]

    out = runner.invoke(
        app, ["parties", "show", "Zala Aero", "--db", str(db)], env={"COLUMNS": "200"}
    )
    assert out.exit_code == 0, out.output
    assert "LLC CST" in out.stdout
    assert "Sanctions" in out.stdout and "JSC Kalashnikov Concern" in out.stdout

    out = runner.invoke(app, ["parties", "list", "primer", "--db", str(db), "--json"])
    assert out.exit_code == 0, out.output
    assert [a["actor_id"] for a in json.loads(out.stdout)] == [view["actor_id"]]

    out = runner.invoke(
        app,
        ["parties", "judge", lic, ship, "--different", "--why", "two registrations",
         "--who", "analyst", "--db", str(db), "--json"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    j = json.loads(out.stdout)
    assert (j["verdict"], j["who"], j["why"]) == ("different", "analyst", "two registrations")

    out = runner.invoke(app, ["parties", "resolve", "--db", str(db), "--quiet"])
    assert out.exit_code == 0, out.output
    assert "judgements applied" in out.stdout
    a = json.loads(runner.invoke(app, ["parties", "show", lic, "--db", str(db), "--json"]).stdout)
    b = json.loads(runner.invoke(app, ["parties", "show", ship, "--db", str(db), "--json"]).stdout)
    assert a["actor_id"] != b["actor_id"]


def test_bad_input_is_one_line(db: Path) -> None:
    out = runner.invoke(app, ["parties", "show", "Primer Arms", "--db", str(db)])
    assert out.exit_code == 1
    assert "parties resolve" in out.stderr and "Traceback" not in out.output
    out = runner.invoke(
        app, ["parties", "judge", "a", "b", "--same", "--different", "--db", str(db)]
    )
    assert out.exit_code == 2
    out = runner.invoke(app, ["parties", "resolve", "--threshold", "2", "--db", str(db)])
    assert out.exit_code == 2
    assert runner.invoke(app, ["parties", "resolve", "--db", str(db), "-q"]).exit_code == 0
    out = runner.invoke(app, ["parties", "show", "Nobody At All Ltd", "--db", str(db)])
    assert out.exit_code == 1
    assert "Nobody At All Ltd" in out.stderr
    out = runner.invoke(
        app, ["parties", "judge", "Primer Arms d.o.o.", "Nobody Ltd", "--same", "--db", str(db)]
    )
    assert out.exit_code == 1
    assert len(out.stderr.strip().splitlines()) == 1
