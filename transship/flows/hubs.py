"""Hubs: which territories pass a product on rather than use it, per product and year.

A transshipment hub M shows up in bilateral statistics only indirectly: it imports a
product and exports about as much soon after, to few partners, often more than it could
have produced, sometimes saying so itself (Comtrade's re-export flow, RX), and its exports
jump when a sanction or a war makes a direct route impossible (Chupilkin, Javorcik &
Plekhanov 2023, "The Eurasian roundabout"). Each of these is an *indicator* with a value in
[0, 1] (1 = most hub-like), a weight, and the record ids of the rows it was computed from.
The score is the weighted mean over the indicators that could be computed (an indicator
that cannot be computed - one year of data, no re-export reporting - gets weight 0 and a
``detail`` saying why, instead of silently counting as 0).

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
    Years,
    check_dataset,
    check_product,
    check_years,
    open_scope,
    territory_map_sql,
)
from transship.flows.engine import Engine, temp_name
from transship.flows.explain import Indicator, merge_ids, weighted_score

log = logging.getLogger(__name__)


# -- indicators ----------------------------------------------------------------------------
# Each returns (value SQL, available SQL) over the per-(territory, product, year) relation
# built in hub_table: in_v, out_v, x_out, hhi, rx_v, rx_reporter, n_years, min_net,
# co, n_co, prior, year.


def excess_exports(break_year: int | None) -> tuple[str, str]:
    """Exports beyond plausible supply: max(0, outflow - inflow - production) / outflow.

    Production is not in trade statistics; its proxy is the territory's lowest net exports
    (outflow - inflow, floored at 0) over the years in the data for this product: output
    a territory demonstrably sustains even in its weakest year. What it exports beyond
    imports plus that base must come from somewhere the statistics do not show (unrecorded
    inflows, stocks, mislabelled transit). Needs at least two years (with one year the
    proxy equals the year's own net exports)."""
    value = "greatest(0.0, out_v - coalesce(in_v, 0.0) - greatest(0.0, min_net)) / out_v"
    return value, "n_years >= 2 AND out_v > 0"


def pass_through(break_year: int | None) -> tuple[str, str]:
    """Pass-through: min(inflow, outflow) / max(inflow, outflow) in the same year.

    A territory that imports about as much of a product as it exports, in the same year,
    behaves like a conduit; a producer (exports, few imports) or a consumer (imports, few
    exports) does not. 0 when the territory has no recorded inflow."""
    value = (
        "CASE WHEN coalesce(in_v, 0.0) > 0 "
        "THEN least(in_v, out_v) / greatest(in_v, out_v) ELSE 0.0 END"
    )
    return value, "out_v > 0"


def co_movement(break_year: int | None) -> tuple[str, str]:
    """Co-movement of inflows and outflows: max(0, Pearson correlation) of the yearly
    inflow and outflow series of this territory and product (all years in the data).

    Goods passed on make the two series rise and fall together; a producer's exports move
    with its own output, not with its imports. Needs three years with both flows."""
    return "greatest(0.0, co)", "n_co >= 3 AND co BETWEEN -1.0 AND 1.0"


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
    """Surge after a break: max(0, 1 - before / outflow), where ``before`` is the mean
    yearly outflow before the break year (``break_year``) or, without a break, over the
    earlier years in the data. 0.5 = outflow doubled, 0.9 = ten-fold.

    A diversion route opens suddenly; an established trade grows slowly. Without earlier
    years (or, with a break, for years before it) it is not computed."""
    avail = "prior IS NOT NULL AND prior >= 0 AND out_v > 0"
    if break_year is not None:
        avail += f" AND year >= {int(break_year)}"
    return "greatest(0.0, 1.0 - prior / out_v)", avail


#: name -> (function, weight). The weights say how directly each indicator points at
#: transshipment: supply and pass-through first, self-reported re-exports next, the
#: dynamic ones after, concentration least (small exporters are concentrated anyway).
HUB_INDICATORS: dict[str, tuple[Callable[[int | None], tuple[str, str]], float]] = {
    "excess_exports": (excess_exports, 0.25),
    "pass_through": (pass_through, 0.20),
    "reexport_share": (reexport_share, 0.20),
    "co_movement": (co_movement, 0.15),
    "surge": (surge, 0.10),
    "concentration": (concentration, 0.10),
}

#: Which evidence each indicator cites: rows of this year, or of every year of the series.
_EVIDENCE = {
    "excess_exports": ("in", "out", "all_out", "all_in"),
    "pass_through": ("in", "out"),
    "reexport_share": ("rx", "out"),
    "co_movement": ("all_in", "all_out"),
    "surge": ("out", "prior_out"),
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
    re-export rows). Every year up to the last of ``years``
    feeds the time-series indicators; only rows in ``years`` are returned.
    ``use_reexports=False`` ignores RX rows (for validating against them).
    """
    product = check_product(product)
    years = check_years(years)
    dataset = check_dataset(dataset)
    history: Years | None = (1900, years[1]) if years else None
    pairs, rx = temp_name("hpairs"), temp_name("hrx")
    flows = ("X", "M", "RX") if use_reexports else ("X", "M")
    scope = open_scope(engine, product, history, dataset, flows)
    try:
        engine.materialize(pairs, scope.pairs_sql(evidence=evidence))
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
            evidence,
            territory_map_sql(history, dataset),
        )
        if years:
            q = f"SELECT * FROM ({q}) h WHERE year BETWEEN {years[0]} AND {years[1]}"
        table = engine.sql(q + " ORDER BY score DESC, outflow_usd DESC, code, product, year")
    finally:
        scope.close()
        engine.drop(pairs)
        engine.drop(rx)
    return table


def _hub_sql(
    pairs: str, rx_rel: str | None, break_year: int | None, evidence: bool, tmap: str
) -> str:
    ev_out = ", flatten(array_agg(evidence)) AS out_ids" if evidence else ""
    ev_in = ", flatten(array_agg(evidence)) AS in_ids" if evidence else ""
    outs = (
        "SELECT exporter AS code, product, year, "
        "sum(value_usd) AS out_v, sum(x_value) AS x_out, "
        "sum(value_usd * value_usd) AS out_sq, max(CASE WHEN simulated THEN 1 ELSE 0 END) AS sim_o"
        f"{ev_out} FROM {pairs} WHERE value_usd > 0 GROUP BY exporter, product, year"
    )
    ins = (
        "SELECT importer AS code, product, year, sum(value_usd) AS in_v, "
        f"max(CASE WHEN simulated THEN 1 ELSE 0 END) AS sim_i{ev_in} "
        f"FROM {pairs} WHERE value_usd > 0 GROUP BY importer, product, year"
    )
    if rx_rel is not None:
        rx = f"SELECT * FROM {rx_rel}"
        rxr = f"SELECT DISTINCT code, year FROM {rx_rel}"
    else:
        rx = (
            "SELECT CAST(NULL AS VARCHAR) AS code, CAST(NULL AS VARCHAR) AS product, "
            "CAST(NULL AS INTEGER) AS year, CAST(NULL AS DOUBLE) AS rx_v"
            + (", CAST(NULL AS VARCHAR[]) AS rx_ids" if evidence else "")
            + " WHERE 1 = 0"
        )
        rxr = "SELECT CAST(NULL AS VARCHAR) AS code, CAST(NULL AS INTEGER) AS year WHERE 1 = 0"
    ev_cols = ", o.out_ids, i.in_ids, r.rx_ids" if evidence else ""
    base = (
        "SELECT o.code, tm.iso3, o.product, o.year, o.out_v, o.x_out, "
        "o.out_sq / (o.out_v * o.out_v) AS hhi, i.in_v, r.rx_v, "
        "(rr.code IS NOT NULL) AS rx_reporter, "
        f"(o.sim_o = 1 OR coalesce(i.sim_i, 0) = 1) AS simulated{ev_cols} "
        f"FROM ({outs}) o LEFT JOIN ({ins}) i "
        "ON i.code = o.code AND i.product = o.product AND i.year = o.year "
        f"LEFT JOIN ({rx}) r ON r.code = o.code AND r.product = o.product AND r.year = o.year "
        f"LEFT JOIN ({rxr}) rr ON rr.code = o.code AND rr.year = o.year "
        f"LEFT JOIN ({tmap}) tm ON tm.code = o.code"
    )
    win = "PARTITION BY code, product"
    if break_year is None:
        frame = "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING"
        prior = f"avg(out_v) OVER ({win} ORDER BY year {frame})"
    else:
        prior = f"avg(CASE WHEN year < {int(break_year)} THEN out_v END) OVER ({win})"
    series = (
        f"SELECT b.*, count(*) OVER ({win}) AS n_years, "
        f"min(out_v - coalesce(in_v, 0.0)) OVER ({win}) AS min_net, "
        f"corr(in_v, out_v) OVER ({win}) AS co, count(in_v) OVER ({win}) AS n_co, "
        f"{prior} AS prior FROM ({base}) b"
    )
    parts = []
    num = []
    den = []
    for name, (fn, weight) in HUB_INDICATORS.items():
        value, avail = fn(break_year)
        parts.append(f"CASE WHEN {avail} THEN {value} END AS {name}")
        parts.append(f"CASE WHEN {avail} THEN {weight} ELSE 0.0 END AS {name}_w")
        num.append(f"coalesce({name} * {name}_w, 0.0)")
        den.append(f"{name}_w")
    ind = f"SELECT s.*, {', '.join(parts)} FROM ({series}) s"
    names = list(HUB_INDICATORS)
    ev_sel = ", out_ids, in_ids, rx_ids" if evidence else ""
    return (
        "SELECT code, coalesce(iso3, upper(code)) AS territory, product, "
        "CAST(year AS INTEGER) AS year, "
        f"CASE WHEN ({' + '.join(den)}) > 0 THEN ({' + '.join(num)}) / ({' + '.join(den)}) "
        "ELSE 0.0 END AS score, coalesce(in_v, 0.0) AS inflow_usd, out_v AS outflow_usd, "
        "coalesce(rx_v, 0.0) AS rx_usd, simulated, "
        + ", ".join(f"{n}, {n}_w" for n in names)
        + f"{ev_sel} FROM ({ind}) x"
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
    table = hub_table(engine, product, years, dataset, break_year, use_reexports, evidence=True)
    if table.num_rows == 0:
        return []
    top = table if limit is None else table.slice(0, max(0, int(limit)))
    # The series indicators cite every year of their territory and product: fetch those
    # rows (from the whole history, not only the years returned) for the top keys only.
    keys = set(zip(top.column("code").to_pylist(), top.column("product").to_pylist(), strict=True))
    series = _series_rows(engine, product, years, dataset, break_year, use_reexports, keys, table)
    out: list[HubScore] = []
    for row in top.to_pylist():
        out.append(_hub_score(row, series.get((row["code"], row["product"]), []), break_year))
    return out


def _series_rows(
    engine: Engine,
    product: str | None,
    years: Years | None,
    dataset: str | None,
    break_year: int | None,
    use_reexports: bool,
    keys: set[tuple[str, str]],
    table: pa.Table,
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    if years is not None and years[0] > 1900:
        # earlier years were cut from ``table``: recompute the full history once
        full = hub_table(engine, product, (1900, years[1]), dataset, break_year, use_reexports)
    else:
        full = table
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
    ids: dict[str, list[str]] = {
        "in": row.get("in_ids") or [],
        "out": row.get("out_ids") or [],
        "rx": row.get("rx_ids") or [],
        "all_in": [i for r in series for i in (r["in_ids"] or [])],
        "all_out": [i for r in series for i in (r["out_ids"] or [])],
        "prior_out": [
            i
            for r in series
            if (r["year"] < break_year if break_year is not None else r["year"] < year)
            for i in (r["out_ids"] or [])
        ],
    }
    indicators = []
    for name, (_fn, _weight) in HUB_INDICATORS.items():
        value = row.get(name)
        weight = float(row.get(f"{name}_w") or 0.0)
        ev = merge_ids(*(ids[k] for k in _EVIDENCE[name])) if weight > 0 else []
        indicators.append(
            Indicator(
                name=name,
                value=float(value) if value is not None else 0.0,
                weight=weight,
                evidence=ev,
                detail=_detail(name, row, weight, break_year),
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


def _detail(name: str, row: dict[str, Any], weight: float, break_year: int | None) -> str:
    inflow, outflow = row["inflow_usd"] or 0.0, row["outflow_usd"] or 0.0
    if weight <= 0:
        return {
            "excess_exports": "not computed: one year of data (no production proxy)",
            "co_movement": "not computed: fewer than three years with inflows and outflows",
            "reexport_share": "not computed: the territory reports no re-exports (RX) this year",
            "surge": (
                f"not computed: year before the break ({break_year}) or no earlier outflow"
                if break_year is not None
                else "not computed: no earlier year"
            ),
        }.get(name, "not computed")
    if name == "pass_through":
        return f"inflow {inflow:,.0f} USD, outflow {outflow:,.0f} USD"
    if name == "excess_exports":
        return (
            f"outflow {outflow:,.0f} USD against inflow {inflow:,.0f} USD plus lowest net exports"
        )
    if name == "reexport_share":
        return f"reported re-exports {row['rx_usd'] or 0.0:,.0f} USD"
    if name == "concentration":
        return "Herfindahl index of destination shares"
    if name == "surge":
        return "outflow against the mean before " + (
            f"{break_year}" if break_year is not None else "this year"
        )
    return "correlation of yearly inflow and outflow"
