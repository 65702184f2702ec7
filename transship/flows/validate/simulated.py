"""The simulation stage's output scored against its own truth: routes and hubs.

A ``transship simulate`` folder holds what reporters would publish (``data/``) and what was
planted (``truth.jsonl``). The data is ingested through the ordinary pipeline and each
statistics dataset is scored on its own: :func:`validate_simulated` for routes (the
planted paths among the routes ``find_routes`` ranks), :func:`validate_simulated_hubs` for
hubs (the planted intermediaries among every exporting territory-year, beside ranking by
exports, by imports / exports and at random). The detectors never read the truth; only
the scoring here does. All data is SIMULATED and labelled so.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from transship.exc import NotFound
from transship.flows.routes import find_routes
from transship.flows.validate.common import average_precision, open_source, rounded
from transship.flows.validate.planted import THRESHOLDS, PlantedRoute
from transship.store import Store
from transship.store.engine import DuckDBEngine


def read_planted(sim_dir: str | Path) -> tuple[list[PlantedRoute], dict[str, Any]]:
    """Planted routes from a ``transship simulate`` folder (``truth.jsonl``, kind route)
    and its manifest. Read as files: flows does not import the simulation stage."""
    folder = Path(sim_dir)
    truth_file = folder / "truth.jsonl"
    if not truth_file.is_file():
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


def read_background(
    sim_dir: str | Path,
) -> tuple[set[tuple[tuple[str, ...], str]], set[tuple[str, str, int]]]:
    """Routes ((path, product)) and hubs ((territory, product, year)) that happen in the
    simulated world but that the case does not allege: the request population's yearly
    re-exports (``truth.jsonl``, kind reexport). Neither credit nor charge: a detector that
    finds one is right, but it is not what the case planted, so these candidates are left
    out of the ranking (counted in ``background_left_out``)."""
    truth_file = Path(sim_dir) / "truth.jsonl"
    routes: set[tuple[tuple[str, ...], str]] = set()
    hubs: set[tuple[str, str, int]] = set()
    if not truth_file.is_file():
        return routes, hubs
    with open(truth_file, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                if rec.get("kind") == "reexport":
                    routes.add((tuple(rec["path"]), str(rec["product"])))
                    hubs.add((str(rec["territory"]), str(rec["product"]), int(rec["year"])))
    return routes, hubs


def validate_simulated(
    sim_dir: str | Path,
    *,
    thresholds: Sequence[float] = THRESHOLDS,
    max_hops: int = 3,
    store: Store | None = None,
) -> dict[str, Any]:
    """Score routes against the routes a ``transship simulate`` run planted.

    The folder's ``data/`` is ingested through the ordinary pipeline (unless ``store``
    already holds it); each statistics dataset (Comtrade as each side reports it, and
    transship's reconciliation of it) is scored on its own. Two query modes per planted origin and product: with
    the destination left open (where did the goods go?) and with the planted destination
    given (did they reach it, through whom?). Metrics as in :func:`validate_planted`.
    """
    planted, manifest = read_planted(sim_dir)
    background, _ = read_background(sim_dir)
    own = store is None
    if store is None:
        store, _ = open_source(Path(sim_dir) / "data")
    try:
        engine = DuckDBEngine(store)
        datasets = _statistics_datasets(store)
        truth = {(p.path, p.product) for p in planted}
        ignore = background - truth
        brk = manifest.get("break_date")
        out: list[dict[str, Any]] = []
        for ds in datasets:
            for mode in ("open", "destination"):
                ranked: list[tuple[float, bool]] = []
                left_out = 0
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
                    except NotFound:
                        continue
                    for r in found:
                        if len(r.path) < 3:
                            continue
                        key = (tuple(r.path), r.product)
                        if key in ignore:
                            left_out += 1
                            continue
                        ranked.append((r.score, key in truth))
                out.append(
                    {
                        "dataset": ds,
                        "mode": mode,
                        **_ranking_metrics(ranked, len(truth), thresholds),
                        "background_left_out": left_out,
                    }
                )
    finally:
        if own:
            store.close()
    return {**_run_header(sim_dir, manifest), "planted": len(truth), "results": out}


#: Hub score at which the simulated-hub harness counts a territory-year as flagged: the
#: same fixed round number as ``transship evaluate`` (transship.evaluate.hubs).
HUB_THRESHOLD = 0.6


def read_planted_hubs(sim_dir: str | Path) -> set[tuple[str, str, int]]:
    """(territory ISO3, HS code, year) of every intermediary a ``transship simulate`` run
    planted (``truth.jsonl``, kind hub), in the years its scheme ran."""
    truth_file = Path(sim_dir) / "truth.jsonl"
    if not truth_file.is_file():
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
    intermediaries in the years they ran. Reported for the conduit score (the kind a
    scheme opening after a break makes of a territory): precision, recall and F1 of the
    candidates scoring at least ``threshold`` (as ``transship evaluate``) and the average
    precision of the whole ranking; beside it, the average precision of three baselines -
    ranking by total exports (size), by imports / exports, and at random (the share of
    candidates that are planted) - and of the entrepot score, which answers another
    question (whose exports are someone else's goods) and is shown to say so."""
    from transship.flows.hubs import hub_table

    planted = read_planted_hubs(sim_dir)
    _, manifest = read_planted(sim_dir)
    ignore = read_background(sim_dir)[1] - planted
    own = store is None
    if store is None:
        store, _ = open_source(Path(sim_dir) / "data")
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
            by_ratio: list[tuple[float, bool]] = []
            by_entrepot: list[tuple[float, bool]] = []
            flagged: set[tuple[str, str, int]] = set()
            left_out = 0
            for prod in sorted({p for _, p, _ in planted}):
                table = hub_table(
                    engine,
                    prod,
                    span,
                    ds,
                    break_year,
                    use_reexports=True,
                    evidence=False,
                    kind="conduit",
                )
                for r in table.to_pylist():
                    key = (str(r["territory"]), prod, int(r["year"]))
                    if key in ignore:
                        left_out += 1
                        continue
                    hit = key in planted
                    ranked.append((float(r["score"]), hit))
                    by_exports.append((float(r["outflow_usd"]), hit))
                    by_ratio.append((float(r["inflow_usd"]) / float(r["outflow_usd"]), hit))
                    by_entrepot.append((float(r["entrepot_score"]), hit))
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
                    "kind": "conduit",
                    "candidates": len(ranked),
                    "planted": len(planted),
                    "flagged": len(flagged),
                    "hits": hits,
                    "precision": rounded(precision),
                    "recall": rounded(recall),
                    "f1": rounded(f1),
                    "average_precision": rounded(average_precision(ranked, len(planted))),
                    "exports_baseline_ap": rounded(average_precision(by_exports, len(planted))),
                    "ratio_baseline_ap": rounded(average_precision(by_ratio, len(planted))),
                    "entrepot_ap": rounded(average_precision(by_entrepot, len(planted))),
                    "random_ap": rounded(len(planted) / len(ranked) if ranked else None),
                    "background_left_out": left_out,
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
        "average_precision": rounded(average_precision(ranked, n_true)),
        "r_precision": rounded(hits_r / n_true if n_true else None),
        "thresholds": [
            {
                "score_at_least": t,
                "flagged": sum(1 for sc, _ in ranked if sc >= t),
                "hits": sum(1 for sc, ok in ranked if sc >= t and ok),
                "precision": rounded(
                    sum(1 for sc, ok in ranked if sc >= t and ok)
                    / max(1, sum(1 for sc, _ in ranked if sc >= t))
                    if any(sc >= t for sc, _ in ranked)
                    else None
                ),
                "recall": rounded(
                    sum(1 for sc, ok in ranked if sc >= t and ok) / n_true if n_true else None
                ),
            }
            for t in thresholds
        ],
    }


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
    """The datasets holding bilateral statistics (X/M rows), each scored on its own: what
    the reporters published, and ``reconciled``, derived from the Comtrade-style reports by
    transship's own reconciliation (what ``transship reconcile --dataset comtrade`` does;
    the simulator writes no reconciled figures of its own). A reconciliation already in
    the store over the same inputs is recognised and not repeated."""
    from transship.flows import reconcile as rec

    rows = store.query(
        "SELECT DISTINCT dataset FROM trade_flows WHERE flow IN ('X', 'M') "
        f"AND dataset <> '{rec.DATASET}' ORDER BY 1"
    )
    reported = [str(d) for d in rows.column("dataset").to_pylist()]
    if "comtrade" not in reported:
        return reported
    rec.reconcile(store, dataset="comtrade")
    return [rec.DATASET, *reported]
