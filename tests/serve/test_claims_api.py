"""`/api/claims...` and the claims pages over the demo store: the case's claims graded and
checked, one claim in its document, the registry, names (never paths) for cases, escaping."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient


def test_claims_report(client: TestClient) -> None:
    r = client.get("/api/claims")
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["summary"]["claims"] == 22
    assert out["total"] == 22 and len(out["items"]) == 22 and out["next"] is None
    assert out["findings"][0]["severity"] == "high"
    for c in out["items"]:
        assert c["span"][1] > c["span"][0] and c["excerpt"]
    sr05 = next(c for c in out["items"] if c["id"] == "SR05")
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
        for s in r.json()["items"]
    )


def _at(link: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(link)
    return parts.path, parse_qs(parts.query)


def _csv(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def test_claims_pages_and_csv(client: TestClient) -> None:
    one = client.get("/api/claims", params={"limit": 5})
    assert one.status_code == 200, one.text
    p1 = one.json()
    assert [p1["limit"], p1["offset"], p1["total"]] == [5, 0, 22]
    assert _at(p1["next"]) == ("/api/claims", {"limit": ["5"], "offset": ["5"]})
    assert one.headers["link"] == f'<{p1["next"]}>; rel="next"'
    p2 = client.get(p1["next"]).json()
    assert p2["offset"] == 5 and len(p2["items"]) == 5
    ids1, ids2 = [c["id"] for c in p1["items"]], [c["id"] for c in p2["items"]]
    assert len(ids1) == 5 and not set(ids1) & set(ids2)
    # the pages are consecutive slices of the whole list
    every = [c["id"] for c in client.get("/api/claims", params={"limit": 100}).json()["items"]]
    assert ids1 + ids2 == every[:10]
    last = client.get("/api/claims", params={"limit": 5, "offset": 20}).json()
    assert len(last["items"]) == 2 and last["next"] is None
    # CSV: a header and the JSON page's rows, nested values as JSON text
    r = client.get("/api/claims", params={"limit": 5, "offset": 5, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    header, rows = _csv(r.text)
    assert {"id", "excerpt", "reliability", "span"} <= set(header)
    assert [row["id"] for row in rows] == ids2
    assert [json.loads(row["span"]) for row in rows] == [c["span"] for c in p2["items"]]
    assert [row["reliability"] for row in rows] == [c["reliability"] for c in p2["items"]]
    # past the end: no rows, the header still there
    header, rows = _csv(client.get("/api/claims", params={"offset": 99, "format": "csv"}).text)
    assert rows == [] and "id" in header


def test_sources_pages_and_csv(client: TestClient) -> None:
    p1 = client.get("/api/claims/sources", params={"limit": 3}).json()
    assert _at(p1["next"]) == ("/api/claims/sources", {"limit": ["3"], "offset": ["3"]})
    assert p1["total"] > 6
    assert p1["files"]
    p2 = client.get(p1["next"]).json()
    ids1, ids2 = [s["id"] for s in p1["items"]], [s["id"] for s in p2["items"]]
    assert len(ids1) == len(ids2) == 3 and not set(ids1) & set(ids2)
    r = client.get("/api/claims/sources", params={"limit": 3, "offset": 3, "format": "csv"})
    header, rows = _csv(r.text)
    assert header[:2] == ["id", "name"]
    assert [row["id"] for row in rows] == ids2
    assert [row["reliability"] for row in rows] == [s["reliability"] for s in p2["items"]]


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
