"""`POST /match/{dataset}`: yente's request and response shape over FtM datasets in the store,
on the real OpenSanctions fixtures (read in place) and the Serbia case's parties."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from transship.ingest.pipeline import ingest_paths
from transship.serve.app import create_app
from transship.store import connect

ROOT = Path(__file__).resolve().parents[2]
CASE_PARTIES = ROOT / "cases" / "serbia-2025" / "parties.ftm.jsonl"
LLC_CST = "NK-abdzbEBkqyT29GyREbiURZ"  # LLC CST, whose names include Zala Aero
KALASHNIKOV = "NK-nR5AXM9AVPq4pQaSPSaVam"
ZAKHAROV = "NK-aU5ybkbRFJucf8YMwsJvDw"


@pytest.fixture(scope="module")
def lists_db(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the Zala and EU FSF fixtures and the case's parties as datasets."""
    fixtures = shared_data / "opensanctions-ftm-fixtures"
    db = tmp_path_factory.mktemp("match") / "lists.duckdb"
    with connect(db) as store:
        for path, name in (
            (fixtures / "zala_entities.ftm.jsonl", "zala"),
            (fixtures / "eu_fsf_t1_entities.ftm.jsonl", "eu_fsf_t1"),
            (CASE_PARTIES, "serbia_case"),
        ):
            [result] = ingest_paths(store, [path], dataset=name)
            assert result.status == "ok", result
    return db


@pytest.fixture(scope="module")
def api(lists_db: Path) -> Iterator[TestClient]:
    """A read-only server (no token): matching is a read."""
    with TestClient(create_app(lists_db, token=None)) as c:
        yield c


def _match(api: TestClient, dataset: str, queries: dict[str, Any], **params: Any) -> dict[str, Any]:
    r = api.post(f"/match/{dataset}", json={"queries": queries}, params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _q(schema: str, **props: Any) -> dict[str, Any]:
    return {"schema": schema, "properties": props}


def test_yente_shape_and_explanations(api: TestClient) -> None:
    body = _match(
        api,
        "zala",
        {
            "cst": _q("Company", name=["Zala Aero"], country="Russia"),
            "kalash": _q("Company", name="Концерн Калашников", jurisdiction=["ru"]),
        },
    )
    # yente's EntityMatchResponse: responses, matcher, limit
    assert set(body) >= {"responses", "matcher", "limit"}
    assert body["limit"] == 5
    assert body["matcher"]["name_match"]["coefficient"] == 1.0
    assert body["matcher"]["country_mismatch"]["coefficient"] < 0
    assert body["algorithm"]["name"] == "transship"
    assert body["simulated"] is False
    cst = body["responses"]["cst"]
    assert cst["status"] == 200
    assert set(cst) >= {"status", "results", "total", "query"}
    # the query comes back as an entity example, the country cleaned to its code
    assert cst["query"]["schema"] == "Company"
    assert cst["query"]["properties"]["country"] == ["ru"]
    top = cst["results"][0]
    assert top["id"] == LLC_CST and top["match"] is True and top["score"] >= 0.9
    for key in ("id", "caption", "schema", "properties", "datasets", "referents", "target"):
        assert key in top
    assert "us_ofac_sdn" in top["datasets"] or top["datasets"]
    # every feature explains itself: score, detail, query value, candidate value, weight
    name = top["explanations"]["name_match"]
    assert set(name) >= {"score", "detail", "query", "candidate", "weight"}
    assert name["query"] == "Zala Aero"
    # the score is recomputable from its parts (best main feature + qualifiers)
    ex = top["explanations"]
    main = max(
        ex[f]["score"] * ex[f]["weight"]
        for f in ("name_match", "identifier_match", "weak_alias_match")
        if f in ex
    )
    rest = sum(
        v["score"] * v["weight"]
        for k, v in ex.items()
        if k not in ("name_match", "identifier_match", "weak_alias_match")
    )
    assert top["score"] == pytest.approx(min(1.0, max(0.0, main + rest)), abs=1e-3)
    # LLC CST is caught by the 50 % rule: the path and percentages are in the explanation
    assert top["ownership"]["caught_by_50_percent_rule"] is True
    assert "ownership" in ex and ex["ownership"]["weight"] == 0.0
    assert top["sanctions"], "the list's Sanction entities come with the result"
    # total counts the matches (yente's score_results), results never exceed the limit
    assert cst["total"]["relation"] == "eq"
    assert cst["total"]["value"] == sum(1 for r in cst["results"] if r["match"])
    assert body["responses"]["kalash"]["results"][0]["id"] == KALASHNIKOV


def test_scripts_romanisations_and_persons(api: TestClient) -> None:
    body = _match(
        api,
        "zala",
        {
            "cyr": _q("Person", name=["Захаров Александр Вячеславович"]),
            "lat": _q("Person", firstName=["Aleksandr"], lastName=["Zakharov"]),
            "dob": _q("Person", name=["Alexander Zakharov"], birthDate=["1901-01-01"]),
        },
    )
    assert body["responses"]["cyr"]["results"][0]["id"] == ZAKHAROV
    assert body["responses"]["lat"]["results"][0]["id"] == ZAKHAROV
    # a Person query never matches a Company
    for resp in body["responses"].values():
        assert all(r["schema"] != "Company" for r in resp["results"])


def test_limit_threshold_and_cutoff(api: TestClient) -> None:
    q = {"z": _q("LegalEntity", name=["Zakharov"])}
    strict = _match(api, "zala", q)["responses"]["z"]
    assert all(r["score"] >= 0.7 for r in strict["results"])
    near = _match(api, "zala", q, cutoff=0.3, limit=50)["responses"]["z"]
    assert len(near["results"]) > len(strict["results"])
    assert any(not r["match"] for r in near["results"])
    assert all(r["score"] >= 0.3 for r in near["results"])
    assert near["total"]["value"] == sum(1 for r in near["results"] if r["match"])
    scores = [r["score"] for r in near["results"]]
    assert scores == sorted(scores, reverse=True)
    one = _match(api, "zala", q, cutoff=0.3, limit=1)["responses"]["z"]
    assert len(one["results"]) == 1
    # total is counted before the limit
    assert one["total"]["value"] == near["total"]["value"]
    low = _match(api, "zala", q, threshold=0.95, cutoff=0.3, limit=50)["responses"]["z"]
    assert all(r["match"] == (r["score"] >= 0.95) for r in low["results"])


def test_filters(api: TestClient) -> None:
    q = {"z": _q("LegalEntity", name=["Zakharov"])}
    every = _match(api, "zala", q, cutoff=0.3, limit=50)["responses"]["z"]["results"]
    ids = {r["id"] for r in every}
    assert ZAKHAROV in ids
    persons_out = _match(api, "zala", q, cutoff=0.3, limit=50, exclude_schema="Person")
    assert all(r["schema"] != "Person" for r in persons_out["responses"]["z"]["results"])
    no_him = _match(api, "zala", q, cutoff=0.3, limit=50, exclude_entity_ids=[ZAKHAROV])
    assert ZAKHAROV not in {r["id"] for r in no_him["responses"]["z"]["results"]}
    only = _match(api, "zala", q, cutoff=0.3, limit=50, include_dataset="gb_fcdo_sanctions")
    assert all("gb_fcdo_sanctions" in r["datasets"] for r in only["responses"]["z"]["results"])
    topic = _match(api, "zala", q, cutoff=0.3, limit=50, topics="sanction")
    assert all(
        "sanction" in r["properties"].get("topics", []) for r in topic["responses"]["z"]["results"]
    )


def test_multilingual_list_and_default_collection(api: TestClient) -> None:
    body = _match(api, "eu_fsf_t1", {"t": _q("Organization", name=["Inter Tobacco LLC"])})
    assert body["responses"]["t"]["results"][0]["id"] == "NK-2GdmHtZTeNXjNVrBGEXZNj"
    # `default` is every FtM dataset in the store, as yente's default collection
    both = _match(
        api,
        "default",
        {
            "t": _q("Organization", name=["Inter Tobacco"]),
            "k": _q("Company", name=["KRUSIK AD VALJEVO"], country=["RS"]),
        },
    )
    assert set(both["datasets"]) == {"zala", "eu_fsf_t1", "serbia_case"}
    assert both["responses"]["t"]["results"][0]["id"] == "NK-2GdmHtZTeNXjNVrBGEXZNj"
    krusik = both["responses"]["k"]["results"][0]
    assert krusik["caption"] == "Krušik" and krusik["match"] is True


def test_case_parties_in_other_scripts(api: TestClient) -> None:
    body = _match(
        api,
        "serbia_case",
        {
            "yu": _q("Company", name=["JUGOIMPORT-SDPR J.P."]),
            "cyr": _q("Company", name=["Југоимпорт СДПР"]),
            "zastava": _q("Company", name=["Zastava Oružje a.d."], country="rs"),
        },
    )
    assert body["responses"]["yu"]["results"][0]["caption"] == "Yugoimport SDPR"
    assert body["responses"]["cyr"]["results"][0]["caption"] == "Yugoimport SDPR"
    # a firm the case does not name matches nothing in it
    assert not any(r["match"] for r in body["responses"]["zastava"]["results"])


def _error(r: Any, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    message: str = body["error"]["message"]
    assert "\n" not in message and "Traceback" not in message
    return message


def test_errors_in_the_one_shape(api: TestClient) -> None:
    ok = {"queries": {"a": _q("Company", name="Zala")}}
    msg = _error(api.post("/match/nope", json=ok), 404, "not_found")
    assert "zala" in msg and "nope" in msg  # names the datasets there are
    assert _error(api.post("/match/nope", json={"queries": {}}), 404, "not_found")
    _error(api.post("/match/zala", json={"queries": {}}), 400, "invalid_input")
    msg = _error(
        api.post("/match/zala", json={"queries": {"a": _q("Ship", name="x")}}), 400, "invalid_input"
    )
    assert "queries.a.schema" in msg
    msg = _error(
        api.post("/match/zala", json={"queries": {"a": _q("Company", bogus="x")}}),
        400,
        "invalid_input",
    )
    assert "bogus" in msg
    msg = _error(
        api.post(
            "/match/zala", json={"queries": {"a": _q("Company", name="x", country="Atlantis")}}
        ),
        400,
        "invalid_input",
    )
    assert "Atlantis" in msg
    _error(
        api.post("/match/zala", json={"queries": {"a": _q("Company", country="ru")}}),
        400,
        "invalid_input",
    )
    _error(
        api.post("/match/zala", json={"queries": {"a": _q("Company", name=[{"x": 1}])}}),
        400,
        "invalid_input",
    )
    many = {"queries": {f"q{i}": _q("Company", name="x") for i in range(101)}}
    assert "limit: 100" in _error(api.post("/match/zala", json=many), 400, "invalid_input")
    _error(api.post("/match/zala", json=ok, params={"algorithm": "magic"}), 400, "invalid_input")
    _error(api.post("/match/zala", json=ok, params={"limit": 0}), 422, "invalid_parameter")
    _error(api.post("/match/zala", json=ok, params={"threshold": 2}), 422, "invalid_parameter")
    _error(api.post("/match/zala", json={"query": {}}), 422, "invalid_parameter")
    _error(
        api.post("/match/zala", json=ok, params={"changed_since": "yesterday"}),
        400,
        "invalid_input",
    )


def test_yente_algorithms_weights_and_batch_header(api: TestClient) -> None:
    r = api.post(
        "/match/zala",
        json={"weights": {"name_literal": 0.8}, "queries": {"a": _q("Company", name="Zala Aero")}},
        params={"algorithm": "logic-v2"},
    )
    assert r.status_code == 200
    assert r.headers["x-batch-size"] == "1"
    body = r.json()
    assert body["algorithm"] == {"name": "transship", "asked": "logic-v2"}
    assert body["ignored"] == {"weights": ["name_literal"]}
    # a null query is skipped, as yente does
    r = api.post("/match/zala", json={"queries": {"a": _q("Company", name="Zala"), "b": None}})
    assert set(r.json()["responses"]) == {"a"}
