"""Flows: mirror gaps, hubs and the chain join behind routes, on DuckDB or Spark.

Public entry points (import from the submodules; this package re-exports the stable ones):

* :func:`transship.flows.engine.open_engine`, ``DuckDBEngine(store)``, ``SparkEngine``
* :func:`transship.flows.mirror.mirror_gaps`, :func:`~transship.flows.mirror.reporting_reliability`
* :func:`transship.flows.hubs.hub_scores` (``HubScore``), :func:`~transship.flows.hubs.hub_table`
* :func:`transship.flows.chains.prepare_legs`, :func:`~transship.flows.chains.estimate_pairs`,
  :func:`~transship.flows.chains.chain_legs`
* :class:`transship.flows.explain.Indicator`, :class:`~transship.flows.explain.Evidence`
"""

from transship.flows.chains import chain_legs, estimate_pairs, parse_years, prepare_legs
from transship.flows.engine import DuckDBEngine, Engine, SparkEngine, open_engine
from transship.flows.explain import Evidence, Indicator
from transship.flows.hubs import HubScore, hub_scores, hub_table
from transship.flows.mirror import mirror_gaps, reporting_reliability

__all__ = [
    "DuckDBEngine",
    "Engine",
    "Evidence",
    "HubScore",
    "Indicator",
    "SparkEngine",
    "chain_legs",
    "estimate_pairs",
    "hub_scores",
    "hub_table",
    "mirror_gaps",
    "open_engine",
    "parse_years",
    "prepare_legs",
    "reporting_reliability",
]
