"""``/api/sql``: the CLI's read-only rules hold inside the server (issue 10's attacks and the
ones only a server meets), with a time limit and a row limit."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.serve.conftest import TOKEN
from tests.serve.test_ingest import OIL
from tests.store.test_sql_safety import ATTACK_NAMES, SECRET, attacks
from transship.exc import InvalidInput
from transship.serve.app import create_app


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.csv"
    path.write_text(f"token\n{SECRET}\n", encoding="utf-8")
    return path


def _server_attacks(folder: Path, secret: Path) -> dict[str, str]:
    """Reads of files and of the instance beyond the CLI's list: the server's sandbox stops
    the files, the parse-tree check (sqlguard) the rest and the files again."""
    return {
        "etc passwd": "SELECT * FROM read_csv('/etc/passwd')",
        "etc passwd text": "SELECT content FROM read_text('/etc/passwd')",
        "settings": "SELECT * FROM duckdb_settings()",
        "secrets": "SELECT * FROM duckdb_secrets()",
        "explain a file": f"EXPLAIN SELECT * FROM read_text('{secret}')",
        "explain analyze a file": f"EXPLAIN ANALYZE SELECT * FROM '{secret}'",
        "cte out of scope": f"SELECT * FROM (WITH \"{secret}\" AS (SELECT 1) SELECT 1), '{secret}'",
        "quoted file in join": f"SELECT * FROM ingest_runs JOIN '{secret}' ON true",
        "file in subquery": f"SELECT (SELECT count(*) FROM '{secret}') AS n",
        "file in where": f"SELECT 1 WHERE EXISTS (SELECT * FROM read_text('{secret}'))",
        "describe a file": f"DESCRIBE '{secret}'",
        "summarize a file": f"SUMMARIZE '{secret}'",
        "show a file": f"SHOW '{secret}'",
        "query function": "SELECT * FROM query('SELECT 1')",
        "query_table": "SELECT * FROM query_table('ingest_runs')",
        "serialized sql": "SELECT * FROM json_execute_serialized_sql('{}')",
        "checkpoint function": "SELECT * FROM checkpoint()",
        "parquet": f"SELECT * FROM parquet_scan('{secret}')",
        "sniff": f"SELECT * FROM sniff_csv('{secret}')",
        "other catalog": "SELECT * FROM other.main.ingest_runs",
        "pivot file": f"PIVOT '{secret}' ON token USING count(*)",
        "lateral file": "SELECT * FROM ingest_runs, LATERAL (SELECT * FROM read_csv(file))",
    }


def _get(client: TestClient, sql: str) -> tuple[int, dict[str, object]]:
    response = client.get("/api/sql?q=" + quote(sql))
    return response.status_code, response.json()


def _count(client: TestClient) -> int:
    status, body = _get(client, "SELECT count(*) AS n FROM ingest_runs")
    assert status == 200
    items = body["items"]
    assert isinstance(items, list)
    return int(items[0]["n"])


@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_cli_attacks_refused(name: str, client: TestClient, tmp_path: Path, secret: Path) -> None:
    before = _count(client)
    status, body = _get(client, attacks(tmp_path, secret)[name])
    assert status == 400, body
    error = body["error"]
    assert isinstance(error, dict) and error["code"] == "invalid_input"
    assert SECRET not in str(body) and "\n" not in str(error["message"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.csv"]
    assert _count(client) == before


@pytest.mark.parametrize("name", list(_server_attacks(Path("/x"), Path("/x/s"))))
def test_server_attacks_refused(
    name: str, client: TestClient, tmp_path: Path, secret: Path
) -> None:
    status, body = _get(client, _server_attacks(tmp_path, secret)[name])
    assert status == 400, body
    assert SECRET not in str(body)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.csv"]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 'a;b' AS s",
        "WITH t AS (SELECT 2 AS s) SELECT * FROM t",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r",
        "VALUES (3)",
        "FROM ingest_runs",
        "TABLE ingest_runs",
        "DESCRIBE trade_flows",
        "SHOW TABLES",
        "SUMMARIZE SELECT value_usd FROM trade_flows",
        "SELECT count(*) FROM trade_flows_statements",
        "SELECT * FROM information_schema.tables",
        "SELECT * FROM duckdb_tables()",
        "SELECT * FROM range(3)",
        "SELECT * FROM main.ingest_runs",
        # the CLI's kinds json_serialize_sql cannot represent: held by the CLI's check and
        # the sandbox, as in the CLI
        "EXPLAIN SELECT count(*) FROM trade_flows",
        "PRAGMA show_tables",
        "PIVOT (SELECT flow, year FROM trade_flows LIMIT 10) ON flow USING count(*)",
    ],
)
def test_reads_work(client: TestClient, sql: str) -> None:
    status, body = _get(client, sql)
    assert status == 200, body
    assert body["columns"]


def test_the_answer_matches_the_store(client: TestClient) -> None:
    status, body = _get(client, "SELECT count(*) AS n FROM trade_flows WHERE simulated")
    assert status == 200
    tables = client.get("/api/tables").json()["items"]
    [flows] = [t for t in tables if t["table"] == "trade_flows"]
    assert body["items"] == [{"n": flows["rows"]}]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT CAST('x' AS INTEGER)",
        "SELECT error('boom')",
        # fails while its rows stream, after the first batches
        "SELECT * FROM range(9000) WHERE CAST(CASE WHEN range = 8999 THEN 'x' ELSE '1' END "
        "AS INTEGER) = 1",
    ],
)
def test_failing_statements_are_400_one_line(client: TestClient, sql: str) -> None:
    status, body = _get(client, sql)
    assert status == 400, body
    message = body["error"]["message"]  # type: ignore[index]
    assert message.startswith("query failed") and "\n" not in message


def test_syntax_error_is_one_line(client: TestClient) -> None:
    status, body = _get(client, "SELEC count(*) FROM trade_flows")
    assert status == 400
    message = body["error"]["message"]  # type: ignore[index]
    assert message.startswith("syntax error") and "\n" not in message


def test_row_limit(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRANSSHIP_SQL_MAX_ROWS", "7")
    with TestClient(create_app(demo_db)) as c:
        status, body = _get(c, "SELECT * FROM range(100)")
        assert status == 200
        assert body["truncated"] is True and body["total"] == 7
        items = body["items"]
        assert isinstance(items, list) and len(items) == 7
        status, body = _get(c, "SELECT * FROM range(7)")
        assert body["truncated"] is False and body["total"] == 7


def test_time_limit_stops_a_query_and_the_connection_goes_on(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRANSSHIP_SQL_TIMEOUT", "0.5")
    monkeypatch.setenv("TRANSSHIP_SERVE_READERS", "1")  # the next query uses the same one
    with TestClient(create_app(demo_db)) as c:
        status, body = _get(
            c,
            "SELECT count(*) FROM range(1000000000) a, range(1000000) b WHERE a.range % 7 = b.range",
        )
        assert status == 422, body
        assert body["error"]["code"] == "query_timeout"  # type: ignore[index]
        status, body = _get(c, "SELECT 41 + 1 AS n")
        assert status == 200 and body["items"] == [{"n": 42}]


def test_pages_and_csv(client: TestClient) -> None:
    first = client.get("/api/sql?q=" + quote("SELECT * FROM range(10) t(n)") + "&limit=4").json()
    assert [r["n"] for r in first["items"]] == [0, 1, 2, 3]
    second = client.get(first["next"]).json()
    assert [r["n"] for r in second["items"]] == [4, 5, 6, 7]
    csv = client.get("/api/sql?q=" + quote("SELECT '=1+1' AS f, 2 AS n") + "&format=csv").text
    assert csv.splitlines() == ['"f","n"', '"\'=1+1",2']
    empty = client.get("/api/sql?q=" + quote("SELECT 1 AS a WHERE false") + "&format=csv").text
    assert empty.strip() == '"a"'


def test_sql_on_a_writable_server_still_reads_only(
    demo_copy: Path, tmp_path: Path, secret: Path
) -> None:
    """A server with a token holds the store read-write; user SQL must still only read."""
    with TestClient(create_app(demo_copy, token=TOKEN)) as c:
        before = _count(c)
        for sql in (
            "DELETE FROM ingest_runs",
            f"COPY ingest_runs TO '{tmp_path}/x.csv'",
            f"SELECT * FROM '{secret}'",
        ):
            status, _ = _get(c, sql)
            assert status == 400, sql
        assert _count(c) == before
    assert not (tmp_path / "x.csv").exists()


def test_server_connections_are_sandboxed_whatever_reaches_them(
    demo_copy: Path, tmp_path: Path, secret: Path, shared_data: Path
) -> None:
    """The layer under the checks: every connection of a serving process (readers and the
    ingest's writer) refuses files, extensions and settings, so a statement the parse-tree
    check let through by mistake still reads the store and nothing else."""
    app = create_app(demo_copy, token=TOKEN)
    with TestClient(app) as c:
        server = app.state.server
        stores = [server.writer]
        with server.reader() as reader:
            stores.append(reader)
        for store in stores:
            assert store.sandbox
            for sql in (
                "SELECT * FROM read_csv('/etc/passwd')",
                f"SELECT * FROM read_text('{secret}')",
                f"SELECT * FROM '{secret}'",
                f"COPY (SELECT 1 AS a) TO '{tmp_path}/out.csv'",
                f"ATTACH '{tmp_path}/other.duckdb' AS other",
                "INSTALL httpfs",
                "LOAD httpfs",
                "SET enable_external_access = true",
                "SET lock_configuration = false",
                "SET threads = 1",
                f"SELECT * FROM glob('{tmp_path}/*')",
            ):
                with pytest.raises(InvalidInput) as err:
                    store.query(sql)
                assert SECRET not in err.value.message, sql
            assert store.fetchall("SELECT count(*) FROM ingest_runs")[0][0] > 0
        # and the server's own writes still work on it (an upload is Arrow appends)
        with open(shared_data / OIL, "rb") as f:
            response = c.post(
                "/api/ingest",
                files={"file": ("oil.csv", f, "text/csv")},
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
        assert response.status_code == 200, response.text
        assert response.json()["results"][0]["rows_loaded"] > 1000
    made = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("copy.duckdb"))
    assert made == ["secret.csv"]
