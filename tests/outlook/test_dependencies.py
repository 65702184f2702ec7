"""Dependencies: each value a graded claim or a row of the store, as a table and a graph."""

from __future__ import annotations

from pathlib import Path

import pytest

from transship.exc import SourceFormatError
from transship.outlook import dependencies
from transship.store import Store

CASE = Path(__file__).resolve().parents[2] / "cases" / "serbia-2025"


def test_the_serbia_case_values_carry_their_claims_and_grades() -> None:
    d = dependencies.run(CASE / "dependencies.yaml")
    gas = d.dependencies[0]
    assert (gas.kind, gas.supplier) == ("energy", "RU (Gazprom)")
    share = gas.values[0]
    assert share.claim is not None and share.claim.id == "SO01" and share.value == 80
    assert f"[SO01, {share.claim.grade}]" in share.label()
    sql = next(v for d_ in d.dependencies for v in d_.values if v.sql)
    assert sql.value is None and sql.note == "needs a store (--db)"
    g = d.graph()
    assert g["nodes"][0] == {"id": "RS (Serbia)", "role": "target"}
    assert {e["source"] for e in g["edges"]} >= {"RU (Gazprom)", "RU (Gazprom Neft)"}


def test_a_sql_value_reads_the_store(store: Store) -> None:
    d = dependencies.run(CASE / "dependencies.yaml", store)
    sql = next(v for d_ in d.dependencies for v in d_.values if v.sql)
    assert sql.value == 0.0  # an empty store: no SIPRI deals RU -> RS


def test_a_dependency_without_values_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "claims.jsonl").write_text("", encoding="utf-8")
    path = tmp_path / "d.yaml"
    path.write_text(
        "target: X\ndependencies:\n  - {kind: energy, item: gas, supplier: Y}\n", encoding="utf-8"
    )
    with pytest.raises(SourceFormatError, match="at least one of share") as err:
        dependencies.run(path)
    assert err.value.line == 3
