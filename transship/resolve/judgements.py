"""Judgements: a reviewer's word on two party records, kept and applied before any score.

A judgement names two party records (``party_id``, migration 0008) and a verdict:
``same`` (one actor: must-link), ``different`` (never one actor: cannot-link) or ``unsure``
(kept for the record and shown; changes nothing). Every judgement is kept with who gave it,
when and why; the latest verdict on a pair is the one applied.

:func:`cluster` applies them: first the ``different`` judgements as cannot-links, then the
``same`` judgements in the order they were given, then the scored pairs, best first. A link
that would put two records judged different into one actor is refused (and reported), so
the result is transitively consistent: if A = B and B = C were judged but A != C too, the
later of the two ``same`` judgements is not applied, and no score can undo a ``different``.
Scored links also never join two clusters whose records name countries and none in common,
nor two clusters that carry different identifiers of a strong kind (INN, OGRN, IMO, LEI,
BIC) and share none (see :func:`cluster`); a ``same`` judgement may.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from transship.resolve.resolution import ScoredPair
    from transship.store.db import Store

VERDICTS = ("same", "different", "unsure")


@dataclass(slots=True)
class JudgementRow:
    """One stored judgement."""

    judgement_id: int
    a: str
    b: str
    verdict: str
    who: str
    why: str | None
    at: str


@dataclass(slots=True)
class Constraints:
    """The judgements in force (the latest per pair), by party id."""

    same: list[JudgementRow] = field(default_factory=list)
    different: list[JudgementRow] = field(default_factory=list)
    unsure: list[JudgementRow] = field(default_factory=list)

    def split_ids(self) -> frozenset[str]:
        """Records named by a ``different`` judgement: each gets a node of its own."""
        return frozenset(x for j in self.different for x in (j.a, j.b))

    def party_ids(self) -> set[str]:
        return {x for j in (*self.same, *self.different) for x in (j.a, j.b)}


def ordered(a: str, b: str) -> tuple[str, str]:
    """A pair in its stored order (a < b): the verdict on (A, B) is the verdict on (B, A)."""
    return (a, b) if a <= b else (b, a)


def load_constraints(store: Store) -> Constraints:
    """The latest judgement on each pair of records, in the order they were given."""
    rows = store.fetchall(
        "SELECT judgement_id, a, b, verdict, who, why, CAST(judged_at AS VARCHAR) FROM ("
        " SELECT *, row_number() OVER (PARTITION BY a, b ORDER BY judged_at DESC, judgement_id DESC)"
        " AS rn FROM party_judgements) WHERE rn = 1 ORDER BY judgement_id"
    )
    out = Constraints()
    for r in rows:
        j = JudgementRow(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6])
        getattr(out, j.verdict).append(j)
    return out


def save_judgement(
    store: Store,
    a: str,
    b: str,
    verdict: str,
    who: str,
    why: str | None,
    names: tuple[str | None, str | None] = (None, None),
) -> JudgementRow:
    """Store one judgement (never overwriting an earlier one) and return it."""
    from transship.store.db import now

    x, y = ordered(a, b)
    nx, ny = names if (x, y) == (a, b) else (names[1], names[0])
    at = now()
    with store.transaction():
        [(jid,)] = store.fetchall("SELECT nextval('party_judgement_seq')")
        store.execute(
            "INSERT INTO party_judgements VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [int(jid), x, y, verdict, who, why, at, nx, ny],
        )
    return JudgementRow(int(jid), x, y, verdict, who, why, at.isoformat(sep=" "))


#: Strong identifiers of a node or cluster: kind -> normalised values.
StrongIds = dict[str, frozenset[str]]


def ids_conflict(a: StrongIds | None, b: StrongIds | None) -> bool:
    """Two sets of strong identifiers that say "two parties": some kind both carry with no
    value in common, and no kind with one (the matcher's ``identifier_conflict``)."""
    if not a or not b:
        return False
    conflict = False
    for kind, va in a.items():
        vb = b.get(kind)
        if not va or not vb:
            continue
        if va & vb:
            return False
        conflict = True
    return conflict


@dataclass(slots=True)
class ClusterOutcome:
    """Which node belongs to which cluster, and the links that made it so."""

    #: node -> cluster root (a node id)
    labels: list[int]
    linked: list[ScoredPair]
    refused: list[ScoredPair]
    #: (node a, node b, judgement id) of ``same`` judgements applied
    judged: list[tuple[int, int, int]]
    notes: list[str] = field(default_factory=list)


class _Clusters:
    """Union-find with cannot-links (few: one per ``different`` judgement)."""

    def __init__(
        self,
        n: int,
        countries: Sequence[frozenset[str]] | None = None,
        identifiers: Sequence[StrongIds] | None = None,
    ) -> None:
        self.parent = list(range(n))
        self.size = [1] * n
        #: root -> nodes its cluster may never join
        self.cannot: dict[int, set[int]] = {}
        #: root -> countries its records name (only roots with some)
        self.countries: dict[int, frozenset[str]] = {
            i: c for i, c in enumerate(countries or ()) if c
        }
        #: root -> strong identifiers its records carry, by kind (only roots with some)
        self.ids: dict[int, StrongIds] = {i: d for i, d in enumerate(identifiers or ()) if d}

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def forbid(self, a: int, b: int) -> None:
        self.cannot.setdefault(self.find(a), set()).add(b)
        self.cannot.setdefault(self.find(b), set()).add(a)

    def allowed(self, ra: int, rb: int) -> bool:
        # Every cannot-link is kept on both sides: checking the smaller set is enough.
        sa, sb = self.cannot.get(ra, ()), self.cannot.get(rb, ())
        small, other = (sa, rb) if len(sa) <= len(sb) else (sb, ra)
        return all(self.find(x) != other for x in small)

    def union(self, a: int, b: int, scored: bool = False) -> bool | None:
        """Join the clusters of ``a`` and ``b``: True if joined, None if already one,
        False if a cannot-link forbids it (or, for a ``scored`` link, the two clusters
        name countries and none in common, or carry conflicting strong identifiers)."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        if not self.allowed(ra, rb):
            return False
        if scored:
            ca, cb = self.countries.get(ra), self.countries.get(rb)
            if ca and cb and ca.isdisjoint(cb):
                return False
            if ids_conflict(self.ids.get(ra), self.ids.get(rb)):
                return False
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        ca, cb = self.countries.get(ra), self.countries.get(rb)
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        moved = self.cannot.pop(rb, None)
        if moved:
            self.cannot.setdefault(ra, set()).update(moved)
        if cb:
            self.countries[ra] = (ca or frozenset()) | cb
            del self.countries[rb]
        ib = self.ids.pop(rb, None)
        if ib:
            ia = self.ids.get(ra) or {}
            self.ids[ra] = {k: ia.get(k, frozenset()) | ib.get(k, frozenset()) for k in {*ia, *ib}}
        return True


def cluster(
    n: int,
    scored: Sequence[ScoredPair],
    constraints: Constraints,
    node_of_party: dict[str, int],
    countries: Sequence[frozenset[str]] | None = None,
    ambiguous: frozenset[int] = frozenset(),
    apart: Sequence[tuple[int, int]] = (),
    identifiers: Sequence[StrongIds] | None = None,
) -> ClusterOutcome:
    """Cluster ``n`` nodes: judgements first, then ``scored`` pairs best first (ties by
    node ids, so every engine gives the same clusters).

    ``countries`` (per node): a scored link never joins two clusters whose records name
    countries and none in common. Without it, a record without a country bridges
    namesakes: "Ministry of Defence" with no country scores 1.0 against the ministry of
    every state, and all of them would become one actor through it.

    ``ambiguous`` nodes (records without a country whose name other records carry in two
    or more countries) get no scored link at all: which state's "Ministry of Defence" a
    record without a country means cannot be told from the name. Judgements still apply.

    ``apart``: pairs of nodes that were compared and scored low; a scored link never puts
    the two into one cluster (a ``same`` judgement may).

    ``identifiers`` (per node: strong kind -> values): a scored link never joins two
    clusters that carry values of one strong kind and share none, unless they share a value
    of another (:func:`ids_conflict`). "LLC CST" (INN 1841015504) lists "Zala Aero" among
    its names, and so does "JSC Zala Aero" (INN 9715478507): two registrations, two firms,
    whatever the names say; nor may a record without an INN bridge them."""
    cl = _Clusters(n, countries, identifiers)
    notes: list[str] = []
    judged: list[tuple[int, int, int]] = []

    def nodes_of(j: JudgementRow) -> tuple[int, int] | None:
        missing = [x for x in (j.a, j.b) if x not in node_of_party]
        if missing:
            notes.append(
                f"judgement #{j.judgement_id} ({j.verdict}) names record(s) no longer in the "
                f"store: {', '.join(missing)}; not applied"
            )
            return None
        return node_of_party[j.a], node_of_party[j.b]

    for j in constraints.different:
        pair = nodes_of(j)
        if pair is not None:
            cl.forbid(*pair)
    for j in constraints.same:
        pair = nodes_of(j)
        if pair is None:
            continue
        joined = cl.union(*pair)
        if joined is False:
            notes.append(
                f"judgement #{j.judgement_id} (same: {j.a} = {j.b}) would join records judged "
                "different; not applied"
            )
        else:
            judged.append((pair[0], pair[1], j.judgement_id))
    linked: list[Any] = []
    refused: list[Any] = []
    soft = _Clusters(n, countries)  # the judgements' clusters plus the low-score apart pairs
    soft.parent = list(cl.parent)
    soft.size = list(cl.size)
    soft.cannot = {r: set(v) for r, v in cl.cannot.items()}
    soft.countries = dict(cl.countries)
    soft.ids = dict(cl.ids)
    for a, b in apart:
        soft.forbid(a, b)
    cl = soft
    skipped = 0
    for sp in sorted(scored, key=lambda s: (-s.score, s.a, s.b)):
        if sp.a in ambiguous or sp.b in ambiguous:
            skipped += 1
            continue
        joined = cl.union(sp.a, sp.b, scored=True)
        if joined:
            linked.append(sp)
        elif joined is False:
            refused.append(sp)
    if skipped:
        notes.append(
            f"{skipped:,} scored pair(s) not linked: one side has no country and its name is "
            f"used in several countries ({len(ambiguous):,} such group(s) of records)"
        )
    labels = [cl.find(i) for i in range(n)]
    return ClusterOutcome(labels, linked, refused, judged, notes)
