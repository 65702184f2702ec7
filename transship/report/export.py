"""Export a store table as CSV, JSON lines, Parquet or FollowTheMoney entities, streaming.

``transship export`` is a thin layer over :func:`export_table`. Three rules shape it:

* **Every column fits the format.** Arrow's CSV writer cannot write list, struct or map
  columns (``entities.names`` is a list): DuckDB turns such columns into JSON text in the
  query itself (``to_json``), so a CSV cell holds ``["a","b"]`` that any JSON parser reads
  back. JSON lines never carry ``NaN``/``Infinity`` (not JSON): non-finite floats are null.
* **All or nothing.** A file is written under a temporary name in the target's folder and
  renamed over the target only when the export finished; a failed export leaves no file
  (and an existing target untouched).
* **A CSV is not a spreadsheet program.** Text cells that start with ``=``, ``+``, ``-``,
  ``@``, a tab or a carriage return are read as formulas by Excel or LibreOffice (OWASP,
  "CSV Injection"): they get a leading ``'`` unless ``raw``. Only text columns are touched,
  and a text cell that is a plain number (``-12.5`` in ``value_orig``) is left as it is, since
  no spreadsheet reads a number as a formula.

Memory stays flat: rows are read in batches from DuckDB and written batch by batch.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO, BinaryIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from transship.exc import InvalidInput, NotFound
from transship.store import Store

#: Formats ``export_table`` writes (``--to``).
EXPORT_FORMATS = ("csv", "jsonl", "parquet", "ftm")
#: First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_START = r"^[=+\-@\t\r]"
#: A text cell that is only a number is not a formula, whatever its sign.
_PLAIN_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
BATCH_ROWS = 100_000


def export_table(
    store: Store,
    table: str,
    to: str = "csv",
    out: str | Path | BinaryIO = "-",
    raw: bool = False,
) -> int:
    """Write ``table`` to ``out`` (a path, or an open binary stream) as ``to``; the row count.

    A path is written atomically (temporary file, then rename); a stream is written as it
    goes. ``raw`` keeps CSV text cells exactly as stored (no formula neutralising).
    """
    if to not in EXPORT_FORMATS:
        raise InvalidInput(f"--to must be one of {', '.join(EXPORT_FORMATS)}")
    if table not in store.tables():
        raise NotFound(f"no table {table!r} (see `transship tables`)")
    if not isinstance(out, str | Path):
        return _write(store, table, to, out, raw)
    target = Path(out)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InvalidInput(f"{folder}: no such folder")
    # Created like open() would (mode 0o666 less the umask), under a name no one else uses.
    tmp = folder / f".{target.name}.{secrets.token_hex(6)}.part"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise InvalidInput(f"{target}: cannot write: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as f:
            n = _write(store, table, to, f, raw)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return n


def _write(store: Store, table: str, to: str, out: BinaryIO, raw: bool) -> int:
    if to == "ftm":
        from transship.report.ftm import export_ftm_table

        return export_ftm_table(store, table, out)
    schema = store.query(f'SELECT * FROM "{table}" LIMIT 0').schema
    if to == "csv":
        return _write_csv(store, table, schema, out, raw)
    if to == "jsonl":
        return _write_jsonl(store.stream(f'SELECT * FROM "{table}"', BATCH_ROWS), out)
    return _write_parquet(store.stream(f'SELECT * FROM "{table}"', BATCH_ROWS), schema, out)


def csv_select(table: str, schema: pa.Schema) -> str:
    """The query a CSV export runs: nested columns (list, struct, map) and intervals as JSON
    or text, everything else as stored."""
    cols = []
    for f in schema:
        name = '"' + f.name.replace('"', '""') + '"'
        if pa.types.is_nested(f.type):
            cols.append(f"CAST(to_json({name}) AS VARCHAR) AS {name}")
        elif pa.types.is_interval(f.type) or pa.types.is_duration(f.type):
            cols.append(f"CAST({name} AS VARCHAR) AS {name}")
        else:
            cols.append(name)
    return f'SELECT {", ".join(cols)} FROM "{table}"'


def neutralise(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Text cells a spreadsheet would run as a formula, with a leading ``'``."""
    arrays = []
    for col in batch.columns:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            col = neutralise_text(col)
        arrays.append(col)
    return pa.RecordBatch.from_arrays(arrays, schema=batch.schema)


def neutralise_text(col: pa.Array) -> pa.Array:
    """One text column: ``=1+1`` -> ``'=1+1``; ``-12.5``, ``abc`` and nulls unchanged."""
    risky = pc.and_not(
        pc.match_substring_regex(col, FORMULA_START),
        pc.match_substring_regex(col, _PLAIN_NUMBER),
    )
    if not pc.any(risky).as_py():
        return col
    quoted = pc.binary_join_element_wise(pa.scalar("'", col.type), col, pa.scalar("", col.type))
    return pc.if_else(risky, quoted, col)


def _write_csv(store: Store, table: str, schema: pa.Schema, out: BinaryIO, raw: bool) -> int:
    batches = store.stream(csv_select(table, schema), BATCH_ROWS)
    first = next(batches, None)
    if first is None:
        empty = store.query(csv_select(table, schema) + " LIMIT 0")
        pacsv.write_csv(empty, out)
        return 0
    n = 0
    with pacsv.CSVWriter(out, first.schema) as writer:
        for batch in _chain(first, batches):
            writer.write_batch(batch if raw else neutralise(batch))
            n += batch.num_rows
    return n


def _write_jsonl(batches: Iterator[pa.RecordBatch], out: IO[bytes]) -> int:
    n = 0
    for batch in batches:
        for row in _finite(batch).to_pylist():
            out.write(json.dumps(row, default=str, ensure_ascii=False).encode("utf-8") + b"\n")
            n += 1
    return n


def _finite(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Non-finite floats as null: ``NaN`` and ``Infinity`` are not JSON."""
    arrays = []
    for col in batch.columns:
        if pa.types.is_floating(col.type) and col.null_count < len(col):
            finite = pc.is_finite(col)
            if not pc.all(pc.fill_null(finite, True)).as_py():
                col = pc.if_else(finite, col, pa.scalar(None, col.type))
        arrays.append(col)
    return pa.RecordBatch.from_arrays(arrays, schema=batch.schema)


def _write_parquet(batches: Iterator[pa.RecordBatch], schema: pa.Schema, out: BinaryIO) -> int:
    n = 0
    with pq.ParquetWriter(out, schema) as writer:
        for batch in batches:
            writer.write_batch(batch)
            n += batch.num_rows
    return n


def _chain(first: pa.RecordBatch, rest: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    yield first
    yield from rest


__all__ = ["EXPORT_FORMATS", "csv_select", "export_table", "neutralise", "neutralise_text"]
