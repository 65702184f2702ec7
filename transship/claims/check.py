"""`transship claims check`: claims graded, grouped by origin, contradictions and checks.

Entry points: :func:`check_documents` (documents to extract claims from, and claims files in
the claims JSON-lines format), :func:`check_case` (a case folder's ``claims.jsonl``, plus
documents) and :func:`check_claims` (claims already extracted). Each returns a
:class:`ClaimReport`: every claim with its document and character span, its reliability (A-F)
and credibility (1-6) with reasons, the number of independent origins behind its figure,
the corroboration groups, the findings (misattributions, contradictions, arithmetic, dates)
and the data checks, sorted so that what matters comes first.

A claims file (``claims.jsonl``) is treated as a document of its own: each line is one claim,
and the claim's span is that line's characters in the file. Its ``original_source`` becomes
the chain of credit ("SVR statement published by Sputnik ... (as cited by the seed report)":
the SVR, relayed by Sputnik, relayed by the seed report) and its ``urls`` are relays.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transship.claims.checks import (
    RULES,
    DataCheck,
    Finding,
    SourcedClaim,
    check_arithmetic,
    check_attribution,
    check_data,
    check_temporal,
    data_finding,
    document_date,
    sourced,
    territory_code,
)
from transship.claims.contradict import contradictions
from transship.claims.corroborate import Group, corroboration_groups, origins_by_claim
from transship.claims.grades import CREDIBILITY_WORDS, Grade, grade
from transship.claims.model import (
    Attribution,
    DocumentText,
    EntityRef,
    ExtractedClaim,
    Quantity,
)
from transship.claims.sources import RELIABILITY_WORDS, SourceRegistry, load_registry
from transship.exc import InvalidInput, NotFound, SourceFormatError

if TYPE_CHECKING:
    from transship.store import Store

#: What no rule here checks yet (said in every report).
NOT_CHECKED = [
    "shares against a total taken from outside the document (GDP, national accounts): the "
    "implied figure is shown for the reader to compare",
    "claims without a money figure are not compared with the store's data",
    "indirect flows (through third countries) are not compared with routes; see `transship routes`",
]


@dataclass(slots=True)
class GradedClaim:
    """One claim as the report shows it: where it is, what it says, who said it, how good."""

    id: str
    document: str
    span: tuple[int, int]
    text: str
    excerpt: str
    measure: str
    quantity: dict[str, Any] | None
    period: tuple[str | None, str | None] | None
    direction: tuple[str | None, str | None] | None
    attributed_to: list[str]
    origin: str
    origin_name: str
    chain: list[dict[str, Any]]
    reliability: str
    credibility: int
    grade: Grade
    origins: int
    group: str
    findings: list[str] = field(default_factory=list)
    data: str | None = None
    severity: int = 9

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "document": self.document,
            "span": list(self.span),
            "text": self.text,
            "excerpt": self.excerpt,
            "measure": self.measure,
            "quantity": self.quantity,
            "period": list(self.period) if self.period else None,
            "direction": list(self.direction) if self.direction else None,
            "attributed_to": self.attributed_to,
            "origin": self.origin,
            "origin_name": self.origin_name,
            "chain": self.chain,
            "reliability": self.reliability,
            "credibility": self.credibility,
            **{
                k: v
                for k, v in self.grade.to_dict().items()
                if k not in ("reliability", "credibility")
            },
            "origins": self.origins,
            "group": self.group,
            "findings": self.findings,
            "data": self.data,
        }


@dataclass(slots=True)
class ClaimReport:
    """Everything `transship claims check` says, in the order an analyst reads it."""

    documents: list[dict[str, Any]]
    claims: list[GradedClaim]
    groups: list[Group]
    findings: list[Finding]
    data_checks: list[DataCheck]
    registry: list[str]
    simulated: bool = False
    not_checked: list[str] = field(default_factory=lambda: list(NOT_CHECKED))
    #: document id -> its text (for showing a span in context; not in ``to_dict``)
    texts: dict[str, str] = field(default_factory=dict)
    #: a case's own doubts (case.yaml) and the rules that found each, if any
    case_doubts: list[dict[str, Any]] = field(default_factory=list)

    def context(self, claim_id: str, chars: int = 400) -> dict[str, Any]:
        """The claim's span in its document with up to ``chars`` characters either side."""
        c = self.claim(claim_id)
        text = self.texts.get(c.document, "")
        a, b = c.span
        return {
            "before": text[max(0, a - chars) : a],
            "span": text[a:b],
            "after": text[b : b + chars],
            "start": a,
            "end": b,
            "document_chars": len(text),
        }

    def claim(self, claim_id: str) -> GradedClaim:
        for c in self.claims:
            if c.id == claim_id:
                return c
        raise NotFound(f"no claim {claim_id!r} in this report")

    def summary(self) -> dict[str, Any]:
        by_rule: dict[str, int] = {}
        for f in self.findings:
            by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
        return {
            "documents": len(self.documents),
            "claims": len(self.claims),
            "groups_with_several_claims": sum(1 for g in self.groups if len(g.members) > 1),
            "findings": by_rule,
            "data_checks": {
                v: sum(1 for d in self.data_checks if d.verdict == v)
                for v in sorted({d.verdict for d in self.data_checks})
            },
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "documents": self.documents,
            "claims": [c.to_dict() for c in self.claims],
            "groups": [g.to_dict() for g in self.groups],
            "findings": [f.to_dict() for f in self.findings],
            "data_checks": [d.to_dict() for d in self.data_checks],
            "rules": RULES,
            "reliability_scale": RELIABILITY_WORDS,
            "credibility_scale": {str(k): v for k, v in CREDIBILITY_WORDS.items()},
            "registry": self.registry,
            "simulated": self.simulated,
            "not_checked": self.not_checked,
            "case_doubts": self.case_doubts,
        }


# -- claims files ----------------------------------------------------------------------------

_CITED = re.compile(r"\s*\((?:as )?cited by ([^)]*)\)")
_PAREN = re.compile(r"\s*\([^)]*\)")


def _attributions(original: str | None) -> tuple[list[Attribution], list[str]]:
    """``original_source`` as credits and relays: "X published by Y, 2025-05-29 (as cited by
    the seed report)" -> credit "X published by Y" dated 2025-05-29, relay "the seed report"."""
    from transship.claims.dates import find_dates

    if not original:
        return [], []
    relays = [m.group(1).strip() for m in _CITED.finditer(original)]
    relays = ["the seed report" if r.startswith("the seed report") else r for r in relays]
    body = _PAREN.sub("", original)
    out: list[Attribution] = []
    for piece in body.split(";"):
        piece = piece.strip().strip(",")
        m = re.match(r"attributed by (the seed report|[^,]+?) to (?:the )?(.+)", piece)
        if m:
            relay = m.group(1).strip()
            if relay not in relays:
                relays.append(relay)
            piece = m.group(2).strip()
        if not piece:
            continue
        dates = find_dates(piece)
        when = dates[-1].first if dates else None
        out.append(Attribution(piece, when, None))
    return out, relays


def _period(value: str | None) -> tuple[str | None, str | None] | None:
    if not value:
        return None
    parts = [p.strip() for p in re.split(r"\.\.|;|/", value) if p.strip()]
    if len(parts) == 1:
        m = re.fullmatch(r"(\d{4})-(\d{4})", parts[0])
        if m:
            return (m.group(1), m.group(2))
        return (parts[0], parts[0])
    return (parts[0], parts[-1])


def _measure(text: str) -> str:
    for word, measure in (
        (r"\brevenue", "revenue"),
        (r"\bexport", "exports"),
        (r"\bimport", "imports"),
        (r"\brevenue", "revenue"),
        (r"\b(make|makes|produc)", "production"),
        (r"\b(reached|delivered|supplied)", "exports"),
    ):
        if re.search(word, text, re.I):
            return measure
    return "value"


def _host(url: str) -> str:
    m = re.match(r"[a-z]+://(?:www\.)?([^/]+)", url)
    return m.group(1) if m else url


def read_claims_file(
    path: str | Path,
) -> tuple[DocumentText, list[ExtractedClaim], dict[str, list[str]]]:
    """A claims JSON-lines file as a document, its claims, and each claim's relays."""
    import hashlib

    where = Path(path)
    try:
        data = where.read_bytes()
    except OSError as exc:
        raise SourceFormatError(where, f"cannot read: {exc.strerror or exc}") from None
    text = data.decode("utf-8-sig")
    sha = hashlib.sha256(data).hexdigest()
    doc = DocumentText(
        document_id=f"doc:{sha[:16]}",
        sha256=sha,
        title=f"{where.parent.name}/{where.name}",
        date=None,
        publisher=None,
        language="en",
        url=None,
        path=str(where),
        text=text,
    )
    claims: list[ExtractedClaim] = []
    relays: dict[str, list[str]] = {}
    offset = 0
    for n, line in enumerate(text.splitlines(keepends=True), 1):
        start, offset = offset, offset + len(line)
        body = line.strip()
        if not body:
            continue
        try:
            rec = json.loads(body)
        except json.JSONDecodeError as exc:
            raise SourceFormatError(where, f"not JSON: {exc.msg}", line=n) from None
        if not isinstance(rec, dict) or not rec.get("id") or not rec.get("claim"):
            raise SourceFormatError(where, "a claim needs 'id' and 'claim'", line=n)
        qty = rec.get("quantity")
        quantity = None
        if isinstance(qty, int | float) and not isinstance(qty, bool):
            cur = rec.get("currency")
            unit = rec.get("unit")
            kind = "money" if cur else "percent" if unit == "percent" else "count"
            wording = f"{cur} {qty:,.10g}" if cur else f"{qty:,.10g} {unit or ''}".strip()
            quantity = Quantity(float(qty), float(qty), float(qty), cur or unit, kind, cur, wording)  # type: ignore[arg-type]
        origin, dest = rec.get("origin"), rec.get("destination")
        atts, rel = _attributions(rec.get("original_source"))
        rel += [_host(u) for u in rec.get("urls") or []]
        claim_text = str(rec["claim"])
        claims.append(
            ExtractedClaim(
                claim_id=str(rec["id"]),
                document_id=doc.document_id,
                span=(start, start + len(line.rstrip("\r\n"))),
                text=claim_text,
                subject=[EntityRef("territory", origin, territory_code(origin))] if origin else [],
                measure=_measure(claim_text),
                quantity=quantity,
                calibres=[],
                period=_period(rec.get("period")),
                place=[
                    EntityRef("territory", c, territory_code(c))
                    for c in rec.get("intermediaries") or []
                ],
                attributed_to=atts,
                direction=(origin, dest) if origin and dest else None,
            )
        )
        relays[str(rec["id"])] = rel
        if bool(origin) != bool(dest):  # one end only: kept for the data checks
            relays[f"__route__{rec['id']}"] = [origin or "", dest or ""]
    return doc, claims, relays


# -- the check -------------------------------------------------------------------------------


def _unique_ids(batches: list[tuple[DocumentText, list[ExtractedClaim]]]) -> None:
    seen: dict[str, int] = {}
    for _doc, claims in batches:
        for c in claims:
            seen[c.claim_id] = seen.get(c.claim_id, 0) + 1
    for doc, claims in batches:
        for i, c in enumerate(claims):
            if seen[c.claim_id] > 1:
                claims[i] = replace(c, claim_id=f"{doc.document_id[4:12]}:{c.claim_id}")


def check_claims(
    batches: Sequence[tuple[DocumentText, list[ExtractedClaim]]],
    store: Store | None = None,
    registry: SourceRegistry | None = None,
    relays: dict[str, list[str]] | None = None,
) -> ClaimReport:
    """Grade and check claims already extracted (one batch per document)."""
    reg = registry or load_registry()
    work = [(d, list(cs)) for d, cs in batches]
    _unique_ids(work)
    relays = relays or {}
    scs: list[SourcedClaim] = []
    for doc, claims in work:
        for c in claims:
            base = c.claim_id.split(":", 1)[-1]
            sc = sourced(c, doc, reg, relays.get(base, []))
            route = relays.get(f"__route__{base}")
            if route:
                sc.origin_code = sc.origin_code or territory_code(route[0] or None)
                sc.dest_code = sc.dest_code or territory_code(route[1] or None)
            scs.append(sc)
    pin_credits(scs)
    findings: list[Finding] = []
    dates: dict[str, tuple[Any, str]] = {}
    for sc in scs:
        findings += check_attribution(sc, reg)
        findings += check_arithmetic(sc)
        doc_id = sc.document.document_id
        if doc_id not in dates:
            dates[doc_id] = document_date(sc, scs)
        findings += check_temporal(sc, *dates[doc_id])
    findings += contradictions(scs)
    findings += named_bodies(work, scs, reg, findings)
    data_checks: list[DataCheck] = []
    if store is not None:
        for sc in scs:
            dc = check_data(sc, store)
            if dc is not None:
                data_checks.append(dc)
                findings.append(data_finding(dc))
    groups = corroboration_groups(scs)
    origins = origins_by_claim(groups)
    by_claim: dict[str, list[Finding]] = {}
    for f in findings:
        for cid in f.claims:
            by_claim.setdefault(cid, []).append(f)
    data_by = {d.claim: d for d in data_checks}
    base_rel = {sc.id: sc.origin.source.reliability for sc in scs}
    graded: list[GradedClaim] = []
    for sc in scs:
        fs = by_claim.get(sc.id, [])
        group, n = origins[sc.id]
        g = grade(sc, fs, n, data_by.get(sc.id), base_rel)
        text = sc.document.text
        a, b = sc.claim.span
        q = sc.claim.quantity
        graded.append(
            GradedClaim(
                id=sc.id,
                document=sc.document.document_id,
                span=sc.claim.span,
                text=sc.claim.text,
                excerpt=text[a:b][:2000],
                measure=sc.claim.measure,
                quantity=q.to_dict() if q is not None else None,
                period=sc.claim.period,
                direction=(sc.origin_code, sc.dest_code)
                if (sc.origin_code or sc.dest_code)
                else None,
                attributed_to=[x.name for x in sc.claim.attributed_to],
                origin=sc.origin.source.id,
                origin_name=sc.origin.source.name,
                chain=[lk.to_dict() for lk in sc.chain],
                reliability=g.reliability,
                credibility=g.credibility,
                grade=g,
                origins=n,
                group=group,
                findings=sorted({f.rule for f in fs}),
                data=data_by[sc.id].verdict if sc.id in data_by else None,
                severity=min((f.sort_key()[0] for f in fs if f.severity != "info"), default=9),
            )
        )
    # what matters first: the worst finding, then the least credible, then the least reliable
    graded.sort(key=lambda c: (c.severity, -c.credibility, c.reliability, c.id))
    findings.sort(key=lambda f: f.sort_key())
    groups.sort(key=lambda g: (-len(g.members), g.independent_origins, g.id))
    documents = [
        {
            "document_id": d.document_id,
            "title": d.title,
            "date": d.date,
            "publisher": d.publisher,
            "path": d.path,
            "url": d.url,
            "sha256": d.sha256,
            "claims": len(cs),
        }
        for d, cs in work
    ]
    simulated = any(d.simulated for d in data_checks)
    texts = {d.document_id: d.text for d, _ in work}
    return ClaimReport(
        documents, graded, groups, findings, data_checks, reg.files, simulated, texts=texts
    )


def named_bodies(
    batches: Sequence[tuple[DocumentText, list[ExtractedClaim]]],
    scs: list[SourcedClaim],
    registry: SourceRegistry,
    found: list[Finding],
) -> list[Finding]:
    """Bodies that do not exist (or could not be matched) named anywhere in a document, also
    where no claim with a figure credits them ("as highlighted in a UN Panel of Experts report
    on Ukraine"). A mention already reported through a claim's credit is not repeated."""
    doubtful = [s for s in registry.sources.values() if s.exists in ("no", "unverified")]
    reported = {
        (f.evidence.get("source"), c)
        for f in found
        if f.rule in ("attribution.nonexistent", "attribution.unverified")
        for c in f.claims
    }
    out: list[Finding] = []
    for doc, _claims in batches:
        mine = [sc for sc in scs if sc.document.document_id == doc.document_id]
        for src in doubtful:
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
                rule = "attribution.nonexistent" if src.exists == "no" else "attribution.unverified"
                what = (
                    "does not exist as named"
                    if src.exists == "no"
                    else "could not be matched to a known body"
                )
                out.append(
                    Finding(
                        rule,
                        "high" if src.exists == "no" else "medium",
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
    from transship.claims.corroborate import same_assertion

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


def _batches(
    paths: Iterable[str | Path], store: Store | None
) -> tuple[list[tuple[DocumentText, list[ExtractedClaim]]], dict[str, list[str]]]:
    from transship.claims.model import extract, read_document

    batches: list[tuple[DocumentText, list[ExtractedClaim]]] = []
    relays: dict[str, list[str]] = {}
    for p in paths:
        path = Path(p)
        if not path.exists():
            raise NotFound(f"no file {path}")
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            doc, claims, rel = read_claims_file(path)
            relays.update(rel)
        else:
            doc = read_document(path)
            claims = extract(doc, store)
        batches.append((doc, claims))
    return batches, relays


def stored_documents(store: Store, ids: Sequence[str] | None = None) -> list[DocumentText]:
    """Documents ingested into the store (table ``documents``), all or those with ``ids``."""
    where, params = "", []
    if ids:
        where = f"WHERE document_id IN ({', '.join('?' for _ in ids)})"
        params = list(ids)
    rows = store.fetchall(
        "SELECT document_id, source_sha256, title, published, publisher, url, text "
        f"FROM documents {where} ORDER BY document_id",
        params,
    )
    found = [
        DocumentText(str(r[0]), str(r[1]), r[2], r[3], r[4], None, r[5], None, r[6] or "")
        for r in rows
    ]
    missing = sorted(set(ids or []) - {d.document_id for d in found})
    if missing:
        raise NotFound(f"no document {', '.join(missing)} in the store")
    return found


def check_documents(
    paths: Sequence[str | Path],
    store: Store | None = None,
    sources: Sequence[str | Path] | None = None,
) -> ClaimReport:
    """Extract (or read, for ``.jsonl`` claims files) and check the claims of ``paths``."""
    if not paths:
        raise InvalidInput("no documents to check")
    batches, relays = _batches(paths, store)
    return check_claims(batches, store, load_registry(sources), relays)


def check_case(
    case_dir: str | Path,
    store: Store | None = None,
    documents: Sequence[str | Path] = (),
    sources: Sequence[str | Path] | None = None,
    texts: Sequence[DocumentText] = (),
) -> ClaimReport:
    """A case's ``claims.jsonl`` (and any ``documents`` files and ``texts`` already read,
    such as documents from the store) checked together."""
    from transship.claims.model import extract

    folder = Path(case_dir)
    claims_file = folder / "claims.jsonl"
    if not claims_file.exists():
        raise NotFound(f"no claims.jsonl in {folder}")
    batches, relays = _batches([claims_file, *documents], store)
    batches += [(doc, extract(doc, store)) for doc in texts]
    report = check_claims(batches, store, load_registry(sources), relays)
    report.case_doubts = case_doubts(folder, report)
    return report


def case_doubts(folder: Path, report: ClaimReport) -> list[dict[str, Any]]:
    """The case's own doubts (``doubts`` in case.yaml, written by hand) beside the rules
    that found something on the same claim: a measure of what the checks catch."""
    import yaml

    path = folder / "case.yaml"
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SourceFormatError(path, f"not YAML: {exc}") from None
    out: list[dict[str, Any]] = []
    for d in data.get("doubts") or []:
        if not isinstance(d, dict) or not d.get("claim"):
            continue
        cid = str(d["claim"])
        rules = sorted(
            {
                f.rule
                for f in report.findings
                if cid in f.claims and f.severity in ("high", "medium")
            }
        )
        out.append(
            {"claim": cid, "doubt": " ".join(str(d.get("doubt", "")).split()), "found_by": rules}
        )
    return out
