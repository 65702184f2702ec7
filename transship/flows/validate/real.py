"""Real data: Comtrade's re-exports (flow RX) withheld, then compared with what hubs and
routes make of the rest (docs/validation.md, "Flows on real data").

A reporter's RX rows are what it says it passed on. They are copied out and never shown to
the analysis; hubs (``use_reexports=False``) and routes run on everything else.

* **Territories, per product-year** (:func:`hub_metrics`): does the entrepot score pick
  out the territories whose exports are mostly someone else's goods? *AUC*: territories
  that report re-exports of at least 30 % of their exports (positives) against those that
  report their exports of the product that year and no re-exports of it (negatives).
  *Spearman* over the territories that report re-exports that year (of any product: only
  they say anything about their re-export share), against RX / X. Beside the score, in the
  same run: the two simple baselines (imports / exports, total exports), the conduit
  score, each entrepot indicator alone, and the routes chain's import share of supply.
  A second AUC (``auc_little``) takes as negatives the re-export reporters whose RX is
  under 5 % of exports, the stricter test of the ratio (those are mostly producers).
* **Territories, pooled**: Spearman over every territory-product-year against RX / X and
  RX / M (the share of imports passed on), as published before the scores were split.
* **Pairs** (:func:`pair_metrics`): routes from every origin rank hub -> destination pairs
  of re-export reporters; precision and overlap at k against the pairs the hub reports
  re-exporting to, beside ranking by the pair's exports and at random.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from transship.flows.attribution import MIN_ABSORPTION
from transship.flows.hub_indicators import ENTREPOT
from transship.flows.validate.common import (
    auc,
    mean,
    open_source,
    rounded,
    spearman,
    withhold,
)
from transship.store import Store
from transship.store.engine import DuckDBEngine

FloatArray = npt.NDArray[np.float64]
Key = tuple[str, str, int]  # territory code, product, year

#: Re-export share of exports from which a territory counts as an entrepot (a positive).
ENTREPOT_SHARE = 0.3
#: Re-export share under which a re-export reporter counts as "little" (``auc_little``).
LITTLE_SHARE = 0.05
#: The measures compared per product-year, in the order reported.
MEASURES = ("entrepot", "ratio", "exports", "conduit")


@dataclass(slots=True)
class Truth:
    """What the withheld rows say, keyed by (territory code, product, year)."""

    rx_share_x: dict[Key, float]  # RX / X, for territories reporting RX that year
    rx_share_m: dict[Key, float]  # RX / M
    pairs: dict[tuple[str, str, str, int], float]  # (reporter, partner, product, year) -> RX
    reporters: set[tuple[str, int]]  # (code, year) reporting any re-exports
    product_reporters: set[Key]  # reporting RX of this product
    export_reporters: set[Key]  # reporting their exports of this product (World total)


def read_truth(source: Store, dataset: str | None = None) -> Truth:
    """The re-export shares and pairs a store's RX rows report (read before withholding)."""
    ds = f"AND dataset = '{dataset}'" if dataset else ""
    totals = source.query(
        f"""
SELECT reporter AS code, hs_code AS product, year,
  sum(CASE WHEN flow = 'RX' AND partner_is_world THEN value_usd END) AS rx_w,
  sum(CASE WHEN flow = 'RX' AND NOT partner_is_world AND NOT partner_is_area
      THEN value_usd END) AS rx_b,
  sum(CASE WHEN flow = 'X' AND partner_is_world THEN value_usd END) AS x_w,
  sum(CASE WHEN flow = 'M' AND partner_is_world THEN value_usd END) AS m_w
FROM trade_flows WHERE reporter IS NOT NULL AND length(period) = 4
  AND value_basis IS DISTINCT FROM 'reconciled' {ds}
GROUP BY reporter, hs_code, year
"""
    ).to_pylist()
    share_x: dict[Key, float] = {}
    share_m: dict[Key, float] = {}
    reporters: set[tuple[str, int]] = set()
    product_reporters: set[Key] = set()
    export_reporters: set[Key] = set()
    for r in totals:
        key = (str(r["code"]), str(r["product"]), int(r["year"]))
        if r["rx_w"] is not None or r["rx_b"] is not None:
            reporters.add((key[0], key[2]))
            product_reporters.add(key)
        if r["x_w"] is not None:
            export_reporters.add(key)
    for r in totals:
        key = (str(r["code"]), str(r["product"]), int(r["year"]))
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
    return Truth(share_x, share_m, pairs, reporters, product_reporters, export_reporters)


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
    a JSON-ready dict: ``hubs`` (per product-year AUC and Spearman of the entrepot score
    beside its baselines, their means, where it wins, and the pooled Spearman table),
    ``pairs`` (precision and overlap at k, Spearman; routes against exports alone and
    random) and the counts behind each figure.
    """
    from transship.flows.hubs import hub_table
    from transship.flows.routes import load_flows

    store, own = open_source(source)
    try:
        truth = read_truth(store, dataset)
        work = withhold(store)
    finally:
        if own:
            store.close()
    try:
        engine = DuckDBEngine(work)
        table = hub_table(engine, dataset=dataset, use_reexports=False, evidence=False)
        data = load_flows(engine, dataset=dataset)
        chain = chain_import_share(data, min_absorption)
        hub_part = hub_metrics(table, truth, chain)
        pair_part = pair_metrics(data, truth, ks, max_hops, min_share, min_absorption)
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
            "entrepot_share": ENTREPOT_SHARE,
            "little_share": LITTLE_SHARE,
        },
    }


def chain_import_share(data: dict[str, Any], min_absorption: float) -> dict[str, dict[Key, float]]:
    """The routes chain's import and export shares of supply per territory-product-year:
    what the chain assumes passes through (``in``: imports / supply, ``out``: exports /
    supply)."""
    share_in: dict[Key, float] = {}
    share_out: dict[Key, float] = {}
    for prod, pd in data.items():
        for y in pd.years:
            ch = pd.chain(y, None, min_absorption)
            for i, code in enumerate(pd.codes):
                if ch.supply[i] > 0:
                    share_in[(code, prod, y)] = float(ch.imports[i] / ch.supply[i])
                    share_out[(code, prod, y)] = float(ch.exports[i] / ch.supply[i])
    return {"in": share_in, "out": share_out}


def hub_measures(table: pa.Table) -> dict[str, dict[Key, float]]:
    """Every measure compared, per territory-product-year of the hub table: the two scores,
    the baselines (imports / exports, total exports), and each indicator alone where it
    could be computed (weight > 0)."""
    out: dict[str, dict[Key, float]] = {m: {} for m in MEASURES}
    names = list(ENTREPOT) + ["excess_exports", "pass_through", "co_movement", "surge"]
    for name in names:
        out[f"indicator:{name}"] = {}
    for r in table.to_pylist():
        key = (str(r["code"]), str(r["product"]), int(r["year"]))
        outflow = float(r["outflow_usd"])
        out["entrepot"][key] = float(r["entrepot_score"])
        out["conduit"][key] = float(r["conduit_score"])
        out["ratio"][key] = float(r["inflow_usd"]) / outflow
        out["exports"][key] = outflow
        for name in names:
            if r[name] is not None and (r[f"{name}_w"] or 0.0) > 0:
                out[f"indicator:{name}"][key] = float(r[name])
    return out


def hub_metrics(
    table: pa.Table, truth: Truth, chain: dict[str, dict[Key, float]]
) -> dict[str, Any]:
    """Per product-year AUC and Spearman of every measure (module docstring), their means,
    the product-years where the entrepot score beats each baseline, and the pooled table."""
    measures = hub_measures(table)
    measures["chain_import_share"] = chain["in"]
    scored = measures["entrepot"]
    groups = sorted({(k[1], k[2]) for k in scored})
    per: list[dict[str, Any]] = []
    for product, year in groups:
        keys = [k for k in scored if k[1] == product and k[2] == year]
        pos = [k for k in keys if truth.rx_share_x.get(k, 0.0) >= ENTREPOT_SHARE]
        neg = [k for k in keys if k in truth.export_reporters and k not in truth.product_reporters]
        little = [k for k in keys if k in truth.rx_share_x and truth.rx_share_x[k] < LITTLE_SHARE]
        reporting = [k for k in keys if k in truth.rx_share_x]
        row: dict[str, Any] = {
            "product": product,
            "year": year,
            "positives": len(pos),
            "negatives": len(neg),
            "little": len(little),
            "rx_reporters": len(reporting),
            "auc": {},
            "auc_little": {},
            "spearman": {},
        }
        for name, m in measures.items():
            row["auc"][name] = rounded(_auc(m, pos, neg))
            row["auc_little"][name] = rounded(_auc(m, pos, little))
            both = [k for k in reporting if k in m]
            row["spearman"][name] = rounded(
                spearman([m[k] for k in both], [truth.rx_share_x[k] for k in both])
            )
        per.append(row)
    summary = {
        metric: {name: rounded(mean(r[metric][name] for r in per)) for name in measures}
        for metric in ("auc", "auc_little", "spearman")
    }
    wins: dict[str, Any] = {}
    for base in ("ratio", "exports"):
        wins[base] = {}
        for metric in ("auc", "auc_little", "spearman"):
            lost = [
                f"{r['product']}-{r['year']}"
                for r in per
                if not _beats(r[metric]["entrepot"], r[metric][base])
            ]
            wins[base][metric] = {"won": len(per) - len(lost), "of": len(per), "lost": lost}
    return {
        "per_product_year": per,
        "mean_over_product_years": summary,
        "entrepot_beats": wins,
        "pooled": _pooled(measures, truth, chain),
    }


def _auc(measure: dict[Key, float], pos: list[Key], neg: list[Key]) -> float | None:
    return auc([measure[k] for k in pos if k in measure], [measure[k] for k in neg if k in measure])


def _beats(a: float | None, b: float | None) -> bool:
    return a is not None and (b is None or a > b)


def _pooled(
    measures: dict[str, dict[Key, float]], truth: Truth, chain: dict[str, dict[Key, float]]
) -> dict[str, Any]:
    """Spearman over every territory-product-year of the re-export reporters, against RX / X
    (with the chain's import share of supply) and RX / M (with its export share)."""
    out: dict[str, Any] = {}
    for truth_name, shares, chain_name, chain_measure in (
        ("rx_share_of_exports", truth.rx_share_x, "chain_import_share", chain["in"]),
        ("rx_share_of_imports", truth.rx_share_m, "chain_export_share", chain["out"]),
    ):
        named = {k: v for k, v in measures.items() if k != "chain_import_share"}
        named[chain_name] = chain_measure
        res: dict[str, Any] = {}
        for label, measure in named.items():
            keys = [k for k in shares if k in measure]
            res[label] = {
                "spearman": rounded(
                    spearman([measure[k] for k in keys], [shares[k] for k in keys])
                ),
                "n": len(keys),
            }
        out[truth_name] = res
    return out


def rank_metrics(pred: FloatArray, truth: FloatArray, ks: Sequence[int]) -> dict[str, float | None]:
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
    out["spearman"] = spearman(list(pred), list(truth))
    return out


def pair_metrics(
    data: dict[str, Any],
    truth: Truth,
    ks: Sequence[int],
    max_hops: int,
    min_share: float,
    min_absorption: float,
) -> dict[str, Any]:
    """Routes' transit per hub -> destination pair of re-export reporters against the pairs
    they report re-exporting to, beside the pair's exports alone (module docstring)."""
    from transship.flows.routes import transit_matrix

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
                    "routes": rank_metrics(p, r, ks),
                    "exports_baseline": rank_metrics(b, r, ks),
                }
            )
    summary: dict[str, Any] = {}
    for method in ("routes", "exports_baseline"):
        keys = per[0][method].keys() if per else []
        summary[method] = {k: rounded(mean(row[method][k] for row in per)) for k in keys}
    return {"mean_over_product_years": summary, "product_years": len(per), "per_product_year": per}
