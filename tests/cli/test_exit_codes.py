"""One rule for exit codes and messages (issue 10, point 10).

0 success, "nothing found" included (and said on stderr); 1 bad input or a data error;
2 a usage error. Every error is one line. A wrong --db never creates a store; folder
ingest skips files of no known format; a file that fails is listed by `transship runs`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from transship.cli.app import app

runner = CliRunner()
FTM_FIXTURES = "opensanctions-ftm-fixtures"
SIPRI = "sipri-trade-register/trade_register_1995_2025.csv"
COMTRADE_2017 = "comtrade-hs2-oil-wood-sample/comtrade_oil_hs27_2017.csv"


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"one line expected, got: {stderr!r}"
    assert lines[0].startswith("error: "), lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["runs", "--no-such-flag"], "No such option: --no-such-flag"),
        (["ingest"], "Missing argument"),
        (["rejects", "--run", "abc"], "'--run'"),
        (["no-such-command"], "No such command"),
        (["ingest", ".", "--format", "nope"], "unknown format 'nope'"),
        (["hubs", "--engine", "nope"], "'--engine'"),
        (["mirror", "--limit", "0"], "'--limit'"),
        (["routes", "--origin", "SRB", "--max-hops", "9"], "'--max-hops'"),
    ],
)
def test_usage_errors_exit_2_on_one_line(tmp_path: Path, args: list[str], says: str) -> None:
    db = tmp_path / "none.duckdb"
    extra = ["--db", str(db)] if args[0] in ("ingest", "hubs", "mirror", "routes") else []
    r = runner.invoke(app, [*args, *extra])
    assert r.exit_code == 2, r.output
    line = _one_error_line(r.stderr)
    assert says in line
    assert "╭" not in r.output and "Usage:" not in r.output
    assert not db.exists(), "a usage error must not create a store"


@pytest.mark.parametrize(
    "args",
    [
        ["runs"],
        ["rejects"],
        ["tables"],
        ["sql", "SELECT 1"],
        ["export", "arms_transfers"],
        ["mirror"],
        ["hubs"],
        ["routes", "--origin", "SRB"],
    ],
)
def test_wrong_db_is_an_error_and_creates_nothing(tmp_path: Path, args: list[str]) -> None:
    db = tmp_path / "typo.duckdb"
    r = runner.invoke(app, [*args, "--db", str(db)])
    assert r.exit_code == 1, r.output
    assert f"no store at {db}" in _one_error_line(r.stderr)
    assert not db.exists() and not list(tmp_path.iterdir())


def test_ingest_of_missing_files_creates_no_store(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    r = runner.invoke(app, ["ingest", str(tmp_path / "nope.csv"), "--db", str(db)])
    assert r.exit_code == 1
    assert "no such file" in _one_error_line(r.stderr)
    assert not db.exists()
    (tmp_path / "empty").mkdir()
    r = runner.invoke(app, ["ingest", str(tmp_path / "empty"), "--db", str(db)])
    assert r.exit_code == 1
    assert "no data files found" in _one_error_line(r.stderr)
    assert not db.exists()


@pytest.mark.parametrize("args", [["mirror"], ["hubs"], ["routes", "--origin", "SRB"]])
def test_flows_commands_on_a_store_without_trade_flows(
    tmp_path: Path, shared_data: Path, args: list[str]
) -> None:
    """`hubs` and `mirror` behave as `routes` does: nothing to analyse is an error (exit 1)
    naming the store and how to fill it, with the --db in use."""
    db = tmp_path / "s.duckdb"
    assert runner.invoke(app, ["ingest", str(shared_data / SIPRI), "--db", str(db)]).exit_code == 0
    r = runner.invoke(app, [*args, "--db", str(db)])
    assert r.exit_code == 1, r.output
    line = _one_error_line(r.stderr)
    assert "no trade flows" in line and f"--db {db}" in line
    assert r.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ["mirror", "--product", "93"],
        ["hubs", "--product", "93"],
        ["routes", "--origin", "SRB", "--product", "93"],
    ],
)
def test_nothing_found_is_success_and_said(
    tmp_path: Path, shared_data: Path, args: list[str]
) -> None:
    db = tmp_path / "s.duckdb"
    ok = runner.invoke(app, ["ingest", str(shared_data / COMTRADE_2017), "--db", str(db)])
    assert ok.exit_code == 0, ok.output
    r = runner.invoke(app, [*args, "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert r.stdout == "" and r.stderr.strip().startswith("no ")
    r = runner.invoke(app, [*args, "--db", str(db), "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout) == []


def test_folder_ingest_skips_unknown_formats(tmp_path: Path, shared_data: Path) -> None:
    db = tmp_path / "s.duckdb"
    r = runner.invoke(app, ["ingest", str(shared_data / FTM_FIXTURES), "--db", str(db), "--json"])
    assert r.exit_code == 0, r.output
    results = {Path(x["file"]).name: x for x in json.loads(r.stdout)}
    assert results["zala_entities.ftm.jsonl"]["status"] == "ok"
    assert results["eu_fsf_t1_entities.ftm.jsonl"]["status"] == "ok"
    skipped = [n for n, x in results.items() if x["status"] == "skipped"]
    assert sorted(skipped) == sorted(n for n in results if n.endswith(".csv")) and skipped
    assert {results[n]["message"] for n in skipped} == {"no known format"}
    r = runner.invoke(app, ["ingest", str(shared_data / FTM_FIXTURES), "--db", str(tmp_path / "t")])
    assert r.exit_code == 0
    assert sum("no known format" in line for line in r.stderr.splitlines()) == len(skipped)


def test_a_named_file_of_no_known_format_fails_and_is_in_runs(
    tmp_path: Path, shared_data: Path
) -> None:
    db = tmp_path / "s.duckdb"
    csv = shared_data / FTM_FIXTURES / "ofac_name_matching_fixtures.csv"
    r = runner.invoke(app, ["ingest", str(csv), "--db", str(db)])
    assert r.exit_code == 1, r.output
    assert "not a format transship recognises" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    runs = json.loads(runner.invoke(app, ["runs", "--db", str(db), "--json"]).stdout)
    assert [(x["file"], x["status"]) for x in runs] == [(str(csv), "failed")]
    assert runs[0]["sha256"] and "not a format" in runs[0]["message"]


def test_hints_name_the_store_in_use(tmp_path: Path, fixtures: Path) -> None:
    db = tmp_path / "my store.duckdb"
    args = ["ingest", str(fixtures / "licences.csv"), "--max-reject-share", "1", "--db", str(db)]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert f"see `transship rejects --run 1 --db '{db}'`" in r.stderr
    r = runner.invoke(app, ["rejects", "--run", "9", "--db", str(db)])
    assert r.exit_code == 1
    assert f"(see `transship runs --db '{db}'`)" in _one_error_line(r.stderr)


def test_multi_line_errors_are_one_line(tmp_path: Path, shared_data: Path) -> None:
    db = tmp_path / "s.duckdb"
    assert runner.invoke(app, ["ingest", str(shared_data / SIPRI), "--db", str(db)]).exit_code == 0
    r = runner.invoke(app, ["sql", "SELECT no_such_column FROM arms_transfers", "--db", str(db)])
    assert r.exit_code == 1
    _one_error_line(r.stderr)
