"""The web UI: server-rendered pages, each with a JSON twin, one module per stage.

``router`` is the :class:`fastapi.APIRouter` that :func:`transship.serve.app.create_app`
includes. A later stage (parties, certificates, claims, outlook) adds its module to
:data:`PAGE_MODULES` and its templates under ``transship/serve/templates``; nothing else
changes. Static files (CSS, JavaScript, the vendored ECharts and map) are served by the app
from ``transship/serve/static`` at ``/static``.
"""

from __future__ import annotations

import importlib

from fastapi import APIRouter

#: Page modules, each with ``router`` (the home page last: it holds ``/``).
PAGE_MODULES = (
    "transship.serve.web.routes",
    "transship.serve.web.hubs",
    "transship.serve.web.mirror",
    "transship.serve.web.territories",
    "transship.serve.web.records",
    "transship.serve.web.search",
    "transship.serve.web.runs",
    "transship.serve.web.simulation",
    "transship.serve.web.report",
    "transship.serve.web.parties",
    "transship.serve.web.risk",
    "transship.serve.web.claims",
    "transship.serve.web.outlook",
    "transship.serve.web.home",
)

router = APIRouter(include_in_schema=False)
for _name in PAGE_MODULES:
    router.include_router(importlib.import_module(_name).router)

__all__ = ["PAGE_MODULES", "router"]
