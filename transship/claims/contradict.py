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

from transship.claims.checks import Finding, SourcedClaim, amounts_in
from transship.claims.corroborate import (
    candidate_pairs,
    comparable,
    comparable_values,
    directions_agree,
    measure_family,
    origin_family,
    relative_gap,
    same_assertion,
)

#: Values further apart than this ratio are incompatible.
VALUE_RATIO = 1.5
#: Values within this relative gap are the same figure for direction/period/attribution.
SAME = 0.05


def _same_measure(a: SourcedClaim, b: SourcedClaim) -> bool:
    """Strict identity for a value contradiction: the same named measure and the same
    territories, parties and products (overlap is enough to corroborate, not to refute)."""
    ma, mb = measure_family(a.claim.measure), measure_family(b.claim.measure)
    return ma == mb and ma != "value" and a.subjects == b.subjects


def _fmt(sc: SourcedClaim) -> str:
    q = sc.claim.quantity
    wording = q.wording if q is not None and q.wording else ""
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
    for a, b in candidate_pairs(claims):
        out.extend(_pair(a, b))
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
        and (a.years is None or b.years is None or a.years == b.years)
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
    # value: same everything, incompatible numbers (two figures of one sentence are two
    # figures, never a contradiction)
    if (
        a.claim.span != b.claim.span
        and _same_measure(a, b)
        and a.years is not None
        and a.years == b.years
        and (a.origin_code, a.dest_code) == (b.origin_code, b.dest_code)
        and max(va, vb) > VALUE_RATIO * min(va, vb) > 0
    ):
        ratio = max(va, vb) / min(va, vb)
        out.append(
            Finding(
                "contradiction.value",
                "high" if ratio > 3 else "medium",
                both,
                f"{_fmt(a)} and {_fmt(b)} measure the same thing for {_period(a.years)} but "
                f"differ {ratio:.1f}-fold.",
                {"a": va, "b": vb, "ratio": ratio},
            )
        )
        return out
    if not same_assertion(a, b, SAME) or not directions_agree(a, b):
        return out
    fa, fb = origin_family(a), origin_family(b)
    # period: same figure, same origin, different periods
    if fa == fb and a.periods and b.periods and set(a.periods) != set(b.periods):
        only_a = [p for p in a.periods if p not in b.periods]
        only_b = [p for p in b.periods if p not in a.periods]
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
