"""Contradictions: the same subject and measure with incompatible values, directions, dates
or attributions, across documents and within one.

Each finding names both claims, both figures (money in US dollars at the ECB annual rate of
the year, so EUR and USD figures meet) and what differs, so a reader can check it against
the two spans:

* ``contradiction.value``: same subject, measure, scope, direction and period, values more
  than :data:`VALUE_RATIO` apart;
* ``contradiction.direction``: the same figure with origin and destination swapped (who
  exports to whom);
* ``contradiction.period``: the same figure from the same origin placed in different periods
  (also within one claim whose words give two periods);
* ``contradiction.attribution``: one document credits the same figure to different origins.
"""

from __future__ import annotations

from typing import Any

from transship.claims.arithmetic import amounts_in
from transship.claims.corroborate import (
    AGREE,
    candidate_pairs,
    comparable,
    comparable_values,
    directions_agree,
    measure_family,
    origin_family,
    relative_gap,
    same_assertion,
    value_of,
)
from transship.claims.facts import quantity_wording
from transship.claims.findings import Finding
from transship.claims.sourced import SourcedClaim

#: Values further apart than this ratio are incompatible.
VALUE_RATIO = 1.5
#: Values within this relative gap are the same figure for direction/period/attribution.
SAME = 0.05


def _fmt(sc: SourcedClaim) -> str:
    """A claim as a contradiction names it: id, words, and USD when it is money."""
    wording = quantity_wording(sc.claim)
    usd = (
        f" (USD {sc.value_usd:,.0f})"
        if sc.value_usd is not None and sc.dimension == "money"
        else ""
    )
    return f"{sc.id} {wording!r}{usd}"


def _period(p: tuple[int, int]) -> str:
    return str(p[0]) if p[0] == p[1] else f"{p[0]}-{p[1]}"


def contradictions(claims: list[SourcedClaim]) -> list[Finding]:
    """Every pair of claims that cannot both be right, and claims at odds with themselves."""
    out: list[Finding] = []
    for sc in claims:
        out.extend(_within(sc))
    out.extend(value_contradictions(claims))
    for a, b in candidate_pairs(claims):
        out.extend(_pair(a, b))
    return out


def value_contradictions(claims: list[SourcedClaim]) -> list[Finding]:
    """One finding per thing measured (same dimension, named measure, topic, product scope,
    period, subjects and route) whose claims give figures more than :data:`VALUE_RATIO`
    apart: the figures, each with the claims that state it. Figures within
    :data:`AGREE` of each other are one figure; two figures of one sentence never
    contradict each other."""
    blocks: dict[tuple[Any, ...], list[SourcedClaim]] = {}
    for c in claims:
        v = value_of(c)
        fam = measure_family(c.claim.measure)
        if c.dimension is None or v is None or v <= 0 or c.years is None or fam == "value":
            continue
        topic = "trade" if c.topic == "arms_trade" else c.topic
        key = (c.dimension, fam, topic, c.scope, c.years, c.subjects, c.origin_code, c.dest_code)
        blocks.setdefault(key, []).append(c)
    out: list[Finding] = []
    for key, members in blocks.items():
        if len(members) < 2 or len({m.claim.span for m in members}) < 2:
            continue
        members.sort(key=lambda m: value_of(m) or 0.0)
        clusters: list[list[SourcedClaim]] = []
        for m in members:
            v = value_of(m) or 0.0
            if clusters and v <= (value_of(clusters[-1][0]) or 0.0) * (1 + AGREE):
                clusters[-1].append(m)
            else:
                clusters.append([m])
        if len(clusters) < 2:
            continue
        lo, hi = value_of(clusters[0][0]) or 0.0, value_of(clusters[-1][0]) or 0.0
        ratio = hi / lo if lo else float("inf")
        if ratio <= VALUE_RATIO:
            continue
        spans = {m.claim.span for cl in (clusters[0], clusters[-1]) for m in cl}
        if len(spans) < 2:
            continue
        years = key[4]
        figures = "; ".join(
            f"{_fmt(cl[0])}" + (f" (also {', '.join(m.id for m in cl[1:])})" if cl[1:] else "")
            for cl in clusters
        )
        out.append(
            Finding(
                "contradiction.value",
                "high" if ratio > 3 else "medium",
                [m.id for cl in clusters for m in cl],
                f"{len(members)} claims measure the same thing ({key[1]}, {_period(years)}) "
                f"with {len(clusters)} incompatible figures, up to {ratio:.1f}-fold apart: "
                f"{figures}.",
                {
                    "clusters": [[m.id for m in cl] for cl in clusters],
                    "values": [value_of(cl[0]) for cl in clusters],
                    "ratio": ratio,
                },
            )
        )
    return out


def _within(sc: SourcedClaim) -> list[Finding]:
    distinct = []
    for p in sc.periods:
        if p not in distinct:
            distinct.append(p)
    if len(distinct) < 2 or sc.dimension is None or len(amounts_in(sc.claim.text)) > 1:
        return []
    return [
        Finding(
            "contradiction.period",
            "medium",
            [sc.id],
            f"{sc.id} gives one figure for different periods: "
            + " and ".join(_period(p) for p in distinct)
            + ". One total cannot cover both.",
            {"periods": [list(p) for p in distinct]},
        )
    ]


def _open_match(p: tuple[int, int], mine: SourcedClaim, other: SourcedClaim) -> bool:
    """True when period ``p`` of ``mine`` and one of ``other``'s start in the same year and
    either is left open ("since 2023"): "since 2023" and "2023-2025" do not disagree."""
    return any(
        q[0] == p[0] and (p[0] in mine.open_starts or q[0] in other.open_starts)
        for q in other.periods
    )


def _pair(a: SourcedClaim, b: SourcedClaim) -> list[Finding]:
    va, vb = comparable_values(a, b)
    if va is None or vb is None:
        return []
    out: list[Finding] = []
    both = [a.id, b.id]
    # direction: same figure, origin and destination swapped
    if (
        a.dimension == b.dimension
        and a.origin_code
        and a.dest_code
        and a.origin_code == b.dest_code
        and a.dest_code == b.origin_code
        and relative_gap(va, vb) <= SAME
        and (
            a.years is None
            or b.years is None
            or a.years == b.years
            or _open_match(a.years, a, b)  # "since 2022" and "2022-2024"
        )
    ):
        out.append(
            Finding(
                "contradiction.direction",
                "high",
                both,
                f"{_fmt(a)} goes {a.origin_code} -> {a.dest_code}; {_fmt(b)} is the same figure "
                f"going {b.origin_code} -> {b.dest_code}. One of them has the direction wrong "
                "(exports of one are not the exports of the other).",
                {"a": [a.origin_code, a.dest_code], "b": [b.origin_code, b.dest_code]},
            )
        )
        return out
    if not comparable(a, b):
        return out
    if not same_assertion(a, b, SAME) or not directions_agree(a, b):
        return out
    fa, fb = origin_family(a), origin_family(b)
    # period: same figure, same origin, different periods
    # (when both claims' own periods agree, the difference is one claim's words giving a
    # second period, which that claim's own finding already says: SR03 against SR04)
    if (
        fa == fb
        and a.periods
        and b.periods
        and set(a.periods) != set(b.periods)
        and not (a.years == b.years and (len(a.periods) > 1 or len(b.periods) > 1))
    ):
        only_a = [p for p in a.periods if p not in b.periods and not _open_match(p, a, b)]
        only_b = [p for p in b.periods if p not in a.periods and not _open_match(p, b, a)]
        if only_a or only_b:
            out.append(
                Finding(
                    "contradiction.period",
                    "medium",
                    both,
                    f"{_fmt(a)} and {_fmt(b)} are the same figure from "
                    f"{a.origin.source.name}, placed in "
                    f"{', '.join(_period(p) for p in a.periods)} by {a.id} and in "
                    f"{', '.join(_period(p) for p in b.periods)} by {b.id}.",
                    {"a": [list(p) for p in a.periods], "b": [list(p) for p in b.periods]},
                )
            )
    # attribution: one document, one figure, two origins
    if (
        a.document.document_id == b.document.document_id
        and fa != fb
        and a.claim.attributed_to
        and b.claim.attributed_to
        and a.reaction_to is None
        and b.reaction_to is None
    ):
        names_a = {lk.source.id for lk in a.credited}
        names_b = {lk.source.id for lk in b.credited}
        if not (names_a & names_b):
            out.append(
                Finding(
                    "contradiction.attribution",
                    "low",
                    both,
                    f"the same document credits the same figure to "
                    f"{a.origin.source.name} ({a.id}) and to {b.origin.source.name} ({b.id}).",
                    {"a": sorted(names_a), "b": sorted(names_b)},
                )
            )
    return out
