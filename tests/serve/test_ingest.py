"""``POST /api/ingest``: the token, the size limit, the CLI's rules, on real Comtrade files."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.serve.conftest import TOKEN, auth
from transship.serve.app import create_app

OIL = "comtrade-hs2-oil-wood-sample/comtrade_oil_hs27_2013.csv"


def _upload(client: TestClient, path: Path, **fields: str) -> object:
    with open(path, "rb") as f:
        return client.post(
            "/api/ingest", files={"file": (path.name, f, "text/csv")}, data=fields, headers=auth()
        )


def _rows(client: TestClient, table: str) -> int:
    tables = {t["table"]: t["rows"] for t in client.get("/api/tables").json()["items"]}
    return int(tables[table])


def test_read_only_server_refuses_with_403(client: TestClient, shared_data: Path) -> None:
    with open(shared_data / OIL, "rb") as f:
        response = client.post("/api/ingest", files={"file": ("x.csv", f)}, headers=auth())
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "read_only" and "TRANSSHIP_API_TOKEN" in error["message"]
    assert client.get("/api/ingest").json()["read_only"] is True


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}]
)
def test_token_required(writable: TestClient, shared_data: Path, headers: dict[str, str]) -> None:
    runs = writable.get("/api/runs").json()["total"]
    with open(shared_data / OIL, "rb") as f:
        response = writable.post("/api/ingest", files={"file": ("x.csv", f)}, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert writable.get("/api/runs").json()["total"] == runs


def test_upload_is_ingested_like_the_cli(
    writable: TestClient, shared_data: Path, demo_copy: Path
) -> None:
    before = _rows(writable, "trade_flows")  # cached now: the ingest must empty the cache
    response = _upload(writable, shared_data / OIL)
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    assert result["status"] == "ok" and result["rows_loaded"] > 1000
    assert result["uploaded_as"] == Path(OIL).name
    kept = Path(result["file"])
    assert kept.is_file() and kept.parent.parent == demo_copy.parent / "copy.duckdb.uploads"
    assert _rows(writable, "trade_flows") == before + result["rows_loaded"]
    runs = writable.get("/api/runs?limit=1000").json()["items"]
    assert runs[-1]["run_id"] == result["run_id"] and runs[-1]["file"] == str(kept)
    # the same content again: skipped, and the second copy is not kept
    again = _upload(writable, shared_data / OIL)
    assert again.status_code == 200
    [second] = again.json()["results"]
    assert second["status"] == "skipped" and not Path(second["file"]).exists()
    status = writable.get("/api/ingest").json()
    assert status["running"] is False and status["results"][0]["status"] == "skipped"


def test_two_files_and_cli_options(writable: TestClient, shared_data: Path) -> None:
    folder = shared_data / "comtrade-hs2-oil-wood-sample"
    with (
        open(folder / "comtrade_wood_hs44_2013.csv", "rb") as a,
        open(folder / "comtrade_wood_hs44_2014.csv", "rb") as b,
    ):
        response = writable.post(
            "/api/ingest",
            files=[("file", ("w13.csv", a)), ("file", ("w14.csv", b))],
            data={"dataset": "wood_test", "format": "comtrade-legacy"},
            headers=auth(),
        )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["uploaded_as"] for r in results] == ["w13.csv", "w14.csv"]
    assert all(r["status"] == "ok" for r in results)
    sources = writable.get("/api/sources?limit=1000").json()["items"]
    assert {s["dataset"] for s in sources if s["sha256"] in {r["sha256"] for r in results}} == {
        "wood_test"
    }


def test_failed_file_is_422_and_not_kept(writable: TestClient, tmp_path: Path) -> None:
    junk = tmp_path / "junk.csv"
    junk.write_text("this,is\nnot,trade data\n", encoding="utf-8")
    response = _upload(writable, junk)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "ingest_failed"
    [result] = error["detail"]["results"]
    assert result["status"] == "failed" and not Path(result["file"]).exists()


def test_bad_form_fields(writable: TestClient, shared_data: Path) -> None:
    assert _upload(writable, shared_data / OIL, format="nope").status_code == 400
    assert _upload(writable, shared_data / OIL, max_reject_share="2").status_code == 400
    assert _upload(writable, shared_data / OIL, strict="maybe").status_code == 400
    assert _upload(writable, shared_data / OIL, colour="red").status_code == 400
    with open(shared_data / OIL, "rb") as f:
        wrong = writable.post("/api/ingest", files={"upload": ("x.csv", f)}, headers=auth())
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "bad_upload"
    nothing = writable.post("/api/ingest", data={"dataset": "x"}, headers=auth())
    assert nothing.status_code in (400, 415)
    as_json = writable.post("/api/ingest", json={"file": "x"}, headers=auth())
    assert as_json.status_code == 415


def test_size_limit_refuses_and_keeps_nothing(
    demo_copy: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRANSSHIP_UPLOAD_MAX_BYTES", "100000")
    with TestClient(create_app(demo_copy, token=TOKEN)) as c:
        runs = c.get("/api/runs").json()["total"]
        response = _upload(c, shared_data / OIL)  # 3.5 MB
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "too_large"

        # without a Content-Length: refused while streaming, at the limit
        def body() -> object:
            data = (shared_data / OIL).read_bytes()
            yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.csv"\r\n\r\n'
            for i in range(0, len(data), 65536):
                yield data[i : i + 65536]
            yield b"\r\n--b--\r\n"

        streamed = c.post(
            "/api/ingest",
            content=body(),
            headers={**auth(), "Content-Type": "multipart/form-data; boundary=b"},
        )
        assert streamed.status_code == 413
        assert c.get("/api/runs").json()["total"] == runs
    uploads = demo_copy.parent / "copy.duckdb.uploads"
    assert not uploads.exists() or not any(p.is_file() for p in uploads.rglob("*"))


def test_a_writable_server_needs_a_token(demo_copy: Path) -> None:
    from transship.exc import InvalidInput

    with pytest.raises(InvalidInput, match="token"):
        create_app(demo_copy, token=None, read_only=False)


def test_token_from_the_setting(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRANSSHIP_API_TOKEN", "from-env")
    with TestClient(create_app(demo_copy)) as c:
        assert c.get("/api/health").json()["read_only"] is False
        response = c.post("/api/ingest", content=b"", headers={"Authorization": "Bearer from-env"})
        assert response.status_code == 415  # past the token check
