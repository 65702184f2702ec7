"""The server answers reads while an ingest is in the middle of a file (docs/store.md, Process
model: the server owns the store; reads run on their own connections).

The ingest of a real Comtrade file is held in the middle of reading (its progress callback
waits), so its transaction is open for as long as the test needs: no timing is assumed.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.serve.conftest import TOKEN, auth
from transship.serve.api import ingest as ingest_module
from transship.serve.app import create_app

FOLDER = "comtrade-hs2-oil-wood-sample"


def _count(client: TestClient, sql: str) -> int:
    body = client.get("/api/sql?q=" + quote(sql)).json()
    return int(body["items"][0]["n"])


def _post(client: TestClient, path: Path) -> Any:
    with open(path, "rb") as f:
        return client.post("/api/ingest", files={"file": (path.name, f)}, headers=auth())


def test_reads_answered_while_an_ingest_writes(
    tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRANSSHIP_BATCH_ROWS", "4096")  # many batches: paused mid-file
    big = shared_data / FOLDER / "comtrade_oil_hs27_2014.csv"  # 3.5 MB, ~20,000 rows
    paused, release = threading.Event(), threading.Event()
    original = ingest_module._on_bytes

    def held(server: Any, n: int) -> None:
        original(server, n)
        if server.ingest_status.current == big.name and server.ingest_status.bytes_read > 0:
            paused.set()
            assert release.wait(120), "the test never released the ingest"

    monkeypatch.setattr(ingest_module, "_on_bytes", held)
    with TestClient(create_app(tmp_path / "new.duckdb", token=TOKEN)) as c:
        first = _post(c, shared_data / FOLDER / "comtrade_oil_hs27_2013.csv")
        assert first.status_code == 200, first.text
        rows_before = _count(c, "SELECT count(*) AS n FROM trade_flows")
        runs_before = c.get("/api/runs").json()["total"]
        record_id = c.get(
            "/api/sql?q=" + quote("SELECT record_id FROM trade_flows LIMIT 1")
        ).json()["items"][0]["record_id"]

        outcome: dict[str, Any] = {}
        writer = threading.Thread(target=lambda: outcome.update(response=_post(c, big)))
        writer.start()
        try:
            assert paused.wait(120), "the ingest never started reading"
            # The ingest is inside its transaction, mid-file. Every kind of read answers:
            status = c.get("/api/ingest").json()
            assert status["running"] is True and status["current"] == big.name
            assert 0 < status["bytes_read"] < big.stat().st_size
            assert _count(c, "SELECT count(*) AS n FROM trade_flows") == rows_before
            assert c.get("/api/runs").json()["total"] == runs_before
            assert c.get(f"/api/records/{record_id}").status_code == 200
            hubs = c.get("/api/hubs?product=27&limit=3")
            assert hubs.status_code == 200 and hubs.json()["items"]
            assert c.get("/api/territories/RUS?with_hubs=false").json()["flows"]
            assert writer.is_alive(), "the ingest finished before the reads: nothing proved"
        finally:
            release.set()
            writer.join(300)
        response = outcome["response"]
        assert response.status_code == 200, response.text
        [result] = response.json()["results"]
        assert result["status"] == "ok"
        assert (
            _count(c, "SELECT count(*) AS n FROM trade_flows")
            == rows_before + result["rows_loaded"]
        )
        assert c.get("/api/runs").json()["total"] == runs_before + 1
