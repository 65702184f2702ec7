"""`transship report`: one self-contained HTML file (and a PDF) of a store, on real UN
Comtrade files, on a simulated case, and with hostile and Cyrillic names."""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.serve.web.hostile import FORBIDDEN, HOSTILE
from transship import cases
from transship.cli.app import app
from transship.ingest.pipeline import ingest_paths
from transship.report.html import report_data, write_report
from transship.store import Store, connect

#: Two years of real UN Comtrade chapter-44 (wood) statistics, read in place.
WOOD = ("comtrade_wood_hs44_2014.csv", "comtrade_wood_hs44_2015.csv")
CYRILLIC = "Крушик"


@pytest.fixture(scope="module")
def real_db(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("report-real") / "real.duckdb"
    folder = shared_data / "comtrade-hs2-oil-wood-sample"
    with connect(db) as store:
        results = ingest_paths(store, [folder / name for name in WOOD])
        assert all(r.status == "ok" for r in results), [r.message for r in results]
    return db


def _external_refs(html: str) -> list[str]:
    """Anything that would make a browser fetch: scripts, stylesheets, images, fonts,
    frames, CSS url()/@import (plain <a href> links are not fetched and are allowed)."""
    found = re.findall(r"<(?:script|link|img|iframe|object|embed|image)\b[^>]*>", html, re.I)
    found += re.findall(r"url\(|@import", html)
    found += re.findall(r"\b(?:src|xlink:href)\s*=", html)
    return found


def test_report_on_real_comtrade_is_self_contained_and_traceable(
    real_db: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    with connect(real_db, read_only=True) as store:
        assert write_report(store, out) == out
        sources = {r[0]: r[1] for r in store.fetchall("SELECT path, sha256 FROM sources")}
    html = out.read_text(encoding="utf-8")
    assert not _external_refs(html), _external_refs(html)
    assert "SIMULATED" not in html  # real data is never labelled simulated
    # every figure has a caption and a source line naming the data and its years
    assert html.count("<figure>") >= 3
    assert html.count("Source: UN Comtrade, reporter reports, 2014–2015") >= 3
    for n in (1, 2, 3, 4):
        assert f"Figure {n}." in html
    assert html.count("<svg") >= 4
    # routes of the largest chapter with names beside codes
    assert "2. Routes of HS chapter 44 from " in html
    # hovering a Sankey band or a map line names its largest evidence rows, file and line
    row = r"[^<]*comtrade_wood_hs44_201[45]\.csv, line \d+"
    assert re.search(r"<title>[^<]*evidence rows:\n" + row, html)
    assert re.search(r"<title>[A-Z]{3} → [A-Z]{3}: [^<\n]*\n" + row, html)
    # the provenance appendix lists each file behind the figures, with sha256 and rows
    appendix = html[html.index("Appendix: provenance") :]
    for path, sha in sources.items():
        assert Path(path).name in appendix and sha in appendix
    assert re.search(r"routes: \d+", appendix) and re.search(r"hubs: \d+", appendix)


def test_report_data_cites_rows_that_exist(real_db: Path) -> None:
    with connect(real_db, read_only=True) as store:
        data = report_data(store)
        total = sum(f["rows_total"] for f in data["provenance"])
        ids = {i for r in data["routes"]["routes"] for g in r["legs"] for i in g["record_ids"]}
        assert ids and total >= len(ids) > 0
        found = store.fetchall(
            "SELECT count(*) FROM trade_flows WHERE record_id IN (SELECT unnest(?::VARCHAR[]))",
            [sorted(ids)],
        )[0][0]
    assert found == len(ids)
    assert data["simulated"] is False and data["simulation"] is None
    json.dumps(data)  # the data behind the report is plain JSON


def _entities(path: Path) -> Path:
    lines = []
    for i, name in enumerate([CYRILLIC, *HOSTILE]):
        entity = {
            "id": f"ts-test-party-{i}",
            "schema": "Company",
            "properties": {"name": [name], "country": ["rs"]},
            "datasets": ["test_hand_made"],
        }
        lines.append(json.dumps(entity, ensure_ascii=False))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _pdf_text(pdf: bytes) -> tuple[set[str], set[str]]:
    """Font names and the characters the PDF's ToUnicode maps give its glyphs."""
    fonts: set[str] = set()
    chars: set[str] = set()
    for m in re.finditer(rb"stream\r?\n", pdf):
        end = pdf.find(b"endstream", m.end())
        try:
            body = zlib.decompress(pdf[m.end() : end])
        except zlib.error:
            continue
        fonts.update(x.decode() for x in re.findall(rb"/BaseFont\s*/([\w+-]+)", body))
        if b"beginbfchar" in body or b"beginbfrange" in body:
            for _, uni in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", body):
                if len(uni) % 4 == 0:
                    chars.update(bytes.fromhex(uni.decode()).decode("utf-16-be", "replace"))
    return fonts, chars


def test_pdf_renders_cyrillic_names_and_html_escapes_hostile_ones(
    fixtures: Path, tmp_path: Path
) -> None:
    db = tmp_path / "names.duckdb"
    with connect(db) as store:
        results = ingest_paths(
            store,
            [fixtures / "comtrade_plus_9306.csv", _entities(tmp_path / "parties.ftm.jsonl")],
        )
        assert all(r.status == "ok" for r in results), [r.message for r in results]
    out, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    with connect(db, read_only=True) as store:
        write_report(store, out, pdf=pdf)
    html = out.read_text(encoding="utf-8")
    assert CYRILLIC in html
    for bad in FORBIDDEN:
        assert bad not in html, bad
    assert "&lt;script&gt;alert(&#34;xss-1&#34;)&lt;/script&gt;" in html
    assert "=cmd|&#39; /C calc&#39;!A0" in html
    body = pdf.read_bytes()
    assert body.startswith(b"%PDF-")
    fonts, chars = _pdf_text(body)
    assert any("DejaVu" in f for f in fonts), fonts
    assert set(CYRILLIC) <= chars, sorted(set(CYRILLIC) - chars)


def _simulated_store(tmp_path: Path) -> Store:
    from transship.simulate import run as simulate

    sim = simulate(cases.default_case(), tmp_path / "sim", seed=3, scale=0.3)
    store = connect(tmp_path / "sim.duckdb")
    results = ingest_paths(store, [sim.data_dir])
    assert all(r.status == "ok" for r in results)
    return store


def test_report_on_a_simulation_sets_planted_beside_found(tmp_path: Path) -> None:
    with _simulated_store(tmp_path) as store:
        out = write_report(
            store,
            tmp_path / "report.html",
            origin="SRB",
            destination="UKR",
            product="9306",
            break_date="2022-02",
            evaluation=[
                {
                    "stage": "routes:comtrade",
                    "noise": "medium",
                    "precision": 0.5,
                    "recall": 0.25,
                    "f1": 0.33,
                    "support": 11,
                    "average_precision": 0.41,
                    "baselines": {
                        "largest_flows": {"average_precision": 0.17},
                        "random": {"average_precision": 0.02},
                    },
                }
            ],
        )
    html = out.read_text(encoding="utf-8")
    assert "SIMULATED DATA — this report is made from data written by" in html
    assert "Simulation: planted against found" in html
    planted = html[html.index("Table 6.") : html.index("Table 7.")]
    assert "Serbia (SRB) → Czechia (CZE) → Ukraine (UKR)" in planted
    assert "found" in planted or "missed" in planted
    assert "routes:comtrade" in html  # the evaluation rows passed in
    # each quality figure beside the baselines ranking the same candidates
    quality = html[html.index("Table 8.") : html.index("Appendix: provenance")]
    assert re.search(r">0\.41<.*largest_flows 0\.17; random 0\.02", quality, re.S), quality
    # the figures say SIMULATED inside the pictures, not only around them
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) >= 3 and all("SIMULATED" in s for s in svgs)


def test_cli_report_writes_html_and_graphs(real_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    gexf, graphml = tmp_path / "routes.gexf", tmp_path / "routes.graphml"
    result = CliRunner().invoke(
        app,
        [
            "report",
            "--db",
            str(real_db),
            "--out",
            str(out),
            "--gexf",
            str(gexf),
            "--graphml",
            str(graphml),
        ],
    )
    assert result.exit_code == 0, result.output
    assert out.exists() and gexf.read_bytes().startswith(b"<?xml")
    assert b"graphml" in graphml.read_bytes()
    assert str(out) in result.output
    missing = CliRunner().invoke(
        app, ["report", "--db", str(tmp_path / "none.duckdb"), "--out", str(out)]
    )
    assert missing.exit_code == 1 and "no store" in missing.output
