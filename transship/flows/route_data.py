"""What routes read: one product's bilateral flows as dense matrices per year, with evidence.

:func:`load_flows` reads a product filter's flows once and hands ``transship.flows.routes``
(and the validation harness) a :class:`ProductData` per product label: per year a square
matrix of directed flow values over every territory in scope, the two mirror reports behind
each cell, what each territory reports importing from World (the chain's supply floor),
reported re-exports (flow RX), and the ``trade_flows`` record ids behind every cell.

Every relation is built from ``transship.flows.chains``' scope (layer 1: the rows an
analysis may use, one HS level and one period kind per reporter, flow and year, the product
filter applied in the first scan) and its territory map; nothing here re-states those rules.
World rows, which the bilateral scope leaves out on purpose, are read through the same scope
over a relation that presents each reporter's World row as one more partner
(:func:`world_imports_sql`), so the level and period choice is the scope's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from transship.exc import InvalidInput
from transship.flows import attribution as att
from transship.flows import chains
from transship.flows.chains import CIF_FACTOR, Years
from transship.flows.engine import DuckDBEngine, Engine, temp_name
from transship.store import Store

FloatArray = npt.NDArray[np.float64]

#: Columns of ``trade_flows`` that :func:`chains.scope_sql` reads (a relation handed to it
#: as ``source`` must provide them).
SCOPE_COLUMNS = (
    "record_id",
    "reporter",
    "partner",
    "reporter_iso3",
    "partner_iso3",
    "flow",
    "year",
    "period",
    "value_usd",
    "qty",
    "qty_unit",
    "net_weight_kg",
    "simulated",
    "value_basis",
    "hs_code",
    "dataset",
    "partner_is_world",
    "partner_is_area",
)
#: Partner code given to World rows so that the bilateral scope keeps them (never a
#: territory code: codes are lower-case letters, digits and '-').
WORLD_PARTNER = "~world"


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


# -- the data ------------------------------------------------------------------------------
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

    def restrict(self, span: Years) -> ProductData:
        """The same data over the years of ``span`` only (self when nothing is cut)."""
        keep = [y for y in self.years if span[0] <= y <= span[1]]
        if keep == self.years:
            return self
        return ProductData(
            product=self.product,
            years=keep,
            codes=self.codes,
            labels=self.labels,
            x={y: self.x[y] for y in keep},
            m={y: self.m[y] for y in keep},
            m_raw={y: self.m_raw[y] for y in keep},
            r={y: self.r[y] for y in keep},
            value={y: self.value[y] for y in keep},
            world_imports={y: self.world_imports[y] for y in keep},
            rx={y: self.rx[y] for y in keep},
            ids=self.ids,
            rx_ids=self.rx_ids,
            world_ids=self.world_ids,
            simulated=self.simulated,
        )

    def production_vector(self, production: dict[str, float] | None) -> FloatArray | None:
        """Known production per territory (user codes or names) as a vector, NaN = unknown."""
        if not production:
            return None
        vec = np.full(self.n, np.nan)
        for code, value in production.items():
            i = self.index.get(territory_code(code))
            if i is not None:
                vec[i] = float(value)
        return vec


# -- SQL, composed from chains' scope --------------------------------------------------------
def _columns(overrides: dict[str, str]) -> str:
    return ", ".join(f"{overrides[c]} AS {c}" if c in overrides else c for c in SCOPE_COLUMNS)


def world_imports_sql(product: str | None, years: Years | None, dataset: str | None) -> str:
    """Each reporter's imports from World per product and year (``reporter, product, year,
    value, ids``), with the scope's level and period choice: the World rows are presented
    to :func:`chains.scope_sql` as one more partner, so a chapter total and its headings
    never add up here either."""
    source = (
        f"(SELECT {_columns({'partner': repr(WORLD_PARTNER), 'partner_is_world': 'false'})} "
        "FROM trade_flows WHERE partner_is_world AND flow = 'M') w"
    )
    scope = chains.scope_sql(product, years, dataset, flows=("M",), source=source)
    return (
        "SELECT reporter, product, year, sum(value_usd) AS value, "
        f"list_sort(array_agg(record_id)) AS ids FROM ({scope}) s GROUP BY reporter, product, year"
    )


def reexports_sql(product: str | None, years: Years | None, dataset: str | None) -> str:
    """Reported re-exports (flow RX) per reporter, partner, product and year."""
    scope = chains.scope_sql(product, years, dataset, flows=("RX",))
    return (
        "SELECT reporter, partner, product, year, sum(value_usd) AS value, "
        f"list_sort(array_agg(record_id)) AS ids FROM ({scope}) s "
        "GROUP BY reporter, partner, product, year"
    )


def monthly_sql(product: str | None, years: Years | None, dataset: str | None, legs: str) -> str:
    """Monthly values of the cells in relation ``legs`` (``src, dst``): the scope's rows
    of monthly periods (its bilateral filters), one HS level per reporter, flow and month,
    with the period read back from ``trade_flows`` by record id (the scope keeps no
    period column)."""
    source = "(SELECT * FROM trade_flows WHERE length(period) > 4) mo"
    scope = chains.scope_sql(product, years, dataset, source=source, dedup=False)
    return f"""
WITH base AS (
  SELECT s.record_id, s.flow, t.period, s.value_usd, s.reporter, s.level_key,
         CASE WHEN s.flow = 'X' THEN s.reporter ELSE s.partner END AS src,
         CASE WHEN s.flow = 'X' THEN s.partner ELSE s.reporter END AS dst
  FROM ({scope}) s JOIN trade_flows t ON t.record_id = s.record_id
), cells AS (
  SELECT b.*, min(b.level_key) OVER (PARTITION BY b.reporter, b.flow, b.period) AS lvl_min
  FROM base b JOIN {legs} l ON b.src = l.src AND b.dst = l.dst
)
SELECT src, dst, flow, period, sum(value_usd) AS value, list_sort(array_agg(record_id)) AS ids
FROM cells WHERE level_key = lvl_min GROUP BY src, dst, flow, period
"""


# -- loading -------------------------------------------------------------------------------
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
    world = eng.sql(world_imports_sql(prod, span, ds))
    rx = eng.sql(reexports_sql(prod, span, ds))
    terr = eng.sql(chains.territory_map_sql(span, ds)).to_pydict()
    labels = {
        str(code): str(iso) if iso else str(code).upper()
        for code, iso in zip(terr["code"], terr["iso3"], strict=True)
    }
    return _to_matrices(pairs, world, rx, labels)


def _nan_matrices(years: list[int], n: int) -> dict[int, FloatArray]:
    return {y: np.full((n, n), np.nan) for y in years}


def _to_matrices(
    pairs: pa.Table, world: pa.Table, rx: pa.Table, labels: dict[str, str]
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
            simulated=any(bool(p["simulated"][k]) for k in ks),
        )
    return out


def load_monthly(
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
        t = eng.sql(monthly_sql(pd.product, span, dataset, legs))
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
