"""Do route intervals mean what they say? Coverage of the stated level on known flows.

A route's interval claims that its true share and value lie inside it with probability
:data:`~transship.flows.route_intervals.INTERVAL_LEVEL` (90 %). Where the true flows are
known (a simulation keeps them for evaluation: ``transship.simulate.truth``), the claim can
be checked: the estimand of a route is the same chain's attribution computed on the true
flows (same paths, same years, same assumptions about production and absorption), and the
coverage is the share of routes whose true value falls inside the stated interval.

The scoring functions never read the truth themselves: the caller hands the true flows in
(an Arrow table ``year, exporter_iso3, importer_iso3, hs6, value_usd``), so nothing a
detector runs can reach them. ``transship.flows.routes`` does not import this module.
:func:`measure_case` is the harness of docs/validation.md ("Route intervals: coverage"): it
simulates a case, ingests only its Comtrade-style reports, reads the truth to score, and
gives one row of the table (``python -m transship.flows.route_coverage --seed 5 --noise low``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from transship.flows import attribution as att
from transship.flows.route_data import ProductData, load_flows
from transship.flows.route_intervals import BASELINE_NOISE
from transship.flows.routes import Route, find_routes

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


def measure_case(
    case: str | Path,
    work: str | Path,
    seed: int,
    noise: str,
    scale: float = 0.3,
    years: str = "2020-2024",
    every: int = 1,
    baseline: bool = True,
) -> dict[str, Any]:
    """Coverage over every ``every``-th product of ``case`` simulated in ``work`` (seed, noise
    level, scale, years): for each product its 3 largest exporters and the origins of the
    planted routes (:func:`coverage_queries`), the 10 best routes each, 200 draws, seed 0.
    Returns the fitted (and baseline) :class:`Coverage` as dicts, and the fitted value
    coverage by group: chapter 93, other products, planted-route queries."""
    from transship.ingest.pipeline import ingest_file
    from transship.simulate import run
    from transship.simulate.truth import read_true_flows
    from transship.store import connect
    from transship.store.engine import DuckDBEngine

    work = Path(work)
    sim = work / "sim"
    run(Path(case), sim, seed=seed, scale=scale, years=years, noise=noise)
    store = connect(work / "sim.duckdb")
    for f in sorted((sim / "data" / "comtrade").glob("*.csv")):
        ingest_file(store, f)
    eng = DuckDBEngine(store)
    truth = read_true_flows(sim)
    planted = {
        (r["path"][0], r["product"])
        for r in map(json.loads, (sim / "truth.jsonl").read_text().splitlines())
        if r.get("kind") == "route"
    }
    products = store.query("SELECT DISTINCT hs_code FROM trade_flows ORDER BY 1").column(0)
    models: dict[str, float | None] = {"fitted": None}
    if baseline:
        models["baseline"] = BASELINE_NOISE
    found: dict[str, list[Route]] = {m: [] for m in models}
    planted_routes: list[Route] = []
    for prod in products.to_pylist()[::every]:
        data = load_flows(eng, prod)
        for origin, p in coverage_queries(data, 3, planted):
            for name, noise_sigma in models.items():
                routes = find_routes(
                    eng,
                    origin,
                    product=p,
                    data={p: data[p]},
                    resamples=200,
                    seed=0,
                    noise=noise_sigma,
                )[:10]
                found[name].extend(routes)
                if name == "fitted" and (origin, p) in planted:
                    planted_routes.extend(routes)
    store.close()
    out: dict[str, Any] = {"seed": seed, "noise": noise, "scale": scale, "years": years}
    for name, routes in found.items():
        out[name] = coverage(name, routes, truth).to_dict()
    groups = {
        "chapter 93": [r for r in found["fitted"] if r.product.startswith("93")],
        "other products": [r for r in found["fitted"] if not r.product.startswith("93")],
        "planted-route queries": planted_routes,
    }
    out["groups"] = {g: coverage("fitted", rs, truth).to_dict() for g, rs in groups.items() if rs}
    return out


def main(argv: Sequence[str] | None = None) -> None:
    import argparse
    import tempfile

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", default="cases/serbia-2025")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--noise", default="medium", choices=("low", "medium", "high"))
    ap.add_argument("--every", type=int, default=1, help="every n-th product (1: all)")
    ap.add_argument("--no-baseline", action="store_true")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        out = measure_case(a.case, work, a.seed, a.noise, every=a.every, baseline=not a.no_baseline)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
