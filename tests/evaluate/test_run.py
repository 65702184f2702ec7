"""`transship evaluate`: detection stages scored against the simulation's truth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from transship.cli.app import app
from transship.evaluate import EvalRow, evaluate, score
from transship.exc import InvalidInput
from transship.simulate import run
from transship.store import Store

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "cases" / "serbia-2025"
KEYS = ["stage", "noise", "precision", "recall", "f1", "support"]


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("eval") / "sim"
    run(CASE, out, seed=5, scale=0.3, years="2020-2024", noise="low")
    return out


@pytest.fixture(scope="module")
def rows(sim_dir: Path) -> list[EvalRow]:
    return evaluate(sim_dir)


def test_score_arithmetic() -> None:
    r = score("x", "low", {1, 2, 3, 4}, {3, 4, 5})
    assert (r.tp, r.fp, r.fn, r.support) == (2, 2, 1, 3)
    assert r.precision == 0.5 and r.recall == pytest.approx(0.6667, abs=1e-4)
    assert r.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3), abs=1e-4)
    assert score("y", "low", set(), {1}).f1 == 0.0
    assert list(r.to_dict()) == KEYS


def test_every_stage_that_exists_is_scored(rows: list[EvalRow]) -> None:
    stages = {r.stage for r in rows}
    assert {
        "certificates",
        "shipments",
        "hubs:comtrade",
        "routes:comtrade",
        "hubs:baci",
        "routes:baci",
    } <= stages
    assert {r.noise for r in rows} == {"low"}
    for r in rows:
        assert 0.0 <= r.precision <= 1.0 and 0.0 <= r.recall <= 1.0 and r.support > 0


def test_certificate_checks_find_most_visible_flaws(rows: list[EvalRow]) -> None:
    cert = next(r for r in rows if r.stage == "certificates")
    # Papers flagged are mostly false ones; genuine-but-misleading papers cap the recall.
    assert cert.precision >= 0.8
    assert 0.3 <= cert.recall < 1.0
    assert "misleading" in cert.note


def test_planted_routes_are_found_in_reconciled_flows(rows: list[EvalRow]) -> None:
    routes = next(r for r in rows if r.stage == "routes:baci")
    assert routes.support >= 8
    assert routes.recall >= 0.5
    assert "SRB-CZE-UKR 930690" not in routes.missed


def test_evaluate_into_a_given_store_twice_is_idempotent(sim_dir: Path, store: Store) -> None:
    first = evaluate(sim_dir, store=store)
    n = store.fetchall("SELECT count(*) FROM trade_flows")[0][0]
    second = evaluate(sim_dir, store=store, noise="relabelled")
    assert store.fetchall("SELECT count(*) FROM trade_flows")[0][0] == n
    assert [r.f1 for r in first] == [r.f1 for r in second]
    assert {r.noise for r in second} == {"relabelled"}


def test_a_folder_that_is_not_a_simulation(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="manifest"):
        evaluate(tmp_path)


def test_cli_simulate_and_evaluate_json(sim_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cli"
    res = runner.invoke(
        app,
        [
            "simulate",
            str(CASE),
            "--out",
            str(out),
            "--seed",
            "2",
            "--scale",
            "0.1",
            "--years",
            "2022-2024",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["simulated"] is True and data["years"] == [2022, 2024]
    res = runner.invoke(app, ["evaluate", str(sim_dir), "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert rows and all(list(r) == KEYS for r in rows)
    bad = runner.invoke(app, ["evaluate", str(tmp_path / "nothing")])
    assert bad.exit_code == 1
    assert "Traceback" not in bad.output
