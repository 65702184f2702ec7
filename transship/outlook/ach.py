"""`transship outlook ach`: Heuer's Analysis of Competing Hypotheses on graded claims.

A hypotheses file lists hypotheses (with a prior and observable indicators) and evidence
items, each citing a claim and rating it against every hypothesis: CC (very consistent),
C, N (neutral), I (inconsistent), II (very inconsistent), NA (not applicable).

What is computed, per hypothesis:

* **inconsistency** (Heuer): I counts 1, II counts 2; the hypothesis with the *least*
  inconsistent evidence is the one left standing. Plain counts, and **weighted** as PARC
  ACH 2.0 does: each item times its credibility weight (from the claim's Admiralty grade,
  :func:`transship.outlook.evidence.weight`) and its relevance (high 1, medium 0.7, low 0.4).
* a **likelihood-ratio view**, because studies of ACH in use (Dhami, Belton & Mandel 2019;
  Karvetski & Mandel 2020) found analysts counting non-diagnostic evidence: each rating is
  read as P(evidence | hypothesis) (CC 0.9, C 0.7, N 0.5, I 0.3, II 0.1), pulled toward
  0.5 in proportion to how little the item is worth (weight x relevance), and the posterior
  over the hypotheses is prior x product of likelihoods, normalised (the hypotheses are
  taken as exclusive and exhaustive: stated in the output).

Per item: **diagnosticity** (the spread of its ratings across hypotheses: 0 means it cannot
tell them apart) and a flag when it is consistent with every hypothesis. **Sensitivity**:
which conclusions change when weak-graded (reliability D-F or credibility 4-6) or
single-origin evidence is dropped. **Indicators**: observed when a cited claim exists, with
its date and grade.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transship.outlook import evidence
from transship.outlook.files import fail, need
from transship.outlook.scenario import read

RATINGS = ("CC", "C", "N", "I", "II", "NA")
INCONSISTENCY = {"CC": 0, "C": 0, "N": 0, "I": 1, "II": 2, "NA": 0}
SCORE = {"CC": 2, "C": 1, "N": 0, "I": -1, "II": -2}
LIKELIHOOD = {"CC": 0.9, "C": 0.7, "N": 0.5, "I": 0.3, "II": 0.1}
RELEVANCE = {"high": 1.0, "medium": 0.7, "low": 0.4}


@dataclass(slots=True)
class Hypothesis:
    id: str
    title: str
    prior: float
    indicators: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class Item:
    id: str
    text: str
    claim: evidence.Cited | None
    relevance: str
    ratings: dict[str, str]

    @property
    def weight(self) -> float:
        return evidence.weight(self.claim) * RELEVANCE[self.relevance]

    @property
    def single_origin(self) -> bool:
        return self.claim is None or self.claim.origins <= 1

    @property
    def weak(self) -> bool:
        return self.claim is None or self.claim.weak

    def diagnosticity(self) -> float:
        scores = [SCORE[r] for r in self.ratings.values() if r != "NA"]
        return float(max(scores) - min(scores)) if scores else 0.0

    def consistent_with_all(self) -> bool:
        return all(r in ("CC", "C", "N", "NA") for r in self.ratings.values())


@dataclass(slots=True)
class Scores:
    inconsistency: dict[str, float]
    weighted: dict[str, float]
    posterior: dict[str, float]

    def leader(self) -> dict[str, str]:
        """The hypothesis each measure favours; ties are named as ties (``H1=H3``), never
        broken by the order of the file."""

        def best(scores: dict[str, float], low: bool) -> str:
            top = min(scores.values()) if low else max(scores.values())
            return "=".join(sorted(h for h, v in scores.items() if abs(v - top) < 1e-9))

        return {
            "inconsistency": best(self.inconsistency, True),
            "weighted": best(self.weighted, True),
            "posterior": best(self.posterior, False),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "inconsistency": self.inconsistency,
            "weighted_inconsistency": self.weighted,
            "posterior": self.posterior,
            "leader": self.leader(),
        }


def score(hypotheses: Sequence[Hypothesis], items: Sequence[Item]) -> Scores:
    inc = {h.id: 0.0 for h in hypotheses}
    wei = {h.id: 0.0 for h in hypotheses}
    logp = {h.id: 0.0 for h in hypotheses}
    for h in hypotheses:
        logp[h.id] = math.log(h.prior)
    for it in items:
        w = it.weight
        for h in hypotheses:
            r = it.ratings[h.id]
            inc[h.id] += INCONSISTENCY[r]
            wei[h.id] += INCONSISTENCY[r] * w
            if r != "NA":
                logp[h.id] += math.log(w * LIKELIHOOD[r] + (1 - w) * 0.5)
    top = max(logp.values())
    z = sum(math.exp(v - top) for v in logp.values())
    post = {h: math.exp(v - top) / z for h, v in logp.items()}
    return Scores(inc, {h: round(v, 6) for h, v in wei.items()}, post)


@dataclass(slots=True)
class AchReport:
    file: str
    hypotheses: list[Hypothesis]
    items: list[Item]
    scores: Scores
    sensitivity: list[dict[str, Any]]

    def matrix_csv(self) -> str:
        out = io.StringIO()
        w = csv.writer(out)
        ids = [h.id for h in self.hypotheses]
        w.writerow(
            [
                "item",
                "claim",
                "grade",
                "origins",
                "relevance",
                "weight",
                "diagnosticity",
                *ids,
                "text",
            ]
        )
        for it in self.items:
            c = it.claim
            w.writerow([
                it.id, c.id if c else "", c.grade if c else "", c.origins if c else "", it.relevance,
                f"{it.weight:.3f}", f"{it.diagnosticity():g}", *(it.ratings[h] for h in ids), it.text,
            ])  # fmt: skip
        w.writerow(
            [
                "inconsistency",
                "",
                "",
                "",
                "",
                "",
                "",
                *(f"{self.scores.inconsistency[h]:g}" for h in ids),
                "",
            ]
        )
        w.writerow(
            [
                "weighted",
                "",
                "",
                "",
                "",
                "",
                "",
                *(f"{self.scores.weighted[h]:.3f}" for h in ids),
                "",
            ]
        )
        w.writerow(
            [
                "posterior",
                "",
                "",
                "",
                "",
                "",
                "",
                *(f"{self.scores.posterior[h]:.3f}" for h in ids),
                "",
            ]
        )
        return out.getvalue()

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "hypotheses": [
                {"id": h.id, "title": h.title, "prior": h.prior, "indicators": h.indicators}
                for h in self.hypotheses
            ],
            "items": [
                {
                    "id": it.id,
                    "text": it.text,
                    "claim": it.claim.to_dict() if it.claim else None,
                    "relevance": it.relevance,
                    "weight": it.weight,
                    "ratings": it.ratings,
                    "diagnosticity": it.diagnosticity(),
                    "consistent_with_all": it.consistent_with_all(),
                }
                for it in self.items
            ],
            "scores": self.scores.to_dict(),
            "sensitivity": self.sensitivity,
            "assumptions": [
                "the hypotheses are taken as mutually exclusive and exhaustive for the posterior",
                "ratings read as likelihoods: "
                + ", ".join(f"{k} {v}" for k, v in LIKELIHOOD.items()),
                "an item's likelihood is pulled toward 0.5 by 1 - weight (weight = grade x relevance)",
            ],
        }


def _indicators(
    path: str, node: dict[str, Any], claims: dict[str, evidence.Cited]
) -> list[dict[str, Any]]:
    out = []
    for ind in node.get("indicators") or []:
        text = str(need(path, ind, "text", str))
        ids = [str(i) for i in ind.get("claims") or []]
        unknown = [i for i in ids if i not in claims]
        if unknown:
            raise fail(path, ind, "claims", f"indicator {text!r}: no claim {unknown[0]!r}")
        pattern = ind.get("pattern")
        seen = [claims[i] for i in ids]
        if pattern:
            try:
                rx = re.compile(str(pattern), re.IGNORECASE)
            except re.error as exc:
                raise fail(path, ind, "pattern", f"not a regular expression: {exc}") from None
            seen += [c for c in claims.values() if rx.search(c.text) and c not in seen]
        out.append({
            "text": text,
            "observed": bool(seen),
            "evidence": [{"claim": c.id, "date": c.period, "grade": c.grade, "text": c.text} for c in seen],
        })  # fmt: skip
    return out


def run(path: str | Path, store: Any = None) -> AchReport:
    data, claims, _ = read(path, store)
    file = str(path)
    hyps = []
    for node in need(file, data, "hypotheses", list):
        hid = str(need(file, node, "id", str))
        prior = node.get("prior", None)
        hyps.append(
            Hypothesis(
                hid,
                str(need(file, node, "title", str)),
                float(prior) if prior is not None else -1.0,
                _indicators(file, node, claims),
            )
        )
    if len({h.id for h in hyps}) != len(hyps):
        raise fail(file, data, "hypotheses", "hypothesis ids repeat")
    if all(h.prior < 0 for h in hyps):
        for h in hyps:
            h.prior = 1.0 / len(hyps)
    if any(h.prior <= 0 for h in hyps) or abs(sum(h.prior for h in hyps) - 1.0) > 1e-6:
        raise fail(
            file,
            data,
            "hypotheses",
            "priors must all be given, positive and sum to 1 (or all be left out: equal priors)",
        )
    ids = [h.id for h in hyps]
    items = []
    for node in need(file, data, "evidence", list):
        iid = str(need(file, node, "id", str))
        cid = node.get("claim")
        claim = None
        if cid is not None:
            claim = claims.get(str(cid))
            if claim is None:
                raise fail(
                    file, node, "claim", f"item {iid}: no claim {cid!r} in the case's claims files"
                )
        relevance = str(node.get("relevance", "medium"))
        if relevance not in RELEVANCE:
            raise fail(
                file, node, "relevance", f"item {iid}: high, medium or low, not {relevance!r}"
            )
        ratings = need(file, node, "ratings", dict)
        clean = {k: str(v).upper() for k, v in ratings.items() if not k.startswith("__")}
        if sorted(clean) != sorted(ids):
            raise fail(
                file,
                ratings,
                "ratings",
                f"item {iid}: rate every hypothesis ({', '.join(ids)}), got {', '.join(sorted(clean))}",
            )
        bad = [r for r in clean.values() if r not in RATINGS]
        if bad:
            raise fail(
                file,
                ratings,
                "ratings",
                f"item {iid}: {bad[0]!r} is not one of {', '.join(RATINGS)}",
            )
        items.append(
            Item(
                iid, str(node.get("text") or (claim.text if claim else "")), claim, relevance, clean
            )
        )
    base = score(hyps, items)
    sens = []
    drops: list[tuple[str, Callable[[Item], bool]]] = [
        (
            "weak-graded evidence dropped (reliability D-F or credibility 4-6)",
            lambda it: not it.weak,
        ),
        ("single-origin evidence dropped", lambda it: not it.single_origin),
        ("both dropped", lambda it: not it.weak and not it.single_origin),
    ]
    for label, keep in drops:
        kept = [it for it in items if keep(it)]
        s = score(hyps, kept)
        changed = {k: v for k, v in s.leader().items() if v != base.leader()[k]}
        sens.append(
            {
                "case": label,
                "items_kept": len(kept),
                "leader": s.leader(),
                "changed": changed,
                "posterior": s.posterior,
            }
        )
    return AchReport(file, hyps, items, base, sens)
