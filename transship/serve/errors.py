"""Every error the server returns, in one JSON shape, converted once at this edge.

``{"error": {"code": "not_found", "message": "no run 7 ...", "detail": null}}``: ``code`` is
a stable machine name, ``message`` one line for a person (control characters escaped, never
a traceback), ``detail`` what a client can act on (the rejected parameters, the ingest
results) or null. The library raises the named errors of :mod:`transship.exc`; they become
responses here and nowhere else, with these statuses:

=====================  ======  =====================================================
error                  status  code
=====================  ======  =====================================================
InvalidInput           400     ``invalid_input``
UnknownCode            400     ``unknown_code``
SourceFormatError      422     ``source_format``
NotFound               404     ``not_found``
StoreError             503     ``store_unavailable`` (held, newer schema)
other TransshipError   400     ``invalid_input``
bad parameters         422     ``invalid_parameter`` (FastAPI's validation, in ``detail``)
=====================  ======  =====================================================

The server's own refusals use :class:`ApiError` (401 ``unauthorized``, 403 ``read_only``,
413 ``too_large``, 422 ``query_timeout``...). Anything unexpected is 500 ``internal`` with a
message that names no file, line or value of the server: the traceback goes to the log.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from transship.exc import (
    InvalidInput,
    NotFound,
    SourceFormatError,
    StoreError,
    TransshipError,
    UnknownCode,
)
from transship.serve.responses import json_response

log = logging.getLogger(__name__)

#: C0/C1 controls and bidirectional overrides: shown as escapes, never sent raw in a message.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: Longest message sent (a DuckDB error can quote a whole statement).
MESSAGE_CHARS = 2000


class ApiError(Exception):
    """A refusal by the server itself (auth, size, time limit), with its status and code."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        detail: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.headers = headers or {}


def one_line(message: str) -> str:
    """``message`` on one line, control characters as visible escapes, bounded in length."""
    text = " ".join(str(message).split())
    text = _CONTROL.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}"
        ),
        text,
    )
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1] + "…"


def error_body(code: str, message: str, detail: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": one_line(message), "detail": detail}}


def error_response(
    status: int,
    code: str,
    message: str,
    detail: Any = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return json_response(error_body(code, message, detail), status=status, headers=headers)


def status_of(exc: TransshipError) -> tuple[int, str]:
    """The HTTP status and code of a named library error."""
    if isinstance(exc, NotFound):
        return 404, "not_found"
    if isinstance(exc, SourceFormatError):
        return 422, "source_format"
    if isinstance(exc, UnknownCode):
        return 400, "unknown_code"
    if isinstance(exc, StoreError):
        return 503, "store_unavailable"
    if isinstance(exc, InvalidInput):
        return 400, "invalid_input"
    return 400, "invalid_input"


def transship_error_response(exc: TransshipError) -> Response:
    status, code = status_of(exc)
    detail: Any = None
    if isinstance(exc, SourceFormatError):
        detail = {"line": exc.line, "column": exc.column, "reason": one_line(exc.reason)}
    elif isinstance(exc, UnknownCode):
        detail = {"kind": exc.kind, "value": one_line(str(exc.value))}
    return error_response(status, code, exc.message, detail)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
}


def install(app: FastAPI) -> None:
    """Register the handlers that turn every exception into the one shape."""

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.detail, exc.headers)

    @app.exception_handler(TransshipError)
    async def _named(request: Request, exc: TransshipError) -> Response:
        return transship_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {
                "where": ".".join(str(p) for p in e.get("loc", ())),
                "problem": one_line(str(e.get("msg", ""))),
            }
            for e in exc.errors()
        ]
        first = problems[0] if problems else {"where": "request", "problem": "invalid"}
        return error_response(
            422, "invalid_parameter", f"{first['where']}: {first['problem']}", problems
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such page: {request.url.path}"
        return error_response(exc.status_code, code, message, None, dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return error_response(
            500, "internal", "internal error: the server log has the details", None
        )
