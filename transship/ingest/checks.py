"""What a source can say: the plausibility checks every reader applies to its fields.

A value that parses is not yet a value the source could have written. ``1e400`` parses as
infinity, ``-5`` as a negative trade value, ``nan`` as "not a number": none of them is a
figure UN Comtrade, CEPII, SIPRI or the EU's COARM reports publish, and stored they poison
every sum and ranking built on them (``mirror`` printed ``Infinity`` and ranked it first).
So each reader checks its fields here, in one place, with the same words:

* **Amounts** (money, quantities, weights, counts, TIV) are finite, not negative and below
  :data:`MAX_AMOUNT`. The cap is far above anything real (world trade is about 2.5e13 USD a
  year, 1.2e13 kg by sea) and keeps ``v x 1000`` (BACI's thousands of USD) finite.
* **Years** lie inside the source's coverage (:data:`FIRST_YEAR`) and not after next year.
* **Codes** have their shape: the territory, HS and ML normalisers already refuse a code
  they do not know; the checks here cover the identifiers those tables do not hold.

Arrow-based readers (BACI, Comtrade) check whole columns at once (:func:`amount_masks`): a
clean column costs two numpy passes. Text readers call :func:`amount_problem` and
:func:`year_problem` per value. Both give the reject's reason; the reader adds line and
column, and ``--strict`` stops at the first reject as for any other.

The same module bounds hostile structure: JSON nested deeper than
``TRANSSHIP_MAX_JSON_DEPTH`` (:func:`json_depth`, :func:`json_value_end`; the decoder's
``RecursionError`` caught where it decodes) and fields longer
than ``TRANSSHIP_MAX_FIELD_BYTES`` (:func:`max_field`), so a crafted file gets a reject
instead of a ``RecursionError`` or a ``_csv.Error`` traceback.
"""

from __future__ import annotations

import csv
import json
import math
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from transship import settings

#: Largest amount any field may hold, in the field's own unit (USD, kg, items, TIV...).
MAX_AMOUNT = 1e15

#: First year each source covers. Comtrade's series start in 1962; BACI's first release
#: (HS92) starts in 1995; SIPRI's register covers deliveries from 1950; the EU's annual
#: reports (COARM) start with 1998. Own formats (licences, customs records) have no
#: coverage of their own: anything since 1900.
FIRST_YEAR: dict[str, int] = {
    "comtrade": 1962,
    "baci": 1995,
    "sipri": 1950,
    "coarm": 1998,
    "own": 1900,
}
#: SIPRI lists deals delivered from 1950 on, and some were ordered before 1950.
SIPRI_FIRST_ORDER_YEAR = 1930


def last_year() -> int:
    """The latest year any record may carry: next year (a report dated in late December
    may already name it; anything later is a typo or a placeholder such as 9999)."""
    return date.today().year + 1


def year_problem(
    year: int, source: str, what: str = "year", first: int | None = None
) -> str | None:
    """Why ``year`` cannot be in ``source``'s data, or None when it can."""
    low = FIRST_YEAR[source] if first is None else first
    high = last_year()
    if low <= year <= high:
        return None
    return f"{what} {year} outside the source's coverage ({low}-{high})"


def year_mask(years: pa.Array, source: str) -> np.ndarray | None:
    """Rows of an int column of years outside ``source``'s coverage (None when none are):
    one ``min_max`` for a clean column. Reason: :func:`year_problem`."""
    if isinstance(years, pa.ChunkedArray):
        years = years.combine_chunks()
    if years.null_count == len(years):
        return None
    bounds = pc.min_max(years).as_py()
    low, high = FIRST_YEAR[source], last_year()
    if bounds["min"] >= low and bounds["max"] <= high:
        return None
    outside = pc.or_(pc.less(years, low), pc.greater(years, high))
    return _mask(outside)


def amount_reason(kind: str, what: str, shown: str) -> str:
    """The reject reason for one kind of bad amount (see :func:`amount_masks`)."""
    if kind == "not finite":
        return f"{what} is not a finite number: {shown}"
    if kind == "negative":
        return f"negative {what}: {shown}"
    return f"{what} over {MAX_AMOUNT:.0e}: {shown}"


def amount_problem(value: float, what: str = "value", text: str | None = None) -> str | None:
    """Why ``value`` cannot be an amount (not finite, negative, absurdly large), or None."""
    shown = repr(text) if text is not None else repr(value)
    if not math.isfinite(value):
        return amount_reason("not finite", what, shown)
    if value < 0:
        return amount_reason("negative", what, shown)
    if value > MAX_AMOUNT:
        return amount_reason("too large", what, shown)
    return None


def amount_masks(values: pa.Array, scale: float = 1.0) -> list[tuple[np.ndarray, str]]:
    """Rows of a float64 column that are no amount, as ``[(mask, kind)]`` for
    :func:`amount_reason`; empty for a clean column, which costs two numpy passes.
    ``scale``: the column's unit in the cap's unit (BACI values are thousands of USD: 1000).
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values.null_count == len(values):
        return []
    cap = MAX_AMOUNT / scale
    if _all_within(values, cap):
        return []
    finite = pc.is_finite(values)
    masks = [
        (_mask(pc.invert(finite)), "not finite"),
        (_mask(pc.and_(finite, pc.less(values, 0.0))), "negative"),
        (_mask(pc.and_(finite, pc.greater(values, cap))), "too large"),
    ]
    return [(m, kind) for m, kind in masks if m.any()]


def _all_within(values: pa.Array, cap: float) -> bool:
    """True when every slot of a float64 column lies in ``[0, cap]`` (NaN fails).

    Read straight from the value buffer with numpy: ten times faster than Arrow's
    ``min_max`` on a 262k-row batch. Slots under nulls hold whatever the cast left there
    (zeros in practice); should one be out of range, the caller only takes the exact,
    null-aware path."""
    if values.type != pa.float64():
        return False
    buffer = values.buffers()[1]
    if buffer is None:
        return False
    data = np.frombuffer(buffer, dtype=np.float64, count=values.offset + len(values))
    data = data[values.offset :]
    return bool(data.min() >= 0.0 and data.max() <= cap)


def _mask(arr: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


# --------------------------------------------------------------------------------------
# Hostile structure: nesting depth and field size
# --------------------------------------------------------------------------------------


def max_json_depth() -> int:
    return settings.max_json_depth()


def max_field() -> int:
    return settings.max_field_bytes()


def too_deep_reason(limit: int | None = None) -> str:
    limit = max_json_depth() if limit is None else limit
    return f"JSON nested deeper than {limit} levels (TRANSSHIP_MAX_JSON_DEPTH)"


def field_too_long_reason(limit: int | None = None) -> str:
    limit = max_field() if limit is None else limit
    return f"field longer than {limit:,} characters (TRANSSHIP_MAX_FIELD_BYTES)"


def line_too_long_reason(limit: int) -> str:
    return f"line longer than {limit:,} bytes (TRANSSHIP_MAX_FIELD_BYTES)"


class JsonTooDeep(ValueError):
    """A JSON text or value nested deeper than ``TRANSSHIP_MAX_JSON_DEPTH``; its message is
    the reject's reason."""

    def __init__(self, limit: int | None = None) -> None:
        super().__init__(too_deep_reason(limit))


def loads(text: str, **options: Any) -> Any:
    """``json.loads`` within the depth bound: ``JsonTooDeep`` for a value nested deeper than
    ``TRANSSHIP_MAX_JSON_DEPTH`` (the decoder's own ``RecursionError`` near 1,000 levels
    included), ``json.JSONDecodeError`` for text that is not JSON, as before."""
    try:
        value = json.loads(text, **options)
    except RecursionError:
        raise JsonTooDeep() from None
    check_depth(value)
    return value


def check_depth(value: Any) -> None:
    """``JsonTooDeep`` when a decoded value is nested deeper than the bound."""
    limit = max_json_depth()
    if isinstance(value, dict | list) and json_depth(value) > limit:
        raise JsonTooDeep(limit)


def json_depth(value: Any) -> int:
    """Nesting depth of a decoded JSON value (a scalar is 0, ``[]`` and ``{}`` are 1).

    Iterative, so it cannot itself hit Python's recursion limit; flat records (the usual
    case) cost one pass over their values."""
    if not isinstance(value, dict | list):
        return 0
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        children = item.values() if isinstance(item, dict) else item
        for child in children:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return deepest


def json_value_end(text: str, pos: int) -> int | None:
    """End offset of the JSON value starting at ``text[pos]`` (after skipping blanks), found
    by matching brackets outside strings; None when the text ends first.

    Used to step over a value the decoder refused for its depth, so that one record is one
    reject and the records after it are still read."""
    n = len(text)
    while pos < n and text[pos] in " \t\r\n":
        pos += 1
    if pos >= n:
        return None
    if text[pos] not in "[{":
        return None
    depth = 0
    in_string = False
    escaped = False
    for i in range(pos, n):
        c = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def csv_field_limit() -> int:
    """Set the csv module's field limit to ``TRANSSHIP_MAX_FIELD_BYTES`` and return it.

    The limit is process-wide in the csv module (128 KiB by default); a longer field
    raises ``csv.Error``, which the text readers turn into a reject of that record."""
    limit = max_field()
    if csv.field_size_limit() != limit:
        csv.field_size_limit(limit)
    return limit


def is_field_limit_error(exc: csv.Error) -> bool:
    return "field larger than field limit" in str(exc)


__all__ = [
    "FIRST_YEAR",
    "MAX_AMOUNT",
    "amount_masks",
    "amount_problem",
    "amount_reason",
    "check_depth",
    "loads",
    "JsonTooDeep",
    "csv_field_limit",
    "json_depth",
    "json_value_end",
    "last_year",
    "year_mask",
    "year_problem",
]
