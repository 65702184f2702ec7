"""The store: migrations recorded once, read-only SQL, atomic transactions."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from transship.exc import InvalidInput, NotFound
from transship.store import connect

EXPECTED_TABLES = {
    "trade_flows",
    "arms_transfers",
    "arms_tiv",
    "licences",
    "licence_stats",
    "shipments",
    "certificates",
    "entities",
    "statements",
    "sources",
    "ingest_runs",
    "rejects",
    "documents",
    "claims",
}


def test_migrations_recorded_once(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with connect(path) as s:
        first = s.fetchall("SELECT name FROM _transship_migrations ORDER BY name")
        assert first and first[0][0].startswith("0001_")
        assert EXPECTED_TABLES <= set(s.tables())
    with connect(path) as s:
        assert s.migrate() == []
        assert s.fetchall("SELECT name FROM _transship_migrations ORDER BY name") == first


def test_statement_columns_follow_ftm(store) -> None:  # type: ignore[no-untyped-def]
    cols = store.columns("statements")
    for name in [
        "id",
        "entity_id",
        "canonical_id",
        "prop",
        "prop_type",
        "schema",
        "value",
        "dataset",
        "lang",
        "original_value",
        "first_seen",
        "last_seen",
        "external",
        "origin",
    ]:
        assert name in cols


def test_readonly_sql_refuses_writes(store) -> None:  # type: ignore[no-untyped-def]
    assert store.query_readonly("SELECT 1 AS x").column("x").to_pylist() == [1]
    for bad in [
        "DELETE FROM trade_flows",
        "DROP TABLE claims",
        "SELECT 1; DROP TABLE claims",
        "INSERT INTO claims SELECT * FROM claims",
        "COPY trade_flows TO 'x.csv'",
    ]:
        with pytest.raises(InvalidInput):
            store.query_readonly(bad)
    assert "claims" in store.tables()


def test_transaction_rolls_back(store) -> None:  # type: ignore[no-untyped-def]
    rows = pa.table({"run_id": [1], "file": ["f"], "line": [3], "reason": ["bad"]})
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.append("rejects", rows)
            raise RuntimeError("boom")
    assert store.count("rejects") == 0
    with store.transaction():
        store.append("rejects", rows)
    assert store.count("rejects") == 1


def test_missing_store_read_only(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        connect(tmp_path / "nope.duckdb", read_only=True)


def test_only_store_calls_duckdb_connect() -> None:
    root = Path(__file__).resolve().parents[2] / "transship"
    callers = [p for p in root.rglob("*.py") if "duckdb.connect(" in p.read_text(encoding="utf-8")]
    assert [p.relative_to(root).as_posix() for p in callers] == ["store/db.py"]


def test_only_shipped_extensions(store) -> None:  # type: ignore[no-untyped-def]
    loaded = {
        r[0] for r in store.fetchall("SELECT extension_name FROM duckdb_extensions() WHERE loaded")
    }
    assert {"parquet", "json"} <= loaded


def test_queries_after_count_and_run_lookup(store) -> None:  # type: ignore[no-untyped-def]
    """No unfinished result is left behind (DuckDB 2 refuses the next query otherwise)."""
    assert store.count("trade_flows") == 0
    assert store.source_run("0" * 64) is None
    assert store.next_run_id() == 1
    assert store.query("SELECT 1 AS x").num_rows == 1
    assert sum(b.num_rows for b in store.stream("SELECT 1 AS x")) == 1


def test_abandoned_stream_frees_the_connection(store) -> None:  # type: ignore[no-untyped-def]
    stream = store.stream("SELECT * FROM range(1000000) t(x)", batch_rows=1000)
    next(stream)
    stream.close()
    assert store.query("SELECT 42 AS x").column("x").to_pylist() == [42]
