"""A claim with its chain of credit and the facts the checks compare.

:class:`SourcedClaim` is an :class:`~transship.claims.model.ExtractedClaim` with its document,
its chain of credit (origin first, then the outlets that relayed it, the document last) and the
facts of :mod:`transship.claims.facts` (value in USD and EUR at the ECB annual rate, years,
direction, topic, product scope). Every check reads claims in this form.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transship.claims.facts import (
    dimension_of,
    direction_in,
    money_values,
    point,
    scope_of,
    subjects_of,
    territory_code,
    text_periods,
    topic_of,
    years_of,
)
from transship.claims.model import DocumentText, ExtractedClaim
from transship.claims.sources import Source, SourceRegistry, unregistered


@dataclass(slots=True)
class Link:
    """One step in a claim's chain of credit: ``origin`` said it first, a ``relay`` passed it
    on, a ``reaction`` responded to it, the ``document`` is where we read it."""

    source: Source
    written: str
    date: str | None
    role: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source.id,
            "name": self.source.name,
            "written": self.written,
            "date": self.date,
            "role": self.role,
            "reliability": self.source.reliability,
            "registered": self.source.registered,
        }


@dataclass(slots=True)
class SourcedClaim:
    """A claim with its document, its chain of credit and the facts the checks compare."""

    claim: ExtractedClaim
    document: DocumentText
    chain: list[Link]
    reaction_to: str | None = None
    topic: str = "other"
    scope: str | None = None
    years: tuple[int, int] | None = None
    periods: list[tuple[int, int]] = field(default_factory=list)
    #: first years of periods the text leaves open at the end ("since 2023")
    open_starts: frozenset[int] = frozenset()
    origin_code: str | None = None
    dest_code: str | None = None
    via: list[str] = field(default_factory=list)
    subjects: frozenset[str] = frozenset()
    value_usd: float | None = None
    value_eur: float | None = None
    dimension: str | None = None
    pinned: tuple[str, str] | None = None

    @property
    def id(self) -> str:
        return self.claim.claim_id

    @property
    def origin(self) -> Link:
        return self.chain[0]

    @property
    def credited(self) -> list[Link]:
        """Links the document credits (everything but the document itself)."""
        return [lk for lk in self.chain if lk.role != "document"]

    @property
    def document_link(self) -> Link:
        """The document the claim was read in (always the chain's last link)."""
        return self.chain[-1]

    def document_ref(self) -> str:
        """How findings name the claim: its id (the report gives its document and span)."""
        return self.id


# -- chains of credit ------------------------------------------------------------------------

_REACTION = re.compile(
    r"\b(respond(ing|ed)? to|in response|reacting to|acknowledg\w*|confirmed the (figure|report))",
    re.I,
)


def chain_for(
    claim: ExtractedClaim,
    document: DocumentText,
    registry: SourceRegistry,
    relays: Sequence[str] = (),
) -> tuple[list[Link], str | None]:
    """The chain of credit: origin first, relays next, the document last.

    Within one credit ("Russian Foreign Intelligence Service (SVR), May 29, 2025, Sputnik"),
    the first source that is not an outlet is the origin and outlets are relays; when only
    outlets are named, the first named is the origin. "responding to the Financial Times" makes
    the named speaker a reaction to the FT, which is then the origin (a reaction to a report
    is not a second witness of its figure)."""
    links: list[Link] = []
    reaction_to: str | None = None
    for att in claim.attributed_to:
        found = registry.find(att.name)
        srcs = [m.source for m in found] or [unregistered(att.name)]
        m_react = _REACTION.search(att.name)
        if m_react and len(srcs) > 1:
            speaker, target = srcs[0], srcs[1]
            links.append(Link(target, att.name, att.date, "origin"))
            links.append(Link(speaker, att.name, att.date, "reaction"))
            reaction_to = target.id
            continue
        if att.role == "relay" and links:
            # "Oryx data cited by the ISW", "the FT reported, as cited by Kyiv Independent":
            # the text says who passed it on; a relay is not a co-credited origin
            links.append(Link(srcs[0], att.name, att.date, "relay"))
            continue
        primary = [s for s in srcs if not s.is_relay_type]
        origin = primary[0] if primary else srcs[0]
        links.append(Link(origin, att.name, att.date, "origin"))
        for s in srcs:
            if s.id != origin.id:
                links.append(Link(s, att.name, att.date, "relay"))
    if not links and relays:
        first = registry.match(relays[0])
        links.append(Link(first, f"{relays[0]} (names no source of its own)", None, "origin"))
    if not links:
        links.append(
            Link(_document_source(document, registry), "(no source credited)", None, "origin")
        )
    # Only one origin heads the chain; further credited origins (a Sources cell naming three)
    # stay as co-credits. Known relays (the pages a claim was read on) come after them.
    for name in relays:
        src = registry.match(name)
        if all(lk.source.id != src.id for lk in links):
            links.append(Link(src, name, None, "relay"))
    doc_src = _document_source(document, registry)
    links.append(
        Link(
            doc_src,
            document.title or document.path or document.document_id,
            document.date,
            "document",
        )
    )
    return links, reaction_to


def document_name(document: DocumentText) -> str:
    """How a document is named in findings: its title, else its file name, else its id."""
    if document.title:
        return document.title
    if document.path:
        return Path(document.path).name
    return document.document_id


def _document_source(document: DocumentText, registry: SourceRegistry) -> Source:
    """The document's publisher as a source; an unregistered one graded F when it names none."""
    if document.publisher:
        return registry.match(document.publisher)
    src = unregistered(document_name(document))
    src.reliability_reason = "the document names no publisher: its own reliability cannot be judged"
    return src


def _own_clause(claim: ExtractedClaim) -> str:
    """The words whose periods belong to the claim's figure: the whole text for a claim with
    one figure (a claims file's paraphrase, a sentence with one quantity); for a sentence
    with several, the clause around its quantity ("... by 15% since 2023, critical given a
    loss of 65 systems in September 2024, ..." gives "since 2023" to the 15% only)."""
    text = claim.text
    if claim.quantity_span is None:
        return text
    from transship.claims.quantities import find_quantities

    if len(find_quantities(text)) < 2:
        return text
    q0 = claim.quantity_span[0] - claim.span[0]
    q1 = claim.quantity_span[1] - claim.span[0]
    if not 0 <= q0 <= q1 <= len(text):
        return text
    cuts = [m.end() for m in re.finditer(r"[;,]\s", text[:q0])]
    ends = [m.start() for m in re.finditer(r"[;,]\s", text[q1:])]
    return text[(cuts[-1] if cuts else 0) : q1 + (ends[0] if ends else len(text) - q1)]


def sourced(
    claim: ExtractedClaim,
    document: DocumentText,
    registry: SourceRegistry,
    relays: Sequence[str] = (),
) -> SourcedClaim:
    """A claim with its chain and the facts the checks compare."""
    chain, reaction_to = chain_for(claim, document, registry, relays)
    text = claim.text
    years = years_of(claim.period)
    periods = [years] if years else []
    # "since 2023" leaves the period open: a later source may put its end anywhere after
    own = text_periods(_own_clause(claim))
    open_starts = {p[0] for p in own if p[1] < 0}
    if claim.period and claim.period[0] and not claim.period[1] and years:
        open_starts.add(years[0])
    for p in own:
        full = (p[0], p[1] if p[1] > 0 else (years[1] if years else p[0]))
        if full not in periods:
            periods.append(full)
    origin = dest = None
    if claim.direction:
        origin, dest = (territory_code(claim.direction[0]), territory_code(claim.direction[1]))
    else:
        origin, dest = direction_in(text)
    via = [territory_code(p.id or p.text) or "" for p in claim.place if p.kind == "territory"]
    sc = SourcedClaim(
        claim=claim,
        document=document,
        chain=chain,
        reaction_to=reaction_to,
        topic=topic_of(text, claim.measure),
        scope=None,
        years=years,
        periods=periods,
        open_starts=frozenset(open_starts),
        origin_code=origin,
        dest_code=dest,
        via=[v for v in via if v and v not in (origin, dest)],
        subjects=subjects_of(claim),
        dimension=dimension_of(claim),
    )
    if sc.topic == "other" and sc.via:
        sc.topic = "trade"  # a claim naming intermediaries is about a route of trade
    if sc.topic in ("arms_trade", "trade", "company", "military_expenditure", "other"):
        products = " ".join(e.id or e.text for e in claim.subject if e.kind == "product")
        sc.scope = scope_of(f"{text} {products}", claim.calibres)
    if origin is None and len(sc.subjects) >= 1:
        lands = [k.split(":", 1)[1] for k in sc.subjects if k.startswith("territory:")]
        if len(lands) == 1 and re.search(r"export", f"{claim.measure} {text}", re.I):
            sc.origin_code = lands[0]
    value = point(claim)
    q = claim.quantity
    if value is not None and q is not None and sc.dimension == "money":
        sc.value_usd, sc.value_eur = money_values(value, q.currency, years[1] if years else None)
    return sc
