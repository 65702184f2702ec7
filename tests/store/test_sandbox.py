"""A sandboxed store (``connect(..., sandbox=True)``, what ``transship serve`` opens): its
DuckDB instance reads and writes the store and nothing else, its own writes still work, and
a running statement can be stopped from another thread (``Store.interrupt``, the time limit
of user SQL)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pyarrow as pa
import pytest

import transship
from transship.exc import InvalidInput, StoreError
from transship.store import connect

SLOW = "SELECT count(*) FROM range(1000000000) a, range(1000000) b WHERE a.range % 7 = b.range"


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.csv"
    path.write_text("token\nTOP-SECRET-0451\n", encoding="utf-8")
    return path


def test_sandboxed_writer_ingests_a_real_file_and_refuses_files(
    tmp_path: Path, shared_data: Path, secret: Path
) -> None:
    store = connect(tmp_path / "s.duckdb", sandbox=True)
    try:
        [result] = transship.ingest(
            store, shared_data / "sipri-trade-register" / "trade_register_1995_2025.csv"
        )
        assert result.status == "ok" and result.rows_loaded > 1000
        assert store.count("arms_transfers") == result.rows_loaded
        for sql in (
            f"SELECT * FROM read_csv('{secret}')",
            "SELECT * FROM read_text('/etc/passwd')",
            f"COPY arms_transfers TO '{tmp_path}/out.csv'",
            f"ATTACH '{tmp_path}/other.duckdb' AS other",
            "LOAD httpfs",
            "SET enable_external_access = true",
            "SET lock_configuration = false",
        ):
            with pytest.raises(InvalidInput):
                store.query(sql)
        # append, register_arrow and threads under a locked configuration
        store.register_arrow("_extra", pa.table({"n": [1, 2, 3]}))
        assert store.query("SELECT sum(n) AS s FROM _extra").column("s").to_pylist() == [6]
        store.unregister("_extra")
        with store.single_thread():
            n = store.append(
                "rejects", pa.table({"run_id": [999], "file": ["f.csv"], "reason": ["test"]})
            )
        assert n == 1
    finally:
        store.close()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("s.")) == [
        "secret.csv"
    ]


def test_other_stores_of_the_process_join_the_sandbox(tmp_path: Path, secret: Path) -> None:
    """DuckDB keeps one instance per file and process: while a sandboxed store is open, an
    ordinary store opened on the same file gets a sandboxed connection (it cannot get
    another), so nothing in a serving process reads files through the back door."""
    db = tmp_path / "s.duckdb"
    sandboxed = connect(db, sandbox=True)
    try:
        other = connect(db, read_only=False)
        with pytest.raises(InvalidInput, match="disabled by configuration"):
            other.query(f"SELECT * FROM read_text('{secret}')")
        assert other.count("ingest_runs") == 0
        other.close()
    finally:
        sandboxed.close()
    # once closed, the file opens as usual again
    plain = connect(db)
    assert plain.query(f"SELECT count(*) AS n FROM read_text('{secret}')").num_rows == 1
    plain.close()
    # and a sandbox cannot be opened beside an ordinary connection (it would not be one)
    plain = connect(db)
    try:
        with pytest.raises(StoreError, match="another mode"):
            connect(db, sandbox=True).count("ingest_runs")
    finally:
        plain.close()


def test_interrupt_stops_a_running_query(tmp_path: Path) -> None:
    store = connect(tmp_path / "s.duckdb", sandbox=True)
    try:
        timer = threading.Timer(0.3, store.interrupt)
        timer.start()
        t0 = time.monotonic()
        with pytest.raises(InvalidInput, match="interrupted"):
            store.query_readonly(SLOW)
        timer.cancel()
        assert time.monotonic() - t0 < 60
        assert store.query("SELECT 41 + 1 AS n").column("n").to_pylist() == [42]
        store.interrupt()  # nothing running: nothing happens
        assert store.count("ingest_runs") == 0
    finally:
        store.close()


@pytest.mark.parametrize("sandbox", [False, True])
def test_query_readonly_time_limit(tmp_path: Path, sandbox: bool) -> None:
    store = connect(tmp_path / "s.duckdb", sandbox=sandbox)
    try:
        with pytest.raises(InvalidInput, match=r"query stopped after 0\.3 s"):
            store.query_readonly(SLOW, timeout=0.3)
        assert store.query_readonly("SELECT 7 AS n", timeout=5).column("n").to_pylist() == [7]
    finally:
        store.close()


def test_stream_names_an_error_raised_mid_stream(tmp_path: Path) -> None:
    """A statement that fails after its first batches (a cast of the last row) comes out of
    the stream as the store's InvalidInput, on one line, not as Arrow's OSError."""
    store = connect(tmp_path / "s.duckdb", sandbox=True)
    try:
        stream = store.stream(
            "SELECT * FROM range(300000) WHERE CAST(CASE WHEN range = 299999 THEN 'x' "
            "ELSE '1' END AS INTEGER) = 1",
            batch_rows=1000,
        )
        with pytest.raises(InvalidInput, match="^query failed: Conversion Error") as err:
            for _ in stream:
                pass
        assert "\n" not in err.value.message
        assert store.query("SELECT 1 AS n").num_rows == 1
    finally:
        store.close()
