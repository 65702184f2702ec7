"""Outlook pages: dependencies, scenario distributions with sensitivity, the ACH matrix with
diagnosticity; every page with its JSON twin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from transship.serve.web.common import page, render, twin

router = APIRouter()
Case = Annotated[str, Query(max_length=64)]
Runs = Annotated[int, Query(ge=1, le=200_000)]


@twin(router, "/outlook")
@page
async def outlook_page(request: Request, case: Case = "serbia-2025") -> Response:
    from transship.serve.api.outlook import dependency_report

    deps = await dependency_report(request.app.state.server, case)
    data = {**deps.to_dict(), "query": {"case": case}}
    return render(request, "outlook_index.html", data, title=f"Outlook: {case}")


@twin(router, "/outlook/scenarios")
@page
async def scenarios_page(
    request: Request, case: Case = "serbia-2025", runs: Runs = 10_000
) -> Response:
    from transship.serve.api.outlook import scenario_report

    report = await scenario_report(request.app.state.server, case, runs, None)
    data = {**report.to_dict(), "query": {"case": case, "runs": runs}}
    return render(request, "outlook_scenarios.html", data, title=f"Leverage scenarios: {case}")


@twin(router, "/outlook/ach")
@page
async def ach_page(request: Request, case: Case = "serbia-2025") -> Response:
    from transship.serve.api.outlook import ach_report

    report = await ach_report(request.app.state.server, case)
    data = {**report.to_dict(), "query": {"case": case}}
    return render(request, "outlook_ach.html", data, title=f"Competing hypotheses: {case}")
