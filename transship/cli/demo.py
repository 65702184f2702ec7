"""`transship demo`: the main job, end to end, on the shipped Serbia 2025 case."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from transship.cli.common import JsonOption, emit_json, err_console, handle_errors, out_console
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
    err_console.print(message, highlight=False)


def _print(report: DemoReport) -> None:
    c = out_console
    c.rule("[bold]transship demo: Serbia 2025[/bold]")
    c.print(f"store: {report.store}")
    c.print("\n[bold]What the store holds[/bold] (rows; SIMULATED rows counted apart)")
    for row in report.tables:
        sim = f"  ({row['simulated']:,} SIMULATED)" if row.get("simulated") else ""
        c.print(f"  {row['table']:<22} {row['rows']:>10,}{sim}")
    for section in report.sections:
        c.print(f"\n[bold]{section['title']}[/bold]")
        for line in section["lines"]:
            c.print(f"  {line}", highlight=False, soft_wrap=True)
    c.print("\n[bold]Stages not built yet[/bold]")
    for name, what in report.not_built.items():
        c.print(f"  {name:<10} {what}")
    c.print(
        f'\nExplore: transship tables --db {report.store}   |   transship sql "..." --db {report.store}'
    )
