"""Flows: mirror gaps, hubs and routes, on DuckDB or Spark.

Public entry points (import from the submodules; this package re-exports the stable ones):

* :func:`transship.store.engine.open_engine`, ``DuckDBEngine(store)``, ``SparkEngine``
* :func:`transship.flows.mirror.mirror_gaps`, :func:`~transship.flows.mirror.reporting_reliability`
* :func:`transship.flows.hubs.hub_scores` (``HubScore``), :func:`~transship.flows.hubs.hub_table`
* :func:`transship.flows.routes.find_routes` (import it from its module)
* :func:`transship.flows.chains.open_scope`, :func:`~transship.flows.chains.pairs_sql`: the rows
  in scope and the directed pairs every command shares
* :class:`transship.flows.explain.Indicator`, :class:`~transship.flows.explain.Evidence`
"""

from transship.flows.chains import parse_years
from transship.flows.explain import Evidence, Indicator
from transship.flows.hubs import HubScore, hub_scores, hub_table
from transship.flows.mirror import mirror_gaps, reporting_reliability
from transship.store.engine import DuckDBEngine, Engine, SparkEngine, open_engine

__all__ = [
    "DuckDBEngine",
    "Engine",
    "Evidence",
    "HubScore",
    "Indicator",
    "SparkEngine",
    "hub_scores",
    "hub_table",
    "mirror_gaps",
    "open_engine",
    "parse_years",
    "reporting_reliability",
]
