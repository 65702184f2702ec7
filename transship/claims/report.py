"""What `transship claims check` returns: every claim graded, and the report around them.

:class:`ClaimReport` holds the claims (:class:`GradedClaim`: where each is, what it says, who
said it, its grades and findings), the corroboration groups, the findings, the data checks
and what no rule checks yet (:data:`NOT_CHECKED`), in the order an analyst reads them; its
``to_dict()`` is the ``--json`` output and the API's body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from transship.claims.corroborate import Group
from transship.claims.data_checks import DataCheck
from transship.claims.findings import RULES, Finding
from transship.claims.grades import CREDIBILITY_WORDS, Grade
from transship.claims.sources import RELIABILITY_WORDS
from transship.exc import NotFound

#: What no rule here checks yet (said in every report).
NOT_CHECKED = [
    "shares against a total taken from outside the document (GDP, national accounts): the "
    "implied figure is shown for the reader to compare",
    "claims other than money figures and counts of major weapons delivered are not compared "
    "with the store's data (trade rows, COARM, SIPRI)",
    "indirect flows (through third countries) are not compared with routes; see `transship routes`",
]


@dataclass(slots=True)
class GradedClaim:
    """One claim as the report shows it: where it is, what it says, who said it, how good."""

    id: str
    document: str
    span: tuple[int, int]
    text: str
    excerpt: str
    measure: str
    quantity: dict[str, Any] | None
    period: tuple[str | None, str | None] | None
    direction: tuple[str | None, str | None] | None
    attributed_to: list[str]
    origin: str
    origin_name: str
    chain: list[dict[str, Any]]
    reliability: str
    credibility: int
    grade: Grade
    origins: int
    group: str
    findings: list[str] = field(default_factory=list)
    data: str | None = None
    severity: int = 9

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "document": self.document,
            "span": list(self.span),
            "text": self.text,
            "excerpt": self.excerpt,
            "measure": self.measure,
            "quantity": self.quantity,
            "period": list(self.period) if self.period else None,
            "direction": list(self.direction) if self.direction else None,
            "attributed_to": self.attributed_to,
            "origin": self.origin,
            "origin_name": self.origin_name,
            "chain": self.chain,
            "reliability": self.reliability,
            "credibility": self.credibility,
            **{
                k: v
                for k, v in self.grade.to_dict().items()
                if k not in ("reliability", "credibility")
            },
            "origins": self.origins,
            "group": self.group,
            "findings": self.findings,
            "data": self.data,
        }


@dataclass(slots=True)
class ClaimReport:
    """Everything `transship claims check` says, in the order an analyst reads it."""

    documents: list[dict[str, Any]]
    claims: list[GradedClaim]
    groups: list[Group]
    findings: list[Finding]
    data_checks: list[DataCheck]
    registry: list[str]
    simulated: bool = False
    not_checked: list[str] = field(default_factory=lambda: list(NOT_CHECKED))
    #: document id -> its text (for showing a span in context; not in ``to_dict``)
    texts: dict[str, str] = field(default_factory=dict)
    #: a case's own doubts (case.yaml) and the rules that found each, if any
    case_doubts: list[dict[str, Any]] = field(default_factory=list)

    def context(self, claim_id: str, chars: int = 400) -> dict[str, Any]:
        """The claim's span in its document with up to ``chars`` characters either side."""
        c = self.claim(claim_id)
        text = self.texts.get(c.document, "")
        a, b = c.span
        return {
            "before": text[max(0, a - chars) : a],
            "span": text[a:b],
            "after": text[b : b + chars],
            "start": a,
            "end": b,
            "document_chars": len(text),
        }

    def claim(self, claim_id: str) -> GradedClaim:
        for c in self.claims:
            if c.id == claim_id:
                return c
        raise NotFound(f"no claim {claim_id!r} in this report")

    def summary(self) -> dict[str, Any]:
        by_rule: dict[str, int] = {}
        for f in self.findings:
            by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
        return {
            "documents": len(self.documents),
            "claims": len(self.claims),
            "groups_with_several_claims": sum(1 for g in self.groups if len(g.members) > 1),
            "findings": by_rule,
            "data_checks": {
                v: sum(1 for d in self.data_checks if d.verdict == v)
                for v in sorted({d.verdict for d in self.data_checks})
            },
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "documents": self.documents,
            "claims": [c.to_dict() for c in self.claims],
            "groups": [g.to_dict() for g in self.groups],
            "findings": [f.to_dict() for f in self.findings],
            "data_checks": [d.to_dict() for d in self.data_checks],
            "rules": RULES,
            "reliability_scale": RELIABILITY_WORDS,
            "credibility_scale": {str(k): v for k, v in CREDIBILITY_WORDS.items()},
            "registry": self.registry,
            "simulated": self.simulated,
            "not_checked": self.not_checked,
            "case_doubts": self.case_doubts,
        }
