"""Offline by default: only `transship fetch` may touch the network, and the suite runs with
connections to any host but loopback refused (pytest-socket, configured in pyproject.toml)."""

from __future__ import annotations

import ast
import socket
from pathlib import Path

import pytest
from pytest_socket import SocketConnectBlockedError

PACKAGE = Path(__file__).resolve().parents[1] / "transship"
NETWORK = {
    "urllib.request",
    "http.client",
    "requests",
    "httpx",
    "urllib3",
    "aiohttp",
    "comtradeapicall",
    "socket",
}
#: Who may import what: fetch does the downloads; screening's optional remote backend calls a
#: yente server the user names (`transship screen --remote URL`); serve binds its socket.
ALLOWED = {"fetch": NETWORK, "resolve/remote.py": {"httpx"}, "cli/serve.py": {"socket"}}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return {name for name in found if name in NETWORK}


def test_only_the_fetch_stage_imports_network_code() -> None:
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        allowed = next(
            (v for k, v in ALLOWED.items() if rel == k or rel.startswith(k + "/")), set()
        )
        bad = _imports(path) - allowed
        if bad:
            offenders[rel] = sorted(bad)
    assert offenders == {}


def test_the_suite_refuses_connections_to_other_hosts() -> None:
    with pytest.raises(SocketConnectBlockedError):
        socket.create_connection(("192.0.2.1", 80), timeout=1)  # TEST-NET-1, never routed
