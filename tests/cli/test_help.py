"""Every command has help, and the generated CLI and settings pages are up to date."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from transship import __version__
from transship.cli.app import app
from transship.cli.docgen import ROOT, command_names, render_cli, render_settings

runner = CliRunner()
CORE = {"ingest", "runs", "rejects", "sql", "export", "demo", "formats", "tables"}


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"transship {__version__}"


def test_core_commands_present() -> None:
    assert CORE <= set(command_names())


@pytest.mark.parametrize("name", command_names())
def test_every_command_has_help(name: str) -> None:
    result = runner.invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    import typer.main

    from transship.cli.app import app as a

    cmd = typer.main.get_command(a).commands[name]  # type: ignore[attr-defined]
    assert cmd.help and len(cmd.help.strip()) > 20, f"{name} needs a real help text"


def test_unknown_option_is_usage_error() -> None:
    result = runner.invoke(app, ["runs", "--no-such-flag"])
    assert result.exit_code == 2


def test_docs_are_current() -> None:
    cli = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert cli == render_cli(), "docs/cli.md is stale: run python -m transship.cli.docgen"
    assert (ROOT / "docs" / "settings.md").read_text(encoding="utf-8") == render_settings()
