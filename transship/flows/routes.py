"""Multi-hop routes: origin -> intermediaries -> destination, ranked, with evidence.

A route is a path of territories. Four indicators say how likely it is that the origin's
goods travelled along it (DESIGN.md, "Methods: hubs and routes"):

* ``attribution``: the share of the origin's exports of the product that ends in the
  destination along exactly this path, from an absorbing Markov chain per product and year
  (``transship.flows.attribution``), with a (low, high) interval from resampling the mirror
  alternatives (exporter- or importer-reported value per leg) and reporting noise;
* ``co_movement``: lagged correlation of each intermediary's imports from the previous
  territory with its exports to the next (a hub passes on what it receives: the two series
  move together, the outflow at the same time or one period later);
* ``surge``: difference-in-differences of each leg around a break date against control
  destinations and control products (``transship.flows.surge``), the leg's weakest z used;
* ``reported_reexport``: where an intermediary reports re-exports (Comtrade flow RX) to
  the next territory, their share of its exports there.

Every figure traces to ``trade_flows`` record ids: per leg (``evidence``), per indicator,
and per node (the rows behind each territory's supply, which the chain divides by).

The SQL below is DuckDB's dialect over the ``trade_flows`` relation and runs unchanged on
either engine (``transship.flows.engine``); the product filter is applied in the first
scan, before any grouping, so a chapter-93 query reads only chapter-93 rows.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from transship.exc import InvalidInput, NotFound
from transship.flows import attribution as att
from transship.flows import chains
from transship.flows.chains import CIF_FACTOR, Years
from transship.flows.engine import DuckDBEngine, Engine, temp_name
from transship.flows.explain import Indicator, weighted_score
from transship.flows.surge import BreakDate, DiD, did, is_post, parse_break
from transship.store import Store

FloatArray = npt.NDArray[np.float64]

#: Multiplicative reporting noise (log-normal sigma) added in each resample.
REPORTING_NOISE = 0.10
#: Indicator weights in the route score (indicators that do not apply are left out).
WEIGHTS = {"attribution": 0.45, "co_movement": 0.2, "surge": 0.25, "reported_reexport": 0.1}
#: Control cells per side (destinations, products) in the surge regression.
CONTROLS = 10
#: Most routes (by attributed share) that get the full set of indicators.
MAX_CANDIDATES = 100


# -- public records ------------------------------------------------------------------------
@dataclass(slots=True)
class Leg:
    """One hop of a route, summed over the years analysed."""

    source: str  # ISO3
    target: str
    value_usd: float  # mirror-reconciled point estimate (FOB)
    exporter_reported_usd: float | None
    importer_reported_usd: float | None  # as reported (CIF)
    transition: float  # value-weighted probability of the hop in the chain
    record_ids: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "value_usd": self.value_usd,
            "exporter_reported_usd": self.exporter_reported_usd,
            "importer_reported_usd": self.importer_reported_usd,
            "transition": self.transition,
            "record_ids": self.record_ids,
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
    indicators, evidence`` are the product's interface (``transship routes --json``)."""

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


# -- arguments -----------------------------------------------------------------------------
def parse_years(years: str | int | Sequence[int] | None) -> Years | None:
    """``'2019-2024'``, ``'2021'``, ``2021``, ``(2019, 2024)`` or ``range(2019, 2025)``."""
    if years is None:
        return None
    if isinstance(years, str):
        return chains.parse_years(years)
    if isinstance(years, int):
        return chains.check_years((years, years))
    vals = [int(y) for y in years]
    if not vals:
        raise InvalidInput("years: empty range")
    return chains.check_years((min(vals), max(vals)))


def territory_code(value: str) -> str:
    """The store's territory code ('rs') for what a user typed: ISO2/ISO3, a name, a code."""
    from transship.normalise.territories import lookup

    return lookup(value.strip()).code


def as_engine(engine: Engine | Store) -> Engine:
    return DuckDBEngine(engine) if isinstance(engine, Store) else engine


# -- loading -------------------------------------------------------------------------------
@dataclass(slots=True)
class ProductData:
    """One product's bilateral flows, dense per year, with the record ids behind each cell.

    Territories are indexed by store code (``codes``; ``labels`` are the ISO3 codes shown).
    Per year: ``x[i, j]`` exporter i's report of exports to j, ``m[i, j]`` importer j's
    report of imports from i divided by the CIF factor (``m_raw`` as reported), ``r`` a
    reconciled (BACI) value, ``value`` the stage's single best value (``chains.pairs_sql``:
    reconciled, else exporter's, else importer's FOB-adjusted); NaN where nothing exists.
    """

    product: str
    years: list[int]
    codes: list[str]
    labels: list[str]
    x: dict[int, FloatArray]
    m: dict[int, FloatArray]
    m_raw: dict[int, FloatArray]
    r: dict[int, FloatArray]
    value: dict[int, FloatArray]
    world_imports: dict[int, FloatArray]
    rx: dict[int, FloatArray]
    ids: dict[tuple[int, int, int], list[str]]
    rx_ids: dict[tuple[int, int, int], list[str]]
    world_ids: dict[tuple[int, int], list[str]]
    simulated: bool
    monthly: dict[tuple[int, int], dict[str, float]] = field(default_factory=dict)
    monthly_ids: dict[tuple[int, int], list[str]] = field(default_factory=dict)
    index: dict[str, int] = field(default_factory=dict)
    _chains: dict[int, att.Chain] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = {c: i for i, c in enumerate(self.codes)}

    @property
    def n(self) -> int:
        return len(self.codes)

    def point(self, year: int) -> FloatArray:
        """The point estimate of every flow in ``year`` (0 where none was reported)."""
        return self.value[year]

    def alternatives(self, year: int) -> tuple[FloatArray, FloatArray]:
        """The two mirror alternatives per cell (a reconciled value stands for both)."""
        r = self.r[year]
        has_r = np.isfinite(r)
        return np.where(has_r, r, self.x[year]), np.where(has_r, r, self.m[year])

    def chain(
        self,
        year: int,
        production: FloatArray | None = None,
        min_absorption: float = att.MIN_ABSORPTION,
    ) -> att.Chain:
        """The year's Markov chain (cached for the default assumptions)."""
        if production is not None or min_absorption != att.MIN_ABSORPTION:
            return att.build_chain(
                self.point(year), self.world_imports[year], production, min_absorption
            )
        if year not in self._chains:
            self._chains[year] = att.build_chain(self.point(year), self.world_imports[year])
        return self._chains[year]

    def cell_ids(self, i: int, j: int, years: Iterable[int] | None = None) -> list[str]:
        out: list[str] = []
        for y in self.years if years is None else years:
            out.extend(self.ids.get((y, i, j), ()))
        return out


def _where(product: str | None, years: Years | None, dataset: str | None) -> str:
    parts = ["value_usd IS NOT NULL"]
    if product is not None:
        parts.append(f"hs_code LIKE '{product}%'")
    if years is not None:
        parts.append(f"year BETWEEN {years[0]} AND {years[1]}")
    if dataset is not None:
        parts.append(f"dataset = '{dataset}'")
    return " AND ".join(parts)


def _world_sql(product: str | None, years: Years | None, dataset: str | None) -> str:
    """Each reporter's imports from World: one HS level and period kind per reporter and
    year, as in ``chains.scope_sql``, so a chapter total and its headings never add up."""
    prod = f"'{product}'" if product is not None else "hs_code"
    level = "length(hs_code)" if product is not None else "0"
    inner = (
        f"SELECT reporter, reporter_iso3, year, value_usd, record_id, {prod} AS product, "
        f"(CASE WHEN length(period) > 4 THEN 100 ELSE 0 END + {level}) AS level_key "
        f"FROM trade_flows WHERE flow = 'M' AND partner_is_world AND reporter IS NOT NULL "
        f"AND {_where(product, years, dataset)}"
    )
    return (
        "SELECT reporter, max(reporter_iso3) AS reporter_iso3, product, year, "
        "sum(value_usd) AS value, list_sort(array_agg(record_id)) AS ids FROM ("
        "SELECT w.*, min(level_key) OVER (PARTITION BY reporter, year, product) AS level_min "
        f"FROM ({inner}) w) k WHERE level_key = level_min GROUP BY reporter, product, year"
    )


def _rx_sql(product: str | None, years: Years | None, dataset: str | None) -> str:
    scope = chains.scope_sql(product, years, dataset, flows=("RX",))
    return (
        "SELECT reporter, partner, product, year, sum(value_usd) AS value, "
        f"list_sort(array_agg(record_id)) AS ids FROM ({scope}) s "
        "GROUP BY reporter, partner, product, year"
    )


def load_flows(
    engine: Engine | Store,
    product: str | None = None,
    years: str | int | Sequence[int] | None = None,
    dataset: str | None = None,
) -> dict[str, ProductData]:
    """Read one product filter's flows into dense per-year matrices (per product label).

    Bilateral values come from ``chains.pairs_sql`` (the stage's single definition of a
    directed pair); reported re-exports and each reporter's imports from World are read
    beside them with the same product, year and dataset filters, applied in the first scan.
    """
    eng = as_engine(engine)
    prod = chains.check_product(product)
    span = parse_years(years)
    ds = chains.check_dataset(dataset)
    pairs = eng.sql(chains.pairs_sql(chains.scope_sql(prod, span, ds)))
    world = eng.sql(_world_sql(prod, span, ds))
    rx = eng.sql(_rx_sql(prod, span, ds))
    terr = eng.sql(_territory_sql(prod, span, ds)).to_pydict()
    labels = {
        str(code): str(iso) if iso else str(code).upper()
        for code, iso in zip(terr["code"], terr["iso3"], strict=True)
    }
    simulated = any(bool(v) for v in terr["sim"])
    return _to_matrices(pairs, world, rx, labels, simulated)


def _territory_sql(product: str | None, years: Years | None, dataset: str | None) -> str:
    """Store code -> ISO3 label (the store code upper-cased where there is none), and
    whether any row in scope is simulated; a few hundred rows."""
    w = _where(product, years, dataset)
    sim = "max(CASE WHEN simulated THEN 1 ELSE 0 END)"
    return (
        "SELECT code, max(iso3) AS iso3, max(sim) AS sim FROM ("
        f"SELECT reporter AS code, max(reporter_iso3) AS iso3, {sim} AS sim FROM trade_flows "
        f"WHERE reporter IS NOT NULL AND {w} GROUP BY reporter UNION ALL "
        f"SELECT partner AS code, max(partner_iso3) AS iso3, {sim} AS sim FROM trade_flows "
        f"WHERE partner IS NOT NULL AND {w} GROUP BY partner) t GROUP BY code"
    )


def _nan_matrices(years: list[int], n: int) -> dict[int, FloatArray]:
    return {y: np.full((n, n), np.nan) for y in years}


def _to_matrices(
    pairs: pa.Table, world: pa.Table, rx: pa.Table, labels: dict[str, str], simulated: bool
) -> dict[str, ProductData]:
    p = pairs.to_pydict()
    w = world.to_pydict()
    r = rx.to_pydict()
    by_product: dict[str, list[int]] = defaultdict(list)
    for k, prod in enumerate(p["product"]):
        by_product[str(prod)].append(k)
    out: dict[str, ProductData] = {}
    for prod, ks in sorted(by_product.items()):
        codes = sorted({str(p["exporter"][k]) for k in ks} | {str(p["importer"][k]) for k in ks})
        idx = {c: i for i, c in enumerate(codes)}
        n = len(codes)
        years = sorted({int(p["year"][k]) for k in ks})
        x, m, m_raw = _nan_matrices(years, n), _nan_matrices(years, n), _nan_matrices(years, n)
        rec, rxm = _nan_matrices(years, n), _nan_matrices(years, n)
        value = {y: np.zeros((n, n)) for y in years}
        wi = {y: np.full(n, np.nan) for y in years}
        ids: dict[tuple[int, int, int], list[str]] = {}
        for k in ks:
            y, i, j = int(p["year"][k]), idx[str(p["exporter"][k])], idx[str(p["importer"][k])]
            for mat, col, factor in (
                (x, "x_value", 1.0),
                (m, "m_value", CIF_FACTOR),
                (rec, "r_value", 1.0),
            ):
                v = p[col][k]
                if v is not None:
                    mat[y][i, j] = float(v) / factor
            if p["m_value"][k] is not None:
                m_raw[y][i, j] = float(p["m_value"][k])
            value[y][i, j] = max(float(p["value_usd"][k] or 0.0), 0.0)
            ids[(y, i, j)] = [str(s) for s in p["evidence"][k] or ()]
        world_ids: dict[tuple[int, int], list[str]] = {}
        for k, wp in enumerate(w["product"]):
            code, y = str(w["reporter"][k]), int(w["year"][k])
            if str(wp) != prod or code not in idx or y not in wi:
                continue
            wi[y][idx[code]] = float(w["value"][k]) / CIF_FACTOR
            world_ids[(y, idx[code])] = [str(s) for s in w["ids"][k] or ()]
        rx_ids: dict[tuple[int, int, int], list[str]] = {}
        for k, rp in enumerate(r["product"]):
            a, b, y = str(r["reporter"][k]), str(r["partner"][k]), int(r["year"][k])
            if str(rp) != prod or a not in idx or b not in idx or y not in rxm:
                continue
            rxm[y][idx[a], idx[b]] = float(r["value"][k])
            rx_ids[(y, idx[a], idx[b])] = [str(s) for s in r["ids"][k] or ()]
        out[prod] = ProductData(
            product=prod,
            years=years,
            codes=codes,
            labels=[labels.get(c, c.upper()) for c in codes],
            x=x,
            m=m,
            m_raw=m_raw,
            r=rec,
            value=value,
            world_imports=wi,
            rx=rxm,
            ids=ids,
            rx_ids=rx_ids,
            world_ids=world_ids,
            simulated=simulated,
        )
    return out


def _load_monthly(
    eng: Engine,
    pd: ProductData,
    pairs: set[tuple[int, int]],
    span: Years | None,
    dataset: str | None,
) -> None:
    """Monthly values of the given cells, where the data has months (for co-movement)."""
    if not pairs:
        return
    legs = temp_name("route_legs")
    eng.register(
        legs,
        pa.table(
            {
                "src": [pd.codes[i] for i, _ in sorted(pairs)],
                "dst": [pd.codes[j] for _, j in sorted(pairs)],
            }
        ),
    )
    try:
        t = eng.sql(
            f"""
WITH base AS (
  SELECT record_id, flow, period, value_usd, reporter,
         length(hs_code) AS lvl_key,
         CASE WHEN flow = 'X' THEN reporter ELSE partner END AS src,
         CASE WHEN flow = 'X' THEN partner ELSE reporter END AS dst
  FROM trade_flows
  WHERE flow IN ('X', 'M') AND length(period) > 4 AND NOT partner_is_world
    AND {_where(pd.product, span, dataset)}
), legs AS (
  SELECT b.*, min(b.lvl_key) OVER (PARTITION BY b.reporter, b.flow, b.period) AS lvl_min
  FROM base b JOIN {legs} l ON b.src = l.src AND b.dst = l.dst
)
SELECT src, dst, flow, period, sum(value_usd) AS value, list_sort(array_agg(record_id)) AS ids
FROM legs WHERE lvl_key = lvl_min GROUP BY src, dst, flow, period
"""
        )
    finally:
        eng.drop(legs)
    xs: dict[tuple[int, int], dict[str, float]] = defaultdict(dict)
    ms: dict[tuple[int, int], dict[str, float]] = defaultdict(dict)
    for row in t.to_pylist():
        cell = (pd.index[row["src"]], pd.index[row["dst"]])
        v = float(row["value"])
        if row["flow"] == "X":
            xs[cell][row["period"]] = v
        else:
            ms[cell][row["period"]] = v / CIF_FACTOR
        pd.monthly_ids.setdefault(cell, []).extend(str(s) for s in row["ids"])
    for cell in set(xs) | set(ms):
        xc, mc = xs.get(cell, {}), ms.get(cell, {})
        pd.monthly[cell] = {t_: xc.get(t_, mc.get(t_, 0.0)) for t_ in set(xc) | set(mc)}


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
    noise: float = REPORTING_NOISE,
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
    Routes come back best first; each carries its legs, nodes, indicators and record ids.
    """
    if max_hops < 1 or max_hops > 6:
        raise InvalidInput("max_hops must be between 1 and 6")
    if resamples < 0:
        raise InvalidInput("resamples must not be negative")
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
        data = {k: _restrict(v, span) for k, v in data.items()}
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


def _restrict(pd: ProductData, span: Years) -> ProductData:
    keep = [y for y in pd.years if span[0] <= y <= span[1]]
    if keep == pd.years:
        return pd
    return ProductData(
        product=pd.product,
        years=keep,
        codes=pd.codes,
        labels=pd.labels,
        x={y: pd.x[y] for y in keep},
        m={y: pd.m[y] for y in keep},
        m_raw={y: pd.m_raw[y] for y in keep},
        r={y: pd.r[y] for y in keep},
        value={y: pd.value[y] for y in keep},
        world_imports={y: pd.world_imports[y] for y in keep},
        rx={y: pd.rx[y] for y in keep},
        ids=pd.ids,
        rx_ids=pd.rx_ids,
        world_ids=pd.world_ids,
        simulated=pd.simulated,
    )


def _production_vector(pd: ProductData, production: dict[str, float] | None) -> FloatArray | None:
    if not production:
        return None
    vec = np.full(pd.n, np.nan)
    for code, value in production.items():
        i = pd.index.get(territory_code(code))
        if i is not None:
            vec[i] = float(value)
    return vec


def _routes_for_product(
    eng: Engine,
    pd: ProductData,
    o: int,
    d: int | None,
    *,
    max_hops: int,
    resamples: int,
    rng: np.random.Generator,
    noise: float,
    min_share: float,
    production: dict[str, float] | None,
    min_absorption: float,
    max_candidates: int,
    brk: BreakDate | None,
    span: Years | None,
    dataset: str | None,
) -> list[Route]:
    prod_vec = _production_vector(pd, production)
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

    # 3. Intervals: resample the mirror alternatives and the noise, year by year.
    low, high, vlow, vhigh = _intervals(
        pd, o, years, paths, resamples, rng, noise, prod_vec, min_absorption
    )
    if resamples == 0:
        low, high, vlow, vhigh = shares.copy(), shares.copy(), values.copy(), values.copy()

    # 4. Indicators (monthly series and control products read for these paths only).
    cells = {(p[t], p[t + 1]) for p in paths for t in range(len(p) - 1)}
    if not pd.monthly:
        _load_monthly(eng, pd, cells, span, dataset)
    controls = _control_products(eng, pd, cells, span, dataset) if brk is not None else {}
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
        indicators, score = _indicators(
            pd, path, legs, nodes, years, float(shares[k]), best, check, brk, controls, did_cache
        )
        routes.append(
            Route(
                path=labels,
                product=pd.product,
                years=years,
                share=float(shares[k]),
                low=float(min(low[k], shares[k])),
                high=float(max(high[k], shares[k])),
                value_usd=float(values[k]),
                value_low=float(min(vlow[k], values[k])),
                value_high=float(max(vhigh[k], values[k])),
                score=score,
                indicators=indicators,
                legs=legs,
                nodes=nodes,
                check=check,
                simulated=pd.simulated,
            )
        )
    return routes


def _intervals(
    pd: ProductData,
    o: int,
    years: list[int],
    paths: list[tuple[int, ...]],
    resamples: int,
    rng: np.random.Generator,
    noise: float,
    prod_vec: FloatArray | None,
    min_absorption: float,
    chunk: int = 50,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """5th and 95th percentiles of share and value over ``resamples`` plausible worlds."""
    k = len(paths)
    if resamples == 0 or k == 0:
        z = np.zeros(k)
        return z, z, z, z
    value_s = np.zeros((resamples, k))
    exports_s = np.zeros(resamples)
    for y in years:
        done = 0
        while done < resamples:
            s = min(chunk, resamples - done)
            alt_x, alt_m = pd.alternatives(y)
            flows = att.resample_flows(alt_x, alt_m, rng, s, noise)
            q, absorb, f = att.stacked_chains(flows, pd.world_imports[y], prod_vec, min_absorption)
            row = f[:, o, :]
            tot = row.sum(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                start = np.where(tot[:, None] > 0, row / tot[:, None], 0.0)
            mass = att.path_masses(q, absorb, start, paths)
            value_s[done : done + s] += mass * tot[:, None]
            exports_s[done : done + s] += tot
            done += s
    with np.errstate(divide="ignore", invalid="ignore"):
        share_s = np.where(exports_s[:, None] > 0, value_s / exports_s[:, None], 0.0)
    lo, hi = np.quantile(share_s, [0.05, 0.95], axis=0)
    vlo, vhi = np.quantile(value_s, [0.05, 0.95], axis=0)
    return lo, hi, vlo, vhi


def _leg(pd: ProductData, chains: dict[int, att.Chain], i: int, j: int, years: list[int]) -> Leg:
    value = sum(float(pd.point(y)[i, j]) for y in years)
    xs = [pd.x[y][i, j] for y in years if math.isfinite(pd.x[y][i, j])]
    ms = [pd.m_raw[y][i, j] for y in years if math.isfinite(pd.m_raw[y][i, j])]
    weighted = sum(float(pd.point(y)[i, j] * chains[y].q[i, j]) for y in years)
    return Leg(
        source=pd.labels[i],
        target=pd.labels[j],
        value_usd=value,
        exporter_reported_usd=float(sum(xs)) if xs else None,
        importer_reported_usd=float(sum(ms)) if ms else None,
        transition=weighted / value if value > 0 else 0.0,
        record_ids=pd.cell_ids(i, j, years),
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


# -- indicators ----------------------------------------------------------------------------
def _indicators(
    pd: ProductData,
    path: tuple[int, ...],
    legs: list[Leg],
    nodes: list[Node],
    years: list[int],
    share: float,
    best: float,
    check: dict[str, float],
    brk: BreakDate | None,
    controls: dict[tuple[int, int], list[_Cell]],
    did_cache: dict[tuple[int, int], tuple[DiD | None, list[str], str]],
) -> tuple[list[Indicator], float]:
    leg_ids = [rid for g in legs for rid in g.record_ids]
    world = [rid for y in years for i in path for rid in pd.world_ids.get((y, i), ())]
    inds = [
        Indicator(
            name="attribution",
            value=attribution_value(share, best),
            weight=WEIGHTS["attribution"],
            evidence=sorted(set(leg_ids) | set(world)),
            detail=(
                f"{share:.4%} of {pd.labels[path[0]]}'s exports of {pd.product} end in "
                f"{pd.labels[path[-1]]} along this path (all paths: {check['paths_share']:.4%}, "
                f"chain total (I-Q)^-1 R: {check['chain_share']:.4%}); value = 1 + log10(share / "
                f"best share of the query) / 3, in [0, 1]; supply rows per node in "
                f"nodes[].record_ids"
            ),
        ),
        _co_movement(pd, path, years),
        _surge(pd, path, years, brk, controls, did_cache),
        _reported_reexport(pd, path, years),
    ]
    return inds, weighted_score(inds)


def attribution_value(share: float, best: float) -> float:
    """The attribution indicator in [0, 1]: 1 for the query's largest share, falling by a
    third per factor of ten below it (0 at a thousandth). Logarithmic because
    proportional mixing dilutes every path through a large intermediary by the size of
    that intermediary's supply: a real diversion route can carry a hundredth of the
    largest route's share and still be the one that matters."""
    if share <= 0 or best <= 0:
        return 0.0
    return float(np.clip(1.0 + math.log10(share / best) / 3.0, 0.0, 1.0))


def _series(pd: ProductData, i: int, j: int, years: list[int]) -> tuple[dict[str, float], bool]:
    """A cell's values by period: months where both legs' data are monthly, else years."""
    monthly = pd.monthly.get((i, j))
    if monthly and len(monthly) >= 6:
        return monthly, True
    return {str(y): float(pd.point(y)[i, j]) for y in years}, False


def lagged_correlation(
    inflow: dict[str, float], outflow: dict[str, float], max_lag: int
) -> tuple[float, int, int] | None:
    """Best Pearson correlation of log(1 + inflow[t]) with log(1 + outflow[t + lag]).

    Periods are sorted labels (``2019`` or ``2019-03``); a period missing from one series
    counts as zero trade. Returns (correlation, lag, pairs) or None with < 3 pairs or a
    constant series.
    """
    periods = sorted(set(inflow) | set(outflow))
    a = np.log1p(np.array([max(inflow.get(p, 0.0), 0.0) for p in periods]))
    b = np.log1p(np.array([max(outflow.get(p, 0.0), 0.0) for p in periods]))
    best: tuple[float, int, int] | None = None
    for lag in range(max_lag + 1):
        u = a[: len(a) - lag] if lag else a
        v = b[lag:]
        if len(u) < 3 or u.std() == 0 or v.std() == 0:
            continue
        r = float(np.corrcoef(u, v)[0, 1])
        if best is None or r > best[0]:
            best = (r, lag, len(u))
    return best


def _co_movement(pd: ProductData, path: tuple[int, ...], years: list[int]) -> Indicator:
    if len(path) < 3:
        return Indicator("co_movement", 0.0, 0.0, [], "direct route: no intermediary")
    parts: list[str] = []
    rs: list[float] = []
    ids: list[str] = []
    for t in range(1, len(path) - 1):
        a, m, b = path[t - 1], path[t], path[t + 1]
        inflow, mi = _series(pd, a, m, years)
        outflow, mo = _series(pd, m, b, years)
        monthly = mi and mo
        if not monthly:
            inflow = {str(y): float(pd.point(y)[a, m]) for y in years}
            outflow = {str(y): float(pd.point(y)[m, b]) for y in years}
        res = lagged_correlation(inflow, outflow, 3 if monthly else 1)
        unit = "month" if monthly else "year"
        if res is None:
            parts.append(f"{pd.labels[m]}: too few {unit}s with trade")
            rs.append(0.0)
            continue
        r, lag, n = res
        rs.append(r)
        parts.append(f"{pd.labels[m]}: r={r:+.2f} at lag {lag} {unit}(s) over {n} pairs")
        ids.extend(pd.cell_ids(a, m, years) + pd.cell_ids(m, b, years))
        if monthly:
            ids.extend(pd.monthly_ids.get((a, m), []) + pd.monthly_ids.get((m, b), []))
    if not ids:
        return Indicator("co_movement", 0.0, 0.0, [], "; ".join(parts))
    mean = float(np.mean(rs))
    return Indicator(
        "co_movement",
        max(0.0, mean),
        WEIGHTS["co_movement"],
        sorted(set(ids)),
        f"mean over intermediaries {mean:+.2f} ({'; '.join(parts)})",
    )


@dataclass(slots=True)
class _Cell:
    """A control cell for the surge regression: values by year and their record ids."""

    label: str
    values: dict[int, float]
    record_ids: list[str]


def _leg_did(
    pd: ProductData,
    i: int,
    j: int,
    years: list[int],
    brk: BreakDate,
    controls: dict[tuple[int, int], list[_Cell]],
) -> tuple[DiD | None, list[str], str]:
    totals = sorted(
        ((sum(float(pd.point(y)[i, k]) for y in years), k) for k in range(pd.n) if k not in (i, j)),
        reverse=True,
    )
    dests = [k for v, k in totals[:CONTROLS] if v > 0]
    rows = [[float(pd.point(y)[i, j]) for y in years]]
    ids = pd.cell_ids(i, j, years)
    for k in dests:
        rows.append([float(pd.point(y)[i, k]) for y in years])
        ids = ids + pd.cell_ids(i, k, years)
    prods = controls.get((i, j), [])
    for cell in prods:
        rows.append([cell.values.get(y, 0.0) for y in years])
        ids = ids + cell.record_ids
    post = np.array([is_post(str(y), brk) for y in years])
    res = did(np.array(rows), post)
    label = f"{pd.labels[i]}->{pd.labels[j]} vs {len(dests)} destinations, {len(prods)} products"
    return res, ids, label


def _surge(
    pd: ProductData,
    path: tuple[int, ...],
    years: list[int],
    brk: BreakDate | None,
    controls: dict[tuple[int, int], list[_Cell]],
    did_cache: dict[tuple[int, int], tuple[DiD | None, list[str], str]],
) -> Indicator:
    if brk is None:
        return Indicator("surge", 0.0, 0.0, [], "no break date given (--break)")
    worst: tuple[float, DiD, str] | None = None
    parts: list[str] = []
    ids: list[str] = []
    for t in range(len(path) - 1):
        leg = (path[t], path[t + 1])
        if leg not in did_cache:
            did_cache[leg] = _leg_did(pd, leg[0], leg[1], years, brk, controls)
        res, leg_ids, label = did_cache[leg]
        if res is None:
            parts.append(f"{label}: no periods on one side of {brk} or no controls")
            worst = None
            break
        ids.extend(leg_ids)
        parts.append(f"{label}: {res.estimate:+.2f} log points (se {res.se:.2f}, z {res.z:+.2f})")
        if worst is None or res.z < worst[0]:
            worst = (res.z, res, label)
    if worst is None:
        return Indicator("surge", 0.0, 0.0, [], "; ".join(parts))
    z, res, _ = worst
    return Indicator(
        "surge",
        float(np.clip(z / 3.0, 0.0, 1.0)),
        WEIGHTS["surge"],
        sorted(set(ids)),
        f"weakest leg z={z:+.2f} after {brk} (value = z/3 clipped to [0, 1]); " + "; ".join(parts),
    )


def _reported_reexport(pd: ProductData, path: tuple[int, ...], years: list[int]) -> Indicator:
    if len(path) < 3:
        return Indicator("reported_reexport", 0.0, 0.0, [], "direct route: no intermediary")
    ratios: list[float] = []
    parts: list[str] = []
    ids: list[str] = []
    for t in range(1, len(path) - 1):
        m, b = path[t], path[t + 1]
        reports = any(np.isfinite(pd.rx[y][m]).any() for y in years)
        if not reports:
            parts.append(f"{pd.labels[m]} reports no re-exports of {pd.product}")
            continue
        rx = sum(float(np.nan_to_num(pd.rx[y][m, b])) for y in years)
        x = sum(float(pd.point(y)[m, b]) for y in years)
        ratio = min(1.0, rx / x) if x > 0 else 0.0
        ratios.append(ratio)
        parts.append(
            f"{pd.labels[m]}->{pd.labels[b]}: re-exports {rx:,.0f} USD = {ratio:.1%} of exports"
        )
        for y in years:
            ids.extend(pd.rx_ids.get((y, m, b), ()))
        ids.extend(pd.cell_ids(m, b, years))
    if not ratios:
        return Indicator("reported_reexport", 0.0, 0.0, [], "; ".join(parts))
    return Indicator(
        "reported_reexport",
        float(np.mean(ratios)),
        WEIGHTS["reported_reexport"],
        sorted(set(ids)),
        "; ".join(parts),
    )


def _control_products(
    eng: Engine,
    pd: ProductData,
    cells: set[tuple[int, int]],
    span: Years | None,
    dataset: str | None,
) -> dict[tuple[int, int], list[_Cell]]:
    """Each leg's trade in other products of the same code length (largest first).

    Read through ``chains.pairs_sql`` over every product (one code level per reporter), with
    the legs' territory pairs joined in first, so only those pairs' rows are grouped.
    """
    if not cells:
        return {}
    legs = temp_name("route_ctrl")
    pairs = sorted(cells)
    eng.register(
        legs,
        pa.table({"src": [pd.codes[i] for i, _ in pairs], "dst": [pd.codes[j] for _, j in pairs]}),
    )
    scope = chains.scope_sql(None, span, dataset)
    try:
        table = eng.sql(
            f"""
WITH s AS (
  SELECT sc.* FROM (
    SELECT *, CASE WHEN flow = 'M' THEN partner ELSE reporter END AS src,
              CASE WHEN flow = 'M' THEN reporter ELSE partner END AS dst
    FROM ({scope}) x
    WHERE length(product) = {len(pd.product)} AND product <> '{pd.product}'
  ) sc JOIN {legs} l ON sc.src = l.src AND sc.dst = l.dst
)
SELECT exporter, importer, product, year, value_usd, evidence
FROM ({chains.pairs_sql("SELECT * FROM s")}) p
"""
        )
    finally:
        eng.drop(legs)
    grouped: dict[tuple[int, int, str], _Cell] = {}
    for row in table.to_pylist():
        cell = (pd.index[row["exporter"]], pd.index[row["importer"]])
        c = grouped.setdefault((*cell, str(row["product"])), _Cell(str(row["product"]), {}, []))
        c.values[int(row["year"])] = float(row["value_usd"] or 0.0)
        c.record_ids.extend(str(r) for r in row["evidence"] or ())
    out: dict[tuple[int, int], list[_Cell]] = defaultdict(list)
    for (i, j, _), c in grouped.items():
        out[(i, j)].append(c)
    for pair, lst in out.items():
        lst.sort(key=lambda c: -sum(c.values.values()))
        out[pair] = lst[:CONTROLS]
    return dict(out)


# -- Sankey --------------------------------------------------------------------------------
def sankey(routes: Sequence[Route]) -> dict[str, Any]:
    """Nodes and links for a Sankey diagram (d3-sankey / Plotly: links index ``nodes``).

    The origin is one node, each destination one node, and an intermediary one node per hop
    position (``BGR@1``), so the diagram stays acyclic however the routes cross. Link values
    are the routes' attributed USD values summed; each link lists the routes it carries.
    """
    nodes: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    links: dict[tuple[int, int], dict[str, Any]] = {}

    def node(code: str, role: str, hop: int) -> int:
        key = code if role != "intermediary" else f"{code}@{hop}"
        if key not in index:
            index[key] = len(nodes)
            nodes.append({"id": key, "name": code, "role": role, "hop": hop})
        return index[key]

    for r_idx, route in enumerate(routes):
        last = len(route.path) - 1
        ids = [
            node(code, "origin" if h == 0 else "destination" if h == last else "intermediary", h)
            for h, code in enumerate(route.path)
        ]
        for h in range(last):
            key = (ids[h], ids[h + 1])
            link = links.setdefault(
                key,
                {
                    "source": key[0],
                    "target": key[1],
                    "source_id": nodes[key[0]]["id"],
                    "target_id": nodes[key[1]]["id"],
                    "value": 0.0,
                    "routes": [],
                    "record_ids": [],
                },
            )
            link["value"] += route.value_usd
            link["routes"].append(r_idx)
            link["record_ids"] = sorted(set(link["record_ids"]) | set(route.legs[h].record_ids))
    return {
        "simulated": any(r.simulated for r in routes),
        "unit": "USD (attributed value of the origin's exports along each route)",
        "nodes": nodes,
        "links": list(links.values()),
        "routes": [
            {
                "path": r.path,
                "product": r.product,
                "value_usd": r.value_usd,
                "share": r.share,
                "score": r.score,
            }
            for r in routes
        ],
    }


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
    chain = pd.chain(year, _production_vector(pd, production), min_absorption)
    exports = chain.exports
    out = np.zeros((pd.n, pd.n))
    for o in np.flatnonzero(exports > 0).tolist():
        for paths, masses in att.path_arrays(chain, o, None, max_hops, min_mass=min_share):
            value = masses * float(exports[o])
            for t in range(1, paths.shape[1] - 1):
                np.add.at(out, (paths[:, t], paths[:, t + 1]), value)
    return out
