"""Hubs: which territories pass a product on rather than make or use it, per product and year.

A transshipment hub M shows up in bilateral statistics only indirectly: its imports and
exports of a product jump together when a sanction or a war closes a direct route
(Chupilkin, Javorcik & Plekhanov 2023, "The Eurasian roundabout"), it exports more than it
has shown it can make and about as much as it imports, the two series move together, its
exports go to few partners, and sometimes it says so itself (Comtrade's re-export flow,
RX). Each of these is an *indicator* with a value in [0, 1] (1 = most hub-like), a weight,
and the record ids of the rows it was computed from. Every indicator is a ratio of the
territory's own flows, never a USD value: size is not evidence of passing goods on, and
a small entrepot and a large producer must be scored on one scale.

The score is the weighted mean of the indicators. One that cannot be computed (the first
years of the data) counts as 0 with its ``detail`` saying why, so a score resting on fewer
indicators cannot look as strong as one resting on all; reported re-exports are the
exception (most countries never report RX: silence is not evidence) and leave the score.

Values come from the directed pair values of :func:`transship.flows.chains.pairs_sql`
(reconciled value, else the exporter's FOB, else the importer's CIF / 1.05): inflow of M
= sum over partners of pairs into M, outflow = pairs out of M. Per-indicator SQL lives in
the functions below (one per indicator; their docstrings are the documentation that
docs/methods.md repeats).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from transship.flows.chains import (
    Scope,
    Years,
    check_dataset,
    check_product,
    check_years,
    open_scope,
    territory_map_sql,
)
from transship.flows.engine import Engine, temp_name
from transship.flows.explain import Indicator, merge_ids, weighted_score
from transship.flows.merge import merge_batches

log = logging.getLogger(__name__)


# -- indicators ----------------------------------------------------------------------------
# Each returns (value SQL, available SQL) over the per-(territory, product, year) relation
# built in hub_table: in_v, out_v (0 when absent), x_out, hhi, rx_v, rx_reporter, yi (years
# of the scope up to this one), own (the territory's own output proxy), co (zero-filled
# correlation), n_prior / p_in / p_out (years and sums before the break or this year).


def excess_exports(break_year: int | None) -> tuple[str, str]:
    """Exports beyond plausible own supply, covered by imports: T / outflow, where the
    through-flow ``T = min(inflow, max(0, outflow - own))`` and ``own`` is the territory's
    demonstrated output of the product: its lowest net exports (outflow - inflow) over the
    years of the data so far, 0 if it exported nothing in one of them.

    A unit exported is either made at home or imported; what exceeds what the territory
    has shown it can make must have come in from abroad, and only as far as imports cover
    it. Measured as a share of the territory's own exports, so a large producer and a small
    entrepot are compared on the same scale: an entrepot (no output, imports at least its
    exports) scores 1, a producer that imports nothing 0 however fast it grows (growth is
    not supply from abroad), a producer that also imports the share of its exports beyond
    its usual output that imports could cover. With one year the proxy is that year's net
    exports, and the value is the share of exports imports could cover."""
    return "least(in_v, greatest(0.0, out_v - own)) / out_v", "out_v > 0"


def pass_through(break_year: int | None) -> tuple[str, str]:
    """Pass-through: min(inflow, outflow) / max(inflow, outflow) in the same year.

    A territory that imports about as much of a product as it exports, in the same year,
    behaves like a conduit; a producer (exports, few imports) or a consumer (imports, few
    exports) does not. A ratio of the territory's own flows, so size-neutral. 0 when the
    territory has no recorded inflow."""
    value = "CASE WHEN in_v > 0 THEN least(in_v, out_v) / greatest(in_v, out_v) ELSE 0.0 END"
    return value, "out_v > 0"


def co_movement(break_year: int | None) -> tuple[str, str]:
    """Co-movement of inflows and outflows: max(0, Pearson correlation) of the yearly
    inflow and outflow series of this territory and product, over every year of the data
    from the first to this one, a year without a flow counting as 0.

    Goods passed on make the two series rise and fall together; a producer's exports move
    with its own output, not with its imports. Counting missing years as zeros keeps the
    strongest form of the signal - both flows appearing from nothing in the same year, as
    a new route does - which a correlation over the years with both flows would drop.
    Needs three years and both series varying; counts as 0 otherwise."""
    return "greatest(0.0, least(1.0, co))", "yi >= 3 AND co IS NOT NULL"


def concentration(break_year: int | None) -> tuple[str, str]:
    """Partner concentration of outflows: the Herfindahl-Hirschman index sum(s_j^2) of the
    shares s_j of each destination in the territory's outflow (1 = a single destination).

    Diversion routes feed one or two destinations; ordinary exporters spread across many.
    (Small exporters are concentrated too, which is why this indicator weighs least.)"""
    return "hhi", "out_v > 0"


def reexport_share(break_year: int | None) -> tuple[str, str]:
    """Reported re-exports: the territory's own RX value for this product and year over its
    own reported exports (capped at 1).

    The one indicator where the hub says it itself. Available only where the territory
    reports re-exports at all that year (Comtrade flow RX); a territory that reports RX for
    other products but none for this one scores 0."""
    value = (
        "CASE WHEN coalesce(x_out, 0.0) > 0 "
        "THEN least(1.0, coalesce(rx_v, 0.0) / x_out) ELSE 0.0 END"
    )
    return value, "rx_reporter"


def surge(break_year: int | None) -> tuple[str, str]:
    """Surge after a break, on both sides: the smaller of the rises of outflow and of
    inflow, each ``max(0, 1 - before / now)``, where ``before`` is the mean yearly flow
    before the break year (``break_year``) or, without a break, over the earlier years of
    the data, a year without a flow counting as 0. 0.5 = doubled, 0.9 = ten-fold.

    A diversion route opens suddenly, and through a hub it opens on both sides at once:
    imports from the origin and exports to the destination jump together (the "Eurasian
    roundabout" signature). A producer whose exports jump while its imports do not, or a
    consumer whose imports jump, is not a hub. Without earlier years (or, with a break, for
    years before it) it is not computed and counts as 0."""
    rise = "greatest(0.0, 1.0 - (p_{s} / n_prior) / {s}_v)"
    value = (
        f"CASE WHEN in_v > 0 THEN least({rise.format(s='out')}, {rise.format(s='in')}) ELSE 0.0 END"
    )
    avail = "n_prior >= 1 AND out_v > 0"
    if break_year is not None:
        avail += f" AND year >= {int(break_year)}"
    return value, avail


#: name -> (function, weight). The weights say how specifically each indicator points at
#: passing goods on: the joint surge after a break most (a producer or a consumer does not
#: show it), imports-backed exports and self-reported re-exports next, pass-through and
#: co-movement after, concentration least (small exporters are concentrated anyway).
HUB_INDICATORS: dict[str, tuple[Callable[[int | None], tuple[str, str]], float]] = {
    "excess_exports": (excess_exports, 0.20),
    "pass_through": (pass_through, 0.15),
    "reexport_share": (reexport_share, 0.20),
    "co_movement": (co_movement, 0.15),
    "surge": (surge, 0.25),
    "concentration": (concentration, 0.05),
}

#: Indicators whose absence says nothing: they leave the score (weight 0) when they cannot
#: be computed. Every other indicator counts as 0 then (no evidence for a hub), so that a
#: score resting on fewer indicators - the first years of the data - cannot look as strong
#: as one resting on all of them. Re-exports are the exception: reporting them (Comtrade
#: flow RX) is up to each country, and most never do.
SILENCE_IS_NOT_EVIDENCE = frozenset({"reexport_share"})

#: Which evidence each indicator cites: rows of this year, or of every year of the series.
_EVIDENCE = {
    "excess_exports": ("in", "out", "upto_in", "upto_out"),
    "pass_through": ("in", "out"),
    "reexport_share": ("rx", "out"),
    "co_movement": ("upto_in", "upto_out"),
    "surge": ("in", "out", "prior_in", "prior_out"),
    "concentration": ("out",),
}


@dataclass(slots=True)
class HubScore:
    """One territory, product and year. ``territory`` is ISO3 (the store code upper-cased
    when the territory has no ISO3), ``code`` the store's territory code."""

    territory: str
    code: str
    product: str
    year: int
    score: float
    indicators: list[Indicator] = field(default_factory=list)
    inflow_usd: float = 0.0
    outflow_usd: float = 0.0
    simulated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "territory": self.territory,
            "code": self.code,
            "product": self.product,
            "year": self.year,
            "score": self.score,
            "inflow_usd": self.inflow_usd,
            "outflow_usd": self.outflow_usd,
            "simulated": self.simulated,
            "indicators": [i.to_dict() for i in self.indicators],
        }


def hub_table(
    engine: Engine,
    product: str | None = None,
    years: Years | None = None,
    dataset: str | None = None,
    break_year: int | None = None,
    use_reexports: bool = True,
    evidence: bool = True,
) -> pa.Table:
    """The hub scores as one Arrow table (the relational part; :func:`hub_scores` turns it
    into :class:`HubScore` objects with evidence per indicator).

    Columns: code, territory (ISO3), product, year, score, inflow_usd, outflow_usd,
    rx_usd, simulated (any row behind it simulated), and for each indicator ``<name>``
    (value) and ``<name>_w`` (weight used, 0 when not computable); with ``evidence``,
    ``in_ids``, ``out_ids``, ``rx_ids`` (record ids of the year's inflow, outflow and
    re-export rows). One row per territory, product and year with exports. Every year up
    to the last of ``years`` feeds the time-series indicators; only rows in ``years`` are
    returned. ``use_reexports=False`` ignores RX rows (for validating against them).
    """
    return _table(engine, product, years, dataset, break_year, use_reexports, evidence, True)


def _table(
    engine: Engine,
    product: str | None,
    years: Years | None,
    dataset: str | None,
    break_year: int | None,
    use_reexports: bool,
    evidence: bool,
    exporters_only: bool,
) -> pa.Table:
    """:func:`hub_table`; ``exporters_only=False`` keeps the years in which a territory only
    imported (no score, but part of its series: the evidence of the time-series indicators)."""
    product = check_product(product)
    years = check_years(years)
    dataset = check_dataset(dataset)
    history: Years | None = (1900, years[1]) if years else None
    pairs, rx, num = temp_name("hpairs"), temp_name("hrx"), temp_name("hnum")
    flows = ("X", "M", "RX") if use_reexports else ("X", "M")
    # hubs read values only: leaving quantities, weights and ISO3 out of the scan saves I/O
    scope = open_scope(engine, product, history, dataset, flows, quantities=False)
    parts: list[tuple[Years | None, str]] = []
    try:
        parts = _materialize_pairs(engine, scope, pairs, evidence)
        if use_reexports:
            ev_rx = ", list_sort(array_agg(record_id)) AS rx_ids" if evidence else ""
            rx_scope = scope.rows_sql(("RX",))
            engine.materialize(
                rx,
                f"SELECT reporter AS code, product, year, sum(value_usd) AS rx_v{ev_rx} "
                f"FROM ({rx_scope}) r GROUP BY reporter, product, year",
            )
        q = _hub_sql(
            pairs,
            rx if use_reexports else None,
            break_year,
            territory_map_sql(history, dataset),
            exporters_only,
        )
        if years:
            q = f"SELECT * FROM ({q}) h WHERE year BETWEEN {years[0]} AND {years[1]}"
        # The scores on numbers only; the evidence lists are attached afterwards, one batch
        # of years at a time (every list belongs to one year): carried through the windows,
        # or fetched for every year at once, they made the 50M-row run spill and fail.
        engine.materialize(num, q)
        engine.drop(pairs)
        # One statement for the whole result: sorted by it (DuckDB's sort carries the lists
        # faster than an Arrow take of them afterwards: 20 s against 23-24 s at 10M rows).
        # Several batches: each is fetched unsorted and the batches are merged in Arrow (a
        # sort of every batch's evidence lists in one statement made the 50M run fail).
        order = f" ORDER BY {_ORDER_SQL}"
        if not evidence:
            return engine.sql(f"SELECT * FROM {num}{order}")
        pieces = []
        for span, part in parts:
            ev = _evidence_sql(num, part, rx if use_reexports else None, span)
            pieces.append(engine.sql(f"SELECT * FROM ({ev}) e{order if len(parts) == 1 else ''}"))
            engine.drop(part)
    finally:
        scope.close()
        engine.drop(pairs)
        for _, name in parts:
            engine.drop(name)
        engine.drop(rx)
        engine.drop(num)
    return merge_batches(pieces, _merge_keys, first="in_ids")


def _merge_keys(table: pa.Table) -> tuple[pa.Table, list[tuple[str, str]]]:
    return table.select([c for c, _ in _ORDER]), _ORDER


#: Output order: highest score first, then the larger outflow (ties), then the keys.
_ORDER = [
    ("score", "descending"),
    ("outflow_usd", "descending"),
    ("code", "ascending"),
    ("product", "ascending"),
    ("year", "ascending"),
]
#: :data:`_ORDER` in SQL (no NULLs in these columns: NULLS LAST everywhere is moot).
_ORDER_SQL = ", ".join(f"{c} {'DESC' if d == 'descending' else 'ASC'}" for c, d in _ORDER)

#: Scope rows per pairs group-by: years are grouped in batches of about this many rows, so
#: each hash aggregate (with its evidence lists) stays in memory instead of spilling (as in
#: transship.flows.mirror; docs/performance.md, Flows).
PAIRS_BATCH_ROWS = 12_000_000


def _materialize_pairs(
    engine: Engine, scope: Scope, name: str, evidence: bool
) -> list[tuple[Years | None, str]]:
    """Materialise the scope's pairs one batch of years at a time (about
    :data:`PAIRS_BATCH_ROWS` scope rows each; pairs never span years), and ``name`` as a
    view over the batches. Returns (years, relation) per batch (years None: all of them):
    no group-by ever holds every year's evidence lists."""
    spans: list[Years | None] = list(scope.year_batches(PAIRS_BATCH_ROWS))
    if len(spans) <= 1:
        spans = [None]
    parts = []
    for span in spans:
        part = temp_name("hpairs_part")
        # only the columns and rows hubs read (every use is over value_usd > 0): fewer
        # columns written and scanned again by the three statements that follow
        engine.materialize(
            part,
            "SELECT exporter, importer, product, year, x_value, value_usd, simulated"
            f"{', evidence' if evidence else ''} FROM ({scope.pairs_sql(evidence, span)}) p "
            "WHERE value_usd > 0",
        )
        parts.append((span, part))
    engine.view(name, " UNION ALL ".join(f"SELECT * FROM {p}" for _, p in parts))
    return parts


def _evidence_sql(num: str, pairs: str, rx_rel: str | None, span: Years | None) -> str:
    """The scored rows of ``num`` in the years ``span`` with their evidence: the record ids
    of the year's outflow (``out_ids``), inflow (``in_ids``) and re-export (``rx_ids``) rows,
    from ``pairs`` (the pairs of those years)."""
    key = "ON {a}.code = h.code AND {a}.product = h.product AND {a}.year = h.year"
    where = f" WHERE h.year BETWEEN {int(span[0])} AND {int(span[1])}" if span else ""
    rx = (
        f"LEFT JOIN {rx_rel} r {key.format(a='r')}"
        if rx_rel is not None
        else "LEFT JOIN (SELECT CAST(NULL AS VARCHAR) AS code, CAST(NULL AS VARCHAR) AS product, "
        "CAST(NULL AS INTEGER) AS year, CAST(NULL AS VARCHAR[]) AS rx_ids WHERE 1 = 0) r "
        + key.format(a="r")
    )
    return (
        f"SELECT h.*, eo.out_ids, ei.in_ids, r.rx_ids FROM {num} h "
        "LEFT JOIN (SELECT exporter AS code, product, year, "
        f"flatten(array_agg(evidence)) AS out_ids FROM {pairs} WHERE value_usd > 0 "
        f"GROUP BY exporter, product, year) eo {key.format(a='eo')} "
        "LEFT JOIN (SELECT importer AS code, product, year, "
        f"flatten(array_agg(evidence)) AS in_ids FROM {pairs} WHERE value_usd > 0 "
        f"GROUP BY importer, product, year) ei {key.format(a='ei')} {rx}{where}"
    )


def _hub_sql(
    pairs: str,
    rx_rel: str | None,
    break_year: int | None,
    tmap: str,
    exporters_only: bool = True,
) -> str:
    """One statement: per territory, product and year the flows (outflow and inflow
    joined in full, so that import-only years count in the series), the running sums the
    series indicators need (over the years so far: no later year is ever read), then the
    indicators and their weighted mean."""
    outs = (
        "SELECT exporter AS code, product, year, "
        "sum(value_usd) AS out_v, sum(x_value) AS x_out, "
        "sum(value_usd * value_usd) AS out_sq, max(CASE WHEN simulated THEN 1 ELSE 0 END) AS sim_o"
        f" FROM {pairs} WHERE value_usd > 0 GROUP BY exporter, product, year"
    )
    ins = (
        "SELECT importer AS code, product, year, sum(value_usd) AS in_v, "
        "max(CASE WHEN simulated THEN 1 ELSE 0 END) AS sim_i "
        f"FROM {pairs} WHERE value_usd > 0 GROUP BY importer, product, year"
    )
    brk = int(break_year) if break_year is not None else None
    nb = f", sum(CASE WHEN year < {brk} THEN 1 ELSE 0 END) OVER () AS nb" if brk else ""
    # the years of the scope, numbered: a territory's series runs over all of them, a year
    # without its flows counting as 0
    yrs = (
        f"SELECT year, row_number() OVER (ORDER BY year) AS yi{nb} "
        f"FROM (SELECT DISTINCT year FROM {pairs} WHERE value_usd > 0) y"
    )
    base = (
        "SELECT coalesce(o.code, i.code) AS code, coalesce(o.product, i.product) AS product, "
        "coalesce(o.year, i.year) AS year, coalesce(o.out_v, 0.0) AS out_v, o.x_out, "
        "o.out_sq, coalesce(i.in_v, 0.0) AS in_v, "
        "(coalesce(o.sim_o, 0) = 1 OR coalesce(i.sim_i, 0) = 1) AS simulated "
        f"FROM ({outs}) o FULL OUTER JOIN ({ins}) i "
        "ON i.code = o.code AND i.product = o.product AND i.year = o.year"
    )
    win = "PARTITION BY code, product"
    run = f"({win} ORDER BY year ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
    if brk is None:
        prior = "s_o - out_v AS p_out, s_i - in_v AS p_in, yi - 1 AS n_prior"
        prior_w = ""
    else:
        prior = "pb_out AS p_out, pb_in AS p_in, nb AS n_prior"
        prior_w = (
            f", sum(CASE WHEN year < {brk} THEN out_v ELSE 0.0 END) OVER ({win}) AS pb_out"
            f", sum(CASE WHEN year < {brk} THEN in_v ELSE 0.0 END) OVER ({win}) AS pb_in"
        )
    sums = (
        f"SELECT b.*, count(*) OVER {run} AS n_rows, "
        f"min(out_v - in_v) OVER {run} AS min_net, sum(in_v) OVER {run} AS s_i, "
        f"sum(out_v) OVER {run} AS s_o, sum(in_v * in_v) OVER {run} AS s_ii, "
        f"sum(out_v * out_v) OVER {run} AS s_oo, sum(in_v * out_v) OVER {run} AS s_io"
        f"{prior_w} FROM (SELECT b0.*, y.yi{', y.nb' if brk else ''} "
        f"FROM ({base}) b0 JOIN ({yrs}) y ON y.year = b0.year) b"
    )
    # zero-filled moments over the yi years so far; a variance below 1e-9 of the mean
    # square is rounding noise (a constant series), which has no correlation
    vi, vo = "(s_ii / yi - (s_i / yi) * (s_i / yi))", "(s_oo / yi - (s_o / yi) * (s_o / yi))"
    stats = (
        "SELECT s.*, "
        "CASE WHEN n_rows < yi THEN 0.0 ELSE greatest(0.0, min_net) END AS own, "
        f"CASE WHEN yi >= 3 AND {vi} > 1e-9 * s_ii / yi AND {vo} > 1e-9 * s_oo / yi "
        f"THEN (s_io / yi - (s_i / yi) * (s_o / yi)) / sqrt({vi} * {vo}) END AS co, "
        f"{prior} FROM ({sums}) s"
    )
    if exporters_only:
        stats = f"SELECT * FROM ({stats}) st WHERE out_v > 0"
    if rx_rel is not None:
        rx = f"SELECT * FROM {rx_rel}"
        rxr = f"SELECT DISTINCT code, year FROM {rx_rel}"
    else:
        rx = (
            "SELECT CAST(NULL AS VARCHAR) AS code, CAST(NULL AS VARCHAR) AS product, "
            "CAST(NULL AS INTEGER) AS year, CAST(NULL AS DOUBLE) AS rx_v" + " WHERE 1 = 0"
        )
        rxr = "SELECT CAST(NULL AS VARCHAR) AS code, CAST(NULL AS INTEGER) AS year WHERE 1 = 0"
    joined = (
        "SELECT st.*, tm.iso3, CASE WHEN out_v > 0 THEN out_sq / (out_v * out_v) END AS hhi, "
        f"r.rx_v, (rr.code IS NOT NULL) AS rx_reporter FROM ({stats}) st "
        f"LEFT JOIN ({rx}) r ON r.code = st.code AND r.product = st.product "
        "AND r.year = st.year "
        f"LEFT JOIN ({rxr}) rr ON rr.code = st.code AND rr.year = st.year "
        f"LEFT JOIN ({tmap}) tm ON tm.code = st.code"
    )
    parts = []
    num = []
    den = []
    for name, (fn, weight) in HUB_INDICATORS.items():
        value, avail = fn(break_year)
        parts.append(f"CASE WHEN {avail} THEN {value} END AS {name}")
        if name in SILENCE_IS_NOT_EVIDENCE:
            parts.append(f"CASE WHEN {avail} THEN {weight} ELSE 0.0 END AS {name}_w")
        else:
            parts.append(f"CAST({weight} AS DOUBLE) AS {name}_w")
        num.append(f"coalesce({name} * {name}_w, 0.0)")
        den.append(f"{name}_w")
    ind = f"SELECT j.*, {', '.join(parts)} FROM ({joined}) j"
    names = list(HUB_INDICATORS)
    return (
        "SELECT code, coalesce(iso3, upper(code)) AS territory, product, "
        "CAST(year AS INTEGER) AS year, "
        f"CASE WHEN ({' + '.join(den)}) > 0 THEN ({' + '.join(num)}) / ({' + '.join(den)}) "
        "ELSE 0.0 END AS score, in_v AS inflow_usd, out_v AS outflow_usd, own AS own_usd, "
        "coalesce(rx_v, 0.0) AS rx_usd, simulated, "
        + ", ".join(f"{n}, {n}_w" for n in names)
        + f" FROM ({ind}) x"
    )


def hub_scores(
    engine: Engine,
    product: str | None = None,
    years: Years | None = None,
    dataset: str | None = None,
    break_year: int | None = None,
    use_reexports: bool = True,
    limit: int | None = None,
) -> list[HubScore]:
    """Hub scores per territory, product and year, highest first, each with its indicators
    (value, weight, evidence record ids, detail). See :func:`hub_table` for the arguments;
    ``limit`` keeps the top rows (evidence is assembled only for those)."""
    years = check_years(years)
    history: Years | None = (1900, years[1]) if years else None
    # one query over the whole history, import-only years included: the series indicators
    # cite the rows of every year they read
    full = _table(engine, product, history, dataset, break_year, use_reexports, True, False)
    keep = pc.greater(full.column("outflow_usd"), 0.0)
    if years:
        yr = full.column("year")
        keep = pc.and_(keep, pc.and_(pc.greater_equal(yr, years[0]), pc.less_equal(yr, years[1])))
    table = full.filter(keep)
    if table.num_rows == 0:
        return []
    top = table if limit is None else table.slice(0, max(0, int(limit)))
    keys = set(zip(top.column("code").to_pylist(), top.column("product").to_pylist(), strict=True))
    series = _series_rows(full, keys)
    out: list[HubScore] = []
    for row in top.to_pylist():
        out.append(_hub_score(row, series.get((row["code"], row["product"]), []), break_year))
    return out


def _series_rows(
    full: pa.Table, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Year, inflow and outflow record ids of every year of the given territory-products."""
    mask = pc.is_in(
        pc.binary_join_element_wise(full.column("code"), full.column("product"), "\x1f"),
        value_set=pa.array([f"{c}\x1f{p}" for c, p in keys], pa.string()),
    )
    rows = full.filter(mask).select(["code", "product", "year", "in_ids", "out_ids"]).to_pylist()
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        grouped[(r["code"], r["product"])].append(r)
    return grouped


def _hub_score(
    row: dict[str, Any], series: list[dict[str, Any]], break_year: int | None
) -> HubScore:
    year = int(row["year"])
    upto = [r for r in series if r["year"] <= year]
    before = [
        r
        for r in series
        if (
            r["year"] < break_year
            if break_year is not None and year >= break_year
            else r["year"] < year
        )
    ]
    ids: dict[str, list[str]] = {
        "in": row.get("in_ids") or [],
        "out": row.get("out_ids") or [],
        "rx": row.get("rx_ids") or [],
        "upto_in": [i for r in upto for i in (r["in_ids"] or [])],
        "upto_out": [i for r in upto for i in (r["out_ids"] or [])],
        "prior_in": [i for r in before for i in (r["in_ids"] or [])],
        "prior_out": [i for r in before for i in (r["out_ids"] or [])],
    }
    indicators = []
    for name in HUB_INDICATORS:
        value = row.get(name)
        weight = float(row.get(f"{name}_w") or 0.0)
        ev = merge_ids(*(ids[k] for k in _EVIDENCE[name])) if weight > 0 else []
        indicators.append(
            Indicator(
                name=name,
                value=float(value) if value is not None else 0.0,
                weight=weight,
                evidence=ev,
                detail=_detail(name, row, value is not None, break_year),
            )
        )
    score = weighted_score(indicators)
    return HubScore(
        territory=str(row["territory"]),
        code=str(row["code"]),
        product=str(row["product"]),
        year=year,
        score=score,
        indicators=indicators,
        inflow_usd=float(row["inflow_usd"] or 0.0),
        outflow_usd=float(row["outflow_usd"] or 0.0),
        simulated=bool(row.get("simulated")),
    )


def _detail(name: str, row: dict[str, Any], computed: bool, break_year: int | None) -> str:
    inflow, outflow = row["inflow_usd"] or 0.0, row["outflow_usd"] or 0.0
    if not computed:
        return {
            "co_movement": (
                "not computed: fewer than three years of data, or a constant series; counts as 0"
            ),
            "reexport_share": (
                "not computed: the territory reports no re-exports (RX) this year; "
                "left out of the score"
            ),
            "surge": "not computed: no earlier year in the data; counts as 0",
        }.get(name, "not computed; counts as 0")
    if name == "pass_through":
        return f"inflow {inflow:,.0f} USD, outflow {outflow:,.0f} USD"
    if name == "excess_exports":
        return (
            f"outflow {outflow:,.0f} USD, inflow {inflow:,.0f} USD, own output "
            f"(lowest net exports so far) {row.get('own_usd') or 0.0:,.0f} USD"
        )
    if name == "reexport_share":
        return f"reported re-exports {row['rx_usd'] or 0.0:,.0f} USD"
    if name == "concentration":
        return "Herfindahl index of destination shares"
    if name == "surge":
        base = (
            f"the mean before {break_year}"
            if break_year is not None and int(row["year"]) >= break_year
            else "the mean of the earlier years"
        )
        return f"the smaller of the rises of outflow and inflow against {base}"
    return "correlation of yearly inflow and outflow, years without a flow counting as 0"
