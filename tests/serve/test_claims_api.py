"""`/api/claims...` and the claims pages over the demo store: the case's claims graded and
checked, one claim in its document, the registry, names (never paths) for cases, escaping."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_claims_report(client: TestClient) -> None:
    r = client.get("/api/claims")
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["summary"]["claims"] == 22
    assert out["findings"][0]["severity"] == "high"
    for c in out["claims"]:
        assert c["span"][1] > c["span"][0] and c["excerpt"]
    sr05 = next(c for c in out["claims"] if c["id"] == "SR05")
    assert "attribution.unit" in sr05["findings"] and sr05["reliability"] == "F"
    # the demo store's trade data are simulated, and the report says so where it used them
    if out["data_checks"]:
        assert out["simulated"] is True


def test_one_claim_in_its_document(client: TestClient) -> None:
    r = client.get("/api/claims/SR05")
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["context"]["span"] == out["claim"]["excerpt"]
    assert '"id": "SR05"' in out["context"]["span"]
    assert any(f["rule"] == "attribution.unit" for f in out["findings"])
    assert client.get("/api/claims/NOPE").status_code == 404


def test_sources(client: TestClient) -> None:
    r = client.get("/api/claims/sources")
    assert r.status_code == 200
    assert any(
        s["id"] == "sipri-atdb" and s["units"] == ["TIV", "count", "percent"]
        for s in r.json()["sources"]
    )


def test_case_is_a_name_never_a_path(client: TestClient) -> None:
    assert client.get("/api/claims", params={"case": "../../etc"}).status_code == 400
    assert client.get("/api/claims", params={"case": "no-such-case"}).status_code == 404
    assert client.get("/claims", params={"case": "../x"}).status_code == 400


def test_pages_and_twins(client: TestClient) -> None:
    page = client.get("/claims")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert 'id="claims-table"' in page.text and "SR05" in page.text
    assert "<script>" not in page.text.split('<script type="application/json"')[0]
    twin = client.get("/claims.json").json()
    assert twin["summary"]["claims"] == 22 and twin["query"]["case"] == "serbia-2025"
    one = client.get("/claims/SR05")
    assert one.status_code == 200 and '<mark id="span">' in one.text
    # the JSON line is shown as text: its quotes are escaped, never markup
    assert (
        "&#34;id&#34;: &#34;SR05&#34;" in one.text or "&quot;id&quot;: &quot;SR05&quot;" in one.text
    )
    assert client.get("/claims/SR05.json").json()["claim"]["id"] == "SR05"
    assert client.get("/claims/NOPE").status_code == 404
