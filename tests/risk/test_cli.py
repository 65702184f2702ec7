"""`transship check-certificate` and `transship assess` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from transship.cli.app import app
from transship.ingest.pipeline import ingest_paths
from transship.store import connect

runner = CliRunner()


def test_check_certificate_json(fixtures: Path, tmp_path: Path) -> None:
    path = fixtures / "risk" / "gulf_soviet_calibre_certificates.csv"
    result = runner.invoke(app, ["check-certificate", str(path), "--no-store", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [d["certificate_id"] for d in data] == ["SA-MOD-2015-0417", "SA-MOD-2015-0418"]
    assert all(any(f["code"] == "end_user.no_weapon_system" for f in d["findings"]) for d in data)


def test_bad_certificate_is_one_line_exit_1(fixtures: Path) -> None:
    path = fixtures / "risk" / "bad_encoding.csv"
    result = runner.invoke(app, ["check-certificate", str(path), "--no-store"])
    assert result.exit_code == 1
    assert "bad_encoding.csv, line 4: not UTF-8" in result.output
    assert "Traceback" not in result.output


def test_usage_errors_exit_2(fixtures: Path) -> None:
    assert runner.invoke(app, ["check-certificate"]).exit_code == 2
    assert runner.invoke(app, ["assess"]).exit_code == 2
    both = ["assess", "--licence-id", "X", "--all"]
    assert runner.invoke(app, both).exit_code == 2


def test_assess_licence_id_note_and_html(fixtures: Path, tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    risk = fixtures / "risk"
    with connect(db) as store:
        ingest_paths(
            store, [risk / "kenya_122mm_certificate.csv", risk / "kenya_122mm_licence.csv"]
        )
    page = tmp_path / "note.html"
    result = runner.invoke(
        app, ["assess", "--licence-id", "RS-2024-0777", "--db", str(db), "--html", str(page)]
    )
    assert result.exit_code == 0, result.output
    assert "FILE NOTE" in result.stdout and "What was NOT checked" in result.stdout
    assert "party screening NOT RUN" in result.stdout
    assert page.read_text(encoding="utf-8").startswith("<!doctype html>")
    missing = runner.invoke(app, ["assess", "--licence-id", "NOPE", "--db", str(db)])
    assert missing.exit_code == 1 and "no licence 'NOPE'" in missing.output


def test_assess_licence_file_json(fixtures: Path) -> None:
    risk = fixtures / "risk"
    result = runner.invoke(
        app,
        [
            "assess",
            "--licence",
            str(risk / "kenya_122mm_licence.csv"),
            "--certificate",
            str(risk / "kenya_122mm_certificate.csv"),
            "--no-store",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    (a,) = json.loads(result.stdout)
    assert a["subject"] == "RS-2024-0777" and 0 <= a["score"] <= 1
    assert {i["code"] for i in a["indicators"]} >= {"end_user_plausibility", "governance"}
