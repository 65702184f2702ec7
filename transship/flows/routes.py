"""Multi-hop routes: origin -> intermediaries -> destination, ranked, with evidence.

A route is a path of territories. Four indicators say how likely it is that the origin's
goods travelled along it (DESIGN.md, "Methods: hubs and routes"): ``attribution``, the
share of the origin's exports of the product that ends in the destination along exactly
this path, from an absorbing Markov chain per product and year
(``transship.flows.attribution``), with an interval from resampling the flows
(``transship.flows.route_intervals``); and ``co_movement``, ``surge`` and
``reported_reexport`` (``transship.flows.route_indicators``).

Every figure traces to ``trade_flows`` record ids: per leg (``evidence``), per indicator,
and per node (the rows behind each territory's supply, which the chain divides by).

The flows are read once per query (``transship.flows.route_data``) through the SQL of
``transship.flows.chains``, which runs unchanged on either engine
(``transship.store.engine``); the product filter is applied in the first scan, so a
chapter-93 query reads only chapter-93 rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from transship.exc import InvalidInput, NotFound
from transship.flows import attribution as att
from transship.flows import chains
from transship.flows.chains import Years
from transship.flows.explain import Indicator
from transship.flows.route_data import (
    BASIS,
    ProductData,
    as_engine,
    load_flows,
    load_monthly,
    parse_years,
    territory_code,
)
from transship.flows.route_indicators import (
    WEIGHTS,
    attribution_value,
    control_products,
    lagged_correlation,
    route_indicators,
)
from transship.flows.route_intervals import (
    BASELINE_NOISE,
    FITTED_MODEL,
    INTERVAL_LEVEL,
    baseline_model,
    model_detail,
    route_intervals,
)
from transship.flows.route_sankey import sankey
from transship.flows.surge import BreakDate, DiD, parse_break
from transship.store import Store
from transship.store.engine import Engine

__all__ = [
    "BASELINE_NOISE",
    "INTERVAL_LEVEL",
    "MAX_CANDIDATES",
    "WEIGHTS",
    "Leg",
    "LegYear",
    "Node",
    "ProductData",
    "Route",
    "attribution_value",
    "find_routes",
    "lagged_correlation",
    "load_flows",
    "sankey",
    "transit_matrix",
]

FloatArray = npt.NDArray[np.float64]

#: Most routes (by attributed share) that get the full set of indicators.
MAX_CANDIDATES = 100


# -- public records ------------------------------------------------------------------------
@dataclass(slots=True)
class LegYear:
    """One year of a leg: the reconciled value and the two reports behind it."""

    year: int
    value_usd: float  # reconciled FOB value (0 when no one reported the flow that year)
    basis: str  # both | exporter | importer | reconciled | '' (no report)
    exporter_reported_usd: float | None  # FOB, as reported
    importer_reported_usd: float | None  # CIF, as reported
    importer_fob_usd: float | None  # the importer's figure / the fitted CIF/FOB margin
    exporter_weight: float | None  # weight of the exporter's log value (importer's: 1 - it)
    log_sd: float | None  # standard deviation of ln(value_usd): what the interval draws

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "value_usd": self.value_usd,
            "basis": self.basis,
            "exporter_reported_usd": self.exporter_reported_usd,
            "importer_reported_usd": self.importer_reported_usd,
            "importer_fob_usd": self.importer_fob_usd,
            "exporter_weight": self.exporter_weight,
            "importer_weight": None if self.exporter_weight is None else 1 - self.exporter_weight,
            "log_sd": self.log_sd,
        }


@dataclass(slots=True)
class Leg:
    """One hop of a route, summed over the years analysed.

    ``value_usd`` is the reconciled FOB value; ``basis`` says which side it came from:
    ``both`` (the two reports weighted by their fitted reliability: ``exporter_weight`` and
    ``importer_weight``, value-weighted over the years), ``exporter`` or ``importer`` (the
    other side silent), ``reconciled`` (a value reconciled elsewhere, e.g. BACI), or
    ``mixed`` when the years differ (``years`` gives each)."""

    source: str  # ISO3
    target: str
    value_usd: float  # reconciled point estimate (FOB)
    exporter_reported_usd: float | None
    importer_reported_usd: float | None  # as reported (CIF)
    transition: float  # value-weighted probability of the hop in the chain
    record_ids: list[str]
    basis: str = ""
    importer_fob_usd: float | None = None
    exporter_weight: float | None = None
    cif_fob_margin: float | None = None
    years: list[LegYear] = field(default_factory=list)

    @property
    def importer_weight(self) -> float | None:
        return None if self.exporter_weight is None else 1.0 - self.exporter_weight

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "value_usd": self.value_usd,
            "basis": self.basis,
            "exporter_reported_usd": self.exporter_reported_usd,
            "importer_reported_usd": self.importer_reported_usd,
            "importer_fob_usd": self.importer_fob_usd,
            "exporter_weight": self.exporter_weight,
            "importer_weight": self.importer_weight,
            "cif_fob_margin": self.cif_fob_margin,
            "transition": self.transition,
            "record_ids": self.record_ids,
            "years": [y.to_dict() for y in self.years],
        }


@dataclass(slots=True)
class Node:
    """A territory on a route and the supply the chain divides its exports by."""

    territory: str
    role: str  # origin | intermediary | destination
    imports_usd: float
    exports_usd: float
    supply_usd: float
    absorption: float  # value-weighted share of supply kept at home
    record_ids: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "territory": self.territory,
            "role": self.role,
            "imports_usd": self.imports_usd,
            "exports_usd": self.exports_usd,
            "supply_usd": self.supply_usd,
            "absorption": self.absorption,
            "record_ids": self.record_ids,
        }


@dataclass(slots=True)
class Route:
    """A ranked path; ``to_dict`` keys ``path, share, low, high, value_usd, score,
    indicators, evidence`` are the product's interface (``transship routes --json``).

    ``low``/``high`` and ``value_low``/``value_high`` bound the share and the value at
    ``interval_level`` (see ``transship.flows.route_intervals``); they are not forced to
    contain ``share``/``value_usd``."""

    path: list[str]
    product: str
    years: list[int]
    share: float
    low: float
    high: float
    value_usd: float
    value_low: float
    value_high: float
    score: float
    indicators: list[Indicator]
    legs: list[Leg]
    nodes: list[Node] = field(default_factory=list)
    check: dict[str, float] = field(default_factory=dict)
    simulated: bool = False
    #: Probability the interval states (0.9: 5th-95th percentile of the draws); None when
    #: no interval was drawn (``resamples=0``, or no fitted dispersion to draw from).
    interval_level: float | None = INTERVAL_LEVEL
    interval_model: str = FITTED_MODEL
    #: The fitted parameters behind the interval, in words (empty for the baseline).
    interval_detail: str = ""

    @property
    def evidence(self) -> list[dict[str, Any]]:
        """Record ids per leg, origin first."""
        return [{"from": g.source, "to": g.target, "record_ids": g.record_ids} for g in self.legs]

    @property
    def origin(self) -> str:
        return self.path[0]

    @property
    def destination(self) -> str:
        return self.path[-1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "product": self.product,
            "years": self.years,
            "share": self.share,
            "low": self.low,
            "high": self.high,
            "value_usd": self.value_usd,
            "value_low": self.value_low,
            "value_high": self.value_high,
            "interval_level": self.interval_level,
            "interval_model": self.interval_model,
            "interval_detail": self.interval_detail,
            "score": self.score,
            "indicators": [_indicator_dict(i) for i in self.indicators],
            "evidence": self.evidence,
            "legs": [g.to_dict() for g in self.legs],
            "nodes": [n.to_dict() for n in self.nodes],
            "check": self.check,
            "simulated": self.simulated,
        }


def _indicator_dict(ind: Indicator) -> dict[str, Any]:
    return ind.to_dict()


# -- routes --------------------------------------------------------------------------------
def find_routes(
    engine: Engine | Store,
    origin: str,
    destination: str | None = None,
    product: str | None = None,
    years: str | int | Sequence[int] | None = None,
    break_date: str | BreakDate | None = None,
    max_hops: int = 3,
    resamples: int = 200,
    seed: int = 0,
    *,
    dataset: str | None = None,
    min_share: float = 1e-5,
    noise: float | None = None,
    production: dict[str, float] | None = None,
    min_absorption: float = att.MIN_ABSORPTION,
    max_candidates: int = MAX_CANDIDATES,
    data: dict[str, ProductData] | None = None,
) -> list[Route]:
    """Rank the paths by which ``origin``'s exports of ``product`` reach ``destination``.

    ``destination=None`` ranks paths to every destination. ``years``: ``'2019-2024'``, a
    pair or a range. ``break_date`` (``'2022-02'``) switches on the surge indicator.
    ``dataset`` limits the rows to one dataset. ``production``: known production per
    territory (else the net-export proxy, with every territory keeping at least
    ``min_absorption`` of its supply). ``data``: matrices already loaded with
    :func:`load_flows` (the validation reuses them; ``product`` then only labels errors).
    ``resamples`` draws per year give each route's interval (``interval_level``, 90 %),
    each reconciled flow drawn from its fitted ``log_sd``; ``noise=<sigma>`` draws the
    earlier fixed-sigma model instead (the coverage baseline, :data:`BASELINE_NOISE`).
    Routes come back best first; each carries its legs, nodes, indicators and record ids.
    """
    if max_hops < 1 or max_hops > 6:
        raise InvalidInput("max_hops must be between 1 and 6")
    if resamples < 0:
        raise InvalidInput("resamples must not be negative")
    if noise is not None and not (math.isfinite(noise) and noise >= 0):
        raise InvalidInput("noise must be a non-negative number (or None: the fitted model)")
    eng = as_engine(engine)
    product = chains.check_product(product)
    span = parse_years(years)
    dataset = chains.check_dataset(dataset)
    brk = parse_break(break_date) if isinstance(break_date, str) else break_date
    o_code = territory_code(origin)
    d_code = territory_code(destination) if destination else None
    if data is None:
        data = load_flows(eng, product, span, dataset)
    elif span is not None:
        data = {k: v.restrict(span) for k, v in data.items()}
    if not any(o_code in pd.index for pd in data.values()):
        raise NotFound(
            f"no trade flows from {origin}" + (f" for product {product}" if product else "")
        )
    rng = np.random.default_rng(seed)
    routes: list[Route] = []
    for pd in data.values():
        if o_code not in pd.index or (d_code is not None and d_code not in pd.index):
            continue
        routes.extend(
            _routes_for_product(
                eng,
                pd,
                pd.index[o_code],
                pd.index[d_code] if d_code is not None else None,
                max_hops=max_hops,
                resamples=resamples,
                rng=rng,
                noise=noise,
                min_share=min_share,
                production=production,
                min_absorption=min_absorption,
                max_candidates=max_candidates,
                brk=brk,
                span=span,
                dataset=dataset,
            )
        )
    routes.sort(key=lambda r: (-r.score, -r.value_usd, r.path))
    return routes


def _routes_for_product(
    eng: Engine,
    pd: ProductData,
    o: int,
    d: int | None,
    *,
    max_hops: int,
    resamples: int,
    rng: np.random.Generator,
    noise: float | None,
    min_share: float,
    production: dict[str, float] | None,
    min_absorption: float,
    max_candidates: int,
    brk: BreakDate | None,
    span: Years | None,
    dataset: str | None,
) -> list[Route]:
    prod_vec = pd.production_vector(production)
    years = [y for y in pd.years if pd.point(y)[o].sum() > 0]
    if not years:
        return []
    ychains = {y: pd.chain(y, prod_vec, min_absorption) for y in years}
    origin_exports = {y: float(pd.point(y)[o].sum()) for y in years}
    total_exports = sum(origin_exports.values())

    # 1. Candidate paths: any path above the threshold in any year.
    found: set[tuple[int, ...]] = set()
    for y in years:
        for pm in att.enumerate_paths(ychains[y], o, d, max_hops, min_mass=min_share):
            found.add(pm.path)
    if not found:
        return []
    paths = sorted(found)

    # 2. Point masses per year, value in USD, share of the origin's exports over the span.
    values = np.zeros(len(paths))
    for y in years:
        ch = ychains[y]
        start = att.start_vector(ch, o)
        mass = att.path_masses(ch.q[None], ch.absorb[None], start[None], paths)[0]
        values += mass * origin_exports[y]
    shares = values / total_exports

    # Fundamental-matrix totals per destination, and what the enumerated paths cover.
    chain_value = np.zeros(pd.n)
    for y in years:
        chain_value += att.absorption_shares(ychains[y], o) * origin_exports[y]
    paths_value = np.zeros(pd.n)
    for p, v in zip(paths, values, strict=True):
        paths_value[p[-1]] += v

    order = np.argsort(-shares, kind="stable")[:max_candidates]
    paths = [paths[k] for k in order]
    values = values[order]
    shares = shares[order]

    # 3. Intervals: draw the flows from the fitted model (or the baseline), year by year.
    # None when nothing was drawn: the bounds are then the point estimate, level unstated.
    drawn = resamples > 0 and (noise is not None or pd.dispersion)
    level = INTERVAL_LEVEL if drawn else None
    model = FITTED_MODEL if noise is None else baseline_model(noise)
    detail = model_detail(pd) if noise is None and drawn else ""
    if drawn:
        low, high, vlow, vhigh = route_intervals(
            pd, o, years, paths, resamples, rng, noise, prod_vec, min_absorption
        )
    else:
        low, high, vlow, vhigh = shares.copy(), shares.copy(), values.copy(), values.copy()
        model = "none: " + ("resamples=0" if resamples == 0 else "no fitted dispersion")

    # 4. Indicators (monthly series and control products read for these paths only).
    cells = {(p[t], p[t + 1]) for p in paths for t in range(len(p) - 1)}
    if not pd.monthly:
        load_monthly(eng, pd, cells, span, dataset)
    controls = control_products(eng, pd, cells, span, dataset) if brk is not None else {}
    best = float(shares.max()) if len(shares) else 0.0
    node_cache: dict[int, Node] = {}
    did_cache: dict[tuple[int, int], tuple[DiD | None, list[str], str]] = {}
    routes: list[Route] = []
    for k, path in enumerate(paths):
        labels = [pd.labels[i] for i in path]
        legs = [_leg(pd, ychains, path[t], path[t + 1], years) for t in range(len(path) - 1)]
        nodes = [_node(pd, ychains, path, t, years, node_cache) for t in range(len(path))]
        dest = path[-1]
        check = {
            "paths_share": float(paths_value[dest] / total_exports),
            "chain_share": float(chain_value[dest] / total_exports),
        }
        check["coverage"] = (
            check["paths_share"] / check["chain_share"] if check["chain_share"] > 0 else 1.0
        )
        leg_ids = [rid for g in legs for rid in g.record_ids]
        indicators, score = route_indicators(
            pd, path, leg_ids, years, float(shares[k]), best, check, brk, controls, did_cache
        )
        routes.append(
            Route(
                path=labels,
                product=pd.product,
                years=years,
                share=float(shares[k]),
                low=float(low[k]),
                high=float(high[k]),
                value_usd=float(values[k]),
                value_low=float(vlow[k]),
                value_high=float(vhigh[k]),
                score=score,
                indicators=indicators,
                legs=legs,
                nodes=nodes,
                check=check,
                simulated=pd.simulated,
                interval_level=level,
                interval_model=model,
                interval_detail=detail,
            )
        )
    return routes


def _opt(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def _leg(pd: ProductData, chains: dict[int, att.Chain], i: int, j: int, years: list[int]) -> Leg:
    per_year = [
        LegYear(
            year=y,
            value_usd=float(pd.point(y)[i, j]),
            basis=BASIS[int(pd.basis[y][i, j])],
            exporter_reported_usd=_opt(pd.x[y][i, j]),
            importer_reported_usd=_opt(pd.m_raw[y][i, j]),
            importer_fob_usd=_opt(pd.m[y][i, j]),
            exporter_weight=_opt(pd.w_x[y][i, j]),
            log_sd=_opt(pd.log_sd[y][i, j]),
        )
        for y in years
    ]
    value = sum(g.value_usd for g in per_year)
    xs = [g.exporter_reported_usd for g in per_year if g.exporter_reported_usd is not None]
    ms = [g.importer_reported_usd for g in per_year if g.importer_reported_usd is not None]
    mf = [g.importer_fob_usd for g in per_year if g.importer_fob_usd is not None]
    bases = sorted({g.basis for g in per_year if g.basis})
    weighted = [(g.value_usd, g.exporter_weight) for g in per_year if g.exporter_weight is not None]
    total = sum(v for v, _ in weighted)
    w_x = sum(v * w for v, w in weighted) / total if total > 0 else None
    transition = sum(float(pd.point(y)[i, j] * chains[y].q[i, j]) for y in years)
    return Leg(
        source=pd.labels[i],
        target=pd.labels[j],
        value_usd=value,
        exporter_reported_usd=float(sum(xs)) if xs else None,
        importer_reported_usd=float(sum(ms)) if ms else None,
        transition=transition / value if value > 0 else 0.0,
        record_ids=pd.cell_ids(i, j, years),
        basis=bases[0] if len(bases) == 1 else "mixed" if bases else "",
        importer_fob_usd=float(sum(mf)) if mf else None,
        exporter_weight=w_x,
        cif_fob_margin=pd.margin if ms else None,
        years=per_year,
    )


def _node(
    pd: ProductData,
    chains_by_year: dict[int, att.Chain],
    path: tuple[int, ...],
    t: int,
    years: list[int],
    cache: dict[int, Node],
) -> Node:
    i = path[t]
    role = "origin" if t == 0 else "destination" if t == len(path) - 1 else "intermediary"
    if i not in cache:
        chs = [chains_by_year[y] for y in years]
        supply = sum(float(c.supply[i]) for c in chs)
        kept = sum(float(c.supply[i] * c.absorb[i]) for c in chs)
        ids: list[str] = []
        for y in years:
            ids.extend(pd.world_ids.get((y, i), ()))
            for j in range(pd.n):
                ids.extend(pd.ids.get((y, j, i), ()))
                ids.extend(pd.ids.get((y, i, j), ()))
        cache[i] = Node(
            territory=pd.labels[i],
            role=role,
            imports_usd=sum(float(c.imports[i]) for c in chs),
            exports_usd=sum(float(c.exports[i]) for c in chs),
            supply_usd=supply,
            absorption=kept / supply if supply > 0 else 1.0,
            record_ids=ids,
        )
    base = cache[i]
    return Node(
        territory=base.territory,
        role=role,
        imports_usd=base.imports_usd,
        exports_usd=base.exports_usd,
        supply_usd=base.supply_usd,
        absorption=base.absorption,
        record_ids=base.record_ids,
    )


# -- aggregate over origins ----------------------------------------------------------------
def transit_matrix(
    pd: ProductData,
    year: int,
    max_hops: int = 3,
    min_share: float = 1e-4,
    production: dict[str, float] | None = None,
    min_absorption: float = att.MIN_ABSORPTION,
) -> FloatArray:
    """USD passed on over each edge M -> N, summed over every origin's routes.

    For each origin A, every path of at most ``max_hops`` legs above ``min_share`` carries
    ``share x A's exports``; each leg after the first (M received the goods from someone
    else) adds that value to ``transit[M, N]``. This is what the routes say M re-exports to
    N, the quantity a reporter's own re-export figures (Comtrade RX) measure.
    """
    chain = pd.chain(year, pd.production_vector(production), min_absorption)
    exports = chain.exports
    out = np.zeros((pd.n, pd.n))
    for o in np.flatnonzero(exports > 0).tolist():
        for paths, masses in att.path_arrays(chain, o, None, max_hops, min_mass=min_share):
            value = masses * float(exports[o])
            for t in range(1, paths.shape[1] - 1):
                np.add.at(out, (paths[:, t], paths[:, t + 1]), value)
    return out
