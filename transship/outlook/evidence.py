"""Graded claims for the outlook: every number and every piece of evidence keeps its grade.

The outlook reads claims through the claims stage (:func:`transship.claims.check.check_case`):
each gets its Admiralty reliability (A-F), credibility (1-6) and count of independent
origins, and those decide how far a parameter's range widens (:func:`spread_factor`) and how
much an ACH item weighs (:func:`weight`). A case's outlook files name the claims files they
cite (``claims:``, beside the file); the case's ``claims.jsonl`` is always read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transship.claims.check import GradedClaim, check_case
from transship.store import Store

#: How much wider a claim-derived range gets per reliability grade (A: as stated). F (cannot
#: be judged) is treated like D: unknown is not better than doubtful.
RELIABILITY_SPREAD = {"A": 1.0, "B": 1.25, "C": 1.6, "D": 2.2, "E": 3.0, "F": 2.2}
#: ... and per credibility (1 confirmed ... 5 improbable; 6 cannot be judged, like 4).
CREDIBILITY_SPREAD = {1: 1.0, 2: 1.15, 3: 1.4, 4: 1.8, 5: 2.5, 6: 1.8}
#: The weight an ACH item's rating carries, by the same grades (PARC ACH 2.0 weighs items by
#: credibility and relevance; these are transship's numbers for the Admiralty scale).
RELIABILITY_WEIGHT = {"A": 1.0, "B": 0.9, "C": 0.7, "D": 0.5, "E": 0.3, "F": 0.5}
CREDIBILITY_WEIGHT = {1: 1.0, 2: 0.9, 3: 0.7, 4: 0.5, 5: 0.3, 6: 0.5}
#: Weak evidence for the sensitivity runs: reliability D-F or credibility 4-6.
WEAK_RELIABILITY = frozenset("DEF")
WEAK_CREDIBILITY = 4


@dataclass(frozen=True, slots=True)
class Cited:
    """What the outlook needs of one claim."""

    id: str
    text: str
    reliability: str
    credibility: int
    origins: int
    period: str | None
    origin_name: str
    document: str
    span: tuple[int, int]

    @property
    def grade(self) -> str:
        return f"{self.reliability}{self.credibility}"

    @property
    def weak(self) -> bool:
        return self.reliability in WEAK_RELIABILITY or self.credibility >= WEAK_CREDIBILITY

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "grade": self.grade,
            "reliability": self.reliability,
            "credibility": self.credibility,
            "origins": self.origins,
            "period": self.period,
            "source": self.origin_name,
            "document": self.document,
            "span": list(self.span),
        }


def _cited(c: GradedClaim) -> Cited:
    period = None
    if c.period:
        lo, hi = c.period
        period = lo if lo == hi or hi is None else f"{lo}/{hi}"
    return Cited(
        c.id, c.text, c.reliability, int(c.credibility), int(c.origins), period,
        c.origin_name, c.document, (int(c.span[0]), int(c.span[1])),
    )  # fmt: skip


def graded(
    case_dir: str | Path, extra: Sequence[str | Path] = (), store: Store | None = None
) -> dict[str, Cited]:
    """Claim id -> its grade, for the case's claims.jsonl and the ``extra`` claims files."""
    report = check_case(case_dir, store=store, documents=list(extra))
    return {c.id: _cited(c) for c in report.claims}


def spread_factor(c: Cited) -> float:
    """How many times a range stated for ``c``'s figure is widened: by reliability, by
    credibility, and by sqrt(2 / (1 + origins)) for independent origins (one origin: 1;
    three: 0.71; none, e.g. a party to the conflict speaking for itself: 1.41)."""
    origins = max(0, c.origins)
    return (
        RELIABILITY_SPREAD[c.reliability]
        * CREDIBILITY_SPREAD[c.credibility]
        * math.sqrt(2.0 / (1.0 + origins))
    )


def weight(c: Cited | None) -> float:
    """An ACH item's credibility weight (an item citing no claim: 0.5, like an F6)."""
    if c is None:
        return 0.5 * 0.5
    return RELIABILITY_WEIGHT[c.reliability] * CREDIBILITY_WEIGHT[c.credibility]
