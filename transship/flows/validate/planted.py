"""Generated worlds with planted diversion routes: known truth for routes, at any noise.

:func:`planted_world` plants routes A -> M [-> M2] -> D that open at a break into seeded
background trade reported with CIF margins, gaps and noise; :func:`validate_planted` runs
``find_routes`` for every origin-product with a planted route and as many without, and
scores the indirect routes it returns (average precision, R-precision, precision and
recall above score thresholds), per noise level. Every row is SIMULATED and labelled so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from transship.flows.routes import Route, find_routes, load_flows
from transship.flows.validate.common import average_precision, mean, rounded
from transship.store import connect
from transship.store.engine import DuckDBEngine

#: Route scores at which the planted-route harness reports precision and recall.
THRESHOLDS = (0.6, 0.7, 0.8)
#: Log-normal reporting error (sigma) of the generated worlds.
NOISE_LEVELS = (0.05, 0.2, 0.5, 1.0)


@dataclass(frozen=True, slots=True)
class PlantedRoute:
    path: tuple[str, ...]  # ISO3, origin first
    product: str
    start_year: int
    value_usd: float

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["path"] = list(self.path)
        return d


#: Territories of the generated world (store code, ISO3): real codes so that territory
#: lookups work; the trade between them is invented.
WORLD = (
    ("rs", "SRB"), ("bg", "BGR"), ("cz", "CZE"), ("sk", "SVK"), ("pl", "POL"), ("ro", "ROU"),
    ("hu", "HUN"), ("ua", "UKR"), ("tr", "TUR"), ("de", "DEU"), ("us", "USA"), ("in", "IND"),
    ("ae", "ARE"), ("il", "ISR"), ("pk", "PAK"), ("ge", "GEO"), ("am", "ARM"), ("kz", "KAZ"),
    ("ru", "RUS"), ("by", "BLR"), ("sa", "SAU"), ("eg", "EGY"), ("ng", "NGA"), ("br", "BRA"),
)  # fmt: skip
PLANTED_PRODUCTS = ("930630", "930621", "930690", "930200", "930190", "930120")


def planted_world(
    seed: int = 0,
    noise: float = 0.1,
    routes: int = 6,
    years: tuple[int, int] = (2016, 2024),
    break_year: int = 2022,
    density: float = 0.35,
) -> tuple[pa.Table, list[PlantedRoute]]:
    """Seeded background trade with planted diversion routes, as ``trade_flows`` rows.

    Background: each territory pair trades each product with probability ``density`` at a
    gravity-like level (sizes log-normal) that drifts yearly. Planted: from ``break_year``
    an origin ships a product to an intermediary, which passes 70-100 % of it on to a
    destination the same year (two-hop) or through a second intermediary (three-hop); the
    planted value is 0.5-2 times the origin's largest background flow of that product and
    adds to whatever background trade the legs already carry. Routes of one product never
    share a territory, so that every flagged path is unambiguously right or wrong.
    Reporting: exporter (FOB) and importer (CIF, x1.05) each report 90 % of flows, with
    log-normal error ``noise``; reporters send World totals of their imports. Every row is
    labelled simulated (``simulated = true``, dataset ``simulated-planted``).
    """
    rng = np.random.default_rng(seed)
    terr = list(WORLD)
    n = len(terr)
    yrs = list(range(years[0], years[1] + 1))
    size = rng.lognormal(0, 1.0, n)
    base: dict[tuple[int, int, str], float] = {}
    for p in PLANTED_PRODUCTS:
        for i in range(n):
            for j in range(n):
                if i != j and rng.random() < density:
                    base[(i, j, p)] = 2e6 * size[i] * size[j] * float(rng.lognormal(0, 0.8))
    true_flow: dict[tuple[int, int, str, int], float] = {}
    for (i, j, p), v in base.items():
        level = v
        for y in yrs:
            level *= float(rng.lognormal(0.02, 0.15))
            true_flow[(i, j, p, y)] = level
    planted: list[PlantedRoute] = []
    used: dict[str, set[int]] = {p: set() for p in PLANTED_PRODUCTS}
    while len(planted) < routes:
        p = PLANTED_PRODUCTS[int(rng.integers(len(PLANTED_PRODUCTS)))]
        hops = 3 if rng.random() < 0.3 else 2
        nodes = [int(v) for v in rng.choice(n, size=hops + 1, replace=False)]
        if used[p] & set(nodes):
            continue  # routes of one product never share a territory (clean truth)
        used[p] |= set(nodes)
        biggest = max(
            (v for (i, _j, q), v in base.items() if i == nodes[0] and q == p), default=2e6
        )
        value = biggest * float(rng.uniform(0.5, 2.0))
        for y in yrs:
            if y < break_year:
                continue
            v = value * float(rng.lognormal(0, 0.1))
            for t in range(hops):
                key = (nodes[t], nodes[t + 1], p, y)
                true_flow[key] = true_flow.get(key, 0.0) + v
                v *= float(rng.uniform(0.7, 1.0)) if t < hops - 1 else 1.0
        planted.append(PlantedRoute(tuple(terr[k][1] for k in nodes), p, break_year, value))
    rows: dict[str, list[Any]] = {c: [] for c in _ROW_COLUMNS}
    line = 1

    def add(rep: int, par: int | None, flow: str, p: str, y: int, value: float) -> None:
        nonlocal line
        line += 1
        rows["record_id"].append(f"simplanted{seed:06d}:{line}")
        rows["line"].append(line)
        rows["reporter"].append(terr[rep][0])
        rows["reporter_iso3"].append(terr[rep][1])
        rows["partner"].append("world" if par is None else terr[par][0])
        rows["partner_iso3"].append("WLD" if par is None else terr[par][1])
        rows["partner_is_world"].append(par is None)
        rows["flow"].append(flow)
        rows["year"].append(y)
        rows["hs_code"].append(p)
        rows["value_usd"].append(value)

    imports_total: dict[tuple[int, str, int], float] = {}
    for (i, j, p, y), v in sorted(true_flow.items()):
        if rng.random() < 0.9:
            add(i, j, "X", p, y, v * float(rng.lognormal(0, noise)))
        if rng.random() < 0.9:
            mv = v * 1.05 * float(rng.lognormal(0, noise))
            add(j, i, "M", p, y, mv)
            imports_total[(j, p, y)] = imports_total.get((j, p, y), 0.0) + mv
    for (j, p, y), v in sorted(imports_total.items()):
        add(j, None, "M", p, y, v)
    m = len(rows["record_id"])
    table = pa.table(
        {
            **{k: v for k, v in rows.items()},
            "dataset": ["simulated-planted"] * m,
            "source_sha256": ["0" * 64] * m,
            "run_id": [1] * m,
            "simulated": [True] * m,
            "partner_is_area": [False] * m,
            "period": [str(y) for y in rows["year"]],
            "classification": ["H5"] * m,
        }
    )
    return table, planted


_ROW_COLUMNS = (
    "record_id", "line", "reporter", "reporter_iso3", "partner", "partner_iso3",
    "partner_is_world", "flow", "year", "hs_code", "value_usd",
)  # fmt: skip


def score_routes(
    flagged: Iterable[Route], planted: Iterable[PlantedRoute]
) -> dict[str, float | int | None]:
    """Precision and recall of flagged routes against planted ones (same path and product)."""
    truth = {(tuple(p.path), p.product) for p in planted}
    found = {(tuple(r.path), r.product) for r in flagged}
    hits = len(found & truth)
    return {
        "flagged": len(found),
        "planted": len(truth),
        "hits": hits,
        "precision": hits / len(found) if found else None,
        "recall": hits / len(truth) if truth else None,
    }


def validate_planted(
    noise_levels: Sequence[float] = NOISE_LEVELS,
    seeds: Sequence[int] = (0, 1, 2),
    routes: int = 6,
    thresholds: Sequence[float] = THRESHOLDS,
    max_hops: int = 3,
    break_date: str = "2022-02",
) -> dict[str, Any]:
    """Precision and recall of planted routes per noise level (simulated data, so labelled).

    Per world, ``find_routes`` runs for every origin-product with a planted route and for
    as many origin-products without one; the indirect routes it returns (two legs or more)
    are pooled and ranked by score. Reported per noise level over ``seeds`` worlds:
    average precision of that ranking, R-precision (precision among the top R routes of
    each world, R = routes planted; equal to recall there), and precision and recall of
    the routes scoring at least each threshold. Scores do not depend on the resampled
    intervals, so none are drawn here.
    """
    levels: list[dict[str, Any]] = []
    for noise in noise_levels:
        planted_n = 0
        r_hits = 0
        aps: list[float | None] = []
        at: dict[float, list[int]] = {t: [0, 0] for t in thresholds}  # flagged, hits
        for seed in seeds:
            ranked, n_true = _planted_ranking(seed, noise, routes, max_hops, break_date)
            planted_n += n_true
            aps.append(average_precision(ranked, n_true))
            ranked.sort(key=lambda t: -t[0])
            r_hits += sum(ok for _, ok in ranked[:n_true])
            for t in thresholds:
                flagged = [ok for score, ok in ranked if score >= t]
                at[t][0] += len(flagged)
                at[t][1] += sum(flagged)
        levels.append(
            {
                "noise": noise,
                "worlds": len(seeds),
                "planted": planted_n,
                "average_precision": rounded(mean(aps)),
                "r_precision": rounded(r_hits / planted_n if planted_n else None),
                "thresholds": [
                    {
                        "score_at_least": t,
                        "flagged": fl,
                        "hits": hits,
                        "precision": rounded(hits / fl if fl else None),
                        "recall": rounded(hits / planted_n if planted_n else None),
                    }
                    for t, (fl, hits) in at.items()
                ],
            }
        )
    return {
        "simulated": True,
        "generator": "transship.flows.validate.planted.planted_world",
        "routes_per_world": routes,
        "max_hops": max_hops,
        "break": break_date,
        "levels": levels,
    }


def _planted_ranking(
    seed: int, noise: float, routes: int, max_hops: int, break_date: str
) -> tuple[list[tuple[float, bool]], int]:
    """(score, is planted) for every indirect route found in one generated world."""
    table, planted = planted_world(seed=seed, noise=noise, routes=routes)
    truth = {(p.path, p.product) for p in planted}
    store = connect(":memory:")
    try:
        store.append("trade_flows", table)
        engine = DuckDBEngine(store)
        data = load_flows(engine)
        queries = {(p.path[0], p.product) for p in planted}
        others = sorted(
            (iso, prod)
            for _code, iso in WORLD
            for prod in PLANTED_PRODUCTS
            if (iso, prod) not in queries
        )
        rng = np.random.default_rng(10_000 + seed)
        picks = rng.choice(len(others), size=min(len(queries), len(others)), replace=False)
        queries |= {others[int(k)] for k in picks}
        ranked: list[tuple[float, bool]] = []
        for origin, prod in sorted(queries):
            found = find_routes(
                engine,
                origin,
                product=prod,
                break_date=break_date,
                max_hops=max_hops,
                resamples=0,
                data={prod: data[prod]},
            )
            ranked.extend(
                (r.score, (tuple(r.path), r.product) in truth) for r in found if len(r.path) >= 3
            )
    finally:
        store.close()
    return ranked, len(truth)
