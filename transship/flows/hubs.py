"""Hubs: which territories pass a product on rather than make or use it, per product and year.

Two questions hide in "hub", and each has its own score (``kind``;
:mod:`transship.flows.hub_indicators` defines the indicators of both):

* ``conduit`` - *who opened as a conduit after a break*: imports and exports of a product
  jump together when a sanction or a war closes a direct route (Chupilkin, Javorcik &
  Plekhanov 2023, "The Eurasian roundabout"), the territory exports more than it has shown
  it can make, the two series move together, its exports go to few partners;
* ``entrepot`` - *whose exports are mostly someone else's goods*: it imports at least what
  it exports, has never shown output of its own, and its partners record its exports
  differently (they attribute goods to their origin).

Both read the territory's own report of re-exports (Comtrade's flow RX) where it makes one.
Each indicator has a value in [0, 1] (1 = most hub-like), a weight, and the record ids of
the rows it was computed from; every one is a ratio of the territory's own flows, never a
USD value: size is not evidence of passing goods on, and a small entrepot and a large
producer must be scored on one scale.

A score is the weighted mean of its kind's indicators. One that cannot be computed (the
first years of the data) counts as 0 with its ``detail`` saying why, so a score resting on
fewer indicators cannot look as strong as one resting on all; the exceptions are the
indicators whose absence says nothing (reported re-exports, the partners' records of a
territory that does not report its exports): they leave the score.

Values come from the directed pair values of :func:`transship.flows.chains.pairs_sql`
(reconciled value, else the exporter's FOB, else the importer's CIF / 1.05): inflow of M
= sum over partners of pairs into M, outflow = pairs out of M.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from transship.exc import InvalidInput
from transship.flows.chains import (
    Scope,
    Years,
    check_dataset,
    check_product,
    check_years,
    open_scope,
    territory_map_sql,
)
from transship.flows.explain import Indicator, merge_ids, weighted_score
from transship.flows.hub_indicators import (
    ALL,
    CONDUIT,
    EVIDENCE,
    EVIDENCE_WEIGHT,
    KINDS,
    MIRROR_CIF_FACTOR,
    MIRROR_EVIDENCE_USD,
    SILENCE_IS_NOT_EVIDENCE,
)
from transship.flows.merge import merge_batches
from transship.flows.mirror import check_min_usd
from transship.store.engine import Engine, temp_name

log = logging.getLogger(__name__)


#: The conduit score's indicators (name -> (SQL function, weight)); the name predates the
#: entrepot score (:mod:`transship.flows.hub_indicators` defines both kinds).
HUB_INDICATORS = CONDUIT
#: The kind of hub scored when none is asked for: what a scheme opening after a break makes
#: of a territory, the question ``transship evaluate`` and the demo ask.
DEFAULT_KIND = "conduit"


def check_kind(kind: str) -> str:
    """``kind`` if it names a kind of hub, else InvalidInput (one line for the user)."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown kind of hub {kind!r}: use one of {', '.join(KINDS)}")
    return kind


@dataclass(slots=True)
class HubScore:
    """One territory, product and year. ``territory`` is ISO3 (the store code upper-cased
    when the territory has no ISO3), ``code`` the store's territory code. ``score`` and
    ``indicators`` are those of the kind asked for (``kind``); ``scores`` and
    ``indicators_by_kind`` hold every kind's."""

    territory: str
    code: str
    product: str
    year: int
    score: float
    indicators: list[Indicator] = field(default_factory=list)
    inflow_usd: float = 0.0
    outflow_usd: float = 0.0
    simulated: bool = False
    kind: str = DEFAULT_KIND
    scores: dict[str, float] = field(default_factory=dict)
    indicators_by_kind: dict[str, list[Indicator]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "territory": self.territory,
            "code": self.code,
            "product": self.product,
            "year": self.year,
            "score": self.score,
            "kind": self.kind,
            "scores": dict(self.scores),
            "inflow_usd": self.inflow_usd,
            "outflow_usd": self.outflow_usd,
            "simulated": self.simulated,
            "indicators": [i.to_dict() for i in self.indicators],
            "indicators_by_kind": {
                k: [i.to_dict() for i in inds] for k, inds in self.indicators_by_kind.items()
            },
        }


def hub_table(
    engine: Engine,
    product: str | None = None,
    years: Years | None = None,
    dataset: str | None = None,
    break_year: int | None = None,
    use_reexports: bool = True,
    evidence: bool = True,
    kind: str = DEFAULT_KIND,
) -> pa.Table:
    """The hub scores as one Arrow table (the relational part; :func:`hub_scores` turns it
    into :class:`HubScore` objects with evidence per indicator).

    Columns: code, territory (ISO3), product, year, score (of ``kind``), ``<kind>_score``
    for every kind (``conduit_score``, ``entrepot_score``), inflow_usd, outflow_usd,
    own_usd (output proxy), rx_usd, mirror_x_usd / mirror_m_usd (the exports compared with
    the partners' records, and those records at FOB), export_years / cover_years (years so
    far with exports, and with imports covering them), simulated (any row behind it
    simulated), and for each indicator of every kind ``<name>`` (value) and ``<name>_w``
    (weight used, 0 when not computable); with ``evidence``, ``in_ids``, ``out_ids``,
    ``rx_ids`` (record ids of the year's inflow, outflow and re-export rows). One row per
    territory, product and year with exports, highest ``score`` first. Every year up to
    the last of ``years`` feeds the time-series indicators; only rows in ``years`` are
    returned. ``use_reexports=False`` ignores RX rows (for validating against them).
    """
    kind = check_kind(kind)
    return _table(engine, product, years, dataset, break_year, use_reexports, evidence, True, kind)


def _table(
    engine: Engine,
    product: str | None,
    years: Years | None,
    dataset: str | None,
    break_year: int | None,
    use_reexports: bool,
    evidence: bool,
    exporters_only: bool,
    kind: str = DEFAULT_KIND,
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
            kind,
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
            "SELECT exporter, importer, product, year, x_value, m_value, value_usd, simulated"
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
    kind: str = DEFAULT_KIND,
) -> str:
    """One statement: per territory, product and year the flows (outflow and inflow
    joined in full, so that import-only years count in the series), the running sums the
    series indicators need (over the years so far: no later year is ever read), then the
    indicators of every kind and each kind's weighted mean."""
    # partners that report imports of the product that year: the mirror indicators compare
    # a territory's reported exports with what those partners say they got from it
    rm = f"SELECT DISTINCT importer, product, year FROM {pairs} WHERE m_value > 0"
    mirrored = "rm.importer IS NOT NULL AND p.x_value > 0"
    outs = (
        "SELECT p.exporter AS code, p.product, p.year, "
        "sum(p.value_usd) AS out_v, sum(p.x_value) AS x_out, "
        "sum(p.value_usd * p.value_usd) AS out_sq, "
        "max(CASE WHEN p.simulated THEN 1 ELSE 0 END) AS sim_o, "
        f"sum(CASE WHEN {mirrored} THEN p.x_value ELSE 0.0 END) AS mx_v, "
        f"sum(CASE WHEN {mirrored} THEN coalesce(p.m_value, 0.0) / {MIRROR_CIF_FACTOR} "
        "ELSE 0.0 END) AS mm_v "
        f"FROM {pairs} p LEFT JOIN ({rm}) rm ON rm.importer = p.importer "
        "AND rm.product = p.product AND rm.year = p.year "
        "WHERE p.value_usd > 0 GROUP BY p.exporter, p.product, p.year"
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
        "o.out_sq, coalesce(i.in_v, 0.0) AS in_v, coalesce(o.mx_v, 0.0) AS mx_v, "
        "coalesce(o.mm_v, 0.0) AS mm_v, "
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
        f"sum(out_v * out_v) OVER {run} AS s_oo, sum(in_v * out_v) OVER {run} AS s_io, "
        f"sum(CASE WHEN out_v > 0 THEN 1 ELSE 0 END) OVER {run} AS n_out, "
        f"sum(CASE WHEN out_v > 0 AND in_v >= out_v THEN 1 ELSE 0 END) OVER {run} AS n_cover"
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
    for name, (fn, weight) in ALL.items():
        value, avail = fn(break_year)
        parts.append(f"CASE WHEN {avail} THEN {value} END AS {name}")
        scaled = f"{weight} * {EVIDENCE_WEIGHT[name]}" if name in EVIDENCE_WEIGHT else weight
        if name in SILENCE_IS_NOT_EVIDENCE:
            parts.append(f"CASE WHEN {avail} THEN {scaled} ELSE 0.0 END AS {name}_w")
        else:
            parts.append(f"CAST({weight} AS DOUBLE) AS {name}_w")
    ind = f"SELECT j.*, {', '.join(parts)} FROM ({joined}) j"
    kind_scores = []
    for k, indicators in KINDS.items():
        num = " + ".join(f"coalesce({n} * {n}_w, 0.0)" for n in indicators)
        den = " + ".join(f"{n}_w" for n in indicators)
        kind_scores.append(
            f"CASE WHEN ({den}) > 0 THEN ({num}) / ({den}) ELSE 0.0 END AS {k}_score"
        )
    names = list(ALL)
    return (
        f"SELECT code, coalesce(iso3, upper(code)) AS territory, product, "
        f"CAST(year AS INTEGER) AS year, {kind}_score AS score, "
        + ", ".join(f"{k}_score" for k in KINDS)
        + ", in_v AS inflow_usd, out_v AS outflow_usd, own AS own_usd, "
        "coalesce(rx_v, 0.0) AS rx_usd, mx_v AS mirror_x_usd, mm_v AS mirror_m_usd, "
        "n_out AS export_years, n_cover AS cover_years, simulated, "
        + ", ".join(f"{n}, {n}_w" for n in names)
        + f" FROM (SELECT i.*, {', '.join(kind_scores)} FROM ({ind}) i) x"
    )


def hub_scores(
    engine: Engine,
    product: str | None = None,
    years: Years | None = None,
    dataset: str | None = None,
    break_year: int | None = None,
    use_reexports: bool = True,
    limit: int | None = None,
    kind: str = DEFAULT_KIND,
    min_usd: float | None = None,
) -> list[HubScore]:
    """Hub scores per territory, product and year, highest ``kind`` score first, each with
    its indicators (value, weight, evidence record ids, detail) and every other kind's
    score and indicators beside. See :func:`hub_table` for the arguments; ``limit`` keeps
    the top rows (evidence is assembled only for those); ``min_usd`` keeps territory-years
    exporting at least that many USD of the product (the scores are ratios, so a territory
    exporting USD 5 against millions imported scores as an entrepot: true, and immaterial)."""
    kind = check_kind(kind)
    floor = check_min_usd(min_usd) if min_usd is not None else 0.0
    years = check_years(years)
    history: Years | None = (1900, years[1]) if years else None
    # one query over the whole history, import-only years included: the series indicators
    # cite the rows of every year they read
    full = _table(engine, product, history, dataset, break_year, use_reexports, True, False, kind)
    keep = pc.greater(full.column("outflow_usd"), 0.0)
    if floor > 0:
        keep = pc.and_(keep, pc.greater_equal(full.column("outflow_usd"), floor))
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
        out.append(_hub_score(row, series.get((row["code"], row["product"]), []), break_year, kind))
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
    row: dict[str, Any], series: list[dict[str, Any]], break_year: int | None, kind: str
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
    made: dict[str, Indicator] = {}
    for name in ALL:
        value = row.get(name)
        weight = float(row.get(f"{name}_w") or 0.0)
        ev = merge_ids(*(ids[k] for k in EVIDENCE[name])) if weight > 0 else []
        made[name] = Indicator(
            name=name,
            value=float(value) if value is not None else 0.0,
            weight=weight,
            evidence=ev,
            detail=_detail(name, row, value is not None, break_year),
        )
    by_kind = {k: [made[n] for n in inds] for k, inds in KINDS.items()}
    scores = {k: weighted_score(inds) for k, inds in by_kind.items()}
    return HubScore(
        territory=str(row["territory"]),
        code=str(row["code"]),
        product=str(row["product"]),
        year=year,
        score=scores[kind],
        indicators=by_kind[kind],
        inflow_usd=float(row["inflow_usd"] or 0.0),
        outflow_usd=float(row["outflow_usd"] or 0.0),
        simulated=bool(row.get("simulated")),
        kind=kind,
        scores=scores,
        indicators_by_kind=by_kind,
    )


#: Why an indicator could not be computed, and what that does to the score.
_NOT_COMPUTED = {
    "co_movement": "not computed: fewer than three years of data, or a constant series; counts as 0",
    "reexport_share": (
        "not computed: the territory reports no re-exports (RX) this year; left out of the score"
    ),
    "surge": "not computed: no earlier year in the data; counts as 0",
    "foreign_origin": (
        "not computed: the territory reports no exports to a partner that reports imports "
        "of the product this year; left out of the score"
    ),
    "mirror_gap": (
        "not computed: the territory reports no exports to a partner that reports imports "
        "of the product this year; left out of the score"
    ),
}


def _detail(name: str, row: dict[str, Any], computed: bool, break_year: int | None) -> str:
    """The numbers behind one indicator, in words (or why it could not be computed)."""
    if not computed:
        return _NOT_COMPUTED.get(name, "not computed; counts as 0")
    inflow, outflow = row["inflow_usd"] or 0.0, row["outflow_usd"] or 0.0
    mx, mm = row.get("mirror_x_usd") or 0.0, row.get("mirror_m_usd") or 0.0
    if name == "pass_through":
        return f"inflow {inflow:,.0f} USD, outflow {outflow:,.0f} USD"
    if name == "import_cover":
        ratio = f"{inflow / outflow:,.3g}" if outflow else "-"
        return f"inflow {inflow:,.0f} USD, outflow {outflow:,.0f} USD (imports / exports {ratio})"
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
    if name in ("foreign_origin", "mirror_gap"):
        return (
            f"reported exports to partners that report imports {mx:,.0f} USD; those partners "
            f"report {mm:,.0f} USD from it (at FOB); weight x {mx / (mx + MIRROR_EVIDENCE_USD):.2f} "
            "for the size of the comparison"
        )
    if name == "no_output":
        return (
            f"imports covered exports in {int(row.get('cover_years') or 0)} of "
            f"{int(row.get('export_years') or 0)} years with exports so far"
        )
    return "correlation of yearly inflow and outflow, years without a flow counting as 0"
