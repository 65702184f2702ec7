"""One small simulation evaluated once per session, shared by the evaluation tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from transship.evaluate import EvalRow, evaluate
from transship.simulate import run
from transship.store import Store, connect

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "cases" / "serbia-2025"


@pytest.fixture(scope="session")
def sim_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("eval") / "sim"
    run(CASE, out, seed=5, scale=0.3, years="2020-2024", noise="low")
    return out


@pytest.fixture(scope="session")
def eval_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with connect(tmp_path_factory.mktemp("evalstore") / "eval.duckdb") as s:
        yield s


@pytest.fixture(scope="session")
def rows(sim_dir: Path, eval_store: Store) -> list[EvalRow]:
    """Every row of the evaluation of ``sim_dir`` (evaluated into ``eval_store``)."""
    return evaluate(sim_dir, store=eval_store)
