"""The certificate and assessment pages in a real browser (Debian's Chromium, never a
downloaded one; the fixtures of ``tests/serve/web``): from the list of licence requests to an
assessment, an indicator's evidence to its record page, a certificate uploaded through the
form to its findings, with no console error and no request to another host."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from tests.serve.web.conftest import (  # noqa: F401 - the browser fixtures, used by name
    Watched,
    _free_port,
    web,
)
from transship.ingest.pipeline import ingest_paths
from transship.serve.app import create_app
from transship.simulate import run
from transship.store import connect

ROOT = Path(__file__).resolve().parents[2]
KENYA = ROOT / "tests" / "fixtures" / "risk" / "kenya_122mm_certificate.csv"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """uvicorn over a small SIMULATED store (read-only: the pages store nothing)."""
    folder = tmp_path_factory.mktemp("risk-browser")
    sim = run(ROOT / "cases" / "serbia-2025", folder / "sim", seed=4, scale=0.1, years="2023-2024")
    db = folder / "risk.duckdb"
    with connect(db) as store:
        assert all(r.status == "ok" for r in ingest_paths(store, [sim.data_dir]))
    app = create_app(db, token=None)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_from_the_list_to_an_assessment_to_a_record(web: Watched) -> None:  # noqa: F811
    web.open("/assess", shot="risk-licences")
    assert "SIMULATED" in web.page.locator(".simulated-banner").inner_text()
    # the table filters as the user types
    first = web.page.locator("#licences tbody a").first
    lid = first.inner_text().strip()
    web.page.fill("#licences-filter", lid)
    assert web.page.locator("#licences tbody tr:visible").count() >= 1
    first.click()
    web.page.wait_for_load_state("networkidle")
    assert lid in web.page.locator("h1").inner_text()
    level = web.page.locator("#level").inner_text()
    assert level in ("low", "medium", "high", "refuse-indicated")
    assert web.page.locator("section.indicator").count() >= 5
    web.shot("risk-assessment")
    # an indicator explains itself, and its evidence leads to the stored row's page
    web.page.locator("section.indicator details summary").first.click()
    assert web.page.locator("section.indicator details p").first.is_visible()
    record = web.page.locator("section.indicator a[href^='/records/']").first
    where = record.locator("xpath=following-sibling::span[@class='where']").inner_text()
    assert ".csv, line " in where
    record.click()
    web.page.wait_for_load_state("networkidle")
    assert "Record" in web.page.locator("h1").inner_text()


def test_upload_a_certificate_through_the_form(web: Watched) -> None:  # noqa: F811
    web.open("/certificates/check")
    web.page.set_input_files("#check-file", str(KENYA))
    web.page.locator("#check-form button[type=submit]").click()
    web.page.wait_for_load_state("networkidle")
    section = web.page.locator("section.certificate").first
    assert "KE-MOD-2024-0122" in section.locator("h3").inner_text()
    assert "end_user.capability_unverified" in section.locator("table").inner_text()
    assert KENYA.name in section.inner_text()
    web.shot("risk-certificate-check")
    # the same paper assessed as a request
    web.open("/assess")
    web.page.set_input_files("#assess-file", str(KENYA))
    web.page.locator("#assess-upload button[type=submit]").click()
    web.page.wait_for_load_state("networkidle")
    assert web.page.locator("#score").inner_text().strip()
    assert "nothing was stored" in web.page.locator(".verdict").inner_text()
