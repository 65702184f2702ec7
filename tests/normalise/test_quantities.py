"""Units, quantities as text, Comtrade quantity codes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from transship.exc import InvalidInput, UnknownCode
from transship.normalise.quantities import (
    comtrade_qty_factor,
    comtrade_qty_unit,
    convert,
    dimension,
    parse_quantity,
    unit,
    units,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("pcs", "pieces"),
        ("PCE", "pieces"),
        ("piece", "pieces"),
        ("komada", "pieces"),
        ("комада", "pieces"),
        ("u", "items"),
        ("rounds", "rounds"),
        ("metaka", "rounds"),
        ("KG", "kg"),
        ("KGM", "kg"),
        ("tonnes", "t"),
        ("1000 kg", "t"),
        ("litres", "l"),
        ("bcm", "bcm"),
        ("TIV", "tiv"),
        ("m³", "m3"),
        ("€", "EUR"),
    ],
)
def test_unit(raw: str, expected: str) -> None:
    assert unit(raw) == expected


@given(st.sampled_from([u.unit for u in units()]))
def test_unit_idempotent(name: str) -> None:
    assert unit(unit(name)) == unit(name) == name


def test_unit_unknown() -> None:
    with pytest.raises(UnknownCode):
        unit("furlongs")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("200 pcs", (200.0, "pieces")),
        ("193 pcs", (193.0, "pieces")),
        ("10 PCE", (10.0, "pieces")),
        ("1 620 PCE", (1620.0, "pieces")),
        ("1 piece", (1.0, "pieces")),
        ("2 sets", (2.0, "sets")),
        ("50 000 pcs", (50000.0, "pieces")),
        ("1 000 kom.", (1000.0, "pieces")),
        ("5,000 rounds", (5000.0, "rounds")),
        ("12.5 t", (12.5, "t")),
        ("3 bcm", (3.0, "bcm")),
        ("2 dozen", (24.0, "items")),
        ("300", (300.0, "items")),
        (7, (7.0, "items")),
    ],
)
def test_parse_quantity(text: str | int, expected: tuple[float, str]) -> None:
    assert parse_quantity(text) == expected


def test_parse_quantity_rejects() -> None:
    for bad in ("Various", "Training", "—", "Spare parts"):
        with pytest.raises(InvalidInput):
            parse_quantity(bad)
    with pytest.raises(UnknownCode):
        parse_quantity("3 furlongs")


@given(st.integers(0, 10**9), st.sampled_from(["pcs", "rounds", "kg", "t", "l", "bcm", "tiv"]))
def test_parse_quantity_round_trip(amount: int, word: str) -> None:
    value, canonical = parse_quantity(f"{amount} {word}")
    assert value == amount
    assert parse_quantity(f"{int(value)} {canonical}") == (value, canonical)


def test_convert() -> None:
    assert convert(2, "t", "kg") == 2000
    assert convert(1, "bcm", "m3") == pytest.approx(1e9)
    assert convert(3, "dozens", "items") == 36
    assert convert(5, "pieces", "items") == 5
    assert dimension("rounds") == dimension("pieces") == "count"
    for a, b in (("kg", "pieces"), ("tiv", "EUR"), ("EUR", "USD"), ("tiv", "t")):
        with pytest.raises(InvalidInput):
            convert(1, a, b)


@given(
    st.floats(min_value=0, max_value=1e9),
    st.sampled_from([("kg", "t"), ("g", "kg"), ("l", "m3"), ("m3", "bcm"), ("items", "dozens")]),
)
def test_convert_round_trip(amount: float, pair: tuple[str, str]) -> None:
    a, b = pair
    assert convert(convert(amount, a, b), b, a) == pytest.approx(amount)


def test_every_comtrade_quantity_code_is_mapped(shared_data: Path) -> None:
    path = shared_data / "reference" / "comtrade_qty_units.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 41
    for row in rows:
        mapped = comtrade_qty_unit(row["qtyCode"])
        if row["qtyCode"] == "-1":
            assert mapped is None
        else:
            assert mapped is not None and unit(mapped) == mapped, row
    assert comtrade_qty_unit(5) == "items" and comtrade_qty_factor(5) == 1
    assert comtrade_qty_unit("8") == "kg"
    assert comtrade_qty_unit(9) == "items" and comtrade_qty_factor(9) == 1000
    assert comtrade_qty_unit(21) == "t"
    assert comtrade_qty_unit("17.0") == "m3" and comtrade_qty_factor(17) == 1000
    with pytest.raises(UnknownCode):
        comtrade_qty_unit(99)
