"""How every flows score explains itself: indicators with values, weights and evidence rows.

Shared by mirror, hubs and routes. ``evidence`` always holds ``trade_flows.record_id`` values
(``'<sha16>:<line>[:<sub>]'``), so each number can be traced to the source file lines behind it
(``transship sql "SELECT * FROM trade_flows WHERE record_id IN (...)"``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Evidence:
    """A set of trade_flows rows playing one role in a score (e.g. 'inflow', 'outflow')."""

    role: str
    record_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "record_ids": list(self.record_ids)}


@dataclass(slots=True)
class Indicator:
    """One part of a score: ``value`` (in [0, 1] for hub indicators), its ``weight`` in the
    score (0 when the indicator could not be computed; ``detail`` then says why), and the
    record ids of the rows it was computed from."""

    name: str
    value: float
    weight: float
    evidence: list[str] = field(default_factory=list)
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": _clean(self.value),
            "weight": _clean(self.weight),
            "evidence": list(self.evidence),
            "detail": self.detail,
        }


def weighted_score(indicators: Sequence[Indicator]) -> float:
    """The weighted mean of the indicators that could be computed (weight > 0); 0 if none.

    Renormalising over available indicators keeps scores comparable between territories
    that report re-exports and those that do not, instead of penalising the silent ones."""
    total = sum(i.weight for i in indicators if i.weight > 0)
    if total <= 0:
        return 0.0
    return sum(i.weight * i.value for i in indicators if i.weight > 0) / total


def merge_ids(*groups: Iterable[str] | None) -> list[str]:
    """Sorted union of record-id lists (None ignored)."""
    out: set[str] = set()
    for g in groups:
        if g:
            out.update(g)
    return sorted(out)


def _clean(v: float | None) -> float | None:
    if v is None or (isinstance(v, float) and (math.isnan(v) or math.isinf(v))):
        return None
    return float(v)
