"""`/api/parties` and the party pages over H2's resolution: a store holding the Serbia
case's parties, the real Zala fixture (OpenSanctions, read in place), the licence,
shipment and certificate fixtures and hostile party names, resolved once."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.serve.web.hostile import FORBIDDEN, HOSTILE
from transship.ingest.pipeline import ingest_paths
from transship.resolve.actors import resolve_parties
from transship.serve.app import create_app
from transship.store import connect

ROOT = Path(__file__).resolve().parents[2]
CASE_PARTIES = ROOT / "cases" / "serbia-2025" / "parties.ftm.jsonl"
TOKEN = "parties-token-3d1"


def _hostile_shipments(fixtures: Path, folder: Path) -> Path:
    """The shipments fixture's first row once per hostile string as sender and receiver."""
    with (fixtures / "shipments.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields = list(reader.fieldnames or [])
        first = next(reader)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for i, text in enumerate(HOSTILE):
        writer.writerow(dict(first, shipment_id=f"H-{i}", sender=text, receiver=text))
    path = folder / "hostile_shipments.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _build(db: Path, shared_data: Path, fixtures: Path, folder: Path) -> None:
    with connect(db) as store:
        zala = shared_data / "opensanctions-ftm-fixtures" / "zala_entities.ftm.jsonl"
        for path, dataset in (
            (CASE_PARTIES, "serbia_case"),
            (zala, "zala"),
            (fixtures / "shipments.csv", None),
            (fixtures / "certificates.csv", None),
            (_hostile_shipments(fixtures, folder), None),
        ):
            # the licence fixture holds rows rejected on purpose (a country 'Atlantis')
            [result] = ingest_paths(store, [path], dataset=dataset, max_reject_share=0.5)
            assert result.status == "ok", result
        resolve_parties(store)


@pytest.fixture(scope="module")
def parties_db(shared_data: Path, fixtures: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("parties")
    db = folder / "parties.duckdb"
    _build(db, shared_data, fixtures, folder)
    return db


@pytest.fixture(scope="module")
def api(parties_db: Path) -> Iterator[TestClient]:
    with TestClient(create_app(parties_db, token=None)) as c:
        yield c


def _json(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()


def _actor_id(api: TestClient, key: str) -> str:
    return str(_json(api.get(f"/api/parties/{key}"))["actor_id"])


def test_list_pages_csv_and_search(api: TestClient) -> None:
    first = _json(api.get("/api/parties", params={"limit": 3}))
    assert set(first) >= {"items", "limit", "offset", "total", "next"}
    assert len(first["items"]) == 3 and first["next"]
    item = first["items"][0]
    assert set(item) >= {"actor_id", "caption", "records", "sources", "roles", "countries"}
    records = [i["records"] for i in first["items"]]
    assert records == sorted(records, reverse=True)
    second = _json(api.get(first["next"]))
    assert second["offset"] == 3
    assert not {i["actor_id"] for i in first["items"]} & {i["actor_id"] for i in second["items"]}
    every = _json(api.get("/api/parties", params={"limit": 1000}))
    assert every["next"] is None and every["total"] == len(every["items"])
    found = _json(api.get("/api/parties", params={"q": "kalashnikov"}))["items"]
    assert [i["caption"] for i in found] and all(i["listed"] for i in found)
    csv_text = api.get("/api/parties", params={"limit": 1000, "format": "csv"}).text
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert len(rows) == len(every["items"])
    assert list(rows[0]) == [
        "actor_id",
        "caption",
        "records",
        "names",
        "sources",
        "roles",
        "countries",
        "listed",
        "simulated",
    ]
    # the shipment fixture's parties are real rows (not simulated); the flag says so
    assert {r["simulated"] for r in rows} == {"false"}
    # hostile names are data in the CSV, formulas neutralised for spreadsheets
    captions = {r["caption"] for r in rows}
    assert "'=cmd|' /C calc'!A0" in captions
    assert "=cmd|' /C calc'!A0" not in captions


def test_one_party_by_name_script_and_id(api: TestClient) -> None:
    krusik = _json(api.get("/api/parties/Крушик"))
    assert krusik["caption"] == "Krušik"
    assert {"Krušik", "Krusik", "Крушик"} <= set(krusik["aliases"])
    same = _json(api.get(f"/api/parties/{krusik['actor_id']}"))
    assert same["actor_id"] == krusik["actor_id"]
    [record] = krusik["records_by_role"]["entity"]
    assert record["file"].endswith("parties.ftm.jsonl") and record["line"] == 3
    # the record page of an FtM entity is the store's record of that line
    page = _json(api.get(f"/records/{record['record_page']}.json"))
    assert page["record_id"] == record["record_page"]
    assert krusik["simulated"] is False
    assert krusik["screening"]["lists"] == ["serbia_case", "zala"]


def test_records_by_role_with_file_line_and_record_page(api: TestClient) -> None:
    primer = _json(api.get("/api/parties/Primer Arms d.o.o."))
    roles = primer["records_by_role"]
    assert "sender" in roles
    for rows in roles.values():
        for r in rows:
            assert r["file"] and r["line"] >= 2
            assert r["record_page"] and r["record_page"].endswith(f":{r['line']}")
    r = roles["sender"][0]
    record = _json(api.get(f"/records/{r['record_page']}.json"))
    assert record["record_id"] == r["record_page"]
    assert any(s["records"] >= 1 for s in primer["sources"])


def test_listed_party_sanctions_owners_and_screening(api: TestClient) -> None:
    cst = _json(api.get("/api/parties/NK-abdzbEBkqyT29GyREbiURZ"))
    assert cst["sanctions"], "the Zala fixture lists LLC CST"
    assert {s["dataset"] for s in cst["sanctions"]} and all(
        "authority" in s for s in cst["sanctions"]
    )
    owners = {tuple(o["path"]): o for o in cst["owners"] if o["direct"]}
    kalashnikov = [o for p, o in owners.items() if p[0] == "JSC Kalashnikov Concern"]
    assert kalashnikov and any(49.0 in o["percentages"] for o in kalashnikov)
    assert all(o["edges"] and len(o["ids"]) == len(o["path"]) for o in cst["owners"])
    # what Kalashnikov Concern holds, in the JSON and on the page
    kc = _json(api.get("/api/parties/JSC Kalashnikov Concern"))
    assert {(o["path"][-1], o["percentages"][0]) for o in kc["holdings"]} == {
        ("LLC CST", 49.0),
        ("LLC CST", None),
    }
    page = api.get(f"/parties/{kc['actor_id']}")
    assert page.status_code == 200 and 'id="holdings-table"' in page.text
    assert "No ownership edge out of this party" in api.get(f"/parties/{cst['actor_id']}").text
    # screening: yente's results with every feature explained, its own entries left out
    screening = cst["screening"]
    own = {r["record_id"] for rows in cst["records_by_role"].values() for r in rows}
    for result in screening["results"]:
        assert result["id"] not in own
        for f in result["explanations"].values():
            assert set(f) >= {"score", "detail", "query", "candidate", "weight"}
    # a Serbian firm's page screens against the Zala list too, and says what it compared
    yugo = _json(api.get("/api/parties/Jugoimport SDPR"))["screening"]
    assert yugo["query"]["countries"] == ["rs"] and "Yugoimport SDPR" in yugo["query"]["names"]


def test_not_found_and_no_resolution(api: TestClient, tmp_path: Path) -> None:
    body = _json(api.get("/api/parties/no such firm at all"), 404)
    assert body["error"]["code"] == "not_found"
    db = tmp_path / "unresolved.duckdb"
    with connect(db) as store:
        ingest_paths(store, [CASE_PARTIES], dataset="serbia_case")
    with TestClient(create_app(db, token=None)) as c:
        body = _json(c.get("/api/parties"), 404)
        assert "transship parties resolve" in body["error"]["message"]
        page = c.get("/parties")
        assert page.status_code == 404 and "transship parties resolve" in page.text


def test_judgements_need_the_token(parties_db: Path, tmp_path: Path, api: TestClient) -> None:
    verdict = {"a": "Krušik", "b": "Sloboda", "verdict": "same", "who": "analyst"}
    body = _json(api.post("/api/parties/judgements", json=verdict), 403)
    assert body["error"]["code"] == "read_only"
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(parties_db.read_bytes())
    wal = parties_db.with_name(parties_db.name + ".wal")
    if wal.exists():
        copy.with_name(copy.name + ".wal").write_bytes(wal.read_bytes())
    with TestClient(create_app(copy, token=TOKEN)) as c:
        assert _json(c.post("/api/parties/judgements", json=verdict), 401)["error"]["code"] == (
            "unauthorized"
        )
        wrong = {"Authorization": "Bearer nope"}
        _json(c.post("/api/parties/judgements", json=verdict, headers=wrong), 401)
        auth = {"Authorization": f"Bearer {TOKEN}"}
        made = _json(
            c.post(
                "/api/parties/judgements",
                json={**verdict, "why": "same works, two names (test)"},
                headers=auth,
            ),
            201,
        )
        assert made["verdict"] == "same" and made["who"] == "analyst"
        assert made["a"].startswith("entity:") and made["b"].startswith("entity:")
        assert made["why"] == "same works, two names (test)"
        bad = {**verdict, "verdict": "maybe"}
        _json(c.post("/api/parties/judgements", json=bad, headers=auth), 422)
        self_pair = {**verdict, "b": "Krušik"}
        _json(c.post("/api/parties/judgements", json=self_pair, headers=auth), 400)
        nobody = {**verdict, "b": "no such firm at all"}
        _json(c.post("/api/parties/judgements", json=nobody, headers=auth), 404)


def test_pages_and_json_twins(api: TestClient) -> None:
    page = api.get("/parties")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert 'id="parties-table"' in page.text and "/parties/actor-" in page.text
    twin = _json(api.get("/parties.json"))
    assert twin["actors"] and twin["actors"][0]["actor_id"]
    found = _json(api.get("/parties.json", params={"q": "Kalashnikov"}))["actors"]
    assert found and all("alashnikov" in a["caption"] for a in found)
    cst_id = _actor_id(api, "NK-abdzbEBkqyT29GyREbiURZ")
    html = api.get(f"/parties/{cst_id}").text
    for section in ("aliases", "sources", "ownership", "sanctions", "screening", "records"):
        assert f'id="{section}"' in html
    # a read-only server offers no judgement form, and says how to judge instead
    assert 'id="judge-form"' not in html and "transship parties judge" in html
    assert 'data-party-graph="ownership"' in html and "/static/js/parties.js" in html
    assert 'href="/records/' in html
    data = _json(api.get(f"/parties/{cst_id}.json"))
    assert data == _json(api.get(f"/api/parties/{cst_id}"))


def test_every_value_escaped(api: TestClient) -> None:
    rows = _json(api.get("/api/parties", params={"limit": 1000}))["items"]
    hostile = [r for r in rows if r["caption"] in HOSTILE]
    assert len(hostile) >= 6
    pages = [api.get("/parties", params={"limit": 1000}).text]
    for r in hostile:
        page = api.get(f"/parties/{r['actor_id']}")
        assert page.status_code == 200
        pages.append(page.text)
        # the JSON twin gives the raw value back
        assert _json(api.get(f"/parties/{r['actor_id']}.json"))["caption"] == r["caption"]
    for html in pages:
        for bad in FORBIDDEN:
            assert bad not in html
    joined = "\n".join(pages)
    assert "&lt;script&gt;alert(&#34;xss-1&#34;)&lt;/script&gt;" in joined
    assert "\\x1b[31mred" in joined  # terminal escapes shown, not sent


def test_long_roles_are_cut_on_the_page_not_in_json(
    api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import transship.serve.web.parties as web_parties

    primer = _json(api.get("/api/parties/Primer Arms d.o.o."))
    senders = len(primer["records_by_role"]["sender"])
    assert senders >= 2
    monkeypatch.setattr(web_parties, "PAGE_ROWS", 1)
    html = api.get(f"/parties/{primer['actor_id']}").text
    assert f"The first 1 of {senders} sender records" in html
    twin = _json(api.get(f"/parties/{primer['actor_id']}.json"))
    assert len(twin["records_by_role"]["sender"]) == senders
