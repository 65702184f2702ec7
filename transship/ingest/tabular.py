"""Checked columns and the trade-row table, shared by the trade readers.

A batch of text columns (``ingest.csvstream``, or JSON records made columns) becomes
``trade_flows`` rows and rejects here: codes resolved once per distinct value and spread back
with ``take`` (:class:`Coded`), numbers parsed so that one bad cell rejects one row
(:func:`parse_numbers`), plausibility checks (:func:`check_amounts`, :func:`check_years`) and
every row's first problem kept (:class:`Checks`), then rejects in line order followed by the
good rows (:func:`finish`). Checks are Arrow masks, so a ``Reject`` is built only for a bad
row. Moved out of ``ingest.comtrade`` unchanged; ``ingest.baci`` uses it too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from transship.exc import InvalidInput, UnknownCode
from transship.ingest import checks as plausible
from transship.ingest.base import (
    Reject,
    Rows,
)
from transship.normalise import territories

TABLE = "trade_flows"
#: Texts that mean "no value" in these files (BACI's padded ``NA`` is handled on its own).
NULL_TEXTS = ["", "NA", "N/A", "NULL", "null"]

#: Column types of what the trade readers yield (the ``trade_flows`` columns they fill).
TRADE_SCHEMA = pa.schema(
    [
        ("line", pa.int64()),
        ("reporter", pa.string()),
        ("reporter_iso3", pa.string()),
        ("reporter_m49", pa.string()),
        ("reporter_orig", pa.string()),
        ("partner", pa.string()),
        ("partner_iso3", pa.string()),
        ("partner_m49", pa.string()),
        ("partner_orig", pa.string()),
        ("partner_is_world", pa.bool_()),
        ("partner_is_area", pa.bool_()),
        ("flow", pa.string()),
        ("flow_orig", pa.string()),
        ("year", pa.int32()),
        ("period", pa.string()),
        ("classification", pa.string()),
        ("hs_code", pa.string()),
        ("hs_orig", pa.string()),
        ("value_usd", pa.float64()),
        ("value_orig", pa.string()),
        ("value_basis", pa.string()),
        ("qty", pa.float64()),
        ("qty_unit", pa.string()),
        ("net_weight_kg", pa.float64()),
        ("flag", pa.string()),
        ("sub", pa.int64()),  # several rows from one line (JSON); the pipeline drops it
    ]
)

_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_PERIOD = re.compile(r"^(\d{4})(?:-?(\d{2}))?$")
MIN_YEAR, MAX_YEAR = 1900, 2100


class Checks:
    """Bad rows of one batch: the first problem of each row, in check order."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.bad = np.zeros(n, dtype=bool)
        self.found: list[tuple[int, str, str]] = []  # (row index, column, reason)

    def add(
        self,
        mask: pa.Array | np.ndarray | None,
        column: str,
        reason: Callable[[Any], str] | str,
        values: pa.Array | None = None,
    ) -> None:
        """Mark rows where ``mask`` is true; ``reason`` may format the row's value."""
        if mask is None:
            return
        arr = mask if isinstance(mask, np.ndarray) else np_bool(mask)
        new = arr & ~self.bad
        if not new.any():
            return
        idx = np.flatnonzero(new)
        self.bad |= new
        texts: list[Any] = (
            values.take(pa.array(idx)).to_pylist() if values is not None else [None] * idx.size
        )
        for i, value in zip(idx.tolist(), texts, strict=True):
            self.found.append((i, column, reason(value) if callable(reason) else reason))

    def rejects(self, lines: np.ndarray, raw: Callable[[np.ndarray], list[str]]) -> list[Reject]:
        if not self.found:
            return []
        self.found.sort()
        idx = np.array([f[0] for f in self.found], dtype=np.int64)
        texts = raw(idx)
        return [
            Reject(int(lines[i]), column, reason, text)
            for (i, column, reason), text in zip(self.found, texts, strict=True)
        ]


def np_bool(mask: pa.Array | pa.ChunkedArray) -> np.ndarray:
    if isinstance(mask, pa.ChunkedArray):
        mask = mask.combine_chunks()
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def csv_raw(batch: pa.RecordBatch, delimiter: str = ",") -> Callable[[np.ndarray], list[str]]:
    """The fields read from each bad row, joined as in the file (for ``Reject.raw``)."""

    def raw(idx: np.ndarray) -> list[str]:
        picked = batch.take(pa.array(idx))
        cols = [c.to_pylist() for c in picked.columns]
        return [
            delimiter.join("" if v is None else v for v in row) for row in zip(*cols, strict=True)
        ]

    return raw


def missing_mask(col: pa.Array) -> np.ndarray:
    """True where a required field is null or blank."""
    blank = pc.or_kleene(pc.is_null(col), pc.equal(pc.utf8_trim_whitespace(col), ""))
    return np_bool(pc.fill_null(blank, True))


#: Per-file memo of a lookup: source text -> (answer, refused).
Cache = dict[str | None, tuple[Any, bool]]


def _remember(fn: Callable[[str], Any], value: str | None, cache: Cache) -> tuple[Any, bool]:
    if value is None or not value.strip():
        result: tuple[Any, bool] = (None, False)
    else:
        try:
            result = (fn(value), False)
        except (InvalidInput, UnknownCode, ValueError):
            result = (None, True)
    cache[value] = result
    return result


class Coded:
    """A text column of codes as its distinct values and their positions.

    Codes repeat (240 countries, 5,000 HS6 codes in millions of rows), so every lookup runs
    once per distinct value and the answers are spread back with one ``take`` each.
    """

    __slots__ = ("col", "indices", "positions", "values")

    def __init__(self, col: pa.Array) -> None:
        encoded = pc.dictionary_encode(col)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        self.col = col
        self.values: list[str | None] = encoded.dictionary.to_pylist()
        self.indices = encoded.indices  # null where the cell is null
        # numpy positions; nulls point one past the end (a slot each mask fills itself)
        self.positions = np.asarray(
            pc.fill_null(self.indices, len(self.values)).to_numpy(zero_copy_only=False)
        )

    def spread(self, items: Sequence[Any], kind: pa.DataType) -> pa.Array:
        return pa.array(items, kind).take(self.indices)

    def flags(self, items: Sequence[bool], for_null: bool) -> np.ndarray:
        table: np.ndarray = np.append(np.asarray(items, dtype=bool), for_null)
        out: np.ndarray = table[self.positions]
        return out

    def missing(self) -> np.ndarray:
        """Null or blank cells."""
        return self.flags([v is None or not v.strip() for v in self.values], True)

    def map(
        self,
        fn: Callable[[str], Any],
        cache: dict[str | None, Any],
        kind: pa.DataType = pa.string(),
    ) -> tuple[pa.Array, np.ndarray]:
        """``fn`` once per distinct value (remembered in ``cache`` across batches): the mapped
        column, and a mask of the values ``fn`` refused (InvalidInput, UnknownCode,
        ValueError). Null and blank cells map to null and are not "refused"."""
        get = cache.get
        pairs = [get(v) or _remember(fn, v, cache) for v in self.values]
        return (
            self.spread([p[0] for p in pairs], kind),
            self.flags([p[1] for p in pairs], False),
        )

    def territories(
        self, resolve: Callable[[str], territories.Territory], prefix: str
    ) -> tuple[dict[str, pa.Array], np.ndarray]:
        """``<prefix>``, ``<prefix>_iso3``, ``<prefix>_m49`` (and for partners the world and
        area flags) through the shared territory table, and the mask of unknown codes."""
        arrays = territories.territory_arrays(pa.array(self.values, pa.string()), resolve)
        out = {
            prefix: arrays["code"].take(self.indices),
            f"{prefix}_iso3": arrays["iso3"].take(self.indices),
            f"{prefix}_m49": arrays["m49"].take(self.indices),
        }
        if prefix == "partner":
            for key in ("is_world", "is_area"):
                out[f"partner_{key}"] = pc.fill_null(arrays[key].take(self.indices), False)
        unknown = arrays["unknown"].to_pylist()
        return out, self.flags(unknown, False)


def parse_numbers(col: pa.Array) -> tuple[pa.Array, np.ndarray | None]:
    """Text -> float64 (null where missing) and a mask of values that are not numbers.

    Fast path: one Arrow cast for a clean column; then one for a column whose only blemish
    is BACI's padded ``NA``. Otherwise trim, treat NA/empty as missing and cast only what
    matches a number, so one bad cell rejects one row, not the file.
    """
    values = _cast_float(col)
    if values is None and pc.any(pc.match_substring(col, "NA")).as_py():
        values = _cast_float(
            pc.if_else(pc.match_substring(col, "NA"), pa.scalar(None, pa.string()), col)
        )
    if values is not None:
        return values, None
    text = pc.utf8_trim_whitespace(col)
    upper = pc.utf8_upper(text)
    # ``nan`` is not one of the "no value" texts: no source writes it for a missing
    # figure, so it is refused like any other text that is not a number.
    missing = pc.or_kleene(pc.is_null(text), pc.is_in(upper, value_set=pa.array(NULL_TEXTS)))
    missing = pc.fill_null(missing, True)
    ok = pc.and_(pc.invert(missing), pc.fill_null(pc.match_substring_regex(text, _NUMBER), False))
    bad = pc.and_(pc.invert(missing), pc.invert(ok))
    values = pc.cast(pc.if_else(ok, text, pa.scalar(None, pa.string())), pa.float64())
    return values, np_bool(bad)


def _cast_float(col: pa.Array) -> pa.Array | None:
    """The column as float64 if every value is a finite number (or null), else None."""
    try:
        values = pc.cast(col, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    finite = pc.is_finite(values)
    if finite.null_count != len(values) and not pc.all(finite).as_py():
        return None
    return values


def zero_to_null(values: pa.Array) -> pa.Array:
    """Comtrade writes 0 for "not reported" quantities and weights."""
    return pc.if_else(pc.equal(values, 0.0), pa.scalar(None, pa.float64()), values)


def check_amounts(
    checks: Checks,
    values: pa.Array,
    texts: pa.Array,
    column: str,
    what: str,
    scale: float = 1.0,
) -> None:
    """Refuse parsed numbers no source can mean: infinite (``1e400``), negative, or beyond
    ``checks.MAX_AMOUNT`` (``scale``: the column's unit in USD or kg, 1000 for BACI)."""
    for mask, kind in plausible.amount_masks(values, scale):
        checks.add(mask, column, functools.partial(_amount_reason, kind, what), texts)


def _amount_reason(kind: str, what: str, text: Any) -> str:
    return plausible.amount_reason(kind, what, repr(text))


def check_years(checks: Checks, years: pa.Array, texts: pa.Array, column: str, source: str) -> None:
    """Refuse years outside the source's coverage (``checks.FIRST_YEAR`` to next year)."""
    mask = plausible.year_mask(years, source)
    if mask is not None:
        checks.add(
            mask,
            column,
            lambda v: plausible.year_problem(int(str(v).strip()[:4]), source) or f"bad year {v!r}",
            texts,
        )


def year_of(text: str) -> int:
    value = int(text.strip())
    if not MIN_YEAR <= value <= MAX_YEAR or len(text.strip()) != 4:
        raise ValueError(text)
    return value


def period_of(text: str) -> str:
    """``2022`` -> ``2022``; ``202205`` or ``2022-05`` -> ``2022-05``."""
    m = _PERIOD.match(text.strip())
    if not m:
        raise ValueError(text)
    year_of(m.group(1))
    if m.group(2) is None:
        return m.group(1)
    if not 1 <= int(m.group(2)) <= 12:
        raise ValueError(text)
    return f"{m.group(1)}-{m.group(2)}"


def constant(value: Any, n: int, kind: pa.DataType = pa.string()) -> pa.Array:
    return pa.repeat(pa.scalar(value, kind), n)


def trade_table(n: int, cols: dict[str, pa.Array], schema: pa.Schema = TRADE_SCHEMA) -> pa.Table:
    """Arrange columns in ``schema`` order with its types; absent columns are left out."""
    arrays = []
    fields = []
    for f in schema:
        if f.name in cols:
            arr = cols[f.name]
            if arr.type != f.type:
                arr = pc.cast(arr, f.type)
            arrays.append(arr)
            fields.append(f)
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def finish(
    checks: Checks,
    lines: np.ndarray,
    cols: dict[str, pa.Array],
    raw: Callable[[np.ndarray], list[str]],
    skipped: Sequence[Reject] = (),
    table_name: str = TABLE,
    schema: pa.Schema = TRADE_SCHEMA,
) -> Iterator[Reject | Rows]:
    """Rejects first, in line order (so ``--strict`` stops at the earliest bad line), then
    the good rows (as ``table_name`` rows in ``schema``). ``skipped``: rows of this batch the
    CSV parser already refused."""
    rejects = checks.rejects(lines, raw)
    if skipped:
        rejects = sorted([*rejects, *skipped], key=lambda r: r.line or 0)
    yield from rejects
    good = ~checks.bad
    cols = {"line": pa.array(lines, pa.int64()), **cols}
    table = trade_table(checks.n, cols, schema)
    if not good.all():
        table = table.filter(pa.array(good))
    if table.num_rows:
        yield Rows(table_name, table)
