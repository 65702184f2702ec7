"""Admiralty grades (NATO AJP-2.1): source reliability A-F and information credibility 1-6,
judged separately, each with its reasons.

*Reliability* is about who the figure comes from: the origin's default grade in the source
registry, with the registry's reason. When the credit cannot be right (a euro figure credited
to SIPRI's TIV database, a body that does not exist, a product credited to a firm that does
not make it), the figure's real origin is unknown and what is left is the document that
carries it: reliability falls to the document's (F when it names no publisher).

*Credibility* is about the information, whoever said it:

====  ================  ===========================================================
1     confirmed         two or more independent origins state it, or the store's data
                        agree, and nothing contradicts it
2     probably true     one origin graded A or B, no contradiction and no doubt found
3     possibly true     one origin graded C to F, no contradiction and no doubt found;
                        or a known publisher's own figure, credited to no source
4     doubtful          credited to a source that could not have said it; arithmetic,
                        dates or period at odds; the only origin is a party to the
                        conflict; or contradicted by a weaker source
5     improbable        contradicted by the store's data, or by a claim from an equally
                        or more reliable source, without independent corroboration
6     cannot be judged  no source credited and no known publisher (or no figure and
                        no source)
====  ================  ===========================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from transship.claims.data_checks import DataCheck
from transship.claims.findings import Finding
from transship.claims.sourced import SourcedClaim
from transship.claims.sources import RELIABILITY_WORDS

CREDIBILITY_WORDS = {
    1: "confirmed",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "cannot be judged",
}
#: Findings that show the credit cannot be right as stated.
MISATTRIBUTION = frozenset(
    {
        "attribution.nonexistent",
        "attribution.unit",
        "attribution.scope",
        "attribution.maker",
        "attribution.direction",
    }
)
#: Findings that cast doubt on the information itself.
DOUBT = frozenset(
    {
        "attribution.topic",
        "attribution.unverified",
        "arithmetic.parts",
        "arithmetic.percent",
        "currency.pair",
        "temporal.source_before_period",
        "temporal.after_document",
        "temporal.source_after_document",
        "contradiction.period",
        "contradiction.attribution",
    }
)
CONTRADICTION = frozenset({"contradiction.value", "contradiction.direction"})


@dataclass(slots=True)
class Grade:
    reliability: str
    reliability_reasons: list[str] = field(default_factory=list)
    credibility: int = 6
    credibility_reasons: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.reliability}{self.credibility}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "grade": self.label,
            "reliability": self.reliability,
            "reliability_words": RELIABILITY_WORDS[self.reliability],
            "reliability_reasons": self.reliability_reasons,
            "credibility": self.credibility,
            "credibility_words": CREDIBILITY_WORDS[self.credibility],
            "credibility_reasons": self.credibility_reasons,
        }


def reliability(sc: SourcedClaim, findings: list[Finding]) -> tuple[str, list[str]]:
    """The origin's registry grade, or the document's when the credit cannot be right."""
    src = sc.origin.source
    reasons = [
        f"origin {src.name}: {src.reliability} ({RELIABILITY_WORDS[src.reliability]}): "
        f"{src.reliability_reason}"
    ]
    if sc.origin.written == "(no source credited)":
        reasons = [f"the document credits no source; the document itself: {src.reliability_reason}"]
    relays = [lk.source.name for lk in sc.chain if lk.role == "relay"]
    if relays:
        reasons.append(f"relayed by {', '.join(dict.fromkeys(relays))}")
    wrong = [
        f
        for f in findings
        if f.rule in MISATTRIBUTION and f.evidence.get("source", f.evidence.get("firm")) == src.id
    ]
    if wrong:
        doc = sc.document_link.source
        reasons.append(
            f"the credit to {src.name} cannot be right ({', '.join(sorted({f.rule for f in wrong}))}): "
            f"the figure's real origin is unknown, so its reliability is the document's: "
            f"{doc.reliability} ({doc.reliability_reason})"
        )
        return doc.reliability, reasons
    return src.reliability, reasons


def credibility(
    sc: SourcedClaim,
    findings: list[Finding],
    independent_origins: int,
    data: DataCheck | None,
    partner_reliability: dict[str, str],
) -> tuple[int, list[str]]:
    """Credibility 1-6 and the reasons (see the module's table)."""
    contra = [f for f in findings if f.rule in CONTRADICTION]
    reasons: list[str] = []
    corroborated = independent_origins >= 2
    own = sc.origin.source.reliability
    if data is not None and data.verdict == "contradicted":
        return 5, [f"contradicted by the store's data: {data.explanation}"]
    stronger = [
        f for f in contra if any(partner_reliability.get(o, "F") <= own for o in _against(f, sc.id))
    ]
    if stronger and not corroborated:
        return 5, [
            f"contradicted by an equally or more reliable source: {f.explanation}" for f in stronger
        ]
    if contra:
        reasons += [f"contradicted by a less reliable source: {f.explanation}" for f in contra]
    mis = [f for f in findings if f.rule in MISATTRIBUTION]
    if mis:
        reasons += [
            f"credited to a source that could not have said it: {f.explanation}" for f in mis
        ]
    doubts = [f for f in findings if f.rule in DOUBT and f.severity != "low"]
    reasons += [f"{f.rule}: {f.explanation}" for f in doubts]
    party_only = sc.origin.source.party_to and independent_origins == 0
    if party_only:
        reasons.append(
            f"the only origin, {sc.origin.source.name}, is a party to the conflict "
            f"({sc.origin.source.party_to}) and nothing independent confirms it"
        )
    if reasons:
        if corroborated and not contra and not mis:
            reasons.insert(0, f"{independent_origins} independent origins state it, but:")
            return 3, reasons
        return 4, reasons
    if corroborated:
        return 1, [f"confirmed by {independent_origins} independent origins"]
    if data is not None and data.verdict == "consistent":
        return 1, [f"consistent with the store's data: {data.explanation}"]
    if sc.dimension is None and sc.origin.written == "(no source credited)":
        return 6, ["no figure and no source credited: nothing to judge it by"]
    if sc.origin.written == "(no source credited)":
        # the publisher's own statement: one origin, unsourced, never better than possibly true
        if sc.origin.source.registered:
            return 3, [
                f"the document credits no source: the figure rests on {sc.origin.source.name} "
                f"({own}) alone, unsourced; no independent origin confirms or contradicts it"
            ]
        return 6, [
            "the document credits no source and its publisher is not known: nothing to "
            "judge the figure by"
        ]
    if own in ("A", "B"):
        return 2, [
            f"one origin ({sc.origin.source.name}, {own}); nothing confirms or contradicts it"
        ]
    return 3, [f"one origin ({sc.origin.source.name}, {own}); nothing confirms or contradicts it"]


def _against(f: Finding, claim_id: str) -> list[str]:
    """The claims a contradiction sets against ``claim_id``: those of the other figures
    (claims stating the same figure as this one agree with it)."""
    clusters = f.evidence.get("clusters")
    if clusters:
        mine: list[str] = next((cl for cl in clusters if claim_id in cl), [])
        return [c for cl in clusters if cl is not mine for c in cl]
    return [c for c in f.claims if c != claim_id]


def grade(
    sc: SourcedClaim,
    findings: list[Finding],
    independent_origins: int,
    data: DataCheck | None = None,
    partner_reliability: dict[str, str] | None = None,
) -> Grade:
    """Reliability and credibility of one claim, judged separately, with reasons."""
    rel, rel_reasons = reliability(sc, findings)
    cred, cred_reasons = credibility(
        sc, findings, independent_origins, data, partner_reliability or {}
    )
    return Grade(rel, rel_reasons, cred, cred_reasons)
