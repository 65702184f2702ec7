"""`/api/claims...`: `transship claims check` over HTTP.

A report is the shipped case's claims (``case``, a name such as ``serbia-2025``: never a
path) plus any documents ingested into the store (``doc``, repeatable), checked against the
served store's data. It costs a second or two, so it is computed once per query and kept in
the server's cache (an ingest through the server empties it).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from transship.claims.check import ClaimReport
from transship.exc import InvalidInput, NotFound
from transship.serve.deps import Format, Offset, Server, limit_param
from transship.serve.models import PAGE_RESPONSES, READ_RESPONSES, Page, page_responses
from transship.serve.responses import report_page
from transship.store import Store

router = APIRouter(tags=["claims"])

CaseParam = Annotated[
    str,
    Query(
        max_length=64,
        description="A shipped case by name (its claims.jsonl is checked), e.g. serbia-2025.",
    ),
]
DocParam = Annotated[
    list[str] | None,
    Query(
        max_length=64,
        description="Document ids of documents ingested into the store (repeat for several).",
    ),
]
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def case_dir(case: str) -> Any:
    """The shipped case folder called ``case``; names only, never a path."""
    from transship.cases import cases_root

    if not _NAME.match(case):
        raise InvalidInput(f"not a case name: {case!r} (lowercase letters, digits, - and _)")
    folder = cases_root() / case
    if not (folder / "claims.jsonl").is_file():
        raise NotFound(f"no shipped case {case!r} with claims")
    return folder


def claim_report(store: Store, case: str, docs: list[str] | None = None) -> ClaimReport:
    """The case's claims and the stored documents ``docs``, graded and checked."""
    from transship.claims.check import check_case, stored_documents

    texts = stored_documents(store, docs) if docs else []
    return check_case(case_dir(case), store, texts=texts)


async def cached_report(server: Any, case: str, docs: list[str] | None) -> ClaimReport:
    key = ("claims", case, tuple(sorted(docs or [])))
    report: ClaimReport = await server.cached_read(key, lambda s: claim_report(s, case, docs))
    return report


@router.get(
    "/api/claims",
    summary="Claims graded and checked",
    response_model=Page[dict[str, Any]],
    responses=PAGE_RESPONSES,
)
async def claims(
    request: Request,
    server: Server,
    case: CaseParam = "serbia-2025",
    doc: DocParam = None,
    offset: Offset = 0,
    fmt: Format = "json",
    limit: int = limit_param(100, "Claims per page"),
) -> Response:
    """Every claim with its reliability (A-F) and credibility (1-6) and their reasons, the
    independent origins behind its figure and its span in the document, as pages (`items`;
    `next` link; `format=csv` gives the page's claims). Beside the page, the whole report's
    other parts: the corroboration groups; the findings (misattributions, contradictions,
    arithmetic, dates) worst first; the checks against the store's data; summary, scales and
    what was not checked. Same as `transship claims check --case --json`, its `claims`
    list paged."""

    async def build() -> Response:
        report = (await cached_report(server, case, doc)).to_dict()
        return report_page(
            request.url,
            report,
            "claims",
            limit=limit,
            offset=offset,
            fmt=fmt,
            filename=f"claims-{case}",
        )

    return await server.respond_cached(request, build)


@router.get(
    "/api/claims/sources",
    summary="The source registry",
    response_model=Page[dict[str, Any]],
    responses=page_responses(422),
)
async def sources(
    request: Request,
    offset: Offset = 0,
    fmt: Format = "json",
    limit: int = limit_param(100, "Sources per page"),
) -> Response:
    """Every registered source, as pages (`items`; `next` link; `format=csv`): type, country,
    default reliability with the reason, what it publishes, in which units, what it leaves
    out, party to a conflict, existence. `files` beside the page: the registry files read."""
    from transship.claims.sources import default_registry

    registry = default_registry().to_dict()
    return report_page(
        request.url,
        registry,
        "sources",
        limit=limit,
        offset=offset,
        fmt=fmt,
        filename="claim-sources",
    )


@router.get("/api/claims/{claim_id}", summary="One claim in its document", responses=READ_RESPONSES)
async def claim(
    server: Server,
    claim_id: str,
    case: CaseParam = "serbia-2025",
    doc: DocParam = None,
) -> dict[str, Any]:
    """One claim with its grade, reasons, chain of credit, findings and its span in the
    document with the text around it."""
    report = await cached_report(server, case, doc)
    return claim_detail(report, claim_id)


def claim_detail(report: ClaimReport, claim_id: str) -> dict[str, Any]:
    """The claim, its span in context, its group and every finding about it."""
    c = report.claim(claim_id)
    group = next((g for g in report.groups if g.id == c.group), None)
    doc = next((d for d in report.documents if d["document_id"] == c.document), None)
    return {
        "claim": c.to_dict(),
        "document": doc,
        "context": report.context(claim_id),
        "group": group.to_dict() if group else None,
        "findings": [f.to_dict() for f in report.findings if claim_id in f.claims],
        "data_checks": [d.to_dict() for d in report.data_checks if d.claim == claim_id],
        "simulated": report.simulated,
    }
