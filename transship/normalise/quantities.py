"""Units of quantity and quantities written as text.

Licences say ``200 pcs``, ``10 PCE``, ``1 piece``, ``50 000 komada``; Comtrade gives a numeric
unit code (5 = number of items, 8 = kg, 9 = thousands of items...); SIPRI gives TIV, which is a
volume of arms, not money. One canonical spelling per unit (``transship/data/units.csv``) lets
quantities from different sources be compared, and :func:`convert` moves between units of one
dimension (``t`` -> ``kg``, ``dozens`` -> ``items``, ``m3`` -> ``bcm``). TIV only converts to TIV.

Counts: ``pieces`` when the source says what it counts one by one (``pcs``), ``rounds`` for
ammunition, ``items`` when the source gives a bare number or Comtrade's "number of items".
All three are the dimension ``count`` and convert 1:1, so they can be compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from transship.exc import InvalidInput, UnknownCode
from transship.normalise._tables import read_table
from transship.normalise.money import parse_amount


@dataclass(frozen=True, slots=True)
class Unit:
    """One canonical unit: its dimension and the factor to the dimension's base unit."""

    unit: str
    dimension: str
    factor: float
    description: str


def _key(text: str) -> str:
    return " ".join(str(text).strip().lower().rstrip(".").split())


@cache
def _units() -> tuple[dict[str, Unit], dict[str, str]]:
    units: dict[str, Unit] = {}
    aliases: dict[str, str] = {}
    for row in read_table("units.csv"):
        item = Unit(row["unit"], row["dimension"], float(row["factor"]), row["description"])
        units[item.unit] = item
        aliases[_key(item.unit)] = item.unit
        for alias in row["aliases"].split(";"):
            if alias.strip():
                aliases.setdefault(_key(alias), item.unit)
    return units, aliases


def unit(value: str) -> str:
    """Canonical unit: ``'pcs'`` -> ``'pieces'``, ``'KGM'``... -> ``'kg'``, ``'tonnes'`` -> ``'t'``.

    Idempotent. Raises :class:`UnknownCode` for a unit the shipped table lacks.
    """
    units, aliases = _units()
    key = _key(value)
    if key in aliases:
        return aliases[key]
    if key.upper() in ("KGM", "KGS"):
        return "kg"
    raise UnknownCode("unit", value)


def unit_info(value: str) -> Unit:
    """Dimension, factor and description of a unit."""
    return _units()[0][unit(value)]


def dimension(value: str) -> str:
    """``'count'``, ``'mass'``, ``'volume'``, ``'tiv'``, ``'money_eur'``...."""
    return unit_info(value).dimension


def convert(amount: float, from_unit: str, to_unit: str) -> float:
    """``convert(2, 't', 'kg') == 2000``. Raises :class:`InvalidInput` across dimensions
    (kg to pieces, TIV to anything else, EUR to USD: use ``money.to_usd``)."""
    source, target = unit_info(from_unit), unit_info(to_unit)
    if source.dimension != target.dimension:
        raise InvalidInput(
            f"cannot convert {source.unit} ({source.dimension}) to {target.unit} "
            f"({target.dimension})"
        )
    return float(amount) * source.factor / target.factor


def units() -> tuple[Unit, ...]:
    """Every canonical unit, in table order."""
    return tuple(_units()[0].values())


_QUANTITY = re.compile(r"^\s*(?P<number>[-+]?\d[\d\s.,'\u00a0\u202f]*)\s*(?P<unit>.*?)\s*$")


def parse_quantity(text: str | int | float) -> tuple[float, str]:
    """Number and canonical unit: ``'200 pcs'`` -> ``(200.0, 'pieces')``,
    ``'50 000 pcs'`` -> ``(50000.0, 'pieces')``, ``'12.5 t'`` -> ``(12.5, 't')``.

    A bare number counts unspecified things: ``'300'`` -> ``(300.0, 'items')``.
    Raises :class:`InvalidInput` for text without a leading number (``'Various'``), and
    :class:`UnknownCode` for an unknown unit.
    """
    if isinstance(text, bool):
        raise InvalidInput(f"not a quantity: {text!r}")
    if isinstance(text, int | float):
        return float(text), "items"
    match = _QUANTITY.match(str(text))
    if match is None:
        raise InvalidInput(f"not a quantity: {text!r}")
    amount = parse_amount(match["number"].strip().rstrip(".,").strip())
    word = match["unit"]
    if not word:
        return amount, "items"
    canonical = unit(word)
    info = _units()[0][canonical]
    if canonical in ("dozens", "thousand items"):
        return amount * info.factor, "items"
    return amount, canonical


@cache
def _comtrade() -> dict[int, tuple[str | None, float]]:
    out: dict[int, tuple[str | None, float]] = {}
    for row in read_table("comtrade_quantity_codes.csv"):
        code = int(row["code"])
        out[code] = (row["unit"] or None, float(row["factor"]) if row["factor"] else 1.0)
    return out


def _comtrade_code(code: int | str) -> int:
    text = str(code).strip()
    if text.endswith(".0"):
        text = text[:-2]
    try:
        return int(text)
    except ValueError:
        raise UnknownCode("Comtrade quantity unit", code) from None


def comtrade_qty_unit(code: int | str) -> str | None:
    """Canonical unit of a Comtrade ``qtyUnitCode`` after :func:`comtrade_qty_factor` is
    applied (5 -> ``'items'``, 8 -> ``'kg'``, 9 -> ``'items'`` (x1000), -1 -> ``None``)."""
    number = _comtrade_code(code)
    if number not in _comtrade():
        raise UnknownCode("Comtrade quantity unit", code)
    return _comtrade()[number][0]


def comtrade_qty_factor(code: int | str) -> float:
    """Multiply Comtrade's ``qty`` by this to get :func:`comtrade_qty_unit` (9 -> 1000.0)."""
    number = _comtrade_code(code)
    if number not in _comtrade():
        raise UnknownCode("Comtrade quantity unit", code)
    return _comtrade()[number][1]


__all__ = [
    "Unit",
    "comtrade_qty_factor",
    "comtrade_qty_unit",
    "convert",
    "dimension",
    "parse_quantity",
    "unit",
    "unit_info",
    "units",
]
