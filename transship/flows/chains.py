"""The relational core of flows: the rows in scope and the directed pair values.

Everything here is SQL in DuckDB's dialect run through an :class:`~transship.store.engine.Engine`
(DuckDB or Spark). Two layers, shared by every command of the stage (``mirror``, ``hubs``,
``routes``, ``reconcile``), so that a "pair" means the same thing in each:

1. :func:`scope_sql` / :func:`open_scope` - the ``trade_flows`` rows an analysis may use:
   bilateral rows only (partner World, nes areas, bunkers, free zones, unknown and the
   reporter itself never pair), one HS level and one period kind per reporter, flow and
   year (see below), the product filter applied first, as an HS *prefix* (``'93'`` takes
   every 93xxxx code and labels them ``'93'``; ``'9306'`` the 9306xx codes, labelled
   ``'9306'``).
2. :func:`pairs_sql` - one row per exporter, importer, product and year with the exporter's
   reported value (``x_value``, FOB), the importer's (``m_value``, CIF), a reconciled value
   when the source is BACI (``r_value``), quantities where a side reports them in one unit,
   the single best value (``value_usd``) and the record ids behind it (``evidence``);
   :func:`territory_map_sql` gives the ISO3 code of each store code, joined to results
   afterwards.

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

A third layer, a streamed chain join of legs A->M->D in numpy (``prepare_legs``,
``estimate_pairs``, ``chain_legs``), lived here until issue 11: no command called it
(``transship routes`` enumerates paths on one dense matrix per product and year,
``transship.flows.attribution``), so its benchmark figures measured nothing a user runs.
It was removed with its tests and figures; git history has it (``git log -- this file``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from transship.exc import InvalidInput
from transship.store.engine import Engine, temp_name

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
) -> str:
    """SQL for the trade_flows rows in scope, with a ``product`` column (the prefix, or the
    code as stored) and the columns pairing needs. ``reconciled=False`` drops BACI-style
    reconciled rows (mirror statistics need both reported sides). ``dedup=False`` skips
    the level/period selection (a window over every row): :func:`open_scope` checks
    whether the scope needs it. ``quantities=False`` leaves out quantity, weight and ISO3
    columns (NULL): hubs read values only, and every column not read is I/O saved."""
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
        "record_id, reporter, partner, "
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
) -> Scope:
    """Prepare the rows of ``flows`` in scope (see :class:`Scope`); close it when done."""
    product = check_product(product)
    years = check_years(years)
    dataset = check_dataset(dataset)
    relation = None
    raw = scope_sql(product, years, dataset, flows, reconciled, dedup=False, quantities=quantities)
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
        engine, product, years, dataset, reconciled, relation, mixed, quantities, year_rows
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
    for hubs at 10M rows from 7.4-8.4 s to 5.8-6.9 s (measured at d667c9a).
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
