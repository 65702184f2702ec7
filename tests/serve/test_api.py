"""The REST API on the demo store: the CLI's answers, pages, CSV, one error shape."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from transship.cli.app import app as cli
from transship.exc import InvalidInput
from transship.serve.app import create_app
from transship.store import connect

runner = CliRunner()
ROUTE = "/api/routes?origin=SRB&destination=UKR&product=9306&break=2022-02"


def _cli_json(args: list[str]) -> object:
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_health_says_read_only(client: TestClient) -> None:
    body = client.get("/api/health").json()
    assert body["ok"] is True and body["read_only"] is True
    assert body["store"] == "transship.duckdb"


def test_runs_match_the_cli(client: TestClient, demo_db: Path) -> None:
    page = client.get("/api/runs").json()
    cli_runs = _cli_json(["runs", "--db", str(demo_db)])
    assert isinstance(cli_runs, list)
    assert [r["run_id"] for r in page["items"]] == [r["run_id"] for r in cli_runs]
    assert [r["sha256"] for r in page["items"]] == [r["sha256"] for r in cli_runs]
    assert page["total"] == len(cli_runs) and page["next"] is None


def test_pages_follow_next_to_the_end(client: TestClient) -> None:
    every = client.get("/api/runs?limit=1000").json()["items"]
    seen, url = [], "/api/runs?limit=3"
    while url:
        response = client.get(url)
        body = response.json()
        seen += body["items"]
        if body["next"]:
            assert response.headers["link"] == f'<{body["next"]}>; rel="next"'
        url = body["next"]
    assert [r["run_id"] for r in seen] == [r["run_id"] for r in every]
    assert len(every) >= 10


def test_sources_carry_provenance(client: TestClient) -> None:
    items = client.get("/api/sources").json()["items"]
    assert items and all(len(s["sha256"]) == 64 for s in items)
    simulated = [s for s in items if s["simulated"]]
    real = [s for s in items if not s["simulated"]]
    assert simulated and real  # the case's real parties and claims; simulated statistics
    assert all(s["runs"] for s in items)


def test_rejects_of_unknown_run_is_404_in_the_error_shape(client: TestClient) -> None:
    response = client.get("/api/runs/999999/rejects")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "no run 999999 (see /api/runs)", "detail": None}
    }


def test_rejects_of_a_run(client: TestClient) -> None:
    body = client.get("/api/runs/1/rejects").json()
    assert body["total"] == len(body["items"])


def test_tables_count_rows_and_simulated(client: TestClient, demo_db: Path) -> None:
    items = {t["table"]: t for t in client.get("/api/tables").json()["items"]}
    with connect(demo_db, read_only=True) as store:
        n = store.count("trade_flows")
    # (the read-only server and this read-only connection share the file)
    assert items["trade_flows"]["rows"] == n > 0
    assert items["trade_flows"]["simulated"] == n
    assert items["claims"]["simulated"] == 0


def test_hubs_are_the_cli_hubs(client: TestClient, demo_db: Path) -> None:
    api = client.get("/api/hubs?product=9306&limit=5").json()
    cli_rows = _cli_json(["hubs", "--product", "9306", "--limit", "5", "--db", str(demo_db)])
    assert isinstance(cli_rows, list)
    # (the last digit of a float sum may differ between two runs of DuckDB's parallel sum)
    assert [(h["territory"], h["year"], round(h["score"], 9)) for h in api["items"]] == [
        (h["territory"], h["year"], round(h["score"], 9)) for h in cli_rows
    ]
    first = api["items"][0]
    assert first["simulated"] is True
    assert all(i["evidence"] or i["weight"] == 0 for i in first["indicators"])


def test_second_page_continues_the_first(client: TestClient) -> None:
    both = client.get("/api/hubs?product=9306&limit=10").json()["items"]
    one = client.get("/api/hubs?product=9306&limit=5").json()
    two = client.get(one["next"]).json()
    assert one["items"] + two["items"] == both
    assert "offset=5" in one["next"]


def test_mirror_is_the_cli_mirror(client: TestClient, demo_db: Path) -> None:
    api = client.get("/api/mirror?product=9306&reporter=SRB&limit=5").json()["items"]
    cli_rows = _cli_json(
        ["mirror", "--product", "9306", "--reporter", "SRB", "--limit", "5", "--db", str(demo_db)]
    )
    assert isinstance(cli_rows, list)
    key = ("exporter", "importer", "year", "kind")
    assert [tuple(r[k] for k in key) for r in api] == [tuple(r[k] for k in key) for r in cli_rows]
    assert all("rs" in (r["exporter"], r["importer"]) for r in api)


def test_routes_lead_to_records_with_file_and_line(client: TestClient) -> None:
    body = client.get(ROUTE).json()
    assert body["items"], body
    route = body["items"][0]
    assert route["path"][0] == "SRB" and route["path"][-1] == "UKR"
    assert route["simulated"] is True
    record_id = route["legs"][0]["record_ids"][0]
    record = client.get(f"/api/records/{record_id}").json()
    assert record["record_id"] == record_id
    assert record["table"] == "trade_flows"
    source = record["source"]
    assert len(source["sha256"]) == 64 and source["sha256"].startswith(record_id.split(":")[0])
    assert source["line"] == int(record_id.split(":")[1])
    assert Path(source["file"]).name.startswith("comtrade_plus_sim_")
    props = {s["prop"]: s for s in record["statements"]}
    assert props["reporter"]["original_value"] == record["original_values"]["reporter_orig"]
    # the file really has that line, and the record's original value is in it
    line = Path(source["file"]).read_text(encoding="utf-8").splitlines()[source["line"] - 1]
    assert record["original_values"]["value_orig"] in line


def test_routes_page_and_csv(client: TestClient) -> None:
    body = client.get(ROUTE + "&limit=1").json()
    assert len(body["items"]) == 1 and body["total"] >= 1
    response = client.get(ROUTE + "&limit=2&format=csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows and json.loads(rows[0]["path"])[0] == "SRB"


def test_unknown_origin_is_400_one_line(client: TestClient) -> None:
    response = client.get("/api/routes?origin=Atlantis")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] in ("unknown_code", "invalid_input")
    assert "Atlantis" in error["message"] and "\n" not in error["message"]


def test_territory_page(client: TestClient) -> None:
    page = client.get("/api/territories/SRB?product=9306").json()
    assert page["code"] == "rs" and page["iso3"] == "SRB" and page["name"] == "Serbia"
    directions = {(f["direction"], f["reported_by"]) for f in page["flows"]}
    assert ("out", "reporter") in directions and ("out", "partner") in directions
    assert page["partners"] and page["simulated"] is True
    assert page["mirror"] and all("rs" in (m["exporter"], m["importer"]) for m in page["mirror"])
    paths = {Path(s["path"]).name for s in page["sources"]}
    assert any(p.startswith("comtrade_plus_sim_") for p in paths)
    assert any(p == "shipments.csv" for p in paths)


def test_territory_by_name_and_unknown(client: TestClient) -> None:
    assert client.get("/api/territories/Serbia?with_hubs=false").json()["code"] == "rs"
    response = client.get("/api/territories/Atlantis")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_record_of_each_kind(client: TestClient, demo_db: Path) -> None:
    with connect(demo_db, read_only=True) as store:
        ids = {
            table: store.fetchall(f"SELECT record_id FROM {table} ORDER BY line LIMIT 1")[0][0]
            for table in ("certificates", "claims", "entities", "shipments", "licences")
        }
    for table, record_id in ids.items():
        record = client.get(f"/api/records/{record_id}").json()
        assert record["table"] == table, record
        assert record["superseded"] is False
        assert record["statements"], table


def test_record_not_found(client: TestClient) -> None:
    for bad in ("0000000000000000:1", "not-an-id", "85b49369402ff12b:999999999"):
        response = client.get(f"/api/records/{bad}")
        assert response.status_code == 404, bad
        assert response.json()["error"]["code"] == "not_found"


@pytest.mark.slow  # the evaluation ingests the simulation again and runs every stage
def test_evaluate_on_the_simulated_store(client: TestClient) -> None:
    first = client.get("/api/evaluate")
    assert first.status_code == 202, first.text  # started in the background, not waited for
    assert first.json()["status"] == "running" and first.headers["retry-after"]
    deadline = time.monotonic() + 1800
    response = first
    while response.status_code == 202 and time.monotonic() < deadline:
        time.sleep(2)
        response = client.get("/api/evaluate")
    assert response.status_code == 200, response.text
    body = response.json()
    stages = {r["stage"] for r in body["items"]}
    assert any(s.startswith("hubs") for s in stages), stages
    assert all(r["simulated"] is True for r in body["items"])
    assert all(0 <= (r["precision"] or 0) <= 1 for r in body["items"])


def test_evaluate_on_a_real_store_is_404(tmp_path: Path, shared_data: Path) -> None:
    db = tmp_path / "real.duckdb"
    import transship

    store = transship.open_store(db)
    transship.ingest(store, shared_data / "press-claims" / "claims.jsonl")
    store.close()
    with TestClient(create_app(db)) as c:
        response = c.get("/api/evaluate")
    assert response.status_code == 404
    assert "simulat" in response.json()["error"]["message"]


def test_bad_parameters_are_422_in_the_error_shape(client: TestClient) -> None:
    for url in ("/api/hubs?limit=0", "/api/runs?offset=-1", "/api/routes", "/api/hubs?format=xml"):
        response = client.get(url)
        assert response.status_code == 422, url
        error = response.json()["error"]
        assert error["code"] == "invalid_parameter" and error["detail"], url


def test_library_refusals_are_400(client: TestClient) -> None:
    for url in ("/api/hubs?years=last-year", "/api/mirror?product=weapons"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert response.json()["error"]["code"] == "invalid_input"


def test_declared_errors_are_ones_an_endpoint_can_give(client: TestClient) -> None:
    """No GET declares an upload's errors; lists that check no value and find nothing by
    key declare neither 400 nor 404; a registry that reads no store declares no 503."""
    paths = client.get("/openapi.json").json()["paths"]
    for path, ops in paths.items():
        if "get" in ops:
            assert not {"413", "415"} & set(ops["get"]["responses"]), path
    for path in ("/api/runs", "/api/sources", "/api/tables"):
        assert set(paths[path]["get"]["responses"]) == {"200", "422", "503"}, path
    assert set(paths["/api/runs/{run_id}/rejects"]["get"]["responses"]) == {
        "200",
        "404",
        "422",
        "503",
    }
    assert set(paths["/api/claims/sources"]["get"]["responses"]) == {"200", "422"}
    assert "404" not in paths["/api/sql"]["get"]["responses"]
    assert "400" not in paths["/api/records/{record_id}"]["get"]["responses"]


def test_unknown_path_and_method(client: TestClient) -> None:
    assert client.get("/api/nothing").json()["error"]["code"] == "not_found"
    response = client.delete("/api/runs")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_responses_tell_browsers_not_to_sniff(client: TestClient) -> None:
    for url in ("/api/runs", "/api/nothing", "/docs"):
        assert client.get(url).headers["x-content-type-options"] == "nosniff"


def test_docs_page_is_local(client: TestClient) -> None:
    page = client.get("/docs").text
    assert "/api/routes" in page and "<script" not in page
    assert "http://" not in page and "https://" not in page
    schema = client.get("/openapi.json").json()
    assert "/api/ingest" in schema["paths"] and "/api/records/{record_id}" in schema["paths"]


def test_docs_api_md_is_current() -> None:
    from transship.serve.apidoc import main

    assert main(["--check"]) == 0, "run: python -m transship.serve.apidoc"


def test_a_missing_store_is_not_created(tmp_path: Path) -> None:
    from transship.exc import NotFound

    with pytest.raises(NotFound):
        create_app(tmp_path / "typo.duckdb")
    assert not (tmp_path / "typo.duckdb").exists()


def test_evaluate_answers_202_with_progress_until_done(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No request waits for the evaluation: the first starts it and says what it does, the
    rows come when it has ended, a failure is said once and the next request starts again."""
    from transship.serve.api import simulate

    release = threading.Event()
    calls: list[Path] = []

    def fake(folder: Path, progress: Any = None) -> list[dict[str, Any]]:
        calls.append(folder)
        progress("ingesting the simulated files")
        progress("hubs on comtrade")
        if not release.wait(60):
            raise RuntimeError("never released")
        if len(calls) == 1:
            raise InvalidInput("the truth file is broken")
        return [
            {
                "stage": "hubs:comtrade",
                "noise": "low",
                "precision": 1.0,
                "recall": 0.5,
                "f1": 0.67,
                "support": 2,
                "simulated": True,
                "sim_dir": str(folder),
            }
        ]

    monkeypatch.setattr(simulate, "evaluation_rows", fake)
    with TestClient(create_app(demo_db)) as c:
        running = c.get("/api/evaluate")
        assert running.status_code == 202
        body = running.json()
        assert body["status"] == "running" and body["retry_after_s"] > 0
        while c.get("/api/evaluate").json().get("step") != "hubs on comtrade":
            time.sleep(0.05)
        again = c.get("/api/evaluate").json()
        assert again["steps_done"] == ["ingesting the simulated files"]
        assert len(calls) == 1  # one evaluation, however many ask
        release.set()
        failed = c.get("/api/evaluate")
        while failed.status_code == 202:
            failed = c.get("/api/evaluate")
        assert failed.status_code == 400
        assert "truth file is broken" in failed.json()["error"]["message"]
        retried = c.get("/api/evaluate")  # starts again
        while retried.status_code == 202:
            retried = c.get("/api/evaluate")
        assert retried.status_code == 200 and len(calls) == 2
        assert retried.json()["items"][0]["stage"] == "hubs:comtrade"
        csv = c.get("/api/evaluate?format=csv").text
        assert csv.splitlines()[0].startswith('"stage"')


def test_territory_page_lists_are_paged_with_next_links(client: TestClient) -> None:
    """A territory page holds the first `limit` rows of its long lists (a large territory's
    hub scores with their record ids were megabytes); the rest is one `next` link away."""
    page = client.get("/api/territories/SRB?limit=5").json()
    assert page["flows_total"] > 5 and len(page["flows"]) == 5
    assert page["hubs_total"] > 5 and len(page["hubs"]) == 5
    assert len(page["sources"]) == min(5, page["sources_total"])
    assert (page["sources_next"] is None) == (page["sources_total"] <= 5)
    nxt = page["flows_next"]
    assert nxt.startswith("/api/territories/SRB/flows?") and "offset=5" in nxt
    second = client.get(nxt).json()
    whole = client.get("/api/territories/SRB/flows?limit=1000").json()
    assert whole["total"] == page["flows_total"] and whole["next"] is None
    assert page["flows"] + second["items"] == whole["items"][:10]
    hubs = client.get(page["hubs_next"]).json()
    assert hubs["items"] and hubs["offset"] == 5
    scores = [h["score"] for h in page["hubs"] + hubs["items"]]
    assert scores == sorted(scores, reverse=True)  # best first, page after page
    # the page's hub rows count their evidence; the list gives the record ids
    first = client.get(nxt.replace("/flows?", "/hubs?").replace("offset=5", "offset=0")).json()
    assert [h["score"] for h in first["items"][:5]] == scores[:5]
    for brief, full in zip(page["hubs"], first["items"], strict=False):
        for a, b in zip(brief["indicators"], full["indicators"], strict=True):
            assert "evidence" not in a and a["evidence_count"] == len(b["evidence"])
    csv_text = client.get("/api/territories/SRB/sources?format=csv").text
    assert csv_text.splitlines()[0].startswith('"sha256"')
    assert client.get("/api/territories/SRB/nothing").status_code == 404
    default = client.get("/api/territories/SRB").json()
    assert len(default["flows"]) == min(50, default["flows_total"])


def test_an_empty_csv_page_still_has_its_header(client: TestClient) -> None:
    """A script reading `?format=csv` sees the columns even when there are no rows."""
    runs = client.get("/api/runs?limit=1000").json()["items"]
    clean = next(r["run_id"] for r in runs if r["rows_rejected"] == 0)
    for url, first in (
        (f"/api/runs/{clean}/rejects?format=csv", "run_id"),
        ("/api/mirror?product=9306&min_usd=1e15&format=csv", "exporter"),
        ("/api/runs?offset=100000&format=csv", "run_id"),
    ):
        response = client.get(url)
        assert response.status_code == 200, (url, response.text)
        lines = response.text.splitlines()
        assert len(lines) == 1 and lines[0].startswith(f'"{first}"'), (url, lines)
