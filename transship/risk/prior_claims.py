"""Prior diversion claims about a deal's parties and countries (the ``prior_claims`` indicator).

Criterion 7 asks about the buyer's record: has the consignee, the end user or their country
been reported passing arms on? The claims stage (``transship claims``) holds what reports and
the press allege, graded: each claim's reliability (Admiralty A-F: who it comes from), its
credibility (1-6: how well the information holds up) and the number of independent origins
behind it (five outlets repeating one intelligence service are one origin). This module reads
the claims in the store -- ingested claims files (table ``claims``) and the claims the claims
stage extracts from ingested documents (table ``documents``) --, keeps those that allege
diversion, re-export or an onward transfer, and weighs those that involve the request's
consignee, end user, broker or their countries by their grade.

Why grade-weighted and not counted: an allegation is not a finding. A D4 claim (an origin
not usually reliable, information doubtful) from a party to a conflict is worth noting and
little more; a B2 claim that three independent origins state is a record. Each claim's
strength is reliability x credibility x corroboration (the numbers in ``weights.yaml``,
``prior_claims``), times how directly it involves the request (a party named outright counts
more than its country named as an intermediary). Claims that share an origin or a
corroboration group count once (the strongest), and the indicator is the "noisy or" of what is
left, so every further independent allegation raises it and none takes it beyond 1.

Everything is read through the claims stage's public functions
(:func:`transship.claims.check.check_case`, :func:`~transship.claims.check.stored_documents`,
:func:`transship.claims.model.extract`), once per store state; nothing of a simulation's truth
or parameters is read.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transship.exc import TransshipError
from transship.risk.config import Weights, default_weights
from transship.risk.crosscheck import StoreIndex
from transship.risk.model import Finding, Indicator
from transship.store import Store

if TYPE_CHECKING:
    from transship.claims.check import GradedClaim
    from transship.claims.model import ExtractedClaim

NAME = "prior_claims"

#: Words that make a claim an allegation of diversion, re-export or an onward transfer
#: (English and the region's languages). A claims-file claim with intermediaries and a
#: destination is one by its structure ("through CZ to UA") even without these words.
DIVERSION_WORDS = re.compile(
    r"(?<!\w)("
    r"divert\w*|diversion\w*|re-?export\w*|re-?rout\w*|redirect\w*|trans-?ship\w*|"
    r"intermediar\w*|conduit\w*|middlem[ae]n|indirect(?:ly)?|onward|"
    r"passed (?:them |it )?(?:on|through)|through third|via third|third parties|"
    r"end[- ]user certificates?|smuggl\w*|unauthori[sz]ed|illicit\w*|resold|resale|"
    r"preusmer\w*|reeksport\w*|re-eksport\w*|posrednik\w*|posredni\w*|po[sś]redni\w*|"
    r"krijumčar\w*|реэкспорт\w*|реекспорт\w*|реизвоз\w*|посредни\w*|посередни\w*|"
    r"транзит\w*|переправ\w*|контрабанд\w*|шверц\w*"
    r")(?!\w)",
    re.IGNORECASE,
)

_CURRENCY = re.compile(r"^[A-Z]{3}$")

#: Words of a government end user's generic name: "Ministry of Defence" or "Armed Forces"
#: alone names no one in particular, so it never matches a claim's text by itself.
_GOVERNMENT_WORDS = frozenset(
    "ministry of the defence defense armed forces force army land navy air national guard "
    "police interior general staff government state republic department command".split()
)


@dataclass(slots=True)
class StoredClaim:
    """One claim in the store that alleges diversion, with its grade from the claims stage
    and the territories and names it involves."""

    claim_id: str
    #: where to find it: the ``claims`` row's record id (``<sha16>:<line>``) for a claims
    #: file, ``doc:<id>:<start>-<end>`` (characters) for a claim extracted from a document
    ref: str
    #: the claims file (its dataset and line) or the document's title / id
    where: str
    text: str
    reliability: str
    credibility: int
    origins: int
    origin: str
    origin_name: str
    group: str
    #: the words that make it an allegation ("passed through"), or "intermediaries" when its
    #: structure does
    cue: str
    #: territory code -> its role in the claim (intermediary, destination, origin, named)
    territories: dict[str, str] = field(default_factory=dict)
    #: skeleton tokens of the claim's text (resolve stage), for matching party names
    skeletons: tuple[str, ...] = ()
    #: party mentions the extraction linked or kept (documents only)
    parties: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    #: the skeletons as a set (a quick test before the scan for a name)
    skeleton_set: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.skeleton_set = frozenset(self.skeletons)

    @property
    def grade(self) -> str:
        return f"{self.reliability}{self.credibility}"


@dataclass(slots=True)
class ClaimBase:
    """What the store holds on prior claims, graded once per store state."""

    claims: list[StoredClaim]
    #: claims rows and documents in the store (to say what was read)
    claim_rows: int
    documents: int
    #: why nothing could be weighed ('' when claims were graded)
    why_not: str = ""


@dataclass(slots=True)
class ClaimMatch:
    """A stored claim that involves the request, and how strongly it counts."""

    claim: StoredClaim
    role: str
    why: str
    strength: float
    #: the claim it was counted with (same origin or corroboration group), when not counted
    counted_with: str | None = None


_CACHE: dict[tuple[str, str], ClaimBase] = {}


def _code(value: object) -> str | None:
    """The store's territory code (lowercase, ``bg``) of a code or name; None when unknown."""
    if not value or not str(value).strip():
        return None
    from transship.normalise.territories import lookup

    try:
        return str(lookup(str(value)).code).lower()
    except TransshipError:
        return None
    except (KeyError, ValueError):
        return None


def _skeletons(text: str) -> tuple[str, ...]:
    from transship.resolve.names import ascii_tokens
    from transship.resolve.spelling import skeleton

    return tuple(skeleton(t) for t in ascii_tokens(text))


def _claims_file_line(row: Mapping[str, Any]) -> dict[str, Any]:
    """A ``claims`` row back in the claims JSON-lines format the claims stage reads."""
    rec: dict[str, Any] = {
        "id": row["claim_id"],
        "claim": row["text"],
        "quantity": row.get("quantity"),
        "period": row.get("period"),
        "origin": row.get("origin"),
        "intermediaries": row.get("intermediaries"),
        "destination": row.get("destination"),
        "original_source": row.get("attributed_to"),
        "urls": row.get("urls"),
    }
    unit = row.get("unit")
    if unit and _CURRENCY.match(str(unit)):
        rec["currency"] = unit
    elif unit:
        rec["unit"] = unit
    return rec


def _grade_store(store: Store) -> ClaimBase:
    """Grade every claim in the store with the claims stage and keep the allegations."""
    from transship.claims.check import check_case, stored_documents
    from transship.claims.model import extract

    rows = store.query(
        "SELECT record_id, source_sha256, dataset, line, claim_id, text, quantity, unit, "
        "period, origin, intermediaries, destination, attributed_to, urls FROM claims "
        "ORDER BY source_sha256, line"
    ).to_pylist()
    docs = stored_documents(store)
    if not rows and not docs:
        return ClaimBase(
            [],
            0,
            0,
            "no claims in the store: ingest a claims file (e.g. a case's claims.jsonl) or "
            "reports and press pieces (transship ingest REPORT.txt) to weigh prior "
            "diversion claims",
        )
    # one claims file per ingested file, so that corroboration between files is counted
    # as the claims stage counts it between documents
    by_file: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_file.setdefault(str(r["source_sha256"]), []).append(r)
    with tempfile.TemporaryDirectory(prefix="transship-claims-") as tmp:
        folder = Path(tmp)
        files: list[Path] = []
        file_rows: dict[str, list[dict[str, Any]]] = {}
        for i, (sha, mine) in enumerate(by_file.items()):
            path = folder / ("claims.jsonl" if i == 0 else f"claims-{sha[:16]}.jsonl")
            path.write_text("".join(json.dumps(_claims_file_line(r)) + "\n" for r in mine), "utf-8")
            files.append(path)
            file_rows[path.name] = mine
        if not files:  # documents only: the claims stage wants a claims file first
            files.append(folder / "claims.jsonl")
            files[0].write_text("", "utf-8")
        report = check_case(folder, store=store, documents=files[1:], texts=docs)
        names = {d["document_id"]: Path(str(d.get("path") or "")).name for d in report.documents}
    extracted: dict[tuple[str, str], ExtractedClaim] = {}
    for doc in docs:
        for c in extract(doc, store):
            extracted[(doc.document_id, c.claim_id)] = c
    titles = {d.document_id: d.title or d.document_id for d in docs}
    out: list[StoredClaim] = []
    for g in report.claims:
        base_id = g.id.split(":", 1)[1] if ":" in g.id and not g.id.startswith("clm:") else g.id
        fname = names.get(g.document, "")
        if fname in file_rows:
            row = next((r for r in file_rows[fname] if str(r["claim_id"]) in (g.id, base_id)), None)
            if row is None:
                continue
            sc = _from_row(g, row)
        else:
            ex = extracted.get((g.document, base_id)) or extracted.get((g.document, g.id))
            sc = _from_document(g, ex, titles.get(g.document, g.document))
        if sc is not None:
            out.append(sc)
    return ClaimBase(out, len(rows), len(docs))


def _from_row(g: GradedClaim, row: Mapping[str, Any]) -> StoredClaim | None:
    text = str(row["text"] or "")
    inter = [c for c in (_code(x) for x in row.get("intermediaries") or []) if c]
    origin, dest = _code(row.get("origin")), _code(row.get("destination"))
    m = DIVERSION_WORDS.search(text)
    if m:
        cue = m.group(0)
    elif inter and dest and dest not in inter:
        cue = "intermediaries"
    else:
        return None
    territories: dict[str, str] = {}
    for c in inter:
        territories.setdefault(c, "intermediary")
    if dest:
        territories.setdefault(dest, "destination")
    if origin:
        territories.setdefault(origin, "origin")
    return StoredClaim(
        claim_id=str(row["claim_id"]),
        ref=str(row["record_id"]),
        where=f"{row['dataset']} line {row['line']}",
        text=text,
        reliability=str(g.reliability),
        credibility=int(g.credibility),
        origins=int(g.origins),
        origin=str(g.origin),
        origin_name=str(g.origin_name),
        group=str(g.group),
        cue=cue,
        territories=territories,
        skeletons=_skeletons(text),
        findings=list(g.findings),
    )


def _from_document(g: GradedClaim, ex: ExtractedClaim | None, title: str) -> StoredClaim | None:
    """A claim extracted from a stored document, when its sentence alleges diversion. Every
    territory the extraction linked counts as ``named``: a sentence about re-export runs
    through three countries, and the extraction's (origin, destination) pair cannot say
    which one passed the goods on ("exported to Bulgaria ... re-exported to Sudan")."""
    text = str(g.text or "")
    m = DIVERSION_WORDS.search(text)
    if not m:
        return None
    territories: dict[str, str] = {}
    parties: list[str] = []
    linked: list[object] = list(g.direction or ())
    if ex is not None:
        linked += list(ex.direction or ())
        for ref in [*ex.place, *ex.subject]:
            if ref.kind == "territory":
                linked.append(ref.id or ref.text)
            elif ref.kind == "party":
                parties.append(str(ref.text))
    for value in linked:
        c = _code(value)
        if c:
            territories.setdefault(c, "named")
    a, b = g.span
    return StoredClaim(
        claim_id=str(g.id),
        ref=f"{g.document}:{a}-{b}",
        where=title,
        text=text,
        reliability=str(g.reliability),
        credibility=int(g.credibility),
        origins=int(g.origins),
        origin=str(g.origin),
        origin_name=str(g.origin_name),
        group=str(g.group),
        cue=m.group(0),
        territories=territories,
        skeletons=_skeletons(text),
        parties=parties,
        findings=list(g.findings),
    )


def stored_claims(store: Store, index: StoreIndex | None = None) -> ClaimBase:
    """The store's diversion allegations, graded by the claims stage (once per store state;
    a new ingest or a rebuilt store is graded again)."""
    if index is not None and NAME in index.hubs:
        cached: ClaimBase = index.hubs[NAME]
        return cached
    from transship.risk.context import store_state

    key = store_state(store)
    base = _CACHE.get(key)
    if base is None:
        try:
            base = _grade_store(store)
        except TransshipError as exc:
            base = ClaimBase(
                [], 0, 0, f"the claims stage could not grade the store's claims: {exc}"
            )
        except Exception as exc:  # noqa: BLE001 - one indicator must not sink the assessment
            # a fault inside the claims stage is named in the note (not checked, with the
            # error), and the other nine indicators still give the officer a result
            base = ClaimBase(
                [],
                0,
                0,
                "the claims stage failed while grading the store's claims "
                f"({type(exc).__name__}: {exc}); prior claims not weighed",
            )
        _CACHE[key] = base
    if index is not None:
        index.hubs[NAME] = base
    return base


def claim_strength(reliability: str, credibility: int, origins: int, w: Weights) -> float:
    """How much one claim counts, in [0, 1]: reliability x credibility x corroboration.

    Corroboration is 1 - (1 - c)^n for n independent origins (``c`` = ``corroboration`` in
    weights.yaml), with n at least ``unconfirmed_origins`` (a claim whose only origin is a
    party to a conflict has no independent origin, yet someone said it)."""
    p = w.prior_claims
    r = p.reliability.get(reliability.upper(), p.reliability.get("F", 0.0))
    c = p.credibility.get(int(credibility), p.credibility.get(6, 0.0))
    n = max(float(origins), p.unconfirmed_origins)
    corroboration = 1.0 - float((1.0 - p.corroboration) ** n)
    return max(0.0, min(1.0, r * c * corroboration))


def _party_hit(name: str, claim: StoredClaim) -> str | None:
    """Why ``name`` is named by the claim (None when it is not): its resolve-stage skeleton
    tokens in a row in the claim's text, or an extracted party mention that compares at 0.9."""
    from transship.resolve.compare import compare_names
    from transship.resolve.names import analyse

    form = analyse(name, "ORG")
    skels = [s for s in form.skeletons if s]
    specific = (
        sum(form.weights) >= 1.0
        and len("".join(skels)) >= 4
        and any(t not in _GOVERNMENT_WORDS for t in form.tokens)
    )
    if skels and specific and set(skels) <= claim.skeleton_set:
        k, text = len(skels), claim.skeletons
        for i in range(len(text) - k + 1):
            if list(text[i : i + k]) == skels:
                return f"in its text (resolve-stage name tokens {' '.join(skels)})"
    for mention in claim.parties:
        s = compare_names(analyse(mention, "ORG"), form)
        if s.score >= 0.9:
            return f"as the party {mention!r} the extraction found (name score {s.score:.2f})"
    return None


def match_claims(
    base: ClaimBase,
    parties: Sequence[tuple[str, str]],
    countries: Sequence[tuple[str, str]],
    w: Weights,
) -> list[ClaimMatch]:
    """The stored allegations that involve the request: ``parties`` as (role, name) and
    ``countries`` as (role, territory code), strongest first; claims sharing an origin or a
    corroboration group with a stronger one are marked ``counted_with`` it."""
    p = w.prior_claims
    found: list[ClaimMatch] = []
    for claim in base.claims:
        best: tuple[float, str, str] | None = None
        for role, name in parties:
            why = _party_hit(name, claim)
            if why:
                factor = p.roles["party"]
                if best is None or factor > best[0]:
                    best = (factor, "party", f"it names the {role} {name!r} {why}")
        for role, code in countries:
            where = claim.territories.get(code)
            if where is None:
                continue
            factor = p.roles[where]
            if best is None or factor > best[0]:
                best = (factor, where, f"it names {code.upper()} ({role}'s country) as {where}")
        if best is None:
            continue
        factor, how, why = best
        strength = claim_strength(claim.reliability, claim.credibility, claim.origins, w) * factor
        found.append(ClaimMatch(claim, how, why, strength))
    found.sort(key=lambda m: (-m.strength, m.claim.claim_id))
    used: dict[str, str] = {}
    for m in found:
        keys = (f"origin:{m.claim.origin}", f"group:{m.claim.group}")
        first = next((used[k] for k in keys if k in used), None)
        if first is not None:
            m.counted_with = first
        for k in keys:
            used.setdefault(k, m.claim.claim_id)
    return found


def claims_value(matches: Sequence[ClaimMatch]) -> float:
    """The indicator's value: "noisy or" of the counted claims' strengths."""
    rest = 1.0
    for m in matches:
        if m.counted_with is None:
            rest *= 1.0 - max(0.0, min(1.0, m.strength))
    return 1.0 - rest


def _describe(m: ClaimMatch, full: bool = False) -> str:
    """One claim as evidence: id, grade, origins, where it is, why it matched, what it
    counts (``full``: with its text, for the finding)."""
    c = m.claim
    origins = f"{c.origins} independent origin{'s' if c.origins != 1 else ''}"
    counted = f", counted with {m.counted_with} (same origin or group)" if m.counted_with else ""
    out = (
        f"claim {c.claim_id} {c.grade} ({origins}; origin {c.origin_name}) at {c.ref} "
        f"({c.where}): {m.why}; alleges {c.cue!r}; counts {m.strength:.3f}{counted}"
    )
    if full:
        text = c.text if len(c.text) <= 300 else c.text[:297] + "..."
        out += f'. "{text}"'
        if c.findings:
            out += f" (claims-stage findings: {', '.join(c.findings)})"
    return out


def prior_claims_indicator(
    store: Store | None,
    parties: Sequence[tuple[str, str]],
    countries: Sequence[tuple[str, str | None]],
    weights: Weights | None = None,
    index: StoreIndex | None = None,
) -> tuple[Indicator, list[Finding]]:
    """The ``prior_claims`` indicator and one finding (code ``claims.prior_allegation``,
    shown, not weighed twice) per claim that involves the request."""
    w = weights or default_weights()
    weight = w.indicators[NAME]
    if store is None:
        return Indicator(NAME, 0.0, weight, 0.0, "no store, so no claims to read", [], False), []
    if weight <= 0:  # an evaluation that leaves claims out pays nothing for them
        why = f"weight 0 in {w.path}: prior claims not read"
        return Indicator(NAME, 0.0, weight, 0.0, why, [], False), []
    codes = [(role, c) for role, c in ((r, _code(x)) for r, x in countries) if c]
    named = [(role, str(n).strip()) for role, n in parties if n and str(n).strip()]
    if not codes and not named:
        return (
            Indicator(NAME, 0.0, weight, 0.0, "no consignee, end user or country named", [], False),
            [],
        )
    base = stored_claims(store, index)
    if base.why_not:
        return Indicator(NAME, 0.0, weight, 0.0, base.why_not, [], False), []
    matches = match_claims(base, named, codes, w)
    read = (
        f"{base.claim_rows} claim(s) from claims files and {base.documents} document(s) in the "
        f"store, {len(base.claims)} alleging diversion, re-export or onward transfer"
    )
    by_code: dict[str, list[str]] = {}
    for r, c in codes:
        by_code.setdefault(c, []).append(f"{r}'s")
    who = ", ".join(
        [f"{r} {n!r}" for r, n in named]
        + [f"{' and '.join(rs)} country {c.upper()}" for c, rs in by_code.items()]
    )
    if not matches:
        return (
            Indicator(NAME, 0.0, weight, 0.0, f"{read}; none involves {who} (score 0)", []),
            [],
        )
    value = claims_value(matches)
    counted = [m for m in matches if m.counted_with is None]
    text = (
        f"{read}; {len(matches)} {'involves' if len(matches) == 1 else 'involve'} {who}, "
        f"{len(counted)} counted (one per origin): "
        + "; ".join(f"{m.claim.claim_id} {m.claim.grade} {m.strength:.3f}" for m in counted[:8])
        + ". Each counts by its grade: reliability x credibility x corroboration by "
        "independent origins (weights.yaml, prior_claims)"
    )
    evidence = [_describe(m) for m in matches][:40]
    findings = [
        Finding(
            "claims.prior_allegation",
            _severity(m.strength, w) if m.counted_with is None else "info",
            _describe(m, full=True),
            [m.claim.ref],
            m.claim.claim_id,
        )
        for m in matches
    ]
    return Indicator(NAME, value, weight, 0.0, text, evidence), findings


def _severity(strength: float, w: Weights) -> str:
    p = w.prior_claims
    if strength >= p.medium:
        return "medium"
    if strength >= p.low:
        return "low"
    return "info"


__all__ = [
    "DIVERSION_WORDS",
    "NAME",
    "ClaimBase",
    "ClaimMatch",
    "StoredClaim",
    "claim_strength",
    "claims_value",
    "match_claims",
    "prior_claims_indicator",
    "stored_claims",
]
