"""What user SQL may be: one statement that only reads, judged by DuckDB's own parser.

`transship sql`, ``transship.query`` and ``GET /api/sql`` run SQL a user typed. Two layers
keep it to reading the store (docs/store.md, "User SQL"):

1. :func:`check_read_only_sql` (here): exactly one statement, of a reading kind (SELECT and
   what DuckDB parses into one, EXPLAIN of a read, PRAGMAs that only report);
2. the connection it runs on (:mod:`transship.store.db`): a DuckDB instance with
   ``enable_external_access = false`` and the configuration locked, so that neither a
   statement this check missed nor a table function can read or write a file, attach a
   database, load an extension or turn the setting back on.

This module also turns DuckDB's messages into the one-line messages a user sees.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import duckdb
import pyarrow as pa

from transship.exc import InvalidInput

#: Statement types user SQL may run: SELECT covers WITH, FROM-first, VALUES, TABLE, DESCRIBE,
#: SHOW, SUMMARIZE and UNPIVOT (DuckDB's parser turns them into selects); PIVOT parses as MULTI.
ALLOWED_KINDS = "SELECT, WITH, FROM, VALUES, TABLE, DESCRIBE, SHOW, SUMMARIZE, PIVOT, EXPLAIN"
#: PRAGMAs that only report (the ones that set something are SET in disguise).
READ_PRAGMAS = frozenset(
    {
        "show_tables",
        "show_tables_expanded",
        "table_info",
        "show",
        "version",
        "database_size",
        "database_list",
        "storage_info",
        "metadata_info",
        "functions",
        "collations",
        "platform",
        "user_agent",
    }
)


def one_line(message: str) -> str:
    """DuckDB's message without its LINE/caret context and blank lines, on one line."""
    lines = [ln.strip() for ln in message.splitlines()]
    keep = [ln for ln in lines if ln and not ln.startswith("LINE ") and set(ln) != {"^"}]
    return " ".join(keep)


def check_read_only_sql(sql: str) -> None:
    """Refuse anything but one statement that only reads, judged by DuckDB's own parser (so
    ``SELECT 'a;b'`` is one statement and ``EXPLAIN ANALYZE COPY ...`` is a COPY)."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise InvalidInput(syntax_error(str(exc))) from None
    if not statements:
        raise InvalidInput("no SQL statement given")
    if len(statements) > 1:
        raise InvalidInput(f"one statement at a time, got {len(statements)}")
    _check_statement(statements[0].type, sql)


def syntax_error(message: str) -> str:
    """DuckDB's parser error as ``syntax error: ... (line N)``."""
    first = one_line(message.split("\n\n")[0]).removeprefix("Parser Error:").strip()
    first = first.removeprefix("syntax error").strip() or "cannot parse"
    line = re.search(r"^LINE (\d+):", message, re.M)
    return f"syntax error: {first}" + (f" (line {line[1]})" if line else "")


def _tokens(sql: str) -> list[str]:
    """The statement's tokens as text, comments left out."""
    tokens = duckdb.tokenize(sql)
    ends = [pos for pos, _ in tokens[1:]] + [len(sql)]
    return [
        sql[pos:end].strip()
        for (pos, kind), end in zip(tokens, ends, strict=True)
        if kind != duckdb.token_type.comment
    ]


def explained(sql: str) -> str | None:
    """The statement an ``EXPLAIN [ANALYZE] [(options)]`` statement explains (None when
    ``sql`` explains nothing)."""
    tokens = duckdb.tokenize(sql)
    texts = _tokens(sql)
    positions = [p for p, k in tokens if k != duckdb.token_type.comment]
    i = 1
    if i < len(texts) and texts[i].upper() in {"ANALYZE", "ANALYSE"}:
        i += 1
    if i < len(texts) and texts[i] == "(":
        depth = 0
        while i < len(texts):
            depth += texts[i].count("(") - texts[i].count(")")
            i += 1
            if depth <= 0:
                break
    if i >= len(texts):
        return None
    return sql[positions[i] :]


def _check_statement(kind: Any, sql: str) -> None:
    name = str(getattr(kind, "name", kind)).upper()
    words = [t.upper() for t in _tokens(sql)]
    if name == "SELECT" or (name == "MULTI" and words[:1] == ["PIVOT"]):
        return
    if name == "EXPLAIN":
        # EXPLAIN [ANALYZE] [(options)] <statement>: ANALYZE runs the statement, so what it
        # explains must itself be a read.
        inner = explained(sql)
        if inner is None:
            raise InvalidInput("syntax error: EXPLAIN of nothing")
        [statement] = duckdb.extract_statements(inner)
        if statement.type == kind:
            raise InvalidInput("EXPLAIN of EXPLAIN is not allowed")
        try:
            _check_statement(statement.type, inner)
        except InvalidInput as exc:
            raise InvalidInput(f"EXPLAIN of a statement that writes: {exc.message}") from None
        return
    if name == "PRAGMA" and len(words) >= 2 and words[1].lower() in READ_PRAGMAS:
        if "=" not in words:
            return
    label = words[0] if words else name
    raise InvalidInput(
        f"{label} is not allowed: SQL here runs one read-only statement ({ALLOWED_KINDS})"
    )


def query_error(exc: BaseException) -> InvalidInput:
    """The one-line error a user sees for a statement DuckDB (or Arrow, reading its result)
    refused or failed."""
    if isinstance(exc, duckdb.ParserException):
        return InvalidInput(syntax_error(str(exc)))
    if isinstance(exc, duckdb.PermissionException):
        return InvalidInput(
            f"refused: SQL here reads the store and nothing else ({one_line(str(exc))})"
        )
    if isinstance(exc, duckdb.InterruptException):
        return InvalidInput("query interrupted")
    return InvalidInput(f"query failed: {one_line(str(exc))}")


def user_query(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None) -> pa.Table:
    """Run checked user SQL on ``con`` and return its rows (errors as :func:`query_error`)."""
    try:
        rel = con.sql(sql, params=list(params) if params else None)
        return pa.table({}) if rel is None else rel.to_arrow_table()
    except duckdb.Error as exc:
        raise query_error(exc) from None


@contextlib.contextmanager
def time_limit(con: duckdb.DuckDBPyConnection, timeout: float | None) -> Iterator[None]:
    """Interrupt what runs on ``con`` after ``timeout`` seconds, and say so."""
    if timeout is None:
        yield
        return
    fired = threading.Event()

    def stop() -> None:
        fired.set()
        con.interrupt()

    timer = threading.Timer(timeout, stop)
    timer.start()
    try:
        yield
    except InvalidInput:
        if fired.is_set():
            raise InvalidInput(f"query stopped after {timeout:g} s") from None
        raise
    finally:
        timer.cancel()
