"""The criterion-7 assessment scored on which licence requests led to diverted shipments,
beside document checks alone, governance alone, value and random, in the same evaluation."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from transship.evaluate import EvalRow
from transship.evaluate.certificates import holdings
from transship.evaluate.diversion import assessment_rows, licence_truth
from transship.evaluate.run import datasets
from transship.evaluate.truth import read_truth
from transship.ingest.pipeline import ingest_paths
from transship.risk.assess import assess_all
from transship.risk.model import Assessment
from transship.simulate.run import read_manifest
from transship.store import Store, connect

BASELINES = {"documents", "governance", "value", "random"}


def row(rows: list[EvalRow], stage: str) -> EvalRow:
    return next(r for r in rows if r.stage == stage)


def test_both_rows_with_every_baseline(rows: list[EvalRow], sim_dir: Path) -> None:
    lic = licence_truth(read_truth(sim_dir))
    for stage, keep in (
        ("assessment:licences", lambda t: True),
        ("assessment:requests", lambda t: t["source"] == "request"),
    ):
        r = row(rows, stage)
        mine = [t for t in lic.values() if keep(t)]
        assert r.candidates == len(mine)
        assert r.support == sum(t["diverted"] for t in mine) > 0
        assert {b.name for b in r.baselines} == BASELINES
        assert r.average_precision is not None and 0 < r.average_precision <= 1
        assert "assess_all" in r.data and "truth.jsonl only labels" in r.data
        assert "before_shipment=True" in r.data
    # the request population holds no scheme licence: its row has fewer candidates
    assert row(rows, "assessment:requests").candidates < row(rows, "assessment:licences").candidates


def test_the_assessment_ranks_diversion_above_the_baselines(rows: list[EvalRow]) -> None:
    """The headline (issue 14, point 4), on the smoke-size run: not tuned, and it can fail."""
    for stage in ("assessment:licences", "assessment:requests"):
        r = row(rows, stage)
        base = {b.name: b.average_precision for b in r.baselines}
        assert r.average_precision is not None
        for name in ("documents", "governance", "random"):
            other = base[name]
            assert other is not None and r.average_precision > other, (stage, name)


def _store_of(rows_dir: Path, target: Path) -> Store:
    store = connect(target)
    results = ingest_paths(store, [rows_dir])
    assert all(r.status == "ok" for r in results)
    return store


def test_the_assessment_does_not_read_the_truth(
    sim_dir: Path, eval_store: Store, rows: list[EvalRow], tmp_path: Path
) -> None:
    # the published files alone, far from truth.jsonl, the manifest and the true flows
    bare = tmp_path / "published"
    shutil.copytree(sim_dir / "data", bare)
    with _store_of(bare, tmp_path / "bare.duckdb") as store:
        alone = {a.subject: (a.score, a.level) for a in assess_all(store)}
    beside = {a.subject: (a.score, a.level) for a in assess_all(eval_store)}
    assert alone and set(alone) <= set(beside)
    # same level, same score up to the order floating-point sums are taken in
    assert {k: v[1] for k, v in alone.items()} == {k: beside[k][1] for k in alone}
    assert {k: v[0] for k, v in alone.items()} == pytest.approx({k: beside[k][0] for k in alone})


def test_the_rows_score_the_assessment_before_shipment(
    sim_dir: Path, eval_store: Store, rows: list[EvalRow]
) -> None:
    """The request's own shipments are what the question is about: the evaluated scores are
    the assessment made without them, and they differ from the one that reads them."""
    lic = licence_truth(read_truth(sim_dir))
    before = {a.subject: a.score for a in assess_all(eval_store, before_shipment=True)}
    after = {a.subject: a.score for a in assess_all(eval_store)}
    mine = [k for k in lic if k in before]
    assert mine
    assert row(rows, "assessment:licences").candidates == len(mine)
    # the request population's diverted shipments are read by the after-shipment assessment
    assert any(before[k] != after[k] for k in mine)


def _fake(scores: dict[str, float]) -> Any:
    def assess(_store: Store) -> list[Assessment]:
        return [
            Assessment(subject=k, score=v, level="high" if v >= 0.5 else "low")
            for k, v in scores.items()
        ]

    return assess


@pytest.mark.parametrize("kind", ["oracle", "constant", "inverse"])
def test_the_scoring_itself(sim_dir: Path, eval_store: Store, kind: str) -> None:
    truth = read_truth(sim_dir)
    lic = licence_truth(truth)
    results = ingest_paths(eval_store, [sim_dir / "data"])  # already stored: skipped
    by_format = datasets(eval_store, results)
    if kind == "oracle":
        scores = {k: float(t["diverted"]) for k, t in lic.items()}
    elif kind == "inverse":
        scores = {k: 1.0 - float(t["diverted"]) for k, t in lic.items()}
    else:
        scores = dict.fromkeys(lic, 0.5)
    got = assessment_rows(
        eval_store,
        by_format["licences"],
        by_format["certificates"],
        by_format["shipments"],
        truth,
        holdings(read_manifest(sim_dir)),
        "low",
        assess=_fake(scores),
    )
    r = next(x for x in got if x.stage == "assessment:licences")
    share = r.support / r.candidates
    if kind == "oracle":
        assert r.average_precision == 1.0 and r.precision == 1.0 and r.recall == 1.0
    elif kind == "constant":
        # ties count against the detector: every diverted request ranks after every other
        assert r.average_precision is not None and r.average_precision < share
        assert r.recall == 1.0 and r.precision == pytest.approx(share, abs=1e-4)
    else:
        assert r.average_precision is not None and r.average_precision < share and r.tp == 0
