"""Party pages in a real browser (Debian's Chromium driven by Playwright): the demo store
with the Zala fixture (OpenSanctions, read in place) ingested and resolved, served by
uvicorn on loopback. Every page is watched as in tests/serve/web: a console error, an
uncaught exception or a request to another host fails the test."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, ConsoleMessage, Route

from tests.serve.web.conftest import (  # noqa: F401 - fixtures used by name
    Watched,
    _free_port,
)
from transship.ingest.pipeline import ingest_paths
from transship.resolve.actors import resolve_parties
from transship.serve.app import create_app
from transship.store import connect

TOKEN = "parties-browser-token-91"
LLC_CST = "NK-abdzbEBkqyT29GyREbiURZ"
UNMANNED = "NK-cWSvGMvufNH5KwEV88FwTA"  # Limited Liability Company Unmanned Systems


@pytest.fixture(scope="module")
def parties_url(
    demo_db: Path, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("parties-browser")
    db = folder / "transship.duckdb"
    shutil.copyfile(demo_db, db)
    wal = demo_db.with_name(demo_db.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, db.with_name(db.name + ".wal"))
    with connect(db) as store:
        zala = shared_data / "opensanctions-ftm-fixtures" / "zala_entities.ftm.jsonl"
        [result] = ingest_paths(store, [zala], dataset="zala")
        assert result.status == "ok"
        resolve_parties(store)
    app = create_app(db, token=TOKEN, read_only=False)
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


@pytest.fixture
def web(browser: Browser, parties_url: str, screenshots: Path) -> Iterator[Watched]:  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watched = Watched(page, parties_url, screenshots)

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            watched.errors.append(f"console error: {msg.text}")

    def block_foreign(route: Route) -> None:
        url = route.request.url
        if url.startswith(parties_url + "/") or url.startswith("data:"):
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


def test_list_search_party_and_record(web: Watched) -> None:
    web.open("/parties", shot="parties")
    assert "SIMULATED" in web.page.locator(".simulated-banner").inner_text()
    every = web.page.locator("#parties-table tbody tr").count()
    assert every > 20
    # the search form narrows the list
    web.page.fill("#parties-q", "Yugoimport")
    web.page.click("form.query button[type=submit]")
    web.page.wait_for_url("**/parties?q=Yugoimport*")
    found = web.page.locator("#parties-table tbody tr")
    assert 0 < found.count() < every
    link = web.page.locator("#parties-table a[href^='/parties/actor-']").first
    assert "Yugoimport" in link.inner_text()
    link.click()
    web.page.wait_for_url("**/parties/actor-*")
    web.page.wait_for_load_state("networkidle")
    assert "Yugoimport SDPR" in web.page.locator("h1").inner_text()
    assert "SIMULATED" in web.page.locator(".simulated-banner").inner_text()
    web.shot("party-yugoimport")
    # records by role: exporter, sender, declarant..., each with its file and line
    roles = web.page.locator("#records h3").all_inner_texts()
    assert any(r.startswith("exporter") for r in roles), roles
    first = web.page.locator("#records table.records tbody tr").first.locator("td")
    assert first.nth(4).inner_text().strip().endswith((".csv", ".jsonl"))
    line = first.nth(5).inner_text().strip()
    assert line.isdigit()
    first.nth(0).locator("a").click()
    web.page.wait_for_url("**/records/**")
    facts = web.page.locator("dl.facts").inner_text()
    assert "line" in facts and "sha256" in facts
    shown = web.page.locator("#record-fields tr", has_text="line").first.locator("td")
    assert shown.inner_text().strip() == line


def test_listed_party_graph_sanctions_and_screening(web: Watched) -> None:
    web.open(f"/parties/{LLC_CST}")
    assert "LLC CST" in web.page.locator("h1").inner_text()
    web.page.locator("#ownership-graph canvas").wait_for(timeout=30_000)
    nodes = web.page.evaluate(
        """() => echarts.getInstanceByDom(document.getElementById('ownership-graph'))
                 .getOption().series[0].data.map(d => d.name)"""
    )
    assert "JSC Kalashnikov Concern" in nodes
    assert web.page.locator("#owners-table tbody tr").count() >= 3
    assert "49.0 %" in web.page.locator("#owners-table").inner_text()
    assert web.page.locator("#sanctions-table tbody tr").count() >= 5
    # the sanctions table sorts like every table of the UI
    web.page.locator("#sanctions-table thead th button").first.click()
    assert web.page.locator("#sanctions-table thead th").first.get_attribute("aria-sort")
    assert "Screening against the store's lists" in web.page.locator("#screening").inner_text()
    web.shot("party-llc-cst")
    # an owner in the chain table opens that owner's party page
    web.page.locator("#owners-table a", has_text="JSC Kalashnikov Concern").first.click()
    web.page.wait_for_url("**/parties/NK-*")
    web.page.wait_for_load_state("networkidle")
    assert "Kalashnikov" in web.page.locator("h1").inner_text()
    # and the page's JSON twin carries the same party
    twin = web.page.request.get(web.base + f"/parties/{LLC_CST}.json")
    assert twin.ok and twin.json()["caption"] == "LLC CST"


def test_screening_explanations_feature_by_feature(web: Watched) -> None:
    # Unmanned Systems LLC: other Zala-group firms on the list score as near misses
    web.open(f"/parties/{UNMANNED}", shot="party-screening")
    section = web.page.locator("#screening")
    assert "screened against" in section.inner_text()
    results = section.locator("article.screen-result")
    assert results.count() >= 1
    first = results.first
    assert "score" in first.locator("h3").inner_text()
    header = first.locator("table.explanations thead").inner_text()
    for column in ("feature", "score", "weight", "detail", "query", "candidate"):
        assert column in header
    features = first.locator("table.explanations tbody tr td:first-child").all_inner_texts()
    assert "name_match" in features
    # the same explanations in the JSON twin, with the numbers the table shows
    twin = web.page.request.get(web.base + f"/parties/{UNMANNED}.json").json()
    top = twin["screening"]["results"][0]
    assert top["explanations"]["name_match"]["weight"] == 1.0
    assert f"{top['score']:.2f}" in first.locator("h3").inner_text()


def test_judge_from_the_party_page(web: Watched) -> None:
    web.open("/parties/Krušik")
    web.page.fill("#judge-other", "Sloboda")
    web.page.select_option("#judge-verdict", "different")
    web.page.fill("#judge-who", "browser test")
    web.page.fill("#judge-why", '<img src=x onerror=alert("why")>')
    # without the token: refused, and the page says why
    web.allowed.append("401")  # the browser logs the refused request as a console error
    web.page.click("#judge-form button[type=submit]")
    status = web.page.locator("#judge-status")
    status.filter(has_text="Refused").wait_for(timeout=30_000)
    assert "401" in status.inner_text()
    web.page.fill("#judge-token", TOKEN)
    web.page.click("#judge-form button[type=submit]")
    status.filter(has_text="recorded").wait_for(timeout=30_000)
    text = status.inner_text()
    assert "different" in text and "by browser test" in text
    assert web.page.locator("#judge-status img").count() == 0
