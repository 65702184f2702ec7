"""`/api/outlook/...` and the outlook pages over the demo store."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient


def test_scenarios(client: TestClient) -> None:
    r = client.get("/api/outlook/scenarios", params={"runs": 2000, "seed": 5})
    assert r.status_code == 200, r.text
    body = r.json()
    gas = body["scenarios"][0]
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
    sql = next(v for d in body["dependencies"] for v in d["values"] if v["sql"])
    assert sql["note"] is None and sql["value"] is not None  # the demo store answered


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
