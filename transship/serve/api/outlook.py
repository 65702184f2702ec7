"""`/api/outlook/...`: `transship outlook dependencies|scenario|ach` over HTTP.

A shipped case by name (``case``, never a path). Results are computed once per query and
kept in the server's cache (grading the claims takes seconds; the Monte Carlo of 10,000
runs a few hundredths). ``runs`` is capped at :data:`MAX_RUNS` on the API.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from transship.outlook import ach, dependencies, scenario
from transship.serve.api.claims import CaseParam, case_dir
from transship.serve.deps import Format, Offset, Server, limit_param
from transship.serve.models import PAGE_RESPONSES, READ_RESPONSES, Page
from transship.serve.responses import attachment, report_page

router = APIRouter(tags=["outlook"])
MAX_RUNS = 200_000
Runs = Annotated[
    int, Query(ge=1, le=MAX_RUNS, description="Monte Carlo runs (at most 200,000 here).")
]
Seed = Annotated[int | None, Query(ge=0, description="Random seed (default: the file's).")]


async def scenario_report(
    server: Any, case: str, runs: int, seed: int | None
) -> scenario.ScenarioReport:
    folder = case_dir(case)
    key = ("outlook-scenario", case, runs, seed)
    report: scenario.ScenarioReport = await server.cached_read(
        key, lambda s: scenario.run(folder / "scenarios.yaml", runs, seed, s)
    )
    return report


async def ach_report(server: Any, case: str) -> ach.AchReport:
    folder = case_dir(case)
    report: ach.AchReport = await server.cached_read(
        ("outlook-ach", case), lambda s: ach.run(folder / "hypotheses.yaml", s)
    )
    return report


async def dependency_report(server: Any, case: str) -> dependencies.Dependencies:
    folder = case_dir(case)
    result: dependencies.Dependencies = await server.cached_read(
        ("outlook-deps", case), lambda s: dependencies.run(folder / "dependencies.yaml", s)
    )
    return result


@router.get(
    "/api/outlook/dependencies",
    summary="A case's dependencies, each value graded",
    response_model=Page[dict[str, Any]],
    responses=PAGE_RESPONSES,
)
async def get_dependencies(
    request: Request,
    server: Server,
    case: CaseParam = "serbia-2025",
    offset: Offset = 0,
    fmt: Format = "json",
    limit: int = limit_param(100, "Dependencies per page"),
) -> Response:
    """The target's dependencies on suppliers as pages (`items`; `next` link; `format=csv`),
    each value a graded claim or a row of the served store; beside the page, the target and
    the graph of every dependency. Same as `transship outlook dependencies CASE --json`, its
    `dependencies` list paged."""
    report = (await dependency_report(server, case)).to_dict()
    return report_page(
        request.url,
        report,
        "dependencies",
        limit=limit,
        offset=offset,
        fmt=fmt,
        filename=f"dependencies-{case}",
    )


@router.get(
    "/api/outlook/scenarios",
    summary="Leverage scenarios (Monte Carlo)",
    response_model=Page[dict[str, Any]],
    responses=PAGE_RESPONSES,
)
async def get_scenarios(
    request: Request,
    server: Server,
    case: CaseParam = "serbia-2025",
    runs: Runs = 10_000,
    seed: Seed = None,
    offset: Offset = 0,
    fmt: Format = "json",
    limit: int = limit_param(100, "Scenarios per page"),
) -> Response:
    """Each scenario's impacts (median, 5-95 %, mean, histogram), the sensitivity of the cost to
    the target to each parameter, claims compared, and every parameter's basis, as pages
    (`items`; `next` link; `format=csv`, nested values as JSON text). Same as `transship
    outlook scenario CASE --json`, its `scenarios` list paged."""
    report = (await scenario_report(server, case, runs, seed)).to_dict()
    return report_page(
        request.url,
        report,
        "scenarios",
        limit=limit,
        offset=offset,
        fmt=fmt,
        filename=f"scenarios-{case}",
    )


@router.get(
    "/api/outlook/ach",
    summary="Competing hypotheses",
    response_model=None,
    responses={
        200: {
            "description": "The ACH report (JSON), or its matrix as CSV with `format=csv`.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        **READ_RESPONSES,
    },
)
async def get_ach(
    server: Server,
    case: CaseParam = "serbia-2025",
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> dict[str, Any] | Response:
    """The ACH matrix: inconsistency (plain and weighted), posterior (likelihood view),
    diagnosticity, sensitivity and indicators; ``format=csv`` gives the matrix as CSV. Same
    as `transship outlook ach CASE --json` / `--csv`."""
    report = await ach_report(server, case)
    if format == "csv":
        return attachment(report.matrix_csv(), "text/csv; charset=utf-8", f"ach-{case}.csv")
    return report.to_dict()
