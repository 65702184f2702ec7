"""What a check says: one named rule's result on one or more claims.

Every check is a named rule (:data:`RULES`) whose :class:`Finding` says, in words a reader can
verify, what was compared with what: the figure, the source's published scope, the ECB rate of
the year, the dates. No check returns a bare flag. The rules' words are in the docs, the UI and
``--json`` (``rules``), so a finding can always be read beside what its rule checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Rule name -> what it checks, for the docs, the UI and --json.
RULES: dict[str, str] = {
    "attribution.nonexistent": "The credited body does not exist as named (registry: exists=no).",
    "attribution.unverified": "The credited body could not be matched to a known one "
    "(registry: exists=unverified).",
    "attribution.unit": "The figure's unit or currency is not one the credited source publishes "
    "(SIPRI's Arms Transfers Database counts TIV, not euros).",
    "attribution.scope": "The figure is about products outside the credited source's coverage "
    "(SIPRI leaves out small arms and their ammunition).",
    "attribution.topic": "The credited source is not known to publish figures on this topic.",
    "attribution.direction": "A statistics office publishes its own country's trade; the claim "
    "is about trade between other countries.",
    "attribution.maker": "A product is credited to a firm that does not make it.",
    "attribution.several": "Several sources are credited together (a Sources cell): the most "
    "reliable that could have stated the figure is taken as its origin.",
    "attribution.party": "The origin is a party to the conflict: not an independent witness.",
    "arithmetic.parts": "Parts stated beside a total add up to more than the total.",
    "arithmetic.percent": "A percentage stated beside its parts does not match them.",
    "arithmetic.implied": "A share and a total stated together imply a third figure, shown so "
    "the reader can check it.",
    "currency.pair": "An amount given in EUR and USD does not match the ECB rate of the year.",
    "temporal.source_before_period": "The credited source is dated before the end of the period "
    "it is said to describe.",
    "temporal.after_document": "The claim describes a time after the document's own date.",
    "temporal.source_after_document": "The document credits a source dated after the document.",
    "contradiction.value": "Same subject, measure and period, incompatible values.",
    "contradiction.direction": "Same figure, opposite directions (who exports to whom).",
    "contradiction.period": "Same figure from the same origin, different periods.",
    "contradiction.attribution": "Same figure credited to different origins in one document.",
    "data.consistent": "The store's data agree with the claim within the tolerance of the "
    "data compared (trade rows: a factor of two; COARM: 25 %, or within the licensed value as "
    "an upper bound; SIPRI: 25 % or two items).",
    "data.contradicted": "The store's data for the same country, measure and years differ "
    "from the claim beyond the tolerance of the data compared (trade rows: more than a factor "
    "of three; COARM: beyond a factor of two, or three times the licensed value; SIPRI: "
    "beyond a factor of two).",
    "data.outside_coverage": "The store holds no rows that could test the claim (not the same "
    "as contradicted).",
    "data.inconclusive": "The store's data differ from the claim by more than the tolerance "
    "but not enough to contradict it (trade rows: a factor of two to three; COARM and SIPRI: "
    "up to a factor of two).",
}
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}


@dataclass(slots=True)
class Finding:
    """One rule's result: the claims it concerns, how serious, and why (in words a reader
    can verify), with the numbers and rows compared in ``evidence``."""

    rule: str
    severity: str
    claims: list[str]
    explanation: str
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.rule.split(".", 1)[0]

    def sort_key(self) -> tuple[int, str, str]:
        return (SEVERITY_ORDER.get(self.severity, 9), self.kind, ",".join(self.claims))

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "kind": self.kind,
            "severity": self.severity,
            "claims": self.claims,
            "explanation": self.explanation,
            "rule_explanation": RULES.get(self.rule, ""),
            "evidence": self.evidence,
        }
