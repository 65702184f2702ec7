"""The chain join: same chains as brute force, estimate before running, partitions, evidence."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest

from tests.flows import flowdata
from transship.exc import InvalidInput
from transship.flows.chains import (
    LegTable,
    chain_legs,
    chain_sql,
    estimate_pairs,
    prepare_legs,
)
from transship.flows.engine import DuckDBEngine
from transship.store import Store


@pytest.fixture(scope="module")
def gen_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = flowdata.generated_store(tmp_path_factory.mktemp("chains") / "gen.duckdb")
    yield store
    store.close()


@pytest.fixture(scope="module")
def legs93(gen_store: Store) -> Iterator[LegTable]:
    legs = prepare_legs(DuckDBEngine(gen_store), product="93")
    yield legs
    legs.close()


def _brute(legs: LegTable, hops: int, lag: int = 0) -> Counter[tuple[object, ...]]:
    t = legs.legs().to_pylist()
    out: Counter[tuple[object, ...]] = Counter()
    by_exp: dict[tuple[str, str], list[dict[str, object]]] = {}
    for leg in t:
        by_exp.setdefault((leg["exporter"], leg["product"]), []).append(leg)

    def onward(leg: dict[str, object]) -> list[dict[str, object]]:
        return [
            n
            for n in by_exp.get((leg["importer"], leg["product"]), [])  # type: ignore[arg-type]
            if leg["year"] <= n["year"] <= leg["year"] + lag  # type: ignore[operator]
        ]

    for a in t:
        for b in onward(a):
            if b["importer"] == a["exporter"]:
                continue
            if hops == 2:
                out[
                    (
                        a["exporter"],
                        a["importer"],
                        b["importer"],
                        a["product"],
                        a["year"],
                        b["year"],
                    )
                ] += 1
                continue
            for c in onward(b):
                if c["importer"] in (a["exporter"], b["exporter"]):
                    continue
                out[(a["exporter"], a["importer"], b["importer"], c["importer"], a["product"])] += 1
    return out


def _got(batches: Iterator[pa.RecordBatch], hops: int) -> Counter[tuple[object, ...]]:
    out: Counter[tuple[object, ...]] = Counter()
    for b in batches:
        for r in b.to_pylist():
            if hops == 2:
                out[
                    (r["origin"], r["hub"], r["destination"], r["product"], r["year1"], r["year2"])
                ] += 1
            else:
                out[(r["origin"], r["hub"], r["hub2"], r["destination"], r["product"])] += 1
    return out


def test_product_filter_runs_before_the_join(legs93: LegTable) -> None:
    assert legs93.products.to_pylist() == ["93"]
    assert legs93.n_legs > 0
    assert set(legs93.legs().column("product").to_pylist()) == {"93"}


def test_two_hops_match_brute_force(gen_store: Store, legs93: LegTable) -> None:
    eng = DuckDBEngine(gen_store)
    expected = _brute(legs93, 2)
    got = _got(chain_legs(eng, legs=legs93), 2)
    assert got == expected
    est = estimate_pairs(legs93)
    assert est >= sum(got.values())
    cycles = sum(
        1
        for a in legs93.legs().to_pylist()
        for b in legs93.legs().to_pylist()
        if b["exporter"] == a["importer"]
        and b["importer"] == a["exporter"]
        and a["year"] == b["year"]
    )
    assert est == sum(got.values()) + cycles


def test_three_hops_and_lags_match_brute_force(gen_store: Store, legs93: LegTable) -> None:
    eng = DuckDBEngine(gen_store)
    assert _got(chain_legs(eng, legs=legs93, max_hops=3), 3) == _brute(legs93, 3)
    assert _got(chain_legs(eng, legs=legs93, max_lag=1), 2) == _brute(legs93, 2, lag=1)
    assert estimate_pairs(legs93, max_hops=3) >= sum(_brute(legs93, 3).values())


def test_partitions_give_the_same_chains(gen_store: Store, legs93: LegTable) -> None:
    eng = DuckDBEngine(gen_store)
    legs = prepare_legs(eng, years=(2022, 2023))  # every code its own product
    one = _got(chain_legs(eng, legs=legs), 2)
    many = _got(chain_legs(eng, legs=legs, partition_pairs=50, batch_rows=64), 2)
    assert one == many and len(legs.products) == len(flowdata.PRODUCTS)
    legs.close()


def test_endpoints_and_raw_forms(gen_store: Store, legs93: LegTable) -> None:
    eng = DuckDBEngine(gen_store)
    got = _got(chain_legs(eng, legs=legs93, origin="rs", destination="ua"), 2)
    assert got and all(k[0] == "rs" and k[2] == "ua" for k in got)
    assert estimate_pairs(legs93, origin="rs", destination="ua") >= sum(got.values())
    raw = next(chain_legs(eng, legs=legs93, decode=False))
    assert raw.schema.names == ["leg1", "leg2"]
    ints = next(chain_legs(eng, legs=legs93, labels=False))
    assert pa.types.is_integer(ints.schema.field("origin").type)
    assert list(chain_legs(eng, legs=legs93, origin="zw")) == []
    with pytest.raises(InvalidInput):
        estimate_pairs(legs93, max_hops=4)


def test_leg_evidence_is_the_rows_of_the_leg(gen_store: Store, legs93: LegTable) -> None:
    batch = next(chain_legs(DuckDBEngine(gen_store), legs=legs93, origin="rs", destination="ua"))
    first = batch.slice(0, 1).to_pylist()[0]
    ev = legs93.evidence([first["leg1"], first["leg2"]])
    rows = gen_store.query(
        "SELECT reporter, partner, flow, year, value_usd FROM trade_flows WHERE record_id IN "
        f"({', '.join(repr(i) for i in ev[first['leg1']])})"
    ).to_pylist()
    assert rows
    for r in rows:
        exporter = r["partner"] if r["flow"] == "M" else r["reporter"]
        importer = r["reporter"] if r["flow"] == "M" else r["partner"]
        assert (exporter, importer, r["year"]) == ("rs", first["hub"], first["year1"])
    x = sum(r["value_usd"] for r in rows if r["flow"] == "X")
    assert first["value1"] == pytest.approx(x)  # the exporter's own figure wins


def test_merge_join_equals_the_sql_join(gen_store: Store) -> None:
    """The in-memory merge join gives exactly the leg-id tuples of the SQL join (chain_sql),
    over every product and two years, for 2 and 3 hops, with a lag and with endpoints; the
    estimate is the SQL join's count plus the A -> M -> A cycles it drops."""
    eng = DuckDBEngine(gen_store)
    legs = prepare_legs(eng, years=(2022, 2023))
    try:
        cases: list[dict[str, Any]] = [
            {"max_hops": 2},
            {"max_hops": 3},
            {"max_hops": 2, "max_lag": 1},
            {"max_hops": 3, "origin": "rs"},
            {"max_hops": 2, "destination": "ua"},
        ]
        for kw in cases:
            sql = eng.sql(chain_sql(legs, **kw))
            want = sorted(zip(*(sql.column(c).to_pylist() for c in sql.column_names), strict=True))
            got_batches = list(chain_legs(eng, legs=legs, decode=False, batch_rows=500, **kw))
            got = sorted(
                t
                for b in got_batches
                for t in zip(*(b.column(i).to_pylist() for i in range(b.num_columns)), strict=True)
            )
            assert got == want and len(want) > 0, kw
            assert all(b.num_rows > 0 for b in got_batches)
        cycles = eng.scalar(
            f"SELECT count(*) FROM {legs.relation} a JOIN {legs.relation} b ON b.exp = a.imp "
            "AND b.imp = a.exp AND b.pidx = a.pidx AND b.year = a.year"
        )
        n2 = eng.scalar(f"SELECT count(*) FROM ({chain_sql(legs)}) q")
        assert estimate_pairs(legs) == n2 + cycles
    finally:
        legs.close()


def test_decoded_columns_are_the_legs_columns(gen_store: Store) -> None:
    """Every decoded column equals a plain look-up of the leg ids in ``legs.legs()``, for 2
    and 3 hops, with and without a lag and an origin, across small batches; the types are
    the documented ones (dictionaries over the legs' own code tables)."""
    eng = DuckDBEngine(gen_store)
    legs = prepare_legs(eng, years=(2022, 2023))
    try:
        by_id = {r["leg_id"]: r for r in legs.legs().to_pylist()}
        cases: list[dict[str, Any]] = [
            {"max_hops": 2},
            {"max_hops": 3},
            {"max_hops": 2, "max_lag": 1},
            {"max_hops": 3, "max_lag": 1, "origin": "rs"},
        ]
        for kw in cases:
            hops = kw["max_hops"]
            n = 0
            for b in chain_legs(eng, legs=legs, batch_rows=300, **kw):
                assert b.num_rows > 0
                hub_cols = ["hub"] if hops == 2 else ["hub", "hub2"]
                assert b.schema.names == [
                    "origin",
                    *hub_cols,
                    "destination",
                    "product",
                    *[f"year{k + 1}" for k in range(hops)],
                    *[f"leg{k + 1}" for k in range(hops)],
                    *[f"value{k + 1}" for k in range(hops)],
                ]
                for name in ("origin", *hub_cols, "destination", "product"):
                    col = b.column(name)
                    assert pa.types.is_dictionary(col.type)
                    assert col.type.index_type == pa.int32()
                assert b.column("product").dictionary.equals(legs.products)
                assert b.column("origin").dictionary.equals(legs.territories)
                assert b.schema.field("leg1").type == pa.int64()
                assert b.schema.field("year1").type == pa.int32()
                assert b.schema.field("value1").type == pa.float64()
                for r in b.to_pylist():
                    chain = [by_id[r[f"leg{k + 1}"]] for k in range(hops)]
                    want = {
                        "origin": chain[0]["exporter"],
                        "hub": chain[0]["importer"],
                        "destination": chain[-1]["importer"],
                        "product": chain[0]["product"],
                    }
                    if hops == 3:
                        want["hub2"] = chain[1]["importer"]
                    for k, leg in enumerate(chain):
                        want[f"year{k + 1}"] = leg["year"]
                        want[f"value{k + 1}"] = leg["value_usd"]
                    assert {k: r[k] for k in want} == want, kw
                    for prev, nxt in zip(chain, chain[1:], strict=False):
                        assert nxt["exporter"] == prev["importer"]
                        assert nxt["product"] == prev["product"]
                        assert prev["year"] <= nxt["year"] <= prev["year"] + kw.get("max_lag", 0)
                    assert len({leg["exporter"] for leg in chain} | {chain[-1]["importer"]}) == (
                        hops + 1
                    )
                    n += 1
            assert n > 0, kw
        # labels=False: the same rows with the raw indexes into the code tables
        raw = next(chain_legs(eng, legs=legs, max_hops=3, labels=False, batch_rows=300))
        named = next(chain_legs(eng, legs=legs, max_hops=3, batch_rows=300))
        for name in ("origin", "hub", "hub2", "destination"):
            assert raw.column(name).type == pa.int32()
            assert legs.territories.take(raw.column(name)).equals(
                named.column(name).cast(pa.string())
            )
        assert legs.products.take(raw.column("product")).equals(
            named.column("product").cast(pa.string())
        )
    finally:
        legs.close()
