"""User SQL reads the store and nothing else (issue 10, point 1).

Every attack from the issue, through ``transship.query`` and through ``transship sql``: no file
is written, no file outside the store is read, no row is changed, and the refusal is one line.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import transship
from transship.cli.app import app
from transship.exc import InvalidInput, NotFound
from transship.model.records import ArmsTransfer
from transship.store import connect
from transship.store.db import _open, check_read_only_sql

runner = CliRunner()
SECRET = "TOP-SECRET-0451"


@pytest.fixture(scope="module")
def db(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the real SIPRI register (arms_transfers), loaded once."""
    path = tmp_path_factory.mktemp("safety") / "store.duckdb"
    store = transship.open_store(path)
    [result] = transship.ingest(
        store, shared_data / "sipri-trade-register" / "trade_register_1995_2025.csv"
    )
    assert result.rows_loaded > 1000
    store.close()
    return path


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.csv"
    path.write_text(f"token\n{SECRET}\n", encoding="utf-8")
    return path


def _count(db: Path) -> int:
    with connect(db, read_only=True) as store:
        return store.count("arms_transfers")


def attacks(folder: Path, secret: Path) -> dict[str, str]:
    """Each statement the issue names (and a few of their cousins), by what it tries."""
    return {
        "copy to": f"COPY arms_transfers TO '{folder}/out.csv'",
        "copy select to": f"COPY (SELECT * FROM arms_transfers) TO '{folder}/out.csv'",
        "explain analyze copy": f"EXPLAIN ANALYZE COPY (SELECT 1 AS x) TO '{folder}/out.csv'",
        "explain analyze delete": "EXPLAIN ANALYZE DELETE FROM arms_transfers",
        "read_text": f"SELECT * FROM read_text('{secret}')",
        "read_csv": f"SELECT * FROM read_csv('{secret}')",
        "read_blob": f"SELECT * FROM read_blob('{secret}')",
        "glob": f"SELECT * FROM glob('{folder}/*')",
        "replacement scan": f"SELECT * FROM '{secret}'",
        "attach": f"ATTACH '{folder}/out.duckdb' AS other",
        "install": "INSTALL httpfs",
        "load": "LOAD httpfs",
        "set external access": "SET enable_external_access = true",
        "reset external access": "RESET enable_external_access",
        "unlock configuration": "SET lock_configuration = false",
        "pragma that sets": "PRAGMA threads = 1",
        "call": "CALL pragma_version()",
        "checkpoint": "CHECKPOINT",
        "export": f"EXPORT DATABASE '{folder}/dump'",
        "delete": "DELETE FROM arms_transfers",
        "drop": "DROP TABLE arms_transfers",
        "insert": "INSERT INTO arms_transfers SELECT * FROM arms_transfers",
        "create": "CREATE TABLE x AS SELECT 1 AS a",
        "two statements": "SELECT 1; DELETE FROM arms_transfers",
        "select then copy": f"SELECT 1; COPY arms_transfers TO '{folder}/out.csv'",
    }


ATTACK_NAMES = list(attacks(Path("/x"), Path("/x/s")))


@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_api_query_refuses(name: str, db: Path, tmp_path: Path, secret: Path) -> None:
    before = _count(db)
    store = transship.open_store(db)
    with pytest.raises(InvalidInput) as err:
        transship.query(store, attacks(tmp_path, secret)[name])
    message = err.value.message
    assert "\n" not in message
    assert SECRET not in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.csv"]  # nothing written
    assert _count(db) == before


@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_cli_sql_refuses(name: str, db: Path, tmp_path: Path, secret: Path) -> None:
    before = _count(db)
    result = runner.invoke(app, ["sql", attacks(tmp_path, secret)[name], "--db", str(db)])
    assert result.exit_code == 1, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    assert SECRET not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret.csv"]
    assert _count(db) == before


def test_delete_through_api_keeps_every_row(db: Path) -> None:
    """The issue's case: DELETE through transship.query used to empty the table, and re-ingest
    then refused the file as already loaded."""
    store = transship.open_store(db)
    n = transship.query(store, "SELECT count(*) AS n FROM arms_transfers").column("n")[0].as_py()
    with pytest.raises(InvalidInput, match="DELETE is not allowed"):
        transship.query(store, "DELETE FROM arms_transfers")
    assert transship.query(store, "SELECT count(*) AS n FROM arms_transfers").column(
        "n"
    ).to_pylist() == [n]
    assert n > 1000


def test_records_where_cannot_smuggle_a_statement(db: Path) -> None:
    store = transship.open_store(db)
    assert len(transship.records(store, ArmsTransfer, limit=3)) == 3
    with pytest.raises(InvalidInput, match="one statement"):
        transship.records(store, ArmsTransfer, where="true; DELETE FROM arms_transfers; SELECT 1")


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 'a;b' AS s", [{"s": "a;b"}]),
        ("select 'x' as s; ", [{"s": "x"}]),
        ("-- a comment; with a semicolon\nSELECT 1 AS s", [{"s": 1}]),
        ("WITH t AS (SELECT 2 AS s) SELECT * FROM t", [{"s": 2}]),
        ("VALUES (3)", [{"col0": 3}]),
        ("FROM (SELECT 4 AS s)", [{"s": 4}]),
    ],
)
def test_reads_still_work(db: Path, sql: str, expected: list[dict[str, object]]) -> None:
    assert transship.query(transship.open_store(db), sql).to_pylist() == expected


@pytest.mark.parametrize(
    "sql",
    [
        "DESCRIBE arms_transfers",
        "SHOW TABLES",
        "SUMMARIZE SELECT tiv_delivered FROM arms_transfers",
        "PIVOT (SELECT supplier_iso3, order_year FROM arms_transfers LIMIT 50) "
        "ON order_year USING count(*)",
        "EXPLAIN SELECT * FROM arms_transfers",
        "EXPLAIN ANALYZE SELECT count(*) FROM arms_transfers",
        "PRAGMA show_tables",
        "TABLE ingest_runs",
        "SELECT count(*) FROM trade_flows",
        "SELECT count(*) FROM parties",
        "SELECT count(*) FROM arms_transfers_statements",
    ],
)
def test_read_statements_and_views_allowed(db: Path, sql: str) -> None:
    """Tables and the views (trade_flows, parties, *_statements) are all visible."""
    table = transship.query(transship.open_store(db), sql)
    assert table.num_columns > 0


def test_views_hold_rows(db: Path) -> None:
    store = transship.open_store(db)
    [row] = transship.query(
        store, "SELECT count(*) AS n FROM arms_transfers_statements"
    ).to_pylist()
    assert row["n"] > 0


def test_syntax_error_says_so(db: Path) -> None:
    store = transship.open_store(db)
    with pytest.raises(InvalidInput) as err:
        transship.query(store, "SELEC count(*) FROM arms_transfers")
    assert err.value.message.startswith("syntax error: ")
    assert '"SELEC"' in err.value.message
    assert "\n" not in err.value.message
    result = runner.invoke(app, ["sql", "SELECT FROM WHERE (", "--db", str(db)])
    assert result.exit_code == 1
    assert "syntax error" in result.output
    assert "only one read-only statement" not in result.output


def test_cli_sql_select_with_semicolon_in_a_string(db: Path) -> None:
    result = runner.invoke(app, ["sql", "SELECT 'a;b' AS s", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    assert "a;b" in result.output


def test_empty_and_unknown_table(db: Path) -> None:
    store = transship.open_store(db)
    with pytest.raises(InvalidInput, match="no SQL statement"):
        transship.query(store, "  ;  ")
    with pytest.raises(InvalidInput, match="query failed: Catalog Error") as err:
        transship.query(store, "SELECT * FROM no_such_table")
    assert "\n" not in err.value.message


def test_user_connection_refuses_files_even_without_the_check(db: Path, secret: Path) -> None:
    """Second layer: the connection user SQL runs on cannot touch files or change settings,
    whatever statement reached it (a parser check that missed something)."""
    con = _open(db, read_only=True, safe=True)
    try:
        for sql in [
            f"SELECT * FROM read_text('{secret}')",
            f"COPY (SELECT 1) TO '{secret.parent}/x.csv'",
            "SET enable_external_access = true",
            "SET lock_configuration = false",
            "DELETE FROM arms_transfers",
        ]:
            with pytest.raises(duckdb.Error):
                con.execute(sql)
        assert con.execute("SELECT count(*) FROM trade_flows").fetchall()[0][0] >= 0
    finally:
        con.close()
    assert not (secret.parent / "x.csv").exists()


def test_memory_store_refuses_writes() -> None:
    store = transship.open_store(":memory:")
    with pytest.raises(InvalidInput):
        transship.query(store, "DELETE FROM arms_transfers")
    with pytest.raises(InvalidInput):
        transship.query(store, "CREATE TABLE x AS SELECT 1")
    assert "x" not in store.tables()
    assert transship.query(store, "SELECT 'a;b' AS s").to_pylist() == [{"s": "a;b"}]


def test_checker_reads_the_statement_not_its_first_word() -> None:
    check_read_only_sql("/* COPY x TO 'y' */ SELECT 1")
    check_read_only_sql("EXPLAIN (FORMAT json) SELECT 1")
    for bad in [
        "/* SELECT */ DELETE FROM t",
        "WITH d AS (SELECT 1) DELETE FROM t",
        "EXPLAIN (FORMAT json) COPY t TO 'x'",
        "EXPLAIN ANALYZE UPDATE t SET a = 1",
    ]:
        with pytest.raises(InvalidInput):
            check_read_only_sql(bad)


def test_missing_store_is_not_created_by_a_read(tmp_path: Path) -> None:
    path = tmp_path / "typo.duckdb"
    store = transship.open_store(path)
    with pytest.raises(NotFound):
        transship.query(store, "SELECT 1")
    with pytest.raises(NotFound):
        store.tables()
    assert not path.exists()
    result = runner.invoke(app, ["sql", "SELECT 1", "--db", str(path)])
    assert result.exit_code == 1
    assert not path.exists()
