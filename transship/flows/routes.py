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
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from transship.exc import InvalidInput, NotFound
from transship.flows import attribution as att
from transship.flows.engine import DuckDBEngine, Engine
from transship.flows.explain import Indicator, weighted_score
from transship.flows.surge import BreakDate, DiD, did, is_post, parse_break
from transship.store import Store

FloatArray = npt.NDArray[np.float64]

#: Importer-reported values are CIF, exporter-reported FOB; importer figures are divided by
#: this factor before they are compared or resampled (BACI's median CIF margin is ~4-6 %).
CIF_FACTOR = 1.05
#: Multiplicative reporting noise (log-normal sigma) added in each resample.
REPORTING_NOISE = 0.10
#: Indicator weights in the route score (indicators that do not apply are left out).
WEIGHTS = {"attribution": 0.45, "co_movement": 0.2, "surge": 0.25, "reported_reexport": 0.1}
#: Control cells per side (destinations, products) in the surge regression.
CONTROLS = 10
#: Most routes (by attributed share) that get the full set of indicators.
MAX_CANDIDATES = 100
_PRODUCT = re.compile(r"^\d{2,10}$")
_YEARS = re.compile(r"^\s*(\d{4})\s*(?:[-:]\s*(\d{4})\s*)?$")


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
def parse_years(years: str | int | Sequence[int] | range | None) -> tuple[int, int] | None:
    """``2019-2024``, ``2021``, ``(2019, 2024)``, ``range(2019, 2025)``, ``[2019, 2020]``."""
    if years is None:
        return None
    if isinstance(years, int):
        return (years, years)
    if isinstance(years, str):
        m = _YEARS.match(years)
        if not m:
            raise InvalidInput(f"years {years!r}: expected YYYY or YYYY-YYYY")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
    else:
        vals = [int(y) for y in years]
        if not vals:
            raise InvalidInput("years: empty range")
        lo, hi = min(vals), max(vals)
    if lo > hi:
        raise InvalidInput(f"years {lo}-{hi}: start after end")
    return (lo, hi)


def check_product(product: str | None) -> str | None:
    if product is None:
        return None
    p = product.replace(".", "").replace(" ", "")
    if not _PRODUCT.match(p) or len(p) % 2:
        raise InvalidInput(f"product {product!r}: expected an HS code of 2, 4, 6, 8 or 10 digits")
    return p


def territory_iso3(value: str) -> str:
    """An ISO3 code for what a user typed (ISO2/ISO3/name/rigour code)."""
    v = value.strip()
    if re.fullmatch(r"[A-Za-z]{3}", v):
        return v.upper()
    from transship.normalise.territories import lookup

    t = lookup(v)
    if t.iso3 is None:
        return t.code.upper()
    return t.iso3


def as_engine(engine: Engine | Store) -> Engine:
    return DuckDBEngine(engine) if isinstance(engine, Store) else engine


# -- loading -------------------------------------------------------------------------------
@dataclass(slots=True)
class ProductData:
    """One product's bilateral flows, dense per year, with the record ids behind each cell.

    ``x[y][i, j]``: exporter i's report of exports to j; ``m[y][i, j]``: importer j's report
    of imports from i divided by the CIF factor; NaN where nothing was reported.
    """

    product: str
    years: list[int]
    codes: list[str]
    x: dict[int, FloatArray]
    m: dict[int, FloatArray]
    m_raw: dict[int, FloatArray]
    world_imports: dict[int, FloatArray]
    rx: dict[int, FloatArray]
    ids: dict[tuple[int, int, int], list[str]]
    rx_ids: dict[tuple[int, int, int], list[str]]
    world_ids: dict[tuple[int, int], list[str]]
    monthly: dict[tuple[int, int], dict[str, float]]
    monthly_ids: dict[tuple[int, int], list[str]]
    simulated: bool
    index: dict[str, int] = field(default_factory=dict)
    _point: dict[int, FloatArray] = field(default_factory=dict)
    _chains: dict[int, att.Chain] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = {c: i for i, c in enumerate(self.codes)}

    @property
    def n(self) -> int:
        return len(self.codes)

    def point(self, year: int) -> FloatArray:
        """Mirror-reconciled flows: the mean of the two reports where both exist."""
        if year not in self._point:
            x, m = self.x[year], self.m[year]
            both = np.isfinite(x) & np.isfinite(m)
            p = np.where(
                both, (np.nan_to_num(x) + np.nan_to_num(m)) / 2, np.nan_to_num(x) + np.nan_to_num(m)
            )
            self._point[year] = p
        return self._point[year]

    def chain(self, year: int, production: FloatArray | None = None) -> att.Chain:
        if production is not None:
            return att.build_chain(self.point(year), self.world_imports[year], production)
        if year not in self._chains:
            self._chains[year] = att.build_chain(self.point(year), self.world_imports[year])
        return self._chains[year]

    def cell_ids(self, i: int, j: int, years: Iterable[int] | None = None) -> list[str]:
        out: list[str] = []
        for y in self.years if years is None else years:
            out.extend(self.ids.get((y, i, j), ()))
        return out


def _filters(product: str | None, years: tuple[int, int] | None, level: int | None) -> str:
    parts = []
    if product is not None:
        parts.append(f"hs_code LIKE '{product}%'")
        if level is not None:
            parts.append(f"length(hs_code) = {level}")
    if years is not None:
        parts.append(f"year BETWEEN {years[0]} AND {years[1]}")
    return " AND ".join(parts) or "TRUE"


def product_level(engine: Engine, product: str) -> int:
    """The code length to read for ``product``: its own if rows exist at that level, else
    the coarsest finer level present (whose rows are then summed up to ``product``)."""
    t = engine.sql(
        f"SELECT length(hs_code) AS l, count(*) AS n FROM trade_flows "
        f"WHERE hs_code LIKE '{product}%' GROUP BY length(hs_code) ORDER BY l"
    )
    levels = [int(v) for v in t.column("l").to_pylist()]
    if not levels:
        raise NotFound(f"no trade flows for product {product}")
    return len(product) if len(product) in levels else min(levels)


def _flow_sql(product: str | None, years: tuple[int, int] | None, level: int | None) -> str:
    prod = f"'{product}'" if product is not None else "hs_code"
    return f"""
WITH base AS (
  SELECT record_id, flow, year, period, {prod} AS product,
         coalesce(reporter_iso3, upper(reporter)) AS rep,
         coalesce(partner_iso3, upper(partner)) AS par,
         CASE WHEN partner_is_world THEN 1 ELSE 0 END AS world,
         CASE WHEN partner_is_area THEN 1 ELSE 0 END AS area,
         CASE WHEN simulated THEN 1 ELSE 0 END AS sim,
         CASE WHEN length(period) = 4 THEN 1 ELSE 0 END AS annual,
         value_usd
  FROM trade_flows
  WHERE flow IN ('X', 'M', 'RX') AND value_usd IS NOT NULL AND {_filters(product, years, level)}
), pick AS (
  SELECT *, max(annual) OVER (PARTITION BY rep, flow, year, product) AS has_annual FROM base
  WHERE area = 0 AND rep IS NOT NULL AND par IS NOT NULL AND rep <> par
)
SELECT year, product, flow, rep, par, world, annual, period,
       CASE WHEN annual = 1 OR has_annual = 0 THEN 1 ELSE 0 END AS yearly,
       sum(value_usd) AS value, max(sim) AS sim, array_agg(record_id) AS ids
FROM pick
WHERE annual = 1 OR has_annual = 0 OR world = 0
GROUP BY year, product, flow, rep, par, world, annual, period, has_annual
"""


def load_flows(
    engine: Engine | Store,
    product: str | None = None,
    years: str | Sequence[int] | tuple[int, int] | None = None,
    cif_factor: float = CIF_FACTOR,
) -> dict[str, ProductData]:
    """Read X/M/RX rows (one scan, product filter first) into dense per-year matrices."""
    eng = as_engine(engine)
    product = check_product(product)
    span = parse_years(years)
    level = product_level(eng, product) if product is not None else None
    table = eng.sql(_flow_sql(product, span, level))
    return _to_matrices(table, cif_factor)


def _to_matrices(table: pa.Table, cif_factor: float) -> dict[str, ProductData]:
    rows = table.to_pydict()
    by_product: dict[str, list[int]] = defaultdict(list)
    for k in range(table.num_rows):
        by_product[str(rows["product"][k])].append(k)
    out: dict[str, ProductData] = {}
    for prod, ks in sorted(by_product.items()):
        reporters = {str(rows["rep"][k]) for k in ks}
        partners = {str(rows["par"][k]) for k in ks if not rows["world"][k]}
        codes = sorted(reporters | partners)
        idx = {c: i for i, c in enumerate(codes)}
        n = len(codes)
        years = sorted({int(rows["year"][k]) for k in ks})
        x = {y: np.full((n, n), np.nan) for y in years}
        m = {y: np.full((n, n), np.nan) for y in years}
        m_raw = {y: np.full((n, n), np.nan) for y in years}
        rx = {y: np.full((n, n), np.nan) for y in years}
        wi = {y: np.full(n, np.nan) for y in years}
        ids: dict[tuple[int, int, int], list[str]] = defaultdict(list)
        rx_ids: dict[tuple[int, int, int], list[str]] = defaultdict(list)
        world_ids: dict[tuple[int, int], list[str]] = defaultdict(list)
        mx: dict[tuple[int, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
        mm: dict[tuple[int, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
        monthly_ids: dict[tuple[int, int], list[str]] = defaultdict(list)
        sim = False
        for k in ks:
            y = int(rows["year"][k])
            flow = rows["flow"][k]
            r = idx[str(rows["rep"][k])]
            v = float(rows["value"][k])
            rid = [str(s) for s in rows["ids"][k]]
            sim = sim or bool(rows["sim"][k])
            yearly = bool(rows["yearly"][k])
            if rows["world"][k]:
                if flow == "M" and yearly:
                    wi[y][r] = _add(wi[y][r], v / cif_factor)
                    world_ids[(y, r)].extend(rid)
                continue
            p = idx[str(rows["par"][k])]
            if not rows["annual"][k] and flow in ("X", "M"):
                # Monthly detail, kept for co-movement where it exists.
                period = str(rows["period"][k])
                if flow == "X":
                    mx[(r, p)][period] += v
                    monthly_ids[(r, p)].extend(rid)
                else:
                    mm[(p, r)][period] += v / cif_factor
                    monthly_ids[(p, r)].extend(rid)
            if not yearly:
                continue
            if flow == "X":
                x[y][r, p] = _add(x[y][r, p], v)
                ids[(y, r, p)].extend(rid)
            elif flow == "M":
                m[y][p, r] = _add(m[y][p, r], v / cif_factor)
                m_raw[y][p, r] = _add(m_raw[y][p, r], v)
                ids[(y, p, r)].extend(rid)
            elif flow == "RX":
                rx[y][r, p] = _add(rx[y][r, p], v)
                rx_ids[(y, r, p)].extend(rid)
        monthly: dict[tuple[int, int], dict[str, float]] = {}
        for cell in set(mx) | set(mm):
            xs, ms = mx.get(cell, {}), mm.get(cell, {})
            monthly[cell] = {
                t: (xs[t] + ms[t]) / 2 if t in xs and t in ms else xs.get(t, ms.get(t, 0.0))
                for t in set(xs) | set(ms)
            }
        out[prod] = ProductData(
            product=prod,
            years=years,
            codes=codes,
            x=x,
            m=m,
            m_raw=m_raw,
            world_imports=wi,
            rx=rx,
            ids=dict(ids),
            rx_ids=dict(rx_ids),
            world_ids=dict(world_ids),
            monthly=monthly,
            monthly_ids=dict(monthly_ids),
            simulated=sim,
        )
    return out


def _add(current: float, value: float) -> float:
    return value if math.isnan(current) else current + value


# -- routes --------------------------------------------------------------------------------
def find_routes(
    engine: Engine | Store,
    origin: str,
    destination: str | None = None,
    product: str | None = None,
    years: str | Sequence[int] | tuple[int, int] | None = None,
    break_date: str | BreakDate | None = None,
    max_hops: int = 3,
    resamples: int = 200,
    seed: int = 0,
    *,
    min_share: float = 1e-5,
    noise: float = REPORTING_NOISE,
    cif_factor: float = CIF_FACTOR,
    production: dict[str, float] | None = None,
    max_candidates: int = MAX_CANDIDATES,
    data: dict[str, ProductData] | None = None,
) -> list[Route]:
    """Rank the paths by which ``origin``'s exports of ``product`` reach ``destination``.

    ``destination=None`` ranks paths to every destination. ``years``: ``'2019-2024'``, a
    pair or a range. ``break_date`` (``'2022-02'``) switches on the surge indicator.
    ``production``: known production per ISO3 (else the net-export proxy). ``data``:
    matrices already loaded with :func:`load_flows` (the validation reuses them).
    Routes come back best first; each carries its legs, nodes, indicators and record ids.
    """
    if max_hops < 1 or max_hops > 6:
        raise InvalidInput("max_hops must be between 1 and 6")
    if resamples < 0:
        raise InvalidInput("resamples must not be negative")
    eng = as_engine(engine)
    product = check_product(product)
    span = parse_years(years)
    brk = parse_break(break_date) if isinstance(break_date, str) else break_date
    o_code = territory_iso3(origin)
    d_code = territory_iso3(destination) if destination else None
    if data is None:
        data = load_flows(eng, product, span, cif_factor)
    elif span is not None:
        data = {k: _restrict(v, span) for k, v in data.items()}
    if not any(o_code in pd.index for pd in data.values()):
        raise NotFound(
            f"no trade flows for origin {o_code}" + (f", product {product}" if product else "")
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
                max_candidates=max_candidates,
                brk=brk,
                span=span,
                cif_factor=cif_factor,
            )
        )
    routes.sort(key=lambda r: (-r.score, -r.value_usd, r.path))
    return routes


def _restrict(pd: ProductData, span: tuple[int, int]) -> ProductData:
    keep = [y for y in pd.years if span[0] <= y <= span[1]]
    if keep == pd.years:
        return pd
    sub = ProductData(
        product=pd.product,
        years=keep,
        codes=pd.codes,
        x={y: pd.x[y] for y in keep},
        m={y: pd.m[y] for y in keep},
        m_raw={y: pd.m_raw[y] for y in keep},
        world_imports={y: pd.world_imports[y] for y in keep},
        rx={y: pd.rx[y] for y in keep},
        ids=pd.ids,
        rx_ids=pd.rx_ids,
        world_ids=pd.world_ids,
        monthly={
            c: {t: v for t, v in s.items() if span[0] <= int(t[:4]) <= span[1]}
            for c, s in pd.monthly.items()
        },
        monthly_ids=pd.monthly_ids,
        simulated=pd.simulated,
    )
    return sub


def _production_vector(pd: ProductData, production: dict[str, float] | None) -> FloatArray | None:
    if not production:
        return None
    vec = np.full(pd.n, np.nan)
    for code, value in production.items():
        i = pd.index.get(territory_iso3(code))
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
    max_candidates: int,
    brk: BreakDate | None,
    span: tuple[int, int] | None,
    cif_factor: float,
) -> list[Route]:
    prod_vec = _production_vector(pd, production)
    years = [y for y in pd.years if pd.point(y)[o].sum() > 0]
    if not years:
        return []
    chains = {y: pd.chain(y, prod_vec) for y in years}
    origin_exports = {y: float(pd.point(y)[o].sum()) for y in years}
    total_exports = sum(origin_exports.values())

    # 1. Candidate paths: any path above the threshold in any year.
    found: set[tuple[int, ...]] = set()
    for y in years:
        for pm in att.enumerate_paths(chains[y], o, d, max_hops, min_mass=min_share):
            found.add(pm.path)
    if not found:
        return []
    paths = sorted(found)

    # 2. Point masses per year, value in USD, share of the origin's exports over the span.
    values = np.zeros(len(paths))
    for y in years:
        ch = chains[y]
        start = att.start_vector(ch, o)
        mass = att.path_masses(ch.q[None], ch.absorb[None], start[None], paths)[0]
        values += mass * origin_exports[y]
    shares = values / total_exports

    # Fundamental-matrix totals per destination, and what the enumerated paths cover.
    chain_value = np.zeros(pd.n)
    for y in years:
        chain_value += att.absorption_shares(chains[y], o) * origin_exports[y]
    paths_value = np.zeros(pd.n)
    for p, v in zip(paths, values, strict=True):
        paths_value[p[-1]] += v

    order = np.argsort(-shares, kind="stable")[:max_candidates]
    paths = [paths[k] for k in order]
    values = values[order]
    shares = shares[order]

    # 3. Intervals: resample the mirror alternatives and the noise, year by year.
    low, high, vlow, vhigh = _intervals(pd, o, years, paths, resamples, rng, noise, prod_vec)
    if resamples == 0:
        low, high, vlow, vhigh = shares.copy(), shares.copy(), values.copy(), values.copy()

    # 4. Indicators.
    controls = _control_products(eng, pd, paths, span, cif_factor) if brk is not None else {}
    best = float(shares.max()) if len(shares) else 0.0
    routes: list[Route] = []
    for k, path in enumerate(paths):
        codes = [pd.codes[i] for i in path]
        legs = [_leg(pd, chains, path[t], path[t + 1], years) for t in range(len(path) - 1)]
        nodes = [_node(pd, chains, path, t, years) for t in range(len(path))]
        dest = path[-1]
        check = {
            "paths_share": float(paths_value[dest] / total_exports),
            "chain_share": float(chain_value[dest] / total_exports),
        }
        check["coverage"] = (
            check["paths_share"] / check["chain_share"] if check["chain_share"] > 0 else 1.0
        )
        indicators, score = _indicators(
            pd, path, legs, nodes, years, float(shares[k]), best, check, brk, controls
        )
        routes.append(
            Route(
                path=codes,
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
            flows = att.resample_flows(pd.x[y], pd.m[y], rng, s, noise)
            q, absorb, f = att.stacked_chains(flows, pd.world_imports[y], prod_vec)
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
        source=pd.codes[i],
        target=pd.codes[j],
        value_usd=value,
        exporter_reported_usd=float(sum(xs)) if xs else None,
        importer_reported_usd=float(sum(ms)) if ms else None,
        transition=weighted / value if value > 0 else 0.0,
        record_ids=pd.cell_ids(i, j, years),
    )


def _node(
    pd: ProductData, chains: dict[int, att.Chain], path: tuple[int, ...], t: int, years: list[int]
) -> Node:
    i = path[t]
    role = "origin" if t == 0 else "destination" if t == len(path) - 1 else "intermediary"
    imports = sum(float(chains[y].imports[i]) for y in years)
    exports = sum(float(chains[y].exports[i]) for y in years)
    supply = sum(float(chains[y].supply[i]) for y in years)
    kept = sum(float(chains[y].supply[i] * chains[y].absorb[i]) for y in years)
    ids: list[str] = []
    for y in years:
        ids.extend(pd.world_ids.get((y, i), ()))
        for j in range(pd.n):
            ids.extend(pd.ids.get((y, j, i), ()))
            ids.extend(pd.ids.get((y, i, j), ()))
    return Node(
        territory=pd.codes[i],
        role=role,
        imports_usd=imports,
        exports_usd=exports,
        supply_usd=supply,
        absorption=kept / supply if supply > 0 else 1.0,
        record_ids=ids,
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
) -> tuple[list[Indicator], float]:
    leg_ids = [rid for g in legs for rid in g.record_ids]
    world = [rid for y in years for i in path for rid in pd.world_ids.get((y, i), ())]
    inds = [
        Indicator(
            name="attribution",
            value=share / best if best > 0 else 0.0,
            weight=WEIGHTS["attribution"],
            evidence=sorted(set(leg_ids) | set(world)),
            detail=(
                f"{share:.4%} of {pd.codes[path[0]]}'s exports of {pd.product} end in "
                f"{pd.codes[path[-1]]} along this path (all paths: {check['paths_share']:.4%}, "
                f"chain total (I-Q)^-1 R: {check['chain_share']:.4%}); value relative to the "
                f"best route of the query; supply rows per node in nodes[].record_ids"
            ),
        ),
        _co_movement(pd, path, years),
        _surge(pd, path, years, brk, controls),
        _reported_reexport(pd, path, years),
    ]
    return inds, weighted_score(inds)


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
            parts.append(f"{pd.codes[m]}: too few {unit}s with trade")
            rs.append(0.0)
            continue
        r, lag, n = res
        rs.append(r)
        parts.append(f"{pd.codes[m]}: r={r:+.2f} at lag {lag} {unit}(s) over {n} pairs")
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
    label = f"{pd.codes[i]}->{pd.codes[j]} vs {len(dests)} destinations, {len(prods)} products"
    return res, ids, label


def _surge(
    pd: ProductData,
    path: tuple[int, ...],
    years: list[int],
    brk: BreakDate | None,
    controls: dict[tuple[int, int], list[_Cell]],
) -> Indicator:
    if brk is None:
        return Indicator("surge", 0.0, 0.0, [], "no break date given (--break)")
    worst: tuple[float, DiD, str] | None = None
    parts: list[str] = []
    ids: list[str] = []
    for t in range(len(path) - 1):
        res, leg_ids, label = _leg_did(pd, path[t], path[t + 1], years, brk, controls)
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
            parts.append(f"{pd.codes[m]} reports no re-exports of {pd.product}")
            continue
        rx = sum(float(np.nan_to_num(pd.rx[y][m, b])) for y in years)
        x = sum(float(pd.point(y)[m, b]) for y in years)
        ratio = min(1.0, rx / x) if x > 0 else 0.0
        ratios.append(ratio)
        parts.append(
            f"{pd.codes[m]}->{pd.codes[b]}: re-exports {rx:,.0f} USD = {ratio:.1%} of exports"
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
    paths: list[tuple[int, ...]],
    span: tuple[int, int] | None,
    cif_factor: float,
) -> dict[tuple[int, int], list[_Cell]]:
    """Each leg's trade in other products of the same code length (largest first)."""
    pairs = sorted({(p[t], p[t + 1]) for p in paths for t in range(len(p) - 1)})
    if not pairs:
        return {}
    legs = pa.table(
        {
            "src": [pd.codes[i] for i, _ in pairs],
            "dst": [pd.codes[j] for _, j in pairs],
        }
    )
    eng.register("_route_legs", legs)
    years = f"AND year BETWEEN {span[0]} AND {span[1]}" if span is not None else ""
    table = eng.sql(
        f"""
WITH base AS (
  SELECT record_id, flow, year, hs_code, value_usd,
         CASE WHEN flow = 'X' THEN coalesce(reporter_iso3, upper(reporter))
              ELSE coalesce(partner_iso3, upper(partner)) END AS src,
         CASE WHEN flow = 'X' THEN coalesce(partner_iso3, upper(partner))
              ELSE coalesce(reporter_iso3, upper(reporter)) END AS dst,
         CASE WHEN length(period) = 4 THEN 1 ELSE 0 END AS annual
  FROM trade_flows
  WHERE flow IN ('X', 'M') AND value_usd IS NOT NULL AND NOT partner_is_world
    AND length(hs_code) = {len(pd.product)} AND hs_code <> '{pd.product}' {years}
), legs AS (
  SELECT b.* FROM base b JOIN _route_legs l ON b.src = l.src AND b.dst = l.dst
), pick AS (
  SELECT *, max(annual) OVER (PARTITION BY src, dst, flow, year, hs_code) AS has_annual FROM legs
)
SELECT src, dst, hs_code, year, flow, sum(value_usd) AS value, array_agg(record_id) AS ids
FROM pick WHERE annual = 1 OR has_annual = 0
GROUP BY src, dst, hs_code, year, flow
"""
    )
    cells: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in table.to_pylist():
        key = (row["src"], row["dst"], row["hs_code"])
        cell = cells.setdefault(key, {"x": defaultdict(float), "m": defaultdict(float), "ids": []})
        v = float(row["value"])
        if row["flow"] == "X":
            cell["x"][int(row["year"])] += v
        else:
            cell["m"][int(row["year"])] += v / cif_factor
        cell["ids"].extend(row["ids"])
    out: dict[tuple[int, int], list[_Cell]] = defaultdict(list)
    for (src, dst, hs), cell in cells.items():
        x, m = cell["x"], cell["m"]
        values = {
            y: (x[y] + m[y]) / 2 if y in x and y in m else x.get(y, m.get(y, 0.0))
            for y in set(x) | set(m)
        }
        out[(pd.index[src], pd.index[dst])].append(_Cell(hs, values, [str(s) for s in cell["ids"]]))
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
