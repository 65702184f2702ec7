"""The same resolution on local PySpark (local[2]) and on DuckDB: same pairs, same actors.

The blocking SQL is written once in DuckDB's dialect and transpiled by SQLGlot for Spark
(as the flows engine does); scoring and clustering are the same Python on both. Records:
the Serbia case's parties in their spellings (Latin, Cyrillic, with and without legal
forms), the labelled set's hard negatives, namesakes in several countries, and the real
Zala fixture's parties (read in place).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from transship.resolve.resolution import RECORD_COLUMNS, resolve_records
from transship.store import Store
from transship.store.engine import DuckDBEngine, SparkEngine

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[2]
ZALA = "opensanctions-ftm-fixtures/zala_entities.ftm.jsonl"
SPELLINGS = [
    ("Krušik a.d. Valjevo", "rs"),
    ("KRUSIK AD VALJEVO", "rs"),
    ("Крушик", None),
    ("Yugoimport SDPR J.P.", "rs"),
    ("JUGOIMPORT-SDPR", None),
    ("Sloboda Čačak", "rs"),
    ("Sloboda Trgovina", "rs"),
    ("Zastava Oružje", "rs"),
    ("Zastava Promet", "rs"),
    ("Prvi Partizan", "rs"),
    ("PRVI PARTIZAN AD UZICE", "rs"),
    ("Ministry of Defence", "ae"),
    ("Ministry of Defence", "cz"),
    ("Ministry of Defence", None),
    ("VMZ Sopot", "bg"),
    ("ВМЗ Сопот", "bg"),
    ("Arsenal AD", "bg"),
    ("Arsenal JSCo", "bg"),
    ("Arsenal Trading", "bg"),
]


def _records(shared_data: Path) -> pa.Table:
    rows: list[tuple[str, str, str | None, list[str], list[str]]] = []
    for name, country in SPELLINGS:
        rows.append(("LegalEntity", name, country, [], []))
    for path in (ROOT / "cases" / "serbia-2025" / "parties.ftm.jsonl", shared_data / ZALA):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                e = json.loads(line)
                if e["schema"] not in ("Company", "Person", "Organization", "PublicBody"):
                    continue
                props = e["properties"]
                names = props.get("name", [])
                if not names:
                    continue
                country = (props.get("country") or [None])[0]
                ids = [f"inn:{v}" for v in props.get("innCode", [])]
                rows.append((e["schema"], names[0], country, [], ids))
                rows.append((e["schema"], names[0].upper(), None, [], []))
    cols: dict[str, list[Any]] = {c: [] for c in RECORD_COLUMNS}
    for i, (schema, name, country, names, ids) in enumerate(rows):
        cols["party_id"].append(f"t:{i:04d}:party")
        cols["source_table"].append("licences")
        cols["record_id"].append(f"{i:04d}")
        cols["dataset"].append("parity")
        cols["role"].append("party")
        cols["schema"].append(schema)
        cols["name"].append(name)
        cols["country"].append(country)
        cols["names"].append(names)
        cols["identifiers"].append(ids)
        cols["source_sha256"].append("x")
        cols["line"].append(i + 1)
        cols["simulated"].append(False)
    return pa.table(cols)


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkEngine]:
    engine = SparkEngine({}, master="local[2]")
    yield engine
    engine.stop()


def test_duckdb_and_spark_give_the_same_pairs_and_actors(
    store: Store, spark: SparkEngine, shared_data: Path
) -> None:
    records = _records(shared_data)
    on_duck = resolve_records(records, DuckDBEngine(store), workers=1, max_df=6, top_k=4)
    on_spark = resolve_records(records, spark, workers=1, max_df=6, top_k=4)
    assert on_duck.pairs_compared == on_spark.pairs_compared > 20
    assert on_duck.actor_per_record() == on_spark.actor_per_record()
    assert [(s.a, s.b, round(s.score, 6)) for s in on_duck.linked] == [
        (s.a, s.b, round(s.score, 6)) for s in on_spark.linked
    ]
    actors = on_duck.actor_per_record()
    names = records.column("name").to_pylist()
    by_name = {n: actors[i] for i, n in enumerate(names)}
    assert by_name["Krušik a.d. Valjevo"] == by_name["Крушик"]
    assert by_name["Sloboda Čačak"] != by_name["Sloboda Trgovina"]
    assert len(set(actors)) < len(actors)


def test_resolve_parties_on_spark_stores_the_same_actors(
    store: Store, spark: SparkEngine, fixtures: Path
) -> None:
    from transship.ingest.pipeline import ingest_file
    from transship.resolve.actors import resolve_parties

    for name in ("licences.csv", "shipments.csv", "certificates.csv"):
        ingest_file(store, fixtures / name, max_reject_share=1.0)
    sql = "SELECT party_id, actor_id FROM party_actors ORDER BY party_id"
    duck = resolve_parties(store, engine="duckdb")
    on_duck = store.fetchall(sql)
    on_spark_run = resolve_parties(store, engine="spark")
    assert on_spark_run.engine == "spark" and on_spark_run.run_id == duck.run_id + 1
    assert store.fetchall(sql) == on_duck
    assert (on_spark_run.actors, on_spark_run.pairs_compared) == (duck.actors, duck.pairs_compared)
