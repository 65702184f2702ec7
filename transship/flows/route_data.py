"""What routes read: one product's bilateral flows as dense matrices per year, with evidence.

:func:`load_flows` reads a product filter's flows once and hands ``transship.flows.routes``
(and the validation harness) a :class:`ProductData` per product label: per year a square
matrix of reconciled flow values (``transship.flows.reconcile``) over every territory in
scope, the two reports behind each cell with their weights and dispersions, what each
territory reports importing from World (the chain's supply floor), reported re-exports
(flow RX), and the ``trade_flows`` record ids behind every cell. It also fits, per product,
the reporting-error model, the pair prior and the presence rates that route intervals draw
from (``transship.flows.route_errors``). The SQL beside the reconciled pairs is
``transship.flows.route_sql``, composed from ``transship.flows.chains``' scope.
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from transship.exc import InvalidInput
from transship.flows import attribution as att
from transship.flows import chains
from transship.flows.chains import CIF_FACTOR, Years
from transship.flows.reconcile import DATASET as RECONCILED
from transship.flows.reconcile import reconcile_pairs
from transship.flows.route_cells import _Cell, _cells
from transship.flows.route_errors import (
    CERTAIN,
    NO_PRIOR,
    NORMAL,
    ErrorModel,
    Law,
    PairPrior,
    Presence,
    fit_direction,
    fit_error_model,
    fit_pair_prior,
    presence,
    report_law,
)
from transship.flows.route_sql import (
    monthly_sql,
    reconciled_rows_sql,
    reexports_sql,
    world_imports_sql,
)
from transship.store import Store
from transship.store.engine import DuckDBEngine, Engine, temp_name

FloatArray = npt.NDArray[np.float64]
Cells = tuple[npt.NDArray[np.intp], ...]


def log_reports(v: FloatArray) -> FloatArray:
    """The log of each report, NaN where there is none (NaN, zero or negative)."""
    return np.log(np.where(np.isfinite(v) & (v > 0), v, np.nan))


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
#: Where a cell's value came from, as stored in :attr:`ProductData.basis` (index) and shown
#: per leg (name): both reports weighted, one side alone, or a value reconciled elsewhere
#: (BACI, or an earlier ``transship reconcile`` run read with ``--dataset reconciled``).
BASIS = ("", "both", "exporter", "importer", "reconciled")
_BASIS_CODE = {name: k for k, name in enumerate(BASIS)}


@dataclass(slots=True)
class ProductData:
    """One product's bilateral flows, dense per year, with the record ids behind each cell.

    Territories are indexed by store code (``codes``; ``labels`` are the ISO3 codes shown).
    Per year, NaN where nothing exists: ``x[i, j]`` exporter i's report of exports to j
    (FOB); ``m_raw[i, j]`` importer j's report of imports from i (CIF) and ``m`` the same
    brought to FOB with the fitted CIF/FOB margin; ``value`` the reconciled FOB value
    (``transship.flows.reconcile.reconcile_pairs``: the two reports' inverse-variance
    weighted log mean, one side alone where the other is silent; 0 where no one reported);
    ``log_sd`` that value's standard deviation on the log scale (what route intervals
    resample); ``w_x`` the exporter's weight; ``basis`` an index into :data:`BASIS`.
    ``margin`` is the product's fitted CIF/FOB factor (imports from World are divided by
    it); ``dispersion`` says whether any cell has a fitted ``log_sd`` (no reported pair on
    both sides, e.g. BACI rows only: then there is no model to draw intervals from).
    """

    product: str
    years: list[int]
    codes: list[str]
    labels: list[str]
    x: dict[int, FloatArray]
    m: dict[int, FloatArray]
    m_raw: dict[int, FloatArray]
    value: dict[int, FloatArray]
    log_sd: dict[int, FloatArray]
    w_x: dict[int, FloatArray]
    basis: dict[int, npt.NDArray[np.int8]]
    margin: float
    world_imports: dict[int, FloatArray]
    rx: dict[int, FloatArray]
    ids: dict[tuple[int, int, int], list[str]]
    rx_ids: dict[tuple[int, int, int], list[str]]
    world_ids: dict[tuple[int, int], list[str]]
    simulated: bool
    dispersion: bool = True
    sigma_x: dict[int, FloatArray] = field(default_factory=dict)
    sigma_m: dict[int, FloatArray] = field(default_factory=dict)
    errors: ErrorModel = NORMAL
    prior: PairPrior = NO_PRIOR
    presence: Presence = CERTAIN
    monthly: dict[tuple[int, int], dict[str, float]] = field(default_factory=dict)
    monthly_ids: dict[tuple[int, int], list[str]] = field(default_factory=dict)
    index: dict[str, int] = field(default_factory=dict)
    _chains: dict[int, att.Chain] = field(default_factory=dict)
    _centres: dict[int, FloatArray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = {c: i for i, c in enumerate(self.codes)}

    @property
    def n(self) -> int:
        return len(self.codes)

    def point(self, year: int) -> FloatArray:
        """The point estimate of every flow in ``year`` (0 where none was reported)."""
        return self.value[year]

    def mirror_alternatives(self, year: int) -> tuple[FloatArray, FloatArray]:
        """The two reports per cell as the earlier interval model read them (the exporter's
        FOB figure; the importer's divided by the fixed ``chains.CIF_FACTOR``), a value
        reconciled elsewhere standing for both: the coverage baseline's inputs."""
        other = np.where(self.basis[year] == _BASIS_CODE["reconciled"], self.value[year], np.nan)
        x = np.where(np.isfinite(self.x[year]), self.x[year], other)
        m = np.where(np.isfinite(self.m_raw[year]), self.m_raw[year] / CIF_FACTOR, other)
        return x, m

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

        def cut(d: dict[int, Any]) -> dict[int, Any]:
            return {y: d[y] for y in keep}

        return ProductData(
            product=self.product,
            years=keep,
            codes=self.codes,
            labels=self.labels,
            x=cut(self.x),
            m=cut(self.m),
            m_raw=cut(self.m_raw),
            value=cut(self.value),
            log_sd=cut(self.log_sd),
            w_x=cut(self.w_x),
            basis=cut(self.basis),
            margin=self.margin,
            world_imports=cut(self.world_imports),
            rx=cut(self.rx),
            ids=self.ids,
            rx_ids=self.rx_ids,
            world_ids=self.world_ids,
            simulated=self.simulated,
            dispersion=self.dispersion,
            sigma_x=cut(self.sigma_x),
            sigma_m=cut(self.sigma_m),
            errors=self.errors,
            prior=self.prior,
            presence=self.presence,
        )

    def pair_centre(self, year: int) -> FloatArray:
        """Per cell, the median log of every report (exporter's and importer's, FOB; a value
        reconciled elsewhere counts as one) of the same pair in the other years of the scope, where it traded in at least two of them
        (NaN elsewhere): the centre of the pair prior (``route_errors.PairPrior``). Reports
        rather than reconciled values, so that one side's wild figure is outvoted by the
        rest instead of dragging every year's centre."""
        if year in self._centres:
            return self._centres[year]
        centre = np.full((self.n, self.n), np.nan)
        if (prior := self.prior_cells(year)) is not None:
            others, cells = prior
            elsewhere = _BASIS_CODE["reconciled"]
            reports = np.stack(
                [self.x[y][cells] for y in others]
                + [self.m[y][cells] for y in others]
                + [
                    np.where(self.basis[y][cells] == elsewhere, self.value[y][cells], np.nan)
                    for y in others
                ]
            )
            # every traded year has a report or a value reconciled elsewhere: no empty slice
            centre[cells] = np.nanmedian(log_reports(reports), axis=0)
        self._centres[year] = centre
        return centre

    def prior_cells(self, year: int) -> tuple[list[int], Cells] | None:
        """The other years and the cells whose pair traded (value > 0) in two or more of
        them: where the pair prior has a centre for ``year`` (:meth:`pair_centre`,
        ``route_intervals.usual_level``); None with fewer than two other years."""
        others = [y for y in self.years if y != year]
        if len(others) < 2:
            return None
        traded = np.stack([self.value[y] > 0 for y in others]).sum(axis=0) >= 2
        return others, np.nonzero(traded)

    def report_law(self, year: int) -> tuple[Cells, Law]:
        """The cells with a value in ``year`` and the law of their true log value given
        the reports alone (``route_errors.report_law``)."""
        cells = np.nonzero(self.value[year] > 0)
        law = report_law(
            self.basis[year][cells],
            self.value[year][cells],
            self.x[year][cells],
            self.m[year][cells],
            self.sigma_x[year][cells],
            self.sigma_m[year][cells],
            self.log_sd[year][cells],
            self.errors,
        )
        return cells, law

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


# -- loading -------------------------------------------------------------------------------
def load_flows(
    engine: Engine | Store,
    product: str | None = None,
    years: str | int | Sequence[int] | None = None,
    dataset: str | None = None,
) -> dict[str, ProductData]:
    """Read one product filter's flows into dense per-year matrices (per product label).

    Bilateral values are reconciled from the two sides' reports
    (:func:`transship.flows.reconcile.reconcile_pairs`: the importer's report fills the
    exporter's silence and the reverse, and where both report each counts by its fitted
    reliability). A cell no reporter gives, but a reconciled dataset does (BACI, a stored
    reconciliation read with ``dataset``), takes that value with basis ``reconciled``.
    Reported re-exports and each reporter's imports from World are read beside them with
    the same product, year and dataset filters, applied in the first scan.
    """
    eng = as_engine(engine)
    prod = chains.check_product(product)
    span = parse_years(years)
    ds = chains.check_dataset(dataset)
    reported = None if ds == RECONCILED else reconcile_pairs(eng, prod, span, ds)
    other = eng.sql(reconciled_rows_sql(prod, span, ds))
    world = eng.sql(world_imports_sql(prod, span, ds))
    rx = eng.sql(reexports_sql(prod, span, ds))
    terr = eng.sql(chains.territory_map_sql(span, ds)).to_pydict()
    labels = {
        str(code): str(iso) if iso else str(code).upper()
        for code, iso in zip(terr["code"], terr["iso3"], strict=True)
    }
    return _to_matrices(_cells(reported, other), world, rx, labels)


def _nan_matrices(years: list[int], n: int) -> dict[int, FloatArray]:
    return {y: np.full((n, n), np.nan) for y in years}


def _to_matrices(
    cells: list[_Cell], world: pa.Table, rx: pa.Table, labels: dict[str, str]
) -> dict[str, ProductData]:
    w = world.to_pydict()
    r = rx.to_pydict()
    by_product: dict[str, list[_Cell]] = defaultdict(list)
    for c in cells:
        by_product[c.product].append(c)
    out: dict[str, ProductData] = {}
    for prod, cs in sorted(by_product.items()):
        codes = sorted({c.exporter for c in cs} | {c.importer for c in cs})
        idx = {c: i for i, c in enumerate(codes)}
        n = len(codes)
        years = sorted({c.year for c in cs})
        x, m, m_raw = _nan_matrices(years, n), _nan_matrices(years, n), _nan_matrices(years, n)
        log_sd, w_x, rxm = _nan_matrices(years, n), _nan_matrices(years, n), _nan_matrices(years, n)
        sigma_x, sigma_m = _nan_matrices(years, n), _nan_matrices(years, n)
        value = {y: np.zeros((n, n)) for y in years}
        basis = {y: np.zeros((n, n), dtype=np.int8) for y in years}
        wi = {y: np.full(n, np.nan) for y in years}
        ids: dict[tuple[int, int, int], list[str]] = {}
        for c in cs:
            y, i, j = c.year, idx[c.exporter], idx[c.importer]
            x[y][i, j], m[y][i, j], m_raw[y][i, j] = c.x, c.m_fob, c.m_raw
            value[y][i, j] = max(c.value, 0.0) if math.isfinite(c.value) else 0.0
            log_sd[y][i, j], w_x[y][i, j] = c.log_sd, c.w_x
            sigma_x[y][i, j], sigma_m[y][i, j] = c.sigma_x, c.sigma_m
            basis[y][i, j] = _BASIS_CODE[c.basis]
            ids[(y, i, j)] = c.evidence
        margins = [c.margin for c in cs if math.isfinite(c.margin)]
        margin = float(np.median(margins)) if margins else CIF_FACTOR
        _fill_dispersion(log_sd, basis)
        both = [c for c in cs if c.basis == "both" and c.x > 0 and c.m_fob > 0]
        errors = fit_error_model(
            np.array([math.log(c.m_fob / c.x) for c in both]),
            np.array([c.sigma_x for c in both]),
            np.array([c.sigma_m for c in both]),
        )
        world_ids: dict[tuple[int, int], list[str]] = {}
        for k, wp in enumerate(w["product"]):
            code, y = str(w["reporter"][k]), int(w["year"][k])
            if str(wp) != prod or code not in idx or y not in wi:
                continue
            wi[y][idx[code]] = float(w["value"][k]) / margin
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
            value=value,
            log_sd=log_sd,
            w_x=w_x,
            basis=basis,
            margin=margin,
            world_imports=wi,
            rx=rxm,
            ids=ids,
            rx_ids=rx_ids,
            world_ids=world_ids,
            simulated=any(c.simulated for c in cs),
            dispersion=any(bool(np.isfinite(v).any()) for v in log_sd.values()),
            sigma_x=sigma_x,
            sigma_m=sigma_m,
            errors=errors,
        )
        # the tail's direction, from which side of each wide gap left its usual level
        out[prod].errors = fit_direction(errors, *side_levels(out[prod]))
        out[prod].prior = _fit_prior(out[prod])
        out[prod].presence = _presence(out[prod])
    return out


def side_levels(pd: ProductData) -> tuple[FloatArray, ...]:
    """For every cell both sides report, in every year: the gap ``ln m_fob - ln x``, the two
    sides' dispersions, and how far each side's report sits from its own usual level (the
    median of the same side's reports of the pair in the other years; NaN with fewer than
    two): the inputs of ``route_errors.fit_direction``."""
    logs = {
        side: np.stack([log_reports(v[y]) for y in pd.years])
        for side, v in (("x", pd.x), ("m", pd.m))
    }
    out: list[list[FloatArray]] = [[] for _ in range(5)]
    for t, y in enumerate(pd.years):
        cells = np.nonzero(
            (pd.basis[y] == 1) & np.isfinite(logs["x"][t]) & np.isfinite(logs["m"][t])
        )
        if not cells[0].size:
            continue
        moved = []
        for side in ("x", "m"):
            other = np.delete(logs[side][:, cells[0], cells[1]], t, axis=0)
            enough = np.isfinite(other).sum(axis=0) >= 2
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                usual = (
                    np.nanmedian(other, axis=0) if other.shape[0] else np.full(enough.shape, np.nan)
                )
            moved.append(np.where(enough, logs[side][t][cells] - usual, np.nan))
        out[0].append(logs["m"][t][cells] - logs["x"][t][cells])
        out[1].append(pd.sigma_x[y][cells])
        out[2].append(pd.sigma_m[y][cells])
        out[3].append(moved[0])
        out[4].append(moved[1])
    return tuple(np.concatenate(a) if a else np.zeros(0) for a in out)


def isolated(pd: ProductData, year: int) -> npt.NDArray[np.bool_]:
    """Cells with a value in ``year`` whose pair has none in any other year of the scope."""
    others = [pd.value[y] > 0 for y in pd.years if y != year]
    seen_else = np.any(np.stack(others), axis=0) if others else np.zeros((pd.n, pd.n), bool)
    return np.asarray((pd.value[year] > 0) & ~seen_else)


def _presence(pd: ProductData) -> Presence:
    regular = [0, 0, 0]
    alone = [0, 0, 0]
    years_of_regular = seen = 0
    for y in pd.years:
        b = pd.basis[y]
        iso = isolated(pd, y)
        for k in (1, 2, 3):
            regular[k - 1] += int(((b == k) & ~iso).sum())
            alone[k - 1] += int(((b == k) & iso).sum())
        has = np.isfinite(pd.pair_centre(y))
        years_of_regular += int(has.sum())
        seen += int((has & (pd.value[y] > 0)).sum())
    return presence(
        (regular[0], regular[1], regular[2]), (alone[0], alone[1], alone[2]), years_of_regular, seen
    )


def _fit_prior(pd: ProductData) -> PairPrior:
    """Fit the pair prior on the deviations of cells whose two reports agree (the reports'
    law puts at least half its weight on both being in their core)."""
    devs: list[FloatArray] = []
    for y in pd.years:
        cells, (logw, _, _) = pd.report_law(y)
        both = pd.basis[y][cells] == _BASIS_CODE["both"]
        if not both.any():
            continue
        w = np.exp(logw - logw.max(axis=1, keepdims=True))
        core = w[:, 0] / w.sum(axis=1)
        keep = both & (core >= 0.5)
        centre = pd.pair_centre(y)[cells]
        devs.append((np.log(pd.value[y][cells]) - centre)[keep])
    return fit_pair_prior(np.concatenate(devs) if devs else np.zeros(0))


def _fill_dispersion(log_sd: dict[int, FloatArray], basis: dict[int, npt.NDArray[np.int8]]) -> None:
    """A value reconciled elsewhere (BACI) has no dispersion of its own: it takes the median
    ``log_sd`` of the product's cells both sides reported (a value derived the same way),
    when there are any; otherwise it stays NaN and the product has no interval model."""
    both = np.concatenate(
        [
            v[(b == _BASIS_CODE["both"]) & np.isfinite(v)]
            for v, b in zip(log_sd.values(), basis.values(), strict=True)
        ]
    )
    if both.size == 0:
        return
    fill = float(np.median(both))
    for y, v in log_sd.items():
        v[(basis[y] == _BASIS_CODE["reconciled"]) & ~np.isfinite(v)] = fill


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
            ms[cell][row["period"]] = v / pd.margin
        pd.monthly_ids.setdefault(cell, []).extend(str(s) for s in row["ids"])
    for cell in set(xs) | set(ms):
        xc, mc = xs.get(cell, {}), ms.get(cell, {})
        pd.monthly[cell] = {t_: xc.get(t_, mc.get(t_, 0.0)) for t_ in set(xc) | set(mc)}
