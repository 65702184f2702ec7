"""Certificate and assessment pages (issue 14): the officer's file note in the browser.

* ``/certificates/check`` -- a form to upload certificate files; the answer page (``POST``)
  lists every finding per certificate with its severity, explanation and evidence (record
  pages with file and line, rows of the shipped tables), what was checked and what was not.
  Nothing is stored.
* ``/assess`` -- the licence requests in the store (a form and a list); with
  ``?licence_id=ID`` the criterion-7 assessment of one: score, level, each indicator
  explained (value, weight, contribution, evidence), the findings, what was not checked.
  ``POST /assess`` takes one certificate file and assesses the request it documents.

Every page has its JSON twin (``.json`` or ``Accept: application/json``): the API's answer
(:mod:`transship.serve.api.risk`). Everything the files say is escaped by the templates.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from transship.serve.api.risk import (
    _pairs,
    _rename,
    assess_licence_answer,
    assess_upload_answer,
    check_upload_answer,
    with_upload,
)
from transship.serve.web.common import page, read, render, twin
from transship.store import Store

router = APIRouter()

#: What each indicator of the assessment measures (the page's "What it measures").
INDICATOR_HELP = {
    "certificate_document": (
        "Whether the end-user certificate carries the essential elements of the Wassenaar "
        "best practices and the EU User's Guide (exporter, consignee, end user, country of "
        "final destination, goods and quantity, end use, non-re-export clause, issuing "
        "authority, signatory, dates, validity) and whether they agree with each other."
    ),
    "certificate_crosscheck": (
        "The certificate against the store: the licence it supports (quantity, value, dates, "
        "parties), the shipments citing it (more than certified, another destination), the "
        "same number or near-identical text on other deals, and trade flows."
    ),
    "end_user_plausibility": (
        "Whether the named end user's forces field a weapon that fires the goods (the "
        "shipped weapon-system table and SIPRI deliveries in the store) and could use that "
        "quantity in the certificate's period."
    ),
    "party_screening": (
        "Exporter, consignee, end user, brokers and their owners screened against the "
        "risk-flagged lists in the store (sanctions, debarment, crime)."
    ),
    "consignee_hub": (
        "Whether the consignee's country passes the product on: its conduit score in the "
        "trade statistics (flows stage), a context indicator about the country, not the deal."
    ),
    "consignee_route": (
        "Whether the exporter's goods reaching the consignee's country move on along a "
        "route the flows stage finds in the statistics."
    ),
    "reexport_record": (
        "Whether the consignee's country reports re-exports of the product in the trade "
        "statistics (its record of passing such goods on)."
    ),
    "treaty_commitments": (
        "The end-user country's commitments: Arms Trade Treaty, Wassenaar Arrangement, "
        "alignment with the EU Common Position (shipped table)."
    ),
    "governance": (
        "The end-user country's World Bank governance indicator (shipped table): weak "
        "control of corruption raises the risk that papers are bought and goods move on."
    ),
    "prior_claims": (
        "Graded allegations in the store (claims files and ingested documents, claims stage) "
        "that the consignee, end user, broker or their countries diverted or re-exported "
        "arms; each weighed by its Admiralty grade and counted once per independent origin."
    ),
    "request_size": (
        "The request's size against the end user's plausible need: the quantity over what "
        "the forces' SIPRI-recorded fleet could fire in the certificate's validity, and the "
        "value over the country's usual earlier licences from the same authority; the "
        "larger counts."
    ),
}
#: Licence requests listed on the assessment page.
LIST_LIMIT = 500
LicenceParam = Annotated[str | None, Query(max_length=200)]
Q = Annotated[str | None, Query(max_length=100)]


def _licences(store: Store, q: str | None) -> list[dict[str, Any]]:
    where = ""
    params: list[Any] = []
    if q:
        where = (
            "WHERE licence_id ILIKE ? OR exporter ILIKE ? OR consignee ILIKE ? "
            "OR end_user ILIKE ? OR destination ILIKE ?"
        )
        params = [f"%{q}%"] * 5
    rows: list[dict[str, Any]] = store.query(
        "SELECT licence_id, any_value(status) AS status, any_value(exporter) AS exporter, "
        "any_value(consignee) AS consignee, any_value(end_user_country) AS end_user_country, "
        "any_value(goods_description) AS goods, any_value(quantity) AS quantity, "
        "any_value(issued_date) AS issued_date, bool_or(simulated) AS simulated "
        f"FROM licences {where} GROUP BY licence_id ORDER BY licence_id LIMIT {LIST_LIMIT + 1}",
        params,
    ).to_pylist()
    return rows


def _list(store: Store, q: str | None) -> dict[str, Any]:
    rows = _licences(store, q)
    return {
        "q": q or "",
        "licences": rows[:LIST_LIMIT],
        "more": len(rows) > LIST_LIMIT,
        "simulated": any(bool(r["simulated"]) for r in rows),
    }


def _for_page(answer: dict[str, Any]) -> dict[str, Any]:
    """Indicators in the order of their contribution, findings worst first."""
    order = ("critical", "high", "medium", "low", "info")
    answer["indicators"] = sorted(
        answer.get("indicators", []),
        key=lambda i: (not i.get("checked", True), -float(i.get("contribution") or 0.0)),
    )
    answer["findings"] = sorted(
        answer.get("findings", []),
        key=lambda f: order.index(f["severity"]) if f.get("severity") in order else len(order),
    )
    return answer


@twin(router, "/assess")
@page
async def assess_page(request: Request, licence_id: LicenceParam = None, q: Q = None) -> Response:
    if licence_id:
        lid = licence_id
        answer = await read(request, lambda store: assess_licence_answer(store, lid))
        return render(
            request,
            "risk_assess.html",
            _for_page(answer),
            title=f"Diversion-risk assessment: {lid}",
            help=INDICATOR_HELP,
        )
    data = await read(request, lambda store: _list(store, q))
    return render(request, "risk_licences.html", data, title="Diversion-risk assessment")


@page
async def assess_upload_page(request: Request) -> Response:
    server = request.app.state.server
    answer, upload = await with_upload(request, server, assess_upload_answer)
    answer = _rename(answer, _pairs(upload))
    return render(
        request,
        "risk_assess.html",
        _for_page(answer),
        title=f"Diversion-risk assessment: {answer.get('subject')}",
        help=INDICATOR_HELP,
    )


@twin(router, "/certificates/check")
@page
async def check_form(request: Request) -> Response:
    data: dict[str, Any] = {"certificates": None, "simulated": False, "stored": False}
    return render(request, "risk_check.html", data, title="Check end-user certificates")


@page
async def check_upload_page(request: Request) -> Response:
    server = request.app.state.server
    answer, upload = await with_upload(request, server, check_upload_answer)
    answer = _rename(answer, _pairs(upload))
    for c in answer["certificates"]:
        _for_page(c)
    return render(request, "risk_check.html", answer, title="Certificate check")


for _path, _fn in (("/assess", assess_upload_page), ("/certificates/check", check_upload_page)):
    router.add_api_route(f"{_path}.json", _fn, methods=["POST"], include_in_schema=False)
    router.add_api_route(_path, _fn, methods=["POST"], include_in_schema=False)
