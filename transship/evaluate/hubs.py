"""Hub scores against the schemes' intermediaries, beside size, ratio and random baselines.

Candidates: every (territory, product, year) :func:`transship.flows.hubs.hub_scores` scores
(territories with exports) for each product of the case over the case's years, with the
case's break year. Positives: the schemes' intermediaries in the years they ran
(``truth.jsonl``, kind hub). Reported: precision, recall and F1 of the candidates scoring at
least ``HUB_THRESHOLD``, the average precision of the ranking, and the same for three
baselines ranking the same candidates: total exports (``exports``: size), the naive
imports/exports ratio (``import_export_ratio``: exports backed by imports), and random.

The score is the ``conduit`` kind (who opened as a conduit after a break: what a scheme
makes of a territory), not ``entrepot`` (whose exports are mostly others' goods).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from transship.evaluate.scoring import EvalRow, ranked_row
from transship.evaluate.truth import Hub
from transship.flows.hubs import hub_scores
from transship.store.engine import Engine

#: Hub score at which a territory-year counts as flagged: a fixed round number.
HUB_THRESHOLD = 0.6


def _scores(engine: Engine, **kwargs: Any) -> list[Any]:
    """The conduit score (what a scheme opening after a break makes of a territory)."""
    return list(hub_scores(engine, kind="conduit", **kwargs))


def hub_stage(
    engine: Engine,
    dataset: str | None,
    planted: set[Hub],
    products: Iterable[str],
    years: tuple[int, int] | None,
    break_year: int | None,
    stage: str,
    noise: str,
    data: str,
    left_out: set[Hub] | None = None,
) -> EvalRow | None:
    """One ``hubs:<dataset>`` row (module docstring), or None when nothing is planted.
    ``left_out``: territory-years the simulated world re-exports through but the case does
    not allege (:func:`transship.evaluate.truth.background`), left out of every ranking."""
    if not planted:
        return None
    ranking: dict[Hub, float] = {}
    exports: dict[Hub, float] = {}
    ratio: dict[Hub, float] = {}
    for product in sorted(set(products)):
        for h in _scores(
            engine, product=product, years=years, dataset=dataset, break_year=break_year
        ):
            if not (h.product == product or product.startswith(h.product)):
                continue
            key = (str(h.territory), product, int(h.year))
            if left_out and key in left_out:
                continue
            ranking[key] = float(h.score)
            exports[key] = float(h.outflow_usd)
            ratio[key] = float(h.inflow_usd) / float(h.outflow_usd) if h.outflow_usd else 0.0
    inside = len(planted & set(ranking))
    return ranked_row(
        stage,
        noise,
        ranking,
        planted,
        HUB_THRESHOLD,
        baselines=[
            ("exports", "territory-years by total exports of the product", exports),
            ("import_export_ratio", "territory-years by imports / exports", ratio),
        ],
        universe=(len(ranking), inside),
        note=(
            f"(territory, HS6, year) with hub score >= {HUB_THRESHOLD} among {len(ranking)} "
            f"exporting territory-years of the case's products; {inside} of {len(planted)} "
            "planted intermediary-years export in the data"
        ),
        data=data,
    )
