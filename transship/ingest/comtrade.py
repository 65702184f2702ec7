"""UN Comtrade readers: legacy bulk CSV, Comtrade+ CSV and Comtrade+ API JSON.

All three write ``trade_flows``: one row per reporter x partner x flow x period x commodity,
with the reporter's own code, flow, commodity and value text kept beside the normalised
columns (``*_orig``).

* ``comtrade-legacy`` reads the legacy bulk/API CSV (``Classification,Year,Period,...,Trade
  Value (US$),Flag``). Flow codes 1/2/3/4 become M/X/RX/RM. Imports are CIF and exports FOB,
  so ``value_basis`` follows the flow. Partner 0 (World) is kept, flagged
  ``partner_is_world``: it is an aggregate, never a bilateral flow. Comtrade writes 0 for
  "no quantity", so a 0 or empty ``Qty``/``Netweight (kg)`` is stored as NULL.
* ``comtrade-plus-csv`` / ``comtrade-plus-json`` read Comtrade+ records with the API's field
  names (CONVENTIONS 4.3). The JSON is the API response ``{"elapsedTime":..., "count": N,
  "data": [...], "error": ""}`` or a bare list, streamed record by record.

Double counting. A Comtrade+ answer may carry breakdowns beside their total: by second
partner (``partner2Code`` != 0), customs procedure (``customsCode`` != ``C00``), mode of
transport (``motCode`` != 0) and, in ``plus`` mode, sub-flows (DX, FM, MIP, MOP, XIP, XOP)
that are parts of X and M. Only the totals are kept; the breakdowns are dropped, not
rejected (they are valid rows, just not new trade), and their number is logged. A missing
breakdown column counts as "total". ``cmdCode`` ``TOTAL`` (all commodities) is rejected:
it is not an HS code and would double count every chapter row beside it.

Where things are: this module holds what the Comtrade readers share (flow codes, field
names, :func:`comtrade_rows`, the batch -> rows transformation); the readers are in
``ingest.comtrade_legacy`` and ``ingest.comtrade_plus`` (CSV and JSON); the streaming CSV
parser in ``ingest.csvstream`` and the column checks in ``ingest.tabular``, both shared with
``ingest.baci``. Speed: nothing loops over rows in Python (see those two modules).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from transship.exc import InvalidInput, UnknownCode
from transship.ingest.base import (
    Reject,
    Rows,
)
from transship.ingest.tabular import (
    Cache,
    Checks,
    Coded,
    check_amounts,
    check_years,
    finish,
    missing_mask,
    np_bool,
    parse_numbers,
    period_of,
    year_of,
    zero_to_null,
)
from transship.normalise import commodities, quantities, territories

#: The natural key of a Comtrade figure (normalised codes, so a legacy and a Comtrade+ file of
#: the same dataset revise each other). Only totals are stored (breakdowns by customs
#: procedure, transport mode and second partner are dropped), so those keys are always the
#: total and add nothing here.
COMTRADE_KEY = ("classification", "period", "reporter", "partner", "flow", "hs_code")


LEGACY_FLOWS = {"1": "M", "2": "X", "3": "RX", "4": "RM"}
PLUS_FLOWS = {"M": "M", "X": "X", "RX": "RX", "RM": "RM"}
#: Comtrade+ sub-flows (plus mode): parts of M and X, dropped like other breakdowns.
SUB_FLOWS = frozenset({"DX", "FM", "MIP", "MOP", "XIP", "XOP"})
BASIS = {"M": "cif", "RM": "cif", "X": "fob", "RX": "fob"}


def _flow(mapping: dict[str, str]) -> Callable[[str], str]:
    def fn(text: str) -> str:
        key = text.strip().upper()
        if key.endswith(".0"):
            key = key[:-2]
        if key not in mapping:
            raise ValueError(text)
        return mapping[key]

    return fn


def _hs(text: str) -> str:
    if text.strip().upper() == "TOTAL":
        raise ValueError(text)
    return commodities.hs_code(text)


def _edition(text: str) -> str | None:
    try:
        return commodities.hs_edition(text)
    except (UnknownCode, InvalidInput):
        return None  # "HS" = as reported, SITC...: stored as NULL, not a reason to reject


def _qty_unit(text: str) -> str | None:
    try:
        return quantities.comtrade_qty_unit(text)
    except (UnknownCode, InvalidInput, ValueError):
        return None


def _qty_factor(text: str) -> float:
    try:
        return quantities.comtrade_qty_factor(text)
    except (UnknownCode, InvalidInput, ValueError):
        return 1.0


def _unit_abbr(text: str) -> str | None:
    try:
        return quantities.unit(text)
    except (UnknownCode, InvalidInput, ValueError):
        return None


def _hs_reason(value: Any) -> str:
    if isinstance(value, str) and value.strip().upper() == "TOTAL":
        return "commodity code TOTAL (all commodities) is not an HS code"
    return f"bad HS code {value!r}"


@dataclass(slots=True)
class ComtradeCaches:
    """Per-file caches: each distinct code is resolved once per file, not once per batch."""

    flow: Cache = field(default_factory=dict)
    hs: Cache = field(default_factory=dict)
    year: Cache = field(default_factory=dict)
    period: Cache = field(default_factory=dict)
    edition: Cache = field(default_factory=dict)
    unit: Cache = field(default_factory=dict)
    abbr: Cache = field(default_factory=dict)
    factor: Cache = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ComtradeFields:
    """Source column names for the common Comtrade transformation."""

    reporter: str
    partner: str
    flow: str
    hs: str
    value: str
    year: str | None
    period: str | None
    classification: str | None
    qty: str | None
    qty_unit: str | None
    qty_abbr: str | None
    net_weight: str | None
    flag: str | None
    cif: str | None = None
    fob: str | None = None


def column_of(batch: pa.RecordBatch | pa.Table, name: str | None) -> pa.Array | None:
    if name is None or name not in batch.schema.names:
        return None
    col = batch.column(name)
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


def comtrade_rows(
    batch: pa.RecordBatch | pa.Table,
    lines: np.ndarray,
    names: ComtradeFields,
    flows: dict[str, str],
    caches: ComtradeCaches,
    raw: Callable[[np.ndarray], list[str]],
    keep: np.ndarray | None = None,
    extra: dict[str, pa.Array] | None = None,
    skipped: Sequence[Reject] = (),
) -> Iterator[Reject | Rows]:
    """One batch of Comtrade text columns -> trade_flows rows + rejects (vectorised)."""
    n = batch.num_rows
    checks = Checks(n)
    dropped = np.zeros(n, dtype=bool) if keep is None else ~keep
    checks.bad |= dropped  # breakdowns and blank lines: neither stored nor rejected

    def text(name: str | None) -> pa.Array | None:
        return column_of(batch, name)

    reporter, partner = text(names.reporter), text(names.partner)
    flow, hs, value_text = text(names.flow), text(names.hs), text(names.value)
    assert reporter is not None and partner is not None and flow is not None
    assert hs is not None and value_text is not None
    year_col = names.year or names.period or "year"

    # Year and period ("2022" or "202205"); the year column wins for the year.
    year_text, period_text = text(names.year), text(names.period)
    period: pa.Array
    if period_text is not None:
        periods = Coded(period_text)
        period, bad_period = periods.map(period_of, caches.period)
        if year_text is not None:
            period = pc.coalesce(period, pc.utf8_trim_whitespace(year_text))
        checks.add(bad_period, names.period or "period", lambda v: f"bad period {v!r}", period_text)
    else:
        assert year_text is not None
        period = pc.utf8_trim_whitespace(year_text)
    years = Coded(year_text if year_text is not None else pc.utf8_slice_codeunits(period, 0, 4))
    year, bad_year = years.map(year_of, caches.year, pa.int32())
    checks.add(years.missing(), year_col, "missing year")
    checks.add(bad_year, year_col, lambda v: f"bad year {v!r}", years.col)
    check_years(checks, year, years.col, year_col, "comtrade")

    flows_coded = Coded(flow)
    flow_code, bad_flow = flows_coded.map(_flow(flows), caches.flow)
    checks.add(flows_coded.missing(), names.flow, "missing flow code")
    checks.add(bad_flow, names.flow, lambda v: f"unknown flow code {v!r}", flow)

    reporters, partners = Coded(reporter), Coded(partner)
    rep, bad_rep = reporters.territories(territories.from_comtrade, "reporter")
    par, bad_par = partners.territories(territories.from_comtrade, "partner")
    checks.add(reporters.missing(), names.reporter, "missing reporter code")
    checks.add(bad_rep, names.reporter, lambda v: f"unknown country code {v!r}", reporter)
    checks.add(partners.missing(), names.partner, "missing partner code")
    checks.add(bad_par, names.partner, lambda v: f"unknown country code {v!r}", partner)

    commodities_coded = Coded(hs)
    hs_code, bad_hs = commodities_coded.map(_hs, caches.hs)
    checks.add(commodities_coded.missing(), names.hs, "missing commodity code")
    checks.add(bad_hs, names.hs, _hs_reason, hs)

    # Value: the primary value, else the CIF (imports) or FOB (exports) value.
    cif, fob = text(names.cif), text(names.fob)
    basis = _basis(flow_code, cif, fob)
    if cif is not None or fob is not None:
        value_text = pc.coalesce(value_text, _implied_value(flow_code, cif, fob))
    value, bad_value = parse_numbers(value_text)
    checks.add(bad_value, names.value, lambda v: f"value is not a number: {v!r}", value_text)
    check_amounts(checks, value, value_text, names.value, "value")

    cols: dict[str, pa.Array] = {**rep, "reporter_orig": reporter, **par, "partner_orig": partner}
    cols.update(flow=flow_code, flow_orig=flow, year=year, period=period)
    if (classification := text(names.classification)) is not None:
        cols["classification"], _ = Coded(classification).map(_edition, caches.edition)
    cols.update(hs_code=hs_code, hs_orig=hs, value_usd=value, value_orig=value_text)
    cols["value_basis"] = basis

    # Quantities: 0 means "not reported"; the unit code may scale (9 = thousands of items).
    qty: pa.Array | None = None
    if (qty_text := text(names.qty)) is not None:
        qty, bad_qty = parse_numbers(qty_text)
        reason = "quantity is not a number: {!r}".format
        checks.add(bad_qty, names.qty or "qty", reason, qty_text)
        check_amounts(checks, qty, qty_text, names.qty or "qty", "quantity")
        qty = zero_to_null(qty)
    if (net_text := text(names.net_weight)) is not None:
        net, bad_net = parse_numbers(net_text)
        reason = "net weight is not a number: {!r}".format
        checks.add(bad_net, names.net_weight or "netWgt", reason, net_text)
        check_amounts(checks, net, net_text, names.net_weight or "netWgt", "net weight")
        cols["net_weight_kg"] = zero_to_null(net)
    unit: pa.Array | None = None
    if (unit_text := text(names.qty_unit)) is not None:
        units = Coded(unit_text)
        unit, _ = units.map(_qty_unit, caches.unit)
        if qty is not None:
            factor, _ = units.map(_qty_factor, caches.factor, pa.float64())
            qty = pc.multiply(qty, pc.fill_null(factor, 1.0))
    if (abbr := text(names.qty_abbr)) is not None:
        by_abbr, _ = Coded(abbr).map(_unit_abbr, caches.abbr)
        unit = by_abbr if unit is None else pc.coalesce(unit, by_abbr)
    if qty is not None:
        cols["qty"] = qty
    if unit is not None:
        cols["qty_unit"] = unit
    if (flag := text(names.flag)) is not None:
        cols["flag"] = flag
    cols.update(extra or {})
    # Problems of dropped rows do not matter: they are not stored, so not rejected either.
    checks.found = [f for f in checks.found if not dropped[f[0]]]
    yield from finish(checks, lines, cols, raw, skipped)


_IMPORTS = pa.array(["M", "RM"])


def _basis(flow: pa.Array, cif: pa.Array | None, fob: pa.Array | None) -> pa.Array:
    """CIF for imports, FOB for exports; the other basis when only that value is given."""
    is_import = np_bool(pc.is_in(flow, value_set=_IMPORTS))
    known = np_bool(pc.is_valid(flow))
    if cif is not None and fob is not None:
        has_cif, has_fob = ~missing_mask(cif), ~missing_mask(fob)
        is_import = np.where(is_import & ~has_cif & has_fob, False, is_import)
        is_import = np.where(~is_import & has_cif & ~has_fob, True, is_import)
    basis = np.where(is_import, "cif", "fob").astype(object)
    basis[~known] = None
    return pa.array(basis, pa.string())


def _implied_value(flow: pa.Array, cif: pa.Array | None, fob: pa.Array | None) -> pa.Array:
    """The CIF value for imports, FOB for exports (whichever exists as fallback)."""
    nulls = pa.nulls(len(flow), pa.string())
    cif = cif if cif is not None else nulls
    fob = fob if fob is not None else nulls
    is_import = pc.fill_null(pc.is_in(flow, value_set=_IMPORTS), False)
    return pc.if_else(is_import, pc.coalesce(cif, fob), pc.coalesce(fob, cif))


def present_fields(names: ComtradeFields, header: Sequence[str]) -> ComtradeFields:
    """The same field names, with optional ones absent from this file set to None."""
    have = set(header)

    def keep(name: str | None) -> str | None:
        return name if name in have else None

    return dataclasses.replace(
        names,
        year=keep(names.year),
        period=keep(names.period),
        classification=keep(names.classification),
        qty=keep(names.qty),
        qty_unit=keep(names.qty_unit),
        qty_abbr=keep(names.qty_abbr),
        net_weight=keep(names.net_weight),
        flag=keep(names.flag),
        cif=keep(names.cif),
        fob=keep(names.fob),
    )


def not_blank(batch: pa.RecordBatch | pa.Table) -> np.ndarray:
    """Rows with at least one field (blank lines become all-null rows: skip them quietly)."""
    if batch.num_rows == 0 or batch.num_columns == 0:
        return np.ones(batch.num_rows, dtype=bool)
    any_value = pc.is_valid(batch.column(0))
    for col in batch.columns[1:]:
        any_value = pc.or_(any_value, pc.is_valid(col))
    return np_bool(any_value)
