"""`transship demo`: the main job, end to end, on the shipped Serbia 2025 case."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from transship.cli.common import JsonOption, emit_json, handle_errors, out_console, safe, say
from transship.demo import DemoReport, run_demo


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


@handle_errors
def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the demo store and simulated files.")
    ] = Path("transship-demo"),
    seed: Annotated[int, typer.Option("--seed", help="Seed of the simulation.")] = 1,
    case: Annotated[
        Path | None,
        typer.Option("--case", help="Case folder (default: the shipped cases/serbia-2025)."),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Build a fresh store from the shipped reference data and the Serbia 2025 case, simulate
    the diversion system (labelled SIMULATED), ingest it and run every stage that exists."""
    report = run_demo(out, seed=seed, case=case, log=None if json_out else _say)
    if json_out:
        emit_json(report.to_dict())
    else:
        _print(report)


def _say(message: str) -> None:
    say(message)


def _print(report: DemoReport) -> None:
    """The report as plain text: case data (names, claims) is never read as markup."""

    def heading(text: str, note: str = "") -> None:
        line = Text("\n" + safe(text), style="bold")
        line.append(note)
        out_console.print(line, highlight=False)

    out_console.rule(Text("transship demo: Serbia 2025", style="bold"))
    say(f"store: {report.store}", err=False)
    heading("What the store holds", " (rows; SIMULATED rows counted apart)")
    width = max((len(row["table"]) for row in report.tables), default=0)
    for row in report.tables:
        sim = f"  ({row['simulated']:,} SIMULATED)" if row.get("simulated") else ""
        say(f"  {row['table']:<{width}} {row['rows']:>10,}{sim}", err=False)
    for section in report.sections:
        heading(section["title"])
        for line in section["lines"]:
            say(f"  {line}", err=False)
    heading("Stages not built yet")
    for name, what in report.not_built.items():
        say(f"  {name:<10} {what}", err=False)
    heading("Next")
    for line in next_steps(report.store, report.report):
        say(f"  {line}", err=False)


def next_steps(store: str, report: str | None = None) -> list[str]:
    """The commands to type next, runnable as printed (the demo store named with --db);
    with an HTML report written, where it is and how to browse the store."""
    db = shlex.quote(store)
    lines = []
    if sys.prefix != sys.base_prefix:  # run from a virtualenv (make demo, uv run)
        venv = Path(sys.prefix)
        try:
            venv = venv.relative_to(Path.cwd())
        except ValueError:
            pass
        lines.append(f"source {shlex.quote(str(venv / 'bin' / 'activate'))}   # transship on PATH")
    lines += [
        f"transship tables --db {db}",
        f"transship routes --origin SRB --destination UKR --product 9306 --break 2022-02 --db {db}",
        f"transship hubs --product 9306 --db {db}",
        f'transship sql "SELECT * FROM ingest_runs" --db {db}',
    ]
    if report is not None:
        lines += [
            f"report: {report}   (the HTML report of the demo store; open it in a browser)",
            f"transship serve --db {db}   # browse the store in a web browser",
        ]
    return lines
