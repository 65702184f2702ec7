"""Fixtures of the resolve tests.

``wide_console`` (every test here): the CLI's tables are as wide as the terminal (rich reads
COLUMNS when its console is made, else the size of the terminal pytest runs in), and below
about 80 columns a caption column wraps ("ZALA AERO", "JSC Kalashnikov Concern" over two
lines): the table checks of test_remote.py and test_cli_screen.py failed in a narrow
terminal (COLUMNS=60 reproduces it; a ``COLUMNS`` given to CliRunner comes too late when the
console was made with one). Both consoles are fixed at 250 columns, so that the checks are
about the content, not the terminal.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    from transship.cli.common import err_console, out_console

    for console in (out_console, err_console):
        monkeypatch.setattr(console, "_width", 250)
