"""`transship claims check|extract|sources`: JSON with every claim's span, worst findings
first, a standalone escaped HTML page, one-line errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from transship.cli.app import app
from transship.ingest.pipeline import ingest_paths
from transship.store import connect

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "cases" / "serbia-2025"


@pytest.fixture(autouse=True)
def _no_default_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run where no ./transship.duckdb exists, so no stray store is read."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRANSSHIP_DB", raising=False)


def test_check_case_json(shared_data: Path) -> None:
    press = shared_data / "press-claims" / "claims.jsonl"
    r = runner.invoke(app, ["claims", "check", "--case", str(CASE), str(press), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["summary"]["claims"] == 22 + 9
    ids = [c["id"] for c in out["claims"]]
    assert "SR05" in ids and "C01" in ids
    for c in out["claims"]:
        assert c["span"][1] > c["span"][0] and c["excerpt"], c["id"]
        assert c["reliability"] in "ABCDEF" and 1 <= c["credibility"] <= 6
        assert c["reliability_reasons"] and c["credibility_reasons"]
    # worst first: the first finding is high, the claims with high findings lead the list
    assert out["findings"][0]["severity"] == "high"
    assert out["claims"][0]["findings"]
    # FT's EUR 800 million: SR03, SR04, SR18 and the press claim C01 are one origin
    g = next(g for g in out["groups"] if "C01" in g["members"])
    assert {"SR03", "SR18", "C01"} <= set(g["members"]) and g["independent_origins"] == 1
    assert "no store" in out["not_checked"][0]


def test_check_with_store_and_html(tmp_path: Path, fixtures: Path) -> None:
    db = tmp_path / "t.duckdb"
    with connect(db) as store:
        ingest_paths(store, [fixtures / "comtrade_plus_9306.csv"])
    claims = tmp_path / "mine.jsonl"
    claims.write_text(
        json.dumps(
            {
                "id": "X1",
                "claim": "Serbia exported ammunition worth USD 10 million in 2022 <script>alert(1)</script>.",
                "quantity": 10000000,
                "currency": "USD",
                "period": "2022",
                "origin": "RS",
                "original_source": "Reuters, 2023-02-01",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    page = tmp_path / "out" / "claims.html"
    r = runner.invoke(
        app, ["claims", "check", str(claims), "--db", str(db), "--html", str(page), "--json"]
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["data_checks"][0]["verdict"] == "consistent" and out["simulated"] is True
    html = page.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "X1" in html and "consistent" in html


def test_check_text_output() -> None:
    r = runner.invoke(app, ["claims", "check", "--case", str(CASE)])
    assert r.exit_code == 0, r.output
    assert "HIGH   attribution.unit  [SR05]" in r.stdout
    assert "TIV" in r.stdout


def test_sources_json() -> None:
    r = runner.invoke(app, ["claims", "sources", "--json"])
    assert r.exit_code == 0
    ids = {s["id"] for s in json.loads(r.stdout)["sources"]}
    assert {"sipri-atdb", "svr", "rzs", "ft"} <= ids


def test_usage_and_input_errors(tmp_path: Path) -> None:
    r = runner.invoke(app, ["claims", "check"])
    assert r.exit_code == 2
    r = runner.invoke(app, ["claims", "check", str(tmp_path / "missing.txt")])
    assert r.exit_code == 1
    assert r.stderr.strip().startswith("error: ") and len(r.stderr.strip().splitlines()) == 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "B1"}\n', encoding="utf-8")
    r = runner.invoke(app, ["claims", "check", str(bad)])
    assert r.exit_code == 1 and "line 1" in r.stderr
    r = runner.invoke(app, ["claims", "check", "--case", str(tmp_path)])
    assert r.exit_code == 1 and "no claims.jsonl" in r.stderr
    r = runner.invoke(
        app, ["claims", "check", "--case", str(CASE), "--db", str(tmp_path / "no.duckdb")]
    )
    assert r.exit_code == 1 and "no store" in r.stderr
    src = tmp_path / "s.csv"
    src.write_text("id,name,type,reliability\nx,X,outlet,Q\n", encoding="utf-8")
    r = runner.invoke(app, ["claims", "check", "--case", str(CASE), "--sources", str(src)])
    assert r.exit_code == 1 and "reliability 'Q'" in r.stderr


def test_extract_json(shared_dir: Path) -> None:
    md = ROOT / "tests" / "claims" / "fixtures" / "sr_latn_municija.md"
    target = md if md.exists() else shared_dir / "seed" / "serbia-ammunition-exports-report.txt"
    r = runner.invoke(app, ["claims", "extract", str(target), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out[0]["document"]["sha256"] and "text" not in out[0]["document"]
    assert all(c["span"][1] > c["span"][0] for c in out[0]["claims"])
