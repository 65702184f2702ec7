"""`transship evaluate`: detection stages scored against the simulation's truth, each figure
beside the baselines run in the same evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from transship.cli.app import app
from transship.evaluate import EvalRow, evaluate
from transship.evaluate.truth import planted_routes, read_truth
from transship.exc import InvalidInput
from transship.simulate import run
from transship.store import Store

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "cases" / "serbia-2025"
KEYS = ["stage", "noise", "precision", "recall", "f1", "support"]


def row(rows: list[EvalRow], stage: str) -> EvalRow:
    return next(r for r in rows if r.stage == stage)


def test_every_stage_is_scored_and_says_on_what(rows: list[EvalRow]) -> None:
    stages = [r.stage for r in rows]
    assert stages[:4] == [
        "certificates:diverted",
        "certificates:flaws",
        "certificates",
        "shipments",
    ]
    assert {"hubs:comtrade", "routes:comtrade", "hubs:reconciled", "routes:reconciled"} <= set(
        stages
    )
    # the simulator publishes no BACI-style file any more: nothing is scored on near-truth
    assert not any(s.endswith(":baci") for s in stages)
    assert {r.noise for r in rows} == {"low"}
    for r in rows:
        assert 0.0 <= r.precision <= 1.0 and 0.0 <= r.recall <= 1.0 and r.support > 0
        assert r.data, r.stage
    assert "transship reconcile" in row(rows, "routes:reconciled").data


def test_diverted_consignments_are_scored_whatever_their_paper(
    rows: list[EvalRow], sim_dir: Path
) -> None:
    truth = read_truth(sim_dir)
    consignments = {
        t["consignment"] for t in truth if t.get("kind") == "shipment" and t.get("diverted")
    }
    r = row(rows, "certificates:diverted")
    assert r.support == len(consignments)
    # papers with no flaw (genuine but misleading) cap the recall: it cannot reach 1
    assert r.recall < 1.0 and "cite no failing paper" in r.note
    base = {b.name: b for b in r.baselines}
    assert set(base) == {"value", "random"}
    assert base["value"].k == r.tp + r.fp
    # what the checks flag is diverted far more often than chance
    assert base["random"].precision_at_k is not None
    assert r.precision > base["random"].precision_at_k
    old = row(rows, "certificates")
    assert old.support == sum(1 for t in truth if t.get("kind") == "certificate" and t["false"])


def test_planted_flaws_missed_are_only_reuse_within_quantity(
    rows: list[EvalRow], sim_dir: Path
) -> None:
    """Every flaw planted where a check can see it is caught, except a reused paper whose
    consignments stay within its quantity (the reuse check has nothing to count)."""
    reasons = {
        t["id"]: set(t["reasons"]) for t in read_truth(sim_dir) if t.get("kind") == "certificate"
    }
    r = row(rows, "certificates:flaws")
    assert r.support > 0
    for cid in r.missed:
        assert "reused" in reasons[cid], cid


@pytest.mark.parametrize("dataset", ["comtrade", "reconciled"])
def test_hubs_rank_planted_intermediaries_above_every_baseline(
    rows: list[EvalRow], dataset: str
) -> None:
    r = row(rows, f"hubs:{dataset}")
    assert r.average_precision is not None
    base = {b.name: b.average_precision for b in r.baselines}
    assert set(base) == {"exports", "import_export_ratio", "random"}
    for name, ap in base.items():
        assert ap is not None and r.average_precision > ap, (name, ap, r.average_precision)


@pytest.mark.parametrize("dataset", ["comtrade", "reconciled"])
def test_routes_are_ranked_from_every_exporter(
    rows: list[EvalRow], sim_dir: Path, dataset: str
) -> None:
    r = row(rows, f"routes:{dataset}")
    origins = {path[0] for path, _ in planted_routes(read_truth(sim_dir))}
    # false alarms start at territories no scheme starts at: queries are not the planted ones
    assert any(fa.split("-")[0] not in origins for fa in r.false_alarms)
    assert r.candidates > 10 * r.support
    base = {b.name: b for b in r.baselines}
    assert set(base) == {"bilateral", "import_export_ratio", "random"}
    assert all(b.k == r.tp + r.fp for b in base.values())
    assert r.average_precision is not None and base["random"].average_precision is not None
    assert r.average_precision > base["random"].average_precision


def test_evaluate_into_a_given_store_twice_is_idempotent(
    sim_dir: Path, eval_store: Store, rows: list[EvalRow]
) -> None:
    counts = eval_store.fetchall("SELECT dataset, count(*) FROM trade_flows GROUP BY 1 ORDER BY 1")
    again = evaluate(sim_dir, store=eval_store, noise="relabelled")
    assert (
        eval_store.fetchall("SELECT dataset, count(*) FROM trade_flows GROUP BY 1 ORDER BY 1")
        == counts
    )
    assert [(r.stage, r.f1, r.average_precision) for r in rows] == [
        (r.stage, r.f1, r.average_precision) for r in again
    ]
    assert {r.noise for r in again} == {"relabelled"}


def test_two_simulations_in_one_store_are_refused(tmp_path: Path, store: Store) -> None:
    """The flow detectors read a whole dataset: a second simulation's statistics in the same
    store would be scored together with the first's, so the evaluation says so instead."""
    first, second = tmp_path / "a", tmp_path / "b"
    run(CASE, first, seed=1, scale=0.1, years="2023-2024", noise="low")
    run(CASE, second, seed=2, scale=0.1, years="2023-2024", noise="low")
    assert evaluate(first, store=store)
    with pytest.raises(InvalidInput, match="fresh store"):
        evaluate(second, store=store)


def test_a_folder_that_is_not_a_simulation(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="manifest"):
        evaluate(tmp_path)


def test_cli_simulate_and_evaluate_json(tmp_path: Path) -> None:
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
    res = runner.invoke(app, ["evaluate", str(out), "--json"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)
    assert got and all(list(r)[:6] == KEYS for r in got)
    assert all("baselines" in r and "data" in r for r in got)
    res = runner.invoke(app, ["evaluate", str(out), str(out), "--mean", "--json"])
    assert res.exit_code == 0, res.output
    assert {r["runs"] for r in json.loads(res.stdout)} == {2}
    bad = runner.invoke(app, ["evaluate", str(tmp_path / "nothing")])
    assert bad.exit_code == 1
    assert "Traceback" not in bad.output
