"""Reads while another process writes (issue 10, point 7; docs/store.md, "Process model").

A second process (``holder.py`` below) opens the store as a writer, as ``transship ingest``
does, and keeps it until told on stdin; the tests show that a reader waits for it up to
``TRANSSHIP_LOCK_WAIT`` and then either gets its answer or fails with one line naming that
process, and that a session opened with ``transship.open_store`` never blocks a writer.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

import transship
from transship.cli.app import app
from transship.exc import NotFound, StoreError
from transship.store import connect

runner = CliRunner()
HOLDER = """\
import sys
from transship.store import connect

store = connect(sys.argv[1])  # a writer, as `transship ingest` opens it
print("locked", flush=True)
sys.stdin.readline()
store.close()
print("released", flush=True)
sys.stdin.readline()
"""


@pytest.fixture
def tiv(shared_data: Path) -> Path:
    return shared_data / "sipri-tiv-360info" / "raw-tiv-by-exporter"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "store.duckdb"
    connect(path).close()
    return path


@contextmanager
def holder(tmp_path: Path, db: Path) -> Iterator[subprocess.Popen[str]]:
    script = tmp_path / "holder.py"
    script.write_text(HOLDER, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        assert proc.stdout.readline().strip() == "locked"
        yield proc
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)


def release(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write("release\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == "released"


def test_reader_fails_after_bounded_wait_naming_the_holder(
    tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRANSSHIP_LOCK_WAIT", "0.5")
    with holder(tmp_path, db) as proc:
        with pytest.raises(StoreError) as err:
            connect(db, read_only=True).tables()
        message = err.value.message
        assert f"PID {proc.pid}" in message
        assert "holder.py" in message  # the holder's command line, through psutil
        assert "TRANSSHIP_LOCK_WAIT" in message
        assert "\n" not in message
        result = runner.invoke(app, ["sql", "SELECT 1 AS x", "--db", str(db)])
        assert result.exit_code == 1
        errors = [ln for ln in result.output.splitlines() if "error" in ln]
        assert len(errors) == 1 and f"PID {proc.pid}" in errors[0], result.output
        assert "Traceback" not in result.output


def test_reader_waits_and_succeeds_when_the_writer_finishes(
    tmp_path: Path, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The holder is released the moment the reader reports that it waits: the reader must
    then succeed on a retry, not fail on its first attempt."""
    with holder(tmp_path, db) as proc:
        monkeypatch.setenv("TRANSSHIP_LOCK_WAIT", "0")
        with pytest.raises(StoreError):
            connect(db, read_only=True).tables()  # locked: no wait, no answer

        class ReleaseOnWait(logging.Handler):
            waited = 0

            def emit(self, record: logging.LogRecord) -> None:
                if f"held by PID {proc.pid}" in record.getMessage():
                    ReleaseOnWait.waited += 1
                    release(proc)

        handler = ReleaseOnWait(logging.WARNING)
        log = logging.getLogger("transship.store.db")
        log.addHandler(handler)
        monkeypatch.setenv("TRANSSHIP_LOCK_WAIT", "120")
        try:
            result = runner.invoke(
                app, ["sql", "SELECT count(*) AS n FROM ingest_runs", "--db", str(db), "--json"]
            )
        finally:
            log.removeHandler(handler)
        assert result.exit_code == 0, result.output
        assert '"n": 0' in result.output
        assert ReleaseOnWait.waited == 1


def test_open_store_session_does_not_block_an_ingest(
    tmp_path: Path, tiv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A notebook that opened the store, wrote and read, holds nothing while idle: an ingest
    in another process succeeds at once (TRANSSHIP_LOCK_WAIT=0: no waiting allowed)."""
    db = tmp_path / "session.duckdb"
    store = transship.open_store(db)
    [first] = transship.ingest(store, tiv / "TIV-Export-ALB-1950-2021.csv")
    assert first.rows_loaded > 0
    before = transship.query(store, "SELECT count(*) AS n FROM arms_tiv").column("n")[0].as_py()
    assert "arms_tiv" in store.tables()
    env = {**os.environ, "TRANSSHIP_LOCK_WAIT": "0"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "transship.cli.main",
            "ingest",
            str(tiv / "TIV-Export-ARG-1950-2021.csv"),
        ]
        + ["--db", str(db)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    # The session sees the other process's rows on its next read.
    after = transship.query(store, "SELECT count(*) AS n FROM arms_tiv").column("n")[0].as_py()
    assert after > before
    store.close()


def test_open_store_read_session_does_not_block_an_ingest(db: Path, tiv: Path) -> None:
    store = transship.open_store(db)
    assert transship.query(store, "SELECT count(*) AS n FROM arms_tiv").to_pylist() == [{"n": 0}]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "transship.cli.main",
            "ingest",
            str(tiv / "TIV-Export-ALB-1950-2021.csv"),
        ]
        + ["--db", str(db)],
        env={**os.environ, "TRANSSHIP_LOCK_WAIT": "0"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert transship.query(store, "SELECT count(*) AS n FROM arms_tiv").column("n")[0].as_py() > 0


def test_with_block_keeps_the_file_and_names_this_process(db: Path) -> None:
    """``with open_store(...)`` keeps the file open for the block: a writer elsewhere waits,
    and its message names this process."""
    script = "from transship.store import connect; connect(__import__('sys').argv[1])"
    with transship.open_store(db) as store:
        assert "arms_tiv" in store.tables()
        done = subprocess.run(
            [sys.executable, "-c", script, str(db)],
            env={**os.environ, "TRANSSHIP_LOCK_WAIT": "0.2"},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 1
        assert f"PID {os.getpid()}" in done.stderr
    done = subprocess.run(
        [sys.executable, "-c", script, str(db)],
        env={**os.environ, "TRANSSHIP_LOCK_WAIT": "0"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr


def test_open_store_takes_no_lock_until_a_write(tmp_path: Path) -> None:
    """Opening is free; a missing store stays missing until something is written to it."""
    path = tmp_path / "new.duckdb"
    store = transship.open_store(path)
    assert not path.exists()
    with pytest.raises(NotFound):
        store.tables()
    with pytest.raises(NotFound):
        transship.open_store(path, read_only=True)
    assert not path.exists()
    rows = pa.table({"run_id": [1], "file": ["f"], "line": [3], "reason": ["bad"]})
    store.append("rejects", rows)  # first write: creates and migrates
    assert path.exists()
    assert store.count("rejects") == 1
    # and released again: another writer in this process could open it
    assert store._con is None  # noqa: SLF001 (the state this test is about)


def test_registered_tables_survive_the_switch_to_writing(db: Path) -> None:
    store = connect(db, lazy=True)
    with store:
        store.register_arrow("extra", pa.table({"x": [1, 2, 3]}))
        assert store.query("SELECT sum(x) AS s FROM extra").to_pylist() == [{"s": 6}]
        store.append(
            "rejects", pa.table({"run_id": [1], "file": ["f"], "line": [1], "reason": ["r"]})
        )
        assert store.query("SELECT sum(x) AS s FROM extra").to_pylist() == [{"s": 6}]
        assert store.count("rejects") == 1


def test_reader_store_stays_read_only(db: Path) -> None:
    with connect(db, read_only=True) as store:
        with pytest.raises(Exception):  # noqa: B017,PT011 (DuckDB's own read-only refusal)
            store.execute("DELETE FROM rejects")
