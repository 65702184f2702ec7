"""The same mirror and hubs analysis on local PySpark and on DuckDB, compared.

One Spark session (local[2]) for the module: it reads the store's trade_flows exported to
Parquet, exactly as ``--engine spark`` does. Data: the seeded generated set (planted hub,
biased and noisy reporters, aggregates that must never pair) plus a slice of the real
Comtrade HS44 2016-2017 files (about 40 reporters, read in place).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from tests.flows import flowdata
from transship.flows.hubs import hub_scores, hub_table
from transship.flows.mirror import mirror_gaps, reporting_reliability
from transship.store import Store, connect
from transship.store.engine import DuckDBEngine, SparkEngine

pytestmark = pytest.mark.spark

#: Reporters of the real slice: a mix of big and small, reporters of re-exports included.
SLICE = {
    "SRB", "CZE", "BGR", "HUN", "ROU", "POL", "SVK", "DEU", "AUT", "ITA", "FRA", "NLD", "BEL",
    "GBR", "ESP", "TUR", "UKR", "RUS", "CHN", "USA", "CAN", "BRA", "IND", "JPN", "KOR", "SGP",
    "HKG", "MYS", "IDN", "THA", "VNM", "AUS", "NZL", "ZAF", "EGY", "MAR", "CHL", "MEX", "SWE",
    "FIN",
}  # fmt: skip
TOL = 1e-6


@pytest.fixture(scope="module")
def both(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[tuple[Store, Any]]:
    folder = tmp_path_factory.mktemp("spark")
    store = connect(folder / "both.duckdb")
    flowdata.load(store, flowdata.generated_rows())
    real = shared_data / "comtrade-hs2-oil-wood-sample"
    for year in (2016, 2017):
        rows = flowdata.comtrade_rows(real / f"comtrade_wood_hs44_{year}.csv", SLICE)
        flowdata.load(store, rows)
    spark = SparkEngine.from_store(store, workdir=folder / "parquet")
    yield store, spark
    spark.stop()
    store.close()


def _keyed(table: pa.Table, keys: tuple[str, ...]) -> dict[tuple[Any, ...], dict[str, Any]]:
    out = {}
    for r in table.to_pylist():
        out[tuple(r[k] for k in keys)] = r
    assert len(out) == table.num_rows, "keys are not unique"
    return out


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is None and b is None
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=TOL, abs_tol=TOL)
    if isinstance(a, list) and isinstance(b, list):
        return sorted(a) == sorted(b)
    return bool(a == b)


def _same(duck: pa.Table, spark: pa.Table, keys: tuple[str, ...]) -> None:
    assert duck.num_rows == spark.num_rows
    assert duck.schema.names == spark.schema.names
    d, s = _keyed(duck, keys), _keyed(spark, keys)
    assert d.keys() == s.keys()
    for key, row in d.items():
        other = s[key]
        for col, value in row.items():
            assert _close(value, other[col]), (key, col, value, other[col])


def test_spark_reads_the_same_rows(both: tuple[Store, Any]) -> None:
    store, spark = both
    n = store.query("SELECT count(*) AS n, sum(value_usd) AS v FROM trade_flows").to_pylist()[0]
    m = spark.sql("SELECT count(*) AS n, sum(value_usd) AS v FROM trade_flows").to_pylist()[0]
    assert n["n"] == m["n"] and math.isclose(n["v"], m["v"], rel_tol=1e-12)


def test_mirror_gaps_agree(both: tuple[Store, Any]) -> None:
    store, spark = both
    duck = DuckDBEngine(store)
    keys = ("exporter", "importer", "product", "year")
    _same(mirror_gaps(duck, product="93"), mirror_gaps(spark, product="93"), keys)
    real_d = mirror_gaps(duck, product="44", years=(2016, 2017))
    real_s = mirror_gaps(spark, product="44", years=(2016, 2017))
    assert real_d.num_rows > 500
    _same(real_d, real_s, keys)
    rel_keys = ("territory",)
    _same(reporting_reliability(duck, "44"), reporting_reliability(spark, "44"), rel_keys)


def test_hubs_agree(both: tuple[Store, Any]) -> None:
    store, spark = both
    duck = DuckDBEngine(store)
    keys = ("code", "product", "year")
    _same(hub_table(duck, product="9306"), hub_table(spark, product="9306"), keys)
    _same(
        hub_table(duck, product="44", break_year=2017),
        hub_table(spark, product="44", break_year=2017),
        keys,
    )
    top_d = hub_scores(duck, product="9306", years=(2022, 2024), limit=5)
    top_s = hub_scores(spark, product="9306", years=(2022, 2024), limit=5)
    assert [h.to_dict() for h in top_d] == [h.to_dict() for h in top_s] or all(
        a.territory == b.territory and math.isclose(a.score, b.score, rel_tol=TOL)
        for a, b in zip(top_d, top_s, strict=True)
    )
    assert top_s[0].territory == "BGR"
