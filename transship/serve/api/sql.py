"""``GET /api/sql?q=``: one read-only statement, with a time limit and a row limit.

The rules are the CLI's (one statement of a reading kind; nothing but the store is read;
see :mod:`transship.serve.sqlguard` for how they hold inside the server). The statement runs
on a read connection inside a transaction that is rolled back; it is interrupted after
``TRANSSHIP_SQL_TIMEOUT`` seconds (422 ``query_timeout``), and at most
``TRANSSHIP_SQL_MAX_ROWS`` rows come back (``truncated: true`` says there were more).
Pages (``limit``/``offset``) slice that result.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Annotated, Any

import pyarrow as pa
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from transship import settings
from transship.exc import InvalidInput
from transship.serve.deps import Format, Offset, Server, limit_param
from transship.serve.errors import ApiError
from transship.serve.models import SqlOut, page_responses
from transship.serve.responses import counted_page
from transship.serve.sqlguard import check_user_sql
from transship.store import Store

router = APIRouter(tags=["sql"])


def run_user_sql(store: Store, sql: str, max_rows: int, timeout: float) -> tuple[pa.Table, bool]:
    """The statement's first ``max_rows`` rows and whether there were more."""
    check_user_sql(store, sql)
    fired = threading.Event()

    def stop() -> None:
        fired.set()
        with contextlib.suppress(Exception):
            store.interrupt()

    timer = threading.Timer(timeout, stop)
    batches: list[pa.RecordBatch] = []
    rows = 0
    truncated = False
    store.execute("BEGIN TRANSACTION")
    try:
        timer.start()
        try:
            stream = store.stream(sql, batch_rows=min(max_rows + 1, 65_536))
            try:
                for batch in stream:
                    batches.append(batch)
                    rows += batch.num_rows
                    if rows > max_rows:
                        truncated = True
                        break
            finally:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()  # an abandoned stream must not keep the connection busy
        except InvalidInput as exc:
            # Store.stream names what failed, at the start or while the rows stream.
            if fired.is_set():
                raise ApiError(
                    422,
                    "query_timeout",
                    f"query stopped after {timeout:g} s (TRANSSHIP_SQL_TIMEOUT)",
                ) from None
            raise InvalidInput(" ".join(exc.message.split())) from None
    finally:
        timer.cancel()
        with contextlib.suppress(Exception):
            store.execute("ROLLBACK")
    if fired.is_set() and not truncated and not batches:
        raise ApiError(
            422, "query_timeout", f"query stopped after {timeout:g} s (TRANSSHIP_SQL_TIMEOUT)"
        )
    if batches:
        return pa.Table.from_batches(batches).slice(0, max_rows), truncated
    return _empty_result(store, sql), False


def _empty_result(store: Store, sql: str) -> pa.Table:
    """No rows came: the statement's columns, without its rows (a CSV keeps its header).
    The statement is not run again: ``LIMIT 0`` only binds it. A statement that cannot be a
    subquery (DESCRIBE...) never comes here empty-handed in practice; it gets no columns."""
    wrapped = f"SELECT * FROM (\n{sql.strip().rstrip(';')}\n) LIMIT 0"
    try:
        check_user_sql(store, wrapped)  # the same checks on what runs
        return store.query(wrapped)
    except InvalidInput:
        return pa.table({})


def _jsonable(table: pa.Table) -> list[dict[str, Any]]:
    return table.to_pylist()  # type: ignore[no-any-return]


@router.get(
    "/api/sql",
    response_model=SqlOut,
    responses=page_responses(
        400,
        422,
        503,
        described={
            400: "A statement refused (not read-only, not one statement) or failing.",
            422: "A parameter out of range, or the statement stopped at its time limit "
            "(`query_timeout`).",
        },
    ),
    summary="Read-only SQL",
)
async def sql(
    request: Request,
    server: Server,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=20_000,
            description="One read-only statement (SELECT, WITH, FROM, VALUES, TABLE, DESCRIBE, "
            "SHOW, SUMMARIZE) over the store's tables and views.",
        ),
    ],
    offset: Offset = 0,
    fmt: Format = "json",
    limit: int = limit_param(1000),
) -> Response:
    """Run one read-only SQL statement on the store (`transship sql`), stopped after
    TRANSSHIP_SQL_TIMEOUT seconds and cut at TRANSSHIP_SQL_MAX_ROWS rows. A statement that
    writes, reads a file or runs more than one statement is refused with 400."""
    max_rows = settings.sql_max_rows()
    timeout = settings.sql_timeout()
    table, truncated = await server.read(lambda s: run_user_sql(s, q, max_rows, timeout))
    rows = _jsonable(table.slice(offset, limit))
    total = table.num_rows
    return counted_page(
        request.url,
        rows,
        limit=limit,
        offset=offset,
        total=total,
        fmt=fmt,
        filename="sql",
        columns=list(table.schema.names),
        extra={"columns": list(table.schema.names), "truncated": truncated},
    )
