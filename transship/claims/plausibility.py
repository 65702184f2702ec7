"""Attribution plausibility: could the credited sources have said this at all?

A body that does not exist (or could not be matched); a figure in a unit or currency the
credited source does not publish (SIPRI's Arms Transfers Database counts TIV, not euros); a
figure on products outside its coverage or on a topic it does not publish; a statistics office
credited with trade between other countries; a product credited to a firm that does not make
it; an origin that is a party to the conflict. Also: which of several sources credited together
is taken as the origin (:func:`pin_credits`, :func:`check_attribution`), and doubtful bodies
named anywhere in a document (:func:`named_bodies`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from transship.claims.corroborate import same_assertion
from transship.claims.facts import quantity_wording, territory_code
from transship.claims.findings import Finding
from transship.claims.model import DocumentText, ExtractedClaim
from transship.claims.sourced import Link, SourcedClaim
from transship.claims.sources import Source, SourceRegistry, default_registry, fold
from transship.claims.temporal import as_date


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
    when = as_date(link.date)
    return bool(when and sc.years and when < date(sc.years[0], 1, 1))


def _doubtful(src: Source) -> tuple[str, str, str] | None:
    """(rule, severity, what is wrong) for a body that does not exist as named or could not
    be matched to a known one; None for any other."""
    if src.exists == "no":
        return "attribution.nonexistent", "high", "does not exist as named"
    if src.exists == "unverified":
        return "attribution.unverified", "medium", "could not be matched to a known body"
    return None


def _existence(sc: SourcedClaim, link: Link) -> list[Finding]:
    src = link.source
    doubt = _doubtful(src)
    if doubt is None:
        return []
    rule, severity, what = doubt
    said = f"{sc.document_ref()} credits {link.written!r}"
    return [
        Finding(
            rule,
            severity,
            [sc.id],
            f"{said}: {src.name} {what}. {src.reliability_reason}.",
            {"source": src.id},
        )
    ]


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
    """The figure's own words, or the start of the claim when it has none."""
    return quantity_wording(sc.claim) or sc.claim.text[:80]


def named_bodies(
    batches: Sequence[tuple[DocumentText, list[ExtractedClaim]]],
    scs: list[SourcedClaim],
    registry: SourceRegistry,
    found: list[Finding],
) -> list[Finding]:
    """Bodies that do not exist (or could not be matched) named anywhere in a document, also
    where no claim with a figure credits them ("as highlighted in a UN Panel of Experts report
    on Ukraine"). A mention already reported through a claim's credit is not repeated."""
    doubtful = [(s, d) for s in registry.sources.values() if (d := _doubtful(s)) is not None]
    reported = {
        (f.evidence.get("source"), c)
        for f in found
        if f.rule in ("attribution.nonexistent", "attribution.unverified")
        for c in f.claims
    }
    out: list[Finding] = []
    for doc, _claims in batches:
        mine = [sc for sc in scs if sc.document.document_id == doc.document_id]
        for src, (rule, severity, what) in doubtful:
            spans: list[tuple[int, int]] = []
            for alias in sorted({src.name, *src.aliases}, key=len, reverse=True):
                for m in re.finditer(re.escape(alias), doc.text, re.IGNORECASE):
                    if not any(a <= m.start() < b for a, b in spans):
                        spans.append((m.start(), m.end()))
            for a, b in sorted(spans):
                near = [sc.id for sc in mine if sc.claim.span[0] <= a < sc.claim.span[1]]
                # a table row's Sources cell is outside its claims' spans but on their line
                lo = doc.text.rfind("\n", 0, a) + 1
                hi = doc.text.find("\n", b)
                hi = len(doc.text) if hi < 0 else hi
                row = [sc.id for sc in mine if lo <= sc.claim.span[0] < hi]
                if any((src.id, c) in reported for c in near + row):
                    continue
                near = near or row
                out.append(
                    Finding(
                        rule,
                        severity,
                        near,
                        f"the document names {doc.text[a:b]!r} at characters {a}-{b}: "
                        f"{src.name} {what}. {src.reliability_reason}.",
                        {"source": src.id, "document": doc.document_id, "span": [a, b]},
                    )
                )
    return out


def pin_credits(scs: list[SourcedClaim]) -> None:
    """A claim credited to several sources together takes as origin the one source the same
    document credits alone for the same figure elsewhere (the text says "according to SIPRI";
    the summary table's Sources cell lists SIPRI among four)."""
    for sc in scs:
        credits = {lk.source.id for lk in sc.chain if lk.role == "origin"}
        if len(credits) < 2:
            continue
        for other in scs:
            if other is sc or other.document.document_id != sc.document.document_id:
                continue
            theirs = {lk.source.id for lk in other.chain if lk.role == "origin"}
            if len(theirs) == 1 and theirs <= credits and same_assertion(sc, other):
                sc.pinned = (next(iter(theirs)), other.id)
                break
