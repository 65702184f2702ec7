"""The outlook pages in a real browser: the ACH matrix with its flags and sums, scenario
histograms, the dependencies table; no console errors, no request to another host."""

from __future__ import annotations

from tests.serve.web.conftest import Watched


def test_outlook_pages(web: Watched) -> None:
    web.open("/outlook", shot="outlook")
    assert web.page.locator("#dependencies-table tbody tr").count() == 5
    web.page.locator("a", has_text="competing hypotheses").first.click()
    web.page.wait_for_url("**/outlook/ach**")
    web.page.wait_for_load_state("networkidle")
    assert web.page.locator("#ach-matrix tbody tr.item").count() == 14
    assert web.page.locator("#ach-matrix tr.not-diagnostic").count() >= 1
    posterior = [float(t) for t in web.page.locator("#posterior td").all_inner_texts()]
    assert abs(sum(posterior) - 1) < 0.02
    web.shot("outlook-ach")
    web.open("/outlook/scenarios?runs=2000", shot="outlook-scenarios")
    assert web.page.locator("section.scenario").count() == 3
    assert web.page.locator("svg.histogram").count() >= 21
    assert web.problems() == []
