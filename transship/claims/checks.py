"""What a claim is about, where it came from, and the checks that need only the claim itself.

Every check is a named rule (:data:`RULES`) whose finding says, in words a reader can verify,
what was compared with what: the figure, the source's published scope, the ECB rate of the
year, the dates. No check returns a bare flag.

This module holds:

* :class:`SourcedClaim`: an :class:`ExtractedClaim` with its document, its chain of credit
  (origin first, then the outlets that relayed it, the document last), and the facts the
  checks compare (value in USD and EUR at the ECB annual rate, years, direction, topic,
  product scope);
* :class:`Finding`: one rule's result on one or more claims;
* the single-claim checks: attribution plausibility (a figure credited to a source that does
  not publish such figures; a product credited to a firm that does not make it; a body that
  does not exist), arithmetic and currency consistency (parts and totals, a percentage beside
  its parts, EUR beside USD), temporal plausibility (a source dated before the end of the
  period it describes; an event after the document's date);
* claims against data in the store: consistent, contradicted, or outside the data's
  coverage, with the rows compared.

Corroboration by independent origin is in :mod:`transship.claims.corroborate`, contradictions
between claims in :mod:`transship.claims.contradict`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from transship.claims.model import DocumentText, ExtractedClaim
from transship.claims.sources import Source, SourceRegistry, fold, unregistered

if TYPE_CHECKING:
    from transship.store import Store

#: Rule name -> what it checks, for the docs, the UI and --json.
RULES: dict[str, str] = {
    "attribution.nonexistent": "The credited body does not exist as named (registry: exists=no).",
    "attribution.unverified": "The credited body could not be matched to a known one "
    "(registry: exists=unverified).",
    "attribution.unit": "The figure's unit or currency is not one the credited source publishes "
    "(SIPRI's Arms Transfers Database counts TIV, not euros).",
    "attribution.scope": "The figure is about products outside the credited source's coverage "
    "(SIPRI leaves out small arms and their ammunition).",
    "attribution.topic": "The credited source is not known to publish figures on this topic.",
    "attribution.direction": "A statistics office publishes its own country's trade; the claim "
    "is about trade between other countries.",
    "attribution.maker": "A product is credited to a firm that does not make it.",
    "attribution.several": "Several sources are credited together (a Sources cell): the most "
    "reliable that could have stated the figure is taken as its origin.",
    "attribution.party": "The origin is a party to the conflict: not an independent witness.",
    "arithmetic.parts": "Parts stated beside a total add up to more than the total.",
    "arithmetic.percent": "A percentage stated beside its parts does not match them.",
    "arithmetic.implied": "A share and a total stated together imply a third figure, shown so "
    "the reader can check it.",
    "currency.pair": "An amount given in EUR and USD does not match the ECB rate of the year.",
    "temporal.source_before_period": "The credited source is dated before the end of the period "
    "it is said to describe.",
    "temporal.after_document": "The claim describes a time after the document's own date.",
    "temporal.source_after_document": "The document credits a source dated after the document.",
    "contradiction.value": "Same subject, measure and period, incompatible values.",
    "contradiction.direction": "Same figure, opposite directions (who exports to whom).",
    "contradiction.period": "Same figure from the same origin, different periods.",
    "contradiction.attribution": "Same figure credited to different origins in one document.",
    "data.consistent": "The store's trade rows agree with the claim within a factor of two.",
    "data.contradicted": "The store's trade rows for the same reporter, product and years "
    "differ from the claim by more than a factor of three.",
    "data.outside_coverage": "The store holds no rows that could test the claim (not the same "
    "as contradicted).",
    "data.inconclusive": "The store's rows differ from the claim by a factor of two to three.",
}
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}

_YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
_PROJECTION = re.compile(
    r"\b(project(s|ed|ion)?|forecast|expect(s|ed)?|will|could|would|may|plans?|aims?|target)\b",
    re.I,
)


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
        return self.chain[-1]

    def document_ref(self) -> str:
        """How findings name the claim: its id (the span and document are in ``ref``)."""
        return self.id

    def ref(self) -> dict[str, Any]:
        return {"claim": self.id, "document": self.document.document_id, "span": self.claim.span}


@dataclass(slots=True)
class Finding:
    """One rule's result: the claims it concerns, how serious, and why (in words a reader
    can verify), with the numbers and rows compared in ``evidence``."""

    rule: str
    severity: str
    claims: list[str]
    explanation: str
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.rule.split(".", 1)[0]

    def sort_key(self) -> tuple[int, str, str]:
        return (SEVERITY_ORDER.get(self.severity, 9), self.kind, ",".join(self.claims))

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "kind": self.kind,
            "severity": self.severity,
            "claims": self.claims,
            "explanation": self.explanation,
            "rule_explanation": RULES.get(self.rule, ""),
            "evidence": self.evidence,
        }


# -- what a claim is about -------------------------------------------------------------------

_TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("poll", re.compile(r"\b(poll|survey|respondents|viewed|oppose[sd]?|support(ed)? by)\b", re.I)),
    ("losses", re.compile(r"\b(loss|losses|lost|destroyed)\b", re.I)),
    ("sanctions", re.compile(r"\bsanction", re.I)),
    ("energy", re.compile(r"\b(gas|oil|bcm|cubic met|energy|fuel)\b", re.I)),
    ("military_expenditure", re.compile(r"\b(defen[cs]e budget|military (spending|expend))", re.I)),
    (
        "arms_trade",
        re.compile(
            r"\b(arms|defen[cs]e|ammunition|munitions?|shells?|rounds?|rockets?|weapons?|"
            r"artillery|military)\b",
            re.I,
        ),
    ),
    ("company", re.compile(r"\b(revenues?|profits?|turnover|annual financial)\b", re.I)),
    ("macro", re.compile(r"\b(gdp|growth|current account|deficit|inflation)\b", re.I)),
    ("trade", re.compile(r"\b(export|import|trade)", re.I)),
    ("protest", re.compile(r"\b(protest|protesters|participants|gathering)", re.I)),
)
_SMALL_ARMS = re.compile(
    r"\b(small[- ]arms?|rounds?|cartridges?|rifles?|7[.,]62|5[.,]56|9 ?mm|12[.,]7|14[.,]5)\b", re.I
)
_AMMUNITION = re.compile(
    r"\b(ammunition|munitions?|shells?|rockets?|mortars?|grenades?|projectiles?|"
    r"15[25] ?mm|12[02] ?mm|grad)\b",
    re.I,
)
_ARMS = re.compile(r"\b(arms|weapons?|defen[cs]e exports?|military equipment)\b", re.I)
_INDIRECT = re.compile(
    r"\b(indirect(ly)?|third (parties|countries|party)|intermediar|via|through|re-?export|"
    r"passed on|routed)\b",
    re.I,
)


#: Measures (as extraction names them) whose topic does not depend on the sentence's words.
MEASURE_TOPIC = {
    "deficit": "macro",
    "growth": "macro",
    "gdp": "macro",
    "inflation": "macro",
    "revenue": "company",
    "profit": "company",
    "opinion": "poll",
    "losses": "losses",
    "participants": "protest",
    "budget": "military_expenditure",
}


def topic_of(text: str, measure: str) -> str:
    """The topic a claim's figure belongs to (what kind of source could publish it).

    The measure phrase decides first; then the claim's text. A percentage "of GDP" is macro
    only when nothing else names the numerator ("defence exports ... 2.8% of GDP" is arms
    trade expressed against GDP)."""
    fixed = MEASURE_TOPIC.get((measure or "").strip().lower())
    if fixed:
        return fixed
    words = f"{measure} {text}"
    for name, rx in _TOPICS:
        if rx.search(words):
            return name
    return "other"


def scope_of(text: str, calibres: list[str]) -> str | None:
    """Product scope: ``small_arms`` (rifle/pistol rounds), ``ammunition`` (artillery,
    rockets, mortars), ``arms`` (weapons in general) or None."""
    if _SMALL_ARMS.search(text) and not re.search(r"\b(shells?|rockets?)\b", text, re.I):
        return "small_arms"
    if any(_small_calibre(c) for c in calibres) and not _AMMUNITION.search(text):
        return "small_arms"
    if _AMMUNITION.search(text) or calibres:
        return "ammunition"
    if _ARMS.search(text):
        return "arms"
    return None


def _small_calibre(calibre: str) -> bool:
    m = re.match(r"\s*(\d+(?:[.,]\d+)?)", calibre)
    return m is not None and float(m.group(1).replace(",", ".")) < 20


def years_of(period: tuple[str | None, str | None] | None) -> tuple[int, int] | None:
    if not period:
        return None
    ys = [int(p[:4]) for p in period if p and p[:4].isdigit()]
    if not ys:
        return None
    return (min(ys), max(ys))


def text_periods(text: str) -> list[tuple[int, int]]:
    """Periods the words of a claim give: ``2023-2024``, ``in 2023``, ``since February 2022``
    (to the latest year named, or the same year)."""
    out: list[tuple[int, int]] = []
    for m in re.finditer(r"\b(20\d\d)\s*[-–/]\s*(20\d\d)\b", text):
        out.append((int(m.group(1)), int(m.group(2))))
    for m in re.finditer(r"\bsince\s+(?:[A-Z][a-z]+\s+)?(20\d\d)\b", text):
        out.append((int(m.group(1)), -1))
    return out


def territory_code(value: str | None) -> str | None:
    """ISO3 of a territory written as ISO2, ISO3 or a name; the text upper-cased otherwise."""
    if not value:
        return None
    from transship.normalise.territories import lookup

    try:
        t = lookup(value)
    except Exception:  # noqa: BLE001 - an unknown place stays as written
        return value.strip().upper()
    return t.iso3 or t.code.upper()


def dimension_of(claim: ExtractedClaim) -> str | None:
    q = claim.quantity
    if q is None or (q.value is None and q.low is None):
        return None
    if q.kind == "money" or q.currency:
        return "money"
    if q.kind == "percent" or (q.unit or "").lower() in ("percent", "%"):
        return "percent"
    return f"{q.kind}:{(q.unit or '').lower()}"


def point(claim: ExtractedClaim) -> float | None:
    q = claim.quantity
    if q is None:
        return None
    if q.value is not None:
        return q.value
    if q.low is not None and q.high is not None:
        return (q.low * q.high) ** 0.5 if q.low > 0 else (q.low + q.high) / 2
    return q.low if q.low is not None else q.high


def money_values(
    amount: float, currency: str | None, year: int | None
) -> tuple[float | None, float | None]:
    """(USD, EUR) at the ECB annual mean rate of ``year`` (the latest shipped year when the
    year is unknown or outside the table)."""
    from transship.normalise.money import rate_years, usd_per_eur

    if currency not in ("EUR", "USD"):
        return None, None
    first, last = rate_years()
    y = min(max(year or last, first), last)
    rate = usd_per_eur(y)
    if currency == "USD":
        return amount, amount / rate
    return amount * rate, amount


def subjects_of(claim: ExtractedClaim) -> frozenset[str]:
    keys: set[str] = set()
    for e in claim.subject:
        if e.kind == "territory":
            keys.add(f"territory:{territory_code(e.id or e.text)}")
        else:
            keys.add(f"{e.kind}:{(e.id or fold(e.text))}".lower())
    return frozenset(keys)


# -- chains of credit ------------------------------------------------------------------------

_REACTION = re.compile(
    r"\b(respond(ing|ed)? to|in response|reacting to|acknowledg\w*|confirmed the (figure|report))",
    re.I,
)
_RELAY_CUE = re.compile(
    r"\b(via|published (by|via)|cited (by|in)|as reported by|reported by|prenosi|according to)\b",
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
        from pathlib import Path

        return Path(document.path).name
    return document.document_id


def _document_source(document: DocumentText, registry: SourceRegistry) -> Source:
    if document.publisher:
        return registry.match(document.publisher)
    src = unregistered(document_name(document))
    src.reliability_reason = "the document names no publisher: its own reliability cannot be judged"
    return src


_TRADE_DIRECTION = (
    (re.compile(r"\b([A-Z][\w-]+)['’]s (?:\w+ ){0,2}exports to ([A-Z][\w-]+)"), False),
    (re.compile(r"\bexports from ([A-Z][\w-]+) to ([A-Z][\w-]+)"), False),
    (re.compile(r"\b([A-Z][\w-]+)['’]s (?:\w+ ){0,2}imports from ([A-Z][\w-]+)"), True),
)


def direction_in(text: str) -> tuple[str | None, str | None]:
    """(origin, destination) ISO3 from "Serbia's exports to China", "exports from A to B",
    "A's imports from B" (-> B, A), when extraction gave no direction; (None, None) else."""
    from transship.normalise.territories import lookup

    for rx, reverse in _TRADE_DIRECTION:
        m = rx.search(text)
        if not m:
            continue
        try:
            a, b = lookup(m.group(1)).iso3, lookup(m.group(2)).iso3
        except Exception:  # noqa: BLE001 - not territories: no direction
            continue
        if a and b:
            return (b, a) if reverse else (a, b)
    return None, None


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
    for p in text_periods(text):
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


# -- attribution -----------------------------------------------------------------------------


def _unit_of(sc: SourcedClaim) -> str | None:
    q = sc.claim.quantity
    if q is None:
        return None
    if q.currency:
        return q.currency.upper()
    if (q.unit or "").upper() == "TIV":
        return "TIV"
    if q.kind == "percent":
        return "percent"
    if q.kind == "count" or q.kind == "range":
        return "count"
    if q.kind == "mass":
        return "mass"
    return q.unit


def check_attribution(sc: SourcedClaim, registry: SourceRegistry | None = None) -> list[Finding]:
    """Could the credited sources have said this at all?

    A body that does not exist (or could not be matched) is reported whatever the figure.
    When the document credits several sources together (a Sources cell listing five), the
    most reliable one that could have stated the figure becomes the claim's origin (moved to
    the head of its chain) and the others' mismatches are not held against the claim; only
    when none of them could have said it is each mismatch reported."""
    from transship.claims.sources import default_registry

    reg = registry or default_registry()
    out: list[Finding] = []
    seen: set[str] = set()
    for link in sc.credited:
        if link.source.id not in seen:
            seen.add(link.source.id)
            out += _existence(sc, link)
    origins = [
        lk for lk in sc.chain if lk.role == "origin" and lk.written != "(no source credited)"
    ]
    if sc.pinned is not None and len(origins) > 1:
        pin = next((lk for lk in origins if lk.source.id == sc.pinned[0]), None)
        if pin is not None:
            sc.chain.remove(pin)
            sc.chain.insert(0, pin)
            out.append(
                Finding(
                    "attribution.several",
                    "info",
                    [sc.id],
                    f"{sc.id} is credited to {len(origins)} sources together; the document "
                    f"credits the same figure to {pin.source.name} alone elsewhere "
                    f"({sc.pinned[1]}), so {pin.source.name} is taken as its origin.",
                    {"origin": pin.source.id, "pinned_by": sc.pinned[1]},
                )
            )
            return out + _plausibility(sc, pin, reg)
    per = [(lk, _plausibility(sc, lk, reg)) for lk in origins]
    if len(per) <= 1:
        return out + [f for _, fs in per for f in fs]
    fit = [
        (lk, fs)
        for lk, fs in per
        if lk.source.exists != "no" and not any(f.severity == "high" for f in fs)
    ]
    if not fit:
        return out + [f for _, fs in per for f in fs]
    best, fs = min(
        fit,
        key=lambda p: (
            sum(1 for f in p[1] if f.rule != "attribution.party"),
            _dated_before(sc, p[0]),
            sc.topic not in p[0].source.publishes,
            bool(p[0].source.party_to),
            p[0].source.reliability,
        ),
    )
    sc.chain.remove(best)
    sc.chain.insert(0, best)
    others = [lk.source.name for lk, _ in per if lk is not best]
    unfit = [
        f"{lk.source.name} ({', '.join(sorted({f.rule for f in fs2 if f.severity == 'high'}))})"
        for lk, fs2 in per
        if any(f.severity == "high" for f in fs2)
    ]
    note = (
        f"{sc.id} is credited to {len(per)} sources together; {best.source.name} is the most "
        f"reliable that could have stated it and is taken as its origin (others: "
        f"{', '.join(others)})."
    )
    if unfit:
        note += f" Could not have stated it: {'; '.join(unfit)}."
    out.append(Finding("attribution.several", "info", [sc.id], note, {"origin": best.source.id}))
    return out + fs


def _dated_before(sc: SourcedClaim, link: Link) -> bool:
    """The credit is dated before the claim's period starts (it cannot be the origin)."""
    when = _as_date(link.date)
    return bool(when and sc.years and when < date(sc.years[0], 1, 1))


def _existence(sc: SourcedClaim, link: Link) -> list[Finding]:
    src = link.source
    said = f"{sc.document_ref()} credits {link.written!r}"
    if src.exists == "no":
        return [
            Finding(
                "attribution.nonexistent",
                "high",
                [sc.id],
                f"{said}: {src.name} does not exist as named. {src.reliability_reason}.",
                {"source": src.id},
            )
        ]
    if src.exists == "unverified":
        return [
            Finding(
                "attribution.unverified",
                "medium",
                [sc.id],
                f"{said}: {src.name} could not be matched to a known body. "
                f"{src.reliability_reason}.",
                {"source": src.id},
            )
        ]
    return []


def _plausibility(sc: SourcedClaim, link: Link, registry: SourceRegistry) -> list[Finding]:
    """Mismatches between one credited source and the figure: unit, scope, topic, reporter
    direction, maker, and whether the source is a party to the conflict."""
    out: list[Finding] = []
    cid = [sc.id]
    src = link.source
    said = f"{sc.document_ref()} credits {link.written!r}"
    if not src.registered or src.exists == "no":
        return out
    unit = _unit_of(sc)
    if unit and "any" not in src.units and unit not in src.units:
        out.append(
            Finding(
                "attribution.unit",
                "high",
                cid,
                f"{said} for a figure in {unit} ({_wording(sc)}), but {src.name} publishes "
                f"figures in {', '.join(sorted(src.units))} only. {src.note}".strip(),
                {"source": src.id, "unit": unit, "source_units": sorted(src.units)},
            )
        )
    open_topics = src.publishes & {"any", "analysis", "allegation", "policy"}
    misattributed = any(
        f.rule == "attribution.unit" and f.evidence["source"] == src.id for f in out
    )
    if "arms" in src.excludes and sc.scope in ("arms", "ammunition", "small_arms"):
        out.append(
            Finding(
                "attribution.topic",
                "medium",
                cid,
                f"{said} for a figure on arms ({_wording(sc)}), but {src.name} does not "
                f"publish arms figures. {src.note}".strip(),
                {"source": src.id, "topic": sc.topic},
            )
        )
    elif sc.scope and (
        sc.scope in src.excludes or (sc.scope == "small_arms" and "ammunition" in src.excludes)
    ):
        what = "small-arms ammunition" if sc.scope == "small_arms" else sc.scope
        out.append(
            Finding(
                "attribution.scope",
                "high",
                cid,
                f"{said} for a figure on {what} ({_wording(sc)}), which {src.name} does "
                f"not cover. {src.note}".strip(),
                {"source": src.id, "scope": sc.scope, "excludes": sorted(src.excludes)},
            )
        )
    elif (
        (sc.dimension or (sc.topic in ("trade", "arms_trade") and sc.via))
        and not open_topics
        and not misattributed
        and src.type != "company"
        and sc.topic not in src.publishes
        and sc.topic != "other"
        and not (sc.topic == "arms_trade" and "trade" in src.publishes)
    ):
        out.append(
            Finding(
                "attribution.topic",
                "medium",
                cid,
                f"{said} for {'a figure' if sc.dimension else 'a route'} on "
                f"{sc.topic.replace('_', ' ')}, which is not among what {src.name} publishes "
                f"({', '.join(sorted(src.publishes))}). {src.note}".strip(),
                {"source": src.id, "topic": sc.topic, "publishes": sorted(src.publishes)},
            )
        )
    if src.type == "statistics_office" and src.country and sc.dest_code and sc.origin_code:
        own = territory_code(src.country)
        if own not in (sc.origin_code, sc.dest_code):
            out.append(
                Finding(
                    "attribution.direction",
                    "high",
                    cid,
                    f"{said}: a statistics office publishes its own country's trade "
                    f"({own}); the claim is about {sc.origin_code} -> {sc.dest_code}.",
                    {"source": src.id, "reporter": own},
                )
            )
    if src.party_to and link.role == "origin":
        out.append(
            Finding(
                "attribution.party",
                "medium",
                cid,
                f"{src.name} is a party to the conflict ({src.party_to}): its statement is "
                "an allegation by an interested party, not an independent witness.",
                {"source": src.id, "party_to": src.party_to},
            )
        )
    out += _maker(sc, link, registry)
    return out


def _maker(sc: SourcedClaim, link: Link, registry: SourceRegistry) -> list[Finding]:
    """A product named in the claim credited to a firm that does not make it, when the
    registry knows who does (the FK-3 is CASIC's, not Elbit's)."""
    firm = link.source
    if firm.type != "company" or not firm.makes:
        return []
    makers = registry.makers()
    text = f" {fold(sc.claim.text)} "
    named = [p for p in makers if len(p) > 3 and f" {p} " in text]
    named += [fold(e.text) for e in sc.claim.subject if e.kind == "product"]
    own = {fold(p) for p in firm.makes}
    out: list[Finding] = []
    for product in dict.fromkeys(named):
        maker = makers.get(product)
        if maker is None or maker.id == firm.id or product in own:
            continue
        out.append(
            Finding(
                "attribution.maker",
                "high",
                [sc.id],
                f"{sc.document_ref()} credits {firm.name} for the {product.upper()}, which "
                f"{maker.name} ({maker.country.upper() or '?'}) makes; {firm.name} makes "
                f"{', '.join(firm.makes)}. {firm.note}".strip(),
                {"firm": firm.id, "source": firm.id, "product": product, "maker": maker.id},
            )
        )
    return out


def _wording(sc: SourcedClaim) -> str:
    q = sc.claim.quantity
    return q.wording if q is not None and q.wording else sc.claim.text[:80]


# -- arithmetic and currency -----------------------------------------------------------------

_MONEY = re.compile(
    r"(?P<pre>€|\$|EUR|USD|US\$)\s?(?P<num>\d[\d,.]*)\s*(?P<mult>billion|bn|million|m|mn|thousand)?"
    r"(?![\w])|(?P<num2>\d[\d,.]*)\s*(?P<mult2>billion|bn|million|m|mn)?\s*(?P<post>EUR|USD|euros?|"
    r"dollars?)\b",
    re.I,
)
_PCT = re.compile(r"(\d+(?:[.,]\d+)?)\s?(%|percent|per cent)")
_MULT = {"billion": 1e9, "bn": 1e9, "million": 1e6, "m": 1e6, "mn": 1e6, "thousand": 1e3}


@dataclass(slots=True)
class _Amount:
    value: float
    currency: str
    start: int
    end: int
    text: str


def amounts_in(text: str) -> list[_Amount]:
    """Money amounts written in a text (``€800 million``, ``USD 1.094 billion``, ``42.17 m``
    after a currency named earlier in the same text)."""
    out: list[_Amount] = []
    for m in _MONEY.finditer(text):
        num = m.group("num") or m.group("num2")
        mult = (m.group("mult") or m.group("mult2") or "").lower()
        cur = (m.group("pre") or m.group("post") or "").upper()
        cur = {"€": "EUR", "$": "USD", "US$": "USD", "EUROS": "EUR", "EURO": "EUR"}.get(cur, cur)
        cur = "USD" if cur.startswith("DOLLAR") else cur
        try:
            value = (
                float(num.replace(",", ""))
                if num.count(",") != 1 or len(num.split(",")[1]) == 3
                else float(num.replace(",", "."))
            )
        except ValueError:
            continue
        out.append(_Amount(value * _MULT.get(mult, 1.0), cur, m.start(), m.end(), m.group(0)))
    # "42.17 m" after "USD 110 m": bare amounts with a multiplier take the text's currency
    if out:
        cur = out[0].currency
        for m in re.finditer(r"(?<![\w.$€])(\d[\d,.]*)\s*(m|million|bn|billion)\b", text):
            if any(a.start <= m.start() < a.end for a in out):
                continue
            try:
                v = float(m.group(1).replace(",", ""))
            except ValueError:
                continue
            out.append(_Amount(v * _MULT[m.group(2).lower()], cur, m.start(), m.end(), m.group(0)))
    out.sort(key=lambda a: a.start)
    return out


def check_arithmetic(sc: SourcedClaim) -> list[Finding]:
    """Parts beside their total, a percentage beside its parts, EUR beside USD."""
    text = sc.claim.text
    out: list[Finding] = []
    amts = amounts_in(text)
    year = sc.years[1] if sc.years else None
    # EUR beside USD: "EUR 800 million (about USD 855 million)"
    for a, b in zip(amts, amts[1:], strict=False):
        if {a.currency, b.currency} == {"EUR", "USD"} and b.start - a.end < 30:
            eur, usd = (a, b) if a.currency == "EUR" else (b, a)
            from transship.normalise.money import rate_years, usd_per_eur

            first, last = rate_years()
            y = min(max(year or last, first), last)
            rate = usd_per_eur(y)
            implied = usd.value / eur.value
            gap = implied / rate - 1
            if abs(gap) > 0.05:
                out.append(
                    Finding(
                        "currency.pair",
                        "medium",
                        [sc.id],
                        f"{eur.text!r} beside {usd.text!r} implies USD {implied:.4f} per euro; "
                        f"the ECB's {y} mean rate is {rate:.4f} ({gap:+.1%}).",
                        {"eur": eur.value, "usd": usd.value, "year": y, "ecb_rate": rate},
                    )
                )
    for segment_start, segment in _sentences(text):
        seg = [a for a in amts if segment_start <= a.start < segment_start + len(segment)]
        out += _parts(sc, text, seg)
    # a share and a total together: "EUR 1.34 billion ... 2.8% of GDP"
    pcts = [m for m in _PCT.finditer(text)]
    if len(amts) == 1 and len(pcts) == 1:
        of = re.match(
            r"\s*(?:of\s+)?(?:[\w’']+\s+){0,2}?(GDP|gross domestic product)",
            text[pcts[0].end() :],
            re.I,
        )
        if of:
            share = float(pcts[0].group(1).replace(",", "."))
            if share > 0:
                implied_total = amts[0].value * 100 / share
                out.append(
                    Finding(
                        "arithmetic.implied",
                        "low",
                        [sc.id],
                        f"{amts[0].text!r} being {share:g}% of GDP implies a GDP of "
                        f"{amts[0].currency} {implied_total / 1e9:,.1f} billion; compare with the "
                        "national accounts of the year.",
                        {"amount": amts[0].value, "share_pct": share, "implied": implied_total},
                    )
                )
    return out


def _sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) pieces: a full stop followed by a space and a capital ends one
    (decimals such as ``42.17`` do not)."""
    out: list[tuple[int, str]] = []
    start = 0
    for m in re.finditer(r"(?<=[\w)])\.\s+(?=[A-Z])", text):
        out.append((start, text[start : m.start() + 1]))
        start = m.end()
    out.append((start, text[start:]))
    return out


def _year_near(text: str, a: _Amount) -> str | None:
    m = _YEAR.search(text[a.end : a.end + 12])
    return m.group(1) if m else None


def _parts(sc: SourcedClaim, text: str, amts: list[_Amount]) -> list[Finding]:
    """The first amount of a sentence is its total; later amounts in the same currency, not
    tied to another year ("USD 698 million in 2016"), are its parts."""
    out: list[Finding] = []
    if len(amts) < 2:
        return out
    total = amts[0]
    year = _year_near(text, total)
    parts = [
        a for a in amts[1:] if a.currency == total.currency and _year_near(text, a) in (None, year)
    ]
    if not parts:
        return out
    if len(parts) >= 2 and sum(p.value for p in parts) > total.value * 1.001:
        out.append(
            Finding(
                "arithmetic.parts",
                "high",
                [sc.id],
                f"parts {', '.join(repr(p.text) for p in parts)} add up to "
                f"{sum(p.value for p in parts):,.0f}, more than the total {total.text!r} "
                f"({total.value:,.0f}).",
                {"total": total.value, "parts": [p.value for p in parts]},
            )
        )
    for p in parts:
        pm = _PCT.match(text[p.end : p.end + 12].lstrip(" (~about"))
        if pm and total.value:
            stated = float(pm.group(1).replace(",", "."))
            actual = 100 * p.value / total.value
            if abs(actual - stated) > max(1.0, stated * 0.05):
                out.append(
                    Finding(
                        "arithmetic.percent",
                        "medium",
                        [sc.id],
                        f"{p.text!r} is {actual:.1f}% of {total.text!r}, not the stated "
                        f"{stated:g}%.",
                        {"part": p.value, "total": total.value, "stated_pct": stated},
                    )
                )
    return out


# -- temporal --------------------------------------------------------------------------------


def _as_date(iso: str | None, end: bool = False) -> date | None:
    if not iso:
        return None
    parts = iso.split("-")
    try:
        y = int(parts[0])
        m = int(parts[1]) if len(parts) > 1 else (12 if end else 1)
        d = int(parts[2]) if len(parts) > 2 else (31 if end and m == 12 else 1)
        if end and len(parts) == 2:
            import calendar

            d = calendar.monthrange(y, m)[1]
        return date(y, m, d)
    except (ValueError, IndexError):
        return None


def document_date(sc: SourcedClaim, others: list[SourcedClaim]) -> tuple[date | None, str]:
    """The document's date, or the latest date it credits (a lower bound) when it has none."""
    d = _as_date(sc.document.date)
    if d:
        return d, "its date"
    dates = [
        _as_date(lk.date)
        for o in others
        if o.document.document_id == sc.document.document_id
        for lk in o.credited
    ]
    known = [x for x in dates if x]
    return (
        (max(known), "the latest date it cites (it has no date of its own)")
        if known
        else (
            None,
            "",
        )
    )


def check_temporal(sc: SourcedClaim, doc_date: date | None, doc_how: str) -> list[Finding]:
    """A source dated before the period it is credited with, a claim about a time after the
    document, a source dated after the document.

    Severity follows how sure the dates are: a source dated before the period *starts* is
    high; before a later year of the period, medium; within the period's last year, low (the
    figure may be a total "to date"). Year-only source dates are not compared within their
    own year (the day is unknown). Forecasts ("projects", "could", "will") are not checked.
    """
    out: list[Finding] = []
    if _PROJECTION.search(sc.claim.text):
        return out
    periods = sc.periods or ([sc.years] if sc.years else [])
    end_iso = sc.claim.period[1] if sc.claim.period else None
    seen: set[tuple[str, str | None]] = set()
    for link in [sc.origin, *(lk for lk in sc.chain if lk.role == "reaction")]:
        if link.role == "document" or (link.written, link.date) in seen:
            continue
        seen.add((link.written, link.date))
        ld = _as_date(link.date)
        if ld is None:
            continue
        precise = bool(link.date and len(link.date) >= 7)
        if sc.dimension is not None:
            for p in periods:
                last = (
                    _as_date(end_iso, end=True)
                    if end_iso and p == sc.years and len(end_iso) >= 7
                    else date(p[1], 12, 31)
                )
                if last is None or ld >= last:
                    continue
                if ld < date(p[0], 1, 1):
                    severity = "high" if precise else "medium"
                    how = f"before the period {p[0]}-{p[1]} begins"
                elif ld.year < p[1]:
                    severity, how = "medium", f"before {p[1]}, the period's last year"
                elif precise:
                    severity = "low"
                    how = f"{(last - ld).days} days before the period {p[0]}-{p[1]} ends"
                else:
                    continue
                out.append(
                    Finding(
                        "temporal.source_before_period",
                        severity,
                        [sc.id],
                        f"{link.written!r} is dated {link.date}, {how}; it is credited with a "
                        f"figure for {p[0]}-{p[1]}.",
                        {"source_date": link.date, "period": list(p)},
                    )
                )
                break
        if doc_date and ld > doc_date and doc_how == "its date":
            out.append(
                Finding(
                    "temporal.source_after_document",
                    "medium",
                    [sc.id],
                    f"{link.written!r} is dated {ld.isoformat()}, after the document "
                    f"({doc_date.isoformat()}).",
                    {"source_date": ld.isoformat(), "document_date": doc_date.isoformat()},
                )
            )
    start = _as_date(sc.claim.period[0]) if sc.claim.period else None
    if doc_date and start and start > doc_date:
        out.append(
            Finding(
                "temporal.after_document",
                "medium",
                [sc.id],
                f"the claim describes {start.isoformat()} onwards, after the document's "
                f"{doc_how} ({doc_date.isoformat()}).",
                {"period_start": start.isoformat(), "document_date": doc_date.isoformat()},
            )
        )
    return out


# -- claims against the store ----------------------------------------------------------------


@dataclass(slots=True)
class DataCheck:
    """A claim compared with the store's trade rows: verdict, the figures, the rows."""

    claim: str
    verdict: str
    explanation: str
    claim_usd: float | None = None
    data_usd: float | None = None
    query: dict[str, Any] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)
    record_ids: list[str] = field(default_factory=list)
    simulated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "claim": self.claim,
            "verdict": self.verdict,
            "explanation": self.explanation,
            "claim_usd": self.claim_usd,
            "data_usd": self.data_usd,
            "query": self.query,
            "rows": self.rows,
            "record_ids": self.record_ids,
            "simulated": self.simulated,
        }


def _hs_prefix(sc: SourcedClaim) -> str | None:
    if sc.scope == "small_arms":
        return "930630"
    if sc.scope == "ammunition":
        return "9306"
    if sc.scope == "arms" or sc.topic == "arms_trade":
        return "93"
    return None


def check_data(sc: SourcedClaim, store: Store) -> DataCheck | None:
    """The claim against the store's trade flows: exports of ``origin`` (to ``destination``
    or to the world) of the claim's product over its years (its month, when it names one),
    in USD; for an import claim, imports of ``destination`` (from ``origin`` or the world).

    Verdicts: ``consistent`` (within a factor of 2: customs values and licence reports
    differ by valuation, timing and confidential rows), ``inconclusive`` (2-3),
    ``contradicted`` (beyond 3), ``outside_coverage`` (the store has no rows for the reporter,
    product and years, or the claim is about goods passing through third countries, which
    direct rows cannot show). Only money claims with a territory and years are compared."""
    if sc.dimension != "money" or sc.value_usd is None or not sc.years:
        return None
    from transship.claims.corroborate import measure_family

    imports = measure_family(sc.claim.measure) == "imports" or (
        sc.origin_code is None and sc.dest_code is not None
    )
    reporter = sc.dest_code if imports else sc.origin_code
    partner = sc.origin_code if imports else sc.dest_code
    if not reporter:
        return None
    flow, verb, prep = ("M", "imports", "from") if imports else ("X", "exports", "to")
    prefix = _hs_prefix(sc)
    y0, y1 = sc.years
    month = None
    if sc.claim.period and sc.claim.period[0] == sc.claim.period[1]:
        p0 = sc.claim.period[0] or ""
        month = p0[:7] if len(p0) >= 7 else None
    query = {
        "reporter": reporter,
        "partner": partner or "world",
        "product": prefix,
        "years": month or f"{y0}-{y1}",
        "flow": flow,
    }
    if prefix is None:
        return DataCheck(
            sc.id,
            "outside_coverage",
            "the claim is not about a traded product the store's flows classify (HS chapter "
            "93): nothing to compare.",
            sc.value_usd,
            query=query,
        )
    from transship.normalise.territories import lookup

    try:
        rep = lookup(reporter.lower())
    except Exception:  # noqa: BLE001
        return None
    part_code = None
    if partner:
        try:
            part_code = lookup(partner.lower()).code
        except Exception:  # noqa: BLE001
            part_code = None
    base_where = f"reporter = ? AND flow = '{flow}' AND year BETWEEN ? AND ? AND hs_code LIKE ?"
    base_params: list[Any] = [rep.code, y0, y1, prefix + "%"]
    if month:
        base_where += " AND period = ?"
        base_params.append(month)
    attempts: list[tuple[str, list[Any], str]] = []
    if part_code:
        attempts.append((base_where + " AND partner = ?", [*base_params, part_code], ""))
    else:
        attempts.append((base_where + " AND partner_is_world", base_params, ""))
        attempts.append(
            (
                base_where + " AND NOT partner_is_world AND NOT partner_is_area",
                base_params,
                " (no World rows: summed over partner countries)",
            )
        )
    rows: list[dict[str, Any]] = []
    summed = ""
    for where, params, note in attempts:
        sql = (
            "SELECT dataset, year, hs_code, count(*) AS n, sum(value_usd) AS usd, "
            "bool_or(simulated) AS simulated, list(record_id ORDER BY record_id)[1:20] AS ids "
            f"FROM trade_flows WHERE {where} GROUP BY dataset, year, hs_code "
            "ORDER BY dataset, year, hs_code"
        )
        cols = ("dataset", "year", "hs_code", "rows", "value_usd", "simulated", "ids")
        rows = [dict(zip(cols, r, strict=True)) for r in store.fetchall(sql, params)]
        if rows:
            summed = note
            break
    indirect = not imports and (bool(sc.via) or bool(_INDIRECT.search(sc.claim.text)))
    span = month or f"{y0}-{y1}"
    if not rows and indirect and partner:
        return DataCheck(
            sc.id,
            "outside_coverage",
            f"the claim is about goods reaching {partner} through third countries; the store "
            f"holds no direct {prefix} export rows of {reporter} to {partner} for "
            f"{span} either, and direct rows could not show it: compare routes "
            "(`transship routes`).",
            sc.value_usd,
            query=query,
        )
    if not rows:
        return DataCheck(
            sc.id,
            "outside_coverage",
            f"the store holds no {prefix} {verb[:-1]} rows of {reporter} {prep} "
            f"{partner or 'the world'} for {span}"
            f"{' (monthly rows)' if month else ''}: the claim can be neither confirmed nor "
            "contradicted here (not the same as contradicted).",
            sc.value_usd,
            query=query,
        )
    # one dataset, the most specific code level present, so levels are not added twice
    by_ds: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_ds.setdefault(r["dataset"], []).append(r)
    ds = max(by_ds, key=lambda k: (len({r["year"] for r in by_ds[k]}), k))
    chosen = by_ds[ds]
    level = max(len(r["hs_code"]) for r in chosen)
    chosen = [r for r in chosen if len(r["hs_code"]) == level]
    total = sum(r["value_usd"] or 0.0 for r in chosen)
    years_seen = sorted({r["year"] for r in chosen})
    simulated = any(r["simulated"] for r in chosen)
    ids = [i for r in chosen for i in (r["ids"] or [])][:40]
    shown = [
        {k: r[k] for k in ("dataset", "year", "hs_code", "rows", "value_usd", "simulated")}
        for r in chosen
    ]
    label = " (SIMULATED data)" if simulated else ""
    base = (
        f"{ds}{label}: {reporter} {verb} of HS {prefix}* {prep} {partner or 'the world'}"
        f"{summed} "
        f"in {month or ', '.join(map(str, years_seen))} add up to USD {total:,.0f} "
        f"({sum(r['rows'] for r in chosen)} rows at HS level {level}); the claim is USD "
        f"{sc.value_usd:,.0f}"
    )
    if indirect and partner:
        return DataCheck(
            sc.id,
            "outside_coverage",
            base + ". The claim is about goods reaching the destination through third "
            "countries, which direct rows cannot show: compare routes (`transship routes`).",
            sc.value_usd,
            total,
            query,
            shown,
            ids,
            simulated,
        )
    paper = re.search(r"\b(contracts?|licen[cs]es?|permits?|signed|orders?)\b", sc.claim.text, re.I)
    if paper or sc.claim.measure in ("contracts", "licences", "orders"):
        return DataCheck(
            sc.id,
            "outside_coverage",
            base + f". The claim counts {paper.group(1) if paper else sc.claim.measure}, not "
            "deliveries: trade rows record goods crossing a border, which can come years "
            "later or never.",
            sc.value_usd,
            total,
            query,
            shown,
            ids,
            simulated,
        )
    if not month and len(years_seen) < (y1 - y0 + 1):
        missing = sorted(set(range(y0, y1 + 1)) - set(years_seen))
        base += f"; years {', '.join(map(str, missing))} are missing from the store"
    ratio = (sc.value_usd / total) if total > 0 else float("inf")
    if total > 0 and 0.5 <= ratio <= 2.0:
        verdict, why = "consistent", f" (ratio {ratio:.2f}, within a factor of two)."
    elif total > 0 and 1 / 3 <= ratio <= 3.0:
        verdict, why = "inconclusive", f" (ratio {ratio:.2f}: between two and three times)."
    else:
        verdict = "contradicted"
        why = (
            f" (ratio {ratio:.2f}: more than three times apart)."
            if total > 0
            else " (the rows add up to zero)."
        )
    return DataCheck(sc.id, verdict, base + why, sc.value_usd, total, query, shown, ids, simulated)


def data_finding(dc: DataCheck) -> Finding:
    severity = {"contradicted": "high", "inconclusive": "low", "consistent": "info"}.get(
        dc.verdict, "info"
    )
    return Finding(f"data.{dc.verdict}", severity, [dc.claim], dc.explanation, dc.to_dict())
