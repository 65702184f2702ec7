"""The simulation page: what the simulator planted beside what the detectors found.

This is the one view that reads a simulation's answer key (``truth.jsonl``, found beside
the simulated files the store ingested). It runs the detectors first, on the store as any
user would (they never see the truth), and only then puts the planted routes and hubs next
to their ranks and scores. The full evaluation with baselines (``transship evaluate``)
re-ingests the folder and takes minutes; its rows can be passed in (the demo does) and are
shown as they are.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from transship.exc import InvalidInput, NotFound
from transship.report.views.common import (
    clean,
    flows_source,
    place,
    product_label,
    rows,
    trade_datasets,
    years_text,
)
from transship.store import Store

MANIFEST = "manifest.json"
TRUTH = "truth.jsonl"
#: Resamples for the route intervals here: none. A route's rank and score do not depend on
#: its interval (the score's indicators read the point estimate), and the page shows ranks.
RESAMPLES = 0


def simulation_dirs(store: Store) -> list[Path]:
    """Folders written by ``transship simulate`` whose files the store ingested (found from
    the simulated sources' paths: the nearest parent holding a simulated manifest)."""
    paths = [r["path"] for r in rows(store, "SELECT DISTINCT path FROM sources WHERE simulated")]
    found: list[Path] = []
    for p in paths:
        for parent in Path(str(p)).parents:
            manifest = parent / MANIFEST
            if parent in found:
                break
            if manifest.is_file() and (parent / TRUTH).is_file():
                if _manifest(parent).get("simulated") is True:
                    found.append(parent)
                break
    return found


def _manifest(sim_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((sim_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{sim_dir / MANIFEST}: cannot read the manifest ({exc})") from exc
    return data if isinstance(data, dict) else {}


def _truth(sim_dir: Path) -> list[dict[str, Any]]:
    out = []
    for n, line in enumerate((sim_dir / TRUTH).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"{sim_dir / TRUTH}, line {n}: not JSON ({exc.msg})") from exc
    return out


def _thresholds() -> tuple[float, float]:
    from transship.evaluate import HUB_THRESHOLD, ROUTE_THRESHOLD

    return float(HUB_THRESHOLD), float(ROUTE_THRESHOLD)


def simulation_view(
    store: Store,
    evaluation: Sequence[Any] | None = None,
    datasets: Sequence[str | None] | None = None,
) -> dict[str, Any]:
    """Per simulation folder: the manifest, each planted route with the rank and score the
    route finder gave it, each planted hub with its hub score, and the evaluation rows when
    given (``EvalRow`` objects or their dicts). The detectors run on each simulated trade
    dataset of the store, or on ``datasets`` (None in it: every row, the CLI's default).
    ``simulated`` is true whenever the store holds simulated rows."""
    dirs = simulation_dirs(store)
    sims = [_one(store, d, datasets) for d in dirs]
    simulated = any(d["simulated"] for d in trade_datasets(store)) or bool(sims)
    return {
        "simulated": simulated,
        "simulations": sims,
        "evaluation": clean(evaluation) if evaluation else [],
    }


def _one(store: Store, sim_dir: Path, only: Sequence[str | None] | None = None) -> dict[str, Any]:
    manifest = _manifest(sim_dir)
    truth = _truth(sim_dir)
    hub_cut, route_cut = _thresholds()
    datasets: list[str | None]
    if only is None:
        names = sorted({str(d["dataset"]) for d in trade_datasets(store) if d["simulated"]})
        datasets = list(names)
    else:
        datasets = list(only)
    planted_routes = [t for t in truth if t.get("kind") == "route"]
    planted_hubs = [t for t in truth if t.get("kind") == "hub"]
    routes = _routes(store, planted_routes, datasets, manifest.get("break_date"), route_cut)
    hubs = _hubs(store, planted_hubs, datasets, hub_cut)
    years = manifest.get("years") or []
    kinds: dict[str, int] = {}
    for t in truth:
        kinds[str(t.get("kind"))] = kinds.get(str(t.get("kind")), 0) + 1
    diverted = sum(1 for t in truth if t.get("kind") == "shipment" and t.get("diverted"))
    source, _ = flows_source(
        store, None, range(int(years[0]), int(years[-1]) + 1) if years else None
    )
    return {
        "folder": str(sim_dir),
        "manifest": {
            k: manifest.get(k)
            for k in ("case", "seed", "noise", "scale", "years", "break_date", "notice")
        },
        "truth_counts": kinds,
        "diverted_shipments": diverted,
        "datasets": [_label(d) for d in datasets],
        "routes": routes,
        "hubs": hubs,
        "hub_threshold": hub_cut,
        "route_threshold": route_cut,
        "source": source,
        "years": years_text(range(int(years[0]), int(years[-1]) + 1) if years else []),
    }


def _label(dataset: str | None) -> str:
    return dataset if dataset is not None else "all datasets"


def _routes(
    store: Store,
    planted: list[dict[str, Any]],
    datasets: list[str | None],
    break_date: str | None,
    cut: float,
) -> list[dict[str, Any]]:
    """Each planted route, and per dataset its rank among the routes found from the same
    origin for the same product (all destinations), its score and share."""
    from transship.flows.routes import find_routes, load_flows
    from transship.report.views.flows import engine

    found: dict[tuple[str, str, str | None], list[Any]] = {}
    loaded: dict[tuple[str, str | None], Any] = {}

    def ranked_routes(origin: str, product: str, dataset: str | None, hops: int) -> list[Any]:
        """Every route from ``origin`` (all destinations), the product's flows loaded once."""
        with engine(store) as eng:
            if (product, dataset) not in loaded:
                loaded[(product, dataset)] = load_flows(eng, product, None, dataset)
            try:
                return list(
                    find_routes(
                        eng,
                        origin,
                        None,
                        product=product,
                        break_date=break_date,
                        max_hops=hops,
                        resamples=RESAMPLES,
                        dataset=dataset,
                        data=loaded[(product, dataset)],
                    )
                )
            except NotFound:  # the origin exports nothing of the product in this data
                return []

    out: list[dict[str, Any]] = []
    for t in planted:
        path = [str(c) for c in t.get("path", [])]
        product = str(t.get("product") or "")
        if len(path) < 2 or not product:
            continue
        row: dict[str, Any] = {
            "scheme": t.get("scheme"),
            "path": path,
            "path_labels": [place(c).label for c in path],
            "product": product,
            "product_label": product_label(product),
            "years": years_text(t.get("years") or []),
            "description": t.get("description"),
            "found": {},
        }
        for ds in datasets:
            key = (path[0], product, ds)
            if key not in found:
                found[key] = ranked_routes(path[0], product, ds, max(3, len(path) - 1))
            ranked = found[key]
            hit = next(
                ((k, r) for k, r in enumerate(ranked, start=1) if list(r.path) == path), None
            )
            if hit is None:
                row["found"][_label(ds)] = {"rank": None, "of": len(ranked), "detected": False}
            else:
                k, r = hit
                row["found"][_label(ds)] = {
                    "rank": k,
                    "of": len(ranked),
                    "score": float(r.score),
                    "share": float(r.share),
                    "value_usd": float(r.value_usd),
                    "detected": float(r.score) >= cut,
                }
        out.append(row)
    return out


def _hubs(
    store: Store, planted: list[dict[str, Any]], datasets: list[str | None], cut: float
) -> list[dict[str, Any]]:
    """Each planted hub-year with its hub score (and rank that year) per dataset."""
    from transship.flows.hubs import hub_scores
    from transship.report.views.flows import engine

    scores: dict[tuple[str, str | None], dict[tuple[str, int], tuple[float, int]]] = {}
    out: list[dict[str, Any]] = []
    for t in planted:
        terr = str(t.get("territory") or "")
        product = str(t.get("product") or "")
        year = int(t.get("year") or 0)
        row: dict[str, Any] = {
            "scheme": t.get("scheme"),
            "territory": terr,
            "label": place(terr).label,
            "product": product,
            "product_label": product_label(product),
            "year": year,
            "found": {},
        }
        for ds in datasets:
            key = (product, ds)
            if key not in scores:
                with engine(store) as eng:
                    found = hub_scores(eng, product=product, dataset=ds)
                ranks: dict[tuple[str, int], tuple[float, int]] = {}
                per_year: dict[int, int] = {}
                for h in sorted(found, key=lambda h: -float(h.score)):
                    per_year[int(h.year)] = per_year.get(int(h.year), 0) + 1
                    ranks[(str(h.territory), int(h.year))] = (float(h.score), per_year[int(h.year)])
                scores[key] = ranks
            got = scores[key].get((terr, year))
            row["found"][_label(ds)] = (
                {"score": got[0], "rank": got[1], "detected": got[0] >= cut}
                if got
                else {"score": None, "rank": None, "detected": False}
            )
        out.append(row)
    return out


__all__ = ["simulation_dirs", "simulation_view"]
