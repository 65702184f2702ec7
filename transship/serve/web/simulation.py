"""The simulation page: planted routes and hubs (the simulation's answer key) beside the
ranks and scores the detectors gave them on this store. Only this page reads the truth,
and only after the detectors ran without it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from transship.report.views.simulation import simulation_view
from transship.serve.web.common import cached, page, render, twin

router = APIRouter()


@twin(router, "/simulation")
@page
async def simulation(request: Request) -> Response:
    data: dict[str, Any] = await cached(request, "simulation", simulation_view)
    return render(request, "simulation.html", data, title="Simulation: planted and found")
