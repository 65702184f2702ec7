"""Value normalisers of the own formats (step 3 of ``ingest.own``): countries, ML categories,
HS codes, dates, units, currencies and money conversion, each reading one field of a record and
raising :class:`FieldError` (naming the field) for a value it cannot read. Moved out of
``ingest.own`` unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from transship.exc import TransshipError
from transship.ingest import checks
from transship.normalise import commodities, dates, military, money, quantities, territories

log = logging.getLogger(__name__)


class FieldError(Exception):
    """A value a normaliser cannot read; becomes a ``Reject`` naming the field."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


# -- value normalisation -------------------------------------------------------------------


def _territory(value: str) -> str:
    return territories.lookup(value).code  # remembered by normalise, misses included


# Customs and licence files repeat the same few codes, dates and units on every row: the
# normalisers are pure, so each distinct text is worked out once (errors are not cached).
_ml_category = lru_cache(maxsize=4096)(military.ml_category)
_hs_code = lru_cache(maxsize=8192)(commodities.hs_code)
_partial_date = lru_cache(maxsize=16384)(dates.partial_date)
_unit = lru_cache(maxsize=1024)(quantities.unit)
parse_amount = lru_cache(maxsize=16384)(money.parse_amount)


def country(record: dict[str, Any], column: str) -> str | None:
    value = record.get(column)
    if value is None:
        return None
    try:
        return _territory(str(value).strip())
    except TransshipError as exc:
        raise FieldError(column, f"unknown country {value!r}") from exc


def country_list(record: dict[str, Any], column: str) -> list[str] | None:
    values = record.get(column)
    if values is None:
        return None
    out: list[str] = []
    for i, value in enumerate(values):
        try:
            out.append(_territory(str(value).strip()))
        except TransshipError as exc:
            raise FieldError(f"{column}[{i}]", f"unknown country {value!r}") from exc
    return out


def ml(record: dict[str, Any], column: str = "ml_category") -> str | None:
    value = record.get(column)
    if value is None:
        return None
    try:
        return _ml_category(str(value))
    except TransshipError as exc:
        raise FieldError(column, f"not an ML category: {value!r} (ML1..ML22)") from exc


def hs(record: dict[str, Any], column: str = "hs_code") -> str | None:
    value = record.get(column)
    if value is None:
        return None
    try:
        return _hs_code(str(value))
    except TransshipError as exc:
        raise FieldError(column, f"not an HS code: {value!r} (2 to 10 digits)") from exc


def date(record: dict[str, Any], column: str, dated: bool = False) -> str | None:
    """An ISO date prefix; ``dated``: the day the record happened (issued, declared), so its
    year cannot be after next year nor before 1900 (``checks.FIRST_YEAR["own"]``)."""
    value = record.get(column)
    if value is None:
        return None
    try:
        parsed = _partial_date(str(value).strip())
    except TransshipError as exc:
        raise FieldError(
            column, f"not a date: {value!r} (use 2021, 2021-03 or 2021-03-04)"
        ) from exc
    if parsed is None:
        raise FieldError(column, f"not a date: {value!r} (use 2021, 2021-03 or 2021-03-04)")
    if dated:
        problem = checks.year_problem(int(parsed[:4]), "own", column)
        if problem is not None:
            raise FieldError(column, problem)
    return parsed


def unit(record: dict[str, Any], column: str = "unit") -> str | None:
    """Canonical unit; a unit the table lacks is kept as written (lowercased), not rejected."""
    value = record.get(column)
    if value is None:
        return None
    try:
        return _unit(str(value))
    except TransshipError:
        return str(value).strip().lower()


def currency(record: dict[str, Any], column: str = "currency") -> str | None:
    value = record.get(column)
    return None if value is None else str(value).strip().upper()


_warned_currencies: set[str] = set()


def convert(
    amount: float | None, cur: str | None, year: int | None, to: Callable[[float, str, int], float]
) -> float | None:
    """Money conversion that leaves the value empty (and says so once) when we have no rate."""
    if amount is None or cur is None or year is None:
        return None
    try:
        return float(to(amount, cur, year))
    except TransshipError as exc:
        key = f"{cur}:{year}"
        if key not in _warned_currencies:
            _warned_currencies.add(key)
            log.warning(
                "no exchange rate for %s in %d (%s): converted value left empty",
                cur,
                year,
                exc.message,
            )
        return None


def year_of(iso: str | None) -> int | None:
    return int(iso[:4]) if iso and iso[:4].isdigit() else None


def text_of(record: dict[str, Any], column: str) -> str | None:
    value = record.get(column)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def number_of(record: dict[str, Any], column: str) -> float | None:
    """A quantity, weight or amount of money: finite, not negative, below
    ``checks.MAX_AMOUNT``. JSON's ``NaN``/``Infinity`` (which Python reads) and ``1e400``
    (read as infinity) pass the schema's ``minimum`` check, so they are refused here."""
    value = record.get(column)
    if value is None:
        return None
    number = float(value)
    problem = checks.amount_problem(number, column, str(value))
    if problem is not None:
        raise FieldError(column, problem)
    return number
