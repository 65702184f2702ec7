"""The relational core of flows: the rows in scope, directed pair values, and the chain join.

Everything here is SQL in DuckDB's dialect run through an :class:`~transship.flows.engine.Engine`
(DuckDB or Spark). Three layers, each a function returning SQL or running it:

1. :func:`scope_sql` - the ``trade_flows`` rows an analysis may use: bilateral rows only
   (partner World, nes areas, bunkers, free zones, unknown and the reporter itself never
   pair), one HS level and one period kind per reporter, flow and year (see below), the
   product filter applied first, as an HS *prefix* (``'93'`` takes every 93xxxx code and
   labels them ``'93'``; ``'9306'`` the 9306xx codes, labelled ``'9306'``).
2. :func:`pairs_sql` - one row per exporter, importer, product and year with the exporter's
   reported value (``x_value``, FOB), the importer's (``m_value``, CIF), a reconciled value
   when the source is BACI (``r_value``), quantities where a side reports them in one unit,
   the single best value (``value_usd``) and the record ids behind it (``evidence``).
3. :func:`chain_legs` - legs A->M joined with M->D (and M1->M2->D for three hops) for one
   product filter, streamed in batches so that memory stays flat whatever the pair count;
   :func:`estimate_pairs` gives the pair count before running.

Why one HS level and one period kind: Comtrade publishes the same trade at chapter, heading
and subheading level, and monthly files beside annual ones. Summing a prefix over every code
would count the same shipment two or three times. For each reporter, flow and year the scope
keeps annual rows when there are any (else monthly rows, summed to the year) and, when a
product prefix is given, the coarsest HS level at or below the prefix that the reporter used
(the chapter total includes confidential lines the subheadings omit). Without a product
filter each code is its own product, so levels never add up.

What it does NOT de-duplicate: two non-reconciled datasets covering the same reporter and
year (e.g. Comtrade legacy and Comtrade+ for Serbia 2017) are summed; pass ``dataset=`` to
choose one. BACI rows (``value_basis = 'reconciled'``) never mix with reported values: they
fill ``r_value``, which wins in ``value_usd``.

For the routes engineer: use :func:`prepare_legs` once per analysis (it materialises the
legs for a product filter and years), then :func:`estimate_pairs` and :func:`chain_legs`
with ``legs=``; map leg ids back to trade_flows record ids with :meth:`LegTable.evidence`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from transship.exc import InvalidInput
from transship.flows.engine import Engine, temp_name

log = logging.getLogger(__name__)

#: Expected CIF/FOB margin used to put an importer-reported (CIF) value on the exporter's
#: FOB basis when the exporter did not report (Gaulier & Zignago 2010 estimate median
#: margins of a few percent; the mirror stage fits its own per HS chapter).
CIF_FACTOR = 1.05
#: Territory codes that are never one side of a bilateral pair.
NON_PARTNERS = ("world", "zz")

_PRODUCT = re.compile(r"^\d{2,10}$")
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,15}$")
_DATASET = re.compile(r"^[A-Za-z0-9_.:-]{1,80}$")

Years = tuple[int, int]


# -- arguments ----------------------------------------------------------------------------
def check_product(product: str | None) -> str | None:
    """An HS prefix of 2 to 10 digits (spaces and dots dropped), or None for every product."""
    if product is None:
        return None
    p = re.sub(r"[\s.]", "", str(product))
    if not _PRODUCT.match(p):
        raise InvalidInput(f"product must be an HS code prefix of 2-10 digits, got {product!r}")
    return p


def check_years(years: Years | Sequence[int] | None) -> Years | None:
    """``(first, last)`` inclusive, or None for every year."""
    if years is None:
        return None
    ys = [int(y) for y in years]
    if len(ys) == 1:
        ys = [ys[0], ys[0]]
    if len(ys) != 2 or ys[0] > ys[1] or not 1900 <= ys[0] <= 2200:
        raise InvalidInput(f"years must be (first, last) with first <= last, got {years!r}")
    return ys[0], ys[1]


def parse_years(text: str | None) -> Years | None:
    """'2019-2024' or '2022' -> (2019, 2024) / (2022, 2022)."""
    if text is None or not str(text).strip():
        return None
    m = re.fullmatch(r"\s*(\d{4})\s*(?:[-:]\s*(\d{4}))?\s*", str(text))
    if not m:
        raise InvalidInput(f"--years must look like 2019-2024 or 2022, got {text!r}")
    return check_years((int(m.group(1)), int(m.group(2) or m.group(1))))


def check_code(code: str | None, what: str = "territory") -> str | None:
    """A rigour territory code as stored (``'rs'``, ``'ua-cri'``): validated, not looked up."""
    if code is None:
        return None
    c = str(code).strip().lower()
    if not _CODE.match(c):
        raise InvalidInput(f"bad {what} code {code!r} (use the store's territory codes, e.g. 'rs')")
    return c


def check_dataset(dataset: str | None) -> str | None:
    if dataset is None:
        return None
    if not _DATASET.match(dataset):
        raise InvalidInput(f"bad dataset name {dataset!r}")
    return dataset


def _in_list(values: Iterable[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


# -- layer 1: rows in scope ------------------------------------------------------------------
def scope_sql(
    product: str | None = None,
    years: Years | None = None,
    dataset: str | None = None,
    flows: Sequence[str] = ("X", "M"),
    reconciled: bool = True,
    source: str = "trade_flows",
    dedup: bool = True,
    quantities: bool = True,
    ids: bool = True,
) -> str:
    """SQL for the trade_flows rows in scope, with a ``product`` column (the prefix, or the
    code as stored) and the columns pairing needs. ``reconciled=False`` drops BACI-style
    reconciled rows (mirror statistics need both reported sides). ``dedup=False`` skips
    the level/period selection (a window over every row): pass :func:`needs_dedup`'s
    answer. ``quantities=False`` leaves out quantity, weight and ISO3 columns (NULL): the
    chain join needs values only, and every column not read is I/O saved. ``ids=False``
    leaves out ``record_id`` (NULL): the heaviest column, and legs do not carry evidence
    (:meth:`LegTable.evidence` reads it again for the legs asked about)."""
    product = check_product(product)
    years = check_years(years)
    dataset = check_dataset(dataset)
    flows = [f for f in flows if f in ("X", "M", "RX", "RM")]
    where = [
        f"flow IN ({_in_list(flows)})",
        "NOT partner_is_world",
        "NOT partner_is_area",
        "reporter IS NOT NULL",
        "partner IS NOT NULL",
        f"reporter NOT IN ({_in_list(NON_PARTNERS)})",
        f"partner NOT IN ({_in_list(NON_PARTNERS)})",
        "reporter NOT LIKE 'zz-%'",
        "partner NOT LIKE 'zz-%'",
        "reporter <> partner",
        "value_usd IS NOT NULL",
    ]
    if product:
        where.append(f"hs_code LIKE '{product}%'")
    if years:
        where.append(f"year BETWEEN {years[0]} AND {years[1]}")
    if dataset:
        where.append(f"dataset = '{dataset}'")
    if not reconciled:
        where.append("(value_basis IS NULL OR value_basis <> 'reconciled')")
    product_expr = f"'{product}'" if product else "hs_code"
    level = "length(hs_code)" if product else "0"
    extra = (
        "reporter_iso3, partner_iso3, flow, year, value_usd, qty, qty_unit, net_weight_kg"
        if quantities
        else "CAST(NULL AS VARCHAR) AS reporter_iso3, CAST(NULL AS VARCHAR) AS partner_iso3, "
        "flow, year, value_usd, CAST(NULL AS DOUBLE) AS qty, CAST(NULL AS VARCHAR) AS qty_unit, "
        "CAST(NULL AS DOUBLE) AS net_weight_kg"
    )
    cols = (
        f"{'record_id' if ids else 'CAST(NULL AS VARCHAR) AS record_id'}, reporter, partner, "
        f"{extra}, simulated, "
        "(value_basis IS NOT NULL AND value_basis = 'reconciled') AS reconciled"
    )
    inner = (
        f"SELECT {cols}, {product_expr} AS product, "
        f"(CASE WHEN length(period) > 4 THEN 100 ELSE 0 END + {level}) AS level_key "
        f"FROM {source} WHERE {' AND '.join(where)}"
    )
    return dedup_sql(inner) if dedup else inner


def dedup_sql(rows: str) -> str:
    """Keep one HS level and one period kind per reporter, flow and year (see the module
    docstring) from scope rows that carry ``level_key``."""
    return (
        "SELECT record_id, reporter, partner, reporter_iso3, partner_iso3, flow, year, "
        "value_usd, qty, qty_unit, net_weight_kg, simulated, reconciled, product, level_key "
        "FROM (SELECT s.*, min(level_key) OVER (PARTITION BY reporter, flow, year) AS level_min "
        f"FROM ({rows}) s) k WHERE level_key = level_min"
    )


@dataclass(slots=True)
class Scope:
    """The rows one analysis reads, prepared once.

    With a product filter the matching rows (a small share of the store) are materialised
    in one scan, so the de-duplication check, pairs and re-export sums read that small
    relation instead of scanning ``trade_flows`` again. Without one, they read
    ``trade_flows`` directly (copying it would cost more than it saves)."""

    engine: Engine
    product: str | None
    years: Years | None
    dataset: str | None
    reconciled: bool
    relation: str | None
    dedup: bool
    quantities: bool = True
    #: Scope rows (all flows of the scope) per year, from the de-duplication check.
    year_rows: dict[int, int] | None = None
    ids: bool = True

    def rows_sql(self, flows: Sequence[str] = ("X", "M"), years: Years | None = None) -> str:
        """SQL for the scope rows of these flows, de-duplicated when needed; ``years``
        narrows the scope's years (for work split by year: the de-duplication is per
        reporter, flow and year, so a year range never cuts through it)."""
        if self.relation is None:
            return scope_sql(
                self.product,
                years or self.years,
                self.dataset,
                flows,
                self.reconciled,
                dedup=self.dedup,
                quantities=self.quantities,
                ids=self.ids,
            )
        rows = f"SELECT * FROM {self.relation} WHERE flow IN ({_in_list(flows)})"
        if years is not None:
            rows += f" AND year BETWEEN {int(years[0])} AND {int(years[1])}"
        return dedup_sql(rows) if self.dedup else rows

    def pairs_sql(self, evidence: bool = True, years: Years | None = None) -> str:
        return pairs_sql(self.rows_sql(("X", "M"), years), evidence, self.quantities)

    def year_batches(self, max_rows: int) -> list[Years]:
        """Consecutive year ranges of at most ``max_rows`` scope rows each (a single year
        may exceed it): a group-by over one batch at a time keeps its hash table in memory
        where one over every year would spill (see docs/performance.md, Flows)."""
        counts = sorted((self.year_rows or {}).items())
        out: list[Years] = []
        start: int | None = None
        last = acc = 0
        for year, n in counts:
            if start is not None and acc + n > max_rows:
                out.append((start, last))
                start, acc = None, 0
            if start is None:
                start = year
            last, acc = year, acc + n
        if start is not None:
            out.append((start, last))
        return out

    def close(self) -> None:
        if self.relation is not None:
            self.engine.drop(self.relation)
            self.relation = None


def open_scope(
    engine: Engine,
    product: str | None = None,
    years: Years | None = None,
    dataset: str | None = None,
    flows: Sequence[str] = ("X", "M"),
    reconciled: bool = True,
    quantities: bool = True,
    ids: bool = True,
) -> Scope:
    """Prepare the rows of ``flows`` in scope (see :class:`Scope`); close it when done."""
    product = check_product(product)
    years = check_years(years)
    dataset = check_dataset(dataset)
    relation = None
    raw = scope_sql(
        product, years, dataset, flows, reconciled, dedup=False, quantities=quantities, ids=ids
    )
    if product is not None:
        relation = temp_name("scope")
        engine.materialize(relation, raw)
        raw = f"SELECT * FROM {relation}"
    check = engine.sql(
        "SELECT year, sum(n) AS n, sum(mixed) AS mixed FROM (SELECT year, count(*) AS n, "
        "CASE WHEN min(level_key) < max(level_key) THEN 1 ELSE 0 END AS mixed "
        f"FROM ({raw}) s GROUP BY reporter, flow, year) t GROUP BY year"
    )
    ys = check.column("year").to_pylist()
    counts = [int(n) for n in check.column("n").to_pylist()]
    # rows without a year cannot be split by year: no per-year counts then
    year_rows = None if None in ys else dict(zip(ys, counts, strict=True))
    mixed = any(int(m or 0) for m in check.column("mixed").to_pylist())
    return Scope(
        engine, product, years, dataset, reconciled, relation, mixed, quantities, year_rows, ids
    )


# -- layer 2: directed pairs --------------------------------------------------------------
def pairs_sql(scope: str, evidence: bool = True, quantities: bool = True) -> str:
    """SQL: one row per exporter, importer, product, year from a scope relation/subquery.

    Columns: exporter, importer, product, year, x_value, m_value, r_value (reconciled),
    value_usd (r_value, else x_value, else m_value / CIF_FACTOR), x_qty / m_qty and
    qty_unit (only when every row of the pair, both sides, uses one unit), x_kg, m_kg,
    simulated (any row simulated), evidence (sorted record ids, one per row of the pair;
    omitted when ``evidence=False``). ``quantities=False`` (for a scope opened without
    quantities, whose quantity columns are NULL anyway) gives the quantity columns as NULL
    without aggregating them. That, and no row count (nothing read it), took this group-by
    for hubs at 10M rows from 7.4-8.4 s to 5.8-6.9 s (docs/performance.md).
    """
    ev = ", list_sort(array_agg(record_id)) AS evidence" if evidence else ""
    side = (
        f"SELECT record_id, product, year, value_usd, "
        f"{'qty, qty_unit, net_weight_kg, ' if quantities else ''}simulated, "
        "CASE WHEN reconciled THEN 2 WHEN flow = 'X' THEN 0 ELSE 1 END AS side, "
        "CASE WHEN flow = 'M' THEN partner ELSE reporter END AS exporter, "
        "CASE WHEN flow = 'M' THEN reporter ELSE partner END AS importer "
        f"FROM ({scope}) sc WHERE flow IN ('X', 'M')"
    )
    # Few aggregates on purpose: this group-by is the heaviest step of mirror and hubs.
    # One unit check for both sides (quantities are only comparable in one unit anyway);
    # ISO3 codes are joined later from the small territory map (territory_map_sql).
    qty_agg = (
        "sum(qty) FILTER (WHERE side = 0) AS x_qty_sum, "
        "sum(qty) FILTER (WHERE side = 1) AS m_qty_sum, "
        "min(qty_unit) AS unit_min, max(qty_unit) AS unit_max, "
        "sum(net_weight_kg) FILTER (WHERE side = 0) AS x_kg, "
        "sum(net_weight_kg) FILTER (WHERE side = 1) AS m_kg, "
        if quantities
        else ""
    )
    agg = (
        "SELECT exporter, importer, product, year, "
        "sum(value_usd) FILTER (WHERE side = 0) AS x_value, "
        "sum(value_usd) FILTER (WHERE side = 1) AS m_value, "
        "sum(value_usd) FILTER (WHERE side = 2) AS r_value, "
        f"{qty_agg}"
        f"max(CASE WHEN simulated THEN 1 ELSE 0 END) AS sim{ev} "
        f"FROM ({side}) sd GROUP BY exporter, importer, product, year"
    )
    qty_cols = (
        "CASE WHEN unit_min = unit_max THEN x_qty_sum END AS x_qty, "
        "CASE WHEN unit_min = unit_max THEN m_qty_sum END AS m_qty, "
        "CASE WHEN unit_min = unit_max THEN unit_min END AS qty_unit, x_kg, m_kg"
        if quantities
        else "CAST(NULL AS DOUBLE) AS x_qty, CAST(NULL AS DOUBLE) AS m_qty, "
        "CAST(NULL AS VARCHAR) AS qty_unit, CAST(NULL AS DOUBLE) AS x_kg, "
        "CAST(NULL AS DOUBLE) AS m_kg"
    )
    evcol = ", evidence" if evidence else ""
    return (
        "SELECT exporter, importer, product, year, x_value, m_value, r_value, "
        f"coalesce(r_value, x_value, m_value / {CIF_FACTOR}) AS value_usd, "
        f"{qty_cols}, sim = 1 AS simulated{evcol} FROM ({agg}) a"
    )


def territory_map_sql(
    years: Years | None = None, dataset: str | None = None, source: str = "trade_flows"
) -> str:
    """SQL: store territory code -> ISO3 (as the rows give it), over reporters and partners.
    Small (a few hundred rows); joined to results instead of carried through big group-bys."""
    years = check_years(years)
    dataset = check_dataset(dataset)
    where = ["reporter IS NOT NULL"]
    if years:
        where.append(f"year BETWEEN {years[0]} AND {years[1]}")
    if dataset:
        where.append(f"dataset = '{dataset}'")
    w = " AND ".join(where)
    return (
        "SELECT code, max(iso3) AS iso3 FROM ("
        f"SELECT reporter AS code, max(reporter_iso3) AS iso3 FROM {source} WHERE {w} "
        "GROUP BY reporter UNION ALL "
        f"SELECT partner AS code, max(partner_iso3) AS iso3 FROM {source} WHERE {w} "
        "AND partner IS NOT NULL GROUP BY partner) t GROUP BY code"
    )


# -- layer 3: legs and the chain join ------------------------------------------------------
@dataclass(slots=True)
class LegTable:
    """Materialised legs (directed pair values) for one product filter and years.

    ``relation`` (in the engine) holds: leg_id BIGINT (1..n_legs, ordered by product, year,
    exporter, importer), exp / imp INTEGER (indexes into ``territories``), pidx INTEGER
    (index into ``products``), year INTEGER, value_usd DOUBLE. ``arrays`` holds the same
    columns in memory as Arrow, row ``leg_id - 1`` for leg ``leg_id`` (a few hundred MB for
    a full year of every HS6 product; that is what lets the chain join ship leg ids only).
    ``territories`` are store codes ('rs'), ``products`` the product labels; ``iso3`` maps
    territories to ISO3 on first use. Evidence is not held: :meth:`evidence` reads it.
    """

    engine: Engine
    relation: str
    arrays: pa.Table
    territories: pa.Array
    products: pa.Array
    n_legs: int
    product: str | None
    years: Years | None
    dataset: str | None = None
    dedup: bool = False
    _iso3: pa.Array | None = None
    _index: dict[int, _LegIndex] | None = None

    def join_index(self, lag: int) -> _LegIndex:
        """The sorted keys the chain join and the estimate share (built once per lag)."""
        if self._index is None:
            self._index = {}
        hit = self._index.get(lag)
        if hit is None:
            hit = self._index[lag] = _LegIndex(self, lag)
        return hit

    @property
    def iso3(self) -> pa.Array:
        """ISO3 per territory index (None where a code has none); one scan, on first use."""
        if self._iso3 is None:
            m = self.engine.sql(territory_map_sql(self.years, self.dataset))
            lookup = dict(
                zip(m.column("code").to_pylist(), m.column("iso3").to_pylist(), strict=True)
            )
            self._iso3 = pa.array(
                [lookup.get(c) for c in self.territories.to_pylist()], pa.string()
            )
        return self._iso3

    def index(self, code: str) -> int | None:
        """The integer index of a territory code, or None if it has no legs."""
        hits = pc.index(self.territories, code).as_py()
        return None if hits < 0 else int(hits)

    def evidence(self, leg_ids: Iterable[int]) -> dict[int, list[str]]:
        """trade_flows record ids behind each leg id (sorted). One pass over the scope rows
        per call, so ask for all the legs you need at once."""
        ids = sorted({int(i) for i in leg_ids if 1 <= int(i) <= self.n_legs})
        if not ids:
            return {}
        rows = self.arrays.take(pa.array([i - 1 for i in ids], pa.int64()))
        keys = pa.table(
            {
                "leg_id": pa.array(ids, pa.int64()),
                "exporter": self.territories.take(rows.column("exp")),
                "importer": self.territories.take(rows.column("imp")),
                "product": self.products.take(rows.column("pidx")),
                "year": rows.column("year").cast(pa.int32()),
            }
        )
        name = temp_name("legkeys")
        self.engine.register(name, keys)
        try:
            scope = scope_sql(
                self.product, self.years, self.dataset, dedup=self.dedup, quantities=False
            )
            side = (
                "SELECT record_id, product, year, "
                "CASE WHEN flow = 'M' THEN partner ELSE reporter END AS exporter, "
                "CASE WHEN flow = 'M' THEN reporter ELSE partner END AS importer "
                f"FROM ({scope}) s"
            )
            found = self.engine.sql(
                "SELECT k.leg_id, list_sort(array_agg(r.record_id)) AS evidence "
                f"FROM ({side}) r JOIN {name} k ON k.exporter = r.exporter "
                "AND k.importer = r.importer AND k.product = r.product AND k.year = r.year "
                "GROUP BY k.leg_id"
            )
        finally:
            self.engine.drop(name)
        return {
            int(leg): list(ev or [])
            for leg, ev in zip(
                found.column("leg_id").to_pylist(),
                found.column("evidence").to_pylist(),
                strict=True,
            )
        }

    def legs(self) -> pa.Table:
        """All legs with territory and product labels."""
        t = self.arrays
        return pa.table(
            {
                "leg_id": t.column("leg_id"),
                "exporter": self.territories.take(t.column("exp")),
                "importer": self.territories.take(t.column("imp")),
                "product": self.products.take(t.column("pidx")),
                "year": t.column("year"),
                "value_usd": t.column("value_usd"),
            }
        )

    def close(self) -> None:
        self._index = None
        self.engine.drop(self.relation)


def prepare_legs(
    engine: Engine,
    product: str | None = None,
    years: Years | None = None,
    dataset: str | None = None,
) -> LegTable:
    """Materialise the legs of one analysis: the product filter and years run here, before
    any join, so a chapter-93 route query joins only chapter-93 legs. One pass over
    ``trade_flows`` (two without a product filter: the de-duplication check is one)."""
    keys, relation = temp_name("legkeys"), temp_name("legs")
    scope = open_scope(engine, product, years, dataset, quantities=False, ids=False)
    try:
        engine.materialize(
            keys,
            "SELECT CAST(row_number() OVER (ORDER BY product, year, exporter, importer) "
            "AS BIGINT) AS leg_id, exporter, importer, product, year, value_usd "
            f"FROM ({scope.pairs_sql(evidence=False)}) p WHERE value_usd > 0",
        )
    finally:
        scope.close()
    try:
        # the code tables are made in SQL, not built in Python: pyarrow's ``pa.array`` over a
        # Python sequence (``range``) imports pandas on first use (0.3-0.7 s, more than the
        # chapter-93 scope scan itself)
        tname, pname = temp_name("terr"), temp_name("prod")
        engine.materialize(
            tname,
            "SELECT code, CAST(row_number() OVER (ORDER BY code) - 1 AS INTEGER) AS idx FROM "
            f"(SELECT exporter AS code FROM {keys} UNION SELECT importer FROM {keys}) u",
        )
        engine.materialize(
            pname,
            "SELECT product, CAST(row_number() OVER (ORDER BY product) - 1 AS INTEGER) AS pidx "
            f"FROM (SELECT DISTINCT product FROM {keys}) u",
        )
        try:
            terr = engine.sql(f"SELECT code FROM {tname} ORDER BY idx")
            prods = engine.sql(f"SELECT product FROM {pname} ORDER BY pidx")
            engine.materialize(
                relation,
                "SELECT CAST(p.leg_id AS INTEGER) AS leg_id, te.idx AS exp, ti.idx AS imp, pr.pidx AS pidx, "
                "CAST(p.year AS INTEGER) AS year, p.value_usd AS value_usd "
                f"FROM {keys} p JOIN {tname} te ON te.code = p.exporter "
                f"JOIN {tname} ti ON ti.code = p.importer "
                f"JOIN {pname} pr ON pr.product = p.product",
            )
        finally:
            engine.drop(tname)
            engine.drop(pname)
    finally:
        engine.drop(keys)
    arrays = engine.sql(
        f"SELECT leg_id, exp, imp, pidx, year, value_usd FROM {relation} ORDER BY leg_id"
    )
    arrays = pa.table(
        {
            "leg_id": arrays.column("leg_id").cast(pa.int64()),
            "exp": arrays.column("exp").cast(pa.int32()),
            "imp": arrays.column("imp").cast(pa.int32()),
            "pidx": arrays.column("pidx").cast(pa.int32()),
            "year": arrays.column("year").cast(pa.int32()),
            "value_usd": arrays.column("value_usd").cast(pa.float64()),
        }
    ).combine_chunks()
    return LegTable(
        engine=engine,
        relation=relation,
        arrays=arrays,
        territories=terr.column("code").combine_chunks().cast(pa.string()),
        products=prods.column("product").combine_chunks().cast(pa.string()),
        n_legs=arrays.num_rows,
        product=check_product(product),
        years=check_years(years),
        dataset=check_dataset(dataset),
        dedup=scope.dedup,
    )


def _year_cond(a: str, b: str, max_lag: int) -> str:
    if max_lag <= 0:
        return f"{b}.year = {a}.year"
    return f"{b}.year BETWEEN {a}.year AND {a}.year + {int(max_lag)}"


def _endpoint_filters(
    legs: LegTable, origin: str | None, destination: str | None
) -> tuple[str | None, str | None, bool]:
    """SQL conditions for origin/destination as indexes; third item False when a given
    endpoint has no legs at all (so the result is empty)."""
    o = d = None
    ok = True
    if origin is not None:
        oi = legs.index(check_code(origin) or "")
        ok = ok and oi is not None
        o = f"= {oi if oi is not None else -1}"
    if destination is not None:
        di = legs.index(check_code(destination) or "")
        ok = ok and di is not None
        d = f"= {di if di is not None else -1}"
    return o, d, ok


def _endpoint_indexes(
    legs: LegTable, origin: str | None, destination: str | None
) -> tuple[int | None, int | None, bool]:
    """origin/destination as territory indexes; third item False when a given endpoint
    has no legs at all (so there is no chain)."""
    o = d = None
    ok = True
    if origin is not None:
        o = legs.index(check_code(origin) or "")
        ok = o is not None
    if destination is not None:
        d = legs.index(check_code(destination) or "")
        ok = ok and d is not None
    return o, d, ok


def estimate_pairs(
    legs: LegTable,
    max_hops: int = 2,
    origin: str | None = None,
    destination: str | None = None,
    max_lag: int = 0,
) -> int:
    """Candidate chains the join will produce, from per-territory degree counts only.

    Two hops: sum over hub, product and year of in-degree x out-degree (in-degree limited
    to legs from ``origin``, out-degree to legs into ``destination`` when given). Three
    hops: sum over middle legs M1->M2 of in-degree(M1) x out-degree(M2). An upper bound:
    it counts the cycles A->M->A that the join drops. Costs a sort of the legs (the join
    reuses it) and one binary search per leg; no pair is formed.
    """
    if max_hops not in (2, 3):
        raise InvalidInput("max_hops must be 2 or 3")
    o, d, ok = _endpoint_indexes(legs, origin, destination)
    if not ok:
        return 0
    lag = max(0, int(max_lag))
    ix = legs.join_index(lag)
    if max_hops == 2:
        _, lo, hi = ix.first_runs(o, d, 2)
        return int((hi - lo).sum())
    # three hops: for each middle leg, legs arriving at its exporter x legs leaving its
    # importer (within the year window on each side)
    arriving = ix.arriving(ix.starts(o))
    lo, hi = ix.runs(ix.key_in, ix.next_hops(d))
    return int((arriving * (hi - lo)).sum())


def chain_sql(
    legs: LegTable,
    max_hops: int = 2,
    origin: str | None = None,
    destination: str | None = None,
    max_lag: int = 0,
    partition: tuple[int, int] | None = None,
) -> str:
    """The chain join as SQL returning leg ids only (``leg1, leg2[, leg3]``): everything else
    is looked up from ``legs.arrays`` by :func:`chain_legs`, which is cheaper than shipping
    it out of the engine for every pair. ``partition=(k, n)`` keeps products with
    ``pidx % n = k``."""
    o, d, _ = _endpoint_filters(legs, origin, destination)
    rel = legs.relation
    lag = max(0, int(max_lag))
    part = ""
    if partition is not None and partition[1] > 1:
        part = f" AND l1.pidx % {int(partition[1])} = {int(partition[0])}"
    if max_hops == 2:
        where = "l2.imp <> l1.exp" + part
        if o:
            where += f" AND l1.exp {o}"
        if d:
            where += f" AND l2.imp {d}"
        return (
            "SELECT l1.leg_id AS leg1, l2.leg_id AS leg2 "
            f"FROM {rel} l1 JOIN {rel} l2 ON l2.exp = l1.imp AND l2.pidx = l1.pidx "
            f"AND {_year_cond('l1', 'l2', lag)} WHERE {where}"
        )
    if max_hops != 3:
        raise InvalidInput("max_hops must be 2 or 3")
    where = "l2.imp <> l1.exp AND l3.imp <> l1.exp AND l3.imp <> l2.exp" + part
    if o:
        where += f" AND l1.exp {o}"
    if d:
        where += f" AND l3.imp {d}"
    return (
        "SELECT l1.leg_id AS leg1, l2.leg_id AS leg2, l3.leg_id AS leg3 "
        f"FROM {rel} l1 JOIN {rel} l2 ON l2.exp = l1.imp AND l2.pidx = l1.pidx "
        f"AND {_year_cond('l1', 'l2', lag)} "
        f"JOIN {rel} l3 ON l3.exp = l2.imp AND l3.pidx = l2.pidx AND {_year_cond('l2', 'l3', lag)} "
        f"WHERE {where}"
    )


IntArray = npt.NDArray[np.int64]


@dataclass(slots=True)
class _Next:
    """Legs that may be a later hop (every leg, or the legs into one destination), sorted
    by their key as a next hop, with their columns in that order: gathers along a run of
    this order read memory in sequence."""

    order: IntArray
    keys: IntArray
    source: _LegIndex
    _cols: dict[str, npt.NDArray[Any]]
    _arrow: dict[str, pa.Array]

    def col(self, name: str) -> npt.NDArray[Any]:
        """Column ``name`` (a leg column or ``key_in``) in this order; gathered on first use
        (only what the join reads is held)."""
        hit = self._cols.get(name)
        if hit is None:
            src = self.source.key_in if name == "key_in" else self.source.cols[name]
            hit = self._cols[name] = np.take(src, self.order)
        return hit

    def arrow(self, name: str) -> pa.Array:
        """:meth:`col` as an Arrow array (the same memory), for ``pc.take``."""
        hit = self._arrow.get(name)
        if hit is None:
            hit = self._arrow[name] = _pa(self.col(name))
        return hit


class _LegIndex:
    """The legs as numpy arrays plus the sort that makes the chain join a merge join.

    A leg L2 continues leg L1 when ``L2.exp == L1.imp``, same product, and L2's year is in
    L1's year .. year + lag. With every leg keyed ``(pidx, exp, year)`` and sorted, the
    legs continuing L1 are one contiguous run of that order, found by two binary searches
    on L1's ``(pidx, imp, year)`` and ``(pidx, imp, year + lag)``: no hash table, no pair
    held, and runs read in sorted order. The runs of the first hop are kept from the
    estimate for the join (they are the estimate)."""

    def __init__(self, legs: LegTable, lag: int) -> None:
        a = legs.arrays
        self.cols: dict[str, npt.NDArray[Any]] = {
            "exp": _np(a.column("exp").chunk(0)),
            "imp": _np(a.column("imp").chunk(0)),
            "pidx": _np(a.column("pidx").chunk(0)),
            "year": _np(a.column("year").chunk(0)),
            "value_usd": _np(a.column("value_usd").chunk(0)),
            "leg_id": _np(a.column("leg_id").chunk(0)),
        }
        self.n = len(self.cols["exp"])
        self.lag = lag
        nt = max(1, len(legs.territories))
        year = self.cols["year"].astype(np.int64)
        y0 = int(year.min()) if self.n else 0
        span = (int(year.max()) - y0 if self.n else 0) + 2 * lag + 2
        yoff = year - y0 + lag  # >= lag, so year - lag never leaves the block
        block = self.cols["pidx"].astype(np.int64) * nt
        # key of a leg as a *next* hop (by its exporter) and as a *previous* one (importer)
        self.key_out: IntArray = (block + self.cols["exp"]) * span + yoff
        self.key_in: IntArray = (block + self.cols["imp"]) * span + yoff
        self._next: dict[int | None, _Next] = {}
        self._runs: dict[tuple[int | None, int | None], tuple[IntArray, IntArray, IntArray]] = {}
        self._onward: dict[tuple[int, int], tuple[IntArray, IntArray]] = {}

    def starts(self, origin: int | None) -> IntArray:
        """Leg indexes that may be the first hop (legs from ``origin`` when given)."""
        if origin is None:
            return np.arange(self.n, dtype=np.int64)
        return np.flatnonzero(self.cols["exp"] == origin).astype(np.int64)

    def next_hops(self, destination: int | None) -> _Next:
        """Legs that may follow (legs into ``destination`` only, when given), sorted."""
        hit = self._next.get(destination)
        if hit is None:
            cand = (
                np.arange(self.n, dtype=np.int64)
                if destination is None
                else np.flatnonzero(self.cols["imp"] == destination).astype(np.int64)
            )
            order = cand[np.argsort(self.key_out[cand], kind="stable")]
            hit = self._next[destination] = _Next(order, self.key_out[order], self, {}, {})
        return hit

    def runs(self, keys_in: IntArray, nxt: _Next) -> tuple[IntArray, IntArray]:
        """For legs with these ``key_in``, the run [lo, hi) of ``nxt`` continuing each."""
        lo = np.searchsorted(nxt.keys, keys_in, side="left").astype(np.int64)
        hi = np.searchsorted(nxt.keys, keys_in + self.lag, side="right").astype(np.int64)
        return lo, hi

    def first_runs(
        self, origin: int | None, destination: int | None, hops: int
    ) -> tuple[IntArray, IntArray, IntArray]:
        """(first legs, lo, hi) of the first join step; cached (estimate, then join)."""
        key = (origin, destination if hops == 2 else None)
        hit = self._runs.get(key)
        if hit is None:
            first = self.starts(origin)
            lo, hi = self.runs(self.key_in[first], self.next_hops(key[1]))
            hit = self._runs[key] = (first, lo, hi)
        return hit

    def onward(self, mid: _Next, last: _Next) -> tuple[IntArray, IntArray]:
        """For every leg of ``mid`` (in its order), its run [lo, hi) in ``last``: found once
        per three-hop join instead of once per two-hop candidate."""
        key = (id(mid), id(last))
        hit = self._onward.get(key)
        if hit is None:
            hit = self._onward[key] = self.runs(mid.col("key_in"), last)
        return hit

    def arriving(self, first: IntArray) -> IntArray:
        """For every leg, how many legs of ``first`` arrive at its exporter in its product,
        in its year or up to ``lag`` years before."""
        keys = np.sort(self.key_in[first], kind="stable")
        hi = np.searchsorted(keys, self.key_out, side="right")
        lo = np.searchsorted(keys, self.key_out - self.lag, side="left")
        counts: IntArray = (hi - lo).astype(np.int64)
        return counts


def _chunks(counts: IntArray, max_rows: int) -> list[tuple[int, int]]:
    """Row ranges [a, b) whose runs add up to about ``max_rows`` candidates (one row's run
    is never split, so a range may exceed it by one run)."""
    ends = np.cumsum(counts)
    out: list[tuple[int, int]] = []
    a, n = 0, len(counts)
    while a < n:
        base = int(ends[a - 1]) if a else 0
        b = max(a + 1, int(np.searchsorted(ends, base + max_rows, side="right")))
        out.append((a, b))
        a = b
    return out


class _Scratch:
    """Numpy buffers reused by every batch of a join for its temporaries.

    Fresh numpy arrays of a batch's size came from the C allocator as fresh pages more
    often than not (it hands freed memory back to the system), and a page fault costs
    ~3 us per 4 KiB page on the benchmark machine: 0.3-0.9 s of system time per 79M pairs
    (docs/performance.md, Flows). Output columns come from Arrow's memory pool, which
    keeps its pages, and temporaries from here."""

    def __init__(self) -> None:
        self._bufs: dict[str, npt.NDArray[Any]] = {}

    def get(self, name: str, n: int, dtype: type[np.signedinteger[Any]]) -> npt.NDArray[Any]:
        """A buffer of ``n`` items (contents undefined), valid until the next ``get`` of
        the same name."""
        buf = self._bufs.get(name)
        if buf is None or len(buf) < n or buf.dtype != dtype:
            grown = int(1.5 * len(buf)) if buf is not None else 0
            buf = self._bufs[name] = np.empty(max(n, 1024, grown), dtype)
        return buf[:n]


def _expand(
    lo: IntArray, counts: IntArray, scratch: _Scratch, dtype: type[np.signedinteger[Any]]
) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Every candidate of the runs [lo, lo + counts), run after run: its position (the
    run's start plus its rank in the run) and its row (which run). Both are scratch
    buffers, valid until the next call.

    Each is a running sum of steps, written in place: a position steps by 1 inside a run
    and jumps to the next run's start at its first element; a row steps by 0 inside a run
    and by the number of runs passed at its first element. Two passes over the output
    each plus a scatter per run (repeat + arange + add took five passes and allocated)."""
    ends = np.cumsum(counts)
    total = int(ends[-1]) if len(ends) else 0
    pos = scratch.get("pos", total, dtype)
    rows = scratch.get("rows", total, np.int32)
    if total == 0:
        return pos, rows
    nz = np.flatnonzero(counts)
    start, first, size = ends[nz] - counts[nz], lo[nz], counts[nz]
    pos.fill(1)
    pos[0] = first[0]
    pos[start[1:]] = first[1:] - (first[:-1] + size[:-1] - 1)
    rows.fill(0)
    rows[0] = nz[0]
    rows[start[1:]] = np.diff(nz)
    return np.cumsum(pos, dtype=dtype, out=pos), np.cumsum(rows, dtype=np.int32, out=rows)


def _np(arr: pa.Array) -> npt.NDArray[Any]:
    """A numpy view (no copy, read-only) of a numeric Arrow array without nulls.

    Not ``to_numpy()``, nor ``pa.array`` for the way back (:func:`_pa`): both make pyarrow
    import pandas on first use, 0.3-0.5 s, which was most of a chapter-93 route query."""
    if arr.null_count:
        raise ValueError("leg columns have no nulls")
    dtype = _NUMPY[arr.type]
    if len(arr) == 0:
        return np.empty(0, dtype)
    return np.frombuffer(
        arr.buffers()[1], dtype=dtype, count=len(arr), offset=arr.offset * dtype.itemsize
    )


def _pa(values: npt.NDArray[Any]) -> pa.Array:
    """An Arrow array over a 1-d numeric numpy array (no copy: it keeps the array alive)."""
    v = np.ascontiguousarray(values)
    return pa.Array.from_buffers(pa.from_numpy_dtype(v.dtype), len(v), [None, pa.py_buffer(v)])


#: Arrow -> numpy types of the leg columns and join indexes.
_NUMPY: dict[pa.DataType, np.dtype[Any]] = {
    pa.int32(): np.dtype(np.int32),
    pa.int64(): np.dtype(np.int64),
    pa.float64(): np.dtype(np.float64),
}


def _take(values: pa.Array, indices: pa.Array) -> pa.Array:
    """Arrow's gather without the bounds check (every index here comes from the join's own
    runs); its output comes from Arrow's pool. It measured faster than ``np.take``."""
    return pc.take(values, indices, boundscheck=False)


class _Join:
    """One chain join: the columns it reads, prepared once, and its steps.

    Columns are built hop by hop as Arrow arrays. A leg's columns are constant over the
    run of legs continuing it, so the columns at the level of a hop's candidates are the
    previous level's gathered by row (a repeat: the rows ascend, so it reads in sequence),
    and the new leg's columns are gathered by position along its runs (which also read
    memory in sequence). Positions and rows are int32 whenever the legs fit (half the
    memory traffic of int64 for the indexes every gather reads)."""

    def __init__(
        self,
        legs: LegTable,
        ix: _LegIndex,
        first: IntArray,
        mid: _Next,
        last: _Next,
        decode: bool,
        labels: bool,
        same_year: bool,
    ) -> None:
        self.legs, self.ix, self.mid, self.last = legs, ix, mid, last
        self.decode, self.labels, self.same_year = decode, labels, same_year
        self.scratch = _Scratch()
        self.dtype: type[np.signedinteger[Any]] = np.int32 if ix.n < 2**31 - 1 else np.int64
        plain = len(first) == ix.n  # every leg is a first leg: row i is leg i
        names = ["leg_id", "exp"]
        if decode:
            names += ["imp", "pidx", "year", "value_usd"]
        # the first legs' columns in the order of ``first``
        self.f = {k: ix.cols[k] if plain else np.take(ix.cols[k], first) for k in names}

    def _level1(self, a: int, b: int) -> dict[str, pa.Array]:
        """The columns of first legs [a, b) (one value per leg)."""
        out = {"leg1": _pa(self.f["leg_id"][a:b]), "exp1": _pa(self.f["exp"][a:b])}
        if self.decode:
            for k, v in (("imp1", "imp"), ("pidx", "pidx"), ("year1", "year")):
                out[k] = _pa(self.f[v][a:b])
            out["value1"] = _pa(self.f["value_usd"][a:b])
        return out

    def _hop(
        self, nxt: _Next, lo: IntArray, counts: IntArray, back: list[pa.Array]
    ) -> tuple[pa.Array, pa.Array, pa.Array]:
        """Onward legs of the runs [lo, lo + counts) in ``nxt``: for every candidate its
        position in ``nxt``, its row (which run) and its importer, without the chains
        back to a territory of ``back`` (one value per run). Few are dropped (without a
        lag at most one per run and territory). Positions and rows may be scratch: use
        them before the next call."""
        pos_np, rows_np = _expand(lo, counts, self.scratch, self.dtype)
        pos, rows = _pa(pos_np), _pa(rows_np)
        dest = _take(nxt.arrow("imp"), pos)
        cyc = pc.equal(dest, _take(back[0], rows))
        for t in back[1:]:
            cyc = pc.or_(cyc, pc.equal(dest, _take(t, rows)))
        if pc.any(cyc).as_py():
            keep = pc.invert(cyc)
            pos, rows, dest = pc.filter(pos, keep), pc.filter(rows, keep), pc.filter(dest, keep)
        return pos, rows, dest

    def _gather(
        self, cols: dict[str, pa.Array], k: int, nxt: _Next, pos: pa.Array, dest: pa.Array
    ) -> None:
        """Add the columns of hop ``k`` gathered along its runs in ``nxt``."""
        cols[f"leg{k}"] = _take(nxt.arrow("leg_id"), pos)
        cols[f"imp{k}"] = dest
        if self.decode:
            if not self.same_year:
                cols[f"year{k}"] = _take(nxt.arrow("year"), pos)
            cols[f"value{k}"] = _take(nxt.arrow("value_usd"), pos)

    def _repeat(self, cols: dict[str, pa.Array], rows: pa.Array) -> dict[str, pa.Array]:
        """Each column's value per run, repeated over the run's candidates (the first
        legs' exporters only when they are output or still needed for a cycle check)."""
        return {k: _take(v, rows) for k, v in cols.items()}

    def two(self, a: int, b: int, lo: IntArray, counts: IntArray) -> Iterator[pa.RecordBatch]:
        """The two-hop chains whose first legs are rows [a, b) of ``first``."""
        lev = self._level1(a, b)
        pos, rows, dest = self._hop(self.mid, lo, counts, [lev["exp1"]])
        if len(pos):
            if not self.decode:
                del lev["exp1"]
            cols = self._repeat(lev, rows)
            self._gather(cols, 2, self.mid, pos, dest)
            yield self._batch(cols, 2)

    def three(
        self, a: int, b: int, lo: IntArray, counts: IntArray, batch_rows: int
    ) -> Iterator[pa.RecordBatch]:
        """The three-hop chains whose first legs are rows [a, b) of ``first``, in batches
        of about ``batch_rows``."""
        lev1 = self._level1(a, b)
        pos2, rows2, hub2 = self._hop(self.mid, lo, counts, [lev1["exp1"]])
        if not len(pos2):
            return
        # every column at the level of the two-hop candidates; pos2 and rows2 are used up
        # here, before the next _hop reuses their scratch
        lev = self._repeat(lev1, rows2)
        hub = _take(self.mid.arrow("exp"), pos2)
        self._gather(lev, 2, self.mid, pos2, hub2)
        lo3_all, hi3_all = self.ix.onward(self.mid, self.last)
        p2 = _np(pos2)
        lo3 = np.take(lo3_all, p2)
        n3 = np.take(hi3_all, p2) - lo3
        del pos2, rows2, p2
        for a3, b3 in _chunks(n3, batch_rows):
            part = {k: v.slice(a3, b3 - a3) for k, v in lev.items()}
            back = [part["exp1"], hub.slice(a3, b3 - a3)]
            pos3, rows3, dest = self._hop(self.last, lo3[a3:b3], n3[a3:b3], back)
            if len(pos3):
                if not self.decode:
                    del part["exp1"], part["imp2"]
                cols = self._repeat(part, rows3)
                self._gather(cols, 3, self.last, pos3, dest)
                yield self._batch(cols, 3)

    def _batch(self, cols: dict[str, pa.Array], hops: int) -> pa.RecordBatch:
        """The batch in the documented column order. Territory and product columns are
        int32 indexes into ``legs.territories`` / ``legs.products``: with labels they
        become dictionary arrays over those tables, with no string made and no index
        checked (every index comes from the legs, so it is in range)."""
        legs = [f"leg{k + 1}" for k in range(hops)]
        if not self.decode:
            return pa.RecordBatch.from_arrays([cols[k] for k in legs], names=legs)

        def codes(values: pa.Array, table: pa.Array) -> pa.Array:
            if not self.labels:
                return values
            return pa.DictionaryArray.from_arrays(values, table, safe=False)

        terr = self.legs.territories
        out = {"origin": codes(cols["exp1"], terr), "hub": codes(cols["imp1"], terr)}
        if hops == 3:
            out["hub2"] = codes(cols["imp2"], terr)
        out["destination"] = codes(cols[f"imp{hops}"], terr)
        out["product"] = codes(cols["pidx"], self.legs.products)
        for k in range(1, hops + 1):  # without a lag every leg has the first leg's year
            out[f"year{k}"] = cols["year1" if self.same_year else f"year{k}"]
        for name in legs:
            out[name] = cols[name]
        for k in range(1, hops + 1):
            out[f"value{k}"] = cols[f"value{k}"]
        return pa.RecordBatch.from_arrays(list(out.values()), names=list(out))


def chain_legs(
    engine: Engine,
    origin: str | None = None,
    product: str | None = None,
    years: Years | None = None,
    max_hops: int = 2,
    destination: str | None = None,
    max_lag: int = 0,
    dataset: str | None = None,
    legs: LegTable | None = None,
    batch_rows: int = 262_144,
    partition_pairs: int | None = None,
    decode: bool = True,
    labels: bool = True,
) -> Iterator[pa.RecordBatch]:
    """Stream every chain origin -> hub [-> hub2] -> destination for one product filter.

    Two hops yield batches with columns ``origin, hub, destination, product, year1, year2,
    leg1, leg2, value1, value2``; three hops ``origin, hub, hub2, destination, product,
    year1, year2, year3, leg1, leg2, leg3, value1, value2, value3``. Territory and product
    columns are Arrow dictionary arrays (int32 indexes) over store codes ('rs') and product
    labels (``labels=False``: the raw int32 indexes into ``legs.territories`` /
    ``legs.products``; ``decode=False``: only the ``leg*`` columns, the fastest form);
    ``leg*`` are leg ids (int64; ``legs.evidence(ids)`` gives the record ids), ``year*``
    int32, ``value*`` the legs' USD values (float64). A leg of year t joins onward legs of
    years t..t+max_lag; chains that return to a territory they passed are dropped.

    How: a merge join over ``legs.arrays`` (see :class:`_LegIndex`), the same on every
    engine: the legs are already in memory, and handing every pair out of a SQL engine cost
    more than forming it. The SQL form of the same join is :func:`chain_sql`. A first leg's
    columns are repeated over its onward run, the next legs' gathered along their runs
    (see :class:`_Join`). Memory: candidates are formed ``batch_rows`` at a time (a batch
    may exceed that by one leg's onward run) and yielded: nothing holds all pairs, whatever
    their count; temporaries are reused from batch to batch (:class:`_Scratch`).
    ``partition_pairs`` is accepted and ignored (it sized the partitions of the SQL join).
    Pass ``legs`` (from :func:`prepare_legs`) to reuse materialised legs; otherwise they are
    prepared here from ``product``/``years``/``dataset`` and dropped at the end.
    """
    own = legs is None
    if legs is None:
        legs = prepare_legs(engine, product, years, dataset)
    try:
        if max_hops not in (2, 3):
            raise InvalidInput("max_hops must be 2 or 3")
        o, d, ok = _endpoint_indexes(legs, origin, destination)
        if not ok or legs.n_legs == 0:
            return
        ix = legs.join_index(max(0, int(max_lag)))
        first, lo, hi = ix.first_runs(o, d, max_hops)
        mid = ix.next_hops(d if max_hops == 2 else None)
        join = _Join(legs, ix, first, mid, ix.next_hops(d), decode, labels, int(max_lag) <= 0)
        counts = hi - lo
        chunks = _chunks(counts, batch_rows)
        log.info("chain join: %d legs, %d-hop chains, %d steps", legs.n_legs, max_hops, len(chunks))
        # one thread: Arrow's kernels release the GIL, and a second thread computing the
        # next batch measured 1.2-1.6x the wall rate (same CPU rate) on the 2-core benchmark
        # machine; not done, the rate needed is met on one and the machine is shared
        for a, b in chunks:
            if max_hops == 2:
                yield from join.two(a, b, lo[a:b], counts[a:b])
            else:
                yield from join.three(a, b, lo[a:b], counts[a:b], batch_rows)
    finally:
        if own:
            legs.close()
