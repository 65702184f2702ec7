"""The claims pages in a real browser: the table loads with grades and findings, a claim's
span link opens the claim marked in its document, the table filters, no console errors."""

from __future__ import annotations

from tests.serve.web.conftest import Watched


def test_claims_table_to_span(web: Watched) -> None:
    web.open("/claims", shot="claims")
    assert "Claims" in web.page.locator("h1").inner_text()
    rows = web.page.locator("#claims-table tbody tr")
    assert rows.count() == 22
    # worst first: the first finding row is high, and names a claim that links to its page
    first = web.page.locator("#findings-table tbody tr").first
    assert first.locator("td").first.inner_text().strip() == "high"
    # a grade is a letter and a digit, explained on hover
    grade = web.page.locator("#claims-table .grade").first
    assert len(grade.inner_text().strip()) == 2 and "reliability" in (
        grade.get_attribute("title") or ""
    )
    # filter the claims table by a claim id
    web.page.locator("#claims-table-filter").fill("SR05")
    web.page.wait_for_timeout(300)
    visible = web.page.locator("#claims-table tbody tr:not([hidden])")
    assert visible.count() == 1
    # the span link opens the claim with its words marked in the document
    visible.first.locator("a.span-link").click()
    web.page.wait_for_url("**/claims/SR05**")
    web.page.wait_for_load_state("networkidle")
    mark = web.page.locator("mark#span")
    assert '"id": "SR05"' in mark.inner_text()
    assert "TIV" in web.page.locator("#claim-findings").inner_text()
    assert web.page.locator("#reliability-reasons li").count() >= 1
    web.shot("claim")
