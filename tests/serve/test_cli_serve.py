"""`transship serve`: starts on loopback, says whether it is read-only, answers, stops cleanly
and releases the store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from transship.cli.serve import is_loopback
from transship.store import connect


def _start(db: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str, list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "transship.cli.main", "serve", "--port", "0", "--db", str(db)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **env},
    )
    assert proc.stderr is not None
    lines = [proc.stderr.readline(), proc.stderr.readline()]
    assert lines[0].startswith("serving "), lines
    url = lines[0].split(" on ", 1)[1].split("/ ", 1)[0]
    return proc, url, lines


def test_serve_read_only_then_release(demo_copy: Path) -> None:
    proc, url, lines = _start(demo_copy, {"TRANSSHIP_API_TOKEN": ""})
    try:
        assert url.startswith("http://127.0.0.1:")
        assert lines[1].startswith("read-only")
        health = httpx.get(url + "/api/health", timeout=30).json()
        assert health == {
            "ok": True,
            "version": health["version"],
            "store": "copy.duckdb",
            "read_only": True,
        }
        refused = httpx.post(url + "/api/ingest", files={"file": ("x.csv", b"a\n")}, timeout=30)
        assert refused.status_code == 403
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
    assert proc.returncode == 130  # stopped by Ctrl-C (uvicorn re-raises SIGINT after shutdown)
    with connect(demo_copy) as store:  # released: a writer gets in
        assert store.count("ingest_runs") > 0


def test_serve_with_token_accepts_writes(demo_copy: Path) -> None:
    proc, url, lines = _start(demo_copy, {"TRANSSHIP_API_TOKEN": "t0k"})
    try:
        assert lines[1].startswith("uploads accepted")
        assert httpx.get(url + "/api/health", timeout=30).json()["read_only"] is False
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
    assert proc.returncode == 130  # stopped by Ctrl-C (uvicorn re-raises SIGINT after shutdown)


def test_loopback_addresses() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")
