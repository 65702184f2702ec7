"""`/api/certificates/check`, `/api/assess` and the certificate and assessment pages over a
small simulated store: answers the library gives, evidence resolved to record pages with file and line,
nothing stored, bad files named as the client named them, everything escaped."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from transship.ingest.pipeline import ingest_paths
from transship.serve.app import create_app
from transship.simulate import run
from transship.store import connect

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "risk"
KENYA = FIXTURES / "kenya_122mm_certificate.csv"
HOSTILE_NAME = '<script>alert("x")</script> Army & Co'


def _files(*paths: Path) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("file", (p.name, p.read_bytes(), "text/csv")) for p in paths]


def _hostile(tmp_path: Path) -> Path:
    text = KENYA.read_text("utf-8").replace("Kenya Defence Forces", HOSTILE_NAME.replace('"', "'"))
    path = tmp_path / "hostile.csv"
    path.write_text(text, "utf-8")
    return path


@pytest.fixture(scope="module")
def risk_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulation of the Serbia case, ingested: licence requests, certificates,
    customs records, statistics and the forces' register (all SIMULATED)."""
    folder = tmp_path_factory.mktemp("risk-serve")
    sim = run(ROOT / "cases" / "serbia-2025", folder / "sim", seed=2, scale=0.1, years="2023-2024")
    db = folder / "risk.duckdb"
    with connect(db) as store:
        results = ingest_paths(store, [sim.data_dir])
    assert all(r.status == "ok" for r in results)
    return db


@pytest.fixture(scope="module")
def client(risk_db: Path) -> Iterator[TestClient]:
    """A read-only server (no token): checks and assessments need none."""
    with TestClient(create_app(risk_db, token=None)) as c:
        yield c


@pytest.fixture(scope="module")
def licence_id(risk_db: Path) -> str:
    """A simulated licence request of the demo store whose assessment cites stored records."""
    with connect(risk_db, read_only=True) as store:
        rows = store.fetchall(
            "SELECT licence_id FROM licences WHERE status = 'issued' AND certificate_id IS NOT "
            "NULL ORDER BY licence_id LIMIT 1"
        )
    assert rows
    return str(rows[0][0])


def _counts(db: Path) -> tuple[int, int]:
    with connect(db, read_only=True) as store:
        certs = store.fetchall("SELECT count(*) FROM certificates")[0][0]
        sources = store.fetchall("SELECT count(*) FROM sources")[0][0]
    return int(certs), int(sources)


def test_assess_a_stored_licence(client: TestClient, licence_id: str) -> None:
    r = client.get("/api/assess", params={"licence_id": licence_id})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert body["subject"] == licence_id and body["kind"] == "licence"
    assert 0.0 <= body["score"] <= 1.0
    assert body["level"] in ("low", "medium", "high", "refuse-indicated")
    assert body["simulated"] is True
    codes = {i["code"] for i in body["indicators"]}
    assert {"certificate_document", "governance"} <= codes
    # every evidence reference is resolved; stored rows link to their record page with the
    # file they came from and the line
    refs = {e for i in body["indicators"] for e in i["evidence"]} | {
        e for f in body["findings"] for e in f["evidence"]
    }
    index = body["evidence_index"]
    assert refs and refs <= set(index)
    records = [v for v in index.values() if v["kind"] == "record"]
    assert records, index
    for rec in records:
        assert rec["href"].startswith("/records/") and rec["file"] and rec["line"] >= 1
    page = client.get(records[0]["href"])
    assert page.status_code == 200


def test_assess_errors(client: TestClient) -> None:
    r = client.get("/api/assess", params={"licence_id": "NO-SUCH-LICENCE"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert client.get("/api/assess").status_code == 422  # licence_id is required
    assert client.get("/api/assess", params={"licence_id": ""}).status_code == 422
    assert client.get("/api/assess", params={"licence_id": "x" * 201}).status_code == 422


def test_assess_declares_only_what_it_answers(client: TestClient) -> None:
    """A GET has no upload: its schema promises no 400 form error, 413 or 415; the uploads
    find no licence by id: no 404. Every declared error is the one error shape."""
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths["/api/assess"]["get"]["responses"]) == {"200", "404", "422", "503"}
    for path in ("/api/assess", "/api/certificates/check"):
        post = paths[path]["post"]["responses"]
        assert set(post) == {"200", "400", "413", "415", "422", "503"}, path
    for op in (paths["/api/assess"]["get"], paths["/api/assess"]["post"]):
        for status, said in op["responses"].items():
            if status != "200":
                ref = said["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorBody"), status


def test_check_uploaded_certificates_stores_nothing(
    client: TestClient, risk_db: Path, tmp_path: Path
) -> None:
    before = _counts(risk_db)
    r = client.post("/api/certificates/check", files=_files(KENYA))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["stored"] is False
    (cert,) = body["certificates"]
    assert cert["certificate_id"] == "KE-MOD-2024-0122"
    codes = {f["code"] for f in cert["findings"]}
    assert "end_user.capability_unverified" in codes, codes
    # the answer names the file as the client did, never the server's temporary folder
    assert "transship-check-" not in r.text and KENYA.name in cert["source"]
    assert _counts(risk_db) == before


def test_a_bad_file_is_a_clear_error(client: TestClient, risk_db: Path) -> None:
    before = _counts(risk_db)
    for name in ("bad_fields.csv", "bad_encoding.csv"):
        r = client.post("/api/certificates/check", files=_files(FIXTURES / name))
        assert r.status_code == 422, (name, r.text)
        assert r.json()["error"]["code"] == "source_format"
        message = r.json()["error"]["message"]
        assert name in message and "transship-check-" not in message, message
    assert _counts(risk_db) == before
    # no file at all, an unknown form field, or not multipart
    assert client.post("/api/certificates/check", data={"x": "1"}).status_code in (400, 415)
    r = client.post("/api/certificates/check", files=_files(KENYA), data={"format": "csv"})
    assert r.status_code == 400 and "unknown form field" in r.json()["error"]["message"]
    assert client.post("/api/certificates/check", content=b"x").status_code == 415


def test_assess_an_uploaded_certificate(client: TestClient) -> None:
    r = client.post("/api/assess", files=_files(KENYA))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["kind"] == "certificate" and body["stored"] is False
    assert 0.0 <= body["score"] <= 1.0 and body["indicators"]
    two = client.post("/api/assess", files=_files(KENYA, KENYA))
    assert two.status_code == 400 and "one certificate file" in two.json()["error"]["message"]


def test_pages_and_their_json_twins(client: TestClient, licence_id: str) -> None:
    listing = client.get("/assess")
    assert listing.status_code == 200 and licence_id in listing.text
    assert "SIMULATED" in listing.text
    found = client.get("/assess", params={"q": licence_id})
    assert found.status_code == 200 and f"licence_id={licence_id}" in found.text
    page = client.get("/assess", params={"licence_id": licence_id})
    assert page.status_code == 200
    assert page.text.count('class="indicator') >= 5 and "What it measures" in page.text
    link = re.search(r'href="(/records/[0-9a-f]{16}(?::|%3A)\d+)"', page.text)
    assert link and client.get(link.group(1)).status_code == 200
    assert re.search(r'<span class="where">\([^<]+\.csv, line \d+\)</span>', page.text)
    twin = client.get("/assess.json", params={"licence_id": licence_id})
    api = client.get("/api/assess", params={"licence_id": licence_id})
    assert twin.json()["score"] == api.json()["score"]
    missing = client.get("/assess", params={"licence_id": "NO-SUCH"})
    assert missing.status_code == 404 and "no licence" in missing.text
    form = client.get("/certificates/check")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text


def test_uploaded_papers_are_escaped(client: TestClient, tmp_path: Path) -> None:
    hostile = _hostile(tmp_path)
    for path in ("/certificates/check", "/assess"):
        r = client.post(path, files=_files(hostile))
        assert r.status_code == 200, (path, r.text)
        assert "<script>alert" not in r.text
        if path == "/certificates/check":
            assert "&lt;script&gt;" in r.text
    twin = client.post("/certificates/check.json", files=_files(hostile))
    assert twin.json()["certificates"][0]["record"]["end_user"].startswith("<script>")
