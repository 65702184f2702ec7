"""Ingest behaviour across readers: JSON interface, idempotence, atomicity, clear errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from transship.cli.app import app
from transship.ingest.base import Reject, Rows
from transship.ingest.loading import Prefetch
from transship.store import connect

runner = CliRunner()
JSON_KEYS = {"file", "format", "sha256", "run_id", "rows_loaded", "rows_rejected", "status"}


def _wood_2017(shared_data: Path) -> Path:
    return shared_data / "comtrade-hs2-oil-wood-sample" / "comtrade_wood_hs44_2017.csv"


def test_ingest_json_interface_and_idempotence(shared_data: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    src = _wood_2017(shared_data)
    first = runner.invoke(app, ["ingest", str(src), "--db", str(db), "--json"])
    assert first.exit_code == 0, first.output
    [row] = json.loads(first.stdout)
    assert JSON_KEYS <= set(row)
    assert (
        row["status"] == "ok" and row["format"] == "comtrade-legacy" and row["rows_loaded"] > 10_000
    )
    assert len(row["sha256"]) == 64
    with connect(db) as s:
        before = s.count("trade_flows")
    again = runner.invoke(app, ["ingest", str(src), "--db", str(db), "--json"])
    assert again.exit_code == 0
    [row2] = json.loads(again.stdout)
    assert row2["status"] == "skipped" and row2["rows_loaded"] == 0
    with connect(db) as s:
        assert s.count("trade_flows") == before
        assert s.count("ingest_runs") == 1


def test_wrong_kind_of_file_is_one_line_error(tmp_path: Path) -> None:
    junk = tmp_path / "notes.csv"
    junk.write_text("hello,world\n1,2\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(junk), "--db", str(tmp_path / "s.duckdb")])
    assert result.exit_code == 1
    assert "notes.csv" in result.output and "Traceback" not in result.output


def test_missing_columns_named(shared_data: Path, tmp_path: Path) -> None:
    lines = _wood_2017(shared_data).read_text(encoding="utf-8-sig").splitlines()[:50]
    header = lines[0].split(",")
    drop = header.index("Trade Value (US$)")
    cut = [",".join(c for i, c in enumerate(line.split(",")) if i != drop) for line in lines]
    bad = tmp_path / "cut.csv"
    bad.write_text("\n".join(cut) + "\n", encoding="utf-8")
    result = runner.invoke(
        app, ["ingest", str(bad), "--format", "comtrade-legacy", "--db", str(tmp_path / "s.duckdb")]
    )
    assert result.exit_code == 1
    assert "cut.csv" in result.output and "Trade Value (US$)" in result.output
    assert "Traceback" not in result.output


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    r = runner.invoke(
        app, ["ingest", str(tmp_path / "nope.csv"), "--db", str(tmp_path / "s.duckdb")]
    )
    assert r.exit_code == 1 and "no such file" in r.output
    r = runner.invoke(
        app, ["ingest", str(tmp_path), "--format", "nope", "--db", str(tmp_path / "s.duckdb")]
    )
    assert r.exit_code == 2 and "unknown format" in r.output  # a usage error (issue 10)


def _big_baci(path: Path, rows: int) -> None:
    rng = np.random.default_rng(7)
    codes = np.array(
        [4, 8, 40, 56, 100, 203, 276, 348, 380, 404, 566, 616, 642, 688, 703, 724, 792, 804, 842]
    )
    with open(path, "w", encoding="utf-8") as f:
        f.write("t,i,j,k,v,q\n")
        chunk = 200_000
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            i = rng.choice(codes, n)
            j = rng.choice(codes, n)
            k = rng.integers(10_000, 970_000, n)
            v = rng.gamma(1.0, 50.0, n)
            q = rng.gamma(1.0, 5.0, n)
            f.writelines(
                f"2022,{a},{b},{c},{d:.3f},{e:.3f}\n"
                for a, b, c, d, e in zip(i, j, k, v, q, strict=True)
            )


def test_killed_ingest_leaves_store_unchanged(shared_data: Path, tmp_path: Path) -> None:
    """SIGKILL a real `transship ingest` half-way: the store is as it was, a re-run completes."""
    db = tmp_path / "s.duckdb"
    big = tmp_path / "BACI_HS17_Y2022_V202401.csv"
    _big_baci(big, 3_000_000)
    with connect(db) as s:  # something already in the store that must survive
        from transship.ingest import ingest_file

        ingest_file(s, _wood_2017(shared_data))
        before = {t: s.count(t) for t in ("trade_flows", "ingest_runs", "rejects", "sources")}
    env = {**os.environ, "TRANSSHIP_BATCH_ROWS": "50000"}
    cmd = [
        sys.executable,
        "-m",
        "transship.cli.main",
        "ingest",
        str(big),
        "--db",
        str(db),
        "--format",
        "baci",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    size0 = db.stat().st_size
    deadline = time.monotonic() + 120
    # Kill once the transaction is visibly writing (the file or its WAL grows), well before the end.
    while time.monotonic() < deadline and proc.poll() is None:
        wal = db.with_name(db.name + ".wal")
        grown = db.stat().st_size > size0 + (4 << 20) or (
            wal.exists() and wal.stat().st_size > (1 << 20)
        )
        if grown:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "ingest finished before it could be killed; make the file bigger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with connect(db) as s:
        after = {t: s.count(t) for t in before}
        assert after == before
    rerun = subprocess.run(cmd + ["--json"], env=env, capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    [row] = json.loads(rerun.stdout)
    assert row["status"] == "ok" and row["rows_loaded"] + row["rows_rejected"] == 3_000_000
    with connect(db) as s:
        assert s.count("trade_flows") == before["trade_flows"] + row["rows_loaded"]


def test_store_file_is_valid_duckdb_after_kill_rerun(tmp_path: Path) -> None:
    """The store is a plain DuckDB file other tools can open."""
    db = tmp_path / "s.duckdb"
    connect(db).close()
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM _transship_migrations").fetchone()[0] >= 1  # type: ignore[index]
    finally:
        con.close()


def test_prefetch_keeps_order_raises_in_caller_and_stops_reader() -> None:
    """The reader runs a step ahead in a thread: items arrive in order, its error is raised
    in the caller's thread, and leaving early stops it (its generator is closed)."""
    closed: list[bool] = []

    def items(n: int, fail_at: int | None = None) -> Iterator[Rows | Reject]:
        try:
            for i in range(n):
                if i == fail_at:
                    raise ValueError(f"bad at {i}")
                yield Reject(i, None, "r", None) if i % 2 else Rows("t", pa.table({"line": [i]}))
        finally:
            closed.append(True)

    with Prefetch(items(50)) as got:
        lines = [x.line if isinstance(x, Reject) else x.data["line"][0].as_py() for x in got]
    assert lines == list(range(50)) and closed == [True]

    with pytest.raises(ValueError, match="bad at 7"), Prefetch(items(50, fail_at=7)) as got:
        assert len(list(got)) == 7

    closed.clear()
    prefetch = Prefetch(items(10_000))
    with prefetch as got:
        next(got)  # leave after one item: the reader must not run on
    assert not prefetch._thread.is_alive() and closed == [True]
