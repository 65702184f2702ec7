"""The hub rows agree with the flows stage's own simulated-hub harness on the same store."""

from __future__ import annotations

from pathlib import Path

import pytest

from transship.evaluate.hubs import HUB_THRESHOLD, hub_stage
from transship.evaluate.scoring import EvalRow
from transship.evaluate.truth import background, planted_hubs, read_truth
from transship.flows.validate import validate_simulated_hubs
from transship.store import Store
from transship.store.engine import DuckDBEngine


@pytest.mark.parametrize("dataset", ["comtrade", "reconciled"])
def test_same_candidates_same_figures_as_validate_simulated_hubs(
    sim_dir: Path, eval_store: Store, rows: list[EvalRow], dataset: str
) -> None:
    """On the planted products alone (the harness's candidates), the evaluation's hub stage
    gives the harness's precision, recall, F1 and baselines; average precision may differ
    only by the order of tied scores (the evaluation ranks a planted item after every
    other with the same score)."""
    truth = read_truth(sim_dir)
    planted = planted_hubs(truth)
    products = {p for _, p, _ in planted}
    ours = hub_stage(
        DuckDBEngine(eval_store),
        dataset,
        planted,
        products,
        (2020, 2024),
        2022,
        "hubs",
        "low",
        "",
        background(truth)[1],
    )
    assert ours is not None
    theirs = next(
        r
        for r in validate_simulated_hubs(sim_dir, store=eval_store, threshold=HUB_THRESHOLD)[
            "results"
        ]
        if r["dataset"] == dataset
    )
    assert ours.candidates == theirs["candidates"]
    assert theirs["background_left_out"] > 0
    assert (ours.tp, ours.tp + ours.fp) == (theirs["hits"], theirs["flagged"])
    assert ours.f1 == pytest.approx(theirs["f1"], abs=1e-3)
    base = {b.name: b.average_precision for b in ours.baselines}
    assert base["exports"] == pytest.approx(theirs["exports_baseline_ap"], abs=1e-3)
    assert base["import_export_ratio"] == pytest.approx(theirs["ratio_baseline_ap"], abs=1e-3)
    assert ours.average_precision is not None
    assert ours.average_precision <= theirs["average_precision"] + 1e-3
    assert ours.average_precision == pytest.approx(theirs["average_precision"], abs=0.02)
    # the evaluation's own row adds the case's other products: more candidates, same truth
    full = next(r for r in rows if r.stage == f"hubs:{dataset}")
    assert full.candidates > ours.candidates and full.support == ours.support
