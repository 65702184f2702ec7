"""The rows in scope and the directed pairs that mirror, hubs and routes share.

Hand-made rows reproducing the quirks the scope exists for: Comtrade's chapter, heading
and subheading totals of the same trade, monthly files beside annual ones, World and nes
partners, a reporter naming itself, BACI-style reconciled rows beside reported ones.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from tests.flows import flowdata
from transship.exc import InvalidInput
from transship.flows.chains import (
    CIF_FACTOR,
    check_code,
    check_dataset,
    check_product,
    open_scope,
    pairs_sql,
    scope_sql,
    territory_map_sql,
)
from transship.store import Store
from transship.store.engine import DuckDBEngine

RS, BG, UA, WLD = ("rs", "SRB"), ("bg", "BGR"), ("ua", "UKR"), ("world", "WLD")


def _load(store: Store, rows: list[dict[str, Any]]) -> None:
    table = []
    for n, kw in enumerate(rows, start=1):
        kw = dict(kw)
        table.append(
            flowdata._row(rid=kw.pop("rid", f"t:{n}"), dataset=kw.pop("dataset", "t"), line=n, **kw)
        )
    flowdata.load(store, pa.Table.from_pylist(table))


def _pairs(store: Store, **scope: Any) -> dict[tuple[str, str, str, int], dict[str, Any]]:
    eng = DuckDBEngine(store)
    sc = open_scope(eng, **scope)
    try:
        rows = eng.sql(sc.pairs_sql()).to_pylist()
    finally:
        sc.close()
    return {(r["exporter"], r["importer"], r["product"], r["year"]): r for r in rows}


def test_one_hs_level_per_reporter_flow_and_year(store: Store) -> None:
    """Serbia reports chapter 93 and its subheadings for the same exports: with the prefix
    '93' only the chapter total counts (it includes confidential lines the subheadings
    omit); Bulgaria reports subheadings only, which are summed to the prefix."""
    _load(
        store,
        [
            dict(reporter=RS, partner=BG, flow="X", year=2022, hs="93", value=100.0, rid="a"),
            dict(reporter=RS, partner=BG, flow="X", year=2022, hs="930610", value=60.0),
            dict(reporter=RS, partner=BG, flow="X", year=2022, hs="930690", value=30.0),
            dict(reporter=BG, partner=UA, flow="X", year=2022, hs="930610", value=40.0, rid="b1"),
            dict(reporter=BG, partner=UA, flow="X", year=2022, hs="930690", value=2.0, rid="b2"),
        ],
    )
    pairs = _pairs(store, product="93")
    assert pairs[("rs", "bg", "93", 2022)]["x_value"] == 100.0
    assert pairs[("rs", "bg", "93", 2022)]["evidence"] == ["a"]
    assert pairs[("bg", "ua", "93", 2022)]["x_value"] == 42.0
    assert pairs[("bg", "ua", "93", 2022)]["evidence"] == ["b1", "b2"]
    # with the subheading as prefix the chapter row is out of scope: the subheading counts
    sub = _pairs(store, product="9306.10")
    assert sub[("rs", "bg", "930610", 2022)]["x_value"] == 60.0
    # without a product each code is its own product: levels never add up
    every = _pairs(store)
    assert every[("rs", "bg", "93", 2022)]["x_value"] == 100.0
    assert every[("rs", "bg", "930610", 2022)]["x_value"] == 60.0


def test_annual_rows_win_over_monthly_ones(store: Store) -> None:
    """A reporter with an annual file and monthly files for one year: the annual total, not
    the sum of both; a year with monthly rows only is summed to the year."""
    months = [
        dict(reporter=UA, partner=BG, flow="M", year=2022, hs="930610", value=10.0, period=p)
        for p in ("202201", "202202", "202203")
    ]
    months += [
        dict(reporter=UA, partner=BG, flow="M", year=2023, hs="930610", value=5.0, period=p)
        for p in ("202301", "202302")
    ]
    annual = dict(reporter=UA, partner=BG, flow="M", year=2022, hs="930610", value=33.0)
    _load(store, [*months, annual])
    pairs = _pairs(store, product="9306")
    assert pairs[("bg", "ua", "9306", 2022)]["m_value"] == 33.0
    assert pairs[("bg", "ua", "9306", 2023)]["m_value"] == 10.0


def test_aggregates_and_self_trade_never_pair(store: Store) -> None:
    _load(
        store,
        [
            dict(reporter=RS, partner=WLD, flow="X", year=2022, hs="930610", value=1e9, world=True),
            dict(
                reporter=RS, partner=("zz-899", None), flow="X", year=2022, hs="930610",
                value=5e8, area=True,
            ),
            dict(reporter=RS, partner=("zz", None), flow="X", year=2022, hs="930610", value=7.0),
            dict(reporter=RS, partner=RS, flow="X", year=2022, hs="930610", value=3.0),
            dict(reporter=RS, partner=BG, flow="X", year=2022, hs="930610", value=11.0),
        ],
    )  # fmt: skip
    pairs = _pairs(store, product="93")
    assert list(pairs) == [("rs", "bg", "93", 2022)]
    eng = DuckDBEngine(store)
    assert eng.scalar(f"SELECT count(*) FROM ({scope_sql('93')}) s") == 1


def test_pair_values_and_sides(store: Store) -> None:
    """x_value is the exporter's report, m_value the importer's (CIF) as reported;
    value_usd the exporter's, else the importer's brought to FOB, and a reconciled value
    wins over both; quantities only when both sides use one unit."""
    _load(
        store,
        [
            dict(reporter=RS, partner=BG, flow="X", year=2022, hs="930610", value=100.0,
                 qty=10.0, unit="kg"),
            dict(reporter=BG, partner=RS, flow="M", year=2022, hs="930610", value=110.0,
                 qty=12.0, unit="kg"),
            dict(reporter=UA, partner=BG, flow="M", year=2022, hs="930610", value=210.0,
                 qty=3.0, unit="u"),
            dict(reporter=BG, partner=UA, flow="X", year=2022, hs="930610", value=1.0,
                 qty=5.0, unit="kg"),
            dict(reporter=UA, partner=RS, flow="M", year=2022, hs="930610", value=50.0),
            dict(reporter=RS, partner=UA, flow="X", year=2022, hs="930610", value=45.0,
                 dataset="baci", basis="reconciled", rid="r"),
        ],
    )  # fmt: skip
    pairs = _pairs(store, product="930610")
    rb = pairs[("rs", "bg", "930610", 2022)]
    assert (rb["x_value"], rb["m_value"], rb["r_value"], rb["value_usd"]) == (100, 110, None, 100)
    assert (rb["x_qty"], rb["m_qty"], rb["qty_unit"]) == (10.0, 12.0, "kg")
    bu = pairs[("bg", "ua", "930610", 2022)]
    assert bu["value_usd"] == 1.0
    assert bu["qty_unit"] is None and bu["x_qty"] is None  # kg against units: not comparable
    ru = pairs[("rs", "ua", "930610", 2022)]
    assert (ru["m_value"], ru["r_value"], ru["value_usd"]) == (50.0, 45.0, 45.0)
    assert ru["evidence"] == sorted(["t:5", "r"])
    without = _pairs(store, product="930610", reconciled=False)
    assert without[("rs", "ua", "930610", 2022)]["value_usd"] == pytest.approx(50.0 / CIF_FACTOR)
    assert without[("rs", "ua", "930610", 2022)]["r_value"] is None
    plain = DuckDBEngine(store).sql(pairs_sql(scope_sql("930610"), evidence=False))
    assert "evidence" not in plain.schema.names


def test_scope_materialised_per_product_and_year_batches(store: Store) -> None:
    rows = [
        dict(reporter=RS, partner=BG, flow="X", year=y, hs="930610", value=1.0 + y)
        for y in (2019, 2020, 2021, 2022)
        for _ in range(2 if y == 2021 else 1)
    ]
    _load(store, rows)
    eng = DuckDBEngine(store)
    sc = open_scope(eng, product="93")
    assert sc.relation is not None and not sc.dedup
    assert sc.year_rows == {2019: 1, 2020: 1, 2021: 2, 2022: 1}
    assert sc.year_batches(2) == [(2019, 2020), (2021, 2021), (2022, 2022)]
    assert sc.year_batches(100) == [(2019, 2022)]
    one = eng.sql(sc.pairs_sql(years=(2021, 2021))).to_pylist()
    assert [r["x_value"] for r in one] == [2.0 * 2022.0]
    relation = sc.relation
    sc.close()
    with pytest.raises(InvalidInput):
        eng.sql(f"SELECT * FROM {relation}")
    everything = open_scope(eng)  # no product: reads trade_flows, nothing materialised
    assert everything.relation is None
    everything.close()


def test_territory_map_gives_iso3(store: Store) -> None:
    _load(store, [dict(reporter=RS, partner=BG, flow="X", year=2022, hs="930610", value=1.0)])
    got = DuckDBEngine(store).sql(territory_map_sql()).to_pylist()
    assert {r["code"]: r["iso3"] for r in got} == {"rs": "SRB", "bg": "BGR"}


def test_arguments_are_checked() -> None:
    assert check_product(" 93.06 ") == "9306"
    assert check_product(None) is None
    assert check_code(" RS ") == "rs"
    assert check_dataset("comtrade-plus_2024") == "comtrade-plus_2024"
    for bad in ("9", "93x", "93'; DROP TABLE trade_flows; --", "12345678901"):
        with pytest.raises(InvalidInput):
            check_product(bad)
    with pytest.raises(InvalidInput):
        check_code("r's")
    with pytest.raises(InvalidInput):
        check_dataset("a b")
