"""What every command shares: the --db/--json options, output, and the one place where
named errors become a one-line message and an exit code (1 bad input, 2 usage).

Data is never read as markup: file names, cell values and messages can hold ``[/bold]`` or
terminal escape sequences (a hostile file can put anything in a field), so everything that
comes from data is printed as plain :class:`rich.text.Text` with control characters made
visible (``\x1b``), and numbers in tables never break across lines.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import shlex
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import pyarrow as pa
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.segment import Segments
from rich.table import Table
from rich.text import Text

from transship import settings
from transship.exc import NotFound, TransshipError
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


def db_flag(db: Path | None) -> str:
    """`` --db PATH`` when the store in use is not the default one, else ``""``: hints such as
    "see `transship rejects --run 3`" must name the store the user is working on, or the
    command they copy reads another (or no) store."""
    path = db_path(db)
    default = Path(settings.get("TRANSSHIP_DB"))
    if path == default or path.resolve() == default.resolve():
        return ""
    return f" --db {shlex.quote(str(path))}"


def open_store(db: Path | None, read_only: bool = False) -> Store:
    """The store; with ``read_only`` a missing file is an error (exit 1), never created: a
    typo in ``--db`` must not leave an empty store behind that later commands read as real."""
    path = db_path(db)
    if read_only and str(path) != ":memory:" and not path.exists():
        raise NotFound(
            f"no store at {path} (create one with `transship ingest FILE{db_flag(db)}` "
            "or `transship demo`)"
        )
    return connect(path, read_only=read_only)


def require_trade_flows(store: Store, db: Path | None, dataset: str | None = None) -> None:
    """Fail (exit 1) when the store holds no trade flows (of ``dataset``) at all.

    `mirror`, `hubs` and `routes` on such a store have nothing to analyse, which is not the
    same as an analysis that finds nothing (exit 0): the user most likely forgot to ingest,
    or named the wrong store with --db.
    """
    where, params = ("WHERE dataset = ?", [dataset]) if dataset else ("", [])
    if store.fetchall(f"SELECT 1 FROM trade_flows {where} LIMIT 1", params):
        return
    of = f" of dataset {dataset!r}" if dataset else ""
    raise NotFound(
        f"no trade flows{of} in {store.path} (ingest Comtrade or BACI files first: "
        f"`transship ingest FILE{db_flag(db)}`)"
    )


def usage_error(message: str, option: str | None = None) -> NoReturn:
    """A malformed command line (an unknown choice, an out-of-range option): exit 2."""
    raise typer.BadParameter(message, param_hint=f"'{option}'" if option else None)


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn named errors into one line on stderr and exit code 1; never a traceback.

    Usage errors (click's, raised by the command line parser or :func:`usage_error`) pass
    through to the app's group, which prints them as one line with exit code 2.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except TransshipError as exc:
            print_error(exc.message)
            raise typer.Exit(1) from None
        except BrokenPipeError:
            sys.stderr.close()
            raise typer.Exit(1) from None

    return wrapper


# -- plain output ---------------------------------------------------------------------------

#: C0 and C1 control characters (ESC starts ANSI/OSC sequences, BEL ends OSC) and the Unicode
#: bidirectional overrides that reorder what a terminal shows.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _visible(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(value: object) -> str:
    """``value`` as text a terminal shows as is: control characters and escape sequences
    become visible escapes (``\x1b[31m`` stays text instead of turning the screen red)."""
    return _CONTROL.sub(_visible, str(value))


def one_line(message: str) -> str:
    """A message on one line: line breaks (a DuckDB error's caret diagram) become spaces."""
    return safe(" ".join(message.split()))


def say(message: object, *, err: bool = True, style: str | None = None) -> None:
    """Print a message as plain text (no markup, no highlighting): stderr unless ``err=False``."""
    console = err_console if err else out_console
    console.print(Text(safe(message), style=style or ""), soft_wrap=True, highlight=False)


def print_error(message: str) -> None:
    """The one-line error: ``error: <message>`` on stderr."""
    text = Text("error:", style="red")
    text.append(" " + one_line(message))
    err_console.print(text, soft_wrap=True, highlight=False)


def nothing_found(message: str) -> None:
    """Say on stderr that a command found nothing (it still succeeds: exit 0)."""
    say(message)


def _default(o: Any) -> Any:
    if isinstance(o, datetime | date):
        return o.isoformat()
    if isinstance(o, Decimal):
        return _finite(float(o))
    if isinstance(o, Path):
        return str(o)
    if hasattr(o, "to_dict"):
        return _finite(o.to_dict())
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def _finite(o: Any) -> Any:
    """``o`` with every NaN or infinite float replaced by None.

    JSON has no NaN or Infinity: Python would write them bare (``Infinity``), which no
    strict parser reads, so a non-finite number is written as ``null`` instead."""
    if isinstance(o, float):
        return o if o - o == 0.0 else None
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_finite(v) for v in o]
    return o


def emit_json(obj: Any) -> None:
    """``obj`` as JSON on stdout; never ``NaN``/``Infinity`` (``allow_nan=False`` after
    :func:`_finite`), so the output is valid JSON for every reader."""
    text = json.dumps(_finite(obj), default=_default, ensure_ascii=False, indent=2, allow_nan=False)
    sys.stdout.write(text)
    sys.stdout.write("\n")


def arrow_rows(table: pa.Table) -> list[dict[str, Any]]:
    return table.to_pylist()  # type: ignore[no-any-return]


#: Longest text shown in a table cell; the rest is cut with an ellipsis (--json has it all).
CELL_CHARS = 160
#: Narrowest a text column gets before the table grows past the terminal instead.
TEXT_MIN_WIDTH = 8
#: A cell that reads as a number or a figure (``389,914,611``, ``-0.25``, ``12.5% [1-2]``).
_FIGURE = re.compile(r"^[-+]?[\d.,]+(?:e[-+]?\d+)?%?(?: \[[\d.,%-]+\])?$|^-$", re.I)


def print_table(
    rows: Iterable[dict[str, Any]] | pa.Table,
    title: str | None = None,
    limit: int = 50,
    empty: str = "no rows",
) -> None:
    """A readable table on stdout (for humans; --json is for machines).

    Values are plain text, never markup, with control characters escaped. Number columns
    are right-aligned and never wrap: when the terminal is too narrow for them, text columns
    fold first, and if that is not enough the table is printed wider than the terminal
    (its lines then wrap whole) rather than splitting ``389,914,611`` into pieces.
    Without rows, ``empty`` is said on stderr and nothing goes to stdout.
    """
    if isinstance(rows, pa.Table):
        cols = list(rows.schema.names)
        more = max(0, rows.num_rows - limit)
        shown = rows.slice(0, limit).to_pylist()
    else:
        shown = list(rows)
        more = max(0, len(shown) - limit)
        shown = shown[:limit]
        cols = list(shown[0].keys()) if shown else []
    if not shown:
        nothing_found(empty)
        return
    cells = [[_cell(r.get(c)) for c in cols] for r in shown]
    table = Table(title=Text(safe(title)) if title else None, show_lines=False)
    need = 1  # the left border; each column adds its padding and right border
    for j, c in enumerate(cols):
        column = [row[j] for row in cells]
        header = safe(c)
        if _is_figures(column, [r.get(c) for r in shown]):
            width = max(len(header), *(len(v) for v in column))
            table.add_column(Text(header), justify="right", no_wrap=True, min_width=width)
            need += width + 3
        else:
            table.add_column(Text(header), overflow="fold")
            need += min(TEXT_MIN_WIDTH, max(len(header), *(len(v) for v in column))) + 3
    for row in cells:
        table.add_row(*(Text(v) for v in row))
    width = max(out_console.width, need)
    segments = list(out_console.render(table, out_console.options.update_width(width)))
    out_console.print(Segments(segments), crop=False)
    if more:
        say(f"... {more:,} more rows (use --json for all)", err=False)


def _is_figures(texts: list[str], values: list[Any]) -> bool:
    """A column of numbers, dates or figures such as ``1.2% [0.5-2.0]`` (blanks allowed)."""
    seen = False
    for text, value in zip(texts, values, strict=True):
        if value is None or text == "":
            continue
        if isinstance(value, bool) or not (
            isinstance(value, int | float | Decimal | date) or _FIGURE.match(text)
        ):
            return False
        seen = True
    return seen


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, datetime):
        return v.isoformat(sep=" ", timespec="seconds")
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return str(v)
        return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, dict | list):
        text = json.dumps(v, default=_default, ensure_ascii=False)
    else:
        text = str(v)
    text = safe(text)
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


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


@contextmanager
def work_status(message: str) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr with what a long step is doing (only on a terminal); the
    context gives a function that changes the message."""
    if not err_console.is_terminal:
        yield lambda _: None
        return
    with err_console.status(message) as status:
        yield lambda m: status.update(m)


def item_progress(prefix: str = "") -> Progress:
    """Progress bars on stderr counted in items, with the time elapsed (shown only on a
    terminal, and gone when done); ``prefix`` (rich markup) goes before each description."""
    return Progress(
        TextColumn(prefix + "{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )


@contextmanager
def count_progress(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr counted in items (:func:`item_progress`); the context gives
    the function that advances it."""
    progress = item_progress()
    with progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)


@contextmanager
def notes_at_verbose(name: str) -> Iterator[None]:
    """Inside, the ``name`` loggers pass only warnings unless --verbose was given: `ingest`
    prints one line per file, and a reader's notes (breakdown rows not stored, a side table
    read) are details for ``-v``, not more lines per file."""
    logger = logging.getLogger(name)
    level = logger.level
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


class _OneLineHandler(logging.Handler):
    """Log records as one plain line each on stderr (``warning: ...``), like every other
    message: no level column, no wrapping, no markup, control characters escaped."""

    PREFIX = {logging.DEBUG: "debug: ", logging.INFO: "", logging.WARNING: "warning: "}

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = one_line(self.format(record))
            prefix = self.PREFIX.get(record.levelno, "error: ")
            style = "yellow" if record.levelno == logging.WARNING else None
            text = Text(prefix, style=style or "")
            text.append(message)
            err_console.print(text, soft_wrap=True, highlight=False)
        except Exception:  # logging must never take a command down
            self.handleError(record)


def setup_logging(verbose: bool, quiet: bool) -> None:
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, format="%(message)s", handlers=[_OneLineHandler()], force=True)
