"""The engine layer: DuckDB through the store, SQL transpiled for Spark."""

from __future__ import annotations

import inspect
from pathlib import Path

import pyarrow as pa
import pytest

from transship.exc import InvalidInput
from transship.flows.chains import parse_years, scope_sql
from transship.store import Store
from transship.store import engine as engine_mod
from transship.store.engine import DuckDBEngine, open_engine, temp_name, to_spark_sql


def test_duckdb_engine_round_trip(store: Store) -> None:
    eng = DuckDBEngine(store)
    eng.register("small", pa.table({"a": [1, 2, 3], "b": ["x", "y", "x"]}))
    eng.view("v", "SELECT b, sum(a) AS s FROM small GROUP BY b")
    eng.materialize("m", "SELECT * FROM v WHERE s > 3")
    assert eng.sql("SELECT * FROM m").to_pylist() == [{"b": "x", "s": 4}]
    assert eng.scalar("SELECT count(*) FROM v") == 2
    batches = list(eng.stream("SELECT * FROM range(10)", batch_rows=4))
    assert sum(b.num_rows for b in batches) == 10
    assert len(batches) >= 3
    eng.drop("m")
    with pytest.raises(InvalidInput):
        eng.sql("SELECT * FROM m")
    eng.close()
    with pytest.raises(InvalidInput):
        eng.sql("SELECT * FROM small")


def test_relation_names_are_checked(store: Store) -> None:
    eng = DuckDBEngine(store)
    with pytest.raises(InvalidInput):
        eng.view('x"; DROP TABLE trade_flows; --', "SELECT 1")
    assert temp_name("a") != temp_name("a")


def test_duckdb_engine_goes_through_the_store() -> None:
    """Only transship/store/db.py may open DuckDB connections."""
    source = inspect.getsource(engine_mod)
    assert "duckdb.connect" not in source
    assert "import duckdb" not in source


def test_transpile_keeps_the_portable_constructs() -> None:
    q = (
        "SELECT ln(x) AS l, median(x) AS m, list_sort(array_agg(id)) AS ev, "
        "sum(v) FILTER (WHERE side = 0) AS s, CAST(NULL AS VARCHAR) AS n, "
        "flatten(array_agg(ids)) AS f FROM t GROUP BY k"
    )
    out = to_spark_sql(q)
    assert "LN(x)" in out
    assert "MEDIAN(x)" in out
    assert "ARRAY_SORT(COLLECT_LIST(id))" in out
    assert "FILTER(WHERE side = 0)" in out
    assert "CAST(NULL AS STRING)" in out
    assert "FLATTEN(COLLECT_LIST(ids))" in out


def test_every_scope_query_transpiles() -> None:
    sql = scope_sql("93", (2019, 2024), "comtrade")
    out = to_spark_sql(sql)
    assert "LIKE '93%'" in out
    assert "MIN(level_key) OVER (PARTITION BY reporter, flow, year)" in out


def test_open_engine_rejects_unknown(store: Store) -> None:
    with pytest.raises(InvalidInput):
        open_engine("postgres", store)
    assert open_engine("duckdb", store).name == "duckdb"


def test_parse_years() -> None:
    assert parse_years("2019-2024") == (2019, 2024)
    assert parse_years("2022") == (2022, 2022)
    assert parse_years(None) is None
    for bad in ("2024-2019", "19-24", "abc"):
        with pytest.raises(InvalidInput):
            parse_years(bad)


def test_read_only_store_allows_temporary_relations(tmp_path: Path) -> None:
    """The CLI opens the store read-only; the engine's temp tables must still work."""
    from transship.store import connect

    connect(tmp_path / "ro.duckdb").close()
    with connect(tmp_path / "ro.duckdb", read_only=True) as ro:
        eng = DuckDBEngine(ro)
        eng.materialize("t", "SELECT 42 AS a")
        assert eng.scalar("SELECT a FROM t") == 42
