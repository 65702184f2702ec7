"""Browser tests: headless Chromium (Debian's, never a downloaded one) driven by
Playwright, against uvicorn on a free loopback port serving a copy of the demo store.

One server and one browser per session (the machines have 2 cores). Every page a test opens
is watched: a console error, an uncaught exception or a request to any host other than the
server fails the test. The Playwright, browser and screenshot fixtures live one folder up
(``tests/serve/conftest.py``), so that the browser tests of ``tests/serve`` share the one
Playwright of the session: a second sync Playwright in the same thread cannot start.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, ConsoleMessage, Page, Route

from transship.serve.app import create_app

TOKEN = "browser-test-token-7c1e"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def served_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the demo store: the upload test writes to it."""
    folder = tmp_path_factory.mktemp("browser-store")
    target = folder / "transship.duckdb"
    shutil.copyfile(demo_db, target)
    wal = demo_db.with_name(demo_db.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, target.with_name(target.name + ".wal"))
    return target


@pytest.fixture(scope="session")
def base_url(served_db: Path) -> Iterator[str]:
    """uvicorn serving the app (with an upload token) on 127.0.0.1, in a thread."""
    app = create_app(served_db, token=TOKEN, read_only=False)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped before it started"
        assert time.monotonic() < deadline, "uvicorn did not start in 60 s"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@dataclass
class Watched:
    """A page and what went wrong on it (console errors, page errors, foreign requests)."""

    page: Page
    base: str
    shots: Path
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def open(self, path: str, shot: str | None = None) -> None:
        response = self.page.goto(self.base + path, wait_until="networkidle", timeout=180_000)
        assert response is not None and response.status == 200, (path, response and response.status)
        if shot:
            self.shot(shot)

    def shot(self, name: str) -> Path:
        """The visible part of the page (1280 x 900), as docs/ui.md shows it."""
        self.page.wait_for_timeout(300)  # charts draw after load
        target = self.shots / f"{name}.png"
        self.page.screenshot(path=str(target))
        return target

    def problems(self) -> list[str]:
        errors = [e for e in self.errors if not any(a in e for a in self.allowed)]
        return errors + [f"request to another host: {u}" for u in self.foreign]


@pytest.fixture
def web(browser: Browser, base_url: str, screenshots: Path) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watched = Watched(page, base_url, screenshots)

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            watched.errors.append(f"console error: {msg.text}")

    def block_foreign(route: Route) -> None:
        url = route.request.url
        if url.startswith(base_url + "/") or url.startswith("data:"):
            route.continue_()
        else:
            watched.foreign.append(url)
            route.abort()

    context.route("**/*", block_foreign)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: watched.errors.append(f"page error: {exc}"))
    try:
        yield watched
    finally:
        context.close()
    assert not watched.problems(), watched.problems()
