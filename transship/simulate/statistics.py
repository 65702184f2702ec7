"""Trade statistics of the simulated world: background trade among many countries and
products, the case's own legs added on top, and how each side's statistics record them.

The true world is a set of flow components (year, exporter, importer, origin, HS6, FOB value,
weight, quantity). Background components come from a gravity model per product (exporter
and importer propensities, a persistent pair factor, year-to-year growth); the case adds one
component per leg of each consignment. Reporting then happens twice, independently:

* the exporter's statistics: reported with its coverage, after its lag, unless chapter 93 is
  withheld; value with its valuation error; partner sometimes misattributed; onward legs of
  foreign goods sometimes as re-exports (RX);
* the importer's: the same, plus the CIF/FOB margin, and foreign-origin goods attributed to
  the country of origin rather than the country they came from (Comtrade's rule for imports).

Nothing reconciled is written here: BACI-style values are derived by transship's own
reconciliation (``transship.flows.reconcile``) from the reported rows, as for real data. The
true flows (one FOB value per exporter, importer, HS6 and year) are returned beside the
reported rows for evaluation only (``transship.simulate.truth``). Everything is generated product by product from a generator seeded
with (seed, product index), so memory stays bounded and output is byte-identical per seed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from transship.simulate.case import Case
from transship.simulate.records import FlowParts
from transship.simulate.truth import TRUTH_FLOWS_SCHEMA
from transship.simulate.world import AREAS_NES, Reporting, Territories

#: Chapter 93 at HS6 (CONVENTIONS 4.5) and the neighbours an arms analyst also watches.
CH93 = (
    "930110",
    "930120",
    "930190",
    "930200",
    "930310",
    "930320",
    "930330",
    "930390",
    "930400",
    "930510",
    "930520",
    "930591",
    "930599",
    "930621",
    "930629",
    "930630",
    "930690",
    "930700",
)
NEIGHBOURS = (
    "360100",
    "360200",
    "360300",
    "360410",
    "360490",
    "360500",
    "360610",
    "360690",
    "871000",
    "880220",
    "880230",
    "880240",
    "880610",
    "880621",
    "880622",
    "880699",
    "890610",
    "901310",
)
#: Other HS6 products at --scale 1 (more at larger scales).
BASE_GENERIC = 30
#: Share of a valuation error drawn from the wide component (real mirror ratios have fat tails).
#: The wide component only ever lowers a report (``-|e|``): in the real Comtrade sample one side
#: is often a small fraction of the other (partial coverage, lines filed under another code,
#: confidential suppression), which either side's under-report explains, whereas a report many
#: times the true flow is a unit slip the simulator does not model. A symmetric tail had no
#: bound upwards and turned USD 1 bn flows into trillions. Upward errors come from the core
#: log-normal alone.
TAIL_SHARE = 0.3
TAIL_FACTOR = 8.0

QTY_UNITS = {"u": (5, "u"), "kg": (8, "kg")}

COMTRADE_SCHEMA = pa.schema(
    [
        ("typeCode", pa.string()),
        ("freqCode", pa.string()),
        ("refYear", pa.int32()),
        ("period", pa.string()),
        ("reporterCode", pa.int32()),
        ("reporterISO", pa.string()),
        ("flowCode", pa.string()),
        ("partnerCode", pa.int32()),
        ("partnerISO", pa.string()),
        ("partner2Code", pa.int32()),
        ("classificationCode", pa.string()),
        ("cmdCode", pa.string()),
        ("customsCode", pa.string()),
        ("motCode", pa.int32()),
        ("qtyUnitCode", pa.int32()),
        ("qtyUnitAbbr", pa.string()),
        ("qty", pa.float64()),
        ("netWgt", pa.float64()),
        ("cifvalue", pa.float64()),
        ("fobvalue", pa.float64()),
        ("primaryValue", pa.float64()),
    ]
)


def generic_codes(n: int) -> list[str]:
    """``n`` HS6-shaped codes outside chapters 36, 77, 93 (same list for every seed)."""
    if n <= 0:
        return []
    rng = np.random.default_rng(930_693)
    chapters = [c for c in range(1, 98) if c not in (36, 77, 93)]
    pool = [
        f"{c:02d}{h:02d}{s:02d}" for c in chapters for h in range(1, 41) for s in range(10, 100, 10)
    ]
    picks = rng.choice(len(pool), size=min(n, len(pool)), replace=False)
    return sorted(pool[int(i)] for i in picks)


@dataclass(frozen=True, slots=True)
class Plan:
    """What the background will hold: products, pairs per product-year, world totals."""

    products: list[str]
    pairs_per_product_year: float
    years: tuple[int, int]

    @property
    def expected_rows(self) -> int:
        n_years = self.years[1] - self.years[0] + 1
        return int(self.pairs_per_product_year * len(self.products) * n_years)


def plan(
    case: Case, terr: Territories, years: tuple[int, int], scale: float, extra_codes: set[str]
) -> Plan:
    base = case.background.get("flow_rows")
    target = (base.value if base else 40_000.0) * scale
    n_generic = max(0, int(round(BASE_GENERIC * scale)))
    codes = sorted(set(CH93) | set(NEIGHBOURS) | set(generic_codes(n_generic)) | extra_codes)
    # Density is set on the case's own years, so --years narrows without thickening a year.
    n_years = case.years[1] - case.years[0] + 1
    max_pairs = 0.6 * len(terr) * (len(terr) - 1)
    per = min(max_pairs, max(5.0, target / (len(codes) * n_years)))
    return Plan(codes, per, years)


@dataclass(slots=True)
class Components:
    year: np.ndarray
    exp: np.ndarray
    imp: np.ndarray
    origin: np.ndarray
    value: np.ndarray
    kg: np.ndarray
    qty: np.ndarray

    def __len__(self) -> int:
        return len(self.year)

    @staticmethod
    def concat(parts: list[Components]) -> Components:
        return Components(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in Components.__slots__)
        )


class StatisticsGenerator:
    """Background plus case flows, reported by each side, product by product."""

    def __init__(
        self,
        case: Case,
        terr: Territories,
        rep: Reporting,
        flows: FlowParts,
        years: tuple[int, int],
        scale: float,
        seed: int,
        units: dict[str, tuple[str, float]],
        population: FlowParts | None = None,
    ) -> None:
        self.case = case
        self.terr = terr
        self.rep = rep
        self.years = years
        self.seed = seed
        self.units = units  # hs -> (unit "u"/"kg", USD per unit) for case products
        self.case_flows = _group_case_flows(flows)
        self.population_flows = _group_case_flows(population or FlowParts())
        self.plan = plan(case, terr, years, scale, set(self.case_flows))
        bg = case.background
        self.ch93_world = bg["chapter93_world_usd"].value if "chapter93_world_usd" in bg else 15e9
        other = bg.get("other_product_world_usd")
        self.other_world = (other.low, other.high) if other else (2e8, 5e10)
        self.growth_sd = bg["growth_sd"].value if "growth_sd" in bg else 0.25
        self.pair_sd = bg["pair_sd"].value if "pair_sd" in bg else 1.2
        shares_rng = np.random.default_rng([seed, 17])
        ch93_share = shares_rng.dirichlet(np.full(len(CH93), 0.8))
        self.ch93_share = dict(zip(CH93, ch93_share, strict=True))
        n = len(terr)
        self.off_diag = ~np.eye(n, dtype=bool)
        # HS edition each territory reports in, per year, as indices into a small name table.
        names = sorted({ed for eds in rep.hs_edition for _, ed in eds} | {"H5"})
        self._edition_names = pa.array(names)
        self._edition_index = np.array(
            [
                [names.index(rep.edition(t, y)) for y in range(years[0], years[1] + 1)]
                for t in range(n)
            ],
            dtype=np.int64,
        )

    # -- background ----------------------------------------------------------------------
    def background(self, p: int, hs: str) -> tuple[Components, str]:
        """True flow components of one product (background plus the case's legs) and its unit."""
        rng = np.random.default_rng([self.seed, 1_000_003, p])
        terr = self.terr
        n = len(terr)
        y0, y1 = self.years
        n_years = y1 - y0 + 1
        exp_w = terr.gdp**0.8 * rng.lognormal(0.0, 1.3, n)
        imp_w = terr.gdp**0.7 * rng.lognormal(0.0, 0.8, n)
        g = np.outer(exp_w, imp_w) * rng.lognormal(0.0, self.pair_sd, (n, n))
        g = np.where(self.off_diag, g, 0.0)
        # Activity: P(active) grows with sqrt(weight), scaled so the expected count is the plan's.
        root = np.sqrt(g)
        target = self.plan.pairs_per_product_year / 0.9  # 10% of active pairs skip a year
        c = target / root.sum()
        for _ in range(30):
            prob = np.minimum(1.0, c * root)
            got = prob.sum()
            if got <= 0 or abs(got - target) / target < 0.01:
                break
            c *= target / got
        prob = np.minimum(1.0, c * root)
        active = rng.random((n, n)) < prob
        ei, ej = np.nonzero(active)
        gw = g[ei, ej]
        if hs in self.ch93_share:
            world = self.ch93_world * float(self.ch93_share[hs])
        else:
            lo, hi = self.other_world
            world = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
        base = world * gw / gw.sum() if gw.size else gw
        steps = rng.normal(0.0, self.growth_sd, (n_years, gw.size))
        level = np.exp(np.cumsum(steps, axis=0) - steps[0])
        present = rng.random((n_years, gw.size)) >= 0.1
        unit, usd_per_unit = self._unit(hs, rng)
        parts = []
        for k in range(n_years):
            m = present[k]
            v = base[m] * level[k, m]
            if unit == "kg":
                kg = v / usd_per_unit
                q = kg
            else:
                q = np.maximum(1.0, np.round(v / usd_per_unit))
                kg = q * rng.lognormal(np.log(5.0), 1.0) * np.ones_like(q)
            parts.append(
                Components(
                    np.full(v.size, y0 + k, np.int32),
                    ei[m].astype(np.int32),
                    ej[m].astype(np.int32),
                    ei[m].astype(np.int32),
                    v,
                    kg,
                    q,
                )
            )
        comps = Components.concat(parts) if parts else _empty()
        extra = self.case_flows.get(hs)
        if extra is not None:
            keep = (extra.year >= y0) & (extra.year <= y1)
            comps = Components.concat(
                [comps, Components(*(getattr(extra, f)[keep] for f in Components.__slots__))]
            )
        return comps, unit

    def _unit(self, hs: str, rng: np.random.Generator) -> tuple[str, float]:
        if hs in self.units:
            return self.units[hs]
        if rng.random() < 0.3:
            return "u", float(rng.lognormal(np.log(50.0), 1.5))
        return "kg", float(rng.lognormal(np.log(8.0), 1.2))

    # -- reporting -----------------------------------------------------------------------
    def report(self, p: int, hs: str, comps: Components, unit: str) -> tuple[pa.Table, pa.Table]:
        """Comtrade+ rows (both sides) and the true flows (for evaluation only) of one product."""
        rng = np.random.default_rng([self.seed, 2_000_003, p])
        ch93 = hs.startswith("93")
        last = self.years[1]
        sides = [self._side(rng, comps, side, ch93, last) for side in ("X", "M")]
        pop = self._population(hs)
        if pop is not None:
            # the request population's own stream: every draw above is the same with or
            # without it, so the case's and the background's reports do not move
            prng = np.random.default_rng([self.seed, 2_000_017, p])
            sides += [self._side(prng, pop, side, ch93, last) for side in ("X", "M")]
            comps = Components.concat([comps, pop])
        rows = pa.concat_tables(sides)
        agg = rows.group_by(["year", "reporter", "flow", "partner"], use_threads=False).aggregate(
            [
                ("value", "sum"),
                ("qty", "sum"),
                ("kg", "sum"),
                ("qty", "count"),
                ("kg", "count"),
                ("value", "count"),
            ]
        )
        agg = agg.sort_by(
            [
                ("year", "ascending"),
                ("reporter", "ascending"),
                ("flow", "ascending"),
                ("partner", "ascending"),
            ]
        )
        comtrade = self._comtrade_table(hs, agg, unit)
        return comtrade, self._truth_table(hs, comps)

    def _population(self, hs: str) -> Components | None:
        extra = self.population_flows.get(hs)
        if extra is None:
            return None
        y0, y1 = self.years
        keep = (extra.year >= y0) & (extra.year <= y1)
        if not keep.any():
            return None
        return Components(*(getattr(extra, f)[keep] for f in Components.__slots__))

    def _side(
        self, rng: np.random.Generator, comps: Components, side: str, ch93: bool, last: int
    ) -> pa.Table:
        """One side's reports of ``comps`` (exporter ``X`` or importer ``M``), drawn from
        ``rng`` in a fixed order."""
        rep = self.rep
        terr = self.terr
        n = len(comps)
        r = comps.exp if side == "X" else comps.imp
        u = rng.random((6, n))
        ok = (u[0] < rep.coverage[r]) & (comps.year <= last - rep.lag_years[r])
        if ch93:
            ok &= u[1] >= rep.suppress_ch93[r]
        err = rng.standard_normal(n) * rep.valuation_noise[r]
        err = np.where(u[2] < TAIL_SHARE, -np.abs(err) * TAIL_FACTOR, err)
        if side == "X":
            value = comps.value * np.exp(err)
            partner = comps.imp.copy()
            foreign = comps.origin != comps.exp
            flow = np.where(foreign & (u[3] < rep.reexport_share[r]), "RX", "X")
        else:
            value = comps.value * (1.0 + rep.cif_fob_margin[r]) * np.exp(err)
            foreign = comps.origin != comps.exp
            partner = np.where(foreign & (u[3] < rep.imports_by_origin[r]), comps.origin, comps.exp)
            flow = np.full(n, "M")
        mis = u[4] < rep.misattributed[r]
        if mis.any():
            other = rng.integers(0, len(terr), n)
            to_area = (u[5] < 0.5) | (other == r)
            partner = np.where(mis, np.where(to_area, -1, other), partner)
        qty_noise = np.exp(rng.normal(0.0, 0.05, (2, n)))
        missing = rng.random((2, n)) < rep.qty_missing[r]
        qty = np.where(missing[0], np.nan, comps.qty * qty_noise[0])
        kg = np.where(missing[1], np.nan, comps.kg * qty_noise[1])
        return pa.table(
            {
                "year": comps.year[ok],
                "reporter": r[ok].astype(np.int32),
                "flow": flow[ok],
                "partner": partner[ok].astype(np.int32),
                "value": value[ok],
                "qty": qty[ok],
                "kg": kg[ok],
            }
        )

    def _truth_table(self, hs: str, comps: Components) -> pa.Table:
        """True FOB value per year, exporter, importer of one product (every component,
        reported or not): the answer key of :mod:`transship.simulate.truth`."""
        truth = pa.table(
            {
                "year": comps.year,
                "exp": comps.exp.astype(np.int32),
                "imp": comps.imp.astype(np.int32),
                "value": comps.value,
            }
        )
        truth = truth.group_by(["year", "exp", "imp"], use_threads=False).aggregate(
            [("value", "sum")]
        )
        truth = truth.sort_by([("year", "ascending"), ("exp", "ascending"), ("imp", "ascending")])
        iso = pa.array(self.terr.iso3)
        return pa.table(
            {
                "year": truth["year"],
                "exporter_iso3": pc.take(iso, truth["exp"]),
                "importer_iso3": pc.take(iso, truth["imp"]),
                "hs6": pa.array([hs] * truth.num_rows, pa.string()),
                "value_usd": pc.round(truth["value_sum"], 2),
            },
            schema=TRUTH_FLOWS_SCHEMA,
        )

    def _comtrade_table(self, hs: str, agg: pa.Table, unit: str) -> pa.Table:
        terr = self.terr
        n = agg.num_rows
        codes = np.append(terr.comtrade, AREAS_NES).astype(np.int32)
        isos = terr.iso3 + ["_X"]
        reporter = agg["reporter"].to_numpy()
        partner = agg["partner"].to_numpy()
        partner = np.where(partner < 0, len(terr), partner)
        year = agg["year"].to_numpy()
        flow = agg["flow"]
        is_m = pc.equal(flow, "M").to_numpy(zero_copy_only=False)
        value = np.round(agg["value_sum"].to_numpy(), 2)
        n_rows = agg["value_count"].to_numpy()
        qty = np.where(
            agg["qty_count"].to_numpy() == n_rows, np.round(agg["qty_sum"].to_numpy(), 1), np.nan
        )
        kg = np.where(
            agg["kg_count"].to_numpy() == n_rows, np.round(agg["kg_sum"].to_numpy(), 1), np.nan
        )
        has_qty = ~np.isnan(qty)
        qcode, qabbr = QTY_UNITS[unit]
        editions = pc.take(
            self._edition_names, pa.array(self._edition_index[reporter, year - self.years[0]])
        )
        iso_arr = pa.array(isos)
        return pa.table(
            {
                "typeCode": pa.array(["C"] * n),
                "freqCode": pa.array(["A"] * n),
                "refYear": pa.array(year, pa.int32()),
                "period": pc.cast(pa.array(year, pa.int32()), pa.string()),
                "reporterCode": pa.array(codes[reporter]),
                "reporterISO": pc.take(iso_arr, pa.array(reporter)),
                "flowCode": flow,
                "partnerCode": pa.array(codes[partner]),
                "partnerISO": pc.take(iso_arr, pa.array(partner)),
                "partner2Code": pa.array(np.zeros(n, np.int32)),
                "classificationCode": editions,
                "cmdCode": pa.array([hs] * n, pa.string()),
                "customsCode": pa.array(["C00"] * n),
                "motCode": pa.array(np.zeros(n, np.int32)),
                "qtyUnitCode": pa.array(np.where(has_qty, qcode, -1).astype(np.int32)),
                "qtyUnitAbbr": pa.array(np.where(has_qty, qabbr, "N/A")),
                "qty": _nullable(qty),
                "netWgt": _nullable(kg),
                "cifvalue": _nullable(np.where(is_m, value, np.nan)),
                "fobvalue": _nullable(np.where(is_m, np.nan, value)),
                "primaryValue": pa.array(value, pa.float64()),
            },
            schema=COMTRADE_SCHEMA,
        )

    def products(self) -> Iterator[tuple[int, str]]:
        yield from enumerate(self.plan.products)


def _nullable(values: np.ndarray) -> pa.Array:
    """NaN -> null (an empty CSV cell), without pandas."""
    return pa.array(values, pa.float64(), mask=np.isnan(values))


def _empty() -> Components:
    z = np.zeros(0)
    zi = np.zeros(0, np.int32)
    return Components(zi, zi, zi, zi, z, z, z)


def _group_case_flows(flows: FlowParts) -> dict[str, Components]:
    out: dict[str, Components] = {}
    if not flows.year:
        return out
    hs = np.array(flows.hs)
    arrays = {
        "year": np.array(flows.year, np.int32),
        "exp": np.array(flows.exp, np.int32),
        "imp": np.array(flows.imp, np.int32),
        "origin": np.array(flows.origin, np.int32),
        "value": np.array(flows.value_usd),
        "kg": np.array(flows.weight_kg),
        "qty": np.array(flows.qty),
    }
    for code in sorted(set(flows.hs)):
        m = hs == code
        out[code] = Components(**{k: v[m] for k, v in arrays.items()})
    return out
