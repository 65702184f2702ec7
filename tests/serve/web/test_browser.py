"""The web UI in a real browser: every page of the demo store loads without console errors
or foreign requests, a route band leads to its evidence rows and a record page, tables sort
and filter (with the keyboard too), an upload needs the token."""

from __future__ import annotations

import re
from pathlib import Path

from tests.serve.web.conftest import TOKEN, Watched

ROUTE_QUERY = "origin=SRB&destination=UKR&product=9306&break=2022-02&dataset=comtrade"
#: name -> path: the pages a user reaches from the navigation bar.
PAGES = {
    "home": "/",
    "routes": f"/routes?{ROUTE_QUERY}",
    "hubs": "/hubs?product=9306&dataset=comtrade",
    "mirror": "/mirror?product=9306&dataset=comtrade",
    "territories": "/territories",
    "territory": "/territories/SRB?product=9306&dataset=comtrade",
    "search": "/search?q=Yugoimport",
    "runs": "/runs",
    "simulation": "/simulation",
}
#: Pages that draw charts, and how many.
CHARTS = {"routes": 2, "hubs": 1, "mirror": 1, "territory": 2}


def _banner(web: Watched) -> str:
    return web.page.locator(".simulated-banner").inner_text()


def _first_href(web: Watched, selector: str) -> str:
    href = web.page.locator(selector).first.get_attribute("href")
    assert href, selector
    return href


def test_every_page_loads_labelled_with_sources(web: Watched) -> None:
    for name, path in PAGES.items():
        web.open(path)
        assert "SIMULATED" in _banner(web), name
        assert web.page.locator("h1").inner_text().strip(), name
        charts = CHARTS.get(name, 0)
        if charts:
            # locator waits, not wait_for_function: a polled string predicate is an eval,
            # which the pages' Content-Security-Policy forbids
            web.page.locator(".chart canvas").nth(charts - 1).wait_for(timeout=30_000)
            # every figure says where its numbers come from, and that they are simulated
            captions = web.page.locator("figure figcaption .source").all_inner_texts()
            assert len(captions) >= charts, name
            assert all("Source:" in c and "SIMULATED" in c for c in captions), captions
        web.shot(name)
    # the pages one level down: a leg's evidence, a hub score's indicators, a record, rejects
    web.open(PAGES["routes"])
    leg = _first_href(web, "a.evidence")
    web.open(PAGES["hubs"])
    hub = _first_href(web, "#hubs-table a[href^='/hubs/']")
    web.open(leg, shot="leg")
    record = _first_href(web, "#evidence a[href^='/records/']")
    web.open(hub, shot="hub")
    assert web.page.locator("section.indicator").count() >= 5
    web.open(record, shot="record")
    web.open("/runs/1/rejects", shot="rejects")
    # every page has a JSON twin with the same data
    twin = web.page.request.get(web.base + "/territories/SRB.json?product=9306")
    assert twin.ok and twin.json()["territory"]["iso3"] == "SRB"
    assert web.page.request.get(web.base + "/", headers={"Accept": "application/json"}).json()[
        "tables"
    ]


def test_route_band_to_evidence_to_record(web: Watched) -> None:
    web.open(PAGES["routes"])
    web.page.locator("#sankey canvas").wait_for()
    # the widest band, just right of its source node (ECharts' own layout, in page pixels)
    x, y = web.page.evaluate(
        """() => {
          const el = document.getElementById('sankey');
          el.scrollIntoView();
          const series = echarts.getInstanceByDom(el).getModel().getSeriesByIndex(0);
          const graph = series.getGraph();
          let best = null;
          graph.eachEdge(e => { if (!best || e.getLayout().dy > best.getLayout().dy) best = e; });
          const n = best.node1.getLayout(), e = best.getLayout();
          const box = el.getBoundingClientRect(), li = series.layoutInfo;
          return [box.x + li.x + n.x + n.dx + 4, box.y + li.y + n.y + e.sy + e.dy / 2];
        }"""
    )
    # hovering the band lists its largest evidence rows with their file and line
    web.page.mouse.move(x, y)
    tooltip = web.page.locator("#sankey .chart-tooltip").filter(has_text="line")
    tooltip.wait_for(timeout=30_000)
    hover = tooltip.inner_text()
    shown = re.search(r"(\S+\.csv), line (\d+)", hover)
    assert shown, hover
    assert "evidence rows" in hover, hover
    web.shot("routes-hover")
    web.page.mouse.click(x, y)
    web.page.wait_for_url("**/routes/leg?**", timeout=60_000)
    web.page.wait_for_load_state("networkidle")
    assert "evidence" in web.page.locator("h1").inner_text().lower()
    rows = web.page.locator("#evidence tbody tr")
    assert rows.count() > 0
    # the row the hover named is among them, with the same file and line
    named = rows.filter(has_text=shown.group(1)).all_inner_texts()
    assert any(re.search(rf"\b{shown.group(2)}\b", t) for t in named), (shown.groups(), named)
    # each evidence row names its file and line
    first = rows.first.locator("td")
    assert first.nth(9).inner_text().strip().endswith(".csv")
    assert first.nth(10).inner_text().strip().isdigit()
    rows.first.locator("a[href^='/records/']").click()
    web.page.wait_for_url("**/records/**")
    facts = web.page.locator("dl.facts").inner_text()
    assert "sha256" in facts and "line" in facts and ".csv" in facts
    # the line itself, as the file reads now (sha256 re-checked), beside the stored values
    n = web.page.locator("#record-fields tr", has_text="line").first.locator("td").inner_text()
    assert web.page.locator("#source-line th").last.inner_text().strip() == f"line {n.strip()}"
    assert "," in web.page.locator("#source-line td").last.inner_text()  # the CSV line itself
    assert web.page.locator("#statements tbody tr").count() > 0


def _column(web: Watched, table: str, index: int) -> list[float]:
    values = web.page.eval_on_selector_all(
        f"#{table} tbody tr:not([hidden])",
        f"rows => rows.map(r => parseFloat(r.cells[{index}].dataset.sort))",
    )
    return [float(v) for v in values]


def test_sort_and_filter_with_mouse_and_keyboard(web: Watched) -> None:
    web.open(PAGES["hubs"])
    header = web.page.locator("#hubs-table thead th").nth(3)
    assert header.inner_text().strip() == "score"
    header.locator("button").click()
    up = _column(web, "hubs-table", 3)
    assert up == sorted(up) and up[0] < up[-1]
    assert header.get_attribute("aria-sort") == "ascending"
    header.locator("button").focus()
    web.page.keyboard.press("Enter")
    down = _column(web, "hubs-table", 3)
    assert down == sorted(down, reverse=True)
    assert header.get_attribute("aria-sort") == "descending"
    # filter to one territory: only its rows stay visible, and the count says so
    name = web.page.locator("#hubs-table tbody tr td").first.inner_text().strip()
    total = web.page.locator("#hubs-table tbody tr").count()
    web.page.fill("#hubs-table-filter", name)
    visible = web.page.locator("#hubs-table tbody tr:not([hidden])")
    assert 0 < visible.count() < total
    assert all(name in t for t in visible.all_inner_texts())
    assert f"of {total} shown" in web.page.locator("[data-count-for='hubs-table']").inner_text()
    web.shot("hubs-filtered")
    # on a fresh page the skip link is the keyboard's first stop and leads to the content
    web.open("/territories")
    web.page.keyboard.press("Tab")
    assert web.page.evaluate("document.activeElement.className") == "skip"
    web.page.keyboard.press("Enter")
    assert web.page.evaluate("location.hash") == "#main"


def test_upload_needs_the_token_and_shows_in_runs(web: Watched, fixtures: Path) -> None:
    upload = fixtures / "shipments.csv"  # 3 good rows, 3 rejected ones
    web.allowed.append("status of 401")  # the refused upload below, as Chromium logs it
    web.open("/runs")
    before = web.page.locator("#runs-table tbody tr").count()
    web.page.set_input_files("#upload-file", str(upload))
    web.page.fill("#upload-token", "not-the-token")
    web.page.click("#upload-form button[type=submit]")
    status = web.page.locator("#upload-status")
    status.filter(has_text="Refused").wait_for(timeout=30_000)
    assert "401" in status.inner_text()
    web.page.fill("#upload-token", "")
    web.page.click("#upload-form button[type=submit]")
    status.filter(has_text="Refused (401)").wait_for(timeout=30_000)
    assert web.page.locator("#runs-table tbody tr").count() == before
    web.shot("runs-refused")
    web.page.fill("#upload-token", TOKEN)
    with web.page.expect_navigation(timeout=120_000):
        web.page.click("#upload-form button[type=submit]")
    web.page.wait_for_load_state("networkidle")
    rows = web.page.locator("#runs-table tbody tr")
    assert rows.count() == before + 1
    newest = rows.first.inner_text()
    assert "shipments.csv" in newest and "ok" in newest
    web.shot("runs-uploaded")
    # its rejected lines, each with its line and reason
    rows.first.locator("a[href$='/rejects']").click()
    web.page.wait_for_url("**/rejects")
    rejects = web.page.locator("#rejects-table tbody tr")
    assert rejects.count() == 3
    assert rejects.first.locator("td").first.inner_text().strip().isdigit()
