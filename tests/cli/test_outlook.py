"""`transship outlook dependencies|scenario|ach` on the shipped Serbia case."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from transship.cli.app import app

runner = CliRunner()
CASE = Path(__file__).resolve().parents[2] / "cases" / "serbia-2025"


def test_scenario_json_and_html(tmp_path: Path) -> None:
    page = tmp_path / "s.html"
    result = runner.invoke(
        app,
        [
            "outlook",
            "scenario",
            str(CASE),
            "--runs",
            "2000",
            "--seed",
            "1",
            "--json",
            "--html",
            str(page),
        ],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert [s["id"] for s in body["scenarios"]] == [
        "gas-cut-30",
        "gas-cut-full-6m",
        "nis-sanctions-enforced",
    ]
    gas = body["scenarios"][0]
    assert gas["runs"] == 2000 and gas["sensitivity"] and gas["assumptions"]
    assert all(p["claim"] or p["assumption"] or p["lever"] for p in gas["parameters"])
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html and "SO02" in html and "<svg" in html


def test_scenario_text_names_the_sensitive_parameters() -> None:
    result = runner.invoke(
        app, ["outlook", "scenario", str(CASE / "scenarios.yaml"), "--runs", "1000"]
    )
    assert result.exit_code == 0, result.output
    assert "most sensitive to:" in result.output and "SO06" in result.output


def test_ach_csv_html_and_text(tmp_path: Path) -> None:
    matrix, page = tmp_path / "m.csv", tmp_path / "a.html"
    result = runner.invoke(
        app, ["outlook", "ach", str(CASE), "--csv", str(matrix), "--html", str(page)]
    )
    assert result.exit_code == 0, result.output
    assert "not diagnostic" in result.output and "weak-graded evidence dropped" in result.output
    assert matrix.read_text(encoding="utf-8").startswith("item,claim,grade")
    assert "<script" not in page.read_text(encoding="utf-8")


def test_dependencies_table_and_graph() -> None:
    result = runner.invoke(app, ["outlook", "dependencies", str(CASE)])
    assert result.exit_code == 0, result.output
    assert "RU (Gazprom) --[energy: natural gas]--> RS (Serbia)" in result.output


def test_bad_file_is_one_line_exit_1(tmp_path: Path) -> None:
    (tmp_path / "claims.jsonl").write_text("", encoding="utf-8")
    bad = tmp_path / "scenarios.yaml"
    bad.write_text("scenarios:\n  - {id: x, model: nope}\n", encoding="utf-8")
    result = runner.invoke(app, ["outlook", "scenario", str(bad)])
    assert result.exit_code == 1
    assert (
        result.output.count("\n") == 1
        and "line 2" in result.output
        and "unknown model" in result.output
    )
