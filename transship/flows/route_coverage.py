"""Do route intervals mean what they say? Coverage of the stated level on known flows.

A route's interval claims that its true share and value lie inside it with probability
:data:`~transship.flows.route_intervals.INTERVAL_LEVEL` (90 %). Where the true flows are
known (a simulation keeps them for evaluation: ``transship.simulate.truth``), the claim can
be checked: the estimand of a route is the same chain's attribution computed on the true
flows (same paths, same years, same assumptions about production and absorption), and the
coverage is the share of routes whose true value falls inside the stated interval.

This module never reads the truth itself: the caller hands the true flows in (an Arrow table
``year, exporter_iso3, importer_iso3, hs6, value_usd``), so nothing a detector runs can reach
them. ``transship.flows.routes`` does not import it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from transship.flows import attribution as att
from transship.flows.route_data import ProductData
from transship.flows.route_intervals import BASELINE_NOISE
from transship.flows.routes import Route, find_routes
from transship.store import Store
from transship.store.engine import Engine

FloatArray = npt.NDArray[np.float64]


@dataclass(slots=True)
class TrueWorld:
    """The true flows of one product label, dense per year over every territory in them."""

    product: str
    labels: list[str]
    flows: dict[int, FloatArray]
    index: dict[str, int] = field(default_factory=dict)
    _chains: dict[int, att.Chain] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.index = {c: i for i, c in enumerate(self.labels)}

    def chain(self, year: int, min_absorption: float = att.MIN_ABSORPTION) -> att.Chain | None:
        if year not in self.flows:
            return None
        if year not in self._chains:
            self._chains[year] = att.build_chain(
                self.flows[year], None, None, min_absorption=min_absorption
            )
        return self._chains[year]


def true_worlds(true_flows: pa.Table, products: Iterable[str]) -> dict[str, TrueWorld]:
    """One :class:`TrueWorld` per product label (an HS prefix or a full code: the true
    HS6 flows whose code starts with it are summed, as the routes' scope sums them)."""
    out: dict[str, TrueWorld] = {}
    hs6 = true_flows.column("hs6")
    for prod in sorted(set(products)):
        t = true_flows.filter(pc.starts_with(hs6, prod))
        exp = [str(v) for v in t.column("exporter_iso3").to_pylist()]
        imp = [str(v) for v in t.column("importer_iso3").to_pylist()]
        labels = sorted(set(exp) | set(imp))
        idx = {c: i for i, c in enumerate(labels)}
        n = len(labels)
        years = [int(y) for y in t.column("year").to_pylist()]
        values = t.column("value_usd").to_pylist()
        flows = {y: np.zeros((n, n)) for y in set(years)}
        for y, e, i, v in zip(years, exp, imp, values, strict=True):
            if e != i and v is not None:
                flows[y][idx[e], idx[i]] += float(v)
        out[prod] = TrueWorld(prod, labels, flows)
    return out


def true_route(route: Route, world: TrueWorld) -> tuple[float, float]:
    """(share, value in USD) of ``route``'s path on the true flows over the route's years:
    the chain's attribution with the true flows in place of the estimated ones."""
    if any(c not in world.index for c in route.path):
        return 0.0, 0.0
    path = tuple(world.index[c] for c in route.path)
    o = path[0]
    value = exports = 0.0
    for y in route.years:
        ch = world.chain(y)
        if ch is None:
            continue
        start = att.start_vector(ch, o)
        mass = att.path_masses(ch.q[None], ch.absorb[None], start[None], [path])[0, 0]
        value += float(mass) * float(ch.exports[o])
        exports += float(ch.exports[o])
    return (value / exports if exports > 0 else 0.0), value


@dataclass(slots=True)
class Coverage:
    """How many routes' true values the stated intervals hold, for one interval model."""

    model: str
    routes: int
    value_inside: int
    share_inside: int
    below: int  # true value below the interval
    above: int
    median_width: float  # median of value_high / value_low (log width)
    by_hops: dict[int, tuple[int, int]] = field(default_factory=dict)  # legs -> (inside, n)

    @property
    def value_coverage(self) -> float:
        return self.value_inside / self.routes if self.routes else float("nan")

    @property
    def share_coverage(self) -> float:
        return self.share_inside / self.routes if self.routes else float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "routes": self.routes,
            "value_coverage": round(self.value_coverage, 4),
            "share_coverage": round(self.share_coverage, 4),
            "below": self.below,
            "above": self.above,
            "median_width": round(self.median_width, 3),
            "by_hops": {str(k): list(v) for k, v in sorted(self.by_hops.items())},
        }


def coverage(model: str, routes: Sequence[Route], true_flows: pa.Table) -> Coverage:
    """Share of ``routes`` whose true value (and true share) lies in the stated interval."""
    worlds = true_worlds(true_flows, {r.product for r in routes})
    inside = share_in = below = above = 0
    widths: list[float] = []
    hops: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for r in routes:
        share, value = true_route(r, worlds[r.product])
        ok = r.value_low <= value <= r.value_high
        inside += ok
        share_in += r.low <= share <= r.high
        below += value < r.value_low
        above += value > r.value_high
        if r.value_low > 0:
            widths.append(float(np.log(r.value_high / r.value_low)))
        h = hops[len(r.path) - 1]
        h[0] += ok
        h[1] += 1
    return Coverage(
        model=model,
        routes=len(routes),
        value_inside=inside,
        share_inside=share_in,
        below=below,
        above=above,
        median_width=float(np.exp(np.median(widths))) if widths else float("nan"),
        by_hops={k: (v[0], v[1]) for k, v in hops.items()},
    )


def coverage_queries(
    data: dict[str, ProductData], origins_per_product: int, extra: Iterable[tuple[str, str]] = ()
) -> list[tuple[str, str]]:
    """(origin ISO3, product) queries: per product the ``origins_per_product`` largest
    exporters by estimated value (what a user would look at first), plus ``extra`` (e.g. the
    origins of planted routes) where the product is loaded."""
    out: set[tuple[str, str]] = set()
    for prod, pd in data.items():
        exports = sum((pd.point(y).sum(axis=1) for y in pd.years), np.zeros(pd.n))
        for i in np.argsort(-exports, kind="stable")[:origins_per_product].tolist():
            if exports[i] > 0:
                out.add((pd.labels[i], prod))
    out |= {(o, p) for o, p in extra if p in data and o in data[p].labels}
    return sorted(out)


def measure(
    engine: Engine | Store,
    true_flows: pa.Table,
    data: dict[str, ProductData],
    queries: Sequence[tuple[str, str]],
    limit: int = 10,
    resamples: int = 200,
    seed: int = 0,
    baseline_noise: float = BASELINE_NOISE,
) -> tuple[Coverage, Coverage]:
    """Coverage of the fitted model and of the baseline (the earlier fixed-sigma model) on
    the same routes: for each query the ``limit`` best routes from the origin to any
    destination (what ``transship routes --limit`` shows), each model's interval against
    the route's attribution on the true flows."""
    fitted: list[Route] = []
    baseline: list[Route] = []
    for origin, prod in queries:
        one = {prod: data[prod]}
        for noise, out in ((None, fitted), (baseline_noise, baseline)):
            found = find_routes(
                engine, origin, product=prod, data=one, resamples=resamples, seed=seed, noise=noise
            )
            out.extend(found[:limit])
    return coverage("fitted", fitted, true_flows), coverage("baseline", baseline, true_flows)
