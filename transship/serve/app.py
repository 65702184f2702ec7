"""The web application: the REST API under ``/api``, the web UI's pages, local API docs.

:func:`create_app` builds it over one store file. ``transship serve`` runs it with uvicorn on
127.0.0.1 (one process: the server owns the store, see :mod:`transship.serve.state`).
Routers come from one module per stage (:data:`API_MODULES`) and the web UI's
``transship.serve.web.router``; static files are served from ``transship/serve/static`` at
``/static``. Nothing is fetched from the network: the API docs page (``/docs``) is HTML built
here from the OpenAPI schema (FastAPI's own pages load Swagger UI or ReDoc from a CDN).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from transship import __version__, settings
from transship.exc import InvalidInput
from transship.serve import errors
from transship.serve.state import ServerState

log = logging.getLogger(__name__)

#: API modules, each with ``router`` (one per stage; a later stage adds its line).
API_MODULES = (
    "transship.serve.api.health",
    "transship.serve.api.runs",
    "transship.serve.api.ingest",
    "transship.serve.api.flows",
    "transship.serve.api.routes",
    "transship.serve.api.territories",
    "transship.serve.api.records",
    "transship.serve.api.sql",
    "transship.serve.api.simulate",
    "transship.serve.api.match",
    "transship.serve.api.parties",
    "transship.serve.api.risk",
    "transship.serve.api.claims",
    "transship.serve.api.outlook",
)
STATIC = Path(__file__).parent / "static"
DESCRIPTION = """\
Read what a transship store holds (runs, sources, records with their file and line), ask the
analyses the CLI runs (mirror gaps, hubs, routes, territory pages, evaluation on a simulated
store), run read-only SQL, and upload files to ingest (with a bearer token).

Parameters carry the CLI's names. Lists are pages (`limit`, `offset`, a `next` link, and
`format=csv`). Errors are `{"error": {"code", "message", "detail"}}`. Values are data as
stored: escape them before putting them into HTML. Rows from simulated data say
`simulated: true`.
"""


#: Headers on every response: browsers must not guess a JSON or CSV body's type (a value
#: holding HTML must never be rendered as a page) nor send the server's URLs elsewhere.
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


class SecurityHeaders:
    """Pure ASGI middleware (no per-request task, unlike Starlette's BaseHTTPMiddleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class CachedResponses:
    """Answer a GET whose URL is in the server's response cache before routing: a page asked
    again costs the HTTP exchange only (no routing, parameter checks or serialisation:
    about 0.3 ms of CPU instead of 1.5-2.5 ms)."""

    def __init__(self, app: ASGIApp, server: ServerState) -> None:
        self.app = app
        self.server = server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            query = scope.get("query_string", b"").decode("latin-1")
            found = self.server.responses.get(scope["path"] + "?" + query)
            if found is not None:
                await found.response()(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _mode(token: str | None, read_only: bool | None) -> tuple[str | None, bool]:
    token = token if token is not None else settings.api_token()
    if token is not None and not token.strip():
        token = None
    if read_only is None:
        read_only = token is None
    if not read_only and token is None:
        raise InvalidInput("a server that accepts writes needs a token (set TRANSSHIP_API_TOKEN)")
    return token, read_only


def include_api(app: FastAPI) -> None:
    """Add every API module's router (also used to build the schema for docs/api.md)."""
    for name in API_MODULES:
        app.include_router(importlib.import_module(name).router)


def create_app(db: Path, token: str | None = None, read_only: bool | None = None) -> FastAPI:
    """The application over the store at ``db``.

    ``token``: the bearer token writes need (default: setting ``TRANSSHIP_API_TOKEN``).
    ``read_only``: default True exactly when there is no token; a read-only server opens
    the store read-only and refuses every write with 403. The store's connections are
    opened now (a missing or held store fails here, not at the first request) and closed
    when the application shuts down.
    """
    token, read_only = _mode(token, read_only)
    server = ServerState(Path(db), token, read_only)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            server.close()

    app = FastAPI(
        title="transship",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.server = server
    app.add_middleware(CachedResponses, server=server)
    app.add_middleware(SecurityHeaders)  # outermost: cached answers get the headers too
    errors.install(app)
    include_api(app)
    from transship.serve.web import router as web_router

    app.include_router(web_router)
    if STATIC.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> Response:
        from transship.serve.apidoc import html_page

        return HTMLResponse(html_page(app.openapi()))

    return app
