"""Responses: JSON that every parser reads, pages with a ``next`` link, CSV safe for spreadsheets.

* **JSON** never carries ``NaN`` or ``Infinity`` (not JSON; a strict parser refuses the whole
  document): non-finite floats become null, dates ISO 8601 text. Text is sent as it is
  stored (JSON escapes what it must); HTML pages escape it themselves.
* **Pages.** Every list endpoint takes ``limit`` and ``offset`` and answers
  ``{"items": [...], "limit", "offset", "total", "next"}``: ``next`` is the path and query of
  the following page (null on the last), also sent as an RFC 8288 ``Link: <...>; rel="next"``
  header; ``total`` is null where counting would cost a second analysis.
* **CSV** (``?format=csv``): the same page's rows; nested values (lists, objects) as JSON text
  in their cell, and text cells that a spreadsheet would run as a formula (``=cmd|...``,
  ``+``, ``-``, ``@``, tab, CR) get a leading ``'``: :func:`transship.report.export.neutralise`,
  the rule ``transship export`` applies. An empty page still has its header: the
  columns of the endpoint's item model (``model``), so a script reading the CSV sees the
  columns whether or not there are rows.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from pydantic import BaseModel
from starlette.datastructures import URL
from starlette.responses import Response

from transship.report.export import neutralise

_orjson: Any
try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson comes with followthemoney
    _orjson = None

#: Media types.
JSON_TYPE = "application/json"
CSV_TYPE = "text/csv; charset=utf-8"


def finite(o: Any) -> Any:
    """``o`` as plain JSON values: non-finite floats -> None, dates -> ISO text, tuples -> lists."""
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, str | int | bool) or o is None:
        return o
    if isinstance(o, Mapping):
        return {str(k): finite(v) for k, v in o.items()}
    if isinstance(o, list | tuple | set | frozenset):
        return [finite(v) for v in o]
    if isinstance(o, datetime | date | time):
        return o.isoformat()
    if isinstance(o, Decimal):
        return finite(float(o))
    if isinstance(o, Path):
        return str(o)
    if isinstance(o, bytes):
        return o.decode("utf-8", "backslashreplace")
    if hasattr(o, "to_dict"):
        return finite(o.to_dict())
    return str(o)


def dumps_std(obj: Any) -> bytes:
    """Compact JSON, UTF-8, strict (no NaN), through :func:`finite` and the standard library."""
    return json.dumps(
        finite(obj), ensure_ascii=False, allow_nan=False, separators=(",", ":")
    ).encode("utf-8")


def _orjson_default(o: Any) -> Any:
    """What orjson does not write itself (sets, Decimal, Path, bytes, objects with
    ``to_dict``, float subclasses such as numpy's): :func:`finite`'s answer for it."""
    return finite(o)


def dumps(obj: Any) -> bytes:
    """Compact JSON, UTF-8, strict (no NaN): the same values as :func:`dumps_std`.

    Through orjson when it is installed (a dependency of followthemoney), which writes the
    values :func:`finite` makes itself (non-finite floats as null, dates as ISO text, tuples
    as lists) without first copying the whole object: a third of a record page's CPU
    before (docs/api.md, "Load"). Numbers may be spelt differently (``1e16`` for
    ``1e+16``), never valued differently. What orjson refuses (a key that is not text, an
    integer beyond 64 bits, text that is not UTF-8) goes the standard way, which answers
    it as before."""
    if _orjson is None:
        return dumps_std(obj)
    try:
        out: bytes = _orjson.dumps(obj, default=_orjson_default)
        return out
    except (TypeError, ValueError):  # orjson.JSONEncodeError is a TypeError
        return dumps_std(obj)


def json_response(
    obj: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        dumps(obj), status_code=status, media_type=JSON_TYPE, headers=dict(headers or {})
    )


def next_url(url: URL, offset: int, limit: int, more: bool) -> str | None:
    """Path and query of the page after this one (None on the last page)."""
    if not more:
        return None
    following = url.include_query_params(offset=offset + limit, limit=limit)
    return following.path + ("?" + following.query if following.query else "")


def page_response(
    url: URL,
    rows: Sequence[Mapping[str, Any]],
    *,
    limit: int,
    offset: int,
    total: int | None,
    more: bool,
    fmt: str,
    extra: Mapping[str, Any] | None = None,
    filename: str = "rows",
    columns: Sequence[str] | None = None,
    model: type[BaseModel] | None = None,
) -> Response:
    """One page of ``rows`` (already sliced) as JSON or CSV, with the next link. ``model``:
    the item model, whose fields are the CSV header of an empty page."""
    nxt = next_url(url, offset, limit, more)
    headers = {"Link": f'<{nxt}>; rel="next"'} if nxt else {}
    if fmt == "csv":
        if columns is None and not rows and model is not None:
            columns = model_columns(model)
        headers["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return Response(csv_bytes(rows, columns), media_type=CSV_TYPE, headers=headers)
    body: dict[str, Any] = {
        "items": list(rows),
        "limit": limit,
        "offset": offset,
        "total": total,
        "next": nxt,
    }
    if extra:
        body.update(extra)
    return json_response(body, headers=headers)


def model_columns(model: type[BaseModel]) -> list[str]:
    """The field names of an item model (as sent: aliases where a field has one)."""
    return [f.alias or name for name, f in model.model_fields.items()]


def counted_page(
    url: URL,
    rows: Sequence[Mapping[str, Any]],
    *,
    limit: int,
    offset: int,
    total: int,
    fmt: str,
    filename: str,
    extra: Mapping[str, Any] | None = None,
    columns: Sequence[str] | None = None,
    model: type[BaseModel] | None = None,
) -> Response:
    """A page read with ``LIMIT``/``OFFSET`` (``rows``) out of ``total`` counted rows."""
    return page_response(
        url,
        rows,
        limit=limit,
        offset=offset,
        total=total,
        more=offset + len(rows) < total,
        fmt=fmt,
        extra=extra,
        filename=filename,
        columns=columns,
        model=model,
    )


def sliced_page(
    url: URL,
    every: Sequence[Mapping[str, Any]],
    *,
    limit: int,
    offset: int,
    fmt: str,
    filename: str,
    complete: bool = True,
    extra: Mapping[str, Any] | None = None,
    columns: Sequence[str] | None = None,
    model: type[BaseModel] | None = None,
) -> Response:
    """A page sliced out of a list computed whole (an analysis kept in the cache).
    ``complete=False``: ``every`` holds only the first rows of the answer (the analysis was
    asked for a bounded number), so the total is unknown and a next page exists when
    ``every`` goes on past this one."""
    page = every[offset : offset + limit]
    return page_response(
        url,
        page,
        limit=limit,
        offset=offset,
        total=len(every) if complete else None,
        more=len(every) > offset + limit,
        fmt=fmt,
        extra=extra,
        filename=filename,
        columns=columns,
        model=model,
    )


def attachment(body: bytes | str, media_type: str, filename: str, **headers: str) -> Response:
    """A file to save (``Content-Disposition: attachment``) under a name without slashes."""
    name = filename.replace("/", "_").replace('"', "_")
    return Response(
        body,
        media_type=media_type,
        headers={**headers, "Content-Disposition": f'attachment; filename="{name}"'},
    )


def _cell(value: Any) -> Any:
    """A CSV cell: nested values as JSON text, everything else as its JSON scalar."""
    value = finite(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def csv_bytes(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> bytes:
    """Rows as CSV with a header, formula-like text cells neutralised."""
    cols: list[str] = list(columns) if columns is not None else []
    if columns is None:
        seen: set[str] = set()
        for row in rows:
            for key in row:
                if key not in seen:
                    seen.add(key)
                    cols.append(key)
    data: dict[str, list[Any]] = {c: [_cell(r.get(c)) for r in rows] for c in cols}
    arrays = {}
    for c, values in data.items():
        try:
            arrays[c] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed types: all as text
            arrays[c] = pa.array([None if v is None else str(v) for v in values], pa.string())
        if pa.types.is_null(arrays[c].type):
            arrays[c] = arrays[c].cast(pa.string())
    if not arrays:
        return b""
    table = pa.table(arrays)
    safe = pa.Table.from_batches([neutralise(b) for b in table.to_batches()], table.schema)
    out = io.BytesIO()
    pacsv.write_csv(safe, out)  # the header even when there are no rows
    return out.getvalue()


def arrow_csv(table: pa.Table) -> bytes:
    """An Arrow table as CSV (nested columns as JSON text), neutralised like :func:`csv_bytes`."""
    return csv_bytes(table.to_pylist(), table.schema.names)


def report_page(
    url: URL,
    report: dict[str, Any],
    part: str,
    *,
    limit: int,
    offset: int,
    fmt: str,
    filename: str,
) -> Response:
    """A report's list ``part`` as pages (``items``; CSV header: every key of the list in
    first-seen order, so an empty page past the end keeps it); the rest of the report
    beside the page. ``report`` loses ``part``."""
    every = report.pop(part)
    return sliced_page(
        url,
        every,
        limit=limit,
        offset=offset,
        fmt=fmt,
        filename=filename,
        extra=report,
        columns=list(dict.fromkeys(k for row in every for k in row)),
    )
