"""The demo store, built once per test session and served read-only by the API tests.

Tests that write (uploads) serve a copy of it or a fresh store, never the shared one.

The browser fixtures (one Playwright and one Chromium per session) are here rather than in
``web/conftest.py`` so that every browser test under ``tests/serve`` shares them: a fixture
imported into a test module is a new definition, and a second sync Playwright cannot start
while the first is open. Screenshots go to ``--screenshots DIR`` (or
``$TRANSSHIP_SCREENSHOTS``), else to a temporary folder pytest keeps.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Playwright, sync_playwright

from transship.demo import run_demo
from transship.serve.app import create_app

TOKEN = "test-token-5f0c"
#: Debian's chromium (installed by .ci/run; never a downloaded browser).
CHROMIUM = "/usr/bin/chromium"


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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--screenshots",
        default=None,
        help="Folder for the browser tests' screenshots (default: a pytest temporary folder).",
    )


@pytest.fixture(scope="session")
def screenshots(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    try:
        chosen = request.config.getoption("--screenshots")
    except ValueError:  # the option is only known when this folder's conftest loads first
        chosen = None
    chosen = chosen or os.environ.get("TRANSSHIP_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: install Debian's chromium (.ci/run)"
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    try:
        yield b
    finally:
        b.close()
