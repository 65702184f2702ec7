"""The `transship` command: a thin layer over the library, one module per stage."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer

# Typer 0.29 carries its own copy of click; its usage errors are these classes, not click's.
from typer._click import exceptions as click_errors
from typer.core import TyperGroup

from transship import __version__
from transship.cli import common, core


class OneLineErrors(TyperGroup):
    """The command group, with every usage error as one line on stderr and exit code 2.

    Typer draws click's usage errors as a boxed block (usage line, hint, error); a user
    scanning a log or a script's output wants the one rule every command follows:
    ``error: <what>`` on one line, exit 0 success, 1 bad input or data, 2 usage.
    """

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        run = super().main
        if not standalone_mode:
            return run(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            code = run(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except click_errors.NoArgsIsHelpError as exc:
            exc.show()  # bare `transship`: the help, as a usage error
            sys.exit(exc.exit_code)
        except click_errors.UsageError as exc:
            hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
            common.print_error(exc.format_message().rstrip(".") + hint)
            sys.exit(exc.exit_code)
        except click_errors.ClickException as exc:
            common.print_error(exc.format_message())
            sys.exit(exc.exit_code)
        except typer.Abort:
            common.print_error("aborted")
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=OneLineErrors,
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
    "transship.cli.reconcile",
    "transship.cli.serve",
    "transship.cli.report",
    "transship.cli.screen",
    "transship.cli.parties",
    "transship.cli.risk",
    "transship.cli.claims",
    "transship.cli.outlook",
    "transship.cli.fetch",
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
