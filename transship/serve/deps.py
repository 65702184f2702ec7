"""What every endpoint shares: the server state, the CLI's parameters, pages and the token.

Parameter names are the CLI's (``product``, ``years``, ``dataset``, ``reporter``,
``partner``, ``origin``, ``destination``, ``break``, ``max_hops``, ``resamples``, ``seed``,
``run``...); values are checked by the same library functions, so a bad value is the same
one-line message the CLI prints, as a 400.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from transship.exc import InvalidInput, UnknownCode
from transship.serve.errors import ApiError
from transship.serve.state import ServerState

#: Largest page a list endpoint returns.
MAX_PAGE = 1000


def get_server(request: Request) -> ServerState:
    """The :class:`ServerState` of the app serving ``request``."""
    server: ServerState = request.app.state.server
    return server


async def server_of(request: Request) -> ServerState:
    """:func:`get_server` as a dependency. ``async`` on purpose: FastAPI runs a plain
    ``def`` dependency in its thread pool, a thread hop per request that cost about 0.2 ms
    of CPU, more than the rest of routing a request (docs/api.md, "Load")."""
    return get_server(request)


Server = Annotated[ServerState, Depends(server_of)]
Offset = Annotated[
    int, Query(ge=0, le=10_000_000, description="Rows to skip (the `next` link sets it).")
]
Format = Annotated[
    Literal["json", "csv"],
    Query(
        alias="format",
        description="json (a page object) or csv (the page's rows; nested values as JSON text, "
        "formula-like text cells prefixed with ').",
    ),
]


def limit_param(default: int, what: str = "Rows per page") -> Any:
    return Query(default, ge=1, le=MAX_PAGE, description=f"{what} (1-{MAX_PAGE}).")


ProductParam = Annotated[
    str | None,
    Query(
        max_length=32,
        description="HS code prefix, 2-10 digits (93 or 9306 aggregate every code below).",
    ),
]
YearsParam = Annotated[
    str | None, Query(max_length=32, description="Year or range, e.g. 2019-2024.")
]
DatasetParam = Annotated[
    str | None,
    Query(max_length=128, description="Use only this dataset's rows (e.g. comtrade)."),
]


def territory_code(value: str | None, param: str) -> str | None:
    """ISO3, ISO2, a Comtrade number or an English name -> the store's territory code
    (the CLI's rule: a world or unknown aggregate is not a country)."""
    if value is None:
        return None
    from transship.normalise.territories import lookup

    try:
        territory = lookup(value)
    except UnknownCode:
        raise InvalidInput(
            f"{param}: unknown territory {value!r} (use ISO3, ISO2 or a name)"
        ) from None
    if territory.is_world or territory.code == "zz":
        raise InvalidInput(f"{param}: {value!r} is not a country")
    return str(territory.code)


_bearer = HTTPBearer(
    auto_error=False,
    description="`Authorization: Bearer <token>`, the server's TRANSSHIP_API_TOKEN. "
    "Without a token set the server is read-only and refuses every write with 403.",
)


def require_writer(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ServerState:
    """Admit a write: 403 on a read-only server, 401 without the right bearer token."""
    server = get_server(request)
    if server.read_only or server.token is None:
        raise ApiError(
            403,
            "read_only",
            "this server is read-only: start it with TRANSSHIP_API_TOKEN set to accept writes",
        )
    given = credentials.credentials if credentials is not None else ""
    if not given or not secrets.compare_digest(given.encode("utf-8"), server.token.encode("utf-8")):
        raise ApiError(
            401,
            "unauthorized",
            "a write needs `Authorization: Bearer <token>` with the server's token",
            headers={"WWW-Authenticate": 'Bearer realm="transship"'},
        )
    return server


Writer = Annotated[ServerState, Depends(require_writer)]
