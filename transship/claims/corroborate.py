"""Corroboration by independent origin: how many witnesses stand behind a figure.

Five outlets repeating the Financial Times are one origin, not five; a relay of a relay is
still the same origin; the same outlet repeating itself a year later is not corroboration; a
head of state "responding to" the FT's figure is a reaction to it, not a second witness; and
sources of one family (a state's intelligence service, its ministries and its state media,
``affiliation`` in the registry) are one origin between them. An origin that is a party to
the conflict is listed but not counted as an independent witness.

Claims make *the same assertion* (:func:`same_assertion`) when they measure the same thing
(same dimension — money, percent or a counted unit — and topic, compatible measure, product
scope and direction, a shared subject), over overlapping periods, with values within
:data:`AGREE` of each other (money compared in US dollars at the ECB annual rate). Such claims
form a group; the group's origins are the distinct origin families of its members.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from transship.claims.facts import point, quantity_wording
from transship.claims.sourced import SourcedClaim

#: Relative difference under which two figures are the same figure (rounding, EUR vs USD).
AGREE = 0.1
#: Percentages are written exactly: 62% and 66% are two figures.
PERCENT_AGREE = 0.02

_MEASURE_FAMILY = {
    "export": "exports",
    "exports": "exports",
    "exported": "exports",
    "deliveries": "exports",
    "delivery": "exports",
    "supplies": "exports",
    "import": "imports",
    "imports": "imports",
    "imported": "imports",
    "revenue": "revenue",
    "revenues": "revenue",
    "production": "production",
    "produces": "production",
    "capacity": "production",
}


def measure_family(measure: str) -> str:
    m = (measure or "value").strip().lower()
    return _MEASURE_FAMILY.get(m, _MEASURE_FAMILY.get(m.split()[0] if m else "", m))


def value_of(sc: SourcedClaim) -> float | None:
    """The figure compared: USD for money, the point value otherwise."""
    if sc.dimension == "money":
        return sc.value_usd
    return point(sc.claim)


def comparable_values(a: SourcedClaim, b: SourcedClaim) -> tuple[float | None, float | None]:
    """The two figures to compare: amounts as written when both are money in one currency
    (no exchange rate needed, none guessed for a claim without a year), else
    :func:`value_of` (US dollars at the ECB rate of each claim's year)."""
    qa, qb = a.claim.quantity, b.claim.quantity
    if (
        a.dimension == b.dimension == "money"
        and qa is not None
        and qb is not None
        and qa.currency
        and qa.currency == qb.currency
    ):
        return point(a.claim), point(b.claim)
    return value_of(a), value_of(b)


def relative_gap(a: float, b: float) -> float:
    hi, lo = max(abs(a), abs(b)), min(abs(a), abs(b))
    return 0.0 if hi == 0 else (hi - lo) / hi


def comparable(a: SourcedClaim, b: SourcedClaim) -> bool:
    """Same kind of figure about the same thing (values not compared)."""
    if a.dimension is None or a.dimension != b.dimension:
        return False
    if a.topic != b.topic and "other" not in (a.topic, b.topic):
        if {a.topic, b.topic} != {"trade", "arms_trade"}:
            return False
    fa, fb = measure_family(a.claim.measure), measure_family(b.claim.measure)
    if fa != fb and "value" not in (fa, fb):
        return False
    if a.scope and b.scope and a.scope != b.scope:
        return False
    if not _compatible(_with_route(a), _with_route(b)):
        return False
    if a.origin_code and b.origin_code and a.origin_code != b.origin_code:
        return False
    return True


def _with_route(sc: SourcedClaim) -> frozenset[str]:
    """Subjects plus the territories of the claim's direction (Ukraine as the subject of one
    telling is the destination of another)."""
    ends = {f"territory:{t}" for t in (sc.origin_code, sc.dest_code) if t}
    return sc.subjects | ends


def _compatible(sa: frozenset[str], sb: frozenset[str]) -> bool:
    """Subjects that can be the same: territories shared (or one side names none), and
    parties/products shared (or one side names none). Extraction of subjects from table
    cells is partial, so a missing kind is not a difference."""
    ta = {k for k in sa if k.startswith("territory:")}
    tb = {k for k in sb if k.startswith("territory:")}
    oa, ob = sa - ta, sb - tb
    if not (sa or sb):
        return True
    return (
        bool(ta & tb or not ta or not tb)
        and bool(oa & ob or not oa or not ob)
        and bool((ta & tb) or (oa & ob) or not (sa and sb) or not (ta and tb))
    )


def periods_overlap(a: SourcedClaim, b: SourcedClaim) -> bool:
    if a.years is None or b.years is None:
        return True
    return a.years[0] <= b.years[1] and b.years[0] <= a.years[1]


def directions_agree(a: SourcedClaim, b: SourcedClaim) -> bool:
    return all(
        x is None or y is None or x == y
        for x, y in ((a.origin_code, b.origin_code), (a.dest_code, b.dest_code))
    )


def same_assertion(a: SourcedClaim, b: SourcedClaim, tolerance: float = AGREE) -> bool:
    """Do ``a`` and ``b`` state the same figure about the same thing?"""
    if not comparable(a, b) or not periods_overlap(a, b) or not directions_agree(a, b):
        return False
    va, vb = comparable_values(a, b)
    if a.dimension == "percent":
        tolerance = min(tolerance, PERCENT_AGREE)
    return va is not None and vb is not None and relative_gap(va, vb) <= tolerance


def origin_family(sc: SourcedClaim) -> str:
    """The origin a claim's figure goes back to, as an independence key: the registry's
    affiliation (``state:ru``) or the source id; a reaction counts as what it reacts to."""
    return sc.origin.source.independence_key


@dataclass(slots=True)
class Origin:
    """One independent origin in a group: its source, the members that go back to it and
    each member's chain of relay (origin -> relays -> document)."""

    family: str
    source: str
    name: str
    reliability: str
    independent: bool
    why_not: str | None
    members: list[str]
    chains: list[list[dict[str, Any]]]
    dates: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "source": self.source,
            "name": self.name,
            "reliability": self.reliability,
            "independent": self.independent,
            "why_not_independent": self.why_not,
            "members": self.members,
            "chains": self.chains,
            "dates": self.dates,
        }


@dataclass(slots=True)
class Group:
    """Claims stating the same figure, and how many independent origins stand behind them."""

    id: str
    members: list[str]
    figure: str
    origins: list[Origin] = field(default_factory=list)
    explanation: str = ""

    @property
    def independent_origins(self) -> int:
        return sum(1 for o in self.origins if o.independent)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "members": self.members,
            "figure": self.figure,
            "origins": [o.to_dict() for o in self.origins],
            "independent_origins": self.independent_origins,
            "explanation": self.explanation,
        }


def _find(parent: dict[str, str], x: str) -> str:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def _figure(sc: SourcedClaim) -> str:
    """How a group names its figure: the words, the route and the years."""
    what = quantity_wording(sc.claim) or sc.claim.measure
    period = f" ({sc.years[0]}-{sc.years[1]})" if sc.years else ""
    route = ""
    if sc.origin_code or sc.dest_code:
        route = f" {sc.origin_code or '?'} -> {sc.dest_code or '?'}"
    return f"{what}{route}{period}"


#: Values within this ratio of each other are compared (looser than :data:`AGREE`, because
#: the window is on US dollars while one currency is compared as written).
WINDOW = 1.35


def candidate_pairs(claims: list[SourcedClaim]) -> list[tuple[SourcedClaim, SourcedClaim]]:
    """Pairs worth comparing, in input order, without comparing every pair.

    Claims of one dimension whose values lie within :data:`WINDOW` of each other (a sliding
    window over sorted values): candidates for the same figure, a swapped direction, another
    period or another credit. Incompatible values are found by blocks, not pairs
    (:func:`transship.claims.contradict.value_contradictions`). Claims without a figure pair
    with nothing. Cost: about n log n plus the pairs found."""
    import math

    order = {c.id: i for i, c in enumerate(claims)}
    seen: set[tuple[int, int]] = set()
    by_dim: dict[str, list[tuple[float, SourcedClaim]]] = {}
    for c in claims:
        v = value_of(c)
        if c.dimension is None or v is None:
            continue
        by_dim.setdefault(c.dimension, []).append((v, c))

    def add(a: SourcedClaim, b: SourcedClaim) -> None:
        i, j = sorted((order[a.id], order[b.id]))
        seen.add((i, j))

    span = math.log(WINDOW)
    for items in by_dim.values():
        items.sort(key=lambda t: (abs(t[0]), order[t[1].id]))
        logs = [math.log(abs(v)) if v else -1e9 for v, _ in items]
        lo = 0
        for hi in range(len(items)):
            while logs[hi] - logs[lo] > span:
                lo += 1
            for k in range(lo, hi):
                add(items[k][1], items[hi][1])
    return [(claims[i], claims[j]) for i, j in sorted(seen)]


def corroboration_groups(claims: list[SourcedClaim]) -> list[Group]:
    """Groups of claims that state the same figure, each with its independent origins.

    Every claim is in exactly one group (a claim alone is a group of one, with one origin).
    Groups are numbered by their first member in input order."""
    parent = {c.id: c.id for c in claims}
    for a, b in candidate_pairs(claims):
        if same_assertion(a, b):
            ra, rb = _find(parent, a.id), _find(parent, b.id)
            if ra != rb:
                parent[rb] = ra
    members: dict[str, list[SourcedClaim]] = {}
    for c in claims:
        members.setdefault(_find(parent, c.id), []).append(c)
    groups: list[Group] = []
    for n, (_root, cs) in enumerate(members.items(), 1):
        group = Group(id=f"G{n:02d}", members=[c.id for c in cs], figure=_figure(cs[0]))
        families = _families(cs)
        for fam, fcs in families.items():
            src = fcs[0].origin.source
            party = next((c.origin.source for c in fcs if c.origin.source.party_to), None)
            why_not = None
            if party is not None:
                why_not = (
                    f"{party.name} is a party to the conflict ({party.party_to}): not an "
                    "independent witness"
                )
            raw = sorted(
                {d for c in fcs if c.origin.source.id == src.id and (d := _origin_date(c))}
            )
            # "2024-06" and "2024-06-22" are one date written at two precisions
            dates = [d for d in raw if not any(o != d and o.startswith(d) for o in raw)]
            group.origins.append(
                Origin(
                    family=fam,
                    source=src.id,
                    name=src.name,
                    reliability=src.reliability,
                    independent=why_not is None,
                    why_not=why_not,
                    members=[c.id for c in fcs],
                    chains=[[lk.to_dict() for lk in c.chain] for c in fcs],
                    dates=dates,
                )
            )
        group.explanation = _explain(group, cs)
        groups.append(group)
    return groups


def _origin_date(c: SourcedClaim) -> str | None:
    """When the origin said it: the credit's date; for a publisher's own uncredited figure,
    its document's date (the FT's piece of June 2024 and its repeat a year later)."""
    if c.origin.date:
        return c.origin.date
    if c.origin.written == "(no source credited)":
        return c.document.date
    return None


def _families(cs: list[SourcedClaim]) -> dict[str, list[SourcedClaim]]:
    """Members grouped by origin: the same independence key, or one document repeating a
    figure under overlapping credits (a document repeating itself is not corroboration)."""
    parent = {c.id: c.id for c in cs}
    for i, a in enumerate(cs):
        for b in cs[i + 1 :]:
            same = origin_family(a) == origin_family(b)
            unsourced = "(no source credited)" in (a.origin.written, b.origin.written)
            if not same and a.document.document_id == b.document.document_id and unsourced:
                same = True  # a document repeating its own figure without a source
            if not same and a.document.document_id == b.document.document_id:
                ka = {lk.source.independence_key for lk in a.credited}
                kb = {lk.source.independence_key for lk in b.credited}
                same = bool(ka & kb)
            if same:
                ra, rb = _find(parent, a.id), _find(parent, b.id)
                if ra != rb:
                    parent[rb] = ra
    out: dict[str, list[SourcedClaim]] = {}
    for c in cs:
        out.setdefault(_find(parent, c.id), []).append(c)
    return {origin_family(v[0]): v for v in out.values()}


def _explain(group: Group, cs: list[SourcedClaim]) -> str:
    if len(cs) == 1:
        return f"{cs[0].id} stands alone: no other claim states this figure."
    parts = []
    for o in group.origins:
        relays = sorted(
            {
                lk["name"]
                for chain in o.chains
                for lk in chain
                if lk["role"] in ("relay", "document") and lk["source"] != o.source
            }
        )
        reactions = sorted(
            {lk["name"] for chain in o.chains for lk in chain if lk["role"] == "reaction"}
        )
        said = f"{o.name}"
        if len(o.members) > 1:
            said += f" ({len(o.members)} claims: {', '.join(o.members)}"
            if len(o.dates) > 1:
                said += f"; repeated on {', '.join(o.dates)}, which is not corroboration"
            said += ")"
        if relays:
            said += f" relayed by {', '.join(relays)}"
        if reactions:
            said += f"; {', '.join(reactions)} responded to it (a reaction, not a second witness)"
        if not o.independent:
            said += f" [{o.why_not}]"
        parts.append(said)
    n = group.independent_origins
    return (
        f"{len(cs)} claims state this figure; they go back to {len(group.origins)} origin"
        f"{'s' if len(group.origins) != 1 else ''}, {n} of them independent: "
        + "; ".join(parts)
        + "."
    )


def origins_by_claim(groups: list[Group]) -> dict[str, tuple[str, int]]:
    """claim id -> (group id, independent origins behind its figure)."""
    out: dict[str, tuple[str, int]] = {}
    for g in groups:
        for m in g.members:
            out[m] = (g.id, g.independent_origins)
    return out
