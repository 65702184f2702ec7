"""The checks on claims, by what they look at; this module names them all in one place.

Every check is a named rule (:data:`RULES`) whose :class:`Finding` says, in words a reader can
verify, what was compared with what. The checks live in one module per seam:

* :mod:`transship.claims.findings`: :class:`Finding` and :data:`RULES`;
* :mod:`transship.claims.facts`: what a claim is about (topic, product scope, years,
  territories, value in USD and EUR at the ECB annual rate, direction);
* :mod:`transship.claims.sourced`: :class:`SourcedClaim`, a claim with its chain of credit
  (origin first, then the outlets that relayed it, the document last) and those facts;
* :mod:`transship.claims.plausibility`: attribution plausibility (a figure credited to a
  source that does not publish such figures; a product credited to a firm that does not make
  it; a body that does not exist);
* :mod:`transship.claims.arithmetic`: parts and totals, a percentage beside its parts, EUR
  beside USD;
* :mod:`transship.claims.temporal`: a source dated before the end of the period it describes;
  an event after the document's date;
* :mod:`transship.claims.data_checks`: claims against the store's data (consistent,
  contradicted, or outside the data's coverage, with the rows compared).

Corroboration by independent origin is in :mod:`transship.claims.corroborate`, contradictions
between claims in :mod:`transship.claims.contradict`. The names below stay importable from
here (the names it held when it was one module), so code written against it keeps working;
code inside the claims package imports from the modules above.
"""

from __future__ import annotations

from transship.claims.arithmetic import amounts_in, check_arithmetic
from transship.claims.data_checks import DataCheck, check_data, data_finding
from transship.claims.facts import (
    MEASURE_TOPIC,
    dimension_of,
    direction_in,
    money_values,
    point,
    scope_of,
    subjects_of,
    territory_code,
    text_periods,
    topic_of,
    years_of,
)
from transship.claims.findings import RULES, SEVERITY_ORDER, Finding
from transship.claims.plausibility import check_attribution
from transship.claims.sourced import Link, SourcedClaim, chain_for, document_name, sourced
from transship.claims.temporal import check_temporal, document_date

__all__ = [
    "MEASURE_TOPIC",
    "RULES",
    "SEVERITY_ORDER",
    "DataCheck",
    "Finding",
    "Link",
    "SourcedClaim",
    "amounts_in",
    "chain_for",
    "check_arithmetic",
    "check_attribution",
    "check_data",
    "check_temporal",
    "data_finding",
    "dimension_of",
    "direction_in",
    "document_date",
    "document_name",
    "money_values",
    "point",
    "scope_of",
    "sourced",
    "subjects_of",
    "territory_code",
    "text_periods",
    "topic_of",
    "years_of",
]
