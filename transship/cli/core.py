"""Core commands: ingest, runs, rejects, sql, export, formats, tables."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import typer

from transship.cli.common import (
    DbOption,
    JsonOption,
    arrow_rows,
    byte_progress,
    emit_json,
    err_console,
    handle_errors,
    open_store,
    print_table,
)
from transship.exc import InvalidInput, NotFound
from transship.ingest.pipeline import ingest_paths
from transship.ingest.registry import readers

EXPORT_FORMATS = ("csv", "jsonl", "parquet", "ftm")


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("runs")(runs)
    app.command("rejects")(rejects)
    app.command("sql")(sql)
    app.command("export")(export)
    app.command("formats")(formats)
    app.command("tables")(tables)


@handle_errors
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Files or folders to read.", show_default=False)
    ],
    format: Annotated[
        str | None, typer.Option("--format", "-f", help="Force a reader (see `transship formats`).")
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first bad row.")] = False,
    dataset: Annotated[
        str | None, typer.Option("--dataset", help="Dataset name to record.")
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Read source files into the store, with provenance for every row.

    The format is recognised from the content (use --format to force one). Each file is
    loaded all or nothing; a file loaded before (same sha256) is skipped. Bad rows go to
    the rejects table unless --strict.
    """
    if format is not None and format not in readers():
        raise InvalidInput(f"unknown format {format!r}; known: {', '.join(sorted(readers()))}")
    with open_store(db) as store, byte_progress(not json_out) as progress:
        results = ingest_paths(
            store, paths, format=format, strict=strict, dataset=dataset, progress=progress
        )
    if not results:
        raise InvalidInput("no data files found in " + ", ".join(map(str, paths)))
    if json_out:
        emit_json([r.to_dict() for r in results])
    else:
        for r in results:
            if r.status == "failed":
                err_console.print(f"[red]failed[/red] {r.message}", highlight=False, soft_wrap=True)
            elif r.status == "skipped":
                err_console.print(f"skipped {r.file}: {r.message}", highlight=False)
            else:
                note = (
                    f", {r.rows_rejected:,} rejected (see `transship rejects --run {r.run_id}`)"
                    if r.rows_rejected
                    else ""
                )
                err_console.print(
                    f"{r.file}: {r.rows_loaded:,} rows loaded{note} [{r.format}, run {r.run_id}]",
                    highlight=False,
                )
    if any(r.status == "failed" for r in results):
        raise typer.Exit(1)


@handle_errors
def runs(db: DbOption = None, json_out: JsonOption = False) -> None:
    """List ingest runs: file, sha256, format, rows loaded and rejected, status."""
    with open_store(db, read_only=True) as store:
        table = store.query(
            "SELECT run_id, file, sha256, format, dataset, started, finished, rows_loaded, rows_rejected, status, message "
            "FROM ingest_runs ORDER BY run_id"
        )
    if json_out:
        emit_json(arrow_rows(table))
    else:
        print_table(table.drop_columns(["sha256", "finished"]), title="ingest runs", limit=10_000)


@handle_errors
def rejects(
    run: Annotated[int | None, typer.Option("--run", help="Only this run.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many rows.")] = 1000,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Show rejected rows with file, line, column and reason."""
    with open_store(db, read_only=True) as store:
        where = "WHERE run_id = ?" if run is not None else ""
        params = [run] if run is not None else []
        if run is not None and not store.fetchall(
            "SELECT 1 FROM ingest_runs WHERE run_id = ?", [run]
        ):
            raise NotFound(f"no run {run} (see `transship runs`)")
        table = store.query(
            f'SELECT run_id, file, line, "column", reason, raw FROM rejects {where} ORDER BY run_id, line LIMIT {int(limit)}',
            params,
        )
    if json_out:
        emit_json(arrow_rows(table))
    else:
        print_table(table, title="rejected rows", limit=limit)


@handle_errors
def sql(
    query: Annotated[
        str, typer.Argument(help="One read-only statement (SELECT, WITH, DESCRIBE...).")
    ],
    db: DbOption = None,
    json_out: JsonOption = False,
    limit: Annotated[int, typer.Option("--limit", help="Rows to print in table mode.")] = 50,
) -> None:
    """Run a read-only SQL query on the store."""
    with open_store(db, read_only=True) as store:
        table = store.query_readonly(query)
    if json_out:
        emit_json(arrow_rows(table))
    else:
        print_table(table, limit=limit)
        if table.num_rows > limit:
            err_console.print(f"{table.num_rows:,} rows, {limit} shown (use --json or --limit)")


@handle_errors
def export(
    table: Annotated[str, typer.Argument(help="Table or view to export (see `transship tables`).")],
    to: Annotated[str, typer.Option("--to", help="csv | jsonl | parquet | ftm")] = "csv",
    output: Annotated[
        str, typer.Option("-o", "--output", help="Output file, or - for stdout.")
    ] = "-",
    db: DbOption = None,
) -> None:
    """Export a table as CSV, JSON lines, Parquet or FollowTheMoney entities, streaming."""
    if to not in EXPORT_FORMATS:
        raise InvalidInput(f"--to must be one of {', '.join(EXPORT_FORMATS)}")
    with open_store(db, read_only=True) as store:
        if table not in store.tables():
            raise NotFound(f"no table {table!r} (see `transship tables`)")
        out: BinaryIO = sys.stdout.buffer if output == "-" else open(output, "wb")  # noqa: SIM115
        try:
            n = _export(store, table, to, out)
        finally:
            if out is not sys.stdout.buffer:
                out.close()
            else:
                out.flush()
    if output != "-":
        err_console.print(f"wrote {n:,} rows of {table} to {output} ({to})")


def _export(store: object, table: str, to: str, out: BinaryIO) -> int:
    from transship.store import Store

    assert isinstance(store, Store)
    if to == "ftm":
        from transship.report.ftm import export_ftm_table

        text = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
        try:
            return export_ftm_table(store, table, text)
        finally:
            text.detach()
    n = 0
    batches = store.stream(f'SELECT * FROM "{table}"')
    if to == "jsonl":
        for batch in batches:
            for row in batch.to_pylist():
                out.write(json.dumps(row, default=str, ensure_ascii=False).encode("utf-8") + b"\n")
                n += 1
        return n
    first = next(batches, None)
    if first is None:
        empty = store.query(f'SELECT * FROM "{table}" LIMIT 0')
        if to == "csv":
            pacsv.write_csv(empty, out)
        else:
            pq.write_table(empty, out)
        return 0
    schema = first.schema
    if to == "csv":
        with pacsv.CSVWriter(out, schema) as w:
            for batch in _chain(first, batches):
                w.write_batch(batch)
                n += batch.num_rows
    else:
        with pq.ParquetWriter(out, schema) as pw:
            for batch in _chain(first, batches):
                pw.write_batch(batch)
                n += batch.num_rows
    return n


def _chain(first: pa.RecordBatch, rest: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    yield first
    yield from rest


@handle_errors
def formats(json_out: JsonOption = False) -> None:
    """List the source formats transship reads."""
    rows = [
        {
            "name": cls.name,
            "dataset": cls.dataset,
            "tables": ", ".join(cls.tables),
            "description": cls.description,
        }
        for cls in sorted(readers().values(), key=lambda c: c.name)
    ]
    if json_out:
        emit_json(rows)
    else:
        print_table(rows, title="formats", limit=1000)


@handle_errors
def tables(db: DbOption = None, json_out: JsonOption = False) -> None:
    """List the store's tables and views with row counts."""
    with open_store(db, read_only=True) as store:
        rows = [
            {"table": t, "rows": store.count(t)} for t in store.tables() if not t.startswith("_")
        ]
    if json_out:
        emit_json(rows)
    else:
        print_table(rows, title=str(store.path), limit=1000)
