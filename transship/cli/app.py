"""The `transship` command: a thin layer over the library, one module per stage."""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

from transship import __version__
from transship.cli import common, core

app = typer.Typer(
    name="transship",
    help=(
        "Find where arms and ammunition really go: ingest trade statistics, arms registers, "
        "licences, customs records, certificates and sanctions lists with provenance; find "
        "mirror gaps, hubs and routes; simulate diversion with ground truth."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

#: Stage modules that add commands; each has ``register(app)``.
STAGE_MODULES = (
    "transship.cli.core",
    "transship.cli.demo",
    "transship.cli.simulate",
    "transship.cli.flows",
    "transship.cli.routes",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"transship {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="More log output (stderr).")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only warnings and errors (stderr).")
    ] = False,
) -> None:
    """transship: where arms and ammunition really go."""
    common.setup_logging(verbose, quiet)


for _name in STAGE_MODULES:
    _module = core if _name == "transship.cli.core" else importlib.import_module(_name)
    _module.register(app)
