"""Data is printed as data: never read as markup, control characters visible, numbers whole.

Issue 10, point 2: a value or a path holding ``[/bold]`` crashed `sql`, `runs`, `rejects`
and `ingest` with rich's MarkupError, valid tags in data vanished (the ingest summary lost
its ``[format, run N]`` suffix), escape sequences reached the terminal, and a narrow or
non-TTY console printed ``389,914,611`` as ``389,9`` / ``14,61`` / ``1``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from tests.ingest.test_revisions import REGISTER_ROW
from transship.cli import common
from transship.cli.app import app
from transship.cli.docgen import ROOT

runner = CliRunner()
SIPRI = "sipri-trade-register/trade_register_1995_2025.csv"


@pytest.fixture
def narrow(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 40-column console that is not a terminal, as in a pipe or a small window."""
    monkeypatch.setattr(common, "out_console", Console(width=40, force_terminal=False))
    monkeypatch.setattr(common, "err_console", Console(width=40, stderr=True))


def test_sql_value_with_markup_is_printed_as_is(tmp_path: Path, shared_data: Path) -> None:
    db = tmp_path / "s.duckdb"
    assert runner.invoke(app, ["ingest", str(shared_data / SIPRI), "--db", str(db)]).exit_code == 0
    q = "SELECT '[/bold]' AS a, '[bold]x[/bold]' AS \"[red]b\""
    r = runner.invoke(app, ["sql", q, "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert "[/bold]" in r.stdout and "[bold]x[/bold]" in r.stdout and "[red]b" in r.stdout
    assert "MarkupError" not in r.output


def test_ingest_summary_keeps_its_suffix_and_odd_paths(tmp_path: Path, shared_data: Path) -> None:
    folder = tmp_path / "x[" / "bold]"  # the path reads ".../x[/bold]/[bold]register.csv"
    folder.mkdir(parents=True)
    odd = folder / "[bold]register.csv"
    shutil.copy(shared_data / SIPRI, odd)
    db = tmp_path / "s.duckdb"
    r = runner.invoke(app, ["ingest", str(odd), "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert "[sipri-register, run 1]" in r.output
    assert "[bold]register.csv" in r.output
    assert len(r.output.strip().splitlines()) == 1, "one line per file: " + r.output
    for cmd in (["runs"], ["rejects"], ["tables"]):
        r = runner.invoke(app, [*cmd, "--db", str(db)])
        assert r.exit_code == 0, r.output
        assert "MarkupError" not in r.output
    r = runner.invoke(app, ["runs", "--db", str(db)], env={"COLUMNS": "400"})
    assert "x[/bold]/[bold]register.csv" in r.stdout


def test_control_characters_and_escape_sequences_are_shown_escaped(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    q = "SELECT chr(27) || '[31mred' || chr(27) || ']8;;http://x' || chr(7) || 'osc' AS v"
    common.open_store(db).close()  # an empty store to query
    r = runner.invoke(app, ["sql", q, "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout
    assert "\\x1b[31mred" in r.stdout and "\\x07osc" in r.stdout


def test_safe_escapes_c0_c1_and_bidi() -> None:
    assert common.safe("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert common.safe("tab\there\nnl") == "tab\\there\\nnl"
    assert common.safe("\x9b31m") == "\\x9b31m"
    assert common.safe("abc\u202edef") == "abc\\u202edef"
    assert common.safe("Kruševac 389,914,611") == "Kruševac 389,914,611"


def test_numbers_never_break_in_a_narrow_console(
    narrow: None, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        {
            "exporter": "Serbia, a long name that has to fold somewhere",
            "value USD": 389_914_611.0,
            "quantity": 1_234_567_890,
            "share": "12.34% [1.00-20.00]",
        }
    ]
    common.print_table(rows, title="narrow")
    out = capsys.readouterr().out
    assert "389,914,611" in out
    assert "1234567890" in out
    assert "12.34% [1.00-20.00]" in out
    # The text column folds instead.
    assert "Serbia, a long name that has to fold somewhere" not in out
    assert "fold" in out


def test_numbers_never_break_through_the_cli(tmp_path: Path, shared_data: Path) -> None:
    db = tmp_path / "s.duckdb"
    assert runner.invoke(app, ["ingest", str(shared_data / SIPRI), "--db", str(db)]).exit_code == 0
    q = (
        "SELECT 'a rather long supplier name here' AS supplier, 389914611.0::DOUBLE AS tiv, "
        "'another long text column that folds' AS note, 123456789012 AS n"
    )
    r = runner.invoke(app, ["sql", q, "--db", str(db)], env={"COLUMNS": "40"})
    assert r.exit_code == 0, r.output
    assert "389,914,611" in r.stdout and "123456789012" in r.stdout


def test_empty_results_say_so_on_stderr(tmp_path: Path, shared_data: Path) -> None:
    db = tmp_path / "s.duckdb"
    assert runner.invoke(app, ["ingest", str(shared_data / SIPRI), "--db", str(db)]).exit_code == 0
    r = runner.invoke(app, ["rejects", "--db", str(db)])
    assert r.exit_code == 0
    assert r.stdout == "" and "no rejected rows" in r.stderr
    r = runner.invoke(app, ["sql", "SELECT 1 AS a WHERE false", "--db", str(db)])
    assert r.exit_code == 0
    assert r.stdout == "" and "no rows" in r.stderr


def test_ingest_prints_one_line_per_file(tmp_path: Path, fixtures: Path, shared_data: Path) -> None:
    """A fresh store (migrations applied) and a reader with notes: still one line per file,
    not "applied migration" lines, a log line and a summary (issue 10, point 11)."""
    db = tmp_path / "fresh.duckdb"
    files = [fixtures / "comtrade_plus_bad.csv", shared_data / SIPRI]
    r = runner.invoke(app, ["ingest", *map(str, files), "--max-reject-share", "1", "--db", str(db)])
    assert r.exit_code == 0, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 2, r.stderr
    assert all("rows loaded" in line for line in lines)
    assert "migration" not in r.stderr


def test_simulate_output_folder_with_markup(tmp_path: Path) -> None:
    out = tmp_path / "sim[" / "bold]"  # ".../sim[/bold]" in every message naming the folder
    case = ROOT / "cases" / "serbia-2025"
    r = runner.invoke(app, ["simulate", str(case), "--out", str(out), "--seed", "1"])
    assert r.exit_code == 0, r.output
    assert f"transshipevaluate{out}" in "".join(r.stderr.split())


def test_tables_lists_revision_history_only_when_it_holds_rows(
    tmp_path: Path, shared_data: Path
) -> None:
    """A store that never saw a revised release lists no ``*_superseded`` tables; a revised
    SIPRI register (one TIV changed) makes ``arms_transfers_superseded`` appear with the
    whole revised deal in it."""
    db = tmp_path / "s.duckdb"
    original = shared_data / SIPRI
    assert runner.invoke(app, ["ingest", str(original), "--db", str(db)]).exit_code == 0
    r = runner.invoke(app, ["tables", "--json", "--db", str(db)])
    names = {t["table"] for t in json.loads(r.stdout)}
    assert "arms_transfers" in names and not [n for n in names if "_superseded" in n]
    data = original.read_bytes()
    assert data.count(REGISTER_ROW) == 1
    revised = tmp_path / "trade_register_revised.csv"
    revised.write_bytes(data.replace(REGISTER_ROW, REGISTER_ROW.replace(b",1.2,No;", b",1.3,No;")))
    r = runner.invoke(app, ["ingest", str(revised), "--db", str(db)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["tables", "--json", "--db", str(db)])
    rows = {t["table"]: t["rows"] for t in json.loads(r.stdout)}
    assert rows["arms_transfers_superseded"] >= 1
    assert "licences_superseded" not in rows
