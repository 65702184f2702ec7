"""What every page of the web UI shares: templates, the HTML-or-JSON answer, the store,
the result cache and the error page.

* **Escaping.** Templates are Jinja2 with autoescape on for every template; page data goes
  into the page only through ``{{ value }}`` (escaped) or ``|tojson`` inside a
  ``<script type="application/json">`` block (Jinja's tojson escapes ``<``, ``>``, ``&``
  and ``'``), which the browser never runs. No template uses ``|safe``.
* **JSON twins.** Every page answers JSON with the same data when its path ends in
  ``.json`` or the request's ``Accept`` asks for ``application/json`` and not HTML.
* **Headers.** A Content-Security-Policy allows scripts, styles, images and requests from
  the server itself only (no CDN could load even if a template named one); inline scripts
  never run (``script-src 'self'``).
* **Store and cache.** Pages read through the server's pool of readers
  (:class:`transship.serve.state.ServerState`) and keep analysis results in its cache,
  which an ingest through the server empties.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, ParamSpec, TypeVar

from fastapi import APIRouter, Request
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.responses import HTMLResponse, JSONResponse, Response

from transship import __version__
from transship.exc import TransshipError
from transship.report.views.common import clean, product_label, territory_label, usd
from transship.store import Store

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

#: The pages in the navigation bar: (path, label).
NAV = (
    ("/", "Home"),
    ("/routes", "Routes"),
    ("/hubs", "Hubs"),
    ("/mirror", "Mirror gaps"),
    ("/territories", "Territories"),
    ("/parties", "Parties"),
    ("/assess", "Assess"),
    ("/claims", "Claims"),
    ("/outlook", "Outlook"),
    ("/search", "Search"),
    ("/runs", "Runs"),
    ("/simulation", "Simulation"),
)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


#: C0/C1 controls (tab, LF and CR aside) and bidirectional overrides: a value holding one
#: is shown with it as a visible escape, so a terminal escape or a right-to-left override in
#: a party name cannot disguise what the page says.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(value: Any) -> Any:
    """Every ``{{ value }}``: text with control characters made visible (markup a macro
    produced passes unchanged; autoescape then escapes the text)."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return _CONTROL.sub(_escape_char, value)
    return value


def _escape_char(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    if f != f:  # NaN
        return "–"
    return f"{f:,.{digits}f}"


def _pct(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{float(value) * 100:.{digits}f}%"


def _short(value: Any, n: int = 12) -> str:
    text = "" if value is None else str(value)
    return text[:n]


def _sort_key(value: Any) -> str:
    """``data-sort`` text: numbers as numbers, everything else as text (escaped by Jinja)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(float(value))
    return str(value)


@functools.cache
def environment() -> Environment:
    """The template environment: autoescape for every template, strict undefined names."""
    env = Environment(
        loader=PackageLoader("transship.serve", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_visible,
    )
    env.filters.update(
        usd=usd,
        num=_num,
        pct=_pct,
        short=_short,
        sortkey=_sort_key,
        territory=territory_label,
        product=product_label,
    )
    env.globals.update(nav=NAV, version=__version__)
    return env


def wants_json(request: Request) -> bool:
    """``.json`` path, or an Accept header that asks for JSON and not HTML."""
    if request.url.path.endswith(".json"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def json_url(request: Request) -> str:
    """This page's JSON twin (path + ``.json``, same query)."""
    path = request.url.path.rstrip("/") or "/index"
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{path}.json{query}"


def render(
    request: Request,
    template: str,
    data: dict[str, Any],
    *,
    title: str,
    status: int = 200,
    embed: dict[str, Any] | None = None,
    **context: Any,
) -> Response:
    """The page (HTML) or its data (JSON), with the security headers.

    ``embed`` is what the page's charts read (the ``page-data`` block): a slice of ``data``
    without the long record-id lists, which the JSON twin keeps."""
    payload = clean(data)
    if wants_json(request):
        return JSONResponse(payload, status_code=status, headers=HEADERS)
    html = (
        environment()
        .get_template(template)
        .render(
            data=payload,
            title=title,
            path=request.url.path,
            json_url=json_url(request),
            request_query=request.url.query,
            simulated=bool(payload.get("simulated")),
            embed=clean({"simulated": bool(payload.get("simulated")), **(embed or {})}),
            **context,
        )
    )
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def error_page(request: Request, exc: TransshipError) -> Response:
    """A named library error as a page (or the API's JSON error shape)."""
    from transship.serve.errors import error_body, one_line, status_of

    status, code = status_of(exc)
    if wants_json(request):
        return JSONResponse(error_body(code, exc.message), status_code=status, headers=HEADERS)
    data = {"error": {"code": code, "message": one_line(exc.message)}, "simulated": False}
    return render(request, "error.html", data, title="Error", status=status)


def page(
    fn: Callable[P, Awaitable[Response]],
) -> Callable[P, Awaitable[Response]]:
    """A page handler whose named errors become an error page, not the API's JSON."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        try:
            return await fn(*args, **kwargs)
        except TransshipError as exc:
            request = kwargs.get("request")
            if not isinstance(request, Request):
                raise
            return error_page(request, exc)

    return wrapper


Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def twin(router: APIRouter, path: str, **kwargs: Any) -> Callable[[Endpoint], Endpoint]:
    """Register a page at ``path`` and its JSON twin at ``path.json`` (``/`` ->
    ``/index.json``); the twin first, so a path parameter does not swallow ``.json``."""
    json_path = "/index.json" if path == "/" else f"{path}.json"

    def deco(fn: Endpoint) -> Endpoint:
        router.add_api_route(json_path, fn, methods=["GET"], include_in_schema=False, **kwargs)
        router.add_api_route(path, fn, methods=["GET"], include_in_schema=False, **kwargs)
        return fn

    return deco


def strip_json(value: str) -> str:
    """A path parameter without the twin's ``.json`` (a router may hand it over whole)."""
    return value[:-5] if value.endswith(".json") else value


async def read(request: Request, fn: Callable[[Store], T]) -> T:
    """``fn(store)`` on one of the server's readers, in a worker thread."""
    server = request.app.state.server
    result: T = await server.read(fn)
    return result


async def cached(request: Request, key: Hashable, fn: Callable[[Store], T]) -> T:
    """``fn(store)`` computed once per key until the store changes (the server's cache)."""
    server = request.app.state.server
    result: T = await server.cached_read(("web", *_key(key)), fn)
    return result


def _key(key: Hashable) -> tuple[Hashable, ...]:
    return key if isinstance(key, tuple) else (key,)


def server_mode(request: Request) -> dict[str, Any]:
    """Whether the server accepts uploads (has a token) or is read-only."""
    server = request.app.state.server
    return {"read_only": bool(server.read_only)}


__all__ = [
    "NAV",
    "cached",
    "environment",
    "error_page",
    "page",
    "read",
    "render",
    "strip_json",
    "twin",
    "wants_json",
]
