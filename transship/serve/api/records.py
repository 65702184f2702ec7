"""One stored record and its statement trail: ``/api/records/{record_id}``.

A record id is ``<sha256[:16]>:<line>`` (``:<sub>`` when a line made several rows): the file
it came from and the line in it. The lookup follows that: the source whose sha256 starts
with the prefix (``sources``), the table its format's reader writes, the row with that file
and line; a row a later release replaced is found in ``<table>_superseded`` and says so.

The statements are what the store's ``<table>_statements`` view makes of the row (one per
non-null property, with the source's own text where the reader kept it). DuckDB spends about
25 ms binding such a view (an UNPIVOT over the table) even for one row, which is most of a
record request; so the view's property list and its original-value columns are read from
the view's definition once, and the statements are built from the row itself. Where a
definition cannot be read that way the view is queried instead (same answer, slower);
``tests/serve/test_records.py`` checks both agree for every table of the demo store.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from transship.exc import NotFound
from transship.serve.deps import Server
from transship.serve.models import RecordOut, read_responses
from transship.serve.responses import json_response
from transship.store import Store

router = APIRouter(tags=["records"])

_RECORD_ID = re.compile(r"^(?P<prefix>[0-9a-f]{16}):(?P<line>\d{1,18})(?::(?P<sub>\d{1,9}))?$")
#: The table a reader's rows go to -> the table holding them (``trade_flows`` is a view over
#: the wide rows and BACI's narrow ones; a BACI record is read through the view).
_BASE = {"trade_flows": "trade_flow_rows"}
_BASE_SUPERSEDED = {"trade_flows": "trade_flow_rows_superseded"}
PROVENANCE = ("record_id", "dataset", "source_sha256", "run_id", "line", "simulated")
#: Runs that derive rows instead of reading a file (``ingest_runs.format``) -> their table,
#: whose rows carry ``run_id`` and ``line`` but no ``source_sha256``.
DERIVED = {"reconcile": "reconciled_flows"}
#: Derived tables -> the statements view whose union shows their rows (``trade_flows``).
EXPOSED_AS = {"reconciled_flows": "trade_flows_statements"}
#: Derived tables -> the view whose union shows their rows with the statement columns (read
#: by run and line: the statements view filters on a sha256 that a join supplies, which no
#: zone map prunes, and cost three times a file's record).
EXPOSED_ROWS = {"reconciled_flows": "trade_flows"}


@dataclass(frozen=True, slots=True)
class StatementShape:
    """What a ``*_statements`` view unpivots: its properties and their original-value columns."""

    props: tuple[str, ...]
    originals: dict[str, str]


_shapes: dict[tuple[str, str], StatementShape | None] = {}
_shapes_lock = threading.Lock()
_UNPIVOT = re.compile(r'UNPIVOT\s*\(\s*"?value"?\s+FOR\s+prop\s+IN\s*\(([^()]*)\)\s*\)', re.I)
_WHEN = re.compile(r"WHEN\s*\(\(prop\s*=\s*'([^']+)'\)\)\s*THEN\s*\(\"?(\w+)\"?\)", re.I)
_IDENT = re.compile(r'"((?:[^"]|"")+)"|(\w+)')


def statement_shape(store: Store, view: str) -> StatementShape | None:
    """The properties and original-value columns of ``view``, from its definition (None when
    the definition does not read as the generated ``*_statements`` views do)."""
    key = (str(store.path), view)
    with _shapes_lock:
        if key in _shapes:
            return _shapes[key]
    rows = store.fetchall(
        "SELECT sql FROM duckdb_views() WHERE view_name = ? AND schema_name = 'main'", [view]
    )
    shape = _parse_shape(str(rows[0][0])) if rows else None
    with _shapes_lock:
        _shapes[key] = shape
    return shape


def _parse_shape(sql: str) -> StatementShape | None:
    found = _UNPIVOT.search(sql)
    if found is None:
        return None
    props = tuple(
        (m.group(1).replace('""', '"') if m.group(1) is not None else m.group(2))
        for m in _IDENT.finditer(found.group(1))
    )
    if not props:
        return None
    return StatementShape(props, dict(_WHEN.findall(sql)))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


#: Column types whose text DuckDB's ``CAST(x AS VARCHAR)`` gives is Python's own: text as
#: it is, integers in decimal digits, booleans as true/false. Other types (floats, dates,
#: decimals...) are cast by DuckDB.
_AS_TEXT = {"VARCHAR"}
_INTEGERS = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
}
_types: dict[tuple[str, str], dict[str, str]] = {}


def column_types(store: Store, table: str) -> dict[str, str]:
    """``table``'s (or view's) column -> DuckDB type, read once per store file."""
    key = (str(store.path), table)
    with _shapes_lock:
        if key in _types:
            return _types[key]
    found = {
        str(name): str(kind)
        for name, kind in store.fetchall(
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE table_name = ? AND schema_name = 'main'",
            [table],
        )
    }
    with _shapes_lock:
        _types[key] = found
    return found


def _as_text(kind: str, value: Any) -> Any:
    """``CAST(value AS VARCHAR)`` for a value of a column of type ``kind`` in
    :data:`_AS_TEXT`, :data:`_INTEGERS` or BOOLEAN."""
    if value is None or kind in _AS_TEXT:
        return value
    if kind == "BOOLEAN":
        return "true" if value else "false"
    return str(int(value))


def _find(
    store: Store,
    table: str,
    sha: str,
    line: int,
    record_id: str,
    props: tuple[str, ...],
    run_id: int | None = None,
    source: str | None = None,
) -> dict[str, Any] | None:
    """The row of ``table`` (read from ``source``, a SELECT giving its rows, when given) with this id, file (or deriving run) and line: the zone maps of a
    file's contiguous rows leave one row group to scan. Read through the cursor
    (:meth:`Store.rows`), not Arrow: a third of the cost for one row. An index on record_id
    was measured and not kept (docs/api.md, "Load"). ``__statement_values`` holds each
    property's value as text, as the statements view casts it: DuckDB casts only the
    columns whose text Python would not spell the same (binding a cast per column was a
    sixth of the lookup)."""
    types = column_types(store, table)
    in_sql = [
        p for p in props if not (types.get(p) in _AS_TEXT | _INTEGERS or types.get(p) == "BOOLEAN")
    ]
    casts = ", ".join(f"CAST({_quote(p)} AS VARCHAR)" for p in in_sql)
    target = f"({source}) AS v" if source is not None else _quote(table)
    head = (
        f"SELECT *, [{casts}] AS __statement_values FROM {target} "
        if in_sql
        else f"SELECT * FROM {target} "
    )
    where, key = ("run_id = ?", run_id) if run_id is not None else ("source_sha256 = ?", sha)
    rows = store.rows(
        head + f"WHERE {where} AND line = ? AND record_id = ? LIMIT 1", [key, line, record_id]
    )
    if not rows:
        return None
    row = rows[0]
    cast = iter(row.pop("__statement_values", None) or ())
    row["__statement_values"] = [
        next(cast) if p in in_sql else _as_text(types[p], row[p]) for p in props
    ]
    return row


def _shape_statements(
    shape: StatementShape, row: dict[str, Any], cast_values: list[Any]
) -> list[dict[str, Any]]:
    """The statements a ``*_statements`` view makes of ``row`` (its values cast to text)."""
    return [
        {
            "prop": p,
            "value": v,
            "original_value": row.get(shape.originals[p]) if p in shape.originals else None,
        }
        for p, v in zip(shape.props, cast_values, strict=True)
        if v is not None
    ]


def _exposed_statements(
    store: Store,
    table: str,
    present: set[str],
    sha: str,
    line: int,
    record_id: str,
    run_id: Any,
) -> list[dict[str, Any]]:
    """The statements the view showing a derived table's rows makes of one of them: its row
    in that view (by run and line), unpivoted as the statements view would; the statements
    view itself when its definition does not read."""
    view = EXPOSED_AS.get(table)
    if view is None or view not in present:
        return []
    rows_view = EXPOSED_ROWS.get(table)
    shape = statement_shape(store, view)
    if shape is not None and rows_view in present:
        branch = view_branch(store, str(rows_view), table)
        row = _find(store, str(rows_view), sha, line, record_id, shape.props, run_id, branch)
        if row is not None:
            return _shape_statements(shape, row, row.pop("__statement_values"))
    return _view_statements(store, view, sha, line, record_id)


_branches: dict[tuple[str, str, str], str | None] = {}


def view_branch(store: Store, view: str, table: str) -> str | None:
    """The SELECT of ``view``'s ``UNION ALL`` that reads ``table``, as the view's definition
    spells it (None when the definition does not split so, or no one branch reads it). A
    derived row is looked up in its own branch: binding the whole union (three branches,
    four joins) for one row cost 6.1 ms of CPU against 1.7 for the row itself."""
    key = (str(store.path), view, table)
    with _shapes_lock:
        if key in _branches:
            return _branches[key]
    rows = store.fetchall(
        "SELECT sql FROM duckdb_views() WHERE view_name = ? AND schema_name = 'main'", [view]
    )
    found = _branch_of(str(rows[0][0]), table) if rows else None
    with _shapes_lock:
        _branches[key] = found
    return found


def _branch_of(sql: str, table: str) -> str | None:
    head = re.match(r"\s*CREATE\s+VIEW\s+\S+\s+AS\s+", sql, re.I)
    if head is None:
        return None
    body = sql[head.end() :].strip().rstrip(";").strip()
    parts, depth, quote, start, i = [], 0, "", 0, 0
    while i < len(body):
        ch = body[i]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0 and body[i : i + 9].upper() == "UNION ALL":
            parts.append(body[start:i])
            start = i = i + 9
            continue
        i += 1
    parts.append(body[start:])
    reads = re.compile(rf"\bFROM\s+\(*\s*{re.escape(table)}\b", re.I)
    mine = [p.strip() for p in parts if reads.search(p)]
    if len(parts) < 2 or len(mine) != 1:
        return None
    branch = mine[0]
    while branch.startswith("(") and branch.endswith(")"):
        branch = branch[1:-1].strip()
    return branch if branch.upper().startswith("SELECT") else None


def _view_statements(
    store: Store, view: str, sha: str, line: int, record_id: str
) -> list[dict[str, Any]]:
    rows = store.query(
        f"SELECT prop, value, original_value FROM {_quote(view)} "
        "WHERE source_sha256 = ? AND line = ? AND entity_id = ?",
        [sha, line, record_id],
    ).to_pylist()
    return rows  # type: ignore[no-any-return]


def _tables_of(format: str) -> tuple[str, ...]:
    from transship.ingest.registry import readers

    if format in DERIVED:
        return (DERIVED[format],)
    reader = readers().get(format)
    if reader is None:
        return ()
    return tuple(t for t in reader.tables if t != "statements")


@dataclass(frozen=True, slots=True)
class Catalog:
    """What every record lookup needs and only an ingest changes: the sources by the first 16
    hex digits of their sha256, each run's file, and the tables present (three queries saved
    per record; the server keeps one per store generation)."""

    sources: dict[str, list[dict[str, Any]]]
    run_files: dict[int, str]
    present: frozenset[str]


def load_catalog(store: Store) -> Catalog:
    by_prefix: dict[str, list[dict[str, Any]]] = {}
    for src in store.query(
        "SELECT sha256, path, format, dataset, simulated, attribution, archive_sha256, member "
        "FROM sources ORDER BY sha256"
    ).to_pylist():
        by_prefix.setdefault(str(src["sha256"])[:16], []).append(src)
    runs: dict[int, str] = {}
    for run_id, file, sha, fmt, dataset in store.fetchall(
        "SELECT run_id, file, sha256, format, dataset FROM ingest_runs WHERE status = 'ok'"
    ):
        runs[int(run_id)] = str(file)
        if fmt in DERIVED and sha:
            # rows transship derived itself: the run is their source (no file behind it)
            by_prefix.setdefault(str(sha)[:16], []).append(
                {
                    "sha256": sha,
                    "path": file,
                    "format": fmt,
                    "dataset": dataset,
                    "simulated": None,
                    "attribution": None,
                    "archive_sha256": None,
                    "member": None,
                    "run_id": int(run_id),
                }
            )
    return Catalog(by_prefix, runs, frozenset(store.tables()))


def record(store: Store, record_id: str, catalog: Catalog | None = None) -> dict[str, Any]:
    """The record ``record_id`` with its values, original values, statements and source
    (``catalog``: :func:`load_catalog`'s answer when the caller keeps one)."""
    m = _RECORD_ID.match(record_id)
    if m is None:
        raise NotFound(f"no record {record_id!r}: record ids look like <16 hex digits>:<line>")
    line = int(m["line"])
    cat = catalog if catalog is not None else load_catalog(store)
    present = set(cat.present)
    for src in cat.sources.get(m["prefix"], []):
        for table in _tables_of(str(src["format"])):
            for superseded in (False, True):
                if superseded:
                    name = _BASE_SUPERSEDED.get(table, f"{table}_superseded")
                    view = f"{table}_superseded_statements"
                else:
                    name = _BASE.get(table, table)
                    view = f"{table}_statements"
                if src["format"] == "baci":  # narrow rows: only the view has the wide columns
                    name = "trade_flows_superseded" if superseded else "trade_flows"
                if name not in present:
                    continue
                out = _record_from(store, name, view, present, src, line, record_id, cat)
                if out is not None:
                    out["table"] = table
                    out["superseded"] = superseded
                    return out
    raise NotFound(f"no record {record_id!r} in the store")


def _record_from(
    store: Store,
    name: str,
    view: str,
    present: set[str],
    src: dict[str, Any],
    line: int,
    record_id: str,
    catalog: Catalog,
) -> dict[str, Any] | None:
    sha = str(src["sha256"])
    shape = statement_shape(store, view) if view in present else None
    derived_run = src.get("run_id") if src["format"] in DERIVED else None
    props = shape.props if shape else ()
    row = _find(store, name, sha, line, record_id, props, derived_run)
    if row is None:
        return None
    cast_values = row.pop("__statement_values")
    if shape is not None:
        statements = _shape_statements(shape, row, cast_values)
    elif view in present:
        statements = _view_statements(store, view, sha, line, record_id)
    elif derived_run is not None:
        # derived rows: the statements of the view that shows them (their evidence is in
        # their values and in the run behind them)
        statements = _exposed_statements(store, name, present, sha, line, record_id, derived_run)
    else:  # FtM entities: their statements are stored rows
        statements = store.query(
            "SELECT prop, value, original_value FROM statements "
            "WHERE source_sha256 = ? AND line = ? ORDER BY prop, value",
            [sha, line],
        ).to_pylist()
    run_id = row.get("run_id")
    run_file = catalog.run_files.get(int(run_id)) if run_id is not None else None
    values = {k: v for k, v in row.items() if k not in PROVENANCE and not k.endswith("_orig")}
    originals = {k: v for k, v in row.items() if k.endswith("_orig")}
    return {
        "record_id": record_id,
        "simulated": row.get("simulated"),
        "dataset": row.get("dataset"),
        "values": values,
        "original_values": originals,
        "statements": statements,
        "source": {
            "sha256": sha,
            "file": run_file or src["path"],
            "format": src["format"],
            "dataset": row.get("dataset") or src["dataset"],
            "run_id": run_id,
            "line": row.get("line"),
            "attribution": src["attribution"],
            "simulated": src["simulated"] if src["simulated"] is not None else row.get("simulated"),
            "archive_sha256": src["archive_sha256"],
            "member": src["member"],
        },
    }


@router.get(
    "/api/records/{record_id}",
    response_model=RecordOut,
    responses=read_responses(
        404, 422, 503, described={404: "No such record (or not a record id)."}
    ),
    summary="One record and its statement trail",
)
async def get_record(
    request: Request,
    server: Server,
    record_id: str = Path(max_length=64, description="A record id, e.g. 85b49369402ff12b:2618."),
) -> Response:
    """The stored record with its statement trail: the table, dataset, file, sha256 and line
    it came from, its values, the source's own text (original values) and one statement per
    property. A record a later release replaced is still found, with `superseded: true`."""

    async def build() -> Response:
        catalog = await server.cached_read(("record-catalog",), load_catalog)
        found = await server.read(lambda s: record(s, record_id, catalog))
        return json_response(found)

    return await server.respond_cached(request, build)
