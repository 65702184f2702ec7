"""The result types of the risk stage: findings, indicators, certificate checks, assessments.

Shared by :mod:`transship.risk.certificates` (findings about one certificate) and
:mod:`transship.risk.assess` (the criterion-7 assessment that weighs them). Every result
explains itself: a finding names its rule (``code``), says in plain words what was found and
lists the rows (store ``record_id`` values) and sources behind it; an indicator carries its
value, weight, contribution to the score and evidence. Plain slots dataclasses: results are
small and built in loops.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

#: Severity of a finding, lowest first. ``critical`` alone indicates a refusal.
Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")

#: Assessment levels, lowest first.
Level = Literal["low", "medium", "high", "refuse-indicated"]
LEVELS: tuple[str, ...] = ("low", "medium", "high", "refuse-indicated")


@dataclass(slots=True)
class Finding:
    """One thing a check found. ``evidence`` holds store record ids (``'<sha16>:<line>'``) and
    source references (``'weapon_systems.csv:12'``, ``'SIPRI AT deal 41234'``, a file and
    line of the document checked)."""

    code: str
    severity: str
    explanation: str
    evidence: list[str] = field(default_factory=list)
    subject: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "explanation": self.explanation,
            "evidence": list(self.evidence),
            "subject": self.subject,
        }


@dataclass(slots=True)
class Indicator:
    """One part of an assessment's score: ``value`` in [0, 1] (1 = most risk), its ``weight``
    (from ``transship/risk/weights.yaml``), ``contribution`` = weight x value / total weight,
    a plain-words explanation and the record ids / source references it rests on.
    ``checked`` is False when the indicator could not be computed (no data); it then
    contributes nothing and the assessment lists it under ``not_checked``."""

    code: str
    value: float
    weight: float
    contribution: float
    explanation: str
    evidence: list[str] = field(default_factory=list)
    checked: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "value": self.value,
            "weight": self.weight,
            "contribution": self.contribution,
            "explanation": self.explanation,
            "evidence": list(self.evidence),
            "checked": self.checked,
        }


@dataclass(slots=True)
class CertificateCheck:
    """Every finding about one certificate, and what could not be checked on it."""

    certificate_id: str
    source: str
    findings: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)
    simulated: bool = False

    @property
    def worst(self) -> str:
        """The highest severity found (``'none'`` when nothing was found)."""
        if not self.findings:
            return "none"
        return max((f.severity for f in self.findings), key=SEVERITIES.index)

    def to_dict(self) -> dict[str, Any]:
        return {
            "certificate_id": self.certificate_id,
            "source": self.source,
            "worst": self.worst,
            "findings": [f.to_dict() for f in self.findings],
            "checked": list(self.checked),
            "not_checked": list(self.not_checked),
            "record": dict(self.record),
            "simulated": self.simulated,
        }


@dataclass(slots=True)
class Assessment:
    """The criterion-7 (EU Common Position 2008/944/CFSP) / ATT article 11 diversion-risk
    assessment of one licence request or certificate.

    ``subject`` is the licence id (or certificate id when only a certificate was given);
    ``score`` in [0, 1]; ``level`` one of :data:`LEVELS`; ``indicators`` every indicator
    weighed; ``findings`` every finding of the checks; ``not_checked`` what the officer must
    know was not looked at (no data, no list, not implemented)."""

    subject: str
    score: float
    level: str
    indicators: list[Indicator] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    kind: str = "licence"
    summary: dict[str, Any] = field(default_factory=dict)
    simulated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "kind": self.kind,
            "score": self.score,
            "level": self.level,
            "indicators": [i.to_dict() for i in self.indicators],
            "findings": [f.to_dict() for f in self.findings],
            "checked": list(self.checked),
            "not_checked": list(self.not_checked),
            "summary": dict(self.summary),
            "simulated": self.simulated,
        }


__all__ = [
    "LEVELS",
    "SEVERITIES",
    "Assessment",
    "CertificateCheck",
    "Finding",
    "Indicator",
    "Level",
    "Severity",
]
