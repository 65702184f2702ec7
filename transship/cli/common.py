"""What every command shares: the --db/--json options, output, and the one place where
named errors become a one-line message and an exit code (1 bad input, 2 usage)."""

from __future__ import annotations

import functools
import json
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import pyarrow as pa
import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from transship import settings
from transship.exc import TransshipError
from transship.store import Store, connect

P = ParamSpec("P")
R = TypeVar("R")

#: Logs and progress go to stderr; stdout is for results only.
err_console = Console(stderr=True)
out_console = Console()

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="DuckDB store file (default: $TRANSSHIP_DB or ./transship.duckdb).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]


def db_path(db: Path | None) -> Path:
    return db if db is not None else settings.db_path()


def open_store(db: Path | None, read_only: bool = False) -> Store:
    return connect(db_path(db), read_only=read_only)


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn named errors into one line on stderr and exit code 1; never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except TransshipError as exc:
            err_console.print(f"[red]error:[/red] {exc.message}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except BrokenPipeError:
            sys.stderr.close()
            raise typer.Exit(1) from None

    return wrapper


def _default(o: Any) -> Any:
    if isinstance(o, datetime | date):
        return o.isoformat()
    if isinstance(o, Decimal):
        return float(o)
    if isinstance(o, Path):
        return str(o)
    if hasattr(o, "to_dict"):
        return o.to_dict()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, default=_default, ensure_ascii=False, indent=2))
    sys.stdout.write("\n")


def arrow_rows(table: pa.Table) -> list[dict[str, Any]]:
    return table.to_pylist()  # type: ignore[no-any-return]


def print_table(
    rows: Iterable[dict[str, Any]] | pa.Table, title: str | None = None, limit: int = 50
) -> None:
    """A readable table on stdout (for humans; --json is for machines)."""
    if isinstance(rows, pa.Table):
        rows = rows.slice(0, limit).to_pylist()
        more = 0
    else:
        rows = list(rows)
        more = max(0, len(rows) - limit)
        rows = rows[:limit]
    table = Table(title=title, show_lines=False)
    cols = list(rows[0].keys()) if rows else []
    for c in cols:
        table.add_column(c, overflow="fold")
    for r in rows:
        table.add_row(*[_cell(r.get(c)) for c in cols])
    out_console.print(table)
    if more:
        out_console.print(f"... {more} more rows (use --json for all)")


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, dict | list):
        return json.dumps(v, default=_default, ensure_ascii=False)[:120]
    return str(v)


@contextmanager
def byte_progress(enabled: bool = True) -> Iterator[Callable[[Path, int], Callable[[int], None]]]:
    """A progress bar per file, advanced by the bytes a reader consumes (stderr)."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not enabled or not err_console.is_terminal,
    )

    def start(path: Path, total: int) -> Callable[[int], None]:
        task = progress.add_task(path.name[:40], total=total)
        return lambda n: progress.advance(task, n)

    with progress:
        yield start


def setup_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    from rich.logging import RichHandler

    logging.basicConfig(
        level=level,
        format="%(message)s",
        handlers=[RichHandler(console=err_console, show_path=False, show_time=False)],
        force=True,
    )
