"""The demo store, built once per test session and served read-only by the API tests.

Tests that write (uploads) serve a copy of it or a fresh store, never the shared one.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from transship.demo import run_demo
from transship.serve.app import create_app

TOKEN = "test-token-5f0c"


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`transship demo`'s store (the Serbia 2025 case, simulated statistics), built once.

    ``TRANSSHIP_TEST_DEMO_DIR``: a folder `transship demo` wrote with this version, copied
    instead of built (minutes saved in a developer's loop; CI leaves it unset)."""
    out = tmp_path_factory.mktemp("serve-demo")
    given = os.environ.get("TRANSSHIP_TEST_DEMO_DIR")
    if given:
        shutil.copytree(given, out, dirs_exist_ok=True)
        return out / "transship.duckdb"
    report = run_demo(out)
    return Path(report.store)


@pytest.fixture(scope="module")
def client(demo_db: Path) -> Iterator[TestClient]:
    """A read-only server (no token) over the demo store."""
    with TestClient(create_app(demo_db, token=None)) as c:
        yield c


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path) -> Path:
    """A private copy of the demo store, for tests that write."""
    target = tmp_path / "copy.duckdb"
    shutil.copyfile(demo_db, target)
    wal = demo_db.with_name(demo_db.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, target.with_name(target.name + ".wal"))
    return target


@pytest.fixture
def writable(demo_copy: Path) -> Iterator[TestClient]:
    """A server that takes uploads (bearer TOKEN) over a copy of the demo store."""
    with TestClient(create_app(demo_copy, token=TOKEN)) as c:
        yield c


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
