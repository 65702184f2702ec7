"""How well hubs and routes find what they should: measured, not asserted.

Four harnesses (docs/validation.md gives the figures and the commands):

1. :func:`validate_reexports` - real data. Comtrade's Re-Export rows (flow RX) are what a
   reporter says it passed on. They are withheld (copied out, never shown to the analysis);
   hubs and routes run on everything else; their output is compared with what was withheld:

   * territory level: Spearman rank correlation, over territory-product-years whose
     territory reports re-exports that year, between a hub measure and the reported
     re-export share - of exports (RX / X: how much of what M ships is someone else's
     goods) and of imports (RX / M: how much of what M receives it passes on). Rank
     correlation because the measures are scores, not calibrated shares, and the shares
     are heavy-tailed. Measures: the hub score (``hubs.hub_scores``, re-exports ignored),
     each of its indicators alone, total exports (the size baseline), and the routes'
     Markov chain (import share of supply for RX / X, export share of supply for RX / M:
     what the chain assumes passes through).
   * pair level: routes from every origin (``routes.transit_matrix``: the USD each path
     carries over each leg after the first, summed over origins) rank hub -> destination
     pairs of re-export reporters; precision at k = share of the top-k pairs that the hub
     reports re-exporting to (RX > 0), and overlap at k = share of the top-k that are among
     the k largest reported re-export pairs, each averaged over product-years and set
     against two baselines: the same at random, and ranking by the pair's exports alone.
     Spearman over all pairs as well.

2. :func:`validate_planted` - simulated data with known truth. A small generator
   (:func:`planted_world`) plants diversion routes A -> M [-> M2] -> D that open at a break
   into seeded background trade reported with CIF margins, gaps and noise; ``find_routes``
   runs for every origin-product with a planted route and as many without; precision and
   recall of the planted paths among the indirect routes ranked by score (average
   precision, R-precision, precision/recall above score thresholds), per noise level.
3. :func:`validate_simulated` - the same metrics on the output of ``transship simulate``
   (the case's planted schemes, ``truth.jsonl``), per statistics dataset.
4. :func:`validate_simulated_hubs` - hub scores against the intermediaries the case
   planted: precision, recall and F1 at the evaluation threshold, average precision of
   the ranking, beside ranking by total exports and at random.

``python -m transship.flows.validate --data ../shared/data/comtrade-hs2-oil-wood-sample``
reproduces the real-data figures; ``--planted`` the generated ones; ``--simulated DIR``
scores a simulation folder (routes, and hubs under ``simulated_hubs``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from scipy.stats import spearmanr

from transship.exc import NotFound as NotFoundError
from transship.flows.attribution import MIN_ABSORPTION
from transship.flows.engine import DuckDBEngine
from transship.flows.routes import Route, find_routes, load_flows, transit_matrix
from transship.store import Store, connect

FloatArray = npt.NDArray[np.float64]
#: Route scores at which the planted-route harness reports precision and recall.
THRESHOLDS = (0.6, 0.7, 0.8)
#: Log-normal reporting error (sigma) of the generated worlds.
NOISE_LEVELS = (0.05, 0.2, 0.5, 1.0)


# -- helpers -------------------------------------------------------------------------------
def _spearman(a: Sequence[float], b: Sequence[float]) -> float | None:
    if len(a) < 3 or np.std(a) == 0 or np.std(b) == 0:
        return None
    return float(spearmanr(a, b).statistic)


def _round(v: float | None, digits: int = 3) -> float | None:
    return None if v is None or not math.isfinite(v) else round(float(v), digits)


def _mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(vals)) if vals else None


def _open_source(source: Store | str | Path | Sequence[str | Path]) -> tuple[Store, bool]:
    """A store holding the data: the one given, or a temporary one the files are ingested
    into through the ordinary pipeline (readers sniff the format)."""
    if isinstance(source, Store):
        return source, False
    from transship.ingest.pipeline import ingest_paths

    paths = [source] if isinstance(source, str | Path) else list(source)
    folder = Path(tempfile.mkdtemp(prefix="transship-validate-"))
    store = connect(folder / "validate.duckdb")
    results = ingest_paths(store, paths)
    failed = [r for r in results if r.status == "failed"]
    if failed or not results:
        store.close()
        from transship.exc import InvalidInput

        reason = failed[0].message if failed else "no data files found"
        raise InvalidInput(f"cannot load validation data: {reason}")
    return store, True


def withhold(source: Store, flows: Sequence[str] = ("RX",)) -> Store:
    """An in-memory copy of ``trade_flows`` without the withheld flows."""
    keep = ", ".join(f"'{f}'" for f in flows)
    target = connect(":memory:")
    for batch in source.stream(f"SELECT * FROM trade_flows WHERE flow NOT IN ({keep})"):
        target.append("trade_flows", pa.Table.from_batches([batch]))
    return target


# -- real data: withheld re-exports ----------------------------------------------------------
@dataclass(slots=True)
class _Truth:
    rx_share_x: dict[tuple[str, str, int], float]  # (code, product, year) -> RX / X
    rx_share_m: dict[tuple[str, str, int], float]  # RX / M
    pairs: dict[tuple[str, str, str, int], float]  # (reporter, partner, product, year) -> RX
    reporters: set[tuple[str, int]]  # (code, year) reporting any re-exports
    product_reporters: set[tuple[str, str, int]]  # (code, product, year) reporting RX


def _truth(source: Store, dataset: str | None) -> _Truth:
    ds = f"AND dataset = '{dataset}'" if dataset else ""
    totals = source.query(
        f"""
SELECT reporter AS code, hs_code AS product, year,
  sum(CASE WHEN flow = 'RX' AND partner_is_world THEN value_usd END) AS rx_w,
  sum(CASE WHEN flow = 'RX' AND NOT partner_is_world AND NOT partner_is_area
      THEN value_usd END) AS rx_b,
  sum(CASE WHEN flow = 'X' AND partner_is_world THEN value_usd END) AS x_w,
  sum(CASE WHEN flow = 'M' AND partner_is_world THEN value_usd END) AS m_w
FROM trade_flows WHERE reporter IS NOT NULL AND length(period) = 4 {ds}
GROUP BY reporter, hs_code, year
"""
    ).to_pylist()
    share_x: dict[tuple[str, str, int], float] = {}
    share_m: dict[tuple[str, str, int], float] = {}
    reporters: set[tuple[str, int]] = set()
    product_reporters: set[tuple[str, str, int]] = set()
    for r in totals:
        rx = r["rx_w"] if r["rx_w"] is not None else r["rx_b"]
        if rx is not None:
            reporters.add((r["code"], int(r["year"])))
            product_reporters.add((r["code"], r["product"], int(r["year"])))
    for r in totals:
        key = (r["code"], r["product"], int(r["year"]))
        if (key[0], key[2]) not in reporters:
            continue
        rx = r["rx_w"] if r["rx_w"] is not None else (r["rx_b"] or 0.0)
        if r["x_w"]:
            share_x[key] = min(1.0, rx / r["x_w"])
        if r["m_w"]:
            share_m[key] = min(1.0, rx / r["m_w"])
    pair_rows = source.query(
        f"""
SELECT reporter, partner, hs_code AS product, year, sum(value_usd) AS rx
FROM trade_flows
WHERE flow = 'RX' AND NOT partner_is_world AND NOT partner_is_area AND reporter <> partner
  AND length(period) = 4 AND value_usd > 0 {ds}
GROUP BY reporter, partner, hs_code, year
"""
    ).to_pylist()
    pairs = {
        (r["reporter"], r["partner"], r["product"], int(r["year"])): float(r["rx"])
        for r in pair_rows
    }
    return _Truth(share_x, share_m, pairs, reporters, product_reporters)


def _rank_metrics(
    pred: FloatArray, truth: FloatArray, ks: Sequence[int]
) -> dict[str, float | None]:
    """precision@k (truth > 0), overlap@k (top-k of both), their random expectations."""
    out: dict[str, float | None] = {}
    n = len(pred)
    order = np.lexsort((np.arange(n), -pred))
    torder = np.lexsort((np.arange(n), -truth))
    positives = float((truth > 0).mean()) if n else 0.0
    for k in ks:
        kk = min(k, n)
        if kk == 0:
            continue
        top = order[:kk]
        out[f"precision@{k}"] = float((truth[top] > 0).mean())
        true_top = (
            set(torder[:kk].tolist())
            if (truth > 0).sum() >= kk
            else set(np.flatnonzero(truth > 0).tolist())
        )
        denom = max(1, min(kk, len(true_top)))
        out[f"overlap@{k}"] = len(set(top.tolist()) & true_top) / denom
        out[f"random_precision@{k}"] = positives
        out[f"random_overlap@{k}"] = min(1.0, denom / n) if n else None
    out["spearman"] = _spearman(list(pred), list(truth))
    return out


def validate_reexports(
    source: Store | str | Path | Sequence[str | Path],
    *,
    ks: Sequence[int] = (10, 25, 50),
    max_hops: int = 3,
    min_share: float = 1e-4,
    min_absorption: float = MIN_ABSORPTION,
    dataset: str | None = None,
) -> dict[str, Any]:
    """Withhold re-exports, run hubs and routes on the rest, compare with what was withheld.

    ``source``: a store, or files/folders to ingest (e.g. the Comtrade HS2 sample). Returns
    a JSON-ready dict: ``hubs`` (Spearman per measure and truth), ``pairs`` (precision and
    overlap at k, Spearman; routes against the exports-only baseline and random), ``per_
    product_year`` details and the counts behind each figure.
    """
    store, own = _open_source(source)
    try:
        truth = _truth(store, dataset)
        work = withhold(store)
    finally:
        if own:
            store.close()
    try:
        engine = DuckDBEngine(work)
        from transship.flows.hubs import hub_scores

        hubs = hub_scores(engine, dataset=dataset, use_reexports=False)
        data = load_flows(engine, dataset=dataset)
        hub_part = _hub_metrics(hubs, data, truth, min_absorption)
        pair_part = _pair_metrics(data, truth, ks, max_hops, min_share, min_absorption)
    finally:
        work.close()
    return {
        "withheld": "flow RX (re-exports)",
        "rx_reporter_years": len(truth.reporters),
        "rx_pairs": len(truth.pairs),
        "hubs": hub_part,
        "pairs": pair_part,
        "settings": {
            "ks": list(ks),
            "max_hops": max_hops,
            "min_share": min_share,
            "min_absorption": min_absorption,
        },
    }


def _hub_metrics(
    hubs: list[Any], data: dict[str, Any], truth: _Truth, min_absorption: float
) -> dict[str, Any]:
    score = {(h.code, h.product, h.year): float(h.score) for h in hubs}
    exports = {(h.code, h.product, h.year): float(h.outflow_usd) for h in hubs}
    indicators: dict[str, dict[tuple[str, str, int], float]] = {}
    for h in hubs:
        for ind in h.indicators:
            if ind.weight > 0 and not ind.detail.startswith("not computed"):
                indicators.setdefault(ind.name, {})[(h.code, h.product, h.year)] = ind.value
    chain_in: dict[tuple[str, str, int], float] = {}
    chain_out: dict[tuple[str, str, int], float] = {}
    for prod, pd in data.items():
        for y in pd.years:
            ch = pd.chain(y, None, min_absorption)
            for i, code in enumerate(pd.codes):
                if ch.supply[i] > 0:
                    chain_in[(code, prod, y)] = float(ch.imports[i] / ch.supply[i])
                    chain_out[(code, prod, y)] = float(ch.exports[i] / ch.supply[i])
    out: dict[str, Any] = {}
    for truth_name, shares in (
        ("rx_share_of_exports", truth.rx_share_x),
        ("rx_share_of_imports", truth.rx_share_m),
    ):
        chain = chain_in if truth_name == "rx_share_of_exports" else chain_out
        chain_label = (
            "chain_import_share_of_supply" if chain is chain_in else "chain_export_share_of_supply"
        )
        res: dict[str, Any] = {}
        measures: list[tuple[str, dict[tuple[str, str, int], float]]] = [
            ("hub_score", score),
            ("exports_baseline", exports),
            (chain_label, chain),
        ]
        measures += [(f"indicator:{k}", v) for k, v in indicators.items()]
        for label, measure in measures:
            keys = [k for k in shares if k in measure]
            a = [measure[k] for k in keys]
            b = [shares[k] for k in keys]
            pos = [i for i, v in enumerate(b) if v > 0]
            res[label] = {
                "spearman": _round(_spearman(a, b)),
                "spearman_rx_positive": _round(_spearman([a[i] for i in pos], [b[i] for i in pos])),
                "n": len(keys),
                "n_rx_positive": len(pos),
            }
        out[truth_name] = res
    return out


def _pair_metrics(
    data: dict[str, Any],
    truth: _Truth,
    ks: Sequence[int],
    max_hops: int,
    min_share: float,
    min_absorption: float,
) -> dict[str, Any]:
    per: list[dict[str, Any]] = []
    for prod, pd in sorted(data.items()):
        for y in pd.years:
            hubs = [i for i, c in enumerate(pd.codes) if (c, prod, y) in truth.product_reporters]
            if not hubs:
                continue
            transit = transit_matrix(
                pd, y, max_hops=max_hops, min_share=min_share, min_absorption=min_absorption
            )
            exports = pd.point(y)
            pred, base, real = [], [], []
            for m in hubs:
                for d in range(pd.n):
                    if d == m:
                        continue
                    rx = truth.pairs.get((pd.codes[m], pd.codes[d], prod, y), 0.0)
                    if exports[m, d] <= 0 and rx <= 0:
                        continue
                    pred.append(transit[m, d])
                    base.append(exports[m, d])
                    real.append(rx)
            p, b, r = np.array(pred), np.array(base), np.array(real)
            per.append(
                {
                    "product": prod,
                    "year": y,
                    "hubs": len(hubs),
                    "pairs": len(p),
                    "rx_pairs": int((r > 0).sum()),
                    "routes": _rank_metrics(p, r, ks),
                    "exports_baseline": _rank_metrics(b, r, ks),
                }
            )
    summary: dict[str, Any] = {}
    for method in ("routes", "exports_baseline"):
        keys = per[0][method].keys() if per else []
        summary[method] = {k: _round(_mean(row[method][k] for row in per)) for k in keys}
    return {"mean_over_product_years": summary, "product_years": len(per), "per_product_year": per}


# -- simulated data: planted routes ----------------------------------------------------------
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


def _average_precision(ranked: list[tuple[float, bool]], n_true: int) -> float | None:
    if n_true == 0:
        return None
    ranked = sorted(ranked, key=lambda t: -t[0])
    hits = 0
    total = 0.0
    for k, (_, ok) in enumerate(ranked, start=1):
        if ok:
            hits += 1
            total += hits / k
    return total / n_true


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
            aps.append(_average_precision(ranked, n_true))
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
                "average_precision": _round(_mean(aps)),
                "r_precision": _round(r_hits / planted_n if planted_n else None),
                "thresholds": [
                    {
                        "score_at_least": t,
                        "flagged": fl,
                        "hits": hits,
                        "precision": _round(hits / fl if fl else None),
                        "recall": _round(hits / planted_n if planted_n else None),
                    }
                    for t, (fl, hits) in at.items()
                ],
            }
        )
    return {
        "simulated": True,
        "generator": "transship.flows.validate.planted_world",
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


# -- simulated data: the simulation stage's output ---------------------------------------
def read_planted(sim_dir: str | Path) -> tuple[list[PlantedRoute], dict[str, Any]]:
    """Planted routes from a ``transship simulate`` folder (``truth.jsonl``, kind route)
    and its manifest. Read as files: flows does not import the simulation stage."""
    folder = Path(sim_dir)
    truth_file = folder / "truth.jsonl"
    if not truth_file.is_file():
        from transship.exc import NotFound

        raise NotFound(f"no truth.jsonl in {folder} (run `transship simulate` first)")
    manifest_file = folder / "manifest.json"
    manifest: dict[str, Any] = (
        json.loads(manifest_file.read_text(encoding="utf-8")) if manifest_file.is_file() else {}
    )
    routes: list[PlantedRoute] = []
    with open(truth_file, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            if rec.get("kind") != "route":
                continue
            years = rec.get("years") or [0]
            routes.append(PlantedRoute(tuple(rec["path"]), str(rec["product"]), int(years[0]), 0.0))
    return routes, manifest


def validate_simulated(
    sim_dir: str | Path,
    *,
    thresholds: Sequence[float] = THRESHOLDS,
    max_hops: int = 3,
    store: Store | None = None,
) -> dict[str, Any]:
    """Score routes against the routes a ``transship simulate`` run planted.

    The folder's ``data/`` is ingested through the ordinary pipeline (unless ``store``
    already holds it); each statistics dataset (Comtrade as each side reports it, BACI
    reconciled) is scored on its own. Two query modes per planted origin and product: with
    the destination left open (where did the goods go?) and with the planted destination
    given (did they reach it, through whom?). Metrics as in :func:`validate_planted`.
    """
    planted, manifest = read_planted(sim_dir)
    own = store is None
    if store is None:
        store, _ = _open_source(Path(sim_dir) / "data")
    try:
        engine = DuckDBEngine(store)
        datasets = _statistics_datasets(store)
        truth = {(p.path, p.product) for p in planted}
        brk = manifest.get("break_date")
        out: list[dict[str, Any]] = []
        for ds in datasets:
            for mode in ("open", "destination"):
                ranked: list[tuple[float, bool]] = []
                queries = sorted(
                    {
                        (p.path[0], p.path[-1] if mode == "destination" else None, p.product)
                        for p in planted
                    }
                )
                for origin, dest, prod in queries:
                    try:
                        found = find_routes(
                            engine,
                            origin,
                            dest,
                            product=prod,
                            break_date=brk,
                            max_hops=max_hops,
                            resamples=0,
                            dataset=ds,
                        )
                    except NotFoundError:
                        continue
                    ranked.extend(
                        (r.score, (tuple(r.path), r.product) in truth)
                        for r in found
                        if len(r.path) >= 3
                    )
                out.append(
                    {
                        "dataset": ds,
                        "mode": mode,
                        **_ranking_metrics(ranked, len(truth), thresholds),
                    }
                )
    finally:
        if own:
            store.close()
    return {**_run_header(sim_dir, manifest), "planted": len(truth), "results": out}


#: Hub score at which the simulated-hub harness counts a territory-year as flagged: the
#: same fixed round number as ``transship evaluate`` (transship.simulate.evaluate).
HUB_THRESHOLD = 0.6


def read_planted_hubs(sim_dir: str | Path) -> set[tuple[str, str, int]]:
    """(territory ISO3, HS code, year) of every intermediary a ``transship simulate`` run
    planted (``truth.jsonl``, kind hub), in the years its scheme ran."""
    truth_file = Path(sim_dir) / "truth.jsonl"
    if not truth_file.is_file():
        from transship.exc import NotFound

        raise NotFound(f"no truth.jsonl in {sim_dir} (run `transship simulate` first)")
    out: set[tuple[str, str, int]] = set()
    with open(truth_file, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                if rec.get("kind") == "hub":
                    out.add((str(rec["territory"]), str(rec["product"]), int(rec["year"])))
    return out


def validate_simulated_hubs(
    sim_dir: str | Path, *, threshold: float = HUB_THRESHOLD, store: Store | None = None
) -> dict[str, Any]:
    """Score hub scores against the intermediaries a ``transship simulate`` run planted.

    Per statistics dataset, every territory-year exporting a planted product (over the
    case's years, with its break year) is a candidate; positives are the schemes'
    intermediaries in the years they ran. Reported: precision, recall and F1 of the
    candidates scoring at least ``threshold`` (as ``transship evaluate``), the average
    precision of the whole ranking, and two baselines for it: ranking by total exports
    (size) and at random (the share of candidates that are planted)."""
    from transship.flows.hubs import hub_table

    planted = read_planted_hubs(sim_dir)
    _, manifest = read_planted(sim_dir)
    own = store is None
    if store is None:
        store, _ = _open_source(Path(sim_dir) / "data")
    years = manifest.get("years")
    span = (int(years[0]), int(years[-1])) if years else None
    brk = manifest.get("break_date")
    break_year = int(str(brk)[:4]) if brk else None
    try:
        engine = DuckDBEngine(store)
        datasets = _statistics_datasets(store)
        results = []
        for ds in datasets:
            ranked: list[tuple[float, bool]] = []
            by_exports: list[tuple[float, bool]] = []
            flagged: set[tuple[str, str, int]] = set()
            for prod in sorted({p for _, p, _ in planted}):
                table = hub_table(
                    engine, prod, span, ds, break_year, use_reexports=True, evidence=False
                )
                for r in table.to_pylist():
                    key = (str(r["territory"]), prod, int(r["year"]))
                    hit = key in planted
                    ranked.append((float(r["score"]), hit))
                    by_exports.append((float(r["outflow_usd"]), hit))
                    if r["score"] >= threshold:
                        flagged.add(key)
            hits = len(flagged & planted)
            precision = hits / len(flagged) if flagged else None
            recall = hits / len(planted) if planted else None
            f1 = (
                2 * precision * recall / (precision + recall)
                if precision is not None and recall is not None and precision + recall > 0
                else None
            )
            results.append(
                {
                    "dataset": ds,
                    "candidates": len(ranked),
                    "planted": len(planted),
                    "flagged": len(flagged),
                    "hits": hits,
                    "precision": _round(precision),
                    "recall": _round(recall),
                    "f1": _round(f1),
                    "average_precision": _round(_average_precision(ranked, len(planted))),
                    "exports_baseline_ap": _round(_average_precision(by_exports, len(planted))),
                    "random_ap": _round(len(planted) / len(ranked) if ranked else None),
                }
            )
    finally:
        if own:
            store.close()
    return {**_run_header(sim_dir, manifest), "threshold": threshold, "results": results}


def _ranking_metrics(
    ranked: list[tuple[float, bool]], n_true: int, thresholds: Sequence[float]
) -> dict[str, Any]:
    ranked = sorted(ranked, key=lambda t: -t[0])
    hits_r = sum(ok for _, ok in ranked[:n_true])
    found = sum(ok for _, ok in ranked)
    return {
        "routes_ranked": len(ranked),
        "planted_found": found,
        "average_precision": _round(_average_precision(ranked, n_true)),
        "r_precision": _round(hits_r / n_true if n_true else None),
        "thresholds": [
            {
                "score_at_least": t,
                "flagged": sum(1 for sc, _ in ranked if sc >= t),
                "hits": sum(1 for sc, ok in ranked if sc >= t and ok),
                "precision": _round(
                    sum(1 for sc, ok in ranked if sc >= t and ok)
                    / max(1, sum(1 for sc, _ in ranked if sc >= t))
                    if any(sc >= t for sc, _ in ranked)
                    else None
                ),
                "recall": _round(
                    sum(1 for sc, ok in ranked if sc >= t and ok) / n_true if n_true else None
                ),
            }
            for t in thresholds
        ],
    }


# -- command -------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m transship.flows.validate",
        description="Validate hubs and routes against withheld re-exports and planted routes.",
    )
    parser.add_argument("--data", type=Path, help="Comtrade files/folder with RX rows")
    parser.add_argument("--db", type=Path, help="a store to validate on instead of --data")
    parser.add_argument("--planted", action="store_true", help="run the planted-route harness")
    parser.add_argument(
        "--simulated", type=Path, action="append", help="a `transship simulate` output folder"
    )
    parser.add_argument("--seeds", type=int, default=3, help="worlds per noise level")
    parser.add_argument("--details", action="store_true", help="keep per product-year rows")
    args = parser.parse_args(argv)
    out: dict[str, Any] = {}
    if args.data or args.db:
        src: Store | Path = connect(args.db, read_only=True) if args.db else args.data
        res = validate_reexports(src)
        if not args.details:
            res["pairs"].pop("per_product_year", None)
        out["reexports"] = res
    if args.planted:
        out["planted"] = validate_planted(seeds=tuple(range(args.seeds)))
    if args.simulated:
        out["simulated"] = []
        out["simulated_hubs"] = []
        for d in args.simulated:
            store, _ = _open_source(Path(d) / "data")
            try:
                out["simulated"].append(validate_simulated(d, store=store))
                out["simulated_hubs"].append(validate_simulated_hubs(d, store=store))
            finally:
                store.close()
    if not out:
        parser.error("give --data/--db, --planted and/or --simulated")
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())


def _run_header(sim_dir: str | Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """What every simulated-validation result says about the run it scored."""
    return {
        "simulated": True,
        "source": str(sim_dir),
        "noise": manifest.get("noise"),
        "seed": manifest.get("seed"),
        "scale": manifest.get("scale"),
    }


def _statistics_datasets(store: Store) -> list[str]:
    """The datasets holding bilateral statistics (X/M rows), each scored on its own."""
    rows = store.query(
        "SELECT DISTINCT dataset FROM trade_flows WHERE flow IN ('X', 'M') ORDER BY 1"
    )
    return [str(d) for d in rows.column("dataset").to_pylist()]
