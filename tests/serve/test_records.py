"""Record statements built from the row agree with the store's ``*_statements`` views."""

from __future__ import annotations

from pathlib import Path

import pytest

from transship.serve.api.records import _parse_shape, record, statement_shape
from transship.store import connect

TABLES = ("trade_flows", "certificates", "claims", "shipments", "licences")


@pytest.mark.parametrize("table", TABLES)
def test_fast_statements_equal_the_view(demo_db: Path, table: str) -> None:
    with connect(demo_db, read_only=True) as store:
        assert statement_shape(store, f"{table}_statements") is not None, "fast path not taken"
        # a repeatable sample, plus the first row of every dataset (derived ones included:
        # trade_flows shows the reconciled rows transship computed)
        ids = [
            r[0]
            for r in store.fetchall(
                f"SELECT record_id FROM {table} USING SAMPLE reservoir(5 ROWS) REPEATABLE (7)"
            )
        ]
        ids += [
            r[0] for r in store.fetchall(f"SELECT min(record_id) FROM {table} GROUP BY dataset")
        ]
        assert ids
        for record_id in ids:
            got = record(store, record_id)
            view = store.query(
                f"SELECT prop, value, original_value FROM {table}_statements WHERE entity_id = ?",
                [record_id],
            ).to_pylist()
            key = lambda s: (s["prop"], s["value"])  # noqa: E731
            assert sorted(got["statements"], key=key) == sorted(view, key=key), record_id


def test_superseded_views_read_too(demo_db: Path) -> None:
    with connect(demo_db, read_only=True) as store:
        for table in TABLES:
            assert statement_shape(store, f"{table}_superseded_statements") is not None, table


def test_unreadable_definition_falls_back() -> None:
    assert _parse_shape("CREATE VIEW x AS SELECT 1") is None
    shape = _parse_shape(
        "SELECT CASE  WHEN ((prop = 'a')) THEN (a_orig) ELSE NULL END FROM (SELECT 1) "
        'UNPIVOT ("value" FOR prop IN (a, "b c"))'
    )
    assert shape is not None
    assert shape.props == ("a", "b c") and shape.originals == {"a": "a_orig"}


def test_reconciled_rows_are_records(tmp_path: Path, shared_data: Path) -> None:
    """Rows transship derived (``transship reconcile``) have no file: their run is their
    source and their evidence (both sides' record ids) leads on to the reported rows."""
    import transship
    from transship.flows.reconcile import reconcile

    db = tmp_path / "oil.duckdb"
    store = transship.open_store(db)
    transship.ingest(
        store, shared_data / "comtrade-hs2-oil-wood-sample" / "comtrade_oil_hs27_2013.csv"
    )
    with connect(db) as writer:
        reconcile(writer, product="27", years=(2013, 2013))
    with connect(db, read_only=True) as reader:
        [(record_id,)] = reader.fetchall(
            "SELECT record_id FROM reconciled_flows WHERE basis = 'both' ORDER BY line LIMIT 1"
        )
        got = record(reader, record_id)
        assert got["table"] == "reconciled_flows" and got["superseded"] is False
        assert got["source"]["format"] == "reconcile"
        assert got["source"]["file"].startswith("transship reconcile")
        evidence = got["values"]["evidence"]
        assert len(evidence) == 2
        sides = [record(reader, e) for e in evidence]
        assert {s["values"]["flow"] for s in sides} == {"X", "M"}
        assert all(s["table"] == "trade_flows" for s in sides)
