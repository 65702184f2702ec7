"""Party checks: the exporter, consignee, end user and brokers of a deal against the
FollowTheMoney lists in the store (sanctions, debarment, PEPs...), and their owners.

Screening itself is :mod:`transship.resolve.screen`'s (names, transliteration, identifiers,
features that explain each match); this module only decides who to screen and turns matches
into findings. When the store holds no FtM list the result says "not run" -- never a silent
pass. Owners: a list entry matched to a party counts as owned by listed parties when the
list's ownership edges say so (:func:`transship.resolve.ownership.ownership_flags`, the 50 %
rule), and any listed owner or controller is named.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from followthemoney.types import registry

from transship.exc import InvalidInput, NotFound
from transship.resolve.lists import ScreeningList, read_store_dataset, store_datasets
from transship.resolve.ownership import is_listed, ownership_flags
from transship.resolve.parties import Party, query_party
from transship.resolve.screen import Screener
from transship.risk.config import Weights, default_weights
from transship.risk.model import Finding
from transship.store import Store

#: (record field, its country field, role in words).
ROLES = (
    ("exporter", "exporter_country", "exporter"),
    ("consignee", "consignee_country", "consignee"),
    ("end_user", "end_user_country", "end user"),
)


@dataclass(slots=True)
class ScreeningResult:
    """What party screening found, or why it did not run."""

    ran: bool
    why_not: str = ""
    lists: list[str] = field(default_factory=list)
    screened: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    best: float = 0.0
    evidence: list[str] = field(default_factory=list)


#: FtM topics that make an entity a list entry worth a finding (FtM's TopicType.RISKS).
RISK_TOPICS: frozenset[str] = frozenset(registry.topic.RISKS)


def risk_topics(party: Party) -> list[str]:
    """The risk topics of a list entry (sanction, debarment, export.control, crime...)."""
    return sorted(set(party.properties.get("topics", [])) & RISK_TOPICS)


def is_risky(party: Party) -> bool:
    """Listed (a sanctions target) or flagged with a risk topic."""
    return is_listed(party) or bool(risk_topics(party))


@dataclass(slots=True)
class _Lists:
    lst: ScreeningList
    screener: Screener
    owned: dict[str, Any]


_CACHE: dict[tuple[str, str], _Lists | None] = {}


def _load(store: Store) -> _Lists | None:
    """The store's FtM lists, read and indexed once per store and ingest run."""
    last = store.fetchall(
        "SELECT coalesce(max(run_id), 0), coalesce(CAST(max(finished) AS VARCHAR), '') "
        "FROM ingest_runs"
    )
    key = (str(getattr(store, "path", id(store))), f"{last[0][0]}@{last[0][1]}" if last else "0")
    if key in _CACHE:
        return _CACHE[key]
    datasets = store_datasets(store)
    if not datasets:
        _CACHE[key] = None
        return None
    lst = ScreeningList()
    for ds in datasets:
        try:
            lst.extend(read_store_dataset(store, ds))
        except NotFound:
            continue
    if not lst.parties or not any(is_risky(p) for p in lst.parties):
        _CACHE[key] = None
        return None
    loaded = _Lists(lst, Screener(lst.parties), ownership_flags(lst))
    _CACHE[key] = loaded
    return loaded


def parties_of(record: Mapping[str, Any]) -> list[tuple[str, Party]]:
    """The parties a certificate or licence names, as screening queries (role, party)."""
    out: list[tuple[str, Party]] = []
    seen: set[str] = set()
    broker = record.get("licence_type") == "brokering"
    for name_field, country_field, role in ROLES:
        name = record.get(name_field)
        if not name or not str(name).strip() or str(name).strip().lower() in seen:
            continue
        seen.add(str(name).strip().lower())
        country = record.get(country_field)
        label = "broker" if broker and role == "exporter" else role
        try:
            party = query_party(
                f"{label}:{name}", str(name), "LegalEntity", country=country or None, where=label
            )
        except InvalidInput:
            party = query_party(f"{label}:{name}", str(name), "LegalEntity", where=label)
        out.append((label, party))
    return out


def screen_parties(
    store: Store | None, records: list[Mapping[str, Any]], weights: Weights | None = None
) -> ScreeningResult:
    """Screen every party the records name against the FtM lists in the store."""
    w = weights or default_weights()
    if store is None:
        return ScreeningResult(False, "no store, so no screening list")
    loaded = _load(store)
    if loaded is None:
        return ScreeningResult(
            False,
            "no FollowTheMoney list with sanctioned or risk-flagged entries (sanctions, "
            "debarment, export control) in the store: ingest one (transship ingest "
            "LIST.ftm.jsonl) to screen the parties",
        )
    queries: list[tuple[str, Party]] = []
    seen: set[str] = set()
    for rec in records:
        for role, party in parties_of(rec):
            if party.id not in seen:
                seen.add(party.id)
                queries.append((role, party))
    result = ScreeningResult(True, lists=list(dict.fromkeys(loaded.lst.sources)))
    result.screened = [f"{role}: {p.names[0]}" for role, p in queries]
    if not queries:
        result.ran = False
        result.why_not = "the papers name no party to screen"
        return result
    answers = loaded.screener.screen([p for _, p in queries], min_score=w.screening_match)
    for (role, party), answer in zip(queries, answers, strict=True):
        for scored in answer.results[:3]:
            hit = scored.party
            flag = loaded.owned.get(hit.id)
            if not is_risky(hit) and flag is None:
                continue  # a plain entity (a case's parties, a registry): not a list entry
            score = float(scored.result.score)
            listed = is_listed(hit)
            topics = risk_topics(hit)
            sanctions = loaded.lst.sanctions.get(hit.id, [])
            programs = sorted(
                {str(s.get("program") or s.get("authority") or "") for s in sanctions} - {""}
            )
            severity = "high"
            if listed and score >= w.screening_critical:
                severity = "critical"
            elif not listed:
                severity = "medium"
            what = (
                "a sanctioned party"
                if listed
                else f"a list entry flagged {', '.join(topics)}"
                if topics
                else "a list entry owned by listed parties"
            )
            result.findings.append(
                Finding(
                    "screening.match",
                    severity,
                    f"the {role} {party.names[0]!r} matches {what}: {hit.caption or hit.names[0]} "
                    f"(score {score:.2f}; {', '.join(programs) or ', '.join(hit.datasets)})",
                    [f"ftm:{hit.id}", hit.origin] if hit.origin else [f"ftm:{hit.id}"],
                    role,
                )
            )
            result.best = max(result.best, score)
            result.evidence.append(f"ftm:{hit.id}")
            if flag is not None:
                owners = sorted(
                    {h.owner for h in flag.holdings} | {h.owner for h in flag.relations}
                )
                result.findings.append(
                    Finding(
                        "screening.owned_by_listed",
                        "critical" if flag.caught else "high",
                        f"the {role}'s list entry is "
                        + (
                            f"{flag.share:g} % owned by listed parties (50 % rule)"
                            if flag.caught
                            else "owned or controlled in part by listed parties"
                        )
                        + f": {', '.join(owners[:5])}",
                        [f"ftm:{hit.id}", *(f"ftm:{o}" for o in owners[:5])],
                        role,
                    )
                )
    return result


__all__ = [
    "RISK_TOPICS",
    "ROLES",
    "ScreeningResult",
    "is_risky",
    "parties_of",
    "risk_topics",
    "screen_parties",
]
