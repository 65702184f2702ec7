"""The report in a real browser: the file `transship demo` wrote opens with the network off
(nothing requested but the file itself, no console error), every figure drawn with its
caption, source line and SIMULATED mark; the server's `/report.html` likewise."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Page, Request

from tests.serve.web.conftest import Watched


def _check_figures(page: Page) -> None:
    figures = page.locator("figure")
    assert figures.count() >= 4  # Sankey, map, hubs, mirror gaps
    for i in range(figures.count()):
        figure = figures.nth(i)
        box = figure.locator("svg").first.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, i  # drawn, not empty
        caption = figure.locator("figcaption").inner_text()
        assert caption.startswith(f"Figure {i + 1}."), caption
        assert "Source:" in figure.locator("figcaption .source").inner_text(), caption
        assert "SIMULATED" in (figure.locator("svg").first.text_content() or ""), i  # in it
    appendix = page.locator("table", has_text="Source files and rows used")
    assert appendix.locator("tbody tr").count() > 0


def test_the_demo_report_opens_offline(browser: Browser, demo_db: Path, screenshots: Path) -> None:
    report = demo_db.parent / "report.html"  # written by `transship demo`
    assert report.is_file()
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    asked: list[str] = []
    errors: list[str] = []
    page = context.new_page()

    def on_request(request: Request) -> None:
        if request.url != report.as_uri() and not request.url.startswith("data:"):
            asked.append(request.url)

    page.on("request", on_request)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(report.as_uri(), wait_until="load")
        _check_figures(page)
        page.screenshot(path=str(screenshots / "report.png"))
    finally:
        context.close()
    assert not asked, asked
    assert not errors, errors


def test_the_served_report_fetches_nothing(web: Watched) -> None:
    web.open("/report.html")
    _check_figures(web.page)
