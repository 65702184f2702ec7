"""How well hubs and routes find what they should: measured, not asserted.

Two kinds of harness (docs/validation.md gives the figures and the commands):

* **real data** (:mod:`~transship.flows.validate.real`): Comtrade's re-exports (flow RX)
  withheld, hubs and routes run on the rest, their output compared with what was
  withheld - the entrepot score per product-year beside the imports / exports ratio and
  total exports, the routes' transit per pair beside exports alone.
* **simulated data, known truth**: generated worlds with planted routes at chosen noise
  (:mod:`~transship.flows.validate.planted`), and the output of ``transship simulate``
  scored against its own ``truth.jsonl`` for routes and hubs
  (:mod:`~transship.flows.validate.simulated`).

``python -m transship.flows.validate --data ../shared/data/comtrade-hs2-oil-wood-sample``
reproduces the real-data figures; ``--planted`` the generated ones; ``--simulated DIR``
scores a simulation folder (routes, and hubs under ``simulated_hubs``).
"""

from __future__ import annotations

from transship.flows.validate.command import main
from transship.flows.validate.common import auc, average_precision, spearman, withhold
from transship.flows.validate.planted import (
    NOISE_LEVELS,
    PLANTED_PRODUCTS,
    THRESHOLDS,
    WORLD,
    PlantedRoute,
    planted_world,
    score_routes,
    validate_planted,
)
from transship.flows.validate.real import (
    ENTREPOT_SHARE,
    LITTLE_SHARE,
    Truth,
    hub_metrics,
    pair_metrics,
    rank_metrics,
    read_truth,
    validate_reexports,
)
from transship.flows.validate.simulated import (
    HUB_THRESHOLD,
    read_background,
    read_planted,
    read_planted_hubs,
    validate_simulated,
    validate_simulated_hubs,
)

__all__ = [
    "ENTREPOT_SHARE",
    "HUB_THRESHOLD",
    "LITTLE_SHARE",
    "NOISE_LEVELS",
    "PLANTED_PRODUCTS",
    "THRESHOLDS",
    "WORLD",
    "PlantedRoute",
    "Truth",
    "auc",
    "average_precision",
    "hub_metrics",
    "main",
    "pair_metrics",
    "planted_world",
    "rank_metrics",
    "read_background",
    "read_planted",
    "read_planted_hubs",
    "read_truth",
    "score_routes",
    "spearman",
    "validate_planted",
    "validate_reexports",
    "validate_simulated",
    "validate_simulated_hubs",
    "withhold",
]
