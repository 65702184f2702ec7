"""Claims pages: the claims table with grades, corroboration groups and contradictions, each
claim linked to its span in the document; every page with its JSON twin."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from transship.serve.web.common import page, render, strip_json, twin

router = APIRouter()

Case = Annotated[str, Query(max_length=64)]
Docs = Annotated[list[str] | None, Query(max_length=64)]


async def _report(request: Request, case: str, doc: list[str] | None) -> Any:
    from transship.serve.api.claims import cached_report

    return await cached_report(request.app.state.server, case, doc)


@twin(router, "/claims")
@page
async def claims_page(request: Request, case: Case = "serbia-2025", doc: Docs = None) -> Response:
    from transship.serve.web.common import read

    report = await _report(request, case, doc)
    data = report.to_dict()
    data["query"] = {"case": case, "doc": doc or []}
    data["stored_documents"] = await read(request, _stored)
    names = {d["document_id"]: d for d in data["documents"]}
    data["document_names"] = {k: (v.get("title") or v.get("path") or k) for k, v in names.items()}
    return render(request, "claims_index.html", data, title=f"Claims: {case}")


def _stored(store: Any) -> list[dict[str, Any]]:
    """Documents ingested into the store, to add to the check (first 200)."""
    rows = store.fetchall(
        "SELECT document_id, title, publisher, published FROM documents "
        "ORDER BY document_id LIMIT 200"
    )
    keys = ("document_id", "title", "publisher", "published")
    return [dict(zip(keys, r, strict=True)) for r in rows]


@twin(router, "/claims/{claim_id}")
@page
async def claim_page(
    request: Request, claim_id: str, case: Case = "serbia-2025", doc: Docs = None
) -> Response:
    from transship.serve.api.claims import claim_detail

    report = await _report(request, case, doc)
    data: dict[str, Any] = claim_detail(report, strip_json(claim_id))
    data["query"] = {"case": case, "doc": doc or []}
    return render(request, "claims_claim.html", data, title=f"Claim {data['claim']['id']}")
