"""`transship claims check`: claims graded, grouped by origin, contradictions and checks.

Entry points: :func:`check_documents` (documents to extract claims from, and claims files in
the claims JSON-lines format, :mod:`transship.claims.claims_file`), :func:`check_case` (a case
folder's ``claims.jsonl``, plus documents) and :func:`check_claims` (claims already extracted).
Each returns a :class:`~transship.claims.report.ClaimReport`: every claim with its document and
character span, its reliability (A-F) and credibility (1-6) with reasons, the number of
independent origins behind its figure, the corroboration groups, the findings
(misattributions, contradictions, arithmetic, dates) and the data checks, sorted so that what
matters comes first. This module runs the checks in order; each lives in its own module (see
:mod:`transship.claims.checks`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from transship.claims.arithmetic import check_arithmetic
from transship.claims.claims_file import read_claims_file
from transship.claims.contradict import contradictions
from transship.claims.corroborate import corroboration_groups, origins_by_claim
from transship.claims.data_checks import DataCheck, check_data_all, data_finding, deciding
from transship.claims.facts import territory_code
from transship.claims.findings import Finding
from transship.claims.grades import grade
from transship.claims.model import DocumentText, ExtractedClaim, extract, read_document
from transship.claims.plausibility import check_attribution, named_bodies, pin_credits
from transship.claims.report import NOT_CHECKED, ClaimReport, GradedClaim
from transship.claims.sourced import SourcedClaim, sourced
from transship.claims.sources import SourceRegistry, load_registry
from transship.claims.temporal import check_temporal, document_date
from transship.exc import InvalidInput, NotFound, SourceFormatError

if TYPE_CHECKING:
    from transship.store import Store

__all__ = [
    "NOT_CHECKED",
    "ClaimReport",
    "GradedClaim",
    "case_doubts",
    "check_case",
    "check_claims",
    "check_documents",
    "named_bodies",
    "pin_credits",
    "read_claims_file",
    "stored_documents",
]


def _unique_ids(batches: list[tuple[DocumentText, list[ExtractedClaim]]]) -> None:
    """Prefix an id two documents share with its document's, so every finding names one claim."""
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
            # trade rows, COARM and SIPRI: each comparison is listed and a finding
            for dc in check_data_all(sc, store):
                data_checks.append(dc)
                findings.append(data_finding(dc))
    groups = corroboration_groups(scs)
    origins = origins_by_claim(groups)
    by_claim: dict[str, list[Finding]] = {}
    for f in findings:
        for cid in f.claims:
            by_claim.setdefault(cid, []).append(f)
    # the check that speaks for a claim's grade: the most decisive (data_checks.deciding)
    data_by: dict[str, DataCheck] = {}
    for cid in {d.claim for d in data_checks}:
        best = deciding([d for d in data_checks if d.claim == cid])
        if best is not None:
            data_by[cid] = best
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


def _batches(
    paths: Iterable[str | Path], store: Store | None
) -> tuple[list[tuple[DocumentText, list[ExtractedClaim]]], dict[str, list[str]]]:
    """Each path as (document, claims): claims files read as written, other files extracted."""
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
