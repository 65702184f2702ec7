"""`transship screen` on the command line: names, CSV files, lists, JSON, errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from transship.cli.app import app

runner = CliRunner()
ZALA = "opensanctions-ftm-fixtures/zala_entities.ftm.jsonl"


def test_screen_names_against_a_list_file(shared_data: Path) -> None:
    result = runner.invoke(
        app,
        ["screen", "Izhmash OJSC", "Sloboda Trgovina", "--list", str(shared_data / ZALA)],
        env={"COLUMNS": "250"},
    )
    assert result.exit_code == 0, result.output
    assert "JSC Kalashnikov Concern" in result.stdout
    assert "izhmash=izhmash" in result.stdout  # the match explains itself
    assert "no match at 0.7" in result.stderr
    assert "Sloboda Trgovina" in result.stderr


def test_screen_json_is_a_yente_match_response(shared_data: Path, tmp_path: Path) -> None:
    csv = tmp_path / "parties.csv"
    csv.write_text("id,name,schema\nk,Концерн Калашников,Company\n", encoding="utf-8")
    result = runner.invoke(
        app,
        ["screen", "--file", str(csv), "--list", str(shared_data / ZALA), "--json", "--limit", "1"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    top = data["responses"]["k"]["results"][0]
    assert top["id"] == "NK-nR5AXM9AVPq4pQaSPSaVam"
    assert top["match"] is True
    assert "name_match" in top["explanations"]
    assert data["limit"] == 1


def test_screen_a_dataset_in_the_store(shared_data: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    ingested = runner.invoke(
        app, ["ingest", str(shared_data / ZALA), "--db", str(db), "--dataset", "zala"]
    )
    assert ingested.exit_code == 0, ingested.output
    for args in (["--list", "zala"], []):  # named, and every FtM dataset by default
        result = runner.invoke(app, ["screen", "Zala Aero", "--db", str(db), "--json", *args])
        assert result.exit_code == 0, result.output
        top = json.loads(result.stdout)["responses"]["q1"]["results"][0]
        assert top["caption"] in ("LLC CST", "ZALA AERO JSC") or "Zala" in top["caption"]


def test_bad_input_is_one_line_and_exit_1(
    shared_data: Path, tmp_path: Path, fixtures: Path
) -> None:
    bad_list = runner.invoke(
        app, ["screen", "X", "--list", str(fixtures / "bad_entities.ftm.jsonl")]
    )
    assert bad_list.exit_code == 1
    assert "line 2" in bad_list.stderr and "schema" in bad_list.stderr
    assert len(bad_list.stderr.strip().splitlines()) == 1
    no_store = runner.invoke(app, ["screen", "X", "--db", str(tmp_path / "none.duckdb")])
    assert no_store.exit_code == 1
    assert "--list" in no_store.stderr


def test_usage_errors_exit_2(shared_data: Path) -> None:
    lst = str(shared_data / ZALA)
    assert runner.invoke(app, ["screen", "--list", lst]).exit_code == 2
    assert runner.invoke(app, ["screen", "X", "--threshold", "1.5", "--list", lst]).exit_code == 2
    assert runner.invoke(app, ["screen", "X", "--limit", "0", "--list", lst]).exit_code == 2


def test_a_large_batch_on_workers_reads_as_in_one_process(
    shared_data: Path, tmp_path: Path
) -> None:
    """More than 500 names go to forked workers with --workers 2 (what the screening
    benchmark measures); the answer is the one the command gives in its own process. The
    683 spelling variants of the UN list, screened against every tenth untreated UN name."""
    import csv

    un = shared_data / "opensanctions-ftm-fixtures"
    with open(un / "un_sanctions_positives_treated.csv", encoding="utf-8") as f:
        names = [r["full_name"] for r in csv.DictReader(f)]
    assert len(names) > 500
    queries = tmp_path / "parties.csv"
    with open(queries, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "name", "schema"])
        w.writerows([f"q{i}", n, "Person"] for i, n in enumerate(names))
    lst = tmp_path / "un.ftm.jsonl"
    with (
        open(un / "un_sanctions_positives_untreated.csv", encoding="utf-8") as f,
        open(lst, "w", encoding="utf-8") as out,
    ):
        kept = [r for i, r in enumerate(csv.DictReader(f)) if i % 10 == 0]
        for i, r in enumerate(kept):
            entity = {"id": f"un-{i}", "schema": "Person", "properties": {"name": [r["full_name"]]}}
            out.write(json.dumps(entity) + "\n")
    answers = []
    for workers in ("1", "2"):
        result = runner.invoke(
            app,
            ["screen", "--file", str(queries), "--list", str(lst), "--json", "--workers", workers],
        )
        assert result.exit_code == 0, result.output
        answers.append(json.loads(result.output))
    assert answers[0] == answers[1]
    matched = sum(1 for r in answers[0]["responses"].values() if r["results"])
    assert matched >= 0.9 * len(kept)
    bad = runner.invoke(app, ["screen", "X", "--workers", "0", "--list", str(lst)])
    assert bad.exit_code == 2
