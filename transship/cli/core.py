"""Core commands: ingest, runs, rejects, sql, export, formats, tables."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from transship.cli.common import (
    DbOption,
    JsonOption,
    arrow_rows,
    byte_progress,
    db_flag,
    emit_json,
    err_console,
    handle_errors,
    notes_at_verbose,
    open_store,
    print_table,
    say,
    usage_error,
)
from transship.exc import InvalidInput, NotFound
from transship.ingest import archive
from transship.ingest.pipeline import IngestResult, expand_paths, ingest_paths
from transship.ingest.registry import readers
from transship.report.export import EXPORT_FORMATS, export_table


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
    as_new: Annotated[
        bool,
        typer.Option(
            "--as-new",
            help="Keep the rows of earlier files with the same keys beside this file's "
            "(two datasets) instead of superseding them.",
        ),
    ] = False,
    max_reject_share: Annotated[
        float | None,
        typer.Option(
            "--max-reject-share",
            help="Fail a file (storing nothing) when more than this share (0 to 1) of its "
            "rows is rejected (default: setting TRANSSHIP_MAX_REJECT_SHARE, 0.5).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Read source files into the store, with provenance for every row.

    The format is recognised from the content (use --format to force one). Each file is
    loaded all or nothing; a file loaded before (same sha256) is skipped. Bad rows go to
    the rejects table unless --strict; a file with more than --max-reject-share of its rows
    rejected fails. A later file of the same dataset supersedes the earlier rows with the
    same natural keys (see `transship runs`); --as-new keeps both.
    """
    if format is not None and format not in readers():
        usage_error(f"unknown format {format!r}; known: {', '.join(sorted(readers()))}", "--format")
    if max_reject_share is not None and not 0.0 <= max_reject_share <= 1.0:
        usage_error(f"must be from 0 to 1, not {max_reject_share}", "--max-reject-share")
    missing = [p for p in paths if not archive.exists(p)]  # archive.zip/member exists too
    if missing and len(missing) == len(paths):  # nothing to read: leave the store alone
        raise NotFound(f"no such file or folder: {missing[0]}")
    if not expand_paths(paths):  # only empty folders: nothing to read either
        raise InvalidInput("no data files found in " + ", ".join(map(str, paths)))
    with (
        open_store(db) as store,
        byte_progress(not json_out) as progress,
        notes_at_verbose("transship.ingest"),
    ):
        results = ingest_paths(
            store,
            paths,
            format=format,
            strict=strict,
            dataset=dataset,
            progress=progress,
            as_new=as_new,
            max_reject_share=max_reject_share,
        )
    if not results:
        raise InvalidInput("no data files found in " + ", ".join(map(str, paths)))
    if json_out:
        emit_json([r.to_dict() for r in results])
    else:
        for r in results:
            say(_ingest_line(r, db), style="red" if r.status == "failed" else None)
    if any(r.status == "failed" for r in results):
        raise typer.Exit(1)


def _ingest_line(r: IngestResult, db: Path | None) -> str:
    """One line per file: what was loaded (with the run to look up), skipped or failed."""
    if r.status == "failed":
        return f"failed: {r.message}"
    if r.status == "skipped":
        return f"skipped {r.file}: {r.message}"
    note = (
        f", {r.rows_rejected:,} rejected (see `transship rejects --run {r.run_id}{db_flag(db)}`)"
        if r.rows_rejected
        else ""
    )
    if r.rows_superseded:  # a revised release replaced rows of earlier runs
        runs = ", ".join(map(str, r.supersedes))
        note += f", {r.rows_superseded:,} rows of run{'s' if len(r.supersedes) > 1 else ''} {runs} superseded"
    return f"{r.file}: {r.rows_loaded:,} rows loaded{note} [{r.format}, run {r.run_id}]"


@handle_errors
def runs(db: DbOption = None, json_out: JsonOption = False) -> None:
    """List ingest runs: file, sha256, format, rows loaded and rejected, status, and which
    runs a revised release superseded (supersedes, rows_superseded, superseded_by)."""
    with open_store(db, read_only=True) as store:
        table = store.query(
            "SELECT run_id, file, sha256, format, dataset, started, finished, rows_loaded, rows_rejected, "
            "supersedes, rows_superseded, (SELECT list(l.run_id ORDER BY l.run_id) FROM ingest_runs l "
            "WHERE list_contains(l.supersedes, r.run_id)) AS superseded_by, status, message "
            "FROM ingest_runs r ORDER BY run_id"
        )
    if json_out:
        emit_json(arrow_rows(table))
    else:
        print_table(
            table.drop_columns(["sha256", "finished"]),
            title="ingest runs",
            limit=10_000,
            empty=f"no ingest runs in {store.path}",
        )


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
            raise NotFound(f"no run {run} (see `transship runs{db_flag(db)}`)")
        table = store.query(
            f'SELECT run_id, file, line, "column", reason, raw FROM rejects {where} ORDER BY run_id, line LIMIT {int(limit)}',
            params,
        )
    if json_out:
        emit_json(arrow_rows(table))
    else:
        print_table(
            table,
            title="rejected rows",
            limit=limit,
            empty="no rejected rows" + (f" in run {run}" if run is not None else ""),
        )


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
    raw: Annotated[
        bool,
        typer.Option(
            "--raw",
            help="CSV: keep text cells as stored (by default a cell starting with = + - @ "
            "tab or CR gets a leading ' so spreadsheets do not run it as a formula).",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Export a table as CSV, JSON lines, Parquet or FollowTheMoney entities, streaming.

    List columns become JSON text in CSV; a file is only written when the export succeeds."""
    if to not in EXPORT_FORMATS:
        raise InvalidInput(f"--to must be one of {', '.join(EXPORT_FORMATS)}")
    with open_store(db, read_only=True) as store:
        if output == "-":
            n = export_table(store, table, to, sys.stdout.buffer, raw=raw)
            sys.stdout.buffer.flush()
        else:
            n = export_table(store, table, to, output, raw=raw)
    if output != "-":
        err_console.print(f"wrote {n:,} rows of {table} to {output} ({to})", markup=False)


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
    """List the store's tables and views with row counts.

    The revision history (``*_superseded`` tables and their statement views) is listed only
    where it holds rows: a store that never saw a revised release would otherwise list every
    table twice more, empty.
    """
    with open_store(db, read_only=True) as store:
        rows = []
        for t in store.tables():
            if t.startswith("_"):
                continue
            n = store.count(t)
            if n or "_superseded" not in t:
                rows.append({"table": t, "rows": n})
    if json_out:
        emit_json(rows)
    else:
        print_table(rows, title=str(store.path), limit=1000, empty=f"no tables in {store.path}")
