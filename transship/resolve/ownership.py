"""Ownership and control: parties owned 50 % or more by listed parties (the 50 % rule).

OFAC's 50 % rule and the EU's ownership criterion extend a listing to entities that listed
parties own, alone or together, by 50 % or more, directly or through entities that are
themselves caught that way (OFAC, "Revised Guidance on Entities Owned by Persons Whose
Property and Interests in Property Are Blocked", 2014; EU Best Practices, 2022). This module
walks a list's FtM ``Ownership`` edges (``owner`` -> ``asset``, ``percentage``):

* a party is *listed* when the list marks it as a target or gives it the ``sanction``
  topic;
* the same owner may hold the same asset through several edges (one per filing date, as in
  OpenSanctions' registry data): its stake is the **largest** stated percentage, never
  their sum;
* an asset is *caught* when the stakes of listed or already caught owners add up to 50 %
  or more (stakes of different owners add up: OFAC aggregates); the walk repeats until
  nothing new is caught, so chains (A owns 60 % of B, B owns 50 % of C) catch C;
* stakes without a stated percentage and ``Control`` / ``Directorship`` edges are kept as
  relations ("owned, share not stated", "controlled", "directed by a listed person") but
  never catch an asset on their own: the rule is about ownership shares.

Every flag carries its holdings (owner, percentage, the edge ids and where they were read)
and the chain from a listed party, so a flag is as traceable as a score.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from transship.resolve.lists import Edge, ScreeningList
from transship.resolve.parties import Party

#: The share from which ownership by listed parties catches an asset.
OWNERSHIP_THRESHOLD = 50.0


def is_listed(party: Party) -> bool:
    """Is the party itself on a sanctions list (a target, or the ``sanction`` topic)?"""
    return party.target or "sanction" in party.properties.get("topics", [])


@dataclass(frozen=True, slots=True)
class Holding:
    """One owner's stake in one asset: the largest percentage its edges state."""

    owner: str
    asset: str
    percentage: float | None
    edge_ids: tuple[str, ...]
    origins: tuple[str, ...]
    schema: str = "Ownership"
    role: str | None = None


@dataclass(slots=True)
class OwnershipFlag:
    """Why an asset is caught (or related to listed parties)."""

    asset: str
    #: sum of the stakes of listed or caught owners (may exceed 100 when filings overlap)
    share: float
    caught: bool
    holdings: list[Holding] = field(default_factory=list)
    #: chains of holdings from a listed party to the asset (first found per owner)
    paths: list[list[Holding]] = field(default_factory=list)
    #: relations that do not count towards the share (no percentage, control, directors)
    relations: list[Holding] = field(default_factory=list)


def _holdings(edges: list[Edge]) -> list[Holding]:
    by_pair: dict[tuple[str, str, str], list[Edge]] = defaultdict(list)
    for e in edges:
        by_pair[(e.owner, e.asset, e.schema)].append(e)
    out: list[Holding] = []
    for (owner, asset, schema), es in sorted(by_pair.items()):
        shares = [e.percentage for e in es if e.percentage is not None]
        role = next((e.role for e in es if e.role), None)
        out.append(
            Holding(
                owner,
                asset,
                max(shares) if shares else None,
                tuple(e.id for e in es),
                tuple(e.origin for e in es),
                schema,
                role,
            )
        )
    return out


def ownership_flags(
    lst: ScreeningList, threshold: float = OWNERSHIP_THRESHOLD
) -> dict[str, OwnershipFlag]:
    """Every party of the list that listed parties own or control, with the evidence."""
    parties = {p.id: p for p in lst.parties}
    listed = {pid for pid, p in parties.items() if is_listed(p)}
    holdings = _holdings(lst.edges)
    stakes: dict[str, list[Holding]] = defaultdict(list)
    relations: dict[str, list[Holding]] = defaultdict(list)
    for h in holdings:
        if h.schema == "Ownership" and h.percentage is not None:
            stakes[h.asset].append(h)
        elif h.owner in listed or h.schema != "Ownership":
            relations[h.asset].append(h)
    caught: dict[str, OwnershipFlag] = {}
    paths: dict[str, list[Holding]] = {}
    changed = True
    while changed:
        changed = False
        for asset, hs in stakes.items():
            if asset in caught:
                continue
            counted = [h for h in hs if h.owner in listed or h.owner in caught]
            share = sum(h.percentage or 0.0 for h in counted)
            if counted and share >= threshold:
                flag = OwnershipFlag(asset, share, True, counted)
                for h in counted:
                    chain = [h] if h.owner in listed else paths.get(h.owner, []) + [h]
                    flag.paths.append(chain)
                paths[asset] = flag.paths[0]
                caught[asset] = flag
                changed = True
    out = dict(caught)
    for asset, hs in stakes.items():
        if asset in out:
            continue
        counted = [h for h in hs if h.owner in listed or h.owner in caught]
        if counted:
            share = sum(h.percentage or 0.0 for h in counted)
            out[asset] = OwnershipFlag(asset, share, False, counted, [[h] for h in counted])
    for asset, rs in relations.items():
        related = [r for r in rs if r.owner in listed or r.owner in caught]
        if not related:
            continue
        flag = out.setdefault(asset, OwnershipFlag(asset, 0.0, False))
        flag.relations.extend(related)
    return out


def describe(flag: OwnershipFlag, names: dict[str, str]) -> str:
    """One line: the share, each chain with its percentages, the other relations."""

    def name(pid: str) -> str:
        return names.get(pid, pid)

    parts: list[str] = []
    if flag.holdings:
        verdict = "caught by the 50 % rule" if flag.caught else "below 50 %"
        over = " (stakes from filings of different dates overlap)" if flag.share > 100 else ""
        parts.append(f"{flag.share:g} % held by listed owners{over} ({verdict})")
        for chain in flag.paths:
            steps = " -> ".join(
                f"{name(h.owner)} {h.percentage:g} %" for h in chain if h.percentage is not None
            )
            parts.append(f"{steps} -> {name(flag.asset)}")
    for r in flag.relations:
        kind = {"Ownership": "owns (share not stated)", "Control": "controls"}.get(
            r.schema, f"{r.schema.lower()} ({r.role})" if r.role else r.schema.lower()
        )
        parts.append(f"{name(r.owner)} {kind}")
    return "; ".join(parts)
