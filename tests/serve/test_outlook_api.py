"""`/api/outlook/...` and the outlook pages over the demo store."""

from __future__ import annotations

import csv
import io
import json

from fastapi.testclient import TestClient


def test_scenarios(client: TestClient) -> None:
    r = client.get("/api/outlook/scenarios", params={"runs": 2000, "seed": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    gas = body["items"][0]
    assert gas["id"] == "gas-cut-30" and gas["runs"] == 2000 and gas["seed"] == 5
    cost = next(i for i in gas["impacts"] if i["name"] == "cost_to_target_eur")
    assert cost["p5"] < cost["median"] < cost["p95"] and sum(cost["histogram"]["counts"]) == 2000
    assert client.get("/api/outlook/scenarios", params={"runs": 10**7}).status_code == 422


def test_ach_json_and_csv(client: TestClient) -> None:
    body = client.get("/api/outlook/ach").json()
    assert {h["id"] for h in body["hypotheses"]} == {"H1", "H2", "H3", "H4"}
    assert abs(sum(body["scores"]["posterior"].values()) - 1) < 1e-9
    r = client.get("/api/outlook/ach", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][0] == "item" and len(rows) == 1 + len(body["items"]) + 3


def test_dependencies_read_the_served_store(client: TestClient) -> None:
    body = client.get("/api/outlook/dependencies").json()
    sql = next(v for d in body["items"] for v in d["values"] if v["sql"])
    assert sql["note"] is None and sql["value"] is not None  # the demo store answered


def _pages(client: TestClient, path: str, **params: object) -> None:
    """Page 1, its next link, page 2 (other rows, consecutive), and the CSV of page 2 with a
    header and the JSON page's rows."""
    whole = client.get(path, params={**params, "limit": 1000}).json()
    assert whole["total"] == len(whole["items"]) >= 2 and whole["next"] is None
    p1 = client.get(path, params={**params, "limit": 1}).json()
    assert p1["next"] and "offset=1" in p1["next"] and p1["total"] == whole["total"]
    p2 = client.get(p1["next"]).json()
    assert p1["items"] + p2["items"] == whole["items"][:2] and p1["items"] != p2["items"]
    r = client.get(p1["next"] + "&format=csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 1 and set(rows[0]) == set(p2["items"][0])
    for key, value in p2["items"][0].items():
        if isinstance(value, str):
            assert rows[0][key] == value
        elif isinstance(value, list | dict):
            assert json.loads(rows[0][key]) == value


def test_dependencies_and_scenarios_are_pages(client: TestClient) -> None:
    _pages(client, "/api/outlook/dependencies")
    _pages(client, "/api/outlook/scenarios", runs=1000, seed=3)


def test_cases_are_names_not_paths(client: TestClient) -> None:
    r = client.get("/api/outlook/ach", params={"case": "../../etc"})
    assert r.status_code == 400 and r.json()["error"]["message"].startswith("not a case name")
    assert client.get("/api/outlook/ach", params={"case": "no-such-case"}).status_code == 404


def test_pages_and_twins(client: TestClient) -> None:
    for path in ("/outlook", "/outlook/scenarios?runs=1000", "/outlook/ach"):
        page = client.get(path)
        assert page.status_code == 200 and "<script>alert" not in page.text
        twin = client.get(path.replace("?", ".json?") if "?" in path else path + ".json")
        assert twin.status_code == 200 and twin.headers["content-type"].startswith(
            "application/json"
        )
    ach = client.get("/outlook/ach").text
    assert "not diagnostic" in ach and "posterior" in ach
