"""Routes scored the way a user meets them, beside two simple baselines.

A user asks ``transship routes --origin X --product P`` without knowing the answer. So the
evaluation does not query only the planted (origin, destination, product) triples (then a
false route could only be another path between planted endpoints): for every product of the
case (the HS6 codes on its licences and certificates, plus the planted ones) and every
territory that exports it in the dataset, :func:`transship.flows.routes.find_routes` ranks
the paths to every destination. All indirect paths (two legs or more: a direct flow is not a
transshipment claim) are pooled into one ranking by route score. Scored against the
schemes' paths (``truth.jsonl``, kind route; same path and product):

* precision, recall and F1 of the paths scoring at least ``ROUTE_THRESHOLD``;
* average precision of the whole ranking (planted paths never returned count as found at no
  rank).

Baselines, run on the same matrices (:func:`transship.flows.routes.load_flows`: the same
values the detector reads, summed over the case's years), over every path of 2 to
``max_hops`` legs with a positive value on each leg from every exporter:

* ``bilateral``: paths ranked by their smallest leg (the most the path could carry by the
  bilateral statistics alone: "who buys a lot from X and sells a lot to D?"). Ranking
  origin-destination pairs by their direct flow was not used: it names no intermediary, so
  it cannot be right or wrong about a path.
* ``import_export_ratio``: paths ranked by their intermediary's imports over its exports of
  the product (the naive re-export signal: exports backed by imports; for two
  intermediaries the smaller ratio), ties broken by the smallest leg.
* ``random``: the same candidate paths in random order (expected value).

Route scores do not depend on the resampled intervals, so none are drawn (``resamples=0``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

from transship.evaluate.scoring import EvalRow, ranked_row
from transship.evaluate.truth import Route
from transship.exc import NotFound
from transship.flows.routes import find_routes, load_flows
from transship.store.engine import Engine

log = logging.getLogger(__name__)

#: Route score at which a path counts as flagged: a fixed round number, not tuned per level.
ROUTE_THRESHOLD = 0.2
#: Longest path (legs) the detector and the baselines consider.
MAX_HOPS = 3

FloatArray = npt.NDArray[np.float64]


def route_stage(
    engine: Engine,
    dataset: str | None,
    planted: set[Route],
    products: Iterable[str],
    years: tuple[int, int] | None,
    break_date: str | None,
    stage: str,
    noise: str,
    data: str,
    progress: Callable[[str], None] | None = None,
    left_out: set[Route] | None = None,
) -> EvalRow | None:
    """One ``routes:<dataset>`` row (module docstring), or None when nothing is planted.
    ``left_out``: paths the simulated world re-exports along but the case does not allege
    (:func:`transship.evaluate.truth.background`), left out of every ranking."""
    if not planted:
        return None
    say = progress or (lambda _m: None)
    ranking: dict[Route, float] = {}
    bottleneck: dict[Route, float] = {}
    ratio: dict[Route, float] = {}
    queries = 0
    for product in sorted(set(products)):
        try:
            loaded = load_flows(engine, product, years, dataset)
        except NotFound:
            continue
        for key, pd in sorted(loaded.items()):
            total = _total(pd)
            origins = [i for i in range(len(pd.codes)) if total[i].sum() > 0]
            say(f"{stage}: {len(origins)} origins of {key}")
            for i in origins:
                queries += 1
                try:
                    found = find_routes(
                        engine,
                        pd.codes[i],
                        product=key,
                        years=years,
                        break_date=break_date,
                        max_hops=MAX_HOPS,
                        resamples=0,
                        dataset=dataset,
                        data={key: pd},
                    )
                except NotFound:
                    continue
                for r in found:
                    if len(r.path) >= 3:
                        ranking[(tuple(r.path), str(r.product))] = float(r.score)
            b, q = baseline_rankings(total, list(pd.labels), str(key), MAX_HOPS)
            bottleneck.update(b)
            ratio.update(q)
    for path in left_out or ():
        ranking.pop(path, None)
        bottleneck.pop(path, None)
        ratio.pop(path, None)
    inside = len(planted & set(bottleneck))
    return ranked_row(
        stage,
        noise,
        ranking,
        planted,
        ROUTE_THRESHOLD,
        baselines=[
            ("bilateral", "paths by their smallest leg (USD, the case's years)", bottleneck),
            (
                "import_export_ratio",
                "paths by the intermediary's imports / exports (ties: smallest leg)",
                ratio,
            ),
        ],
        universe=(len(bottleneck), inside),
        note=(
            f"indirect paths with route score >= {ROUTE_THRESHOLD} from every exporter of the "
            f"case's products ({queries} origin-product queries); {inside} of {len(planted)} "
            "planted paths have a reported value on every leg"
        ),
        data=data,
    )


def _total(pd: Any) -> FloatArray:
    """The product's flows summed over its years (0 where nothing was reported)."""
    total = np.zeros((len(pd.codes), len(pd.codes)))
    for y in pd.years:
        total += np.nan_to_num(np.asarray(pd.point(y), dtype=float), nan=0.0)
    np.fill_diagonal(total, 0.0)
    return total


def baseline_rankings(
    total: FloatArray, labels: list[str], product: str, max_hops: int = MAX_HOPS
) -> tuple[dict[Route, float], dict[Route, float]]:
    """Every path of 2..``max_hops`` legs with a positive value on each leg, scored by its
    smallest leg (``bilateral``) and by its intermediaries' smallest imports/exports ratio
    with the smallest leg as tie-break (``import_export_ratio``, encoded as the ratio's
    rank plus the leg's share of the largest leg, so one float orders both)."""
    total = np.array(total, dtype=float)
    np.fill_diagonal(total, 0.0)  # a territory's trade with itself is no leg
    n = total.shape[0]
    pos = total > 0
    imports = total.sum(axis=0)
    exports = total.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(exports > 0, imports / np.where(exports > 0, exports, 1.0), 0.0)
    # dense rank of the ratio, so that "ratio first, then smallest leg" is one number
    ratio_rank = np.searchsorted(np.unique(r), r).astype(float)
    top = float(total.max()) if total.size else 0.0
    scale = top * 1.000001 if top > 0 else 1.0
    bottleneck: dict[Route, float] = {}
    ratio: dict[Route, float] = {}

    def add(path: tuple[int, ...], value: float, inter: list[int]) -> None:
        key = (tuple(labels[k] for k in path), product)
        bottleneck[key] = value
        ratio[key] = float(min(ratio_rank[m] for m in inter)) + value / scale

    idx = np.arange(n)
    for m in range(n):
        ins = idx[pos[:, m]]
        outs = idx[pos[m, :]]
        if not len(ins) or not len(outs):
            continue
        # two legs: i -> m -> j
        for i in ins:
            for j in outs:
                if i != j:
                    add((int(i), m, int(j)), float(min(total[i, m], total[m, j])), [m])
        if max_hops < 3:
            continue
        # three legs: i -> m -> m2 -> j
        for m2 in outs:
            m2 = int(m2)
            outs2 = idx[pos[m2, :]]
            first = total[m, m2]
            for i in ins:
                if i == m2:
                    continue
                a = min(float(total[i, m]), float(first))
                for j in outs2:
                    if j != i and j != m:
                        add((int(i), m, m2, int(j)), min(a, float(total[m2, j])), [m, m2])
    return bottleneck, ratio
